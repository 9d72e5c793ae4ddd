package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/loadgen"
	"github.com/spf13/cobra"
)

func newLoadgenCmd() *cobra.Command {
	o := loadgen.DefaultOptions()
	var systems, jsonPath, bin, kamailio string
	var verbose bool
	var nodes int
	cmd := &cobra.Command{
		Use:   "loadgen",
		Short: "Load benchmark: the same calls through hotline and through app_queue, with real SIP phones",
		Long: `loadgen runs simulated callers (440 Hz) and operator handsets (1000 Hz) against the sandbox
Asterisk, through hotline (a separate 'hotline serve' process it starts, dial 100) and through a plain
app_queue dialplan (dial 200, queue [bench]) in turn, --pairs times each (hotline, app_queue, hotline,
app_queue...), and reports calls completed and failed, setup rate, answer to greeting, dispatch
latency, queue wait, RTP loss, CPU per call and peak RSS of Asterisk and of hotline apart, ARI events
and REST requests per call, journal writes per second, the load average, steal time and other
processes' CPU during each run (a run is marked disturbed when the neighbours were busy), each
figure's median and spread over the pairs, the ratios, and PASS/FAIL against issue 23's targets.
The hotline it runs is --hotline-bin, by default the hotline binary beside hotline-lab (make builds
both into bin/), else the one on PATH.

--mode capacity ramps concurrent calls by --step every --interval until the first failure (a failed
call, RTP loss over 1 %, dispatch p99 over --dispatch-limit, 2 s) or --max-level. --mode soak keeps
--concurrency calls through hotline for --soak and compares its RSS, goroutines and open fds at the
start and the end. Everything stays on 127.0.0.1.
Settings come from the environment as 'asterisk-conf/sandbox env' prints them (see docs/benchmark.md).`,
		Example: "  eval \"$(asterisk-conf/sandbox env)\" && bin/hotline-lab loadgen --calls 300 --concurrency 100 --operators 20 --json bench.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sb, err := sandbox.Load()
			if err != nil {
				return hotline.Wrapf(hotline.EUNAVAILABLE, err, "%v", err)
			}
			// The benchmark's calls and a test run's would mix on one instance, as two test runs'.
			if err := sb.Lock(); err != nil {
				return hotline.Wrapf(hotline.EUNAVAILABLE, err, "%v", err)
			}
			o.Sandbox = loadgen.Sandbox{
				ARIURL: sb.ARIURL, ARIWebsocket: sb.ARIWebsocket, ARIUser: sb.ARIUser, ARIPassword: sb.ARIPassword, ARIApp: sb.ARIApp,
				AMIAddr: sb.AMIAddr, AMIUser: sb.AMIUser, AMIPassword: sb.AMIPassword,
				SIPAddr: sb.SIPAddr, HandsetPassword: sb.HandsetPassword, Root: sb.Root,
			}
			if nodes > 0 {
				if o.Nodes, o.KamailioAddr, err = loadNodes(cmd.Context(), sb, nodes, kamailio); err != nil {
					return err
				}
				// One node, then all of them, interleaved pair by pair: the same load on each.
				systems = loadgen.NodesSystem(1)
				if nodes > 1 {
					systems += "," + loadgen.NodesSystem(nodes)
				}
			}
			self, _ := os.Executable() // unknown: only --hotline-bin and PATH are looked at
			if o.HotlineBin, err = hotlineBin(bin, self); err != nil {
				return err
			}
			o.Systems = splitList(systems)
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			o.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			if err := o.Validate(); err != nil {
				return hotline.Wrapf(hotline.EINVALID, err, "loadgen: %v", err)
			}
			r, err := loadgen.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			r.Command = strings.Join(os.Args, " ")
			if jsonPath != "" {
				if err := r.WriteJSON(jsonPath); err != nil {
					return err
				}
			}
			return r.WriteTable(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&systems, "systems", strings.Join(o.Systems, ","), "systems to run, in order: hotline, app_queue")
	f.StringVar(&o.Mode, "mode", o.Mode, "fixed (--calls at --concurrency, --pairs times each system, interleaved), capacity (ramp until the first failure), both, or soak (hotline only, --soak long)")
	f.IntVar(&o.Pairs, "pairs", o.Pairs, "fixed: runs of each system, interleaved (hotline, app_queue, hotline...); figures are medians over them")
	f.DurationVar(&o.SoakFor, "soak", o.SoakFor, "soak: how long the calls run while hotline's RSS, goroutines and open fds are watched")
	f.IntVar(&o.Operators, "operators", o.Operators, "operator handsets (1001...), at most 60")
	f.IntVar(&o.Concurrency, "concurrency", o.Concurrency, "fixed: callers in flight")
	f.IntVar(&o.Calls, "calls", o.Calls, "fixed: calls in all, per system")
	f.Float64Var(&o.Rate, "rate", o.Rate, "new calls per second at most")
	f.DurationVar(&o.TalkTime, "talk", o.TalkTime, "how long an operator talks before hanging up")
	f.Float64Var(&o.TalkJitter, "talk-jitter", o.TalkJitter, "spread talk times uniformly over talk × (1 ± this), so hang-ups do not phase-lock with app_queue's 1 s polling")
	f.DurationVar(&o.WrapUp, "wrap-up", o.WrapUp, "wrap-up after each call (whole seconds; queues.conf [bench] wrapuptime must match: 0 there)")
	f.DurationVar(&o.MaxWait, "max-wait", o.MaxWait, "a caller not connected to an operator by then fails")
	f.IntVar(&o.StartLevel, "start-level", o.StartLevel, "capacity: first level of concurrent calls")
	f.IntVar(&o.Step, "step", o.Step, "capacity: concurrent calls added at each step")
	f.DurationVar(&o.Interval, "interval", o.Interval, "capacity: time at each level")
	f.IntVar(&o.MaxLevel, "max-level", o.MaxLevel, "capacity: stop here even without a failure")
	f.DurationVar(&o.DispatchLimit, "dispatch-limit", o.DispatchLimit, "capacity: a level fails when dispatch p99 exceeds this")
	f.DurationVar(&o.Deadline, "deadline", o.Deadline, "the whole run at most")
	f.BoolVar(&o.NoRecord, "no-record", false, "run hotline with recording off: not app_queue's work, only to measure what recording costs Asterisk")
	f.BoolVar(&o.KeepFiles, "keep", false, "keep hotline's temp directory (config, journal, log) after the run")
	f.BoolVar(&o.DebugHotline, "debug-hotline", false, "run hotline serve with debug logging (costs it CPU)")
	f.StringVar(&jsonPath, "json", "", "also write the report as JSON to this file")
	f.StringVar(&o.Profile, "profile", "", "write a CPU profile of hotline serve to this file (go tool pprof FILE), taken from the first call on")
	f.StringVar(&o.HeapProfiles, "heap-profiles", "", "soak: write hotline serve's heap profiles at the warm sample and at the end (warm.heap, end.heap) into this directory")
	f.DurationVar(&o.ProfileFor, "profile-for", 30*time.Second, "how long the CPU profile runs")
	f.StringVar(&bin, "hotline-bin", "", "the hotline binary to run as 'hotline serve' (default: hotline beside hotline-lab, else on PATH)")
	f.IntVar(&nodes, "nodes", 0, "compare hotline over one Asterisk node with hotline over this many (2…9), Kamailio in front (started by the run): the sandbox instance and the next ones, each started with HOTLINE_SANDBOX_KAMAILIO (docs/scaling.md); replaces --systems")
	f.StringVar(&kamailio, "kamailio", "", "with --nodes: Kamailio's SIP address (default 127.0.0.(100+instance):5060, what the nodes were started with)")
	f.BoolVarP(&verbose, "verbose", "v", false, "debug logs (SIP phones) on stderr")
	return cmd
}

// loadNodes reads the settings of the n sandbox instances from sb's on (a, b, …), checks that each
// was started as a node behind Kamailio at kamailio (default 127.0.0.(100+instance):5060) and
// locks the others as sb is locked.
func loadNodes(ctx context.Context, sb sandbox.Config, n int, kamailio string) ([]loadgen.Node, string, error) {
	first, err := strconv.Atoi(sb.Instance)
	if err != nil {
		return nil, "", hotline.Errorf(hotline.EINVALID, "loadgen: --nodes needs HOTLINE_SANDBOX_INSTANCE (the first node's instance)")
	}
	if n < 1 || first+n-1 > 9 {
		return nil, "", hotline.Errorf(hotline.EINVALID, "loadgen: --nodes %d from instance %d: instances go up to 9", n, first)
	}
	if kamailio == "" {
		kamailio = fmt.Sprintf("127.0.0.%d:5060", 100+first)
	}
	var nodes []loadgen.Node
	for i := range n {
		c := sb
		if i > 0 {
			if c, err = sandbox.LoadInstance(ctx, strconv.Itoa(first+i)); err != nil {
				return nil, "", hotline.Wrapf(hotline.EUNAVAILABLE, err, "loadgen: node %d: %v", i+1, err)
			}
			if err := c.Lock(); err != nil {
				return nil, "", hotline.Wrapf(hotline.EUNAVAILABLE, err, "%v", err)
			}
		}
		// A node takes calls from Kamailio only when started so (pjsip_kamailio.conf installed).
		b, err := os.ReadFile(filepath.Join(c.Root, "etc", "asterisk", "pjsip_kamailio.conf"))
		if err != nil || !strings.Contains(string(b), kamailio) {
			return nil, "", hotline.Errorf(hotline.EUNAVAILABLE,
				"loadgen: sandbox instance %d is not a node behind Kamailio at %s: restart it with HOTLINE_SANDBOX_INSTANCE=%d HOTLINE_SANDBOX_KAMAILIO=%s asterisk-conf/sandbox restart",
				first+i, kamailio, first+i, kamailio)
		}
		nodes = append(nodes, loadgen.Node{Name: string(rune('a' + i)), Sandbox: loadgen.Sandbox{
			ARIURL: c.ARIURL, ARIWebsocket: c.ARIWebsocket, ARIUser: c.ARIUser, ARIPassword: c.ARIPassword, ARIApp: c.ARIApp,
			AMIAddr: c.AMIAddr, AMIUser: c.AMIUser, AMIPassword: c.AMIPassword,
			SIPAddr: c.SIPAddr, HandsetPassword: c.HandsetPassword, Root: c.Root,
		}})
	}
	return nodes, kamailio, nil
}

// hotlineBin is the hotline binary the benchmark runs as a separate `hotline serve`: the one given,
// else the one built beside hotline-lab's executable self (bin/), else the one on PATH. Since hotline-lab is not
// hotline, its own executable will not do.
func hotlineBin(given, self string) (string, error) {
	if given != "" {
		return given, nil
	}
	if self != "" {
		beside := filepath.Join(filepath.Dir(self), "hotline")
		if st, err := os.Stat(beside); err == nil && st.Mode().IsRegular() {
			return beside, nil
		}
	}
	path, err := exec.LookPath("hotline")
	if err != nil {
		return "", hotline.Errorf(hotline.EINVALID, "loadgen: no hotline binary beside hotline-lab or on PATH: build it (make build) or give --hotline-bin")
	}
	return path, nil
}
