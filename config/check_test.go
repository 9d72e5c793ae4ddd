package config

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withSecrets is the test environment: the passwords, and whatever else the case sets.
func withSecrets(extra map[string]string) func(string) string {
	e := map[string]string{}
	for k, v := range secrets {
		e[k] = v
	}
	for k, v := range extra {
		e[k] = v
	}
	return env(e)
}

// Mistakes that the validation alone finds, each naming its key, and never echoing a secret.
func TestValidationRefuses(t *testing.T) {
	dir := t.TempDir()
	j := filepath.Join(dir, "j.db")
	tests := []struct {
		name, file string
		env        map[string]string
		want       []string // every fragment must appear in the error
	}{
		{"spool is the journal", "journal:\n  path: " + j + "\n  spool: " + j + "\n", nil, []string{"journal.spool", "the journal"}},
		{"spool is the journal spelt another way", "journal:\n  path: " + j + "\n  spool: " + dir + "/./sub/../j.db\n", nil, []string{"journal.spool", "the journal"}},
		{"spool is the journal, relative and absolute", "journal:\n  path: j.db\n  spool: ./j.db\n", nil, []string{"journal.spool"}},
		{"spool is the journal's WAL", "journal:\n  path: " + j + "\n  spool: " + j + "-wal\n", nil, []string{"journal.spool", "-wal"}},
		{"spool is the journal's shared memory", "journal:\n  path: " + j + "\n  spool: " + j + "-shm\n", nil, []string{"journal.spool", "-shm"}},
		{"spool's lock is the journal", "journal:\n  path: " + j + ".lock\n  spool: " + j + "\n", nil, []string{"journal.spool"}},
		{"spool names a directory", "journal:\n  path: " + j + "\n  spool: " + dir + "/\n", nil, []string{"journal.spool", "directory"}},
		{"socket is the journal", "journal:\n  path: " + j + "\napi:\n  socket: " + j + "\n", nil, []string{"api.socket", "journal"}},
		{"password in the ARI URL", "ari:\n  url: http://hotline:Pw9sEcReT@127.0.0.1:8088/ari\n", nil, []string{"ari.url", "ari.user and ari.password"}},
		{"softphone not a websocket", "web:\n  softphone: https://pbx.example.org/ws\n", nil, []string{"web.softphone", "ws://"}},
		{"softphone plain ws to another machine", "", map[string]string{"HOTLINE_WEB_SOFTPHONE": "ws://pbx.example.org:8088/ws"}, []string{"web.softphone", "wss://"}},
		{"password in the ARI URL from the environment", "", map[string]string{"HOTLINE_ARI_URL": "http://hotline:Pw9sEcReT@127.0.0.1:8088/ari"}, []string{"ari.url"}},
		{"password in an unparsable ARI URL", "ari:\n  url: \"http://hotline:Pw9 sEcReT@127.0.0.1:8088/ari\"\n", nil, []string{"ari.url"}},
		{"password in the websocket URL", "ari:\n  websocket: ws://u:Pw9sEcReT@127.0.0.1:8088/ari/events\n", nil, []string{"ari.websocket"}},
		{"metrics on every interface", "metrics:\n  listen: 0.0.0.0:9464\n", nil, []string{"metrics.listen", "metrics.public"}},
		{"metrics on every interface, no host", "metrics:\n  listen: :9464\n", nil, []string{"metrics.listen", "metrics.public"}},
		{"metrics on a public address", "metrics:\n  listen: 192.0.2.10:9464\n", nil, []string{"metrics.listen"}},
		{"metrics on a host name", "metrics:\n  listen: monitoring.example:9464\n", nil, []string{"metrics.listen"}},
		{"pprof stays on loopback even when public", "metrics:\n  listen: 0.0.0.0:9464\n  public: true\n  pprof: true\n", nil, []string{"metrics.pprof"}},
		{"workplace on every interface", "web:\n  listen: 0.0.0.0:8080\n", nil, []string{"web.listen", "web.public", "reverse proxy"}},
		{"workplace on every interface, no host", "web:\n  listen: :8080\n", nil, []string{"web.listen"}},
		{"workplace on a public address from the environment", "", map[string]string{"HOTLINE_WEB_LISTEN": "192.0.2.10:443"}, []string{"web.listen"}},
		{"workplace not host:port", "web:\n  listen: 8080\n", nil, []string{"web.listen", "host:port"}},
		{"public workplace without TLS", "web:\n  listen: 0.0.0.0:8443\n  public: true\n", nil, []string{"web.public", "tls_cert"}},
		{"certificate without its key", "web:\n  tls_cert: /etc/hotline/web.crt\n", nil, []string{"web.tls_cert", "web.tls_key"}},
		{"key without its certificate", "", map[string]string{"HOTLINE_WEB_TLS_KEY": "/etc/hotline/web.key"}, []string{"web.tls_cert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.file), withSecrets(tt.env))
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if tt.name == "password in the ARI URL" && strings.Contains(err.Error(), "ari.websocket") {
				t.Errorf("the websocket derived from ari.url is blamed too: %q", err)
			}
			if strings.Contains(err.Error(), "Pw9") || strings.Contains(err.Error(), "sEcReT") {
				t.Errorf("the error prints the password: %q", err)
			}
		})
	}
}

