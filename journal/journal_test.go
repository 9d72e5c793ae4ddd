package journal_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} }
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := hotline.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// fixture is a migrated journal in a temp file with an administrator, two level-1 operators, a
// level-2 specialist, two topics and a script.
type fixture struct {
	s                   *journal.Store
	path                string
	clk                 *clock
	admin, op1, op2, l2 hotline.Actor
	l2ID                int64
}

// testLog is the store's logger in tests: warnings in the test's own output (shown when it
// fails), the migrations' info lines nowhere (a hundred of them hid the failures).
func testLog(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func open(t *testing.T, path string, clk *clock) *journal.Store {
	t.Helper()
	s, err := journal.Open(context.Background(), journal.AddrForTest(t, path), journal.Options{Now: clk.Now, Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{path: filepath.Join(t.TempDir(), "hotline.db"), clk: newClock()}
	f.s = open(t, f.path, f.clk)
	if _, err := f.s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	boot, err := f.s.Actor(ctx, "root")
	if err != nil || !boot.IsAdministrator() {
		t.Fatalf("bootstrap actor: %+v %v", boot, err)
	}
	add := func(by hotline.Actor, o hotline.Operator) hotline.Actor {
		if err := f.s.AddOperator(ctx, by, &o); err != nil {
			t.Fatal(err)
		}
		return hotline.Actor{Login: o.Login, OperatorID: o.ID, Role: o.Role}
	}
	f.admin = add(boot, hotline.Operator{Name: "Админова А.А.", Login: "admin", Role: hotline.RoleAdministrator, Level: 1})
	if _, err := f.s.Actor(ctx, "stranger"); hotline.ErrorCode(err) != hotline.EFORBIDDEN {
		t.Fatalf("after the first administrator, strangers must be refused: %v", err)
	}
	f.op1 = add(f.admin, hotline.Operator{Name: "Иванова И.И.", Login: "ivanova", Role: hotline.RoleOperator, Level: 1, Extension: "1001"})
	f.op2 = add(f.admin, hotline.Operator{Name: "Петров П.П.", Login: "petrov", Role: hotline.RoleOperator, Level: 1, Extension: "1002"})
	f.l2 = add(f.admin, hotline.Operator{Name: "Сидорова С.С.", Login: "sidorova", Role: hotline.RoleOperator, Level: 2, Organisation: "СК «Капитал МС»", Extension: "2001"})
	f.l2ID = f.l2.OperatorID
	for _, tp := range []hotline.Topic{
		{Code: "policy-replace", Number: 11, Type: hotline.TypeConsultation, Title: "Замена полиса ОМС", Keywords: []string{"полис", "замена"}},
		{Code: "clinic-refusal", Number: 21, Type: hotline.TypeComplaint, Title: "Отказ в медицинской помощи", Keywords: []string{"отказ", "поликлиника"}},
	} {
		if err := f.s.AddTopic(ctx, f.admin, tp); err != nil {
			t.Fatal(err)
		}
	}
	sc := hotline.Script{Topic: "clinic-refusal", Title: "Отказ в приёме", Text: "Уточните медицинскую организацию...", Recommended: []int64{f.l2ID}}
	if err := f.s.AddScript(ctx, f.admin, &sc); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) newCase(t *testing.T, by hotline.Actor, c hotline.Case) hotline.Case {
	t.Helper()
	if c.Channel == "" {
		c.Channel = hotline.ChannelPhone
	}
	if err := f.s.NewCase(context.Background(), by, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFileModeAndPragmas(t *testing.T) {
	if journal.OnPostgres() {
		t.Skip("the file's mode and SQLite's pragmas: SQLite only; on PostgreSQL the suite covers it otherwise (docs/journal.md)")
	}
	f := newFixture(t)
	for _, p := range []string{f.path, f.path + "-wal"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600 (personal data)", p, st.Mode().Perm())
		}
	}
	rep, err := f.s.Check(context.Background())
	if err != nil || !rep.OK() || rep.JournalMode != "wal" {
		t.Fatalf("check: %+v %v", rep, err)
	}
	// Closed, the journal is one file: SQLite checkpoints and removes the WAL.
	f.s.Close()
	if _, err := os.Stat(f.path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("WAL left after Close: %v", err)
	}
}

func TestCaseLifeInTheJournal(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.newCase(t, f.op1, hotline.Case{CallerNumber: "+7 (865) 200-00-01", Type: hotline.TypeComplaint, Topic: "clinic-refusal",
		Description: "отказали в записи", Person: hotline.Person{FullName: "Смирнов С.С.", PolicyNumber: "2650000000000001"}})
	if c.Status != hotline.StatusInProgress || c.OwnerID != f.op1.OperatorID || c.CallerNumber != "+78652000001" || !strings.HasPrefix(c.Number, "2026-") {
		t.Fatalf("new case = %+v", c)
	}
	// Another operator may not close it; the owner forwards it to the specialist.
	_, err := f.s.CloseCase(ctx, f.op2, c.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"})
	wantCode(t, err, hotline.EFORBIDDEN)
	c, err = f.s.CloseCase(ctx, f.op1, c.ID, hotline.Closing{Result: hotline.ResultForwarded, Comment: "к страховому представителю", ForwardTo: f.l2ID})
	if err != nil || c.Status != hotline.StatusDelayedAnswer || c.OwnerID != f.l2ID {
		t.Fatalf("forward: %+v %v", c, err)
	}
	// The returning caller, dialling as 8…, is known by the specialist who owns the case now.
	filed, err := f.s.StartCall(ctx, journal.CallStart{CallID: "life-1", CallerNumber: "8 865 200-00-01", ArrivedAt: f.clk.Now()})
	if err != nil || filed.OwnerID != f.l2ID || filed.OpenCases != 1 || filed.CallerNumber != "+78652000001" {
		t.Fatalf("returning caller: %+v %v", filed, err)
	}
	// The specialist calls back, sets it in progress, extends; the administrator approves.
	if c, err = f.s.UpdateCase(ctx, f.l2, c.ID, journal.CaseUpdate{SetInProgress: true}); err != nil || c.Status != hotline.StatusInProgress {
		t.Fatalf("set in progress: %+v %v", c, err)
	}
	until := f.clk.Now().AddDate(0, 0, 30)
	if c, err = f.s.CloseCase(ctx, f.l2, c.ID, hotline.Closing{Result: hotline.ResultExtended, Comment: "проверка МО", ExtendTo: until}); err != nil || c.Status != hotline.StatusUnderReview {
		t.Fatalf("extend: %+v %v", c, err)
	}
	_, err = f.s.ApproveCase(ctx, f.l2, c.ID)
	wantCode(t, err, hotline.EFORBIDDEN)
	if c, err = f.s.ApproveCase(ctx, f.admin, c.ID); err != nil || c.Status != hotline.StatusInProgress || !c.DueAt.Equal(until) {
		t.Fatalf("approve extension: %+v %v", c, err)
	}
	if c, err = f.s.CloseCase(ctx, f.l2, c.ID, hotline.Closing{Result: hotline.ResultMeasuresTaken, Comment: "записан на приём"}); err != nil {
		t.Fatal(err)
	}
	if c, err = f.s.ReturnCase(ctx, f.admin, c.ID, "укажите дату приёма"); err != nil || c.Status != hotline.StatusInProgress {
		t.Fatalf("return: %+v %v", c, err)
	}
	if c, err = f.s.CloseCase(ctx, f.l2, c.ID, hotline.Closing{Result: hotline.ResultMeasuresTaken, Comment: "записан на 01.12"}); err != nil {
		t.Fatal(err)
	}
	if c, err = f.s.ApproveCase(ctx, f.admin, c.ID); err != nil || c.Status != hotline.StatusApproved {
		t.Fatalf("approve: %+v %v", c, err)
	}
	_, err = f.s.UpdateCase(ctx, f.l2, c.ID, journal.CaseUpdate{Description: ptr("x")})
	wantCode(t, err, hotline.ECONFLICT)
	if c, err = f.s.ReopenCase(ctx, f.admin, c.ID, "повторная жалоба"); err != nil || c.Status != hotline.StatusInProgress {
		t.Fatalf("reopen: %+v %v", c, err)
	}

	// Every change left a trace, in order, with its actor.
	evs, err := f.s.History(ctx, journal.HistoryFilter{CaseID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Actor+":"+e.Action)
	}
	want := "ivanova:created ivanova:forwarded sidorova:updated sidorova:extension requested admin:approved sidorova:closed admin:returned sidorova:closed admin:approved admin:reopened"
	if strings.Join(got, " ") != want {
		t.Fatalf("history:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	fwd := evs[1]
	found := false
	for _, ch := range fwd.Changes {
		if ch.Field == "status" && ch.From == "in_progress" && ch.To == "delayed_answer" {
			found = true
		}
	}
	if !found {
		t.Fatalf("forward event does not record the status change: %+v", fwd.Changes)
	}
}

func ptr[T any](v T) *T { return &v }

func TestRefusalsWriteNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	count := func() (cases, events int) {
		n, err := f.s.CountCases(ctx, journal.CaseFilter{})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := f.s.History(ctx, journal.HistoryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n, len(evs)
	}
	c0, e0 := count()
	tests := []struct {
		name string
		c    hotline.Case
		code string
	}{
		{"unknown topic", hotline.Case{Channel: hotline.ChannelPhone, Topic: "nope"}, hotline.ENOTFOUND},
		{"topic of another type", hotline.Case{Channel: hotline.ChannelPhone, Type: hotline.TypeGratitude, Topic: "clinic-refusal"}, hotline.EINVALID},
		{"unknown owner", hotline.Case{Channel: hotline.ChannelPhone, OwnerID: 999}, hotline.ENOTFOUND},
		{"invalid number", hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "12; DROP TABLE cases"}, hotline.EINVALID},
		{"oversized name", hotline.Case{Channel: hotline.ChannelPhone, Person: hotline.Person{FullName: strings.Repeat("Я", 201)}}, hotline.EINVALID},
		{"future registration", hotline.Case{Channel: hotline.ChannelPhone, CreatedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, hotline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			wantCode(t, f.s.NewCase(ctx, f.op1, &c), tt.code)
		})
	}
	// A batch with one bad case writes none of them.
	batch := []hotline.Case{{Channel: hotline.ChannelPhone}, {Channel: hotline.ChannelPhone, Topic: "nope"}}
	wantCode(t, f.s.CreateCases(ctx, f.op1, batch), hotline.ENOTFOUND)
	if c1, e1 := count(); c1 != c0 || e1 != e0 {
		t.Fatalf("refused writes changed the journal: cases %d→%d, events %d→%d", c0, c1, e0, e1)
	}
	// SQL metacharacters are data, not SQL.
	evil := `Robert'); DROP TABLE cases;--`
	c := f.newCase(t, f.op1, hotline.Case{Description: evil, Person: hotline.Person{FullName: evil}})
	got, err := f.s.Case(ctx, c.ID)
	if err != nil || got.Description != evil {
		t.Fatalf("stored %q, %v", got.Description, err)
	}
	if hs, err := f.s.CallerHistory(ctx, journal.CallerQuery{FullName: evil}, 0); err != nil || len(hs) != 1 {
		t.Fatalf("history by evil name: %d %v", len(hs), err)
	}
	if ts, err := f.s.Topics(ctx, "", "%"); err != nil || len(ts) != 0 {
		t.Fatalf("%% must match literally: %d %v", len(ts), err)
	}
}

func TestOperatorsAdministration(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	o := hotline.Operator{Name: "Новиков", Login: "novikov", Role: hotline.RoleOperator, Level: 1, Extension: "1001"}
	wantCode(t, f.s.AddOperator(ctx, f.op1, &o), hotline.EFORBIDDEN)
	wantCode(t, f.s.AddOperator(ctx, f.admin, &o), hotline.ECONFLICT) // extension taken
	o.Extension, o.Login = "1003", "ivanova"
	wantCode(t, f.s.AddOperator(ctx, f.admin, &o), hotline.ECONFLICT) // login taken
	o.Login, o.Topics = "novikov", []string{"no-such-topic"}
	wantCode(t, f.s.AddOperator(ctx, f.admin, &o), hotline.ENOTFOUND)
	o.Topics = []string{"policy-replace"}
	if err := f.s.AddOperator(ctx, f.admin, &o); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.OperatorByExtension(ctx, "1003")
	if err != nil || got.ID != o.ID || len(got.Topics) != 1 {
		t.Fatalf("by extension: %+v %v", got, err)
	}
	ops, err := f.s.Operators(ctx, journal.OperatorFilter{Topic: "clinic-refusal"})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if op.ID == o.ID {
			t.Fatal("an operator with other topics listed for clinic-refusal")
		}
	}
	if _, err := f.s.UpdateOperator(ctx, f.admin, f.admin.OperatorID, func(o *hotline.Operator) error { o.Role = hotline.RoleOperator; return nil }); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Fatalf("demoting the last administrator: %v", err)
	}
	if err := f.s.RemoveOperator(ctx, f.admin, o.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.OperatorByExtension(ctx, "1003")
	wantCode(t, err, hotline.ENOTFOUND)
	_, err = f.s.Actor(ctx, "novikov")
	wantCode(t, err, hotline.EFORBIDDEN)
	wantCode(t, f.s.RemoveOperator(ctx, f.admin, o.ID), hotline.ECONFLICT)
	evs, err := f.s.History(ctx, journal.HistoryFilter{Entity: "operator", EntityID: strconv.FormatInt(o.ID, 10)})
	if err != nil || len(evs) != 2 || evs[1].Changes[0].Field != "active" {
		t.Fatalf("operator history: %+v %v", evs, err)
	}
	dir, err := f.s.SearchDirectory(ctx, "капитал")
	if err != nil || len(dir) != 1 || dir[0].ID != f.l2ID {
		t.Fatalf("directory: %+v %v", dir, err)
	}
	dir, err = f.s.SearchDirectory(ctx, "100")
	if err != nil || len(dir) != 2 {
		t.Fatalf("directory by extension: %d %v", len(dir), err)
	}
}

func TestCatalogue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	wantCode(t, f.s.AddTopic(ctx, f.op1, hotline.Topic{Code: "x", Type: hotline.TypeProposal, Title: "x"}), hotline.EFORBIDDEN)
	wantCode(t, f.s.AddTopic(ctx, f.admin, hotline.Topic{Code: "x", Number: 11, Type: hotline.TypeProposal, Title: "x"}), hotline.ECONFLICT)
	ts, err := f.s.Topics(ctx, hotline.TypeConsultation, "ПОЛИС")
	if err != nil || len(ts) != 1 || ts[0].Code != "policy-replace" {
		t.Fatalf("topic search: %+v %v", ts, err)
	}
	tp, err := f.s.TopicByNumber(ctx, 21)
	if err != nil || tp.Code != "clinic-refusal" {
		t.Fatalf("by number: %+v %v", tp, err)
	}
	scs, err := f.s.SearchScripts(ctx, "медицинскую")
	if err != nil || len(scs) != 1 || len(scs[0].Recommended) != 1 {
		t.Fatalf("script search: %+v %v", scs, err)
	}
	sp, err := f.s.RecommendedSpecialists(ctx, "clinic-refusal")
	if err != nil || len(sp) != 1 || sp[0].ID != f.l2ID {
		t.Fatalf("recommended: %+v %v", sp, err)
	}
	bad := hotline.Script{Topic: "clinic-refusal", Title: "t", Text: "x", Recommended: []int64{f.op1.OperatorID}}
	wantCode(t, f.s.AddScript(ctx, f.admin, &bad), hotline.EINVALID) // level 1 is not a specialist
	bad = hotline.Script{Topic: "none", Title: "t", Text: "x"}
	wantCode(t, f.s.AddScript(ctx, f.admin, &bad), hotline.ENOTFOUND)
}

// The call flow's writes by channel: a call and its leg filed, the leg saved as it goes, open
// legs listed until they end; the topic keyed on the handset registers the call as the
// operator's case, which the operator then closes from the card.
func TestCallFlowAPI(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	arrived := f.clk.Now()
	n0, _ := f.s.CountCases(ctx, journal.CaseFilter{})
	filed, err := f.s.StartCall(ctx, journal.CallStart{CallID: "1700000000.1", CallerNumber: "+78652000002", ArrivedAt: arrived})
	if err != nil || !filed.CallerValid || filed.OpenCases != 0 || filed.OwnerID != 0 {
		t.Fatalf("start call: %+v %v", filed, err)
	}
	if n, _ := f.s.CountCases(ctx, journal.CaseFilter{}); n != n0 {
		t.Fatalf("an arriving call opened a case: %d cases, want %d", n, n0)
	}
	l := hotline.Leg{CallID: "1700000000.1", ArrivedAt: arrived, QueuedAt: arrived.Add(5 * time.Second)}
	if err := f.s.SaveCallLeg(ctx, l, ""); err != nil {
		t.Fatalf("queued leg: %v", err)
	}
	open, err := f.s.OpenLegs(ctx)
	if err != nil || len(open) != 1 || open[0].CallID != "1700000000.1" || open[0].CallerNumber != "+78652000002" {
		t.Fatalf("open legs: %+v %v", open, err)
	}
	op, err := f.s.OperatorByExtension(ctx, "1001")
	if err != nil {
		t.Fatal(err)
	}
	l.OperatorID, l.AnsweredAt, l.EndedAt, l.End, l.RecordingName = op.ID, arrived.Add(20*time.Second), arrived.Add(200*time.Second), hotline.LegCompleted, "call-1-leg-1"
	if err := f.s.SaveCallLeg(ctx, l, hotline.OutcomeAnswered); err != nil {
		t.Fatal(err)
	}
	legs, err := f.s.Legs(ctx, "1700000000.1")
	if err != nil || len(legs) != 1 || legs[0].TalkTime() != 180*time.Second || legs[0].QueueWait() != 15*time.Second || legs[0].RecordingName != "call-1-leg-1" {
		t.Fatalf("legs: %+v %v", legs, err)
	}
	if open, _ := f.s.OpenLegs(ctx); len(open) != 0 {
		t.Fatalf("ended leg still open")
	}
	wantCode(t, f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "no-such-call", ArrivedAt: arrived}, ""), hotline.ENOTFOUND)
	wantCode(t, f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "1700000000.1", ArrivedAt: arrived, End: "exploded"}, ""), hotline.EINVALID)
	// Wrap-up: topic 11 keyed on the handset registers the call; an unknown topic number is refused.
	_, err = f.s.KeyTopic(ctx, "1700000000.1", op.ID, 99)
	wantCode(t, err, hotline.ENOTFOUND)
	c, err := f.s.KeyTopic(ctx, "1700000000.1", op.ID, 11)
	if err != nil || c.Topic != "policy-replace" || c.Type != hotline.TypeConsultation || c.Status != hotline.StatusInProgress || c.OwnerID != op.ID ||
		c.CallerNumber != "+78652000002" || c.CreatedBy != "ivanova" {
		t.Fatalf("topic keyed: %+v %v", c, err)
	}
	if cs, err := f.s.CallerOpenCases(ctx, "8 865 200-00-02"); err != nil || len(cs) != 1 || cs[0].ID != c.ID {
		t.Fatalf("the registered case is the caller's open case: %+v %v", cs, err)
	}
	c, err = f.s.CloseCase(ctx, f.op1, c.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "разъяснено"})
	if err != nil || c.Status != hotline.StatusUnderReview {
		t.Fatalf("close: %+v %v", c, err)
	}
	evs, _ := f.s.History(ctx, journal.HistoryFilter{CaseID: c.ID})
	var got []string
	for _, e := range evs {
		got = append(got, e.Actor+":"+e.Action)
	}
	if strings.Join(got, " ") != "ivanova:created ivanova:call attached ivanova:closed" {
		t.Fatalf("history: %v", got)
	}
	if cs, err := f.s.CallerOpenCases(ctx, "+78652000002"); err != nil || len(cs) != 0 {
		t.Fatalf("a case under review is not open: %d %v", len(cs), err)
	}
}

