package integrationtests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

func within(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// callOf returns the caller's newest call and its legs (numbers are read as the journal stores
// them: 79001110001 is +79001110001).
func callOf(t *testing.T, d *hotlinetest.Daemon, number string) (hotline.Call, []hotline.Leg) {
	t.Helper()
	ctx := within(t, 5*time.Second)
	calls, err := d.Store.Calls(ctx, journal.CallFilter{Caller: number})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 {
		t.Fatalf("caller %s has no call in the journal", number)
	}
	c, err := d.Store.Call(ctx, calls[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return c, c.Legs
}

// waitLegEnded waits until the caller's newest call has been written as ended (the journal writer
// runs after the hangup), and returns it with its last leg.
func waitLegEnded(t *testing.T, d *hotlinetest.Daemon, number string) (hotline.Call, hotline.Leg) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx := within(t, 5*time.Second)
		calls, err := d.Store.Calls(ctx, journal.CallFilter{Caller: number})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) > 0 && !calls[0].EndedAt.IsZero() {
			c, err := d.Store.Call(ctx, calls[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Legs) > 0 && c.Legs[len(c.Legs)-1].End != "" {
				return c, c.Legs[len(c.Legs)-1]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ended call for caller %s in the journal after 10 s (calls: %+v)", number, calls)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The whole call as a person notices it: greeting, music in the queue, an operator who logs in
// from the handset, both sides hearing each other, the recording holding both voices, and the case.
func TestCallGreetingQueueOperatorRecordingCase(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	h := d.Handset("1001", 300*time.Millisecond)
	const number = "79001110001"
	ctx := within(t, 90*time.Second)

	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatalf("the hotline number did not answer: %v", err)
	}
	if err := c.WaitAudio(within(t, 5*time.Second)); err != nil {
		t.Fatalf("caller heard no greeting: %v", err)
	}
	st, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return len(st.Queue) == 1 })
	if err != nil {
		t.Fatalf("caller never queued: %v", err)
	}
	if q := st.Queue[0]; q.CallerNumber != "+"+number || q.Position != 1 {
		t.Errorf("queue entry = %+v, want caller %s at position 1", q, number)
	}
	// Nobody is logged in: the caller waits, hearing music, not silence.
	before := c.Stats().LoudFrames
	time.Sleep(3 * time.Second)
	// 3 s is 150 frames of 20 ms; music has quiet passages, silence has no loud frame at all.
	if got := c.Stats().LoudFrames - before; got < 30 {
		t.Errorf("caller heard %d loud frames in 3 s of waiting: no music on hold", got)
	}

	if !d.FeatureCode(h, "*21") {
		t.Errorf("login by *21: no confirmation prompt heard")
	}
	in, err := h.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("logged-in operator was not rung: %v", err)
	}
	if got := in.Caller().User; got != "+"+number {
		t.Errorf("handset shows caller %q, want %q", got, number)
	}
	if err := c.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Errorf("caller does not hear the operator: %v", err)
	}
	if err := in.WaitTone(within(t, 10*time.Second), hotlinetest.CallerTone); err != nil {
		t.Errorf("operator does not hear the caller: %v", err)
	}
	// Recorded on the caller's channel, not in the bridge: the bridge holds the two parties only,
	// and Asterisk keeps it simple (no mixing; a recording channel in it made it softmix).
	wantTwoPartyBridge(t, d.Sandbox)
	time.Sleep(2 * time.Second) // a conversation worth recording
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Errorf("operator's leg not ended after the caller hung up: %v", err)
	}

	cs, leg := waitLegEnded(t, d, number)
	if cs.Outcome != hotline.OutcomeAnswered || cs.CallerNumber != "+"+number || !cs.CallerValid || cs.Line != "100" {
		t.Errorf("call = %+v; want answered, from +%s on line 100", cs, number)
	}
	// Nobody registered it: a call, no case.
	if n, err := d.Store.CountCases(within(t, 5*time.Second), journal.CaseFilter{}); err != nil || n != 0 || len(cs.Cases) != 0 {
		t.Errorf("cases after an unregistered call: %d, %v, on the call %v; want none", n, err, cs.Cases)
	}
	if leg.End != hotline.LegCompleted {
		t.Errorf("leg ended %q, want completed", leg.End)
	}
	if leg.OperatorID != d.OperatorID("1001") {
		t.Errorf("leg operator = %d, want 1001's", leg.OperatorID)
	}
	times := []struct {
		name string
		at   time.Time
	}{{"arrived", leg.ArrivedAt}, {"greeting end", leg.GreetingEndAt}, {"queued", leg.QueuedAt}, {"answered", leg.AnsweredAt}, {"ended", leg.EndedAt}}
	for i, tm := range times {
		if tm.at.IsZero() {
			t.Errorf("leg has no %s time: %+v", tm.name, leg)
		} else if i > 0 && tm.at.Before(times[i-1].at) {
			t.Errorf("leg %s (%s) before %s (%s)", tm.name, tm.at, times[i-1].name, times[i-1].at)
		}
	}
	if w := leg.QueueWait(); w < 2*time.Second {
		t.Errorf("queue wait %s; the caller waited over 2 s for the login", w)
	}
	if leg.RecordingName == "" {
		t.Fatalf("leg has no recording")
	}
	wav := loadRecording(t, d, leg.RecordingName)
	if n := sipphone.ToneFrames(wav.Samples, hotlinetest.CallerTone, 0.2); n < 25 {
		t.Errorf("recording holds the caller's tone in %d frames; want both voices", n)
	}
	if n := sipphone.ToneFrames(wav.Samples, hotlinetest.OperatorTone, 0.2); n < 25 {
		t.Errorf("recording holds the operator's tone in %d frames; want both voices", n)
	}
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceAvailable
	}); err != nil {
		t.Errorf("operator not available again after wrap-up: %v", err)
	}
}

