package switchboard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// legJournal keeps every leg the switchboard saves (the harness keeps the last per call) and
// answers the specialists of topic 5.
type legJournal struct {
	*fakeJournal
	all []hotline.Leg
}

func (j *legJournal) Write(ctx context.Context, w Write) (Filed, error) {
	if w.SaveLeg != nil {
		j.all = append(j.all, *w.SaveLeg)
	}
	return j.fakeJournal.Write(ctx, w)
}

func (j *legJournal) Specialists(_ context.Context, topic int) ([]int64, error) {
	if topic == 5 {
		return []int64{3, 2}, nil // 3 first, if free
	}
	return nil, hotline.Errorf(hotline.ENOTFOUND, "no topic %d", topic)
}

// legsOf returns the distinct legs saved for a call, in order: a new leg starts where the saved
// one names another operator as TransferredFrom or the one before had ended.
func (j *legJournal) legsOf(call string) []hotline.Leg {
	var out []hotline.Leg
	for _, l := range j.all {
		if l.CallID != call {
			continue
		}
		if n := len(out); n > 0 && out[n-1].EndedAt.IsZero() {
			out[n-1] = l
			continue
		}
		if n := len(out); n > 0 && l.TransferredFrom == 0 {
			out[n-1] = l
			continue
		}
		out = append(out, l)
	}
	return out
}

func specialist(id int64, ext string) hotline.Operator {
	o := op(id, ext)
	o.Level = hotline.Level2
	return o
}

// transferHarness: operator 1 (1001) talks with caller c1; specialists 2 (2001) and 3 (2002).
func transferHarness(t *testing.T) (*harness, *legJournal, string) {
	t.Helper()
	h := newHarness(t, testConfig(), op(1, "1001"), specialist(2, "2001"), specialist(3, "2002"))
	lj := &legJournal{fakeJournal: h.j}
	h.s.jr = lj
	h.login("1001")
	h.arrive("c1", "79001112233")
	or := h.oneOriginate(0)
	h.answer(or)
	h.wantPresence(1, hotline.PresenceTalking)
	return h, lj, or.Channel
}

func (h *harness) key(ch, digits string) {
	for _, d := range strings.Split(digits, "") {
		h.send(DTMF{Channel: ch, Digit: d})
	}
}

// The handset's channel is originated with PJSIP_TRANSFER_HANDLING()=ari-only, so its REFERs reach
// hotline; no request of its own once it answers.
func TestOperatorLegAllowsTransfers(t *testing.T) {
	h, _, opCh := transferHarness(t)
	or := h.oneOriginate(0)
	if or.Channel != opCh || or.Variables["PJSIP_TRANSFER_HANDLING()"] != "ari-only" {
		t.Errorf("offer originate = %+v, want %s with PJSIP_TRANSFER_HANDLING()=ari-only", or, opCh)
	}
	h.wantOps(0, "add-to-bridge", "record-call")
	h.noOps(0, "set-variable")
}

// A code keyed during the call rings the specialist; on answer the caller talks to them on a new
// leg of the same case, with its own bridge and recording, and the first operator wraps up.
func TestTransferByCodeAnswered(t *testing.T) {
	h, lj, opCh := transferHarness(t)
	m := h.mark()
	h.key(opCh, "**2001#")
	h.wantOps(m, "remove-from-bridge c1-bridge", "play c1 ", "originate ")
	or := h.oneOriginate(m)
	if or.Endpoint != "PJSIP/2001" || or.Entry != (TransferTarget{Call: "c1"}) || or.CallerID != "+79001112233" ||
		or.Variables["PJSIP_TRANSFER_HANDLING()"] != "ari-only" {
		t.Errorf("transfer originate = %+v", or)
	}
	h.wantPresence(2, hotline.PresenceRinging)
	h.wantPresence(1, hotline.PresenceTalking) // still on the line until the target answers

	h.advance(5 * time.Second)
	m = h.mark()
	h.answer(or)
	h.wantOps(m, "create-bridge c1-bridge", "add-to-bridge c1-bridge", "record-call")
	h.noOps(m, "set-variable")
	h.wantPresence(1, hotline.PresenceWrapUp)
	h.wantPresence(2, hotline.PresenceTalking)

	h.advance(30 * time.Second)
	h.hangup("c1")
	legs := lj.legsOf("c1")
	if len(legs) != 2 {
		t.Fatalf("legs = %+v, want 2", legs)
	}
	first, second := legs[0], legs[1]
	if first.OperatorID != 1 || first.End != hotline.LegTransferred || !strings.HasPrefix(first.RecordingName, "call-c1-") {
		t.Errorf("first leg = %+v, want operator 1, transferred, recording call-c1-<n>", first)
	}
	if second.OperatorID != 2 || second.TransferredFrom != 1 || second.End != hotline.LegCompleted ||
		second.RecordingName == "" || second.RecordingName == first.RecordingName || !second.AnsweredAt.Equal(t0.Add(5*time.Second)) {
		t.Errorf("second leg = %+v, want operator 2 from 1, completed, its own recording, answered at +5s", second)
	}
	h.wantPresence(2, hotline.PresenceLoggedOut) // the specialist never logged in: not offered queue calls
}

