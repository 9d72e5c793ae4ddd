package ariadapter

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/ari"
)

// callEvents is what Asterisk sends the application for one call (docs/benchmark.md, "ARI traffic
// per call", with the operator's channel recorded by MixMonitor: no RecordingFinished), by type.
var callEvents = []struct {
	typ string
	n   int
}{
	{"StasisStart", 2}, {"PlaybackFinished", 2}, {"ChannelHangupRequest", 5}, {"StasisEnd", 2}, {"ChannelDestroyed", 3},
}

// BenchmarkDecodeCall decodes and translates the ARI events of one call (14 events, from the
// captured samples in ari/testdata/events) as the pump does for every event: ari.Decode, then
// Translate. ns/op is the CPU per call of this step; the switchboard's own is
// switchboard.BenchmarkCeilingCall (docs/scaling.md).
func BenchmarkDecodeCall(b *testing.B) {
	var call [][]byte
	size := 0
	for _, e := range callEvents {
		d, err := os.ReadFile(filepath.Join("..", "..", "ari", "testdata", "events", e.typ+".json"))
		if err != nil {
			b.Fatal(err)
		}
		for range e.n {
			call = append(call, d)
			size += len(d)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		for _, d := range call {
			ev := ari.Decode(d)
			if _, ok := Translate(ev); !ok {
				b.Fatalf("%T not translated", ev)
			}
		}
	}
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "calls/cpu-s")
	b.ReportMetric(float64(len(call)), "events/call")
}

// processCPU is this process's user+system CPU so far: on a shared machine the benchmark's wall
// time includes waiting for a core, its CPU time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
