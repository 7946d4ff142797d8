package config

import (
	"slices"
	"strings"

	"github.com/minaengagemang/me"
)

// normalize puts numbers and fingerprints in canonical form after Validate
// has accepted them, so users of the fields need not.
func (c *Config) normalize() {
	for i := range c.OrganisationList {
		c.OrganisationList[i].Number = orgNumber(c.OrganisationList[i].Number)
	}
	for i := range c.ClientList {
		cl := &c.ClientList[i]
		cl.Organisation = orgNumber(cl.Organisation)
		cl.CertFingerprint = normalizeFingerprint(cl.CertFingerprint)
	}
	for i := range c.EServiceList {
		c.EServiceList[i].Organisation = orgNumber(c.EServiceList[i].Organisation)
	}
}

// orgNumber returns the 10-digit form of s, or s unchanged if malformed.
func orgNumber(s string) string {
	if n, ok := normalizeOrgNumber(s); ok {
		return n
	}
	return s
}

// Organisations returns the organisations as domain values.
func (c *Config) Organisations() []me.Organisation {
	out := make([]me.Organisation, 0, len(c.OrganisationList))
	for _, o := range c.OrganisationList {
		out = append(out, me.Organisation{Number: orgNumber(o.Number), Name: o.Name, PortalURL: o.PortalURL})
	}
	return out
}

// Clients returns the clients as domain values, secret hashes included.
func (c *Config) Clients() []me.Client {
	out := make([]me.Client, 0, len(c.ClientList))
	for _, cl := range c.ClientList {
		out = append(out, me.Client{
			Name:               cl.Name,
			OrganisationNumber: orgNumber(cl.Organisation),
			Role:               me.Role(cl.Role),
			CertFingerprint:    normalizeFingerprint(cl.CertFingerprint),
			CertSubject:        cl.CertSubject,
			SecretHash:         cl.SecretHash.Reveal(),
			EServiceIDs:        cl.EServices,
			ExtraOrganisations: orgNumbers(cl.Organisations),
		})
	}
	return out
}

// EServices returns the e-services as domain values; the store sets the
// publication times.
func (c *Config) EServices() []me.EService {
	out := make([]me.EService, 0, len(c.EServiceList))
	for _, e := range c.EServiceList {
		out = append(out, me.EService{
			ID:                  e.ID,
			OrganisationNumber:  orgNumber(e.Organisation),
			Name:                me.LocalizedText{SV: e.Name.SV, EN: e.Name.EN},
			Description:         me.LocalizedText{SV: e.Description.SV, EN: e.Description.EN},
			Areas:               slices.Clone(e.Areas),
			StartURL:            e.StartURL,
			TicketParameter:     e.TicketParameter,
			AuthenticationLevel: e.AuthenticationLevel,
			Contact:             me.Contact{Name: e.Contact.Name, Email: e.Contact.Email, Phone: e.Contact.Phone, URL: e.Contact.URL},
		})
	}
	return out
}

func orgNumbers(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = orgNumber(s)
	}
	return out
}

// RetentionPolicy returns the retention of every organisation: the
// default, and the organisations that set their own.
func (c *Config) RetentionPolicy() me.RetentionPolicy {
	p := me.RetentionPolicy{Default: c.Retention.periods()}
	for _, o := range c.OrganisationList {
		if o.Retention == (OrganisationRetention{}) {
			continue
		}
		if p.Organisations == nil {
			p.Organisations = map[string]me.Retention{}
		}
		p.Organisations[orgNumber(o.Number)] = c.organisationRetention(o.Retention)
	}
	return p
}

// organisationRetention is the default retention with an organisation's
// own periods in place.
func (c *Config) organisationRetention(o OrganisationRetention) me.Retention {
	out := c.Retention.periods()
	for _, f := range []struct {
		own  *int
		into *int
	}{
		{o.CasesAfterClosing, &out.CasesAfterClosing},
		{o.SHSMessages, &out.SHSMessages},
		{o.SHSTxIDs, &out.SHSTxIDs},
		{o.Notifications, &out.Notifications},
		{o.Audit, &out.Audit},
	} {
		if f.own != nil {
			*f.into = *f.own
		}
	}
	return out
}

// ReplyAliases returns, by organisation number, the lower-cased addresses
// besides the case handler's own that may reply to the organisation's
// reply addresses.
func (c *Config) ReplyAliases() map[string][]string {
	out := map[string][]string{}
	for _, o := range c.OrganisationList {
		for _, a := range o.ReplyAliases {
			out[orgNumber(o.Number)] = append(out[orgNumber(o.Number)], strings.ToLower(a))
		}
	}
	return out
}

// periods returns the default retention as a domain value.
func (r *Retention) periods() me.Retention {
	return me.Retention{CasesAfterClosing: r.CasesAfterClosing, SHSMessages: r.SHSMessages,
		SHSTxIDs: r.SHSTxIDs, Notifications: r.Notifications, Audit: r.Audit}
}
