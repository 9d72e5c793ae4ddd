package sipphone

import (
	"net/netip"
	"testing"

	"github.com/pion/rtp"
)

func BenchmarkToneShare(b *testing.B) {
	frame := toneFrames(1000, 1)[0]
	for b.Loop() {
		toneShare(frame, 1000)
	}
}

// BenchmarkReceivePacket is the receive cost of one 20 ms packet, watching three tones: a load
// generator pays this 50 times a second per call.
func BenchmarkReceivePacket(b *testing.B) {
	m := &media{stats: Stats{Tones: map[float64]int{600: 0, 1000: 0, 1400: 0}}, quit: make(chan struct{})}
	frame := toneFrames(1000, 1)[0]
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: encodeG711(nil, payloadPCMU, frame)}
	from := netip.MustParseAddrPort("127.0.0.1:4000")
	samples := make([]int16, 0, FrameSamples)
	for b.Loop() {
		pkt.SequenceNumber++
		samples = m.handle(&pkt, from, samples[:0])
	}
}
