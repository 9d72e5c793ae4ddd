package switchboard

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// The whole life of one call: answer, greeting, queue, offer, bridge and record, hang-up, the leg
// written, wrap-up with a topic keyed on the handset, available again.
// A caller the dialplan answered before Stasis() is greeted at once; one it did not is answered first.
func TestArrivalAnswersOnlyAnUnansweredCaller(t *testing.T) {
	for _, tc := range []struct {
		up   bool
		want []string
	}{
		{false, []string{"answer c1", "play c1 c1-greeting [sound:hello-world]"}},
		{true, []string{"play c1 c1-greeting [sound:hello-world]"}},
	} {
		t.Run(fmt.Sprintf("up=%v", tc.up), func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			m := h.mark()
			h.send(StasisStart{Channel: "c1", CallerNumber: "+79001112233", Entry: Inbound{}, Up: tc.up})
			h.wantOps(m, tc.want...)
			if tc.up {
				h.noOps(m, "answer")
			}
		})
	}
}

func TestHappyPath(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.wantPresence(1, hotline.PresenceAvailable)

	m := h.mark()
	h.send(StasisStart{Channel: "c1", CallerNumber: "+79001112233", Entry: Inbound{}})
	h.wantOps(m, "answer c1", "play c1 c1-greeting [sound:hello-world]")
	if len(h.j.started) != 1 || h.j.started[0].CallerNumber != "+79001112233" {
		t.Fatalf("StartCall = %+v, want one for the caller", h.j.started)
	}
	h.noOps(m, "originate") // not before the greeting ends

	h.clock.now = h.clock.now.Add(5 * time.Second)
	m = h.mark()
	h.finishPlay("c1")
	h.wantOps(m, "moh c1 default", "originate c1-op")
	or := h.oneOriginate(m)
	if or.Endpoint != "PJSIP/1001" || or.CallerID != "+79001112233" || or.Entry != (Offer{Call: "c1"}) {
		t.Errorf("originate = %+v", or)
	}
	h.wantPresence(1, hotline.PresenceRinging)
	if q := h.status().Queue; len(q) != 1 || q[0].OfferedTo != 1 || q[0].CallerNumber != "+79001112233" {
		t.Errorf("queue = %+v, want c1 offered to 1", q)
	}

	h.clock.now = h.clock.now.Add(3 * time.Second)
	m = h.mark()
	h.answer(or)
	h.wantOps(m, "stop-moh c1", "create-bridge c1-bridge", "add-to-bridge c1-bridge", "record-call c1")
	h.wantPresence(1, hotline.PresenceTalking)
	if q := h.status().Queue; len(q) != 0 {
		t.Errorf("queue after answer = %+v, want empty", q)
	}

	// The operator keys a topic during the call.
	for _, d := range []string{"*", "1", "2", "#"} {
		h.send(DTMF{Channel: or.Channel, Digit: d})
	}
	if want := []topicSet{{"c1", 1, 12}}; !slices.Equal(h.j.topics, want) {
		t.Errorf("topics = %v, want %v", h.j.topics, want)
	}

	h.clock.now = h.clock.now.Add(60 * time.Second)
	m = h.mark()
	h.hangup("c1")
	leg := h.leg("c1")
	want := hotline.Leg{CallID: "c1", CallerNumber: "+79001112233", OperatorID: 1,
		ArrivedAt: t0, GreetingEndAt: t0.Add(5 * time.Second), QueuedAt: t0.Add(5 * time.Second),
		RangAt: t0.Add(5 * time.Second), AnsweredAt: t0.Add(8 * time.Second), EndedAt: t0.Add(68 * time.Second),
		End: hotline.LegCompleted, RecordingName: leg.RecordingName, HungUpBy: hotline.SideCaller, OperatorChannel: or.Channel}
	if !strings.HasPrefix(leg.RecordingName, "call-c1-") {
		t.Errorf("recording %q, want call-c1-<n>: a name of this leg's own", leg.RecordingName)
	}
	if o := h.j.outcomes["c1"]; o != hotline.OutcomeAnswered {
		t.Errorf("outcome %q, want answered", o)
	}
	if leg != want {
		t.Errorf("leg =\n %+v\nwant\n %+v", leg, want)
	}
	if leg.QueueWait() != 3*time.Second || leg.RingTime() != 3*time.Second {
		t.Errorf("queue wait = %v, ring %v; want 3s each (the handset rang from the end of the greeting)", leg.QueueWait(), leg.RingTime())
	}
	// The operator's handset stays up for the wrap-up: a beep, then a topic may be keyed.
	h.wantOps(m, "destroy-bridge c1-bridge", "play "+or.Channel)
	h.noOps(m, "hangup "+or.Channel)
	h.wantPresence(1, hotline.PresenceWrapUp)
	for _, d := range []string{"*", "7", "#"} {
		h.send(DTMF{Channel: or.Channel, Digit: d})
	}
	if len(h.j.topics) != 2 || h.j.topics[1] != (topicSet{"c1", 1, 7}) {
		t.Errorf("topics = %v, want the wrap-up's 7 for c1 too", h.j.topics)
	}

	m = h.mark()
	h.advance(10 * time.Second)
	h.wantOps(m, "hangup "+or.Channel)
	h.wantPresence(1, hotline.PresenceAvailable)
	if st := h.status(); st.Operators[0].CallsToday != 1 || st.Calls != 0 {
		t.Errorf("status = %+v, want 1 call today and no live call", st)
	}
}