// Each routing rule picks the operator it promises, with real handsets ringing. Each case logs
// operators in (by feature code) and lets some take calls, in an order where the rule under test
// and the obvious alternatives disagree.
func TestRoutingRulesPickTheExpectedOperator(t *testing.T) {
	tests := []struct {
		name     string
		strategy string
		ops      []hotlinetest.Operator
		steps    []string // "login EXT", or "call EXT": a call answered by EXT, the only one logged in
		want     string
	}{
		{"longest idle: first logged in", "longest-idle", []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}},
			[]string{"login 1001", "login 1002"}, "1001"},
		{"longest idle: order reversed", "longest-idle", []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}},
			[]string{"login 1002", "login 1001"}, "1002"},
		// 1001 took a call and has been idle longest since; 1002 took none.
		{"fewest calls", "fewest-calls", []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}},
			[]string{"login 1001", "call 1001", "login 1002"}, "1002"},
		// 1001 (tier 1) has been idle longest; 1002 is in tier 0.
		{"priority tiers", "longest-idle", []hotlinetest.Operator{{Extension: "1001", Tier: 1}, {Extension: "1002", Tier: 0}},
			[]string{"login 1001", "login 1002"}, "1002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := hotlinetest.Start(t, tt.ops, func(c *config.Config) { c.Calls.Strategy = tt.strategy })
			phones := map[string]*sipphone.Phone{}
			for _, o := range tt.ops {
				phones[o.Extension] = d.Handset(o.Extension, -1) // answered by the test
			}
			ctx := within(t, 120*time.Second)
			for i, step := range tt.steps {
				verb, ext, _ := strings.Cut(step, " ")
				switch verb {
				case "login":
					if !d.FeatureCode(phones[ext], "*21") {
						t.Errorf("%s: no login prompt", ext)
					}
				case "call":
					c, err := d.Caller(fmt.Sprintf("790022200%02d", i)).Dial(ctx, "100")
					if err != nil {
						t.Fatal(err)
					}
					in, err := phones[ext].Incoming(within(t, 20*time.Second))
					if err != nil {
						t.Fatalf("step %q: %s not rung: %v", step, ext, err)
					}
					if err := in.Answer(ctx); err != nil {
						t.Fatal(err)
					}
					if err := c.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
						t.Fatalf("step %q: caller does not hear %s: %v", step, ext, err)
					}
					_ = c.Hangup(ctx)
					if _, err := in.WaitEnd(within(t, 10*time.Second)); err != nil {
						t.Fatal(err)
					}
					if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
						return hotlinetest.Presence(st, ext) == hotline.PresenceAvailable
					}); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(100 * time.Millisecond) // distinct idle-since times
			}
			c, err := d.Caller("79002229999").Dial(ctx, "100")
			if err != nil {
				t.Fatal(err)
			}
			st, err := d.WaitStatus(20*time.Second, func(st switchboard.Status) bool {
				for _, o := range tt.ops {
					if hotlinetest.Presence(st, o.Extension) == hotline.PresenceRinging {
						return true
					}
				}
				return false
			})
			if err != nil {
				t.Fatalf("no operator rung for the probe call: %v", err)
			}
			for _, o := range tt.ops {
				if p := hotlinetest.Presence(st, o.Extension); (p == hotline.PresenceRinging) != (o.Extension == tt.want) {
					t.Errorf("%s is %s; want only %s rung", o.Extension, p, tt.want)
				}
			}
			in, err := phones[tt.want].Incoming(within(t, 10*time.Second))
			if err != nil {
				t.Fatalf("%s's handset did not ring: %v", tt.want, err)
			}
			_ = in.Answer(ctx)
			if err := c.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
				t.Errorf("probe caller does not hear %s: %v", tt.want, err)
			}
			_ = c.Hangup(ctx)
		})
	}
}

