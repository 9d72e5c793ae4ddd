package loadgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/config"
)

func TestNodesSystemNames(t *testing.T) {
	for _, tc := range []struct {
		name    string
		nodes   int
		hotline bool
	}{
		{"hotline", 0, true},
		{"app_queue", 0, false},
		{NodesSystem(1), 1, true},
		{NodesSystem(2), 2, true},
		{"hotline-2-node", 0, false}, // not the name NodesSystem gives
		{"hotline-0-nodes", 0, false},
		{"hotline-x-nodes", 0, false},
	} {
		if got := nodesOf(tc.name); got != tc.nodes {
			t.Errorf("nodesOf(%q) = %d, want %d", tc.name, got, tc.nodes)
		}
		if got := isHotline(tc.name); got != tc.hotline {
			t.Errorf("isHotline(%q) = %v, want %v", tc.name, got, tc.hotline)
		}
	}
}

func TestValidateNodes(t *testing.T) {
	o := DefaultOptions()
	o.Sandbox = Sandbox{SIPAddr: "127.0.0.1:5660", AMIAddr: "127.0.0.1:5638", ARIURL: "http://127.0.0.1:8688/ari", Root: "/x"}
	node := func(name, sip string) Node {
		return Node{Name: name, Sandbox: Sandbox{SIPAddr: sip, ARIURL: "http://127.0.0.1:8688/ari", Root: "/x"}}
	}
	for _, tc := range []struct {
		name    string
		systems []string
		nodes   []Node
		kam     string
		mode    string
		bad     string // a part of the error; "" for none
	}{
		{"two nodes", []string{NodesSystem(1), NodesSystem(2)}, []Node{node("a", "127.0.0.1:5660"), node("b", "127.0.0.1:5760")}, "127.0.0.106:5060", "fixed", ""},
		{"too few nodes", []string{NodesSystem(2)}, []Node{node("a", "127.0.0.1:5660")}, "127.0.0.106:5060", "fixed", "needs 2 nodes, 1 given"},
		{"kamailio not on loopback", []string{NodesSystem(1)}, []Node{node("a", "127.0.0.1:5660")}, "10.0.0.1:5060", "fixed", "loopback only"},
		{"node not on loopback", []string{NodesSystem(1)}, []Node{node("a", "10.0.0.2:5060")}, "127.0.0.106:5060", "fixed", "node a"},
		{"soak over nodes", []string{NodesSystem(1)}, []Node{node("a", "127.0.0.1:5660")}, "127.0.0.106:5060", "soak", "not nodes"},
		{"unknown system", []string{"hotline-2-node"}, nil, "", "fixed", "system \"hotline-2-node\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := o
			o.Systems, o.Nodes, o.KamailioAddr, o.Mode = tc.systems, tc.nodes, tc.kam, tc.mode
			err := o.Validate()
			switch {
			case tc.bad == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
				t.Errorf("Validate: %v, want an error with %q", err, tc.bad)
			}
		})
	}
}

func TestWriteNodes(t *testing.T) {
	fixed := func(pair, completed int, hot float64, nodes ...NodeShare) *Fixed {
		f := &Fixed{Pair: pair}
		f.Completed, f.HotlineCPUPerCall, f.Nodes = completed, hot, nodes
		return f
	}
	rs := []SystemResult{
		{System: NodesSystem(1), Runs: []*Fixed{fixed(1, 100, 18, NodeShare{Name: "a", SIPAddr: "127.0.0.1:5660", Calls: 100, AsteriskCPUPerCall: 120, AsteriskCPUPerCallNet: 110})}},
		{System: NodesSystem(2), Runs: []*Fixed{fixed(1, 100, 18,
			NodeShare{Name: "a", SIPAddr: "127.0.0.1:5660", Calls: 50, AsteriskCPUPerCall: 140, AsteriskCPUPerCallNet: 121},
			NodeShare{Name: "b", SIPAddr: "127.0.0.1:5760", Calls: 50, AsteriskCPUPerCall: 144, AsteriskCPUPerCallNet: 99})}},
	}
	var b strings.Builder
	if err := writeNodes(&b, rs); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"PER NODE", "127.0.0.1:5760", "a 50.0, b 50.0", "node ×1.18", "net ×1.00", "hotline ×1.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

// The daemon's configuration for each system is one hotline accepts: over two sandbox nodes on one
// host, each node names its own AMI (the default, the node's host with ami.addr's port, would
// name one AMI twice, which the configuration refuses).
func TestHotlineConfigLoads(t *testing.T) {
	sb := func(n int) Sandbox {
		return Sandbox{ARIURL: fmt.Sprintf("http://127.0.0.1:%d/ari", 8088+n), ARIWebsocket: fmt.Sprintf("ws://127.0.0.1:%d/ari/events", 8088+n),
			ARIUser: "hotline", ARIPassword: "secret", ARIApp: "hotline",
			AMIAddr: fmt.Sprintf("127.0.0.1:%d", 5038+n), AMIUser: "hotline", AMIPassword: "secret", SIPAddr: fmt.Sprintf("127.0.0.1:%d", 5060+n)}
	}
	for _, tc := range []struct {
		name  string
		nodes []Node
	}{
		{"one Asterisk", nil},
		{"two nodes", []Node{{Name: "a", Sandbox: sb(0)}, {Name: "b", Sandbox: sb(10)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			h := &hotlineSystem{sb: sb(0), dir: dir, metricsAddr: "127.0.0.1:9999", nodes: tc.nodes, kamailioAddr: "127.0.0.1:5060"}
			path := filepath.Join(dir, "hotline.yaml")
			if err := os.WriteFile(path, []byte(h.config()), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(path, func(string) string { return "" })
			if err != nil {
				t.Fatalf("hotline refuses loadgen's configuration: %v\n%s", err, h.config())
			}
			if len(c.ARI.Nodes) != len(tc.nodes) {
				t.Fatalf("%d nodes configured, want %d", len(c.ARI.Nodes), len(tc.nodes))
			}
			for i, n := range c.ARI.Nodes {
				if n.AMI.Addr != tc.nodes[i].AMIAddr {
					t.Errorf("node %s's AMI = %q, want its own %q", n.Name, n.AMI.Addr, tc.nodes[i].AMIAddr)
				}
			}
		})
	}
}
