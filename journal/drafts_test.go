package journal_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func TestDrafts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.answered(t, "ch-draft", "+79121234567", f.op1.OperatorID)
	key := journal.DraftKeyCall("ch-draft")
	if _, err := f.s.Draft(ctx, f.op1, key); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("no draft yet: %v", err)
	}
	fields := map[string]string{"type": "complaint", "description": "<script>alert(1)</script> как набрано"}
	if _, err := f.s.SaveDraft(ctx, f.op1, key, fields, 0); err != nil {
		t.Fatal(err)
	}
	d, err := f.s.Draft(ctx, f.op1, key)
	if err != nil || d.Fields["description"] != fields["description"] || d.Fields["type"] != "complaint" || !d.UpdatedAt.Equal(f.clk.Now()) {
		t.Fatalf("draft read back: %+v %v", d, err)
	}
	// Only its operator's: another operator has none under the same key.
	if _, err := f.s.Draft(ctx, f.op2, key); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("another operator's draft must not be read: %v", err)
	}
	// Saving again replaces it, with the version an edit was based on.
	if _, err := f.s.SaveDraft(ctx, f.op1, key, map[string]string{"topic": "clinic-refusal"}, 3); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.s.Draft(ctx, f.op1, key); d.Fields["type"] != "" || d.Fields["topic"] != "clinic-refusal" || d.Version != 3 {
		t.Fatalf("replaced draft: %+v", d)
	}
	// A draft writes no history.
	if evs, err := f.s.History(ctx, journal.HistoryFilter{Entity: "draft"}); err != nil || len(evs) != 0 {
		t.Fatalf("drafts wrote history: %v %v", evs, err)
	}
	if err := f.s.DropDraft(ctx, f.op1, key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Draft(ctx, f.op1, key); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("dropped draft still there: %v", err)
	}
	if err := f.s.DropDraft(ctx, f.op1, key); err != nil {
		t.Fatalf("dropping no draft: %v", err)
	}
}

func TestDraftRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		by     hotline.Actor
		key    string
		fields map[string]string
		code   string
	}{
		{"system", hotline.SystemActor, "new", nil, hotline.EFORBIDDEN},
		{"bad key", f.op1, "whatever", nil, hotline.EINVALID},
		{"bad case key", f.op1, "case:x", nil, hotline.EINVALID},
		{"empty call key", f.op1, "call:", nil, hotline.EINVALID},
		{"unknown field", f.op1, "new", map[string]string{"owner_id": "1"}, hotline.EINVALID},
		{"too long", f.op1, "new", map[string]string{"description": strings.Repeat("я", hotline.MaxDescriptionLen+1)}, hotline.EINVALID},
		{"name too long", f.op1, "case:1", map[string]string{"full_name": strings.Repeat("я", hotline.MaxNameLen+1)}, hotline.EINVALID},
		{"not utf-8", f.op1, "new", map[string]string{"address": "\xff"}, hotline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.SaveDraft(ctx, tt.by, tt.key, tt.fields, 0)
			wantCode(t, err, tt.code)
		})
	}
	// At the limits, accepted.
	if _, err := f.s.SaveDraft(ctx, f.op1, "new", map[string]string{"description": strings.Repeat("я", hotline.MaxDescriptionLen)}, 0); err != nil {
		t.Fatal(err)
	}
}

