package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

// cli runs hotline in-process against one database file.
type cli struct {
	t  *testing.T
	db string
}

type result struct {
	out, err string
	code     int
}

func (c cli) run(args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--db", c.db}, args...), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// ok runs a command that must succeed and returns its output.
func (c cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("hotline %s: exit %d: %s", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// fails runs a command that must fail with code, its message containing want.
func (c cli) fails(code int, want string, args ...string) {
	c.t.Helper()
	r := c.run(args...)
	if r.code != code || !strings.Contains(r.err, want) {
		c.t.Fatalf("hotline %s: exit %d, stderr %q; want exit %d containing %q", strings.Join(args, " "), r.code, r.err, code, want)
	}
}

func newCLI(t *testing.T) cli {
	// No daemon unless a test starts one: operator changes would tell the machine's real one.
	t.Setenv("HOTLINE_API_SOCKET", filepath.Join(t.TempDir(), "no-daemon.sock"))
	c := cli{t: t, db: filepath.Join(t.TempDir(), "hotline.db")}
	c.ok("db", "migrate")
	c.ok("--as", "boss", "operator", "add", "--name", "Админова А.А.", "--login", "admin", "--role", "administrator")
	c.ok("--as", "admin", "operator", "add", "--name", "Иванова И.И.", "--login", "ivanova", "--ext", "1001")
	c.ok("--as", "admin", "operator", "add", "--name", "Петров П.П.", "--login", "petrov", "--ext", "1002")
	c.ok("--as", "admin", "operator", "add", "--name", "Сидорова С.С.", "--login", "sidorova", "--level", "2", "--org", "СК Капитал МС", "--ext", "2001")
	c.ok("--as", "admin", "topic", "add", "policy-replace", "--type", "consultation", "--title", "Замена полиса ОМС", "--number", "11", "--keywords", "полис замена")
	c.ok("--as", "admin", "topic", "add", "clinic-refusal", "--type", "complaint", "--title", "Отказ в помощи", "--number", "21")
	c.ok("--as", "admin", "script", "add", "--topic", "clinic-refusal", "--title", "Отказ", "--text", "Уточните медицинскую организацию", "--recommend", "sidorova")
	return c
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

type caseJSON struct {
	ID           int64  `json:"id"`
	Number       string `json:"number"`
	Status       string `json:"status"`
	OwnerID      int64  `json:"owner_id"`
	Result       string `json:"result"`
	Description  string `json:"description"`
	CallerNumber string `json:"caller_number"`
	Person       struct {
		FullName string `json:"full_name"`
	} `json:"person"`
}

func TestCaseWorkflowEndToEnd(t *testing.T) {
	c := newCLI(t)
	evil := `x'); DROP TABLE cases; --`
	out := c.ok("--as", "ivanova", "-o", "json", "case", "new", "--caller", "+7 865 212-34-56",
		"--topic", "clinic-refusal", "--description", evil, "--name", "Смирнов С.С.")
	nc := decode[caseJSON](t, out)
	if nc.Status != "in_progress" || nc.Description != evil || nc.Number == "" || nc.CallerNumber != "+78652123456" ||
		nc.Person.FullName != "Смирнов С.С." || nc.OwnerID == 0 {
		t.Fatalf("new case: %+v", nc)
	}
	// JSON names are snake_case; what is not set is left out.
	for _, want := range []string{`"caller_number": "+78652123456"`, `"created_at": `, `"owner_id": `, `"created_by": "ivanova"`} {
		if !strings.Contains(out, want) {
			t.Errorf("case JSON lacks %s:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{`"CallerNumber"`, `"due_at"`, `"result"`, `"extend_to"`} {
		if strings.Contains(out, unwanted) {
			t.Errorf("case JSON has %s:\n%s", unwanted, out)
		}
	}
	ref := nc.Number

	c.fails(2, "--comment is required", "--as", "ivanova", "case", "close", ref, "--result", "answered")
	c.fails(2, "--comment is required", "--as", "ivanova", "case", "close", ref, "--result", "answered", "--comment", " ")
	c.fails(5, "belongs to operator", "--as", "petrov", "case", "close", ref, "--result", "answered", "--comment", "x")
	c.fails(3, "no operator", "--as", "ivanova", "case", "forward", ref, "--to", "nobody", "--comment", "x")
	c.fails(2, "--to is required", "--as", "ivanova", "case", "forward", ref, "--comment", "x")
	fw := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "case", "forward", ref, "--to", "2001", "--comment", "к страховому представителю"))
	if fw.Status != "delayed_answer" || fw.Result != "forwarded_with_notice" {
		t.Fatalf("forward: %+v", fw)
	}
	c.fails(4, "only a case in progress", "--as", "sidorova", "case", "close", ref, "--result", "answered", "--comment", "x")
	c.ok("--as", "sidorova", "case", "update", ref, "--in-progress")
	c.fails(2, "not in the future", "--as", "sidorova", "case", "extend", ref, "--until", "2020-01-01", "--reason", "x")
	c.fails(2, "invalid --until", "--as", "sidorova", "case", "extend", ref, "--until", "31.12.2026", "--reason", "x")
	c.ok("--as", "sidorova", "case", "extend", ref, "--until", "2099-12-31", "--reason", "ожидается ответ МО")
	c.fails(5, "only an administrator may approve", "--as", "sidorova", "case", "approve", ref)
	ap := decode[caseJSON](t, c.ok("--as", "admin", "-o", "json", "case", "approve", ref))
	if ap.Status != "in_progress" {
		t.Fatalf("approved extension must stay on control: %+v", ap)
	}
	c.ok("--as", "sidorova", "case", "close", ref, "--result", "measures_taken", "--comment", "записан к терапевту")
	c.fails(2, "--reason is required", "--as", "admin", "case", "return", ref)
	c.ok("--as", "admin", "case", "return", ref, "--reason", "укажите дату")
	c.ok("--as", "sidorova", "case", "close", ref, "--result", "measures_taken", "--comment", "записан на 01.12")
	c.ok("--as", "admin", "case", "approve", ref)
	c.fails(4, "approved and closed", "--as", "admin", "case", "update", ref, "--description", "x")
	c.ok("--as", "admin", "case", "reopen", ref, "--reason", "повторная жалоба")

	// A second case of the same caller, linked to the first; history by number and by person.
	nc2 := decode[caseJSON](t, c.ok("--as", "petrov", "-o", "json", "case", "new", "--caller", "+78652123456", "--type", "consultation", "--topic", "policy-replace"))
	c.ok("--as", "petrov", "case", "link", nc2.Number, ref)
	c.fails(4, "already linked", "--as", "petrov", "case", "link", nc2.Number, ref)
	hist := decode[[]caseJSON](t, c.ok("-o", "json", "case", "history", "--caller", "+78652123456"))
	if len(hist) != 2 {
		t.Fatalf("caller history: %+v", hist)
	}
	c.fails(2, "not a phone number", "case", "history", "--caller", "abc")

	show := decode[struct {
		Case    caseJSON   `json:"case"`
		Linked  []caseJSON `json:"linked"`
		Calls   []struct{} `json:"calls"`
		History []struct {
			Actor  string `json:"actor"`
			Action string `json:"action"`
		} `json:"history"`
	}](t, c.ok("-o", "json", "case", "show", ref))
	if show.Case.Number != ref || len(show.Linked) != 1 || len(show.History) < 10 || show.History[0].Actor != "ivanova" {
		t.Fatalf("show: case %+v, linked %d, history %+v", show.Case, len(show.Linked), show.History)
	}
	if out := c.ok("case", "show", ref); !strings.Contains(out, "HISTORY") || !strings.Contains(out, "forwarded") {
		t.Fatalf("show table:\n%s", out)
	}

	// Filters.
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"--status", "in_progress"}, 2},
		{[]string{"--type", "complaint"}, 1},
		{[]string{"--topic", "policy-replace"}, 1},
		{[]string{"--operator", "petrov"}, 1},
		{[]string{"--caller", "+78652123456", "--from", "2000-01-01"}, 2},
		{[]string{"--to", "2000-01-01"}, 0},
	} {
		got := decode[[]caseJSON](t, c.ok(append([]string{"-o", "json", "case", "list"}, tt.args...)...))
		if len(got) != tt.want {
			t.Errorf("case list %v: %d cases, want %d", tt.args, len(got), tt.want)
		}
	}
	c.fails(2, "unknown status", "case", "list", "--status", "closed")
	c.fails(2, "invalid --from", "case", "list", "--from", "yesterday")
	c.fails(3, "no case", "case", "show", "999")
	c.fails(3, "no case 1999-000001", "case", "show", "1999-000001")
	c.fails(2, "invalid case reference", "case", "show", "abc")
	c.fails(2, "unknown flag", "case", "list", "--bogus")
	c.fails(2, "--output must be", "-o", "xml", "case", "list")
	c.fails(3, "unknown topic", "--as", "ivanova", "case", "new", "--topic", "nope")
	c.fails(2, "too long", "--as", "ivanova", "case", "new", "--description", strings.Repeat("д", 4001))
	c.fails(2, "invalid birth date", "--as", "ivanova", "case", "new", "--birth-date", "1990-02-30")
	c.fails(5, "not an operator", "--as", "stranger", "case", "new")
}

func TestAdministrationEndToEnd(t *testing.T) {
	c := newCLI(t)
	c.fails(5, "only an administrator", "--as", "ivanova", "operator", "add", "--name", "X")
	c.fails(5, "only an administrator", "--as", "ivanova", "topic", "add", "x", "--type", "complaint", "--title", "x")
	c.fails(4, "extension 1001", "--as", "admin", "operator", "add", "--name", "X", "--ext", "1001")
	c.fails(2, "unknown level", "--as", "admin", "operator", "add", "--name", "X", "--level", "3")
	c.ok("--as", "admin", "operator", "update", "petrov", "--ext", "1005", "--topics", "policy-replace")
	if out := c.ok("directory", "search", "1005"); !strings.Contains(out, "Петров") {
		t.Fatalf("directory:\n%s", out)
	}
	c.ok("--as", "admin", "operator", "remove", "petrov")
	c.fails(4, "already removed", "--as", "admin", "operator", "remove", "petrov")
	c.fails(4, "last administrator", "--as", "admin", "operator", "update", "admin", "--role", "operator")
	if out := c.ok("operator", "show", "petrov"); !strings.Contains(out, "active: true → false") {
		t.Fatalf("operator history:\n%s", out)
	}
	c.fails(5, "removed from service", "--as", "petrov", "case", "new")
	c.ok("--as", "admin", "operator", "update", "petrov", "--reactivate")
	c.ok("--as", "petrov", "case", "new")
	if out := c.ok("topic", "search", "ПОЛИС"); !strings.Contains(out, "policy-replace") {
		t.Fatalf("topic search:\n%s", out)
	}
	if out := c.ok("script", "show", "1"); !strings.Contains(out, "Сидорова") {
		t.Fatalf("script show:\n%s", out)
	}
	if out := c.ok("script", "search", "медицинскую"); !strings.Contains(out, "clinic-refusal") {
		t.Fatalf("script search:\n%s", out)
	}
	if out := c.ok("completion", "bash"); !strings.Contains(out, "hotline") {
		t.Fatal("no bash completion")
	}
}

func TestDatabaseCommands(t *testing.T) {
	c := newCLI(t)
	if st, err := os.Stat(c.db); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode: %v %v", st.Mode(), err)
	}
	if out := c.ok("db", "check"); !strings.Contains(out, "integrity       ok") && !strings.Contains(out, "ok") {
		t.Fatalf("check:\n%s", out)
	}
	dest := filepath.Join(t.TempDir(), "b.db")
	c.ok("db", "backup", dest)
	c.fails(4, "already exists", "db", "backup", dest)
	b := cli{t: t, db: dest}
	if out := b.ok("operator", "list"); !strings.Contains(out, "Сидорова") {
		t.Fatalf("backup content:\n%s", out)
	}

	fresh := cli{t: t, db: filepath.Join(t.TempDir(), "fresh.db")}
	fresh.fails(6, "create it with `hotline db migrate --db "+fresh.db+"`", "case", "list")
	s, err := journal.Open(context.Background(), fresh.db, journal.Options{}) // a file, never migrated
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	fresh.fails(6, "run `hotline db migrate`", "case", "list")
	corrupt := cli{t: t, db: filepath.Join(t.TempDir(), "corrupt.db")}
	os.WriteFile(corrupt.db, bytes.Repeat([]byte("garbage!"), 1000), 0o600)
	corrupt.fails(6, "corrupt", "case", "list")
	corrupt.fails(6, "corrupt", "db", "check")
	missing := cli{t: t, db: filepath.Join(t.TempDir(), "no", "such", "dir.db")}
	missing.fails(6, "cannot create", "db", "migrate")
}

