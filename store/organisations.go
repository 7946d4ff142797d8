// Tables: organisations: the configuration's organisations, synced at
// start. It reads clients, eservices and cases only to keep an organisation
// they still refer to.

package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

type organisationRow struct {
	Number    string `db:"number"`
	Name      string `db:"name"`
	PortalURL string `db:"portal_url"`
}

func (r organisationRow) organisation() me.Organisation {
	return me.Organisation{Number: r.Number, Name: r.Name, PortalURL: r.PortalURL}
}

// SyncOrganisations makes the organisations table match the configuration:
// every given organisation is inserted or updated, and those no longer
// listed are deleted unless a client, e-service or case still refers to them.
func (s *Store) SyncOrganisations(ctx context.Context, orgs []me.Organisation) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		listed := make(map[string]bool, len(orgs))
		for _, o := range orgs {
			listed[o.Number] = true
			_, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO organisations (number, name, portal_url)
				VALUES (?, ?, ?)
				ON CONFLICT (number) DO UPDATE SET
					name = excluded.name,
					portal_url = excluded.portal_url`),
				o.Number, o.Name, o.PortalURL)
			if err != nil {
				return fmt.Errorf("upsert %s: %w", o.Number, err)
			}
		}
		// Tables that reference organisations must be listed here, or the
		// DELETE below fails on their foreign key.
		var unreferenced []string
		err := tx.SelectContext(ctx, &unreferenced, `
			SELECT number FROM organisations o
			WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.organisation_number = o.number)
			  AND NOT EXISTS (SELECT 1 FROM eservices e WHERE e.organisation_number = o.number)
			  AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.organisation_number = o.number)`)
		if err != nil {
			return err
		}
		for _, number := range unreferenced {
			if listed[number] {
				continue
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM organisations WHERE number = ?`), number); err != nil {
				return fmt.Errorf("delete %s: %w", number, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: sync organisations: %w", err)
	}
	return nil
}

// Organisation returns the organisation with the given number.
func (s *Store) Organisation(ctx context.Context, number string) (me.Organisation, error) {
	var r organisationRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`
		SELECT number, name, portal_url FROM organisations WHERE number = ?`), number)
	if err != nil {
		return me.Organisation{}, fmt.Errorf("store: get organisation %s: %w", number, notFound(err))
	}
	return r.organisation(), nil
}

// Organisations returns all organisations ordered by number.
func (s *Store) Organisations(ctx context.Context) ([]me.Organisation, error) {
	var rows []organisationRow
	err := s.db.SelectContext(ctx, &rows, `
		SELECT number, name, portal_url FROM organisations ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("store: list organisations: %w", err)
	}
	orgs := make([]me.Organisation, len(rows))
	for i, r := range rows {
		orgs[i] = r.organisation()
	}
	return orgs, nil
}
