package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
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
// included) and takes nothing else with it, exactly as its own transaction would have (unless the
// batch is AllOrNothing: then the first write that fails spoils it). Nothing is durable, nor
// visible to readers, until Commit returns nil.
//
// A Batch is used by one goroutine, one write at a time (the writer's); the Store's other writes
// wait for it, as they wait for any transaction of the single write connection.
type Batch struct {
	s      *Store
	tx     *sqlx.Tx
	conn   *sqlx.Conn // a SQLite batch's writer connection (a logged one's at synchronous=NORMAL until the batch ends)
	logged bool       // conn is at synchronous=NORMAL: set back at the end
	// whole: the writes join without a savepoint each (AllOrNothing); the first that fails spoils b.
	whole bool
	// ctx is the ctx the batch was begun with, when its statements run without its cancellation
	// (detached, SQLite): each write checks it before it begins instead.
	ctx context.Context
	mu  sync.Mutex // guards bad: a write that could not be undone alone spoils the batch
	bad error
}

type batchKey struct{}

// AllOrNothing has the writes that join b from now on run without a savepoint of their own: a
// write that fails spoils b (its next writes and Commit fail, and the caller rolls it back) instead
// of being undone alone. For a caller that can redo a failed batch's writes otherwise (the daemon's
// writer, package outbox, which then begins the batch again without the failed one): a write that
// succeeds costs two statements fewer (SAVEPOINT, RELEASE; SQLite compiles each at every use, and
// keeps a copy of every page the write changes for the savepoint). A write skipped because its
// mark was applied before (ErrAlreadyApplied) wrote nothing, and does not spoil b.
func (b *Batch) AllOrNothing() { b.whole = true }

// BeginBatch begins a batch transaction; ctx bounds it: cancelled, the batch's next write fails
// with ctx's error (and the caller rolls back). Commit or Rollback it. On SQLite a write already
// under way and Commit ignore a cancellation (below): a batch whose ctx ends after its last write
// began still commits, so a caller to whom that matters checks ctx before Commit. (On PostgreSQL
// database/sql rolls the transaction back when ctx ends.)
//
// On SQLite a batch's statements run detached from ctx's cancellation (context.WithoutCancel):
// with a ctx that can be cancelled, go-sqlite3 runs every statement on a goroutine of its own
// that waits for it, and database/sql watches every query and the transaction with another, two
// goroutine hand-offs a statement that were ~10 % of the daemon's CPU profile (session 12). None
// of a batch's statements can wait long: each is a few rows by an index, and a lock held by
// another process is waited for at most the busy timeout (Options.BusyTimeout), after which the
// statement fails as before. ctx is checked before each write instead (writeInBatch), so a
// shutdown still stops a batch between two writes. PostgreSQL's statements keep ctx (a lock wait
// there has no such bound).
func (s *Store) BeginBatch(ctx context.Context) (*Batch, error) {
	if s.w == nil {
		return nil, hotline.Errorf(hotline.EUNAVAILABLE, "the journal was opened read-only; cannot write")
	}
	if !s.pg {
		return s.beginSQLiteBatch(ctx, false)
	}
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return nil, s.dbError(err, "begin a batch of writes")
	}
	return s.beginBatch(ctx, tx, nil, false)
}

// BeginLoggedBatch is BeginBatch for writes that a durable log of the caller's keeps until
// SyncWrites returns (the daemon's write-ahead spool, package outbox/spool): its commit need not
// reach the disk at once, since a crash that loses it loses nothing the log cannot replay. On
// SQLite the batch commits at synchronous=NORMAL: the WAL is written but not fsynced, which a
// process crash (kill -9) never loses and a power loss may (SQLite then rolls back to the last
// durable commit, marks included, and the log's replay applies the rest once). The writer
// connection is back at FULL for every other write once the batch ends. PostgreSQL commits as
// always (synchronous_commit unchanged).
//
// The caller must not drop a write from its log before SyncWrites has returned nil after the
// write's commit: that is what makes the write durable.
func (s *Store) BeginLoggedBatch(ctx context.Context) (*Batch, error) {
	if s.w == nil {
		return nil, hotline.Errorf(hotline.EUNAVAILABLE, "the journal was opened read-only; cannot write")
	}
	if s.pg {
		return s.BeginBatch(ctx)
	}
	return s.beginSQLiteBatch(ctx, true)
}

// beginSQLiteBatch begins a batch on the writer connection, taken with ctx (a wait for the pool
// stays bounded by it); its statements run detached (BeginBatch says why). logged: at
// synchronous=NORMAL (BeginLoggedBatch).
func (s *Store) beginSQLiteBatch(ctx context.Context, logged bool) (*Batch, error) {
	conn, err := s.w.Connx(ctx)
	if err != nil {
		return nil, s.dbError(err, "begin a batch of writes")
	}
	dctx := context.WithoutCancel(ctx)
	if logged {
		// synchronous can only change outside a transaction: set before BEGIN, restored after the end.
		if _, err := conn.ExecContext(dctx, `PRAGMA synchronous = NORMAL`); err != nil {
			// Set back (or discard) the connection as after any logged batch, never returned to
			// the pool at NORMAL.
			b := &Batch{s: s, conn: conn, logged: true}
			b.restore()
			return nil, s.dbError(err, "begin a batch of writes")
		}
	}
	tx, err := conn.BeginTxx(dctx, nil)
	if err != nil {
		b := &Batch{s: s, conn: conn, logged: logged}
		b.restore()
		return nil, s.dbError(err, "begin a batch of writes")
	}
	b, err := s.beginBatch(dctx, tx, conn, logged)
	if err != nil {
		return nil, err
	}
	b.ctx = ctx
	return b, nil
}

