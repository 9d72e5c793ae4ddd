package journal_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func TestPresenceHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
	op1, op2 := f.op1.OperatorID, f.op2.OperatorID
	events := []hotline.PresenceEvent{
		{OperatorID: op1, At: at(8, 0), Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode, Actor: "ivanova"},
		{OperatorID: op2, At: at(8, 30), Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin, Actor: "admin"},
		{OperatorID: op1, At: at(10, 0), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode, Actor: "ivanova"},
		{OperatorID: op1, At: at(10, 15), Presence: hotline.PresenceUnreachable, Reason: "2", How: hotline.PresenceByHandset, Actor: "system"},
		{OperatorID: op1, At: at(10, 20), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByHandset, Actor: "system"},
		{OperatorID: op1, At: at(11, 0), Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin, Actor: "root"},
		// Written before the journal recorded actors (a spooled write of an older daemon): unknown.
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
		{"actor too long", hotline.PresenceEvent{OperatorID: op, At: now, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin,
			Actor: strings.Repeat("a", hotline.MaxShortLen+1)}, hotline.EINVALID},
		{"actor with a control character", hotline.PresenceEvent{OperatorID: op, At: now, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin,
			Actor: "root\x1b[2J"}, hotline.EINVALID},
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

// 0007 adds who changed a presence; the rows written before it keep an empty actor (unknown: the
// journal did not record it then), and the history stays append-only.
func TestPresenceActorMigration(t *testing.T) {
	if journal.OnPostgres() {
		t.Skip("it writes an old SQLite file by hand: SQLite only; on PostgreSQL the suite covers it otherwise (docs/journal.md)")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A journal as hotline left it at schema version 5, with one presence row.
	old := []string{"0001_init.sql", "0002_legs_by_call.sql", "0003_operator_presence.sql", "0004_recording_retention.sql", "0005_write_marks.sql"}
	for _, name := range old {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, string(b)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 5`,
		`INSERT INTO operators (id, name, login, role, level, active, created_at) VALUES (1, 'Иванова', 'ivanova', 'operator', 1, 1, 0)`,
		`INSERT INTO operator_presence (operator_id, at, presence, reason, how) VALUES (1, 1000, 'available', '', 'admin')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path, newClock())
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPresence(ctx, hotline.PresenceEvent{OperatorID: 1, At: time.UnixMilli(2000).UTC(), Presence: hotline.PresencePaused,
		Reason: "2", How: hotline.PresenceByAdmin, Actor: "root"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.PresenceHistory(ctx, 1, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, e := range got {
		actors = append(actors, e.Actor)
	}
	if want := []string{"", "root"}; !slices.Equal(actors, want) {
		t.Errorf("actors after the migration = %q, want %q", actors, want)
	}
	w, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.ExecContext(ctx, `UPDATE operator_presence SET actor = 'admin'`); err == nil {
		t.Error("the old rows' actor could be rewritten: the history is no longer append-only")
	}
}