// What is allowed next to those refusals.
func TestValidationAccepts(t *testing.T) {
	dir := t.TempDir()
	for _, file := range []string{
		"journal:\n  path: " + dir + "/j.db\n  spool: " + dir + "/j.db.spool\n",
		"journal:\n  path: " + dir + "/j.db\n  spool: " + dir + "/spool/writes\n",
		"metrics:\n  listen: 0.0.0.0:9464\n  public: true\n",
		"metrics:\n  listen: '[::1]:9464'\n  pprof: true\n",
		"metrics:\n  listen: localhost:9464\n",
		"metrics:\n  listen: ''\n",
		"web:\n  listen: ''\n",
		"web:\n  listen: '[::1]:8443'\n  tls_cert: /etc/hotline/web.crt\n  tls_key: /etc/hotline/web.key\n",
		"web:\n  listen: 0.0.0.0:8443\n  public: true\n  tls_cert: /etc/hotline/web.crt\n  tls_key: /etc/hotline/web.key\n",
		"ari:\n  url: https://pbx.example:8089/ari\n",
	} {
		if _, err := Load(writeFile(t, file), withSecrets(nil)); err != nil {
			t.Errorf("%q: %v", file, err)
		}
	}
	if _, err := Load("", withSecrets(map[string]string{"HOTLINE_METRICS_LISTEN": "0.0.0.0:9464", "HOTLINE_METRICS_PUBLIC": "true"})); err != nil {
		t.Errorf("public metrics from the environment: %v", err)
	}
	if c, err := Load("", withSecrets(map[string]string{"HOTLINE_WEB_LISTEN": "127.0.0.1:9090"})); err != nil || c.Web.Listen != "127.0.0.1:9090" {
		t.Errorf("the workplace's address from the environment: %q, %v", c.Web.Listen, err)
	}
}

