package demo

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
)

// This file is the demo E-SERVICE: the site a ticket's URL leads to
// (/demo/etjanst/{eserviceId}?ticket=…). It redeems the ticket server to
// server as Config.EServiceUser, keeps what it got in a short in-memory
// session, and redirects to the same address without the ticket. The
// ticket is never logged or shown.

type eserviceData struct {
	EServiceID     string
	Name           string // the e-service's Swedish name
	Completion     bool
	Pnr            string
	GivenName      string
	Surname        string
	CareOf, Street string
	PostalCode     string
	City, Country  string
	Email, Mobile  string
	Language       string
	CaseNumber     string
	DueDate        string
	Fields         []field // the case system's completion data, readable
	Unreadable     bool    // there was completion data the demo cannot show
	Portal         string  // where the citizen came from
}

type receiptData struct {
	Name       string
	Completion bool
	Reference  string
	Already    bool
	CaseURL    string
}

func (d *demo) eserviceStart(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if ticket := r.URL.Query().Get(ticketParam); ticket != "" {
		d.redeem(w, r, id, ticket)
		return
	}
	sess, _ := d.eserviceSession(r)
	if sess == nil || sess.eserviceID != id {
		d.eserviceProblem(w, r, http.StatusBadRequest, "Starta e-tjänsten från portalen",
			"Du behöver starta e-tjänsten från Mina sidor, så att den kan fyllas i med dina uppgifter. Länken du följde gäller inte längre.")
		return
	}
	res := sess.res
	c := res.Citizen
	v := eserviceData{
		EServiceID: id, Name: sess.name, Completion: res.Completion != nil, Pnr: formatPnr(string(c.PersonalIdentityNumber)),
		GivenName: str(c.GivenName), Surname: str(c.Surname), Email: str(c.Email), Mobile: str(c.Mobile), Language: string(c.Language),
		Portal: Prefix + "arenden",
	}
	if a := c.Address; a != nil {
		v.CareOf, v.Street, v.PostalCode, v.City, v.Country = str(a.CareOf), string(a.Street), string(a.PostalCode), string(a.City), str(a.Country)
	}
	title := sess.name
	if comp := res.Completion; comp != nil {
		title = "Komplettering: " + sess.name
		v.CaseNumber = str(comp.CaseNumber)
		if comp.DueDate != nil {
			v.DueDate = formatDate(comp.DueDate.ToGoTime())
		}
		if comp.Data != nil && strings.TrimSpace(comp.Data.InnerXML) != "" {
			var ok bool
			if v.Fields, ok = completionFields(comp.Data.InnerXML); !ok {
				v.Fields, v.Unreadable = nil, true
			}
		}
	}
	p := page{Title: title, CSRF: sess.csrf, Org: formatOrgNumber(sess.org), OrgName: sess.orgName, EServiceSide: true, Data: v}
	d.render(w, http.StatusOK, "etjanst", p)
}

