// Package loadgen is hotline's load benchmark: it runs the same calls through hotline and through a
// plain Asterisk app_queue dialplan on the same Asterisk, with real SIP phones (integration-tests/
// sipphone: sipgo and pion/rtp) on both sides, and reports cost, speed and capacity of each.
//
// Callers dial at a set rate and send a 440 Hz tone; operator handsets register, auto-answer and
// send 1000 Hz; each side measures what it hears. An operator talks for a set time and hangs up,
// becomes free after the wrap-up, and the time until its handset rings again (while callers wait)
// is the dispatch latency: measured at the phones, the same way for both systems.
//
// CPU is measured per process: Asterisk from /proc/<pid>/stat of the sandbox's asterisk, hotline
// from /proc of its own `hotline serve` process (started by the generator, never in-process), and
// the generator itself by getrusage. Everything talks to 127.0.0.1 only and every run is bounded in
// calls, level and time.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Options describe one benchmark invocation.
type Options struct {
	Sandbox Sandbox
	// HotlineBin is the hotline binary run as `hotline serve` (a separate process).
	HotlineBin string
	// Systems to run, in order: "hotline", "app_queue".
	Systems []string
	// Mode: "fixed" (Calls at Concurrency), "capacity" (ramp until the first failure), "both", or
	// "soak" (hotline only: calls at Concurrency for SoakFor, its memory, goroutines and fds watched).
	Mode string
	// Pairs is how many times the fixed load runs each system, interleaved (hotline, app_queue,
	// hotline, app_queue...): on a shared machine one pair cannot tell 1.0× from 1.2×, so the
	// figures are medians over the pairs, with their spread.
	Pairs int
	// SoakFor is how long the soak's calls run.
	SoakFor time.Duration

	Operators   int           // handsets 1001...; at most 60 (the sandbox's)
	Concurrency int           // fixed mode: callers in flight
	Calls       int           // fixed mode: calls in all
	Rate        float64       // new calls per second at most
	TalkTime    time.Duration // how long an operator talks before hanging up
	// TalkJitter spreads each talk time uniformly over TalkTime × (1 ± TalkJitter). Without it
	// every operator hangs up a whole number of seconds after being rung, which phase-locks with
	// app_queue's one-second polling and makes its dispatch look like a constant.
	TalkJitter float64
	WrapUp     time.Duration // after each call; must match queues.conf [bench] wrapuptime
	MaxWait    time.Duration // a caller not connected by then fails

	Step, StartLevel, MaxLevel int           // capacity mode: +Step concurrent calls from StartLevel up to MaxLevel
	Interval                   time.Duration // capacity mode: time at each level
	DispatchLimit              time.Duration // capacity mode: a level fails when dispatch p99 exceeds this
	Deadline                   time.Duration // the whole invocation at most

	// NoRecord runs hotline with record_calls off: not the same work as app_queue (which records
	// every call), only to measure what recording costs Asterisk.
	NoRecord bool

	// KeepFiles keeps hotline's temp directory (config, journal, log); DebugHotline makes it log at
	// debug level. Both for finding out why a figure is what it is.
	KeepFiles, DebugHotline bool
	// Profile, if set, is where a CPU profile of hotline serve is written: ProfileFor of it (30 s
	// if 0) from the first call on, taken through its /debug/pprof/ (metrics.pprof).
	Profile    string
	ProfileFor time.Duration
	// HeapProfiles, if set (soak only), is a directory where hotline serve's heap profiles are
	// written at the soak's warm sample and at its end (warm.heap, end.heap), for
	// go tool pprof -diff_base warm.heap end.heap: what grew with the calls served.
	HeapProfiles string

	// Nodes, when set, are Asterisk nodes behind Kamailio (docs/scaling.md): sandbox instances
	// started with HOTLINE_SANDBOX_KAMAILIO=KamailioAddr. The systems named by NodesSystem(k) run
	// hotline with ari.nodes = the first k of them, Kamailio (started by the run, its dispatcher over
	// those k) in front: callers dial Kamailio, the handsets register with it.
	Nodes        []Node
	KamailioAddr string

	Log *slog.Logger
}

// Node is one Asterisk node of a nodes run.
type Node struct {
	Name string // "a", "b"…: the name in hotline's ari.nodes
	Sandbox
}

// NodesSystem is the name of the system that runs hotline over the first k nodes behind Kamailio.
func NodesSystem(k int) string {
	if k == 1 {
		return "hotline-1-node"
	}
	return fmt.Sprintf("hotline-%d-nodes", k)
}

// nodesOf is how many nodes a system name runs over (0: not a nodes system).
func nodesOf(name string) int {
	var k int
	if _, err := fmt.Sscanf(name, "hotline-%d-node", &k); err == nil && k > 0 && name == NodesSystem(k) {
		return k
	}
	return 0
}

// isHotline says whether the system is a hotline daemon (one Asterisk or nodes), with its own
// process, counters and journal.
func isHotline(name string) bool { return name == "hotline" || nodesOf(name) > 0 }

