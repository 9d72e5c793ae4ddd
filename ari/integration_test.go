package ari_test

// Integration tests against the sandbox Asterisk (asterisk-conf/sandbox up). They fail, never skip,
// when it is not there. Each test registers its own Stasis application, so tests do not see each
// other's channels.

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

func isStasisStart(id string) func(ari.Event) bool {
	return func(e ari.Event) bool {
		s, ok := e.(*ariv6.StasisStart)
		return ok && s.Channel.ID == id
	}
}

// originateEcho puts a channel to the echo extension into the stream's application under our id
// and waits for its StasisStart.
func originateEcho(t *testing.T, s *stream, id string) {
	t.Helper()
	ctx := ctxT(t, 10*time.Second)
	ch, err := s.Originate(ctx, ari.OriginateRequest{Endpoint: echo, ChannelID: id, App: s.Application(), AppArgs: "test", CallerID: `"Test" <555>`})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != id {
		t.Fatalf("originate: channel id %q, want ours %q", ch.ID, id)
	}
	ev, _ := s.waitFor(10*time.Second, "StasisStart of "+id, isStasisStart(id))
	if args := ev.(*ariv6.StasisStart).Args; len(args) != 1 || args[0] != "test" {
		t.Errorf("StasisStart args = %q, want [test]", args)
	}
	t.Cleanup(func() { _ = s.Channel(id).Hangup(ctxT(t, 5*time.Second), ari.HangupNormal) })
}

// requireModule fails the test, saying what to fix, when Asterisk has not loaded a module hotline needs.
func requireModule(t *testing.T, sb sandbox.Config, module, why string) {
	t.Helper()
	out, err := sb.CLI(ctxT(t, 10*time.Second), "module show like "+module)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, module) {
		t.Fatalf("Asterisk has not loaded %s, which hotline needs for %s: add 'load = %s' to asterisk-conf/modules.conf", module, why, module)
	}
}

func TestOriginateAnswerPlayHangup(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-play"), nil)
	id := uniq("chan")
	originateEcho(t, s, id)
	ctx := ctxT(t, 30*time.Second)
	ch := s.Channel(id)
	if err := ch.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	pbID := uniq("pb")
	pb, err := ch.Play(ctx, ari.PlayRequest{Media: []string{"sound:hello-world"}, PlaybackID: pbID})
	if err != nil {
		t.Fatal(err)
	}
	if pb.ID != pbID {
		t.Errorf("playback id %q, want %q", pb.ID, pbID)
	}
	s.waitFor(15*time.Second, "PlaybackStarted", func(e ari.Event) bool {
		p, ok := e.(*ariv6.PlaybackStarted)
		return ok && p.Playback.ID == pbID
	})
	ev, _ := s.waitFor(15*time.Second, "PlaybackFinished", func(e ari.Event) bool {
		p, ok := e.(*ariv6.PlaybackFinished)
		return ok && p.Playback.ID == pbID
	})
	if st := ev.(*ariv6.PlaybackFinished).Playback.State; st != "done" {
		t.Errorf("playback finished in state %q, want done", st)
	}
	if err := ch.Hangup(ctx, ari.HangupBusy); err != nil {
		t.Fatal(err)
	}
	ev, _ = s.waitFor(10*time.Second, "ChannelDestroyed", func(e ari.Event) bool {
		d, ok := e.(*ariv6.ChannelDestroyed)
		return ok && d.Channel.ID == id
	})
	if cause := ev.(*ariv6.ChannelDestroyed).Cause; cause != 17 { // busy is Q.850 17
		t.Errorf("hangup cause %d, want 17 (busy)", cause)
	}
}