// The target does not take the call: the caller hears why and is back with the first operator,
// whose leg goes on; the target is free again.
func TestTransferFailsCallerBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fail   func(h *harness, or Originate)
		prompt string
	}{
		{"no answer", func(h *harness, _ Originate) { h.advance(15 * time.Second) }, "sound:vm-isunavail"},
		{"busy", func(h *harness, or Originate) {
			h.send(ChannelDestroyed{Channel: or.Channel, Cause: 17})
		}, "sound:vm-isonphone"},
		{"unreachable", func(h *harness, or Originate) {
			h.send(ChannelDestroyed{Channel: or.Channel, Cause: 20})
		}, "sound:vm-isunavail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, lj, opCh := transferHarness(t)
			m := h.mark()
			h.key(opCh, "**2001#")
			or := h.oneOriginate(m)
			m = h.mark()
			tc.fail(h, or)
			h.wantOps(m, "add-to-bridge c1-bridge")
			if p := h.lastPlay("c1"); len(p.Media) != 1 || p.Media[0] != tc.prompt {
				t.Errorf("caller heard %v, want %s", p.Media, tc.prompt)
			}
			h.wantPresence(1, hotline.PresenceTalking)
			h.wantPresence(2, hotline.PresenceLoggedOut)
			if l := h.leg("c1"); l.OperatorID != 1 || !l.EndedAt.IsZero() {
				t.Errorf("leg after a failed transfer = %+v, want operator 1's, still open", l)
			}
			h.hangup("c1")
			if legs := lj.legsOf("c1"); len(legs) != 1 || legs[0].End != hotline.LegCompleted {
				t.Errorf("legs = %+v, want one, completed", legs)
			}
		})
	}
}

// Refused at once: nobody moves, the operator hears why.
func TestTransferRefused(t *testing.T) {
	for _, tc := range []struct{ name, digits, prompt string }{
		{"unknown extension", "**2999#", "sound:beeperr"},
		{"oneself", "**1001#", "sound:beeperr"},
		{"unknown topic", "*07#", "sound:beeperr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _, opCh := transferHarness(t)
			m := h.mark()
			h.key(opCh, tc.digits)
			h.noOps(m, "originate")
			h.noOps(m, "remove-from-bridge")
			if p := h.lastPlay(opCh); p.Media[0] != tc.prompt {
				t.Errorf("operator heard %v, want %s", p.Media, tc.prompt)
			}
		})
	}
}

