package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var secrets = map[string]string{"HOTLINE_ARI_PASSWORD": "ari-secret", "HOTLINE_AMI_PASSWORD": "ami-secret"}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPrecedence(t *testing.T) {
	p := writeFile(t, "calls:\n  ring_timeout: 25s\n  strategy: fewest-calls\nari:\n  url: http://127.0.0.1:8188/ari\n")
	e := map[string]string{"HOTLINE_STRATEGY": "round-robin"}
	for k, v := range secrets {
		e[k] = v
	}
	c, err := Load(p, env(e))
	if err != nil {
		t.Fatal(err)
	}
	if c.Calls.RingTimeout != 25*time.Second {
		t.Errorf("file value lost: ring_timeout = %s", c.Calls.RingTimeout)
	}
	if c.Calls.Strategy != "round-robin" {
		t.Errorf("environment must override the file: strategy = %q", c.Calls.Strategy)
	}
	if c.ARI.Websocket != "ws://127.0.0.1:8188/ari/events" {
		t.Errorf("websocket not derived from url: %q", c.ARI.Websocket)
	}
	if c.Calls.WrapUp != Default().Calls.WrapUp {
		t.Errorf("default lost: wrap_up = %s", c.Calls.WrapUp)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		want       []string // every fragment must appear in the error
	}{
		{"unknown key", "calls:\n  ring_timout: 10s\n", nil, []string{"ring_timout"}},
		{"bad duration in file", "calls:\n  wrap_up: ten\n", nil, []string{"line 2", "ten"}},
		{"bad duration in env", "", map[string]string{"HOTLINE_RING_TIMEOUT": "soon"}, []string{"HOTLINE_RING_TIMEOUT", "duration"}},
		{"bad number in env", "", map[string]string{"HOTLINE_MAX_QUEUE": "many"}, []string{"HOTLINE_MAX_QUEUE"}},
		{"missing passwords", "", map[string]string{"HOTLINE_ARI_PASSWORD": "", "HOTLINE_AMI_PASSWORD": ""}, []string{"ari.password", "ami.password"}},
		{"strategy", "calls:\n  strategy: random\n", nil, []string{"calls.strategy", "random"}},
		{"language", "calls:\n  language: de\n", nil, []string{"calls.language"}},
		{"ring timeout too short", "calls:\n  ring_timeout: 1s\n", nil, []string{"calls.ring_timeout"}},
		{"several at once", "calls:\n  overflow: drop\n  max_queue: -1\n", nil, []string{"calls.overflow", "calls.max_queue"}},
		{"ari url", "ari:\n  url: 127.0.0.1:8088\n", nil, []string{"ari.url"}},
		{"priority number", "calls:\n  priority_numbers: ['+7900', 'abc']\n", nil, []string{"priority_numbers[1]"}},
		{"app with comma", "ari:\n  app: hot,line\n", nil, []string{"ari.app"}},
		{"node without a name", "ari:\n  nodes:\n    - url: http://127.0.0.1:8088/ari\n", nil, []string{"ari.nodes[0].name"}},
		{"nodes with one name", "ari:\n  nodes:\n    - {name: a, url: http://127.0.0.1:8088/ari}\n    - {name: a, url: http://127.0.0.2:8088/ari}\n", nil,
			[]string{"ari.nodes[1].name"}},
		{"node url", "ari:\n  nodes:\n    - {name: a, url: 'ftp://x/ari'}\n", nil, []string{"ari.nodes[0].url"}},
		{"node url with a password", "ari:\n  nodes:\n    - {name: a, url: 'http://u:p@x/ari'}\n", nil, []string{"ari.nodes[0].url", "ari.password"}},
		{"node AMI address", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', ami: {addr: 'x'}}\n", nil, []string{"ari.nodes[0].ami.addr"}},
		{"two nodes, one AMI", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', ami: {addr: 'y:5038'}}\n    - {name: b, url: 'http://z/ari', ami: {addr: 'y:5038'}}\n", nil,
			[]string{"ari.nodes[1].ami.addr"}},
		{"node operators without the extension", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', operators: 'PJSIP/1001@kamailio'}\n", nil,
			[]string{"ari.nodes[0].operators"}},
		{"node softphones without the extension", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', operators: 'PJSIP/{extension}@kamailio', softphones: 'PJSIP/9101@kamailio-webrtc'}\n", nil,
			[]string{"ari.nodes[0].softphones"}},
		{"node softphones without operators", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', softphones: 'PJSIP/{extension}@kamailio-webrtc'}\n", nil,
			[]string{"ari.nodes[0].softphones", "beside operators"}},
		{"node softphones without kamailio rpc", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', operators: 'PJSIP/{extension}@kamailio', softphones: 'PJSIP/{extension}@kamailio-webrtc'}\nweb:\n  listen: 127.0.0.1:8080\n  softphone: ws://127.0.0.1:5066/ws\n", nil,
			[]string{"ari.nodes[0].softphones", "needs kamailio.rpc"}},
		{"node lost after", "ari:\n  node_lost_after: 2h\n", nil, []string{"ari.node_lost_after"}},
		{"kamailio rpc not http", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', operators: 'PJSIP/{extension}@kamailio'}\nkamailio:\n  rpc: 'ftp://127.0.0.1:5071/RPC'\n", nil,
			[]string{"kamailio.rpc", "http://"}},
		{"kamailio rpc with a password", "ari:\n  nodes:\n    - {name: a, url: 'http://x/ari', operators: 'PJSIP/{extension}@kamailio'}\nkamailio:\n  rpc: 'http://u:s3cr3t@127.0.0.1:5071/RPC'\n", nil,
			[]string{"kamailio.rpc", "user or password"}},
		{"kamailio rpc without kamailio nodes", "kamailio:\n  rpc: 'http://127.0.0.1:5071/RPC'\n", nil, []string{"kamailio.rpc", "no node"}},
		{"kamailio poll too often", "kamailio:\n  poll: 10ms\n", nil, []string{"kamailio.poll", "500ms"}},
		{"kamailio poll too rarely", "kamailio:\n  poll: 5m\n", nil, []string{"kamailio.poll"}},
		{"queue_log queue forging a line", "export:\n  queue_log_queue: \"hot|line\"\n", nil, []string{"export.queue_log_queue", "'|'"}},
		{"queue_log queue empty", "export:\n  queue_log_queue: \"\"\n", nil, []string{"export.queue_log_queue", "empty"}},
		{"queue_log file is the journal", "journal:\n  path: /var/lib/hotline/hotline.db\nexport:\n  queue_log_file: /var/lib/hotline/hotline.db\n", nil,
			[]string{"export.queue_log_file", "journal's files"}},
		{"standby lease too short", "standby:\n  lease_ttl: 500ms\n  renew: 100ms\n", nil, []string{"standby.lease_ttl"}},
		{"standby renewed too rarely", "standby:\n  lease_ttl: 3s\n  renew: 2s\n", nil, []string{"standby.renew", "half"}},
		{"standby flag not a boolean", "", map[string]string{"HOTLINE_STANDBY": "maybe"}, []string{"HOTLINE_STANDBY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range secrets {
				e[k] = v
			}
			for k, v := range tt.env {
				e[k] = v
			}
			_, err := Load(writeFile(t, tt.file), env(e))
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q prints the password", err)
			}
		})
	}
}

