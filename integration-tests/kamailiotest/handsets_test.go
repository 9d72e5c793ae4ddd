package kamailiotest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

// asterisk-conf/kamailio/handsets turns pjsip_operators.conf into Kamailio's subscriber table: every
// auth section, its username (the section's name by default) and password, ':' and '\' escaped for
// db_text; a section without a password, a username twice or no handset at all is refused with
// nothing written; no password is ever printed.
func TestHandsetsScript(t *testing.T) {
	script, err := sandbox.Script()
	if err != nil {
		t.Fatal(err)
	}
	conv := filepath.Join(filepath.Dir(script), "kamailio", "handsets")
	for _, tc := range []struct {
		name, conf string
		want       []string // the subscriber rows
		err        string
	}{
		{"the shipped layout", "[1001](operator-handset)\nauth = 1001\n[1001](operator-auth)\nusername = 1001\npassword = pw-one ; a comment\n[1001](operator-aor)\n" +
			"[2001](operator-auth)\npassword=pw:two\\x\n", []string{"1:1001::pw-one::", "2:2001::pw\\:two\\\\x::"}, ""},
		{"type = auth, escaped semicolon", "[dev]\ntype = auth\nauth_type = digest\nusername = 1005\npassword = a\\;b\n[other]\ntype = endpoint\npassword = not-a-handset\n",
			[]string{"1:1005::a;b::"}, ""},
		{"no password", "[1001](operator-auth)\nusername = 1001\n", nil, "has no password"},
		{"a username twice", "[1001](operator-auth)\npassword = x1\n[a](operator-auth)\nusername = 1001\npassword = x2\n", nil, "twice"},
		{"no handset", "; nothing\n[1001](operator-aor)\n", nil, "no handset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "pjsip_operators.conf")
			if err := os.WriteFile(conf, []byte(tc.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "db")
			out, err := exec.Command(conv, conf, db).CombinedOutput()
			for _, secret := range []string{"pw-one", "pw:two", "x1", "x2", "a;b"} {
				if strings.Contains(string(out), secret) {
					t.Errorf("the script printed a password: %s", out)
				}
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(string(out), tc.err) {
					t.Fatalf("%v: %s; want refused with %q", err, out, tc.err)
				}
				if _, err := os.Stat(filepath.Join(db, "subscriber")); err == nil {
					t.Error("a subscriber table written anyway")
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			b, err := os.ReadFile(filepath.Join(db, "subscriber"))
			if err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
			if strings.Join(rows, "|") != strings.Join(tc.want, "|") {
				t.Errorf("rows %q, want %q", rows, tc.want)
			}
			if st, err := os.Stat(filepath.Join(db, "subscriber")); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("subscriber table mode %v, %v; want 0600", st.Mode(), err)
			}
		})
	}
}
