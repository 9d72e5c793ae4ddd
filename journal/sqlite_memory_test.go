package journal_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hotline-dev/hotline/journal"
)

// SQLite's allocations are counted: opening a journal and reading it allocates page cache.
func TestSQLiteMemory(t *testing.T) {
	before, _ := journal.SQLiteMemory()
	st, err := journal.Open(context.Background(), filepath.Join(t.TempDir(), "j.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	used, high := journal.SQLiteMemory()
	if used <= before || high < used {
		t.Fatalf("SQLite memory %d bytes (highwater %d) after opening a journal, %d before: want more", used, high, before)
	}
}
