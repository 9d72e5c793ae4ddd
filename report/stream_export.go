package report

import (
	"bufio"
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The exports streamed from the journal: WriteQueueLog and WriteCDR hold every leg of their
// range, which at a fund's scale is gigabytes; Source.WriteQueueLog and Source.WriteCDR read the
// same calls one at a time (journal.EachCallRecordByCall) and write the same lines in the same
// order, holding only the calls whose lines may still be overtaken by a later call's. The
// operators' presence (member lines) and the unanswered offers (rings) are still read whole:
// tens of bytes an event, not a leg's hundreds.

// ExportRead is what a streamed export reads: the calls that arrived in [From, To) (a zero
// bound is none; the window's lookback included, as for WriteQueueLog's ExportData), the
// operators, their presence and the rings of those calls.
type ExportRead struct {
	From, To  time.Time
	Operators []hotline.Operator
	Presence  []hotline.PresenceEvent
	Rings     []hotline.RingAttempt
}

// eachCall gives fn each call of [from, to) with its legs, as byCall orders them.
func (s *Source) eachCall(ctx context.Context, from, to time.Time, fn func(legs []Call) error) error {
	var legs []Call
	ref := ""
	err := s.st.EachCallRecordByCall(ctx, from, to, func(r journal.CallRecord) error {
		if len(legs) > 0 && r.CallID != ref {
			if err := fn(sortLegs(legs)); err != nil {
				return err
			}
			legs = legs[:0]
		}
		ref = r.CallID
		legs = append(legs, Call{Leg: r.Leg, Outcome: r.Outcome, Line: r.Line, CaseNumber: r.CaseNumber, Topic: r.Topic, Type: r.Type})
		return nil
	})
	if err != nil {
		return err
	}
	if len(legs) > 0 {
		return fn(sortLegs(legs))
	}
	return nil
}

// sortLegs orders one call's legs as byCall does: the inbound leg first, then by id.
func sortLegs(legs []Call) []Call {
	slices.SortStableFunc(legs, func(a, b Call) int { return cmp.Or(boolCmp(a.inbound(), b.inbound()), cmp.Compare(a.ID, b.ID)) })
	return legs
}

// positionStream counts queue positions as positions does, reading the queue entries in the
// order they joined (journal.QueueEntries) only as far as the legs asked about need.
type positionStream struct {
	next         func() (journal.QueueEntry, error, bool)
	stop         func()
	waiting      []queueEntry
	orig, atExit map[int64]int // counted, not yet asked for
	done         bool
}

func newPositionStream(entries iter.Seq2[journal.QueueEntry, error]) *positionStream {
	next, stop := iter.Pull2(entries)
	return &positionStream{next: next, stop: stop, orig: map[int64]int{}, atExit: map[int64]int{}}
}

// of gives the positions of queued leg id (its entry is read if it is not yet) and forgets them.
func (p *positionStream) of(id int64) (orig, atExit int, err error) {
	for {
		if o, ok := p.orig[id]; ok {
			a := p.atExit[id]
			delete(p.orig, id)
			delete(p.atExit, id)
			return o, a, nil
		}
		if p.done {
			return 0, 0, nil
		}
		je, err, ok := p.next()
		if !ok {
			p.done = true
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		e := queueEntry{leg: je.LegID, enter: je.QueuedAt, exit: je.AnsweredAt}
		if e.exit.IsZero() {
			e.exit = je.EndedAt
		}
		// As positions, for one entry more.
		gone := func(e queueEntry, t time.Time) bool { return !e.exit.IsZero() && !e.exit.After(t) }
		kept := p.waiting[:0]
		for _, w := range p.waiting {
			if !gone(w, e.enter) {
				kept = append(kept, w)
			}
		}
		p.waiting = kept
		p.orig[e.leg] = len(p.waiting) + 1
		ahead := 0
		for _, w := range p.waiting {
			if e.exit.IsZero() || !gone(w, e.exit) {
				ahead++
			}
		}
		p.atExit[e.leg] = ahead + 1
		p.waiting = append(p.waiting, e)
	}
}

// lineHeap orders queue_log lines as WriteQueueLog's stable sort does: by second, calls' lines
// before members' lines, then in the order they were made.
type lineHeap []heapLine

type heapLine struct {
	sec   int64
	class int // 0 a call's line, 1 a member's
	seq   int
	line  string
	call  string
}

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.class, b.class), cmp.Compare(a.seq, b.seq)) < 0
}
func (h lineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)   { *h = append(*h, x.(heapLine)) }
func (h *lineHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// WriteQueueLog writes what WriteQueueLog writes for the calls of r's range, reading them one at
// a time from the journal.
func (s *Source) WriteQueueLog(ctx context.Context, w io.Writer, r ExportRead, o ExportOptions) (int, error) {
	o = o.withDefaults()
	total, err := s.st.LegCount(ctx, r.From, r.To)
	if err != nil {
		return 0, err
	}
	opByID := map[int64]hotline.Operator{}
	for _, op := range r.Operators {
		opByID[op.ID] = op
	}
	rings := map[int64][]hotline.RingAttempt{}
	for _, x := range r.Rings {
		rings[x.LegID] = append(rings[x.LegID], x)
	}
	for _, rs := range rings {
		slices.SortStableFunc(rs, func(a, b hotline.RingAttempt) int { return a.StoppedAt.Compare(b.StoppedAt) })
	}
	// Members' lines in the window, in the order the stable sort would leave them.
	var members []heapLine
	for i, e := range memberLines(r.Presence, opByID) {
		if inWindow(e.at, o.From, o.To) {
			members = append(members, heapLine{sec: e.at.Unix(), class: 1, seq: i, line: queueLine(o, e.at, e.callID, e.agent, e.event, e.data), call: e.callID})
		}
	}
	slices.SortStableFunc(members, func(a, b heapLine) int { return cmp.Compare(a.sec, b.sec) })

	pos := newPositionStream(s.st.QueueEntries(ctx, r.From, r.To))
	defer pos.stop()
	bw := bufio.NewWriter(w)
	var h lineHeap
	lines, seq, read := 0, 0, 0
	var werr error
	// flush writes the lines before second bound (all of them when final): no call read later
	// can make an earlier one (a call's lines come at or after its arrival).
	flush := func(bound int64, final bool) {
		for len(members) > 0 && (final || members[0].sec < bound) {
			heap.Push(&h, members[0])
			members = members[1:]
		}
		for len(h) > 0 && (final || h[0].sec < bound) && werr == nil {
			e := heap.Pop(&h).(heapLine)
			if _, err := bw.WriteString(e.line + "\n"); err != nil {
				werr = fmt.Errorf("write queue_log: %w", err)
				return
			}
			lines++
		}
	}
	orig, atExit := map[int64]int{}, map[int64]int{}
	var evs []heapLine
	err = s.eachCall(ctx, r.From, r.To, func(legs []Call) error {
		if read/progressEvery != (read+len(legs))/progressEvery {
			o.Progress(min(read+len(legs), total), total)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		read += len(legs)
		arrived := legs[0].ArrivedAt
		clear(orig)
		clear(atExit)
		for _, c := range legs {
			arrived = minTime(arrived, c.ArrivedAt)
			if !c.QueuedAt.IsZero() {
				a, b, err := pos.of(c.ID)
				if err != nil {
					return err
				}
				orig[c.ID], atExit[c.ID] = a, b
			}
		}
		flush(arrived.Unix(), false)
		if werr != nil {
			return werr
		}
		evs = evs[:0]
		whole := true
		add := func(t time.Time, callID, agent, event string, data ...any) {
			evs = append(evs, heapLine{sec: t.Unix(), seq: seq, line: queueLine(o, t, callID, agent, event, data...), call: callID})
			seq++
			whole = whole && inWindow(t, o.From, o.To) // whole calls only
		}
		for j, c := range legs {
			var next *Call
			if j+1 < len(legs) {
				next = &legs[j+1]
			}
			queueLegLines(add, c, next, rings[c.ID], opByID, orig, atExit, o)
		}
		if whole {
			for _, e := range evs {
				heap.Push(&h, e)
			}
		}
		return nil
	})
	if err != nil {
		return lines, err
	}
	flush(0, true)
	if werr != nil {
		return lines, werr
	}
	if err := bw.Flush(); err != nil {
		return lines, fmt.Errorf("write queue_log: %w", err)
	}
	o.Progress(total, total)
	return lines, nil
}

// queueLine is one queue_log line, as WriteQueueLog's add makes it.
func queueLine(o ExportOptions, t time.Time, callID, agent, event string, data ...any) string {
	parts := []string{strconv.FormatInt(t.Unix(), 10), queueField(callID), queueField(o.Queue), queueField(agent), event}
	for _, v := range data {
		parts = append(parts, queueField(fmt.Sprint(v)))
	}
	return strings.Join(parts, "|")
}

// legHeap orders CDR records as WriteCDR's sort does: by arrival, then leg id.
type legHeap []Call

func (h legHeap) Len() int { return len(h) }
func (h legHeap) Less(i, j int) bool {
	return cmp.Or(h[i].ArrivedAt.Compare(h[j].ArrivedAt), cmp.Compare(h[i].ID, h[j].ID)) < 0
}
func (h legHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *legHeap) Push(x any)   { *h = append(*h, x.(Call)) }
func (h *legHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// WriteCDR writes what WriteCDR writes for the calls of r's range, reading them one at a time
// from the journal.
func (s *Source) WriteCDR(ctx context.Context, w io.Writer, r ExportRead, o ExportOptions) (int, error) {
	o = o.withDefaults()
	total, err := s.st.LegCount(ctx, r.From, r.To)
	if err != nil {
		return 0, err
	}
	opByID := map[int64]hotline.Operator{}
	for _, op := range r.Operators {
		opByID[op.ID] = op
	}
	rings := ringsByLeg(r.Rings)
	bw := bufio.NewWriter(w)
	var h legHeap
	n, read := 0, 0
	// flush writes the legs that arrived before bound (all when final): a call read later has
	// every leg at or after its own arrival.
	flush := func(bound time.Time, final bool) error {
		for len(h) > 0 && (final || h[0].ArrivedAt.Before(bound)) {
			c := heap.Pop(&h).(Call)
			for _, rec := range cdrRecords(c, rings[c.ID], opByID, o) {
				if _, err := bw.WriteString(rec); err != nil {
					return fmt.Errorf("write CDR: %w", err)
				}
				n++
			}
		}
		return nil
	}
	err = s.eachCall(ctx, r.From, r.To, func(legs []Call) error {
		if read/progressEvery != (read+len(legs))/progressEvery {
			o.Progress(min(read+len(legs), total), total)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		read += len(legs)
		arrived := legs[0].ArrivedAt
		whole := true
		for _, c := range legs {
			arrived = minTime(arrived, c.ArrivedAt)
			whole = whole && inWindow(c.ArrivedAt, o.From, o.To) && (c.EndedAt.IsZero() || inWindow(c.EndedAt, o.From, o.To))
		}
		if err := flush(arrived, false); err != nil {
			return err
		}
		if whole {
			for _, c := range legs {
				heap.Push(&h, c)
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if err := flush(time.Time{}, true); err != nil {
		return n, err
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write CDR: %w", err)
	}
	o.Progress(total, total)
	return n, nil
}
