package switchboard

import (
	"context"
	"time"

	"github.com/hotline-dev/hotline"
)

// Draining, for a stop or an upgrade (SIGTERM). Asterisk keeps every channel in the application
// while hotline is away: a bridged call stays up and recorded, a waiting caller keeps the music,
// and the next start adopts both (reconcile.go). Draining adds the polite way out: from the moment
// it starts, a new caller is not taken but sent back to the dialplan at once (the step after
// Stasis(): the fallback the telephony engineer configured), while the callers already waiting are
// still offered to operators and the calls in progress go on, until none is left or the drain's
// time is up. Then the callers still waiting either stay for the next start (the default: they
// keep their place) or, handed over, go to the dialplan's fallback too.

// handOverWait bounds how long Drain waits for handed-over callers to leave the application.
const handOverWait = 5 * time.Second

// Drain stops taking new calls and returns once no call is left in the switchboard, or when ctx
// ends. Then, if handOver, the callers still waiting (greeting or queued) are sent to the
// dialplan's fallback (their leg ends "overflow" when their channel has left), and Drain waits up
// to handOverWait for them to go. Calls in progress are never cut: they stay up in Asterisk for
// the next start to adopt; callers leaving a message finish it.
func (s *Switchboard) Drain(ctx context.Context, handOver bool) error {
	// The switch to draining happens whatever ctx says: with no drain time it is already over.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handOverWait)
	defer cancel()
	idle := make(chan struct{})
	err := s.ask(actx, func(s *Switchboard) error {
		if !s.draining {
			s.draining = true
			s.log.Info("draining: new calls go back to the dialplan", "calls", len(s.calls), "waiting", s.queue.Len())
		}
		s.drained = append(s.drained, drainWaiter{ch: idle})
		s.checkDrained()
		return nil
	})
	if err != nil {
		return err
	}
	select {
	case <-idle:
		s.log.Info("drained: no call left")
		return nil
	case <-s.done:
		return ErrStopped
	case <-ctx.Done():
	}
	if !handOver {
		return ctx.Err()
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handOverWait)
	defer cancel()
	gone := make(chan struct{})
	if err := s.ask(hctx, func(s *Switchboard) error {
		s.handOverWaiting()
		s.drained = append(s.drained, drainWaiter{ch: gone, waiting: true})
		s.checkDrained()
		return nil
	}); err != nil {
		return err
	}
	select {
	case <-gone:
		return ctx.Err()
	case <-s.done:
		return ErrStopped
	case <-hctx.Done():
		s.log.Warn("callers handed to the dialplan have not all left the application", "after", handOverWait)
		return ctx.Err()
	}
}

// drainWaiter is a Drain waiting for the switchboard to empty: of every call, or (waiting) of the
// callers waiting or handed over.
type drainWaiter struct {
	ch      chan struct{}
	waiting bool
}

// checkDrained wakes the Drain calls whose condition holds; dispatch calls it after every message
// while draining.
func (s *Switchboard) checkDrained() {
	if len(s.drained) == 0 {
		return
	}
	waiting := 0
	for _, c := range s.calls {
		if (c.state == stateGreeting || c.state == stateQueued || c.state == stateHandedOver) && !c.calledBack {
			waiting++
		}
	}
	// A callback still ringing is a call too: stopping now would leave the caller to answer
	// into nothing.
	idle := len(s.calls) == 0 && len(s.dialing) == 0
	keep := s.drained[:0]
	for _, d := range s.drained {
		if idle || (d.waiting && waiting == 0) {
			close(d.ch)
			continue
		}
		keep = append(keep, d)
	}
	s.drained = keep
}

// turnAway sends a caller who arrives while draining back to the dialplan, unanswered.
func (s *Switchboard) turnAway(m StasisStart) {
	s.log.Info("draining: new call sent back to the dialplan", "channel", m.Channel, "from", m.CallerNumber)
	s.do(m.Channel, Continue{Channel: m.Channel})
}

// handOverWaiting sends every caller still greeted or queued to the dialplan's fallback. Their
// leg ends when their channel has left the application (callerGone).
func (s *Switchboard) handOverWaiting() {
	for _, c := range s.calls {
		if (c.state != stateGreeting && c.state != stateQueued) || c.calledBack {
			// A caller hotline dialled has no dialplan to go back to: they stay for the next
			// start, which queues them again from their open leg.
			continue
		}
		s.callLog(c).Info("draining: waiting caller handed to the dialplan", "state", c.state)
		c.announce.stop()
		c.maxWait.stop()
		s.queue.Remove(c.id)
		if o := c.offer; o != nil && !o.answered {
			s.cancelOffer(o, hotline.RingWithdrawn, "caller handed to the dialplan")
		}
		s.stopPlayback(c)
		s.stopMOH(c)
		s.move(c, evHandedOver)
		s.do(c.id, Continue{Channel: c.id})
	}
}
