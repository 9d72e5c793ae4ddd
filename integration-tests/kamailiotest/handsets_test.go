package kamailiotest

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

// asterisk-conf/kamailio/handsets (hotline-lab kamailio-handsets; its parsing is tested in
// asteriskconf and kamailio) turns pjsip_operators.conf, read inside the pjsip.conf beside it, into
// Kamailio's subscriber table of HA1s; a bad file is refused with its file and line, the previous
// table left as it was; no password is ever printed or written in clear.
func TestHandsetsScript(t *testing.T) {
	script, err := sandbox.Script()
	if err != nil {
		t.Fatal(err)
	}
	conv := filepath.Join(filepath.Dir(script), "kamailio", "handsets")
	ha1 := func(user, pw string) string {
		sum := md5.Sum([]byte(user + ":hotline:" + pw))
		return hex.EncodeToString(sum[:])
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	top := "[operator-auth](!)\ntype = auth\nauth_type = digest\n#include pjsip_operators.conf\n"
	if err := os.WriteFile(filepath.Join(dir, "pjsip.conf"), []byte(top), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, conf string
		want       []string // the subscriber rows, or the previous ones after an error
		err        string
		// link: pjsip_operators.conf is a symlink to a file in a directory without pjsip.conf; it
		// is still read inside the pjsip.conf beside the link, as Asterisk reads it.
		link bool
	}{
		{"the shipped layout, an md5_cred", "[1001](operator-auth)\nusername = 1001\npassword = pw-one ; a comment\n[2001](operator-auth)\nusername=2001\nrealm=hotline\nmd5_cred=" + ha1("2001", "pw:two") + "\n",
			[]string{"1:1001:::" + ha1("1001", "pw-one") + ":", "2:2001:::" + ha1("2001", "pw:two") + ":"}, "", false},
		{"an auth without a username: the previous table stays", "[1001](operator-auth)\nusername = 1001\npassword = pw-one\n\n[1002](operator-auth)\npassword = x2\n",
			[]string{"1:1001:::" + ha1("1001", "pw-one") + ":", "2:2001:::" + ha1("2001", "pw:two") + ":"}, "pjsip_operators.conf:5: auth [1002]: no username", false},
		{"an md5_cred of another realm: the file named once", "[1001](operator-auth)\nusername = 1001\nrealm = other\nmd5_cred=" + ha1("1001", "x2") + "\n",
			[]string{"1:1001:::" + ha1("1001", "pw-one") + ":", "2:2001:::" + ha1("2001", "pw:two") + ":"}, "pjsip_operators.conf:1: [1001]: md5_cred was computed for realm", false},
		{"a symlinked file, read beside the link", "[1001](operator-auth)\nusername = 1001\npassword = pw-one\n",
			[]string{"1:1001:::" + ha1("1001", "pw-one") + ":"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := filepath.Join(dir, "pjsip_operators.conf")
			target := conf
			if tc.link {
				target = filepath.Join(t.TempDir(), "operators.conf")
			}
			if err := os.Remove(conf); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, []byte(tc.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.link {
				if err := os.Symlink(target, conf); err != nil {
					t.Fatal(err)
				}
			}
			out, err := exec.Command(conv, conf, db).CombinedOutput()
			for _, secret := range []string{"pw-one", "pw:two", "x2"} {
				if strings.Contains(string(out), secret) {
					t.Errorf("the script printed a password: %s", out)
				}
			}
			if tc.err != "" && (err == nil || !strings.Contains(string(out), tc.err)) {
				t.Fatalf("%v: %s; want refused with %q", err, out, tc.err)
			}
			if n := strings.Count(string(out), "pjsip_operators.conf"); tc.err != "" && n != 1 {
				t.Errorf("the message names the file %d times, want once: %s", n, out)
			}
			if tc.err == "" && err != nil {
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
			if strings.Contains(string(b), "pw-one") {
				t.Error("the table holds a password in clear")
			}
			if st, err := os.Stat(filepath.Join(db, "subscriber")); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("subscriber table mode %v, %v; want 0600", st.Mode(), err)
			}
		})
	}
}