// The English line (101: Stasis(hotline,inbound,language=en)) goes to the operator who speaks
// English, though the other has been idle longer.
func TestEnglishLineGoesToAnEnglishSpeaker(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002", Languages: []string{"en"}}}, nil)
	h1 := d.Handset("1001", 0)
	h2 := d.Handset("1002", 0)
	d.FeatureCode(h1, "*21") // idle longest
	time.Sleep(200 * time.Millisecond)
	d.FeatureCode(h2, "*21")
	ctx := within(t, 60*time.Second)
	c, err := d.Caller("79005550001").Dial(ctx, "101")
	if err != nil {
		t.Fatalf("the English line did not answer: %v", err)
	}
	if err := c.WaitTone(within(t, 20*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("English-line caller not answered: %v", err)
	}
	_ = c.Hangup(ctx)
	_, leg := waitLegEnded(t, d, "79005550001")
	if leg.OperatorID != d.OperatorID("1002") {
		t.Errorf("answered by operator %d, want 1002 (%d), who speaks English", leg.OperatorID, d.OperatorID("1002"))
	}
}

// wantTwoPartyBridge asserts that Asterisk has one bridge, of the caller and the operator only, as
// a simple_bridge: the conversation is recorded on the caller's channel (MixMonitor), not by a
// recording channel in the bridge.
func wantTwoPartyBridge(t *testing.T, sb sandbox.Config) {
	t.Helper()
	var bridges []struct {
		ID         string   `json:"id"`
		Technology string   `json:"technology"`
		Channels   []string `json:"channels"`
	}
	ariGet(t, sb, "/bridges", &bridges)
	if len(bridges) != 1 || bridges[0].Technology != "simple_bridge" || len(bridges[0].Channels) != 2 {
		t.Errorf("bridges during the conversation = %+v; want one simple_bridge of 2 channels", bridges)
	}
}

// loadRecording reads a stored recording from the sandbox's disk, waiting for Asterisk to close it
// (when the recorded channel hangs up or the recording is stopped).
func loadRecording(t *testing.T, d *hotlinetest.Daemon, name string) *sipphone.WAV {
	t.Helper()
	path := d.RecordingPath(name, "wav")
	var wav *sipphone.WAV
	var err error
	for i := 0; i < 50; i++ {
		if wav, err = sipphone.LoadWAV(path); err == nil && len(wav.Samples) > 8000 {
			return wav
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("recording %s: %v", path, err)
	}
	return wav
}

// TestTopicConfirmationsKeepTheConversation: the operator keys a topic several times during the
// call; each time hotline confirms with a beep to the operator's channel alone, and after each the
// caller and the operator still hear each other. The keys are hotline's, not the caller's: the
// caller's phone gets none of them. (A beep used to start while the key's end was still owed to
// the caller: Asterisk then held the caller's RTP in "sending a digit" for good, and the caller
// heard nothing more, in about one beep of five.)
func TestTopicConfirmationsKeepTheConversation(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	ctx := within(t, 90*time.Second)
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Store.AddTopic(ctx, by, hotline.Topic{Code: "confirm", Number: 56, Type: hotline.TypeConsultation, Title: "Подтверждение"}); err != nil {
		t.Fatal(err)
	}
	h := d.Handset("1001", 300*time.Millisecond)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	const number = "79009980001"
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	in := operatorTakes(t, h, c, number)
	const rounds = 8 // the old fault hit about one beep in five
	for i := range rounds {
		if err := in.SendDTMF(ctx, "*56#"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			waitCases(t, d, number, 1) // keyed and filed: the beep that follows is the confirmation
		}
		// Counted from after the beep has begun: 250 ms covers hotline's journal write and the
		// playback's start (the beep itself is shorter than the 1 s of tone heardMore waits for).
		time.Sleep(250 * time.Millisecond)
		heardCaller, heardOperator := c.Stats().Tones[hotlinetest.OperatorTone], in.Stats().Tones[hotlinetest.CallerTone]
		if err := heardMore(within(t, 5*time.Second), c, hotlinetest.OperatorTone, heardCaller); err != nil {
			t.Fatalf("after confirmation %d: the caller no longer hears the operator: %v", i+1, err)
		}
		if err := heardMore(within(t, 5*time.Second), in, hotlinetest.CallerTone, heardOperator); err != nil {
			t.Fatalf("after confirmation %d: the operator no longer hears the caller: %v", i+1, err)
		}
	}
	if got := c.Stats().DTMF; got != "" {
		t.Errorf("the caller's phone received the operator's keys %q, want none", got)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitLegEnded(t, d, number)
}
