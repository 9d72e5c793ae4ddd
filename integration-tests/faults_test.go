package integrationtests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// The restart fault suite (issue 19): `hotline serve` is killed (SIGKILL: no shutdown, nothing
// flushed beyond what each write made durable) in each state a call can be in, while the other
// party stays on the line or hangs up during the outage; then hotline starts again on the same
// journal. Each case asserts what the people on the line notice and what is left behind:
//
//   - no caller is dropped: one still on the line talks to an operator (or is told, by a prompt,
//     what happens next) after the restart;
//   - every call is written exactly once, each of its legs ended, with the outcome that says what
//     happened;
//   - Asterisk holds nothing of the call afterwards: no bridge, no channel, no live recording.
//
// docs/call-flow.md ("Restarts and faults") states the guarantees with this suite's figures.

// party is who, besides hotline, acts while hotline is down.
type party int

const (
	stays            party = iota // nobody hangs up: the call waits for hotline to come back
	otherHangsUp                  // the operator, specialist or colleague (the called caller for a callback) hangs up or declines
	callerHangsUp                 // the caller hangs up
	answersWhileDown              // the caller being called back answers before hotline is back
)

func (p party) String() string {
	return [...]string{"stays", "other hangs up", "caller hangs up", "answers while down"}[p]
}

func TestRestartFaults(t *testing.T) {
	cases := []struct {
		state   string
		parties []party
		run     func(t *testing.T, p party)
	}{
		{"greeting", []party{stays, callerHangsUp}, killInGreeting},
		{"queued", []party{stays, callerHangsUp}, killInQueue},
		{"ringing", []party{stays, otherHangsUp, callerHangsUp}, killWhileRinging},
		{"bridged", []party{stays, otherHangsUp, callerHangsUp}, killWhileBridged},
		{"consultation", []party{stays, otherHangsUp, callerHangsUp}, killInConsultation},
		{"transfer in progress", []party{stays, otherHangsUp, callerHangsUp}, killInTransfer},
		{"wrap-up", []party{stays}, killInWrapUp},
		{"callback dialling", []party{stays, otherHangsUp, answersWhileDown}, killWhileDiallingBack},
	}
	for _, c := range cases {
		for _, p := range c.parties {
			t.Run(c.state+"/"+p.String(), func(t *testing.T) { c.run(t, p) })
		}
	}
}

// faultRig is operator 1001's handset (answering after answerDelay; negative: by hand), optionally
// level-2 specialist 1041 (answering by hand), and `hotline serve` as a process, ready to be killed.
type faultRig struct {
	d      *hotlinetest.Daemon
	h      *sipphone.Phone
	spec   *sipphone.Phone
	serve  *serveProcess
	specID int64
	start  time.Time
}

func startFaultRig(t *testing.T, answerDelay time.Duration, specialist bool, tweak func(*config.Config)) *faultRig {
	t.Helper()
	r := &faultRig{start: time.Now()}
	r.d = hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, tweak)
	ctx := within(t, 30*time.Second)
	if specialist {
		by, err := r.d.Store.Actor(ctx, "test-admin")
		if err != nil {
			t.Fatal(err)
		}
		spec := hotline.Operator{Name: "Specialist 1041", Login: "spec1041", Role: hotline.RoleOperator, Level: hotline.Level2,
			Extension: "1041", Active: true}
		if err := r.d.Store.AddOperator(ctx, by, &spec); err != nil {
			t.Fatal(err)
		}
		r.specID = spec.ID
		if err := r.d.API.ReloadOperators(ctx); err != nil {
			t.Fatal(err)
		}
		r.spec, err = sipphone.New(ctx, sipphone.Config{Server: r.d.Sandbox.SIPAddr, User: "1041", Password: r.d.Sandbox.HandsetPassword,
			Tone: SpecialistTone, Detect: []float64{hotlinetest.CallerTone, hotlinetest.OperatorTone}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.spec.Close() })
	}
	r.h = r.d.Handset("1001", answerDelay)
	if !r.d.FeatureCode(r.h, "*21") {
		t.Fatal("login: no prompt")
	}
	r.serve = startServeProcess(t, r.d)
	if _, err := r.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		return st.Connected && hotlinetest.Presence(st, "1001") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("hotline serve (process) not serving with the operator available: %v", err)
	}
	return r
}

