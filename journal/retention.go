package journal

import (
	"context"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// ExpiredRecording is a stored recording past the retention period.
type ExpiredRecording struct {
	LegID  int64  `db:"id"`
	CallID string `db:"call_id"` // the call's channel
	Name   string `db:"recording_name"`
}

// ExpiredRecordings lists, oldest first and at most limit, the recordings of legs that ended
// before before: what the retention period says to delete.
func (s *Store) ExpiredRecordings(ctx context.Context, before time.Time, limit int) ([]ExpiredRecording, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	var out []ExpiredRecording
	if err := s.r.SelectContext(ctx, &out, `SELECT l.id, c.channel AS call_id, l.recording_name FROM legs l JOIN calls c ON c.id = l.call_ref
		WHERE l.recording_name <> '' AND l.ended_at IS NOT NULL AND l.ended_at < ? ORDER BY l.ended_at, l.id LIMIT ?`,
		before.UnixMilli(), limit); err != nil {
		return nil, s.dbError(err, "list expired recordings")
	}
	return out, nil
}

// RecordingDeleted notes that a leg's recording no longer exists: the leg stops naming it and the
// history of the call and of its cases says when and why, so an auditor sees it was deleted, not lost.
func (s *Store) RecordingDeleted(ctx context.Context, r ExpiredRecording, why string) error {
	return s.write(ctx, "note a deleted recording", func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE legs SET recording_name = '' WHERE id = ? AND recording_name = ?`, r.LegID, r.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already noted
		}
		changes := []Change{{Field: "recording", From: r.Name, To: ""}, {Field: "why", From: "", To: why}}
		if err := s.record(ctx, tx, hotline.SystemActor, "call", r.CallID, 0, "recording deleted", changes); err != nil {
			return err
		}
		// Each case the call is on says so too: a case's history is what an auditor reads.
		var cases []int64
		if err := tx.SelectContext(ctx, &cases, `SELECT cc.case_id FROM case_calls cc JOIN legs l ON l.call_ref = cc.call_ref WHERE l.id = ?`, r.LegID); err != nil {
			return err
		}
		for _, id := range cases {
			if err := s.record(ctx, tx, hotline.SystemActor, "case", id, id, "recording deleted", changes); err != nil {
				return err
			}
		}
		return nil
	})
}
