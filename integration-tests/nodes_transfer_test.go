package integrationtests

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/switchboard"
)

// Transfers of a call on node b, behind Kamailio (docs/scaling.md, "Transfers across nodes"):
// operator 1001 talks with a caller who entered node b and hands the caller to specialist 1041 in
// each way an operator can: the handset's attended transfer (a consultation call to 1041, which
// Kamailio sends to b, the node of 1001's call, then REFER with Replaces), its blind transfer
// (REFER), the code keyed during the call (**1041#), and the workplace's request (the control
// socket the CLI and the page use), after an administrator has listened to the call from their
// handset, and the topic's codes (*77# files the case under topic 77, *077# hands the caller to
// the topic's recommended specialist). Each time the caller and the specialist hear each other, every channel of the call is
// on b, and the journal has the call's two legs as with one Asterisk: 1001's transferred, then
// 1041's, transferred from 1001, completed, each recorded.
func TestNodesTransfers(t *testing.T) {
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}})
	ctx := within(t, 30*time.Second)
	by, err := tn.d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	// The control socket maps the test process's account to its login: the administrator whose
	// handset is 1009 has it, so the test's Listen is theirs.
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	spec := hotline.Operator{Name: "Specialist 1041", Login: "spec1041", Role: hotline.RoleOperator, Level: hotline.Level2,
		Extension: "1041", Active: true}
	chief := hotline.Operator{Name: "Старший смены", Login: me.Username, Role: hotline.RoleAdministrator, Level: hotline.Level1,
		Extension: "1009", Active: true}
	for _, o := range []*hotline.Operator{&spec, &chief} {
		if err := tn.d.Store.AddOperator(ctx, by, o); err != nil {
			t.Fatal(err)
		}
	}
	// Topic 77: its script recommends 1041 (the *077# transfer).
	topic := fmt.Sprintf("xfer-nodes-%d", time.Now().UnixNano())
	if err := tn.d.Store.AddTopic(ctx, by, hotline.Topic{Code: topic, Number: 77, Type: hotline.TypeConsultation, Title: "Transfer test"}); err != nil {
		t.Fatal(err)
	}
	if err := tn.d.Store.AddScript(ctx, by, &hotline.Script{Topic: topic, Title: "Ask the specialist", Text: "Transfer to level 2.",
		Recommended: []int64{spec.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := tn.d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}
	opID := tn.d.OperatorID("1001")
	h1 := tn.handset(t, "1001")
	specPhone := tn.phone(t, "1041", SpecialistTone, hotlinetest.CallerTone)
	supPhone := tn.phone(t, "1009", supervisorTone, hotlinetest.CallerTone, hotlinetest.OperatorTone)

	for i, how := range []string{"attended", "blind", "code", "workplace", "topic"} {
		t.Run(how, func(t *testing.T) {
			number := fmt.Sprintf("+7900555%04d", i+1)
			c := tn.callOnNode(t, number, "b")
			tn.login(t, "1001")
			in := operatorTakes(t, h1, c, number)
			if got := tn.nodeOf(t, number); got != "b" {
				t.Fatalf("the call talks on %s, want b", got)
			}
			// A first leg worth recording (its recording is checked for both voices): a second more.
			if err := heardMore(within(t, 10*time.Second), c, hotlinetest.OperatorTone, c.Stats().Tones[hotlinetest.OperatorTone]); err != nil {
				t.Fatalf("caller stopped hearing the operator: %v", err)
			}
			var specIn *sipphone.Call
			switch how {
			case "attended":
				consult, err := h1.Dial(within(t, 20*time.Second), "1041")
				if err != nil {
					t.Fatalf("consultation call: %v", err)
				}
				if specIn, err = specPhone.Incoming(within(t, 15*time.Second)); err != nil {
					t.Fatalf("specialist not rung for the consultation: %v", err)
				}
				if err := consult.WaitTone(within(t, 10*time.Second), SpecialistTone); err != nil {
					t.Fatalf("operator does not hear the specialist on the consultation: %v", err)
				}
				if got := tn.channelsOf(t, "1001"); got["b"] == 0 || got["a"] != 0 {
					t.Errorf("the consultation's channels (caller id 1001) per node = %v, want on b only", got)
				}
				if err := in.AttendedTransfer(within(t, 30*time.Second), consult); err != nil {
					t.Fatalf("attended transfer: %v (progress %v)", err, in.TransferProgress())
				}
				tn.wantPinned(t, "1001", "b")
			case "blind":
				errc := make(chan error, 1)
				go func() { errc <- in.BlindTransfer(within(t, 30*time.Second), "1041") }()
				if specIn, err = specPhone.Incoming(within(t, 15*time.Second)); err != nil {
					t.Fatalf("specialist not rung: %v", err)
				}
				defer func() {
					if err := <-errc; err != nil {
						t.Errorf("the handset's blind transfer: %v (progress %v)", err, in.TransferProgress())
					}
				}()
			case "code":
				if err := in.SendDTMF(within(t, 10*time.Second), "**1041#"); err != nil {
					t.Fatal(err)
				}
				if specIn, err = specPhone.Incoming(within(t, 15*time.Second)); err != nil {
					t.Fatalf("specialist not rung: %v", err)
				}
			case "topic":
				// *77# files the call's case under topic 77; *077# hands the caller to the topic's
				// recommended specialist, who must be free: logged in (after 1001 took the caller).
				if err := in.SendDTMF(within(t, 10*time.Second), "*77#"); err != nil {
					t.Fatal(err)
				}
				tn.login(t, "1041")
				defer func() { _ = tn.d.API.Logout(within(t, 5*time.Second), spec.ID) }()
				if err := in.SendDTMF(within(t, 10*time.Second), "*077#"); err != nil {
					t.Fatal(err)
				}
				if specIn, err = specPhone.Incoming(within(t, 15*time.Second)); err != nil {
					t.Fatalf("specialist not rung: %v", err)
				}
				defer tn.wantCaseTopic(t, number, topic)
			case "workplace":
				callID := tn.callIDOf(t, "1001")
				tn.listens(t, supPhone, callID, number, c, in)
				if err := tn.d.API.Transfer(within(t, 10*time.Second), opID, callID, spec.ID); err != nil {
					t.Fatalf("the workplace's transfer: %v", err)
				}
				if specIn, err = specPhone.Incoming(within(t, 15*time.Second)); err != nil {
					t.Fatalf("specialist not rung: %v", err)
				}
			}
			tn.specialistTalks(t, number, c, specIn, opID, spec.ID)
			if in.State() != sipphone.Ended {
				_ = in.Hangup(within(t, 5*time.Second)) // the operator's handset after the keyed or the workplace's transfer
			}
			// 1001 out of the pool until the next caller waits on b.
			if err := tn.d.API.Logout(within(t, 5*time.Second), opID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// wantCaseTopic: the call of number has one case, with topic.
func (tn *twoNodes) wantCaseTopic(t *testing.T, number, topic string) {
	t.Helper()
	call, _ := callOf(t, tn.d, number)
	if len(call.Cases) != 1 {
		t.Fatalf("the call's cases = %v, want the one its operator keyed *77# for", call.Cases)
	}
	cs, err := tn.d.Store.Case(within(t, 5*time.Second), call.Cases[0])
	if err != nil || cs.Topic != topic {
		t.Errorf("case = %+v, %v; want topic %s (keyed *77# during the call on b)", cs, err, topic)
	}
}

// callOnNode dials callers with number until one waits in the queue on node: Kamailio's round
// robin decides, so a caller that entered the other node hangs up and the next is dialled
// (number with a suffix: each is its own call in the journal). No operator may be logged in.
func (tn *twoNodes) callOnNode(t *testing.T, number, node string) *sipphone.Call {
	t.Helper()
	for try := range 4 {
		c := tn.callHearing(t, number, hotlinetest.OperatorTone, SpecialistTone)
		if _, err := tn.d.WaitStatus(15*time.Second, queued(1)); err != nil {
			t.Fatalf("caller %s not queued: %v", number, err)
		}
		if got := tn.channelsOf(t, number); got[node] == 1 {
			return c
		}
		t.Logf("caller %s entered another node than %s (try %d): dialled again", number, node, try+1)
		_ = c.Hangup(within(t, 5*time.Second))
		if _, err := tn.d.WaitStatus(10*time.Second, queued(0)); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("no caller entered node %s in 4 tries", node)
	return nil
}

// wantPinned checks Kamailio's log: ext's own call went to the node of its call (HANDSET_NODE).
func (tn *twoNodes) wantPinned(t *testing.T, ext, node string) {
	t.Helper()
	log, err := os.ReadFile(tn.kam.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	want := "handset " + ext + "'s own call"
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, want) && strings.HasSuffix(line, "sip:"+tn.node[node].SIPAddr) {
			return
		}
	}
	t.Errorf("Kamailio's log has no %q to node %s (%s):\n%s", want, node, tn.node[node].SIPAddr, log)
}

// callIDOf is the call operator ext talks on.
func (tn *twoNodes) callIDOf(t *testing.T, ext string) string {
	t.Helper()
	st, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, ext) == hotline.PresenceTalking
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range st.Operators {
		if o.Extension == ext && o.CallID != "" {
			return o.CallID
		}
	}
	t.Fatalf("no call of operator %s in %+v", ext, st.Operators)
	return ""
}

// listens: the administrator listens to callID from handset 1009 (rung through Kamailio from the
// call's node, b), hears the caller and the operator, then stops; the conversation goes on.
func (tn *twoNodes) listens(t *testing.T, supPhone *sipphone.Phone, callID, number string, caller, op *sipphone.Call) {
	t.Helper()
	if err := tn.d.API.Listen(within(t, 10*time.Second), callID, switchboard.ListenSilent); err != nil {
		t.Fatalf("listen: %v", err)
	}
	sup, err := supPhone.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("the administrator's handset was not rung: %v", err)
	}
	for _, hz := range []float64{hotlinetest.CallerTone, hotlinetest.OperatorTone} {
		if err := heardMore(within(t, 15*time.Second), sup, hz, 0); err != nil {
			t.Errorf("listening, the administrator does not hear %g Hz: %v", hz, err)
		}
	}
	if n := caller.Stats().Tones[supervisorTone]; n > leakFrames {
		t.Errorf("listening, the caller heard the administrator (%d frames)", n)
	}
	if got := tn.channelsOf(t, number); got["a"] != 0 {
		t.Errorf("the listened call's channels per node = %v, want none on a", got)
	}
	if err := tn.d.API.Listen(within(t, 10*time.Second), callID, switchboard.ListenStop); err != nil {
		t.Fatalf("stop listening: %v", err)
	}
	if _, err := sup.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Errorf("the administrator's call did not end when they stopped: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), op, hotlinetest.CallerTone, op.Stats().Tones[hotlinetest.CallerTone]); err != nil {
		t.Errorf("after listening, the conversation stopped: %v", err)
	}
}

// specialistTalks: the caller (number, on c) and the specialist (on in) hear each other, on node b
// only; the caller hangs up; the journal has the call's two legs, as with one Asterisk, each
// recorded on b with its own conversation.
func (tn *twoNodes) specialistTalks(t *testing.T, number string, c, in *sipphone.Call, opID, specID int64) {
	t.Helper()
	if err := heardMore(within(t, 15*time.Second), c, SpecialistTone, c.Stats().Tones[SpecialistTone]); err != nil {
		t.Errorf("caller does not hear the specialist: %v", err)
	}
	if err := heardMore(within(t, 10*time.Second), in, hotlinetest.CallerTone, in.Stats().Tones[hotlinetest.CallerTone]); err != nil {
		t.Errorf("specialist does not hear the caller: %v", err)
	}
	if _, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1041") == hotline.PresenceTalking && hotlinetest.Presence(st, "1001") != hotline.PresenceTalking
	}); err != nil {
		t.Errorf("presence after the transfer: %v", err)
	}
	// The specialist's channel shows the caller's number, or, joined after a consultation, 1001's.
	if got, cs := tn.channelsOf(t, number), tn.channelsOf(t, "1001"); got["b"]+cs["b"] < 2 || got["a"]+cs["a"] != 0 {
		t.Errorf("after the transfer, the caller's channels per node = %v (and 1001's %v), want the caller's and the specialist's on b", got, cs)
	}
	if err := c.Hangup(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := in.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Errorf("specialist's call did not end with the caller's: %v", err)
	}
	_, last := waitLegEnded(t, tn.d, number)
	_, legs := callOf(t, tn.d, number)
	if len(legs) != 2 {
		t.Fatalf("legs = %+v, want 2 (operator, then specialist)", legs)
	}
	first := legs[0]
	if first.OperatorID != opID || first.End != hotline.LegTransferred || first.RecordingName == "" {
		t.Errorf("first leg = %+v, want operator %d, transferred, recorded", first, opID)
	}
	if last.OperatorID != specID || last.TransferredFrom != opID || last.End != hotline.LegCompleted ||
		last.RecordingName == "" || last.RecordingName == first.RecordingName {
		t.Errorf("second leg = %+v, want specialist %d transferred from %d, completed, its own recording", last, specID, opID)
	}
	// Each leg's recording, on b's disk, holds its own conversation, both sides.
	for _, rec := range []struct {
		leg         hotline.Leg
		with, other float64
	}{{first, hotlinetest.OperatorTone, SpecialistTone}, {last, SpecialistTone, hotlinetest.OperatorTone}} {
		if rec.leg.RecordingName == "" {
			continue
		}
		wav := tn.recording(t, "b", rec.leg.RecordingName)
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

// A callback with nodes: a caller who entered through Kamailio waits past max_wait, keys 1 and
// hangs up; when 1001 logs in, hotline dials the caller back from the next node up (a callback
// has no caller channel to follow), the caller answers and is put through to 1001, rung from that
// node: both hear each other, the call's channels are on one node, and the journal has the call
// back, answered and completed by 1001, as with one Asterisk.
func TestNodesCallBack(t *testing.T) {
	const number = "79006670001"
	pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	// The phone hotline calls back: it only answers (its server is never asked).
	callee, err := sipphone.New(pctx, sipphone.Config{Server: "127.0.0.1:9", User: number,
		Tone: hotlinetest.CallerTone, Detect: []float64{hotlinetest.OperatorTone}})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callee.Close() })
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
		c.Calls.MaxWait = 4 * time.Second
		c.Calls.Overflow = "callback"
		c.Calls.CallbackDial = "PJSIP/callers/sip:{number}@" + callee.Addr().String()
	})
	ctx := within(t, 2*time.Minute)
	first := tn.call(t, number)
	if _, err := tn.d.WaitStatus(10*time.Second, queued(1)); err != nil {
		t.Fatalf("caller not queued: %v", err)
	}
	if _, err := tn.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return st.Calls == 1 && len(st.Queue) == 0 }); err != nil {
		t.Fatalf("no overflow after max_wait: %v", err)
	}
	if err := first.SendDTMF(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if end, err := first.WaitEnd(within(t, 15*time.Second)); err != nil || end.By != sipphone.Remote {
		t.Fatalf("after keying 1: %v, %v; want thanks and hotline's hangup", end, err)
	}
	if _, err := tn.d.WaitStatus(5*time.Second, func(st switchboard.Status) bool {
		return len(st.Queue) == 1 && st.Queue[0].Callback
	}); err != nil {
		t.Fatalf("callback not queued: %v", err)
	}
	h := tn.handset(t, "1001")
	tn.login(t, "1001")
	back, err := callee.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("hotline did not call the caller back: %v", err)
	}
	if err := back.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	operatorTakes(t, h, back, number)
	// The operator's channel shows the caller's number (the call back's own shows none); it is
	// rung from the call back's node, and the two hear each other only if bridged there.
	if got := tn.channelsOf(t, "+"+number); len(got) != 1 {
		t.Errorf("the operator's channels for the call back per node = %v, want one node", got)
	} else {
		t.Logf("called back on node %v", got)
	}
	if err := back.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	back2, last := waitLegEnded(t, tn.d, number)
	if back2.CallbackFor == "" || back2.Outcome != hotline.OutcomeAnswered || last.End != hotline.LegCompleted || last.OperatorID != tn.d.OperatorID("1001") {
		t.Errorf("the call back = %+v, leg %+v; want a call of its own, answered by 1001", back2, last)
	}
}
