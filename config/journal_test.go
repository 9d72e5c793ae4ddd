package config

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// journal.backend and journal.dsn: postgres needs a postgres:// URL, HOTLINE_JOURNAL_DSN wins
// over the file, and no error, %v, %#v or printed YAML shows the password.
func TestJournalBackend(t *testing.T) {
	const pw = "pa55-w0rd"
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		wantErr    string // "" : valid
		wantDSN    string
	}{
		{name: "sqlite by default", file: "journal:\n  path: /tmp/h.db\n"},
		{name: "postgres from the file", file: "journal:\n  backend: postgres\n  dsn: postgres://hotline:" + pw + "@db:5432/hotline\n",
			wantDSN: "postgres://hotline:" + pw + "@db:5432/hotline"},
		{name: "the environment wins", file: "journal:\n  backend: postgres\n  dsn: postgres://a:" + pw + "@db/x\n",
			env: map[string]string{"HOTLINE_JOURNAL_DSN": "postgres://b:" + pw + "@db2/y"}, wantDSN: "postgres://b:" + pw + "@db2/y"},
		{name: "postgres without a dsn", file: "journal:\n  backend: postgres\n", wantErr: "journal.dsn: empty"},
		{name: "not a URL", file: "journal:\n  backend: postgres\n  dsn: host=db password=" + pw + "\n", wantErr: "journal.dsn: not a postgres://"},
		{name: "no database", file: "journal:\n  backend: postgres\n  dsn: postgres://u:" + pw + "@db\n", wantErr: "want postgres://user:password@host:port/database"},
		{name: "unknown backend", file: "journal:\n  backend: mysql\n", wantErr: `journal.backend: sqlite or postgres: "mysql"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range secrets {
				e[k] = v
			}
			for k, v := range tc.env {
				e[k] = v
			}
			c, err := Load(writeFile(t, tc.file), env(e))
			if err != nil && strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Journal.DSN.Reveal() != tc.wantDSN {
				t.Fatalf("dsn %q, want %q", c.Journal.DSN.Reveal(), tc.wantDSN)
			}
			if tc.wantDSN != "" && (c.Journal.Backend != BackendPostgres || c.Journal.Address() != tc.wantDSN) {
				t.Fatalf("backend %q address %q", c.Journal.Backend, c.Journal.Address())
			}
			out, err := yaml.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, shown := range []string{fmt.Sprint(c.Journal), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c.Journal), c.Journal.Display(), string(out)} {
				if strings.Contains(shown, pw) {
					t.Fatalf("the password is shown: %s", shown)
				}
			}
		})
	}
}
