package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/integration-tests/kamailiotest"
	"github.com/hotline-dev/hotline/journal"
)

// system is one system under test: where callers dial and how operators are made ready.
type system interface {
	Name() string
	// Number is what callers dial.
	Number() string
	// Start brings the system up for the operators' extensions (handsets not yet registered).
	Start(ctx context.Context, exts []string) error
	// Ready makes the registered operators available to take calls.
	Ready(ctx context.Context) error
	// HotlinePID is the hotline process's pid; 0 when the system has none.
	HotlinePID() int
	// Journal counts the case and leg rows written since from; ok is false when the system has no journal.
	Journal(ctx context.Context, from time.Time) (cases, legs int, ok bool, err error)
	// Stop takes the operators away and stops what Start started.
	Stop(ctx context.Context) error
}

// Sandbox is how to reach the Asterisk under test (what `asterisk-conf/sandbox env` prints).
type Sandbox struct {
	ARIURL, ARIWebsocket, ARIUser, ARIPassword, ARIApp string
	AMIAddr, AMIUser, AMIPassword                      string
	SIPAddr, HandsetPassword                           string
	Root                                               string // the chroot: run/asterisk/asterisk.pid is Asterisk's pid file
}

// AsteriskPID reads the sandbox Asterisk's pid file.
func (s Sandbox) AsteriskPID() (int, error) {
	return pidFile(filepath.Join(s.Root, "run", "asterisk", "asterisk.pid"))
}

// hotlineSystem runs `hotline serve` as a separate process, so its CPU and memory are its own and
// not the generator's: a fresh journal seeded with level-1 operators, logged in by the control API.
type hotlineSystem struct {
	sb     Sandbox
	bin    string
	dir    string
	wrapUp time.Duration
	// noRecord: record_calls off (only to measure what recording costs; app_queue always records)
	noRecord bool
	keep     bool // keep the daemon's directory (journal, log) after the run

	profile     string        // where to write a CPU profile; "": none
	profileFor  time.Duration // how long to profile
	heapDir     string        // where the soak writes heap profiles; "": none
	metricsAddr string        // the daemon's metrics listener (loopback): ARI counters, goroutines, fds; pprof when profiling
	debug       bool          // the daemon logs at debug level
	log         *slog.Logger
	name        string // the system's name in the report

	// nodes: hotline drives these Asterisk nodes (ari.nodes) with Kamailio on kamailioAddr in
	// front, started and stopped with the daemon; none: the one sandbox Asterisk.
	nodes        []Node
	kamailioAddr string
	kamailio     *kamailiotest.Kamailio

	cmd  *exec.Cmd
	done chan error
	api  *control.Client
	ids  []int64
}

func (h *hotlineSystem) Name() string   { return h.name }
func (h *hotlineSystem) Number() string { return "100" }

func (h *hotlineSystem) HotlinePID() int {
	if h.cmd == nil || h.cmd.Process == nil {
		return 0
	}
	return h.cmd.Process.Pid
}

// Metrics scrapes the daemon's /metrics.
func (h *hotlineSystem) Metrics(ctx context.Context) (series, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return scrape(ctx, h.metricsAddr)
}

func (h *hotlineSystem) dbPath() string { return filepath.Join(h.dir, "hotline.db") }