func TestOldDraftsAreDroppedOnSave(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c1 := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
	c2 := f.newCase(t, f.op2, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
	if _, err := f.s.SaveDraft(ctx, f.op1, journal.DraftKeyCase(c1.ID), map[string]string{"type": "complaint"}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SaveDraft(ctx, f.op2, journal.DraftKeyCase(c2.ID), map[string]string{"type": "complaint"}, 1); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(journal.DraftMaxAge + time.Minute)
	if _, err := f.s.Draft(ctx, f.op1, journal.DraftKeyCase(c1.ID)); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("a draft older than %v must not be restored: %v", journal.DraftMaxAge, err)
	}
	if _, err := f.s.SaveDraft(ctx, f.op1, "new", map[string]string{"type": "gratitude"}, 0); err != nil {
		t.Fatal(err)
	}
	n, err := f.s.DraftCountForTest(ctx, f.op1.OperatorID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("op1 keeps %d drafts after saving one a week later, want 1", n)
	}
	if n, err := f.s.DraftCountForTest(ctx, f.op2.OperatorID); err != nil || n != 1 {
		t.Fatalf("another operator's old draft is theirs to drop on their save: %d %v", n, err)
	}
}

func TestCaseVersionRefusesStaleEdits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
	if c.Version != 1 {
		t.Fatalf("a new case is version 1, got %d", c.Version)
	}
	first, second := "первая вкладка", "вторая вкладка"
	// Both tabs opened version 1; the clock does not move: updated_at would not tell them apart.
	up, err := f.s.UpdateCase(ctx, f.op1, c.ID, journal.CaseUpdate{Description: &first, IfVersion: 1})
	if err != nil || up.Version != 2 {
		t.Fatalf("first save: %+v %v", up, err)
	}
	_, err = f.s.UpdateCase(ctx, f.op1, c.ID, journal.CaseUpdate{Description: &second, IfVersion: 1})
	wantCode(t, err, hotline.ECONFLICT)
	if !errors.Is(err, journal.ErrStaleVersion) {
		t.Fatalf("a stale save must be ErrStaleVersion: %v", err)
	}
	got, err := f.s.Case(ctx, c.ID)
	if err != nil || got.Description != first || got.Version != 2 {
		t.Fatalf("the case after the refused save: %+v %v", got, err)
	}
	// A stale edit with a document writes neither.
	_, err = f.s.UpdateCase(ctx, f.op1, c.ID, journal.CaseUpdate{Description: &second, IfVersion: 1,
		Attachment: &hotline.Attachment{DocumentNumber: "12", RegisteredOn: "2026-11-20", FilePath: "x.pdf"}})
	wantCode(t, err, hotline.ECONFLICT)
	if atts, _ := f.s.Attachments(ctx, c.ID); len(atts) != 0 {
		t.Fatalf("a refused edit attached %v", atts)
	}
	// Every write counts, whoever makes it: closing too.
	closed, err := f.s.CloseCase(ctx, f.op1, c.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "разъяснено"})
	if err != nil || closed.Version != 3 {
		t.Fatalf("close: %+v %v", closed, err)
	}
	if got, _ := f.s.Case(ctx, c.ID); got.Version != 3 {
		t.Fatalf("stored version %d, want 3", got.Version)
	}
	// Without IfVersion an edit is not checked (the CLI).
	if _, err := f.s.ApproveCase(ctx, f.admin, c.ID); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	earlier := f.newCase(t, f.op1, hotline.Case{CallerNumber: "+79121234567", Type: hotline.TypeComplaint, Topic: "clinic-refusal"})
	f.answered(t, "ch-card", "+79121234567", f.op1.OperatorID)
	callID := f.callID(t, "ch-card")

	// A link to no case: nothing is written, not even the case.
	before, _ := f.s.CountCases(ctx, journal.CaseFilter{})
	c := hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"}
	err := f.s.OpenCard(ctx, f.op1, journal.Card{Case: &c, CallID: callID, Links: []int64{earlier.ID, 999},
		Attachment: &hotline.Attachment{DocumentNumber: "7", RegisteredOn: "2026-11-20", FilePath: "a.pdf"}})
	wantCode(t, err, hotline.ENOTFOUND)
	if after, _ := f.s.CountCases(ctx, journal.CaseFilter{}); after != before || c.ID != 0 {
		t.Fatalf("a refused card left a case: %d → %d, id %d", before, after, c.ID)
	}
	// Someone who did not talk to the caller may not register the call.
	c = hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"}
	wantCode(t, f.s.OpenCard(ctx, f.op2, journal.Card{Case: &c, CallID: callID}), hotline.EFORBIDDEN)

	c = hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"}
	att := &hotline.Attachment{DocumentNumber: "7", RegisteredOn: "2026-11-20", FilePath: "a.pdf"}
	if err := f.s.OpenCard(ctx, f.op1, journal.Card{Case: &c, CallID: callID, Links: []int64{earlier.ID}, Attachment: att}); err != nil {
		t.Fatal(err)
	}
	if c.Channel != hotline.ChannelPhone || c.CallerNumber != "+79121234567" || c.OwnerID != f.op1.OperatorID || c.Version != 1 || att.ID == 0 {
		t.Fatalf("card: %+v %+v", c, att)
	}
	calls, _ := f.s.CaseCalls(ctx, c.ID)
	linked, _ := f.s.LinkedCases(ctx, c.ID)
	atts, _ := f.s.Attachments(ctx, c.ID)
	if len(calls) != 1 || calls[0].ID != callID || len(linked) != 1 || linked[0].ID != earlier.ID || len(atts) != 1 || atts[0].FilePath != "a.pdf" {
		t.Fatalf("card's call %v, links %v, documents %v", calls, linked, atts)
	}
	// A written card, without a call.
	w := hotline.Case{Channel: hotline.ChannelWritten, Type: hotline.TypeProposal}
	if err := f.s.OpenCard(ctx, f.l2, journal.Card{Case: &w}); err != nil || w.OwnerID != f.l2ID {
		t.Fatalf("written card: %+v %v", w, err)
	}
}

