package store

import "context"

// Exported for the tests in store_test.

// MigrateTo applies the migrations up to and including version last.
func (s *Store) MigrateTo(ctx context.Context, last int) (int, error) { return s.migrateTo(ctx, last) }

// Migrations returns how many migrations the driver has.
func Migrations(driver string) int {
	ms, err := loadMigrations(driver)
	if err != nil {
		panic(err)
	}
	return len(ms)
}

// Exec runs a statement written with ? placeholders, for setting up old
// data in migration tests.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(query), args...)
	return err
}

// NewID is newID.
var NewID = newID

// TicketRow returns every column of the ticket with this hash, for checking
// what the table holds.
func (s *Store) TicketRow(ctx context.Context, hash []byte) (map[string]any, error) {
	row := map[string]any{}
	err := s.db.QueryRowxContext(ctx, s.db.Rebind(`SELECT * FROM tickets WHERE hash = ?`), hash).MapScan(row)
	return row, err
}
