package switchboard

import (
	"slices"
	"testing"

	"github.com/hotline-dev/hotline"
)

// Asterisk hanging channels up by itself (a graceful restart) cuts calls: "failed", whichever
// side goes first; the same ends without the soft request are ordinary.
func TestCutByAsterisk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bridged bool
		side    string // "caller" or "operator": whose channel goes first
		soft    bool
		want    hotline.LegEnd
	}{
		{"queued caller cut", false, "caller", true, hotline.LegFailed},
		{"queued caller hangs up", false, "caller", false, hotline.LegAbandoned},
		{"bridged, caller's side cut first", true, "caller", true, hotline.LegFailed},
		{"bridged, operator's side cut first", true, "operator", true, hotline.LegFailed},
		{"bridged, operator hangs up", true, "operator", false, hotline.LegCompleted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			h.arrive("c1", "201")
			first := "c1"
			if tc.bridged {
				h.login("1001")
				or := h.oneOriginate(0)
				h.answer(or)
				if tc.side == "operator" {
					first = or.Channel
				}
			}
			h.send(ChannelHangupRequest{Channel: first, Cause: 16, Soft: tc.soft})
			h.hangup(first)
			h.hangup("c1")
			if l := h.leg("c1"); l.End != tc.want {
				t.Errorf("leg ended %q, want %q", l.End, tc.want)
			}
			// A cut is in the call's history, with the side and the cause of the request.
			var cuts []CallCut
			if tc.soft {
				cuts = []CallCut{{CallID: "c1", Side: hotline.LegSide(tc.side), Cause: 16}}
			}
			if !slices.Equal(h.j.cuts, cuts) {
				t.Errorf("cuts written %+v, want %+v", h.j.cuts, cuts)
			}
			if len(h.s.cutCause) != 0 {
				t.Errorf("cut causes left: %v", h.s.cutCause)
			}
			if tc.bridged {
				h.wantPresence(1, hotline.PresenceWrapUp)
			}
		})
	}
}
