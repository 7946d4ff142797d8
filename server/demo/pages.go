package demo

import (
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/minaengagemang/me/generated/portal"
)

// demoCitizens are the personnummer offered on the login page: Skatteverket's
// well-known test identities.
var demoCitizens = []struct{ Pnr, Name string }{
	{"191212121212", "Tolvan Tolvansson"},
	{"198112289874", "Åsa Tolvansson"},
}

var statusText = map[portal.CaseStatus]string{
	portal.CaseStatusReceived:        "Inkommet",
	portal.CaseStatusInProgress:      "Under handläggning",
	portal.CaseStatusAwaitingCitizen: "Väntar på dig",
	portal.CaseStatusDecided:         "Beslutat",
	portal.CaseStatusClosed:          "Avslutat",
}

var areaText = map[string]string{
	"bygga-bo":      "Bygga och bo",
	"utbildning":    "Utbildning och förskola",
	"miljö-natur":   "Miljö och natur",
	"omsorg":        "Omsorg och stöd",
	"trafik":        "Trafik och infrastruktur",
	"kultur-fritid": "Kultur och fritid",
}

func areaName(a string) string {
	if n, ok := areaText[a]; ok {
		return n
	}
	return a
}

func sv(t portal.LocalizedText) string { return string(t.Sv) }

func svp(t *portal.LocalizedText) string {
	if t == nil {
		return ""
	}
	return string(t.Sv)
}

func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// ---- login ----

type loginData struct {
	Citizens []struct{ Pnr, Name string }
	Return   string
	Error    string
	Chosen   string // the radio button chosen: a test person's personnummer or "annat"
	Typed    string // what was typed under "Annat personnummer"
}

func (d *demo) loginPage(w http.ResponseWriter, r *http.Request) {
	s := ensureSession(w, r)
	d.render(w, http.StatusOK, "login", d.newPage(s, "Logga in", "login", loginData{Citizens: demoCitizens, Chosen: demoCitizens[0].Pnr, Return: safeReturn(r.URL.Query().Get("atergang"))}))
}

// safeReturn keeps only a path of the demo itself.
func safeReturn(p string) string {
	if strings.HasPrefix(p, Prefix) && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n") && !strings.HasPrefix(p, Prefix+"etjanst/") {
		return p
	}
	return ""
}

