package switchboard

import "time"

// Dispatch tracing: how much of "operator free → handset ringing" is hotline's. An operator freed
// by an Asterisk event (their handset's channel leaving the application, with no wrap-up) and
// offered the next waiting caller in the same message is one dispatch; its moments are taken on
// the real clock (a test's Clock need not move), carried with the Originate to the request worker,
// and reported there as a Dispatch (Metrics). The load benchmark prints them beside the dispatch
// latency it measures at the phones (docs/benchmark.md, "Dispatch, decomposed").

// Dispatch is one dispatch's parts as hotline saw them.
type Dispatch struct {
	// Delivery: the freeing event's timestamp in Asterisk → handed to the switchboard (Asterisk's
	// websocket, hotline's reader and decoding). Negative when unknown (not an ARI event, or no
	// timestamp); Asterisk stamps to the millisecond.
	Delivery time.Duration
	Inbox    time.Duration // handed to the switchboard → the loop took it
	Loop     time.Duration // the loop took it → the originate request began (handling, lane, worker)
	Request  time.Duration // the originate request began → Asterisk answered it (the channel exists)
}

// Hotline is the part hotline controls: the event handed to it → the originate request sent.
func (d Dispatch) Hotline() time.Duration { return d.Inbox + d.Loop }

// handed is an event with the moment it was handed to the switchboard (Deliver).
type handed struct {
	ev Event
	at time.Time
}

// stepTrace is the moments of the message the loop is handling, for the dispatch it may start.
type stepTrace struct {
	n        uint64    // the loop's message count: an operator freed in this message has freedIn == n
	asterisk time.Time // the event's timestamp in Asterisk; zero: unknown
	handed   time.Time // handed to the switchboard; for other messages, taken from the inbox
	taken    time.Time // taken from the inbox
}

// begin notes the message the loop takes now and returns the message itself.
func (s *Switchboard) begin(m message) message {
	now := time.Now()
	s.step = stepTrace{n: s.step.n + 1, handed: now, taken: now}
	if h, ok := m.(handed); ok {
		m = h.ev
		s.step.handed = h.at
		s.step.asterisk = eventTime(h.ev)
	}
	return m
}

// eventTime is an event's timestamp in Asterisk, for the events that free an operator.
func eventTime(ev Event) time.Time {
	switch ev := ev.(type) {
	case StasisEnd:
		return ev.At
	case ChannelDestroyed:
		return ev.At
	case ChannelHangupRequest:
		return ev.At
	}
	return time.Time{}
}

// traceOffer notes an offer to an operator freed by this very message: a dispatch to report when
// its originate request is answered.
func (s *Switchboard) traceOffer(op *operator, channel string) {
	if s.step.n == 0 || op.freedIn != s.step.n {
		return
	}
	if s.traced == nil {
		s.traced = make(map[string]stepTrace)
	}
	s.traced[channel] = s.step
}

// dispatchOf takes the trace of an originate about to be sent, if it is a dispatch's.
func (s *Switchboard) dispatchOf(op Op) *stepTrace {
	o, ok := op.(Originate)
	if !ok {
		return nil
	}
	t, ok := s.traced[o.Channel]
	if !ok {
		return nil
	}
	delete(s.traced, o.Channel)
	return &t
}

// noteHungUp notes when (Asterisk's timestamp) a talking operator's handset asked to hang up, so
// its end can tell how long the teardown took that dispatch no longer waits for.
func (s *Switchboard) noteHungUp(ch string, at time.Time) {
	if at.IsZero() {
		return
	}
	if s.hungUp == nil {
		s.hungUp = make(map[string]time.Time)
	}
	s.hungUp[ch] = at
}

// tornDown: a channel left the application (or was destroyed); if it was a handset freed at its
// hang-up request, report the teardown by the end's timestamp.
func (s *Switchboard) tornDown(ch string) {
	at, ok := s.hungUp[ch]
	if !ok {
		return
	}
	delete(s.hungUp, ch)
	if end := s.step.asterisk; !end.IsZero() {
		s.metrics.Teardown(max(end.Sub(at), 0))
	}
}

// dispatched reports a traced dispatch whose originate request began at sent and returned at done.
func (s *Switchboard) dispatched(t *stepTrace, sent, done time.Time) {
	d := Dispatch{Delivery: -1, Inbox: t.taken.Sub(t.handed), Loop: sent.Sub(t.taken), Request: done.Sub(sent)}
	if !t.asterisk.IsZero() {
		d.Delivery = max(t.handed.Sub(t.asterisk), 0)
	}
	s.metrics.Dispatch(d)
}

// sendHeld sends the requests a message queued (lanes.go), when its handling ends: the offers'
// originates first (a dispatch's among them), then the rest in the order they were asked. The
// operator's hang-up that frees them also ends their call, and its first request (the caller's
// hang-up) went to Asterisk just before the originate; sent first, the originate was answered
// sooner in 57 % of 537 neighbouring dispatches, median 13.5 against 18.7 ms, with Asterisk short
// of CPU; on a quiet machine the order made no difference (docs/benchmark.md, "Session 11,
// dispatch's tail"). Requests of one lane are one at a time anyway, so only different lanes'
// order changes.
func (s *Switchboard) sendHeld() {
	if s.holding--; s.holding > 0 || len(s.held) == 0 {
		return
	}
	held := s.held
	s.held = held[:0] // exec never queues more: the slice is reused
	defer clear(held)
	for i, r := range held {
		if o, ok := r.op.(Originate); ok {
			if _, offer := o.Entry.(Offer); offer {
				s.exec(r.lane, r.op)
				held[i].op = nil
			}
		}
	}
	for _, r := range held {
		if r.op != nil {
			s.exec(r.lane, r.op)
		}
	}
}
