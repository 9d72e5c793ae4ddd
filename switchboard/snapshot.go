package switchboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-dev/hotline"
)

// Reading live state, for consumers other than the loop (the control socket, the workplace):
// a Snapshot is a value the loop builds, and the feed (feed.go) carries each Change after it,
// numbered, so that snapshot + changes in order = the state now. Nothing here shares memory with
// the loop: a consumer holds copies, never the loop's maps.
//
// The changes are found by comparing the live state with the state last published, once per
// loop step (publish, called at the end of dispatch), not emitted by each handler: the call flow
// stays free of feed code, and no handler can forget to tell. The price is that a change is what
// differs after a whole step: states a call passes through within one message are not reported.

// Snapshot is the live hotline at one moment. It is a value: its slices are its own.
type Snapshot struct {
	// Seq is the number of the last change included: the next change has Seq+1.
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"` // the loop's clock when it was taken; waits count up to it
	Service
	Queue     []QueueEntry   `json:"queue"`     // in queue order: the first is offered first
	Operators []OperatorView `json:"operators"` // by id
	Calls     []CallView     `json:"calls"`     // callers in the switchboard, by arrival
}

// Service is the switchboard as a whole.
type Service struct {
	Connected bool `json:"connected"`          // ARI is up
	Replaced  bool `json:"replaced,omitempty"` // another client took the ARI application over
	Draining  bool `json:"draining,omitempty"` // stopping: new calls go back to the dialplan
}

// QueueEntry is one caller waiting in the queue; their wait is Snapshot.At - JoinedAt.
type QueueEntry struct {
	CallID       string    `json:"call_id"`
	Callback     bool      `json:"callback,omitempty"` // a caller who asked to be called back: no channel, keeps the place
	CallerNumber string    `json:"caller_number,omitempty"`
	Priority     int       `json:"priority"`
	JoinedAt     time.Time `json:"joined_at"`
	OfferedTo    int64     `json:"offered_to,omitempty"` // the operator being rung; 0: waiting
	OwnerID      int64     `json:"owner_id,omitempty"`   // the owner of the caller's open case, offered first
}

// OperatorView is one operator's live state.
type OperatorView struct {
	ID         int64            `json:"id"`
	Name       string           `json:"name"`
	Extension  string           `json:"extension"`
	Presence   hotline.Presence `json:"presence"`
	Since      time.Time        `json:"since"`
	Reason     string           `json:"reason,omitempty"`    // pause reason code
	CallID     string           `json:"call_id,omitempty"`   // the call rung or talked on (or the callback dialled)
	Colleague  int64            `json:"colleague,omitempty"` // the other end of a consultation call, ringing or talking
	CallsToday int              `json:"calls_today"`
	Missed     int              `json:"missed"` // offers missed in a row
}

// Call phases, as consumers see them (the loop's own states are finer and may change).
const (
	PhaseGreeting = "greeting" // answered, the greeting plays
	PhaseQueued   = "queued"   // waiting for an operator
	PhaseOffered  = "offered"  // an operator's handset rings for the caller
	PhaseTalking  = "talking"  // with an operator
	PhaseOverflow = "overflow" // out of the queue: offered a callback, or leaving a message
	PhaseLeaving  = "leaving"  // handed back to the dialplan, or being hung up
)

// CallView is one caller's call in progress. Who talks with whom: OperatorID with Phase talking
// (a transfer's target ringing meanwhile is TransferTo).
type CallView struct {
	ID           string    `json:"id"`
	CallerNumber string    `json:"caller_number,omitempty"`
	Phase        string    `json:"phase"`
	ArrivedAt    time.Time `json:"arrived_at"`
	JoinedAt     time.Time `json:"joined_at,omitzero"` // joined the queue; zero: never queued
	Priority     int       `json:"priority"`
	OpenCases    int       `json:"open_cases,omitempty"`  // the caller's cases in work when they called
	OperatorID   int64     `json:"operator_id,omitempty"` // rung (offered) or talking (talking)
	TransferTo   int64     `json:"transfer_to,omitempty"` // an operator rung to take the call over
	Topic        string    `json:"topic,omitempty"`       // from the dialled line
	Line         string    `json:"line,omitempty"`        // the hotline number dialled; "" if unknown (a call-back)
	Language     string    `json:"language,omitempty"`
	// Listened: an administrator (ListenerID) listens to the call in that mode (supervise.go).
	Listened   ListenMode `json:"listened,omitempty"`
	ListenerID int64      `json:"listener_id,omitempty"`
}

