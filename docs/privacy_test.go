package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPrivacyNamesEveryTable: docs/privacy.md names (as `table`) every
// table the migrations of each driver leave in the database, and
// schema_migrations, which Migrate creates: a migration that adds a table
// fails here until the page says what it holds.
func TestPrivacyNamesEveryTable(t *testing.T) {
	doc, err := os.ReadFile("privacy.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, driver := range []string{"sqlite", "postgres"} {
		files, err := filepath.Glob(filepath.Join("../store/migrations", driver, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no migrations for %s: %v", driver, err)
		}
		slices.Sort(files)
		var sql []string
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sql = append(sql, string(b))
		}
		tables := append(migratedTables(strings.Join(sql, "\n")), "schema_migrations")
		if len(tables) < 15 {
			t.Fatalf("%s: found only the tables %v; has the migrations' form changed?", driver, tables)
		}
		for _, table := range unmentioned(string(doc), tables) {
			t.Errorf("docs/privacy.md does not mention the table `%s` (%s migrations): say what personal data it holds, or list it among the tables without", table, driver)
		}
	}
}

// TestPrivacyTableCheckCatches: the check finds a table a migration
// creates and the page does not name, follows renames and drops, and
// ignores comments.
func TestPrivacyTableCheckCatches(t *testing.T) {
	sql := `-- CREATE TABLE commented_out (x int);
CREATE TABLE kept (id int);
CREATE TABLE IF NOT EXISTS new_one (id int);
CREATE TABLE gone (id int);
DROP TABLE gone;
CREATE TABLE kept_new (id int);
ALTER TABLE kept_new RENAME TO renamed;`
	got := migratedTables(sql)
	if want := []string{"kept", "new_one", "renamed"}; !slices.Equal(got, want) {
		t.Errorf("migratedTables = %v; want %v", got, want)
	}
	if missing := unmentioned("`kept` and `renamed`; not new_one in plain text", got); !slices.Equal(missing, []string{"new_one"}) {
		t.Errorf("unmentioned = %v; want [new_one]", missing)
	}
}

var (
	sqlComment  = regexp.MustCompile(`--[^\n]*`)
	createTable = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)`)
	dropTable   = regexp.MustCompile(`(?i)\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)`)
	renameTable = regexp.MustCompile(`(?i)\bALTER\s+TABLE\s+(\w+)\s+RENAME\s+TO\s+(\w+)`)
	statement   = regexp.MustCompile(`(?i)\b(?:CREATE\s+TABLE|DROP\s+TABLE|ALTER\s+TABLE\s+\w+\s+RENAME\s+TO)\b[^;]*`)
)

// migratedTables returns the tables the statements of sql leave, in the
// order they were created: created, less dropped, renames followed.
func migratedTables(sql string) []string {
	sql = sqlComment.ReplaceAllString(sql, "")
	var tables []string
	for _, stmt := range statement.FindAllString(sql, -1) {
		switch {
		case createTable.MatchString(stmt):
			tables = append(tables, strings.ToLower(createTable.FindStringSubmatch(stmt)[1]))
		case dropTable.MatchString(stmt):
			name := strings.ToLower(dropTable.FindStringSubmatch(stmt)[1])
			tables = slices.DeleteFunc(tables, func(t string) bool { return t == name })
		case renameTable.MatchString(stmt):
			m := renameTable.FindStringSubmatch(stmt)
			if i := slices.Index(tables, strings.ToLower(m[1])); i >= 0 {
				tables[i] = strings.ToLower(m[2])
			}
		}
	}
	return tables
}

// unmentioned returns the tables doc does not name as `table`.
func unmentioned(doc string, tables []string) []string {
	var out []string
	for _, table := range tables {
		if !strings.Contains(doc, "`"+table+"`") {
			out = append(out, table)
		}
	}
	return out
}