func (s *Store) beginBatch(ctx context.Context, tx *sqlx.Tx, conn *sqlx.Conn, logged bool) (*Batch, error) {
	b := &Batch{s: s, tx: tx, conn: conn, logged: logged}
	if err := s.lockWrites(ctx, tx, "begin a batch of writes"); err != nil {
		b.Rollback()
		return nil, err
	}
	// A fenced Store writes nothing (lease.go): checked once in the batch's own transaction, which
	// every write of the batch joins, so a takeover waits for the batch or the batch sees it.
	if err := s.checkFence(ctx, tx, "begin a batch of writes"); err != nil {
		b.Rollback()
		return nil, err
	}
	return b, nil
}

// restore gives a logged batch's connection back at synchronous=FULL; a connection that cannot
// be set back is closed, never reused at NORMAL by a write that needs its own fsync.
func (b *Batch) restore() {
	if b.conn == nil {
		return
	}
	conn := b.conn
	b.conn = nil
	if !b.logged {
		conn.Close()
		return
	}
	if _, err := conn.ExecContext(context.Background(), `PRAGMA synchronous = FULL`); err != nil {
		if errors.Is(err, sql.ErrConnDone) { // already discarded: nothing to reuse
			return
		}
		b.s.log.Warn("journal: the writer connection could not be set back to synchronous=FULL; closing it", "err", err)
		conn.Raw(func(any) error { return driver.ErrBadConn }) // database/sql discards it
	}
	conn.Close()
}

// SyncWrites makes every write committed so far durable, those of logged batches
// (BeginLoggedBatch) included. On SQLite it checkpoints the WAL (PASSIVE: it waits for nobody):
// SQLite fsyncs the WAL before it copies frames into the database, and the database file once
// every frame is copied (wal_checkpoint's documented semantics), so a checkpoint that copied every
// frame leaves nothing only in the page cache. When a reader's older snapshot keeps some frames
// from being copied, that is not known: an error, and the caller keeps its log and asks again
// later (the daemon's spool: at its next release), rather than wait for the reader with the
// writer held. PostgreSQL commits durably already: nothing to do.
func (s *Store) SyncWrites(ctx context.Context) error {
	if s.w == nil || s.pg {
		return nil
	}
	var busy, frames, copied int64
	if err := s.w.QueryRowxContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		return s.dbError(err, "make the journal's writes durable (checkpoint)")
	}
	if busy != 0 || frames < 0 || copied != frames {
		return hotline.Errorf(hotline.EUNAVAILABLE, "make the journal's writes durable: the checkpoint copied %d of the WAL's %d frames (a reader holds an older snapshot); try again later", copied, frames)
	}
	return nil
}

// Context returns ctx carrying b: the Store's writes run with it join b. On SQLite it is ctx
// detached from its cancellation, so that the writes' statements run without a goroutine each
// (BeginBatch): the cancellation of the ctx b was begun with is checked before each write.
func (b *Batch) Context(ctx context.Context) context.Context {
	if b.ctx != nil {
		ctx = context.WithoutCancel(ctx)
	}
	return context.WithValue(ctx, batchKey{}, b)
}

// Commit makes every write that joined b durable at once.
func (b *Batch) Commit() error {
	b.mu.Lock()
	bad := b.bad
	b.mu.Unlock()
	if bad != nil {
		b.tx.Rollback()
		b.restore()
		return b.s.dbError(bad, "commit a batch of writes")
	}
	err := b.tx.Commit()
	b.restore()
	if err != nil {
		return b.s.dbError(err, "commit a batch of writes")
	}
	return nil
}

// Rollback drops every write that joined b; after Commit it does nothing.
func (b *Batch) Rollback() error {
	err := b.tx.Rollback()
	b.restore()
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
	if b.ctx != nil {
		if err := b.ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if b.whole {
		return s.writeInWholeBatch(ctx, b, what, fn)
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

// writeInWholeBatch is writeInBatch for an AllOrNothing batch: fn and ctx's write mark without a
// savepoint; a failure spoils b. The caller has checked b.bad and b.ctx.
func (s *Store) writeInWholeBatch(ctx context.Context, b *Batch, what string, fn func(tx *sqlx.Tx) error) error {
	err := s.claimWriteMark(ctx, b.tx)
	if errors.Is(err, ErrAlreadyApplied) {
		return err // the mark's upsert changed nothing, and nothing else ran: b stays good
	}
	if err == nil {
		err = fn(b.tx)
	}
	if err != nil {
		b.mu.Lock()
		b.bad = fmt.Errorf("%s: failed in a batch without savepoints: %w", what, err)
		b.mu.Unlock()
	}
	return s.dbError(err, what)
}