// ChangeKind says what a Change is.
type ChangeKind string

// The changes. Call changes carry the call as it is after the change (as it was last, for
// CallEnded); operator changes the operator; QueueChanged the whole queue; ServiceChanged the
// service.
const (
	CallArrived      ChangeKind = "call.arrived"
	CallQueued       ChangeKind = "call.queued" // also back in the queue after a missed offer
	CallOffered      ChangeKind = "call.offered"
	CallAnswered     ChangeKind = "call.answered"
	CallOverflow     ChangeKind = "call.overflow"
	CallLeaving      ChangeKind = "call.leaving"
	CallUpdated      ChangeKind = "call.updated" // same phase, something else (a transfer's target, the operator)
	CallEnded        ChangeKind = "call.ended"
	OperatorPresence ChangeKind = "operator.presence"
	OperatorUpdated  ChangeKind = "operator.updated" // same presence, something else (calls today, missed)
	OperatorAdded    ChangeKind = "operator.added"
	OperatorRemoved  ChangeKind = "operator.removed"
	QueueChanged     ChangeKind = "queue"
	ServiceChanged   ChangeKind = "service"
)

// Change is one change to the live state, numbered: changes have contiguous Seq, so a consumer
// that sees a number skipped has missed some and must take a new snapshot.
type Change struct {
	Seq      uint64        `json:"seq"`
	At       time.Time     `json:"at"`
	Kind     ChangeKind    `json:"kind"`
	Call     *CallView     `json:"call,omitempty"`
	Operator *OperatorView `json:"operator,omitempty"`
	Queue    []QueueEntry  `json:"queue,omitempty"` // QueueChanged: the queue now (absent: empty)
	Service  *Service      `json:"service,omitempty"`
	// More: changes of the same loop step follow. Between steps the state is one the switchboard
	// was in; within one it may be half way (a call answered, its operator not yet talking), so a
	// consumer that shows the state waits for the change with More false.
	More bool `json:"more,omitempty"`
}

// ErrGap is returned by Snapshot.Apply for a change that does not follow the snapshot.
var ErrGap = errors.New("switchboard: change does not follow the snapshot (changes missed: take a new snapshot)")

// Apply returns the snapshot after c, which must be the change right after it (c.Seq = s.Seq+1).
// s is left as it was.
func (s Snapshot) Apply(c Change) (Snapshot, error) {
	if c.Seq != s.Seq+1 {
		return s, fmt.Errorf("%w: snapshot at %d, change %d", ErrGap, s.Seq, c.Seq)
	}
	n := s
	n.Seq, n.At = c.Seq, c.At
	switch {
	case c.Kind == QueueChanged:
		n.Queue = slices.Clone(c.Queue)
	case c.Kind == ServiceChanged && c.Service != nil:
		n.Service = *c.Service
	case c.Kind == CallEnded && c.Call != nil:
		n.Calls = slices.DeleteFunc(slices.Clone(s.Calls), func(v CallView) bool { return v.ID == c.Call.ID })
	case c.Call != nil:
		n.Calls = upsert(s.Calls, *c.Call, func(v CallView) bool { return v.ID == c.Call.ID }, byArrival)
	case c.Kind == OperatorRemoved && c.Operator != nil:
		n.Operators = slices.DeleteFunc(slices.Clone(s.Operators), func(v OperatorView) bool { return v.ID == c.Operator.ID })
	case c.Operator != nil:
		n.Operators = upsert(s.Operators, *c.Operator, func(v OperatorView) bool { return v.ID == c.Operator.ID }, byID)
	default:
		return s, fmt.Errorf("switchboard: change %d (%s) carries nothing to apply", c.Seq, c.Kind)
	}
	return n, nil
}

