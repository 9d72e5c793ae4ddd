package kamailio

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSubscriberTable(t *testing.T) {
	const ha1 = "4849ad9303e811111d58e46d1abc9184" // MD5("1001:hotline:pw1")
	for _, tc := range []struct {
		name string
		subs []Subscriber
		want []string // the rows
		err  string
	}{
		{"a password becomes its HA1 for the realm", []Subscriber{{Username: "1001", Password: "pw1", Realm: "asterisk", Where: "a:1"}}, []string{"1:1001:::" + ha1 + ":"}, ""},
		{"an HA1 for the realm is taken as given", []Subscriber{{Username: "1001", HA1: ha1, Realm: "hotline", Where: "a:1"}, {Username: "10:02", Password: "x", Where: "a:2"}},
			[]string{"1:1001:::" + ha1 + ":", "2:10\\:02:::c1155b8238046db684ae2c20f4c0a2e4:"}, ""},
		{"an HA1 for another realm", []Subscriber{{Username: "1001", HA1: ha1, Realm: "asterisk", Where: "ops.conf:7: [1001]"}}, nil, `ops.conf:7: [1001]: md5_cred was computed for realm "asterisk"`},
		{"a username twice", []Subscriber{{Username: "1001", Password: "a", Where: "a:1"}, {Username: "1001", Password: "b", Where: "a:9"}}, nil, "a:9: username 1001 twice (first at a:1)"},
		{"no password", []Subscriber{{Username: "1001", Where: "a:1"}}, nil, "a:1: no password"},
		{"no username", []Subscriber{{Password: "p", Where: "a:1"}}, nil, "a:1: no username"},
		{"nothing", nil, nil, "no handset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := SubscriberTable("hotline", tc.subs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%v; want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			if rows[0]+"\n" != subscriberHeader {
				t.Errorf("header %q", rows[0])
			}
			if strings.Join(rows[1:], "|") != strings.Join(tc.want, "|") {
				t.Errorf("rows %q, want %q", rows[1:], tc.want)
			}
			for _, s := range tc.subs {
				if s.Password != "" && strings.Contains(string(b), s.Password) {
					t.Errorf("the table holds a password in clear: %q", b)
				}
			}
		})
	}
}

// The realm of the HA1s is the one kamailio.cfg challenges handsets with.
func TestHandsetRealmIsKamailioCfgs(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join("..", "asterisk-conf", "kamailio", "kamailio.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`auth_check\("([^"]*)", "subscriber"`, `auth_challenge\("([^"]*)"`} {
		m := regexp.MustCompile(re).FindSubmatch(cfg)
		if m == nil || string(m[1]) != HandsetRealm {
			t.Errorf("kamailio.cfg %s: %q, want realm %q", re, m, HandsetRealm)
		}
	}
	for _, want := range []string{`modparam("auth_db", "calculate_ha1", no)`, `modparam("auth_db", "password_column", "ha1")`, `modparam("db_text", "db_mode", 1)`} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("kamailio.cfg lacks %s: the table holds HA1s, reread when rewritten", want)
		}
	}
}

func TestWriteSubscriberTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	var times []int64
	for _, table := range []string{"first\n", "second\n", "third\n"} {
		// The directory is fsynced once both files are renamed into it: the new table is there.
		var synced []string
		sync := func(d string) error {
			b, _ := os.ReadFile(filepath.Join(d, "subscriber"))
			synced = append(synced, d+" "+string(b))
			return syncDir(d)
		}
		if err := writeSubscriberTable(dir, []byte(table), sync); err != nil {
			t.Fatal(err)
		}
		if want := dir + " " + table; len(synced) != 1 || synced[0] != want {
			t.Errorf("directory fsyncs %q, want one of %q after the rename", synced, want)
		}
		b, err := os.ReadFile(filepath.Join(dir, "subscriber"))
		if err != nil || string(b) != table {
			t.Fatalf("subscriber %q, %v; want %q", b, err, table)
		}
		st, _ := os.Stat(filepath.Join(dir, "subscriber"))
		times = append(times, st.ModTime().Unix())
	}
	// Written within a second: db_text must still see each as changed.
	if times[0] >= times[1] || times[1] >= times[2] {
		t.Errorf("modification times %v (seconds): want each later than the one before", times)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the directory, want subscriber and version (no temporary left)", len(entries))
	}
	failing := func(string) error { return errors.New("EIO") }
	if err := writeSubscriberTable(dir, []byte("fourth\n"), failing); err == nil || !strings.Contains(err.Error(), "fsync") {
		t.Errorf("a failed directory fsync gave %v, want an error", err)
	}
	for name, want := range map[string]os.FileMode{"": 0o700, "subscriber": 0o600, "version": 0o600} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", name, st.Mode().Perm(), err, want)
		}
	}
}
