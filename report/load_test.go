package report

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Load reads the presence history as the journal stores it: each operator's event in force at
// from, then the range's, nothing after to.
func TestLoadPresence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hotline.db")
	s, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	var ids []int64
	for _, name := range []string{"Anna", "Boris"} {
		o := hotline.Operator{Name: name, Role: hotline.RoleOperator, Level: hotline.Level1}
		if err := s.AddOperator(ctx, admin, &o); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	ev := func(op int64, h int, p hotline.Presence, reason string) hotline.PresenceEvent {
		return hotline.PresenceEvent{OperatorID: op, At: at(23, h, 0, 0), Presence: p, Reason: reason, How: hotline.PresenceByFeatureCode}
	}
	all := []hotline.PresenceEvent{
		ev(ids[0], 7, hotline.PresenceAvailable, ""),  // superseded before the range
		ev(ids[0], 8, hotline.PresencePaused, "2"),    // in force at 09:00
		ev(ids[0], 10, hotline.PresenceAvailable, ""), // in the range
		ev(ids[1], 11, hotline.PresenceAvailable, ""), // in the range
		ev(ids[0], 18, hotline.PresenceLoggedOut, ""), // after it
	}
	for _, e := range all {
		if err := s.RecordPresence(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	src, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d, err := src.Load(ctx, at(23, 9, 0, 0), at(23, 17, 0, 0), at(23, 17, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if want := []hotline.PresenceEvent{all[1], all[2], all[3]}; !slices.Equal(d.Presence, want) {
		t.Errorf("presence loaded:\n got %v\nwant %v", d.Presence, want)
	}
	r, err := Compute(d, presenceOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Anna: paused 09:00–10:00, available 10:00–17:00; Boris available 11:00–17:00.
	if len(r.Operators) != 2 || r.Operators[0].StaffedSeconds != 7*3600 || r.Operators[0].PausedSeconds != 3600 ||
		r.Operators[1].StaffedSeconds != 6*3600 || r.Total.Logins != 1 {
		t.Errorf("operators %+v, logins %d", r.Operators, r.Total.Logins)
	}
}
