// Package extract makes the register extract (registerutdrag, GDPR art.
// 15) of one citizen: what the store holds about them (me.CitizenData) as
// the document xsd/citizen-export.xsd describes, in XML or JSON. The cases
// are shown as the citizen sees them on a portal: a co-applicant's
// personnummer, names, read marks and notifications never appear. It does
// not read the store or know HTTP: `me citizen export` (cmd/me) reads and
// writes.
package extract

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/minaengagemang/me"
)

// Namespace and Version of xsd/citizen-export.xsd.
const (
	Namespace = "http://minaengagemang.se/citizen-export/v1"
	Version   = "1.0"
)

// Document is the extract. Field names are the schema's, in XML and JSON
// alike; repeated elements are plural arrays in JSON.
type Document struct {
	XMLName                xml.Name       `xml:"http://minaengagemang.se/citizen-export/v1 citizenExport" json:"-"`
	Version                string         `xml:"version,attr" json:"version"`
	Generated              time.Time      `xml:"generated" json:"generated"`
	GeneratedBy            string         `xml:"generatedBy" json:"generatedBy"`
	PersonalIdentityNumber string         `xml:"personalIdentityNumber" json:"personalIdentityNumber"`
	Profile                *Profile       `xml:"profile,omitempty" json:"profile,omitempty"`
	Cases                  []Case         `xml:"citizenCase" json:"cases"`
	Tickets                []Ticket       `xml:"ticket" json:"tickets"`
	Notifications          []Notification `xml:"notification" json:"notifications"`
	Reminders              []Reminder     `xml:"reminder" json:"reminders"`
	Audit                  []AuditEntry   `xml:"auditEntry" json:"auditEntries"`
	Erasures               []Erasure      `xml:"erasure" json:"erasures"`
}

// Text is a text in Swedish with an optional English one.
type Text struct {
	SV string `xml:"sv" json:"sv"`
	EN string `xml:"en,omitempty" json:"en,omitempty"`
}

// Profile is the citizen's profile.
type Profile struct {
	GivenName           string    `xml:"givenName,omitempty" json:"givenName,omitempty"`
	Surname             string    `xml:"surname,omitempty" json:"surname,omitempty"`
	Address             *Address  `xml:"address,omitempty" json:"address,omitempty"`
	Email               string    `xml:"email,omitempty" json:"email,omitempty"`
	Mobile              string    `xml:"mobile,omitempty" json:"mobile,omitempty"`
	Language            string    `xml:"language" json:"language"`
	NotificationChannel string    `xml:"notificationChannel" json:"notificationChannel"`
	Updated             time.Time `xml:"updated" json:"updated"`
}

// Address is a postal address.
type Address struct {
	CareOf     string `xml:"careOf,omitempty" json:"careOf,omitempty"`
	Street     string `xml:"street,omitempty" json:"street,omitempty"`
	PostalCode string `xml:"postalCode,omitempty" json:"postalCode,omitempty"`
	City       string `xml:"city,omitempty" json:"city,omitempty"`
	Country    string `xml:"country,omitempty" json:"country,omitempty"`
}

// Case is one of the citizen's cases as they see it.
type Case struct {
	ID                 string    `xml:"id" json:"id"`
	OrganisationNumber string    `xml:"organisationNumber" json:"organisationNumber"`
	OrganisationName   string    `xml:"organisationName,omitempty" json:"organisationName,omitempty"`
	CaseNumber         string    `xml:"caseNumber,omitempty" json:"caseNumber,omitempty"`
	Title              Text      `xml:"title" json:"title"`
	Status             string    `xml:"status" json:"status"`
	HandlerName        string    `xml:"handlerName,omitempty" json:"handlerName,omitempty"`
	Created            time.Time `xml:"created" json:"created"`
	Updated            time.Time `xml:"updated" json:"updated"`
	Archived           bool      `xml:"archived" json:"archived"`
	Events             []Event   `xml:"caseEvent" json:"events"`
}

// Event is an event of a case as the citizen sees it.
type Event struct {
	ID          string       `xml:"id" json:"id"`
	Time        time.Time    `xml:"time" json:"time"`
	Title       Text         `xml:"title" json:"title"`
	Text        *Text        `xml:"text,omitempty" json:"text,omitempty"`
	FromCitizen bool         `xml:"fromCitizen" json:"fromCitizen"`
	ByCitizen   *bool        `xml:"byThisCitizen,omitempty" json:"byThisCitizen,omitempty"`
	Read        *time.Time   `xml:"read,omitempty" json:"read,omitempty"`
	Attachments []Attachment `xml:"attachment" json:"attachments,omitempty"`
	Actions     []Action     `xml:"action" json:"actions,omitempty"`
}

// Attachment is an attachment's metadata, and its content when asked for.
type Attachment struct {
	ID        string `xml:"id" json:"id"`
	FileName  string `xml:"fileName" json:"fileName"`
	MediaType string `xml:"mediaType" json:"mediaType"`
	Size      int64  `xml:"size" json:"size"`
	Content   Base64 `xml:"content,omitempty" json:"content,omitempty"`
}

