package journal

import (
	"context"

	"github.com/hotline-dev/hotline"
)

// WaitingCallbacks lists the callbacks no operator has been given yet: cases «Отсроченный ответ»
// without an owner (what a caller keying 1 at overflow makes of their case) whose last call has
// ended, however (the caller hung up, or the call was cut while hotline was away). Each is that
// last leg, oldest first. The call flow keeps their places in memory; after a restart it queues
// them again from this list, so a promise made to a caller outlives the daemon.
func (s *Store) WaitingCallbacks(ctx context.Context) ([]hotline.Leg, error) {
	return s.selectLegs(ctx, `SELECT `+legColsOf("l")+` FROM legs l JOIN cases c ON c.id = l.case_id
		WHERE c.status = 'delayed_answer' AND c.owner_id IS NULL AND l.ended_at IS NOT NULL
			AND l.id = (SELECT max(id) FROM legs WHERE case_id = c.id)
		ORDER BY coalesce(l.queued_at, l.arrived_at), l.id`)
}
