// Tables: clients: the configuration's clients, synced at start. It keeps
// the certificate fingerprint and secret hash it is given; how a client
// authenticates, and what its role lets it do, is not the store's.

package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/minaengagemang/me"
)

type clientRow struct {
	Name               string `db:"name"`
	OrganisationNumber string `db:"organisation_number"`
	Role               string `db:"role"`
	CertFingerprint    string `db:"cert_fingerprint"`
	CertSubject        string `db:"cert_subject"`
	SecretHash         string `db:"secret_hash"`
	EServiceID         string `db:"eservice_id"`
}

// SyncClients makes the clients table match the configuration: every given
// client is inserted or updated and every other client is deleted. The
// clients' organisations must exist (SyncOrganisations first).
func (s *Store) SyncClients(ctx context.Context, clients []me.Client) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		listed := make(map[string]bool, len(clients))
		for _, c := range clients {
			listed[c.Name] = true
			_, err := tx.ExecContext(ctx, tx.Rebind(`
				INSERT INTO clients (name, organisation_number, role, cert_fingerprint, cert_subject, secret_hash, eservice_id)
				VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET
					organisation_number = excluded.organisation_number,
					role = excluded.role,
					cert_fingerprint = excluded.cert_fingerprint,
					cert_subject = excluded.cert_subject,
					secret_hash = excluded.secret_hash,
					eservice_id = excluded.eservice_id`),
				c.Name, c.OrganisationNumber, string(c.Role), c.CertFingerprint, c.CertSubject, c.SecretHash, strings.Join(c.EServiceIDs, " "))
			if err != nil {
				return fmt.Errorf("upsert %s: %w", c.Name, err)
			}
		}
		var names []string
		if err := tx.SelectContext(ctx, &names, `SELECT name FROM clients`); err != nil {
			return err
		}
		for _, name := range names {
			if listed[name] {
				continue
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM clients WHERE name = ?`), name); err != nil {
				return fmt.Errorf("delete %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: sync clients: %w", err)
	}
	return nil
}

// Client returns the client with the given name.
func (s *Store) Client(ctx context.Context, name string) (me.Client, error) {
	var r clientRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`
		SELECT name, organisation_number, role, cert_fingerprint, cert_subject, secret_hash, eservice_id
		FROM clients WHERE name = ?`), name)
	if err != nil {
		return me.Client{}, fmt.Errorf("store: get client %s: %w", name, notFound(err))
	}
	return me.Client{
		Name:               r.Name,
		OrganisationNumber: r.OrganisationNumber,
		Role:               me.Role(r.Role),
		CertFingerprint:    r.CertFingerprint,
		CertSubject:        r.CertSubject,
		SecretHash:         r.SecretHash,
		EServiceIDs:        fieldsOrNil(r.EServiceID),
	}, nil
}

// fieldsOrNil splits a space-separated list, with nil for none.
func fieldsOrNil(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}
