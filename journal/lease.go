package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// A Lease says which process is the journal's active writer for a name (the daemon's is
// ServeLease). It is a row of the leases table, taken when free or expired, renewed by its holder
// well before it expires. Epoch is the fencing token: it grows by one at every acquisition, so a
// holder that lost the lease (paused past its expiry, cut off) is told by its epoch, not by any
// clock; a Store fenced on it (Fence) writes nothing once another took the lease.
//
// Expiry is judged by the clock of the process that looks (the Store's Now): processes on two
// machines need their clocks in step to well under the lease's time to live (NTP). A skewed clock
// makes a takeover early or late, never a double writer: fencing holds whatever the clocks say.
type Lease struct {
	Name       string
	Holder     string
	Epoch      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// ServeLease is the name of the lease `hotline serve` holds while it is the active daemon.
const ServeLease = "serve"

// ErrFenced is a write refused because the Store's lease (Fence) is no longer its own: another
// process took it, and this one must stop writing. Errors wrapping it are also unavailable
// (hotline.EUNAVAILABLE): a spooled write stays in the spool for whoever holds the lease now.
var ErrFenced = errors.New("journal: fenced: the lease was taken by another process")

// LeaseHeldError is an acquisition refused because another holder's lease has not expired.
type LeaseHeldError struct{ Lease Lease }

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("the journal's lease %q is held by %s (epoch %d) until %s",
		e.Lease.Name, e.Lease.Holder, e.Lease.Epoch, e.Lease.ExpiresAt.Format(time.RFC3339Nano))
}

// fence is the lease a Store's writes must still hold.
type fence struct {
	name  string
	epoch int64
}

// Fence makes every later write of the Store (every transaction of write) first check, inside
// that transaction, that lease l is still at l.Epoch, and fail with ErrFenced otherwise; the
// first refusal also closes Fenced. On SQLite the check runs under the write lock (BEGIN
// IMMEDIATE), so no takeover commits between it and the write; on PostgreSQL it reads the row FOR
// SHARE, so a takeover waits for the writes in flight and the writes after it see the new epoch.
func (s *Store) Fence(l Lease) {
	s.fence.Store(&fence{name: l.Name, epoch: l.Epoch})
}

// Fenced is closed when a write was refused by the fence (Fence): the process lost its lease.
func (s *Store) Fenced() <-chan struct{} { return s.fenced }

// checkFence is the fence's check in tx; nil when the Store is not fenced.
func (s *Store) checkFence(ctx context.Context, tx *sqlx.Tx, what string) error {
	f := s.fence.Load()
	if f == nil {
		return nil
	}
	q := `SELECT epoch FROM leases WHERE name = ?`
	if tx.DriverName() != "sqlite3" {
		q += ` FOR SHARE` // PostgreSQL: a takeover's UPDATE waits for this transaction
	}
	var epoch int64
	err := tx.GetContext(ctx, &epoch, q, f.name)
	if errors.Is(err, sql.ErrNoRows) {
		epoch = 0
	} else if err != nil {
		return fmt.Errorf("%s: check the lease %q: %w", what, f.name, err)
	}
	if epoch == f.epoch {
		return nil
	}
	s.fencedOnce.Do(func() { close(s.fenced) })
	return hotline.Wrapf(hotline.EUNAVAILABLE, ErrFenced,
		"%s: fenced: the journal's lease %q is at epoch %d, this process holds epoch %d (another took over); nothing was written", what, f.name, epoch, f.epoch)
}

// Lease reads the lease name; ok is false when nobody ever took it.
func (s *Store) Lease(ctx context.Context, name string) (l Lease, ok bool, err error) {
	var row leaseRow
	err = s.r.GetContext(ctx, &row, `SELECT name, holder, epoch, acquired_at, expires_at FROM leases WHERE name = ?`, name)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, s.dbError(err, "read the lease "+name)
	}
	return row.lease(), true, nil
}

type leaseRow struct {
	Name       string `db:"name"`
	Holder     string `db:"holder"`
	Epoch      int64  `db:"epoch"`
	AcquiredAt int64  `db:"acquired_at"`
	ExpiresAt  int64  `db:"expires_at"`
}

