package switchboard

import "github.com/hotline-dev/hotline"

// «*26» after a transfer. A handset cannot name the colleague who takes the case, but hotline knows
// whom the operator last transferred the caller to: the feature code *26 (Stasis(hotline,feature,
// forwarded)) names that colleague on the case the operator registered for the call:
//   - the colleague answered and talks to the caller: the case is handed to them «В работе»;
//   - the colleague was not reached (busy, unreachable, no answer): the case is closed
//     «Переадресация с уведомлением обратившегося» (§6.1), their delayed answer.

// forwardable is an operator's last transfer: the call, to whom, and whether they answered.
type forwardable struct {
	call    string
	to      int64
	reached bool
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
	}
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
	delete(s.forwards, op.ID)
	s.log.Info("forwarded keyed", "call", f.call, "operator", op.ID, "to", f.to, "reached", f.reached)
	w := CaseForwarded{CallID: f.call, By: op.ID, To: f.to, Reached: f.reached}
	s.journalConfirm(Write{Forward: &w}, func(err error) {
		s.post(topicFiled{channel: ch, feature: true, err: err})
	})
}
