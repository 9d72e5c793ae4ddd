package board

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/report"
	"github.com/hotline-dev/hotline/switchboard"
)

var at = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func status(queue []time.Duration, presences ...hotline.Presence) switchboard.Status {
	st := switchboard.Status{At: at, Connected: true}
	for i, w := range queue {
		st.Queue = append(st.Queue, switchboard.QueuedCaller{CallID: "c", Position: i + 1, Waiting: w})
	}
	for i, p := range presences {
		st.Operators = append(st.Operators, switchboard.OperatorStatus{ID: int64(i + 1), Extension: "100" + string(rune('1'+i)),
			Name: "Op", Presence: p, Since: at.Add(-time.Minute)})
	}
	return st
}

func pct(v float64) *float64 { return &v }

func TestAlerts(t *testing.T) {
	th := Thresholds{LongestWait: 2 * time.Minute, MinOnLine: 2, ServiceLevel: 80}
	lowSL := &report.CallStats{ServiceLevel: []report.ServiceLevel{{TargetSeconds: 20, Percent: pct(64)}}}
	okSL := &report.CallStats{ServiceLevel: []report.ServiceLevel{{TargetSeconds: 20, Percent: pct(91)}}}
	tests := []struct {
		name  string
		st    switchboard.Status
		today *report.CallStats
		want  []string // fragments, in order; none: no alert
	}{
		{"all well", status([]time.Duration{30 * time.Second}, hotline.PresenceAvailable, hotline.PresenceTalking), okSL, nil},
		{"long wait", status([]time.Duration{3 * time.Minute}, hotline.PresenceAvailable, hotline.PresenceWrapUp), nil, []string{"longest wait 3m0s"}},
		{"exactly at the limit is no alert", status([]time.Duration{2 * time.Minute}, hotline.PresenceAvailable, hotline.PresenceRinging), nil, nil},
		{"paused and logged out are not on line", status(nil, hotline.PresenceAvailable, hotline.PresencePaused, hotline.PresenceLoggedOut, hotline.PresenceUnreachable), nil, []string{"only 1 operator"}},
		{"service level", status(nil, hotline.PresenceAvailable, hotline.PresenceAvailable), lowSL, []string{"service level today 64%"}},
		{"disconnected first", func() switchboard.Status {
			s := status([]time.Duration{5 * time.Minute}, hotline.PresenceAvailable)
			s.Connected = false
			return s
		}(), nil, []string{"NOT CONNECTED", "longest wait", "only 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Alerts(tt.st, tt.today, th)
			if len(got) != len(tt.want) {
				t.Fatalf("alerts %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("alert %d = %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
}

func TestRenderShowsStatesReasonsAndToday(t *testing.T) {
	st := status([]time.Duration{95 * time.Second, 10 * time.Second}, hotline.PresenceTalking, hotline.PresencePaused)
	st.Operators[1].Reason = "3"
	st.Queue = append(st.Queue, switchboard.QueuedCaller{Callback: true, Waiting: time.Hour})
	today := &report.CallStats{Offered: 40, Answered: 35, Abandoned: 3, ShortAbandoned: 1, Overflow: 1,
		ServiceLevel: []report.ServiceLevel{{TargetSeconds: 20, Percent: pct(87.5)}}}
	var b bytes.Buffer
	if err := Render(&b, Frame{Status: st, Today: today, Alerts: []string{"only 1 operator(s) on line"}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"WAITING 2", "LONGEST WAIT 1m35s", "CALLBACKS OWED 1", // a callback is not a waiting caller
		"offered 40", "answered 35", "abandoned 4", "SL 20s 88%",
		"TALKING       1  1001 Op 1m0s;", "PAUSED        1  1002 Op (reason 3)",
		"!! only 1 operator(s) on line",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("board lacks %q:\n%s", want, out)
		}
	}
}

type failingLive struct{}

func (failingLive) Status(context.Context) (switchboard.Status, error) {
	return switchboard.Status{}, hotline.Errorf(hotline.EUNAVAILABLE, "cannot reach the hotline daemon")
}

func TestRunShowsAnUnreachableDaemonAndGoesOn(t *testing.T) {
	var b bytes.Buffer
	err := Run(context.Background(), &b, failingLive{}, func(context.Context) (*report.CallStats, error) {
		return nil, errors.New("unused")
	}, Options{Interval: time.Millisecond, Frames: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "!! cannot reach the hotline daemon"); n != 2 {
		t.Errorf("%d frames said the daemon is unreachable, want 2:\n%s", n, b.String())
	}
}
