package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

// tty is a scripted terminal: each prompt gets the next line.
type tty struct{ lines []string }

func (t *tty) ReadSecret(string) ([]byte, error) {
	if len(t.lines) == 0 {
		return nil, errors.New("end of input")
	}
	l := t.lines[0]
	t.lines = t.lines[1:]
	return []byte(l), nil
}

// runWith runs hotline on c's journal with stdin, and with term as the terminal (nil: none).
func (c cli) runWith(stdin string, term *tty, args ...string) result {
	c.t.Helper()
	a := &app{}
	if term != nil {
		a.terminal = func(*cobra.Command) secretReader { return term }
	}
	root := newRoot(a)
	root.SetIn(strings.NewReader(stdin))
	var out, errb bytes.Buffer
	code := execute(context.Background(), root, append([]string{"--db", c.db}, args...), &out, &errb)
	return result{out.String(), errb.String(), code}
}

// logsIn reports whether login logs in with password.
func logsIn(t *testing.T, db, login, password string) bool {
	t.Helper()
	s, err := journal.Open(context.Background(), db, journal.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.CheckPassword(context.Background(), login, password, "")
	if err != nil && !errors.Is(err, hotline.ErrWrongCredentials) {
		t.Fatal(err)
	}
	return err == nil
}

func freshJournal(t *testing.T) cli {
	t.Setenv("HOTLINE_API_SOCKET", filepath.Join(t.TempDir(), "no-daemon.sock"))
	c := cli{t: t, db: filepath.Join(t.TempDir(), "hotline.db")}
	c.ok("db", "migrate")
	return c
}

const goodPW = "длинный пароль 2026"

func TestAdminInit(t *testing.T) {
	c := freshJournal(t)
	r := c.runWith("", &tty{[]string{goodPW, goodPW}}, "admin", "init", "--login", "boss", "--name", "Начальникова Н.Н.")
	if r.code != 0 || !strings.Contains(r.out, "administrator boss created") {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	if !logsIn(t, c.db, "boss", goodPW) || logsIn(t, c.db, "boss", goodPW+"!") {
		t.Fatal("the administrator's password does not work as set")
	}
	// Once is enough: the second is refused, and writes nothing.
	before := fileState(c.db)
	r = c.runWith(goodPW+"\n", nil, "admin", "init", "--login", "boss2", "--name", "Другой", "--password-stdin")
	if r.code != 4 || !strings.Contains(r.err, "already exists") || !bytes.Equal(before, fileState(c.db)) {
		t.Fatalf("second init: exit %d %s", r.code, r.err)
	}
}

// TestAdminInitOverOldJournal: a journal whose administrators have no password yet (added by
// `operator add` before accounts existed) gets its first one who can log in.
func TestAdminInitOverOldJournal(t *testing.T) {
	c := newCLI(t)
	r := c.runWith(goodPW+"\r\n", nil, "admin", "init", "--login", "boss", "--name", "Начальникова Н.Н.", "--password-stdin")
	if r.code != 0 || !logsIn(t, c.db, "boss", goodPW) {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
}

func TestPasswordBadInput(t *testing.T) {
	admin := []string{"admin", "init", "--login", "boss", "--name", "Начальникова Н.Н."}
	passwd := []string{"--as", "admin", "operator", "passwd", "ivanova"}
	with := func(args []string, more ...string) []string { return append(append([]string{}, args...), more...) }
	tests := []struct {
		name  string
		args  []string
		stdin string
		term  *tty
		code  int
		want  string
	}{
		{"init: no login", []string{"admin", "init", "--name", "Н"}, "", &tty{}, 2, "--login is required"},
		{"init: no name", []string{"admin", "init", "--login", "boss"}, "", &tty{}, 2, "--name is required"},
		{"init: blank name", []string{"admin", "init", "--login", "boss", "--name", "  "}, "", &tty{}, 2, "--name"},
		{"init: not a terminal", admin, goodPW, nil, 2, "--password-stdin"},
		{"init: empty at the terminal", admin, "", &tty{[]string{""}}, 2, "no password typed"},
		{"init: too short", admin, "", &tty{[]string{"123456789"}}, 2, "too short"},
		{"init: the login", []string{"admin", "init", "--login", "administrator", "--name", "Н"}, "", &tty{[]string{"Administrator"}}, 2, "not be the login"},
		{"init: mismatch", admin, "", &tty{[]string{goodPW, goodPW + "x"}}, 2, "differ"},
		{"init: terminal closed", admin, "", &tty{[]string{goodPW}}, 2, "cannot read the password"},
		{"init: empty stdin", with(admin, "--password-stdin"), "", nil, 2, "--password-stdin: standard input holds no password"},
		{"init: empty first line", with(admin, "--password-stdin"), "\n" + goodPW, nil, 2, "holds no password"},
		{"init: short on stdin", with(admin, "--password-stdin"), "kz7Pq\n", nil, 2, "too short"},
		{"init: too long on stdin", with(admin, "--password-stdin"), strings.Repeat("x", 2000), nil, 2, "longer than 1024 bytes"},
		{"passwd: not a terminal", passwd, goodPW, nil, 2, "--password-stdin"},
		{"passwd: mismatch", passwd, "", &tty{[]string{goodPW, "другой пароль 2026"}}, 2, "differ"},
		{"passwd: the login", with(passwd, "--password-stdin"), "IVANOVA", nil, 2, "too short"},
		{"passwd: the login, long", []string{"--as", "admin", "operator", "passwd", "sidorova", "--password-stdin"}, "Sidorova\n", nil, 2, "too short"},
		{"passwd: empty stdin", with(passwd, "--password-stdin"), "", nil, 2, "holds no password"},
		{"passwd: another operator's", []string{"--as", "petrov", "operator", "passwd", "ivanova", "--password-stdin"}, goodPW, nil, 5, "only an administrator or the operator themself"},
		{"passwd: no such operator", []string{"--as", "admin", "operator", "passwd", "nobody", "--password-stdin"}, goodPW, nil, 3, "nobody"},
		{"passwd: no operator", []string{"--as", "admin", "operator", "passwd", "--password-stdin"}, goodPW, nil, 2, "an operator id, login or extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			before := fileState(c.db)
			r := c.runWith(tt.stdin, tt.term, tt.args...)
			if r.code != tt.code || !strings.Contains(r.err, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d containing %q", r.code, r.err, tt.code, tt.want)
			}
			if !bytes.Equal(before, fileState(c.db)) {
				t.Fatal("a refused command changed the journal")
			}
			if tt.stdin != "" && len(tt.stdin) > 3 && strings.Contains(r.err+r.out, strings.TrimSpace(tt.stdin)) {
				t.Fatalf("the password is quoted: %s", r.err)
			}
		})
	}
}

func TestOperatorPasswd(t *testing.T) {
	c := newCLI(t)
	// An administrator sets an operator's password; the operator changes their own.
	if r := c.runWith(goodPW+"\n", nil, "--as", "admin", "operator", "passwd", "ivanova", "--password-stdin"); r.code != 0 || !strings.Contains(r.out, "password of operator 2 (ivanova) set") {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	const own = "мой собственный пароль"
	if r := c.runWith("", &tty{[]string{own, own}}, "--as", "ivanova", "-o", "json", "operator", "passwd", "1001"); r.code != 0 || !strings.Contains(r.out, `"password_set": true`) {
		t.Fatalf("exit %d: %s %s", r.code, r.out, r.err)
	}
	if !logsIn(t, c.db, "ivanova", own) || logsIn(t, c.db, "ivanova", goodPW) {
		t.Fatal("the operator's own password is not the one that works")
	}
	show := c.ok("--as", "admin", "operator", "show", "ivanova")
	if !strings.Contains(show, "password_set") || strings.Contains(show, own) {
		t.Fatalf("the operator's history: %s", show)
	}
}

// TestPasswordsNeverShown: after init and passwd, no password is in the journal's bytes, nor in
// anything the commands printed.
func TestPasswordsNeverShown(t *testing.T) {
	c := freshJournal(t)
	const adminPW, opPW = "секрет-администратора", "секрет-оператора"
	var printed strings.Builder
	for _, r := range []result{
		c.runWith("", &tty{[]string{adminPW, adminPW}}, "admin", "init", "--login", "boss", "--name", "Начальникова Н.Н."),
		c.runWith("", nil, "--as", "boss", "operator", "add", "--name", "Иванова И.И.", "--login", "ivanova"),
		c.runWith(opPW+"\n", nil, "--as", "boss", "operator", "passwd", "ivanova", "--password-stdin"),
		c.runWith("short\n", nil, "--as", "boss", "operator", "passwd", "ivanova", "--password-stdin"),
		c.runWith("", nil, "--as", "boss", "-o", "json", "operator", "show", "ivanova"),
	} {
		printed.WriteString(r.out + r.err)
	}
	var file []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(c.db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		file = append(file, b...)
	}
	for _, pw := range []string{adminPW, opPW} {
		if bytes.Contains(file, []byte(pw)) {
			t.Errorf("%q is in the journal file", pw)
		}
		if strings.Contains(printed.String(), pw) {
			t.Errorf("%q was printed", pw)
		}
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}
