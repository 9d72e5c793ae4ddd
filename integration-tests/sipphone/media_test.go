package sipphone

import (
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestSeqTrackerLoss(t *testing.T) {
	type pkt struct {
		ssrc uint32
		seq  uint16
	}
	seqs := func(ssrc uint32, from, to uint16, skip ...uint16) []pkt {
		var out []pkt
	next:
		for s := from; s != to+1; s++ {
			for _, k := range skip {
				if s == k {
					continue next
				}
			}
			out = append(out, pkt{ssrc, s})
		}
		return out
	}
	tests := []struct {
		name string
		pkts []pkt
		lost int
	}{
		{"none lost", seqs(1, 100, 199), 0},
		{"two lost", seqs(1, 100, 199, 150, 151), 2},
		{"across wrap-around", seqs(1, 65500, 65535, 65530), 1},
		{"wrap into zero", append(seqs(1, 65530, 65535), seqs(1, 0, 10, 3)...), 1},
		{"reordered is not lost", []pkt{{1, 1}, {1, 3}, {1, 2}, {1, 4}}, 0},
		{"new ssrc keeps old losses", append(seqs(1, 1, 10, 5), seqs(2, 5000, 5010, 5005, 5006)...), 3},
		{"a duplicate hides a loss (RFC 3550 counting)", []pkt{{1, 1}, {1, 2}, {1, 2}, {1, 4}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tr seqTracker
			for _, p := range tt.pkts {
				tr.add(p.ssrc, p.seq)
			}
			if got := tr.lost(); got != tt.lost {
				t.Errorf("lost %d, want %d", got, tt.lost)
			}
		})
	}
}

// Asterisk sends RTCP to the RTP port + 1: every phone's media must hold that port, so it can
// never be another phone's SIP socket (which would log RTCP as SIP it failed to parse).
func TestMediaHoldsRTCPPort(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	var ms []*media
	defer func() {
		for _, m := range ms {
			m.close()
		}
	}()
	for range 20 {
		m, err := newMedia(slog.New(slog.DiscardHandler), ip, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
		rtpPort := m.local.Port()
		if rtpPort%2 != 0 {
			t.Errorf("RTP port %d is odd", rtpPort)
		}
		if got := m.rtcp.LocalAddr().(*net.UDPAddr).AddrPort().Port(); got != rtpPort+1 {
			t.Errorf("RTCP socket on %d, want %d", got, rtpPort+1)
		}
		// Nobody else may bind it while the call lasts.
		if c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, rtpPort+1))); err == nil {
			c.Close()
			t.Errorf("port %d was free while the media held it", rtpPort+1)
		}
	}
}

// With a linger, a finished call's ports stay bound for that long, then are freed.
func TestMediaPortLinger(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	m, err := newMedia(slog.New(slog.DiscardHandler), ip, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.linger = 300 * time.Millisecond
	rtcpAddr := netip.AddrPortFrom(ip, m.local.Port()+1)
	m.close()
	if c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(rtcpAddr)); err == nil {
		c.Close()
		t.Fatalf("RTCP port %s free right after close, want it held for the linger", rtcpAddr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(rtcpAddr))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RTCP port %s still bound 5 s after a 300 ms linger", rtcpAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