// A password YAML would read as something else — an alias, a tag, an anchor, a comment, null —
// is refused with a message to quote it that does not show it; quoted, it loads as written.
func TestSecretsYAMLWouldChange(t *testing.T) {
	tests := []struct {
		name, value string // as written after "password: "
	}{
		{"alias to no anchor", "*Qz7secret"},
		{"alias to an anchor", "*Qz7a\nx_anchor: &Qz7a Qz7value"},
		{"tag alone", "!Qz7tag"},
		{"tag and text", "!Qz7a Qz7b"},
		{"binary tag", "!!binary UXo3c2VjcmV0"},
		{"int tag", "!!int Qz7abc"},
		{"anchor", "&Qz7a Qz7b"},
		{"comment", "Qz7a #Qz7b"},
		{"null", "null"},
		{"tilde", "~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, key := range []string{"ari", "ami"} {
				file := key + ":\n  password: " + tt.value + "\n"
				_, err := Load(writeFile(t, file), withSecrets(nil))
				if err == nil {
					t.Fatalf("%s: loaded; want a refusal", key)
				}
				msg := err.Error()
				if !strings.Contains(msg, "quote") {
					t.Errorf("%s: error %q does not say to quote the value", key, msg)
				}
				if !strings.Contains(msg, key+".password") && !strings.Contains(msg, "line 2") {
					t.Errorf("%s: error %q names neither the key nor its line", key, msg)
				}
				for _, secret := range []string{"Qz7", "UXo3c2VjcmV0"} {
					if strings.Contains(msg, secret) {
						t.Errorf("%s: error %q shows the password", key, msg)
					}
				}
			}
		})
	}
	// Quoted, each is the password it looks like.
	for _, tt := range []struct{ yaml, want string }{
		{`"*Qz7secret"`, "*Qz7secret"},
		{`'!Qz7a Qz7b'`, "!Qz7a Qz7b"},
		{`"&Qz7a"`, "&Qz7a"},
		{`'Qz7a #Qz7b'`, "Qz7a #Qz7b"},
		{`"null"`, "null"},
		{`"Qz7a"   # a comment after a quoted password is a comment`, "Qz7a"},
		{`Qz7a#Qz7b`, "Qz7a#Qz7b"},
	} {
		c, err := Load(writeFile(t, "ari:\n  password: "+tt.yaml+"\n"), env(map[string]string{"HOTLINE_AMI_PASSWORD": "x"}))
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		if got := c.ARI.Password.Reveal(); got != tt.want {
			t.Errorf("%s: password %q, want %q", tt.yaml, got, tt.want)
		}
	}
}

// Text values other than secrets are refused the same way when YAML would change them.
func TestTextYAMLWouldChange(t *testing.T) {
	for _, file := range []string{
		"ari:\n  app: !foo hotline\n",
		"calls:\n  greeting: &g sound:x\n",
		"calls:\n  priority_numbers: [!!binary Kzc5MDA=]\n",
	} {
		_, err := Load(writeFile(t, file), withSecrets(nil))
		if err == nil || !strings.Contains(err.Error(), "quote") {
			t.Errorf("%q: err = %v; want a refusal saying to quote it", file, err)
		}
	}
}

// Every mistake the file and the environment hold is reported at once: unknown keys, bad values,
// values YAML would change, invalid settings.
func TestEveryMistakeAtOnce(t *testing.T) {
	file := "ari:\n  password: !Qz7 x\n  app: hot line\ncalls:\n  ring_timout: 10s\n  wrap_up: ten\n  strategy: random\nmetrics:\n  listen: 0.0.0.0:1\n"
	_, err := Load(writeFile(t, file), withSecrets(map[string]string{"HOTLINE_MAX_QUEUE": "many"}))
	if err == nil {
		t.Fatal("loaded")
	}
	for _, w := range []string{"ari.password", "ari.app", "ring_timout", "ten", "calls.strategy", "metrics.listen", "HOTLINE_MAX_QUEUE"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not report %q:\n%v", w, err)
		}
	}
	// A password YAML reads as an alias to no anchor stops YAML's parse; the rest is read anyway.
	_, err = Load(writeFile(t, "ari:\n  password: *Qz7a\ncalls:\n  strategy: random\n  bogus: 1\n"), withSecrets(nil))
	if err == nil {
		t.Fatal("loaded")
	}
	for _, w := range []string{"line 2", "quote", "calls.strategy", "bogus"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("with an undefined alias, error does not report %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "Qz7") {
		t.Errorf("the error shows the password: %v", err)
	}
	// A syntax error stops the parse: it is reported with the environment's mistakes.
	_, err = Load(writeFile(t, "calls:\n  strategy: [random\n"), withSecrets(map[string]string{"HOTLINE_MAX_QUEUE": "many"}))
	if err == nil || !strings.Contains(err.Error(), "line") || !strings.Contains(err.Error(), "HOTLINE_MAX_QUEUE") {
		t.Errorf("syntax error: %v; want its line and the environment's mistake", err)
	}
}

