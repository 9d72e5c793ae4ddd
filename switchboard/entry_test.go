package switchboard

import (
	"errors"
	"testing"
)

// A channel whose Stasis arguments fit no entry is hung up, and nothing else happens: no call is
// filed, no operator rung, no feature applied.
func TestMalformedEntryHungUp(t *testing.T) {
	tests := []struct {
		name  string
		entry Entry
	}{
		{"malformed", Malformed{Args: []string{"ofer", "c1"}, Err: errors.New("unknown kind")}},
		{"none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			h.login("1001")
			m := h.mark()
			h.send(StasisStart{Channel: "x1", Name: "PJSIP/1001-00000001", Entry: tt.entry})
			h.wantOps(m, "hangup x1")
			if n := len(h.opsSince(m)); n != 1 {
				t.Errorf("want only the hang-up, got %v", h.opsSince(m))
			}
			if len(h.s.calls) != 0 || len(h.s.features) != 0 {
				t.Errorf("the channel was taken in: calls %v, features %v", h.s.calls, h.s.features)
			}
		})
	}
}
