package shs

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Management is the shs.management document an adm message carries
// (shs-management-1.2.dtd): a confirmation (kvittens) that a message arrived,
// or an error about one. CorrID and ContentID name the message it is about.
type Management struct {
	CorrID       string
	ContentID    string
	Datetime     string
	Confirmation *Confirmation
	Error        *ManagementError
}

// Confirmation says a message was delivered.
type Confirmation struct{ AppInfo []AppInfo }

// ManagementError says why a message was refused.
type ManagementError struct {
	Code    ErrorCode // errorcode, e.g. MissingAgreement
	Info    string    // errorinfo, free text
	AppInfo []AppInfo
}

// AppInfo is one named piece of application information.
type AppInfo struct{ Name, Value string }

type (
	xmlManagement struct {
		XMLName      xml.Name         `xml:"shs.management"`
		Version      string           `xml:"version,attr,omitempty"`
		CorrID       string           `xml:"corr.id,attr"`
		ContentID    string           `xml:"content.id,attr"`
		Datetime     string           `xml:"datetime"`
		Confirmation *xmlConfirmation `xml:"confirmation"`
		Error        *xmlMgmtError    `xml:"error"`
	}
	xmlConfirmation struct {
		AppInfo []xmlAppInfo `xml:"appinfo"`
	}
	xmlMgmtError struct {
		Code    string       `xml:"errorcode,attr"`
		Info    string       `xml:"errorinfo,attr,omitempty"`
		AppInfo []xmlAppInfo `xml:"appinfo"`
	}
	xmlAppInfo struct {
		Name  string `xml:"name,attr"`
		Value string `xml:",chardata"`
	}
)

// parseManagement reads an shs.management document from a data part.
func parseManagement(raw []byte, charset string) (*Management, error) {
	doc, err := cleanXML(raw, charset)
	if err != nil {
		return nil, err
	}
	var x xmlManagement
	if err := xml.Unmarshal(doc, &x); err != nil {
		return nil, err
	}
	m := &Management{CorrID: token(x.CorrID), ContentID: token(x.ContentID), Datetime: strings.TrimSpace(x.Datetime)}
	switch {
	case m.CorrID == "" || m.ContentID == "":
		return nil, errors.New("shs.management needs corr.id and content.id")
	case (x.Confirmation == nil) == (x.Error == nil):
		return nil, errors.New("shs.management needs exactly one of confirmation and error")
	case x.Confirmation != nil:
		m.Confirmation = &Confirmation{AppInfo: appInfo(x.Confirmation.AppInfo)}
	default:
		code := token(x.Error.Code)
		if code == "" {
			return nil, errors.New("shs.management error needs an errorcode")
		}
		m.Error = &ManagementError{Code: ErrorCode(code), Info: attr(x.Error.Info), AppInfo: appInfo(x.Error.AppInfo)}
	}
	return m, nil
}

func appInfo(xs []xmlAppInfo) []AppInfo {
	var out []AppInfo
	for _, a := range xs {
		out = append(out, AppInfo{Name: token(a.Name), Value: a.Value})
	}
	return out
}

// MarshalManagement writes m as an shs.management document in UTF-8, without
// a DOCTYPE, for the data part of an adm message (datapartType confirm or
// error).
func MarshalManagement(m Management) ([]byte, error) {
	switch {
	case !isNMTOKEN(m.CorrID) || !isNMTOKEN(m.ContentID):
		return nil, errors.New("shs: management: CorrID and ContentID must be NMTOKENs, such as UUIDs")
	case (m.Confirmation == nil) == (m.Error == nil):
		return nil, errors.New("shs: management: set exactly one of Confirmation and Error")
	case m.Error != nil && !isNMTOKEN(string(m.Error.Code)):
		return nil, fmt.Errorf("shs: management: error code %q is not an NMTOKEN", m.Error.Code)
	}
	x := xmlManagement{Version: "1.2", CorrID: m.CorrID, ContentID: m.ContentID, Datetime: m.Datetime}
	infos := []AppInfo(nil)
	if m.Confirmation != nil {
		infos = m.Confirmation.AppInfo
	} else {
		infos = m.Error.AppInfo
	}
	for _, a := range infos {
		if !isNMTOKEN(a.Name) {
			return nil, fmt.Errorf("shs: management: appinfo name %q is not an NMTOKEN", a.Name)
		}
	}
	toXML := func(as []AppInfo) []xmlAppInfo {
		var out []xmlAppInfo
		for _, a := range as {
			out = append(out, xmlAppInfo(a))
		}
		return out
	}
	if c := m.Confirmation; c != nil {
		x.Confirmation = &xmlConfirmation{AppInfo: toXML(c.AppInfo)}
	}
	if e := m.Error; e != nil {
		x.Error = &xmlMgmtError{Code: string(e.Code), Info: e.Info, AppInfo: toXML(e.AppInfo)}
	}
	out, err := xml.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("shs: management: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}
