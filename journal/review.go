package journal

import (
	"context"
	"database/sql"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// The workplace's queues: the administrator's «На рассмотрении» and the delayed answers no one
// owns yet (the administrators' queue of DelayedAnswerRule).

// Now is the journal's clock (Options.Now): what it stamps changes with, so that a page comparing
// due dates and waiting times with it agrees with what the journal wrote.
func (s *Store) Now() time.Time { return s.now() }

// ReviewQueue is the size of the «На рассмотрении» queue.
type ReviewQueue struct {
	N int // cases under review
	// Waiting counts the cases under review since before the asOf given to ReviewWaiting.
	Waiting int
	Oldest  time.Time // when the longest-waiting case went under review (its last change); zero: none
}

// ReviewWaiting counts the cases under review and those waiting since before asOf. A case under
// review cannot be edited, so its last change (updated_at) is its closing.
func (s *Store) ReviewWaiting(ctx context.Context, asOf time.Time) (ReviewQueue, error) {
	var r struct {
		N       int           `db:"n"`
		Waiting sql.NullInt64 `db:"waiting"`
		Oldest  sql.NullInt64 `db:"oldest"`
	}
	err := s.r.GetContext(ctx, &r, `SELECT count(*) AS n, sum(CASE WHEN updated_at < ? THEN 1 ELSE 0 END) AS waiting, min(updated_at) AS oldest
		FROM cases WHERE status = ?`, asOf.UnixMilli(), hotline.StatusUnderReview)
	if err != nil {
		return ReviewQueue{}, s.dbError(err, "count cases under review")
	}
	return ReviewQueue{N: r.N, Waiting: int(r.Waiting.Int64), Oldest: fromMS(r.Oldest)}, nil
}

// UnderReview lists the cases under review, the longest waiting first (by their last change,
// which for a case under review is its closing), at most limit (1..10000).
func (s *Store) UnderReview(ctx context.Context, limit int) ([]hotline.Case, error) {
	if limit <= 0 || limit > 10000 {
		return nil, hotline.Errorf(hotline.EINVALID, "limit %d: want 1 to 10000", limit)
	}
	return s.selectCases(ctx, `SELECT `+caseCols+` FROM cases WHERE status = ? ORDER BY updated_at, id LIMIT ?`,
		hotline.StatusUnderReview, limit)
}

// UnownedDelayedAnswers lists the delayed answers no operator owns (a voice message or a callback
// whose caller had no owner to go to): the administrators' queue, oldest first, at most limit
// (1..10000).
func (s *Store) UnownedDelayedAnswers(ctx context.Context, limit int) ([]hotline.Case, error) {
	if limit <= 0 || limit > 10000 {
		return nil, hotline.Errorf(hotline.EINVALID, "limit %d: want 1 to 10000", limit)
	}
	return s.selectCases(ctx, `SELECT `+caseCols+` FROM cases WHERE owner_id IS NULL AND status = ? ORDER BY created_at, id LIMIT ?`,
		hotline.StatusDelayedAnswer, limit)
}

// ClosedBy says who last closed each of cases ids (the login of the history's last «closed» or
// «extension requested» event): for a case under review, who handed it to the administrator,
// which is its owner or an administrator acting for them. Cases never closed are absent.
func (s *Store) ClosedBy(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > 10000 {
		return nil, hotline.Errorf(hotline.EINVALID, "%d cases: at most 10000 at once", len(ids))
	}
	q, args, err := sqlx.In(`SELECT case_id, actor FROM history WHERE id IN (
		SELECT max(id) FROM history WHERE case_id IN (?) AND entity = 'case' AND action IN ('closed', 'extension requested') GROUP BY case_id)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		CaseID int64  `db:"case_id"`
		Actor  string `db:"actor"`
	}
	if err := s.r.SelectContext(ctx, &rows, s.r.Rebind(q), args...); err != nil {
		return nil, s.dbError(err, "read who closed the cases")
	}
	for _, r := range rows {
		out[r.CaseID] = r.Actor
	}
	return out, nil
}