// A hangup at any moment ends the call with the right leg and leaves nothing ringing.
func TestCallerHangsUp(t *testing.T) {
	tests := []struct {
		name    string
		operate bool // an operator is logged in, so the call rings
		greeted bool
		end     hotline.LegEnd
	}{
		{"during greeting", true, false, hotline.LegAbandoned},
		{"in queue", false, true, hotline.LegAbandoned},
		{"while ringing", true, true, hotline.LegAbandoned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			if tt.operate {
				h.login("1001")
			}
			h.send(StasisStart{Channel: "c1", CallerNumber: "200", Entry: Inbound{}})
			if tt.greeted {
				h.finishPlay("c1")
			}
			ringing := h.originates(0)
			m := h.mark()
			h.hangup("c1")
			if got := h.leg("c1").End; got != tt.end {
				t.Errorf("leg end = %s, want %s", got, tt.end)
			}
			if len(h.status().Queue) != 0 || h.status().Calls != 0 {
				t.Errorf("status = %+v, want nothing left", h.status())
			}
			if tt.greeted && tt.operate {
				if len(ringing) != 1 {
					t.Fatalf("want the handset ringing before the hangup; got %v", ringing)
				}
				h.wantOps(m, "hangup "+ringing[0].Channel)
				h.wantPresence(1, hotline.PresenceAvailable)
				if h.s.operators[1].missed != 0 {
					t.Errorf("missed = %d: a withdrawn offer is not the operator's miss", h.s.operators[1].missed)
				}
			}
			// The greeting's end arriving late must not queue a caller who is gone.
			if !tt.greeted {
				h.finishPlay("c1")
				if len(h.status().Queue) != 0 || len(h.originates(0)) != 0 {
					t.Errorf("a late PlaybackFinished revived the call: %+v", h.status())
				}
			}
		})
	}
}

func TestRingTimeoutNextOperator(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.login("1001")
	h.clock.now = h.clock.now.Add(time.Second) // 1001 has been idle longer: it rings first
	h.login("1002")
	m := h.mark()
	h.arrive("c1", "200")
	first := h.oneOriginate(m)
	if first.Endpoint != "PJSIP/1001" {
		t.Fatalf("first offer to %s, want the longest idle PJSIP/1001", first.Endpoint)
	}
	m = h.mark()
	h.advance(15 * time.Second)
	h.wantOps(m, "hangup "+first.Channel+" no_answer", "originate")
	second := h.oneOriginate(m)
	if second.Endpoint != "PJSIP/1002" {
		t.Errorf("after the ring timeout the offer went to %s, want PJSIP/1002", second.Endpoint)
	}
	if h.s.operators[1].missed != 1 {
		t.Errorf("1001 missed = %d, want 1", h.s.operators[1].missed)
	}
	// The first handset's channel ends after our hangup: nothing else happens.
	m = h.mark()
	h.send(ChannelDestroyed{Channel: first.Channel, Cause: 16})
	if len(h.opsSince(m)) != 0 {
		t.Errorf("requests after the timed-out channel ended: %v", h.opsSince(m))
	}
	// 1001 answers too late: hung up, the call stays with 1002.
	m = h.mark()
	h.answer(first)
	h.wantOps(m, "hangup "+first.Channel)
	h.wantPresence(2, hotline.PresenceRinging)
}