// A command that uses part of the configuration needs only that part: recording get reads ARI's
// settings without the AMI password; the file must still be readable as a whole.
func TestLoadSections(t *testing.T) {
	noAMI := env(map[string]string{"HOTLINE_ARI_PASSWORD": "x"})
	if _, err := LoadWith(writeFile(t, ""), Options{Getenv: noAMI, Sections: []string{"ari"}}); err != nil {
		t.Errorf("ari only, without the AMI password: %v", err)
	}
	if _, err := LoadWith(writeFile(t, ""), Options{Getenv: env(nil), Sections: []string{"ari"}}); err == nil || !strings.Contains(err.Error(), "ari.password") {
		t.Errorf("ari only, without the ARI password: err = %v", err)
	}
	if _, err := LoadWith(writeFile(t, "ami:\n  bogus: 1\n"), Options{Getenv: noAMI, Sections: []string{"ari"}}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("a misspelt key elsewhere in the file: err = %v", err)
	}
	if _, err := LoadWith(writeFile(t, "calls:\n  wrap_up: -1s\n"), Options{Getenv: env(nil), Sections: []string{"calls"}}); err == nil || !strings.Contains(err.Error(), "calls.wrap_up") {
		t.Errorf("calls only: err = %v", err)
	}
}

// The daemon's checks of the machine (serve and serve --check): every path it will use can be,
// and is not something else.
func TestCheckHost(t *testing.T) {
	dir := t.TempDir()
	load := func(file string) error {
		_, err := LoadWith(writeFile(t, file), Options{Getenv: withSecrets(nil), Host: true})
		return err
	}
	ok := "journal:\n  path: " + dir + "/j.db\napi:\n  socket: " + dir + "/run/new/hotline.sock\n"
	if err := load(ok); err != nil {
		t.Errorf("a journal in an existing directory, a socket directory the daemon creates: %v", err)
	}

	j := filepath.Join(dir, "j.db")
	if err := os.WriteFile(j, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(j, filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "spooldir"), 0o700); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "live.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	tests := []struct {
		name, file string
		want       []string
	}{
		{"journal directory missing", "journal:\n  path: " + dir + "/nope/j.db\n", []string{"journal.path", dir + "/nope", "does not exist"}},
		{"journal is a directory", "journal:\n  path: " + dir + "\n", []string{"journal.path", "directory"}},
		{"spool directory missing", "journal:\n  path: " + j + "\n  spool: " + dir + "/nope/s\n", []string{"journal.spool", "does not exist"}},
		{"spool is a directory", "journal:\n  path: " + j + "\n  spool: " + dir + "/spooldir\n", []string{"journal.spool", "directory"}},
		{"spool is a link to the journal", "journal:\n  path: " + j + "\n  spool: " + dir + "/link.db\n", []string{"journal.spool", "the journal"}},
		{"spool through a linked directory", "journal:\n  path: " + j + "\n  spool: " + dir + "/dirlink/j.db\n", []string{"journal.spool", "the journal"}},
		{"socket is a file", "journal:\n  path: " + j + "\napi:\n  socket: " + plain + "\n", []string{"api.socket", "not a socket"}},
		{"socket directory under a file", "journal:\n  path: " + j + "\napi:\n  socket: " + plain + "/run/h.sock\n", []string{"api.socket", "not a directory"}},
		{"everything at once", "journal:\n  path: " + dir + "/nope/j.db\n  spool: " + dir + "/spooldir\napi:\n  socket: " + plain + "\n",
			[]string{"journal.path", "journal.spool", "api.socket"}},
	}
	if err := os.Symlink(dir, filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := load(tt.file)
			if err == nil {
				t.Fatal("passed; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	// An existing socket (a daemon's, or a stale one) is fine: the daemon deals with it.
	if err := load("journal:\n  path: " + j + "\napi:\n  socket: " + sock + "\n"); err != nil {
		t.Errorf("existing socket: %v", err)
	}
}
