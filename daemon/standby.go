package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/outbox/spool"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/prometheus/client_golang/prometheus"
)

// Role is the daemon's part in an active/standby pair (config standby).
type Role string

const (
	RoleStandby Role = "standby" // waiting for the journal's lease
	RoleActive  Role = "active"  // holding it: driving calls
	RoleFenced  Role = "fenced"  // lost it to another: stopping
)

// standby is the daemon's side of the journal's lease (journal.ServeLease): it waits for the
// lease, keeps it renewed while active, and says who holds it (metrics, /healthz, the log).
type standby struct {
	store  *journal.Store
	cfg    config.Standby
	holder string // this process: host, pid and a random part (a restart is a new holder)
	log    *slog.Logger

	mu    sync.Mutex
	role  Role
	lease journal.Lease // the lease as last seen: this process's while active, the other's while standby
	lost  chan struct{} // closed when the lease was lost (a renewal fenced)
}

func newStandby(store *journal.Store, cfg config.Standby, log *slog.Logger) *standby {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &standby{store: store, cfg: cfg, log: log, role: RoleStandby, lost: make(chan struct{}),
		holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))}
}

func (s *standby) state() (Role, journal.Lease) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.role, s.lease
}

func (s *standby) set(r Role, l journal.Lease) {
	s.mu.Lock()
	s.role, s.lease = r, l
	s.mu.Unlock()
}

// wait returns once this process holds the lease (the active one is gone, or gave it back), looking
// every cfg.Renew; ctx's error if it ends first.
func (s *standby) wait(ctx context.Context) (journal.Lease, error) {
	var told int64 = -1 // the epoch last logged as another's
	t := time.NewTicker(s.cfg.Renew)
	defer t.Stop()
	for {
		// Read first, on a reader: while the active one renews, the standby never takes the
		// journal's write lock (on SQLite the two share it).
		var l journal.Lease
		var err error
		var held *journal.LeaseHeldError
		if cur, ok, rerr := s.store.Lease(ctx, journal.ServeLease); rerr == nil && ok && time.Now().Before(cur.ExpiresAt) && cur.Holder != s.holder {
			err = &journal.LeaseHeldError{Lease: cur}
		} else {
			l, err = s.store.AcquireLease(ctx, journal.ServeLease, s.holder, s.cfg.LeaseTTL)
		}
		switch {
		case err == nil:
			s.set(RoleActive, l)
			s.log.Info("journal lease taken: this hotline serve is the active one", "holder", s.holder, "epoch", l.Epoch)
			return l, nil
		case errors.As(err, &held):
			s.set(RoleStandby, held.Lease)
			if held.Lease.Epoch != told {
				told = held.Lease.Epoch
				s.log.Info("standby: another hotline serve holds the journal's lease; waiting for it to expire",
					"holder", held.Lease.Holder, "epoch", held.Lease.Epoch, "lease_ttl", s.cfg.LeaseTTL)
			}
		case ctx.Err() != nil:
			return journal.Lease{}, ctx.Err()
		default:
			s.log.Warn("standby: the journal's lease could not be read; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return journal.Lease{}, ctx.Err()
		case <-t.C:
		}
	}
}

// keep renews l every cfg.Renew until ctx ends; a renewal refused because another took the lease
// closes lost. A renewal that fails otherwise (the journal busy) is retried at the next tick:
// should the lease expire meanwhile and be taken, the fence refuses this process's writes.
func (s *standby) keep(ctx context.Context, l journal.Lease) {
	t := time.NewTicker(s.cfg.Renew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		nl, err := s.store.RenewLease(ctx, l, s.cfg.LeaseTTL)
		switch {
		case err == nil:
			l = nl
			s.set(RoleActive, l)
		case errors.Is(err, journal.ErrFenced):
			s.set(RoleFenced, l)
			close(s.lost)
			return
		case ctx.Err() == nil:
			s.log.Warn("the journal's lease not renewed; retrying", "epoch", l.Epoch, "expires", l.ExpiresAt, "err", err)
		}
	}
}

// release gives the lease back at a clean stop, so that the standby takes over at once.
func (s *standby) release(l journal.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.store.ReleaseLease(ctx, l); err != nil {
		s.log.Warn("the journal's lease not given back: the standby takes it once it expires", "after", s.cfg.LeaseTTL, "err", err)
	}
}

// waitingEndpoint serves /healthz (503: standby) and /metrics while this process waits for the
// lease, on the metrics address the active daemon's endpoint takes over once it holds it.
func (s *standby) waitingEndpoint(listen string, reg *prometheus.Registry, log *slog.Logger) (stop func()) {
	if listen == "" {
		return func() {}
	}
	return serveMetrics(listen, reg, func(w http.ResponseWriter, r *http.Request) {
		_, l := s.state()
		http.Error(w, fmt.Sprintf("standby: the journal's lease is held by %s (epoch %d); this hotline serve takes over when it expires", l.Holder, l.Epoch), http.StatusServiceUnavailable)
	}, false, log)
}

// Describe and Collect export the role and the lease (prometheus.Collector).
func (s *standby) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(s, ch) }