func (d *demo) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	s, ok := readSession(r)
	if !ok || !checkCSRF(r, s) {
		d.forbidden(w, r)
		return
	}
	chosen, typed := r.PostFormValue("pnr"), strings.TrimSpace(r.PostFormValue("annat"))
	choice := chosen
	if chosen == "annat" || chosen == "" {
		chosen, choice = "annat", typed
	}
	pnr := normalisePnr(choice)
	if !validPnr(pnr) {
		// Keep "Annat personnummer" and what was typed, so that the next
		// click does not log in as the first test person.
		d.render(w, http.StatusBadRequest, "login", d.newPage(s, "Logga in", "login", loginData{
			Citizens: demoCitizens, Return: safeReturn(r.PostFormValue("atergang")), Chosen: chosen, Typed: typed,
			Error: "Skriv ett personnummer med 12 siffror, ÅÅÅÅMMDD-NNNN, med rätt kontrollsiffra.",
		}))
		return
	}
	// A new token at login.
	writeSession(w, r, session{token: randomToken(), pnr: pnr})
	to := safeReturn(r.PostFormValue("atergang"))
	if to == "" || to == Prefix {
		to = Prefix + "arenden"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (d *demo) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if s, ok := readSession(r); !ok || !checkCSRF(r, s) {
		d.forbidden(w, r)
		return
	}
	writeSession(w, r, session{token: randomToken()})
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// ---- Mina ärenden ----

type caseRow struct {
	ID, Title, CaseNumber, Organisation, Status, StatusCode, Updated, Latest string
	Unread                                                                   int32
	Archived                                                                 bool
}

type casesData struct {
	Cases           []caseRow
	IncludeArchived bool
	Next            string
	Archived        bool // a case was just archived
}

func (d *demo) casesPage(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	req := &portal.ListCases{Citizen: portal.PersonalIdentityNumber(s.pnr)}
	data := casesData{IncludeArchived: q.Get("arkiverade") == "1", Archived: q.Get("arkiverat") == "1"}
	if data.IncludeArchived {
		t := true
		req.IncludeArchived = &t
	}
	if tok := q.Get("sida"); tok != "" {
		pt := portal.PageToken(tok)
		req.PageToken = &pt
	}
	res, err := d.portal.ListCasesContext(r.Context(), req)
	if err != nil {
		d.fail(w, r, "ListCases", err)
		return
	}
	for _, c := range res.CaseSummary {
		data.Cases = append(data.Cases, caseRow{
			ID: string(c.Id), Title: sv(c.Title), CaseNumber: str(c.CaseNumber), Organisation: string(c.OrganisationName),
			Status: statusText[c.Status], StatusCode: string(c.Status), Updated: d.formatTime(c.Updated.ToGoTime()),
			Latest: svp(c.LatestEventTitle), Unread: c.UnreadEvents, Archived: c.Archived,
		})
	}
	if res.NextPageToken != nil {
		v := url.Values{"sida": {string(*res.NextPageToken)}}
		if data.IncludeArchived {
			v.Set("arkiverade", "1")
		}
		data.Next = Prefix + "arenden?" + v.Encode()
	}
	d.render(w, http.StatusOK, "cases", d.newPage(s, "Mina ärenden", "arenden", data))
}

// ---- one case ----

// attachmentView is an attachment no download action offers.
type attachmentView struct {
	ID, FileName, MediaType, Size string
}

type actionView struct {
	ID, Type, Label, DueDate, FileName, FileSize, AttachmentID string
	Done                                                       bool
	CanArchive                                                 bool
}

type eventView struct {
	ID, Time, Title, Text string
	From                  string // whose action made it, for a citizen's event
	New                   bool
	Attachments           []attachmentView
	Actions               []actionView
}

type caseData struct {
	ID, Title, CaseNumber, Organisation, Status, StatusCode, Handler, Latest string
	Archived                                                                 bool
	Events                                                                   []eventView
	Sent                                                                     bool
}

var defaultLabel = map[portal.ActionType]string{
	portal.ActionTypeDownload: "Hämta bilagan",
	portal.ActionTypeMessage:  "Skicka meddelande till handläggaren",
	portal.ActionTypeComplete: "Komplettera ärendet",
	portal.ActionTypeArchive:  "Arkivera ärendet",
}

func (d *demo) casePage(w http.ResponseWriter, r *http.Request, s session) {
	res, err := d.portal.GetCaseContext(r.Context(), &portal.GetCase{Citizen: portal.PersonalIdentityNumber(s.pnr), CaseId: portal.Identifier(r.PathValue("caseId"))})
	if err != nil {
		d.fail(w, r, "GetCase", err)
		return
	}
	c := res.CaseDetail
	sum := c.Summary
	data := caseData{
		ID: string(sum.Id), Title: sv(sum.Title), CaseNumber: str(sum.CaseNumber), Organisation: string(sum.OrganisationName),
		Status: statusText[sum.Status], StatusCode: string(sum.Status), Handler: str(c.HandlerName),
		Archived: sum.Archived, Sent: r.URL.Query().Get("skickat") == "1",
	}
	events := c.CaseEvent
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time.ToGoTime().After(events[j].Time.ToGoTime()) })
	if len(events) > 0 {
		// The case system's dates only, as on the events below: when ME
		// heard of the case (summary created/updated) can be months after
		// the events it was told of.
		data.Latest = d.formatTime(events[0].Time.ToGoTime())
	}
	// ArchiveCase asks the case system's latest event (the newest not from
	// a citizen) for its archive action: only that event's button works.
	latest := slices.IndexFunc(events, func(ev portal.Event) bool { return !ev.FromCitizen })
	for i, ev := range events {
		own := ev.FromCitizen && ev.Author != nil && string(*ev.Author) == s.pnr
		// The citizen's own message or completion is not news to them.
		v := eventView{ID: string(ev.Id), Time: d.formatTime(ev.Time.ToGoTime()), Title: sv(ev.Title), Text: svp(ev.Text), From: from(ev, s.pnr), New: !ev.Read && !own}
		if !ev.Read {
			// Shown now: read on every portal.
			if _, err := d.portal.MarkEventReadContext(r.Context(), &portal.MarkEventRead{Citizen: portal.PersonalIdentityNumber(s.pnr), EventId: ev.Id}); err != nil {
				d.log.Warn("MarkEventRead failed", "event", string(ev.Id))
			}
		}
		downloadable := map[string]bool{}
		files := map[string]portal.AttachmentInfo{}
		for _, a := range ev.Attachment {
			files[string(a.Id)] = a
		}
		for _, a := range ev.Action {
			if a.Type_ == portal.ActionTypeArchive && i != latest {
				continue // superseded by the case system's later events
			}
			av := actionView{ID: string(a.Id), Type: string(a.Type_), Label: svp(a.Label), Done: a.State == portal.ActionStateDone}
			if av.Label == "" {
				av.Label = defaultLabel[a.Type_]
			}
			if a.DueDate != nil {
				av.DueDate = formatDate(a.DueDate.ToGoTime())
			}
			if a.AttachmentId != nil {
				av.AttachmentID = string(*a.AttachmentId)
				if f, ok := files[av.AttachmentID]; ok {
					av.FileName, av.FileSize = string(f.FileName), formatSize(f.Size)
				}
				downloadable[av.AttachmentID] = true
			}
			av.CanArchive = a.Type_ == portal.ActionTypeArchive && sum.Status == portal.CaseStatusClosed && !sum.Archived
			v.Actions = append(v.Actions, av)
		}
		// Each attachment once: one a download action offers is shown
		// with that action's button, the others in the list.
		for _, a := range ev.Attachment {
			if downloadable[string(a.Id)] {
				continue
			}
			v.Attachments = append(v.Attachments, attachmentView{
				ID: string(a.Id), FileName: string(a.FileName), MediaType: string(a.MediaType), Size: formatSize(a.Size),
			})
		}
		data.Events = append(data.Events, v)
	}
	d.render(w, http.StatusOK, "case", d.newPage(s, data.Title, "arenden", data))
}

