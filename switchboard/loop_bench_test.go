package switchboard

import (
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLoopCall: one call through the loop as the load benchmark makes it (arrival, greeting,
// an operator rung and answering, the conversation, the operator hanging up, the caller's channel
// gone, wrap-up over), with 10 operators logged in and the log at info as the daemon runs it. What
// is measured is the loop's own work per call: the harness answers requests and journal writes at
// once. msgs/call counts the messages the loop handled; cpu-ns/call is the process's CPU time per
// call, steadier than ns/op on a shared machine.
func BenchmarkLoopCall(b *testing.B) {
	h := newHarness(b, testConfig())
	for i := int64(1); i <= 10; i++ {
		h.j.operators = append(h.j.operators, op(i, fmt.Sprint(1000+i)))
	}
	h.s.reloadOperators()
	h.settle()
	for i := int64(1); i <= 10; i++ {
		h.login(fmt.Sprint(1000 + i))
	}
	h.s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	msgs := 0
	count := func(evs ...Event) {
		msgs += len(evs)
		h.send(evs...)
	}
	b.ReportAllocs()
	cpu0 := processCPU(b)
	n := 0
	for b.Loop() {
		n++
		ch := fmt.Sprint("c", n)
		m := h.mark()
		count(StasisStart{Channel: ch, Name: "PJSIP/trunk-0001", CallerNumber: "+79001112233", Entry: Inbound{}})
		count(PlaybackFinished{Playback: h.lastPlay(ch).Playback})
		h.clock.now = h.clock.now.Add(time.Second)
		or := h.oneOriginate(m)
		count(StasisStart{Channel: or.Channel, Name: or.Endpoint + "-00000001", Entry: or.Entry})
		h.clock.now = h.clock.now.Add(5 * time.Second)
		count(ChannelHangupRequest{Channel: or.Channel}, StasisEnd{Channel: or.Channel}, ChannelDestroyed{Channel: or.Channel, Cause: 16})
		count(ChannelHangupRequest{Channel: ch}, StasisEnd{Channel: ch}, ChannelDestroyed{Channel: ch, Cause: 16})
		h.advance(15 * time.Second) // wrap-up over
		msgs += len(h.ops) - m      // each request's opDone is a message too
		h.ops, h.lanes = h.ops[:0], h.lanes[:0]
	}
	b.ReportMetric(float64(msgs)/float64(n), "msgs/call")
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(n), "cpu-ns/call")
}

// processCPU is the CPU time the process has used (user and system): a figure the machine's other
// work does not inflate the way it does wall time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
