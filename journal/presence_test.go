package journal_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

func TestPresenceHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
	op1, op2 := f.op1.OperatorID, f.op2.OperatorID
	events := []hotline.PresenceEvent{
		{OperatorID: op1, At: at(8, 0), Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode},
		{OperatorID: op2, At: at(8, 30), Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin},
		{OperatorID: op1, At: at(10, 0), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode},
		{OperatorID: op1, At: at(10, 15), Presence: hotline.PresenceUnreachable, Reason: "2", How: hotline.PresenceByHandset},
		{OperatorID: op1, At: at(10, 20), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByHandset},
		{OperatorID: op1, At: at(11, 0), Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode},
		{OperatorID: op2, At: at(12, 0), Presence: hotline.PresenceLoggedOut, How: hotline.PresenceByFeatureCode},
	}
	for _, e := range events {
		if err := f.s.RecordPresence(ctx, e); err != nil {
			t.Fatalf("RecordPresence(%v): %v", e, err)
		}
	}
	// Durable: a fresh store on the same file reads them back.
	f.s.Close()
	s := open(t, f.path, f.clk)

	tests := []struct {
		name     string
		operator int64
		from, to time.Time
		want     []hotline.PresenceEvent
	}{
		{"everything", 0, time.Time{}, time.Time{},
			[]hotline.PresenceEvent{events[0], events[2], events[3], events[4], events[5], events[1], events[6]}},
		{"one operator", op2, time.Time{}, time.Time{}, []hotline.PresenceEvent{events[1], events[6]}},
		// The event in force at from comes first, for each operator.
		{"period starts with the state in force", 0, at(10, 10), at(11, 0),
			[]hotline.PresenceEvent{events[2], events[3], events[4], events[1]}},
		{"one operator's period", op1, at(10, 16), at(12, 0), []hotline.PresenceEvent{events[3], events[4], events[5]}},
		{"before anything", op1, at(6, 0), at(7, 0), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.PresenceHistory(ctx, tc.operator, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("history:\n got %v\nwant %v", got, tc.want)
			}
		})
	}

	last, err := s.LastPresence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []hotline.PresenceEvent{events[5], events[6]}; !slices.Equal(last, want) {
		t.Errorf("LastPresence:\n got %v\nwant %v", last, want)
	}
	if _, err := s.PresenceHistory(ctx, op1, at(11, 0), at(10, 0)); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("reversed period: %v, want invalid", err)
	}
}

func TestRecordPresenceRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clk.Now()
	op := f.op1.OperatorID
	for _, tc := range []struct {
		name string
		e    hotline.PresenceEvent
		code string
	}{
		{"no operator", hotline.PresenceEvent{At: now, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin}, hotline.EINVALID},
		{"unknown operator", hotline.PresenceEvent{OperatorID: 999, At: now, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin}, hotline.ENOTFOUND},
		{"transient state", hotline.PresenceEvent{OperatorID: op, At: now, Presence: hotline.PresenceTalking, How: hotline.PresenceByAdmin}, hotline.EINVALID},
		{"no cause", hotline.PresenceEvent{OperatorID: op, At: now, Presence: hotline.PresencePaused}, hotline.EINVALID},
		{"reason while available", hotline.PresenceEvent{OperatorID: op, At: now, Presence: hotline.PresenceAvailable, Reason: "2", How: hotline.PresenceByAdmin}, hotline.EINVALID},
		{"no time", hotline.PresenceEvent{OperatorID: op, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin}, hotline.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, f.s.RecordPresence(ctx, tc.e), tc.code)
		})
	}
	if last, err := f.s.LastPresence(ctx); err != nil || len(last) != 0 {
		t.Errorf("after refusals LastPresence = %v, %v; want none", last, err)
	}
}

// The database itself keeps the history append-only, whatever program holds the file.
func TestPresenceAppendOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e := hotline.PresenceEvent{OperatorID: f.op1.OperatorID, At: f.clk.Now(), Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode}
	if err := f.s.RecordPresence(ctx, e); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`UPDATE operator_presence SET presence = 'paused'`, `DELETE FROM operator_presence`} {
		if _, err := db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded; want append-only refusal", q)
		}
	}
}
