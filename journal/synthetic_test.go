package journal_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/journal"
)

// TestGenerateSynthetic writes a small synthetic journal and checks that it reads back as the
// code reads a journal: the cases list, the calls of the range, the callbacks in the history.
func TestGenerateSynthetic(t *testing.T) {
	ctx := context.Background()
	s, err := journal.Open(ctx, journal.AddrForTest(t, filepath.Join(t.TempDir(), "synthetic.db")), journal.Options{Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, -2, 0)
	st, err := s.GenerateSynthetic(ctx, journal.SyntheticOptions{Cases: 3000, From: from, To: to, Batch: 700})
	if err != nil {
		t.Fatal(err)
	}
	if st.Cases != 3000 || st.Calls < 2700 || st.Calls > 2990 || st.History < 5*st.Cases {
		t.Errorf("stats %+v: want 3000 cases, ~96%% with a call, ≥5 history events a case", st)
	}
	n, err := s.CountCases(ctx, journal.CaseFilter{})
	if err != nil || n != 3000 {
		t.Errorf("CountCases = %d, %v; want 3000", n, err)
	}
	recs, err := s.CallRecords(ctx, from.Add(-time.Hour), to)
	if err != nil || len(recs) != st.Legs {
		t.Errorf("CallRecords: %d legs, %v; want %d", len(recs), err, st.Legs)
	}
	changes, err := s.CaseStatusChanges(ctx, "delayed_answer", from, to.Add(72*time.Hour))
	if err != nil || len(changes) == 0 {
		t.Errorf("CaseStatusChanges: %d, %v; want the callbacks' round trips", len(changes), err)
	}
	if _, err := s.GenerateSynthetic(ctx, journal.SyntheticOptions{Cases: 1}); err == nil {
		t.Error("GenerateSynthetic into a journal with cases succeeded; want a conflict")
	}
}
