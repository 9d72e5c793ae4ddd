package switchboard

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/routing"
)

// Reconciliation after the daemon restarts (crash, kill -9, upgrade). Asterisk keeps the channels
// of a Stasis application whose websocket went away: waiting callers still hear music, bridged
// calls still talk and their bridge still records. The journal knows which legs never ended. At
// the first inventory after start, hotline puts the two together, never guessing:
//
//	open leg, caller's channel gone                 → the leg ends "failed" (it ended while we were away)
//	open leg, answered, caller and the operator's   → adopted as a bridged call: it ends, later, with a
//	  channel (<call>-op<n>, <call>-xf<n>) both up     correct leg (completed), the operator talking
//	open leg, not answered, caller up               → back in the queue at its first join time, so the
//	                                                   callers keep their order; music again
//	a consultation, both handsets in its bridge     → adopted: the operator's transfer button still
//	  (<A2>-cs<n>-bridge)                              joins the caller with the colleague
//	an operator's channel with no call to adopt     → hung up (a ring or a wrap-up nobody owns now),
//	  or the operator's side of a consultation         and so is a consultation's survivor
//	  whose colleague has gone
//	an administrator's listening or snoop channel   → hung up (the session is not adopted)
//	  (<call>-sv<n>, <call>-sn<n>)
//	a bridge of ours nothing was adopted into       → destroyed, with the recording it held
//
// No case is doubled: adopted calls keep their call id, so their legs are updated, never filed anew.

// Continue sends a channel back to the dialplan, to the step after Stasis().
type Continue struct{ Channel string }

func (Continue) op()              {}
func (o Continue) String() string { return "continue " + o.Channel }

// ChannelInfo describes a channel in an Inventory.
type ChannelInfo struct {
	ID           string
	Name         string // e.g. PJSIP/1001-0000002a
	CallerNumber string
	// Foreign: Asterisk says the channel is elsewhere (the dialplan, another ARI application on the
	// same PBX): never hotline's to send anywhere.
	Foreign bool
}

// BridgeInfo is a bridge in an Inventory and the channels in it.
type BridgeInfo struct {
	ID       string
	Channels []string
	// Foreign: not made by this application (the adapter names hotline's bridges after it):
	// never hotline's to take down.
	Foreign bool
}

// openLegsLoaded is the journal's answer to OpenLegs at start.
type openLegsLoaded struct {
	legs []hotline.Leg
	err  error
}

// loadOpenLegs asks the journal for the legs left open by a previous run; Run calls it at start.
func (s *Switchboard) loadOpenLegs() {
	lj := s.jr
	s.journalRead("open legs", "", func(ctx context.Context) error {
		legs, err := lj.OpenLegs(ctx)
		if err == nil || !retryable(err) {
			s.post(openLegsLoaded{legs: legs, err: err})
		}
		return err
	})
}

func (s *Switchboard) onOpenLegs(m openLegsLoaded) {
	if m.err != nil {
		s.log.Error("open legs not read: calls left by the previous run are not reconciled", "err", m.err)
		s.reconciled = true
		s.loadWaitingCallbacks()
		return
	}
	s.openLegs = m.legs
	s.legsLoaded = true
	if s.pendingInv != nil {
		inv := *s.pendingInv
		s.pendingInv = nil
		s.reconcile(inv)
	}
}

// reconcileInventory runs the reconciliation with the first inventory after start, or keeps the
// inventory until the journal's open legs are read.
func (s *Switchboard) reconcileInventory(m Inventory) {
	if s.reconciled {
		return
	}
	if !s.legsLoaded {
		s.pendingInv = &m
		return
	}
	s.reconcile(m)
}