// restart starts hotline again (in-process, same journal) after the kill.
func (r *faultRig) restart(t *testing.T) {
	t.Helper()
	r.d.Restart()
}

// dial has the caller with number call the hotline.
func (r *faultRig) dial(t *testing.T, number string) *sipphone.Call {
	t.Helper()
	c, err := r.d.Caller(number).Dial(within(t, 10*time.Second), "100")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// talking brings the caller to operator 1001 (auto-answering) and checks they hear each other.
func (r *faultRig) talking(t *testing.T, number string) (caller, op *sipphone.Call) {
	t.Helper()
	caller = r.dial(t, number)
	op = operatorTakes(t, r.h, caller, number)
	return caller, op
}

// hangUp ends a call from its side (it may have ended already).
func hangUp(t *testing.T, c *sipphone.Call) {
	t.Helper()
	if err := c.Hangup(within(t, 5*time.Second)); err != nil && c.State() != sipphone.Ended {
		t.Fatal(err)
	}
}

// hangUpWhileDown ends c from its side while hotline is down, and waits until Asterisk has let
// its channel go: the party has left before hotline comes back, as in an outage of a few seconds.
func (r *faultRig) hangUpWhileDown(t *testing.T, c *sipphone.Call, reject bool) {
	t.Helper()
	before, _ := ariLeftovers(t, r.d.Sandbox, r.start)
	if reject {
		if err := c.Reject(within(t, 5*time.Second), 486); err != nil {
			t.Fatal(err)
		}
	} else {
		hangUp(t, c)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		now, _ := ariLeftovers(t, r.d.Sandbox, r.start)
		if len(now) < len(before) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Asterisk still has the channels %v after the hangup", now)
		}
	}
}

// outage kills hotline, lets party p act while it is down (the caller hangs up, or the other
// party — other, declining a ring when rejects — hangs up), runs during if set, and starts
// hotline again.
func (r *faultRig) outage(t *testing.T, p party, caller, other *sipphone.Call, rejects bool, during func()) {
	t.Helper()
	r.serve.kill(t)
	switch p {
	case otherHangsUp:
		r.hangUpWhileDown(t, other, rejects)
	case callerHangsUp:
		r.hangUpWhileDown(t, caller, false)
	}
	if during != nil {
		during()
	}
	r.restart(t)
}

// notDropped checks that the caller's call is still up.
func notDropped(t *testing.T, c *sipphone.Call, when string) {
	t.Helper()
	if c.State() == sipphone.Ended {
		t.Fatalf("caller dropped %s: %v", when, c.End())
	}
}

