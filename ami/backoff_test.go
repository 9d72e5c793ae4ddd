package ami

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi time.Duration
	}{
		{"defaults", 250 * time.Millisecond, 30 * time.Second},
		{"equal bounds", time.Second, time.Second},
		{"tiny", time.Nanosecond, time.Microsecond},
	}
	extremes := map[string]func(int64) int64{
		"lowest":  func(int64) int64 { return 0 },
		"highest": func(n int64) int64 { return n - 1 },
		"random":  rand.Int64N,
	}
	for _, tt := range tests {
		for rname, rnd := range extremes {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				want := tt.lo
				for n := 1; n <= 64; n++ {
					got := backoff(n, tt.lo, tt.hi, rnd)
					if got < want/2 || got > want {
						t.Fatalf("attempt %d: wait %v, want within [%v, %v]", n, got, want/2, want)
					}
					if got > tt.hi {
						t.Fatalf("attempt %d: wait %v above the cap %v", n, got, tt.hi)
					}
					want = min(want*2, tt.hi)
				}
			})
		}
	}
}