// from says whose action made a citizen's event: the logged-in citizen's
// own, a co-applicant's (another citizen of the case), or, when ME does
// not know the author, one of the case's citizens. "" for the case
// system's events.
func from(ev portal.Event, pnr string) string {
	switch {
	case !ev.FromCitizen:
		return ""
	case ev.Author == nil:
		return "från en sökande i ärendet"
	case string(*ev.Author) == pnr:
		return "från dig"
	default:
		return "från medsökande"
	}
}

func formatSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " byte"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 0, 64) + " kB"
	default:
		return strings.Replace(strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64), ".", ",", 1) + " MB"
	}
}

func (d *demo) sendMessage(w http.ResponseWriter, r *http.Request, s session) {
	caseID := r.PathValue("caseId")
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		d.showProblem(w, r, http.StatusBadRequest, problem{Heading: "Meddelandet är tomt", Text: "Skriv ett meddelande innan du skickar.", Back: Prefix + "arenden/" + url.PathEscape(caseID), BackText: "Tillbaka till ärendet"})
		return
	}
	res, err := d.portal.SendMessageToHandlerContext(r.Context(), &portal.SendMessageToHandler{
		Citizen: portal.PersonalIdentityNumber(s.pnr), CaseId: portal.Identifier(caseID),
		EventId: portal.Identifier(r.PostFormValue("event")), Text: portal.MessageText(text),
	})
	if err != nil {
		d.fail(w, r, "SendMessageToHandler", err)
		return
	}
	d.markRead(r, s.pnr, string(res.MessageEventId))
	http.Redirect(w, r, Prefix+"arenden/"+url.PathEscape(caseID)+"?skickat=1", http.StatusSeeOther)
}

func (d *demo) complete(w http.ResponseWriter, r *http.Request, s session) {
	res, err := d.portal.CreateCompletionTicketContext(r.Context(), &portal.CreateCompletionTicket{
		Citizen: portal.PersonalIdentityNumber(s.pnr), EventId: portal.Identifier(r.PostFormValue("event")),
		ActionId: portal.Identifier(r.PostFormValue("action")),
	})
	if err != nil {
		d.fail(w, r, "CreateCompletionTicket", err)
		return
	}
	redirectToTicket(w, r, string(res.Ticket.Url))
}

