package ariadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline/ari"
)

// One daemon per ARI application. Asterisk gives a Stasis application to whichever websocket
// registered it last and tells the one it replaces (ApplicationReplaced) only afterwards; ARI does
// not say whether an application has a websocket at all. So a daemon that serves an application
// keeps a lease on it in an Asterisk global variable (LeaseVariable): its journal's identity,
// host, pid, since when, and a heartbeat rewritten every LeaseBeat. A starting daemon reads it
// first: a fresh lease of another journal means another daemon serves the application, and it
// refuses to start rather than take it (unless told to take over); its own journal's lease (a
// restart after kill -9) or a stale one is taken at once. Every time is Asterisk's clock (from
// its ping), so daemons on hosts whose clocks differ agree on what is fresh.

// Lease timings: the heartbeat's interval, and how long without one makes a lease stale.
const (
	LeaseBeat  = 3 * time.Second
	LeaseStale = 15 * time.Second
)

// Lease is who serves an application, as kept in the global variable.
type Lease struct {
	Holder string    // the journal's identity
	Host   string    // the host it runs on
	PID    int       // its process id
	Since  time.Time // when it took the application (Asterisk's clock)
	Beat   time.Time // its last heartbeat (Asterisk's clock)
}

// LeaseVariable is the global variable that holds the lease on app. Characters a variable name
// should not hold are written as _XX (hex).
func LeaseVariable(app string) string {
	var b strings.Builder
	b.WriteString("HOTLINE_LEASE_")
	for _, c := range []byte(app) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "_%02X", c)
		}
	}
	return b.String()
}

// String is the lease as stored: space-separated key=value, with no character the dialplan
// would split on.
func (l Lease) String() string {
	return fmt.Sprintf("holder=%s host=%s pid=%d since=%s beat=%s", field(l.Holder), field(l.Host), l.PID,
		l.Since.UTC().Format(time.RFC3339Nano), l.Beat.UTC().Format(time.RFC3339Nano))
}

// field keeps a value to one token of printable ASCII: a host name needs no more.
func field(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c <= ' ' || c >= 0x7f || c == '=' {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// ParseLease reads a stored lease; ok is false for an empty or unreadable value (no lease).
func ParseLease(s string) (l Lease, ok bool) {
	if strings.TrimSpace(s) == "" {
		return Lease{}, false
	}
	seen := 0
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "holder":
			l.Holder = v
		case "host":
			l.Host = v
		case "pid":
			l.PID, err = strconv.Atoi(v)
		case "since":
			l.Since, err = time.Parse(time.RFC3339Nano, v)
		case "beat":
			l.Beat, err = time.Parse(time.RFC3339Nano, v)
		default:
			continue // a later version's field
		}
		if err != nil {
			return Lease{}, false
		}
		seen++
	}
	if l.Holder == "" || l.Beat.IsZero() || seen < 5 {
		return Lease{}, false
	}
	return l, true
}

// Verdict is what a starting daemon makes of the lease it found.
type Verdict int

const (
	Free   Verdict = iota // no lease: take it
	Own                   // this journal's, on this host, from an earlier run (a crash): take it
	Stale                 // nobody has renewed it for LeaseStale: take it
	HeldBy                // another daemon's, fresh: refuse, unless told to take over
)

// Decide judges the lease found (ok: there is one) for self at Asterisk's time now. A heartbeat
// from the future (Asterisk's clock set back) counts as stale, lest it lock the application out.
func Decide(found Lease, ok bool, self Lease, now time.Time, stale time.Duration) Verdict {
	switch {
	case !ok:
		return Free
	case found.Holder == self.Holder && found.Host == self.Host:
		return Own
	case now.Sub(found.Beat) > stale || found.Beat.Sub(now) > stale:
		return Stale
	}
	return HeldBy
}

// HeldError is a refusal to start: another daemon holds a fresh lease on the application.
type HeldError struct {
	App   string
	Lease Lease
	Age   time.Duration // since its last heartbeat
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("the ARI application %q is served by another hotline serve: host %s, pid %d, since %s (journal %s; last heartbeat %s ago)",
		e.App, e.Lease.Host, e.Lease.PID, e.Lease.Since.Local().Format("2006-01-02 15:04:05"), e.Lease.Holder, e.Age.Round(100*time.Millisecond))
}

// leaseConn is what the lease needs of ARI; *ari.Conn has it.
type leaseConn interface {
	GlobalVariable(ctx context.Context, name string) (string, error)
	SetGlobalVariable(ctx context.Context, name, value string) error
	Ping(ctx context.Context) (*ari.Pong, error)
}

// Leaser takes, keeps and gives back the lease on one application.
type Leaser struct {
	Conn leaseConn
	App  string
	Self Lease // Holder, Host and PID; the times are set as it goes
	Log  *slog.Logger

	since time.Time
}