func TestFiltersLinksAttachments(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.newCase(t, f.op1, hotline.Case{CallerNumber: "+78652000003", Topic: "policy-replace"})
	f.clk.Add(24 * time.Hour)
	b := f.newCase(t, f.op2, hotline.Case{CallerNumber: "+78652000003", Topic: "clinic-refusal", Person: hotline.Person{PolicyNumber: "123"}})
	f.clk.Add(24 * time.Hour)
	f.newCase(t, f.op2, hotline.Case{CallerNumber: "+78652000004", Person: hotline.Person{PolicyNumber: "123"}})
	tests := []struct {
		name string
		f    journal.CaseFilter
		want int
	}{
		{"all", journal.CaseFilter{}, 3},
		{"caller", journal.CaseFilter{Caller: "+7 865 200-00-03"}, 2},
		{"operator", journal.CaseFilter{OperatorID: f.op2.OperatorID}, 2},
		{"topic", journal.CaseFilter{Topic: "clinic-refusal"}, 1},
		{"type", journal.CaseFilter{Type: hotline.TypeConsultation}, 1},
		{"status", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusApproved}}, 0},
		{"date range", journal.CaseFilter{From: a.CreatedAt.Add(time.Hour), To: b.CreatedAt.Add(time.Hour)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := f.s.Cases(ctx, tt.f)
			if err != nil || len(cs) != tt.want {
				t.Fatalf("got %d, %v; want %d", len(cs), err, tt.want)
			}
		})
	}
	_, err := f.s.Cases(ctx, journal.CaseFilter{From: b.CreatedAt, To: a.CreatedAt})
	wantCode(t, err, hotline.EINVALID)
	_, err = f.s.Cases(ctx, journal.CaseFilter{Statuses: []hotline.CaseStatus{"closed"}})
	wantCode(t, err, hotline.EINVALID)
	hs, err := f.s.CallerHistory(ctx, journal.CallerQuery{Number: "+78652000003", PolicyNumber: "123"}, 0)
	if err != nil || len(hs) != 3 {
		t.Fatalf("caller history by number or policy: %d %v", len(hs), err)
	}
	if err := f.s.LinkCases(ctx, f.op2, b.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.s.LinkCases(ctx, f.op1, a.ID, b.ID), hotline.ECONFLICT)
	wantCode(t, f.s.LinkCases(ctx, f.op1, a.ID, a.ID), hotline.EINVALID)
	wantCode(t, f.s.LinkCases(ctx, f.op1, a.ID, 999), hotline.ENOTFOUND)
	if ls, err := f.s.LinkedCases(ctx, a.ID); err != nil || len(ls) != 1 || ls[0].ID != b.ID {
		t.Fatalf("linked: %+v %v", ls, err)
	}
	att := hotline.Attachment{CaseID: b.ID, DocumentNumber: "15-01/77", RegisteredOn: "2026-11-20", FilePath: "/srv/docs/77.pdf"}
	wantCode(t, f.s.AddAttachment(ctx, f.op1, &att), hotline.EFORBIDDEN)
	if err := f.s.AddAttachment(ctx, f.op2, &att); err != nil {
		t.Fatal(err)
	}
	if as, err := f.s.Attachments(ctx, b.ID); err != nil || len(as) != 1 || as[0].DocumentNumber != "15-01/77" {
		t.Fatalf("attachments: %+v %v", as, err)
	}
}

