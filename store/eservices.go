// Tables: eservices and eservice_areas: the e-services organisations
// publish, with the areas they are listed under. It does not know tickets
// or the completions an e-service reports (tickets.go, events.go).

package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/minaengagemang/me"
)

const eserviceColumns = `
	organisation_number, id, name_sv, name_en, description_sv, description_en,
	start_url, ticket_parameter, authentication_level,
	contact_name, contact_email, contact_phone, contact_url,
	published_at, withdrawn_at, updated_at`

type eserviceRow struct {
	OrganisationNumber  string        `db:"organisation_number"`
	ID                  string        `db:"id"`
	NameSV              string        `db:"name_sv"`
	NameEN              string        `db:"name_en"`
	DescriptionSV       string        `db:"description_sv"`
	DescriptionEN       string        `db:"description_en"`
	StartURL            string        `db:"start_url"`
	TicketParameter     string        `db:"ticket_parameter"`
	AuthenticationLevel int           `db:"authentication_level"`
	ContactName         string        `db:"contact_name"`
	ContactEmail        string        `db:"contact_email"`
	ContactPhone        string        `db:"contact_phone"`
	ContactURL          string        `db:"contact_url"`
	PublishedAt         timestamp     `db:"published_at"`
	WithdrawnAt         nullTimestamp `db:"withdrawn_at"`
	UpdatedAt           timestamp     `db:"updated_at"`
}

func (r eserviceRow) eservice() me.EService {
	return me.EService{
		ID:                  r.ID,
		OrganisationNumber:  r.OrganisationNumber,
		Name:                me.LocalizedText{SV: r.NameSV, EN: r.NameEN},
		Description:         me.LocalizedText{SV: r.DescriptionSV, EN: r.DescriptionEN},
		StartURL:            r.StartURL,
		TicketParameter:     r.TicketParameter,
		AuthenticationLevel: r.AuthenticationLevel,
		Contact: me.Contact{
			Name:  r.ContactName,
			Email: r.ContactEmail,
			Phone: r.ContactPhone,
			URL:   r.ContactURL,
		},
		Published: r.PublishedAt.Time,
		Withdrawn: r.WithdrawnAt.Ptr(),
		Updated:   r.UpdatedAt.Time,
	}
}

// searchText is what ListEServices matches words against. It is lower-cased
// in Go because SQLite's LOWER() and LIKE fold ASCII only.
func searchText(e me.EService) string {
	return strings.ToLower(strings.Join([]string{e.Name.SV, e.Name.EN, e.Description.SV, e.Description.EN}, "\n"))
}