// Every command a person runs has an example in its --help.
func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && c.Example == "" {
			t.Errorf("%s has no example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	var out bytes.Buffer
	if code := run(context.Background(), []string{"case", "forward", "--help"}, &out, &out); code != 0 || !strings.Contains(out.String(), "Examples:") {
		t.Fatalf("help: %d\n%s", code, out.String())
	}
}

// serve --check validates the configuration without connecting: every mistake at once, exit 2;
// a valid one is summarised, exit 0.
func TestServeCheck(t *testing.T) {
	unsetHotlineEnv(t) // `make test` runs with the sandbox's HOTLINE_* settings, which override files
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("calls:\n  callback_dial: PJSIP/trunk\n  ring_timeout: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--check", "--config", bad}, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "calls.callback_dial") || !strings.Contains(errb.String(), "calls.ring_timeout") {
		t.Errorf("bad config: exit %d, stderr %q; want 2 naming both keys", code, errb.String())
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("ari:\n  password: x\nami:\n  password: y\njournal:\n  path: "+filepath.Join(dir, "j.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"serve", "--check", "--config", good}, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "configuration valid") || !strings.Contains(out.String(), "j.db.spool") {
		t.Errorf("good config: exit %d, out %q, err %q", code, out.String(), errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "j.db")); err == nil {
		t.Error("--check created the journal: it must not touch anything")
	}

	// A GOMAXPROCS the Go runtime would ignore is refused with the file's mistakes, not run on;
	// one it applies is not.
	t.Run("GOMAXPROCS", func(t *testing.T) {
		t.Setenv("GOMAXPROCS", "+2")
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"serve", "--check", "--config", good}, &out, &errb); code != 0 {
			t.Errorf("GOMAXPROCS=+2: exit %d, stderr %q; want 0", code, errb.String())
		}
		t.Setenv("GOMAXPROCS", "all")
		for _, tc := range []struct {
			config string
			want   []string
		}{
			{good, []string{"GOMAXPROCS=\"all\""}},
			{bad, []string{"GOMAXPROCS=\"all\"", "calls.callback_dial", "calls.ring_timeout"}},
		} {
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"serve", "--check", "--config", tc.config}, &out, &errb)
			if code != 2 {
				t.Errorf("%s: exit %d, want 2; out %q", tc.config, code, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("%s: stderr lacks %q:\n%s", tc.config, w, errb.String())
				}
			}
		}
	})

	// The machine's mistakes with the file's, at once, and no password printed.
	worse := filepath.Join(dir, "worse.yaml")
	if err := os.WriteFile(worse, []byte("ari:\n  url: http://hotline:Pw9sEcReT@127.0.0.1:8088/ari\n  password: *Pw9alias\n"+
		"ami:\n  password: y\njournal:\n  path: "+filepath.Join(dir, "missing", "j.db")+"\n  spool: "+dir+"\n"+
		"metrics:\n  listen: 0.0.0.0:9464\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	code = run(context.Background(), []string{"serve", "--check", "--config", worse}, &out, &errb)
	for _, want := range []string{"ari.url", "line 3", "quote", "journal.path", "does not exist", "journal.spool", "metrics.listen"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("worse config: stderr lacks %q:\n%s", want, errb.String())
		}
	}
	if code != 2 || strings.Contains(out.String()+errb.String(), "Pw9") {
		t.Errorf("worse config: exit %d, out %q, err %q; want 2 and no password", code, out.String(), errb.String())
	}
}

// unsetHotlineEnv removes every HOTLINE_* variable for the test (restored after it), so that a test
// of configuration files reads the files alone.
func unsetHotlineEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "HOTLINE_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}
