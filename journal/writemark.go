package journal

import (
	"context"
	"errors"
	"fmt"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// A WriteMark is where a write waits in a write-ahead spool (package spool): the spool file's
// generation and the write's sequence number in it. The journal applies each mark once: it
// records the newest mark of the spool in the same transaction as the write, and a write whose
// mark is not newer (a replay after a crash between the commit and the spool's release) is
// skipped with ErrAlreadyApplied. Writes of one spool must be applied in sequence order.
type WriteMark struct {
	Spool string
	Seq   uint64
}

// ErrAlreadyApplied: the write's mark was applied before; nothing was written.
var ErrAlreadyApplied = errors.New("journal: write already applied (a replay from the spool)")

type writeMarkKey struct{}

// WithWriteMark returns ctx carrying m. The one write transaction a Store method runs with that
// ctx is applied only if m is newer than its spool's last applied mark. The mark travels with the
// request, like an HTTP Idempotency-Key header, rather than through every method's parameters;
// a zero mark (or none) applies the write unconditionally.
func WithWriteMark(ctx context.Context, m WriteMark) context.Context {
	return context.WithValue(ctx, writeMarkKey{}, m)
}

func writeMarkFrom(ctx context.Context) (WriteMark, bool) {
	m, ok := ctx.Value(writeMarkKey{}).(WriteMark)
	return m, ok && m.Spool != "" && m.Seq != 0
}

// claimWriteMark records ctx's mark in tx, or returns ErrAlreadyApplied if it was applied before.
// One statement does both (the upsert changes no row when the stored seq is not older); the
// previous generation's row is deleted when a new one first appears (the Store remembers the
// last generation it saw, so that costs a statement once per spool file, not per write).
func (s *Store) claimWriteMark(ctx context.Context, tx *sqlx.Tx) error {
	m, ok := writeMarkFrom(ctx)
	if !ok {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO write_marks (spool, seq, applied_at) VALUES (?, ?, ?)
		ON CONFLICT (spool) DO UPDATE SET seq = excluded.seq, applied_at = excluded.applied_at WHERE excluded.seq > write_marks.seq`,
		m.Spool, int64(m.Seq), s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("write mark: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("write mark: %w", err)
	} else if n == 0 {
		return ErrAlreadyApplied
	}
	s.markMu.Lock()
	seen := s.markSpool == m.Spool
	s.markMu.Unlock()
	if !seen {
		// The previous file was fully applied before it was replaced: its row is no longer needed.
		if _, err := tx.ExecContext(ctx, `DELETE FROM write_marks WHERE spool <> ?`, m.Spool); err != nil {
			return fmt.Errorf("write mark: %w", err)
		}
		// Remembered only once the transaction commits would be exact; remembering it now at worst
		// leaves an old row behind until the next generation, which is harmless.
		s.markMu.Lock()
		s.markSpool = m.Spool
		s.markMu.Unlock()
	}
	return nil
}

// ClaimWriteMark records ctx's write mark (WithWriteMark) and writes nothing else: for a write of
// the spool that was refused, so that a replay skips it as well. ErrAlreadyApplied if it was
// claimed before.
func (s *Store) ClaimWriteMark(ctx context.Context) error {
	if _, ok := writeMarkFrom(ctx); !ok {
		return hotline.Errorf(hotline.EINVALID, "no write mark to claim")
	}
	return s.write(ctx, "claim write mark", func(*sqlx.Tx) error { return nil })
}