// writtenOnce checks the journal after the caller's call has ended: exactly one call for the
// number, every leg ended, the outcome and the legs' ends as expected, distinct recordings.
func (r *faultRig) writtenOnce(t *testing.T, number string, outcome hotline.CallOutcome, ends ...hotline.LegEnd) hotline.Call {
	t.Helper()
	call, _ := waitLegEnded(t, r.d, number)
	// The journal writer may still be applying the last leg's sibling writes: give it a moment to
	// settle on the final outcome before judging.
	deadline := time.Now().Add(5 * time.Second)
	for call.Outcome != outcome && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		call, _ = callOf(t, r.d, number)
	}
	calls, err := r.d.Store.Calls(within(t, 5*time.Second), journal.CallFilter{Caller: number})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 {
		t.Errorf("caller %s has %d calls in the journal, want exactly 1: %+v", number, len(calls), calls)
	}
	if call.Outcome != outcome {
		t.Errorf("call outcome %q, want %q (call %+v)", call.Outcome, outcome, call)
	}
	var got []hotline.LegEnd
	recs := map[string]bool{}
	for _, l := range call.Legs {
		got = append(got, l.End)
		if l.EndedAt.IsZero() || l.End == "" {
			t.Errorf("leg left open: %+v", l)
		}
		if l.RecordingName != "" {
			if recs[l.RecordingName] {
				t.Errorf("two legs share recording %q", l.RecordingName)
			}
			recs[l.RecordingName] = true
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(ends) {
		t.Errorf("legs end %v, want %v (legs %+v)", got, ends, call.Legs)
	}
	return call
}

// nothingLeft checks that Asterisk holds nothing of this test's calls once everyone has hung up:
// no channel or bridge created since the rig started, no recording of the call still live.
func (r *faultRig) nothingLeft(t *testing.T, calls ...hotline.Call) {
	t.Helper()
	sb := r.d.Sandbox
	var chans, bridges []string
	deadline := time.Now().Add(15 * time.Second)
	for {
		chans, bridges = ariLeftovers(t, sb, r.start)
		if len(chans) == 0 && len(bridges) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(chans) > 0 || len(bridges) > 0 {
		t.Errorf("left in Asterisk after every party hung up: channels %v, bridges %v", chans, bridges)
	}
	for _, c := range calls {
		for _, l := range c.Legs {
			if l.RecordingName == "" {
				continue
			}
			if code := ariStatus(t, sb, "/recordings/live/"+l.RecordingName); code != http.StatusNotFound {
				t.Errorf("recording %s still live in Asterisk (GET /recordings/live: %d)", l.RecordingName, code)
			}
			if code := ariStatus(t, sb, "/recordings/stored/"+l.RecordingName); code != http.StatusOK {
				t.Errorf("recording %s of leg %+v not stored (GET /recordings/stored: %d)", l.RecordingName, l, code)
			}
		}
	}
}

// ariLeftovers lists the channels and bridges Asterisk has that were created after since.
func ariLeftovers(t *testing.T, sb sandbox.Config, since time.Time) (chans, bridges []string) {
	t.Helper()
	var cs []struct {
		ID, Name     string
		Creationtime string
	}
	ariGet(t, sb, "/channels", &cs)
	for _, c := range cs {
		if created(c.Creationtime).After(since) {
			chans = append(chans, c.ID+" ("+c.Name+")")
		}
	}
	var bs []struct {
		ID           string
		Creationtime string
		Channels     []string
	}
	ariGet(t, sb, "/bridges", &bs)
	for _, b := range bs {
		if created(b.Creationtime).After(since) {
			bridges = append(bridges, fmt.Sprintf("%s %v", b.ID, b.Channels))
		}
	}
	return chans, bridges
}

// created reads ARI's creation time (2006-01-02T15:04:05.000-0700); unreadable: the far future,
// so that the object counts as this test's.
func created(s string) time.Time {
	ts, err := time.Parse("2006-01-02T15:04:05.000-0700", s)
	if err != nil {
		return time.Now().Add(time.Hour)
	}
	return ts
}

func ariRequest(t *testing.T, sb sandbox.Config, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(within(t, 5*time.Second), http.MethodGet, strings.TrimSuffix(sb.ARIURL, "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(sb.ARIUser, sb.ARIPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("ARI GET %s: %v", path, err)
	}
	return res
}

func ariGet(t *testing.T, sb sandbox.Config, path string, v any) {
	t.Helper()
	res := ariRequest(t, sb, path)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ARI GET %s: %s", path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("ARI GET %s: %v", path, err)
	}
}

func ariStatus(t *testing.T, sb sandbox.Config, path string) int {
	t.Helper()
	res := ariRequest(t, sb, path)
	res.Body.Close()
	return res.StatusCode
}

// inGreeting: the call is in the switchboard and nobody is queued yet.
func inGreeting(st switchboard.Status) bool { return st.Calls == 1 && len(st.Queue) == 0 }

// killInGreeting: the greeting (30 s here) is playing when hotline dies.
func killInGreeting(t *testing.T, p party) {
	const number = "79001910001"
	r := startFaultRig(t, 300*time.Millisecond, false, func(c *config.Config) { c.Calls.Greeting = "sound:demo-congrats" })
	caller := r.dial(t, number)
	if _, err := r.d.WaitStatus(10*time.Second, inGreeting); err != nil {
		t.Fatalf("caller not in the greeting: %v", err)
	}
	r.outage(t, p, caller, nil, false, nil)
	if p == callerHangsUp {
		call := r.writtenOnce(t, number, hotline.OutcomeAbandonedGreeting, hotline.LegAbandoned)
		if !call.Legs[0].EndedAway {
			t.Errorf("leg %+v: want ended away (hotline was down)", call.Legs[0])
		}
		r.nothingLeft(t, call)
		return
	}
	// The rest of the greeting is not played twice over the operator: the caller is put through.
	operatorTakes(t, r.h, caller, number)
	hangUp(t, caller)
	call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
	if l := call.Legs[0]; l.OperatorID != r.d.OperatorID("1001") || l.RecordingName == "" {
		t.Errorf("leg %+v: want answered by 1001, recorded", l)
	}
	r.nothingLeft(t, call)
}

// killInQueue: the caller hears music in the queue (nobody free: the operator is paused).
func killInQueue(t *testing.T, p party) {
	const number = "79001920001"
	r := startFaultRig(t, 300*time.Millisecond, false, nil)
	if !r.d.FeatureCode(r.h, "*231") {
		t.Fatal("pause: no prompt")
	}
	caller := r.dial(t, number)
	if _, err := r.d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("caller not queued: %v", err)
	}
	r.outage(t, p, caller, nil, false, nil)
	if p == callerHangsUp {
		call := r.writtenOnce(t, number, hotline.OutcomeAbandonedQueue, hotline.LegAbandoned)
		r.nothingLeft(t, call)
		return
	}
	if _, err := r.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		return len(st.Queue) == 1 && st.Queue[0].CallerNumber == "+"+number
	}); err != nil {
		t.Fatalf("caller not back in the queue: %v", err)
	}
	notDropped(t, caller, "after the restart")
	if !r.d.FeatureCode(r.h, "*24") {
		t.Fatal("resume: no prompt")
	}
	operatorTakes(t, r.h, caller, number)
	hangUp(t, caller)
	call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
	r.nothingLeft(t, call)
}

