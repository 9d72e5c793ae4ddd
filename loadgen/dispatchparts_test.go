package loadgen

import (
	"math"
	"strings"
	"testing"
)

func TestDispatchPartsOf(t *testing.T) {
	before := `hotline_dispatch_seconds_bucket{part="hotline",le="0.001"} 10
hotline_dispatch_seconds_bucket{part="hotline",le="0.01"} 10
hotline_dispatch_seconds_bucket{part="hotline",le="0.1"} 10
hotline_dispatch_seconds_bucket{part="hotline",le="+Inf"} 10
`
	after := `# TYPE hotline_dispatch_seconds histogram
hotline_dispatch_seconds_bucket{part="hotline",le="0.001"} 60
hotline_dispatch_seconds_bucket{part="hotline",le="0.01"} 108
hotline_dispatch_seconds_bucket{part="hotline",le="0.1"} 110
hotline_dispatch_seconds_bucket{part="hotline",le="+Inf"} 110
hotline_dispatch_seconds_bucket{part="request",le="0.001"} 0
hotline_dispatch_seconds_bucket{part="request",le="0.01"} 0
hotline_dispatch_seconds_bucket{part="request",le="0.1"} 0
hotline_dispatch_seconds_bucket{part="request",le="+Inf"} 4
hotline_dispatch_seconds_count{part="hotline"} 110
`
	b, err := parseMetrics(strings.NewReader(before))
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseMetrics(strings.NewReader(after))
	if err != nil {
		t.Fatal(err)
	}
	got := dispatchPartsOf(b, a)
	tests := []struct {
		part               string
		n, p50, p99, maxMs float64
	}{
		// 100 in the run: 50 under 1 ms, 48 in (1, 10], 2 in (10, 100].
		{"hotline", 100, 1, 10 + 90*0.5, 100},
		// beyond the last finite bound: only that bound is known.
		{"request", 4, 100, 100, 100},
	}
	for _, tt := range tests {
		p, ok := got[tt.part]
		if !ok {
			t.Fatalf("%s: missing from %v", tt.part, got)
		}
		if p.N != tt.n || math.Abs(p.P50-tt.p50) > 1e-9 || math.Abs(p.P99-tt.p99) > 1e-9 || p.Max != tt.maxMs {
			t.Errorf("%s: got %+v, want n %v p50 %v p99 %v max %v", tt.part, p, tt.n, tt.p50, tt.p99, tt.maxMs)
		}
	}
	if _, ok := got["delivery"]; ok {
		t.Errorf("delivery: no series, yet reported")
	}
	if dispatchPartsOf(b, b) != nil {
		t.Errorf("no dispatch in the run: want nil")
	}
}
