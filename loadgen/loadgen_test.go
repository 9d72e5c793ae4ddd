package loadgen_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/loadgen"
)

// The benchmark in small, as a test of correctness and never of speed: ten calls through hotline
// and ten through app_queue, each one completed and heard on both sides, and hotline's journal
// holding a case and a leg for each. No timing is asserted.
func TestLoadgenBothSystemsSmall(t *testing.T) {
	sb := sandbox.Require(t)
	bin := filepath.Join(t.TempDir(), "hotline")
	build := exec.Command("go", "build", "-o", bin, "../cmd/hotline")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build hotline: %v\n%s", err, out)
	}
	o := loadgen.DefaultOptions()
	o.Sandbox = loadgen.Sandbox{
		ARIURL: sb.ARIURL, ARIWebsocket: sb.ARIWebsocket, ARIUser: sb.ARIUser, ARIPassword: sb.ARIPassword, ARIApp: sb.ARIApp,
		AMIAddr: sb.AMIAddr, AMIUser: sb.AMIUser, AMIPassword: sb.AMIPassword,
		SIPAddr: sb.SIPAddr, HandsetPassword: sb.HandsetPassword, Root: sb.Root,
	}
	o.HotlineBin = bin
	// Two interleaved pairs of five calls: hotline, app_queue, hotline, app_queue.
	o.Operators, o.Concurrency, o.Calls, o.Rate, o.Pairs = 3, 5, 5, 5, 2
	o.TalkTime = 2 * time.Second
	o.MaxWait = 2 * time.Minute
	o.Deadline = 8 * time.Minute

	r, err := loadgen.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", table.String())
	if len(r.Systems) != 2 {
		t.Fatalf("%d systems reported, want hotline and app_queue", len(r.Systems))
	}
	for _, s := range r.Systems {
		if s.Error != "" {
			t.Errorf("%s: %s", s.System, s.Error)
		}
		if len(s.Runs) != o.Pairs {
			t.Errorf("%s: %d runs, want one per pair (%d)", s.System, len(s.Runs), o.Pairs)
		}
		for i, f := range s.Runs {
			if f.Pair != i+1 {
				t.Errorf("%s run %d: pair %d", s.System, i, f.Pair)
			}
			// Completed means: answered, greeting heard, the caller heard the operator's tone, the
			// operator heard the caller's, and the operator's hang-up ended the caller's call.
			if f.Attempted != o.Calls || f.Completed != o.Calls {
				t.Errorf("%s pair %d: %d attempted, %d completed of %d calls; failures: %v", s.System, f.Pair, f.Attempted, f.Completed, o.Calls, f.Failures)
			}
			if f.RTPReceived == 0 {
				t.Errorf("%s pair %d: the phones received no RTP", s.System, f.Pair)
			}
			if f.AsteriskCPUSeconds <= 0 || f.AsteriskPeakRSSKB <= 0 {
				t.Errorf("%s pair %d: Asterisk not measured: %+v", s.System, f.Pair, f.Cost)
			}
			if f.Load.Load1Max <= 0 {
				t.Errorf("%s pair %d: machine load not sampled: %+v", s.System, f.Pair, f.Load)
			}
			if s.System != "hotline" {
				if f.ARI != nil {
					t.Errorf("app_queue pair %d: ARI traffic counted: %+v", f.Pair, f.ARI)
				}
				continue
			}
			if f.JournalCalls < o.Calls || f.JournalLegs < o.Calls {
				t.Errorf("hotline pair %d: journal has %d calls and %d legs for %d calls", f.Pair, f.JournalCalls, f.JournalLegs, o.Calls)
			}
			if f.HotlinePeakRSSKB <= 0 {
				t.Errorf("hotline pair %d: its process was not measured: %+v", f.Pair, f.Cost)
			}
			// Every call starts in Stasis once, answered by the dialplan (no answer asked over
			// REST for a caller), and is greeted over REST.
			if f.ARI == nil || f.ARI.EventsByType["StasisStart"] < float64(o.Calls) || f.ARI.RequestsByKind["POST channels/{id}/play/{id}"] < float64(o.Calls) {
				t.Errorf("hotline pair %d: ARI traffic %+v, want ≥ %d StasisStart events and greetings", f.Pair, f.ARI, o.Calls)
			} else if n := f.ARI.RequestsByKind["POST channels/{id}/answer"]; n != 0 {
				t.Errorf("hotline pair %d: %v answers asked over REST, want none (extensions.conf answers before Stasis)", f.Pair, n)
			}
		}
	}
	if len(r.Figures) == 0 || len(r.Targets) == 0 {
		t.Errorf("no medians or targets: %+v %+v", r.Figures, r.Targets)
	}
	if path := os.Getenv("LOADGEN_TEST_JSON"); path != "" {
		if err := r.WriteJSON(path); err != nil {
			t.Error(err)
		}
	}
}

