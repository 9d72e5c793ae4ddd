package switchboard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/routing"
)

// The progressive dialler of the informing campaigns (§7.1, «ЕИР263»). A level-2 representative
// starts informing («Начать информирование», StartInforming) for a campaign; from then on:
//
//	the representative is free (available: not ringing, talking, in wrap-up, paused; no caller
//	routing would offer them first) and no result of theirs is awaited
//	  ─► the journal claims the next person (Campaigns.ClaimInforming: calling hours, back-off,
//	     numbers not marked wrong are package informing's decision); nobody due: ask again when
//	     the claim says
//	  ─► hotline dials the person through calls.inform_dial, the representative reserved (as for a
//	     callback: presence ringing), one person at a time
//	       answered ─► "please hold", offered to the representative at once, bridged and recorded
//	                  like every call (a call of its own in the journal); the attempt is filed
//	                  with the call, and nothing more is dialled for them until they save the
//	                  result (InformingNext)
//	       no answer, busy, failed ─► the attempt is filed (the journal schedules the retry);
//	                  the next person is claimed
//
// Inbound calls keep their priority: only level-2 representatives inform (level-1 operators'
// time is the hotline's), and routing offers a waiting caller first in each loop step, before
// the dialler looks for a free representative. Limits: the informing state lives
// in memory (after a restart the representative starts informing again; a person claimed but not
// dialled is claimable again after informing.Plan.ClaimTimeout); a person's answered call is a
// caller at the head of the queue, so should the representative not take the offer another
// operator may; the attempt is filed through the outbox's read queue (retried while the daemon
// runs), not its write-ahead spool.

// Campaigns is where the dialler finds whom to call and files how each call went
// (journaladapter.Campaigns over journal.Store).
type Campaigns interface {
	ClaimInforming(ctx context.Context, campaignID, operatorID int64, now time.Time) (InformingClaim, error)
	RecordInformingAttempt(ctx context.Context, a InformingAttempt) error
}

// InformingClaim is the person to dial for a representative, or (PersonID 0) when to ask again
// (Wake; zero: nobody is left to call).
type InformingClaim struct {
	PersonID int64
	Number   string
	Wake     time.Time
	Awaiting int64 // a person who answered them earlier (another run) still awaits their result
}

// InformingAttempt is one dialling of a campaign's person and how it ended.
type InformingAttempt struct {
	CampaignID int64
	PersonID   int64
	OperatorID int64
	Number     string
	Outcome    hotline.DialOutcome
	CallID     string // the person's call, when answered
	Cause      string
	DialledAt  time.Time
	EndedAt    time.Time // answered, or given up
}

// DefaultInformRing is how long a person's phone rings when calls.inform_ring says nothing.
const DefaultInformRing = 30 * time.Second

// informRetry is how soon the dialler asks the journal again after it failed to answer.
const informRetry = 30 * time.Second

// informMaxWake bounds the wait for the next due person: a result saved meanwhile («Перезвонить
// позже») or another representative's claim gone stale is seen within it.
const informMaxWake = 5 * time.Minute

// informClaimFresh is how long a claim the representative could not be dialled for at once (they
// became busy meanwhile) is dialled as it is. The journal chose that person for that moment's
// calling hours; a claim older than this, after a long conversation, may be outside them now, so it
// is left to lapse and the journal is asked again.
const informClaimFresh = time.Minute

// informer is one representative's informing.
type informer struct {
	op       *operator
	campaign int64
	claiming bool             // the journal is asked for the next person
	claim    *InformingClaim  // claimed, not dialled yet (the representative became busy)
	claimAt  time.Time        // when claim was asked for
	dialling *pendingCallback // the person's phone rings
	awaiting int64            // the person who answered: their result is awaited
	wake     *timer           // nobody was due: ask again then
}

// informCall is what a campaign call's pendingCallback carries.
type informCall struct {
	campaign, person, operator int64
	dialledAt                  time.Time
}

// SetCampaigns gives the dialler its campaigns (before Run); without them StartInforming is refused.
func (s *Switchboard) SetCampaigns(c Campaigns) { s.campaigns = c }

// StartInforming is «Начать информирование»: hotline dials campaign campaignID's persons for
// level-2 representative operatorID, one at a time, whenever they are free. The representative
// must be logged in; only they or an administrator may ask.
func (s *Switchboard) StartInforming(ctx context.Context, by hotline.Actor, operatorID, campaignID int64) error {
	return s.ask(ctx, func(s *Switchboard) error { return s.startInforming(by, operatorID, campaignID) })
}

