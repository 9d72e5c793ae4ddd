package switchboard

import "fmt"

// The result "forwarded with notice to the caller" after a transfer. A handset cannot name the
// colleague who takes the case, but hotline knows whom the operator just transferred the caller
// to: the feature code *26 (Stasis(hotline,feature,forwarded)) files that result on the case of
// the operator's last transfer, forwarded to its target, who owns it as a delayed answer.

// forwardable is an operator's last transfer: the case and whom it went to.
type forwardable struct {
	caseID, to int64
	call       string
}

// noteTransfer remembers, for the transferring operator, the case and its new operator.
func (s *Switchboard) noteTransfer(from *operator, c *call, to *operator) {
	s.forwards[from.ID] = forwardable{caseID: c.caseID, to: to.ID, call: c.id}
}

// keyForwarded files "forwarded with notice" on op's last transfer; the operator hears the
// journal's answer on the feature channel ch, which is then hung up.
func (s *Switchboard) keyForwarded(op *operator, ch string) {
	f, ok := s.forwards[op.ID]
	if !ok || f.caseID == 0 {
		s.log.Info("forwarded keyed, but no transfer to file it on", "operator", op.ID)
		s.onTopicFiled(topicFiled{channel: ch, feature: true, err: fmt.Errorf("no transfer to file forwarded on")})
		return
	}
	delete(s.forwards, op.ID)
	s.log.Info("forwarded with notice keyed", "call", f.call, "case", f.caseID, "operator", op.ID, "to", f.to)
	opID := op.ID
	s.journalConfirm(Write{Forward: &CaseForwarded{CaseID: f.caseID, By: opID, To: f.to}}, func(err error) {
		s.post(topicFiled{channel: ch, feature: true, err: err})
	})
}
