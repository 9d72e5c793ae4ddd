package journal

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// db copy moves a SQLite journal with every kind of row into an empty PostgreSQL one: the same
// rows per table, the same cases read back, new rows numbered after the copied ones; a target
// not empty is refused, and so is one at another schema version.
func TestCopyToPostgres(t *testing.T) {
	if !OnPostgres() {
		t.Skip("needs the PostgreSQL run (HOTLINE_TEST_JOURNAL=postgres; `make test` runs it)")
	}
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "src.db"), testOptions(t)) // SQLite, whatever the run
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := src.GenerateSynthetic(ctx, SyntheticOptions{Cases: 300, From: to.AddDate(0, 0, -10), To: to, Batch: 100}); err != nil {
		t.Fatal(err)
	}
	want, err := src.Cases(ctx, CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}

	dst, err := Open(ctx, AddrForTest(t, filepath.Join(t.TempDir(), "dst")), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var steps []string
	rep, err := src.CopyTo(ctx, dst, func(s string) { steps = append(steps, s) })
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, ct := range rep.Tables {
		rows[ct.Table] = ct.Rows
	}
	for table, min := range map[string]int64{"cases": 300, "calls": 250, "legs": 250, "history": 1500, "operators": 1, "topics": 1, "settings": 1} {
		if rows[table] < min {
			t.Errorf("copied %d rows of %s, want at least %d (report %+v)", rows[table], table, min, rep.Tables)
		}
	}
	if len(steps) != len(rep.Tables)+1 {
		t.Errorf("progress %v for %d tables", steps, len(rep.Tables))
	}
	got, err := dst.Cases(ctx, CaseFilter{Limit: 1000})
	if err != nil || len(got) != len(want) {
		t.Fatalf("cases in the target: %d (%v), want %d", len(got), err, len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Number != want[i].Number || got[i].Status != want[i].Status || got[i].Person != want[i].Person {
			t.Fatalf("case %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// The sequences continue after the copied ids.
	c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+78652000099"}
	if err := dst.NewCase(ctx, hotline.SystemActor, &c); err != nil {
		t.Fatal(err)
	}
	if c.ID <= want[0].ID {
		t.Fatalf("a new case got id %d, not after the copied %d", c.ID, want[0].ID)
	}

	// A target with rows is refused, and keeps them.
	if _, err := src.CopyTo(ctx, dst, nil); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Fatalf("copy into a journal with rows: %v, want a conflict", err)
	}
	if n, _ := dst.CountCases(ctx, CaseFilter{}); n != len(want)+1 {
		t.Fatalf("the refused copy changed the target: %d cases", n)
	}
	// A target at another schema version is refused.
	old, err := Open(ctx, emptyAddrForTest(t, "old"), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := src.CopyTo(ctx, old, nil); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Fatalf("copy into an unmigrated journal: %v, want a conflict", err)
	}
}
