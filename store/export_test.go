package store

import (
	"context"
	"fmt"
	"strings"
)

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

// CopyRows copies every row of tables from another store into s, in the
// columns both have: migration tests record data with today's code on a
// migrated store and copy it into a database at an older version, as
// that version would have held it.
func (s *Store) CopyRows(ctx context.Context, from *Store, tables ...string) error {
	for _, table := range tables {
		var columns []string
		query := `SELECT name FROM pragma_table_info(?)`
		if s.driver == DriverPostgres {
			query = `SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema()`
		}
		if err := s.db.SelectContext(ctx, &columns, s.db.Rebind(query), table); err != nil {
			return fmt.Errorf("columns of %s: %w", table, err)
		}
		if len(columns) == 0 {
			return fmt.Errorf("%s: no such table", table)
		}
		rows, err := from.db.QueryxContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		var all []map[string]any
		for rows.Next() {
			row := map[string]any{}
			if err := rows.MapScan(row); err != nil {
				rows.Close()
				return err
			}
			all = append(all, row)
		}
		rows.Close()
		for _, row := range all {
			var names []string
			var values []any
			for _, c := range columns {
				if v, ok := row[c]; ok {
					names = append(names, c)
					values = append(values, v)
				}
			}
			insert := `INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(names)-1) + `)`
			if _, err := s.db.ExecContext(ctx, s.db.Rebind(insert), values...); err != nil {
				return fmt.Errorf("copy into %s: %w", table, err)
			}
		}
	}
	return nil
}

// Count returns how many rows of table match where (SQL with ?
// placeholders), for checking what a purge left.
func (s *Store) Count(ctx context.Context, table, where string, args ...any) (int, error) {
	var n int
	query := `SELECT count(*) FROM ` + table
	if where != "" {
		query += ` WHERE ` + where
	}
	err := s.db.GetContext(ctx, &n, s.db.Rebind(query), args...)
	return n, err
}

// Get runs a query written with ? placeholders into dest.
func (s *Store) Get(ctx context.Context, dest any, query string, args ...any) error {
	return s.db.GetContext(ctx, dest, s.db.Rebind(query), args...)
}

// TablesHolding returns the tables with a value (text or bytes) that
// contains needle, each once, for checking that erased data is gone from
// every table.
func (s *Store) TablesHolding(ctx context.Context, needle string) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.driver == DriverPostgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	var tables []string
	if err := s.db.SelectContext(ctx, &tables, query); err != nil {
		return nil, err
	}
	var holding []string
	for _, table := range tables {
		rows, err := s.db.QueryxContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		found := false
		for rows.Next() && !found {
			values, err := rows.SliceScan()
			if err != nil {
				rows.Close()
				return nil, err
			}
			for _, v := range values {
				switch v := v.(type) {
				case string:
					found = found || strings.Contains(v, needle)
				case []byte:
					found = found || strings.Contains(string(v), needle)
				}
			}
		}
		rows.Close()
		if found {
			holding = append(holding, table)
		}
	}
	return holding, nil
}
