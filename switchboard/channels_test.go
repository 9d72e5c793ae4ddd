package switchboard

import "testing"

// ownerOf, through a call's life: each channel is owned by the registry its role puts it in, for
// the caller and operator it serves; strangers and ended channels by none.
func TestOwnerOf(t *testing.T) {
	h, _, opCh := transferHarness(t) // operator 1 (1001) talks with c1 on opCh
	type want struct {
		kind ownerKind
		call string // "" no call
		op   int64  // 0 no operator
	}
	check := func(step string, wants map[string]want) {
		t.Helper()
		for ch, w := range wants {
			got := h.s.ownerOf(ch)
			var call string
			var op int64
			if got.call != nil {
				call = got.call.id
			}
			if got.op != nil {
				op = got.op.ID
			}
			if got.kind != w.kind || call != w.call || op != w.op {
				t.Errorf("%s: ownerOf(%s) = %s, call %q, operator %d; want %s, %q, %d", step, ch, got.kind, call, op, w.kind, w.call, w.op)
			}
		}
	}
	check("talking", map[string]want{
		"c1":       {ownedByCaller, "c1", 1},
		opCh:       {ownedByOffer, "c1", 1},
		"stranger": {ownedByNone, "", 0},
	})

	m := h.mark()
	h.key(opCh, "**2001#")
	xf := h.oneOriginate(m)
	check("transfer ringing", map[string]want{xf.Channel: {ownedByTransfer, "c1", 2}, opCh: {ownedByOffer, "c1", 1}})

	h.answer(xf)
	check("transferred", map[string]want{xf.Channel: {ownedByOffer, "c1", 2}, "c1": {ownedByCaller, "c1", 2}})

	// Operator 1, in wrap-up, consults a colleague from a second call.
	h.hangup(opCh)
	m = h.mark()
	h.send(StasisStart{Channel: "a2", Name: "PJSIP/1001-00000009", Entry: Consult{Extension: "2002"}})
	cs := h.oneOriginate(m)
	check("consulting", map[string]want{"a2": {ownedByConsult, "", 1}, cs.Channel: {ownedByConsult, "", 1}, opCh: {ownedByNone, "", 0}})

	h.send(StasisStart{Channel: "f1", Name: "PJSIP/1001-0000000f", Entry: Feature{Action: "login"}})
	check("feature code", map[string]want{"f1": {ownedByFeature, "", 0}})

	h.hangup("c1")
	h.hangup("a2")
	h.hangup("f1")
	check("ended", map[string]want{"c1": {ownedByNone, "", 0}, "a2": {ownedByNone, "", 0}, cs.Channel: {ownedByNone, "", 0},
		"f1": {ownedByNone, "", 0}})
}

// A callback being dialled is owned by the callback for its reserved operator; once answered, the
// channel is a caller's.
func TestOwnerOfCallback(t *testing.T) {
	h := callbackHarness(t, testConfig())
	m := h.mark()
	h.login("1001")
	dial := h.oneOriginate(m)
	if got := h.s.ownerOf(dial.Channel); got.kind != ownedByCallback || got.op == nil || got.op.ID != 1 || got.callback.callID != "c2" {
		t.Errorf("dialling: ownerOf = %+v", got)
	}
	h.answer(dial)
	if got := h.s.ownerOf(dial.Channel); got.kind != ownedByCaller || got.call.id != dial.Channel {
		t.Errorf("answered: ownerOf = %+v", got)
	}
}
