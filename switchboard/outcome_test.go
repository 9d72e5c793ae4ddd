package switchboard

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// How each call ends as a whole: the outcome written with its last leg. Calls and cases are apart:
// none of these opens a case by itself, except a message and a callback request (the
// delayed-answer rule, in the journal).
func TestCallOutcomes(t *testing.T) {
	t.Run("hung up in the greeting", func(t *testing.T) {
		h := newHarness(t, testConfig(), op(1, "1001"))
		h.send(StasisStart{Channel: "c1", CallerNumber: "+79001112233", Entry: Inbound{}})
		// A BYE: Asterisk asks the channel to hang up, then ends the greeting's playback, then
		// the channel leaves. The greeting's end must not queue the caller on the way out.
		h.send(ChannelHangupRequest{Channel: "c1"})
		h.finishPlay("c1")
		h.hangup("c1")
		l := h.leg("c1")
		if l.End != hotline.LegAbandoned || !l.QueuedAt.IsZero() || !l.GreetingEndAt.IsZero() {
			t.Errorf("leg = %+v, want abandoned without greeting end or queue time", l)
		}
		if o := h.j.outcomes["c1"]; o != hotline.OutcomeAbandonedGreeting {
			t.Errorf("outcome %q, want abandoned_greeting", o)
		}
	})
	t.Run("hung up in the queue", func(t *testing.T) {
		h := newHarness(t, testConfig())
		h.arrive("c1", "+79001112233")
		h.hangup("c1")
		if o := h.j.outcomes["c1"]; o != hotline.OutcomeAbandonedQueue {
			t.Errorf("outcome %q, want abandoned_queue", o)
		}
	})
	t.Run("left a message", func(t *testing.T) {
		cfg := testConfig()
		cfg.Routing.MaxQueueLen, cfg.Overflow = 1, OverflowMessage
		h := newHarness(t, cfg)
		h.arrive("c0", "201")
		h.arrive("c1", "202") // queue full: a message
		h.finishPlay("c1")
		h.send(RecordingFinished{Name: "message-c1"})
		h.finishPlay("c1")
		h.hangup("c1")
		if o := h.j.outcomes["c1"]; o != hotline.OutcomeOverflowMessage || !slices.Equal(h.j.messages, []string{"c1"}) {
			t.Errorf("outcome %q, messages %v; want overflow_message and the message filed once", o, h.j.messages)
		}
	})
	t.Run("hung up before leaving anything", func(t *testing.T) {
		cfg := testConfig()
		cfg.Routing.MaxQueueLen, cfg.Overflow = 1, OverflowMessage
		h := newHarness(t, cfg)
		h.arrive("c0", "201")
		h.arrive("c1", "202")
		h.hangup("c1")
		if o := h.j.outcomes["c1"]; o != hotline.OutcomeAbandonedOverflow || len(h.j.messages) != 0 {
			t.Errorf("outcome %q, messages %v; want abandoned_overflow and no message", o, h.j.messages)
		}
	})
	t.Run("asked for a callback", func(t *testing.T) {
		cfg := testConfig()
		cfg.Routing.MaxQueueLen = 1
		h := newHarness(t, cfg)
		h.arrive("c0", "201")
		h.arrive("c1", "202")
		h.send(DTMF{Channel: "c1", Digit: "1"})
		h.finishPlay("c1")
		h.hangup("c1")
		if o := h.j.outcomes["c1"]; o != hotline.OutcomeOverflowCallback {
			t.Errorf("outcome %q, want overflow_callback", o)
		}
	})
	t.Run("answered, then back in the queue after a failed transfer, then hung up", func(t *testing.T) {
		h := newHarness(t, testConfig(), op(1, "1001"))
		h.login("1001")
		m := h.mark()
		h.arrive("c1", "+79001112233")
		h.finishPlay("c1")
		h.answer(h.oneOriginate(m))
		h.s.calls["c1"].leg.AnsweredAt = time.Time{} // as a new leg back in the queue would be
		h.hangup("c1")
		if o := h.j.outcomes["c1"]; o != hotline.OutcomeAnswered {
			t.Errorf("outcome %q, want answered: an operator talked to the caller", o)
		}
	})
}

// A caller with an open case is offered to its owner only with returning_to_owner, and never
// jumps the queue; the journal's answer names no case (calls open none).
func TestOpenCaseNoPriority(t *testing.T) {
	for _, toOwner := range []bool{true, false} {
		cfg := testConfig()
		cfg.Routing.PreferOwner = toOwner
		h := newHarness(t, cfg, op(1, "1001"), op(2, "1002"))
		h.j.cases["+79005550000"] = Filed{OwnerID: 2, OpenCases: 1}
		h.arrive("c1", "+79001110000")
		h.arrive("c2", "+79005550000")
		st := h.status()
		if !slices.Equal(queueIDs(st), []string{"c1", "c2"}) {
			t.Fatalf("queue = %v, want the caller with an open case behind the earlier one", queueIDs(st))
		}
		if wantOwner := map[bool]int64{true: 2, false: 0}[toOwner]; st.Queue[1].OwnerID != wantOwner {
			t.Errorf("returning_to_owner %v: owner %d, want %d", toOwner, st.Queue[1].OwnerID, wantOwner)
		}
		m := h.mark()
		h.login("1002") // the owner comes first: they take the head of the queue, c1
		if or := h.oneOriginate(m); entryCall(or.Entry) != "c1" {
			t.Errorf("returning_to_owner %v: the free owner was offered %v, want c1 at the head", toOwner, or.Entry)
		}
	}
}

