package sipphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

// These tests run phones against each other on loopback, without Asterisk, to check what
// Asterisk does not do on demand: re-INVITEs to a new media address, session refreshes, RTP from
// an address other than the SDP's, and clean shutdown.

func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("HOTLINE_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

func newTestPhone(t testing.TB, user string, hz float64, mod ...func(*Config)) *Phone {
	t.Helper()
	// No registrar: Server is only where requests to bare users would go; calls here use sip: URIs.
	cfg := Config{Server: "127.0.0.1:9", User: user, Tone: hz, Detect: []float64{600, 1000}, Logger: testLogger(t)}
	for _, m := range mod {
		m(&cfg)
	}
	p, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func uriOf(p *Phone) string { return fmt.Sprintf("sip:%s@%s", p.User(), p.Addr()) }

func directCall(t testing.TB, ctx context.Context, a, b *Phone) (out, in *Call) {
	t.Helper()
	out, err := a.Invite(ctx, uriOf(b))
	if err != nil {
		t.Fatal(err)
	}
	in, err = b.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := out.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	return out, in
}

func TestDirectCallToneDTMFHangup(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	a := newTestPhone(t, "alice", 1000)
	b := newTestPhone(t, "bob", 600)
	dialled := time.Now()
	out, in := directCall(t, ctx, a, b)
	if id := in.Caller(); id.User != "alice" {
		t.Errorf("caller %+v, want alice", id)
	}
	// The INVITE's arrival, what the load benchmark takes as the ring: after the dial, before
	// the call was handed over.
	if at := in.Invited(); at.Before(dialled) || at.After(time.Now()) || !out.Invited().IsZero() {
		t.Errorf("invited at %v (dialled %v); the outgoing call's %v, want zero", at, dialled, out.Invited())
	}
	if err := out.WaitTone(ctx, 600); err != nil {
		t.Error(err)
	}
	if err := in.WaitTone(ctx, 1000); err != nil {
		t.Error(err)
	}
	if err := out.SendDTMF(ctx, "0A#"); err != nil {
		t.Fatal(err)
	}
	if err := in.WaitDTMF(ctx, "0A#"); err != nil {
		t.Error(err)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if end, err := out.WaitEnd(ctx); err != nil || end.By != Remote || end.Reason != "BYE received" {
		t.Errorf("caller's end: %v, %v; want BYE received", end, err)
	}
	if s := out.Stats(); s.PacketsLost != 0 {
		t.Errorf("lost %d packets on loopback: %+v", s.PacketsLost, s)
	}
}

// udpListen opens a test RTP socket on loopback.
func udpListen(t testing.TB) *net.UDPConn {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readRTP waits for an RTP packet on c and returns it with its source.
func readRTP(t testing.TB, c *net.UDPConn) (rtp.Packet, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("no RTP at %s: %v", c.LocalAddr(), err)
	}
	var p rtp.Packet
	if err := p.Unmarshal(buf[:n]); err != nil {
		t.Fatalf("bad RTP at %s: %v", c.LocalAddr(), err)
	}
	return p, from
}

func sdpTo(c *net.UDPConn, dir direction) []byte {
	return buildSDP(7, 2, "peer", mediaDesc{
		Addr: c.LocalAddr().(*net.UDPAddr).AddrPort(), Payloads: []uint8{payloadPCMA}, EventPT: 101, direction: dir,
	})
}

// The callee sends re-INVITEs and an UPDATE to the caller, as Asterisk does when it moves
// media, holds, or refreshes the session.
func TestReinviteMovesMediaAndSymmetricRTPLatches(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	a := newTestPhone(t, "alice", 1000)
	b := newTestPhone(t, "bob", 600)
	out, in := directCall(t, ctx, a, b)

	// 1. A re-INVITE offering a new address and PCMA: the answer keeps PCMA, RTP goes there.
	signalled := udpListen(t)
	req := sip.NewRequest(sip.INVITE, in.remoteTarget())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sip.NewHeader("Session-Expires", "90"))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	req.SetBody(sdpTo(signalled, sendRecv))
	res, err := in.do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("re-INVITE: %v %v", res, err)
	}
	ans, err := parseSDP(res.Body())
	if err != nil {
		t.Fatalf("re-INVITE answer: %v", err)
	}
	if ans.Addr != out.media.local || len(ans.Payloads) != 1 || ans.Payloads[0] != payloadPCMA || ans.EventPT != 101 {
		t.Errorf("re-INVITE answer %+v, want our address %s with PCMA and event 101", ans, out.media.local)
	}
	if se := res.GetHeader("Session-Expires"); se == nil || se.Value() != "90;refresher=uac" {
		t.Errorf("Session-Expires in the answer: %v, want 90;refresher=uac (the re-INVITE's sender refreshes)", se)
	}
	if rq := res.GetHeader("Require"); rq == nil || rq.Value() != "timer" {
		t.Errorf("Require in the answer: %v, want timer", rq)
	}
	p, _ := readRTP(t, signalled)
	for p.PayloadType != payloadPCMA { // packets sent before the answer may still be PCMU
		p, _ = readRTP(t, signalled)
	}

	// 2. RTP from another port than signalled: the phone answers there (symmetric RTP).
	actual := udpListen(t)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: payloadPCMA, SSRC: 1}}
	frame := make([]int16, FrameSamples)
	tone := &Tone{Hz: 600}
	deadline := time.Now().Add(3 * time.Second)
	latched := false
	for !latched && time.Now().Before(deadline) {
		tone.ReadFrame(frame)
		pkt.Payload = encodeG711(nil, payloadPCMA, frame)
		pkt.SequenceNumber++
		pkt.Timestamp += FrameSamples
		b, _ := pkt.Marshal()
		if _, err := actual.WriteToUDPAddrPort(b, out.media.local); err != nil {
			t.Fatal(err)
		}
		actual.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		buf := make([]byte, 1500)
		if n, _, err := actual.ReadFromUDPAddrPort(buf); err == nil && n > 12 {
			latched = true
		}
	}
	if !latched {
		t.Fatalf("the phone never sent RTP to the source of the RTP it received (stats %+v)", out.Stats())
	}

	// 3. A re-INVITE putting the call on hold (sendonly): the phone answers recvonly.
	req = sip.NewRequest(sip.INVITE, in.remoteTarget())
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(sdpTo(signalled, sendOnly))
	res, err = in.do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("hold re-INVITE: %v %v", res, err)
	}
	if ans, err := parseSDP(res.Body()); err != nil || ans.direction != recvOnly {
		t.Errorf("hold answer %+v %v, want recvonly", ans, err)
	}

	// 4. A re-INVITE without SDP: the phone offers in its 200, the answer comes in the ACK.
	req = sip.NewRequest(sip.INVITE, in.remoteTarget())
	res, err = in.do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("empty re-INVITE: %v %v", res, err)
	}
	offer, err := parseSDP(res.Body())
	if err != nil || len(offer.Payloads) != 2 || offer.EventPT != payloadEvent {
		t.Fatalf("offer in the 200: %+v %v, want PCMU, PCMA and telephone-event", offer, err)
	}
	ack := sip.NewRequest(sip.ACK, in.remoteTarget())
	ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	ack.SetBody(sdpTo(signalled, sendRecv))
	ack.Laddr = b.laddr()
	if err := in.ss.WriteRequest(ack); err != nil {
		t.Fatal(err)
	}

	// 5. An UPDATE refreshing the session, with us as refresher.
	req = sip.NewRequest(sip.UPDATE, in.remoteTarget())
	req.AppendHeader(sip.NewHeader("Session-Expires", "1800;refresher=uas"))
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	res, err = in.do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("UPDATE: %v %v", res, err)
	}
	if se := res.GetHeader("Session-Expires"); se == nil || se.Value() != "1800;refresher=uas" {
		t.Errorf("Session-Expires in the UPDATE's answer: %v, want 1800;refresher=uas", se)
	}
	out.mu.Lock()
	refreshing := out.refresh != nil
	out.mu.Unlock()
	if !refreshing {
		t.Error("the phone was made refresher but schedules no refresh")
	}
	if out.State() != Answered {
		t.Errorf("call is %s after re-INVITEs and UPDATE, want answered", out.State())
	}
}

