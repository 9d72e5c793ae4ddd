package switchboard

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// The harness drives the loop by hand: no goroutines, a clock that moves only when told, a
// Telephony that records requests (and answers them at once unless told to hold or fail), and a
// journal that records writes. Every message a real Run would receive goes through dispatch in
// the order it would arrive, so a test reads as the log of one call.

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

type fakeClock struct {
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
	fired   bool
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	live := !t.stopped && !t.fired
	t.stopped = true
	return live
}

// next returns the earliest timer due by until.
func (c *fakeClock) next(until time.Time) *fakeTimer {
	var best *fakeTimer
	for _, t := range c.timers {
		if t.stopped || t.fired || t.at.After(until) {
			continue
		}
		if best == nil || t.at.Before(best.at) {
			best = t
		}
	}
	return best
}

type topicSet struct {
	call     string
	operator int64
	topic    int
}

type delayed struct {
	call     string
	operator int64
}

type fakeJournal struct {
	operators []hotline.Operator
	cases     map[string]Filed // by caller number: what StartCall returns
	started   []CallStart
	legs      map[string]hotline.Leg // last SaveCallLeg by call id
	outcomes  map[string]hotline.CallOutcome
	messages  []string // calls whose caller left a message
	connected []CallbackConnected
	saves     int
	topics    []topicSet
	delayed   []delayed
	presence  []hotline.PresenceEvent // RecordPresence, in order
	last      []hotline.PresenceEvent // what LastPresence returns
	forwarded []CaseForwarded
	notes     []CaseCallback        // workplace call-backs noted on cases, in order
	rings     []hotline.RingAttempt // unanswered offers, in order
	open      []hotline.Leg         // what OpenLegs returns
	waiting   []hotline.Leg         // what WaitingCallbacks returns
	inWork    map[int64]int         // what OpenCaseCounts returns
	today     map[int64]int         // what AnsweredSince returns
	scripts   map[int][]int64       // what Specialists returns, by topic number

	supervised []Supervised // administrators listening: each step, in order
	cuts       []CallCut    // calls Asterisk cut
}

var _ Journal = (*fakeJournal)(nil)

func (j *fakeJournal) RecordPresence(_ context.Context, e hotline.PresenceEvent) error {
	if err := e.Validate(); err != nil {
		return err
	}
	j.presence = append(j.presence, e)
	return nil
}

func (j *fakeJournal) LastPresence(context.Context) ([]hotline.PresenceEvent, error) {
	return j.last, nil
}

func (j *fakeJournal) Operators(context.Context) ([]hotline.Operator, error) {
	return j.operators, nil
}

// Write applies w as the journal would, by its part.
func (j *fakeJournal) Write(ctx context.Context, w Write) (Filed, error) {
	switch {
	case w.StartCall != nil:
		return j.StartCall(ctx, *w.StartCall)
	case w.SaveLeg != nil:
		if w.Outcome != "" {
			if j.outcomes == nil {
				j.outcomes = map[string]hotline.CallOutcome{}
			}
			j.outcomes[w.SaveLeg.CallID] = w.Outcome
		}
		return Filed{}, j.SaveCallLeg(ctx, *w.SaveLeg)
	case w.Message != nil:
		j.messages = append(j.messages, w.Message.CallID)
		return Filed{}, nil
	case w.Connected != nil:
		j.connected = append(j.connected, *w.Connected)
		return Filed{}, nil
	case w.Topic != nil:
		return Filed{}, j.SetCallTopic(ctx, w.Topic.CallID, w.Topic.OperatorID, w.Topic.Topic)
	case w.Callback != nil:
		return Filed{}, j.AwaitCallback(ctx, w.Callback.CallID, w.Callback.OperatorID)
	case w.Presence != nil:
		return Filed{}, j.RecordPresence(ctx, *w.Presence)
	case w.Forward != nil:
		j.forwarded = append(j.forwarded, *w.Forward)
		return Filed{}, nil
	case w.CaseCallback != nil:
		j.notes = append(j.notes, *w.CaseCallback)
		return Filed{}, nil
	case w.Supervised != nil:
		j.supervised = append(j.supervised, *w.Supervised)
		return Filed{}, nil
	case w.Cut != nil:
		j.cuts = append(j.cuts, *w.Cut)
		return Filed{}, nil
	case w.Ring != nil:
		if err := w.Ring.Validate(); err != nil {
			return Filed{}, err
		}
		j.rings = append(j.rings, *w.Ring)
		return Filed{}, nil
	}
	return Filed{}, fmt.Errorf("empty write")
}

func (j *fakeJournal) OpenLegs(context.Context) ([]hotline.Leg, error) { return j.open, nil }

func (j *fakeJournal) WaitingCallbacks(context.Context) ([]hotline.Leg, error) { return j.waiting, nil }

func (j *fakeJournal) OpenCaseCounts(context.Context) (map[int64]int, error) { return j.inWork, nil }

