package switchboard

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// callbackHarness: operator 1 free, c2 asked to be called back (queue full behind c1, who hangs up).
func callbackHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	cfg.Routing.MaxQueueLen = 1
	cfg.CallbackDial = "PJSIP/callers/sip:{number}@127.0.0.1:5999"
	cfg.CallbackAttempts = 2
	cfg.CallbackRetry = 10 * time.Minute
	h := newHarness(t, cfg, op(1, "1001"))
	h.arrive("c1", "201")
	h.arrive("c2", "79002223344")
	h.send(DTMF{Channel: "c2", Digit: "1"})
	h.finishPlay("c2")
	h.hangup("c2")
	h.hangup("c1") // abandoned: the callback is alone in the queue
	return h
}

// With calls.callback_dial, the callback's turn reserves the free operator and dials the caller;
// when they answer they are offered to that operator at once, and the call is a new leg filed
// (StartCall) under the caller's number.
func TestCallbackDialled(t *testing.T) {
	h := callbackHarness(t, testConfig())
	m := h.mark()
	h.login("1001")
	dial := h.oneOriginate(m)
	if dial.Endpoint != "PJSIP/callers/sip:79002223344@127.0.0.1:5999" || entryKind(dial.Entry) != "callback" || entryCall(dial.Entry) != "c2" {
		t.Fatalf("dialled %+v", dial)
	}
	h.wantPresence(1, hotline.PresenceRinging) // reserved while the caller's phone rings
	if want := []delayed{{"c2", 0}, {"c2", 1}}; len(h.j.delayed) != 2 || h.j.delayed[1] != want[1] {
		t.Errorf("delayed = %v, want the case given to operator 1", h.j.delayed)
	}
	m = h.mark()
	started := len(h.j.started)
	h.answer(dial) // the caller picks up
	if len(h.j.started) != started+1 || h.j.started[started].CallID != dial.Channel || h.j.started[started].CallerNumber != "79002223344" {
		t.Errorf("call back not filed: %+v", h.j.started[started:])
	}
	offer := h.oneOriginate(m)
	if offer.Endpoint != "PJSIP/1001" || entryCall(offer.Entry) != dial.Channel {
		t.Fatalf("offered %+v, want operator 1 for the called-back channel", offer)
	}
	if p := h.lastPlay(dial.Channel); p.Media[0] != "sound:pls-hold-while-try" {
		t.Errorf("caller heard %v, want to hold", p.Media)
	}
	h.answer(offer)
	h.wantPresence(1, hotline.PresenceTalking)
	h.hangup(dial.Channel)
	if l := h.leg(dial.Channel); l.End != hotline.LegCompleted || l.OperatorID != 1 {
		t.Errorf("leg of the call back = %+v, want completed by operator 1", l)
	}
}

// Not answered: the operator is released at once, the callback queues again after the retry
// interval at its old place, and after the last attempt it is left to the operator.
func TestCallbackNotAnswered(t *testing.T) {
	h := callbackHarness(t, testConfig())
	m := h.mark()
	h.login("1001")
	dial := h.oneOriginate(m)
	h.send(ChannelDestroyed{Channel: dial.Channel, Cause: 19}) // no answer
	h.wantPresence(1, hotline.PresenceAvailable)
	if q := h.status().Queue; len(q) != 0 {
		t.Errorf("queue %+v right after the failed attempt, want empty until the retry", q)
	}
	m = h.mark()
	h.advance(10 * time.Minute)
	again := h.oneOriginate(m)
	if !strings.HasPrefix(again.Channel, "c2-cb") || again.Channel == dial.Channel {
		t.Fatalf("second attempt %+v", again)
	}
	h.send(ChannelDestroyed{Channel: again.Channel, Cause: 17}) // busy
	m = h.mark()
	h.advance(time.Hour)
	if or := h.originates(m); len(or) != 0 {
		t.Errorf("dialled again after the last attempt: %+v", or)
	}
	h.wantPresence(1, hotline.PresenceAvailable)
}

