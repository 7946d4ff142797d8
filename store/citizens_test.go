package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

func citizen(t *testing.T, s *store.Store, pnr string) me.Citizen {
	t.Helper()
	c, err := s.Citizen(context.Background(), pnr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func profile(t *testing.T, s *store.Store, pnr string) me.CitizenProfile {
	t.Helper()
	p, err := s.CitizenProfile(context.Background(), pnr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func putProfile(t *testing.T, s *store.Store, p me.CitizenProfile, h int) me.CitizenProfile {
	t.Helper()
	got, err := s.PutCitizenProfile(context.Background(), p, at(h))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCitizenProfile(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		if _, err := s.CitizenProfile(ctx, asa.PersonalIdentityNumber); !errors.Is(err, me.ErrNotFound) {
			t.Fatalf("CitizenProfile of an unknown citizen: err = %v, want ErrNotFound", err)
		}

		full := me.CitizenProfile{
			PersonalIdentityNumber: asa.PersonalIdentityNumber,
			GivenName:              "Åsa-Öjvor",
			Surname:                "Tolvansson Ärlig",
			Address:                &me.PostalAddress{CareOf: "Familjen Älg", Street: "Ängsvägen 5", PostalCode: "475 31", City: "Öckerö", Country: "SE"},
			Email:                  "åsa@exempel.se",
			Mobile:                 "+46701234567",
			Language:               me.English,
			Channel:                me.NotifyBoth,
		}
		want := full
		want.Updated = stored(at(1))
		if got := putProfile(t, s, full, 1); !reflect.DeepEqual(got, want) {
			t.Fatalf("PutCitizenProfile =\n%+v\nwant\n%+v", got, want)
		}
		if got := profile(t, s, asa.PersonalIdentityNumber); !reflect.DeepEqual(got, want) {
			t.Fatalf("CitizenProfile =\n%+v\nwant\n%+v", got, want)
		}
		wantCitizen := me.Citizen{PersonalIdentityNumber: full.PersonalIdentityNumber, GivenName: full.GivenName, Surname: full.Surname, Address: full.Address}
		if got := citizen(t, s, asa.PersonalIdentityNumber); !reflect.DeepEqual(got, wantCitizen) {
			t.Fatalf("Citizen = %+v, want %+v", got, wantCitizen)
		}

		// The profile is written whole: what is left out is cleared.
		sparse := me.CitizenProfile{PersonalIdentityNumber: asa.PersonalIdentityNumber, Email: "ny@exempel.se"}
		want = me.DefaultProfile(asa.PersonalIdentityNumber)
		want.Email, want.Updated = "ny@exempel.se", stored(at(2))
		if got := putProfile(t, s, sparse, 2); !reflect.DeepEqual(got, want) {
			t.Fatalf("PutCitizenProfile of a sparse profile =\n%+v\nwant\n%+v", got, want)
		}
		if got := profile(t, s, asa.PersonalIdentityNumber); !reflect.DeepEqual(got, want) {
			t.Fatalf("CitizenProfile after a sparse put =\n%+v\nwant\n%+v", got, want)
		}
		if got, want := citizen(t, s, asa.PersonalIdentityNumber), (me.Citizen{PersonalIdentityNumber: asa.PersonalIdentityNumber}); !reflect.DeepEqual(got, want) {
			t.Fatalf("Citizen after a sparse put = %+v, want %+v", got, want)
		}

		for _, bad := range []me.CitizenProfile{
			{PersonalIdentityNumber: asa.PersonalIdentityNumber, Language: "de"},
			{PersonalIdentityNumber: asa.PersonalIdentityNumber, Channel: "pigeon"},
			{Email: "no@pnr.example"},
		} {
			if _, err := s.PutCitizenProfile(ctx, bad, at(3)); me.ErrorCode(err) != me.CodeValidationFailed {
				t.Errorf("PutCitizenProfile(%+v): err = %v, want ValidationFailed", bad, err)
			}
		}
		if got := profile(t, s, asa.PersonalIdentityNumber); !reflect.DeepEqual(got, want) {
			t.Fatalf("CitizenProfile after refused puts =\n%+v\nwant unchanged\n%+v", got, want)
		}
	})
}

// TestCitizenProfileAndSignals: signals fill in names and address and never
// touch what only the citizen sets; the portal sends back what signals wrote.
func TestCitizenProfileAndSignals(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		// A citizen who set a profile before any case.
		third := me.CitizenProfile{PersonalIdentityNumber: "200001012384", Email: "tredje@exempel.se", Language: me.English, Channel: me.NotifyEmail}
		putProfile(t, s, third, 0)

		record(t, s, shsMessage("tx-1"), bygglovSignal(), at(1))
		want := me.DefaultProfile(tolvan.PersonalIdentityNumber)
		want.GivenName, want.Surname, want.Address, want.Updated = tolvan.GivenName, tolvan.Surname, tolvan.Address, stored(at(1))
		got := profile(t, s, tolvan.PersonalIdentityNumber)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("profile from a signal =\n%+v\nwant\n%+v", got, want)
		}

		// The portal sends the whole profile it read, with contact details.
		got.Email, got.Mobile, got.Language, got.Channel = "tolvan@exempel.se", "+46701234567", me.English, me.NotifySMS
		want = got
		want.Updated = stored(at(2))
		if put := putProfile(t, s, got, 2); !reflect.DeepEqual(put, want) {
			t.Fatalf("PutCitizenProfile =\n%+v\nwant\n%+v", put, want)
		}

		// Later signals: one without Tolvan's names and address, one that
		// moves Tolvan and names the third citizen.
		sig := bygglovSignal()
		sig.Citizens = []me.Citizen{{PersonalIdentityNumber: tolvan.PersonalIdentityNumber}}
		sig.Event = me.Event{ExternalID: "H6", Time: at(3), Title: me.LocalizedText{SV: "Påminnelse"}, Notify: true}
		record(t, s, shsMessage("tx-2"), sig, at(3))
		// It changed nothing: the profile was last updated at 2.
		if got := profile(t, s, tolvan.PersonalIdentityNumber); !reflect.DeepEqual(got, want) {
			t.Fatalf("profile after a signal without names =\n%+v\nwant\n%+v", got, want)
		}

		moved := &me.PostalAddress{Street: "Storgatan 1", PostalCode: "111 22", City: "Stockholm"}
		sig.Citizens = []me.Citizen{
			{PersonalIdentityNumber: tolvan.PersonalIdentityNumber, GivenName: "Tolvan", Surname: "Tolvansson-Åberg", Address: moved},
			{PersonalIdentityNumber: third.PersonalIdentityNumber, GivenName: "Tredje", Surname: "Östlund"},
		}
		sig.Event.ExternalID = "H7"
		record(t, s, shsMessage("tx-3"), sig, at(4))
		want.Surname, want.Address, want.Updated = "Tolvansson-Åberg", moved, stored(at(4))
		if got := profile(t, s, tolvan.PersonalIdentityNumber); !reflect.DeepEqual(got, want) {
			t.Fatalf("profile after a signal with a new address =\n%+v\nwant\n%+v", got, want)
		}
		wantThird := third
		wantThird.GivenName, wantThird.Surname, wantThird.Updated = "Tredje", "Östlund", stored(at(4))
		if got := profile(t, s, third.PersonalIdentityNumber); !reflect.DeepEqual(got, wantThird) {
			t.Fatalf("profile set before the first signal =\n%+v\nwant\n%+v", got, wantThird)
		}
	})
}
