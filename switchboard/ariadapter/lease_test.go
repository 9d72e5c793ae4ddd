package ariadapter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/ari"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestDecideLease(t *testing.T) {
	self := Lease{Holder: "journal-a", Host: "pbx1", PID: 200}
	tests := []struct {
		name  string
		found Lease
		ok    bool
		now   time.Time
		want  Verdict
	}{
		{"no lease", Lease{}, false, t0, Free},
		{"this journal's, crashed a second ago", Lease{Holder: "journal-a", Host: "pbx1", PID: 100, Beat: t0.Add(-time.Second)}, true, t0, Own},
		{"this journal's, same pid", Lease{Holder: "journal-a", Host: "pbx1", PID: 200, Beat: t0}, true, t0, Own},
		{"this journal copied to another host, fresh", Lease{Holder: "journal-a", Host: "pbx2", PID: 100, Beat: t0.Add(-time.Second)}, true, t0, HeldBy},
		{"another journal, fresh", Lease{Holder: "journal-b", Host: "pbx1", PID: 300, Beat: t0.Add(-2 * time.Second)}, true, t0, HeldBy},
		{"another journal, just under stale", Lease{Holder: "journal-b", Host: "pbx2", Beat: t0.Add(-LeaseStale)}, true, t0, HeldBy},
		{"another journal, stale", Lease{Holder: "journal-b", Host: "pbx2", Beat: t0.Add(-LeaseStale - time.Millisecond)}, true, t0, Stale},
		{"another journal, from the future (clock set back)", Lease{Holder: "journal-b", Host: "pbx2", Beat: t0.Add(time.Hour)}, true, t0, Stale},
		{"another journal, a little ahead", Lease{Holder: "journal-b", Host: "pbx2", Beat: t0.Add(time.Second)}, true, t0, HeldBy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.found, tt.ok, self, tt.now, LeaseStale); got != tt.want {
				t.Errorf("Decide = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLeaseStringAndParse(t *testing.T) {
	l := Lease{Holder: "0123abcd", Host: "pbx 1=x\n", PID: 42, Since: t0.Add(-time.Hour), Beat: t0.Add(123 * time.Millisecond)}
	s := l.String()
	if strings.ContainsAny(s, "\n,|") {
		t.Fatalf("stored lease %q holds a separator", s)
	}
	got, ok := ParseLease(s)
	want := l
	want.Host = "pbx_1_x_"
	if !ok || got.Holder != want.Holder || got.Host != want.Host || got.PID != want.PID || !got.Since.Equal(want.Since) || !got.Beat.Equal(want.Beat) {
		t.Fatalf("ParseLease(%q) = %+v, %v; want %+v", s, got, ok, want)
	}
	for _, bad := range []string{"", " ", "garbage", "holder=a host=b pid=x since=" + t0.Format(time.RFC3339) + " beat=" + t0.Format(time.RFC3339),
		"holder=a host=b pid=1 since=" + t0.Format(time.RFC3339), "holder= host=b pid=1 since=" + t0.Format(time.RFC3339) + " beat=" + t0.Format(time.RFC3339)} {
		if l, ok := ParseLease(bad); ok {
			t.Errorf("ParseLease(%q) = %+v: want no lease", bad, l)
		}
	}
}

func TestLeaseVariable(t *testing.T) {
	for app, want := range map[string]string{"hotline": "HOTLINE_LEASE_hotline", "hot-line.2": "HOTLINE_LEASE_hot_2Dline_2E2", "a_b": "HOTLINE_LEASE_a_5Fb"} {
		if got := LeaseVariable(app); got != want {
			t.Errorf("LeaseVariable(%q) = %q, want %q", app, got, want)
		}
	}
}

// fakeLeaseConn is Asterisk's globals and clock.
type fakeLeaseConn struct {
	vars map[string]string
	now  time.Time
	down bool
}

func (f *fakeLeaseConn) GlobalVariable(_ context.Context, name string) (string, error) {
	if f.down {
		return "", errors.New("connection refused")
	}
	return f.vars[name], nil
}

func (f *fakeLeaseConn) SetGlobalVariable(_ context.Context, name, value string) error {
	if f.down {
		return errors.New("connection refused")
	}
	f.vars[name] = value
	return nil
}

func (f *fakeLeaseConn) Ping(context.Context) (*ari.Pong, error) {
	if f.down {
		return nil, errors.New("connection refused")
	}
	return &ari.Pong{Timestamp: f.now.Format(pingTime)}, nil
}

// Two daemons (two journals) on one application: the second is refused while the first renews
// its lease, takes it when told to, or once the first stopped renewing; the first's own restart
// takes it back at once; a clean stop frees it, but never frees another's.
func TestLeaserAcquireRenewRelease(t *testing.T) {
	ctx := context.Background()
	asterisk := &fakeLeaseConn{vars: map[string]string{}, now: t0}
	first := &Leaser{Conn: asterisk, App: "hotline", Self: Lease{Holder: "journal-a", Host: "pbx1", PID: 100}}
	second := &Leaser{Conn: asterisk, App: "hotline", Self: Lease{Holder: "journal-b", Host: "pbx1", PID: 200}}

	if err := first.Acquire(ctx, false); err != nil {
		t.Fatalf("first on a free application: %v", err)
	}
	asterisk.now = asterisk.now.Add(LeaseBeat)
	if err := first.renew(ctx); err != nil {
		t.Fatal(err)
	}
	asterisk.now = asterisk.now.Add(2 * time.Second)
	err := second.Acquire(ctx, false)
	held, ok := IsHeld(err)
	if !ok {
		t.Fatalf("second while the first renews: %v, want refused", err)
	}
	if held.Lease.Host != "pbx1" || held.Lease.PID != 100 || !held.Lease.Since.Equal(t0) || held.Age != 2*time.Second {
		t.Errorf("refusal names %+v (age %s); want the first's host, pid and since, 2s", held.Lease, held.Age)
	}
	for _, w := range []string{`"hotline"`, "host pbx1", "pid 100", "journal-a"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %q does not say %s", err, w)
		}
	}

	// The first is killed (no release) and restarted on its journal a second later: taken at once.
	asterisk.now = asterisk.now.Add(time.Second)
	restarted := &Leaser{Conn: asterisk, App: "hotline", Self: Lease{Holder: "journal-a", Host: "pbx1", PID: 101}}
	if err := restarted.Acquire(ctx, false); err != nil {
		t.Fatalf("the first's restart on its own journal: %v", err)
	}
	// The second is told to take over.
	if err := second.Acquire(ctx, true); err != nil {
		t.Fatalf("second with take-over: %v", err)
	}
	// The replaced one stops cleanly: the lease, now the second's, stays.
	if err := restarted.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if l, ok := ParseLease(asterisk.vars[LeaseVariable("hotline")]); !ok || l.Holder != "journal-b" {
		t.Fatalf("after the replaced daemon's stop the lease is %+v, %v; want the second's", l, ok)
	}
	// The second dies; once its lease is stale, a third journal takes it without being told.
	third := &Leaser{Conn: asterisk, App: "hotline", Self: Lease{Holder: "journal-c", Host: "pbx2", PID: 300}}
	asterisk.now = asterisk.now.Add(LeaseStale - time.Second)
	if _, ok := IsHeld(third.Acquire(ctx, false)); !ok {
		t.Fatal("third before the second's lease went stale: want refused")
	}
	asterisk.now = asterisk.now.Add(2 * time.Second)
	if err := third.Acquire(ctx, false); err != nil {
		t.Fatalf("third after the second's lease went stale: %v", err)
	}
	// A clean stop frees the application for anyone.
	if err := third.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first.Acquire(ctx, false); err != nil {
		t.Fatalf("after a clean stop: %v", err)
	}
	// Asterisk unreachable: an error that is not a refusal (the daemon retries).
	asterisk.down = true
	if err := second.Acquire(ctx, false); err == nil {
		t.Fatal("Acquire with Asterisk down succeeded")
	} else if _, ok := IsHeld(err); ok {
		t.Fatalf("Asterisk down taken for a refusal: %v", err)
	}
}

// A daemon cut off from Asterisk long enough for its lease to go stale, and taken meanwhile by
// another daemon, finds that lease fresh when it comes back: it neither renews it nor reconnects
// (Still refuses), so it cannot take the application back and strand the other's callers
// (review finding). Its own lease, one gone stale, or one Asterisk lost are renewed as before.
func TestLeaserRenewNeverOverwritesAnothersFreshLease(t *testing.T) {
	ctx := context.Background()
	asterisk := &fakeLeaseConn{vars: map[string]string{}, now: t0}
	a := &Leaser{Conn: asterisk, App: "hotline", Self: Lease{Holder: "journal-a", Host: "pbx1", PID: 100}}
	b := &Leaser{Conn: asterisk, App: "hotline", Self: Lease{Holder: "journal-b", Host: "pbx2", PID: 200}}
	if err := a.Acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	asterisk.now = asterisk.now.Add(LeaseBeat)
	if err := a.renew(ctx); err != nil || a.Still(ctx) != nil {
		t.Fatalf("renewing its own lease: %v", err)
	}
	// a is cut off; its lease goes stale; b starts and takes it.
	asterisk.now = asterisk.now.Add(LeaseStale + time.Second)
	if err := b.Acquire(ctx, false); err != nil {
		t.Fatalf("b on a's stale lease: %v", err)
	}
	asterisk.now = asterisk.now.Add(time.Second)
	// a is back.
	for name, err := range map[string]error{"renew": a.renew(ctx), "Still": a.Still(ctx)} {
		if held, ok := IsHeld(err); !ok || held.Lease.Holder != "journal-b" {
			t.Errorf("%s after b took the lease: %v, want refused naming b", name, err)
		}
	}
	if l, _ := ParseLease(asterisk.vars[LeaseVariable("hotline")]); l.Holder != "journal-b" {
		t.Errorf("lease now %+v: a's renewal overwrote b's", l)
	}
	// b dies; once its lease is stale a may renew (it still serves nobody else's callers).
	asterisk.now = asterisk.now.Add(LeaseStale + time.Second)
	if err := a.renew(ctx); err != nil {
		t.Errorf("renewing over b's stale lease: %v", err)
	}
	// Asterisk restarted and lost the variable: written anew.
	asterisk.vars = map[string]string{}
	if err := a.renew(ctx); err != nil || asterisk.vars[LeaseVariable("hotline")] == "" {
		t.Errorf("renewing a lost lease: %v", err)
	}
}
