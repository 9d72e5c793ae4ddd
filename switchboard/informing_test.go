package switchboard

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/informing"
	"github.com/hotline-dev/hotline/routing"
)

// fakeCampaigns keeps one campaign's persons in memory and decides with the real schedule
// (package informing), as the journal does.
type fakeCampaigns struct {
	plan     informing.Plan
	persons  []informing.Person
	attempts []InformingAttempt
	claims   int
	awaiting int64 // a person answered earlier, the result not saved: claims say so
}

func (c *fakeCampaigns) ClaimInforming(_ context.Context, campaign, op int64, now time.Time) (InformingClaim, error) {
	c.claims++
	if c.awaiting != 0 {
		return InformingClaim{Awaiting: c.awaiting}, nil
	}
	i, number, wake := c.plan.Next(c.persons, now)
	if i < 0 {
		return InformingClaim{Wake: wake}, nil
	}
	c.persons[i].Status, c.persons[i].ClaimedAt = hotline.InformDialling, now
	return InformingClaim{PersonID: c.persons[i].ID, Number: number}, nil
}

func (c *fakeCampaigns) RecordInformingAttempt(_ context.Context, a InformingAttempt) error {
	c.attempts = append(c.attempts, a)
	for i, p := range c.persons {
		if p.ID == a.PersonID {
			st, next := c.plan.AfterDial(p, a.Outcome, a.EndedAt)
			c.persons[i].Status, c.persons[i].NextAt, c.persons[i].Attempts = st, next, p.Attempts+1
		}
	}
	return nil
}

const informEndpoint = "PJSIP/{number}@campaign"

func informHarness(t *testing.T, hours informing.Hours) (*harness, *fakeCampaigns) {
	t.Helper()
	cfg := testConfig()
	cfg.InformDial = informEndpoint
	cfg.InformRing = 20 * time.Second
	h := newHarness(t, cfg, op(1, "1001"), specialist(2, "2001"))
	fc := &fakeCampaigns{plan: informing.Plan{Hours: hours, Retry: informing.Retry{Attempts: 2, First: time.Hour}}}
	for i, n := range []string{"+79000000001", "+79000000002", "!+79000000003", "+79000000004"} {
		wrong := strings.HasPrefix(n, "!")
		fc.persons = append(fc.persons, informing.Person{ID: int64(i + 1), Status: hotline.InformPending,
			Phones: []hotline.InsuredPhone{{Number: strings.TrimPrefix(n, "!"), Wrong: wrong}}})
	}
	h.s.SetCampaigns(fc)
	h.login("2001")
	return h, fc
}

func (h *harness) startInforming(by hotline.Actor, opID, campaign int64) error {
	return h.request(func(s *Switchboard) error { return s.startInforming(by, opID, campaign) })
}