// The first operator hangs up while the target rings (a blind transfer) and the target does not
// answer: the caller goes to the head of the queue on a new leg and the next operator gets them.
func TestTransferTransferorGoneCallerRequeued(t *testing.T) {
	h, lj, opCh := transferHarness(t)
	m := h.mark()
	h.key(opCh, "**2001#")
	or := h.oneOriginate(m)
	h.hangup(opCh)
	if _, live := h.s.calls["c1"]; !live {
		t.Fatal("the caller was dropped when the transferring operator hung up")
	}
	h.wantPresence(1, hotline.PresenceWrapUp)
	h.wantPresence(2, hotline.PresenceRinging)
	h.advance(15 * time.Second) // ring timeout; operator 1's wrap-up is over by then
	h.noOps(m, "hangup c1 ")
	h.wantOps(m, "hangup "+or.Channel, "play c1 ")
	// Operator 1 is free again and gets the caller, now first in the queue, on the new leg.
	again := h.originates(m)
	if len(again) != 2 || again[1].Endpoint != "PJSIP/1001" {
		t.Fatalf("originates %+v, want the transfer then operator 1 again", again)
	}
	legs := lj.legsOf("c1")
	if len(legs) != 2 || legs[0].End != hotline.LegTransferred || legs[1].TransferredFrom != 1 || legs[1].QueuedAt.IsZero() {
		t.Fatalf("legs = %+v, want the first transferred and a queued one from operator 1", legs)
	}
	h.answer(again[1])
	h.hangup("c1")
	legs = lj.legsOf("c1")
	if len(legs) != 2 || legs[1].OperatorID != 1 || legs[1].End != hotline.LegCompleted {
		t.Errorf("legs = %+v, want the second answered by operator 1 and completed", legs)
	}
}

// A REFER from the handset: progress is reported back; an attended REFER is declined.
func TestTransferByREFER(t *testing.T) {
	h, lj, opCh := transferHarness(t)
	m := h.mark()
	h.send(Transfer{Channel: opCh, Destination: "sip:2001@hotline"})
	h.wantOps(m, "transfer-progress "+opCh+" channel_progress", "originate")
	or := h.oneOriginate(m)
	if or.Endpoint != "PJSIP/2001" {
		t.Fatalf("rang %s, want PJSIP/2001", or.Endpoint)
	}
	m = h.mark()
	h.answer(or)
	h.wantOps(m, "transfer-progress "+opCh+" channel_answered")
	h.hangup(opCh) // the handset hangs up after a successful transfer
	h.wantPresence(2, hotline.PresenceTalking)
	h.hangup("c1")
	if legs := lj.legsOf("c1"); len(legs) != 2 || legs[1].OperatorID != 2 || legs[1].End != hotline.LegCompleted {
		t.Errorf("legs = %+v", legs)
	}

	h2, _, opCh2 := transferHarness(t)
	m = h2.mark()
	h2.send(Transfer{Channel: opCh2, Replaces: "consult"})
	h2.wantOps(m, "transfer-progress "+opCh2+" channel_declined")
	h2.noOps(m, "originate")
}

// "*0<topic>#": the first free specialist the topic's scripts recommend; a busy one is skipped.
func TestTransferByTopic(t *testing.T) {
	h, _, opCh := transferHarness(t)
	// Both specialists log in; 3 (first recommended) is then paused.
	h.login("2001")
	h.login("2002")
	h.s.operators[3].paused = true
	m := h.mark()
	h.key(opCh, "*05#")
	if or := h.oneOriginate(m); or.Endpoint != "PJSIP/2001" {
		t.Errorf("rang %s, want the free recommended specialist PJSIP/2001", or.Endpoint)
	}
}

// Attended: the operator's handset calls specialist 2001 through hotline (a consultation), then
// sends a REFER replacing that call: the caller joins the specialist, on a new leg.
func TestAttendedTransferJoinsConsultation(t *testing.T) {
	h, lj, opCh := transferHarness(t)
	m := h.mark()
	h.send(StasisStart{Channel: "a2", Name: "PJSIP/1001-00000009", Entry: Consult{Extension: "2001"}})
	or := h.oneOriginate(m)
	if or.Endpoint != "PJSIP/2001" || entryKind(or.Entry) != "consulted" || or.Variables["PJSIP_TRANSFER_HANDLING()"] != "ari-only" {
		t.Fatalf("consultation originate = %+v", or)
	}
	h.answer(or)
	// The operator's own consultation channel came from the dialplan: its transfers are allowed by a request.
	h.wantOps(m, "set-variable a2 PJSIP_TRANSFER_HANDLING()=ari-only", "answer a2", "create-bridge", "add-to-bridge "+or.Channel+"-bridge a2,"+or.Channel)
	m = h.mark()
	h.send(Transfer{Channel: opCh, Replaces: "a2"})
	h.wantOps(m, "transfer-progress "+opCh+" channel_answered", "hangup a2", "add-to-bridge "+or.Channel+"-bridge c1", "record-call")
	h.noOps(m, "set-variable") // the specialist's handset allows transfers since it was originated
	h.hangup("a2")             // must not end the specialist's side, now the caller's
	h.noOps(m, "hangup "+or.Channel)
	h.wantPresence(2, hotline.PresenceTalking)
	h.wantPresence(1, hotline.PresenceWrapUp)
	h.hangup("c1")
	legs := lj.legsOf("c1")
	if len(legs) != 2 || legs[0].End != hotline.LegTransferred || legs[1].OperatorID != 2 || legs[1].TransferredFrom != 1 || legs[1].End != hotline.LegCompleted {
		t.Errorf("legs = %+v, want operator 1's transferred, then specialist 2's completed", legs)
	}
	// The transferred leg names the consultation's bridge (queue_log's ATTENDEDTRANSFER); the
	// specialist's leg, not transferred, none.
	if len(legs) == 2 && (legs[0].TransferBridge != or.Channel+"-bridge" || legs[1].TransferBridge != "") {
		t.Errorf("transfer bridges = %q, %q; want %q, \"\"", legs[0].TransferBridge, legs[1].TransferBridge, or.Channel+"-bridge")
	}
}