func (s *Switchboard) startInforming(by hotline.Actor, operatorID, campaignID int64) error {
	op, err := s.operator(operatorID)
	if err != nil {
		return err
	}
	if err := by.RequireSelfOrAdministrator(op.ID, fmt.Sprintf("start informing for operator %d", op.ID)); err != nil {
		return err
	}
	switch {
	case op.Level != hotline.Level2:
		return hotline.Errorf(hotline.EFORBIDDEN, "operator %d (%s) is not a level-2 representative: informing campaigns are theirs", op.ID, op.Name)
	case campaignID <= 0:
		return hotline.Errorf(hotline.EINVALID, "campaign id must be a positive number, not %d", campaignID)
	case s.campaigns == nil || s.cfg.InformDial == "":
		return hotline.Errorf(hotline.EUNAVAILABLE, "hotline does not dial informing campaigns: configure calls.inform_dial (the endpoint to dial, with {number})")
	case s.draining:
		return hotline.Errorf(hotline.EUNAVAILABLE, "hotline is stopping: no informing now")
	case !op.loggedIn:
		return hotline.Errorf(hotline.ECONFLICT, "operator %d (%s) is not logged in: «Начало работы» first", op.ID, op.Name)
	}
	if inf := s.informers[op.ID]; inf != nil {
		if inf.campaign == campaignID {
			return nil
		}
		if inf.dialling != nil || inf.awaiting != 0 || inf.claiming {
			return hotline.Errorf(hotline.ECONFLICT, "operator %d is informing for campaign %d: save the person's result first", op.ID, inf.campaign)
		}
		inf.wake.stop()
	}
	s.informers[op.ID] = &informer{op: op, campaign: campaignID}
	s.log.Info("informing started", "operator", op.ID, "campaign", campaignID, "by", by.Login)
	return nil
}

// StopInforming ends a representative's informing: nothing more is dialled for them (a person's
// phone already ringing rings to its end, and is filed).
func (s *Switchboard) StopInforming(ctx context.Context, by hotline.Actor, operatorID int64) error {
	return s.ask(ctx, forOperator(by, operatorID, "stop informing", func(s *Switchboard, op *operator) error {
		if inf := s.informers[op.ID]; inf != nil {
			inf.wake.stop()
			delete(s.informers, op.ID)
			s.log.Info("informing stopped", "operator", op.ID, "campaign", inf.campaign, "by", by.Login)
		}
		return nil
	}))
}

// InformingNext tells the dialler that the representative saved the answered person's result:
// the next person may be dialled.
func (s *Switchboard) InformingNext(ctx context.Context, by hotline.Actor, operatorID int64) error {
	return s.ask(ctx, s.informingNext(by, operatorID))
}

func (s *Switchboard) informingNext(by hotline.Actor, operatorID int64) func(s *Switchboard) error {
	return forOperator(by, operatorID, "go on informing", func(s *Switchboard, op *operator) error {
		if inf := s.informers[op.ID]; inf != nil {
			inf.awaiting = 0
		}
		return nil
	})
}

// Informing says which campaign operatorID informs for (0: none) and whether the dialler waits
// for a result of theirs.
func (s *Switchboard) Informing(ctx context.Context, operatorID int64) (campaign int64, awaiting bool, err error) {
	err = s.ask(ctx, func(s *Switchboard) error {
		if inf := s.informers[operatorID]; inf != nil {
			campaign, awaiting = inf.campaign, inf.awaiting != 0
		}
		return nil
	})
	return campaign, awaiting, err
}

// informFreed runs after routing in each loop step: each informing representative who is free
// gets their next person.
func (s *Switchboard) informFreed() {
	for _, inf := range s.informers {
		s.informStep(inf)
	}
}

func (s *Switchboard) informStep(inf *informer) {
	op := inf.op
	switch {
	case inf.claiming || inf.dialling != nil || inf.awaiting != 0 || inf.wake != nil:
		return
	case s.operators[op.ID] != op || !op.loggedIn:
		// Removed from service, or logged out («Завершить»): informing ends with the shift; a
		// later login does not start dialling by itself. A claim held lapses (ClaimTimeout).
		s.log.Info("informing ended: the representative left", "operator", op.ID, "campaign", inf.campaign)
		delete(s.informers, op.ID)
		return
	case !s.connected || s.replaced || s.draining:
		return
	case op.derive() != hotline.PresenceAvailable:
		return // routing offered them a waiting caller first, or they are busy
	}
	if inf.claim != nil {
		cl := *inf.claim
		inf.claim = nil
		if age := s.clock.Now().Sub(inf.claimAt); age <= informClaimFresh {
			s.dialInforming(inf, cl)
			return
		}
		s.log.Info("informing: a claim held while the representative was busy is stale; it lapses and the journal is asked again",
			"operator", op.ID, "campaign", inf.campaign, "person", cl.PersonID, "claimed", inf.claimAt)
	}
	inf.claiming = true
	cs, campaign, opID, now := s.campaigns, inf.campaign, op.ID, s.clock.Now()
	s.journalRead("claim a person to inform", "", func(ctx context.Context) error {
		// Every outcome goes back to the loop, a busy journal's too: the loop retries after
		// informRetry. Left to the outbox's retries, a job dropped after its last try would
		// leave the representative claiming forever.
		cl, err := cs.ClaimInforming(ctx, campaign, opID, now)
		s.post(informingClaimed{operator: opID, campaign: campaign, claim: cl, err: err, at: now})
		return nil
	})
}