func (j *fakeJournal) AnsweredSince(context.Context, time.Time) (map[int64]int, error) {
	return j.today, nil
}

// Specialists answers as the journal does for a topic with no scripts: not found.
func (j *fakeJournal) Specialists(_ context.Context, topic int) ([]int64, error) {
	if ids, ok := j.scripts[topic]; ok {
		return ids, nil
	}
	return nil, hotline.Errorf(hotline.ENOTFOUND, "no topic %d", topic)
}

func (j *fakeJournal) StartCall(_ context.Context, st CallStart) (Filed, error) {
	j.started = append(j.started, st)
	return j.cases[st.CallerNumber], nil
}

func (j *fakeJournal) SaveCallLeg(_ context.Context, leg hotline.Leg) error {
	j.legs[leg.CallID] = leg
	j.saves++
	return nil
}

func (j *fakeJournal) SetCallTopic(_ context.Context, callID string, operatorID int64, topic int) error {
	if topic == 99 {
		return hotline.Errorf(hotline.ENOTFOUND, "unknown topic with handset number 99")
	}
	j.topics = append(j.topics, topicSet{callID, operatorID, topic})
	return nil
}

func (j *fakeJournal) AwaitCallback(_ context.Context, callID string, operatorID int64) error {
	j.delayed = append(j.delayed, delayed{callID, operatorID})
	return nil
}

type harness struct {
	t       testing.TB
	s       *Switchboard
	clock   *fakeClock
	j       *fakeJournal
	pending []message
	ops     []Op
	lanes   []string // lanes[i] is the lane ops[i] ran on
	held    []opDone
	hold    func(Op) bool  // requests whose results wait for release
	fail    func(Op) error // requests that fail
}

func op(id int64, ext string) hotline.Operator {
	return hotline.Operator{ID: id, Name: fmt.Sprintf("op%d", id), Extension: ext, Level: hotline.Level1,
		Active: true, Role: hotline.RoleOperator}
}

func testConfig() Config {
	c := DefaultConfig()
	c.AnnounceInterval = 0
	c.Routing.MaxWait = 0
	c.Routing.MaxQueueLen = 0
	c.Routing.WrapUp = 10 * time.Second
	c.RingTimeout = 15 * time.Second
	return c
}

func newHarness(t testing.TB, cfg Config, ops ...hotline.Operator) *harness {
	t.Helper()
	h := &harness{t: t, clock: &fakeClock{now: t0},
		j: &fakeJournal{operators: ops, cases: map[string]Filed{}, legs: map[string]hotline.Leg{}}}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg, nil, h.j, h.clock, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.s = s
	s.refusedMove = func(call string, from callState, ev callEvent) {
		t.Errorf("call %s: the call state machine refused %s in state %s", call, ev, from)
	}
	s.post = func(m message) { h.pending = append(h.pending, m) }
	s.exec = func(lane string, o Op) {
		h.ops = append(h.ops, o)
		h.lanes = append(h.lanes, lane)
		var err error
		if h.fail != nil {
			err = h.fail(o)
		}
		res := opDone{lane: lane, op: o, err: err}
		if h.hold != nil && h.hold(o) {
			h.held = append(h.held, res)
			return
		}
		h.pending = append(h.pending, res)
	}
	s.write = func(j journalJob) {
		if j.Read != nil {
			if err := j.Read(context.Background()); err != nil {
				t.Logf("journal %s: %v", j.What, err) // as the outbox would log it
			}
			return
		}
		cc, err := h.s.jr.Write(context.Background(), *j.Write)
		if err != nil {
			t.Logf("journal %s: %v", j.Write.Kind(), err)
		}
		if j.Then != nil {
			j.Then(cc, err)
		}
	}
	s.reloadOperators()
	h.settle()
	return h
}

func (h *harness) settle() {
	for len(h.pending) > 0 {
		m := h.pending[0]
		h.pending = h.pending[1:]
		h.s.dispatch(m)
	}
}

func (h *harness) send(evs ...Event) {
	for _, ev := range evs {
		h.pending = append(h.pending, ev)
		h.settle()
	}
}

// advance moves the clock, firing due timers in order.
func (h *harness) advance(d time.Duration) {
	until := h.clock.now.Add(d)
	for {
		t := h.clock.next(until)
		if t == nil {
			break
		}
		h.clock.now = t.at
		t.fired = true
		t.f()
		h.settle()
	}
	h.clock.now = until
	h.settle()
}

// release delivers the held results of requests matching f.
func (h *harness) release(f func(Op) bool) {
	var keep []opDone
	for _, r := range h.held {
		if f(r.op) {
			h.pending = append(h.pending, r)
		} else {
			keep = append(keep, r)
		}
	}
	h.held = keep
	h.settle()
}

func (h *harness) mark() int { return len(h.ops) }