// A card links only the caller's own earlier cases (the same number or policy), at most
// hotline.MaxLinks of them; anything else is refused and nothing is written.
func TestOpenCardLinksOnlyTheCallersHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	own := f.newCase(t, f.op1, hotline.Case{CallerNumber: "+79121234567", Type: hotline.TypeComplaint, Topic: "clinic-refusal"})
	byPolicy := f.newCase(t, f.op1, hotline.Case{Person: hotline.Person{PolicyNumber: "7700000000000001"}, Type: hotline.TypeComplaint, Topic: "clinic-refusal"})
	other := f.newCase(t, f.op2, hotline.Case{CallerNumber: "+79990000000", Type: hotline.TypeComplaint, Topic: "clinic-refusal"})
	f.answered(t, "ch-links", "+79121234567", f.op1.OperatorID)
	callID := f.callID(t, "ch-links")
	many := make([]int64, hotline.MaxLinks+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	for _, tt := range []struct {
		name  string
		links []int64
		code  string
	}{
		{"another person's case", []int64{own.ID, other.ID}, hotline.EFORBIDDEN},
		{"too many", many, hotline.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := f.s.CountCases(ctx, journal.CaseFilter{})
			c := hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"}
			wantCode(t, f.s.OpenCard(ctx, f.op1, journal.Card{Case: &c, CallID: callID, Links: tt.links}), tt.code)
			if after, _ := f.s.CountCases(ctx, journal.CaseFilter{}); after != before {
				t.Fatalf("a refused card left a case: %d → %d", before, after)
			}
		})
	}
	// The number typed into the card is another (a relative's phone): the history shown, by the
	// call's number, is still the caller's own.
	c := hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace", CallerNumber: "+79995554433", Person: hotline.Person{PolicyNumber: "7700000000000001"}}
	if err := f.s.OpenCard(ctx, f.op1, journal.Card{Case: &c, CallID: callID, Links: []int64{own.ID, byPolicy.ID}}); err != nil {
		t.Fatal(err)
	}
	if linked, _ := f.s.LinkedCases(ctx, c.ID); len(linked) != 2 {
		t.Fatalf("linked %v", linked)
	}
}