// markRead marks an event the citizen made themselves read, so that
// neither the case list's count nor the case page calls it new.
func (d *demo) markRead(r *http.Request, pnr, eventID string) {
	if eventID == "" {
		return
	}
	if _, err := d.portal.MarkEventReadContext(r.Context(), &portal.MarkEventRead{Citizen: portal.PersonalIdentityNumber(pnr), EventId: portal.Identifier(eventID)}); err != nil {
		d.log.Warn("MarkEventRead failed", "event", eventID)
	}
}

// redirectToTicket sends the browser on to the e-service with its ticket.
func redirectToTicket(w http.ResponseWriter, r *http.Request, u string) {
	w.Header().Set("Location", u) // as ME built it; http.Redirect would re-clean it
	w.WriteHeader(http.StatusSeeOther)
}

func (d *demo) archive(w http.ResponseWriter, r *http.Request, s session) {
	_, err := d.portal.ArchiveCaseContext(r.Context(), &portal.ArchiveCase{Citizen: portal.PersonalIdentityNumber(s.pnr), CaseId: portal.Identifier(r.PathValue("caseId"))})
	if err != nil {
		d.fail(w, r, "ArchiveCase", err)
		return
	}
	http.Redirect(w, r, Prefix+"arenden?arkiverat=1", http.StatusSeeOther)
}

func (d *demo) attachment(w http.ResponseWriter, r *http.Request, s session) {
	res, err := d.portal.GetAttachmentContext(r.Context(), &portal.GetAttachment{Citizen: portal.PersonalIdentityNumber(s.pnr), AttachmentId: portal.Identifier(r.PathValue("id"))})
	if err != nil {
		d.fail(w, r, "GetAttachment", err)
		return
	}
	ct := contentType(string(res.MediaType), res.Content)
	name := string(res.FileName)
	if name == "" {
		name = "bilaga"
	}
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if cd == "" {
		cd = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", cd)
	h.Set("Content-Length", strconv.Itoa(len(res.Content)))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = w.Write(res.Content)
}

// contentType is the Content-Type to serve an attachment with: its media
// type as the case system gave it (ME passes it on as is), with
// "charset=utf-8" added to a text type without a charset when the content
// is UTF-8, so that å, ä and ö show right.
func contentType(mediaType string, content []byte) string {
	mt, params, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return "application/octet-stream"
	}
	if strings.HasPrefix(mt, "text/") && params["charset"] == "" && utf8.Valid(content) {
		if params == nil {
			params = map[string]string{}
		}
		params["charset"] = "utf-8"
	}
	if c := mime.FormatMediaType(mt, params); c != "" {
		return c
	}
	return "application/octet-stream"
}

// ---- e-tjänster ----

type eserviceView struct {
	ID, Name, NameEN, Description, Organisation, StartURL string
	Areas                                                 []areaView
	Level                                                 int32
	ContactName, ContactEmail, ContactPhone, ContactURL   string
	Published                                             string
}

type areaView struct{ ID, Name string }

type eservicesData struct {
	Areas    []areaView
	Area     string
	AreaName string
	Text     string
	List     []eserviceView
}

func (d *demo) toView(e portal.EService) eserviceView {
	v := eserviceView{ID: string(e.Id), Name: sv(e.Name), Description: sv(e.Description), Organisation: string(e.OrganisationName),
		StartURL: string(e.StartUrl), Level: int32(e.AuthenticationLevel), Published: d.formatTime(e.Published.ToGoTime())}
	if e.Name.En != nil {
		v.NameEN = string(*e.Name.En)
	}
	for _, a := range e.Area {
		v.Areas = append(v.Areas, areaView{ID: string(a), Name: areaName(string(a))})
	}
	if c := e.Contact; c != nil {
		v.ContactName, v.ContactEmail, v.ContactPhone, v.ContactURL = str(c.Name), str(c.Email), str(c.Phone), str(c.Url)
		if !strings.HasPrefix(v.ContactURL, "http://") && !strings.HasPrefix(v.ContactURL, "https://") {
			v.ContactURL = ""
		}
	}
	return v
}