// config is the daemon's YAML: the same call rules as the app_queue dialplan (greeting, music,
// longest-idle, 15 s ring, the same wrap-up, recording) and nothing app_queue lacks (no position
// announcements, no queue limit or overflow, no return to a case's owner, no auto-pause).
func (h *hotlineSystem) config() string {
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	ari := []string{
		"ari:",
		"  url: " + q(h.sb.ARIURL),
		"  websocket: " + q(h.sb.ARIWebsocket),
		"  user: " + q(h.sb.ARIUser),
		"  password: " + q(h.sb.ARIPassword),
		"  app: " + q(h.sb.ARIApp),
	}
	if len(h.nodes) > 0 {
		// Every node rings the operators' handsets through Kamailio, where they registered.
		ari = append(ari, "  nodes:")
		for _, n := range h.nodes {
			// Each node's own AMI (its recorder): the sandbox nodes share a host, so the default
			// (the node's host, ami.addr's port) would name one AMI twice, which config refuses.
			ari = append(ari, fmt.Sprintf("    - {name: %s, url: %s, websocket: %s, user: %s, password: %s, operators: %s, ami: {addr: %s, user: %s, password: %s}}",
				q(n.Name), q(n.ARIURL), q(n.ARIWebsocket), q(n.ARIUser), q(n.ARIPassword), q("PJSIP/{extension}@kamailio"),
				q(n.AMIAddr), q(n.AMIUser), q(n.AMIPassword)))
		}
	}
	return strings.Join(append(ari,
		"ami:",
		"  addr: "+q(h.sb.AMIAddr),
		"  user: "+q(h.sb.AMIUser),
		"  password: "+q(h.sb.AMIPassword),
		"journal:",
		"  path: "+q(h.dbPath()),
		"api:",
		"  socket: "+q(filepath.Join(h.dir, "hotline.sock")),
		"metrics:",
		"  listen: "+q(h.metricsAddr), // a free loopback port: other engineers' daemons may hold the default one
		"  pprof: "+fmt.Sprint(h.profile != "" || h.heapDir != ""),
		"web:",
		"  listen: ''", // off: other engineers' daemons may hold the default port
		"log:",
		"  level: "+map[bool]string{false: "info", true: "debug"}[h.debug],
		"calls:",
		"  language: en",
		"  greeting: sound:hello-world",
		"  music_class: default",
		"  announce_interval: 0s",
		"  strategy: longest-idle",
		"  ring_timeout: 15s",
		"  wrap_up: "+h.wrapUp.String(),
		"  max_wait: 0s",
		"  max_queue: 0",
		"  missed_offers_pause: 0",
		"  returning_to_owner: false",
		"  record_calls: "+fmt.Sprint(!h.noRecord),
		"",
	), "\n")
}

