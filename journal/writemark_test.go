package journal

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// A write replayed from the spool with a mark already applied is skipped, not doubled; a newer
// mark applies; a new generation applies from its first write and forgets the old one.
func TestWriteMarkAppliesOnce(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	start := func(m WriteMark, call string) error {
		_, err := s.StartCall(WithWriteMark(ctx, m), hotline.Leg{CallID: call, CallerNumber: "+79001112233", ArrivedAt: at})
		return err
	}
	steps := []struct {
		mark    WriteMark
		call    string
		replay  bool
		wantLeg int // legs in the journal afterwards
	}{
		{WriteMark{"gen-a", 1}, "c1", false, 1},
		{WriteMark{"gen-a", 1}, "c1", true, 1}, // replay of the same write
		{WriteMark{"gen-a", 2}, "c2", false, 2},
		{WriteMark{"gen-a", 1}, "c1", true, 2}, // an older one
		{WriteMark{"gen-b", 1}, "c3", false, 3},
		{WriteMark{}, "c4", false, 4}, // no mark: always applied
	}
	for i, st := range steps {
		err := start(st.mark, st.call)
		if st.replay != errors.Is(err, ErrAlreadyApplied) || (!st.replay && err != nil) {
			t.Fatalf("step %d (%+v): err = %v, replay %v", i, st.mark, err, st.replay)
		}
		var n int
		if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM legs`); err != nil {
			t.Fatal(err)
		}
		if n != st.wantLeg {
			t.Fatalf("step %d: %d legs, want %d", i, n, st.wantLeg)
		}
	}
	var spools []string
	if err := s.r.SelectContext(ctx, &spools, `SELECT spool FROM write_marks`); err != nil {
		t.Fatal(err)
	}
	if len(spools) != 1 || spools[0] != "gen-b" {
		t.Errorf("write marks kept for %v, want only the newest generation gen-b", spools)
	}
}

// A write that fails leaves its mark unclaimed: the retry applies.
func TestWriteMarkRolledBackWithTheWrite(t *testing.T) {
	s := openTestStore(t)
	ctx := WithWriteMark(context.Background(), WriteMark{"gen-a", 1})
	if err := s.SaveCallLeg(ctx, hotline.Leg{CallID: "nope", ArrivedAt: time.Now()}); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("saving an unknown call: %v, want not found", err)
	}
	if _, err := s.StartCall(ctx, hotline.Leg{CallID: "c1", ArrivedAt: time.Now()}); err != nil {
		t.Fatalf("the same mark after a failed write: %v", err)
	}
}

func openTestStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "hotline.db"), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// A callback waiting for its turn is listed until an operator is given the case.
func TestWaitingCallbacks(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	file := func(call, number string, end hotline.LegEnd) {
		leg := hotline.Leg{CallID: call, CallerNumber: number, ArrivedAt: at}
		if _, err := s.StartCall(ctx, leg); err != nil {
			t.Fatal(err)
		}
		leg.QueuedAt, leg.EndedAt, leg.End = at.Add(2*time.Second), at.Add(time.Minute), end
		if err := s.SaveCallLeg(ctx, leg); err != nil {
			t.Fatal(err)
		}
	}
	file("c1", "+79001110001", hotline.LegOverflow) // keyed 1
	if err := s.AwaitCallback(ctx, "c1", 0); err != nil {
		t.Fatal(err)
	}
	file("c2", "+79001110002", hotline.LegOverflow) // left a message: no callback
	file("c3", "+79001110003", hotline.LegAbandoned)
	// Keyed 1, then the call was cut while hotline was away: reconciliation filed it failed.
	file("c4", "+79001110004", hotline.LegFailed)
	if err := s.AwaitCallback(ctx, "c4", 0); err != nil {
		t.Fatal(err)
	}
	legs, err := s.WaitingCallbacks(ctx)
	if err != nil || len(legs) != 2 || legs[0].CallID != "c1" || legs[1].CallID != "c4" {
		t.Fatalf("WaitingCallbacks = %+v, %v; want c1's and c4's", legs, err)
	}
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	op := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := s.AddOperator(ctx, admin, &op); err != nil {
		t.Fatal(err)
	}
	if err := s.AwaitCallback(ctx, "c1", op.ID); err != nil {
		t.Fatal(err)
	}
	if legs, err := s.WaitingCallbacks(ctx); err != nil || len(legs) != 1 || legs[0].CallID != "c4" {
		t.Errorf("after c1's case was given to an operator: %+v, %v; want c4's only", legs, err)
	}
}
