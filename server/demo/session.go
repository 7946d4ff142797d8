package demo

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hooklift/gowsdl/soap"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/portal"
)

// The portal's cookie holds "TOKEN" before login and "TOKEN.PERSONNUMMER"
// after: TOKEN is the CSRF token every form posts back (double submit).
// The personnummer is whatever the visitor chose: this is a demo, not
// authentication.
const (
	sessionCookie  = "me_demo"
	eserviceCookie = "me_demo_etjanst"
)

type session struct {
	token string
	pnr   string // empty before login
}

func randomToken() string { return me.NewToken(24) }

func readSession(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	token, pnr, _ := strings.Cut(c.Value, ".")
	if len(token) < 20 || (pnr != "" && !validPnr(pnr)) {
		return session{}, false
	}
	return session{token: token, pnr: pnr}, true
}

func writeSession(w http.ResponseWriter, r *http.Request, s session) {
	v := s.token
	if s.pnr != "" {
		v += "." + s.pnr
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: v, Path: Prefix,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}

// ensureSession returns the visitor's session, starting one (without a
// citizen) when there is none, so that the login form has a CSRF token.
func ensureSession(w http.ResponseWriter, r *http.Request) session {
	if s, ok := readSession(r); ok {
		return s
	}
	s := session{token: randomToken()}
	writeSession(w, r, s)
	return s
}

func checkCSRF(r *http.Request, s session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

// validPnr: 12 digits with a correct control digit. ME checks the date.
func validPnr(p string) bool {
	if len(p) != 12 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return me.Luhn(p[2:])
}

// normalisePnr accepts 12 digits with an optional dash or spaces.
func normalisePnr(p string) string {
	p = strings.NewReplacer("-", "", " ", "", "+", "").Replace(strings.TrimSpace(p))
	return p
}

// citizen wraps a page that needs a logged-in citizen.
func (d *demo) citizen(h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := readSession(r)
		if !ok || s.pnr == "" {
			http.Redirect(w, r, Prefix+"?atergang="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		h(w, r, s)
	}
}

// citizenPost wraps a form handler: a logged-in citizen and the CSRF token.
func (d *demo) citizenPost(h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return d.citizen(func(w http.ResponseWriter, r *http.Request, s session) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if !checkCSRF(r, s) {
			d.forbidden(w, r)
			return
		}
		h(w, r, s)
	})
}

// page is what every template gets.
type page struct {
	Title        string
	Nav          string // the active menu item
	Citizen      string // the logged-in personnummer, formatted; empty before login
	CSRF         string
	Org          string
	OrgName      string // the e-service's organisation, on its pages
	EServiceSide bool   // the page belongs to the demo e-service, not the portal
	Data         any
}

func (d *demo) newPage(s session, title, nav string, data any) page {
	return page{Title: title, Nav: nav, Citizen: formatPnr(s.pnr), CSRF: s.token, Org: formatOrgNumber(d.cfg.Organisation), Data: data}
}

func (d *demo) render(w http.ResponseWriter, status int, name string, p page) {
	t := d.pages[name]
	if t == nil {
		http.Error(w, "Något gick fel.", http.StatusInternalServerError)
		return
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		d.log.Error("render", "page", name, "error", err.Error())
		http.Error(w, "Något gick fel.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}

// problem is what the error page shows.
type problem struct {
	Heading   string
	Text      string
	Reference string
	Back      string
	BackText  string
}

func (d *demo) showProblem(w http.ResponseWriter, r *http.Request, status int, pr problem) {
	s, _ := readSession(r)
	if pr.Back == "" {
		pr.Back, pr.BackText = Prefix, "Till startsidan"
		if s.pnr != "" {
			pr.Back, pr.BackText = Prefix+"arenden", "Till Mina ärenden"
		}
	}
	d.render(w, status, "problem", d.newPage(s, pr.Heading, "", pr))
}

func (d *demo) notFound(w http.ResponseWriter, r *http.Request) {
	d.showProblem(w, r, http.StatusNotFound, problem{
		Heading: "Sidan finns inte",
		Text:    "Det du letar efter finns inte, eller så hör det inte till dig.",
	})
}

func (d *demo) forbidden(w http.ResponseWriter, r *http.Request) {
	d.showProblem(w, r, http.StatusForbidden, problem{
		Heading: "Formuläret har gått ut",
		Text:    "Något gick fel: formuläret kunde inte kontrolleras. Ladda om sidan och försök igen.",
	})
}

// fault is an MEFault from either service. Message is ME's English text
// for integrators: the demo logs it and never shows it to the citizen.
type fault struct {
	Code, Message, Element, Reference string
}

func asFault(err error) (fault, bool) {
	if f, ok := portal.AsMEFault(err); ok {
		ref := ""
		if f.Reference != nil {
			ref = *f.Reference
		}
		el := ""
		if f.Element != nil {
			el = *f.Element
		}
		return fault{Code: string(f.Code), Message: f.Message, Element: el, Reference: ref}, true
	}
	return fault{}, false
}

// swedish says what a fault code means to the citizen.
func swedish(code string) (string, int) {
	switch code {
	case "ValidationFailed":
		return "uppgifterna kunde inte tas emot. Kontrollera det du skrev och försök igen.", http.StatusBadRequest
	case "Forbidden":
		return "portalen har inte behörighet att göra det här.", http.StatusForbidden
	case "Conflict":
		return "det går inte att göra det här nu. Det kan redan vara gjort, eller så har ärendet ändrats.", http.StatusConflict
	case "InvalidTicket", "TicketExpired", "TicketUsed":
		return "länken gäller inte längre. Gå tillbaka till portalen och börja om.", http.StatusBadRequest
	case "NotImplemented":
		return "den här funktionen finns inte ännu i Mina Engagemang.", http.StatusNotImplemented
	default:
		return "ett tekniskt fel uppstod i Mina Engagemang. Försök igen senare.", http.StatusBadGateway
	}
}

// fail shows an error from a call to ME: NotFound as the 404 page, any
// other fault in Swedish, and a network error as ME not answering. It never
// shows a stack or the request.
func (d *demo) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	if f, ok := asFault(err); ok {
		if f.Code == "NotFound" {
			d.notFound(w, r)
			return
		}
		text, status := swedish(f.Code)
		d.log.Info("ME fault", "operation", op, "code", f.Code, "message", f.Message, "reference", f.Reference)
		d.showProblem(w, r, status, problem{Heading: "Något gick fel", Text: "Något gick fel: " + text, Reference: f.Reference})
		return
	}
	text := "Något gick fel: Mina Engagemang svarar inte just nu. Försök igen om en stund."
	var httpErr *soap.HTTPError
	if errors.As(err, &httpErr) {
		if httpErr.StatusCode == http.StatusUnauthorized {
			text = "Något gick fel: portalen kunde inte logga in hos Mina Engagemang (kontrollera användare och lösenord i konfigurationen)."
		}
		d.log.Warn("ME call failed", "operation", op, "status", httpErr.StatusCode)
	} else {
		d.log.Warn("ME call failed", "operation", op, "error", err.Error())
	}
	d.showProblem(w, r, http.StatusBadGateway, problem{Heading: "Något gick fel", Text: text})
}