func (h *hotlineSystem) Start(ctx context.Context, exts []string) error {
	dir, err := os.MkdirTemp("", "hotline-loadgen-")
	if err != nil {
		return fmt.Errorf("hotline: temp dir: %w", err)
	}
	h.dir = dir
	if h.metricsAddr, err = freeLoopbackAddr(); err != nil {
		return fmt.Errorf("hotline: a port for its metrics: %w", err)
	}
	if len(h.nodes) > 0 {
		var sips []string
		for _, n := range h.nodes {
			sips = append(sips, n.SIPAddr)
		}
		kctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		h.kamailio, err = kamailiotest.Run(kctx, dir, h.kamailioAddr, sips)
		cancel()
		if err != nil {
			return fmt.Errorf("hotline: kamailio in front of %v: %w", sips, err)
		}
		h.log.Info("kamailio started", "addr", h.kamailioAddr, "nodes", sips, "log", h.kamailio.LogPath)
	}
	cfgPath := filepath.Join(dir, "hotline.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.config()), 0o600); err != nil {
		return fmt.Errorf("hotline: write config: %w", err)
	}
	if h.ids, err = seed(ctx, h.dbPath(), exts); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "hotline.log"))
	if err != nil {
		return fmt.Errorf("hotline: log file: %w", err)
	}
	// Not CommandContext: the daemon must get SIGTERM and flush its journal, not SIGKILL.
	cmd := exec.Command(h.bin, "serve", "--config", cfgPath)
	// Only what the daemon needs: HOTLINE_* from our environment would override the file.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	if h.heapDir != "" {
		// Heap profiles for a soak: sample every 16 KiB allocated rather than Go's 512 KiB, so that a
		// leak of a few hundred bytes a call shows in the diff of two profiles, not only in RSS.
		cmd.Env = append(cmd.Env, "GODEBUG=memprofilerate=16384")
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("hotline: start %s serve: %w", h.bin, err)
	}
	h.cmd = cmd
	h.done = make(chan error, 1)
	go func() { h.done <- cmd.Wait(); logf.Close() }()
	h.api = control.NewClient(filepath.Join(dir, "hotline.sock"))
	h.log.Info("hotline serve started", "pid", cmd.Process.Pid, "dir", dir)

	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		st, err := h.api.Status(wctx)
		if err == nil && st.Connected {
			return nil
		}
		select {
		case exit := <-h.done:
			h.done <- exit
			if exit == nil {
				exit = errors.New("exit status 0")
			}
			return fmt.Errorf("hotline serve exited at start (%w): see %s", exit, filepath.Join(dir, "hotline.log"))
		case <-wctx.Done():
			if err == nil { // it answered, but Asterisk never accepted it
				err = wctx.Err()
			}
			return fmt.Errorf("hotline serve not connected to Asterisk within 20 s (last: %w): see %s", err, filepath.Join(dir, "hotline.log"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// seed creates the journal with an administrator and one level-1 operator per extension, as an
// administrator would with `hotline operator add`, and returns the operators' ids.
func seed(ctx context.Context, path string, exts []string) ([]int64, error) {
	s, err := journal.Open(ctx, path, journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("hotline: journal: %w", err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("hotline: migrate journal: %w", err)
	}
	by, err := s.Actor(ctx, "loadgen-admin")
	if err != nil {
		return nil, fmt.Errorf("hotline: actor: %w", err)
	}
	admin := hotline.Operator{Name: "Load generator", Login: "loadgen-admin", Role: hotline.RoleAdministrator, Level: hotline.Level1, Active: true}
	if err := s.AddOperator(ctx, by, &admin); err != nil {
		return nil, fmt.Errorf("hotline: add administrator: %w", err)
	}
	by = hotline.Actor{Login: admin.Login, OperatorID: admin.ID, Role: hotline.RoleAdministrator}
	ids := make([]int64, 0, len(exts))
	for _, ext := range exts {
		o := hotline.Operator{Name: "Operator " + ext, Login: "op" + ext, Role: hotline.RoleOperator,
			Level: hotline.Level1, Extension: ext, Active: true}
		if err := s.AddOperator(ctx, by, &o); err != nil {
			return nil, fmt.Errorf("hotline: add operator %s: %w", ext, err)
		}
		ids = append(ids, o.ID)
	}
	return ids, nil
}

func (h *hotlineSystem) Ready(ctx context.Context) error {
	for _, id := range h.ids {
		if err := h.api.Login(ctx, id); err != nil {
			return fmt.Errorf("hotline: log operator %d in: %w", id, err)
		}
	}
	return nil
}

func (h *hotlineSystem) Journal(ctx context.Context, from time.Time) (int, int, bool, error) {
	s, err := journal.Open(ctx, h.dbPath(), journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, 0, true, fmt.Errorf("hotline: journal: %w", err)
	}
	defer s.Close()
	recs, err := s.CallRecords(ctx, from.Add(-time.Second), time.Time{})
	if err != nil {
		return 0, 0, true, fmt.Errorf("hotline: read calls: %w", err)
	}
	calls := make(map[string]bool)
	for _, r := range recs {
		calls[r.CallID] = true
	}
	return len(calls), len(recs), true, nil
}

func (h *hotlineSystem) Stop(ctx context.Context) error {
	if h.kamailio != nil {
		// After the daemon: its calls end first.
		defer h.kamailio.Stop()
	}
	if h.cmd == nil {
		return nil
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-h.done:
		h.done <- err
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 0) {
			return fmt.Errorf("hotline serve ended with %w: see %s", err, filepath.Join(h.dir, "hotline.log"))
		}
		return nil
	case <-time.After(20 * time.Second):
		_ = h.cmd.Process.Kill()
		return errors.New("hotline serve did not stop within 20 s of SIGTERM: killed")
	case <-ctx.Done():
		_ = h.cmd.Process.Kill()
		return context.Cause(ctx)
	}
}

// cleanup removes the daemon's directory (journal, config, log) unless the run failed: then its
// log is kept for reading.
func (h *hotlineSystem) cleanup(failed bool) {
	if h.dir == "" {
		return
	}
	if failed || h.keep {
		h.log.Warn("hotline's files are kept", "dir", h.dir, "failed", failed)
		return
	}
	_ = os.RemoveAll(h.dir)
}

// queueSystem is the same call through plain app_queue: extension 200 in [hotline-inbound]
// (Answer, the same greeting, Queue(bench) with music on hold, MixMonitor recording of the bridge);
// operators join the queue as dynamic members (CLI "queue add member" over AMI), as hotline's log in.
type queueSystem struct {
	sb    Sandbox
	queue string
	log   *slog.Logger
	ami   *ami.Client
	exts  []string
}

func (q *queueSystem) Name() string    { return "app_queue" }
func (q *queueSystem) Number() string  { return "200" }
func (q *queueSystem) HotlinePID() int { return 0 }
func (q *queueSystem) Journal(context.Context, time.Time) (int, int, bool, error) {
	return 0, 0, false, nil
}

func (q *queueSystem) Start(ctx context.Context, exts []string) error {
	c, err := ami.Dial(ctx, ami.Config{Addr: q.sb.AMIAddr, Username: q.sb.AMIUser, Secret: q.sb.AMIPassword,
		Auth: ami.AuthMD5, Logger: q.log})
	if err != nil {
		return fmt.Errorf("app_queue: ami: %w", err)
	}
	q.ami = c
	q.exts = exts
	return nil
}

func (q *queueSystem) Ready(ctx context.Context) error {
	for _, ext := range q.exts {
		iface := "PJSIP/" + ext
		// A member left by an interrupted run would make the add fail: remove it first.
		_, _ = q.ami.Command(ctx, fmt.Sprintf("queue remove member %s from %s", iface, q.queue))
		// The CLI command through AMI's Command action: the sandbox's AMI user may run commands
		// but not QueueAdd (agent permission), and the effect is the same dynamic member.
		out, err := q.ami.Command(ctx, fmt.Sprintf("queue add member %s to %s penalty 0 as %s state_interface %s", iface, q.queue, ext, iface))
		if err != nil {
			return fmt.Errorf("app_queue: add member %s: %w", iface, err)
		}
		if !strings.Contains(out, "Added interface") {
			return fmt.Errorf("app_queue: add member %s: %s", iface, out)
		}
	}
	return nil
}

func (q *queueSystem) Stop(ctx context.Context) error {
	if q.ami == nil {
		return nil
	}
	var errs []error
	for _, ext := range q.exts {
		if _, err := q.ami.Command(ctx, fmt.Sprintf("queue remove member PJSIP/%s from %s", ext, q.queue)); err != nil {
			errs = append(errs, fmt.Errorf("app_queue: QueueRemove %s: %w", ext, err))
		}
	}
	errs = append(errs, q.ami.Close())
	return errors.Join(errs...)
}

// freeLoopbackAddr returns a 127.0.0.1 port free now (the daemon binds it a moment later).
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// HeapProfile writes hotline serve's heap profile, taken after a garbage collection (gc=1, so
// what is in use is what is still reachable), to heapDir/name; nothing without a heapDir.
func (h *hotlineSystem) HeapProfile(ctx context.Context, name string) (string, error) {
	if h.heapDir == "" {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/heap?gc=1", h.metricsAddr)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("heap profile: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("heap profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("heap profile: %s: %s", url, res.Status)
	}
	if err := os.MkdirAll(h.heapDir, 0o755); err != nil {
		return "", fmt.Errorf("heap profile: %w", err)
	}
	path := filepath.Join(h.heapDir, name)
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("heap profile: %w", err)
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("heap profile: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("heap profile: %s: %w", path, err)
	}
	return path, nil
}

// StartProfile takes a CPU profile of hotline serve through its /debug/pprof/profile, for
// profileFor (30 s by default), into h.profile.
func (h *hotlineSystem) StartProfile(ctx context.Context) <-chan struct{} {
	if h.profile == "" {
		return nil
	}
	done := make(chan struct{})
	secs := int(max(h.profileFor, time.Second).Seconds())
	if h.profileFor == 0 {
		secs = 30
	}
	go func() {
		defer close(done)
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", h.metricsAddr, secs)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			h.log.Error("hotline profile", "err", err)
			return
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			h.log.Error("hotline profile", "url", url, "err", err)
			return
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			h.log.Error("hotline profile", "url", url, "status", res.Status)
			return
		}
		f, err := os.Create(h.profile)
		if err != nil {
			h.log.Error("hotline profile", "err", err)
			return
		}
		if _, err := io.Copy(f, res.Body); err != nil {
			h.log.Error("hotline profile", "path", h.profile, "err", err)
		}
		if err := f.Close(); err != nil {
			h.log.Error("hotline profile", "path", h.profile, "err", err)
		}
		h.log.Info("hotline CPU profile written", "path", h.profile, "seconds", secs)
	}()
	return done
}