// A draft is kept only for a card its operator could save: a call they are or were on, a case
// they may edit; and an operator keeps at most MaxDrafts, the oldest dropped.
func TestDraftKeysAndLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.answered(t, "ch-mine", "+79121234567", f.op1.OperatorID)
	theirs := f.newCase(t, f.op2, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
	mine := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
	fields := map[string]string{"description": "x"}
	for _, tt := range []struct {
		name string
		by   hotline.Actor
		key  string
		code string
	}{
		{"a call they were not on", f.op2, journal.DraftKeyCall("ch-mine"), hotline.EFORBIDDEN},
		{"no such call", f.op1, journal.DraftKeyCall("ch-none"), hotline.ENOTFOUND},
		{"another's case", f.op1, journal.DraftKeyCase(theirs.ID), hotline.EFORBIDDEN},
		{"no such case", f.op1, journal.DraftKeyCase(99999), hotline.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.SaveDraft(ctx, tt.by, tt.key, fields, 0)
			wantCode(t, err, tt.code)
		})
	}
	if _, err := f.s.SaveDraft(ctx, f.op1, journal.DraftKeyCall("ch-mine"), fields, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SaveDraft(ctx, f.op1, journal.DraftKeyCase(mine.ID), fields, 1); err != nil {
		t.Fatal(err)
	}
	// More cases than the limit, each with a draft, a minute apart: the oldest go.
	for i := range journal.MaxDrafts {
		f.clk.Add(time.Minute)
		c := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
		if _, err := f.s.SaveDraft(ctx, f.op1, journal.DraftKeyCase(c.ID), fields, 1); err != nil {
			t.Fatalf("draft %d: %v", i, err)
		}
	}
	if n, err := f.s.DraftCountForTest(ctx, f.op1.OperatorID); err != nil || n != journal.MaxDrafts {
		t.Fatalf("op1 keeps %d drafts, want %d (%v)", n, journal.MaxDrafts, err)
	}
	if _, err := f.s.Draft(ctx, f.op1, journal.DraftKeyCall("ch-mine")); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("the oldest draft is kept: %v", err)
	}
}

// A case keeps who registered it by operator id: the documents' rule compares people, not logins.
func TestCaseKeepsItsCreatorsOperatorID(t *testing.T) {
	f := newFixture(t)
	c := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
	got, err := f.s.Case(context.Background(), c.ID)
	if err != nil || got.CreatedByID != f.op1.OperatorID || got.CreatedBy != f.op1.Login {
		t.Fatalf("creator %q #%d, want %q #%d (%v)", got.CreatedBy, got.CreatedByID, f.op1.Login, f.op1.OperatorID, err)
	}
}

// CloseCard writes the card's edit and the close together at the card's version, or nothing;
// ApproveCaseAt and ReturnCaseAt refuse a case written since the administrator saw it.
func TestCloseCardAndReviewAtAVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"})
	desc, badTopic := "дописано перед закрытием", "no-such-topic"
	cl := hotline.Closing{Result: hotline.ResultAnswered, Comment: "разъяснено"}
	for _, tt := range []struct {
		name string
		u    journal.CaseUpdate
		code string
	}{
		{"stale", journal.CaseUpdate{Description: &desc, IfVersion: c.Version + 1}, hotline.ECONFLICT},
		{"the edit refused", journal.CaseUpdate{Description: &desc, Topic: &badTopic, IfVersion: c.Version}, hotline.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CloseCard(ctx, f.op1, c.ID, tt.u, cl)
			if hotline.ErrorCode(err) == "" {
				t.Fatal("accepted")
			}
			if got, _ := f.s.Case(ctx, c.ID); got.Version != c.Version || got.Status != hotline.StatusInProgress || got.Description != "" {
				t.Fatalf("a refused close wrote: %+v", got)
			}
		})
	}
	closed, err := f.s.CloseCard(ctx, f.op1, c.ID, journal.CaseUpdate{Description: &desc, IfVersion: c.Version}, cl)
	if err != nil || closed.Status != hotline.StatusUnderReview || closed.Description != desc || closed.Version != c.Version+1 {
		t.Fatalf("close with the card: %+v %v", closed, err)
	}
	_, err = f.s.ApproveCaseAt(ctx, f.admin, c.ID, closed.Version-1)
	if !errors.Is(err, journal.ErrStaleVersion) {
		t.Fatalf("approving a case changed since: %v", err)
	}
	_, err = f.s.ReturnCaseAt(ctx, f.admin, c.ID, "дополните", closed.Version-1)
	if !errors.Is(err, journal.ErrStaleVersion) {
		t.Fatalf("returning a case changed since: %v", err)
	}
	if got, err := f.s.ApproveCaseAt(ctx, f.admin, c.ID, closed.Version); err != nil || got.Status != hotline.StatusApproved {
		t.Fatalf("approve at the version shown: %+v %v", got, err)
	}
}
