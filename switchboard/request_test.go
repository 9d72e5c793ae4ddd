package switchboard

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// The workplace's requests (Transfer, CallBack) on the loop, as the page asks them.

var (
	adminActor = hotline.Actor{Login: "admin", OperatorID: 9, Role: hotline.RoleAdministrator}
	op1Actor   = hotline.Actor{Login: "op1", OperatorID: 1, Role: hotline.RoleOperator}
	op2Actor   = hotline.Actor{Login: "op2", OperatorID: 2, Role: hotline.RoleOperator}
)

func (h *harness) transfer(by hotline.Actor, opID int64, call string, to int64) error {
	return h.request(func(s *Switchboard) error { return s.requestTransfer(by, opID, call, to) })
}

// Asked from the page, the transfer is the handset's: the target rings, the caller holds; when
// the target answers the caller talks to them on a new leg and the first operator wraps up.
func TestTransferRequestAnswered(t *testing.T) {
	for _, by := range []hotline.Actor{op1Actor, adminActor} {
		t.Run(by.Login, func(t *testing.T) {
			h, lj, _ := transferHarness(t)
			m := h.mark()
			if err := h.transfer(by, 1, "c1", 2); err != nil {
				t.Fatalf("Transfer: %v", err)
			}
			h.wantOps(m, "remove-from-bridge c1-bridge", "play c1 ", "originate ")
			or := h.oneOriginate(m)
			if or.Endpoint != "PJSIP/2001" || or.Entry != (TransferTarget{Call: "c1"}) {
				t.Errorf("transfer originate = %+v", or)
			}
			if p := h.lastPlay("c1"); p.Media[0] != "sound:pls-hold-while-try" {
				t.Errorf("caller heard %v, want to hold", p.Media)
			}
			h.diffView(t, "c1", func(v CallView) bool { return v.TransferTo == 2 && v.OperatorID == 1 })
			h.answer(or)
			h.wantPresence(1, hotline.PresenceWrapUp)
			h.wantPresence(2, hotline.PresenceTalking)
			h.diffView(t, "c1", func(v CallView) bool { return v.TransferTo == 0 && v.OperatorID == 2 && v.Phase == PhaseTalking })
			h.hangup("c1")
			legs := lj.legsOf("c1")
			if len(legs) != 2 || legs[0].End != hotline.LegTransferred || legs[1].OperatorID != 2 || legs[1].TransferredFrom != 1 {
				t.Errorf("legs = %+v, want operator 1's transferred, then operator 2's from 1", legs)
			}
		})
	}
}

// diffView checks the call as a snapshot shows it now.
func (h *harness) diffView(t *testing.T, call string, ok func(CallView) bool) {
	t.Helper()
	h.s.diff()
	for _, v := range h.s.live.snapshot().Calls {
		if v.ID == call {
			if !ok(v) {
				t.Errorf("call in the snapshot = %+v", v)
			}
			return
		}
	}
	t.Errorf("call %s not in the snapshot", call)
}

// The target does not answer: the caller is back with the first operator, who is told.
func TestTransferRequestNotAnswered(t *testing.T) {
	h, _, opCh := transferHarness(t)
	m := h.mark()
	if err := h.transfer(op1Actor, 1, "c1", 3); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	or := h.oneOriginate(m)
	m = h.mark()
	h.advance(15 * time.Second)
	h.wantOps(m, "hangup "+or.Channel, "add-to-bridge c1-bridge")
	if p := h.lastPlay(opCh); p.Media[0] != "sound:vm-isunavail" {
		t.Errorf("operator heard %v, want unavailable", p.Media)
	}
	h.wantPresence(1, hotline.PresenceTalking)
	h.wantPresence(3, hotline.PresenceLoggedOut)
	if l := h.leg("c1"); l.OperatorID != 1 || !l.EndedAt.IsZero() {
		t.Errorf("leg = %+v, want operator 1's, still open", l)
	}
}