func (d *demo) eservicesPage(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	data := eservicesData{Area: strings.TrimSpace(q.Get("omrade")), Text: strings.TrimSpace(q.Get("q"))}
	all, err := d.portal.ListEServicesContext(r.Context(), &portal.ListEServices{})
	if err != nil {
		d.fail(w, r, "ListEServices", err)
		return
	}
	seen := map[string]bool{}
	for _, e := range all.EService {
		for _, a := range e.Area {
			if !seen[string(a)] {
				seen[string(a)] = true
				data.Areas = append(data.Areas, areaView{ID: string(a), Name: areaName(string(a))})
			}
		}
	}
	sort.Slice(data.Areas, func(i, j int) bool { return data.Areas[i].Name < data.Areas[j].Name })
	list := all.EService
	if data.Area != "" || data.Text != "" {
		req := &portal.ListEServices{}
		if data.Area != "" {
			a := portal.Area(data.Area)
			req.Area = &a
			data.AreaName = areaName(data.Area)
		}
		if data.Text != "" {
			t := portal.ShortText(data.Text)
			req.Text = &t
		}
		res, err := d.portal.ListEServicesContext(r.Context(), req)
		if err != nil {
			d.fail(w, r, "ListEServices", err)
			return
		}
		list = res.EService
	}
	for _, e := range list {
		data.List = append(data.List, d.toView(e))
	}
	d.render(w, http.StatusOK, "eservices", d.newPage(s, "E-tjänster", "etjanster", data))
}

func (d *demo) eservicePage(w http.ResponseWriter, r *http.Request, s session) {
	res, err := d.portal.GetEServiceContext(r.Context(), &portal.GetEService{EServiceId: portal.Identifier(r.PathValue("id"))})
	if err != nil {
		d.fail(w, r, "GetEService", err)
		return
	}
	v := d.toView(res.EService)
	d.render(w, http.StatusOK, "eservice", d.newPage(s, v.Name, "etjanster", v))
}

func (d *demo) startEService(w http.ResponseWriter, r *http.Request, s session) {
	res, err := d.portal.CreateStartTicketContext(r.Context(), &portal.CreateStartTicket{Citizen: portal.PersonalIdentityNumber(s.pnr), EServiceId: portal.Identifier(r.PathValue("id"))})
	if err != nil {
		d.fail(w, r, "CreateStartTicket", err)
		return
	}
	redirectToTicket(w, r, string(res.Ticket.Url))
}

// ---- profile ----

type profileData struct {
	Pnr, GivenName, Surname          string
	CareOf, Street, PostalCode       string
	City, Country                    string
	Email, Mobile, Language, Channel string
	Updated                          bool
	Error                            string // about the whole form
	EmailError, MobileError          string // about one field, shown beside it
}

func profileView(p portal.CitizenProfile) profileData {
	v := profileData{Pnr: formatPnr(string(p.PersonalIdentityNumber)), GivenName: str(p.GivenName), Surname: str(p.Surname),
		Email: str(p.Email), Mobile: str(p.Mobile), Language: string(p.Language), Channel: string(p.NotificationChannel)}
	if a := p.Address; a != nil {
		v.CareOf, v.Street, v.PostalCode, v.City, v.Country = str(a.CareOf), string(a.Street), string(a.PostalCode), string(a.City), str(a.Country)
	}
	return v
}

func (d *demo) profilePage(w http.ResponseWriter, r *http.Request, s session) {
	res, err := d.portal.GetCitizenProfileContext(r.Context(), &portal.GetCitizenProfile{Citizen: portal.PersonalIdentityNumber(s.pnr)})
	if err != nil {
		d.fail(w, r, "GetCitizenProfile", err)
		return
	}
	v := profileView(res.Profile)
	v.Updated = r.URL.Query().Get("sparat") == "1"
	d.render(w, http.StatusOK, "profile", d.newPage(s, "Min profil", "profil", v))
}

