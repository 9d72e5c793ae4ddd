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

// operator is an operator's live state. Presence is derived from the facts below, never set
// directly, so it cannot contradict them (e.g. "available" while a handset rings).
type operator struct {
	hotline.Operator

	loggedIn    bool
	paused      bool
	reason      string           // pause reason code: keyed on the handset, "missed" for an auto-pause
	unreachable bool             // the handset is unregistered or does not answer OPTIONS (handsetReachable)
	contacts    map[string]bool  // the extension's contacts Asterisk told of, by URI: reachable or not
	device      bool             // Asterisk's last device state said reachable
	offer       *offer           // ringing, or the call being talked on
	consulted   *consult         // a colleague's consultation call to this handset, ringing or answered
	reserved    *pendingCallback // a callback being dialled for this operator (callback.go)
	supervision *supervision     // an administrator's device listening to a call (supervise.go)
	wrapping    bool
	wrap        *timer
	wrapChannel string // the handset, still off-hook after the caller hung up, during wrap-up
	lastCallEnd time.Time
	lastCallID  string // the call a topic keyed after it (feature code or wrap-up) belongs to
	missed      int
	openCases   int // cases in work the journal says they own (limits.go)
	calls       int
	callsDay    time.Time // the day calls counts
	keying      bool      // after "*": digits of a topic code until "#"
	digits      string

	presence hotline.Presence
	since    time.Time
	freedIn  uint64         // the loop's message that last made them available (dispatchtrace.go)
	rec      presenceRecord // what the journal last heard of the standing presence (presence.go)
}

func (op *operator) derive() hotline.Presence {
	switch {
	case op.offer != nil && op.offer.answered:
		return hotline.PresenceTalking
	case op.offer != nil:
		return hotline.PresenceRinging
	case op.consulted != nil && op.consulted.answered:
		return hotline.PresenceTalking // with a colleague: no caller is offered meanwhile
	case op.consulted != nil:
		return hotline.PresenceRinging
	case op.reserved != nil:
		return hotline.PresenceRinging // the caller's phone rings for them
	case op.supervision != nil && op.supervision.answered:
		return hotline.PresenceTalking // listening: their device is in a call, no other is offered
	case op.supervision != nil:
		return hotline.PresenceRinging
	case !op.loggedIn:
		return hotline.PresenceLoggedOut
	case op.unreachable:
		return hotline.PresenceUnreachable
	case op.paused:
		return hotline.PresencePaused
	case op.wrapping:
		return hotline.PresenceWrapUp
	}
	return hotline.PresenceAvailable
}

func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func (op *operator) callsToday(now time.Time) int {
	if !day(now).Equal(op.callsDay) {
		return 0
	}
	return op.calls
}

func (op *operator) countCall(now time.Time) {
	op.calls = op.callsToday(now) + 1
	op.callsDay = day(now)
}

// candidates fills routing's view of the operators.
func (s *Switchboard) candidates(now time.Time) {
	s.cands, s.candOps = s.cands[:0], s.candOps[:0]
	for _, op := range s.operators {
		if op.Extension == "" {
			continue // no handset to ring
		}
		if s.supervising(op) {
			continue // an administrator's device listening to a call (supervise.go)
		}
		s.cands = append(s.cands, routing.Candidate{
			ID: op.ID, Level: op.Level, Presence: s.touch(op, now), Since: op.since,
			LastCallEnd: op.lastCallEnd, CallsToday: op.callsToday(now), Missed: op.missed,
			Tier: op.Priority, Topics: op.Topics, Languages: op.Languages,
			OpenCases: op.openCases, MaxConcurrent: op.MaxConcurrent,
		})
		s.candOps = append(s.candOps, op)
	}
}

func (s *Switchboard) login(op *operator) {
	op.loggedIn, op.paused, op.reason, op.missed = true, false, "", 0
}

func (s *Switchboard) logout(op *operator) {
	op.loggedIn, op.paused, op.reason = false, false, ""
}

func (s *Switchboard) pause(op *operator, reason string) error {
	if !op.loggedIn {
		return hotline.Errorf(hotline.ECONFLICT, "operator %d is logged out: log in before pausing", op.ID)
	}
	op.paused, op.reason = true, reason
	return nil
}

func (s *Switchboard) resume(op *operator) error {
	if !op.loggedIn {
		return hotline.Errorf(hotline.ECONFLICT, "operator %d is logged out: log in instead", op.ID)
	}
	op.paused, op.reason, op.missed = false, "", 0
	return nil
}

// startWrapUp gives the operator the configured time after a call before the next offer.
func (s *Switchboard) startWrapUp(op *operator) {
	op.lastCallEnd = s.clock.Now()
	op.wrap.stop()
	if s.cfg.Routing.WrapUp <= 0 {
		s.endWrapUp(op)
		return
	}
	op.wrapping = true
	op.wrap = s.after(s.cfg.Routing.WrapUp, func() { s.endWrapUp(op) })
}

