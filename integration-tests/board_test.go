package integrationtests

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/board"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/report"
)

// The wallboard against a live daemon: a paused operator with its reason, a caller waiting, and
// today's numbers from the daemon's journal after one answered call.
func TestBoardShowsTheLiveHotline(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001", Name: "Ivanova"}}, nil)
	h := d.Handset("1001", 0)
	d.FeatureCode(h, "*21")
	ctx := within(t, 60*time.Second)
	c, err := d.Caller("79004440001").Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitTone(within(t, 15*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatal(err)
	}
	_ = c.Hangup(ctx)
	waitLegEnded(t, d, "79004440001")
	d.FeatureCode(h, "*233") // pause, reason 3
	c2, err := d.Caller("79004440002").Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Hangup(context.Background())
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatal(err)
	}

	src, err := report.Open(ctx, d.Config.Journal.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	today := func(ctx context.Context) (*report.CallStats, error) {
		now := time.Now()
		from := now.Add(-time.Hour)
		data, err := src.Load(ctx, from, now, now)
		if err != nil {
			return nil, err
		}
		r, err := report.Compute(data, report.Options{From: from, To: now}, now)
		if err != nil {
			return nil, err
		}
		return &r.Total, nil
	}
	var b bytes.Buffer
	if err := board.Run(ctx, &b, d.API, today, board.Options{Interval: 200 * time.Millisecond, Frames: 2, Thresholds: board.DefaultThresholds()}); err != nil {
		t.Fatal(err)
	}
	frames := strings.Split(b.String(), "HOTLINE  ")
	if len(frames) != 3 {
		t.Fatalf("want 2 frames, got:\n%s", b.String())
	}
	last := frames[2]
	for _, want := range []string{
		"WAITING 1", "1001 Ivanova (reason 3)", "answered 1", // today: the first call
		"!! only 0 operator(s) on line", // paused: nobody on line
	} {
		if !strings.Contains(last, want) {
			t.Errorf("board lacks %q:\n%s", want, last)
		}
	}
}
