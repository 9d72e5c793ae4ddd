package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Calls from the CLI: listed apart from cases, found by the caller's number however typed, and
// registered as a case (linked to the caller's earlier case) or attached to one; refusals change
// nothing.
func TestCallCommands(t *testing.T) {
	c := newCLI(t)
	ctx := context.Background()
	s, err := journal.Open(ctx, c.db, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i, st := range []journal.CallStart{
		{CallID: "ch-1", CallerNumber: "89001110001", Line: "100", ArrivedAt: at},
		{CallID: "ch-2", CallerNumber: "+79001110001", Line: "100", ArrivedAt: at.Add(time.Hour)},
		{CallID: "ch-3", CallerNumber: "anonymous", Line: "101", ArrivedAt: at.Add(2 * time.Hour)},
	} {
		if _, err := s.StartCall(ctx, st); err != nil {
			t.Fatal(err)
		}
		end := hotline.Leg{CallID: st.CallID, ArrivedAt: st.ArrivedAt, QueuedAt: st.ArrivedAt.Add(5 * time.Second),
			EndedAt: st.ArrivedAt.Add(time.Minute), End: hotline.LegAbandoned}
		outcome := hotline.OutcomeAbandonedQueue
		if i < 2 {
			end.OperatorID, end.AnsweredAt, end.End, outcome = 2, st.ArrivedAt.Add(20*time.Second), hotline.LegCompleted, hotline.OutcomeAnswered
		}
		if err := s.SaveCallLeg(ctx, end, outcome); err != nil {
			t.Fatal(err)
		}
	}
	// An administrator listened to ch-1: `call show` lists it under HISTORY.
	if err := s.NoteSupervision(ctx, journal.Supervision{Channel: "ch-1", OperatorID: 2, By: "admin", Extension: "1009", What: journal.SupervisionWhisper}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	type callJSON struct {
		ID           int64   `json:"id"`
		Channel      string  `json:"channel"`
		CallerNumber string  `json:"caller_number"`
		CallerValid  bool    `json:"caller_valid"`
		Outcome      string  `json:"outcome"`
		Cases        []int64 `json:"cases"`
	}
	all := decode[[]callJSON](t, c.ok("-o", "json", "call", "list"))
	if len(all) != 3 || all[0].Channel != "ch-3" || all[0].CallerValid || all[0].CallerNumber != "anonymous" {
		t.Fatalf("call list = %+v, want 3 calls newest first, the anonymous one flagged", all)
	}
	if n := decode[[]caseJSON](t, c.ok("-o", "json", "case", "list")); len(n) != 0 {
		t.Errorf("cases = %+v: calls opened cases", n)
	}
	// One caller, two spellings.
	mine := decode[[]callJSON](t, c.ok("-o", "json", "call", "list", "--caller", "+7 (900) 111-00-01"))
	if len(mine) != 2 || mine[0].CallerNumber != "+79001110001" || mine[1].CallerNumber != "+79001110001" {
		t.Errorf("calls of +7 900 111-00-01 = %+v, want ch-1 and ch-2 in E.164", mine)
	}
	if ab := decode[[]callJSON](t, c.ok("-o", "json", "call", "list", "--outcome", "abandoned_queue")); len(ab) != 1 || ab[0].Channel != "ch-3" {
		t.Errorf("abandoned = %+v", ab)
	}
	c.fails(2, "unknown call outcome", "call", "list", "--outcome", "dropped")
	// --to DATE includes that day, as everywhere.
	if day := decode[[]callJSON](t, c.ok("-o", "json", "call", "list", "--from", "2026-11-23", "--to", "2026-11-23")); len(day) != 3 {
		t.Errorf("calls of the 23rd: %d, want 3", len(day))
	}

	// Ivanova answered both: she registers the first; the second gets a new card linked to it.
	// Petrov did not talk to the caller: he may not.
	c.fails(5, "did not talk to the caller", "--as", "petrov", "call", "register", "ch-1", "--type", "consultation")
	first := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "call", "register", "ch-1", "--type", "consultation", "--topic", "policy-replace"))
	if first.CallerNumber != "+79001110001" || first.Status != "in_progress" {
		t.Errorf("registered %+v, want the caller's number, «В работе»", first)
	}
	c.fails(4, "already on your open case", "--as", "ivanova", "call", "register", "ch-1", "--type", "consultation")
	c.fails(2, "named twice", "--as", "ivanova", "call", "register", "ch-2", "--link", first.Number+","+first.Number)
	c.fails(3, "no case", "--as", "ivanova", "call", "register", "ch-2", "--link", "2026-999999")
	c.fails(3, "no call", "--as", "ivanova", "call", "register", "ch-999")
	if n := decode[[]caseJSON](t, c.ok("-o", "json", "case", "list")); len(n) != 1 {
		t.Fatalf("after refused registrations: %d cases, want 1 (nothing half written)", len(n))
	}
	second := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "call", "register", "ch-2", "--type", "complaint", "--topic", "clinic-refusal", "--link", first.Number))
	show := c.ok("case", "show", second.Number)
	if !strings.Contains(show, first.Number) || !strings.Contains(show, "ch-2") {
		t.Errorf("case show of the second card lacks the linked case or its call:\n%s", show)
	}
	// Attaching: once; twice is a conflict; another operator's case is refused.
	c.ok("--as", "ivanova", "call", "attach", "ch-3", first.Number)
	c.fails(4, "already on case", "--as", "ivanova", "call", "attach", "ch-3", first.Number)
	c.fails(5, "belongs to operator", "--as", "petrov", "call", "attach", "ch-1", second.Number)
	if out := c.ok("call", "show", "ch-1"); !strings.Contains(out, "HISTORY") || !strings.Contains(out, "supervision whisper") || !strings.Contains(out, "extension=1009") {
		t.Errorf("call show ch-1 lacks the administrator's listening:\n%s", out)
	}
	if out := c.ok("call", "show", "ch-2"); strings.Contains(out, "HISTORY") {
		t.Errorf("call show ch-2 shows a history it does not have:\n%s", out)
	}
	got := decode[callJSON](t, c.ok("-o", "json", "call", "show", "ch-3"))
	if len(got.Cases) != 1 || got.Cases[0] != first.ID {
		t.Errorf("call ch-3 = %+v, want on case %d", got, first.ID)
	}
}

