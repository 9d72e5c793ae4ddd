package journal_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Writers from many goroutines and from a second Store on the same file (as the CLI next to
// `serve`) are serialised by the single write connection and the busy timeout: none fails, none
// is lost; readers and an online backup run meanwhile.
func TestConcurrentWritersReadersAndBackup(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	other := open(t, f.path, f.clk)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*each+10)
	for w := 0; w < writers; w++ {
		for _, s := range []*journal.Store{f.s, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+78652000099"}
					if err := s.NewCase(ctx, hotline.SystemActor, &c); err != nil {
						errs <- err
					}
				}
			}()
		}
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if _, err := f.s.Cases(ctx, journal.CaseFilter{Caller: "+78652000099"}); err != nil {
				errs <- err
			}
		}
	}()
	backup := filepath.Join(t.TempDir(), "during.db")
	go func() {
		defer wg.Done()
		if journal.OnPostgres() {
			return // pg_dump's business, not the journal's (docs/journal.md)
		}
		if _, err := other.Backup(ctx, backup); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := f.s.CountCases(ctx, journal.CaseFilter{Caller: "+78652000099"})
	if err != nil || n != 2*writers*each {
		t.Fatalf("%d cases, want %d (%v)", n, 2*writers*each, err)
	}
	if journal.OnPostgres() {
		return
	}
	b := open(t, backup, f.clk)
	rep, err := b.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("backup taken under load: %+v %v", rep, err)
	}
	// The backup is a snapshot: every case in it has its creation event.
	cs, err := b.Cases(ctx, journal.CaseFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := b.History(ctx, journal.HistoryFilter{Entity: "case"})
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, e := range evs {
		if e.Action == "created" {
			created++
		}
	}
	if created != len(cs) {
		t.Fatalf("backup has %d cases and %d creation events", len(cs), created)
	}
}
