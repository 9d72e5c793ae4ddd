// Package hotlinetest runs a real hotline daemon (daemon.Run, in-process) against the sandbox
// Asterisk for integration tests, as net/http/httptest runs a real server: its own journal file,
// its own control socket, operators seeded before it starts, and SIP phones that talk to it.
package hotlinetest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/daemon"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// Tones every test phone sends, so each side can prove whom it hears.
const (
	CallerTone   = 440.0
	OperatorTone = 1000.0
)

// Daemon is a running hotline.
type Daemon struct {
	Config  config.Config
	Sandbox sandbox.Config
	Store   *journal.Store // a second handle on the daemon's journal, for seeding and assertions
	API     *control.Client
	LogPath string

	tb     testing.TB
	opt    daemon.Options
	cancel context.CancelFunc
	done   chan error
	log    *slog.Logger
}

// Operator is a level-1 operator to seed, by extension (a sandbox handset, 1001-1060).
type Operator struct {
	Extension string
	Name      string
	Tier      int      // routing priority tier
	Languages []string // languages spoken besides the hotline's own (empty: its own only)
}

// Start seeds the operators into a fresh journal, starts the daemon with the sandbox's settings
// (tweak adjusts them) and waits until it is connected to Asterisk. Everything stops at the end of
// the test; the daemon's log is printed if the test failed. It takes the application over (as
// hotline serve --take-over): an earlier test's daemon killed with SIGKILL leaves a lease of
// another journal that would hold this start up for 15 s. TryStart starts as told.
func Start(tb testing.TB, ops []Operator, tweak func(*config.Config)) *Daemon {
	tb.Helper()
	return start(tb, "", ops, tweak, daemon.Options{TakeOver: true}, true)
}

// TryStart starts a daemon as Start does, told opt. It returns the daemon once it is connected,
// or the error it stopped with when it stopped first (a refused start: another daemon serves
// the application).
func TryStart(tb testing.TB, ops []Operator, tweak func(*config.Config), opt daemon.Options) (*Daemon, error) {
	tb.Helper()
	d := start(tb, "", ops, tweak, opt, false)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-d.done:
			d.done <- nil // Stop, at the cleanup, returns at once
			if err == nil {
				tb.Fatalf("hotlinetest: the daemon stopped without an error before connecting")
			}
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
		if st, err := d.API.Status(context.Background()); err == nil && st.Connected {
			return d, nil
		}
	}
	tb.Fatalf("hotlinetest: the daemon neither connected nor stopped within 15 s")
	return nil, nil
}

// StartOnJournal starts a daemon on an existing journal file, seeding nothing: with the journal
// of a daemon stopped by Stop (its Config.Journal.Path), it is hotline serve restarted.
func StartOnJournal(tb testing.TB, journalPath string, tweak func(*config.Config)) *Daemon {
	tb.Helper()
	if _, err := os.Stat(journalPath); err != nil {
		tb.Fatalf("hotlinetest: existing journal: %v", err)
	}
	return start(tb, journalPath, nil, tweak, daemon.Options{}, true)
}