// DefaultOptions is the scenario: 100 concurrent calls, 20 operators.
func DefaultOptions() Options {
	return Options{
		Systems: []string{"hotline", "app_queue"}, Mode: "fixed", Pairs: 3, SoakFor: 30 * time.Minute,
		Operators: 20, Concurrency: 100, Calls: 300, Rate: 10,
		TalkTime: 5 * time.Second, TalkJitter: 0.2, WrapUp: 0, MaxWait: 5 * time.Minute,
		Step: 10, StartLevel: 10, MaxLevel: 300, Interval: 30 * time.Second, DispatchLimit: 2 * time.Second,
		Deadline: 60 * time.Minute,
	}
}

// Validate checks the options before anything starts.
func (o Options) Validate() error {
	var errs []error
	if o.Sandbox.SIPAddr == "" || o.Sandbox.AMIAddr == "" || o.Sandbox.ARIURL == "" {
		errs = append(errs, errors.New("sandbox settings incomplete (eval \"$(asterisk-conf/sandbox env)\")"))
	}
	if !strings.HasPrefix(o.Sandbox.SIPAddr, "127.") {
		errs = append(errs, fmt.Errorf("SIP address %q: the load generator sends only to 127.0.0.0/8", o.Sandbox.SIPAddr))
	}
	if o.Operators < 1 || o.Operators > 60 {
		errs = append(errs, fmt.Errorf("operators: 1..60 (the sandbox's handsets 1001-1060), not %d", o.Operators))
	}
	if o.Mode != "fixed" && o.Mode != "capacity" && o.Mode != "both" && o.Mode != "soak" {
		errs = append(errs, fmt.Errorf("mode: fixed, capacity, both or soak, not %q", o.Mode))
	}
	if o.Pairs < 1 || o.Pairs > 7 {
		errs = append(errs, fmt.Errorf("pairs: 1..7, not %d", o.Pairs))
	}
	if o.Mode == "soak" && (o.SoakFor < 30*time.Second || o.SoakFor+5*time.Minute > o.Deadline) {
		errs = append(errs, fmt.Errorf("soak: at least 30s and 5 minutes under the deadline (%s), not %s", o.Deadline, o.SoakFor))
	}
	if o.Concurrency < 1 || o.Calls < 1 || o.Rate <= 0 {
		errs = append(errs, errors.New("concurrency, calls and rate must be positive"))
	}
	if o.Step < 1 || o.StartLevel < 1 || o.MaxLevel < o.StartLevel || o.Interval < 5*time.Second || o.DispatchLimit <= 0 {
		errs = append(errs, errors.New("capacity: step and start level ≥ 1, max level ≥ start level, interval ≥ 5s, dispatch limit > 0"))
	}
	if o.WrapUp < 0 || o.WrapUp%time.Second != 0 {
		errs = append(errs, fmt.Errorf("wrap-up: whole seconds (app_queue's wrapuptime is), not %s", o.WrapUp))
	}
	if o.TalkTime < time.Second || o.TalkJitter < 0 || o.TalkJitter >= 1 || o.MaxWait < 10*time.Second || o.Deadline <= 0 {
		errs = append(errs, errors.New("talk time ≥ 1s, talk jitter in [0, 1), max wait ≥ 10s, deadline > 0"))
	}
	for _, s := range o.Systems {
		k := nodesOf(s)
		switch {
		case s == "hotline" || s == "app_queue":
		case k > 0 && k > len(o.Nodes):
			errs = append(errs, fmt.Errorf("system %q needs %d nodes, %d given", s, k, len(o.Nodes)))
		case k > 0:
			if !strings.HasPrefix(o.KamailioAddr, "127.") {
				errs = append(errs, fmt.Errorf("kamailio address %q: loopback only", o.KamailioAddr))
			}
			if o.Mode == "soak" {
				errs = append(errs, errors.New("soak: hotline on one Asterisk only, not nodes"))
			}
		default:
			errs = append(errs, fmt.Errorf("system %q: hotline, app_queue or %s, %s…", s, NodesSystem(1), NodesSystem(2)))
		}
	}
	for _, n := range o.Nodes {
		if !strings.HasPrefix(n.SIPAddr, "127.") || n.ARIURL == "" || n.Root == "" {
			errs = append(errs, fmt.Errorf("node %s: sandbox settings incomplete or not on loopback", n.Name))
		}
	}
	if len(o.Systems) == 0 {
		errs = append(errs, errors.New("no system to run"))
	}
	return errors.Join(errs...)
}