func (s *Switchboard) endWrapUp(op *operator) {
	op.wrapping = false
	s.log.Debug("wrap-up over", "operator", op.ID, "handset_channel", op.wrapChannel)
	if op.wrapChannel != "" {
		s.do(op.wrapChannel, Hangup{Channel: op.wrapChannel, Reason: "normal"})
		op.wrapChannel = ""
	}
	op.keying, op.digits = false, ""
}

// keyTopic collects "*<topic number>#" keyed on an operator's handset during a call or its wrap-up.
func (s *Switchboard) keyTopic(op *operator, channel, digit string) {
	switch {
	case digit == "*" && op.keying && op.digits == "":
		op.digits = "*" // "**<extension>#": a transfer (transfer.go)
	case digit == "*":
		op.keying, op.digits = true, ""
	case !op.keying:
	case digit == "#":
		op.keying = false
		if s.keyedTransfer(op, channel, op.digits) {
			return
		}
		callID := op.lastCallID
		if op.offer != nil && op.offer.answered {
			callID = op.offer.call.id
		}
		s.setTopic(op, callID, op.digits, channel, false)
	case len(digit) == 1 && digit[0] >= '0' && digit[0] <= '9' && len(op.digits) < 6:
		op.digits += digit
	default:
		op.keying = false
	}
}

// setTopic files a keyed topic number on the case of callID; the operator hears on channel
// whether the journal took it (TopicSaved) or not (Invalid: no such topic, no call). A feature-code
// channel is hung up after the prompt.
func (s *Switchboard) setTopic(op *operator, callID, digits, channel string, feature bool) {
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || callID == "" {
		s.log.Info("topic keyed but not filed", "call", callID, "operator", op.ID, "digits", digits)
		s.onTopicFiled(topicFiled{channel: channel, feature: feature, err: fmt.Errorf("no topic number or no call")})
		return
	}
	s.log.Info("topic keyed", "call", callID, "operator", op.ID, "topic", n)
	id, opID := callID, op.ID
	s.journalConfirm(Write{Topic: &TopicKeyed{CallID: id, OperatorID: opID, Topic: n}}, func(err error) {
		s.post(topicFiled{channel: channel, feature: feature, err: err})
	})
}

// topicFiled is the journal's answer to SetCallTopic.
type topicFiled struct {
	channel string
	feature bool
	err     error
}

func (s *Switchboard) onTopicFiled(m topicFiled) {
	prompt := s.cfg.Prompts.TopicSaved
	if m.err != nil {
		prompt = s.cfg.Prompts.Invalid
	}
	ch := m.channel
	switch {
	case m.feature && s.features[ch] != nil:
		s.play(ch, ch, prompt, func(bool) { s.do(ch, Hangup{Channel: ch, Reason: "normal"}) })
	case s.handsetUp(ch):
		s.play(ch, ch, prompt, nil)
	}
}

// handsetUp reports whether ch is an operator's channel still in the application.
func (s *Switchboard) handsetUp(ch string) bool {
	switch own := s.ownerOf(ch); own.kind {
	case ownedByOffer:
		return own.offer.answered && !own.offer.gone
	case ownedByWrapUp:
		return true
	}
	return false
}

// feature is a handset's feature-code call: answered, confirmed with a prompt, hung up.
type feature struct{ channel string }

// extensionOf returns the endpoint of a channel name: "PJSIP/1001-0000002a" → "1001".
func extensionOf(name string) string {
	_, rest, ok := strings.Cut(name, "/")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(rest, '-'); i > 0 {
		rest = rest[:i]
	}
	return rest
}