// start starts a daemon on journalPath, or on a fresh journal seeded with ops when it is "".
func start(tb testing.TB, journalPath string, ops []Operator, tweak func(*config.Config), opt daemon.Options, wait bool) *Daemon {
	tb.Helper()
	sb := sandbox.Require(tb)
	dir := tb.TempDir()
	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Websocket = sb.ARIURL, sb.ARIWebsocket
	cfg.ARI.User, cfg.ARI.Password, cfg.ARI.App = sb.ARIUser, config.Secret(sb.ARIPassword), sb.ARIApp
	cfg.AMI.Addr, cfg.AMI.User, cfg.AMI.Password = sb.AMIAddr, sb.AMIUser, config.Secret(sb.AMIPassword)
	cfg.Journal.Path = filepath.Join(dir, "hotline.db")
	if journalPath != "" {
		cfg.Journal.Path = journalPath
	}
	cfg.API.Socket = filepath.Join(dir, "hotline.sock")
	cfg.Metrics.Listen = ""
	cfg.Web.Listen = "" // a test daemon serves no workplace: parallel daemons would share the port
	cfg.Log.Level = "debug"
	cfg.Calls.WrapUp = time.Second
	cfg.Calls.RingTimeout = 8 * time.Second
	cfg.Calls.AnnounceInterval = 0
	if tweak != nil {
		tweak(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatalf("hotlinetest: %v", err)
	}
	ctx := context.Background()
	// The daemon's log, and the test's own journal's: a file shown when the test fails, not
	// lines in everyone's output.
	logPath := filepath.Join(dir, "hotline.log")
	logf, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := journal.Open(ctx, cfg.Journal.Address(), journal.Options{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if journalPath == "" {
		seed(tb, store, ops)
	}

	rctx, cancel := context.WithCancel(ctx)
	d := &Daemon{Config: cfg, Sandbox: sb, Store: store, API: control.NewClient(cfg.API.Socket), LogPath: logPath,
		tb: tb, opt: opt, cancel: cancel, done: make(chan error, 1), log: log}
	go func() { d.done <- daemon.RunWith(rctx, cfg, log, opt) }()
	tb.Cleanup(func() {
		d.Stop()
		logf.Close()
		// HOTLINE_TEST_LOG=1 prints the log of a passing test too (to study a flaky one).
		if tb.Failed() || os.Getenv("HOTLINE_TEST_LOG") != "" {
			if b, err := os.ReadFile(logPath); err == nil {
				tb.Logf("hotline log:\n%s", b)
			}
		}
	})
	if !wait {
		return d
	}
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool { return st.Connected }); err != nil {
		tb.Fatalf("hotlinetest: the daemon did not connect to Asterisk: %v", err)
	}
	return d
}

// seed adds an administrator and the operators to a fresh journal.
func seed(tb testing.TB, store *journal.Store, ops []Operator) {
	tb.Helper()
	ctx := context.Background()
	by, err := store.Actor(ctx, "test-admin")
	if err != nil {
		tb.Fatal(err)
	}
	admin := hotline.Operator{Name: "Test administrator", Login: "test-admin", Role: hotline.RoleAdministrator, Level: hotline.Level1, Active: true}
	if err := store.AddOperator(ctx, by, &admin); err != nil {
		tb.Fatal(err)
	}
	by = hotline.Actor{Login: admin.Login, OperatorID: admin.ID, Role: hotline.RoleAdministrator}
	for _, o := range ops {
		name := o.Name
		if name == "" {
			name = "Operator " + o.Extension
		}
		op := hotline.Operator{Name: name, Login: "op" + o.Extension, Role: hotline.RoleOperator, Level: hotline.Level1,
			Extension: o.Extension, Priority: o.Tier, Languages: o.Languages, Active: true}
		if err := store.AddOperator(ctx, by, &op); err != nil {
			tb.Fatalf("hotlinetest: seed operator %s: %v", o.Extension, err)
		}
	}
}

// Stop stops the daemon (as SIGTERM does) and waits for it; Start's cleanup calls it too.
func (d *Daemon) Stop() {
	d.Signal()
	if !d.Wait(15 * time.Second) {
		d.tb.Errorf("hotline serve did not stop within 15 s of its context ending")
	}
}

// Signal tells the daemon to stop, as SIGTERM does, without waiting: with shutdown.drain set it
// drains first.
func (d *Daemon) Signal() { d.cancel() }

// Wait waits up to timeout for the daemon to return after Signal; it reports whether it did.
func (d *Daemon) Wait(timeout time.Duration) bool {
	select {
	case err := <-d.done:
		if err != nil {
			d.tb.Errorf("hotline serve ended with: %v", err)
		}
		d.done <- nil // a second Stop returns at once
		return true
	case <-time.After(timeout):
		return false
	}
}

// Restart stops the daemon (context cancelled, as SIGTERM does) and starts a new one on the same
// configuration and journal, as an upgrade or a crash followed by a restart would; it waits until
// the new one is connected to Asterisk.
func (d *Daemon) Restart() {
	d.tb.Helper()
	d.Stop()
	<-d.done // Stop leaves a nil for a second Stop; this run is over
	rctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go func() { d.done <- daemon.RunWith(rctx, d.Config, d.log, d.opt) }()
	if _, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return st.Connected }); err != nil {
		d.tb.Fatalf("hotlinetest: the restarted daemon did not connect to Asterisk: %v", err)
	}
}

