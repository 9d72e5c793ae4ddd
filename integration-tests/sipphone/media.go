package sipphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Detection thresholds. A frame is one received 20 ms audio packet.
const (
	// silenceRMS: frames quieter than this (about -44 dBFS) count as silence. G.711 idle noise and
	// Asterisk's silence are far below; speech prompts and test tones are far above.
	silenceRMS = 200
	// toneShareMin: a tone is present in a frame when at least this share of the frame's energy
	// is at its frequency (a pure tone gives about 1, two mixed tones about 0.5 each).
	toneShareMin = 0.3
	// heardFrames: WaitTone and WaitAudio want this many frames (100 ms), so one click is not a tone.
	heardFrames = 5
	// dtmfDuration and dtmfGap in 20 ms frames: 100 ms digits, 100 ms apart.
	dtmfFrames    = 5
	dtmfGapFrames = 5
)

// Stats is what a call's media has seen so far.
type Stats struct {
	PacketsSent     int
	PacketsReceived int     // RTP packets accepted (audio and telephone-event)
	PacketsLost     int     // from gaps in sequence numbers
	AudioFrames     int     // received audio packets
	LoudFrames      int     // received audio packets that were not silence
	MaxRMS          float64 // loudest received frame
	DTMF            string  // digits received as RFC 4733 events
	// Tones counts, for each frequency watched (Config.Detect, WaitTone), the received frames in
	// which that tone dominated.
	Tones      map[float64]int
	RemoteAddr string // where we send RTP (after symmetric-RTP latching: where it comes from)
}

type dtmfRequest struct {
	digits string
	done   chan struct{}
}

// media is one call's RTP session: one UDP socket, a sender paced at 20 ms and a receiver.
type media struct {
	log  *slog.Logger
	conn *net.UDPConn
	rtcp *net.UDPConn // the port after conn's, held so Asterisk's RTCP lands here and is dropped
	// linger: after close, both ports stay bound (unread) this long (Config.PortLinger)
	linger time.Duration
	local  netip.AddrPort

	mu       sync.Mutex
	remote   netip.AddrPort // where RTP goes
	sdpAddr  netip.AddrPort // where the other side's SDP said it goes
	latched  bool           // remote learned from received packets (symmetric RTP)
	started  bool           // the call is answered: send
	stale    netip.AddrPort // the source before the SDP last moved: its late packets do not latch
	sendPT   uint8
	eventPT  uint8 // remote's telephone-event payload type, 0 if it takes none
	sending  bool
	source   Source
	dtmf     []dtmfRequest
	stats    Stats
	stream   seqTracker
	lastEvTS uint32
	haveEv   bool
	waiters  []chan struct{}

	quit chan struct{}
	wg   sync.WaitGroup
}

func newMedia(log *slog.Logger, ip netip.Addr, src Source, detect []float64) (*media, error) {
	conn, rtcp, err := listenRTP(ip)
	if err != nil {
		return nil, err
	}
	m := &media{
		log:    log,
		conn:   conn,
		rtcp:   rtcp,
		local:  conn.LocalAddr().(*net.UDPAddr).AddrPort(),
		source: src,
		quit:   make(chan struct{}),
		stats:  Stats{Tones: map[float64]int{}},
	}
	for _, hz := range detect {
		m.stats.Tones[hz] = 0
	}
	m.wg.Add(3)
	go m.receive()
	go m.send()
	go m.dropRTCP()
	return m, nil
}

// listenRTP binds an even RTP port and the odd port after it. Asterisk sends RTCP to the RTP
// port + 1 (RFC 3550); left unbound, that port may be another phone's SIP socket, which then logs
// RTCP as SIP it failed to parse. Holding the pair keeps every phone's SIP socket clear of it.
func listenRTP(ip netip.Addr) (rtpConn, rtcpConn *net.UDPConn, err error) {
	const tries = 64
	for range tries {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, nil, fmt.Errorf("sipphone: rtp socket: %w", err)
		}
		port := c.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		if port%2 != 0 || port == 65534 {
			c.Close()
			continue
		}
		r, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, port+1)))
		if err != nil { // taken (perhaps by a SIP socket): try another pair
			c.Close()
			continue
		}
		return c, r, nil
	}
	return nil, nil, fmt.Errorf("sipphone: no free RTP/RTCP port pair on %s in %d tries", ip, tries)
}

