package config

import (
	"io"
	"strings"
	"text/template"
	"time"
)

// The parsed forms of values the file holds as text. Validate reports their
// problems; the wiring in cmd/me takes the parsed values from here, so each
// is parsed by one function.

// QuietHours returns the SMS quiet hours: where they start and end, as time
// since midnight, in their time zone. Its error is a *ValidationError.
func (n Notifications) QuietHours() (loc *time.Location, start, end time.Duration, err error) {
	var ve ValidationError
	timeOfDay := func(key, value string) time.Duration {
		t, err := time.Parse("15:04", value)
		if err != nil {
			ve.add(key, "%q is not a time of day; write HH:MM, e.g. \"21:00\"", value)
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	}
	start = timeOfDay("notifications.quiet_start", n.QuietStart)
	end = timeOfDay("notifications.quiet_end", n.QuietEnd)
	loc, lerr := time.LoadLocation(n.TimeZone)
	if lerr != nil || n.TimeZone == "" {
		ve.add("notifications.time_zone", "%q is not a time zone; write e.g. Europe/Stockholm", n.TimeZone)
	}
	if len(ve.Problems) > 0 {
		return nil, 0, 0, &ve
	}
	return loc, start, end, nil
}

// Parse returns the notification templates keyed "name.language"
// ("sms.sv", "email_subject.en", "email_text.sv"), each run once on sample
// data so that a field that does not exist fails here, not in every
// notification. Its error is a *ValidationError.
func (t Templates) Parse() (map[string]*template.Template, error) {
	var ve ValidationError
	out := map[string]*template.Template{}
	for key, text := range map[string]Text{"sms": t.SMS, "email_subject": t.EmailSubject, "email_text": t.EmailText} {
		for lang, src := range map[string]string{"sv": text.SV, "en": text.EN} {
			tmpl, err := template.New(key).Option("missingkey=error").Parse(src)
			if err == nil {
				err = tmpl.Execute(io.Discard, struct {
					Organisation, PortalURL string
					Reminder                bool
				}{"Exempels kommun", "https://www.exempel.se/", true})
			}
			if err != nil || strings.TrimSpace(src) == "" {
				ve.add("notifications.templates."+key+"."+lang, "is not a template using .Organisation, .PortalURL and .Reminder: %v", err)
				continue
			}
			out[key+"."+lang] = tmpl
		}
	}
	if len(ve.Problems) > 0 {
		return nil, &ve
	}
	return out, nil
}
