package interop_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hooklift/gowsdl/soap"

	"github.com/minaengagemang/me/generated/catalog"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
)

// goFlow is the generated Go client's run of the three flows: the clients
// of generated/portal, generated/catalog and generated/etjanst, what the
// earlier steps learned, and one result per operation.
type goFlow struct {
	s        *stack
	ctx      context.Context
	portal   portal.PortalPortType
	catalog  catalog.CatalogPortType
	etjanst  etjanst.EServicePortType
	citizen  portal.PersonalIdentityNumber
	log      strings.Builder
	name     string // the published e-service's Swedish name
	start    etjanst.Ticket
	caseID   portal.Identifier
	event    portal.Identifier // the older event: attachment, download, message, complete
	attach   portal.Identifier
	complete portal.Identifier
	profile  *portal.CitizenProfile
	ticket   etjanst.Ticket // the completion ticket
	redeemed *etjanst.Completion
}

// runGo is the stack "go": the generated Go client (ME's own generated/
// packages, made by gowsdl), called in process with the stack's
// environment, reporting like a run.sh does.
func runGo(t *testing.T, s *stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := func(service, user string) *soap.Client {
		return soap.NewClient(s.env["INTEROP_URL"]+"/soap/"+service,
			soap.WithBasicAuth(s.env[user], s.env["INTEROP_PASSWORD"]), soap.WithTimeout(30*time.Second))
	}
	f := &goFlow{
		s:       s,
		ctx:     ctx,
		portal:  portal.NewPortalPortType(client("portal", "INTEROP_PORTAL_CLIENT")),
		catalog: catalog.NewCatalogPortType(client("catalog", "INTEROP_CATALOG_CLIENT")),
		etjanst: etjanst.NewEServicePortType(client("etjanst", "INTEROP_ETJANST_CLIENT")),
		citizen: portal.PersonalIdentityNumber(s.env["INTEROP_CITIZEN"]),
		name:    "Ansökan om bygglov för altan, åäö ÅÄÖ (go)",
	}
	steps := []struct {
		op  string
		run func() error
	}{
		{"PublishEService", f.publish},
		{"ListOwnEServices", f.listOwn},
		{"fault:catalog", f.catalogFault},
		{"ListEServices", f.listEServices},
		{"GetEService", f.getEService},
		{"CreateStartTicket", f.startTicket},
		{"RedeemTicket", f.redeemStart},
		{"fault:etjanst", f.etjanstFault},
		{"ListCases", f.listCases},
		{"GetCase", f.getCase},
		{"fault:portal", f.portalFault},
		{"MarkEventRead", f.markRead},
		{"GetAttachment", f.getAttachment},
		{"SendMessageToHandler", f.sendMessage},
		{"GetCitizenProfile", f.getProfile},
		{"UpdateCitizenProfile", f.updateProfile},
		{"CreateCompletionTicket", f.completionTicket},
		{"RedeemTicket", f.redeemCompletion},
		{"ReportCompletion", f.reportCompletion},
		{"ArchiveCase", f.archive},
		{"WithdrawEService", f.withdraw},
	}
	for _, step := range steps {
		outcome := "ok"
		if err := step.run(); err != nil {
			outcome = "FAIL " + strings.Join(strings.Fields(err.Error()), " ")
		}
		fmt.Fprintf(&f.log, "RESULT %s %s\n", step.op, outcome)
		if _, seen := s.result[step.op]; !seen || s.result[step.op] == "ok" {
			s.result[step.op] = outcome // the first failure stands
		}
	}
	s.output = f.log.String()
}