// informingClaimed is the journal's answer to ClaimInforming.
type informingClaimed struct {
	operator, campaign int64
	claim              InformingClaim
	err                error
	at                 time.Time // the moment the claim was asked for
}

func (s *Switchboard) onInformingClaimed(m informingClaimed) {
	inf := s.informers[m.operator]
	if inf == nil || inf.campaign != m.campaign {
		if m.claim.PersonID != 0 {
			s.log.Info("informing stopped before the claimed person was dialled; the claim lapses", "operator", m.operator, "person", m.claim.PersonID)
		}
		return
	}
	inf.claiming = false
	wait := func(d time.Duration) {
		inf.wake = s.after(d, func() { inf.wake = nil })
	}
	switch {
	case m.claim.Awaiting != 0:
		s.log.Info("informing: a result is awaited first", "operator", m.operator, "person", m.claim.Awaiting)
		inf.awaiting = m.claim.Awaiting
	case m.err != nil:
		s.log.Error("the next person to inform not claimed", "operator", m.operator, "campaign", m.campaign, "err", m.err)
		wait(informRetry)
	case m.claim.PersonID == 0 && m.claim.Wake.IsZero():
		// A result saved meanwhile («Перезвонить позже») may put someone back: look again later.
		s.log.Info("informing: nobody left to call", "operator", m.operator, "campaign", m.campaign)
		wait(informMaxWake)
	case m.claim.PersonID == 0:
		d := min(max(m.claim.Wake.Sub(s.clock.Now()), time.Second), informMaxWake)
		s.log.Info("informing: nobody due now", "operator", m.operator, "campaign", m.campaign, "next", m.claim.Wake)
		wait(d)
	default:
		cl := m.claim
		inf.claim, inf.claimAt = &cl, m.at
		s.informStep(inf)
	}
}

// dialInforming reserves the representative and dials the person.
func (s *Switchboard) dialInforming(inf *informer, cl InformingClaim) {
	now := s.clock.Now()
	cb := &pendingCallback{callID: informCallID(inf.campaign, cl.PersonID), number: cl.Number,
		priority: routing.PriorityHeadOfQueue, joined: now,
		inform: &informCall{campaign: inf.campaign, person: cl.PersonID, operator: inf.op.ID, dialledAt: now}}
	inf.dialling = cb
	s.log.Info("informing: dialling", "operator", inf.op.ID, "campaign", inf.campaign, "person", cl.PersonID, "number", cl.Number)
	s.dialCallback(cb, inf.op)
}

// informEnded files how a campaign call's dialling ended and frees the representative's dialler.
func (s *Switchboard) informEnded(cb *pendingCallback, outcome hotline.DialOutcome, callID, why string) {
	ic := cb.inform
	a := InformingAttempt{CampaignID: ic.campaign, PersonID: ic.person, OperatorID: ic.operator, Number: cb.number,
		Outcome: outcome, CallID: callID, Cause: why, DialledAt: ic.dialledAt, EndedAt: s.clock.Now()}
	cs := s.campaigns
	s.journalRead("record an informing call", callID, func(ctx context.Context) error {
		err := cs.RecordInformingAttempt(ctx, a)
		if err != nil && !retryable(err) {
			s.log.Error("informing call not filed", "campaign", a.CampaignID, "person", a.PersonID, "err", err)
			return nil
		}
		return err
	})
	s.log.Info("informing: call ended", "operator", ic.operator, "campaign", ic.campaign, "person", ic.person, "outcome", outcome, "why", why)
	if inf := s.informers[ic.operator]; inf != nil && inf.dialling == cb {
		inf.dialling = nil
		if outcome == hotline.DialAnswered {
			inf.awaiting = ic.person
		}
	}
}

// dialOutcome reads a Q.850 cause of a channel that was never answered.
func dialOutcome(cause int) hotline.DialOutcome {
	switch cause {
	case 17: // user busy
		return hotline.DialBusy
	case 1, 3, 22, 27, 28, 34, 38, 41, 42: // unallocated, no route, changed, out of order, bad format, congestion
		return hotline.DialFailed
	}
	return hotline.DialNoAnswer
}

// informCallID names a campaign call: the Stasis args' call of its channel.
func informCallID(campaign, person int64) string {
	return "inform" + strconv.FormatInt(campaign, 10) + "-" + strconv.FormatInt(person, 10)
}

// informOfCall reads a campaign call's name back (informCallID); ok is false for any other call.
func informOfCall(call string) (campaign, person int64, ok bool) {
	c, p, found := strings.Cut(strings.TrimPrefix(call, "inform"), "-")
	if !found || !isInformCall(call) {
		return 0, 0, false
	}
	campaign, err1 := strconv.ParseInt(c, 10, 64)
	person, err2 := strconv.ParseInt(p, 10, 64)
	if err1 != nil || err2 != nil || campaign <= 0 || person <= 0 {
		return 0, 0, false
	}
	return campaign, person, true
}

// isInformCall reports whether a callback's call is a campaign's.
func isInformCall(call string) bool { return strings.HasPrefix(call, "inform") }