const (
	mobileHelp = "Skriv ett mobilnummer med siffror, till exempel 070-123 45 67 eller +46 70 123 45 67."
	emailHelp  = "Skriv en e-postadress som namn@exempel.se."
)

var (
	e164RE  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
)

// normaliseMobile turns the ways Swedes write a mobile number
// (0701234567, 070-123 45 67, +46 70 123 45 67, +46 (0)70…, 0046 70…)
// into E.164 (+46701234567), as ME takes it. ok is false when what is
// left is not a number.
func normaliseMobile(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\t', '-', '\u2013', '.', '/':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.Replace(s, "(0)", "", 1)
	s = strings.NewReplacer("(", "", ")", "").Replace(s)
	switch {
	case strings.HasPrefix(s, "00"):
		s = "+" + s[2:]
	case strings.HasPrefix(s, "0"):
		s = "+46" + s[1:]
	}
	if strings.HasPrefix(s, "+460") {
		s = "+46" + s[4:] // "+46 070 …": the trunk zero does not belong
	}
	return s, e164RE.MatchString(s)
}

func (d *demo) saveProfile(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	cur, err := d.portal.GetCitizenProfileContext(ctx, &portal.GetCitizenProfile{Citizen: portal.PersonalIdentityNumber(s.pnr)})
	if err != nil {
		d.fail(w, r, "GetCitizenProfile", err)
		return
	}
	p := cur.Profile
	p.PersonalIdentityNumber = portal.PersonalIdentityNumber(s.pnr)
	email := strings.TrimSpace(r.PostFormValue("email"))
	mobile := strings.TrimSpace(r.PostFormValue("mobil"))
	switch lang := portal.Language(r.PostFormValue("sprak")); lang {
	case portal.LanguageSv, portal.LanguageEn:
		p.Language = lang
	}
	switch ch := portal.NotificationChannel(r.PostFormValue("avisering")); ch {
	case portal.NotificationChannelSms, portal.NotificationChannelEmail, portal.NotificationChannelBoth, portal.NotificationChannelNone:
		p.NotificationChannel = ch
	}
	// What the citizen typed goes back into the form on an error.
	again := func(v profileData) {
		v.Email, v.Mobile = email, mobile
		v.Language, v.Channel = string(p.Language), string(p.NotificationChannel)
		if v.Error == "" {
			v.Error = "Dina uppgifter sparades inte. Rätta det som är markerat och försök igen."
		}
		d.render(w, http.StatusBadRequest, "profile", d.newPage(s, "Min profil", "profil", v))
	}
	v := profileView(p)
	p.Email, p.Mobile = nil, nil
	if email != "" {
		if len(email) > 254 || !emailRE.MatchString(email) {
			v.EmailError = emailHelp
		} else {
			e := portal.EmailAddress(email)
			p.Email = &e
		}
	}
	if mobile != "" {
		if m, ok := normaliseMobile(mobile); ok {
			pm := portal.PhoneNumber(m)
			p.Mobile = &pm
		} else {
			v.MobileError = mobileHelp
		}
	}
	if v.EmailError != "" || v.MobileError != "" {
		again(v)
		return
	}
	_, err = d.portal.UpdateCitizenProfileContext(ctx, &portal.UpdateCitizenProfile{Profile: p})
	if f, ok := asFault(err); ok && (f.Code == "ValidationFailed" || f.Code == "Conflict") {
		// ME's message is English for integrators: the citizen gets
		// Swedish, beside the field ME names when it names one.
		d.log.Info("UpdateCitizenProfile fault", "code", f.Code, "message", f.Message, "element", f.Element, "reference", f.Reference)
		switch el := f.Element; {
		case f.Code == "ValidationFailed" && strings.Contains(el, "mobile"):
			v.MobileError = mobileHelp
		case f.Code == "ValidationFailed" && strings.Contains(el, "email"):
			v.EmailError = emailHelp
		default:
			text, _ := swedish(f.Code)
			v.Error = "Något gick fel: " + text
		}
		again(v)
		return
	}
	if err != nil {
		d.fail(w, r, "UpdateCitizenProfile", err)
		return
	}
	http.Redirect(w, r, Prefix+"profil?sparat=1", http.StatusSeeOther)
}
