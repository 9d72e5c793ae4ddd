package switchboard

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

func queueIDs(st Status) []string {
	var ids []string
	for _, q := range st.Queue {
		ids = append(ids, q.CallID)
	}
	return ids
}

// Listed numbers join ahead of everyone; a caller with an open case joins the end of the queue like
// anyone (§2: «вызов направляется в конец очереди»).
func TestQueuePriority(t *testing.T) {
	cfg := testConfig()
	cfg.PriorityNumbers = []string{"+7 (999)"} // as people type them
	cfg.Routing.PreferOwner = false
	h := newHarness(t, cfg, op(1, "1001"))
	h.j.cases["+7555"] = Filed{OwnerID: 1, OpenCases: 1}
	h.arrive("c1", "+7111")
	h.arrive("c2", "+7555") // returning
	h.arrive("c3", "+7222")
	h.arrive("c4", "+7999") // listed
	if got, want := queueIDs(h.status()), []string{"c4", "c1", "c2", "c3"}; !slices.Equal(got, want) {
		t.Errorf("queue = %v, want %v", got, want)
	}
	m := h.mark()
	h.login("1001")
	if or := h.oneOriginate(m); entryCall(or.Entry) != "c4" {
		t.Errorf("first offer for %v, want the listed caller c4", or.Entry)
	}
}

// A returning caller goes to the owner of their open case, even when another operator has been
// idle longer; with the rule off, the strategy decides.
func TestReturningCallerToOwner(t *testing.T) {
	for _, toOwner := range []bool{true, false} {
		cfg := testConfig()
		cfg.Routing.PreferOwner = toOwner
		h := newHarness(t, cfg, op(1, "1001"), op(2, "1002"))
		h.j.cases["+7555"] = Filed{OwnerID: 2, OpenCases: 1}
		h.login("1001")
		h.clock.now = h.clock.now.Add(time.Minute)
		h.login("1002")
		m := h.mark()
		h.arrive("c1", "+7555")
		want := "PJSIP/1001"
		if toOwner {
			want = "PJSIP/1002"
		}
		if or := h.oneOriginate(m); or.Endpoint != want {
			t.Errorf("to owner %v: offered to %s, want %s", toOwner, or.Endpoint, want)
		}
	}
}

// The owner is busy: the caller waits for them until OwnerWait, then anyone may answer.
func TestReturningCallerWaitsForOwner(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.OwnerWait = 30 * time.Second
	h := newHarness(t, cfg, op(1, "1001"), op(2, "1002"))
	h.j.cases["+7555"] = Filed{OwnerID: 2, OpenCases: 1}
	h.login("1001")
	m := h.mark()
	h.arrive("c1", "+7555") // 1002 is logged out
	if n := len(h.originates(m)); n != 0 {
		t.Fatalf("offered before the owner wait: %v", h.opsSince(m))
	}
	h.advance(29 * time.Second)
	h.send(DeviceState{Extension: "1003", Reachable: true}) // any message lets routing look again
	if n := len(h.originates(m)); n != 0 {
		t.Fatalf("offered before the owner wait")
	}
	// No other message comes: the switchboard's own wake-up at the owner wait routes the caller.
	h.advance(time.Second)
	if or := h.oneOriginate(m); or.Endpoint != "PJSIP/1001" {
		t.Errorf("after the owner wait offered to %s, want PJSIP/1001", or.Endpoint)
	}
}

// The journal answers after the greeting: the caller keeps their place (no priority for an open
// case) and their case's owner is preferred from then on.
func TestLateLookupRequeues(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.arrive("c1", "+7111")
	// c2's StartCall is answered only after its greeting: hold the write by reordering.
	var held []journalJob
	write := h.s.write
	h.s.write = func(j journalJob) { held = append(held, j) }
	h.j.cases["+7555"] = Filed{OwnerID: 1, OpenCases: 1}
	h.arrive("c2", "+7555")
	if got := queueIDs(h.status()); !slices.Equal(got, []string{"c1", "c2"}) {
		t.Fatalf("queue = %v before the lookup", got)
	}
	h.s.write = write
	for _, j := range held {
		write(j)
	}
	h.settle()
	if got := queueIDs(h.status()); !slices.Equal(got, []string{"c1", "c2"}) {
		t.Errorf("queue = %v after the lookup, want the returning caller where they joined", got)
	}
	if q := h.status().Queue[1]; q.OwnerID != 1 || q.Waiting != 0 || q.OpenCases != 1 {
		t.Errorf("second = %+v, want owner 1, one open case, wait kept", q)
	}
}

