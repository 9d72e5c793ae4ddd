package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// openAtVersion opens a journal migrated only up to version v, as an older hotline left it.
func openAtVersion(t *testing.T, v int, now func() time.Time) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "old.db"), Options{Now: now}) // SQLite: its old data is what is migrated
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:v] {
		if _, err := s.w.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		t.Fatal(err)
	}
	return s
}

// migrationNow is the clock of the migration tests: after every call they file.
var migrationNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// oldJournal is a journal at schema 5 on a fixed clock, with at (seconds after the test's first
// call, in the stored milliseconds) and exec (SQL as the previous version's code ran it).
func oldJournal(t *testing.T) (s *Store, at func(sec int) int64, exec func(q string, args ...any)) {
	t.Helper()
	s = openAtVersion(t, 5, func() time.Time { return migrationNow })
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	at = func(sec int) int64 { return t0.Add(time.Duration(sec) * time.Second).UnixMilli() }
	exec = func(q string, args ...any) {
		t.Helper()
		if _, err := s.w.ExecContext(context.Background(), q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return s, at, exec
}

// A journal written by the previous version (schema 5: every call filed or extended a case, legs
// belonged to cases, numbers stored as 7XXXXXXXXXX) migrates without loss: each call becomes a
// call, cases a person touched stay with their calls attached, call-born cases nobody touched go
// (their history kept and the removal said), legs keep their ids.
func TestMigrateFromSchema5(t *testing.T) {
	ctx := context.Background()
	s, at, exec := oldJournal(t)
	// What the previous version's code wrote.
	exec(`INSERT INTO operators (id, name, login, role, level, extension, created_at) VALUES
		(1, 'Админова', 'admin', 'administrator', 1, '', 0), (2, 'Иванова', 'ivanova', 'operator', 1, '1001', 0),
		(3, 'Сидорова', 'sidorova', 'operator', 2, '2001', 0)`)
	exec(`INSERT INTO topics (code, number, type, title, created_at) VALUES ('clinic-refusal', 21, 'complaint', 'Отказ', 0)`)
	type oldCase struct {
		id                 int64
		created            int
		channel, number    string
		typ, topic, status string
		owner              any
		by, description    string
	}
	for _, c := range []oldCase{
		{1, 0, "phone", "79001110001", "", "", "in_progress", nil, "system", ""},                               // abandoned in the queue
		{2, 100, "phone", "79001110002", "complaint", "clinic-refusal", "in_progress", 2, "system", ""},        // answered, topic keyed
		{3, 200, "phone", "79001110003", "", "", "in_progress", 2, "system", ""},                               // answered, never touched
		{4, 300, "phone", "79001110004", "", "", "delayed_answer", nil, "system", ""},                          // keyed 1 at overflow
		{5, 400, "phone", "79001110005", "complaint", "clinic-refusal", "in_progress", 2, "system", ""},        // transferred
		{6, 500, "written", "79001110006", "complaint", "clinic-refusal", "in_progress", 2, "admin", "письмо"}, // the CLI's
		{7, 600, "phone", "", "", "", "in_progress", nil, "system", ""},                                        // a leg without a call id, linked
		{8, 900, "phone", "79001110008", "", "", "in_progress", 3, "system", ""},                               // reassigned by the administrator
	} {
		var topic any
		if c.topic != "" {
			topic = c.topic
		}
		exec(`INSERT INTO cases (id, created_at, channel, caller_number, type, topic, description, owner_id, status, created_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.id, at(c.created), c.channel, c.number, c.typ, topic, c.description, c.owner, c.status, c.by, at(c.created))
	}
	exec(`INSERT INTO case_links (case_id, linked_id, created_at) VALUES (2, 7, ?)`, at(700))
	type oldLeg struct {
		id                      int64
		caseID                  int64
		call, number            string
		op                      any
		arrived                 int
		queued, answered, ended any
		end, recording          string
		from                    any
	}
	for _, l := range []oldLeg{
		{1, 1, "ch-aband", "79001110001", nil, 0, at(5), nil, at(60), "abandoned", "", nil},
		{2, 2, "ch-ans", "79001110002", 2, 100, at(105), at(110), at(300), "completed", "rec-2", nil},
		{3, 3, "ch-untouched", "79001110003", 2, 200, at(205), at(210), at(400), "completed", "", nil},
		{4, 4, "ch-cb", "79001110004", nil, 300, at(305), nil, at(500), "overflow", "", nil},
		{5, 5, "ch-xfer", "79001110005", 2, 400, at(405), at(410), at(460), "transferred", "rec-5", nil},
		{6, 5, "ch-xfer", "79001110005", 3, 460, nil, at(465), at(700), "completed", "", 2},
		{7, 2, "ch-ans-2", "79001110002", nil, 800, at(805), nil, at(830), "abandoned", "", nil}, // the caller called again
		{8, 7, "", "79001110007", nil, 600, at(602), nil, at(650), "abandoned", "", nil},
		{9, 8, "ch-reassigned", "79001110008", nil, 900, at(902), nil, at(950), "abandoned", "", nil},
	} {
		exec(`INSERT INTO legs (id, case_id, call_id, caller_number, operator_id, arrived_at, queued_at, answered_at, ended_at, end_reason,
			recording_name, transferred_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.id, l.caseID, l.call, l.number, l.op, at(l.arrived), l.queued, l.answered, l.ended, l.end, l.recording, l.from)
	}
	hist := func(sec int, actor, entity string, entityID, caseID int64, action string) {
		exec(`INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes) VALUES (?, ?, ?, ?, ?, ?, '[]')`,
			at(sec), actor, entity, fmt.Sprint(entityID), caseID, action)
	}
	for _, c := range []int64{1, 2, 3, 4, 5, 7, 8} {
		hist(int(c)*100, "system", "case", c, c, "created")
	}
	hist(500, "admin", "case", 6, 6, "created")
	for _, l := range []struct{ leg, c int64 }{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 5}, {7, 2}, {8, 7}, {9, 8}} {
		hist(900, "system", "leg", l.leg, l.c, "created")
		hist(901, "system", "leg", l.leg, l.c, "updated")
	}
	hist(110, "system", "case", 2, 2, "answered")
	hist(300, "ivanova", "case", 2, 2, "wrap-up")
	hist(210, "system", "case", 3, 3, "answered")
	hist(500, "system", "case", 4, 4, "callback requested")
	hist(410, "system", "case", 5, 5, "answered")
	hist(460, "ivanova", "case", 5, 5, "wrap-up")
	hist(700, "ivanova", "case", 2, 2, "linked")
	hist(700, "ivanova", "case", 7, 7, "linked")
	hist(1000, "admin", "case", 8, 8, "updated")
	var events0 int
	if err := s.r.GetContext(ctx, &events0, `SELECT count(*) FROM history`); err != nil {
		t.Fatal(err)
	}

	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != LatestVersion()-5 || applied[0].Version != 6 {
		t.Fatalf("applied %+v, want migration 6 and those after it", applied)
	}
	for _, want := range []string{"8 calls", "6 cases kept", "2 call-born cases no one registered removed", "8 numbers of calls and 5 of cases"} {
		if !strings.Contains(applied[0].Note, want) {
			t.Errorf("the migration's note %q does not say %q", applied[0].Note, want)
		}
	}
	if v, _ := s.SchemaVersion(ctx); v != LatestVersion() {
		t.Fatalf("schema version %d, want %d", v, LatestVersion())
	}

	// Each old call is a call, with its outcome, its number in E.164 and its legs (same ids).
	calls := []struct {
		channel  string
		number   string
		outcome  hotline.CallOutcome
		operator int64
		legs     []int64
		cases    []int64
	}{
		{"ch-aband", "+79001110001", hotline.OutcomeAbandonedQueue, 0, []int64{1}, nil},
		{"ch-ans", "+79001110002", hotline.OutcomeAnswered, 2, []int64{2}, []int64{2}},
		{"ch-untouched", "+79001110003", hotline.OutcomeAnswered, 2, []int64{3}, nil},
		{"ch-cb", "+79001110004", hotline.OutcomeOverflowCallback, 0, []int64{4}, []int64{4}},
		{"ch-xfer", "+79001110005", hotline.OutcomeAnswered, 2, []int64{5, 6}, []int64{5}},
		{"ch-ans-2", "+79001110002", hotline.OutcomeAbandonedQueue, 0, []int64{7}, []int64{2}},
		{"leg-8", "+79001110007", hotline.OutcomeAbandonedQueue, 0, []int64{8}, []int64{7}},
		{"ch-reassigned", "+79001110008", hotline.OutcomeAbandonedQueue, 0, []int64{9}, []int64{8}},
	}
	if n, err := s.CountCalls(ctx, CallFilter{}); err != nil || n != len(calls) {
		t.Fatalf("%d calls (%v), want %d", n, err, len(calls))
	}
	for _, want := range calls {
		ref, err := s.CallRef(ctx, want.channel)
		if err != nil {
			t.Errorf("call %s: %v", want.channel, err)
			continue
		}
		c, err := s.Call(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		var legs []int64
		for _, l := range c.Legs {
			legs = append(legs, l.ID)
		}
		if c.CallerNumber != want.number || !c.CallerValid || c.Outcome != want.outcome || c.OperatorID != want.operator ||
			fmt.Sprint(legs) != fmt.Sprint(want.legs) || fmt.Sprint(c.Cases) != fmt.Sprint(want.cases) || c.EndedAt.IsZero() {
			t.Errorf("call %s = number %q valid %v outcome %q operator %d legs %v cases %v ended %v; want %+v",
				want.channel, c.CallerNumber, c.CallerValid, c.Outcome, c.OperatorID, legs, c.Cases, c.EndedAt, want)
		}
	}
	xfer, _ := s.CallRef(ctx, "ch-xfer")
	if c, _ := s.Call(ctx, xfer); !c.AnsweredAt.Equal(time.UnixMilli(at(410)).UTC()) || len(c.Legs) != 2 || c.Legs[1].TransferredFrom != 2 ||
		c.Legs[0].RecordingName != "rec-5" || !c.Legs[1].EndedAt.Equal(time.UnixMilli(at(700)).UTC()) {
		t.Errorf("the transferred call: %+v", c)
	}

	// The touched, delayed and CLI cases are kept, numbers in E.164; the untouched ones are gone.
	for id, number := range map[int64]string{2: "+79001110002", 4: "+79001110004", 5: "+79001110005", 6: "+79001110006", 7: "", 8: "+79001110008"} {
		c, err := s.Case(ctx, id)
		if err != nil || c.CallerNumber != number {
			t.Errorf("case %d kept: %+v %v; want number %q", id, c, err, number)
		}
	}
	if c, _ := s.Case(ctx, 4); c.Status != hotline.StatusDelayedAnswer {
		t.Errorf("the callback case: %+v", c)
	}
	if calls, err := s.CaseCalls(ctx, 6); err != nil || len(calls) != 0 {
		t.Errorf("the CLI's case has calls: %+v %v", calls, err)
	}
	if legs, err := s.CaseLegs(ctx, 2); err != nil || len(legs) != 2 || legs[0].ID != 2 || legs[1].ID != 7 {
		t.Errorf("case 2's legs: %+v %v", legs, err)
	}
	for _, id := range []int64{1, 3} {
		if _, err := s.Case(ctx, id); hotline.ErrorCode(err) != hotline.ENOTFOUND {
			t.Errorf("untouched call-born case %d: %v, want it removed", id, err)
		}
		evs, err := s.History(ctx, HistoryFilter{Entity: "case", EntityID: fmt.Sprint(id)})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range evs {
			actions = append(actions, e.Action)
			if e.CaseID != 0 {
				t.Errorf("case %d removed but its event %+v still points at it", id, e)
			}
		}
		wantActions := "created removed: a call no one registered"
		if id == 3 {
			wantActions = "created answered removed: a call no one registered"
		}
		if strings.Join(actions, " ") != wantActions {
			t.Errorf("case %d history %q, want %q", id, actions, wantActions)
		}
		if last := evs[len(evs)-1]; last.Actor != "system" || len(last.Changes) != 1 || last.Changes[0].Field != "calls" ||
			last.Changes[0].From != map[int64]string{1: "ch-aband", 3: "ch-untouched"}[id] {
			t.Errorf("removal event %+v does not name the call", last)
		}
	}
	var events1, orphaned int
	if err := s.r.GetContext(ctx, &events1, `SELECT count(*) FROM history`); err != nil {
		t.Fatal(err)
	}
	if events1 != events0+2 {
		t.Errorf("history has %d events, want the %d it had plus 2 removals", events1, events0)
	}
	// The removed cases' leg events are kept too, no longer pointing at them.
	if err := s.r.GetContext(ctx, &orphaned, `SELECT count(*) FROM history WHERE entity = 'leg' AND entity_id IN ('1', '3') AND case_id IS NULL`); err != nil || orphaned != 4 {
		t.Errorf("%d leg events of removed cases kept (%v), want 4", orphaned, err)
	}

	// The journal is whole and its history still append-only.
	rep, err := s.Check(ctx)
	if err != nil || !rep.OK() || rep.ForeignKeyErrs != 0 || rep.Integrity != "ok" {
		t.Fatalf("check after migration: %+v %v", rep, err)
	}
	for _, q := range []string{`UPDATE history SET actor = 'nobody'`, `DELETE FROM history`} {
		if _, err := s.w.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s after the migration: %v", q, err)
		}
	}

	// What the new code reads of it: the callback still waits; the caller is one in every spelling.
	if cbs, err := s.WaitingCallbacks(ctx); err != nil || len(cbs) != 1 || cbs[0].CallID != "ch-cb" || cbs[0].ID != 4 {
		t.Errorf("waiting callbacks after the migration: %+v %v", cbs, err)
	}
	cf, err := s.StartCall(ctx, CallStart{CallID: "new-1", CallerNumber: "8 900 111-00-02", ArrivedAt: migrationNow})
	if err != nil || cf.OpenCases != 1 || cf.OwnerID != 2 || cf.CallerNumber != "+79001110002" {
		t.Errorf("a returning caller after the migration: %+v %v", cf, err)
	}
	recs, err := s.CallRecords(ctx, time.Time{}, migrationNow)
	if err != nil || len(recs) != 9 {
		t.Fatalf("call records: %d %v", len(recs), err)
	}
	for _, r := range recs {
		registered := r.CallID == "ch-ans" || r.CallID == "ch-ans-2" || r.CallID == "ch-cb" || r.CallID == "ch-xfer" || r.CallID == "leg-8" || r.CallID == "ch-reassigned"
		if registered == (r.CaseNumber == "") {
			t.Errorf("record of %s has case number %q", r.CallID, r.CaseNumber)
		}
	}
}

// A fresh journal migrates with nothing to account for.
func TestMigrateFreshJournal(t *testing.T) {
	s := openAtVersion(t, 0, time.Now)
	applied, err := s.Migrate(context.Background())
	if err != nil || len(applied) != LatestVersion() {
		t.Fatalf("applied %+v %v", applied, err)
	}
	if again, err := s.Migrate(context.Background()); err != nil || len(again) != 0 {
		t.Fatalf("migrating twice: %+v %v", again, err)
	}
}

// What the previous version left that the first migration test does not hold: a voice message
// nobody answered (a case «В работе» without an owner) becomes a delayed answer, kept; a case that
// gathered two overflowed calls and one callback request waits for one callback, not two; an old
// greeting hang-up (queue time = hang-up) is a greeting hang-up; a message whose recording
// retention deleted is still a message.
func TestMigrateMessagesCallbacksGreetings(t *testing.T) {
	ctx := context.Background()
	s, at, exec := oldJournal(t)
	for id, st := range map[int]string{1: "in_progress", 2: "delayed_answer", 3: "in_progress", 4: "in_progress"} {
		exec(`INSERT INTO cases (id, created_at, channel, caller_number, status, created_by, updated_at) VALUES (?, ?, 'phone', ?, ?, 'system', ?)`,
			id, at(id*100), fmt.Sprintf("7900111000%d", id), st, at(id*100))
		exec(`INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes) VALUES (?, 'system', 'case', ?, ?, 'created', '[]')`,
			at(id*100), fmt.Sprint(id), id)
	}
	for _, l := range []struct {
		id, caseID      int
		call, end, rec  string
		arrived, queued int
		ended           int
	}{
		{1, 1, "ch-m", "overflow", "message-ch-m", 100, 105, 160},
		{2, 2, "ch-o1", "overflow", "", 200, 205, 260},
		{3, 2, "ch-o2", "overflow", "", 270, 275, 330},
		{4, 3, "ch-g", "abandoned", "", 300, 302, 302},
		{5, 4, "ch-d", "overflow", "", 400, 405, 460},
	} {
		exec(`INSERT INTO legs (id, case_id, call_id, caller_number, arrived_at, greeting_end_at, queued_at, ended_at, end_reason, recording_name)
			VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?)`, l.id, l.caseID, l.call, at(l.arrived), at(l.queued), at(l.queued), at(l.ended), l.end, l.rec)
	}
	exec(`INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes) VALUES (?, 'system', 'case', '2', 2, 'callback requested', '[]')`, at(330))
	exec(`INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes) VALUES (?, 'system', 'leg', '5', 4, 'recording deleted',
		'[{"field":"recording","from":"message-ch-d","to":""}]')`, at(9000))

	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	outcome := map[string]hotline.CallOutcome{}
	calls, err := s.Calls(ctx, CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		outcome[c.Channel] = c.Outcome
	}
	for ch, want := range map[string]hotline.CallOutcome{"ch-m": hotline.OutcomeOverflowMessage, "ch-o1": hotline.OutcomeAbandonedOverflow,
		"ch-o2": hotline.OutcomeOverflowCallback, "ch-g": hotline.OutcomeAbandonedGreeting, "ch-d": hotline.OutcomeOverflowMessage} {
		if outcome[ch] != want {
			t.Errorf("call %s migrated as %q, want %q", ch, outcome[ch], want)
		}
	}
	msg, err := s.Case(ctx, 1)
	if err != nil || msg.Status != hotline.StatusDelayedAnswer || msg.DueAt.IsZero() || msg.OwnerID != 0 {
		t.Errorf("the voice message's case = %+v, %v; want kept, «Отсроченный ответ» in the administrators' queue, due", msg, err)
	}
	if _, err := s.Case(ctx, 3); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Errorf("the greeting hang-up's case: %v, want removed (nobody registered it)", err)
	}
	waiting, err := s.WaitingCallbacks(ctx)
	if err != nil || len(waiting) != 1 || waiting[0].CallID != "ch-o2" {
		t.Errorf("waiting callbacks = %+v, %v; want one, the call that asked (ch-o2)", waiting, err)
	}
}
