package journal

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
)

// A write that reaches SQLite on a read-only connection gets SQLITE_READONLY: the same error a
// read-only file gives (which cannot be staged when tests run as root). It must say what to check.
func TestReadOnlyErrors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ro.db")
	s, err := Open(ctx, path, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = s.r.ExecContext(ctx, `INSERT INTO topics (code, type, title, created_at) VALUES ('x', 'complaint', 'x', 0)`)
	err = s.dbError(err, "add topic")
	if hotline.ErrorCode(err) != hotline.EUNAVAILABLE || !strings.Contains(hotline.ErrorMessage(err), "read-only") {
		t.Fatalf("read-only write: %v", err)
	}

	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	c := hotline.Case{Channel: hotline.ChannelPhone}
	if err := ro.NewCase(ctx, hotline.SystemActor, &c); hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		t.Fatalf("write on a read-only store: %v", err)
	}
	if n, err := ro.CountCases(ctx, CaseFilter{}); err != nil || n != 0 {
		t.Fatalf("read-only store reads: %d %v", n, err)
	}
}

// The history refuses to be rewritten, whoever holds the file.
func TestHistoryIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, AddrForTest(t, filepath.Join(t.TempDir(), "h.db")), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := hotline.Case{Channel: hotline.ChannelPhone}
	if err := s.NewCase(ctx, hotline.SystemActor, &c); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE history SET actor = 'nobody'`, `DELETE FROM history`} {
		if _, err := s.w.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// testOptions logs the store's warnings in the test's own output (shown when it fails) and drops
// its info lines.
func testOptions(tb testing.TB) Options {
	return Options{Logger: slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

// Migrating says once what it did, not once per migration (five lines per test journal drowned
// the failures of the integration tests), and nothing when there was nothing to do.
func TestMigrateLogsOneLine(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	s, err := Open(ctx, emptyAddrForTest(t, filepath.Join(t.TempDir(), "m.db")), Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	ms, _ := migrations()
	want := fmt.Sprintf("from_version=0 version=%d applied=%s", LatestVersion(), ms[0].name)
	if len(applied) != LatestVersion() || len(lines) != 1 || !strings.Contains(lines[0], "journal: migrated") || !strings.Contains(lines[0], want) ||
		!strings.Contains(lines[0], ms[len(ms)-1].name) {
		t.Fatalf("applied %v, logged:\n%s\nwant one line with %q and every migration", applied, buf.String(), want)
	}
	buf.Reset()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("a current journal logged %q", buf.String())
	}
}