// Nodes take the websocket from their URL and the credentials from ari's when they name none; their
// AMI takes what it leaves out from the ami section, the address as the node's host and ami.addr's
// port.
func TestLoadNodes(t *testing.T) {
	c, err := Load(writeFile(t, "ari:\n  nodes:\n    - {name: a, url: 'http://127.0.0.1:8088/ari', operators: 'PJSIP/{extension}@kamailio'}\n"+
		"    - {name: b, url: 'https://10.0.0.2/ari', user: other, password: p2, ami: {addr: '10.0.0.3:5039', password: p3}}\n"+
		"    - {name: c, url: 'http://10.0.0.9:8088/ari', ami: {user: c-user}}\n"), env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	want := []ARINode{
		{Name: "a", URL: "http://127.0.0.1:8088/ari", Websocket: "ws://127.0.0.1:8088/ari/events", User: "hotline", Password: "ari-secret",
			Operators: "PJSIP/{extension}@kamailio", AMI: AMI{Addr: "127.0.0.1:5038", User: "hotline", Password: "ami-secret"}},
		{Name: "b", URL: "https://10.0.0.2/ari", Websocket: "wss://10.0.0.2/ari/events", User: "other", Password: "p2",
			AMI: AMI{Addr: "10.0.0.3:5039", User: "hotline", Password: "p3"}},
		{Name: "c", URL: "http://10.0.0.9:8088/ari", Websocket: "ws://10.0.0.9:8088/ari/events", User: "hotline", Password: "ari-secret",
			AMI: AMI{Addr: "10.0.0.9:5038", User: "c-user", Password: "ami-secret"}},
	}
	if !reflect.DeepEqual(c.ARI.Nodes, want) {
		t.Errorf("nodes\n %+v\nwant\n %+v", c.ARI.Nodes, want)
	}
}

func TestEmptyFileIsDefaults(t *testing.T) {
	c, err := Load(writeFile(t, ""), env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Calls, Default().Calls) {
		t.Errorf("empty file changed call settings")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c, err := Load("", env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, c)
		if strings.Contains(out, "ari-secret") || strings.Contains(out, "ami-secret") {
			t.Errorf("%s printed a secret: %s", format, out)
		}
	}
	if c.ARI.Password.Reveal() != "ari-secret" {
		t.Errorf("Reveal = %q", c.ARI.Password.Reveal())
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), env(secrets))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v; want it to name the file", err)
	}
}

