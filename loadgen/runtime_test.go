package loadgen

import (
	"strings"
	"testing"
)

func TestRuntimeOf(t *testing.T) {
	before := `go_memstats_mallocs_total 1000
go_memstats_alloc_bytes_total 10240
go_sched_goroutines_created_goroutines_total 50
go_sched_latencies_seconds_count 100
go_gc_duration_seconds_count 3
`
	after := `go_memstats_mallocs_total 3000
go_memstats_alloc_bytes_total 215040
go_sched_goroutines_created_goroutines_total 110
go_sched_latencies_seconds_count 150
go_gc_duration_seconds_count 4
`
	older := `go_memstats_mallocs_total 3000
`
	parse := func(s string) series {
		t.Helper()
		m, err := parseMetrics(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name      string
		m0, m1    series
		completed int
		want      *GoRuntime
	}{
		{"per call", parse(before), parse(after), 20, &GoRuntime{AllocsPerCall: 100, AllocKBPerCall: 10,
			GoroutinesPerCall: 3, WakeupsPerCall: 20, GCPerCall: 0.05}},
		{"no calls", parse(before), parse(after), 0, nil},
		{"a daemon without the scheduler's metrics", parse(before), parse(older), 20, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runtimeOf(tt.m0, tt.m1, tt.completed)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("runtimeOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