func TestMissedOffersPauseOperator(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.MaxMissed = 2
	h := newHarness(t, cfg, op(1, "1001"))
	h.login("1001")
	h.arrive("c1", "201")
	m := h.mark()
	h.advance(15 * time.Second) // missed once; nobody else can take c1, so 1001 rings again
	if or := h.oneOriginate(m); entryCall(or.Entry) != "c1" {
		t.Fatalf("offered %v after the first miss, want c1 again (routing's exclusion lapses when nobody else can answer)", or.Entry)
	}
	h.wantPresence(1, hotline.PresenceRinging)
	if h.s.operators[1].missed != 1 {
		t.Errorf("missed = %d, want 1", h.s.operators[1].missed)
	}
	h.advance(15 * time.Second) // missed twice in a row: paused
	h.wantPresence(1, hotline.PresencePaused)
	if st := h.status().Operators[0]; st.Reason != "missed" || st.Missed != 2 {
		t.Errorf("status = %+v, want paused for missed, 2 in a row", st)
	}
	h.arrive("c2", "202")
	m = h.mark()
	h.advance(time.Minute)
	if n := len(h.originates(m)); n != 0 {
		t.Errorf("%d offers to a paused operator", n)
	}
	// Resume: the count starts over and a caller is offered at once: c2, since c1 still skips 1001,
	// who missed it, while another caller can take 1001.
	m = h.mark()
	h.s.dispatch(command{run: func(s *Switchboard) { _ = s.resume(s.operators[1]) }})
	h.settle()
	if or := h.oneOriginate(m); entryCall(or.Entry) != "c2" {
		t.Errorf("after resume offered %v, want c2", or.Entry)
	}
	if h.s.operators[1].missed != 0 {
		t.Errorf("missed after resume = %d, want 0", h.s.operators[1].missed)
	}
}

// A handset that rejects, is busy or cannot be reached ends the offer at once; only the operator's
// own refusal counts as a miss.
func TestOperatorRejects(t *testing.T) {
	tests := []struct {
		name   string
		cause  int
		missed int
	}{
		{"busy", 17, 1},
		{"rejected", 21, 1},
		{"no answer", 19, 1},
		{"absent", 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
			h.login("1001")
			h.clock.now = h.clock.now.Add(time.Second)
			h.login("1002")
			m := h.mark()
			h.arrive("c1", "200")
			first := h.oneOriginate(m)
			m = h.mark()
			h.send(ChannelDestroyed{Channel: first.Channel, Cause: tt.cause})
			if next := h.oneOriginate(m); next.Endpoint != "PJSIP/1002" {
				t.Errorf("next offer to %s, want PJSIP/1002", next.Endpoint)
			}
			if got := h.s.operators[1].missed; got != tt.missed {
				t.Errorf("missed = %d, want %d", got, tt.missed)
			}
			h.noOps(m, "hangup "+first.Channel) // already gone
		})
	}
}

func TestOriginateFailsNextOperator(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.fail = func(o Op) error {
		if or, ok := o.(Originate); ok && or.Endpoint == "PJSIP/1001" {
			return errTest
		}
		return nil
	}
	h.login("1001")
	h.clock.now = h.clock.now.Add(time.Second)
	h.login("1002")
	m := h.mark()
	h.arrive("c1", "200")
	or := h.originates(m)
	if len(or) != 2 || or[1].Endpoint != "PJSIP/1002" {
		t.Fatalf("originates = %+v, want 1001 (failed) then 1002", or)
	}
	if h.s.operators[1].missed != 0 {
		t.Errorf("a failed originate counted as a miss")
	}
}

// Two callers and one operator: the operator is offered one call at a time, never both.
func TestTwoCallersOneOperator(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	m := h.mark()
	h.arrive("c1", "201")
	h.arrive("c2", "202")
	or := h.oneOriginate(m)
	if entryCall(or.Entry) != "c1" {
		t.Fatalf("offered %s first, want c1", entryCall(or.Entry))
	}
	h.answer(or)
	h.advance(time.Minute)
	if n := len(h.originates(m)); n != 1 {
		t.Fatalf("%d offers while the operator talks, want 1", n)
	}
	h.hangup("c1")
	m = h.mark()
	h.advance(9 * time.Second)
	if n := len(h.originates(m)); n != 0 {
		t.Fatalf("offered during wrap-up")
	}
	h.advance(time.Second)
	if next := h.oneOriginate(m); entryCall(next.Entry) != "c2" {
		t.Errorf("after wrap-up offered %v, want c2", next.Entry)
	}
}