// upsert returns a copy of vs with v in place of the element same picks, or added in order.
func upsert[T any](vs []T, v T, same func(T) bool, order func(a, b T) int) []T {
	out := slices.Clone(vs)
	if i := slices.IndexFunc(out, same); i >= 0 {
		out[i] = v
		return out
	}
	out = append(out, v)
	slices.SortStableFunc(out, order)
	return out
}

func byArrival(a, b CallView) int {
	return cmp.Or(a.ArrivedAt.Compare(b.ArrivedAt), cmp.Compare(a.ID, b.ID))
}

func byID(a, b OperatorView) int { return cmp.Compare(a.ID, b.ID) }

// Snapshot returns the live state, taken on the loop. To follow it, Subscribe instead: its
// snapshot and its feed fit together.
func (s *Switchboard) Snapshot(ctx context.Context) (Snapshot, error) {
	var snap Snapshot
	err := s.ask(ctx, func(s *Switchboard) error {
		s.diff()
		snap = s.live.snapshot()
		return nil
	})
	return snap, err
}

// published is the state last published, and its number. Owned by the loop.
type published struct {
	seq     uint64
	at      time.Time
	service Service
	queue   []QueueEntry
	ops     map[int64]OperatorView
	calls   map[string]CallView
	feeds   []*Feed
	buffer  int // each feed's; 0: FeedBuffer (tests make it small)

	// scratch for diff
	step    []Change // the changes of this step, numbered, not sent yet
	callIDs []string
	opIDs   []int64
	q       []QueueEntry
}

func (p *published) snapshot() Snapshot {
	snap := Snapshot{Seq: p.seq, At: p.at, Service: p.service, Queue: slices.Clone(p.queue),
		Operators: make([]OperatorView, 0, len(p.ops)), Calls: make([]CallView, 0, len(p.calls))}
	for _, o := range p.ops {
		snap.Operators = append(snap.Operators, o)
	}
	for _, c := range p.calls {
		snap.Calls = append(snap.Calls, c)
	}
	slices.SortFunc(snap.Operators, byID)
	slices.SortFunc(snap.Calls, byArrival)
	return snap
}

