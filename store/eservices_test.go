package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/minaengagemang/me"
	"github.com/minaengagemang/me/store"
)

func bygglov() me.EService {
	return me.EService{
		ID:                  "bygglov",
		OrganisationNumber:  malmo.Number,
		Name:                me.LocalizedText{SV: "Ansök om bygglov", EN: "Apply for building permit"},
		Description:         me.LocalizedText{SV: "Här ansöker du om bygglov för ändring av fasad, åtgärd på tomt eller nybyggnad av ett hus.", EN: "Apply for a building permit."},
		Areas:               []string{"bygga-bo", "ansokan", "bygga-bo"},
		StartURL:            "https://e.malmo.example/bygglov?start=1",
		TicketParameter:     "biljett",
		AuthenticationLevel: 3,
		Contact:             me.Contact{Name: "Stadsbyggnadskontoret Malmö", Email: "sbk@malmo.example", Phone: "+46 40 34 10 00", URL: "https://malmo.example/kontakt"},
	}
}

func publish(t *testing.T, s *store.Store, e me.EService, now time.Time) me.EService {
	t.Helper()
	got, err := s.PublishEService(context.Background(), e, now)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func get(t *testing.T, s *store.Store, org, id string) me.EService {
	t.Helper()
	got, err := s.EService(context.Background(), org, id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestPublishEService(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		e := bygglov()
		got := publish(t, s, e, at(0))

		want := e
		want.Areas = []string{"ansokan", "bygga-bo"} // sorted, duplicates dropped
		want.Published = stored(at(0))
		want.Updated = stored(at(0))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("PublishEService returned\n%+v\nwant\n%+v", got, want)
		}
		if again := get(t, s, e.OrganisationNumber, e.ID); !reflect.DeepEqual(again, want) {
			t.Fatalf("EService returned\n%+v\nwant\n%+v", again, want)
		}
	})
}

func TestRepublishEService(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		publish(t, s, bygglov(), at(0))

		changed := bygglov()
		changed.Name.SV = "Bygglov – ansökan"
		changed.Description.EN = ""
		changed.Areas = []string{"tillstand"}
		changed.AuthenticationLevel = 2
		changed.Contact = me.Contact{Email: "bygglov@malmo.example"}
		got := publish(t, s, changed, at(1))

		want := changed
		want.Published = stored(at(0)) // the first publication is kept
		want.Updated = stored(at(1))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("re-publish returned\n%+v\nwant\n%+v", got, want)
		}

		if _, err := s.WithdrawEService(ctx, malmo.Number, "bygglov", at(2)); err != nil {
			t.Fatal(err)
		}
		got = publish(t, s, changed, at(3))
		want.Published = stored(at(3)) // published anew after a withdrawal
		want.Updated = stored(at(3))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("publish after withdrawal returned\n%+v\nwant\n%+v", got, want)
		}
	})
}

func TestWithdrawEService(t *testing.T) {
	ctx := context.Background()
	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		publish(t, s, bygglov(), at(0))

		for _, now := range []time.Time{at(1), at(2)} {
			got, err := s.WithdrawEService(ctx, malmo.Number, "bygglov", now)
			if err != nil {
				t.Fatal(err)
			}
			// The first withdrawal stands.
			if got.Withdrawn == nil || !got.Withdrawn.Equal(stored(at(1))) || !got.Updated.Equal(stored(at(1))) {
				t.Fatalf("withdraw at %v: Withdrawn = %v, Updated = %v, want both %v", now, got.Withdrawn, got.Updated, stored(at(1)))
			}
			if !got.Published.Equal(stored(at(0))) {
				t.Fatalf("withdraw changed Published to %v", got.Published)
			}
		}
		if got := get(t, s, malmo.Number, "bygglov"); got.Withdrawn == nil {
			t.Fatal("EService after withdrawal: Withdrawn is nil")
		}

		list := func(includeWithdrawn bool) []string {
			l, err := s.ListEServices(ctx, me.EServiceFilter{OrganisationNumber: malmo.Number, IncludeWithdrawn: includeWithdrawn})
			if err != nil {
				t.Fatal(err)
			}
			return ids(l)
		}
		if got := list(false); len(got) != 0 {
			t.Errorf("list without withdrawn = %v, want none", got)
		}
		if got, want := list(true), []string{"bygglov"}; !slices.Equal(got, want) {
			t.Errorf("list with withdrawn = %v, want %v", got, want)
		}
	})
}

