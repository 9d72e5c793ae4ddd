package daemon

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/journal"
)

// While another process holds the journal's lease, hotline serve --standby waits without touching
// Asterisk (none is configured here: ARI's address answers nothing) or the spool: hotline status
// says it is standby and who is active; a stop while waiting ends it cleanly and leaves the lease
// as it was.
func TestStandbyWaitsWhileTheLeaseIsHeld(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Password, cfg.AMI.Addr, cfg.AMI.Password = "http://127.0.0.1:1/ari", "x", "127.0.0.1:1", "x"
	cfg.Journal.Path = filepath.Join(dir, "hotline.db")
	cfg.API.Socket = filepath.Join(dir, "hotline.sock")
	cfg.Metrics.Listen, cfg.Web.Listen = "", ""
	cfg.Standby.Enabled = true

	other, err := journal.Open(ctx, cfg.Journal.Path, journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	if _, err := other.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := other.AcquireLease(ctx, journal.ServeLease, "the-active-one", time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(rctx, cfg, slog.New(slog.DiscardHandler)) }()

	var statusErr error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, statusErr = control.NewClient(cfg.API.Socket).Status(ctx)
		if hotline.ErrorCode(statusErr) == hotline.EUNAVAILABLE && strings.Contains(statusErr.Error(), "standby") {
			break
		}
	}
	if hotline.ErrorCode(statusErr) != hotline.EUNAVAILABLE || !strings.Contains(statusErr.Error(), "the-active-one") {
		t.Errorf("status of the standby: %v; want unavailable, naming the active holder", statusErr)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("a standby stopped while waiting: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the standby did not stop within 10 s")
	}
	if _, err := os.Stat(cfg.Journal.SpoolPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the standby made the spool %s (%v): only the active daemon may open it", cfg.Journal.SpoolPath(), err)
	}
	if l, _, err := other.Lease(ctx, journal.ServeLease); err != nil || l.Epoch != held.Epoch || l.Holder != held.Holder {
		t.Errorf("the lease after the standby stopped: %+v, %v; want it untouched (%+v)", l, err, held)
	}
}

// The active daemon of a pair whose lease another process took (here by hand: given back and
// taken) finds itself fenced at its next renewal: Options.Fenced is told, RunWith returns
// ErrFenced without giving back the lease that is no longer its own.
func TestActiveStopsWhenFenced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Password, cfg.AMI.Addr, cfg.AMI.Password = "http://127.0.0.1:1/ari", "x", "127.0.0.1:1", "x"
	cfg.Journal.Path = filepath.Join(dir, "hotline.db")
	cfg.API.Socket = filepath.Join(dir, "hotline.sock")
	cfg.Metrics.Listen, cfg.Web.Listen = "", ""
	cfg.Standby = config.Standby{Enabled: true, LeaseTTL: time.Second, Renew: 100 * time.Millisecond}

	told := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- RunWith(ctx, cfg, slog.New(slog.DiscardHandler), Options{Fenced: func(err error) { told <- err }})
	}()

	other, err := journal.Open(ctx, cfg.Journal.Path, journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	var active journal.Lease
	for deadline := time.Now().Add(10 * time.Second); active.Epoch == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		active, _, _ = other.Lease(ctx, journal.ServeLease)
	}
	if active.Epoch != 1 {
		t.Fatalf("the daemon did not take the free lease: %+v", active)
	}
	if err := other.ReleaseLease(ctx, active); err != nil {
		t.Fatal(err)
	}
	usurper, err := other.AcquireLease(ctx, journal.ServeLease, "usurper", time.Minute)
	if err != nil {
		t.Fatal(err)
	}

	select {
	case err := <-told:
		if !errors.Is(err, journal.ErrFenced) {
			t.Errorf("Options.Fenced told %v, want ErrFenced", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fenced daemon was not told within 10 s")
	}
	select {
	case err := <-done:
		if !errors.Is(err, journal.ErrFenced) || hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
			t.Errorf("RunWith returned %v, want ErrFenced (unavailable)", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the fenced daemon did not stop within 20 s")
	}
	if l, _, err := other.Lease(ctx, journal.ServeLease); err != nil || l != usurper {
		t.Errorf("the lease after the fenced daemon stopped: %+v, %v; want the usurper's untouched (%+v)", l, err, usurper)
	}
}
