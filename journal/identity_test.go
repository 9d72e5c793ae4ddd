package journal_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hotline-dev/hotline/journal"
)

// The journal's identity is made once and survives reopening; two journals have different ones.
func TestIdentityKeptAndDistinct(t *testing.T) {
	ctx := context.Background()
	migrated := func(path string) *journal.Store {
		s := open(t, path, newClock())
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	pathA := filepath.Join(t.TempDir(), "a.db")
	a := migrated(pathA)
	id1, err := a.Identity(ctx)
	if err != nil || len(id1) < 16 {
		t.Fatalf("identity %q, %v; want a random id", id1, err)
	}
	if id2, err := a.Identity(ctx); err != nil || id2 != id1 {
		t.Fatalf("second read %q, %v; want %q", id2, err, id1)
	}
	a.Close()
	if id3, err := migrated(pathA).Identity(ctx); err != nil || id3 != id1 {
		t.Fatalf("after reopening %q, %v; want %q", id3, err, id1)
	}
	if other, err := migrated(filepath.Join(t.TempDir(), "b.db")).Identity(ctx); err != nil || other == id1 {
		t.Fatalf("another journal's identity %q, %v; want a different one", other, err)
	}
}
