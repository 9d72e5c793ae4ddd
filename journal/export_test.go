package journal

import (
	"context"

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
