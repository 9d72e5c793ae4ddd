package journal

import (
	"strings"
	"testing"
)

// Every SQLite migration has its PostgreSQL twin, by number and name, and no twin is without
// one: a migration added without its twin fails here, not on a fund's PostgreSQL.
func TestEveryMigrationHasPostgresTwin(t *testing.T) {
	lite, err := migrationsIn("migrations")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrationsIn("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range lite {
		if i >= len(pg) || pg[i].name != m.name {
			t.Errorf("migration %s has no PostgreSQL twin journal/migrations/postgres/%s (docs/journal.md: PostgreSQL)", m.name, m.name)
		}
	}
	for _, m := range pg[min(len(pg), len(lite)):] {
		t.Errorf("PostgreSQL migration %s has no SQLite original", m.name)
	}
	for _, m := range pg {
		for _, word := range []string{"WITHOUT ROWID", "INSERT OR", "PRAGMA", "AUTOINCREMENT", "strftime(", "RAISE(ABORT"} {
			if strings.Contains(m.sql, word) {
				t.Errorf("PostgreSQL migration %s uses SQLite's %s", m.name, word)
			}
		}
	}
}

func TestRebindDollar(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE a = ? AND b = ?`, `SELECT a FROM t WHERE a = $1 AND b = $2`},
		{`SELECT '?' || ?, "we?ird" FROM t`, `SELECT '?' || $1, "we?ird" FROM t`},
		{`SELECT 'it''s ?', ? -- why?` + "\n" + `, ?`, `SELECT 'it''s ?', $1 -- why?` + "\n" + `, $2`},
		{`SELECT /* ? */ ?`, `SELECT /* ? */ $1`},
		{`WHERE ?1 = 0 OR o.id = ?1 AND at < ?2`, `WHERE $1 = 0 OR o.id = $1 AND at < $2`},
		{`LIKE ? ESCAPE '\'`, `LIKE $1 ESCAPE '\'`},
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
	} {
		if got := rebindDollar(tc.in); got != tc.want {
			t.Errorf("rebindDollar(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://hotline:s3cret@db:5432/hotline?sslmode=require", "postgres://hotline:xxxxx@db:5432/hotline?sslmode=require"},
		{"postgres://hotline@db/hotline?password=s3cret", "postgres://hotline@db/hotline?password=xxxxx"},
		{"postgres://db/hotline", "postgres://db/hotline"},
		{"postgres://hotline@db/hotline?sslkey=k.pem&sslpassword=keypass", "postgres://hotline@db/hotline?sslkey=k.pem&sslpassword=xxxxx"},
		{"postgres://u:p%zz@db/x", "(unparsable PostgreSQL address)"},
	} {
		got := RedactDSN(tc.in)
		if got != tc.want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestByteOrderCollation(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{{"C", true}, {"POSIX", true}, {"C.UTF-8", true}, {"C.utf8", true}, {"en_US.UTF-8", false}, {"ru_RU.UTF-8", false}, {"", false}} {
		if got := byteOrderCollation(tc.name); got != tc.want {
			t.Errorf("byteOrderCollation(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