func (s *Switchboard) reconcile(m Inventory) {
	s.reconciled = true
	now := s.clock.Now()
	info := make(map[string]ChannelInfo, len(m.Details))
	for _, ch := range m.Details {
		info[ch.ID] = ch
	}
	have := make(map[string]bool, len(m.Channels))
	for _, ch := range m.Channels {
		have[ch] = true
	}
	bridgeOf := make(map[string]string)
	for _, b := range m.Bridges {
		for _, ch := range b.Channels {
			bridgeOf[ch] = b.ID
		}
	}
	// The operator's channel of each call: ours are named <call>-op<n> and <call>-xf<n>.
	opChans := make(map[string][]string)
	for _, ch := range m.Channels {
		if id, ok := ownerCall(ch); ok {
			opChans[id] = append(opChans[id], ch)
		}
	}
	legs := slices.Clone(s.openLegs)
	s.openLegs = nil
	// Queue order is join order: the first to have queued goes first again.
	slices.SortStableFunc(legs, func(a, b hotline.Leg) int {
		return cmp.Compare(joinTime(a).UnixNano(), joinTime(b).UnixNano())
	})
	adopted := make(map[string]bool)
	keepBridge := make(map[string]bool) // ours, adopted with their calls
	s.adoptConsults(m, info, adopted, keepBridge)
	for _, l := range legs {
		if _, live := s.calls[l.CallID]; live || l.CallID == "" {
			continue
		}
		log := s.log.With("call", l.CallID, "operator", l.OperatorID)
		if !have[l.CallID] {
			// It ended while hotline was away, however it ended: a conversation that was under
			// way was answered; a caller waiting hung up. When, hotline cannot know: the leg says
			// it ended away, at the time hotline found it gone.
			l.EndedAt, l.EndedAway = now, true
			outcome := hotline.OutcomeAbandonedQueue
			switch {
			case !l.AnsweredAt.IsZero():
				l.End, outcome = hotline.LegCompleted, hotline.OutcomeAnswered
			case l.QueuedAt.IsZero():
				l.End, outcome = hotline.LegAbandoned, hotline.OutcomeAbandonedGreeting
			default:
				l.End = hotline.LegAbandoned
			}
			log.Warn("reconcile: the call ended while hotline was away", "end", l.End, "outcome", outcome)
			s.metrics.CallEnded(l.End, 0)
			s.journalWrite(Write{SaveLeg: &l, Outcome: outcome}, nil)
			continue
		}
		number := l.CallerNumber
		if ci, ok := info[l.CallID]; ok && ci.CallerNumber != "" {
			number = ci.CallerNumber
		}
		normalised, _ := s.cfg.PhoneRegion.Normalize(number)
		c := &call{id: l.CallID, number: normalised, leg: l, joined: joinTime(l), answered: !l.AnsweredAt.IsZero()}
		if !l.AnsweredAt.IsZero() {
			op := s.operators[l.OperatorID]
			opCh := ""
			for _, ch := range opChans[l.CallID] {
				if bridgeOf[ch] != "" && bridgeOf[ch] == bridgeOf[l.CallID] {
					opCh = ch
				}
			}
			if op != nil && op.offer == nil && opCh != "" {
				s.move(c, evAdopted)
				c.bridge = bridgeOf[l.CallID]
				c.recording = l.RecordingName
				if c.recording != "" {
					c.recorder, c.recorderOn = l.RecordingName, opCh
				}
				if c.recording != "" {
					s.recs[c.recording] = c
				}
				o := &offer{channel: opCh, call: c, op: op, answered: true}
				c.offer, op.offer = o, o
				s.offers[opCh] = o
				s.calls[c.id] = c
				adopted[opCh] = true
				keepBridge[c.bridge] = true
				s.allowTransfers(c.id, opCh)
				s.touch(op, now)
				log.Info("reconcile: bridged call adopted", "bridge", c.bridge, "operator_channel", opCh, "recording", c.recording)
				continue
			}
			// Answered, but the operator has gone: the caller waits again, first, on a new leg.
			log.Warn("reconcile: the operator's side is gone; caller back to the head of the queue")
			// The old bridge, if any, still holds the caller and records them: it goes first, on
			// the caller's lane (before the music starts), so the next operator's bridge and
			// recording are the only ones; the sweep below leaves it alone.
			if b := bridgeOf[l.CallID]; b != "" {
				s.do(c.id, DestroyBridge{Bridge: b})
				keepBridge[b] = true
			}
			l.EndedAt, l.End = now, hotline.LegFailed
			s.metrics.CallEnded(hotline.LegFailed, 0)
			s.saveLegOf(l)
			c.leg = hotline.Leg{CallID: c.id, CallerNumber: number, ArrivedAt: now, QueuedAt: now, TransferredFrom: l.OperatorID}
			c.priority = routing.PriorityHeadOfQueue
		}
		s.move(c, evRequeued)
		s.calls[c.id] = c
		s.enqueue(c, c.joined)
		if c.leg.QueuedAt.IsZero() {
			// It was in the greeting: it waits now. The rest of the greeting would hold the
			// caller's channel (and play over the operator) until it ends: stop it.
			c.leg.QueuedAt = now
			s.do(c.id, StopPlayback{Playback: greetingPlayback(c.id)})
		}
		s.saveLeg(c)
		s.startMOH(c)
		if s.cfg.AnnounceInterval > 0 {
			c.announce = s.after(s.cfg.AnnounceInterval, func() { s.announce(c) })
		}
		log.Info("reconcile: caller re-queued", "joined", c.joined, "position", s.queue.Position(c.id))
	}
	// Operators' channels nobody owns now (a ring or a wrap-up of the previous run): hang up, so
	// a handset does not stay off-hook in silence.
	for _, ch := range m.Channels {
		if _, ok := ownerCall(ch); ok && !adopted[ch] && s.offers[ch] == nil && s.transfers[ch] == nil {
			s.log.Info("reconcile: operator channel of the previous run hung up", "channel", ch)
			s.do(ch, Hangup{Channel: ch, Reason: "normal"})
		}
		// An administrator listening when the previous run stopped: nobody knows the session now.
		if _, ok := supervisionOf(ch); ok && s.supervisors[ch] == nil {
			s.log.Info("reconcile: supervision channel of the previous run hung up", "channel", ch)
			s.do(ch, Hangup{Channel: ch, Reason: "normal"})
		}
	}
	// Bridges of ours nothing was adopted into: a conversation whose caller or operator left while
	// hotline was away, a transfer or consultation cut short. Destroying one ends its recording
	// and lets whoever is still in it go back to their own Stasis loop.
	for _, b := range m.Bridges {
		if !b.Foreign && ourBridge(b.ID) && !keepBridge[b.ID] {
			s.log.Info("reconcile: bridge of the previous run taken down", "bridge", b.ID, "channels", b.Channels)
			s.do(b.ID, DestroyBridge{Bridge: b.ID})
		}
	}
	// Channels hotline has no record of: a call that entered the application as the previous run
	// stopped (its StasisStart never handled), a feature code or consultation cut short. Back to
	// the dialplan, whose next step says what to do (the hotline number plays its "no service").
	open := make(map[string]bool, len(legs))
	for _, l := range legs {
		open[l.CallID] = true
	}
	unknown := func(ch string) bool {
		_, ours := ownerCall(ch)
		return !ours && !open[ch] && s.ownerOf(ch).kind == ownedByNone
	}
	var strangers []string
	for _, ch := range m.Channels {
		if !unknown(ch) || adopted[ch] {
			continue
		}
		if info[ch].Foreign {
			continue // another application's call: not ours to move
		}
		strangers = append(strangers, ch)
	}
	// A channel that entered the application just now is in the listing before its StasisStart
	// reaches the loop: a new call, not a leftover. Only those still unknown after a moment, whose
	// StasisStart will never come, are sent back.
	if len(strangers) > 0 {
		s.after(strangerGrace, func() {
			for _, ch := range strangers {
				if unknown(ch) {
					s.log.Warn("reconcile: channel unknown to the journal sent back to the dialplan", "channel", ch)
					s.do(ch, Continue{Channel: ch})
				}
			}
		})
	}
	// Last: the legs this reconciliation ends are queued for the journal before the read, so a
	// callback whose call ended while hotline was away is found waiting.
	s.loadWaitingCallbacks()
}

