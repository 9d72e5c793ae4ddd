package switchboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

type openLegJournal struct {
	*fakeJournal
	open []hotline.Leg
}

func (j *openLegJournal) OpenLegs(context.Context) ([]hotline.Leg, error) { return j.open, nil }

// A restarted daemon finds, in Asterisk, a bridged call, two waiting callers and an orphan ring of
// its previous run, and in the journal their open legs (and one whose caller left meanwhile).
func TestReconcileAfterRestart(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	oj := &openLegJournal{fakeJournal: h.j, open: []hotline.Leg{
		{CallID: "a", CallerNumber: "201", ArrivedAt: t0.Add(-5 * time.Minute), QueuedAt: t0.Add(-290 * time.Second),
			AnsweredAt: t0.Add(-4 * time.Minute), OperatorID: 1, RecordingName: "call-a"},
		{CallID: "b", CallerNumber: "202", ArrivedAt: t0.Add(-70 * time.Second), QueuedAt: t0.Add(-60 * time.Second)},
		{CallID: "c", CallerNumber: "203", ArrivedAt: t0.Add(-130 * time.Second), QueuedAt: t0.Add(-120 * time.Second)},
		{CallID: "d", CallerNumber: "204", ArrivedAt: t0.Add(-30 * time.Second), QueuedAt: t0.Add(-25 * time.Second)},
	}}
	h.s.jr = oj
	h.s.loadOpenLegs()
	h.settle()
	h.login("1001") // as the previous run left it (restored from the presence history)
	m := h.mark()
	h.send(Inventory{Channels: []string{"a", "a-op7", "b", "c", "x-op3", "lost"},
		Bridges: []BridgeInfo{{ID: "a-bridge", Channels: []string{"a", "a-op7"}}}})

	if c := h.s.calls["a"]; c == nil || c.state != stateBridged || c.offer == nil || c.offer.channel != "a-op7" {
		t.Fatalf("call a not adopted as bridged with a-op7: %+v", c)
	}
	h.wantPresence(1, hotline.PresenceTalking)
	st := h.status()
	if len(st.Queue) != 2 || st.Queue[0].CallID != "c" || st.Queue[1].CallID != "b" {
		t.Errorf("queue = %+v, want c then b (their first join order)", st.Queue)
	}
	if l := h.leg("d"); l.End != hotline.LegAbandoned || l.EndedAt.IsZero() || !l.EndedAway || h.j.outcomes["d"] != hotline.OutcomeAbandonedQueue {
		t.Errorf("leg d = %+v (%s), want abandoned in the queue, ended away: its caller left while hotline was away", l, h.j.outcomes["d"])
	}
	h.wantOps(m, "hangup x-op3")
	h.noOps(m, "continue") // its StasisStart may be on its way: a moment's grace
	h.advance(strangerGrace)
	h.wantOps(m, "continue lost") // entered as the last run stopped: the dialplan's fallback takes it
	h.noOps(m, "hangup a")
	h.noOps(m, "originate") // the only operator logged in is talking

	h.advance(time.Minute - strangerGrace)
	h.hangup("a")
	l := h.leg("a")
	if l.End != hotline.LegCompleted || l.OperatorID != 1 || l.RecordingName != "call-a" || !l.AnsweredAt.Equal(t0.Add(-4*time.Minute)) {
		t.Errorf("adopted call's leg = %+v, want completed by operator 1 with its recording and answer time", l)
	}
	if h.j.started != nil {
		t.Errorf("StartCall on reconcile: %+v; a case would be doubled", h.j.started)
	}
	h.wantPresence(1, hotline.PresenceWrapUp)
}

// callbackLegJournal is an openLegJournal whose waiting callbacks are the legs ended so far of the
// cases listed as callbacks: as the journal would answer, after the writes before the read.
type callbackLegJournal struct {
	openLegJournal
	callbackCalls map[string]bool
	reads         int
}

