package server

import (
	"context"
	"errors"

	"github.com/personnummer/go/v3"

	"github.com/minaengagemang/me"
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