// dropRTCP reads and discards what arrives at the RTCP port: the phones do not use RTCP.
func (m *media) dropRTCP() {
	defer m.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := m.rtcp.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
	}
}

// setRemote applies the other side's SDP: where to send, which codec, whether to send at all.
// ours is our own direction in the negotiated session.
func (m *media) setRemote(d mediaDesc, ours direction) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// A changed SDP address (a re-INVITE moving the media) overrides a latched source; an
	// unchanged one keeps it.
	if d.Addr != m.sdpAddr || !m.latched {
		if m.remote.IsValid() && m.remote != d.Addr {
			m.stale = m.remote
		}
		m.remote, m.latched = d.Addr, false
	}
	m.sdpAddr = d.Addr
	m.sendPT = d.Payloads[0]
	m.eventPT = d.EventPT
	m.sending = ours.sends() && d.Addr.Port() != 0
}

// start begins sending (once the call is answered).
func (m *media) start() {
	m.mu.Lock()
	m.started = true
	m.mu.Unlock()
}

func (m *media) setSource(src Source) {
	m.mu.Lock()
	m.source = src
	m.mu.Unlock()
}

func (m *media) close() {
	select {
	case <-m.quit:
		return
	default:
	}
	close(m.quit)
	if m.linger > 0 {
		// Wake the readers (they see quit and return) but keep the ports bound for a while; a
		// timer, not a goroutine, closes them.
		past := time.Now()
		_ = m.conn.SetReadDeadline(past)
		_ = m.rtcp.SetReadDeadline(past)
		conn, rtcp := m.conn, m.rtcp
		time.AfterFunc(m.linger, func() { conn.Close(); rtcp.Close() })
	} else {
		m.conn.Close()
		m.rtcp.Close()
	}
	m.wg.Wait()
	m.mu.Lock()
	for _, r := range m.dtmf {
		close(r.done)
	}
	m.dtmf = nil
	m.notifyLocked()
	m.mu.Unlock()
}

func (m *media) closed() bool {
	select {
	case <-m.quit:
		return true
	default:
		return false
	}
}

func (m *media) send() {
	defer m.wg.Done()
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	pkt := rtp.Packet{Header: rtp.Header{
		Version:        2,
		SequenceNumber: uint16(rand.Uint32()),
		Timestamp:      rand.Uint32(),
		SSRC:           rand.Uint32(),
	}}
	frame := make([]int16, FrameSamples)
	payload := make([]byte, 0, FrameSamples)
	buf := make([]byte, 0, 12+FrameSamples)
	var (
		req     *dtmfRequest
		rest    string // digits of req still to send
		frames  int    // packets sent of the current digit, end packets included
		evStart uint32 // timestamp of the current digit
		gap     int    // audio frames due before the next digit
		first   = true
	)
	for {
		select {
		case <-m.quit:
			return
		case <-ticker.C:
		}
		pkt.Timestamp += FrameSamples
		m.mu.Lock()
		if req == nil && gap == 0 && len(m.dtmf) > 0 {
			req, rest, frames = &m.dtmf[0], m.dtmf[0].digits, 0
		}
		remote, ok := m.remote, m.started && m.sending && m.remote.IsValid()
		pt, evPT, src := m.sendPT, m.eventPT, m.source
		m.mu.Unlock()
		if !ok {
			continue
		}
		pkt.Marker = first
		first = false
		if req != nil && gap == 0 && evPT != 0 {
			code, _ := eventCode(rune(rest[0]))
			if frames == 0 {
				evStart = pkt.Timestamp
				pkt.Marker = true
			}
			frames++
			ev := telephoneEvent{Event: code, Volume: 10, Duration: uint16(min(frames, dtmfFrames) * FrameSamples)}
			ev.End = frames >= dtmfFrames
			ts := pkt.Timestamp
			pkt.Timestamp, pkt.PayloadType, pkt.Payload = evStart, evPT, ev.marshal()
			buf = m.write(buf, &pkt, remote)
			pkt.Timestamp = ts
			// The end packet goes three times (RFC 4733 2.5.1.4) so that one loss does not lose the digit.
			if frames == dtmfFrames+2 {
				rest, frames, gap = rest[1:], 0, dtmfGapFrames
				if rest == "" {
					m.mu.Lock()
					close(m.dtmf[0].done)
					m.dtmf = m.dtmf[1:]
					m.mu.Unlock()
					req = nil
				}
			}
			continue
		}
		if gap > 0 {
			gap--
		}
		if src == nil {
			clear(frame)
		} else {
			src.ReadFrame(frame)
		}
		payload = encodeG711(payload[:0], pt, frame)
		pkt.PayloadType, pkt.Payload = pt, payload
		buf = m.write(buf, &pkt, remote)
	}
}

