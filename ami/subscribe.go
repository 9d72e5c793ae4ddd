package ami

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Event is one item of a subscription: an AMI event, or a change of the connection's state.
type Event struct {
	Name    string   // the AMI event's name ("Newchannel"); empty for a state change
	Message *Message // the AMI event; nil for a state change

	State ConnState // non-zero for a state change: StateConnected, StateDisconnected, ...
	Err   error     // why, for StateDisconnected

	// Dropped counts the events this subscription lost just before this item because its buffer
	// was full. Non-zero means the consumer's picture of Asterisk has a gap here: reconcile as
	// after StateReconnected.
	Dropped uint64
}

// Decode returns the typed form of the event (*Newchannel, *Hangup, ... see events.go) or nil
// when this package has no type for it (the raw Message stays available).
func (e Event) Decode() any {
	if e.Message == nil {
		return nil
	}
	return Decode(e.Message)
}

// Subscription is a stream of events in the order Asterisk sent them.
//
// Back-pressure: the reader goroutine never waits for a subscriber (that would stall every
// action's response and, soon, Asterisk itself). Each subscription holds up to
// Config.EventBuffer events; when it is full, further events are not queued for it, and the
// loss is counted (Dropped, Client.Stats), logged once per gap, and reported in-band on the next
// item (Event.Dropped). State changes are always queued, never dropped.
type Subscription struct {
	names []string // empty: all events
	ch    chan Event
	max   int
	c     *Client

	mu      sync.Mutex
	queue   []Event
	head    int
	lost    uint64 // since the last queued item
	final   bool   // no more items after the queue drains
	stopped bool
	wake    chan struct{}
	stop    chan struct{}
	dropped atomic.Uint64
}

// Subscribe returns a subscription to the events named (case-insensitive), or to all events
// when none is named. Its first item is the current connection state. Close it when done.
func (c *Client) Subscribe(names ...string) *Subscription {
	return c.SubscribeBuffer(c.cfg.EventBuffer, names...)
}

// SubscribeBuffer is Subscribe with its own buffer size instead of Config.EventBuffer.
func (c *Client) SubscribeBuffer(size int, names ...string) *Subscription {
	s := &Subscription{
		names: append([]string(nil), names...),
		ch:    make(chan Event),
		max:   max(size, 1),
		c:     c,
		wake:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
	}
	go s.pump()
	c.mu.Lock()
	defer c.mu.Unlock()
	s.offer(Event{State: c.state}, true)
	if c.state == StateClosed || c.closed {
		s.finish()
		return s
	}
	subs := append(append([]*Subscription(nil), *c.subs.Load()...), s)
	c.subs.Store(&subs)
	return s
}

// Events returns the stream. It is closed after Close, or after StateClosed.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Dropped returns how many events this subscription has lost to a full buffer.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription; items not yet received are discarded.
func (s *Subscription) Close() {
	s.c.mu.Lock()
	old := *s.c.subs.Load()
	subs := make([]*Subscription, 0, len(old))
	for _, o := range old {
		if o != s {
			subs = append(subs, o)
		}
	}
	s.c.subs.Store(&subs)
	s.c.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
}

func (s *Subscription) wants(name string) bool {
	if len(s.names) == 0 {
		return true
	}
	for _, n := range s.names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// offer queues ev without waiting; force queues even when full (state changes).
func (s *Subscription) offer(ev Event, force bool) {
	s.mu.Lock()
	if s.stopped || s.final {
		s.mu.Unlock()
		return
	}
	if !force && len(s.queue)-s.head >= s.max {
		s.lost++
		s.dropped.Add(1)
		s.c.counts.dropped.Add(1)
		first := s.lost == 1
		s.mu.Unlock()
		if first {
			s.c.log.Warn("AMI subscriber too slow: dropping events until it catches up",
				"events", s.names, "buffer", s.max, "dropped_total", s.dropped.Load())
		}
		return
	}
	ev.Dropped, s.lost = s.lost, 0
	if s.head > 0 && len(s.queue) == cap(s.queue) {
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// finish queues StateClosed and closes the stream once the consumer has read everything.
func (s *Subscription) finish() {
	s.offer(Event{State: StateClosed}, true)
	s.mu.Lock()
	s.final = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump moves queued items to the unbuffered channel, one goroutine per subscription so that a
// slow consumer delays nobody else.
func (s *Subscription) pump() {
	defer close(s.ch)
	for {
		s.mu.Lock()
		if s.head == len(s.queue) {
			s.queue, s.head = s.queue[:0], 0
			final := s.final
			s.mu.Unlock()
			if final {
				return
			}
			select {
			case <-s.wake:
			case <-s.stop:
				return
			}
			continue
		}
		ev := s.queue[s.head]
		s.queue[s.head] = Event{}
		s.head++
		s.mu.Unlock()
		select {
		case s.ch <- ev:
		case <-s.stop:
			return
		}
	}
}

// deliver is the session's event sink: it runs on the reader goroutine.
func (c *Client) deliver(m *Message) {
	c.broadcast(Event{Name: m.Field("Event"), Message: m})
}

func (c *Client) broadcast(ev Event) {
	for _, s := range *c.subs.Load() {
		if ev.State != 0 {
			s.offer(ev, true)
		} else if s.wants(ev.Name) {
			s.offer(ev, false)
		}
	}
}