// The caller hangs up while the originate request is still in flight: the operator's channel is hung
// up after the originate returns (never before, when it does not exist yet), and an answer from it
// after that is hung up too.
func TestHangupCrossesOriginate(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.hold = func(o Op) bool { _, ok := o.(Originate); return ok }
	h.login("1001")
	h.arrive("c1", "200")
	or := h.oneOriginate(0)
	m := h.mark()
	h.hangup("c1")
	h.noOps(m, "hangup "+or.Channel)
	h.wantPresence(1, hotline.PresenceAvailable)
	h.release(func(Op) bool { return true })
	h.wantOps(m, "hangup "+or.Channel)
	m = h.mark()
	h.answer(or)
	h.wantOps(m, "hangup "+or.Channel)
	h.noOps(m, "create-bridge")
	h.wantPresence(1, hotline.PresenceAvailable)
	if h.leg("c1").End != hotline.LegAbandoned {
		t.Errorf("leg end = %s, want abandoned", h.leg("c1").End)
	}
}

func TestOperatorHangsUpFirst(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.arrive("c1", "200")
	or := h.oneOriginate(0)
	h.answer(or)
	m := h.mark()
	h.hangup(or.Channel)
	h.wantOps(m, "hangup c1")
	h.wantPresence(1, hotline.PresenceWrapUp)
	h.hangup("c1")
	if l := h.leg("c1"); l.End != hotline.LegCompleted || l.OperatorID != 1 || l.HungUpBy != hotline.SideOperator || l.OperatorChannel != or.Channel {
		t.Errorf("leg = %+v, want completed by operator 1 on %s, who hung up", l, or.Channel)
	}
	// Keyed after hanging up, by feature code: the topic goes to the last call's case.
	h.send(StasisStart{Channel: "f1", Name: "PJSIP/1001-00000009", Entry: Feature{Action: "topic", Arg: "31"}})
	if want := []topicSet{{"c1", 1, 31}}; !slices.Equal(h.j.topics, want) {
		t.Errorf("topics = %v, want %v", h.j.topics, want)
	}
}

// Recording never holds up a call: if it cannot start, the call goes on and the leg has none.
func TestRecordingFailsCallGoesOn(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.fail = func(o Op) error {
		if _, ok := o.(RecordCall); ok {
			return errTest
		}
		return nil
	}
	h.login("1001")
	h.arrive("c1", "200")
	h.answer(h.oneOriginate(0))
	h.wantPresence(1, hotline.PresenceTalking)
	h.hangup("c1")
	if l := h.leg("c1"); l.End != hotline.LegCompleted || l.RecordingName != "" {
		t.Errorf("leg = %+v, want completed without a recording", l)
	}
}

// The refusal of a recording may come after the call ended (the caller hung up as the operator
// answered): the leg, already written naming it, is written again without it, and no name is kept.
func TestRecordingRefusedAfterCallEnded(t *testing.T) {
	for _, refused := range []bool{true, false} {
		t.Run(fmt.Sprintf("refused=%v", refused), func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			isRecord := func(o Op) bool { _, ok := o.(RecordCall); return ok }
			h.hold = isRecord
			if refused {
				h.fail = func(o Op) error {
					if isRecord(o) {
						return errTest
					}
					return nil
				}
			}
			h.login("1001")
			h.arrive("c1", "200")
			h.answer(h.oneOriginate(0))
			h.hangup("c1")
			if l := h.leg("c1"); l.RecordingName == "" {
				t.Fatalf("leg written at the end = %+v, want it naming its recording (not yet refused)", l)
			}
			h.release(isRecord)
			l := h.leg("c1")
			if refused && l.RecordingName != "" {
				t.Errorf("leg after the refusal = %+v, want no recording", l)
			}
			if !refused && l.RecordingName == "" {
				t.Errorf("leg after the recording started = %+v, want it naming its recording", l)
			}
			h.request(func(s *Switchboard) error {
				if len(s.recs) != 0 || len(s.recAsked) != 0 {
					t.Errorf("recordings kept after the call: %v, asked %v", s.recs, s.recAsked)
				}
				return nil
			})
		})
	}
}