// Machine is where the numbers were taken.
type Machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	Kernel   string `json:"kernel,omitempty"`
	Note     string `json:"note"`
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Note: "shared with other engineers' work while measured: numbers are noisy"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// Cost is what a window of calls cost each process.
type Cost struct {
	AsteriskCPUSeconds  float64 `json:"asterisk_cpu_s"`
	AsteriskCPUPerCall  float64 `json:"asterisk_cpu_ms_per_call"`
	AsteriskPeakRSSKB   int64   `json:"asterisk_peak_rss_kb"`
	HotlineCPUSeconds   float64 `json:"hotline_cpu_s,omitempty"`
	HotlineCPUPerCall   float64 `json:"hotline_cpu_ms_per_call,omitempty"`
	HotlinePeakRSSKB    int64   `json:"hotline_peak_rss_kb,omitempty"`
	SystemCPUPerCall    float64 `json:"system_cpu_ms_per_call"` // Asterisk + hotline
	GeneratorCPUSeconds float64 `json:"generator_cpu_s"`
	PeakNote            string  `json:"peak_note"`
	// Idle: CPU ms per second each process used just before the calls, handsets registered.
	AsteriskIdleMsPerS float64 `json:"asterisk_idle_cpu_ms_per_s"`
	HotlineIdleMsPerS  float64 `json:"hotline_idle_cpu_ms_per_s,omitempty"`
	// HotlineCPUPerCallNet is hotline's CPU per call less what it would have used idle meanwhile.
	HotlineCPUPerCallNet float64 `json:"hotline_cpu_ms_per_call_net_of_idle,omitempty"`
	// Context switches per call of the threads alive at the window's end (Asterisk's threads
	// that ended meanwhile are not counted: a floor for it). Each is a thread put to sleep or
	// preempted and later woken, which in this VM costs more than most of a call's own work.
	AsteriskSwitchesPerCall float64 `json:"asterisk_context_switches_per_call,omitempty"`
	HotlineSwitchesPerCall  float64 `json:"hotline_context_switches_per_call,omitempty"`
	// HotlineSysmonPerCall is the CPU per call of the Go runtime's sysmon thread, part of
	// HotlineCPUPerCall that a pprof profile never shows.
	HotlineSysmonPerCall float64 `json:"hotline_sysmon_cpu_ms_per_call,omitempty"`
	// Nodes: with several Asterisk nodes, what each carried and what its Asterisk cost.
	Nodes []NodeShare `json:"nodes,omitempty"`
}

// NodeShare is one node's part of a run: the calls it carried (completed calls whose caller was
// answered by it, from the Contact of its 200 OK) and its Asterisk's CPU.
type NodeShare struct {
	Name               string  `json:"name"`
	SIPAddr            string  `json:"sip_addr"`
	Calls              int     `json:"calls"`
	AsteriskCPUSeconds float64 `json:"asterisk_cpu_s"`
	AsteriskCPUPerCall float64 `json:"asterisk_cpu_ms_per_call_carried"`
	// IdleMsPerS: the node's Asterisk CPU ms per second before the calls (handsets registered,
	// Kamailio's OPTIONS every second); AsteriskCPUPerCallNet: per call carried, that idle left out.
	IdleMsPerS            float64 `json:"asterisk_idle_cpu_ms_per_s"`
	AsteriskCPUPerCallNet float64 `json:"asterisk_cpu_ms_per_call_carried_net_of_idle"`
}

// Fixed is one system's fixed-load result.
type Fixed struct {
	summary
	Cost
	Seconds           float64 `json:"seconds"`
	JournalCalls      int     `json:"journal_calls,omitempty"`
	JournalLegs       int     `json:"journal_legs,omitempty"`
	JournalWritesPerS float64 `json:"journal_writes_per_s,omitempty"`
	JournalNote       string  `json:"journal_note,omitempty"`
	// Pair is which interleaved pair the run belongs to (1...).
	Pair int         `json:"pair"`
	Load MachineLoad `json:"machine_load"`
	// ARI is the traffic between Asterisk and hotline over the run (hotline only).
	ARI *ARITraffic `json:"ari,omitempty"`
	// HotlineDispatch: dispatch's parts as hotline measured them (its hotline_dispatch_seconds), by
	// part: delivery, inbox, loop, hotline, request, total (dispatchparts.go); hotline only.
	HotlineDispatch map[string]DispatchPart `json:"hotline_dispatch,omitempty"`
	// HotlineRuntime: hotline's Go runtime per call (allocations, goroutines, wake-ups); hotline only.
	HotlineRuntime *GoRuntime `json:"hotline_runtime,omitempty"`
	// Bridges: the technology Asterisk chose for the calls' bridges, listed every 2 s.
	Bridges BridgeUse `json:"bridges"`
	// DispatchSamples: each dispatch with when its handset rang, to lay beside what else the
	// daemon did at that moment (hotline-lab workplace's requests: docs/benchmark.md, session 15).
	DispatchSamples []DispatchSample `json:"dispatch_samples_at,omitempty"`
}

// DispatchSample is one dispatch: the handset rang at At, Ms after its operator became free.
type DispatchSample struct {
	At time.Time `json:"at"`
	Ms float64   `json:"ms"`
}

