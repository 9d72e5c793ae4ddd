package web

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// testJournal is a migrated journal in a temp file holding the fake users as operators (same ids,
// logins, names, levels and roles: admin, level1, level2), two topics and a script recommending
// level2 for the complaint topic. Parts of the workplace test against it: a real store, so the
// pages are refused exactly what the journal's rules refuse.
func testJournal(t testing.TB) *journal.Store {
	t.Helper()
	return testJournalAt(t, nil)
}

// testJournalAt is testJournal on the clock now (nil: time.Now): what the journal stamps changes
// with, and what the pages measure due dates and waiting against.
func testJournalAt(t testing.TB, now func() time.Time) *journal.Store {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := journal.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"), journal.Options{Logger: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	by, err := s.Actor(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{admin, level1, level2} {
		o := hotline.Operator{Name: u.Name, Login: u.Login, Role: u.Role, Level: u.Level, Extension: u.Extension}
		if err := s.AddOperator(ctx, by, &o); err != nil {
			t.Fatal(err)
		}
		if o.ID != u.OperatorID {
			t.Fatalf("operator %s got id %d, the fake user has %d", u.Login, o.ID, u.OperatorID)
		}
		if u.Role == hotline.RoleAdministrator {
			by = u.Actor()
		}
	}
	for _, tp := range []hotline.Topic{
		{Code: "policy-replace", Number: 11, Type: hotline.TypeConsultation, Title: "Замена полиса ОМС", Keywords: []string{"полис", "замена"}},
		{Code: "clinic-refusal", Number: 21, Type: hotline.TypeComplaint, Title: "Отказ в медицинской помощи", Keywords: []string{"отказ", "поликлиника"}},
	} {
		if err := s.AddTopic(ctx, by, tp); err != nil {
			t.Fatal(err)
		}
	}
	sc := hotline.Script{Topic: "clinic-refusal", Title: "Отказ в приёме", Text: "Уточните медицинскую организацию и дату обращения.", Recommended: []int64{level2.OperatorID}}
	if err := s.AddScript(ctx, by, &sc); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTestJournalHoldsTheFakeUsers(t *testing.T) {
	s := testJournal(t)
	op, err := s.OperatorByLogin(t.Context(), level2.Login)
	if err != nil || op.ID != level2.OperatorID || op.Level != hotline.Level2 {
		t.Fatalf("level2 in the journal: %+v %v", op, err)
	}
}