// PublishEService inserts or updates e (by organisation and ID) and returns
// it as stored. Published becomes now for a new or withdrawn e-service and
// is kept otherwise; publishing clears Withdrawn; Updated becomes now; the
// areas replace the previous ones. Times are stored in UTC to the
// microsecond.
func (s *Store) PublishEService(ctx context.Context, e me.EService, now time.Time) (me.EService, error) {
	var stored me.EService
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`
			INSERT INTO eservices (
				organisation_number, id, name_sv, name_en, description_sv, description_en,
				start_url, ticket_parameter, authentication_level,
				contact_name, contact_email, contact_phone, contact_url,
				search_text, published_at, withdrawn_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
			ON CONFLICT (organisation_number, id) DO UPDATE SET
				name_sv = excluded.name_sv,
				name_en = excluded.name_en,
				description_sv = excluded.description_sv,
				description_en = excluded.description_en,
				start_url = excluded.start_url,
				ticket_parameter = excluded.ticket_parameter,
				authentication_level = excluded.authentication_level,
				contact_name = excluded.contact_name,
				contact_email = excluded.contact_email,
				contact_phone = excluded.contact_phone,
				contact_url = excluded.contact_url,
				search_text = excluded.search_text,
				published_at = CASE WHEN eservices.withdrawn_at IS NULL
					THEN eservices.published_at ELSE excluded.published_at END,
				withdrawn_at = NULL,
				updated_at = excluded.updated_at`),
			e.OrganisationNumber, e.ID, e.Name.SV, e.Name.EN, e.Description.SV, e.Description.EN,
			e.StartURL, e.TicketParameter, e.AuthenticationLevel,
			e.Contact.Name, e.Contact.Email, e.Contact.Phone, e.Contact.URL,
			searchText(e), timestamp{now}, timestamp{now})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`
			DELETE FROM eservice_areas WHERE organisation_number = ? AND eservice_id = ?`),
			e.OrganisationNumber, e.ID)
		if err != nil {
			return err
		}
		areas := slices.Compact(slices.Sorted(slices.Values(e.Areas)))
		for _, area := range areas {
			_, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO eservice_areas (organisation_number, eservice_id, area) VALUES (?, ?, ?)`),
				e.OrganisationNumber, e.ID, area)
			if err != nil {
				return err
			}
		}
		stored, err = getEService(ctx, tx, e.OrganisationNumber, e.ID)
		return err
	})
	if err != nil {
		return me.EService{}, fmt.Errorf("store: publish e-service %s/%s: %w", e.OrganisationNumber, e.ID, err)
	}
	return stored, nil
}

// EService returns an e-service, withdrawn or not, with its areas sorted.
func (s *Store) EService(ctx context.Context, org, id string) (me.EService, error) {
	e, err := getEService(ctx, s.db, org, id)
	if err != nil {
		return me.EService{}, fmt.Errorf("store: get e-service %s/%s: %w", org, id, err)
	}
	return e, nil
}

// WithdrawEService marks an e-service withdrawn at now and returns it. An
// e-service that is already withdrawn keeps its first withdrawal time.
func (s *Store) WithdrawEService(ctx context.Context, org, id string, now time.Time) (me.EService, error) {
	var stored me.EService
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`
			UPDATE eservices SET
				withdrawn_at = COALESCE(withdrawn_at, ?),
				updated_at = CASE WHEN withdrawn_at IS NULL THEN ? ELSE updated_at END
			WHERE organisation_number = ? AND id = ?`),
			timestamp{now}, timestamp{now}, org, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return me.ErrNotFound
		}
		stored, err = getEService(ctx, tx, org, id)
		return err
	})
	if err != nil {
		return me.EService{}, fmt.Errorf("store: withdraw e-service %s/%s: %w", org, id, err)
	}
	return stored, nil
}

func getEService(ctx context.Context, q sqlx.ExtContext, org, id string) (me.EService, error) {
	var r eserviceRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(`
		SELECT `+eserviceColumns+` FROM eservices WHERE organisation_number = ? AND id = ?`),
		org, id)
	if err != nil {
		return me.EService{}, notFound(err)
	}
	e := r.eservice()
	err = sqlx.SelectContext(ctx, q, &e.Areas, q.Rebind(`
		SELECT area FROM eservice_areas WHERE organisation_number = ? AND eservice_id = ?`),
		org, id)
	if err != nil {
		return me.EService{}, err
	}
	sortAreas(e.Areas)
	return e, nil
}

// ListEServices returns the organisation's e-services that match f, ordered
// by Swedish name (Swedish collation, so Å Ä Ö come after Z) and then ID.
func (s *Store) ListEServices(ctx context.Context, f me.EServiceFilter) ([]me.EService, error) {
	query := `SELECT ` + eserviceColumns + ` FROM eservices e WHERE e.organisation_number = ?`
	args := []any{f.OrganisationNumber}
	if !f.IncludeWithdrawn {
		query += ` AND e.withdrawn_at IS NULL`
	}
	if f.Area != "" {
		query += ` AND EXISTS (
			SELECT 1 FROM eservice_areas a
			WHERE a.organisation_number = e.organisation_number AND a.eservice_id = e.id AND a.area = ?)`
		args = append(args, f.Area)
	}
	for _, word := range strings.Fields(f.Text) {
		query += ` AND e.search_text LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(strings.ToLower(word))+"%")
	}

	var rows []eserviceRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("store: list e-services of %s: %w", f.OrganisationNumber, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}

	list := make([]me.EService, len(rows))
	byID := make(map[string]*me.EService, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		list[i] = r.eservice()
		byID[r.ID] = &list[i]
		ids[i] = r.ID
	}
	// One query for the areas of all listed e-services.
	query, args, err := sqlx.In(`
		SELECT eservice_id, area FROM eservice_areas
		WHERE organisation_number = ? AND eservice_id IN (?)`, f.OrganisationNumber, ids)
	if err != nil {
		return nil, fmt.Errorf("store: list e-services of %s: %w", f.OrganisationNumber, err)
	}
	var areas []struct {
		EServiceID string `db:"eservice_id"`
		Area       string `db:"area"`
	}
	if err := s.db.SelectContext(ctx, &areas, s.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("store: list areas of e-services of %s: %w", f.OrganisationNumber, err)
	}
	for _, a := range areas {
		e := byID[a.EServiceID]
		e.Areas = append(e.Areas, a.Area)
	}

	// Sorted here rather than by ORDER BY: the databases' collations differ
	// (SQLite compares bytes, which puts Ä before Å).
	col := collate.New(language.Swedish)
	slices.SortFunc(list, func(a, b me.EService) int {
		if c := col.CompareString(a.Name.SV, b.Name.SV); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for i := range list {
		sortAreas(list[i].Areas)
	}
	return list, nil
}

// sortAreas sorts in Go so the order does not depend on the database's
// collation.
func sortAreas(areas []string) { slices.Sort(areas) }

// escapeLike makes %, _ and \ match themselves in a LIKE pattern with
// ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CatalogVersion changes whenever an e-service is published, changed or
// withdrawn, by any node: a cache of the catalog compares it to know when
// to read the catalog again.
func (s *Store) CatalogVersion(ctx context.Context) (string, error) {
	var v struct {
		N       int           `db:"n"`
		Updated nullTimestamp `db:"updated"`
	}
	if err := sqlx.GetContext(ctx, s.reads, &v, `SELECT count(*) AS n, max(updated_at) AS updated FROM eservices`); err != nil {
		return "", fmt.Errorf("store: catalog version: %w", err)
	}
	return fmt.Sprintf("%d %s", v.N, v.Updated.Time.UTC().Format(time.RFC3339Nano)), nil
}

// PublishedEServices returns every organisation's published e-services
// (not withdrawn), each with its areas sorted, in no particular order.
func (s *Store) PublishedEServices(ctx context.Context) ([]me.EService, error) {
	var rows []eserviceRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+eserviceColumns+` FROM eservices WHERE withdrawn_at IS NULL`); err != nil {
		return nil, fmt.Errorf("store: published e-services: %w", err)
	}
	var areas []struct {
		Org  string `db:"organisation_number"`
		ID   string `db:"eservice_id"`
		Area string `db:"area"`
	}
	if err := s.db.SelectContext(ctx, &areas, `SELECT organisation_number, eservice_id, area FROM eservice_areas`); err != nil {
		return nil, fmt.Errorf("store: published e-services' areas: %w", err)
	}
	list := make([]me.EService, len(rows))
	byKey := make(map[[2]string]*me.EService, len(rows))
	for i, r := range rows {
		list[i] = r.eservice()
		byKey[[2]string{r.OrganisationNumber, r.ID}] = &list[i]
	}
	for _, a := range areas {
		if e := byKey[[2]string{a.Org, a.ID}]; e != nil {
			e.Areas = append(e.Areas, a.Area)
		}
	}
	for i := range list {
		sortAreas(list[i].Areas)
	}
	return list, nil
}