// GoRuntime is what hotline's Go runtime did per completed call over a run, from the daemon's Go
// metrics (go_memstats_*, go_sched_*). The scheduler records the latency of one in eight of each
// goroutine's moves from runnable to running (runtime.gTrackingPeriod): Wakeups is that count
// times eight, an estimate of the goroutines woken (or resumed) a call.
type GoRuntime struct {
	AllocsPerCall     float64 `json:"allocs_per_call"`
	AllocKBPerCall    float64 `json:"alloc_kb_per_call"`
	GoroutinesPerCall float64 `json:"goroutines_created_per_call"`
	WakeupsPerCall    float64 `json:"wakeups_per_call"`
	GCPerCall         float64 `json:"gc_cycles_per_call"`
}

// ARITraffic is what ARI carried over a run, read from the daemon's counters (hotline_ari_*).
type ARITraffic struct {
	Events          float64            `json:"events"`
	Requests        float64            `json:"rest_requests"`
	Bytes           float64            `json:"event_bytes"`
	Copies          float64            `json:"event_copies"` // of Events, copies hotline dropped unread (one per subscription an event reached)
	EventsPerCall   float64            `json:"events_per_call"`
	CopiesPerCall   float64            `json:"event_copies_per_call"`
	RequestsPerCall float64            `json:"rest_requests_per_call"`
	KBPerCall       float64            `json:"event_kb_per_call"`
	EventsByType    map[string]float64 `json:"events_by_type"`
	RequestsByKind  map[string]float64 `json:"rest_requests_by_kind"`
	// Connections: the REST connections hotline dialled and closed, by event (dialled, closed_idle...).
	Connections    map[string]float64 `json:"rest_connections,omitempty"`
	DialledPerCall float64            `json:"rest_connections_dialled_per_call"`
}

// Step is one level of a capacity ramp.
type Step struct {
	Level int `json:"level"`
	summary
	AsteriskCPUSeconds float64     `json:"asterisk_cpu_s"`
	HotlineCPUSeconds  float64     `json:"hotline_cpu_s,omitempty"`
	Failure            string      `json:"failure,omitempty"` // why this level failed
	Load               MachineLoad `json:"machine_load"`
}

// Capacity is one system's ramp.
type Capacity struct {
	Reached  int    `json:"reached"` // the highest level passed (0: even the first failed)
	FailedAt int    `json:"failed_at,omitempty"`
	Why      string `json:"why"`
	Steps    []Step `json:"steps"`
}