// The journal's phone region: shown, set by an administrator only, then used to read numbers.
func TestPhoneRegionCommand(t *testing.T) {
	c := newCLI(t)
	if out := c.ok("db", "phone-region"); strings.TrimSpace(out) != "RU" {
		t.Errorf("phone-region = %q, want RU", out)
	}
	c.fails(5, "only an administrator", "--as", "ivanova", "db", "phone-region", "GB")
	c.fails(2, "unknown phone region", "--as", "admin", "db", "phone-region", "XX")
	if out := c.ok("--as", "admin", "db", "phone-region", "gb"); strings.TrimSpace(out) != "GB" {
		t.Errorf("after setting: %q, want GB", out)
	}
	got := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "case", "new", "--caller", "020 7946 0958", "--type", "consultation"))
	if got.CallerNumber != "+442079460958" {
		t.Errorf("a number typed in the GB region stored as %q, want +442079460958", got.CallerNumber)
	}
}

// A case given to an operator at their limit of cases in work is refused, however it is given
// (a new card with --owner, a forward, a reassignment); registering for oneself never is.
func TestCaseLimitFromTheCLI(t *testing.T) {
	c := newCLI(t)
	c.ok("--as", "admin", "operator", "update", "petrov", "--max-concurrent", "1")
	c.ok("--as", "admin", "case", "new", "--type", "consultation", "--owner", "petrov")
	c.fails(4, "their limit is 1", "--as", "admin", "case", "new", "--type", "consultation", "--owner", "petrov")
	mine := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "case", "new", "--type", "consultation", "--topic", "policy-replace"))
	c.fails(4, "their limit is 1", "--as", "admin", "case", "update", mine.Number, "--owner", "petrov")
	c.fails(4, "their limit is 1", "--as", "ivanova", "case", "forward", mine.Number, "--to", "petrov", "--comment", "к специалисту")
	c.ok("--as", "petrov", "case", "new", "--type", "consultation") // for himself: what he is told is written
}
