package loadgen

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Dispatch on hotline's side: the daemon's hotline_dispatch_seconds histogram (switchboard
// dispatchtrace.go), one series per part, read at the first call and at the end of the run. The
// phones measure BYE → next INVITE; these say how much of it hotline spent, which depends far less
// on the neighbours than the phone-side figure.

// dispatchParts are the histogram's parts, in the order a dispatch goes through them.
// teardown is not one: it is what a dispatch no longer waits for (Asterisk's hang-up request →
// StasisEnd of the operator's handset), reported by hotline since it frees the operator at the first.
var dispatchParts = []string{"delivery", "inbox", "loop", "hotline", "request", "total", "teardown"}

// DispatchPart is one part's percentiles over a run, interpolated in the histogram's buckets.
type DispatchPart struct {
	N   float64 `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	// Max: the upper bound of the highest bucket holding a dispatch (the last finite bound when
	// some were above it).
	Max float64 `json:"max_bucket_ms"`
}

// dispatchParts is the run's parts from two scrapes: nil when the daemon has no such histogram.
func dispatchPartsOf(before, after series) map[string]DispatchPart {
	out := map[string]DispatchPart{}
	for _, part := range dispatchParts {
		b := buckets(before, part)
		a := buckets(after, part)
		if len(a) == 0 {
			continue
		}
		for le := range a {
			a[le] -= b[le]
		}
		if p, ok := histQuantiles(a); ok {
			out[part] = p
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// buckets is one part's cumulative bucket counts by upper bound (seconds; +Inf included).
func buckets(s series, part string) map[float64]float64 {
	out := map[float64]float64{}
	for key, v := range s {
		name, labels, ok := strings.Cut(key, "{")
		if !ok || name != "hotline_dispatch_seconds_bucket" {
			continue
		}
		labels = strings.TrimSuffix(labels, "}")
		if labelValue(labels, "part") != part {
			continue
		}
		le, err := strconv.ParseFloat(labelValue(labels, "le"), 64)
		if err != nil {
			continue
		}
		out[le] = v
	}
	return out
}

// histQuantiles is p50, p99 and the highest occupied bucket of cumulative counts by upper bound,
// linear within a bucket (as Prometheus' histogram_quantile), in ms.
func histQuantiles(cum map[float64]float64) (DispatchPart, bool) {
	les := make([]float64, 0, len(cum))
	for le := range cum {
		les = append(les, le)
	}
	sort.Float64s(les)
	n := cum[les[len(les)-1]]
	if n <= 0 {
		return DispatchPart{}, false
	}
	q := func(p float64) float64 {
		rank := p * n
		lo, prev := 0.0, 0.0
		for _, le := range les {
			c := cum[le]
			if c >= rank {
				if math.IsInf(le, 1) {
					return lo * 1000 // beyond the last bound: its bound is all that is known
				}
				if c == prev {
					return le * 1000
				}
				return (lo + (le-lo)*(rank-prev)/(c-prev)) * 1000
			}
			lo, prev = le, c
		}
		return lo * 1000
	}
	p := DispatchPart{N: n, P50: q(0.5), P99: q(0.99)}
	prev, finite := 0.0, 0.0
	for _, le := range les {
		if cum[le] > prev {
			p.Max = le * 1000
			if math.IsInf(le, 1) {
				p.Max = finite * 1000 // JSON has no infinity: "above the last bound" is that bound
			}
		}
		prev = cum[le]
		if !math.IsInf(le, 1) {
			finite = le
		}
	}
	return p, true
}

// dispatchLine prints the parts of one run: "delivery 1.2/8.0, inbox ... (p50/p99 ms, n)".
func dispatchLine(parts map[string]DispatchPart) string {
	var b strings.Builder
	for _, name := range dispatchParts {
		p, ok := parts[name]
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.1f/%.1f", name, p.P50, p.P99)
	}
	if p, ok := parts["total"]; ok {
		fmt.Fprintf(&b, " (p50/p99 ms, %.0f dispatches)", p.N)
	}
	return b.String()
}

func dispatchPartOf(f *Fixed, part string, p99 bool) float64 {
	d, ok := f.HotlineDispatch[part]
	if !ok {
		return 0
	}
	if p99 {
		return d.P99
	}
	return d.P50
}
