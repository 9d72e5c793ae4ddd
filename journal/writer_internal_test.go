package journal

import (
	"context"
	"database/sql/driver"
	"path/filepath"
	"testing"
)

// The writer keeps its statement journal in memory (temp_store=MEMORY, writerConnector): on its
// first connection, after Migrate (which sets FILE while it runs), and on a connection that
// replaces a broken one. temp_store 2 is MEMORY; the readers keep SQLite's default.
func TestWriterTempStoreMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tempStore := func(what string, want int) {
		t.Helper()
		var got int
		if err := s.w.GetContext(ctx, &got, "PRAGMA temp_store"); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: the writer's temp_store is %d, want %d", what, got, want)
		}
	}
	tempStore("opened", 2)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tempStore("migrated", 2)
	// Break the writer's one connection: database/sql closes it and opens another (its temporary
	// table goes with it).
	if _, err := s.w.ExecContext(ctx, "CREATE TEMP TABLE first_connection (x)"); err != nil {
		t.Fatal(err)
	}
	c, err := s.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Raw(func(any) error { return driver.ErrBadConn }); err == nil {
		t.Fatal("the connection was not reported broken")
	}
	c.Close()
	var kept int
	if err := s.w.GetContext(ctx, &kept, "SELECT count(*) FROM temp.sqlite_master WHERE name = 'first_connection'"); err != nil {
		t.Fatal(err)
	}
	if kept != 0 {
		t.Fatal("the writer kept its first connection")
	}
	tempStore("reconnected", 2)
	var readers int
	if err := s.r.GetContext(ctx, &readers, "PRAGMA temp_store"); err != nil {
		t.Fatal(err)
	}
	if readers != 0 {
		t.Fatalf("the readers' temp_store is %d, want SQLite's default 0", readers)
	}
	// Writes work on the new connection.
	if _, err := s.w.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('writer-test', 'x')"); err != nil {
		t.Fatal(err)
	}
}
