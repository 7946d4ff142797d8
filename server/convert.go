package server

import (
	"time"

	"github.com/hooklift/gowsdl/soap"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/common"
)

// Conversions between the domain's types and the contracts' shared types
// (xsd/common.xsd, generated once in generated/common and used by every
// service package), each written once.

func toText(t me.LocalizedText) common.LocalizedText {
	return common.LocalizedText{Sv: common.LongText(t.SV), En: optional[common.LongText](t.EN)}
}

// optionalText leaves out a text that has neither language.
func optionalText(t me.LocalizedText) *common.LocalizedText {
	if t.SV == "" && t.EN == "" {
		return nil
	}
	out := toText(t)
	return &out
}

func toEService(e me.EService, orgName string) common.EService {
	out := common.EService{
		Id:                  common.Identifier(e.ID),
		OrganisationNumber:  common.OrganisationNumber(e.OrganisationNumber),
		OrganisationName:    common.ShortText(orgName),
		Name:                toText(e.Name),
		Description:         toText(e.Description),
		StartUrl:            common.HTTPURL(e.StartURL),
		TicketParameter:     common.TicketParameter(e.TicketParameter),
		AuthenticationLevel: common.AuthenticationLevel(e.AuthenticationLevel),
		Published:           xsdTime(e.Published),
	}
	for _, a := range e.Areas {
		out.Area = append(out.Area, common.Area(a))
	}
	if c := e.Contact; c != (me.Contact{}) {
		out.Contact = &common.Contact{Name: optional[common.ShortText](c.Name), Email: optional[common.EmailAddress](c.Email),
			Phone: optional[common.ShortText](c.Phone), Url: optional[common.HTTPURL](c.URL)}
	}
	if e.Withdrawn != nil {
		w := xsdTime(*e.Withdrawn)
		out.Withdrawn = &w
	}
	return out
}

func fromProfile(p common.CitizenProfile) me.CitizenProfile {
	out := me.CitizenProfile{
		PersonalIdentityNumber: string(p.PersonalIdentityNumber),
		GivenName:              string(deref(p.GivenName)),
		Surname:                string(deref(p.Surname)),
		Email:                  string(deref(p.Email)),
		Mobile:                 string(deref(p.Mobile)),
		Language:               me.Language(p.Language),
		Channel:                me.NotificationChannel(p.NotificationChannel),
	}
	if a := p.Address; a != nil {
		out.Address = &me.PostalAddress{CareOf: string(deref(a.CareOf)), Street: string(a.Street), PostalCode: string(a.PostalCode),
			City: string(a.City), Country: string(deref(a.Country))}
	}
	return out
}

func toProfile(p me.CitizenProfile) common.CitizenProfile {
	out := common.CitizenProfile{
		PersonalIdentityNumber: common.PersonalIdentityNumber(p.PersonalIdentityNumber),
		GivenName:              optional[common.ShortText](p.GivenName),
		Surname:                optional[common.ShortText](p.Surname),
		Email:                  optional[common.EmailAddress](p.Email),
		Mobile:                 optional[common.PhoneNumber](p.Mobile),
		Language:               common.Language(p.Language),
		NotificationChannel:    common.NotificationChannel(p.Channel),
	}
	if a := p.Address; a != nil {
		out.Address = &common.PostalAddress{CareOf: optional[common.ShortText](a.CareOf), Street: common.ShortText(a.Street),
			PostalCode: common.ShortText(a.PostalCode), City: common.ShortText(a.City), Country: optional[common.ShortText](a.Country)}
	}
	return out
}

func toSummary(c me.CaseSummary, orgName string) common.CaseSummary {
	out := common.CaseSummary{
		Id: common.Identifier(c.ID), CaseNumber: optional[common.ShortText](c.CaseNumber), Title: toText(c.Title),
		OrganisationNumber: common.OrganisationNumber(c.OrganisationNumber), OrganisationName: common.ShortText(orgName),
		Status: common.CaseStatus(c.Status), Created: xsdTime(c.Created), Updated: xsdTime(c.Updated),
		UnreadEvents: int32(c.UnreadEvents), Archived: c.Archived,
	}
	if c.LatestEventTitle.SV != "" {
		t := toText(c.LatestEventTitle)
		out.LatestEventTitle = &t
	}
	return out
}

func toEvent(e me.Event) common.Event {
	out := common.Event{Id: common.Identifier(e.ID), Time: xsdTime(e.Time), Title: toText(e.Title), Text: optionalText(e.Text),
		FromCitizen: e.FromCitizen, Read: e.ReadAt != nil, Author: optional[common.PersonalIdentityNumber](e.Author)}
	if e.FromHandler {
		out.FromHandler = &e.FromHandler
	}
	for _, a := range e.Attachments {
		out.Attachment = append(out.Attachment, common.AttachmentInfo{Id: common.Identifier(a.ID), FileName: common.ShortText(a.FileName),
			MediaType: common.ShortText(a.MediaType), Size: a.Size})
	}
	for _, a := range e.Actions {
		out.Action = append(out.Action, common.Action{Id: common.Identifier(a.ID), Type_: common.ActionType(a.Type), Label: optionalText(a.Label),
			State: common.ActionState(a.State), AttachmentId: optional[common.Identifier](a.AttachmentID), EServiceId: optional[common.Identifier](a.EServiceID),
			DueDate: xsdDate(a.DueDate)})
	}
	return out
}

// optional returns nil for an empty string: the element is left out.
func optional[T ~string](s string) *T {
	if s == "" {
		return nil
	}
	v := T(s)
	return &v
}

func deref[T any](p *T) (zero T) {
	if p == nil {
		return zero
	}
	return *p
}

func xsdTime(t time.Time) soap.XSDDateTime { return soap.CreateXsdDateTime(t.UTC(), true) }

// xsdDate is a YYYY-MM-DD date as xs:date, or nil when there is none.
func xsdDate(day string) *soap.XSDDate {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return nil
	}
	out := soap.CreateXsdDate(d, false)
	return &out
}
