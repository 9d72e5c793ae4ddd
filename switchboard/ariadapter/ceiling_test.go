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
// per call", with the operator's channel recorded by MixMonitor: no RecordingFinished), by type:
// n sent, of which copies (the same event once more per subscription it reached), which the
// connection's reader drops before decoding (ari.Conn).
var callEvents = []struct {
	typ       string
	n, copies int
}{
	{"StasisStart", 2, 0}, {"PlaybackFinished", 2, 1}, {"ChannelHangupRequest", 5, 2}, {"StasisEnd", 2, 0}, {"ChannelDestroyed", 3, 1},
}

// BenchmarkDecodeCall decodes and translates the ARI events of one call that are not copies (10
// of the 14, from the captured samples in ari/testdata/events) as the reader and the pump do for
// each: ari.Decode, then Translate. ns/op is the CPU per call of this step; the switchboard's own is
// switchboard.BenchmarkCeilingCall (docs/scaling.md).
func BenchmarkDecodeCall(b *testing.B) {
	var call [][]byte
	size := 0
	for _, e := range callEvents {
		d, err := os.ReadFile(filepath.Join("..", "..", "ari", "testdata", "events", e.typ+".json"))
		if err != nil {
			b.Fatal(err)
		}
		for range e.n - e.copies {
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