func (m *media) write(buf []byte, pkt *rtp.Packet, to netip.AddrPort) []byte {
	buf = buf[:pkt.MarshalSize()]
	n, err := pkt.MarshalTo(buf)
	pkt.SequenceNumber++
	if err != nil {
		m.log.Warn("rtp marshal", "error", err)
		return buf
	}
	if _, err := m.conn.WriteToUDPAddrPort(buf[:n], to); err != nil {
		if !m.closed() {
			m.log.Debug("rtp send", "to", to, "error", err)
		}
		return buf
	}
	m.mu.Lock()
	m.stats.PacketsSent++
	m.mu.Unlock()
	return buf
}

func (m *media) receive() {
	defer m.wg.Done()
	buf := make([]byte, 1500)
	samples := make([]int16, 0, FrameSamples)
	var pkt rtp.Packet
	for {
		n, from, err := m.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !m.closed() {
				m.log.Warn("rtp receive", "error", err)
			}
			return
		}
		// Only loopback peers: the phones never talk to anything outside 127.0.0.0/8.
		if !from.Addr().Unmap().IsLoopback() {
			continue
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		samples = m.handle(&pkt, from, samples[:0])
	}
}

// handle accounts one received packet. Packets of payload types we did not negotiate are dropped:
// RTCP sent to a neighbour's port looks like RTP with payload type 72-76.
func (m *media) handle(pkt *rtp.Packet, from netip.AddrPort, samples []int16) []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	pt := pkt.PayloadType
	isEvent := pt == payloadEvent || m.eventPT != 0 && pt == m.eventPT
	if pt != payloadPCMU && pt != payloadPCMA && !isEvent {
		return samples
	}
	// Symmetric RTP: answer to where the audio comes from, whatever the SDP said.
	if from != m.remote && from != m.stale {
		if m.remote.IsValid() {
			m.log.Debug("rtp source differs from sdp: latching", "sdp", m.remote, "from", from)
		}
		m.remote, m.latched = from, true
	}
	m.stats.PacketsReceived++
	m.stream.add(pkt.SSRC, pkt.SequenceNumber)
	m.stats.PacketsLost = m.stream.lost()
	if isEvent {
		ev, err := parseTelephoneEvent(pkt.Payload)
		if err == nil && ev.End && (!m.haveEv || pkt.Timestamp != m.lastEvTS) {
			m.haveEv, m.lastEvTS = true, pkt.Timestamp
			if d := ev.digit(); d != 0 {
				m.stats.DTMF += string(d)
			}
		}
		m.notifyLocked()
		return samples
	}
	samples = decodeG711(samples, pt, pkt.Payload)
	level := rms(samples)
	m.stats.AudioFrames++
	m.stats.MaxRMS = max(m.stats.MaxRMS, level)
	if level >= silenceRMS {
		m.stats.LoudFrames++
		for hz := range m.stats.Tones {
			if toneShare(samples, hz) >= toneShareMin {
				m.stats.Tones[hz]++
			}
		}
	}
	m.notifyLocked()
	return samples
}

func (m *media) notifyLocked() {
	for _, w := range m.waiters {
		close(w)
	}
	m.waiters = nil
}