// Without a wrap-up the transferring operator's handset is hung up at once after an attended
// transfer: the handset is told the transfer succeeded first, on the same lane (requests of one
// lane run in order; those of two lanes race, and the hang-up used to win on the sandbox).
func TestAttendedTransferToldBeforeHangupWithoutWrapUp(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.WrapUp = 0
	h := newHarness(t, cfg, op(1, "1001"), specialist(2, "2001"))
	h.s.jr = &legJournal{fakeJournal: h.j}
	h.login("1001")
	h.arrive("c1", "79001112233")
	in := h.oneOriginate(0)
	h.answer(in)
	opCh := in.Channel
	m := h.mark()
	h.send(StasisStart{Channel: "a2", Name: "PJSIP/1001-00000009", Entry: Consult{Extension: "2001"}})
	h.answer(h.oneOriginate(m))
	m = h.mark()
	h.send(Transfer{Channel: opCh, Replaces: "a2"})
	var onHandset []string
	for i := m; i < len(h.ops); i++ {
		if h.lanes[i] == opCh {
			onHandset = append(onHandset, fmt.Sprint(h.ops[i]))
		}
	}
	want := []string{"transfer-progress " + opCh + " channel_answered", "hangup " + opCh + " normal"}
	if len(onHandset) < 2 || onHandset[0] != want[0] || !slices.Contains(onHandset[1:], want[1]) {
		t.Errorf("requests on the handset's lane %s = %q; want %q first, then %q", opCh, onHandset, want[0], want[1])
	}
	h.wantPresence(1, hotline.PresenceAvailable)
}

// A consultation ends when either side hangs up; an attended REFER for a call hotline did not
// place is declined.
func TestConsultationEnds(t *testing.T) {
	h, _, opCh := transferHarness(t)
	m := h.mark()
	h.send(StasisStart{Channel: "a2", Name: "PJSIP/1001-00000009", Entry: Consult{Extension: "2001"}})
	or := h.oneOriginate(m)
	h.answer(or)
	h.hangup(or.Channel)
	h.wantOps(m, "hangup a2")
	m = h.mark()
	h.send(Transfer{Channel: opCh, Replaces: "a2"})
	h.wantOps(m, "transfer-progress "+opCh+" channel_declined")
	h.wantPresence(1, hotline.PresenceTalking)
}

// *26 after a transfer files "forwarded with notice" to the transfer's target; without a transfer
// it is refused.
func TestForwardedAfterTransfer(t *testing.T) {
	h, fj, opCh := transferHarness(t)
	feature := func(ch string) {
		h.send(StasisStart{Channel: ch, Name: "PJSIP/1001-0000000f", Entry: Feature{Action: "forwarded"}})
	}
	feature("f1")
	if p := h.lastPlay("f1"); p.Media[0] != "sound:beeperr" || len(fj.forwarded) != 0 {
		t.Errorf("*26 before any transfer: heard %v, forwarded %v; want refused", p.Media, fj.forwarded)
	}
	m := h.mark()
	h.key(opCh, "**2001#")
	h.answer(h.oneOriginate(m))
	feature("f2")
	if len(fj.forwarded) != 1 || fj.forwarded[0] != (CaseForwarded{CallID: "c1", By: 1, To: 2, Reached: true}) {
		t.Errorf("forwarded = %v, want the case of c1, by 1, handed to 2 who answered", fj.forwarded)
	}
	if p := h.lastPlay("f2"); p.Media[0] != "sound:beep" {
		t.Errorf("*26 after the transfer: heard %v, want a beep", p.Media)
	}
}

