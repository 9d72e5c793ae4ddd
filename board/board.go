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

// TodayFrom reads today's numbers, from local midnight to now, from src: the same report the
// terminal board and the workplace show.
func TodayFrom(src *report.Source) Today {
	return func(ctx context.Context) (*report.CallStats, error) {
		now := time.Now()
		from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
		d, err := src.Load(ctx, from, now, now)
		if err != nil {
			return nil, err
		}
		r, err := report.Compute(d, report.Options{From: from, To: now, Location: now.Location()}, now)
		if err != nil {
			return nil, err
		}
		return &r.Total, nil
	}
}

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

// Alert is one threshold crossed, as data: Alerts words it for the terminal, the workplace in
// its own language.
type Alert struct {
	Kind AlertKind
	// The figure and its threshold: LongestWait (Wait, Limit), FewOnLine (OnLine, MinOnLine),
	// LowServiceLevel (Percent, Target).
	Wait, Limit       time.Duration
	OnLine, MinOnLine int
	Percent, Target   float64
}

// AlertKind is which threshold an Alert crossed.
type AlertKind string

const (
	NotConnected    AlertKind = "not_connected"
	LongestWait     AlertKind = "longest_wait"
	FewOnLine       AlertKind = "few_on_line"
	LowServiceLevel AlertKind = "low_service_level"
)

// Check lists the thresholds f crosses, most urgent first.
func Check(f Figures, th Thresholds) []Alert {
	var out []Alert
	if !f.Connected {
		out = append(out, Alert{Kind: NotConnected})
	}
	if th.LongestWait > 0 && f.LongestWait > th.LongestWait {
		out = append(out, Alert{Kind: LongestWait, Wait: f.LongestWait, Limit: th.LongestWait})
	}
	if f.OnLine < th.MinOnLine {
		out = append(out, Alert{Kind: FewOnLine, OnLine: f.OnLine, MinOnLine: th.MinOnLine})
	}
	if t := f.Today; th.ServiceLevel > 0 && t != nil && len(t.ServiceLevel) > 0 && t.ServiceLevel[0].Percent != nil &&
		*t.ServiceLevel[0].Percent < th.ServiceLevel {
		out = append(out, Alert{Kind: LowServiceLevel, Percent: *t.ServiceLevel[0].Percent, Target: th.ServiceLevel})
	}
	return out
}

// String is the alert as the terminal board prints it.
func (a Alert) String() string {
	switch a.Kind {
	case NotConnected:
		return "Asterisk NOT CONNECTED: no calls are being answered"
	case LongestWait:
		return fmt.Sprintf("longest wait %s is over %s", a.Wait.Round(time.Second), a.Limit)
	case FewOnLine:
		return fmt.Sprintf("only %d operator(s) on line, fewer than %d", a.OnLine, a.MinOnLine)
	case LowServiceLevel:
		return fmt.Sprintf("service level today %.0f%% is under %.0f%%", a.Percent, a.Target)
	}
	return string(a.Kind)
}

// Alerts lists what crosses a threshold, most urgent first.
func Alerts(st switchboard.Status, today *report.CallStats, th Thresholds) []string {
	var out []string
	for _, a := range Check(Figure(st, today), th) {
		out = append(out, a.String())
	}
	return out
}

// Figures are the board's numbers, computed once for every way of showing them (the terminal's
// Render, the workplace's page).
type Figures struct {
	At            time.Time
	Connected     bool
	Waiting       int           // callers in the queue (callbacks owed apart)
	LongestWait   time.Duration // of those waiting
	CallbacksOwed int
	InProgress    int               // calls in the switchboard
	OnLine        int               // operators able to take calls now or after the current one
	Today         *report.CallStats // nil: not read
	Groups        []Group           // operators with a handset by presence, in presenceOrder, each by extension
}

// Group is the operators in one presence.
type Group struct {
	Presence  hotline.Presence
	Operators []switchboard.OperatorStatus
}

// Figure computes the board's figures of st and today's numbers.
func Figure(st switchboard.Status, today *report.CallStats) Figures {
	f := Figures{At: st.At, Connected: st.Connected, InProgress: st.Calls, Today: today}
	for _, q := range st.Queue {
		if q.Callback {
			f.CallbacksOwed++
			continue
		}
		f.Waiting++
		f.LongestWait = max(f.LongestWait, q.Waiting)
	}
	groups := map[hotline.Presence][]switchboard.OperatorStatus{}
	for _, o := range st.Operators {
		if onLine(o.Presence) {
			f.OnLine++
		}
		if o.Extension == "" {
			continue // administrators without a handset
		}
		groups[o.Presence] = append(groups[o.Presence], o)
	}
	for _, p := range presenceOrder {
		ops := groups[p]
		slices.SortFunc(ops, func(a, b switchboard.OperatorStatus) int { return strings.Compare(a.Extension, b.Extension) })
		f.Groups = append(f.Groups, Group{Presence: p, Operators: ops})
	}
	return f
}

// StatusOf is the status of a switchboard snapshot (the workplace reads snapshots; the control
// socket gives a Status).
func StatusOf(snap switchboard.Snapshot) switchboard.Status {
	st := switchboard.Status{At: snap.At, Connected: snap.Connected, Replaced: snap.Replaced, Draining: snap.Draining, Calls: len(snap.Calls)}
	for i, q := range snap.Queue {
		st.Queue = append(st.Queue, switchboard.QueuedCaller{CallID: q.CallID, CallerNumber: q.CallerNumber, Position: i + 1,
			Waiting: max(snap.At.Sub(q.JoinedAt), 0), Priority: q.Priority, OfferedTo: q.OfferedTo, Callback: q.Callback})
	}
	for _, o := range snap.Operators {
		st.Operators = append(st.Operators, switchboard.OperatorStatus{ID: o.ID, Name: o.Name, Extension: o.Extension,
			Presence: o.Presence, Since: o.Since, Reason: o.Reason, CallID: o.CallID, CallsToday: o.CallsToday, Missed: o.Missed})
	}
	return st
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
	fig := Figure(st, f.Today)
	fmt.Fprintf(&b, "HOTLINE  %s\n\n", st.At.Format("2006-01-02 15:04:05"))
	fmt.Fprintf(&b, "WAITING %d   LONGEST WAIT %s   CALLBACKS OWED %d   CALLS IN PROGRESS %d\n",
		fig.Waiting, fig.LongestWait.Round(time.Second), fig.CallbacksOwed, fig.InProgress)
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
	for _, g := range fig.Groups {
		p := g.Presence
		fmt.Fprintf(&b, "%-12s %2d ", strings.ToUpper(strings.ReplaceAll(string(p), "_", " ")), len(g.Operators))
		for _, o := range g.Operators {
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
