package integrationtests

import (
	"fmt"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// A caller registered by an operator calls again, dialling their number another way (8… then +7…):
// one caller in the journal; a new caller ahead of them stays ahead (the end of the queue for
// everyone); their case's owner is preferred only with calls.returning_to_owner.
func TestRepeatCallerOneNumberEndOfQueue(t *testing.T) {
	for _, toOwner := range []bool{true, false} {
		t.Run(fmt.Sprintf("returning_to_owner=%v", toOwner), func(t *testing.T) {
			d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
				c.Calls.ReturningToOwner = toOwner
			})
			ctx := within(t, 120*time.Second)
			by, err := d.Store.Actor(ctx, "test-admin")
			if err != nil {
				t.Fatal(err)
			}
			code := fmt.Sprintf("repeat-%d", time.Now().UnixNano())
			if err := d.Store.AddTopic(ctx, by, hotline.Topic{Code: code, Number: 55, Type: hotline.TypeConsultation, Title: "Repeat"}); err != nil {
				t.Fatal(err)
			}
			h := d.Handset("1001", 300*time.Millisecond)
			if !d.FeatureCode(h, "*21") {
				t.Fatal("login: no prompt")
			}
			const national, e164, other = "89007770001", "+79007770001", "79007770002"
			x, err := d.Caller(national).Dial(ctx, "100")
			if err != nil {
				t.Fatal(err)
			}
			in := operatorTakes(t, h, x, "9007770001")
			// The operator registers the call with the topic key: their case.
			if err := in.SendDTMF(ctx, "*55#"); err != nil {
				t.Fatal(err)
			}
			var cs []hotline.Case
			for deadline := time.Now().Add(10 * time.Second); len(cs) != 1 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				cs, _ = d.Store.Cases(ctx, journal.CaseFilter{Caller: national})
			}
			if len(cs) != 1 || cs[0].OwnerID != d.OperatorID("1001") || cs[0].Topic != code || cs[0].CallerNumber != e164 {
				t.Fatalf("cases of %s = %+v, want one, 1001's, with the keyed topic, under %s", national, cs, e164)
			}
			if err := x.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			_ = in.Hangup(ctx)
			if !d.FeatureCode(h, "*22") { // away: the next callers wait
				t.Fatal("logout: no prompt")
			}
			y, err := d.Caller(other).Dial(ctx, "100")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
				t.Fatal(err)
			}
			x2, err := d.Caller(e164).Dial(ctx, "100")
			if err != nil {
				t.Fatal(err)
			}
			st, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
				return len(st.Queue) == 2 && st.Queue[1].OpenCases == 1
			})
			if err != nil {
				t.Fatalf("the repeat caller not queued with their open case: %v", err)
			}
			if st.Queue[0].CallerNumber != "+"+other || st.Queue[1].CallerNumber != e164 {
				t.Errorf("queue = %+v, want %s first and the repeat caller behind, as %s", st.Queue, other, e164)
			}
			wantOwner := int64(0)
			if toOwner {
				wantOwner = d.OperatorID("1001")
			}
			if st.Queue[1].OwnerID != wantOwner {
				t.Errorf("repeat caller's owner preference %d, want %d", st.Queue[1].OwnerID, wantOwner)
			}
			_ = y.Hangup(ctx)
			_ = x2.Hangup(ctx)
			calls, err := d.Store.Calls(ctx, journal.CallFilter{Caller: "8 900 777-00-01"})
			if err != nil || len(calls) != 2 || calls[0].CallerNumber != e164 || calls[1].CallerNumber != e164 {
				t.Errorf("calls of the caller = %+v, %v; want both calls, under %s", calls, err, e164)
			}
		})
	}
}