func (j *callbackLegJournal) WaitingCallbacks(context.Context) ([]hotline.Leg, error) {
	j.reads++
	var out []hotline.Leg
	for _, l := range j.legs {
		if j.callbackCalls[l.CallID] && l.End != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// A caller keyed 1 and their call was still in the switchboard when the daemon stopped: the next
// start ends that open leg (the caller is gone) and only then reads the waiting callbacks, so the
// callback keeps its place.
func TestCallbackOfACallCutByTheRestart(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	j := &callbackLegJournal{openLegJournal: openLegJournal{fakeJournal: h.j, open: []hotline.Leg{
		{CallID: "k", CallerNumber: "79007000007", ArrivedAt: t0.Add(-3 * time.Minute), QueuedAt: t0.Add(-170 * time.Second)},
	}}, callbackCalls: map[string]bool{"k": true}}
	h.s.jr = j
	h.s.loadOpenLegs()
	h.settle()
	if j.reads != 0 {
		t.Fatalf("callbacks read before the reconciliation")
	}
	h.send(Inventory{}) // k's caller is gone
	if l := h.leg("k"); l.End != hotline.LegAbandoned || !l.EndedAway {
		t.Fatalf("leg k = %+v, want ended while hotline was away", l)
	}
	q := h.status().Queue
	if j.reads != 1 || len(q) != 1 || !q[0].Callback {
		t.Errorf("after the reconciliation: %d reads, queue %+v; want k's callback queued", j.reads, q)
	}
}

// A caller whose channel entered the application while hotline was reconciling is in Asterisk's
// listing before their StasisStart reaches the loop: a new call, answered and greeted, never sent
// back to the dialplan (issue 19: the first caller after a restart was bounced).
func TestCallArrivingDuringReconciliation(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.s.jr = &openLegJournal{fakeJournal: h.j}
	h.s.loadOpenLegs()
	h.settle()
	m := h.mark()
	h.send(Inventory{Channels: []string{"new"}})
	h.send(StasisStart{Channel: "new", CallerNumber: "+79001112233", Entry: Inbound{}})
	h.advance(strangerGrace)
	h.noOps(m, "continue")
	h.wantOps(m, "answer new")
	if c := h.s.calls["new"]; c == nil {
		t.Fatalf("the new caller is not in the switchboard")
	}
}

// Another ARI application's channel on the same PBX is left alone at the start (issue 19: hotline
// sent every channel it did not know back to the dialplan, another application's too).
func TestReconcileLeavesOtherApplicationsAlone(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.s.jr = &openLegJournal{fakeJournal: h.j}
	h.s.loadOpenLegs()
	h.settle()
	m := h.mark()
	h.send(Inventory{Channels: []string{"theirs", "lost"},
		Details: []ChannelInfo{{ID: "theirs", Foreign: true}, {ID: "lost"}}})
	h.advance(strangerGrace)
	h.noOps(m, "continue theirs")
	h.wantOps(m, "continue lost")
}

// What a restart finds half done is taken down or taken over (issue 19): the rest of a greeting
// is stopped before the caller is put through, a bridge whose caller left is destroyed with its
// recording, a consultation still talking is adopted, one whose colleague left is hung up; another
// application's bridge is never touched.
func TestReconcileTakesDownOrAdoptsLeftovers(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.s.jr = &openLegJournal{fakeJournal: h.j, open: []hotline.Leg{
		{CallID: "g", CallerNumber: "201", ArrivedAt: t0.Add(-5 * time.Second)},
		{CallID: "e", CallerNumber: "202", ArrivedAt: t0.Add(-time.Minute), QueuedAt: t0.Add(-50 * time.Second),
			AnsweredAt: t0.Add(-40 * time.Second), OperatorID: 1, RecordingName: "call-e-5"},
		{CallID: "f", CallerNumber: "203", ArrivedAt: t0.Add(-time.Minute), QueuedAt: t0.Add(-50 * time.Second),
			AnsweredAt: t0.Add(-40 * time.Second), OperatorID: 2, RecordingName: "call-f-6"},
	}}
	h.s.loadOpenLegs()
	h.settle()
	h.login("1001")
	h.login("1002")
	m := h.mark()
	h.send(Inventory{
		Channels: []string{"g", "e-op4", "k2", "k2-cs9", "j2", "f"},
		Details: []ChannelInfo{{ID: "g"}, {ID: "f"}, {ID: "e-op4", Name: "PJSIP/1001-00000004"},
			{ID: "k2", Name: "PJSIP/1001-00000007"}, {ID: "k2-cs9", Name: "PJSIP/1002-00000008"},
			{ID: "j2", Name: "PJSIP/1002-00000009"}},
		Bridges: []BridgeInfo{
			{ID: "e-bridge5", Channels: []string{"e-op4"}},
			{ID: "f-bridge6", Channels: []string{"f"}}, // f's operator hung up while hotline was away
			{ID: "k2-cs9-bridge", Channels: []string{"k2", "k2-cs9"}},
			{ID: "j2-cs8-bridge", Channels: []string{"j2"}},
			{ID: "zz-bridge3", Channels: []string{"zz"}, Foreign: true},
		}})
	h.wantOps(m, "stop-playback g-greeting")
	// f's old bridge (still recording f) goes before f's music starts, and only once.
	h.wantOps(m, "destroy-bridge f-bridge6", "moh f")
	if n := strings.Count(strings.Join(h.opsSince(m), "\n"), "destroy-bridge f-bridge6"); n != 1 {
		t.Errorf("f's old bridge destroyed %d times, want once", n)
	}
	h.wantOps(m, "hangup e-op4")
	h.wantOps(m, "destroy-bridge e-bridge5")
	h.wantOps(m, "hangup j2")
	h.wantOps(m, "destroy-bridge j2-cs8-bridge")
	h.noOps(m, "destroy-bridge zz-bridge3")
	h.noOps(m, "destroy-bridge k2-cs9-bridge")
	h.noOps(m, "hangup k2")
	if k := h.s.consults["k2"]; k == nil || !k.answered || k.target != "k2-cs9" || k.from == nil || k.from.Extension != "1001" ||
		k.to == nil || k.to.Extension != "1002" {
		t.Fatalf("consultation k2 not adopted: %+v", k)
	}
	h.wantPresence(2, hotline.PresenceTalking) // 1002 talks with 1001 on the consultation
	h.advance(strangerGrace)
	h.noOps(m, "continue") // nothing left unknown: k2 adopted, j2 hung up
	if l := h.leg("e"); l.End != hotline.LegCompleted || !l.EndedAway {
		t.Errorf("leg e = %+v, want completed, ended away", l)
	}
	if c := h.s.calls["g"]; c == nil || c.state != stateQueued {
		t.Errorf("caller g in the greeting not re-queued: %+v", c)
	}
}
