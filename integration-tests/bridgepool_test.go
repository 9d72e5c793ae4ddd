package integrationtests

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

// TestBridgeKeptBetweenCalls: two successive calls through one operator, whose handset hangs up
// first each time, talk in the same bridge (an idle one is kept: switchboard/bridgepool.go), a
// simple_bridge of the two parties, both recorded; kill -9 and a restart leave no bridge behind.
func TestBridgeKeptBetweenCalls(t *testing.T) {
	r := startFaultRig(t, 300*time.Millisecond, false, nil)
	var ids []string
	for _, number := range []string{"79001970001", "79001970002"} {
		caller, op := r.talking(t, number)
		ids = append(ids, wantTwoPartyBridge(t, r.d.Sandbox))
		time.Sleep(time.Second) // a conversation worth recording
		hangUp(t, op)
		if _, err := caller.WaitEnd(within(t, 10*time.Second)); err != nil {
			t.Fatalf("caller %s not hung up after the operator: %v", number, err)
		}
		call := r.writtenOnce(t, number, hotline.OutcomeAnswered, hotline.LegCompleted)
		if l := call.Legs[0]; l.HungUpBy != hotline.SideOperator || l.RecordingName == "" {
			t.Errorf("leg %+v: want hung up by the operator, recorded", l)
		}
		r.nothingLeft(t, call) // the kept bridge is empty, and the only one
		wav := loadRecording(t, r.d, call.Legs[0].RecordingName)
		for _, tone := range []float64{hotlinetest.CallerTone, hotlinetest.OperatorTone} {
			if n := sipphone.ToneFrames(wav.Samples, tone, 0.2); n < 25 {
				t.Errorf("recording of %s: %d frames of the %v Hz tone, want both sides", number, n, tone)
			}
		}
	}
	if ids[0] == "" || ids[0] != ids[1] {
		t.Errorf("bridges of the two calls %q: want the second in the first's", ids)
	}
	r.serve.kill(t)
	r.restart(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, left := ariLeftovers(t, r.d.Sandbox, r.start)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bridges left after the restart: %v (the idle one must be destroyed)", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// And the restarted daemon bridges the next call as before.
	caller, op := r.talking(t, "79001970003")
	if id := wantTwoPartyBridge(t, r.d.Sandbox); id == ids[0] {
		t.Errorf("a bridge of the previous run %s used again after the restart", id)
	}
	hangUp(t, op)
	if _, err := caller.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	r.nothingLeft(t, r.writtenOnce(t, "79001970003", hotline.OutcomeAnswered, hotline.LegCompleted))
}
