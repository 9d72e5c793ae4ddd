package journal

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// HoldWriteLockForTest holds the write lock (BEGIN IMMEDIATE) until release is closed.
func (s *Store) HoldWriteLockForTest(ctx context.Context, held chan<- struct{}, release <-chan struct{}) error {
	return s.write(ctx, "hold the write lock", func(tx *sqlx.Tx) error {
		close(held)
		<-release
		return nil
	})
}

// BulkLoadForBench inserts n synthetic cases in one transaction straight in SQL (no per-case
// history), with topics and operators to refer to: the 1,000,000-case benchmark database builds
// in seconds instead of minutes. Spread: a year of dates, 4 statuses, 5 types, 20 topics,
// 50 owners, 200,000 callers.
func (s *Store) BulkLoadForBench(ctx context.Context, n int, from time.Time) error {
	return s.write(ctx, "bulk load", func(tx *sqlx.Tx) error {
		stmts := []string{
			`INSERT INTO topics (code, number, type, title, created_at)
			 WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < 19)
			 SELECT 'topic-'||i, 100+i, CASE i % 5 WHEN 0 THEN 'complaint' WHEN 1 THEN 'consultation' WHEN 2 THEN 'application' WHEN 3 THEN 'proposal' ELSE 'gratitude' END, 'Topic '||i, 0 FROM k WHERE true ON CONFLICT DO NOTHING`,
			`INSERT INTO operators (id, name, role, level, created_at)
			 WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM k WHERE i < 50)
			 SELECT 1000+i, 'Operator '||i, 'operator', 1, 0 FROM k WHERE true ON CONFLICT DO NOTHING`,
		}
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO cases (created_at, channel, caller_number, type, topic, description, owner_id,
				status, result, created_by, updated_at, full_name, search_fold)
			WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM k WHERE i < ?)
			SELECT ? + i * (31536000000 / ?), 'phone', '+7865' || (1000000 + (i * 7919) % 200000),
				CASE (i % 20) % 5 WHEN 0 THEN 'complaint' WHEN 1 THEN 'consultation' WHEN 2 THEN 'application' WHEN 3 THEN 'proposal' ELSE 'gratitude' END,
				'topic-' || (i % 20), 'synthetic case ' || i, 1001 + (i % 50),
				CASE i % 4 WHEN 0 THEN 'in_progress' WHEN 1 THEN 'delayed_answer' WHEN 2 THEN 'under_review' ELSE 'approved' END,
				CASE WHEN i % 4 >= 2 THEN 'answered' ELSE '' END, 'bench', ? + i * (31536000000 / ?),
				'Пациент ' || i, 'пациент ' || i || ? || 'synthetic case ' || i
			FROM k`, n-1, from.UnixMilli(), n, from.UnixMilli(), n, "\n\n")
		return err
	})
}