// «*26» after a transfer the colleague did not answer: the case is forwarded with notice to them
// (a delayed answer of theirs), not handed over.
func TestForwardedAfterUnansweredTransfer(t *testing.T) {
	h, fj, opCh := transferHarness(t)
	m := h.mark()
	h.key(opCh, "**2001#")
	h.oneOriginate(m)
	h.advance(h.s.cfg.RingTimeout)
	h.send(StasisStart{Channel: "f1", Name: "PJSIP/1001-0000000f", Entry: Feature{Action: "forwarded"}})
	if len(fj.forwarded) != 1 || fj.forwarded[0] != (CaseForwarded{CallID: "c1", By: 1, To: 2}) {
		t.Errorf("forwarded = %v, want the case of c1, by 1, to 2 not reached", fj.forwarded)
	}
}

// A level-1 colleague rung or talking on a consultation call is busy: the next caller waits for
// them, and is offered to them once the consultation ends.
func TestConsultedColleagueIsNotOffered(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.login("1001")
	h.arrive("c1", "79001112233")
	h.answer(h.oneOriginate(0))
	h.login("1002")
	m := h.mark()
	h.send(StasisStart{Channel: "a2", Name: "PJSIP/1001-00000009", Entry: Consult{Extension: "1002"}})
	consult := h.oneOriginate(m)
	h.wantPresence(2, hotline.PresenceRinging)
	h.answer(consult)
	h.wantPresence(2, hotline.PresenceTalking)

	m = h.mark()
	h.arrive("c2", "79005556677")
	if or := h.originates(m); len(or) != 0 {
		t.Fatalf("caller offered to %v while the colleague is on the consultation", or)
	}
	h.hangup(consult.Channel)
	or := h.oneOriginate(m)
	if or.Endpoint != "PJSIP/1002" {
		t.Errorf("after the consultation c2 is offered to %s, want PJSIP/1002", or.Endpoint)
	}
}

// Asterisk restarts during a consultation: its channels are not in the inventory after the
// reconnection, so the consultation is over and the colleague may be offered callers again.
func TestConsultationGoneWithAsterisk(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.login("1001")
	h.login("1002")
	m := h.mark()
	h.send(StasisStart{Channel: "a2", Name: "PJSIP/1001-00000009", Entry: Consult{Extension: "1002"}})
	h.answer(h.oneOriginate(m))
	h.wantPresence(2, hotline.PresenceTalking)
	h.send(Disconnected{}, Connected{}, Inventory{})
	h.wantPresence(2, hotline.PresenceAvailable)
}

// «*26» keyed while the colleague's handset still rings (a blind transfer, the operator gone):
// filed when the ringing ends — handed over if they answer, forwarded with notice if not.
func TestForwardedWhileTheColleagueRings(t *testing.T) {
	for _, answers := range []bool{true, false} {
		h, fj, opCh := transferHarness(t)
		m := h.mark()
		h.key(opCh, "**2001#")
		or := h.oneOriginate(m)
		h.send(StasisStart{Channel: "f1", Name: "PJSIP/1001-0000000f", Entry: Feature{Action: "forwarded"}})
		if len(fj.forwarded) != 0 {
			t.Fatalf("answers=%v: filed %v before the colleague's handset stopped ringing", answers, fj.forwarded)
		}
		if p := h.lastPlay("f1"); p.Media[0] != "sound:beep" {
			t.Errorf("answers=%v: *26 while ringing: heard %v, want a beep (noted)", answers, p.Media)
		}
		if answers {
			h.answer(or)
		} else {
			h.advance(h.s.cfg.RingTimeout)
		}
		want := CaseForwarded{CallID: "c1", By: 1, To: 2, Reached: answers}
		if len(fj.forwarded) != 1 || fj.forwarded[0] != want {
			t.Errorf("answers=%v: forwarded = %v, want %v", answers, fj.forwarded, want)
		}
	}
}