// killWhileRinging: the operator's handset rings for the caller.
func killWhileRinging(t *testing.T, p party) {
	const number = "79001930001"
	r := startFaultRig(t, -1, false, nil)
	caller := r.dial(t, number)
	ring, err := r.h.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("operator not rung: %v", err)
	}
	r.outage(t, p, caller, ring, true, nil)
	if p == callerHangsUp {
		call := r.writtenOnce(t, number, hotline.OutcomeAbandonedQueue, hotline.LegAbandoned)
		if _, err := ring.WaitEnd(within(t, 15*time.Second)); err != nil {
			t.Errorf("the handset still rings for a caller who hung up: %v", err)
		}
		r.nothingLeft(t, call)
		return
	}
	notDropped(t, caller, "after the restart")
	// The ring of the previous run is ended; hotline offers the caller again.
	if _, err := ring.WaitEnd(within(t, 15*time.Second)); err != nil {
		t.Errorf("the previous run's ring never ended: %v", err)
	}
	again, err := r.h.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("caller not offered again after the restart: %v", err)
	}
	if err := again.Answer(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := heardMore(within(t, 15*time.Second), caller, hotlinetest.OperatorTone, 0); err != nil {
		t.Errorf("caller does not hear the operator: %v", err)
	}
	hangUp(t, caller)
	call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
	r.nothingLeft(t, call)
}

