package switchboard

import "github.com/hotline-dev/hotline"

// «*26» after a transfer. A handset cannot name the colleague who takes the case, but hotline knows
// whom the operator last transferred the caller to: the feature code *26 (Stasis(hotline,feature,
// forwarded)) names that colleague on the case the operator registered for the call:
//   - the colleague answered and talks to the caller: the case is handed to them «В работе»;
//   - the colleague was not reached (busy, unreachable, no answer): the case is closed
//     «Переадресация с уведомлением обратившегося» (§6.1), their delayed answer.

// forwardable is an operator's last transfer: the call, to whom, and whether they answered.
// keyed: «*26» came while the colleague's handset still rang (a blind transfer, the operator
// already gone): it is filed when the ringing ends, answered or not.
type forwardable struct {
	call    string
	to      int64
	reached bool
	keyed   bool
}

// noteTransfer remembers, for the transferring operator, the call and whom it was sent to.
func (s *Switchboard) noteTransfer(from *operator, c *call, to *operator) {
	s.forwards[from.ID] = forwardable{call: c.id, to: to.ID}
}

// transferReached notes that the transfer's target answered.
func (s *Switchboard) transferReached(from *operator, c *call, to *operator) {
	if f, ok := s.forwards[from.ID]; ok && f.call == c.id && f.to == to.ID {
		f.reached = true
		s.forwards[from.ID] = f
		if f.keyed {
			s.fileForwarded(from, f)
		}
	}
}

// transferNotReached: the target's handset stopped ringing unanswered; a «*26» keyed meanwhile is
// filed now, as not reached.
func (s *Switchboard) transferNotReached(from *operator, c *call, to *operator) {
	if f, ok := s.forwards[from.ID]; ok && f.call == c.id && f.to == to.ID && f.keyed {
		s.fileForwarded(from, f)
	}
}

// fileForwarded writes «*26» for op's transfer f; the operator was told already.
func (s *Switchboard) fileForwarded(op *operator, f forwardable) {
	delete(s.forwards, op.ID)
	s.log.Info("forwarded filed after the ringing ended", "call", f.call, "operator", op.ID, "to", f.to, "reached", f.reached)
	w := CaseForwarded{CallID: f.call, By: op.ID, To: f.to, Reached: f.reached}
	s.journalWrite(Write{Forward: &w}, nil)
}

// keyForwarded applies «*26» to op's last transfer; the operator hears the journal's answer on the
// feature channel ch, which is then hung up.
func (s *Switchboard) keyForwarded(op *operator, ch string) {
	f, ok := s.forwards[op.ID]
	if !ok {
		s.log.Info("forwarded keyed, but no transfer to file it on", "operator", op.ID)
		s.onTopicFiled(topicFiled{channel: ch, feature: true, err: hotline.Errorf(hotline.ENOTFOUND, "no transfer to file forwarded on")})
		return
	}
	if c := s.calls[f.call]; c != nil && !f.reached {
		if t := s.transferOf(c); t != nil && t.target.ID == f.to {
			// The colleague's handset still rings: whether they take the caller decides between
			// handing over and forwarding with notice. The operator hears it is noted.
			f.keyed = true
			s.forwards[op.ID] = f
			s.log.Info("forwarded keyed while the colleague's handset rings: filed when it stops", "call", f.call, "operator", op.ID, "to", f.to)
			s.onTopicFiled(topicFiled{channel: ch, feature: true})
			return
		}
	}
	delete(s.forwards, op.ID)
	s.log.Info("forwarded keyed", "call", f.call, "operator", op.ID, "to", f.to, "reached", f.reached)
	w := CaseForwarded{CallID: f.call, By: op.ID, To: f.to, Reached: f.reached}
	s.journalConfirm(Write{Forward: &w}, func(err error) {
		s.post(topicFiled{channel: ch, feature: true, err: err})
	})
}