func TestErrorsKeepStatusAndMessage(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-err"), nil)
	ctx := ctxT(t, 20*time.Second)

	// A channel that runs the dialplan, not our application: Asterisk answers 409.
	outside := uniq("outside")
	if _, err := s.Originate(ctx, ari.OriginateRequest{Endpoint: echo, ChannelID: outside, Context: "hotline-operators", Extension: "*43", Priority: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Channel(outside).Hangup(ctxT(t, 5*time.Second), "") })

	tests := []struct {
		name   string
		call   func() error
		want   error
		status int
	}{
		{"hangup unknown channel", func() error { return s.Channel("no-such-channel").Hangup(ctx, "") }, ari.ErrNotFound, 404},
		{"answer channel not in Stasis", func() error { return s.Channel(outside).Answer(ctx) }, ari.ErrConflict, 409},
		{"play to unknown bridge", func() error {
			_, err := s.Bridge("no-such-bridge").Play(ctx, ari.PlayRequest{Media: []string{"sound:beep"}})
			return err
		}, ari.ErrNotFound, 404},
		{"originate without endpoint", func() error {
			_, err := s.Originate(ctx, ari.OriginateRequest{App: s.Application()})
			return err
		}, ari.ErrBadRequest, 400},
		{"stored recording missing", func() error {
			_, err := s.StoredRecording(ctx, "no-such-recording")
			return err
		}, ari.ErrNotFound, 404},
		{"download missing recording", func() error {
			_, _, err := s.DownloadStoredRecording(ctx, "no-such-recording", io.Discard)
			return err
		}, ari.ErrNotFound, 404},
		{"add a missing channel to a bridge", func() error {
			bid := uniq("err-bridge")
			if _, err := s.CreateBridge(ctx, bid, ari.BridgeMixing, ""); err != nil {
				return err
			}
			defer s.Bridge(bid).Destroy(ctx)
			return s.Bridge(bid).AddChannel(ctx, ari.AddChannelOptions{}, "no-such-channel")
		}, ari.ErrBadRequest, 400},
		{"record in an unknown format", func() error {
			bid := uniq("err-bridge")
			if _, err := s.CreateBridge(ctx, bid, ari.BridgeMixing, ""); err != nil {
				return err
			}
			defer s.Bridge(bid).Destroy(ctx)
			_, err := s.Bridge(bid).Record(ctx, ari.RecordRequest{Name: uniq("rec"), Format: "no-such-format"})
			return err
		}, ari.ErrUnprocessable, 422},
		{"record over a recording in progress", func() error {
			bid, name := uniq("err-bridge"), uniq("rec")
			if _, err := s.CreateBridge(ctx, bid, ari.BridgeMixing, ""); err != nil {
				return err
			}
			defer s.Bridge(bid).Destroy(ctx)
			if _, err := s.Bridge(bid).Record(ctx, ari.RecordRequest{Name: name, Format: "wav"}); err != nil {
				return err
			}
			defer s.DeleteStoredRecording(ctx, name)
			_, err := s.Bridge(bid).Record(ctx, ari.RecordRequest{Name: name, Format: "wav"})
			return err
		}, ari.ErrConflict, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want errors.Is %v", err, tt.want)
			}
			var ae *ari.Error
			if !errors.As(err, &ae) {
				t.Fatalf("%v is not *ari.Error", err)
			}
			if ae.StatusCode != tt.status || ae.Message == "" || ae.Op == "" {
				t.Errorf("got status %d message %q op %q; want %d and both set", ae.StatusCode, ae.Message, ae.Op, tt.status)
			}
			t.Log(err)
		})
	}
}