// WaitStatus polls the daemon's status until cond holds or timeout passes.
func (d *Daemon) WaitStatus(timeout time.Duration, cond func(switchboard.Status) bool) (switchboard.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last switchboard.Status
	var lastErr error
	for {
		st, err := d.API.Status(ctx)
		if err == nil {
			last = st
			if cond(st) {
				return st, nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil { // every status read, none met the condition
				return last, fmt.Errorf("condition not met in %s (last status %+v)", timeout, last)
			}
			return last, fmt.Errorf("condition not met in %s (last status %+v, last error %w)", timeout, last, lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Presence returns the presence of the operator with extension ext in st ("" if absent).
func Presence(st switchboard.Status, ext string) hotline.Presence {
	for _, o := range st.Operators {
		if o.Extension == ext {
			return o.Presence
		}
	}
	return ""
}

// Handset registers the sandbox handset ext (an operator's phone) sending the operator tone and
// listening for the caller's. It answers automatically after answerDelay (negative: never).
func (d *Daemon) Handset(ext string, answerDelay time.Duration) *sipphone.Phone {
	d.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := sipphone.New(ctx, sipphone.Config{Server: d.Sandbox.SIPAddr, User: ext, Password: d.Sandbox.HandsetPassword,
		Tone: OperatorTone, Detect: []float64{CallerTone}, AutoAnswer: answerDelay >= 0, AnswerDelay: max(answerDelay, 0)})
	if err != nil {
		d.tb.Fatalf("hotlinetest: handset %s: %v", ext, err)
	}
	d.tb.Cleanup(func() { p.Close() })
	return p
}

// Caller starts an unregistered phone on the trunk with the given number, sending the caller tone.
func (d *Daemon) Caller(number string) *sipphone.Phone {
	d.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := sipphone.New(ctx, sipphone.Config{Server: d.Sandbox.SIPAddr, User: number,
		Tone: CallerTone, Detect: []float64{OperatorTone}})
	if err != nil {
		d.tb.Fatalf("hotlinetest: caller %s: %v", number, err)
	}
	d.tb.Cleanup(func() { p.Close() })
	return p
}

// FeatureCode dials a feature code (*21 log in, *22 log out, *23N pause, *24 resume) from a
// handset and waits for hotline to confirm and hang up; it returns whether audio (the
// confirmation prompt) was heard.
func (d *Daemon) FeatureCode(h *sipphone.Phone, code string) bool {
	d.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := h.Dial(ctx, code)
	if err != nil {
		d.tb.Fatalf("hotlinetest: %s dials %s: %v", h.User(), code, err)
	}
	if _, err := c.WaitEnd(ctx); err != nil {
		_ = c.Hangup(context.Background())
		d.tb.Fatalf("hotlinetest: %s: hotline did not end the %s call: %v", h.User(), code, err)
	}
	return c.Stats().LoudFrames > 0
}

// OperatorID returns the journal id of the operator with extension ext.
func (d *Daemon) OperatorID(ext string) int64 {
	d.tb.Helper()
	o, err := d.Store.OperatorByExtension(context.Background(), ext)
	if err != nil {
		d.tb.Fatal(err)
	}
	return o.ID
}

// RecordingPath is where the sandbox keeps a stored recording.
func (d *Daemon) RecordingPath(name, format string) string {
	return filepath.Join(d.Sandbox.Root, "var", "spool", "asterisk", "recording", name+"."+format)
}