// killWhileBridged: the caller and the operator talk, recorded.
func killWhileBridged(t *testing.T, p party) {
	const number = "79001940001"
	r := startFaultRig(t, 300*time.Millisecond, false, nil)
	caller, op := r.talking(t, number)
	r.outage(t, p, caller, op, false, func() {
		if p != stays {
			return
		}
		heard := caller.Stats().Tones[hotlinetest.OperatorTone]
		if err := heardMore(within(t, 10*time.Second), caller, hotlinetest.OperatorTone, heard); err != nil {
			t.Errorf("the conversation did not go on without hotline: %v", err)
		}
	})
	switch p {
	case stays:
		if _, err := r.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
			return st.Calls == 1 && hotlinetest.Presence(st, "1001") == hotline.PresenceTalking
		}); err != nil {
			t.Fatalf("conversation not adopted after the restart: %v", err)
		}
		heard := caller.Stats().Tones[hotlinetest.OperatorTone]
		if err := heardMore(within(t, 10*time.Second), caller, hotlinetest.OperatorTone, heard); err != nil {
			t.Errorf("the conversation did not survive the restart: %v", err)
		}
		hangUp(t, caller)
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
		if l := call.Legs[0]; l.RecordingName == "" || l.OperatorID != r.d.OperatorID("1001") {
			t.Errorf("adopted leg %+v: want 1001's, recorded", l)
		}
		r.nothingLeft(t, call)
	case otherHangsUp:
		// The operator is gone: the caller waits at the head of the queue and is answered again.
		notDropped(t, caller, "after the operator hung up during the outage")
		operatorTakes(t, r.h, caller, number)
		hangUp(t, caller)
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegFailed, hotline.LegCompleted)
		r.nothingLeft(t, call)
	case callerHangsUp:
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
		if !call.Legs[0].EndedAway {
			t.Errorf("leg %+v: want ended away", call.Legs[0])
		}
		if _, err := op.WaitEnd(within(t, 15*time.Second)); err != nil {
			t.Errorf("the operator's handset stays off-hook after the caller left: %v", err)
		}
		r.nothingLeft(t, call)
	}
}

// killInConsultation: the operator, talking with the caller, calls specialist 1041 (a
// consultation through hotline) and they talk.
func killInConsultation(t *testing.T, p party) {
	const number = "79001950001"
	r := startFaultRig(t, 300*time.Millisecond, true, nil)
	caller, op := r.talking(t, number)
	ctx := within(t, 90*time.Second)
	consult, err := r.h.Invite(ctx, "1041")
	if err != nil {
		t.Fatalf("consultation call: %v", err)
	}
	in, err := r.spec.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("specialist not rung for the consultation: %v", err)
	}
	if err := in.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := consult.WaitAnswer(within(t, 10*time.Second)); err != nil {
		t.Fatalf("consultation not answered: %v", err)
	}
	if err := consult.WaitTone(within(t, 10*time.Second), SpecialistTone); err != nil {
		t.Fatalf("operator does not hear the specialist: %v", err)
	}
	r.outage(t, p, caller, in, false, nil)
	switch p {
	case stays:
		// Both conversations are adopted: the handset's transfer button still joins the caller
		// with the specialist.
		heard := consult.Stats().Tones[SpecialistTone]
		if err := heardMore(within(t, 10*time.Second), consult, SpecialistTone, heard); err != nil {
			t.Errorf("the consultation did not survive the restart: %v", err)
		}
		if _, err := r.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
			return st.Calls == 1 && hotlinetest.Presence(st, "1001") == hotline.PresenceTalking
		}); err != nil {
			t.Fatalf("call not adopted: %v", err)
		}
		if err := op.AttendedTransfer(ctx, consult); err != nil {
			t.Fatalf("attended transfer after the restart: %v (progress %v)", err, op.TransferProgress())
		}
		if err := caller.WaitTone(within(t, 15*time.Second), SpecialistTone); err != nil {
			t.Errorf("caller does not hear the specialist: %v", err)
		}
		hangUp(t, caller)
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegTransferred, hotline.LegCompleted)
		if l := call.Legs[1]; l.OperatorID != r.specID {
			t.Errorf("second leg %+v: want the specialist's", l)
		}
		r.nothingLeft(t, call)
	case otherHangsUp:
		// The consultation is over; the operator's side of it is ended, the caller still talks
		// with the operator.
		if _, err := consult.WaitEnd(within(t, 15*time.Second)); err != nil {
			t.Errorf("the consultation the specialist left stays up: %v", err)
		}
		heard := caller.Stats().Tones[hotlinetest.OperatorTone]
		if err := heardMore(within(t, 10*time.Second), caller, hotlinetest.OperatorTone, heard); err != nil {
			t.Errorf("caller lost the operator: %v", err)
		}
		hangUp(t, caller)
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
		r.nothingLeft(t, call)
	case callerHangsUp:
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
		if _, err := op.WaitEnd(within(t, 15*time.Second)); err != nil {
			t.Errorf("the operator's call with the caller who left stays up: %v", err)
		}
		// The colleagues still talk; they hang up when done.
		heard := consult.Stats().Tones[SpecialistTone]
		if err := heardMore(within(t, 10*time.Second), consult, SpecialistTone, heard); err != nil {
			t.Errorf("the consultation did not survive the restart: %v", err)
		}
		hangUp(t, consult)
		if _, err := in.WaitEnd(within(t, 10*time.Second)); err != nil {
			t.Errorf("specialist's side of the consultation stays up: %v", err)
		}
		r.nothingLeft(t, call)
	}
}

