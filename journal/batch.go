package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// A Batch is one transaction that several writes join (group commit): the daemon's writer (package
// outbox) applies the spooled writes waiting in one transaction, so they share one commit and one
// fsync instead of paying one each. Every Store write run with a ctx from Batch.Context runs
// inside it on its own savepoint: a write that fails leaves nothing of itself (its write mark
// included) and takes nothing else with it, exactly as its own transaction would have. Nothing is
// durable, nor visible to readers, until Commit returns nil.
//
// A Batch is used by one goroutine, one write at a time (the writer's); the Store's other writes
// wait for it, as they wait for any transaction of the single write connection.
type Batch struct {
	s   *Store
	tx  *sqlx.Tx
	mu  sync.Mutex // guards bad: a write that could not be undone alone spoils the batch
	bad error
}

type batchKey struct{}

// BeginBatch begins a batch transaction; ctx bounds it (cancelled, it rolls back). Commit or
// Rollback it.
func (s *Store) BeginBatch(ctx context.Context) (*Batch, error) {
	if s.w == nil {
		return nil, hotline.Errorf(hotline.EUNAVAILABLE, "the journal was opened read-only; cannot write")
	}
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return nil, s.dbError(err, "begin a batch of writes")
	}
	if err := s.lockWrites(ctx, tx, "begin a batch of writes"); err != nil {
		tx.Rollback()
		return nil, err
	}
	// A fenced Store writes nothing (lease.go): checked once in the batch's own transaction, which
	// every write of the batch joins, so a takeover waits for the batch or the batch sees it.
	if err := s.checkFence(ctx, tx, "begin a batch of writes"); err != nil {
		tx.Rollback()
		return nil, err
	}
	return &Batch{s: s, tx: tx}, nil
}

// Context returns ctx carrying b: the Store's writes run with it join b.
func (b *Batch) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchKey{}, b)
}

// Commit makes every write that joined b durable at once.
func (b *Batch) Commit() error {
	b.mu.Lock()
	bad := b.bad
	b.mu.Unlock()
	if bad != nil {
		b.tx.Rollback()
		return b.s.dbError(bad, "commit a batch of writes")
	}
	if err := b.tx.Commit(); err != nil {
		return b.s.dbError(err, "commit a batch of writes")
	}
	return nil
}

// Rollback drops every write that joined b; after Commit it does nothing.
func (b *Batch) Rollback() error {
	err := b.tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) || err == nil {
		return nil
	}
	return err
}

func batchFrom(ctx context.Context, s *Store) *Batch {
	b, _ := ctx.Value(batchKey{}).(*Batch)
	if b == nil || b.s != s {
		return nil
	}
	return b
}

// writeInBatch is Store.write inside b: fn and ctx's write mark on a savepoint of their own, undone
// alone if either fails. The savepoint statements are standard SQL (SQLite and PostgreSQL).
func (s *Store) writeInBatch(ctx context.Context, b *Batch, what string, fn func(tx *sqlx.Tx) error) error {
	b.mu.Lock()
	bad := b.bad
	b.mu.Unlock()
	if bad != nil {
		return s.dbError(bad, what)
	}
	if _, err := b.tx.ExecContext(ctx, `SAVEPOINT journal_write`); err != nil {
		return s.dbError(err, what)
	}
	err := s.claimWriteMark(ctx, b.tx)
	if err == nil {
		err = fn(b.tx)
	}
	if err != nil {
		// Undo this write alone; the batch's earlier writes stand.
		if _, rerr := b.tx.ExecContext(context.WithoutCancel(ctx), `ROLLBACK TO SAVEPOINT journal_write`); rerr != nil {
			b.mu.Lock()
			b.bad = fmt.Errorf("%s: could not be undone alone (%w) after: %w", what, rerr, err)
			b.mu.Unlock()
		}
	}
	if _, rerr := b.tx.ExecContext(context.WithoutCancel(ctx), `RELEASE SAVEPOINT journal_write`); rerr != nil && err == nil {
		b.mu.Lock()
		b.bad = fmt.Errorf("%s: release savepoint: %w", what, rerr)
		b.mu.Unlock()
		return s.dbError(rerr, what)
	}
	if errors.Is(err, ErrAlreadyApplied) {
		return err
	}
	return s.dbError(err, what)
}