// wait blocks until cond (called with m.mu held) is true, the media closes or ctx ends.
func (m *media) wait(ctx context.Context, cond func() bool) error {
	for {
		m.mu.Lock()
		if cond() {
			m.mu.Unlock()
			return nil
		}
		if m.closed() {
			m.mu.Unlock()
			return errors.New("media closed")
		}
		ch := make(chan struct{})
		m.waiters = append(m.waiters, ch)
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

func (m *media) snapshot() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Tones = maps.Clone(m.stats.Tones)
	if m.remote.IsValid() {
		s.RemoteAddr = m.remote.String()
	}
	return s
}

func (m *media) waitTone(ctx context.Context, hz float64) error {
	m.mu.Lock()
	if _, ok := m.stats.Tones[hz]; !ok {
		m.stats.Tones[hz] = 0
	}
	m.mu.Unlock()
	err := m.wait(ctx, func() bool { return m.stats.Tones[hz] >= heardFrames })
	if err != nil {
		s := m.snapshot()
		return fmt.Errorf("sipphone: waiting for a %g Hz tone (heard %d frames of it; %d audio frames, %d loud, max rms %.0f): %w",
			hz, s.Tones[hz], s.AudioFrames, s.LoudFrames, s.MaxRMS, err)
	}
	return nil
}

func (m *media) waitAudio(ctx context.Context) error {
	err := m.wait(ctx, func() bool { return m.stats.LoudFrames >= heardFrames })
	if err != nil {
		s := m.snapshot()
		return fmt.Errorf("sipphone: waiting for non-silent audio (%d audio frames, %d loud, max rms %.0f): %w",
			s.AudioFrames, s.LoudFrames, s.MaxRMS, err)
	}
	return nil
}

func (m *media) waitDTMF(ctx context.Context, digits string) error {
	digits = strings.ToUpper(digits)
	err := m.wait(ctx, func() bool { return strings.Contains(m.stats.DTMF, digits) })
	if err != nil {
		return fmt.Errorf("sipphone: waiting for DTMF %q (received %q): %w", digits, m.snapshot().DTMF, err)
	}
	return nil
}

func (m *media) sendDTMF(ctx context.Context, digits string) error {
	for _, d := range digits {
		if _, ok := eventCode(d); !ok {
			return fmt.Errorf("sipphone: send DTMF: %q is not a DTMF digit", d)
		}
	}
	if digits == "" {
		return nil
	}
	m.mu.Lock()
	if m.eventPT == 0 {
		m.mu.Unlock()
		return errors.New("sipphone: send DTMF: the other side did not accept telephone-event")
	}
	if m.closed() {
		m.mu.Unlock()
		return errors.New("sipphone: send DTMF: media closed")
	}
	r := dtmfRequest{digits: digits, done: make(chan struct{})}
	m.dtmf = append(m.dtmf, r)
	m.mu.Unlock()
	select {
	case <-r.done:
		if m.closed() {
			return errors.New("sipphone: send DTMF: media closed before all digits went")
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sipphone: send DTMF %q: %w", digits, context.Cause(ctx))
	}
}

// seqTracker counts lost packets from RTP sequence numbers, stream by stream (Asterisk may
// change SSRC when it moves a channel between bridges).
type seqTracker struct {
	ssrc     uint32
	started  bool
	first    int64 // extended sequence number of the stream's first packet
	max      int64 // highest extended sequence number seen
	received int64
	lostPrev int64 // losses of earlier streams
}

func (t *seqTracker) add(ssrc uint32, seq uint16) {
	if !t.started || ssrc != t.ssrc {
		if t.started {
			t.lostPrev += t.lostCurrent()
		}
		*t = seqTracker{ssrc: ssrc, started: true, first: int64(seq), max: int64(seq), lostPrev: t.lostPrev}
		t.received = 1
		return
	}
	// Extend seq to the value nearest the highest seen, across wrap-around.
	ext := t.max + int64(int16(seq-uint16(t.max)))
	t.max = max(t.max, ext)
	t.received++
}

func (t *seqTracker) lostCurrent() int64 {
	return max(0, t.max-t.first+1-t.received)
}

func (t *seqTracker) lost() int { return int(t.lostPrev + t.lostCurrent()) }
