package journal_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func TestReviewQueue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	start := f.clk.Now()
	if !f.s.Now().Equal(start) {
		t.Fatalf("Now %v, the clock %v", f.s.Now(), start)
	}
	q, err := f.s.ReviewWaiting(ctx, start)
	if err != nil || q != (journal.ReviewQueue{}) {
		t.Fatalf("empty queue: %+v %v", q, err)
	}
	var ids []int64
	for i := range 4 {
		c := f.newCase(t, f.op1, hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace", CallerNumber: "+7865200000" + string(rune('1'+i))})
		ids = append(ids, c.ID)
	}
	// Closed in the order 2, 0, then (an hour later, by the administrator) 1; 3 stays in progress.
	for i, id := range []int64{ids[2], ids[0], ids[1]} {
		by := f.op1
		if i == 2 {
			f.clk.Add(time.Hour)
			by = f.admin
		}
		if _, err := f.s.CloseCase(ctx, by, id, hotline.Closing{Result: hotline.ResultAnswered, Comment: "разъяснено"}); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Minute)
	}
	q, err = f.s.ReviewWaiting(ctx, start.Add(30*time.Minute))
	if err != nil || q.N != 3 || q.Waiting != 2 || !q.Oldest.Equal(start) {
		t.Errorf("queue: %+v %v; want 3, 2 waiting since before 30 min, the oldest at %v", q, err, start)
	}
	cs, err := f.s.UnderReview(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, c := range cs {
		got = append(got, c.ID)
	}
	if want := []int64{ids[2], ids[0], ids[1]}; !slices.Equal(got, want) {
		t.Errorf("under review %v, want %v (the longest waiting first)", got, want)
	}
	if cs, err := f.s.UnderReview(ctx, 1); err != nil || len(cs) != 1 {
		t.Errorf("limit 1: %d %v", len(cs), err)
	}
	_, err = f.s.UnderReview(ctx, 0)
	wantCode(t, err, hotline.EINVALID)

	by, err := f.s.ClosedBy(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]string{ids[0]: "ivanova", ids[1]: "admin", ids[2]: "ivanova"}; !maps.Equal(by, want) {
		t.Errorf("closed by %v, want %v", by, want)
	}
}

func TestUnownedDelayedAnswers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, ch := range []string{"u-1", "u-2"} {
		if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: ch, CallerNumber: "+78652000009", ArrivedAt: f.clk.Now()}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.OpenDelayedAnswer(ctx, ch, journal.DelayedCallback, journal.DelayedAnswerRule{}); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(time.Minute)
	}
	if err := f.s.GiveCallback(ctx, "u-2", f.l2ID); err != nil {
		t.Fatal(err)
	}
	cs, err := f.s.UnownedDelayedAnswers(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].OwnerID != 0 || cs[0].Status != hotline.StatusDelayedAnswer {
		t.Errorf("unowned delayed answers: %+v", cs)
	}
}
