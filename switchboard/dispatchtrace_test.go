package switchboard

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// A talking operator's handset hanging up (the SIP peer's BYE: a hang-up request that is not soft)
// frees them at once: the next waiting caller is offered before Asterisk has taken the channel out
// of the bridge (StasisEnd). A soft request is Asterisk cutting the call: nothing moves until the
// channel's end, which then says the leg failed.
func TestOperatorHangupRequestDispatches(t *testing.T) {
	tests := []struct {
		name      string
		soft      bool
		offeredAt string // "request": at the hang-up request; "end": only at the channel's end
		end       hotline.LegEnd
	}{
		{"handset hung up", false, "request", hotline.LegCompleted},
		{"Asterisk cut the handset", true, "end", hotline.LegFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, or := talkingWithOneWaiting(t)
			m := h.mark()
			h.send(ChannelHangupRequest{Channel: or.Channel, Cause: 16, Soft: tt.soft})
			if got := len(h.originates(m)); (got == 1) != (tt.offeredAt == "request") {
				t.Fatalf("after the hang-up request: %d originates, want one only if offered at the request; requests %v", got, h.opsSince(m))
			}
			h.hangup(or.Channel)
			next := h.oneOriginate(m)
			if next.Entry != (Offer{Call: "c2"}) || next.Endpoint != "PJSIP/1001" {
				t.Errorf("next offer = %+v, want c2 to PJSIP/1001", next)
			}
			h.wantOps(m, "hangup c1")
			h.hangup("c1")
			if l := h.leg("c1"); l.End != tt.end || l.OperatorID != 1 {
				t.Errorf("leg = %+v, want %s with operator 1", l, tt.end)
			}
			if tt.end == hotline.LegCompleted && h.leg("c1").HungUpBy != hotline.SideOperator {
				t.Errorf("hung up by %q, want the operator", h.leg("c1").HungUpBy)
			}
			h.wantPresence(1, hotline.PresenceRinging)
		})
	}
}

// The dispatch's parts are what the moments say: taken from the inbox after handed, the request
// sent after taken; the delivery from Asterisk's timestamp, unknown without one.
func TestDispatchedParts(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name string
		tr   stepTrace
		want Dispatch
	}{
		{"from an event", stepTrace{n: 1, asterisk: ms(0), handed: ms(7), taken: ms(9)},
			Dispatch{Delivery: 7 * time.Millisecond, Inbox: 2 * time.Millisecond, Loop: 3 * time.Millisecond, Request: 20 * time.Millisecond}},
		{"no timestamp", stepTrace{n: 1, handed: ms(7), taken: ms(9)},
			Dispatch{Delivery: -1, Inbox: 2 * time.Millisecond, Loop: 3 * time.Millisecond, Request: 20 * time.Millisecond}},
		{"stamped after handed (Asterisk's clock in ms)", stepTrace{n: 1, asterisk: ms(8), handed: ms(7), taken: ms(9)},
			Dispatch{Delivery: 0, Inbox: 2 * time.Millisecond, Loop: 3 * time.Millisecond, Request: 20 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Dispatch
			s := &Switchboard{metrics: dispatchRecorder{&got}}
			s.dispatched(&tt.tr, ms(12), ms(32))
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("dispatched %+v, want %+v", got, tt.want)
			}
			if h := got[0].Hotline(); h != 5*time.Millisecond {
				t.Errorf("hotline's part %s, want 5ms", h)
			}
		})
	}
}

type dispatchRecorder struct{ got *[]Dispatch }

func (dispatchRecorder) CallArrived()                            {}
func (dispatchRecorder) CallAnswered(time.Duration)              {}
func (dispatchRecorder) CallEnded(hotline.LegEnd, time.Duration) {}
func (dispatchRecorder) Transfer(string)                         {}
func (dispatchRecorder) Request(string, time.Duration, error)    {}
func (r dispatchRecorder) Dispatch(d Dispatch)                   { *r.got = append(*r.got, d) }
func (dispatchRecorder) Teardown(time.Duration)                  {}

// A dispatch's originate goes to Asterisk before the requests that end the operator's last call
// (the caller's hang-up, its bridge's end), asked in the same message: those would have Asterisk
// busy ahead of it.
func TestDispatchOriginateSentFirst(t *testing.T) {
	h, or := talkingWithOneWaiting(t)
	m := h.mark()
	h.send(ChannelHangupRequest{Channel: or.Channel, Cause: 16})
	ops := h.ops[m:]
	if len(ops) < 2 {
		t.Fatalf("after the hang-up request: requests %v, want the next offer and the caller's hang-up", h.opsSince(m))
	}
	if o, ok := ops[0].(Originate); !ok || o.Entry != (Offer{Call: "c2"}) {
		t.Fatalf("first request after the hang-up request = %v, want the offer of c2; requests %v", ops[0], h.opsSince(m))
	}
	if got := h.opsSince(m)[1]; got != "hangup c1 normal" {
		t.Errorf("second request = %q, want the caller's hang-up; requests %v", got, h.opsSince(m))
	}
}

// talkingWithOneWaiting: the only operator (1001, no wrap-up) talks with c1 (its handset's
// originate is or), and c2 waits in the queue.
func talkingWithOneWaiting(t *testing.T) (h *harness, or Originate) {
	t.Helper()
	cfg := testConfig()
	cfg.Routing.WrapUp = 0
	h = newHarness(t, cfg, op(1, "1001"))
	h.login("1001")
	h.arrive("c1", "200")
	or = h.oneOriginate(0)
	h.answer(or)
	h.arrive("c2", "201") // waits: the only operator talks
	return h, or
}