func TestBackupAndReopen(t *testing.T) {
	if journal.OnPostgres() {
		t.Skip("db backup copies a SQLite file: SQLite only; on PostgreSQL the suite covers it otherwise (docs/journal.md)")
	}
	ctx := context.Background()
	f := newFixture(t)
	c := f.newCase(t, f.op1, hotline.Case{Description: "до резервной копии"})
	dest := filepath.Join(t.TempDir(), "backup.db")
	if _, err := f.s.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.Backup(ctx, dest)
	wantCode(t, err, hotline.ECONFLICT)
	if st, _ := os.Stat(dest); st.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %v", st.Mode().Perm())
	}
	b := open(t, dest, newClock())
	got, err := b.Case(ctx, c.ID)
	if err != nil || got.Description != "до резервной копии" {
		t.Fatalf("case in backup: %+v %v", got, err)
	}
	if err := b.RequireCurrent(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBadDatabaseFiles(t *testing.T) {
	if journal.OnPostgres() {
		t.Skip("damaged and missing SQLite files: SQLite only; on PostgreSQL the suite covers it otherwise (docs/journal.md)")
	}
	ctx := context.Background()
	dir := t.TempDir()

	corrupt := filepath.Join(dir, "corrupt.db")
	os.WriteFile(corrupt, []byte(strings.Repeat("this is not a database\n", 500)), 0o600)
	_, err := journal.Open(ctx, corrupt, journal.Options{Logger: testLog(t)})
	wantCode(t, err, hotline.EUNAVAILABLE)
	if !strings.Contains(hotline.ErrorMessage(err), "corrupt") {
		t.Fatalf("message: %s", hotline.ErrorMessage(err))
	}

	// A new journal in a directory not made yet (/var/lib/hotline on a fresh machine): say how.
	missing := filepath.Join(dir, "var", "lib", "hotline")
	_, err = journal.Open(ctx, filepath.Join(missing, "hotline.db"), journal.Options{Logger: testLog(t)})
	wantCode(t, err, hotline.EUNAVAILABLE)
	if want := "install -d -m 0700 " + missing; !strings.Contains(hotline.ErrorMessage(err), want) {
		t.Fatalf("message %q does not say %q", hotline.ErrorMessage(err), want)
	}

	fresh := filepath.Join(dir, "fresh.db")
	s := open(t, fresh, newClock())
	_, err = s.Cases(ctx, journal.CaseFilter{})
	wantCode(t, err, hotline.EUNAVAILABLE) // not migrated
	wantCode(t, s.RequireCurrent(ctx), hotline.EUNAVAILABLE)

	// Locked: another connection holds the write lock longer than the busy timeout.
	f := newFixture(t)
	other, err := journal.Open(ctx, f.path, journal.Options{BusyTimeout: 100 * time.Millisecond, Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = f.s.HoldWriteLockForTest(ctx, held, release)
	}()
	<-held
	c := hotline.Case{Channel: hotline.ChannelPhone}
	err = other.NewCase(ctx, hotline.SystemActor, &c)
	close(release)
	wantCode(t, err, hotline.EUNAVAILABLE)
	if !strings.Contains(hotline.ErrorMessage(err), "locked") {
		t.Fatalf("message: %s", hotline.ErrorMessage(err))
	}

	if os.Getuid() != 0 { // root ignores file permissions
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o700)
		path := filepath.Join(ro, "ro.db")
		s := open(t, path, newClock())
		s.Migrate(ctx)
		s.Close()
		os.Chmod(path, 0o400)
		os.Chmod(ro, 0o500)
		defer os.Chmod(ro, 0o700)
		_, err := journal.Open(ctx, path, journal.Options{Logger: testLog(t)})
		wantCode(t, err, hotline.EUNAVAILABLE)
	}
}

// A call answered, transferred to the specialist and registered: one call, two legs; the call's
// answer and operator are the first; the returning caller is known by the case's owner.
func TestSwitchboardCalls(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	at := f.clk.Now()
	cc, err := f.s.StartCall(ctx, journal.CallStart{CallID: "ch-1", CallerNumber: "+78652000005", ArrivedAt: at})
	if err != nil || cc.OpenCases != 0 || cc.OwnerID != 0 {
		t.Fatalf("first call: %+v %v", cc, err)
	}
	// The operator at 1001 answers, then transfers to the specialist.
	l := hotline.Leg{CallID: "ch-1", ArrivedAt: at, QueuedAt: at.Add(3 * time.Second),
		AnsweredAt: at.Add(10 * time.Second), OperatorID: f.op1.OperatorID, RecordingName: "rec-1"}
	if err := f.s.SaveCallLeg(ctx, l, ""); err != nil {
		t.Fatal(err)
	}
	l.EndedAt, l.End = at.Add(60*time.Second), hotline.LegTransferred
	if err := f.s.SaveCallLeg(ctx, l, ""); err != nil {
		t.Fatal(err)
	}
	l2 := hotline.Leg{CallID: "ch-1", ArrivedAt: at.Add(60 * time.Second), AnsweredAt: at.Add(65 * time.Second),
		OperatorID: f.l2ID, TransferredFrom: f.op1.OperatorID}
	if err := f.s.SaveCallLeg(ctx, l2, ""); err != nil {
		t.Fatal(err)
	}
	legs, err := f.s.Legs(ctx, "ch-1")
	if err != nil || len(legs) != 2 || legs[0].End != hotline.LegTransferred || legs[1].TransferredFrom != f.op1.OperatorID || legs[1].OperatorID != f.l2ID {
		t.Fatalf("legs after transfer: %+v %v", legs, err)
	}
	// The operator registers the call; the caller calls again and is known by the case's owner.
	c, err := f.s.KeyTopic(ctx, "ch-1", f.op1.OperatorID, 21)
	if err != nil || c.OwnerID != f.op1.OperatorID || c.Topic != "clinic-refusal" {
		t.Fatalf("topic: %+v %v", c, err)
	}
	again, err := f.s.StartCall(ctx, journal.CallStart{CallID: "ch-2", CallerNumber: "+78652000005", ArrivedAt: at.Add(time.Hour)})
	if err != nil || again.OpenCases != 1 || again.OwnerID != f.op1.OperatorID {
		t.Fatalf("returning call: %+v %v", again, err)
	}
	// The second call is not merged into the case: it stands on its own until someone registers it.
	if calls, err := f.s.CaseCalls(ctx, c.ID); err != nil || len(calls) != 1 || calls[0].Channel != "ch-1" || len(calls[0].Legs) != 2 {
		t.Fatalf("case calls: %+v %v", calls, err)
	}
	// An anonymous caller is filed, flagged, kept verbatim; an unknown call is not found.
	anon, err := f.s.StartCall(ctx, journal.CallStart{CallID: "ch-3", CallerNumber: "anonymous", ArrivedAt: at})
	if err != nil || anon.CallerValid || anon.CallerNumber != "anonymous" || anon.OpenCases != 0 {
		t.Fatalf("anonymous: %+v %v", anon, err)
	}
	wantCode(t, f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "nope", ArrivedAt: at}, ""), hotline.ENOTFOUND)
	_, err = f.s.KeyTopic(ctx, "nope", f.op1.OperatorID, 21)
	wantCode(t, err, hotline.ENOTFOUND)
}

func TestReassignIsForAdministrators(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.newCase(t, f.op1, hotline.Case{})
	_, err := f.s.UpdateCase(ctx, f.op1, c.ID, journal.CaseUpdate{OwnerID: &f.op2.OperatorID})
	wantCode(t, err, hotline.EFORBIDDEN)
	c, err = f.s.UpdateCase(ctx, f.admin, c.ID, journal.CaseUpdate{OwnerID: &f.op2.OperatorID})
	if err != nil || c.OwnerID != f.op2.OperatorID {
		t.Fatalf("reassign: %+v %v", c, err)
	}
	past := f.clk.Now().Add(-time.Hour)
	_, err = f.s.UpdateCase(ctx, f.op2, c.ID, journal.CaseUpdate{DueAt: &past})
	wantCode(t, err, hotline.EINVALID)
	_, err = f.s.UpdateCase(ctx, f.op2, c.ID, journal.CaseUpdate{SetInProgress: true})
	wantCode(t, err, hotline.ECONFLICT) // not a delayed answer
}
