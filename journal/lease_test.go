package journal

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// leaseClock is a clock the test moves; shared by the two stores, as two processes on one
// machine share theirs.
type leaseClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *leaseClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *leaseClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// twoStores opens one journal file twice, as the active and the standby daemon do.
func twoStores(t *testing.T) (a, b *Store, clock *leaseClock) {
	t.Helper()
	ctx := context.Background()
	clock = &leaseClock{t: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "hotline.db")
	open := func() *Store {
		opt := testOptions(t)
		opt.Now = clock.now
		s, err := Open(ctx, AddrForTest(t, path), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	return open(), open(), clock
}

// The lease's life: acquired when free, refused to another while fresh, renewed by its holder,
// taken by another once expired (the epoch grows at every acquisition), given back.
func TestLeaseLifecycle(t *testing.T) {
	a, b, clock := twoStores(t)
	ctx := context.Background()
	const ttl = 3 * time.Second

	if _, ok, err := a.Lease(ctx, ServeLease); err != nil || ok {
		t.Fatalf("a new journal's lease: ok %v, err %v; want none", ok, err)
	}
	la, err := a.AcquireLease(ctx, ServeLease, "A", ttl)
	if err != nil {
		t.Fatal(err)
	}
	if la.Epoch != 1 || la.Holder != "A" || !la.ExpiresAt.Equal(clock.now().Add(ttl)) {
		t.Fatalf("first acquisition: %+v", la)
	}

	steps := []struct {
		name      string
		advance   time.Duration
		do        func() (Lease, error)
		wantErr   string // a hotline code, "" for none
		wantEpoch int64  // the stored epoch afterwards
		wantBy    string // the stored holder afterwards
	}{
		{"another while fresh", time.Second, func() (Lease, error) { return b.AcquireLease(ctx, ServeLease, "B", ttl) }, hotline.ECONFLICT, 1, "A"},
		{"the holder renews", time.Second, func() (Lease, error) { l, err := a.RenewLease(ctx, la, ttl); la = l; return l, err }, "", 1, "A"},
		{"another still refused after the first expiry would have been", 2 * time.Second, func() (Lease, error) { return b.AcquireLease(ctx, ServeLease, "B", ttl) }, hotline.ECONFLICT, 1, "A"},
		{"another takes it once expired", 2 * time.Second, func() (Lease, error) { return b.AcquireLease(ctx, ServeLease, "B", ttl) }, "", 2, "B"},
		{"the old holder's renewal is fenced", 0, func() (Lease, error) { return a.RenewLease(ctx, la, ttl) }, hotline.EUNAVAILABLE, 2, "B"},
		{"the old holder's release leaves it alone", 0, func() (Lease, error) { return Lease{}, a.ReleaseLease(ctx, la) }, "", 2, "B"},
	}
	for _, st := range steps {
		clock.add(st.advance)
		_, err := st.do()
		if hotline.ErrorCode(err) != st.wantErr && !(st.wantErr == "" && err == nil) {
			t.Fatalf("%s: err = %v (%s), want %q", st.name, err, hotline.ErrorCode(err), st.wantErr)
		}
		if st.wantErr == hotline.ECONFLICT {
			var held *LeaseHeldError
			if !errors.As(err, &held) || held.Lease.Holder != "A" {
				t.Errorf("%s: the refusal names %v, want holder A", st.name, err)
			}
		}
		got, _, err := a.Lease(ctx, ServeLease)
		if err != nil {
			t.Fatal(err)
		}
		if got.Epoch != st.wantEpoch || got.Holder != st.wantBy {
			t.Fatalf("%s: lease %+v, want epoch %d held by %s", st.name, got, st.wantEpoch, st.wantBy)
		}
	}

	// Given back, it is taken at once, with the next epoch; its own holder re-taking it also
	// moves the epoch.
	lb, _, _ := b.Lease(ctx, ServeLease)
	if err := b.ReleaseLease(ctx, lb); err != nil {
		t.Fatal(err)
	}
	if l, err := a.AcquireLease(ctx, ServeLease, "A", ttl); err != nil || l.Epoch != 3 {
		t.Fatalf("after release: %+v, %v; want epoch 3", l, err)
	}
	if l, err := a.AcquireLease(ctx, ServeLease, "A", ttl); err != nil || l.Epoch != 4 {
		t.Fatalf("re-taken by its holder: %+v, %v; want epoch 4", l, err)
	}
}

// A store fenced on a lease writes while the lease is its own; once another took it, its writes
// are refused with ErrFenced, write nothing (not even their write mark), and close Fenced.
func TestFencedWriteWritesNothing(t *testing.T) {
	a, b, clock := twoStores(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	start := func(s *Store, call string, seq uint64) error {
		_, err := s.StartCall(WithWriteMark(ctx, WriteMark{Spool: "gen-a", Seq: seq}), CallStart{CallID: call, CallerNumber: "+79001112233", ArrivedAt: at})
		return err
	}
	count := func(q string) int {
		var n int
		if err := b.r.GetContext(ctx, &n, q); err != nil {
			t.Fatal(err)
		}
		return n
	}

	la, err := a.AcquireLease(ctx, ServeLease, "A", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a.Fence(la)
	if err := start(a, "c1", 1); err != nil {
		t.Fatalf("a write under the lease: %v", err)
	}
	select {
	case <-a.Fenced():
		t.Fatal("Fenced closed while the lease is held")
	default:
	}

	clock.add(4 * time.Second)
	lb, err := b.AcquireLease(ctx, ServeLease, "B", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = start(a, "c2", 2)
	if !errors.Is(err, ErrFenced) || hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		t.Fatalf("a write after the takeover: err = %v, want ErrFenced (unavailable)", err)
	}
	select {
	case <-a.Fenced():
	default:
		t.Fatal("Fenced not closed after a refused write")
	}
	// The writer's group commit (batch.go) is fenced too: no batch begins.
	if batch, err := a.BeginBatch(ctx); !errors.Is(err, ErrFenced) {
		if batch != nil {
			batch.Rollback()
		}
		t.Fatalf("a batch after the takeover: err = %v, want ErrFenced", err)
	}
	if n := count(`SELECT count(*) FROM legs`); n != 1 {
		t.Errorf("%d legs after the fenced write, want 1", n)
	}
	if n := count(`SELECT seq FROM write_marks WHERE spool = 'gen-a'`); n != 1 {
		t.Errorf("write mark at %d after the fenced write, want 1: the new holder's replay must still apply seq 2", n)
	}
	// The new holder, fenced on its own epoch, applies the same spooled write exactly once.
	b.Fence(lb)
	if err := start(b, "c2", 2); err != nil {
		t.Fatalf("the new holder's replay: %v", err)
	}
	if err := start(b, "c2", 2); !errors.Is(err, ErrAlreadyApplied) {
		t.Fatalf("a second replay: %v, want ErrAlreadyApplied", err)
	}
	if n := count(`SELECT count(*) FROM legs`); n != 2 {
		t.Errorf("%d legs, want 2", n)
	}
}

// BenchmarkFencedWrite is a call's start (one write transaction) on a journal without a fence and
// on one fenced on its lease: the fence adds one read of one row by its key to every write.
func BenchmarkFencedWrite(b *testing.B) {
	for _, fenced := range []bool{false, true} {
		b.Run(fmt.Sprintf("fenced=%v", fenced), func(b *testing.B) {
			ctx := context.Background()
			opt := testOptions(b)
			s, err := Open(ctx, filepath.Join(b.TempDir(), "hotline.db"), opt)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			if fenced {
				l, err := s.AcquireLease(ctx, ServeLease, "bench", time.Hour)
				if err != nil {
					b.Fatal(err)
				}
				s.Fence(l)
			}
			at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.StartCall(ctx, CallStart{CallID: fmt.Sprintf("bench-%d", i), CallerNumber: "+79001112233", ArrivedAt: at}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A holder paused (SIGSTOP, a frozen VM) or cut off in the middle of a write keeps its
// transaction open: on PostgreSQL it holds the lease's row FOR SHARE (the fence's check) and the
// journal's write lock, and the server would keep them until the connection is known dead (hours,
// for a machine cut off). With Options.IdleInTransaction the server ends that transaction: the
// other process takes the lease once expired and writes; the paused write, resumed, commits
// nothing, and the paused holder is fenced.
func TestLeaseTakenFromHolderPausedMidWrite(t *testing.T) {
	if !OnPostgres() {
		t.Skip("PostgreSQL's row and advisory locks; on SQLite the two processes share one machine's file lock")
	}
	ctx := context.Background()
	clock := &leaseClock{t: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	addr := AddrForTest(t, filepath.Join(t.TempDir(), "hotline.db"))
	open := func() *Store {
		opt := testOptions(t)
		opt.Now, opt.IdleInTransaction = clock.now, time.Second
		s, err := Open(ctx, addr, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	const ttl = 3 * time.Second
	la, err := a.AcquireLease(ctx, ServeLease, "A", ttl)
	if err != nil {
		t.Fatal(err)
	}
	a.Fence(la)

	// A's write, paused after its fence check: the transaction open, its locks held.
	tx, err := a.w.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := a.lockWrites(ctx, tx, "a paused write"); err != nil {
		t.Fatal(err)
	}
	if err := a.checkFence(ctx, tx, "a paused write"); err != nil {
		t.Fatal(err)
	}

	// Not a timing: a bound on a wait that, without the server ending A's transaction, never ends.
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	clock.add(ttl + time.Second)
	lb, err := b.AcquireLease(bctx, ServeLease, "B", ttl)
	if err != nil {
		t.Fatalf("the lease not taken from the holder paused mid-write: %v", err)
	}
	b.Fence(lb)
	if err := b.write(bctx, "write after the takeover", func(*sqlx.Tx) error { return nil }); err != nil {
		t.Fatalf("the new holder cannot write while the old one is paused mid-write: %v", err)
	}

	// A resumes: its transaction is gone, and its next write is fenced.
	if _, err := tx.ExecContext(ctx, `UPDATE leases SET holder = 'A again' WHERE name = ?`, ServeLease); err == nil {
		if err := tx.Commit(); err == nil {
			t.Fatal("the paused write committed after the takeover")
		}
	}
	_ = tx.Rollback() // as write does: the connection back to the pool
	if err := a.write(ctx, "a write after resuming", func(*sqlx.Tx) error { return nil }); !errors.Is(err, ErrFenced) {
		t.Fatalf("the resumed holder's write: %v, want fenced", err)
	}
	if l, _, err := b.Lease(ctx, ServeLease); err != nil || l.Holder != "B" || l.Epoch != 2 {
		t.Fatalf("the lease after it all: %+v, %v; want B's at epoch 2", l, err)
	}
}
