// Tables: none. How a time is stored so that one value reads back alike
// from both drivers. It knows no table.

package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeFormat is RFC 3339 with a fixed nine-digit fraction: SQLite keeps it
// as TEXT that sorts chronologically and PostgreSQL parses it into
// timestamptz, so one value works for both drivers.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// timestamp moves a time through both drivers: it is written as timeFormat
// text and read from time.Time (PostgreSQL) or text (SQLite), always in UTC.
type timestamp struct{ time.Time }

// dbTime returns t as it will read back from the database: UTC, truncated to
// microseconds (PostgreSQL's precision) so both drivers round-trip exactly.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Value implements driver.Valuer.
func (t timestamp) Value() (driver.Value, error) {
	return dbTime(t.Time).Format(timeFormat), nil
}

// Scan implements sql.Scanner.
func (t *timestamp) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into a timestamp", src)
}

func (t *timestamp) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad timestamp %q: %w", s, err)
	}
	t.Time = v.UTC()
	return nil
}

// nullTimestamp is a timestamp that may be NULL.
type nullTimestamp struct {
	Time  time.Time
	Valid bool
}

// Ptr returns nil for NULL.
func (n nullTimestamp) Ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

// Value implements driver.Valuer.
func (n nullTimestamp) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return timestamp{n.Time}.Value()
}

// Scan implements sql.Scanner.
func (n *nullTimestamp) Scan(src any) error {
	if src == nil {
		*n = nullTimestamp{}
		return nil
	}
	var t timestamp
	if err := t.Scan(src); err != nil {
		return err
	}
	*n = nullTimestamp{Time: t.Time, Valid: true}
	return nil
}
