package journaladapter

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// The contract the switchboard relies on, against a real journal: a call is filed, its leg saved by
// call id, the answering operator owns the case, a callback makes it a delayed answer, and the
// caller's next call comes back as returning, to that owner.
func TestCallFiledInJournal(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	o := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := store.AddOperator(ctx, admin, &o); err != nil {
		t.Fatal(err)
	}
	j := Journal{store}

	ops, err := j.Operators(ctx)
	if err != nil || len(ops) != 1 || ops[0].Extension != "1001" {
		t.Fatalf("Operators = %+v, %v", ops, err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	leg := hotline.Leg{CallID: "1700.1", CallerNumber: "+79001112233", ArrivedAt: at}
	cc, err := j.Write(ctx, switchboard.Write{StartCall: &leg})
	if err != nil {
		t.Fatal(err)
	}
	if cc.CaseID == 0 || cc.Returning || cc.OwnerID != 0 {
		t.Errorf("first call filed as %+v, want a new case without owner", cc)
	}
	leg.QueuedAt, leg.AnsweredAt, leg.EndedAt = at.Add(5*time.Second), at.Add(9*time.Second), at.Add(time.Minute)
	leg.OperatorID, leg.End, leg.RecordingName = o.ID, hotline.LegCompleted, "call-1700.1"
	if _, err := j.Write(ctx, switchboard.Write{SaveLeg: &leg}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Write(ctx, switchboard.Write{Callback: &switchboard.CallbackAsked{CallID: "1700.1", OperatorID: o.ID}}); err != nil {
		t.Fatal(err)
	}
	again, err := j.Write(ctx, switchboard.Write{StartCall: &hotline.Leg{CallID: "1700.2", CallerNumber: "+79001112233", ArrivedAt: at.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Returning || again.CaseID != cc.CaseID || again.OwnerID != o.ID {
		t.Errorf("second call filed as %+v, want returning to case %d owned by %d", again, cc.CaseID, o.ID)
	}
	legs, err := store.Legs(ctx, cc.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(legs) != 2 || legs[0].RecordingName != "call-1700.1" || legs[0].End != hotline.LegCompleted || legs[0].QueueWait() != 4*time.Second {
		t.Errorf("legs = %+v", legs)
	}
}

// Presence goes through the adapter as the switchboard writes and restores it.
func TestPresenceThroughAdapter(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	o := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := store.AddOperator(ctx, admin, &o); err != nil {
		t.Fatal(err)
	}
	var j switchboard.Journal = Journal{store}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, e := range []hotline.PresenceEvent{
		{OperatorID: o.ID, At: at, Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode},
		{OperatorID: o.ID, At: at.Add(time.Minute), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode},
	} {
		if _, err := j.Write(ctx, switchboard.Write{Presence: &e}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := j.LastPresence(ctx)
	if err != nil || len(last) != 1 || last[0].Presence != hotline.PresencePaused || last[0].Reason != "2" {
		t.Errorf("LastPresence = %v, %v; want paused with reason 2", last, err)
	}
}

// A write replayed from the spool with a mark the journal has applied is refused as already
// applied and writes nothing; the next mark applies.
func TestSpooledWriteAppliedOnce(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	j := Journal{store}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	start := switchboard.Write{Mark: switchboard.Mark{Spool: "g1", Seq: 1},
		StartCall: &hotline.Leg{CallID: "1700.1", CallerNumber: "+79001112233", ArrivedAt: at}}
	cc, err := j.Write(ctx, start)
	if err != nil || cc.CaseID == 0 {
		t.Fatalf("first write: %+v, %v", cc, err)
	}
	if _, err := j.Write(ctx, start); !errors.Is(err, switchboard.ErrAlreadyApplied) {
		t.Fatalf("replay: %v, want ErrAlreadyApplied", err)
	}
	end := *start.StartCall
	end.EndedAt, end.End = at.Add(time.Minute), hotline.LegAbandoned
	if _, err := j.Write(ctx, switchboard.Write{Mark: switchboard.Mark{Spool: "g1", Seq: 2}, SaveLeg: &end}); err != nil {
		t.Fatalf("next mark: %v", err)
	}
	legs, err := store.Legs(ctx, cc.CaseID)
	if err != nil || len(legs) != 1 || legs[0].End != hotline.LegAbandoned {
		t.Errorf("legs = %+v, %v; want the one leg, abandoned", legs, err)
	}
}

func openStore(t *testing.T) *journal.Store {
	t.Helper()
	ctx := context.Background()
	store, err := journal.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return store
}

// A mark recorded alone (its write was refused) makes a later replay of that write a no-op.
func TestMarkClaimedAlone(t *testing.T) {
	ctx := context.Background()
	j := Journal{openStore(t)}
	mark := switchboard.Mark{Spool: "g1", Seq: 5}
	if _, err := j.Write(ctx, switchboard.Write{Mark: mark}); err != nil {
		t.Fatalf("claim alone: %v", err)
	}
	leg := hotline.Leg{CallID: "1700.9", ArrivedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	if _, err := j.Write(ctx, switchboard.Write{Mark: mark, StartCall: &leg}); !errors.Is(err, switchboard.ErrAlreadyApplied) {
		t.Errorf("replay of a write whose mark was claimed alone: %v, want ErrAlreadyApplied", err)
	}
	if _, err := j.Write(ctx, switchboard.Write{}); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("an empty write without a mark: %v, want invalid", err)
	}
}