// An operator at their limit of cases in work is offered no caller; under it again, they are.
func TestCaseLimitSkipsOperator(t *testing.T) {
	o := op(1, "1001")
	o.MaxConcurrent = 2
	h := newHarness(t, testConfig(), o)
	h.s.dispatch(caseCountsLoaded{counts: map[int64]int{1: 2}})
	h.login("1001")
	m := h.mark()
	h.arrive("c1", "+79001112233")
	h.finishPlay("c1")
	if n := len(h.originates(m)); n != 0 {
		t.Fatalf("offered %d calls to an operator at their limit", n)
	}
	h.s.dispatch(caseCountsLoaded{counts: map[int64]int{1: 1}})
	h.send(DeviceState{Extension: "1001", Reachable: true}) // any message lets routing look again
	if or := h.oneOriginate(m); or.Endpoint != "PJSIP/1001" {
		t.Errorf("under the limit again: offered to %s", or.Endpoint)
	}
}

// A called-back caller who reaches an operator: the journal hears the callback connected (the
// delayed answer goes «В работе» for that operator).
func TestCallbackConnectedWritten(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.MaxQueueLen = 1
	cfg.CallbackDial = "PJSIP/{number}@trunk"
	h := newHarness(t, cfg, op(1, "1001"))
	h.arrive("c1", "201")
	h.arrive("c2", "79002223344")
	h.send(DTMF{Channel: "c2", Digit: "1"})
	h.finishPlay("c2")
	h.hangup("c2")
	m := h.mark()
	h.login("1001")
	h.answer(h.oneOriginate(m)) // c1
	h.hangup("c1")
	m = h.mark()
	h.advance(10 * time.Second) // wrap-up over: c2's callback is dialled
	var dial Originate
	for _, o := range h.originates(m) {
		if entryKind(o.Entry) == "callback" {
			dial = o
		}
	}
	if dial.Channel == "" {
		t.Fatalf("no callback dialled: %v", h.opsSince(m))
	}
	m = h.mark()
	h.send(StasisStart{Channel: dial.Channel, Entry: dial.Entry})
	h.answer(h.oneOriginate(m))
	if want := (CallbackConnected{CallID: dial.Channel, OperatorID: 1}); len(h.j.connected) != 1 || h.j.connected[0] != want {
		t.Errorf("connected = %+v, want %+v", h.j.connected, want)
	}
	if st := h.j.started[len(h.j.started)-1]; st.CallID != dial.Channel || st.CallbackFor != "c2" {
		t.Errorf("the called-back call filed as %+v, want a call of its own for c2", st)
	}
}

// "Calls today" does not restart at 0 with the daemon: the journal's count of today's answers is
// added to what the loop counts after the start (issue 19).
func TestCallsTodaySurviveRestart(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	today := day(h.clock.Now())
	h.s.dispatch(callsTodayLoaded{day: today, counts: map[int64]int{1: 4}})
	h.login("1001")
	m := h.mark()
	h.arrive("c1", "+79001112233")
	h.answer(h.oneOriginate(m))
	for _, o := range h.status().Operators {
		if want := map[int64]int{1: 5, 2: 0}[o.ID]; o.CallsToday != want {
			t.Errorf("operator %d: %d calls today, want %d", o.ID, o.CallsToday, want)
		}
	}
	// Yesterday's count is not today's.
	h.s.dispatch(callsTodayLoaded{day: today.AddDate(0, 0, -1), counts: map[int64]int{2: 7}})
	for _, o := range h.status().Operators {
		if o.ID == 2 && o.CallsToday != 0 {
			t.Errorf("operator 2: %d calls today from yesterday's count", o.CallsToday)
		}
	}
}

// A caller whose case owner is at their limit is not held for them (routing would never offer the
// owner a caller then): anyone free takes the call at once.
func TestOwnerAtLimitHoldsNobody(t *testing.T) {
	owner := op(2, "1002")
	owner.MaxConcurrent = 1
	h := newHarness(t, testConfig(), op(1, "1001"), owner)
	h.s.dispatch(caseCountsLoaded{counts: map[int64]int{2: 1}})
	h.j.cases["+79005550000"] = Filed{OwnerID: 2, OpenCases: 1}
	h.login("1001")
	h.login("1002")
	m := h.mark()
	h.arrive("c1", "+79005550000")
	if or := h.oneOriginate(m); or.Endpoint != "PJSIP/1001" {
		t.Errorf("offered to %s, want 1001 at once: the owner is at their limit", or.Endpoint)
	}
}

// Another client took the ARI application over: the switchboard says so in its status and acts on
// Asterisk no more (its calls are the other client's now).
func TestReplacedStopsActing(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.arrive("c1", "+79001112233")
	h.send(Replaced{})
	if st := h.status(); !st.Replaced || st.Connected {
		t.Errorf("status = %+v, want replaced and not connected", st)
	}
	m := h.mark()
	h.send(StasisStart{Channel: "c2", CallerNumber: "+79001112234", Entry: Inbound{}})
	h.hangup("c1")
	if ops := h.opsSince(m); len(ops) != 0 {
		t.Errorf("requests after the application was taken over: %v", ops)
	}
}
