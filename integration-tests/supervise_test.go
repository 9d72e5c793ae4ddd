package integrationtests

import (
	"context"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/web/browsertest"
)

// The tones of the supervision test: each phone sends its own, so each can prove whom it hears.
const (
	superCallerTone   = 440.0
	superOperatorTone = 660.0
	supervisorTone    = 880.0
)

// leakFrames is how many frames (20 ms each) of a tone a phone that must not hear it may count all
// the same: the moment a snoop channel is replaced, never a conversation (a real leak is 50 a
// second).
const leakFrames = 10

// An administrator listens to a conversation, whispers to the operator, then barges in, on their
// own handset, through the control socket (the board's request): three real SIP phones, each with
// its tone. Listening, the administrator hears the caller and the operator and neither hears them;
// whispering, the operator hears them and the caller does not; barging, both do. Stopping ends the
// administrator's call and the conversation goes on; listening again, the caller hanging up ends
// the administrator's call; every step is in the call's history.
func TestSupervisorListensWhispersBarges(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	ctx := within(t, 3*time.Minute)

	// The control socket maps the test process (the daemon's own account) to its login: the
	// administrator whose device is 1009 has that login.
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	chief := hotline.Operator{Name: "Старший смены", Login: me.Username, Role: hotline.RoleAdministrator, Level: hotline.Level1,
		Extension: "1009", Active: true}
	if err := d.Store.AddOperator(ctx, by, &chief); err != nil {
		t.Fatal(err)
	}
	if err := d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}

	phone := func(user, password string, tone float64, detect ...float64) *sipphone.Phone {
		t.Helper()
		p, err := sipphone.New(within(t, 10*time.Second), sipphone.Config{Server: d.Sandbox.SIPAddr, User: user, Password: password,
			Tone: tone, Detect: detect, AutoAnswer: password != "", AnswerDelay: 300 * time.Millisecond})
		if err != nil {
			t.Fatalf("phone %s: %v", user, err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	opPhone := phone("1001", d.Sandbox.HandsetPassword, superOperatorTone, superCallerTone, supervisorTone)
	supPhone := phone("1009", d.Sandbox.HandsetPassword, supervisorTone, superCallerTone, superOperatorTone)
	callerPhone := phone("79001230880", "", superCallerTone, superOperatorTone, supervisorTone)
	if !d.FeatureCode(opPhone, "*21") {
		t.Fatal("operator login: no prompt")
	}

	caller, err := callerPhone.Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	op, err := opPhone.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("operator not rung: %v", err)
	}
	if err := caller.WaitTone(within(t, 10*time.Second), superOperatorTone); err != nil {
		t.Fatalf("caller does not hear the operator: %v", err)
	}
	if err := op.WaitTone(within(t, 10*time.Second), superCallerTone); err != nil {
		t.Fatalf("operator does not hear the caller: %v", err)
	}
	st, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceTalking
	})
	if err != nil {
		t.Fatal(err)
	}
	var callID string
	for _, o := range st.Operators {
		if o.Extension == "1001" {
			callID = o.CallID
		}
	}
	if callID == "" {
		t.Fatalf("no call of operator 1001 in %+v", st.Operators)
	}

	// Listen: the administrator's handset rings, and hears both; nobody hears it.
	if err := d.API.Listen(ctx, callID, switchboard.ListenSilent); err != nil {
		t.Fatalf("listen: %v", err)
	}
	sup, err := supPhone.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("the administrator's handset was not rung: %v", err)
	}
	for _, hz := range []float64{superCallerTone, superOperatorTone} {
		if err := heardMore(within(t, 15*time.Second), sup, hz, 0); err != nil {
			t.Errorf("listening, the administrator does not hear %g Hz: %v", hz, err)
		}
	}
	if err := heardMore(within(t, 10*time.Second), op, superCallerTone, op.Stats().Tones[superCallerTone]); err != nil {
		t.Errorf("listening, the conversation stopped: %v", err)
	}
	if n := caller.Stats().Tones[supervisorTone]; n > leakFrames {
		t.Errorf("listening, the caller heard the administrator (%d frames)", n)
	}
	if n := op.Stats().Tones[supervisorTone]; n > leakFrames {
		t.Errorf("listening, the operator heard the administrator (%d frames)", n)
	}

	// Whisper: the operator hears the administrator, the caller does not.
	callerHeard := caller.Stats().Tones[supervisorTone]
	if err := d.API.Listen(ctx, callID, switchboard.ListenWhisper); err != nil {
		t.Fatalf("whisper: %v", err)
	}
	if err := heardMore(within(t, 15*time.Second), op, supervisorTone, op.Stats().Tones[supervisorTone]); err != nil {
		t.Errorf("whispering, the operator does not hear the administrator: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), caller, superOperatorTone, caller.Stats().Tones[superOperatorTone]); err != nil {
		t.Errorf("whispering, the caller no longer hears the operator: %v", err)
	}
	if n := caller.Stats().Tones[supervisorTone] - callerHeard; n > leakFrames {
		t.Errorf("whispering, the caller heard the administrator (%d frames)", n)
	}
	if err := heardMore(within(t, 10*time.Second), sup, superCallerTone, sup.Stats().Tones[superCallerTone]); err != nil {
		t.Errorf("whispering, the administrator no longer hears the caller: %v", err)
	}

	// Barge: both hear the administrator.
	if err := d.API.Listen(ctx, callID, switchboard.ListenBarge); err != nil {
		t.Fatalf("barge: %v", err)
	}
	if err := heardMore(within(t, 15*time.Second), caller, supervisorTone, caller.Stats().Tones[supervisorTone]); err != nil {
		t.Errorf("barging, the caller does not hear the administrator: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), op, supervisorTone, op.Stats().Tones[supervisorTone]); err != nil {
		t.Errorf("barging, the operator does not hear the administrator: %v", err)
	}

	// Stop: the administrator's call ends, the conversation goes on.
	if err := d.API.Listen(ctx, callID, switchboard.ListenStop); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := sup.WaitEnd(within(t, 15*time.Second)); err != nil {
		t.Errorf("stopped, the administrator's call did not end: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), op, superCallerTone, op.Stats().Tones[superCallerTone]); err != nil {
		t.Errorf("after the stop, the operator no longer hears the caller: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), caller, superOperatorTone, caller.Stats().Tones[superOperatorTone]); err != nil {
		t.Errorf("after the stop, the caller no longer hears the operator: %v", err)
	}

	// Listening again, then the caller hangs up: the administrator's call ends with the conversation.
	if err := d.API.Listen(ctx, callID, switchboard.ListenSilent); err != nil {
		t.Fatalf("listen again: %v", err)
	}
	sup, err = supPhone.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("the administrator's handset was not rung again: %v", err)
	}
	if err := heardMore(within(t, 15*time.Second), sup, superCallerTone, 0); err != nil {
		t.Errorf("listening again, the administrator does not hear the caller: %v", err)
	}
	if err := caller.Hangup(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.WaitEnd(within(t, 15*time.Second)); err != nil {
		t.Errorf("the administrator's call did not end with the conversation: %v", err)
	}

	// The history of the call says who listened, how, and when it ended.
	var steps []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		steps = supervisionSteps(t, ctx, d, callID)
		if len(steps) == 6 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	want := []string{"supervision listen", "supervision whisper", "supervision barge", "supervision ended",
		"supervision listen", "supervision ended"}
	if strings.Join(steps, "; ") != strings.Join(want, "; ") {
		t.Errorf("the call's history: %q, want %q", steps, want)
	}
}

// supervisionSteps lists the supervision events of call channel callID, as "action" by the
// administrator of the test.
func supervisionSteps(t *testing.T, ctx context.Context, d *hotlinetest.Daemon, callID string) []string {
	t.Helper()
	id, err := d.Store.CallRef(ctx, callID)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := d.Store.History(ctx, journal.HistoryFilter{Entity: journal.CallEntity, EntityID: strconv.FormatInt(id, 10)})
	if err != nil {
		t.Fatal(err)
	}
	me, _ := user.Current()
	var out []string
	for _, e := range evs {
		if e.Actor != me.Username {
			t.Errorf("history event %q by %q, want the administrator %q", e.Action, e.Actor, me.Username)
		}
		out = append(out, e.Action)
	}
	return out
}

// The board's buttons in a real browser: the administrator (whose device is handset 1009) opens
// «Оперативная обстановка», presses «Слушать» on the talking operator's row, their handset rings
// and hears the caller; the row says the call is listened to; «Завершить прослушивание» ends the
// administrator's call while the conversation goes on.
func TestSupervisorOnTheBoard(t *testing.T) {
	r := startWorkplaceRig(t)
	ctx := within(t, 3*time.Minute)
	by, err := r.d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.d.Store.UpdateOperator(ctx, by, r.adminID, func(o *hotline.Operator) error { o.Extension = "1009"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := r.d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}
	supPhone, err := sipphone.New(within(t, 10*time.Second), sipphone.Config{Server: r.d.Sandbox.SIPAddr, User: "1009",
		Password: r.d.Sandbox.HandsetPassword, Tone: supervisorTone, Detect: []float64{hotlinetest.CallerTone, hotlinetest.OperatorTone},
		AutoAnswer: true, AnswerDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { supPhone.Close() })

	if !r.d.FeatureCode(r.opPhone, "*21") {
		t.Fatal("operator login: no prompt")
	}
	caller, err := r.d.Caller("79001230881").Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.opPhone.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("operator not rung: %v", err)
	}
	if err := in.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := caller.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("caller does not hear the operator: %v", err)
	}

	browser := browsertest.Start(t, 3*time.Minute)
	admin := browsertest.Person(t, browser)
	r.logIn(t, admin, "test-admin")
	row := fmt.Sprintf(`#operators tr[data-operator="%d"]`, r.opID)
	do(t, admin, 15*time.Second, "«Оперативная обстановка»", chromedp.Navigate(r.url+"/live"),
		chromedp.WaitVisible(chromedp.CSS(row+` form.listen button[value="listen"]`)))
	// From the page's own script: the event stream may replace the board between a query and a click.
	clickNow(t, admin, row+` form.listen button[value="listen"]`)
	sup, err := supPhone.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("«Слушать» did not ring the administrator's handset: %v (page: %q)", err, textOf(admin, "main"))
	}
	if err := heardMore(within(t, 15*time.Second), sup, hotlinetest.CallerTone, 0); err != nil {
		t.Errorf("the administrator does not hear the caller: %v", err)
	}
	waitFor(t, 10*time.Second, "the board says the call is listened to", func() bool {
		return strings.Contains(textOf(admin, row), "прослушивается")
	})
	do(t, admin, 10*time.Second, "«Завершить прослушивание» shown",
		chromedp.WaitVisible(chromedp.CSS(row+` form.listen button[value="stop"]`)))
	clickNow(t, admin, row+` form.listen button[value="stop"]`)
	if _, err := sup.WaitEnd(within(t, 15*time.Second)); err != nil {
		t.Errorf("«Завершить прослушивание» did not end the administrator's call: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), caller, hotlinetest.OperatorTone, caller.Stats().Tones[hotlinetest.OperatorTone]); err != nil {
		t.Errorf("after the stop, the caller no longer hears the operator: %v", err)
	}
	if n := caller.Stats().Tones[supervisorTone]; n > leakFrames {
		t.Errorf("the caller heard the administrator (%d frames) though they only listened", n)
	}
	_ = caller.Hangup(within(t, 5*time.Second))
}