// Refusals come back at once, with their codes; nobody moved. Those the transfer itself makes
// are also told to the operator's ear, as on the handset.
func TestTransferRequestRefused(t *testing.T) {
	busy := func(h *harness) {
		// Operator 4 (level 1) joins and talks with another caller.
		h.j.operators = append(h.j.operators, op(4, "1002"))
		h.s.reloadOperators()
		h.settle()
		h.login("1002")
		m := h.mark()
		h.arrive("c2", "79005556677")
		h.answer(h.oneOriginate(m))
		h.wantPresence(4, hotline.PresenceTalking)
	}
	for _, tc := range []struct {
		name   string
		setup  func(h *harness)
		by     hotline.Actor
		op     int64
		call   string
		to     int64
		code   string
		words  string
		prompt string // what the operator hears; "": nothing
	}{
		{"another operator asks", nil, op2Actor, 1, "c1", 2, hotline.EFORBIDDEN, "only an administrator or the operator themself", ""},
		{"no actor", nil, hotline.Actor{}, 1, "c1", 2, hotline.EINVALID, "actor", ""},
		{"unknown operator", nil, adminActor, 7, "c1", 2, hotline.ENOTFOUND, "operator 7", ""},
		{"no such call", nil, op1Actor, 1, "c9", 2, hotline.ECONFLICT, "moved on", ""},
		{"operator not on the call", nil, op2Actor, 2, "c1", 3, hotline.ECONFLICT, "not talking on call c1", ""},
		{"unknown target", nil, op1Actor, 1, "c1", 42, hotline.ENOTFOUND, "operator 42", "sound:beeperr"},
		{"oneself", nil, op1Actor, 1, "c1", 1, hotline.EINVALID, "themself", "sound:beeperr"},
		{"target busy", busy, op1Actor, 1, "c1", 4, hotline.ECONFLICT, "busy", "sound:vm-isonphone"},
		{"target calling back", func(h *harness) {
			h.s.cfg.CallbackDial = "PJSIP/callers/sip:{number}@127.0.0.1:5999"
			h.login("2001")
			if err := h.callBack(op2Actor, 2, "+79002223344", 3); err != nil {
				h.t.Fatal(err)
			}
		}, op1Actor, 1, "c1", 2, hotline.ECONFLICT, "busy", "sound:vm-isonphone"},
		{"target unreachable", func(h *harness) {
			h.send(DeviceState{Extension: "2001", Reachable: false})
		}, op1Actor, 1, "c1", 2, hotline.ECONFLICT, "not reachable", "sound:vm-isunavail"},
		{"transfer under way", func(h *harness) {
			if err := h.transfer(op1Actor, 1, "c1", 3); err != nil {
				h.t.Fatalf("first transfer: %v", err)
			}
		}, op1Actor, 1, "c1", 2, hotline.ECONFLICT, "already under way", "sound:beeperr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _, opCh := transferHarness(t)
			if tc.setup != nil {
				tc.setup(h)
			}
			m := h.mark()
			err := h.transfer(tc.by, tc.op, tc.call, tc.to)
			if hotline.ErrorCode(err) != tc.code || !strings.Contains(hotline.ErrorMessage(err), tc.words) {
				t.Fatalf("Transfer = %v (%s), want %s saying %q", err, hotline.ErrorCode(err), tc.code, tc.words)
			}
			var heard []string
			for _, o := range h.ops[m:] {
				if p, ok := o.(Play); ok && p.Channel == opCh {
					heard = append(heard, p.Media...)
				}
			}
			if want := tc.prompt; (want == "" && len(heard) != 0) || (want != "" && (len(heard) != 1 || heard[0] != want)) {
				t.Errorf("operator heard %v, want %q", heard, want)
			}
			h.noOps(m, "originate")
			h.noOps(m, "remove-from-bridge")
			if l := h.leg("c1"); l.OperatorID != 1 || !l.EndedAt.IsZero() {
				t.Errorf("leg = %+v, want operator 1's, still open", l)
			}
		})
	}
}

// pageCallbackHarness: specialist 2 (2001) logged in and free, operator 1 too; call-backs dialled.
func pageCallbackHarness(t *testing.T, dial string) *harness {
	t.Helper()
	cfg := testConfig()
	cfg.CallbackDial = dial
	h := newHarness(t, cfg, op(1, "1001"), specialist(2, "2001"))
	h.login("2001")
	return h
}

func (h *harness) callBack(by hotline.Actor, opID int64, number string, caseID int64) error {
	return h.request(func(s *Switchboard) error { return s.requestCallBack(by, opID, number, caseID) })
}

