// Package board is the supervisors' live wallboard («Табло»): callers waiting and the longest wait,
// operators by state, today's answered, abandoned and service level, and alerts when a threshold
// is crossed. It redraws from the running daemon's status every interval.
package board

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/report"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/termtext"
)

// Live is where the board reads the hotline's state; *control.Client is one.
type Live interface {
	Status(ctx context.Context) (switchboard.Status, error)
}

// Today returns today's call numbers (from the journal); nil means the board shows none.
type Today func(ctx context.Context) (*report.CallStats, error)

// Thresholds raise alerts.
type Thresholds struct {
	LongestWait  time.Duration // a caller waiting longer than this; 0: no alert
	MinOnLine    int           // fewer operators logged in (not paused, not logged out) than this
	ServiceLevel float64       // today's service level (first target) below this percentage; 0: no alert
}

// DefaultThresholds follow the seeds: callers wait at most about two minutes; a hotline needs at
// least two operators on line; 80 % answered within the target.
func DefaultThresholds() Thresholds {
	return Thresholds{LongestWait: 2 * time.Minute, MinOnLine: 2, ServiceLevel: 80}
}

// Frame is one picture of the board.
type Frame struct {
	Status switchboard.Status
	Today  *report.CallStats
	Alerts []string
}

// onLine: logged in and able to take calls now or after the current one.
func onLine(p hotline.Presence) bool {
	switch p {
	case hotline.PresenceAvailable, hotline.PresenceRinging, hotline.PresenceTalking, hotline.PresenceWrapUp:
		return true
	}
	return false
}

// Alerts lists what crosses a threshold, most urgent first.
func Alerts(st switchboard.Status, today *report.CallStats, th Thresholds) []string {
	var out []string
	if !st.Connected {
		out = append(out, "Asterisk NOT CONNECTED: no calls are being answered")
	}
	var longest time.Duration
	for _, q := range st.Queue {
		if !q.Callback {
			longest = max(longest, q.Waiting)
		}
	}
	if th.LongestWait > 0 && longest > th.LongestWait {
		out = append(out, fmt.Sprintf("longest wait %s is over %s", longest.Round(time.Second), th.LongestWait))
	}
	n := 0
	for _, o := range st.Operators {
		if onLine(o.Presence) {
			n++
		}
	}
	if n < th.MinOnLine {
		out = append(out, fmt.Sprintf("only %d operator(s) on line, fewer than %d", n, th.MinOnLine))
	}
	if th.ServiceLevel > 0 && today != nil && len(today.ServiceLevel) > 0 && today.ServiceLevel[0].Percent != nil &&
		*today.ServiceLevel[0].Percent < th.ServiceLevel {
		out = append(out, fmt.Sprintf("service level today %.0f%% is under %.0f%%", *today.ServiceLevel[0].Percent, th.ServiceLevel))
	}
	return out
}

// presenceOrder is how operators are grouped on the board.
var presenceOrder = []hotline.Presence{
	hotline.PresenceAvailable, hotline.PresenceRinging, hotline.PresenceTalking, hotline.PresenceWrapUp,
	hotline.PresencePaused, hotline.PresenceUnreachable, hotline.PresenceLoggedOut,
}

// Render draws one frame as plain text.
func Render(w io.Writer, f Frame) error {
	var b strings.Builder
	st := f.Status
	fmt.Fprintf(&b, "HOTLINE  %s\n\n", st.At.Format("2006-01-02 15:04:05"))
	var longest time.Duration
	waiting, callbacks := 0, 0
	for _, q := range st.Queue {
		if q.Callback {
			callbacks++
			continue
		}
		waiting++
		longest = max(longest, q.Waiting)
	}
	fmt.Fprintf(&b, "WAITING %d   LONGEST WAIT %s   CALLBACKS OWED %d   CALLS IN PROGRESS %d\n",
		waiting, longest.Round(time.Second), callbacks, st.Calls)
	if t := f.Today; t != nil {
		fmt.Fprintf(&b, "TODAY   offered %d  answered %d  abandoned %d  overflow %d", t.Offered, t.Answered, t.Abandoned+t.ShortAbandoned, t.Overflow)
		for _, sl := range t.ServiceLevel {
			if sl.Percent != nil {
				fmt.Fprintf(&b, "  SL %s %.0f%%", time.Duration(sl.TargetSeconds*float64(time.Second)), *sl.Percent)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	groups := map[hotline.Presence][]switchboard.OperatorStatus{}
	for _, o := range st.Operators {
		if o.Extension == "" {
			continue // administrators without a handset
		}
		groups[o.Presence] = append(groups[o.Presence], o)
	}
	for _, p := range presenceOrder {
		ops := groups[p]
		slices.SortFunc(ops, func(a, b switchboard.OperatorStatus) int { return strings.Compare(a.Extension, b.Extension) })
		fmt.Fprintf(&b, "%-12s %2d ", strings.ToUpper(strings.ReplaceAll(string(p), "_", " ")), len(ops))
		for _, o := range ops {
			fmt.Fprintf(&b, " %s %s", termtext.Escape(o.Extension), termtext.Escape(o.Name))
			if p == hotline.PresencePaused && o.Reason != "" {
				fmt.Fprintf(&b, " (reason %s)", termtext.Escape(o.Reason))
			}
			if !o.Since.IsZero() && p != hotline.PresenceLoggedOut {
				fmt.Fprintf(&b, " %s", st.At.Sub(o.Since).Round(time.Second))
			}
			b.WriteString(";")
		}
		b.WriteString("\n")
	}
	if len(f.Alerts) > 0 {
		b.WriteString("\n")
		for _, a := range f.Alerts {
			fmt.Fprintf(&b, "!! %s\n", a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Options drive Run.
type Options struct {
	Interval   time.Duration // between frames; default 1 s
	Frames     int           // stop after this many frames; 0: until ctx ends
	Clear      bool          // clear the terminal before each frame
	Thresholds Thresholds
}

// Run redraws the board every interval until ctx ends (or Frames are drawn). A daemon that cannot
// be reached is shown on the board, not treated as the end: it may be restarting.
func Run(ctx context.Context, w io.Writer, live Live, today Today, o Options) error {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	for n := 0; o.Frames == 0 || n < o.Frames; n++ {
		if o.Clear {
			io.WriteString(w, "\x1b[H\x1b[2J")
		}
		st, err := live.Status(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(w, "HOTLINE  %s\n\n!! %s\n", time.Now().Format("2006-01-02 15:04:05"), hotline.ErrorMessage(err))
		} else {
			var t *report.CallStats
			if today != nil {
				if t, err = today(ctx); err != nil {
					t = nil
				}
			}
			if err := Render(w, Frame{Status: st, Today: t, Alerts: Alerts(st, t, o.Thresholds)}); err != nil {
				return err
			}
		}
		if o.Frames != 0 && n+1 == o.Frames {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
	return nil
}