// pingTime is the layout of the timestamp in Asterisk's ping.
const pingTime = "2006-01-02T15:04:05.000-0700"

// now is Asterisk's current time.
func (l *Leaser) now(ctx context.Context) (time.Time, error) {
	p, err := l.Conn.Ping(ctx)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(pingTime, p.Timestamp)
	if err != nil {
		return time.Time{}, fmt.Errorf("ariadapter: Asterisk's time %q: %w", p.Timestamp, err)
	}
	return t, nil
}

// Acquire takes the lease, or returns *HeldError when another daemon holds it fresh and takeOver
// is false. Any other error is Asterisk's (not reachable...): the caller retries.
func (l *Leaser) Acquire(ctx context.Context, takeOver bool) error {
	now, err := l.now(ctx)
	if err != nil {
		return err
	}
	name := LeaseVariable(l.App)
	raw, err := l.Conn.GlobalVariable(ctx, name)
	if err != nil {
		return err
	}
	found, ok := ParseLease(raw)
	v := Decide(found, ok, l.Self, now, LeaseStale)
	log := l.logger()
	switch v {
	case HeldBy:
		held := &HeldError{App: l.App, Lease: found, Age: now.Sub(found.Beat)}
		if !takeOver {
			return held
		}
		log.Warn("taking the ARI application over from another hotline serve, as asked: it will stop serving calls", "app", l.App, "from", held.Error())
	case Own:
		log.Info("ARI application lease left by this journal's earlier run: taken", "app", l.App, "pid", found.PID)
	case Stale:
		log.Warn("stale ARI application lease taken: its daemon stopped renewing it", "app", l.App, "host", found.Host, "pid", found.PID, "last_beat", found.Beat)
	}
	l.since = now
	return l.write(ctx, now)
}

func (l *Leaser) write(ctx context.Context, now time.Time) error {
	lease := l.Self
	lease.Since, lease.Beat = l.since, now
	return l.Conn.SetGlobalVariable(ctx, LeaseVariable(l.App), lease.String())
}

// Keep renews the lease every LeaseBeat until ctx ends (the daemon stops, or it was replaced).
// A failed renewal (Asterisk restarting) is retried at the next beat; the lease is written anew
// if Asterisk lost it. It returns *HeldError, and renews no more, when it finds another daemon's
// fresh lease: this one was cut off long enough for its lease to go stale and be taken, and must
// not take the application back.
func (l *Leaser) Keep(ctx context.Context) error {
	t := time.NewTicker(LeaseBeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		err := l.renew(ctx)
		if _, lost := IsHeld(err); lost {
			return err
		}
		if err != nil && ctx.Err() == nil {
			l.logger().Debug("ARI application lease not renewed; retrying", "app", l.App, "err", err)
		}
	}
}

// Still says whether the lease is still this daemon's to renew, as Keep would find it: nil, or
// *HeldError when another daemon holds it fresh. Other errors are Asterisk's.
func (l *Leaser) Still(ctx context.Context) error {
	now, err := l.now(ctx)
	if err != nil {
		return err
	}
	return l.check(ctx, now)
}

func (l *Leaser) check(ctx context.Context, now time.Time) error {
	raw, err := l.Conn.GlobalVariable(ctx, LeaseVariable(l.App))
	if err != nil {
		return err
	}
	found, ok := ParseLease(raw)
	if ok && !l.mine(found) && Decide(found, ok, Lease{}, now, LeaseStale) == HeldBy {
		return &HeldError{App: l.App, Lease: found, Age: now.Sub(found.Beat)}
	}
	return nil
}

func (l *Leaser) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, LeaseBeat)
	defer cancel()
	now, err := l.now(ctx)
	if err != nil {
		return err
	}
	if err := l.check(ctx, now); err != nil {
		return err
	}
	return l.write(ctx, now)
}

// Release gives the lease back at a clean stop, so that another daemon may start at once; a
// lease that is no longer this daemon's (it was taken over) is left alone.
func (l *Leaser) Release(ctx context.Context) error {
	name := LeaseVariable(l.App)
	raw, err := l.Conn.GlobalVariable(ctx, name)
	if err != nil {
		return err
	}
	if found, ok := ParseLease(raw); !ok || !l.mine(found) {
		return nil
	}
	return l.Conn.SetGlobalVariable(ctx, name, "")
}

// mine says whether a lease found is this very daemon's (journal, host and process), as written
// by its Acquire or Keep; Decide's Own is wider (any process of this journal on this host).
func (l *Leaser) mine(found Lease) bool {
	return found.Holder == l.Self.Holder && found.Host == l.Self.Host && found.PID == l.Self.PID
}

func (l *Leaser) logger() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Log
}

// IsHeld reports whether err is a refusal because another daemon holds the application.
func IsHeld(err error) (*HeldError, bool) {
	var h *HeldError
	ok := errors.As(err, &h)
	return h, ok
}