// A specialist's call-back: the specialist is reserved while hotline dials the number (E.164);
// the person answers and is offered to that specialist at once (not another free operator), then
// bridged and recorded; the case's history has the attempt and the answer, which names the call.
func TestCallBackRequest(t *testing.T) {
	h := pageCallbackHarness(t, "PJSIP/callers/sip:{number}@127.0.0.1:5999")
	h.login("1001") // free too, and first by routing's order: the call-back must not go to them
	m := h.mark()
	if err := h.callBack(op2Actor, 2, "8 (900) 222-33-44", 42); err != nil {
		t.Fatalf("CallBack: %v", err)
	}
	dial := h.oneOriginate(m)
	if dial.Endpoint != "PJSIP/callers/sip:+79002223344@127.0.0.1:5999" || entryKind(dial.Entry) != "callback" {
		t.Fatalf("dialled %+v", dial)
	}
	h.wantPresence(2, hotline.PresenceRinging) // reserved
	h.wantPresence(1, hotline.PresenceAvailable)
	if len(h.j.notes) != 1 || h.j.notes[0] != (CaseCallback{CaseID: 42, OperatorID: 2, Number: "+79002223344",
		CallID: dial.Channel, What: CaseCallbackDialled, By: "op2"}) {
		t.Errorf("noted %+v, want the dialling on case 42", h.j.notes)
	}
	if len(h.j.delayed) != 0 {
		t.Errorf("a callback of the overflow's written: %+v", h.j.delayed)
	}
	m = h.mark()
	started := len(h.j.started)
	h.answer(dial)
	if len(h.j.started) != started+1 || h.j.started[started].CallID != dial.Channel || h.j.started[started].CallbackFor != "" {
		t.Errorf("call not filed as a call of its own: %+v", h.j.started[started:])
	}
	if len(h.j.notes) != 2 || h.j.notes[1].What != CaseCallbackAnswered || h.j.notes[1].CaseID != 42 || h.j.notes[1].CallID != dial.Channel {
		t.Errorf("noted %+v, want the answer on case 42 naming the call", h.j.notes)
	}
	offer := h.oneOriginate(m)
	if offer.Endpoint != "PJSIP/2001" || entryCall(offer.Entry) != dial.Channel {
		t.Fatalf("offered %+v, want the specialist's handset", offer)
	}
	m = h.mark()
	h.answer(offer)
	h.wantOps(m, "create-bridge", "add-to-bridge", "record-call")
	h.wantPresence(2, hotline.PresenceTalking)
	h.hangup(dial.Channel)
	if l := h.leg(dial.Channel); l.End != hotline.LegCompleted || l.OperatorID != 2 || l.RecordingName == "" {
		t.Errorf("leg = %+v, want completed by the specialist, recorded", l)
	}
	if len(h.j.connected) != 0 {
		t.Errorf("a delayed answer of a call connected: %+v", h.j.connected)
	}
}

// Not answered: the specialist is free again at once, the case says so, and nothing is retried.
func TestCallBackRequestNotAnswered(t *testing.T) {
	h := pageCallbackHarness(t, "PJSIP/callers/sip:{number}@127.0.0.1:5999")
	m := h.mark()
	if err := h.callBack(adminActor, 2, "+79002223344", 7); err != nil {
		t.Fatalf("CallBack: %v", err)
	}
	dial := h.oneOriginate(m)
	h.send(ChannelDestroyed{Channel: dial.Channel, Cause: 17})
	h.wantPresence(2, hotline.PresenceAvailable)
	if n := h.j.notes; len(n) != 2 || n[1].What != CaseCallbackNotAnswered || n[1].CaseID != 7 || !strings.Contains(n[1].Why, "17") {
		t.Errorf("noted %+v, want the failure on case 7", n)
	}
	m = h.mark()
	h.advance(2 * time.Hour)
	if or := h.originates(m); len(or) != 0 {
		t.Errorf("dialled again: %+v", or)
	}
}

// A call-back dialled by an earlier run (the daemon restarted while the phone rang) still knows its
// case from the channel's Stasis args.
func TestCallBackRequestAnsweredAfterRestart(t *testing.T) {
	h := pageCallbackHarness(t, "PJSIP/callers/sip:{number}@127.0.0.1:5999")
	h.send(StasisStart{Channel: "case42-cb17", Name: "PJSIP/callers-0001", Entry: Callback{Call: "case42", Number: "+79002223344"}})
	if n := h.j.notes; len(n) != 1 || n[0].What != CaseCallbackAnswered || n[0].CaseID != 42 || n[0].CallID != "case42-cb17" {
		t.Errorf("noted %+v, want the answer on case 42", n)
	}
	if st := h.j.started; len(st) != 1 || st[0].CallbackFor != "" {
		t.Errorf("filed %+v, want a call of its own", st)
	}
}

