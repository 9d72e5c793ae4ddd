package hotline

import "testing"

func TestValidPauseReason(t *testing.T) {
	for _, tc := range []struct {
		reason string
		ok     bool
	}{
		{"", true}, {"0", true}, {"5", true}, {"9", true},
		{"10", false}, {"a", false}, {"missed", false}, {"\x1b", false}, {"٣", false}, {" 1", false},
	} {
		if err := ValidPauseReason(tc.reason); (err == nil) != tc.ok {
			t.Errorf("ValidPauseReason(%q) = %v, want ok %v", tc.reason, err, tc.ok)
		}
	}
}