func ids(l []me.EService) []string {
	var ids []string
	for _, e := range l {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestListEServices(t *testing.T) {
	ctx := context.Background()
	catalog := []me.EService{
		bygglov(),
		{ID: "avfall", OrganisationNumber: malmo.Number, Name: me.LocalizedText{SV: "Avfallsabonnemang"},
			Description: me.LocalizedText{SV: "Ändra ditt abonnemang för sophämtning och återvinning.", EN: "Change your waste collection."},
			Areas:       []string{"miljo"}},
		{ID: "atervinning", OrganisationNumber: malmo.Number, Name: me.LocalizedText{SV: "Återvinningscentral", EN: "Recycling centre"},
			Description: me.LocalizedText{SV: "Boka tid på återvinningscentralen."},
			Areas:       []string{"miljo", "bygga-bo"}},
		{ID: "arende", OrganisationNumber: malmo.Number, Name: me.LocalizedText{SV: "Ärendeöversikt"},
			Description: me.LocalizedText{SV: "Rabatt 100% på a_b-avgiften, se C:\\avgifter."}},
		{ID: "oppen", OrganisationNumber: malmo.Number, Name: me.LocalizedText{SV: "Öppen förskola"},
			Description: me.LocalizedText{SV: "Rabatt 100 procent på abc-avgiften."}},
		{ID: "zon", OrganisationNumber: malmo.Number, Name: me.LocalizedText{SV: "Zonindelning"}},
		{ID: "zon-b", OrganisationNumber: malmo.Number, Name: me.LocalizedText{SV: "Zonindelning"}},
		{ID: "indragen", OrganisationNumber: malmo.Number, Name: me.LocalizedText{SV: "Indragen bygglovstjänst"},
			Description: me.LocalizedText{SV: "bygglov"}, Areas: []string{"bygga-bo"}},
		// Another organisation's e-service matches most filters but is never listed.
		{ID: "bygglov", OrganisationNumber: goteborg.Number, Name: me.LocalizedText{SV: "Bygglov Göteborg"},
			Description: me.LocalizedText{SV: "bygglov återvinning"}, Areas: []string{"bygga-bo", "miljo"}},
	}

	tests := []struct {
		name   string
		filter me.EServiceFilter
		want   []string
	}{
		{"all, in Swedish order (Å Ä Ö last)", me.EServiceFilter{},
			[]string{"bygglov", "avfall", "zon", "zon-b", "atervinning", "arende", "oppen"}},
		{"including withdrawn", me.EServiceFilter{IncludeWithdrawn: true},
			[]string{"bygglov", "avfall", "indragen", "zon", "zon-b", "atervinning", "arende", "oppen"}},
		{"area", me.EServiceFilter{Area: "bygga-bo"}, []string{"bygglov", "atervinning"}},
		{"area is exact", me.EServiceFilter{Area: "bygga"}, nil},
		{"area and text", me.EServiceFilter{Area: "miljo", Text: "boka"}, []string{"atervinning"}},
		{"upper case ASCII word", me.EServiceFilter{Text: "BYGGLOV"}, []string{"bygglov"}},
		{"upper case Å", me.EServiceFilter{Text: "ÅTERVINNING"}, []string{"avfall", "atervinning"}},
		{"upper case Ä in the name", me.EServiceFilter{Text: "ärendeÖVERSIKT"}, []string{"arende"}},
		{"English text", me.EServiceFilter{Text: "waste"}, []string{"avfall"}},
		{"all words must match", me.EServiceFilter{Text: "  ändra   SOPHÄMTNING "}, []string{"avfall"}},
		{"one word missing", me.EServiceFilter{Text: "sophämtning bygglov"}, nil},
		{"percent is literal", me.EServiceFilter{Text: "100%"}, []string{"arende"}},
		{"underscore is literal", me.EServiceFilter{Text: "a_b"}, []string{"arende"}},
		{"backslash is literal", me.EServiceFilter{Text: `c:\avgifter`}, []string{"arende"}},
		{"lone percent", me.EServiceFilter{Text: "%"}, []string{"arende"}},
		{"no match", me.EServiceFilter{Text: "parkering"}, nil},
	}

	forEachDB(t, func(t *testing.T, s *store.Store) {
		setup(t, s)
		for _, e := range catalog {
			publish(t, s, e, at(0))
		}
		if _, err := s.WithdrawEService(ctx, malmo.Number, "indragen", at(1)); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			f := tt.filter
			f.OrganisationNumber = malmo.Number
			got, err := s.ListEServices(ctx, f)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, ids(got), tt.want)
			}
			for _, e := range got {
				if e.OrganisationNumber != malmo.Number {
					t.Errorf("%s: listed %s of organisation %s", tt.name, e.ID, e.OrganisationNumber)
				}
			}
		}

		// Listed e-services carry their areas, like EService.
		got, err := s.ListEServices(ctx, me.EServiceFilter{OrganisationNumber: malmo.Number})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			if want := get(t, s, e.OrganisationNumber, e.ID); !reflect.DeepEqual(e, want) {
				t.Errorf("listed %s =\n%+v\nwant as EService returns it\n%+v", e.ID, e, want)
			}
		}

		// An organisation without e-services lists nothing.
		if got, err := s.ListEServices(ctx, me.EServiceFilter{OrganisationNumber: orebro.Number}); err != nil || len(got) != 0 {
			t.Errorf("list of Örebro = %v, %v; want nothing", ids(got), err)
		}
	})
}
