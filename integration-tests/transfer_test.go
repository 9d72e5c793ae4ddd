package integrationtests

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// SpecialistTone is what the level-2 specialist's handset sends, so the caller can tell the
// specialist from the first operator.
const SpecialistTone = 1500.0

// transferRig: operator 1001 (level 1) talking with a caller; specialist 1041 (level 2) on its own
// handset, recommended by the scripts of topic 77.
type transferRig struct {
	d       *hotlinetest.Daemon
	caller  *sipphone.Call // the caller's call
	op      *sipphone.Call // the operator's handset's call
	opPhone *sipphone.Phone
	spec    *sipphone.Phone
	opID    int64
	specID  int64
	number  string
}

func startTransferRig(t *testing.T, number string, specAnswers bool) *transferRig {
	t.Helper()
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	ctx := within(t, 30*time.Second)
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	spec := hotline.Operator{Name: "Specialist 1041", Login: "spec1041", Role: hotline.RoleOperator, Level: hotline.Level2,
		Extension: "1041", Active: true}
	if err := d.Store.AddOperator(ctx, by, &spec); err != nil {
		t.Fatal(err)
	}
	code := fmt.Sprintf("xfer-%d", time.Now().UnixNano())
	if err := d.Store.AddTopic(ctx, by, hotline.Topic{Code: code, Number: 77, Type: hotline.TypeConsultation, Title: "Transfer test"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Store.AddScript(ctx, by, &hotline.Script{Topic: code, Title: "Ask the specialist", Text: "Transfer to level 2.",
		Recommended: []int64{spec.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}
	h := d.Handset("1001", 300*time.Millisecond)
	delay := 500 * time.Millisecond
	sp, err := sipphone.New(ctx, sipphone.Config{Server: d.Sandbox.SIPAddr, User: "1041", Password: d.Sandbox.HandsetPassword,
		Tone: SpecialistTone, Detect: []float64{hotlinetest.CallerTone}, AutoAnswer: specAnswers, AnswerDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	if !d.FeatureCode(h, "*21") {
		t.Fatal("operator login: no prompt")
	}
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	in, err := h.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("operator not rung: %v", err)
	}
	if err := c.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("caller does not hear the operator: %v", err)
	}
	// A first leg worth recording (its recording is checked for both voices): a second more.
	if err := heardMore(within(t, 10*time.Second), c, hotlinetest.OperatorTone, c.Stats().Tones[hotlinetest.OperatorTone]); err != nil {
		t.Fatalf("caller stopped hearing the operator: %v", err)
	}
	return &transferRig{d: d, caller: c, op: in, opPhone: h, spec: sp, opID: d.OperatorID("1001"), specID: spec.ID, number: number}
}

// heardMore waits until call has heard hz for a second more than it had at since.
func heardMore(ctx context.Context, c *sipphone.Call, hz float64, since int) error {
	for {
		if c.Stats().Tones[hz] >= since+50 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("heard %d frames of %g Hz, had %d before: %w", c.Stats().Tones[hz], hz, since, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// specialistTakesOver checks that the specialist rings, answers and talks with the caller, then
// ends the call from the caller's side and checks the case: two legs, the second transferred.
func (r *transferRig) specialistTakesOver(t *testing.T) {
	t.Helper()
	in, err := r.spec.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("specialist not rung: %v", err)
	}
	if got := in.Caller().User; got != "+"+r.number {
		t.Errorf("specialist's handset shows %q, want the caller %s", got, r.number)
	}
	r.talksWithSpecialist(t, in)
}

// talksWithSpecialist checks that the caller and the specialist (on in) hear each other, ends the
// call from the caller's side and checks the case: two legs, the second transferred.
func (r *transferRig) talksWithSpecialist(t *testing.T, in *sipphone.Call) {
	t.Helper()
	if err := r.caller.WaitTone(within(t, 15*time.Second), SpecialistTone); err != nil {
		t.Errorf("caller does not hear the specialist: %v", err)
	}
	if err := in.WaitTone(within(t, 10*time.Second), hotlinetest.CallerTone); err != nil {
		t.Errorf("specialist does not hear the caller: %v", err)
	}
	wantTwoPartyBridge(t, r.d.Sandbox)
	if _, err := r.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1041") == hotline.PresenceTalking && hotlinetest.Presence(st, "1001") != hotline.PresenceTalking
	}); err != nil {
		t.Errorf("presence after the transfer: %v", err)
	}
	time.Sleep(time.Second)
	if err := r.caller.Hangup(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := in.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Errorf("specialist's call did not end with the caller's: %v", err)
	}
	_, last := waitLegEnded(t, r.d, r.number)
	_, legs := callOf(t, r.d, r.number)
	if len(legs) != 2 {
		t.Fatalf("legs = %+v, want 2 (operator, then specialist)", legs)
	}
	first := legs[0]
	if first.OperatorID != r.opID || first.End != hotline.LegTransferred || first.RecordingName == "" {
		t.Errorf("first leg = %+v, want operator %d, transferred, recorded", first, r.opID)
	}
	if last.OperatorID != r.specID || last.TransferredFrom != r.opID || last.End != hotline.LegCompleted ||
		last.RecordingName == "" || last.RecordingName == first.RecordingName {
		t.Errorf("second leg = %+v, want specialist %d transferred from %d, completed, its own recording", last, r.specID, r.opID)
	}
	// Each leg's recording holds its own conversation, both sides: the first ends at the transfer.
	for _, rec := range []struct {
		leg         hotline.Leg
		with, other float64
	}{{first, hotlinetest.OperatorTone, SpecialistTone}, {last, SpecialistTone, hotlinetest.OperatorTone}} {
		if rec.leg.RecordingName == "" {
			continue
		}
		wav := loadRecording(t, r.d, rec.leg.RecordingName)
		if n := sipphone.ToneFrames(wav.Samples, hotlinetest.CallerTone, 0.2); n < 25 {
			t.Errorf("recording %s holds the caller's tone in %d frames; want both voices", rec.leg.RecordingName, n)
		}
		if n := sipphone.ToneFrames(wav.Samples, rec.with, 0.2); n < 25 {
			t.Errorf("recording %s holds the leg's %g Hz in %d frames; want both voices", rec.leg.RecordingName, rec.with, n)
		}
		if n := sipphone.ToneFrames(wav.Samples, rec.other, 0.2); n > 10 {
			t.Errorf("recording %s holds the other leg's %g Hz in %d frames; want its own conversation only", rec.leg.RecordingName, rec.other, n)
		}
	}
}

func TestTransferByCodeToExtension(t *testing.T) {
	r := startTransferRig(t, "79005550001", true)
	if err := r.op.SendDTMF(within(t, 10*time.Second), "**1041#"); err != nil {
		t.Fatal(err)
	}
	r.specialistTakesOver(t)
}

func TestTransferByCodeToTopicSpecialist(t *testing.T) {
	r := startTransferRig(t, "79005550002", true)
	// The topic's specialist must be available: logged in.
	if err := r.d.API.Login(within(t, 5*time.Second), r.specID); err != nil {
		t.Fatal(err)
	}
	if err := r.op.SendDTMF(within(t, 10*time.Second), "*077#"); err != nil {
		t.Fatal(err)
	}
	r.specialistTakesOver(t)
}

func TestBlindTransferByREFER(t *testing.T) {
	r := startTransferRig(t, "79005550003", true)
	errc := make(chan error, 1)
	go func() { errc <- r.op.BlindTransfer(within(t, 30*time.Second), "1041") }()
	r.specialistTakesOver(t)
	if err := <-errc; err != nil {
		t.Errorf("the handset's blind transfer: %v (progress %v)", err, r.op.TransferProgress())
	}
}

// The specialist does not answer: after the ring timeout the caller is back with the operator,
// both hear each other again, and the case has one leg, the operator's.
func TestTransferNoAnswerCallerBack(t *testing.T) {
	r := startTransferRig(t, "79005550004", false)
	if err := r.op.SendDTMF(within(t, 10*time.Second), "**1041#"); err != nil {
		t.Fatal(err)
	}
	in, err := r.spec.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("specialist not rung: %v", err)
	}
	if _, err := r.d.WaitStatus(5*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1041") == hotline.PresenceRinging
	}); err != nil {
		t.Errorf("specialist not ringing: %v", err)
	}
	opHeard := r.caller.Stats().Tones[hotlinetest.OperatorTone]
	callerHeard := r.op.Stats().Tones[hotlinetest.CallerTone]
	if _, err := in.WaitEnd(within(t, 20*time.Second)); err != nil {
		t.Errorf("the unanswered transfer kept ringing: %v", err)
	}
	if err := heardMore(within(t, 15*time.Second), r.caller, hotlinetest.OperatorTone, opHeard); err != nil {
		t.Errorf("caller not back with the operator: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), r.op, hotlinetest.CallerTone, callerHeard); err != nil {
		t.Errorf("operator does not hear the caller again: %v", err)
	}
	if err := r.caller.Hangup(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, leg := waitLegEnded(t, r.d, r.number)
	if _, legs := callOf(t, r.d, r.number); len(legs) != 1 || leg.OperatorID != r.opID || leg.End != hotline.LegCompleted {
		t.Errorf("legs = %+v, want the operator's only, completed", legs)
	}
}

// Attended: the operator calls the specialist (a consultation through hotline), talks, then
// presses transfer on the handset (REFER with Replaces): the caller and the specialist talk.
func TestAttendedTransferByREFER(t *testing.T) {
	r := startTransferRig(t, "79005550005", true)
	ctx := within(t, 60*time.Second)
	consult, err := r.opPhone.Dial(ctx, "1041")
	if err != nil {
		t.Fatalf("consultation call: %v", err)
	}
	in, err := r.spec.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("specialist not rung for the consultation: %v", err)
	}
	if err := consult.WaitTone(within(t, 10*time.Second), SpecialistTone); err != nil {
		t.Fatalf("operator does not hear the specialist on the consultation: %v", err)
	}
	if err := r.op.AttendedTransfer(ctx, consult); err != nil {
		t.Fatalf("attended transfer: %v (progress %v)", err, r.op.TransferProgress())
	}
	r.talksWithSpecialist(t, in)
}

// The operator keys the topic (their case for the call), transfers by code, and keys *26 while the
// specialist talks to the caller: the case is handed to the specialist «В работе» — not closed as
// «Переадресация с уведомлением», which is for a specialist the caller is not talking to.
func TestForwardedAfterLiveTransferHandsOver(t *testing.T) {
	r := startTransferRig(t, "79005550006", true)
	ctx := within(t, 60*time.Second)
	// The topic first: it registers the call as the operator's case.
	if err := r.op.SendDTMF(ctx, "*77#"); err != nil {
		t.Fatal(err)
	}
	if err := r.op.SendDTMF(ctx, "**1041#"); err != nil {
		t.Fatal(err)
	}
	in, err := r.spec.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("specialist not rung: %v", err)
	}
	if err := r.caller.WaitTone(within(t, 15*time.Second), SpecialistTone); err != nil {
		t.Fatalf("caller does not hear the specialist: %v", err)
	}
	if err := r.op.Hangup(ctx); err != nil && r.op.State() != sipphone.Ended {
		t.Fatal(err)
	}
	if !r.d.FeatureCode(r.opPhone, "*26") {
		t.Errorf("*26: no prompt")
	}
	var cs hotline.Case
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		call, _ := callOf(t, r.d, r.number)
		if len(call.Cases) == 1 {
			if cs, err = r.d.Store.Case(within(t, 5*time.Second), call.Cases[0]); err == nil && cs.OwnerID == r.specID {
				break
			}
		}
	}
	if cs.ID == 0 || cs.OwnerID != r.specID || cs.Status != hotline.StatusInProgress || cs.Result != "" || cs.Topic == "" {
		t.Errorf("case = %+v; want the operator's case (with its topic) handed to %d «В работе», no result", cs, r.specID)
	}
	hist, err := r.d.Store.History(within(t, 5*time.Second), journal.HistoryFilter{CaseID: cs.ID})
	if err != nil || len(hist) == 0 || hist[len(hist)-1].Action != "handed over" {
		t.Errorf("history = %+v, %v; want the hand-over last, by the operator", hist, err)
	}
	_ = in.Hangup(ctx)
}

// The handset's transfer button to an extension nobody has: hotline refuses the REFER at once; the
// handset then hangs up its call, as baresip and many blind-transfer handsets do. The caller is
// not dropped: they wait at the head of the queue (issue 19).
func TestRefusedTransferThenHandsetHangsUp(t *testing.T) {
	r := startTransferRig(t, "79005550007", true)
	ctx := within(t, 60*time.Second)
	if err := r.op.Refer(ctx, "1099"); err == nil {
		if _, err := r.op.WaitTransfer(within(t, 10*time.Second)); err == nil {
			t.Logf("the handset was told the transfer failed: %v", r.op.TransferProgress())
		}
	}
	if err := r.op.Hangup(ctx); err != nil && r.op.State() != sipphone.Ended {
		t.Fatal(err)
	}
	st, err := r.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		return len(st.Queue) == 1 && st.Queue[0].CallerNumber == "+"+r.number
	})
	if err != nil {
		t.Fatalf("the caller is not back in the queue after the refused transfer: %v", err)
	}
	if r.caller.State() == sipphone.Ended {
		t.Fatalf("the caller was dropped (status %+v)", st)
	}
}
