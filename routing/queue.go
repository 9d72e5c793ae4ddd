package routing

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// The queue's priority tiers (Caller.Priority): a higher tier is served first, arrival order
// within a tier. The values are the ones the call flow has always used: 1 is unused.
const (
	PriorityOrdinary = 0 // every caller, a returning one too: an open case is no priority
	PriorityListed   = 2 // a number on the administrator's priority list (calls.priority_numbers)
	// PriorityHeadOfQueue is for a caller the hotline owes a conversation: their operator went
	// (reconciled after a restart, or a transfer failed) or hotline called them back.
	PriorityHeadOfQueue = 3
)

// Caller is one call waiting in the queue, as the call flow enqueues it.
type Caller struct {
	ID       string    // the call's id (Asterisk channel id); unique in the queue
	Number   string    // the caller's number, for status
	Priority int       // a tier (PriorityOrdinary...): higher joins ahead of lower; equal keeps arrival order
	JoinedAt time.Time // when the caller joined the queue: waits and fallbacks count from it
	Topic    string    // topic code an operator must handle; "": any
	Language string    // language an operator must speak; "": any
	Owner    int64     // the operator who owns the caller's open case (Rules.PreferOwner); 0: none
}

// Errors returned (wrapped) by the queue.
var (
	ErrDuplicate = errors.New("call already queued")
	ErrNotQueued = errors.New("call not queued")
	ErrOffered   = errors.New("call already being offered")
	ErrNoOffer   = errors.New("call not being offered")
)

type entry struct {
	Caller
	seq     uint64  // arrival order, for stable ordering within a priority
	joined  int64   // JoinedAt as unixNano, so Select compares integers
	need    int32   // index of {Topic, Language} in Queue.needs; 0: none
	offered int64   // the operator whose handset rings for this caller; 0: waiting
	exclude []int64 // operators who missed this caller: skipped on its next attempt
}

// before reports whether e is ahead of f in the queue.
func (e *entry) before(f *entry) bool {
	if e.Priority != f.Priority {
		return e.Priority > f.Priority
	}
	return e.seq < f.seq
}

// Queue is the hotline's waiting callers in the order they are served: by priority, highest
// first, then by arrival. The zero value is an empty queue ready to use. A Queue is not safe for
// concurrent use: the call flow's single owner of live state holds it.
//
// Enqueue, Remove and Position cost O(log n) to find a caller plus an O(n) copy of pointers
// to keep the order (8 KB at 1,000 callers).
type Queue struct {
	items []*entry // in service order
	byID  map[string]*entry
	seq   uint64
	// needs interns every distinct {Topic, Language} ever queued (a handful: topics × languages),
	// so that Select remembers an unmet need by index instead of comparing strings per caller.
	needs   []skillKey // needs[0] is "none"
	needIdx map[skillKey]int32
}

// Len returns the number of callers in the queue, including those being offered.
func (q *Queue) Len() int { return len(q.items) }

// index returns e's index in q.items by binary search on its order key.
func (q *Queue) index(e *entry) int {
	i := sort.Search(len(q.items), func(i int) bool { return !q.items[i].before(e) })
	if i < len(q.items) && q.items[i] == e {
		return i
	}
	panic("routing: queue index out of sync") // an invariant, not an input error
}

// Enqueue adds c behind every caller of its priority or higher and returns its position (1-based).
func (q *Queue) Enqueue(c Caller) (int, error) {
	if c.ID == "" {
		return 0, fmt.Errorf("enqueue: empty call id: %w", ErrNotQueued)
	}
	if _, ok := q.byID[c.ID]; ok {
		return 0, fmt.Errorf("enqueue %s: %w", c.ID, ErrDuplicate)
	}
	if q.byID == nil {
		q.byID = make(map[string]*entry)
	}
	q.seq++
	e := &entry{Caller: c, seq: q.seq, joined: unixNano(c.JoinedAt)}
	if c.Topic != "" || c.Language != "" {
		e.need = q.intern(skillKey{c.Topic, c.Language})
	}
	// The first caller this one goes before: everyone of lower priority.
	i := sort.Search(len(q.items), func(i int) bool { return e.before(q.items[i]) })
	q.items = append(q.items, nil)
	copy(q.items[i+1:], q.items[i:])
	q.items[i] = e
	q.byID[c.ID] = e
	return i + 1, nil
}

