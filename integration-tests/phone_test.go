package integrationtests

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

// testLogger logs to the test's output; HOTLINE_TEST_DEBUG=1 shows the phones' debug lines.
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("HOTLINE_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// handset starts a registered operator handset sending a tone of hz; it closes with the test.
func handset(t testing.TB, sb sandbox.Config, ext string, hz float64, mod ...func(*sipphone.Config)) *sipphone.Phone {
	t.Helper()
	cfg := sipphone.Config{
		Server: sb.SIPAddr, User: ext, DisplayName: "Handset " + ext, Password: sb.HandsetPassword,
		Tone: hz, Detect: []float64{600, 1000}, Logger: testLogger(t),
	}
	for _, m := range mod {
		m(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := sipphone.New(ctx, cfg)
	if err != nil {
		t.Fatalf("handset %s: %v", ext, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close handset %s: %v", ext, err)
		}
	})
	return p
}

func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// contactOf returns the line of 'pjsip show contacts' for ext, or "".
func contactOf(t testing.TB, sb sandbox.Config, ext string) string {
	t.Helper()
	out, err := sb.CLI(testContext(t, 10*time.Second), "pjsip show contacts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Contact:") && strings.Contains(line, " "+ext+"/sip:") {
			return line
		}
	}
	return ""
}

func TestHandsetRegistersAndUnregisters(t *testing.T) {
	sb := sandbox.Require(t)
	ctx := testContext(t, 20*time.Second)
	p, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1051", Password: sb.HandsetPassword, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if line := contactOf(t, sb, "1051"); !strings.Contains(line, p.Addr().String()) {
		p.Close()
		t.Fatalf("after registering, Asterisk's contact for 1051 is %q, want one at %s", line, p.Addr())
	}
	if err := p.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if line := contactOf(t, sb, "1051"); line != "" {
		t.Fatalf("after Close, Asterisk still has a contact for 1051: %q", line)
	}
}

func TestHandsetWrongPasswordIsRefused(t *testing.T) {
	sb := sandbox.Require(t)
	ctx := testContext(t, 20*time.Second)
	p, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1052", Password: "not-" + sb.HandsetPassword, Logger: testLogger(t)})
	if err == nil {
		p.Close()
		t.Fatal("registering with a wrong password succeeded")
	}
	var re *sipphone.ResponseError
	if !asResponseError(err, &re) || re.Code != 401 && re.Code != 403 {
		t.Fatalf("registering with a wrong password: %v, want a 401 or 403", err)
	}
}

func TestHandsetsCallEachOtherAndHearEachOther(t *testing.T) {
	sb := sandbox.Require(t)
	a := handset(t, sb, "1001", 1000)
	b := handset(t, sb, "1002", 600)
	ctx := testContext(t, 30*time.Second)

	out, err := a.Invite(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	in, err := b.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WaitState(ctx, sipphone.Ringing); err != nil {
		t.Fatalf("1001 waits for ringing: %v", err)
	}
	if id := in.Caller(); id.User != "1001" {
		t.Errorf("1002 sees the call from %+v, want user 1001", id)
	}
	if err := in.Answer(ctx); err != nil {
		t.Fatalf("1002 answers: %v", err)
	}
	if err := out.WaitAnswer(ctx); err != nil {
		t.Fatalf("1001 waits for the answer: %v", err)
	}
	if codes := out.Codes(); !contains(codes, 180) || codes[len(codes)-1] != 200 {
		t.Errorf("1001 got responses %v, want a 180 and a final 200", codes)
	}
	if err := out.WaitTone(ctx, 600); err != nil {
		t.Errorf("1001 hears 1002: %v", err)
	}
	if err := in.WaitTone(ctx, 1000); err != nil {
		t.Errorf("1002 hears 1001: %v", err)
	}
	// Each hears only the other, not itself.
	if s := out.Stats(); s.Tones[1000] > 0 {
		t.Errorf("1001 hears its own 1000 Hz tone (%d frames): %+v", s.Tones[1000], s)
	}
	if err := out.Hangup(ctx); err != nil {
		t.Fatalf("1001 hangs up: %v", err)
	}
	end, err := in.WaitEnd(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if end.By != sipphone.Remote || end.Reason != "BYE received" {
		t.Errorf("1002's call ended %v, want a BYE received", end)
	}
	if s := in.Stats(); s.PacketsReceived < 5 || s.PacketsSent < 5 {
		t.Errorf("1002's media: %+v, want packets both ways", s)
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