// callErr describes a failed call, with the MEFault's code when ME sent one.
func callErr(op string, err error) error {
	if f, ok := portal.AsMEFault(err); ok {
		return fmt.Errorf("%s: fault %s: %s", op, f.Code, f.Message)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// wantFault checks that err is a SOAP fault whose typed MEFault detail has
// one of codes.
func wantFault(err error, codes ...portal.FaultCode) error {
	if err == nil {
		return errors.New("the call succeeded; a fault was expected")
	}
	f, ok := portal.AsMEFault(err)
	if !ok {
		return fmt.Errorf("no MEFault in the error: %v", err)
	}
	if !slices.Contains(codes, f.Code) {
		return fmt.Errorf("MEFault code %q, want one of %v", f.Code, codes)
	}
	return nil
}

var errEarlier = errors.New("an earlier step failed")

// --- catalog ---------------------------------------------------------------

func (f *goFlow) publish() error {
	id := catalog.Identifier(f.s.env["INTEROP_ESERVICE_ID"])
	r, err := f.catalog.PublishEServiceContext(f.ctx, &catalog.PublishEService{EService: catalog.EServiceDescription{
		Id:                  id,
		Name:                catalog.LocalizedText{Sv: catalog.LongText(f.name)},
		Description:         catalog.LocalizedText{Sv: "Ansök om bygglov för en altan på din tomt."},
		StartUrl:            catalog.HTTPURL("https://etjanst.example/" + id),
		AuthenticationLevel: 3,
	}})
	if err != nil {
		return callErr("PublishEService", err)
	}
	e := r.PublishedEService
	switch {
	case e.Id != id:
		return fmt.Errorf("published id %q", e.Id)
	case string(e.Name.Sv) != f.name:
		return fmt.Errorf("published name %q, want %q", e.Name.Sv, f.name)
	case e.Name.En != nil || e.Contact != nil || e.Withdrawn != nil || len(e.Area) != 0:
		return fmt.Errorf("optional elements present that were not sent: %+v", e)
	case e.TicketParameter != "ticket":
		return fmt.Errorf("ticketParameter %q, want the default", e.TicketParameter)
	}
	return nil
}

func (f *goFlow) listOwn() error {
	r, err := f.catalog.ListOwnEServicesContext(f.ctx, &catalog.ListOwnEServices{})
	if err != nil {
		return callErr("ListOwnEServices", err)
	}
	return findEService(r.EService, f.s.env["INTEROP_ESERVICE_ID"])
}

func findEService(list []catalog.EService, id string) error {
	var ids []string
	for _, e := range list {
		if string(e.Id) == id {
			return nil
		}
		ids = append(ids, string(e.Id))
	}
	return fmt.Errorf("%s not among %v", id, ids)
}

func (f *goFlow) catalogFault() error {
	_, err := f.catalog.WithdrawEServiceContext(f.ctx, &catalog.WithdrawEService{EServiceId: "interop-finns-inte"})
	return wantFault(err, catalog.FaultCodeNotFound)
}

func (f *goFlow) withdraw() error {
	id := catalog.Identifier(f.s.env["INTEROP_ESERVICE_ID"])
	r, err := f.catalog.WithdrawEServiceContext(f.ctx, &catalog.WithdrawEService{EServiceId: id})
	if err != nil {
		return callErr("WithdrawEService", err)
	}
	if r.EService.Id != id || r.EService.Withdrawn == nil {
		return fmt.Errorf("withdrawn %q, withdrawal date %v", r.EService.Id, r.EService.Withdrawn)
	}
	return nil
}

// --- portal: e-services and the start ticket ---------------------------------

func (f *goFlow) listEServices() error {
	r, err := f.portal.ListEServicesContext(f.ctx, &portal.ListEServices{})
	if err != nil {
		return callErr("ListEServices", err)
	}
	return findEService(r.EService, f.s.env["INTEROP_START_ESERVICE"])
}

func (f *goFlow) getEService() error {
	id := portal.Identifier(f.s.env["INTEROP_ESERVICE_ID"])
	r, err := f.portal.GetEServiceContext(f.ctx, &portal.GetEService{EServiceId: id})
	if err != nil {
		return callErr("GetEService", err)
	}
	if r.EService.Id != id || string(r.EService.Name.Sv) != f.name {
		return fmt.Errorf("e-service %q named %q, want %q", r.EService.Id, r.EService.Name.Sv, f.name)
	}
	return nil
}

func (f *goFlow) startTicket() error {
	r, err := f.portal.CreateStartTicketContext(f.ctx, &portal.CreateStartTicket{
		Citizen: f.citizen, EServiceId: portal.Identifier(f.s.env["INTEROP_START_ESERVICE"])})
	if err != nil {
		return callErr("CreateStartTicket", err)
	}
	t := r.Ticket
	if t.Ticket == "" || !strings.Contains(string(t.Url), string(t.Ticket)) {
		return fmt.Errorf("ticket %q not in url %q", t.Ticket, t.Url)
	}
	f.start = t.Ticket
	return nil
}

func (f *goFlow) redeemStart() error {
	if f.start == "" {
		return fmt.Errorf("no start ticket: %w", errEarlier)
	}
	r, err := f.etjanst.RedeemTicketContext(f.ctx, &etjanst.RedeemTicket{Ticket: f.start})
	if err != nil {
		return callErr("RedeemTicket", err)
	}
	switch {
	case r.Purpose != etjanst.TicketPurposeStart:
		return fmt.Errorf("purpose %q", r.Purpose)
	case string(r.EServiceId) != f.s.env["INTEROP_START_ESERVICE"]:
		return fmt.Errorf("eServiceId %q", r.EServiceId)
	case r.Citizen.PersonalIdentityNumber != f.citizen:
		return fmt.Errorf("citizen %q", r.Citizen.PersonalIdentityNumber)
	case r.Completion != nil:
		return errors.New("completion present on a start ticket")
	}
	return nil
}

func (f *goFlow) etjanstFault() error {
	ticket := f.start // redeemed: TicketUsed
	if ticket == "" {
		ticket = etjanst.Ticket(strings.Repeat("A", 32))
	}
	_, err := f.etjanst.RedeemTicketContext(f.ctx, &etjanst.RedeemTicket{Ticket: ticket})
	return wantFault(err, etjanst.FaultCodeTicketUsed, etjanst.FaultCodeInvalidTicket)
}

// --- portal: the citizen's case ------------------------------------------------

func (f *goFlow) listCases() error {
	want := f.s.env["INTEROP_CASE_NUMBER"]
	var token *portal.PageToken
	var seen []string
	for {
		page, err := f.portal.ListCasesContext(f.ctx, &portal.ListCases{Citizen: f.citizen, PageToken: token})
		if err != nil {
			return callErr("ListCases", err)
		}
		for _, c := range page.CaseSummary {
			if c.CaseNumber != nil && string(*c.CaseNumber) == want {
				if !strings.Contains(string(c.Title.Sv), "åäö ÅÄÖ") {
					return fmt.Errorf("title %q", c.Title.Sv)
				}
				f.caseID = c.Id
				return nil
			}
			seen = append(seen, fmt.Sprintf("%q (%v)", c.Title.Sv, deref(c.CaseNumber)))
		}
		if page.NextPageToken == nil {
			return fmt.Errorf("no case %q in ListCases; its cases: %v", want, seen)
		}
		token = page.NextPageToken
	}
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

func (f *goFlow) getCase() error {
	if f.caseID == "" {
		return fmt.Errorf("no case: %w", errEarlier)
	}
	r, err := f.portal.GetCaseContext(f.ctx, &portal.GetCase{Citizen: f.citizen, CaseId: f.caseID})
	if err != nil {
		return callErr("GetCase", err)
	}
	d := r.CaseDetail
	if d.Summary.Id != f.caseID || d.Summary.Status != portal.CaseStatusClosed {
		return fmt.Errorf("case %q with status %q", d.Summary.Id, d.Summary.Status)
	}
	if len(d.CaseEvent) < 2 {
		return fmt.Errorf("%d events, want 2", len(d.CaseEvent))
	}
	newer, older := d.CaseEvent[0], d.CaseEvent[1]
	if len(newer.Action) != 1 || newer.Action[0].Type_ != portal.ActionTypeArchive {
		return fmt.Errorf("newer event's actions %v, want archive", actionTypes(newer))
	}
	actions := map[portal.ActionType]portal.Action{}
	for _, a := range older.Action {
		actions[a.Type_] = a
	}
	if len(actions) != 3 || actions[portal.ActionTypeDownload].Id == "" || actions[portal.ActionTypeMessage].Id == "" ||
		actions[portal.ActionTypeComplete].Id == "" {
		return fmt.Errorf("older event's actions %v, want download, message, complete", actionTypes(older))
	}
	if len(older.Attachment) != 1 {
		return fmt.Errorf("%d attachments, want 1", len(older.Attachment))
	}
	att := older.Attachment[0]
	switch {
	case att.FileName != "bilaga åäö.txt":
		return fmt.Errorf("attachment name %q", att.FileName)
	case att.Size != int64(len(attachment)):
		return fmt.Errorf("attachment size %d, want %d", att.Size, len(attachment))
	case deref(actions[portal.ActionTypeDownload].AttachmentId) != att.Id:
		return errors.New("the download action names another attachment")
	case actions[portal.ActionTypeComplete].EServiceId == nil:
		return errors.New("the complete action has no eServiceId")
	case actions[portal.ActionTypeMessage].DueDate != nil:
		return errors.New("the message action has a dueDate")
	}
	f.event, f.attach, f.complete = older.Id, att.Id, actions[portal.ActionTypeComplete].Id
	return nil
}

func actionTypes(e portal.Event) []portal.ActionType {
	var types []portal.ActionType
	for _, a := range e.Action {
		types = append(types, a.Type_)
	}
	return types
}

func (f *goFlow) portalFault() error {
	_, err := f.portal.GetCaseContext(f.ctx, &portal.GetCase{Citizen: f.citizen, CaseId: "finns-inte-0000"})
	return wantFault(err, portal.FaultCodeNotFound)
}

func (f *goFlow) markRead() error {
	if f.event == "" {
		return fmt.Errorf("no event: %w", errEarlier)
	}
	r, err := f.portal.MarkEventReadContext(f.ctx, &portal.MarkEventRead{Citizen: f.citizen, EventId: f.event})
	if err != nil {
		return callErr("MarkEventRead", err)
	}
	if r.ReadAt.ToGoTime().IsZero() {
		return errors.New("no readAt")
	}
	return nil
}

func (f *goFlow) getAttachment() error {
	if f.attach == "" {
		return fmt.Errorf("no attachment: %w", errEarlier)
	}
	r, err := f.portal.GetAttachmentContext(f.ctx, &portal.GetAttachment{Citizen: f.citizen, AttachmentId: f.attach})
	if err != nil {
		return callErr("GetAttachment", err)
	}
	want, err := base64.StdEncoding.DecodeString(f.s.env["INTEROP_ATTACHMENT_B64"])
	if err != nil {
		return err
	}
	switch {
	case !bytes.Equal(r.Content, want):
		return fmt.Errorf("content %q, want %q", r.Content, want)
	case r.FileName != "bilaga åäö.txt" || r.MediaType != "text/plain":
		return fmt.Errorf("file %q of type %q", r.FileName, r.MediaType)
	}
	return nil
}

func (f *goFlow) sendMessage() error {
	if f.event == "" {
		return fmt.Errorf("no event: %w", errEarlier)
	}
	r, err := f.portal.SendMessageToHandlerContext(f.ctx, &portal.SendMessageToHandler{
		Citizen: f.citizen, CaseId: f.caseID, EventId: f.event, Text: "Hej! Bifogar ritningen för Solrosen 4 – åäö ÅÄÖ."})
	if err != nil {
		return callErr("SendMessageToHandler", err)
	}
	if r.MessageEventId == "" || r.MessageEventId == f.event {
		return fmt.Errorf("messageEventId %q", r.MessageEventId)
	}
	got, err := f.portal.GetCaseContext(f.ctx, &portal.GetCase{Citizen: f.citizen, CaseId: f.caseID})
	if err != nil {
		return callErr("GetCase after SendMessageToHandler", err)
	}
	for _, e := range got.CaseDetail.CaseEvent {
		if e.Id == r.MessageEventId && e.FromCitizen {
			return nil
		}
	}
	return errors.New("the message event is not on the case as the citizen's")
}

// --- portal: the profile ---------------------------------------------------------

func (f *goFlow) getProfile() error {
	r, err := f.portal.GetCitizenProfileContext(f.ctx, &portal.GetCitizenProfile{Citizen: f.citizen})
	if err != nil {
		return callErr("GetCitizenProfile", err)
	}
	p := r.Profile
	if p.PersonalIdentityNumber != f.citizen || (p.Language != portal.LanguageSv && p.Language != portal.LanguageEn) {
		return fmt.Errorf("profile of %q in language %q", p.PersonalIdentityNumber, p.Language)
	}
	f.profile = &p
	return nil
}

func (f *goFlow) updateProfile() error {
	if f.profile == nil {
		return fmt.Errorf("no profile: %w", errEarlier)
	}
	// The profile as read, with an e-mail address; its absent optional
	// elements (address, mobile, …) stay absent.
	p := *f.profile
	email := portal.EmailAddress("tolvan.go@example.se")
	p.Email = &email
	r, err := f.portal.UpdateCitizenProfileContext(f.ctx, &portal.UpdateCitizenProfile{Profile: p})
	if err != nil {
		return callErr("UpdateCitizenProfile", err)
	}
	s := r.StoredProfile
	switch {
	case deref(s.Email) != email:
		return fmt.Errorf("stored email %q", deref(s.Email))
	case s.PersonalIdentityNumber != f.citizen:
		return fmt.Errorf("stored citizen %q", s.PersonalIdentityNumber)
	case s.Mobile != nil:
		return fmt.Errorf("stored mobile %q, sent none", *s.Mobile)
	}
	again, err := f.portal.GetCitizenProfileContext(f.ctx, &portal.GetCitizenProfile{Citizen: f.citizen})
	if err != nil {
		return callErr("GetCitizenProfile after UpdateCitizenProfile", err)
	}
	if deref(again.Profile.Email) != email {
		return fmt.Errorf("email read back %q", deref(again.Profile.Email))
	}
	return nil
}

// --- completion ---------------------------------------------------------------------

func (f *goFlow) completionTicket() error {
	if f.complete == "" {
		return fmt.Errorf("no complete action: %w", errEarlier)
	}
	r, err := f.portal.CreateCompletionTicketContext(f.ctx, &portal.CreateCompletionTicket{
		Citizen: f.citizen, EventId: f.event, ActionId: f.complete})
	if err != nil {
		return callErr("CreateCompletionTicket", err)
	}
	if r.Ticket.Ticket == "" || !strings.Contains(string(r.Ticket.Url), string(r.Ticket.Ticket)) {
		return fmt.Errorf("ticket %q not in url %q", r.Ticket.Ticket, r.Ticket.Url)
	}
	f.ticket = r.Ticket.Ticket
	return nil
}

func (f *goFlow) redeemCompletion() error {
	if f.ticket == "" {
		return fmt.Errorf("no completion ticket: %w", errEarlier)
	}
	r, err := f.etjanst.RedeemTicketContext(f.ctx, &etjanst.RedeemTicket{Ticket: f.ticket})
	if err != nil {
		return callErr("RedeemTicket", err)
	}
	c := r.Completion
	switch {
	case r.Purpose != etjanst.TicketPurposeCompletion:
		return fmt.Errorf("purpose %q", r.Purpose)
	case r.Citizen.PersonalIdentityNumber != f.citizen:
		return fmt.Errorf("citizen %q", r.Citizen.PersonalIdentityNumber)
	case c == nil:
		return errors.New("no completion")
	case c.CaseId != f.caseID || c.ActionId != f.complete:
		return fmt.Errorf("completion of %s/%s", c.CaseId, c.ActionId)
	case string(deref(c.CaseNumber)) != f.s.env["INTEROP_CASE_NUMBER"]:
		return fmt.Errorf("caseNumber %q", deref(c.CaseNumber))
	case c.Data == nil:
		return errors.New("no completion data")
	}
	if err := completionData(c.Data.InnerXML, f.s.env["INTEROP_COMPLETION_TEXT"]); err != nil {
		return err
	}
	f.redeemed = c
	return nil
}

// completionData checks the xs:any content the generated client keeps as
// raw XML: the case system's element, in its namespace, with the text.
func completionData(inner, text string) error {
	d := xml.NewDecoder(strings.NewReader(inner))
	var found bool
	var chars strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("completion data %q: %w", inner, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			found = found || tok.Name == xml.Name{Space: "urn:example:interop", Local: "begäran"}
		case xml.CharData:
			chars.Write(tok)
		}
	}
	if !found || !strings.Contains(chars.String(), text) {
		return fmt.Errorf("completion data %q lacks {urn:example:interop}begäran with %q", inner, text)
	}
	return nil
}

func (f *goFlow) reportCompletion() error {
	if f.redeemed == nil {
		return fmt.Errorf("no completion: %w", errEarlier)
	}
	ref, citizen := etjanst.ShortText("GO-1"), f.citizen
	r, err := f.etjanst.ReportCompletionContext(f.ctx, &etjanst.ReportCompletion{
		CaseId: f.redeemed.CaseId, ActionId: f.redeemed.ActionId, Reference: &ref, Citizen: &citizen})
	if err != nil {
		return callErr("ReportCompletion", err)
	}
	if r.EventId == "" {
		return errors.New("no eventId")
	}
	return nil
}

// --- last: archive -------------------------------------------------------------------

func (f *goFlow) archive() error {
	if f.caseID == "" {
		return fmt.Errorf("no case: %w", errEarlier)
	}
	r, err := f.portal.ArchiveCaseContext(f.ctx, &portal.ArchiveCase{Citizen: f.citizen, CaseId: f.caseID})
	if err != nil {
		return callErr("ArchiveCase", err)
	}
	if r.ArchivedAt.ToGoTime().IsZero() {
		return errors.New("no archivedAt")
	}
	got, err := f.portal.GetCaseContext(f.ctx, &portal.GetCase{Citizen: f.citizen, CaseId: f.caseID})
	if err != nil {
		return callErr("GetCase after ArchiveCase", err)
	}
	if !got.CaseDetail.Summary.Archived {
		return errors.New("the case is not archived")
	}
	return nil
}