// The handset's transfer button to a colleague who cannot take the call is refused at once; many
// handsets (baresip among them) then hang up their call. The caller is not dropped: they go to the
// head of the queue (issue 19). Asterisk's echo of the refusal (a ChannelTransfer with a final
// state) is not a second request.
func TestRefusedREFERThenHandsetHangsUp(t *testing.T) {
	h, lj, opCh := transferHarness(t)
	m := h.mark()
	h.send(Transfer{Channel: opCh, Destination: "sip:9999@hotline"}) // nobody has that extension
	h.wantOps(m, "transfer-progress "+opCh+" channel_declined")
	plays := len(h.opsSince(m))
	h.send(Transfer{Channel: opCh, Destination: "sip:9999@hotline", State: "channel_declined"})
	if n := len(h.opsSince(m)); n != plays {
		t.Errorf("the echo of the refusal was handled as a request: %v", h.opsSince(m)[plays:])
	}
	m = h.mark()
	h.hangup(opCh)
	h.noOps(m, "hangup c1")
	st := h.status()
	if len(st.Queue) != 1 || st.Queue[0].CallID != "c1" || st.Queue[0].Position != 1 || st.Queue[0].Priority < 3 {
		t.Fatalf("queue = %+v, want the caller back at its head", st.Queue)
	}
	h.wantPresence(1, hotline.PresenceWrapUp)
	legs := lj.legsOf("c1")
	if len(legs) != 2 || legs[0].End != hotline.LegTransferred || legs[1].TransferredFrom != 1 || !legs[1].EndedAt.IsZero() {
		t.Errorf("legs = %+v, want the first ended handed on and a new one waiting, from operator 1", legs)
	}
	// Long after a refusal, a hang-up is the operator ending the call.
	h2, _, opCh2 := transferHarness(t)
	h2.send(Transfer{Channel: opCh2, Destination: "sip:9999@hotline"})
	h2.advance(referGiveUp)
	m = h2.mark()
	h2.hangup(opCh2)
	h2.wantOps(m, "hangup c1")
}

// Asterisk repeats a REFER's ChannelTransfer after the transfer is done, carrying the progress
// hotline reported (an echo, never a request). Without a wrap-up the operator is free at once, so
// the handset's channel is in no call of hotline's: the echo must still be ignored, not declined
// (a NOTIFY 503 telling the handset that a transfer which succeeded failed).
func TestTransferEchoAfterTheTransferIsIgnored(t *testing.T) {
	h, _, opCh := transferHarness(t)
	h.s.cfg.Routing.WrapUp = 0
	m := h.mark()
	h.send(Transfer{Channel: opCh, Destination: "sip:2001@hotline"})
	h.answer(h.oneOriginate(m))
	h.wantOps(m, "transfer-progress "+opCh+" channel_answered")
	h.wantPresence(1, hotline.PresenceAvailable)
	// The handset is hung up at once (no wrap-up): the answer must reach it first, so both run on
	// one lane in that order (on two lanes the hangup could win, and Asterisk tells the handset 503).
	progress, hangup := -1, -1
	for i := m; i < len(h.ops); i++ {
		switch h.ops[i].String() {
		case "transfer-progress " + opCh + " channel_answered":
			progress = i
		case "hangup " + opCh + " normal":
			hangup = i
		}
	}
	if progress < 0 || hangup < 0 || h.lanes[progress] != h.lanes[hangup] || progress > hangup {
		t.Fatalf("the answer to the REFER (op %d) and the handset's hangup (op %d) are not in order on one lane: %v", progress, hangup, h.lanes)
	}
	m = h.mark()
	for _, state := range []string{progressAnswered, progressDeclined, progressUnavailable} {
		h.send(Transfer{Channel: opCh, Destination: "sip:2001@hotline", State: state})
	}
	h.noOps(m, "transfer-progress")
	h.noOps(m, "originate")
}
