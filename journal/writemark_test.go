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
		_, err := s.StartCall(WithWriteMark(ctx, m), CallStart{CallID: call, CallerNumber: "+79001112233", ArrivedAt: at})
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
	if err := s.SaveCallLeg(ctx, hotline.Leg{CallID: "nope", ArrivedAt: time.Now()}, ""); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("saving an unknown call: %v, want not found", err)
	}
	if _, err := s.StartCall(ctx, CallStart{CallID: "c1", ArrivedAt: time.Now()}); err != nil {
		t.Fatalf("the same mark after a failed write: %v", err)
	}
}

func openTestStore(t *testing.T) *Store {
	t.Helper()
	return openMigrated(t, AddrForTest(t, filepath.Join(t.TempDir(), "hotline.db")))
}

// openSQLiteStore is a migrated journal on SQLite whatever the run's backend, for what only SQLite
// has (its writer connection, its statements' compilation, synchronous), closed at the test's end.
func openSQLiteStore(tb testing.TB) *Store {
	tb.Helper()
	return openMigrated(tb, filepath.Join(tb.TempDir(), "hotline.db"))
}

// openMigrated opens the journal at addr and migrates it; it is closed at the test's end.
func openMigrated(tb testing.TB, addr string) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, addr, testOptions(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s
}

// A callback waiting for its turn is listed until it is given to an operator, and only once the
// call that asked for it has ended; a message or an abandoned call is no callback.
func TestWaitingCallbacks(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	start := func(call, number string) {
		t.Helper()
		if _, err := s.StartCall(ctx, CallStart{CallID: call, CallerNumber: number, ArrivedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	end := func(call string, leg hotline.Leg, outcome hotline.CallOutcome) {
		t.Helper()
		leg.CallID, leg.ArrivedAt, leg.QueuedAt, leg.EndedAt = call, at, at.Add(2*time.Second), at.Add(time.Minute)
		if err := s.SaveCallLeg(ctx, leg, outcome); err != nil {
			t.Fatal(err)
		}
	}
	delayed := func(call, why string) {
		t.Helper()
		if _, err := s.OpenDelayedAnswer(ctx, call, why, DelayedAnswerRule{}); err != nil {
			t.Fatal(err)
		}
	}
	start("c1", "+79001110001") // keyed 1
	delayed("c1", DelayedCallback)
	if legs, err := s.WaitingCallbacks(ctx); err != nil || len(legs) != 0 {
		t.Fatalf("a callback asked on a call still going is listed: %+v %v", legs, err)
	}
	end("c1", hotline.Leg{End: hotline.LegOverflow}, hotline.OutcomeOverflowCallback)
	start("c2", "+79001110002") // left a message: no callback
	delayed("c2", DelayedMessage)
	end("c2", hotline.Leg{End: hotline.LegOverflow, RecordingName: "msg-c2"}, hotline.OutcomeOverflowMessage)
	start("c3", "+79001110003")
	end("c3", hotline.Leg{End: hotline.LegAbandoned}, hotline.OutcomeAbandonedQueue)
	start("c4", "anonymous") // keyed 1 without a number to call back: kept verbatim
	delayed("c4", DelayedCallback)
	end("c4", hotline.Leg{End: hotline.LegOverflow}, hotline.OutcomeOverflowCallback)
	legs, err := s.WaitingCallbacks(ctx)
	if err != nil || len(legs) != 2 || legs[0].CallID != "c1" || legs[1].CallID != "c4" ||
		legs[0].CallerNumber != "+79001110001" || legs[1].CallerNumber != "anonymous" {
		t.Fatalf("WaitingCallbacks = %+v, %v; want c1's and c4's", legs, err)
	}
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	op := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := s.AddOperator(ctx, admin, &op); err != nil {
		t.Fatal(err)
	}
	wantErr := func(err error, code string) {
		t.Helper()
		if hotline.ErrorCode(err) != code {
			t.Fatalf("err = %v, want %s", err, code)
		}
	}
	wantErr(s.GiveCallback(ctx, "c1", 999), hotline.ENOTFOUND)
	wantErr(s.GiveCallback(ctx, "nope", op.ID), hotline.ENOTFOUND)
	if err := s.GiveCallback(ctx, "c1", op.ID); err != nil {
		t.Fatal(err)
	}
	if legs, err := s.WaitingCallbacks(ctx); err != nil || len(legs) != 1 || legs[0].CallID != "c4" {
		t.Errorf("after c1's callback was given to an operator: %+v, %v; want c4's only", legs, err)
	}
	// The delayed answer is the operator's now, still «Отсроченный ответ».
	var owner int64
	var status string
	if err := s.r.QueryRowContext(ctx, `SELECT k.owner_id, k.status FROM cases k JOIN case_calls cc ON cc.case_id = k.id
		JOIN calls c ON c.id = cc.call_ref WHERE c.channel = 'c1'`).Scan(&owner, &status); err != nil {
		t.Fatal(err)
	}
	if owner != op.ID || status != string(hotline.StatusDelayedAnswer) {
		t.Errorf("c1's case after the callback was given: owner %d status %s", owner, status)
	}
}

// A caller who keyed 1 while hotline then went away: the call is ended by the reconciliation after
// the restart, which cannot know the caller asked for a callback. The promise outlives the daemon:
// the callback still waits.
func TestWaitingCallbackSurvivesReconciliation(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		call    string
		end     hotline.LegEnd
		outcome hotline.CallOutcome
	}{
		{"r1", hotline.LegAbandoned, hotline.OutcomeAbandonedQueue}, // switchboard/reconcile.go's outcome for a caller who was waiting
		{"r2", hotline.LegFailed, ""},                               // a spooled write of an earlier version
	} {
		if _, err := s.StartCall(ctx, CallStart{CallID: tt.call, CallerNumber: "+79001110001", ArrivedAt: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveCallLeg(ctx, hotline.Leg{CallID: tt.call, ArrivedAt: at, QueuedAt: at.Add(time.Second)}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.OpenDelayedAnswer(ctx, tt.call, DelayedCallback, DelayedAnswerRule{}); err != nil {
			t.Fatal(err)
		}
		leg := hotline.Leg{CallID: tt.call, ArrivedAt: at, QueuedAt: at.Add(time.Second), EndedAt: at.Add(time.Hour), End: tt.end, EndedAway: true}
		if err := s.SaveCallLeg(ctx, leg, tt.outcome); err != nil {
			t.Fatal(err)
		}
	}
	legs, err := s.WaitingCallbacks(ctx)
	if err != nil || len(legs) != 2 {
		t.Fatalf("WaitingCallbacks = %+v, %v; want r1's and r2's", legs, err)
	}
}