func (r leaseRow) lease() Lease {
	return Lease{Name: r.Name, Holder: r.Holder, Epoch: r.Epoch,
		AcquiredAt: time.UnixMilli(r.AcquiredAt), ExpiresAt: time.UnixMilli(r.ExpiresAt)}
}

// AcquireLease takes the lease name for holder for ttl if nobody holds it, or its holder let it
// expire or gave it back; the epoch grows by one. A fresh lease of another holder is refused with
// *LeaseHeldError (hotline.ECONFLICT); holder's own fresh lease is taken again, also with a new
// epoch (a restart must not inherit its earlier run's writes in flight).
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return Lease{}, hotline.Errorf(hotline.EINVALID, "a lease needs a name, a holder and a positive time to live")
	}
	var got Lease
	err := s.leaseWrite(ctx, "acquire the lease "+name, func(tx *sqlx.Tx) error {
		now := s.now()
		var row leaseRow
		err := tx.GetContext(ctx, &row, `SELECT name, holder, epoch, acquired_at, expires_at FROM leases WHERE name = ?`, name)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			row = leaseRow{Name: name}
		case err != nil:
			return err
		case row.Holder != holder && row.ExpiresAt > now.UnixMilli():
			return hotline.Wrapf(hotline.ECONFLICT, &LeaseHeldError{Lease: row.lease()}, "%v", &LeaseHeldError{Lease: row.lease()})
		}
		row.Holder, row.Epoch, row.AcquiredAt, row.ExpiresAt = holder, row.Epoch+1, now.UnixMilli(), now.Add(ttl).UnixMilli()
		// The epoch and the expiry are checked again in the statement: on PostgreSQL two takers
		// may have read the same row, and the holder may have renewed it after this read (its
		// renewal waited for a batch of writes): the statement then changes nothing and the taker
		// is told the lease is held, rather than take a lease just renewed.
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, epoch, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
			WHERE leases.epoch = excluded.epoch - 1 AND (leases.holder = excluded.holder OR leases.expires_at <= ?)`,
			row.Name, row.Holder, row.Epoch, row.AcquiredAt, row.ExpiresAt, now.UnixMilli())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return hotline.Errorf(hotline.ECONFLICT, "the journal's lease %q was taken by another process at the same time", name)
		}
		got = row.lease()
		return nil
	})
	return got, err
}

// RenewLease extends l, still held, by ttl from now. A lease another took (its epoch moved) is
// refused with ErrFenced: the holder lost it.
func (s *Store) RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	err := s.leaseWrite(ctx, "renew the lease "+l.Name, func(tx *sqlx.Tx) error {
		exp := s.now().Add(ttl)
		res, err := tx.ExecContext(ctx, `UPDATE leases SET expires_at = ? WHERE name = ? AND epoch = ? AND holder = ?`,
			exp.UnixMilli(), l.Name, l.Epoch, l.Holder)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return hotline.Wrapf(hotline.EUNAVAILABLE, ErrFenced, "renew the lease %q: fenced: epoch %d is no longer %s's (another took over)", l.Name, l.Epoch, l.Holder)
		}
		l.ExpiresAt = time.UnixMilli(exp.UnixMilli())
		return nil
	})
	return l, err
}

// ReleaseLease gives l back (it expires now), so that a standby takes it at once; a lease another
// took meanwhile is left alone.
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	return s.leaseWrite(ctx, "release the lease "+l.Name, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE leases SET expires_at = ? WHERE name = ? AND epoch = ? AND holder = ?`,
			s.now().UnixMilli(), l.Name, l.Epoch, l.Holder)
		return err
	})
}

// leaseWrite is a write transaction that the fence does not check: the lease's own.
func (s *Store) leaseWrite(ctx context.Context, what string, fn func(tx *sqlx.Tx) error) error {
	if s.w == nil {
		return hotline.Errorf(hotline.EUNAVAILABLE, "the journal was opened read-only; cannot %s", what)
	}
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return s.dbError(err, what)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return s.dbError(err, what)
	}
	return s.dbError(tx.Commit(), what+": commit")
}
