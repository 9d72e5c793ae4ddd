package journal

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-dev/hotline/journal/pgtest"
)

// The journal's tests run on SQLite, or on PostgreSQL when HOTLINE_TEST_JOURNAL=postgres: one
// suite, two backends (`make test` runs both; docs/journal.md). On PostgreSQL, TestMain starts one
// cluster for the package's run and AddrForTest gives each test journal a fresh database of it.

// testBackend is the run's engine: "sqlite" or "postgres".
var testBackend = os.Getenv("HOTLINE_TEST_JOURNAL")

var testPG struct {
	cluster  *pgtest.Cluster
	mu       sync.Mutex
	dsn      map[string]string // a test's journal path → its database, so a reopen finds it
	template string            // a migrated journal (migrateTemplate)
}

func TestMain(m *testing.M) {
	switch testBackend {
	case "", "sqlite":
		testBackend = "sqlite"
		os.Exit(m.Run())
	case "postgres":
	default:
		fmt.Fprintf(os.Stderr, "HOTLINE_TEST_JOURNAL=%q: want sqlite or postgres\n", testBackend)
		os.Exit(2)
	}
	// Asked for PostgreSQL, a missing one fails the run (never a skip: CI must not pass without it).
	c, err := pgtest.Start(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "the journal's tests on PostgreSQL: %v\n", err)
		os.Exit(1)
	}
	testPG.cluster, testPG.dsn = c, map[string]string{}
	if err := migrateTemplate(c); err != nil {
		c.Stop()
		fmt.Fprintf(os.Stderr, "the journal's tests on PostgreSQL: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop the test PostgreSQL: %v\n", err)
	}
	os.Exit(code)
}

// migrateTemplate makes the database every test's journal is copied from, migrated: seventeen
// migrations per test took most of the suite's time.
func migrateTemplate(c *pgtest.Cluster) error {
	ctx := context.Background()
	dsn, err := c.NewDatabase(ctx)
	if err != nil {
		return err
	}
	s, err := Open(ctx, dsn, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	testPG.template = strings.TrimPrefix(dsn[strings.LastIndex(dsn, "/"):], "/")
	testPG.template, _, _ = strings.Cut(testPG.template, "?")
	return nil
}

// AddrForTest is where a test's journal at path lives on the run's backend: path itself on SQLite;
// on PostgreSQL a database of its own, the same one each time the test opens path.
func AddrForTest(tb testing.TB, path string) string {
	tb.Helper()
	if testBackend != "postgres" {
		return path
	}
	testPG.mu.Lock()
	defer testPG.mu.Unlock()
	if dsn, ok := testPG.dsn[path]; ok {
		return dsn
	}
	dsn, err := testPG.cluster.NewDatabaseFrom(context.Background(), testPG.template)
	if err != nil {
		tb.Fatal(err)
	}
	testPG.dsn[path] = dsn
	return dsn
}

// emptyAddrForTest is AddrForTest for a test of migrating: an empty database on PostgreSQL.
func emptyAddrForTest(tb testing.TB, path string) string {
	tb.Helper()
	if testBackend != "postgres" {
		return path
	}
	dsn, err := testPG.cluster.NewDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return dsn
}

// OnPostgres reports whether the run's backend is PostgreSQL, for the few tests of what only
// SQLite has (a file's permissions, its damage, its backup).
func OnPostgres() bool { return testBackend == "postgres" }
