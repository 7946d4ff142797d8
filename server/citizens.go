package server

import (
	"context"
	"errors"

	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/generated/etjanst"
	"github.com/minaengagemang/me/generated/portal"
	"github.com/minaengagemang/me/store"
)

// checkCitizen refuses a personnummer whose date or control digit is
// wrong; the schema has checked its form already.
func checkCitizen(pnr string) error {
	if !personnummer.Valid(pnr) {
		return &me.Error{Code: me.CodeValidationFailed, Element: "citizen",
			Message: "the personnummer is not valid (check its date and control digit)"}
	}
	return nil
}

// profile returns the citizen's profile, or the default one when ME has
// none yet.
func profile(ctx context.Context, st *store.Store, pnr string) (me.CitizenProfile, error) {
	p, err := st.CitizenProfile(ctx, pnr)
	if errors.Is(err, me.ErrNotFound) {
		return me.DefaultProfile(pnr), nil
	}
	return p, err
}

func fromPortalProfile(p portal.CitizenProfile) me.CitizenProfile {
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

func toPortalProfile(p me.CitizenProfile) portal.CitizenProfile {
	out := portal.CitizenProfile{
		PersonalIdentityNumber: portal.PersonalIdentityNumber(p.PersonalIdentityNumber),
		GivenName:              optional[portal.ShortText](p.GivenName),
		Surname:                optional[portal.ShortText](p.Surname),
		Email:                  optional[portal.EmailAddress](p.Email),
		Mobile:                 optional[portal.PhoneNumber](p.Mobile),
		Language:               portal.Language(p.Language),
		NotificationChannel:    portal.NotificationChannel(p.Channel),
	}
	if a := p.Address; a != nil {
		out.Address = &portal.PostalAddress{CareOf: optional[portal.ShortText](a.CareOf), Street: portal.ShortText(a.Street),
			PostalCode: portal.ShortText(a.PostalCode), City: portal.ShortText(a.City), Country: optional[portal.ShortText](a.Country)}
	}
	return out
}

func toEServiceProfile(p me.CitizenProfile) etjanst.CitizenProfile {
	out := etjanst.CitizenProfile{
		PersonalIdentityNumber: etjanst.PersonalIdentityNumber(p.PersonalIdentityNumber),
		GivenName:              optional[etjanst.ShortText](p.GivenName),
		Surname:                optional[etjanst.ShortText](p.Surname),
		Email:                  optional[etjanst.EmailAddress](p.Email),
		Mobile:                 optional[etjanst.PhoneNumber](p.Mobile),
		Language:               etjanst.Language(p.Language),
		NotificationChannel:    etjanst.NotificationChannel(p.Channel),
	}
	if a := p.Address; a != nil {
		out.Address = &etjanst.PostalAddress{CareOf: optional[etjanst.ShortText](a.CareOf), Street: etjanst.ShortText(a.Street),
			PostalCode: etjanst.ShortText(a.PostalCode), City: etjanst.ShortText(a.City), Country: optional[etjanst.ShortText](a.Country)}
	}
	return out
}