// The call dialled for a callback is lost while Asterisk is away: after the reconnection its
// operator is free again (not ringing forever), and the callback is retried later.
func TestCallbackLostWithAsterisk(t *testing.T) {
	h := callbackHarness(t, testConfig())
	m := h.mark()
	h.login("1001")
	dial := h.oneOriginate(m)
	h.wantPresence(1, hotline.PresenceRinging)
	h.send(Disconnected{}, Connected{}, Inventory{})
	h.wantPresence(1, hotline.PresenceAvailable)
	m = h.mark()
	h.advance(10 * time.Minute)
	if again := h.oneOriginate(m); again.Channel == dial.Channel || entryKind(again.Entry) != "callback" {
		t.Errorf("retry after the loss: %+v", again)
	}
}

// A callback dialled by an earlier run (the daemon restarted while the phone rang) is answered:
// the caller is taken into the queue at its head, under their number, not hung up.
func TestCallbackAnsweredAfterRestart(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	m := h.mark()
	started := len(h.j.started)
	h.send(StasisStart{Channel: "c7-cb3", Entry: Callback{Call: "c7", Number: "79007770007"}})
	h.noOps(m, "hangup c7-cb3")
	if len(h.j.started) != started+1 || h.j.started[started].CallerNumber != "79007770007" {
		t.Errorf("filed %+v, want the called-back caller under their number", h.j.started[started:])
	}
	if q := h.status().Queue; len(q) != 1 || q[0].CallID != "c7-cb3" {
		t.Errorf("queue %+v, want the called-back caller", q)
	}
	m = h.mark()
	h.login("1001")
	if or := h.oneOriginate(m); entryCall(or.Entry) != "c7-cb3" {
		t.Errorf("offered %+v, want the called-back caller", or)
	}
}

// A drain does not end while a callback rings: the caller would answer into nothing.
func TestDrainWaitsForCallbackRinging(t *testing.T) {
	h := callbackHarness(t, testConfig())
	m := h.mark()
	h.login("1001")
	dial := h.oneOriginate(m)
	idle := make(chan struct{})
	h.s.dispatch(command{run: func(s *Switchboard) {
		s.draining = true
		s.drained = append(s.drained, drainWaiter{ch: idle})
		s.checkDrained()
	}})
	h.settle()
	select {
	case <-idle:
		t.Fatal("drained while the callback rings")
	default:
	}
	h.send(ChannelDestroyed{Channel: dial.Channel, Cause: 19})
	select {
	case <-idle:
	default:
		t.Error("not drained once the callback's call ended")
	}
}

// At start the callbacks an earlier run had queued come back at their old places, ahead of later
// callers, and go to the next free operator.
func TestCallbacksQueuedAgainAtStart(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	joined := t0.Add(-time.Hour)
	h.s.dispatch(callbacksLoaded{legs: []hotline.Leg{
		{CallID: "old1", CallerNumber: "79004440001", ArrivedAt: joined.Add(-time.Second), QueuedAt: joined},
		{CallID: "old2", ArrivedAt: joined}, // no number to call: not queued
	}})
	h.settle()
	h.arrive("c1", "201")
	q := h.status().Queue
	if len(q) != 2 || !q[0].Callback || q[1].CallID != "c1" {
		t.Fatalf("queue %+v, want old1's callback first, then c1", q)
	}
	h.s.dispatch(callbacksLoaded{legs: []hotline.Leg{{CallID: "old1", CallerNumber: "79004440001", QueuedAt: joined}}})
	h.settle()
	if n := len(h.status().Queue); n != 2 {
		t.Errorf("a callback listed twice is queued twice: %d in the queue", n)
	}
	h.login("1001")
	if len(h.j.delayed) == 0 || h.j.delayed[len(h.j.delayed)-1] != (delayed{"old1", 1}) {
		t.Errorf("delayed = %v, want old1's case given to operator 1", h.j.delayed)
	}
}
