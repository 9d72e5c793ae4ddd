package journal

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// RecordRingAttempt records an offer of call r.CallID that was not answered, on the call's newest
// leg: the switchboard writes it through its outbox before anything that could begin another leg.
func (s *Store) RecordRingAttempt(ctx context.Context, r hotline.RingAttempt) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.write(ctx, "record a ring attempt", func(tx *sqlx.Tx) error {
		leg, _, err := callLeg(ctx, tx, r.CallID)
		if err != nil {
			return err
		}
		if _, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", r.OperatorID), `id = ?`, r.OperatorID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO ring_attempts (leg_id, operator_id, rang_at, stopped_at, why) VALUES (?, ?, ?, ?, ?)`,
			leg.ID, r.OperatorID, ms(r.RangAt), ms(r.StoppedAt), string(r.Why))
		return err
	})
}

// RingAttempts returns the unanswered offers of the legs that arrived in [from, to) (the legs
// CallRecords returns for the same range), oldest first. A zero bound is none.
func (s *Store) RingAttempts(ctx context.Context, from, to time.Time) ([]hotline.RingAttempt, error) {
	var fromMS, toMS int64 = -1 << 63, 1<<63 - 1
	if !from.IsZero() {
		fromMS = from.UnixMilli()
	}
	if !to.IsZero() {
		toMS = to.UnixMilli()
	}
	var rows []struct {
		LegID      int64  `db:"leg_id"`
		Channel    string `db:"channel"`
		OperatorID int64  `db:"operator_id"`
		RangAt     int64  `db:"rang_at"`
		StoppedAt  int64  `db:"stopped_at"`
		Why        string `db:"why"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT r.leg_id, c.channel, r.operator_id, r.rang_at, r.stopped_at, r.why
		FROM ring_attempts r JOIN legs l ON l.id = r.leg_id JOIN calls c ON c.id = l.call_ref
		WHERE l.arrived_at >= ? AND l.arrived_at < ? ORDER BY r.rang_at, r.id`, fromMS, toMS); err != nil {
		return nil, s.dbError(err, "read ring attempts")
	}
	out := make([]hotline.RingAttempt, len(rows))
	for i, r := range rows {
		out[i] = hotline.RingAttempt{LegID: r.LegID, CallID: r.Channel, OperatorID: r.OperatorID,
			RangAt: time.UnixMilli(r.RangAt).UTC(), StoppedAt: time.UnixMilli(r.StoppedAt).UTC(), Why: hotline.RingStop(r.Why)}
	}
	return out, nil
}