// SystemResult is everything measured for one system.
type SystemResult struct {
	System string `json:"system"`
	Number string `json:"number"`
	// Runs are the fixed-load runs, one per pair, in order.
	Runs     []*Fixed  `json:"runs,omitempty"`
	Capacity *Capacity `json:"capacity,omitempty"`
	Soak     *Soak     `json:"soak,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Report is one invocation's result.
type Report struct {
	Started time.Time      `json:"started"`
	Command string         `json:"command"`
	Machine Machine        `json:"machine"`
	Options map[string]any `json:"options"`
	Systems []SystemResult `json:"systems"`
	Figures []Figure       `json:"figures"` // medians and spread over the pairs
	Ratios  Ratios         `json:"ratios"`
	Targets []Target       `json:"targets"`
}

// Run runs the benchmark and returns its report. A system that fails to start is reported with
// its error and the others still run.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Deadline)
	defer cancel()
	r := &Report{Started: time.Now().UTC(), Machine: machine(), Options: map[string]any{
		"operators": o.Operators, "concurrency": o.Concurrency, "calls": o.Calls, "rate_per_s": o.Rate,
		"talk_time": o.TalkTime.String(), "talk_jitter": o.TalkJitter, "wrap_up": o.WrapUp.String(), "max_wait": o.MaxWait.String(),
		"mode": o.Mode, "pairs": o.Pairs, "hotline_records": !o.NoRecord, "soak": o.SoakFor.String(), "dispatch_limit": o.DispatchLimit.String(), "step": o.Step, "start_level": o.StartLevel, "max_level": o.MaxLevel, "interval": o.Interval.String(),
	}}
	exts := make([]string, o.Operators)
	for i := range exts {
		exts[i] = fmt.Sprintf("%d", 1001+i)
	}
	for _, name := range o.Systems {
		r.Systems = append(r.Systems, SystemResult{System: name})
	}
	addErr := func(res *SystemResult, err error) {
		if err != nil {
			res.Error = strings.TrimPrefix(res.Error+"; "+err.Error(), "; ")
		}
	}
	// The CPU profile is of hotline's first session only (the first fixed run, else the ramp or the
	// soak): later sessions would overwrite it.
	profile := o.Profile
	o.Profile = ""
	withProfile := func(system string) Options {
		ro := o
		if system == "hotline" && profile != "" {
			ro.Profile, profile = profile, ""
		}
		return ro
	}
	// Caller numbers: 79, the system, the pair (8: capacity, 9: soak), six digits: distinct per run.
	if o.Mode == "fixed" || o.Mode == "both" {
		for p := 0; p < o.Pairs && ctx.Err() == nil; p++ {
			for i := range r.Systems {
				res := &r.Systems[i]
				f, num, err := runFixed(ctx, withProfile(res.System), res.System, exts, fmt.Sprintf("79%d%d", i+1, p))
				if f != nil {
					f.Pair = p + 1
					res.Runs = append(res.Runs, f)
				}
				if num != "" {
					res.Number = num
				}
				addErr(res, err)
				if ctx.Err() != nil {
					break
				}
			}
		}
	}
	if o.Mode == "capacity" || o.Mode == "both" {
		for i := range r.Systems {
			if ctx.Err() != nil {
				break
			}
			res := &r.Systems[i]
			c, num, err := runCapacity(ctx, withProfile(res.System), res.System, exts, fmt.Sprintf("79%d8", i+1))
			res.Capacity = c
			if num != "" {
				res.Number = num
			}
			addErr(res, err)
		}
	}
	if o.Mode == "soak" {
		for i := range r.Systems {
			res := &r.Systems[i]
			if res.System != "hotline" || ctx.Err() != nil {
				continue // the soak watches hotline's process; app_queue has none of its own
			}
			sk, num, err := runSoak(ctx, withProfile(res.System), res.System, exts, fmt.Sprintf("79%d9", i+1))
			res.Soak, res.Number = sk, num
			addErr(res, err)
		}
	}
	r.Figures, r.Ratios, r.Targets = evaluate(o, r.Systems)
	return r, nil
}

func newSystem(o Options, name string) system {
	if isHotline(name) {
		h := &hotlineSystem{sb: o.Sandbox, bin: o.HotlineBin, wrapUp: o.WrapUp, noRecord: o.NoRecord, keep: o.KeepFiles, debug: o.DebugHotline, log: o.Log,
			profile: o.Profile, profileFor: o.ProfileFor, heapDir: o.HeapProfiles, name: name}
		if k := nodesOf(name); k > 0 {
			h.nodes, h.kamailioAddr = o.Nodes[:k], o.KamailioAddr
		}
		return h
	}
	return &queueSystem{sb: o.Sandbox, queue: "bench", log: o.Log}
}

// session is a system brought up with its handsets registered and operators ready.
type session struct {
	sys      system
	w        *workload
	stopOps  context.CancelFunc
	ops      *sync.WaitGroup
	nodes    []Node // the Asterisks the calls run on: the sandbox, or the system's nodes
	astPIDs  []int  // by node
	hotPID   int
	astMeter []*procMeter
	hotMeter *procMeter
	self0    time.Duration
	t0       time.Time
	astIdle  float64   // CPU ms per second with no call (every node's Asterisk together)
	nodeIdle []float64 // the same, by node
	hotIdle  float64
	load     *loadMeter
	bridges  *bridgeWatcher
	metrics0 series                  // the daemon's counters when the calls started (hotline only)
	dispatch map[string]DispatchPart // dispatch's parts on hotline's side over the run, from ariTraffic's scrape
	runtime  *GoRuntime              // hotline's Go runtime over the run, from ariTraffic's scrape
	profiled <-chan struct{}         // closed when the system's CPU profile is written; nil: none
}

// idleWindow is how long the idle CPU is measured: CPU time comes in 10 ms ticks, so a few
// seconds are needed for a figure of a few ms per second.
const idleWindow = 5 * time.Second

func open(ctx context.Context, o Options, name string, exts []string, prefix string) (*session, error) {
	sys := newSystem(o, name)
	if err := sys.Start(ctx, exts); err != nil {
		_ = sys.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	nodes := []Node{{Sandbox: o.Sandbox}}
	phonesAt := o.Sandbox
	if k := nodesOf(name); k > 0 {
		// Callers dial Kamailio and the handsets register with it (it asks no password).
		nodes = o.Nodes[:k]
		phonesAt.SIPAddr = o.KamailioAddr
	}
	w := newWorkload(phonesAt, sys.Number(), prefix, o.TalkTime, o.WrapUp, o.MaxWait, o.Log)
	w.jitter = o.TalkJitter
	if err := w.register(ctx, exts); err != nil {
		_ = sys.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := sys.Ready(ctx); err != nil {
		w.close()
		_ = sys.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	octx, stopOps := context.WithCancel(ctx)
	s := &session{sys: sys, w: w, stopOps: stopOps, ops: w.operators(octx), hotPID: sys.HotlinePID(), nodes: nodes}
	var err error
	for _, n := range nodes {
		pid, err := n.AsteriskPID()
		if err != nil {
			s.close(ctx)
			return nil, fmt.Errorf("asterisk pid: %w", err)
		}
		s.astPIDs = append(s.astPIDs, pid)
	}
	// Let Asterisk's device states and hotline's presence settle before the first caller, and
	// measure meanwhile what each process costs with registered handsets and no call: its idle.
	a0 := make([]time.Duration, len(s.astPIDs))
	for i, pid := range s.astPIDs {
		a0[i], _ = procCPU(pid)
	}
	var h0, h1 time.Duration
	if s.hotPID > 0 {
		h0, _ = procCPU(s.hotPID)
	}
	sleep(ctx, idleWindow)
	var aIdle time.Duration
	for i, pid := range s.astPIDs {
		a1, _ := procCPU(pid)
		aIdle += a1 - a0[i]
		s.nodeIdle = append(s.nodeIdle, float64((a1-a0[i]).Milliseconds())/idleWindow.Seconds())
	}
	if s.hotPID > 0 {
		h1, _ = procCPU(s.hotPID)
	}
	s.astIdle, s.hotIdle = float64(aIdle.Milliseconds())/idleWindow.Seconds(), float64((h1-h0).Milliseconds())/idleWindow.Seconds()
	for _, pid := range s.astPIDs {
		m, err := startMeter(pid)
		if err != nil {
			s.close(ctx)
			return nil, err
		}
		s.astMeter = append(s.astMeter, m)
	}
	if s.hotMeter, err = startMeter(s.hotPID); err != nil {
		s.close(ctx)
		return nil, err
	}
	if m, ok := sys.(metricsSource); ok {
		if s.metrics0, err = m.Metrics(ctx); err != nil {
			s.close(ctx)
			return nil, err
		}
	}
	s.self0, s.t0 = selfCPU(), time.Now()
	s.load = startLoadMeter(ctx)
	s.bridges = watchBridges(ctx, o.Sandbox, o.Log)
	if p, ok := sys.(profiler); ok {
		s.profiled = p.StartProfile(ctx)
	}
	return s, nil
}

// asteriskCPU is the CPU every node's Asterisk has used so far, together.
func (s *session) asteriskCPU() (time.Duration, error) {
	var sum time.Duration
	for _, pid := range s.astPIDs {
		c, err := procCPU(pid)
		if err != nil {
			return 0, err
		}
		sum += c
	}
	return sum, nil
}

// metricsSource is a system whose process exports Prometheus metrics (hotline serve).
type metricsSource interface {
	Metrics(ctx context.Context) (series, error)
}

// ariTraffic is the ARI traffic since the calls started, from the daemon's counters; nil for a
// system without them.
func (s *session) ariTraffic(ctx context.Context, completed int) (*ARITraffic, error) {
	m, ok := s.sys.(metricsSource)
	if !ok || s.metrics0 == nil {
		return nil, nil
	}
	m1, err := m.Metrics(ctx)
	if err != nil {
		return nil, err
	}
	s.dispatch = dispatchPartsOf(s.metrics0, m1)
	s.runtime = runtimeOf(s.metrics0, m1, completed)
	t := &ARITraffic{
		EventsByType:   delta(s.metrics0.by("hotline_ari_events_by_type_total", "type"), m1.by("hotline_ari_events_by_type_total", "type")),
		RequestsByKind: delta(s.metrics0.by("hotline_ari_requests_total", "kind"), m1.by("hotline_ari_requests_total", "kind")),
	}
	if dialled := m1.by("hotline_ari_rest_connections_dialled_total", "app"); len(dialled) > 0 { // a daemon that counts them
		t.Connections = map[string]float64{"dialled": sum(delta(s.metrics0.by("hotline_ari_rest_connections_dialled_total", "app"), dialled))}
		for reason, n := range delta(s.metrics0.by("hotline_ari_rest_connections_closed_total", "reason"), m1.by("hotline_ari_rest_connections_closed_total", "reason")) {
			t.Connections["closed_"+reason] = n
		}
	}
	t.Events, t.Requests = sum(t.EventsByType), sum(t.RequestsByKind)
	t.Bytes = sum(delta(s.metrics0.by("hotline_ari_event_bytes_total", "app"), m1.by("hotline_ari_event_bytes_total", "app")))
	t.Copies = sum(delta(s.metrics0.by("hotline_ari_event_copies_total", "app"), m1.by("hotline_ari_event_copies_total", "app")))
	if completed > 0 {
		t.EventsPerCall, t.RequestsPerCall = t.Events/float64(completed), t.Requests/float64(completed)
		t.CopiesPerCall = t.Copies / float64(completed)
		t.KBPerCall = t.Bytes / 1024 / float64(completed)
		t.DialledPerCall = t.Connections["dialled"] / float64(completed)
	}
	return t, nil
}

// runtimeOf is hotline's Go runtime per call between two scrapes; nil without calls or without
// the scheduler's metrics (an older daemon).
func runtimeOf(m0, m1 series, completed int) *GoRuntime {
	const created = "go_sched_goroutines_created_goroutines_total"
	if _, ok := m1[created]; !ok || completed == 0 {
		return nil
	}
	per := func(metric string) float64 { return (m1.get(metric) - m0.get(metric)) / float64(completed) }
	return &GoRuntime{
		AllocsPerCall:     per("go_memstats_mallocs_total"),
		AllocKBPerCall:    per("go_memstats_alloc_bytes_total") / 1024,
		GoroutinesPerCall: per(created),
		WakeupsPerCall:    8 * per("go_sched_latencies_seconds_count"),
		GCPerCall:         per("go_gc_duration_seconds_count"),
	}
}

// profiler is a system that can profile itself while the calls run.
type profiler interface {
	// StartProfile starts a CPU profile; the channel is closed when it is written (or failed).
	StartProfile(ctx context.Context) <-chan struct{}
}

func (s *session) close(ctx context.Context) error {
	if s.bridges != nil {
		s.bridges.finish()
	}
	if s.load != nil {
		s.load.finish(0)
	}
	if s.profiled != nil {
		<-s.profiled // the profile needs the process until it is written
	}
	s.stopOps()
	s.ops.Wait()
	s.w.close()
	return s.sys.Stop(context.WithoutCancel(ctx))
}

// cost reads the meters; completed divides CPU into per-call figures.
func (s *session) cost(completed int) (Cost, error) {
	var c Cost
	var ast time.Duration
	var astPeak int64
	var astSwitches int64
	carried := s.w.completedByServer()
	for i, m := range s.astMeter {
		tu, err := m.threads()
		if err != nil {
			return c, err
		}
		astSwitches += tu.Switches
		cpu, peak, err := m.stop()
		if err != nil {
			return c, err
		}
		ast += cpu
		astPeak = max(astPeak, peak)
		if len(s.astMeter) > 1 || s.nodes[i].Name != "" {
			n := NodeShare{Name: s.nodes[i].Name, SIPAddr: s.nodes[i].SIPAddr, Calls: carried[s.nodes[i].SIPAddr], AsteriskCPUSeconds: cpu.Seconds()}
			if i < len(s.nodeIdle) {
				n.IdleMsPerS = s.nodeIdle[i]
			}
			if n.Calls > 0 {
				n.AsteriskCPUPerCall = 1000 * n.AsteriskCPUSeconds / float64(n.Calls)
				// A node costs its idle every second whatever it carries: with more nodes each
				// carries fewer calls over the same time, so the gross figure grows by that alone.
				idle := n.IdleMsPerS * time.Since(s.t0).Seconds() / 1000
				n.AsteriskCPUPerCallNet = max(0, 1000*(n.AsteriskCPUSeconds-idle)/float64(n.Calls))
			}
			c.Nodes = append(c.Nodes, n)
		}
	}
	hotThreads, err := s.hotMeter.threads()
	if err != nil {
		return c, err
	}
	hot, hotPeak, err := s.hotMeter.stop()
	if err != nil {
		return c, err
	}
	c.AsteriskCPUSeconds, c.AsteriskPeakRSSKB = ast.Seconds(), astPeak
	c.HotlineCPUSeconds, c.HotlinePeakRSSKB = hot.Seconds(), hotPeak
	c.GeneratorCPUSeconds = (selfCPU() - s.self0).Seconds()
	if len(s.astMeter) > 0 && s.astMeter[0] != nil {
		c.PeakNote = s.astMeter[0].peakNote
	}
	if len(s.astMeter) > 1 {
		c.PeakNote += "; Asterisk's: the highest node's"
	}
	c.AsteriskIdleMsPerS, c.HotlineIdleMsPerS = s.astIdle, s.hotIdle
	if completed > 0 {
		idle := s.hotIdle * time.Since(s.t0).Seconds() / 1000
		c.HotlineCPUPerCallNet = max(0, 1000*(c.HotlineCPUSeconds-idle)/float64(completed))
		c.AsteriskCPUPerCall = 1000 * c.AsteriskCPUSeconds / float64(completed)
		c.HotlineCPUPerCall = 1000 * c.HotlineCPUSeconds / float64(completed)
		c.SystemCPUPerCall = c.AsteriskCPUPerCall + c.HotlineCPUPerCall
		c.AsteriskSwitchesPerCall = float64(astSwitches) / float64(completed)
		c.HotlineSwitchesPerCall = float64(hotThreads.Switches) / float64(completed)
		c.HotlineSysmonPerCall = 1000 * hotThreads.Sysmon.Seconds() / float64(completed)
	}
	return c, nil
}

func runFixed(ctx context.Context, o Options, name string, exts []string, prefix string) (*Fixed, string, error) {
	o.Log.Info("fixed load: start", "system", name, "calls", o.Calls, "concurrency", o.Concurrency, "operators", len(exts))
	s, err := open(ctx, o, name, exts, prefix)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	s.w.drive(ctx, ctx, func() int { return o.Concurrency }, o.Rate, o.Calls)
	bridges := s.bridges.finish()
	s.w.settle(ctx)
	elapsed := time.Since(s.t0)
	sum := s.w.summarize(time.Time{}, time.Time{})
	f := &Fixed{summary: sum, Seconds: elapsed.Seconds(), Bridges: bridges, DispatchSamples: s.w.dispatchSamples()}
	var errs []error
	f.ARI, err = s.ariTraffic(ctx, sum.Completed)
	f.HotlineDispatch = s.dispatch
	f.HotlineRuntime = s.runtime
	errs = append(errs, err)
	f.Cost, err = s.cost(sum.Completed)
	f.Load = s.load.finish(seconds(f.AsteriskCPUSeconds + f.HotlineCPUSeconds + f.GeneratorCPUSeconds))
	errs = append(errs, err, s.close(ctx))
	// The journal is read after the daemon stopped: every row it flushed on SIGTERM is counted.
	calls, legs, ok, jerr := s.sys.Journal(ctx, s.t0)
	errs = append(errs, jerr)
	if ok {
		f.JournalCalls, f.JournalLegs = calls, legs
		f.JournalWritesPerS = float64(calls+legs) / elapsed.Seconds()
		f.JournalNote = "call and leg rows written during the run ÷ its duration"
	} else {
		f.JournalNote = "app_queue keeps no case journal"
	}
	if c, ok := s.sys.(interface{ cleanup(failed bool) }); ok {
		c.cleanup(errors.Join(errs...) != nil)
	}
	o.Log.Info("fixed load: done", "system", name, "completed", sum.Completed, "failed", sum.Failed)
	return f, s.sys.Number(), errors.Join(errs...)
}

// runCapacity ramps the level every Interval until a level fails: a failed call, RTP loss over
// 1 % or dispatch p99 over DispatchLimit (1 s) among the calls that ended at that level.
func runCapacity(ctx context.Context, o Options, name string, exts []string, prefix string) (*Capacity, string, error) {
	o.Log.Info("capacity: start", "system", name, "from", o.StartLevel, "step", o.Step, "to", o.MaxLevel)
	s, err := open(ctx, o, name, exts, prefix)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	var mu sync.Mutex
	level := o.StartLevel
	cur := func() int { mu.Lock(); defer mu.Unlock(); return level }
	cctx, cancelCalls := context.WithCancel(ctx)
	stop, stopStarting := context.WithCancel(cctx)
	driven := make(chan struct{})
	go func() { s.w.drive(cctx, stop, cur, o.Rate, 0); close(driven) }()

	c := &Capacity{}
	astPrev, _ := s.asteriskCPU()
	var hotPrev time.Duration
	if s.hotPID > 0 {
		hotPrev, _ = procCPU(s.hotPID)
	}
	s.load.finish(0)
	s.bridges.finish()
	genPrev := selfCPU()
	for from := time.Now(); ; {
		lm := startLoadMeter(ctx)
		if !sleep(ctx, o.Interval) {
			lm.finish(0)
			c.Why = "deadline reached"
			break
		}
		to := time.Now()
		st := Step{Level: cur(), summary: s.w.summarize(from, to)}
		if a, err := s.asteriskCPU(); err == nil {
			st.AsteriskCPUSeconds, astPrev = (a - astPrev).Seconds(), a
		}
		if s.hotPID > 0 {
			if h, err := procCPU(s.hotPID); err == nil {
				st.HotlineCPUSeconds, hotPrev = (h - hotPrev).Seconds(), h
			}
		}
		gen := selfCPU()
		st.Load = lm.finish(seconds(st.AsteriskCPUSeconds+st.HotlineCPUSeconds) + gen - genPrev)
		genPrev = gen
		switch {
		case st.Failed > 0:
			st.Failure = fmt.Sprintf("%d failed calls: %v", st.Failed, st.Failures)
		case st.RTPLossPercent > 1:
			st.Failure = fmt.Sprintf("RTP loss %.2f %% > 1 %%", st.RTPLossPercent)
		case st.DispatchN > 0 && st.Dispatch.P99 > float64(o.DispatchLimit.Milliseconds()):
			st.Failure = fmt.Sprintf("dispatch p99 %.0f ms > %s", st.Dispatch.P99, o.DispatchLimit)
		}
		c.Steps = append(c.Steps, st)
		o.Log.Info("capacity: step", "system", name, "level", st.Level, "completed", st.Completed, "failed", st.Failed,
			"loss%", st.RTPLossPercent, "dispatch_p99_ms", st.Dispatch.P99, "failure", st.Failure)
		if st.Failure != "" {
			c.FailedAt, c.Why = st.Level, st.Failure
			break
		}
		c.Reached = st.Level
		if st.Level >= o.MaxLevel {
			c.Why = "max level reached without failure"
			break
		}
		mu.Lock()
		level = min(level+o.Step, o.MaxLevel)
		mu.Unlock()
		from = to
	}
	stopStarting()
	// Calls still in flight are cut: they are past the last measured window.
	cancelCalls()
	<-driven
	err = s.close(ctx)
	if c, ok := s.sys.(interface{ cleanup(failed bool) }); ok {
		c.cleanup(err != nil)
	}
	return c, s.sys.Number(), err
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