// onFeature applies a feature code keyed on a handset, as extensions.conf passes it.
func (s *Switchboard) onFeature(m StasisStart, f Feature) {
	ch := m.Channel
	s.features[ch] = &feature{channel: ch}
	ext := extensionOf(m.Name)
	op := s.byExt[ext]
	causedBy(op, hotline.PresenceByFeatureCode)
	action := f.Action
	log := s.log.With("channel", ch, "extension", ext, "feature", action)
	p := s.cfg.Prompts
	var prompt []string
	var err error
	switch {
	case op == nil:
		prompt = p.UnknownHandset
		log.Warn("feature code from a handset no operator owns")
	case action == "login":
		prompt = p.LoginOK
		if op.loggedIn && !op.paused {
			prompt = p.AlreadyOn
		}
		s.login(op)
	case action == "logout":
		s.logout(op)
		prompt = p.LoggedOff
	case action == "pause":
		// The dialplan passes what was keyed after *23: a reason is kept for good in the presence
		// history, so only a reason code is (the same rule as the CLI's and the socket's).
		if err = hotline.ValidPauseReason(f.Arg); err == nil {
			err = s.pause(op, f.Arg)
		}
		prompt = p.Paused
	case action == "resume":
		err, prompt = s.resume(op), p.Resumed
	case action == "forwarded":
		// "Forwarded with notice" on the operator's last transfer (*26): the prompt waits for the
		// journal's answer (forward.go).
		s.do(ch, Answer{Channel: ch})
		s.keyForwarded(op, ch)
		return
	case action == "topic":
		// The topic of the operator's last call, keyed after hanging up (dialplan: *25<topic>):
		// the prompt waits for the journal's answer.
		log.Info("feature code applied", "operator", op.ID)
		s.do(ch, Answer{Channel: ch})
		s.setTopic(op, op.lastCallID, f.Arg, ch, true)
		return
	default:
		err = fmt.Errorf("unknown feature %q", action)
	}
	if err != nil {
		log.Info("feature code refused", "operator", op.ID, "err", err)
		prompt = p.Invalid
	} else if op != nil {
		log.Info("feature code applied", "operator", op.ID)
	}
	s.do(ch, Answer{Channel: ch})
	s.play(ch, ch, prompt, func(bool) { s.do(ch, Hangup{Channel: ch, Reason: "normal"}) })
}

// onDeviceState: a handset (un)registered or stopped answering.
func (s *Switchboard) onDeviceState(m DeviceState) {
	op := s.byExt[m.Extension]
	if op == nil {
		return
	}
	reachable := op.handsetReachable(m)
	if op.unreachable == !reachable {
		return
	}
	op.unreachable = !reachable
	causedBy(op, hotline.PresenceByHandset)
	s.log.Info("handset reachability", "operator", op.ID, "extension", m.Extension, "reachable", reachable, "contact", m.Contact)
}

// handsetReachable folds one report into what is known of the extension's contacts and says
// whether any answers. An extension may have several contacts (a handset re-registering from a
// new address, two devices), and their reports come in any order: the old contact's removal after
// the new one's "reachable" must not make the extension unreachable. A device state is Asterisk's
// verdict on all the contacts: unavailable forgets them; available stands while no contact is
// known.
func (op *operator) handsetReachable(m DeviceState) bool {
	switch {
	case m.Contact == "":
		op.device = m.Reachable
		if !m.Reachable {
			clear(op.contacts)
		}
	case m.Gone:
		delete(op.contacts, m.Contact)
	default:
		if op.contacts == nil {
			op.contacts = map[string]bool{}
		}
		op.contacts[m.Contact] = m.Reachable
	}
	if len(op.contacts) == 0 {
		return op.device
	}
	for _, r := range op.contacts {
		if r {
			return true
		}
	}
	return false
}

// operatorsLoaded is the journal's answer to Operators; by asked for it.
type operatorsLoaded struct {
	ops []hotline.Operator
	by  string
}

func (s *Switchboard) reloadOperators() { s.reloadOperatorsBy(hotline.SystemActor) }

func (s *Switchboard) reloadOperatorsBy(by hotline.Actor) {
	restore := len(s.operators) == 0 // the start: nobody known yet
	s.journalRead("load operators", "", func(ctx context.Context) error {
		ops, err := s.jr.Operators(ctx)
		if err != nil {
			return fmt.Errorf("load operators: %w", err)
		}
		s.post(operatorsLoaded{ops: ops, by: by.Login})
		return nil
	})
	if restore {
		s.restorePresence()
		s.loadCallsToday()
	}
}

// onOperatorsLoaded merges the journal's operators with live state: presence is kept; an
// operator gone from the journal is dropped unless a call is under way with them.
func (s *Switchboard) onOperatorsLoaded(m operatorsLoaded) {
	seen := make(map[int64]bool, len(m.ops))
	for _, o := range m.ops {
		if !o.Active {
			continue
		}
		seen[o.ID] = true
		op := s.operators[o.ID]
		if op == nil {
			op = &operator{presence: hotline.PresenceLoggedOut, since: s.clock.Now()}
			s.operators[o.ID] = op
		} else if op.Extension != o.Extension {
			delete(s.byExt, op.Extension)
		}
		op.Operator = o
		if o.Extension != "" {
			s.byExt[o.Extension] = op
		}
	}
	for id, op := range s.operators {
		if !seen[id] && op.offer == nil && op.reserved == nil && op.supervision == nil {
			s.presenceGone(op, m.by)
			delete(s.operators, id)
			if s.byExt[op.Extension] == op {
				delete(s.byExt, op.Extension)
			}
		}
	}
	s.log.Info("operators loaded", "count", len(s.operators))
	s.loadCaseCounts()
}