func TestAnnouncements(t *testing.T) {
	cfg := testConfig()
	cfg.AnnounceInterval = 30 * time.Second
	h := newHarness(t, cfg, op(1, "1001"))
	h.arrive("c1", "201")
	h.arrive("c2", "202")
	m := h.mark()
	h.advance(30 * time.Second)
	h.wantOps(m, "stop-moh c2", "play c2")
	p := h.lastPlay("c2")
	if want := []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting", "sound:queue-thankyou"}; !slices.Equal(p.Media, want) {
		t.Errorf("c2 heard %v, want %v (no operator staffed: no estimate)", p.Media, want)
	}
	if p1 := h.lastPlay("c1"); p1.Media[0] != "sound:queue-youarenext" {
		t.Errorf("c1 heard %v, want queue-youarenext first", p1.Media)
	}
	m = h.mark()
	h.send(PlaybackFinished{Playback: p.Playback})
	h.wantOps(m, "moh c2 default")
	// With an operator staffed (busy on c1), c2 is told an estimate.
	h.login("1001")
	h.answer(h.oneOriginate(0))
	h.advance(30 * time.Second)
	p = h.lastPlay("c2")
	if want := []string{"sound:queue-youarenext", "sound:queue-holdtime", "number:4", "sound:queue-minutes", "sound:queue-thankyou"}; !slices.Equal(p.Media, want) {
		t.Errorf("c2 heard %v, want %v", p.Media, want)
	}
}

func TestPositionPrompt(t *testing.T) {
	tests := []struct {
		pos   int
		wait  time.Duration
		known bool
		want  []string
	}{
		{1, 0, true, []string{"sound:queue-youarenext", "sound:queue-thankyou"}},
		{3, 0, false, []string{"sound:queue-thereare", "number:3", "sound:queue-callswaiting", "sound:queue-thankyou"}},
		{2, 40 * time.Second, true, []string{"sound:queue-thereare", "number:2", "sound:queue-callswaiting",
			"sound:queue-holdtime", "sound:queue-less-than", "number:1", "sound:queue-minute", "sound:queue-thankyou"}},
		{1, 121 * time.Second, true, []string{"sound:queue-youarenext", "sound:queue-holdtime", "number:3", "sound:queue-minutes", "sound:queue-thankyou"}},
	}
	for _, tt := range tests {
		if got := positionPrompt(tt.pos, tt.wait, tt.known); !slices.Equal(got, tt.want) {
			t.Errorf("positionPrompt(%d, %v, %v) = %v, want %v", tt.pos, tt.wait, tt.known, got, tt.want)
		}
	}
}

// Max wait, message: the caller is asked for a message, recorded, thanked and hung up; the leg
// says overflow and names the recording.
func TestOverflowMessage(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.MaxWait = time.Minute
	cfg.Overflow = OverflowMessage
	h := newHarness(t, cfg)
	h.arrive("c1", "201")
	m := h.mark()
	h.advance(time.Minute)
	h.wantOps(m, "stop-moh c1", "play c1")
	if p := h.lastPlay("c1"); !slices.Equal(p.Media, cfg.Prompts.LeaveMessage) {
		t.Errorf("played %v, want the leave-a-message prompt", p.Media)
	}
	if len(h.status().Queue) != 0 {
		t.Errorf("queue = %+v, want the caller out of it", h.status().Queue)
	}
	m = h.mark()
	h.finishPlay("c1")
	h.wantOps(m, "record-channel c1 message-c1")
	m = h.mark()
	h.send(RecordingFinished{Name: "message-c1"})
	h.finishPlay("c1")
	h.wantOps(m, "play c1", "hangup c1")
	h.hangup("c1")
	if l := h.leg("c1"); l.End != hotline.LegOverflow || l.RecordingName != "message-c1" {
		t.Errorf("leg = %+v, want overflow with message-c1", l)
	}
}

// Queue full, callback: the caller keys 1, keeps their place without a line, and the next free
// operator owns the delayed-answer case.
func TestOverflowCallback(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.MaxQueueLen = 1
	h := newHarness(t, cfg, op(1, "1001"))
	h.arrive("c1", "201")
	m := h.mark()
	h.arrive("c2", "202") // queue full
	if p := h.lastPlay("c2"); !slices.Equal(p.Media, cfg.Prompts.CallbackOffer) {
		t.Fatalf("c2 heard %v, want the callback offer", p.Media)
	}
	h.noOps(m, "moh c2")
	h.send(DTMF{Channel: "c2", Digit: "1"})
	if want := []delayed{{"c2", 0}}; !slices.Equal(h.j.delayed, want) {
		t.Errorf("delayed = %v, want %v", h.j.delayed, want)
	}
	m = h.mark()
	h.finishPlay("c2")
	h.wantOps(m, "hangup c2")
	h.hangup("c2")
	if l := h.leg("c2"); l.End != hotline.LegOverflow {
		t.Errorf("leg = %+v, want overflow", l)
	}
	if st := h.status(); !slices.Equal(queueIDs(st), []string{"c1", "c2"}) || !st.Queue[1].Callback {
		t.Fatalf("queue = %+v, want c1 then c2's callback", st.Queue)
	}
	// The operator takes c1; after that call and its wrap-up the callback is theirs.
	m = h.mark()
	h.login("1001")
	or := h.oneOriginate(m)
	h.answer(or)
	h.hangup("c1")
	h.advance(10 * time.Second)
	if want := []delayed{{"c2", 0}, {"c2", 1}}; !slices.Equal(h.j.delayed, want) {
		t.Errorf("delayed = %v, want %v", h.j.delayed, want)
	}
	h.wantPresence(1, hotline.PresenceWrapUp) // time to make the call back
	if len(h.status().Queue) != 0 {
		t.Errorf("queue = %+v, want empty", h.status().Queue)
	}
}

