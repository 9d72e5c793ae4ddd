package journal

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A logged batch (BeginLoggedBatch: writes the daemon's spool keeps until SyncWrites) commits at
// synchronous=NORMAL, and the writer's connection is back at FULL once it ends (committed or
// rolled back), so that every other write keeps its own fsync. SyncWrites checkpoints the whole
// WAL (SQLite fsyncs it first); while a reader holds an older snapshot it cannot, and says so
// rather than claim durability.
func TestLoggedBatchSynchronous(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	synchronous := func(q interface {
		GetContext(context.Context, any, string, ...any) error
	}) int {
		t.Helper()
		var n int
		if err := q.GetContext(ctx, &n, "PRAGMA synchronous"); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, end := range []string{"commit", "rollback"} {
		b, err := s.BeginLoggedBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := synchronous(b.tx); n != 1 {
			t.Errorf("%s: synchronous %d in the logged batch, want 1 (NORMAL)", end, n)
		}
		if err := s.ClaimWriteMark(WithWriteMark(b.Context(ctx), WriteMark{Spool: "gen", Seq: uint64(i + 1)})); err != nil {
			t.Fatal(err)
		}
		if end == "commit" {
			err = b.Commit()
		} else {
			err = b.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := synchronous(s.w); n != 2 {
			t.Errorf("after a logged batch's %s the writer is at synchronous %d, want 2 (FULL)", end, n)
		}
	}
	// An ordinary batch stays at FULL.
	b, err := s.BeginBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := synchronous(b.tx); n != 2 {
		t.Errorf("synchronous %d in an ordinary batch, want 2", n)
	}
	b.Rollback()

	if err := s.SyncWrites(ctx); err != nil {
		t.Fatalf("SyncWrites: %v", err)
	}
	var busy, frames, copied int
	if err := s.w.QueryRowxContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if copied != frames {
		t.Errorf("after SyncWrites the WAL has %d frames, %d copied; want all", frames, copied)
	}

	// A reader's older snapshot keeps the newest frames from being copied: not known durable.
	rtx, err := s.r.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rtx.Rollback()
	var n int
	if err := rtx.GetContext(ctx, &n, "SELECT count(*) FROM write_marks"); err != nil {
		t.Fatal(err)
	}
	lb, err := s.BeginLoggedBatch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimWriteMark(WithWriteMark(lb.Context(ctx), WriteMark{Spool: "gen", Seq: 9})); err != nil {
		t.Fatal(err)
	}
	if err := lb.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncWrites(ctx); err == nil {
		t.Error("SyncWrites said durable while a reader kept the last commit's frames from being checkpointed")
	}
	rtx.Rollback()
	if err := s.SyncWrites(ctx); err != nil {
		t.Errorf("SyncWrites once the reader is gone: %v", err)
	}
}

// A batch's statements run detached from the cancellation of its ctx (no goroutine per statement
// in go-sqlite3 nor database/sql), and the ctx is still obeyed between writes: cancelled, the
// batch's next write fails with its error and writes nothing; the batch rolls back whole.
func TestBatchDetachedButCancelledBetweenWrites(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	for _, tt := range []struct {
		name  string
		begin func(context.Context) (*Batch, error)
	}{{"logged", s.BeginLoggedBatch}, {"plain", s.BeginBatch}} {
		t.Run(tt.name, func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			b, err := tt.begin(cctx)
			if err != nil {
				t.Fatal(err)
			}
			bctx := b.Context(cctx)
			if bctx.Done() != nil {
				t.Error("the batch's ctx can be cancelled: every statement would run on a goroutine of its own")
			}
			gen := "gen-" + tt.name
			if err := s.ClaimWriteMark(WithWriteMark(bctx, WriteMark{Spool: gen, Seq: 1})); err != nil {
				t.Fatal(err)
			}
			cancel()
			if err := s.ClaimWriteMark(WithWriteMark(bctx, WriteMark{Spool: gen, Seq: 2})); !errors.Is(err, context.Canceled) {
				t.Errorf("a write after the batch's ctx was cancelled: %v, want context.Canceled", err)
			}
			if err := b.Rollback(); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s.w.GetContext(ctx, &n, `SELECT count(*) FROM write_marks WHERE spool = ?`, gen); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d marks of the rolled back batch stored, want 0", n)
			}
			// The writer connection is back in the pool, at synchronous=FULL (2): a write with a
			// short deadline gets it.
			wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
			defer wcancel()
			var sync int
			if err := s.w.GetContext(wctx, &sync, `PRAGMA synchronous`); err != nil {
				t.Fatalf("the writer connection after the rolled back batch: %v", err)
			}
			if sync != 2 {
				t.Errorf("synchronous = %d after the batch, want 2 (FULL)", sync)
			}
		})
	}
}