// The nodes benchmark in small: the sandbox instance and the next one (HOTLINE_NODES_SECOND_INSTANCE
// to choose another) restarted as nodes behind Kamailio, as integration-tests/nodes_test.go does;
// six calls through hotline over one node, then over both. Every call completes, each node
// carries some of the two-node run's calls and all of them add up, each node's Asterisk is
// measured apart. No timing is asserted.
func TestLoadgenNodesSmall(t *testing.T) {
	first := sandbox.Require(t)
	b, kam := sandbox.AsNodes(t, first)
	node := func(name string, c sandbox.Config) loadgen.Node {
		return loadgen.Node{Name: name, Sandbox: loadgen.Sandbox{
			ARIURL: c.ARIURL, ARIWebsocket: c.ARIWebsocket, ARIUser: c.ARIUser, ARIPassword: c.ARIPassword, ARIApp: c.ARIApp,
			AMIAddr: c.AMIAddr, AMIUser: c.AMIUser, AMIPassword: c.AMIPassword,
			SIPAddr: c.SIPAddr, HandsetPassword: c.HandsetPassword, Root: c.Root,
		}}
	}
	bin := filepath.Join(t.TempDir(), "hotline")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/hotline").CombinedOutput(); err != nil {
		t.Fatalf("build hotline: %v\n%s", err, out)
	}
	o := loadgen.DefaultOptions()
	o.Nodes = []loadgen.Node{node("a", first), node("b", b)}
	o.Sandbox, o.KamailioAddr, o.HotlineBin = o.Nodes[0].Sandbox, kam, bin
	o.Systems = []string{loadgen.NodesSystem(1), loadgen.NodesSystem(2)}
	o.Operators, o.Concurrency, o.Calls, o.Rate, o.Pairs = 3, 4, 6, 5, 1
	o.TalkTime, o.MaxWait, o.Deadline = 2*time.Second, 2*time.Minute, 8*time.Minute

	r, err := loadgen.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", table.String())
	if !strings.Contains(table.String(), "NODES COMPARED") {
		t.Error("the report has no comparison of the nodes")
	}
	for k, s := range r.Systems {
		if s.Error != "" {
			t.Errorf("%s: %s", s.System, s.Error)
		}
		if len(s.Runs) != 1 {
			t.Fatalf("%s: %d runs, want 1", s.System, len(s.Runs))
		}
		f := s.Runs[0]
		if f.Completed != o.Calls {
			t.Errorf("%s: %d of %d calls completed; failures: %v", s.System, f.Completed, o.Calls, f.Failures)
		}
		if f.JournalCalls < o.Calls || f.HotlineCPUSeconds <= 0 {
			t.Errorf("%s: journal has %d calls for %d; hotline CPU %.2f s", s.System, f.JournalCalls, o.Calls, f.HotlineCPUSeconds)
		}
		if len(f.Nodes) != k+1 {
			t.Fatalf("%s: %d nodes reported, want %d: %+v", s.System, len(f.Nodes), k+1, f.Nodes)
		}
		carried := 0
		for _, nd := range f.Nodes {
			carried += nd.Calls
			if nd.Calls == 0 || nd.AsteriskCPUSeconds <= 0 {
				t.Errorf("%s: node %s carried %d calls, its Asterisk used %.2f s", s.System, nd.Name, nd.Calls, nd.AsteriskCPUSeconds)
			}
		}
		if carried != f.Completed {
			t.Errorf("%s: the nodes carried %d calls, %d completed", s.System, carried, f.Completed)
		}
	}
}