func (d *demo) redeem(w http.ResponseWriter, r *http.Request, id, ticket string) {
	user, org := d.eserviceClient(id)
	res, err := d.etjanst[user].RedeemTicketContext(r.Context(), &etjanst.RedeemTicket{Ticket: etjanst.Ticket(ticket)})
	if err != nil {
		if f, ok := asFault(err); ok {
			switch f.Code {
			case "InvalidTicket", "TicketExpired", "TicketUsed", "ValidationFailed":
				// A reload after the redirect lands here without the ticket;
				// an old link with it is answered like this.
				if sess, _ := d.eserviceSession(r); sess != nil && sess.eserviceID == id {
					http.Redirect(w, r, Prefix+"etjanst/"+url.PathEscape(id), http.StatusSeeOther)
					return
				}
				d.eserviceProblem(w, r, http.StatusBadRequest, "Länken gäller inte längre",
					"Något gick fel: länken till e-tjänsten gäller bara en gång och en kort stund. Gå tillbaka till portalen och starta e-tjänsten igen.")
				return
			}
			text, status := swedish(f.Code)
			d.log.Info("RedeemTicket fault", "code", f.Code, "message", f.Message, "reference", f.Reference)
			d.showProblem(w, r, status, problem{Heading: "Något gick fel", Text: "Något gick fel: " + text, Reference: f.Reference, Back: Prefix + "etjanster", BackText: "Tillbaka till e-tjänsterna"})
			return
		}
		d.fail(w, r, "RedeemTicket", err)
		return
	}
	eid := string(res.EServiceId)
	name, orgName := d.eserviceName(r, eid, org)
	sid := d.sessions.put(&eserviceSession{eserviceID: eid, name: name, org: org, orgName: orgName, client: user, csrf: randomToken(), res: res})
	http.SetCookie(w, &http.Cookie{
		Name: eserviceCookie, Value: sid, Path: Prefix + "etjanst/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
	// Take the ticket out of the address bar, the history and Referer.
	http.Redirect(w, r, Prefix+"etjanst/"+url.PathEscape(eid), http.StatusSeeOther)
}

// eserviceName is the e-service's Swedish name and its organisation's
// name from the catalog, for the pages' titles and header; "E-tjänsten"
// and "" when the catalog does not answer.
func (d *demo) eserviceName(r *http.Request, id, org string) (name, orgName string) {
	o := portal.OrganisationNumber(org)
	res, err := d.portal.GetEServiceContext(r.Context(), &portal.GetEService{EServiceId: portal.Identifier(id), OrganisationNumber: &o})
	if err != nil || sv(res.EService.Name) == "" {
		d.log.Info("GetEService for the e-service's name failed", "eservice", id, "organisation", org)
		return "E-tjänsten", ""
	}
	return sv(res.EService.Name), string(res.EService.OrganisationName)
}

func (d *demo) eserviceSession(r *http.Request) (*eserviceSession, string) {
	c, err := r.Cookie(eserviceCookie)
	if err != nil || c.Value == "" {
		return nil, ""
	}
	return d.sessions.get(c.Value), c.Value
}

func (d *demo) eserviceProblem(w http.ResponseWriter, r *http.Request, status int, heading, text string) {
	p := page{Title: heading, Org: formatOrgNumber(d.cfg.Organisation), EServiceSide: true,
		Data: problem{Heading: heading, Text: text, Back: Prefix + "etjanster", BackText: "Till portalens e-tjänster"}}
	d.render(w, status, "problem", p)
}

func (d *demo) eserviceSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id := r.PathValue("id")
	sess, sid := d.eserviceSession(r)
	if sess == nil || sess.eserviceID != id {
		d.eserviceProblem(w, r, http.StatusBadRequest, "Starta e-tjänsten från portalen",
			"Din session i e-tjänsten har gått ut. Starta e-tjänsten igen från portalen.")
		return
	}
	if got := r.PostFormValue("csrf"); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) != 1 {
		d.forbidden(w, r)
		return
	}
	rd := receiptData{Name: sess.name, Reference: "DEMO-" + strings.ToUpper(randomToken()[:8])}
	if comp := sess.res.Completion; comp != nil {
		rd.Completion = true
		rd.CaseURL = Prefix + "arenden/" + url.PathEscape(string(comp.CaseId))
		ref := etjanst.ShortText(rd.Reference)
		citizen := sess.res.Citizen.PersonalIdentityNumber
		res, err := d.etjanst[sess.client].ReportCompletionContext(r.Context(), &etjanst.ReportCompletion{CaseId: comp.CaseId, ActionId: comp.ActionId, Reference: &ref, Citizen: &citizen})
		if f, ok := asFault(err); ok && f.Code == "Conflict" {
			rd.Already = true
		} else if err != nil {
			d.fail(w, r, "ReportCompletion", err)
			return
		} else {
			// The citizen made this event: it is not news to them.
			d.markRead(r, string(citizen), string(res.EventId))
		}
	}
	d.sessions.delete(sid)
	http.SetCookie(w, &http.Cookie{Name: eserviceCookie, Value: "", Path: Prefix + "etjanst/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	p := page{Title: "Kvittens: " + sess.name, Org: formatOrgNumber(sess.org), OrgName: sess.orgName, EServiceSide: true, Data: rd}
	d.render(w, http.StatusOK, "receipt", p)
}

var templateNames = []string{"login", "cases", "case", "eservices", "eservice", "profile", "etjanst", "receipt", "problem"}

func (d *demo) parseTemplates() error {
	funcs := template.FuncMap{
		"pnr": formatPnr,
		"eq2": func(a, b string) bool { return a == b },
	}
	d.pages = map[string]*template.Template{}
	for _, n := range templateNames {
		t, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return err
		}
		d.pages[n] = t
	}
	return nil
}
