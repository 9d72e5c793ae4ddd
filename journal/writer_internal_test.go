package journal

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/mattn/go-sqlite3"
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

// StartCall's question about the caller's open cases is compiled once on the writer's connection,
// not at every arrival: SQLite calls the authorizer whenever it compiles a statement, a
// re-preparation included, and this statement alone reads cases. A parameter the planner marks
// as plan-changing (a bare «caller_number = ?» there) has it prepared again at each call, since
// go-sqlite3 clears the bindings before each use (docs/benchmark.md, "Session 13").
func TestStartCallPreparesOnce(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	// authorizations of reads of cases: compilations of the statement
	compiled := countOnWriter(t, s, func(op int, table string) bool { return op == sqlite3.SQLITE_READ && table == "cases" })
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	start := func(i int) {
		t.Helper()
		cf, err := s.StartCall(ctx, CallStart{CallID: fmt.Sprintf("c%d", i), CallerNumber: fmt.Sprintf("+7918000%04d", i), ArrivedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if !cf.CallerValid {
			t.Fatalf("caller %d not valid: the open cases were not asked for", i)
		}
	}
	start(0)
	first := compiled.Load()
	if first == 0 {
		t.Fatal("the authorizer saw no read of cases: the test sees nothing")
	}
	for i := 1; i <= 5; i++ {
		start(i)
	}
	if n := compiled.Load(); n != first {
		t.Fatalf("the open cases' statement was compiled again for later callers: %d authorizations after one call, %d after six", first, n)
	}
}

// An AllOrNothing batch runs its writes without a savepoint each (on SQLite the authorizer sees
// none compiled); a write skipped for its mark (a replay) leaves the batch good, and a write that
// fails spoils it: its Commit fails, and nothing of the batch is in the journal. Both backends.
func TestBatchAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	savepoints := new(atomic.Int64)
	if !s.pg {
		savepoints = countOnWriter(t, s, func(op int, _ string) bool { return op == sqlite3.SQLITE_SAVEPOINT })
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	start := func(b *Batch, call string, seq uint64) error {
		wctx := WithWriteMark(b.Context(ctx), WriteMark{Spool: "g1", Seq: seq})
		_, err := s.StartCall(wctx, CallStart{CallID: call, CallerNumber: "+79180001234", ArrivedAt: at})
		return err
	}
	calls := func() (n int) {
		t.Helper()
		if err := s.w.GetContext(ctx, &n, "SELECT count(*) FROM calls"); err != nil {
			t.Fatal(err)
		}
		return n
	}

	b, err := s.BeginLoggedBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.AllOrNothing()
	if err := start(b, "a", 1); err != nil {
		t.Fatal(err)
	}
	if err := start(b, "replayed", 1); !errors.Is(err, ErrAlreadyApplied) {
		t.Fatalf("a write of an applied mark: %v, want ErrAlreadyApplied", err)
	}
	if err := start(b, "b", 2); err != nil {
		t.Fatalf("the write after a replayed one: %v (the batch was spoiled)", err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := calls(); n != 2 {
		t.Fatalf("%d calls after the first batch, want 2", n)
	}
	if n := savepoints.Load(); n != 0 {
		t.Fatalf("%d savepoint statements compiled for an all-or-nothing batch, want 0", n)
	}

	b, err = s.BeginLoggedBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.AllOrNothing()
	if err := start(b, "c", 3); err != nil {
		t.Fatal(err)
	}
	bad := WithWriteMark(b.Context(ctx), WriteMark{Spool: "g1", Seq: 4})
	if err := s.SaveCallLeg(bad, hotline.Leg{CallID: "no-such-call", ArrivedAt: at}, ""); err == nil {
		t.Fatal("a leg of an unknown call was saved")
	}
	if err := start(b, "d", 5); err == nil {
		t.Fatal("a write after a failed one joined a spoiled batch")
	}
	if err := b.Commit(); err == nil {
		t.Fatal("a spoiled batch committed")
	}
	if n := calls(); n != 2 {
		t.Fatalf("%d calls after the spoiled batch, want the first batch's 2", n)
	}
	var seq int64
	if err := s.w.GetContext(ctx, &seq, "SELECT seq FROM write_marks WHERE spool = 'g1'"); err != nil || seq != 2 {
		t.Fatalf("the spool's mark after the spoiled batch: %d, %v; want 2", seq, err)
	}
}

// countOnWriter counts what SQLite authorizes on the writer's one connection (SQLite only) that
// count picks: an authorization is a statement compiled, so a prepared statement reused is not
// counted again.
func countOnWriter(tb testing.TB, s *Store, count func(op int, table string) bool) *atomic.Int64 {
	tb.Helper()
	var n atomic.Int64
	c, err := s.w.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close() // the writer's one connection, back in the pool with its authorizer
	if err := c.Raw(func(dc any) error {
		dc.(*sqlite3.SQLiteConn).RegisterAuthorizer(func(op int, table, _, _ string) int {
			if count(op, table) {
				n.Add(1)
			}
			return sqlite3.SQLITE_OK
		})
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return &n
}