// The example file documents every key with its default: it must load, equal the defaults, and name
// every environment variable.
func TestExampleFileIsDefaults(t *testing.T) {
	data, err := os.ReadFile("../hotline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := map[string]string{}
	for k, v := range secrets {
		e[k] = v
	}
	c, err := Load("../hotline.example.yaml", env(e))
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	d.ARI.Password, d.AMI.Password = "ari-secret", "ami-secret"
	d.ARI.Websocket = c.ARI.Websocket
	if d.Calls.PriorityNumbers == nil {
		d.Calls.PriorityNumbers = c.Calls.PriorityNumbers
	}
	if !reflect.DeepEqual(c, d) {
		t.Errorf("hotline.example.yaml differs from Default():\n file: %+v\n code: %+v", c, d)
	}
	for _, name := range EnvVars() {
		if !strings.Contains(string(data), name) {
			t.Errorf("hotline.example.yaml does not document %s", name)
		}
	}
}

// Every mistake is reported, each once, in the order of the documentation (hotline.example.yaml),
// the same every time: the keys were checked in map order, so two runs of --check on the same file
// listed them differently.
func TestValidateReportsInOrder(t *testing.T) {
	p := writeFile(t, "ari:\n  url: x\n  websocket: y\ncalls:\n  announce_interval: -1s\n  wrap_up: -1s\n  max_wait: -1s\n  owner_wait: -1s\n  skill_fallback: -1s\n  recording_retention: -1s\n")
	want := []string{"ari.url:", "ari.websocket:", "calls.announce_interval:", "calls.wrap_up:", "calls.max_wait:", "calls.owner_wait:",
		"calls.skill_fallback:", "calls.recording_retention:"}
	for range 20 {
		_, err := Load(p, env(secrets))
		if err == nil {
			t.Fatal("loaded")
		}
		msg, at := err.Error(), -1
		for _, w := range want {
			i := strings.Index(msg, w)
			if i <= at || strings.Count(msg, w) != 1 {
				t.Fatalf("want each of %q once, in that order; got:\n%s", want, msg)
			}
			at = i
		}
	}
}

// Whatever the file holds, Load returns a valid configuration or an error, the same every time;
// it never panics.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("calls:\n  ring_timeout: 25s\n"))
	f.Add([]byte("ari: [1, 2]\n"))
	f.Add([]byte("calls:\n  priority_numbers: ['+7', '']\n  max_queue: 99999999999999999999\n"))
	f.Add([]byte("\x00\xff: &a [*a, *a]\n"))
	f.Add([]byte("ari:\n  url: x\n  websocket: y\ncalls:\n  wrap_up: -1s\n  max_wait: -1s\n  owner_wait: -1s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "hotline.yaml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p, env(secrets))
		if c2, err2 := Load(p, env(secrets)); fmt.Sprint(err) != fmt.Sprint(err2) || !reflect.DeepEqual(c, c2) {
			t.Fatalf("the same file loads differently twice:\n%v\n%v", err, err2)
		}
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Load accepted a configuration Validate refuses: %v", verr)
			}
		}
	})
}