// killInTransfer: the operator transferred the caller by code to specialist 1041, whose handset
// rings; the caller hears music.
func killInTransfer(t *testing.T, p party) {
	const number = "79001960001"
	r := startFaultRig(t, 300*time.Millisecond, true, nil)
	caller, op := r.talking(t, number)
	if err := op.SendDTMF(within(t, 10*time.Second), "**1041#"); err != nil {
		t.Fatal(err)
	}
	ring, err := r.spec.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("specialist not rung: %v", err)
	}
	r.outage(t, p, caller, ring, true, nil)
	if p == callerHangsUp {
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
		if _, err := ring.WaitEnd(within(t, 15*time.Second)); err != nil {
			t.Errorf("the specialist's handset still rings for a caller who left: %v", err)
		}
		if _, err := op.WaitEnd(within(t, 15*time.Second)); err != nil {
			t.Errorf("the operator's call stays up: %v", err)
		}
		r.nothingLeft(t, call)
		return
	}
	// The transfer hotline was making is cut by the restart: the caller is not lost but back with
	// the operator who transferred them (or, if that is not possible, at the head of the queue).
	notDropped(t, caller, "after the restart")
	if p == stays {
		if _, err := ring.WaitEnd(within(t, 15*time.Second)); err != nil {
			t.Errorf("the specialist's ring of the previous run never ended: %v", err)
		}
	}
	heard := caller.Stats().Tones[hotlinetest.OperatorTone]
	if err := heardMore(within(t, 30*time.Second), caller, hotlinetest.OperatorTone, heard); err != nil {
		t.Errorf("caller does not hear an operator after the restart: %v", err)
	}
	hangUp(t, caller)
	waitLegEnded(t, r.d, number)
	call, _ := callOf(t, r.d, number)
	if len(call.Legs) == 0 || call.Legs[len(call.Legs)-1].End != hotline.LegCompleted || call.Outcome != hotline.OutcomeAnswered {
		t.Errorf("call %+v: want answered, last leg completed", call)
	}
	r.writtenOnce(t, number, hotline.OutcomeAnswered, legEnds(call)...)
	r.nothingLeft(t, call)
}

func legEnds(c hotline.Call) []hotline.LegEnd {
	var e []hotline.LegEnd
	for _, l := range c.Legs {
		e = append(e, l.End)
	}
	return e
}

// killInWrapUp: the caller has hung up; the operator is in wrap-up (a minute here) when hotline
// dies. After the restart the operator is not stuck: the next caller reaches them.
func killInWrapUp(t *testing.T, p party) {
	const first, next = "79001970001", "79001970002"
	r := startFaultRig(t, 300*time.Millisecond, false, func(c *config.Config) { c.Calls.WrapUp = 12 * time.Second })
	caller, _ := r.talking(t, first)
	hangUp(t, caller)
	if _, err := r.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceWrapUp
	}); err != nil {
		t.Fatalf("operator not in wrap-up: %v", err)
	}
	killed := time.Now()
	r.serve.kill(t)
	r.restart(t)
	second := r.dial(t, next)
	operatorTakes(t, r.h, second, next)
	// The operator is not stuck in a wrap-up nobody ends, nor given a new one: the wrap-up is cut
	// short by the restart (a limit: docs/call-flow.md).
	if took := time.Since(killed); took > 12*time.Second+20*time.Second {
		t.Errorf("the next caller reached the operator %s after the kill: the wrap-up started over?", took)
	}
	hangUp(t, second)
	c1 := r.writtenOnce(t, first, hotline.OutcomeAnswered, hotline.LegCompleted)
	c2 := r.writtenOnce(t, next, hotline.OutcomeAnswered, hotline.LegCompleted)
	r.nothingLeft(t, c1, c2)
}