// adoptConsults takes over the consultations of the previous run that are still talking: the
// operator's second call A2 and the colleague's <A2>-cs<n>, both in the bridge <A2>-cs<n>-bridge.
// A consultation whose colleague (or operator) has gone is hung up: its bridge is destroyed with
// the other leftovers, and the survivor hears the end of the call rather than silence.
func (s *Switchboard) adoptConsults(m Inventory, info map[string]ChannelInfo, adopted, keepBridge map[string]bool) {
	for _, b := range m.Bridges {
		id, ok := parseID(b.ID)
		if !ok || id.kind != idConsultBridge || b.Foreign {
			continue
		}
		a2, target := id.of, consultChannel(id.of, id.n)
		if s.consults[a2] != nil {
			continue
		}
		in := make(map[string]bool, len(b.Channels))
		for _, ch := range b.Channels {
			in[ch] = true
		}
		from := s.byExt[extensionOf(info[a2].Name)]
		if !in[a2] || !in[target] || from == nil {
			for _, ch := range []string{a2, target} {
				if _, live := info[ch]; live && !info[ch].Foreign {
					s.log.Info("reconcile: consultation of the previous run ended: one side has gone", "channel", ch)
					s.do(ch, Hangup{Channel: ch, Reason: "normal"})
					adopted[ch] = true // hung up here, not again below
				}
			}
			continue
		}
		k := &consult{a2: a2, target: target, from: from, to: s.byExt[extensionOf(info[target].Name)], bridge: b.ID, answered: true}
		s.consults[a2], s.consults[target] = k, k
		if k.to != nil && k.to != from {
			k.to.consulted = k
			s.touch(k.to, s.clock.Now())
		}
		adopted[a2], adopted[target], keepBridge[b.ID] = true, true, true
		s.allowTransfers(a2, a2)
		s.log.Info("reconcile: consultation adopted", "channel", a2, "from", from.Extension, "to", extensionOf(info[target].Name))
	}
}

// strangerGrace is how long a channel found in the application at the start, unknown to the journal,
// is given for its StasisStart to arrive before it is sent back to the dialplan.
const strangerGrace = 3 * time.Second

func joinTime(l hotline.Leg) time.Time {
	switch {
	case !l.QueuedAt.IsZero():
		return l.QueuedAt
	case !l.GreetingEndAt.IsZero():
		return l.GreetingEndAt
	}
	return l.ArrivedAt
}

// saveLegOf writes a leg that has no live call.
func (s *Switchboard) saveLegOf(l hotline.Leg) {
	s.journalWrite(Write{SaveLeg: &l}, nil)
}