func (s *standby) Collect(ch chan<- prometheus.Metric) {
	role, l := s.state()
	for _, r := range []Role{RoleStandby, RoleActive, RoleFenced} {
		v := 0.0
		if r == role {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("hotline_standby_role",
			"1 for this hotline serve's role in the active/standby pair (standby, active, fenced).", []string{"role"}, nil),
			prometheus.GaugeValue, v, string(r))
	}
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("hotline_journal_lease_epoch",
		"The journal lease's epoch (fencing token) as this process last saw it, with its holder.", []string{"holder"}, nil),
		prometheus.GaugeValue, float64(l.Epoch), l.Holder)
}

// openSpool opens the spool, waiting while another process has it: after a takeover the old
// active daemon, if it still runs (paused, cut off), has it until it finds itself fenced and
// stops; after a kill -9 it is free at once. Its writes left in it are applied by this process,
// each once (journal write marks).
func openSpool(ctx context.Context, path string, opt spool.Options, log *slog.Logger) (*spool.Spool, error) {
	told := false
	for {
		sp, err := spool.Open(path, opt)
		if !errors.Is(err, spool.ErrInUse) {
			return sp, err
		}
		if !told {
			told = true
			log.Warn("journal spool still held by the former active hotline serve: waiting for it to stop", "spool", path)
		}
		select {
		case <-ctx.Done():
			return nil, hotline.Wrapf(hotline.EUNAVAILABLE, err, "journal spool: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// status is the role and the lease as switchboard.Status carries them.
func (s *standby) status() *switchboard.StandbyStatus {
	role, l := s.state()
	return &switchboard.StandbyStatus{Role: string(role), LeaseHolder: l.Holder, LeaseEpoch: l.Epoch, LeaseExpiry: l.ExpiresAt}
}

// activeBoard is the active daemon's switchboard as the control API sees it: its status also says
// the role and the lease.
type activeBoard struct {
	*switchboard.Switchboard // every request as it is, the informing dialler's too (control.Informer)
	sby                      *standby
}

func (b activeBoard) Status(ctx context.Context) (switchboard.Status, error) {
	st, err := b.Switchboard.Status(ctx)
	st.Standby = b.sby.status()
	return st, err
}

var _ control.Switchboard = waitingBoard{}

// waitingBoard answers the control API while this daemon is standby: every request is refused
// as unavailable, saying who holds the lease (hotline status prints it).
type waitingBoard struct{ sby *standby }

func (b waitingBoard) refuse() error {
	_, l := b.sby.state()
	return hotline.Errorf(hotline.EUNAVAILABLE, "standby: this hotline serve drives no calls; the journal's lease is held by %s (epoch %d, until %s); ask the active one",
		l.Holder, l.Epoch, l.ExpiresAt.Format("15:04:05.000"))
}

func (b waitingBoard) Status(context.Context) (switchboard.Status, error) {
	return switchboard.Status{}, b.refuse()
}
func (b waitingBoard) Snapshot(context.Context) (switchboard.Snapshot, error) {
	return switchboard.Snapshot{}, b.refuse()
}
func (b waitingBoard) Subscribe(context.Context) (switchboard.Snapshot, *switchboard.Feed, error) {
	return switchboard.Snapshot{}, nil, b.refuse()
}
func (b waitingBoard) Pause(context.Context, hotline.Actor, int64, string) error { return b.refuse() }
func (b waitingBoard) Resume(context.Context, hotline.Actor, int64) error        { return b.refuse() }
func (b waitingBoard) Login(context.Context, hotline.Actor, int64) error         { return b.refuse() }
func (b waitingBoard) Logout(context.Context, hotline.Actor, int64) error        { return b.refuse() }
func (b waitingBoard) ReloadOperators(context.Context, hotline.Actor) error      { return b.refuse() }
func (b waitingBoard) Transfer(context.Context, hotline.Actor, int64, string, int64) error {
	return b.refuse()
}
func (b waitingBoard) CallBack(context.Context, hotline.Actor, int64, string, int64) error {
	return b.refuse()
}
func (b waitingBoard) Listen(context.Context, hotline.Actor, string, switchboard.ListenMode) error {
	return b.refuse()
}

// waitingAPI serves the control socket while this daemon is standby (waitingBoard), so that
// hotline status says so; stop closes it before the active daemon's API takes the socket.
func (s *standby) waitingAPI(ctx context.Context, socket string, auth control.Authority, log *slog.Logger) (stop func(), err error) {
	ln, err := control.Listen(ctx, socket)
	if err != nil {
		return nil, err
	}
	api := control.NewServer(control.Handler(waitingBoard{sby: s}, auth, log))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("standby: control API stopped", "err", err)
		}
	}()
	return func() { api.Close(); <-done }, nil
}
