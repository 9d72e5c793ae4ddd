package integrationtests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/switchboard"
)

// hotline serve is killed (SIGKILL: no shutdown, no flush beyond what each write made durable)
// with a call bridged and a caller queued, then started again on the same journal: the bridged
// call is adopted and ends with one correct leg, the waiting caller is re-queued and answered;
// no case is lost or doubled.
func TestDaemonKilledMidCallThenRestarted(t *testing.T) {
	d, h, serve := serveProcessWithOperator(t)

	const talking, waiting = "79009990001", "79009990002"
	ctx := within(t, 150*time.Second)
	a, _, b := talkingAndWaiting(t, ctx, d, h, talking, waiting)

	serve.kill(t)
	// Killed: nothing hung up. The pair talks on without hotline.
	heard := a.Stats().Tones[hotlinetest.OperatorTone]
	if err := heardMore(within(t, 10*time.Second), a, hotlinetest.OperatorTone, heard); err != nil {
		t.Errorf("bridged call did not survive the kill: %v", err)
	}

	d.Restart() // in-process again, same journal
	if _, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		return st.Calls == 2 && len(st.Queue) == 1 && st.Queue[0].CallerNumber == "+"+waiting &&
			hotlinetest.Presence(st, "1001") == hotline.PresenceTalking
	}); err != nil {
		t.Fatalf("after the restart: want the bridged call adopted and the waiting caller re-queued: %v", err)
	}
	if b.State() == sipphone.Ended {
		t.Fatalf("waiting caller dropped: %v", b.End())
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	_, leg := waitLegEnded(t, d, talking)
	if _, legs := callOf(t, d, talking); len(legs) != 1 || leg.End != hotline.LegCompleted || leg.OperatorID != d.OperatorID("1001") {
		t.Errorf("adopted call's legs = %+v, want one, completed by 1001", legs)
	}
	in, err := h.Incoming(within(t, 30*time.Second))
	if err != nil {
		t.Fatalf("re-queued caller never offered: %v", err)
	}
	if got := in.Caller().User; !strings.HasSuffix(got, waiting) {
		t.Errorf("operator rung for %q, want %s", got, waiting)
	}
	if err := b.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Errorf("re-queued caller does not hear the operator: %v", err)
	}
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	_, leg = waitLegEnded(t, d, waiting)
	if _, legs := callOf(t, d, waiting); len(legs) != 1 || leg.End != hotline.LegCompleted {
		t.Errorf("re-queued caller's legs = %+v, want one, completed", legs)
	}
}

// serveProcess is hotline serve running as a separate process (so that it can be SIGKILLed) on a
// stopped test daemon's journal, control socket and sandbox.
type serveProcess struct {
	cmd     *exec.Cmd
	logPath string
	killed  bool
}

// startServeProcess stops d and starts `hotline serve` (built from this tree) in its place, with
// d's configuration and extra environment variables; it is killed at the end of the test.
func startServeProcess(t *testing.T, d *hotlinetest.Daemon, env ...string) *serveProcess {
	t.Helper()
	d.Stop()
	bin := serveBinary(t)
	p := &serveProcess{logPath: filepath.Join(t.TempDir(), "serve.log")}
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(os.Environ(), serveEnv(d)...)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.killed {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			if b, err := os.ReadFile(p.logPath); err == nil {
				t.Logf("hotline serve (process) log:\n%s", b)
			}
		}
	})
	return p
}

// The hotline binary, built once for the whole run of the package's tests.
var serveBuild struct {
	once sync.Once
	path string
	err  error
}

func serveBinary(t *testing.T) string {
	t.Helper()
	serveBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "hotline-serve-")
		if err != nil {
			serveBuild.err = err
			return
		}
		serveBuild.path = filepath.Join(dir, "hotline")
		build := exec.Command("go", "build", "-o", serveBuild.path, "github.com/hotline-dev/hotline/cmd/hotline")
		if out, err := build.CombinedOutput(); err != nil {
			serveBuild.err = fmt.Errorf("go build cmd/hotline: %w\n%s", err, out)
		}
	})
	if serveBuild.err != nil {
		t.Fatal(serveBuild.err)
	}
	return serveBuild.path
}

// serveEnv is d's configuration as hotline serve's environment, so the process and the in-process
// daemon that restarts in its place serve alike.
func serveEnv(d *hotlinetest.Daemon) []string {
	sb, cfg := d.Sandbox, d.Config
	k := cfg.Calls
	return []string{
		"HOTLINE_ARI_URL=" + sb.ARIURL, "HOTLINE_ARI_WS=" + sb.ARIWebsocket, "HOTLINE_ARI_USER=" + sb.ARIUser,
		"HOTLINE_ARI_PASSWORD=" + sb.ARIPassword, "HOTLINE_ARI_APP=" + sb.ARIApp,
		"HOTLINE_AMI_ADDR=" + sb.AMIAddr, "HOTLINE_AMI_USER=" + sb.AMIUser, "HOTLINE_AMI_PASSWORD=" + sb.AMIPassword,
		"HOTLINE_DB=" + cfg.Journal.Path, "HOTLINE_SPOOL=" + cfg.Journal.Spool, "HOTLINE_API_SOCKET=" + cfg.API.Socket,
		// The journal's engine and, on PostgreSQL, its database (a test cluster's: no password).
		"HOTLINE_JOURNAL_BACKEND=" + cfg.Journal.Backend, "HOTLINE_JOURNAL_DSN=" + cfg.Journal.DSN.Reveal(),
		// Ports of their own: an empty variable overrides nothing, and the defaults (8080, 9464)
		// collide with any other daemon on the machine.
		"HOTLINE_METRICS_LISTEN=127.0.0.1:0", "HOTLINE_WEB_LISTEN=127.0.0.1:0", "HOTLINE_LOG_LEVEL=debug",
		"HOTLINE_GREETING=" + k.Greeting, "HOTLINE_WRAP_UP=" + k.WrapUp.String(), "HOTLINE_RING_TIMEOUT=" + k.RingTimeout.String(),
		"HOTLINE_ANNOUNCE_INTERVAL=" + k.AnnounceInterval.String(), "HOTLINE_MAX_WAIT=" + k.MaxWait.String(),
		"HOTLINE_OVERFLOW=" + k.Overflow, "HOTLINE_CALLBACK_DIAL=" + k.CallbackDial,
		"HOTLINE_SHUTDOWN_DRAIN=" + cfg.Shutdown.Drain.String(), "HOTLINE_SHUTDOWN_WAITING=" + cfg.Shutdown.Waiting,
	}
}

// kill sends SIGKILL: no shutdown, no flush beyond what was already on disk.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.killed = true
	_ = p.cmd.Wait()
}

// serveProcessWithOperator starts a test daemon with operator 1001, logs the handset in and hands
// over to a separate `hotline serve` process on the same journal and control socket, serving with
// the operator available.
func serveProcessWithOperator(t *testing.T) (*hotlinetest.Daemon, *sipphone.Phone, *serveProcess) {
	t.Helper()
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	h := d.Handset("1001", 300*time.Millisecond)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	serve := startServeProcess(t, d)
	if _, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		return st.Connected && hotlinetest.Presence(st, "1001") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("hotline serve (process) not serving with the operator available: %v", err)
	}
	return d, h, serve
}
