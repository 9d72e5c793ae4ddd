package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/hotline-dev/hotline"
)

// Staffed-time sources (OperatorStats.StaffedFrom).
const (
	// StaffedFromPresence: staffed time is the time logged in and not paused, from the
	// operator's presence history.
	StaffedFromPresence = "presence"
	// StaffedFromObservedSpan: no presence history for the operator in the range; staffed time
	// is approximated by the span from the first answer to the last wrap-up of each day.
	StaffedFromObservedSpan = "observed_span"
)

// PauseTime is the time an operator spent paused with one reason code.
type PauseTime struct {
	Reason  string  `json:"reason"` // "" when paused without a code
	Pauses  int     `json:"pauses"` // pauses with this reason that started in the range
	Seconds float64 `json:"seconds"`
}

// presenceTime is one operator's time per standing presence in the range.
type presenceTime struct {
	available, paused, unreachable time.Duration
	reasons                        map[string]*PauseTime
	logins                         []time.Time // logged in from logged out, in the range
}

// presenceTimes walks each operator's presence events over [from, to): the event in force at
// from (the last before it) sets the starting state, an operator with no event yet is logged
// out. Only operators with at least one event are in the result.
func presenceTimes(events []hotline.PresenceEvent, from, to time.Time) map[int64]*presenceTime {
	ev := slices.Clone(events)
	slices.SortStableFunc(ev, func(a, b hotline.PresenceEvent) int {
		return cmp.Or(cmp.Compare(a.OperatorID, b.OperatorID), a.At.Compare(b.At))
	})
	w := newPresenceWalk(from, to)
	for _, e := range ev {
		w.push(e)
	}
	return w.done()
}

// presenceWalk is presenceTimes over events given one at a time, by operator then time (as
// journal.EachPresence reads them): it holds one operator's state, not the events.
type presenceWalk struct {
	from, to time.Time
	out      map[int64]*presenceTime
	pt       *presenceTime // the current operator's
	id       int64
	state    hotline.PresenceEvent
	since    time.Time
}

func newPresenceWalk(from, to time.Time) *presenceWalk {
	return &presenceWalk{from: from, to: to, out: map[int64]*presenceTime{}}
}

func (w *presenceWalk) push(e hotline.PresenceEvent) {
	if w.pt == nil || e.OperatorID != w.id {
		w.end()
		w.pt = &presenceTime{reasons: map[string]*PauseTime{}}
		w.out[e.OperatorID] = w.pt
		w.id, w.state, w.since = e.OperatorID, hotline.PresenceEvent{Presence: hotline.PresenceLoggedOut}, w.from
	}
	if !e.At.Before(w.to) {
		return
	}
	if e.At.Before(w.from) {
		w.state = e // in force at from
		return
	}
	pt, state := w.pt, w.state
	pt.add(state, e.At.Sub(w.since))
	if !state.Presence.LoggedIn() && e.Presence.LoggedIn() {
		pt.logins = append(pt.logins, e.At)
	}
	// A pause goes on under an unreachable handset; a new reason is a new pause.
	wasPaused := state.Presence == hotline.PresencePaused || (state.Presence == hotline.PresenceUnreachable && state.Reason != "")
	if e.Presence == hotline.PresencePaused && (!wasPaused || state.Reason != e.Reason) {
		pt.reason(e.Reason).Pauses++
	}
	w.state, w.since = e, e.At
}

// end closes the current operator's walk at to.
func (w *presenceWalk) end() {
	if w.pt != nil {
		w.pt.add(w.state, w.to.Sub(w.since))
		w.pt = nil
	}
}

// done ends the walk and returns each operator's times.
func (w *presenceWalk) done() map[int64]*presenceTime {
	w.end()
	return w.out
}

func (pt *presenceTime) reason(code string) *PauseTime {
	r := pt.reasons[code]
	if r == nil {
		r = &PauseTime{Reason: code}
		pt.reasons[code] = r
	}
	return r
}

func (pt *presenceTime) add(state hotline.PresenceEvent, d time.Duration) {
	if d <= 0 {
		return
	}
	switch state.Presence {
	case hotline.PresenceAvailable:
		pt.available += d
	case hotline.PresencePaused:
		pt.paused += d
		pt.reason(state.Reason).Seconds += d.Seconds()
	case hotline.PresenceUnreachable:
		pt.unreachable += d
	}
}

// presenceEnd is where the operators' presence is counted to: To, or AsOf when it is earlier (the
// future has no presence yet).
func presenceEnd(o Options) time.Time {
	if o.AsOf.Before(o.To) && o.AsOf.After(o.From) {
		return o.AsOf
	}
	return o.To
}

// applyPresence sets the operators' staffed time, pauses and logins from their presence history
// and counts logins into the period rows; operators without history keep the observed span.
func (r *Report) applyPresence(times map[int64]*presenceTime, o Options, opRow map[int64]*OperatorStats,
	periodRow map[string]*CallStats, names map[int64]string) {
	for id, pt := range times {
		op := opRow[id]
		if op == nil {
			if pt.available+pt.paused+pt.unreachable == 0 {
				continue // logged out throughout
			}
			op = &OperatorStats{ID: id, Name: names[id]}
			opRow[id] = op
		}
		op.StaffedFrom = StaffedFromPresence
		op.StaffedSeconds = pt.available.Seconds()
		op.PausedSeconds = pt.paused.Seconds()
		op.UnreachableSeconds = pt.unreachable.Seconds()
		op.Logins = len(pt.logins)
		op.Pauses = make([]PauseTime, 0, len(pt.reasons))
		for _, p := range pt.reasons {
			op.Pauses = append(op.Pauses, *p)
		}
		slices.SortFunc(op.Pauses, func(a, b PauseTime) int { return cmp.Compare(a.Reason, b.Reason) })
		for _, t := range pt.logins {
			local := t.In(o.Location)
			if row := periodRow[o.Period.Key(o.Period.Start(local, o.Location))]; row != nil {
				row.Logins++
			}
			r.Total.Logins++
		}
	}
	r.PresenceHistory = len(times) > 0
	for _, op := range opRow {
		if op.StaffedFrom == "" && op.StaffedSeconds > 0 {
			op.StaffedFrom = StaffedFromObservedSpan
		}
	}
}