func (q *Queue) intern(k skillKey) int32 {
	if i, ok := q.needIdx[k]; ok {
		return i
	}
	if q.needIdx == nil {
		q.needIdx = make(map[skillKey]int32)
		q.needs = append(q.needs, skillKey{})
	}
	i := int32(len(q.needs))
	q.needs = append(q.needs, k)
	q.needIdx[k] = i
	return i
}

// unixNano is t.UnixNano with the zero time as the earliest instant, so that "since ever"
// compares as the longest wait or idle instead of overflowing.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

// Remove takes the call out of the queue (answered, abandoned, overflowed) and returns it.
func (q *Queue) Remove(id string) (Caller, bool) {
	e, ok := q.byID[id]
	if !ok {
		return Caller{}, false
	}
	i := q.index(e)
	copy(q.items[i:], q.items[i+1:])
	q.items[len(q.items)-1] = nil
	q.items = q.items[:len(q.items)-1]
	delete(q.byID, id)
	return e.Caller, true
}

// Head returns the caller at the front of the queue (whether or not being offered).
func (q *Queue) Head() (Caller, bool) {
	if len(q.items) == 0 {
		return Caller{}, false
	}
	return q.items[0].Caller, true
}

// Get returns the queued caller with the id.
func (q *Queue) Get(id string) (Caller, bool) {
	e, ok := q.byID[id]
	if !ok {
		return Caller{}, false
	}
	return e.Caller, true
}

// Position returns the caller's place in the queue, 1 for the head; 0 if not queued.
func (q *Queue) Position(id string) int {
	e, ok := q.byID[id]
	if !ok {
		return 0
	}
	return q.index(e) + 1
}

// Offer records that the operator's handset rings for the caller, so that Select does not
// pick the caller again meanwhile. It ends the exclusions of the caller's previous attempt.
func (q *Queue) Offer(id string, operator int64) error {
	e, ok := q.byID[id]
	if !ok {
		return fmt.Errorf("offer %s: %w", id, ErrNotQueued)
	}
	if e.offered != 0 {
		return fmt.Errorf("offer %s to %d: ringing %d: %w", id, operator, e.offered, ErrOffered)
	}
	if operator == 0 {
		return fmt.Errorf("offer %s: operator id 0 is no operator", id)
	}
	e.offered = operator
	e.exclude = e.exclude[:0]
	return nil
}

// NoAnswer records that the offer ended without an answer (ring timeout, rejected, failed): the
// caller waits again, in the same place, and the operator is skipped on the caller's next attempt.
// It returns the operator who was offered. The operator's missed count is Rules.OfferMissed's.
func (q *Queue) NoAnswer(id string) (int64, error) {
	e, ok := q.byID[id]
	if !ok {
		return 0, fmt.Errorf("no answer %s: %w", id, ErrNotQueued)
	}
	if e.offered == 0 {
		return 0, fmt.Errorf("no answer %s: %w", id, ErrNoOffer)
	}
	op := e.offered
	e.offered = 0
	e.exclude = append(e.exclude, op)
	return op, nil
}

// Waiting is one line of a queue snapshot for status.
type Waiting struct {
	Caller
	Position int   // 1-based
	Offered  int64 // the operator being rung; 0: waiting
}

// Snapshot appends the queue in service order to dst and returns it.
func (q *Queue) Snapshot(dst []Waiting) []Waiting {
	for i, e := range q.items {
		dst = append(dst, Waiting{Caller: e.Caller, Position: i + 1, Offered: e.offered})
	}
	return dst
}

// Overdue appends to dst the ids of waiting callers (not being offered) who have waited
// r.MaxWait or longer at now, in queue order, for the call flow to overflow.
func (q *Queue) Overdue(r Rules, now time.Time, dst []string) []string {
	if r.MaxWait <= 0 {
		return dst
	}
	for _, e := range q.items {
		if e.offered == 0 && r.CheckWait(e.JoinedAt, now) == WaitTooLong {
			dst = append(dst, e.ID)
		}
	}
	return dst
}