// Base64 is bytes written as base64 text, in XML (xs:base64Binary) and
// JSON alike: encoding/xml would write them raw.
type Base64 []byte

// MarshalText implements encoding.TextMarshaler.
func (b Base64) MarshalText() ([]byte, error) {
	return []byte(base64.StdEncoding.EncodeToString(b)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; XML's line breaks
// and spaces are allowed.
func (b *Base64) UnmarshalText(text []byte) error {
	v, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	if err != nil {
		return fmt.Errorf("extract: content is not base64: %w", err)
	}
	*b = v
	return nil
}

// Action is an action of an event.
type Action struct {
	ID                   string     `xml:"id" json:"id"`
	Type                 string     `xml:"type" json:"type"`
	Label                *Text      `xml:"label,omitempty" json:"label,omitempty"`
	State                string     `xml:"state" json:"state"`
	Done                 *time.Time `xml:"done,omitempty" json:"done,omitempty"`
	AttachmentID         string     `xml:"attachmentId,omitempty" json:"attachmentId,omitempty"`
	EServiceOrganisation string     `xml:"eServiceOrganisation,omitempty" json:"eServiceOrganisation,omitempty"`
	EServiceID           string     `xml:"eServiceId,omitempty" json:"eServiceId,omitempty"`
	DueDate              string     `xml:"dueDate,omitempty" json:"dueDate,omitempty"`
}

// Ticket is a ticket issued for the citizen, without its value.
type Ticket struct {
	Purpose              string     `xml:"purpose" json:"purpose"`
	Issued               time.Time  `xml:"issued" json:"issued"`
	Expires              time.Time  `xml:"expires" json:"expires"`
	IssuedBy             string     `xml:"issuedBy" json:"issuedBy"`
	EServiceOrganisation string     `xml:"eServiceOrganisation" json:"eServiceOrganisation"`
	EServiceID           string     `xml:"eServiceId" json:"eServiceId"`
	CaseID               string     `xml:"caseId,omitempty" json:"caseId,omitempty"`
	EventID              string     `xml:"eventId,omitempty" json:"eventId,omitempty"`
	ActionID             string     `xml:"actionId,omitempty" json:"actionId,omitempty"`
	RedeemAttempt        *time.Time `xml:"redeemAttempt,omitempty" json:"redeemAttempt,omitempty"`
	RedeemedBy           string     `xml:"redeemedBy,omitempty" json:"redeemedBy,omitempty"`
}

// Notification is an SMS or e-mail to the citizen, without its text.
type Notification struct {
	Kind               string     `xml:"kind" json:"kind"`
	Channel            string     `xml:"channel" json:"channel"`
	Recipient          string     `xml:"recipient" json:"recipient"`
	OrganisationNumber string     `xml:"organisationNumber" json:"organisationNumber"`
	Created            time.Time  `xml:"created" json:"created"`
	State              string     `xml:"state" json:"state"`
	Sent               *time.Time `xml:"sent,omitempty" json:"sent,omitempty"`
}

// Reminder is a reminder of an open completion.
type Reminder struct {
	EventID string    `xml:"eventId" json:"eventId"`
	Created time.Time `xml:"created" json:"created"`
}

// AuditEntry is a read of the citizen's data.
type AuditEntry struct {
	Time      time.Time `xml:"time" json:"time"`
	Client    string    `xml:"client" json:"client"`
	Operation string    `xml:"operation" json:"operation"`
	Target    string    `xml:"target,omitempty" json:"target,omitempty"`
}

// Erasure is an earlier erasure of the citizen's data.
type Erasure struct {
	Time time.Time   `xml:"time" json:"time"`
	By   string      `xml:"by" json:"by"`
	Rows []TableRows `xml:"rows" json:"rows"`
}

// TableRows is how many rows an erasure took from a table.
type TableRows struct {
	Table string `xml:"table,attr" json:"table"`
	Rows  int64  `xml:",chardata" json:"rows"`
}

// Contents returns an attachment's content by ME's id, for an extract
// with the files.
type Contents func(attachmentID string) ([]byte, error)

// Build makes the extract of d, made by by at now. orgNames names the
// organisations by number (a missing one is left out). With contents
// the attachments' files are included.
func Build(d me.CitizenData, orgNames map[string]string, by string, now time.Time, contents Contents) (Document, error) {
	// Empty lists, not none: JSON says [] rather than null.
	doc := Document{Version: Version, Generated: now.UTC(), GeneratedBy: by, PersonalIdentityNumber: d.PersonalIdentityNumber,
		Cases: []Case{}, Tickets: []Ticket{}, Notifications: []Notification{}, Reminders: []Reminder{}, Audit: []AuditEntry{}, Erasures: []Erasure{}}
	if p := d.Profile; p != nil {
		doc.Profile = &Profile{GivenName: p.GivenName, Surname: p.Surname, Email: p.Email, Mobile: p.Mobile,
			Language: string(p.Language), NotificationChannel: string(p.Channel), Updated: p.Updated.UTC()}
		if a := p.Address; a != nil {
			doc.Profile.Address = &Address{CareOf: a.CareOf, Street: a.Street, PostalCode: a.PostalCode, City: a.City, Country: a.Country}
		}
	}
	for _, c := range d.Cases {
		out, err := toCase(c, d.PersonalIdentityNumber, orgNames[c.OrganisationNumber], contents)
		if err != nil {
			return Document{}, err
		}
		doc.Cases = append(doc.Cases, out)
	}
	for _, t := range d.Tickets {
		doc.Tickets = append(doc.Tickets, Ticket{Purpose: string(t.Purpose), Issued: t.Issued.UTC(), Expires: t.Expires.UTC(), IssuedBy: t.IssuedBy,
			EServiceOrganisation: t.EServiceOrganisation, EServiceID: t.EServiceID, CaseID: t.CaseID, EventID: t.EventID, ActionID: t.ActionID,
			RedeemAttempt: utc(t.RedeemAttempt), RedeemedBy: t.RedeemedBy})
	}
	for _, n := range d.Notifications {
		doc.Notifications = append(doc.Notifications, Notification{Kind: string(n.Kind), Channel: string(n.Channel), Recipient: n.To,
			OrganisationNumber: n.OrganisationNumber, Created: n.Created.UTC(), State: string(n.State), Sent: utc(n.Sent)})
	}
	for _, r := range d.Reminders {
		doc.Reminders = append(doc.Reminders, Reminder{EventID: r.EventID, Created: r.Created.UTC()})
	}
	for _, a := range d.Audit {
		doc.Audit = append(doc.Audit, AuditEntry{Time: a.Time.UTC(), Client: a.Client, Operation: a.Operation, Target: a.Object})
	}
	for _, e := range d.Erasures {
		out := Erasure{Time: e.Time.UTC(), By: e.By}
		for _, table := range slices.Sorted(maps.Keys(e.Rows)) {
			out.Rows = append(out.Rows, TableRows{Table: table, Rows: e.Rows[table]})
		}
		doc.Erasures = append(doc.Erasures, out)
	}
	return doc, nil
}

// toCase is the case as the citizen pnr sees it: without its other
// citizens, the handler's e-mail address or the completion data.
func toCase(c me.CaseView, pnr, orgName string, contents Contents) (Case, error) {
	out := Case{ID: c.ID, OrganisationNumber: c.OrganisationNumber, OrganisationName: orgName, CaseNumber: c.CaseNumber,
		Title: text(c.Title), Status: string(c.Status), HandlerName: c.Handler.Name, Created: c.Created.UTC(), Updated: c.Updated.UTC(),
		Archived: c.Archived}
	for _, e := range c.Events {
		ev := Event{ID: e.ID, Time: e.Time.UTC(), Title: text(e.Title), FromCitizen: e.FromCitizen, Read: utc(e.ReadAt)}
		if e.Text != (me.LocalizedText{}) {
			t := text(e.Text)
			ev.Text = &t
		}
		if e.FromCitizen && e.Author != "" {
			// Whose, not who: the co-applicant's personnummer stays out.
			mine := e.Author == pnr
			ev.ByCitizen = &mine
		}
		for _, a := range e.Attachments {
			att := Attachment{ID: a.ID, FileName: a.FileName, MediaType: a.MediaType, Size: a.Size}
			if contents != nil {
				b, err := contents(a.ID)
				if err != nil {
					return Case{}, fmt.Errorf("extract: attachment %s of case %s: %w", a.ID, c.ID, err)
				}
				att.Content = b
			}
			ev.Attachments = append(ev.Attachments, att)
		}
		for _, a := range e.Actions {
			act := Action{ID: a.ID, Type: string(a.Type), State: string(a.State), Done: utc(a.DoneAt), AttachmentID: a.AttachmentID,
				EServiceOrganisation: a.EServiceOrganisation, EServiceID: a.EServiceID, DueDate: a.DueDate}
			if a.Label != (me.LocalizedText{}) {
				l := text(a.Label)
				act.Label = &l
			}
			ev.Actions = append(ev.Actions, act)
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

func text(t me.LocalizedText) Text { return Text{SV: t.SV, EN: t.EN} }

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Formats of Encode.
const (
	FormatXML  = "xml"
	FormatJSON = "json"
)

// Encode writes the document as UTF-8 XML with a declaration, or as
// indented JSON; each ends with a line break.
func Encode(doc Document, format string) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case FormatXML:
		buf.WriteString(xml.Header)
		enc := xml.NewEncoder(&buf)
		enc.Indent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("extract: encode XML: %w", err)
		}
	case FormatJSON:
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("extract: encode JSON: %w", err)
		}
		return buf.Bytes(), nil
	default:
		return nil, fmt.Errorf("extract: unknown format %q (want %s or %s)", format, FormatXML, FormatJSON)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