// The progressive dialler: nothing outside calling hours; then one person at a time for the
// representative, the next when the previous did not answer, nothing while they talk or until
// they save the result, a wrong number never dialled.
func TestInformingDialsOneAtATimeWithinHours(t *testing.T) {
	h, fc := informHarness(t, informing.Hours{From: 10 * time.Hour, To: 20 * time.Hour}) // t0 is 09:00 UTC
	m := h.mark()
	if err := h.startInforming(op2Actor, 2, 5); err != nil {
		t.Fatalf("StartInforming: %v", err)
	}
	h.advance(59 * time.Minute)
	if or := h.originates(m); len(or) != 0 {
		t.Fatalf("dialled before 10:00: %+v", or)
	}
	h.advance(time.Minute)
	first := h.oneOriginate(m)
	if first.Endpoint != "PJSIP/+79000000001@campaign" || entryKind(first.Entry) != "callback" {
		t.Fatalf("dialled %+v, want the first person through calls.inform_dial", first)
	}
	h.wantPresence(2, hotline.PresenceRinging) // reserved while the person's phone rings

	// Busy: filed as such; the next person is dialled at once, alone.
	m = h.mark()
	h.send(ChannelDestroyed{Channel: first.Channel, Cause: 17})
	second := h.oneOriginate(m)
	if second.Endpoint != "PJSIP/+79000000002@campaign" {
		t.Fatalf("then dialled %+v, want the second person", second)
	}
	if a := fc.attempts; len(a) != 1 || a[0].Outcome != hotline.DialBusy || a[0].PersonID != 1 || a[0].OperatorID != 2 {
		t.Fatalf("attempts %+v, want person 1 busy", a)
	}

	// Answered: offered to the representative alone, filed with the call; nothing dialled while
	// they talk, in wrap-up, or until the result is saved.
	m = h.mark()
	h.answer(second)
	offer := h.oneOriginate(m)
	if offer.Endpoint != "PJSIP/2001" || entryCall(offer.Entry) != second.Channel {
		t.Fatalf("offered %+v, want the representative's handset", offer)
	}
	if a := fc.attempts; len(a) != 2 || a[1].Outcome != hotline.DialAnswered || a[1].CallID != second.Channel {
		t.Fatalf("attempts %+v, want person 2 answered with the call", a)
	}
	if st := h.j.started; len(st) != 1 || st[0].CallID != second.Channel || st[0].CallbackFor != "" {
		t.Fatalf("filed %+v, want the person's call, a call of its own", st)
	}
	m = h.mark()
	h.answer(offer)
	h.wantPresence(2, hotline.PresenceTalking)
	h.hangup(second.Channel)
	h.advance(time.Minute) // wrap-up over
	h.wantPresence(2, hotline.PresenceAvailable)
	if l := h.leg(second.Channel); l.OperatorID != 2 || l.RecordingName == "" {
		t.Errorf("leg %+v, want the representative's, recorded", l)
	}
	for _, o := range h.originates(m) {
		if o.Endpoint != "PJSIP/2001" {
			t.Fatalf("dialled %+v before the result was saved", o)
		}
	}
	m = h.mark()
	if err := h.request(h.s.informingNext(op2Actor, 2)); err != nil {
		t.Fatal(err)
	}
	// Person 3's only number is marked wrong: person 4 is next.
	if third := h.oneOriginate(m); third.Endpoint != "PJSIP/+79000000004@campaign" {
		t.Fatalf("after the result dialled %+v, want person 4 (person 3's number is wrong)", third)
	}
}

// Inbound callers keep their priority: the queue is level 1's, so a caller waiting there does
// not hold the representative's dialling, and a campaign's person who answered is an ordinary
// caller (not at the head of the queue) should the representative miss the offer.
func TestInformingInboundFirst(t *testing.T) {
	h, _ := informHarness(t, informing.DefaultHours(time.UTC))
	h.arrive("in-1", "+79001112233") // operator 1 is logged out: the caller waits
	h.finishPlay("in-1")
	m := h.mark()
	if err := h.startInforming(op2Actor, 2, 5); err != nil {
		t.Fatal(err)
	}
	dial := h.oneOriginate(m)
	if dial.Endpoint != "PJSIP/+79000000001@campaign" {
		t.Fatalf("dialled %+v", dial)
	}
	h.answer(dial)
	if c := h.s.calls[dial.Channel]; c == nil || c.priority != routing.PriorityOrdinary {
		t.Fatalf("the person's call %+v, want an ordinary caller", c)
	}
	if c := h.s.calls["in-1"]; c == nil || c.state != stateQueued {
		t.Fatalf("the inbound caller %+v, want still queued", c)
	}
	// Operator 1 logs in: the inbound caller (who waited longer) is offered first.
	m = h.mark()
	h.login("1001")
	for _, o := range h.originates(m) {
		if o.Endpoint == "PJSIP/1001" && entryCall(o.Entry) != "in-1" {
			t.Fatalf("operator 1 offered %+v before the inbound caller", o)
		}
	}
}

func TestStartInformingRefusals(t *testing.T) {
	tests := []struct {
		name string
		dial string
		by   hotline.Actor
		op   int64
		camp int64
		code string
		says string
	}{
		{"another operator asks", informEndpoint, hotline.Actor{Login: "op1", OperatorID: 1, Role: hotline.RoleOperator}, 2, 5, hotline.EFORBIDDEN, "only an administrator or the operator themself"},
		{"a level-1 operator", informEndpoint, adminActor, 1, 5, hotline.EFORBIDDEN, "not a level-2 representative"},
		{"no campaign", informEndpoint, op2Actor, 2, 0, hotline.EINVALID, "positive number"},
		{"not configured", "", op2Actor, 2, 5, hotline.EUNAVAILABLE, "calls.inform_dial"},
		{"unknown operator", informEndpoint, adminActor, 77, 5, hotline.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.InformDial = tt.dial
			h := newHarness(t, cfg, op(1, "1001"), specialist(2, "2001"))
			h.s.SetCampaigns(&fakeCampaigns{})
			h.login("2001")
			h.login("1001")
			err := h.startInforming(tt.by, tt.op, tt.camp)
			if hotline.ErrorCode(err) != tt.code || !strings.Contains(hotline.ErrorMessage(err), tt.says) {
				t.Fatalf("StartInforming = %v, want %s saying %q", err, tt.code, tt.says)
			}
		})
	}
}

