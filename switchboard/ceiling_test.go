package switchboard

import (
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// BenchmarkCeilingCall is the ceiling of one switchboard (docs/scaling.md, "The ceiling of one
// daemon"): whole calls driven through the loop as fast as it takes them, one after another, so
// ns/op is the loop's CPU per call and calls/s the calls one core decides per second when deciding
// is all it does. Each call is the event sequence a call through Asterisk brings (caller's
// StasisStart, the greeting's PlaybackFinished, the operator's StasisStart, then the operator
// hanging up: ChannelHangupRequest, StasisEnd and ChannelDestroyed of each channel) and every
// request the switchboard makes is answered at once (answer, play, music, originate, bridge,
// record, hang-up). The daemon's log at its default level (info) is formatted and thrown away.
//
// Left out, and measured apart: the journal's writes (a fake records them here; their cost per
// call is journal.BenchmarkCallWrites), decoding the ARI events (ariadapter.BenchmarkDecodeCall),
// the REST requests and the goroutine hops between the websocket, the loop and the lanes. What
// hotline serve spends per call under real load (loadgen) is all of it.
func BenchmarkCeilingCall(b *testing.B) {
	cfg := testConfig()
	cfg.Routing.WrapUp = 0
	h := newHarness(b, cfg, op(1, "1001"))
	h.s.log = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h.login("1001")
	events, msgs := 0, 0
	send := func(evs ...Event) {
		events += len(evs)
		h.send(evs...)
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	for i := 0; b.Loop(); i++ {
		h.ops, h.lanes = h.ops[:0], h.lanes[:0]
		if i%1024 == 0 { // the fake journal keeps what it is told: keep it small
			clear(h.j.legs)
			h.j.started = h.j.started[:0]
			clear(h.j.outcomes)
		}
		caller := fmt.Sprintf("c%d", i)
		send(StasisStart{Channel: caller, Name: "PJSIP/trunk-0001", CallerNumber: "+79001112233", Entry: Inbound{}})
		send(PlaybackFinished{Playback: h.lastPlay(caller).Playback})
		or := h.oneOriginate(0)
		send(StasisStart{Channel: or.Channel, Name: or.Endpoint + "-00000001", Entry: or.Entry})
		h.clock.now = h.clock.now.Add(time.Minute)
		send(ChannelHangupRequest{Channel: or.Channel, Cause: 16}, StasisEnd{Channel: or.Channel}, ChannelDestroyed{Channel: or.Channel, Cause: 16})
		send(ChannelHangupRequest{Channel: caller, Cause: 16}, StasisEnd{Channel: caller}, ChannelDestroyed{Channel: caller, Cause: 16})
		if leg := h.j.legs[caller]; leg.End != hotline.LegCompleted || leg.OperatorID != 1 {
			b.Fatalf("call %d: leg %+v, want completed by operator 1; requests %v", i, leg, h.opsSince(0))
		}
		msgs += len(h.ops) // each request's result is a message of the loop's too
	}
	cpu := processCPU() - cpu0
	b.StopTimer()
	if st := h.status(); st.Calls != 0 {
		b.Fatalf("%d calls left on the switchboard", st.Calls)
	}
	h.wantPresence(1, hotline.PresenceAvailable)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "calls/cpu-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/call")
	b.ReportMetric(float64(events+msgs)/float64(b.N), "msgs/call")
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