func TestOptionsAnswered(t *testing.T) {
	a := newTestPhone(t, "alice", 0)
	b := newTestPhone(t, "bob", 0)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: int(a.Addr().Port())})
	req.Laddr = b.laddr()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	res, err := b.client.Do(ctx, req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("OPTIONS: %v %v", res, err)
	}
	if allow := res.GetHeader("Allow"); allow == nil || !strings.Contains(allow.Value(), "REFER") {
		t.Errorf("Allow: %v", allow)
	}
}

func TestManyConcurrentCalls(t *testing.T) {
	const calls = 30
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	a := newTestPhone(t, "alice", 1000)
	b := newTestPhone(t, "bob", 600, func(c *Config) { c.AutoAnswer = true })
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := a.Dial(ctx, uriOf(b))
			if err != nil {
				errs <- err
				return
			}
			if err := c.WaitTone(ctx, 600); err != nil {
				errs <- err
			}
			if err := c.Hangup(ctx); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	a, err := New(ctx, Config{Server: "127.0.0.1:9", User: "alice", Tone: 1000, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, Config{Server: "127.0.0.1:9", User: "bob", Tone: 600, AutoAnswer: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	// One call ended by BYE, one left up for Close, one left ringing for Close.
	c1, err := a.Dial(ctx, uriOf(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := c1.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	c2, err := a.Dial(ctx, uriOf(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.WaitTone(ctx, 600); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	select {
	case <-c2.Done():
	default:
		t.Error("Close left a call up")
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAnswerAndRejectAfterAutoAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	a := newTestPhone(t, "alice", 1000)
	b := newTestPhone(t, "bob", 600, func(c *Config) { c.AutoAnswer = true })
	out, err := a.Dial(ctx, uriOf(b))
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Answer(ctx); err != nil {
		t.Errorf("Answer on an auto-answered call: %v, want nil", err)
	}
	if err := in.Reject(ctx, 486); err == nil {
		t.Error("Reject on an answered call succeeded")
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.WaitEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if err := in.Answer(ctx); !errors.Is(err, ErrCallEnded) {
		t.Errorf("Answer on an ended call: %v, want ErrCallEnded", err)
	}
}

func TestWAVAudioIsSentAndHeard(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Half a second of 800 Hz, looped.
	var samples []int16
	for _, f := range toneFrames(800, 25) {
		samples = append(samples, f...)
	}
	path := t.TempDir() + "/tone.wav"
	if err := os.WriteFile(path, wavBytes(samples, 8000, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := LoadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	a := newTestPhone(t, "alice", 0, func(c *Config) { c.Audio = w.Source })
	b := newTestPhone(t, "bob", 0)
	_, in := directCall(t, ctx, a, b)
	if err := in.WaitTone(ctx, 800); err != nil {
		t.Error(err)
	}
}