// killWhileDiallingBack: hotline is calling back a caller who asked for it (overflow, key 1);
// their phone rings when hotline dies.
func killWhileDiallingBack(t *testing.T, p party) {
	const number = "79001980001"
	sb := sandbox.Require(t)
	ctx := within(t, 120*time.Second)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	phone, err := sipphone.New(pctx, sipphone.Config{Server: sb.SIPAddr, User: number,
		Tone: hotlinetest.CallerTone, Detect: []float64{hotlinetest.OperatorTone}})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { phone.Close() })
	r := startFaultRig(t, 300*time.Millisecond, false, func(c *config.Config) {
		c.Calls.MaxWait = 4 * time.Second
		c.Calls.Overflow = "callback"
		c.Calls.CallbackDial = "PJSIP/callers/sip:{number}@" + phone.Addr().String()
	})
	if !r.d.FeatureCode(r.h, "*231") {
		t.Fatal("pause: no prompt")
	}
	first, err := phone.Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("caller not queued: %v", err)
	}
	if _, err := r.d.WaitStatus(20*time.Second, func(st switchboard.Status) bool { return st.Calls == 1 && len(st.Queue) == 0 }); err != nil {
		t.Fatalf("no overflow: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // the overflow prompt has begun
	if err := first.SendDTMF(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := first.WaitEnd(within(t, 15*time.Second)); err != nil {
		t.Fatalf("after keying 1: %v", err)
	}
	if !r.d.FeatureCode(r.h, "*24") {
		t.Fatal("resume: no prompt")
	}
	ring, err := phone.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("hotline did not call back: %v", err)
	}
	r.serve.kill(t)
	switch p {
	case otherHangsUp:
		r.hangUpWhileDown(t, ring, true)
	case answersWhileDown:
		// Asterisk cannot hand the answered call to an application that is not running: it ends
		// it. A limit, pinned here: the delayed answer stays the operator's, as when declined.
		// Asterisk learns of the death from the websocket's close on its own thread: answered
		// within those milliseconds, the channel still entered the application (seen once in
		// the suite), and is the restarted daemon's stranger. Answer once it surely knows.
		time.Sleep(500 * time.Millisecond)
		if err := ring.Answer(ctx); err == nil {
			if _, err := ring.WaitEnd(within(t, 10*time.Second)); err != nil {
				t.Errorf("the call answered while hotline was down did not end: %v", err)
			}
		}
	}
	r.restart(t)
	asked := r.writtenOnce(t, number, hotline.OutcomeOverflowCallback, hotline.LegOverflow)
	if len(asked.Cases) != 1 {
		t.Fatalf("the call that asked has cases %v, want its delayed answer", asked.Cases)
	}
	if p != stays {
		// Nobody talked: the delayed answer stays the operator's to call back.
		cs, err := r.d.Store.Case(within(t, 5*time.Second), asked.Cases[0])
		if err != nil || cs.Status != hotline.StatusDelayedAnswer || cs.OwnerID != r.d.OperatorID("1001") {
			t.Errorf("delayed answer %+v, %v: want «Отсроченный ответ», the operator's", cs, err)
		}
		r.nothingLeft(t, asked)
		return
	}
	// The caller answers after the restart: put through to an operator.
	if err := ring.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	operatorTakes(t, r.h, ring, number)
	hangUp(t, ring)
	var back hotline.Call
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		calls, err := r.d.Store.Calls(within(t, 5*time.Second), journal.CallFilter{Caller: number})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) == 2 && !calls[0].EndedAt.IsZero() {
			back = calls[0]
			break
		}
	}
	if back.ID == 0 || back.CallbackFor == "" || back.Outcome != hotline.OutcomeAnswered {
		t.Fatalf("the call back %+v: want a call of its own, answered", back)
	}
	back, err = r.d.Store.Call(within(t, 5*time.Second), back.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.nothingLeft(t, asked, back)
}
