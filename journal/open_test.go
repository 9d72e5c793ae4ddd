package journal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
)

// A directory given as the journal is refused as such, not warned about for its mode.
func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, ro := range []bool{false, true} {
		_, err := Open(context.Background(), dir, Options{ReadOnly: ro})
		if hotline.ErrorCode(err) != hotline.EINVALID || !strings.Contains(hotline.ErrorMessage(err), "is a directory") {
			t.Errorf("Open(dir, ReadOnly %v) = %v, want invalid: is a directory", ro, err)
		}
	}
}

// Opened read-only, the journal writes nothing, not even the journal mode, and writes through
// it are refused; the readers' DSN is there for the reports.
func TestOpenReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ro.ReaderDSN(), "mode=ro") {
		t.Errorf("ReaderDSN = %q, want mode=ro", ro.ReaderDSN())
	}
	if err := ro.AddTopic(ctx, hotline.Actor{Login: "a", Role: hotline.RoleAdministrator}, hotline.Topic{Code: "x", Type: hotline.TypeComplaint, Title: "x"}); hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		t.Errorf("write on a read-only journal: %v, want unavailable", err)
	}
	if err := ro.RequireCurrent(ctx); err != nil {
		t.Fatal(err)
	}
	ro.Close()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("a read-only open changed the journal")
	}
}