// Callback offered, nothing keyed: a message is recorded instead; never a silent drop.
func TestOverflowCallbackSilenceLeavesMessage(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.MaxWait = time.Minute
	h := newHarness(t, cfg)
	h.arrive("c1", "201")
	h.advance(time.Minute)
	h.finishPlay("c1") // the callback offer ends
	m := h.mark()
	h.advance(5 * time.Second)
	if p := h.lastPlay("c1"); !slices.Equal(p.Media, cfg.Prompts.LeaveMessage) {
		t.Errorf("after silence c1 heard %v, want the leave-a-message prompt", p.Media)
	}
	h.finishPlay("c1")
	h.wantOps(m, "record-channel c1 message-c1")
	h.hangup("c1") // hangs up while recording: the message is kept
	if l := h.leg("c1"); l.End != hotline.LegOverflow || l.RecordingName != "message-c1" {
		t.Errorf("leg = %+v, want overflow with the message", l)
	}
	m = h.mark()
	h.send(RecordingFinished{Name: "message-c1"}) // stored after the hangup: nobody to thank
	if got := h.opsSince(m); len(got) != 0 {
		t.Errorf("requests after the caller left: %v", got)
	}
	if len(h.j.delayed) != 0 {
		t.Errorf("delayed = %v, want none", h.j.delayed)
	}
}

// Max wait while the handset rings: the operator gets the chance; overflow only if unanswered.
func TestMaxWaitWhileRinging(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.MaxWait = 20 * time.Second
	cfg.Overflow = OverflowMessage
	h := newHarness(t, cfg, op(1, "1001"))
	h.arrive("c1", "201")
	h.advance(10 * time.Second) // logged in late: the offer starts at 10s
	m := h.mark()
	h.login("1001")
	h.oneOriginate(m)
	h.advance(12 * time.Second) // max wait passes while ringing
	h.noOps(m, "play c1")
	h.advance(3 * time.Second) // ring timeout
	if p := h.lastPlay("c1"); !slices.Equal(p.Media, cfg.Prompts.LeaveMessage) {
		t.Errorf("c1 heard %v after the unanswered ring, want the message prompt", p.Media)
	}
}

// An unreachable handset is offered nothing; reachable again, it is.
func TestUnreachableGetsNoOffers(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.send(DeviceState{Extension: "1001", Reachable: false})
	h.wantPresence(1, hotline.PresenceUnreachable)
	m := h.mark()
	h.arrive("c1", "201")
	h.advance(time.Minute)
	if n := len(h.originates(m)); n != 0 {
		t.Fatalf("%d offers to an unreachable handset", n)
	}
	h.send(DeviceState{Extension: "1001", Reachable: true})
	h.wantPresence(1, hotline.PresenceRinging)
	h.oneOriginate(m)
}

// While Asterisk is disconnected nothing is offered; after it, calls whose channels are gone end
// as failed.
func TestDisconnectAndInventory(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.arrive("c1", "201")
	h.arrive("c2", "202")
	h.send(Disconnected{})
	m := h.mark()
	h.login("1001")
	if n := len(h.originates(m)); n != 0 {
		t.Fatalf("offered while disconnected")
	}
	h.send(Connected{})
	// A call that arrives after the reconnection but before the listing is not in it: kept.
	h.send(StasisStart{Channel: "c3", CallerNumber: "203", Entry: Inbound{}})
	if n := len(h.originates(m)); n != 0 {
		t.Fatalf("offered before the inventory")
	}
	h.send(Inventory{Channels: []string{"c2", "stranger"}})
	if l := h.leg("c1"); l.End != hotline.LegFailed {
		t.Errorf("c1 leg = %+v, want failed", l)
	}
	if or := h.oneOriginate(m); entryCall(or.Entry) != "c2" {
		t.Errorf("offered %v, want c2", or.Entry)
	}
	if h.s.calls["c3"] == nil {
		t.Errorf("c3, newer than the listing, was ended")
	}
}

// The caller hangs up while being offered a callback: overflow, no callback registered.
func TestHangupDuringCallbackOffer(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.MaxWait = time.Minute
	h := newHarness(t, cfg)
	h.arrive("c1", "201")
	h.advance(time.Minute)
	h.hangup("c1")
	h.advance(time.Minute) // the offer's timers must not act for a caller who left
	if l := h.leg("c1"); l.End != hotline.LegOverflow || l.RecordingName != "" {
		t.Errorf("leg = %+v, want overflow without a message", l)
	}
	if len(h.j.delayed) != 0 || len(h.status().Queue) != 0 {
		t.Errorf("callback registered for a caller who hung up: %v, queue %+v", h.j.delayed, h.status().Queue)
	}
}