// A result awaited from an earlier run (the journal says so when asked): nothing is dialled until
// the representative saves it.
func TestInformingAwaitsResultOfEarlierRun(t *testing.T) {
	h, fc := informHarness(t, informing.DefaultHours(time.UTC))
	fc.awaiting = 3
	m := h.mark()
	if err := h.startInforming(op2Actor, 2, 5); err != nil {
		t.Fatal(err)
	}
	h.advance(10 * time.Minute)
	if or := h.originates(m); len(or) != 0 || fc.claims != 1 {
		t.Fatalf("dialled %+v (%d claims) while a result was awaited", or, fc.claims)
	}
	fc.awaiting = 0
	if err := h.request(h.s.informingNext(op2Actor, 2)); err != nil {
		t.Fatal(err)
	}
	if o := h.oneOriginate(m); o.Endpoint != "PJSIP/+79000000001@campaign" {
		t.Fatalf("after the result dialled %+v", o)
	}
}

// A campaign's person dialled before a restart answers after it: the answer is filed as the
// person's attempt (the journal knows whose claim it was), so they are not dialled again.
func TestInformingAnswerAfterRestartIsFiled(t *testing.T) {
	h, fc := informHarness(t, informing.DefaultHours(time.UTC))
	h.send(StasisStart{Channel: "inform5-3-cb9", Name: "PJSIP/campaign-0001", Entry: Callback{Call: informCallID(5, 3), Number: "+79000000003"}})
	if a := fc.attempts; len(a) != 1 || a[0].CampaignID != 5 || a[0].PersonID != 3 || a[0].Outcome != hotline.DialAnswered || a[0].CallID != "inform5-3-cb9" {
		t.Fatalf("attempts %+v, want person 3 of campaign 5 answered on inform5-3-cb9", a)
	}
}

func TestInformOfCall(t *testing.T) {
	for _, tt := range []struct {
		call             string
		campaign, person int64
		ok               bool
	}{
		{informCallID(5, 3), 5, 3, true},
		{"inform12-40001", 12, 40001, true},
		{"case42", 0, 0, false},
		{"inform5", 0, 0, false},
		{"inform-3", 0, 0, false},
		{"inform5-x", 0, 0, false},
		{"inform0-3", 0, 0, false},
		{"c7", 0, 0, false},
	} {
		c, p, ok := informOfCall(tt.call)
		if c != tt.campaign || p != tt.person || ok != tt.ok {
			t.Errorf("informOfCall(%q) = %d, %d, %v; want %d, %d, %v", tt.call, c, p, ok, tt.campaign, tt.person, tt.ok)
		}
	}
}

// A claim the representative could not be dialled for at once (they became busy) is dialled when
// they are free again only while it is fresh: after a long conversation the journal is asked again,
// so its calling hours decide, not a choice made before the conversation.
func TestInformingHeldClaim(t *testing.T) {
	for _, tc := range []struct {
		name       string
		age        time.Duration
		wantDial   string
		wantClaims int
	}{
		{"fresh: dialled as claimed", 30 * time.Second, "PJSIP/+79000000009@campaign", 0},
		{"stale: asked again", 2 * time.Minute, "PJSIP/+79000000001@campaign", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, fc := informHarness(t, informing.DefaultHours(time.UTC))
			held := &InformingClaim{PersonID: 9, Number: "+79000000009"}
			m := h.mark()
			// The loop steps the informers after every message, this request's too.
			if err := h.request(func(s *Switchboard) error {
				s.informers[2] = &informer{op: s.operators[2], campaign: 5, claim: held, claimAt: s.clock.Now().Add(-tc.age)}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if dial := h.oneOriginate(m); dial.Endpoint != tc.wantDial {
				t.Fatalf("dialled %s, want %s", dial.Endpoint, tc.wantDial)
			}
			if fc.claims != tc.wantClaims {
				t.Fatalf("%d claims asked, want %d", fc.claims, tc.wantClaims)
			}
		})
	}
}