// request runs a request on the loop as ask does (a command), then what it set off, and returns
// its answer.
func (h *harness) request(f func(s *Switchboard) error) error {
	h.t.Helper()
	var err error
	h.pending = append(h.pending, command{run: func(s *Switchboard) { err = f(s) }})
	h.settle()
	return err
}

// opsSince returns the requests made since mark, as strings.
func (h *harness) opsSince(mark int) []string {
	var out []string
	for _, o := range h.ops[mark:] {
		out = append(out, o.String())
	}
	return out
}

func (h *harness) login(ext string) {
	h.t.Helper()
	h.s.dispatch(command{run: func(s *Switchboard) {
		op := s.byExt[ext]
		if op == nil {
			h.t.Fatalf("no operator with extension %s", ext)
		}
		s.login(op)
	}})
	h.settle()
}

// lastPlay returns the latest playback on a channel.
func (h *harness) lastPlay(ch string) Play {
	h.t.Helper()
	for i := len(h.ops) - 1; i >= 0; i-- {
		if p, ok := h.ops[i].(Play); ok && p.Channel == ch {
			return p
		}
	}
	h.t.Fatalf("nothing played on %s; requests: %v", ch, h.opsSince(0))
	return Play{}
}

func (h *harness) finishPlay(ch string) {
	h.t.Helper()
	h.send(PlaybackFinished{Playback: h.lastPlay(ch).Playback})
}

// arrive brings a caller in and through the greeting.
func (h *harness) arrive(ch, number string) {
	h.t.Helper()
	h.send(StasisStart{Channel: ch, Name: "PJSIP/trunk-0001", CallerNumber: number, Entry: Inbound{}})
	h.finishPlay(ch)
}

func (h *harness) originates(since int) []Originate {
	var out []Originate
	for _, o := range h.ops[since:] {
		if or, ok := o.(Originate); ok {
			out = append(out, or)
		}
	}
	return out
}

// lastOriginate returns the only originate since mark; fails otherwise.
func (h *harness) oneOriginate(since int) Originate {
	h.t.Helper()
	or := h.originates(since)
	if len(or) != 1 {
		h.t.Fatalf("want one originate, got %d: %v", len(or), h.opsSince(since))
	}
	return or[0]
}

func (h *harness) answer(o Originate) {
	h.send(StasisStart{Channel: o.Channel, Name: o.Endpoint + "-00000001", Entry: o.Entry})
}

// hangup is a phone's BYE as Asterisk tells it: the hangup request (not soft), then the ends.
func (h *harness) hangup(ch string) {
	h.send(ChannelHangupRequest{Channel: ch, Cause: 16}, StasisEnd{Channel: ch}, ChannelDestroyed{Channel: ch, Cause: 16})
}

func (h *harness) status() Status { return h.s.status() }

func (h *harness) presence(id int64) hotline.Presence {
	h.t.Helper()
	for _, o := range h.status().Operators {
		if o.ID == id {
			return o.Presence
		}
	}
	h.t.Fatalf("operator %d not in status", id)
	return ""
}

func (h *harness) wantPresence(id int64, want hotline.Presence) {
	h.t.Helper()
	if got := h.presence(id); got != want {
		h.t.Errorf("operator %d presence = %s, want %s", id, got, want)
	}
}

func (h *harness) leg(call string) hotline.Leg {
	h.t.Helper()
	l, ok := h.j.legs[call]
	if !ok {
		h.t.Fatalf("no leg saved for %s", call)
	}
	return l
}

// wantOps checks that the requests since mark include want in this order (others may be between).
func (h *harness) wantOps(since int, want ...string) {
	h.t.Helper()
	got := h.opsSince(since)
	i := 0
	for _, g := range got {
		if i < len(want) && strings.HasPrefix(g, want[i]) {
			i++
		}
	}
	if i < len(want) {
		h.t.Errorf("requests since mark:\n  %s\nwant in order (prefixes):\n  %s\nmissing from %q", strings.Join(got, "\n  "), strings.Join(want, "\n  "), want[i])
	}
}

func (h *harness) noOps(since int, prefix string) {
	h.t.Helper()
	if i := slices.IndexFunc(h.opsSince(since), func(s string) bool { return strings.HasPrefix(s, prefix) }); i >= 0 {
		h.t.Errorf("unexpected request %q; all: %v", h.opsSince(since)[i], h.opsSince(since))
	}
}

// entryKind names an Originate's entry as the dialplan would: "offer", "callback"...
func entryKind(e Entry) string {
	switch e.(type) {
	case Offer:
		return "offer"
	case TransferTarget:
		return "transfer"
	case Consulted:
		return "consulted"
	case Callback:
		return "callback"
	}
	return fmt.Sprintf("%T", e)
}

// entryCall is the call (or consultation) an Originate's entry is for.
func entryCall(e Entry) string {
	switch e := e.(type) {
	case Offer:
		return e.Call
	case TransferTarget:
		return e.Call
	case Consulted:
		return e.A2
	case Callback:
		return e.Call
	}
	return ""
}
