package me

import (
	"time"
)

// CaseStatus is where a case (ärende) stands.
type CaseStatus string

const (
	CaseReceived        CaseStatus = "received"        // inkommet
	CaseInProgress      CaseStatus = "inProgress"      // under handläggning
	CaseAwaitingCitizen CaseStatus = "awaitingCitizen" // väntar på komplettering
	CaseDecided         CaseStatus = "decided"         // beslutat
	CaseClosed          CaseStatus = "closed"          // avslutat
)

// ActionType is what a citizen can do with an event.
type ActionType string

const (
	ActionDownload ActionType = "download" // download an attachment
	ActionMessage  ActionType = "message"  // write to the case handler
	ActionComplete ActionType = "complete" // complete the application (komplettering) in an e-service
	ActionArchive  ActionType = "archive"  // archive the closed case
)

// ActionState says whether an action can still be taken.
type ActionState string

const (
	ActionAvailable ActionState = "available"
	ActionDone      ActionState = "done"
)

// Handler is the case handler (handläggare). Email is never shown to the
// citizen or a portal; ME uses it to forward the citizen's messages.
type Handler struct {
	Name, Email string
}

// Case is a citizen's case (ärende) at an organisation. ID is ME's;
// ExternalID is the case system's own, unique within the organisation.
type Case struct {
	ID                 string
	OrganisationNumber string
	ExternalID         string
	CaseNumber         string // ärendenummer/diarienummer as the citizen knows it
	Title              LocalizedText
	Status             CaseStatus
	Handler            Handler
	Citizens           []string // personnummer of the citizens the case concerns
	Created, Updated   time.Time
}

// Attachment is a file attached to an event.
type Attachment struct {
	ID        string // ME's id
	SignalID  string // the id the signal gave it, which its actions refer to
	FileName  string
	MediaType string
	Size      int64
	Content   []byte
}

// Action is something the citizen can do with an event (åtgärd).
type Action struct {
	ID         string // ME's id
	ExternalID string // the case system's id, when it gave one
	Type       ActionType
	Label      LocalizedText
	State      ActionState
	DoneAt     *time.Time
	// download: the attachment, by the id the signal gave it and by ME's id.
	AttachmentSignalID string
	AttachmentID       string
	// complete: the e-service that handles the completion (komplettering),
	// the last day, and the case system's data for it as raw XML.
	EServiceID           string
	EServiceOrganisation string
	DueDate              string // YYYY-MM-DD, empty when none
	CompletionData       string
}

// Event is one event (händelse) on a case.
type Event struct {
	ID          string // ME's id
	CaseID      string
	ExternalID  string // the case system's id, unique within the case
	Time        time.Time
	Title, Text LocalizedText
	Notify      bool // notify the citizens by SMS/e-mail
	FromCitizen bool // made by a citizen's own action
	FromHandler bool // the case handler's e-mail reply (svar från handläggaren)
	// Author is the personnummer of the citizen whose action made it
	// (FromCitizen); empty for the case system's events, and when ME does
	// not know which of the case's citizens it was.
	Author      string
	Attachments []Attachment
	Actions     []Action
	Created     time.Time
	ReadAt      *time.Time // in a CaseView: when the citizen first read it
}

// Signal is what a case-management system tells ME in one SHS message: one
// event on one case, and who the case concerns.
type Signal struct {
	Case     Case // ID, Citizens, Created and Updated are ME's to set
	Citizens []Citizen
	Event    Event // IDs are ME's to set
}

// CaseFilter selects a citizen's cases for ListCases.
type CaseFilter struct {
	PersonalIdentityNumber string   // required: only this citizen's cases
	Organisations          []string // required: only these organisations' cases
	Status                 CaseStatus
	UnreadOnly             bool
	IncludeArchived        bool
	UpdatedSince           time.Time // zero for any
	PageSize               int
	PageToken              string // from the previous page; empty for the first
}

// CaseSummary is a case in a citizen's listing: what they see before
// opening it.
type CaseSummary struct {
	Case
	UnreadEvents     int
	LatestEventTitle LocalizedText
	Archived         bool // by this citizen
}

// CaseView is a case as one citizen sees it: its events newest first, each
// with whether this citizen has read it.
type CaseView struct {
	CaseSummary
	Events []Event // Event.ReadAt set for the events the citizen has read
}