func TestCallBackRequestRefused(t *testing.T) {
	const dial = "PJSIP/callers/sip:{number}@127.0.0.1:5999"
	for _, tc := range []struct {
		name   string
		dial   string
		setup  func(h *harness)
		by     hotline.Actor
		op     int64
		number string
		caseID int64
		code   string
		words  string
	}{
		{"not configured", "", nil, op2Actor, 2, "+79002223344", 1, hotline.EUNAVAILABLE, "calls.callback_dial"},
		{"another operator asks", dial, nil, op1Actor, 2, "+79002223344", 1, hotline.EFORBIDDEN, "only an administrator or the operator themself"},
		{"unknown operator", dial, nil, adminActor, 8, "+79002223344", 1, hotline.ENOTFOUND, "operator 8"},
		{"not a number", dial, nil, op2Actor, 2, "<script>", 1, hotline.EINVALID, "not a phone number"},
		{"extension", dial, nil, op2Actor, 2, "1001", 1, hotline.EINVALID, "not a phone number"},
		{"no case", dial, nil, op2Actor, 2, "+79002223344", 0, hotline.EINVALID, "case"},
		{"paused", dial, func(h *harness) {
			h.request(func(s *Switchboard) error { return s.pause(s.operators[2], "1") })
		}, op2Actor, 2, "+79002223344", 1, hotline.ECONFLICT, "not free"},
		{"logged out", dial, func(h *harness) {
			h.request(func(s *Switchboard) error { s.logout(s.operators[2]); return nil })
		}, op2Actor, 2, "+79002223344", 1, hotline.ECONFLICT, "not free"},
		{"talking", dial, func(h *harness) {
			h.login("1001")
			m := h.mark()
			h.arrive("c1", "79005556677")
			h.answer(h.oneOriginate(m))
		}, op1Actor, 1, "+79002223344", 1, hotline.ECONFLICT, "not free"},
		{"already calling back", dial, func(h *harness) {
			if err := h.callBack(op2Actor, 2, "+79001112233", 1); err != nil {
				h.t.Fatal(err)
			}
		}, op2Actor, 2, "+79002223344", 1, hotline.ECONFLICT, "not free"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := pageCallbackHarness(t, tc.dial)
			if tc.setup != nil {
				tc.setup(h)
			}
			m, notes := h.mark(), len(h.j.notes)
			err := h.callBack(tc.by, tc.op, tc.number, tc.caseID)
			if hotline.ErrorCode(err) != tc.code || !strings.Contains(hotline.ErrorMessage(err), tc.words) {
				t.Fatalf("CallBack = %v (%s), want %s saying %q", err, hotline.ErrorCode(err), tc.code, tc.words)
			}
			h.noOps(m, "originate")
			if len(h.j.notes) != notes {
				t.Errorf("noted %+v after a refusal", h.j.notes[notes:])
			}
		})
	}
}

func TestCaseCallID(t *testing.T) {
	for _, tc := range []struct {
		call string
		id   int64
		ok   bool
	}{
		{caseCallID(42), 42, true}, {"case0", 0, false}, {"case-1", 0, false}, {"case007", 0, false},
		{"1700000000.12", 0, false}, {"case", 0, false},
	} {
		if id, ok := caseOfCallback(tc.call); id != tc.id || ok != tc.ok {
			t.Errorf("caseOfCallback(%q) = %d, %v; want %d, %v", tc.call, id, ok, tc.id, tc.ok)
		}
	}
}

// The snapshot shows the hotline number the caller dialled (the caller card's line), and a
// consumer following the feed sees it too.
func TestCallViewLine(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	f := h.follow()
	h.send(StasisStart{Channel: "c1", Name: "PJSIP/trunk-0001", CallerNumber: "79001112233", Exten: "0800", Entry: Inbound{}})
	h.diffView(t, "c1", func(v CallView) bool { return v.Line == "0800" })
	h.finishPlay("c1")
	f.drain()
	if len(f.snap.Calls) != 1 || f.snap.Calls[0].Line != "0800" {
		t.Errorf("followed calls %+v, want c1 on line 0800", f.snap.Calls)
	}
}

// Asterisk refuses to dial: the specialist is released and the case says why; no retry.
func TestCallBackRequestOriginateRefused(t *testing.T) {
	h := pageCallbackHarness(t, "PJSIP/callers/sip:{number}@127.0.0.1:5999")
	h.fail = func(o Op) error {
		if or, ok := o.(Originate); ok && entryKind(or.Entry) == "callback" {
			return hotline.Errorf(hotline.EUNAVAILABLE, "no route")
		}
		return nil
	}
	m := h.mark()
	if err := h.callBack(op2Actor, 2, "+79002223344", 5); err != nil {
		t.Fatalf("CallBack: %v", err)
	}
	dial := h.oneOriginate(m)
	h.wantOps(m, "originate", "hangup "+dial.Channel)
	h.wantPresence(2, hotline.PresenceAvailable)
	if n := h.j.notes; len(n) != 2 || n[1].What != CaseCallbackNotAnswered || !strings.Contains(n[1].Why, "no route") {
		t.Errorf("noted %+v, want the dialling, then why it failed", n)
	}
	m = h.mark()
	h.advance(time.Hour)
	if or := h.originates(m); len(or) != 0 {
		t.Errorf("dialled again: %+v", or)
	}
}