// diff compares the live state with the state last published and publishes each difference as a
// change, in a fixed order: the service, calls (by id), operators (by id), the queue.
func (s *Switchboard) diff() {
	p := &s.live
	if p.ops == nil {
		p.ops, p.calls = make(map[int64]OperatorView), make(map[string]CallView)
	}
	now := s.clock.Now()
	p.at = now
	if sv := (Service{Connected: s.connected, Replaced: s.replaced, Draining: s.draining}); sv != p.service {
		p.service = sv
		p.emit(Change{At: now, Kind: ServiceChanged, Service: &sv})
	}

	p.callIDs = p.callIDs[:0]
	for id, c := range s.calls {
		if c.state != stateEnded {
			p.callIDs = append(p.callIDs, id)
		}
	}
	for id := range p.calls {
		if c := s.calls[id]; c == nil || c.state == stateEnded {
			p.callIDs = append(p.callIDs, id)
		}
	}
	slices.Sort(p.callIDs)
	for _, id := range p.callIDs {
		old, had := p.calls[id]
		c := s.calls[id]
		if c == nil || c.state == stateEnded {
			delete(p.calls, id)
			p.emit(Change{At: now, Kind: CallEnded, Call: &old})
			continue
		}
		v := s.callView(c)
		if had && v == old {
			continue
		}
		p.calls[id] = v
		kind := CallArrived
		switch {
		case had && v.Phase == old.Phase:
			kind = CallUpdated
		case had:
			kind = phaseChange(v.Phase)
		}
		p.emit(Change{At: now, Kind: kind, Call: &v})
	}

	p.opIDs = p.opIDs[:0]
	for id := range s.operators {
		p.opIDs = append(p.opIDs, id)
	}
	for id := range p.ops {
		if s.operators[id] == nil {
			p.opIDs = append(p.opIDs, id)
		}
	}
	slices.Sort(p.opIDs)
	for _, id := range p.opIDs {
		old, had := p.ops[id]
		op := s.operators[id]
		if op == nil {
			delete(p.ops, id)
			p.emit(Change{At: now, Kind: OperatorRemoved, Operator: &old})
			continue
		}
		v := s.operatorView(op, now)
		if had && v == old {
			continue
		}
		p.ops[id] = v
		kind := OperatorAdded
		switch {
		case had && v.Presence != old.Presence:
			kind = OperatorPresence
		case had:
			kind = OperatorUpdated
		}
		p.emit(Change{At: now, Kind: kind, Operator: &v})
	}

	p.q = p.q[:0]
	for _, w := range s.queue.Snapshot(nil) {
		e := QueueEntry{CallID: w.ID, CallerNumber: w.Number, Priority: w.Priority, JoinedAt: w.JoinedAt,
			OfferedTo: w.Offered, OwnerID: w.Owner}
		if id, ok := callbackOf(w.ID); ok {
			e.CallID, e.Callback = id, true
		}
		p.q = append(p.q, e)
	}
	if !slices.Equal(p.q, p.queue) {
		p.queue = slices.Clone(p.q)
		p.emit(Change{At: now, Kind: QueueChanged, Queue: slices.Clone(p.q)})
	}
	p.flush()
}

// phaseChange is the change a call's new phase makes.
func phaseChange(phase string) ChangeKind {
	switch phase {
	case PhaseQueued:
		return CallQueued
	case PhaseOffered:
		return CallOffered
	case PhaseTalking:
		return CallAnswered
	case PhaseOverflow:
		return CallOverflow
	case PhaseLeaving:
		return CallLeaving
	}
	return CallUpdated
}

func (s *Switchboard) callView(c *call) CallView {
	v := CallView{ID: c.id, CallerNumber: c.number, ArrivedAt: c.leg.ArrivedAt, JoinedAt: c.joined,
		Priority: c.priority, OpenCases: c.openCases, Topic: c.line.topic, Language: c.line.language, Line: c.line.dialled}
	if c.offer != nil && c.offer.op != nil {
		v.OperatorID = c.offer.op.ID
	}
	switch c.state {
	case stateGreeting:
		v.Phase = PhaseGreeting
	case stateQueued:
		v.Phase = PhaseQueued
		if c.offer != nil {
			v.Phase = PhaseOffered
		}
	case stateBridged:
		v.Phase = PhaseTalking
	case stateOverflow:
		v.Phase = PhaseOverflow
	default:
		v.Phase = PhaseLeaving
	}
	if t := s.transferOf(c); t != nil && t.target != nil {
		v.TransferTo = t.target.ID
	}
	v.Listened, v.ListenerID = s.listenMode(c)
	return v
}

func (s *Switchboard) operatorView(op *operator, now time.Time) OperatorView {
	v := OperatorView{ID: op.ID, Name: op.Name, Extension: op.Extension, Presence: op.presence,
		Since: op.since, CallsToday: op.callsToday(now), Missed: op.missed}
	if op.paused {
		v.Reason = op.reason
	}
	switch {
	case op.offer != nil && op.offer.call != nil:
		v.CallID = op.offer.call.id
	case op.reserved != nil:
		v.CallID = op.reserved.channel
	}
	if k := op.consulted; k != nil && k.from != nil {
		v.Colleague = k.from.ID // a colleague's consultation call rings or talks to them
	}
	for ch, k := range s.consults { // few: one per consultation under way
		if ch == k.a2 && k.from == op && k.to != nil && k.to != op {
			v.Colleague = k.to.ID
		}
	}
	return v
}