func TestBridgeFailsCallFails(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.fail = func(o Op) error {
		if _, ok := o.(AddToBridge); ok {
			return errTest
		}
		return nil
	}
	h.login("1001")
	h.arrive("c1", "200")
	or := h.oneOriginate(0)
	m := h.mark()
	h.answer(or)
	h.wantOps(m, "add-to-bridge", "hangup "+or.Channel, "hangup c1")
	h.hangup(or.Channel)
	h.hangup("c1")
	if l := h.leg("c1"); l.End != hotline.LegFailed {
		t.Errorf("leg end = %s, want failed", l.End)
	}
	h.wantPresence(1, hotline.PresenceWrapUp) // not left "talking" on a call that never was
	h.advance(10 * time.Second)
	h.wantPresence(1, hotline.PresenceAvailable)
}

// Answered in the middle of a position announcement: the announcement stops before the bridge.
func TestAnsweredDuringAnnouncement(t *testing.T) {
	cfg := testConfig()
	cfg.AnnounceInterval = 30 * time.Second
	h := newHarness(t, cfg, op(1, "1001"))
	h.arrive("c1", "201")
	h.advance(30 * time.Second)
	p := h.lastPlay("c1")
	m := h.mark()
	h.login("1001")
	h.answer(h.oneOriginate(m))
	h.wantOps(m, "stop-playback "+p.Playback, "create-bridge")
	h.noOps(m, "moh c1") // the announcement's end must not restart the music
	h.send(PlaybackFinished{Playback: p.Playback})
	h.noOps(m, "moh c1")
}

// An operator who logs out during a call finishes it, then is offered nothing.
func TestLogoutDuringCall(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.arrive("c1", "201")
	h.answer(h.oneOriginate(0))
	h.send(StasisStart{Channel: "f1", Name: "PJSIP/1001-00000002", Entry: Feature{Action: "logout"}})
	h.wantPresence(1, hotline.PresenceTalking)
	h.hangup("c1")
	h.advance(time.Minute)
	h.wantPresence(1, hotline.PresenceLoggedOut)
	m := h.mark()
	h.arrive("c2", "202")
	h.advance(time.Minute)
	if n := len(h.originates(m)); n != 0 {
		t.Errorf("%d offers to a logged-out operator", n)
	}
}

// A leg is recorded on its operator's channel (the bridge keeps two parties); when the handset
// stays up after the call (the caller hung up: wrap-up), the recording is stopped before the
// wrap-up prompt; when the handset hung up, its hang-up ended the recording and nothing is sent.
func TestRecordingOnTheOperatorsChannel(t *testing.T) {
	tests := []struct {
		name     string
		hangsUp  func(or Originate) string // who hangs up: their channel
		wantStop bool
	}{
		{"caller hangs up", func(Originate) string { return "c1" }, true},
		{"operator hangs up", func(or Originate) string { return or.Channel }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			h.login("1001")
			h.arrive("c1", "200")
			or := h.oneOriginate(0)
			m := h.mark()
			h.answer(or)
			h.wantOps(m, "create-bridge c1-bridge", "add-to-bridge c1-bridge", "record-call "+or.Channel+" call-c1-")
			name := h.leg("c1").RecordingName
			m = h.mark()
			h.hangup(tt.hangsUp(or))
			stop := "stop-recording " + or.Channel + " " + name
			if tt.wantStop {
				h.wantOps(m, "destroy-bridge c1-bridge", stop, "play "+or.Channel)
			} else if slices.Contains(h.opsSince(m), stop) {
				t.Errorf("ops %q: a recording stopped on a handset that hung up", h.opsSince(m))
			}
			if l := h.leg("c1"); l.RecordingName != name || name == "" {
				t.Errorf("leg recording %q, want %q", l.RecordingName, name)
			}
		})
	}
}

// Both hang up at once, the caller's BYE first: the operator's hangup request, which frees the
// operator early, must not make the operator the side that hung up.
func TestCallerHangsUpFirstThenOperatorAtOnce(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.arrive("c1", "200")
	or := h.oneOriginate(0)
	h.answer(or)
	h.send(ChannelHangupRequest{Channel: "c1", Cause: 16}, ChannelHangupRequest{Channel: or.Channel, Cause: 16})
	h.send(StasisEnd{Channel: "c1"}, ChannelDestroyed{Channel: "c1", Cause: 16})
	h.send(StasisEnd{Channel: or.Channel}, ChannelDestroyed{Channel: or.Channel, Cause: 16})
	if l := h.leg("c1"); l.End != hotline.LegCompleted || l.HungUpBy != hotline.SideCaller {
		t.Errorf("leg = %+v, want completed, hung up by the caller", l)
	}
}
