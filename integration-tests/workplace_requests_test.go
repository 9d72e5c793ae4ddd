package integrationtests

import (
	"context"
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

// The workplace's buttons, asked as the page asks them (switchboard.Transfer and CallBack), here
// through the control socket that serves them to other clients.

// The transfer button: refusals come back at once and leave the caller with the operator; the
// transfer asked moves the caller to the specialist, who they then hear.
func TestTransferFromWorkplace(t *testing.T) {
	r := startTransferRig(t, "79005550011", true)
	ctx := within(t, 20*time.Second)
	snap, err := r.d.API.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var call switchboard.CallView
	for _, v := range snap.Calls {
		if v.OperatorID == r.opID && v.Phase == switchboard.PhaseTalking {
			call = v
		}
	}
	if call.ID == "" {
		t.Fatalf("no call talking with operator %d in %+v", r.opID, snap.Calls)
	}
	if call.Line != "100" {
		t.Errorf("the call's line = %q, want the dialled 100", call.Line)
	}
	for _, tc := range []struct {
		name string
		call string
		to   int64
		code string
	}{
		{"unknown target", call.ID, 99999, hotline.ENOTFOUND},
		{"no such call", "no-such-call", r.specID, hotline.ECONFLICT},
		{"oneself", call.ID, r.opID, hotline.EINVALID},
	} {
		if err := r.d.API.Transfer(ctx, r.opID, tc.call, tc.to); hotline.ErrorCode(err) != tc.code {
			t.Errorf("%s: Transfer = %v, want %s", tc.name, err, tc.code)
		}
	}
	heard := r.caller.Stats().Tones[hotlinetest.OperatorTone]
	if err := heardMore(within(t, 10*time.Second), r.caller, hotlinetest.OperatorTone, heard); err != nil {
		t.Fatalf("after the refusals the caller is not with the operator: %v", err)
	}
	if err := r.d.API.Transfer(ctx, r.opID, call.ID, r.specID); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	r.specialistTakesOver(t)
}

// The call-back button on a case: hotline dials the person (calls.callback_dial) for the free
// specialist, who is offered the call when the person answers; they hear each other, the call is
// recorded and on the case, and the case's history has the attempt and its answer.
func TestCallBackFromWorkplace(t *testing.T) {
	const number = "79006660011"
	sb := sandbox.Require(t)
	pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	person, err := sipphone.New(pctx, sipphone.Config{Server: sb.SIPAddr, User: number,
		Tone: hotlinetest.CallerTone, Detect: []float64{SpecialistTone}})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { person.Close() })
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
		c.Calls.CallbackDial = "PJSIP/callers/sip:{number}@" + person.Addr().String()
	})
	ctx := within(t, 90*time.Second)
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	spec := hotline.Operator{Name: "Specialist 1042", Login: "spec1042", Role: hotline.RoleOperator, Level: hotline.Level2,
		Extension: "1042", Active: true}
	if err := d.Store.AddOperator(ctx, by, &spec); err != nil {
		t.Fatal(err)
	}
	if err := d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}
	sp, err := sipphone.New(ctx, sipphone.Config{Server: d.Sandbox.SIPAddr, User: "1042", Password: d.Sandbox.HandsetPassword,
		Tone: SpecialistTone, Detect: []float64{hotlinetest.CallerTone}, AutoAnswer: true, AnswerDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+" + number, Description: "Перезвонить по полису", OwnerID: spec.ID}
	if err := d.Store.NewCase(ctx, hotline.SystemActor, &c); err != nil {
		t.Fatal(err)
	}
	// Refused: the specialist is not logged in yet (not free); operator 1001 neither.
	if err := d.API.CallBack(ctx, spec.ID, number, c.ID); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Errorf("call-back for a logged-out specialist = %v, want conflict", err)
	}
	if err := d.API.Login(ctx, spec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1042") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("specialist not available: %v", err)
	}
	if err := d.API.CallBack(ctx, spec.ID, "8 900 666-00-11", c.ID); err != nil {
		t.Fatalf("CallBack: %v", err)
	}
	back, err := person.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("hotline did not dial the person: %v", err)
	}
	if _, err := d.WaitStatus(5*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1042") == hotline.PresenceRinging
	}); err != nil {
		t.Errorf("specialist not reserved while the person's phone rings: %v", err)
	}
	if err := back.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	in, err := sp.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("specialist not rung for the person: %v", err)
	}
	if got := in.Caller().User; !strings.HasSuffix(got, number) {
		t.Errorf("specialist's handset shows %q, want %s", got, number)
	}
	if err := back.WaitTone(within(t, 15*time.Second), SpecialistTone); err != nil {
		t.Errorf("the person does not hear the specialist: %v", err)
	}
	if err := in.WaitTone(within(t, 10*time.Second), hotlinetest.CallerTone); err != nil {
		t.Errorf("the specialist does not hear the person: %v", err)
	}
	time.Sleep(time.Second)
	if err := back.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	call, leg := waitLegEnded(t, d, number)
	if leg.OperatorID != spec.ID || leg.End != hotline.LegCompleted || leg.RecordingName == "" || call.CallbackFor != "" {
		t.Errorf("the call-back = %+v, leg %+v; want a call of its own, completed by the specialist, recorded", call, leg)
	}
	// The journal's writes follow the call; the case's are last.
	deadline := time.Now().Add(10 * time.Second)
	var actions []string
	for {
		hist, err := d.Store.History(ctx, journal.HistoryFilter{CaseID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		actions = actions[:0]
		for _, e := range hist {
			actions = append(actions, e.Action)
		}
		if strings.Contains(strings.Join(actions, "|"), "callback answered") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	joined := strings.Join(actions, "|")
	if !strings.Contains(joined, "callback dialled") || !strings.Contains(joined, "callback answered") || !strings.Contains(joined, "call attached") {
		t.Errorf("case history = %q; want the call-back dialled, answered, and its call attached", actions)
	}
	calls, err := d.Store.CaseCalls(ctx, c.ID)
	if err != nil || len(calls) != 1 || calls[0].ID != call.ID {
		t.Errorf("the case's calls = %+v, %v; want the call-back", calls, err)
	}
}