func TestBridgeAndRecord(t *testing.T) {
	sb := sandbox.Require(t)
	requireModule(t, sb, "chan_bridge_media.so", "bridge recording and bridge playback (Recorder/Announcer channels)")
	s := start(t, sb, uniq("t-bridge"), nil)
	ctx := ctxT(t, 60*time.Second)
	a, b := uniq("a"), uniq("b")
	originateEcho(t, s, a)
	originateEcho(t, s, b)

	bid := uniq("bridge")
	br, err := s.CreateBridge(ctx, bid, ari.BridgeMixing, "test")
	if err != nil {
		t.Fatal(err)
	}
	if br.ID != bid {
		t.Fatalf("bridge id %q, want %q", br.ID, bid)
	}
	bridge := s.Bridge(bid)
	t.Cleanup(func() { _ = bridge.Destroy(ctxT(t, 5*time.Second)) })
	if err := bridge.AddChannel(ctx, ari.AddChannelOptions{}, a, b); err != nil {
		t.Fatal(err)
	}
	entered := map[string]bool{}
	s.waitFor(10*time.Second, "both ChannelEnteredBridge", func(e ari.Event) bool {
		if en, ok := e.(*ariv6.ChannelEnteredBridge); ok && en.Bridge.ID == bid {
			entered[en.Channel.ID] = true
		}
		return entered[a] && entered[b]
	})
	data, err := bridge.Data(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(data.ChannelIDs) != 2 {
		t.Errorf("bridge holds %v, want %s and %s", data.ChannelIDs, a, b)
	}

	name := uniq("rec")
	if _, err := bridge.Record(ctx, ari.RecordRequest{Name: name, Format: "wav", IfExists: "fail"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.DeleteStoredRecording(ctxT(t, 5*time.Second), name) })
	s.waitFor(10*time.Second, "RecordingStarted", func(e ari.Event) bool {
		r, ok := e.(*ariv6.RecordingStarted)
		return ok && r.Recording.Name == name
	})
	// Something to record: a prompt played into the bridge, echoed by both legs.
	pbID := uniq("pb")
	if _, err := bridge.Play(ctx, ari.PlayRequest{Media: []string{"sound:hello-world"}, PlaybackID: pbID}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(15*time.Second, "PlaybackFinished in bridge", func(e ari.Event) bool {
		p, ok := e.(*ariv6.PlaybackFinished)
		return ok && p.Playback.ID == pbID
	})
	if err := s.StopRecording(ctx, name); err != nil {
		t.Fatal(err)
	}
	s.waitFor(10*time.Second, "RecordingFinished", func(e ari.Event) bool {
		r, ok := e.(*ariv6.RecordingFinished)
		return ok && r.Recording.Name == name
	})

	stored, err := s.StoredRecording(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Format != "wav" {
		t.Errorf("stored format %q, want wav", stored.Format)
	}
	var buf bytes.Buffer
	n, ctype, err := s.DownloadStoredRecording(ctx, name, &buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("downloaded %d bytes, %s", n, ctype)
	// hello-world is ~1 s; at 8 kHz 16-bit that is ~16 kB on top of a 44-byte header.
	if n < 8000 || !bytes.HasPrefix(buf.Bytes(), []byte("RIFF")) {
		t.Errorf("recording: %d bytes, prefix %q; want a WAV file of at least 8000 bytes", n, buf.Bytes()[:min(4, buf.Len())])
	}
	onDisk, err := os.ReadFile(filepath.Join(sb.Root, "var/spool/asterisk/recording", name+".wav"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, buf.Bytes()) {
		t.Errorf("downloaded %d bytes differ from the %d bytes on Asterisk's disk", buf.Len(), len(onDisk))
	}

	if err := bridge.RemoveChannel(ctx, a); err != nil {
		t.Fatal(err)
	}
	s.waitFor(10*time.Second, "ChannelLeftBridge", func(e ari.Event) bool {
		l, ok := e.(*ariv6.ChannelLeftBridge)
		return ok && l.Channel.ID == a && l.Bridge.ID == bid
	})
}

// TestHoldingBridgeMOH: a caller waiting in a holding bridge hears music on hold.
func TestHoldingBridgeMOH(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-hold"), nil)
	ctx := ctxT(t, 30*time.Second)
	id := uniq("waiting")
	originateEcho(t, s, id)
	bid := uniq("queue")
	br, err := s.CreateBridge(ctx, bid, ari.BridgeHolding, "queue")
	if err != nil {
		t.Fatal(err)
	}
	if br.Type != ari.BridgeHolding {
		t.Errorf("bridge type %q, want holding", br.Type)
	}
	b := s.Bridge(bid)
	t.Cleanup(func() { _ = b.Destroy(ctxT(t, 5*time.Second)) })
	if err := b.AddChannel(ctx, ari.AddChannelOptions{Role: "participant"}, id); err != nil {
		t.Fatal(err)
	}
	s.waitFor(5*time.Second, "ChannelEnteredBridge", typed(func(e *ariv6.ChannelEnteredBridge) bool { return e.Channel.ID == id }))
	if err := b.StartMOH(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	out, err := sb.CLI(ctx, "core show channels concise")
	if err != nil {
		t.Fatal(err)
	}
	// The holding bridge plays MOH through an announcer channel.
	if !strings.Contains(out, "Announcer/") && !strings.Contains(out, "MusicOnHold") {
		t.Errorf("no MOH announcer channel after StartMOH:\n%s", out)
	}
	if err := b.StopMOH(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	s.waitFor(5*time.Second, "ChannelLeftBridge on destroy", typed(func(e *ariv6.ChannelLeftBridge) bool { return e.Channel.ID == id }))
}
