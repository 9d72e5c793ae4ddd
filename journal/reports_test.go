package journal_test

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The bulk reads reports make: a period's callbacks, case counts, overdue cases, cases by id.
func TestReportReads(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	day := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
	set := func(t time.Time) { f.clk.Add(t.Sub(f.clk.Now())) }

	set(day(9, 0))
	a := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace", CallerNumber: "+78652000001"})
	b := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeComplaint, Topic: "clinic-refusal", CallerNumber: "+78652000002"})
	set(day(9, 30))
	// b forwarded with notice: into «Отсроченный ответ»; a closed: a status change of another kind.
	if _, err := f.s.CloseCase(ctx, f.op1, b.ID, hotline.Closing{Result: hotline.ResultForwarded, ForwardTo: f.op2.OperatorID, Comment: "к специалисту"}); err != nil {
		t.Fatal(err)
	}
	due := day(10, 0)
	if _, err := f.s.UpdateCase(ctx, f.admin, a.ID, journal.CaseUpdate{DueAt: &due}); err != nil {
		t.Fatal(err)
	}
	set(day(10, 30))
	if _, err := f.s.SetInProgress(ctx, f.op2, b.ID); err != nil { // the callback made
		t.Fatal(err)
	}
	set(day(11, 0))
	c := f.newCase(t, f.op2, hotline.Case{Type: hotline.TypeConsultation, CallerNumber: "+78652000003"})

	into := journal.StatusChange{CaseID: b.ID, At: day(9, 30), From: hotline.StatusInProgress, To: hotline.StatusDelayedAnswer}
	outOf := journal.StatusChange{CaseID: b.ID, At: day(10, 30), From: hotline.StatusDelayedAnswer, To: hotline.StatusInProgress}
	for _, tc := range []struct {
		name      string
		from, til time.Time
		want      []journal.StatusChange
	}{
		{"the whole day", day(0, 0), day(23, 0), []journal.StatusChange{into, outOf}},
		{"bounds included", day(9, 30), day(10, 30), []journal.StatusChange{into, outOf}},
		{"after the request", day(9, 31), day(23, 0), []journal.StatusChange{outOf}},
		{"before both", day(0, 0), day(9, 29), nil},
	} {
		t.Run("status changes/"+tc.name, func(t *testing.T) {
			got, err := f.s.CaseStatusChanges(ctx, hotline.StatusDelayedAnswer, tc.from, tc.til)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	counts, err := f.s.RegisteredCaseCounts(ctx, day(9, 0), day(11, 0)) // c, at 11:00, is outside
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(counts, func(x, y journal.CaseCount) int { return cmp.Compare(x.Topic, y.Topic) })
	wantCounts := []journal.CaseCount{
		{Type: hotline.TypeComplaint, Topic: "clinic-refusal", Status: hotline.StatusInProgress, N: 1},
		{Type: hotline.TypeConsultation, Topic: "policy-replace", Status: hotline.StatusInProgress, N: 1},
	}
	if !slices.Equal(counts, wantCounts) {
		t.Errorf("counts %+v\nwant %+v", counts, wantCounts)
	}

	overdue, err := f.s.OverdueCases(ctx, day(10, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(overdue) != 1 || overdue[0].ID != a.ID || overdue[0].Number != a.Number {
		t.Errorf("overdue at 10:01: %+v, want case %s", overdue, a.Number)
	}
	if overdue, err := f.s.OverdueCases(ctx, day(10, 0)); err != nil || len(overdue) != 0 {
		t.Errorf("overdue at its due time: %+v, %v; want none", overdue, err)
	}

	// More ids than one statement takes, most of them no case.
	ids := []int64{c.ID, a.ID}
	for id := int64(1000); len(ids) < 1200; id++ {
		ids = append(ids, id)
	}
	got, err := f.s.CasesByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []int64
	for _, k := range got {
		gotIDs = append(gotIDs, k.ID)
	}
	slices.Sort(gotIDs)
	if want := []int64{a.ID, c.ID}; !slices.Equal(gotIDs, want) {
		t.Errorf("cases by id: %v, want %v", gotIDs, want)
	}
}
