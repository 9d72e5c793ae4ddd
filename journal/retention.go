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
	CaseID int64  `db:"case_id"`
	Name   string `db:"recording_name"`
}

// ExpiredRecordings lists, oldest first and at most limit, the recordings of legs that ended
// before before: what the retention period says to delete.
func (s *Store) ExpiredRecordings(ctx context.Context, before time.Time, limit int) ([]ExpiredRecording, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	var out []ExpiredRecording
	if err := s.r.SelectContext(ctx, &out, `SELECT id, case_id, recording_name FROM legs
		WHERE recording_name <> '' AND ended_at IS NOT NULL AND ended_at < ? ORDER BY ended_at, id LIMIT ?`,
		before.UnixMilli(), limit); err != nil {
		return nil, s.dbError(err, "list expired recordings")
	}
	return out, nil
}

// RecordingDeleted notes that a leg's recording no longer exists: the leg stops naming it and the
// case's history says when and why, so an auditor sees it was deleted, not lost.
func (s *Store) RecordingDeleted(ctx context.Context, r ExpiredRecording, why string) error {
	return s.write(ctx, "note a deleted recording", func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE legs SET recording_name = '' WHERE id = ? AND recording_name = ?`, r.LegID, r.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already noted
		}
		return s.record(ctx, tx, hotline.SystemActor, "leg", r.LegID, r.CaseID, "recording deleted",
			[]Change{{Field: "recording", From: r.Name, To: ""}, {Field: "why", From: "", To: why}})
	})
}
