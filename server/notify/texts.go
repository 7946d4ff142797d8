package notify

import (
	"bytes"
	"strings"
	"text/template"

	"github.com/sirupsen/logrus"

	"github.com/minaengagemang/me"
)

// TemplateData is what notification templates may use: nothing of the
// case.
type TemplateData struct {
	Organisation string
	PortalURL    string
	Reminder     bool
}

// Texts are the notification templates, by name and language: "sms.sv",
// "email_subject.en", "email_text.sv".
type Texts struct {
	t   map[string]*template.Template
	log *logrus.Logger
}

// NewTexts returns the texts of parsed templates keyed "name.language".
func NewTexts(parsed map[string]*template.Template, log *logrus.Logger) *Texts {
	return &Texts{t: parsed, log: log}
}

// Render executes template name in lang, falling back to Swedish.
func (nt *Texts) Render(name string, lang me.Language, data TemplateData) string {
	tmpl, ok := nt.t[name+"."+string(lang)]
	if !ok {
		tmpl = nt.t[name+"."+string(me.Swedish)]
	}
	var b bytes.Buffer
	if tmpl == nil || tmpl.Execute(&b, data) != nil {
		// The configuration executes every template when it is loaded, so
		// this is not expected; the citizen still learns where to log in.
		nt.log.WithField("template", name).Error("notifications: a template failed; sent the plain fallback text")
		return data.Organisation + ": " + data.PortalURL
	}
	return strings.TrimSpace(b.String())
}
