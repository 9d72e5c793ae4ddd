package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The bad-input harness: every command of the tree, every flag it takes (its own and the
// inherited ones), fed values a careless or hostile user types, and every command given journal
// files that are missing, a directory, read-only, corrupt, damaged, locked or from a newer
// hotline. Whatever the input, hotline must not panic, must exit with a code of the documented
// table other than "internal error", must say which flag or argument it refused, must write
// nothing to the terminal that the terminal would obey (control characters, ANSI and OSC
// escapes), and a refused command must leave the journal byte for byte as it was.
//
// Commands that talk to a running daemon or to Asterisk get an endpoint that is not there and
// must fail at once: no daemon is started, no Asterisk is reached.

// badValues is the corpus every flag and argument is fed.
var badValues = []string{
	"",
	" ",
	strings.Repeat("я", 50_000), // 100 KB
	"\x1b[2J\x1b]0;owned\x07",   // clear the screen, retitle the terminal
	"a\x00b",
	"line\nforged|line|ENTERQUEUE",
	"\r\t\b\x7f",
	"\u202eevil\u0085", // right-to-left override, C1 next line
	"\xff\xfe\xfd",     // not UTF-8
	"%", "_", "'", `"`, `\`, "%_%",
	`x'); DROP TABLE cases; --`,
	"2026-02-30", "31.12.2026", "0000-00-00", "2026-11-23T25:61:00Z", "9999-12-31",
	"-1", "0", "9223372036854775808", "1e309", "NaN", "0x1F",
	"2026-000000", "-5s", "1000000h",
	"a,a", ",,,",
}

// placeholders are valid values for the positional arguments of a command's Use line, so that the
// fed value is what is refused. A new argument name must be added here (the harness says so).
func placeholders(h *harness, n int) map[string]string {
	return map[string]string{
		"REF":                      h.caseRef,
		"EARLIER":                  h.earlierRef,
		"ID|LOGIN|EXT":             "petrov",
		"ID":                       "1",
		"TEXT":                     "полис",
		"CODE":                     "code-" + strconv.Itoa(n),
		"DEST":                     filepath.Join(h.dir, "backup-"+strconv.Itoa(n)+".db"),
		"NAME":                     "call-1",
		"bash|zsh|fish|powershell": "bash",
		"CALL":                     "1",
		"CASE":                     h.caseRef,
		"FILE":                     filepath.Join(h.dir, "register.csv"),
		"NEWFILE":                  filepath.Join(h.dir, "register-"+strconv.Itoa(n)+".csv"),
	}
}

type harness struct {
	t                   *testing.T
	dir, db, work       string
	template, state     []byte
	caseRef, earlierRef string
	codes               map[int]bool // the documented exit codes
	invocations         int
	dirty               bool // the journal differs from the template: restore it
}

// exec runs one command line in-process against the harness's journal, restored first.
func (h *harness) exec(args ...string) (r result, changed bool) {
	h.t.Helper()
	h.invocations++
	if h.dirty {
		h.restore()
	}
	// What a command writes by a relative name (a file called "%", an --out) is gone before the
	// next one runs.
	left, err := os.ReadDir(h.work)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range left {
		if err := os.RemoveAll(filepath.Join(h.work, e.Name())); err != nil {
			h.t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				h.t.Errorf("hotline %s: panic: %v", show(args), p)
				r.code = -1
			}
		}()
		r.code = execForTest(ctx, args, &out, &errb)
	}()
	if ctx.Err() != nil || time.Since(start) > 10*time.Second {
		h.t.Errorf("hotline %s: took %s: a bad input must fail fast", show(args), time.Since(start))
	}
	r.out, r.err = out.String(), errb.String()
	changed = !bytes.Equal(fileState(h.db), h.state)
	h.dirty = changed
	return r, changed
}

// restore puts the fixture journal back, so that every invocation starts from the same state.
func (h *harness) restore() {
	h.t.Helper()
	for _, s := range []string{"-wal", "-shm"} {
		if err := os.Remove(h.db + s); err != nil && !os.IsNotExist(err) {
			h.t.Fatal(err)
		}
	}
	if err := os.WriteFile(h.db, h.template, 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func show(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if utf8.RuneCountInString(a) > 40 {
			a = string([]rune(a)[:40]) + "…"
		}
		b.WriteString(strconv.Quote(a))
	}
	return b.String()
}

// message is what hotline said on stderr, without the journal's warnings.
func message(stderr string) string {
	if i := strings.LastIndex(stderr, "hotline: "); i >= 0 {
		return stderr[i:]
	}
	return stderr
}

func newHarness(t *testing.T) *harness {
	// Nothing from the caller's environment: no daemon socket, no Asterisk, no journal.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "HOTLINE_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	t.Setenv("HOTLINE_API_SOCKET", filepath.Join(dir, "no-daemon.sock"))
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work) // what a command writes by a relative name stays here
	if err := os.WriteFile(filepath.Join(dir, "register.csv"), []byte(harnessRegister), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	ref := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "case", "new", "--caller", "+78652123456", "--topic", "clinic-refusal")).Number
	earlier := decode[caseJSON](t, c.ok("--as", "petrov", "-o", "json", "case", "new", "--caller", "+78652123456", "--type", "consultation")).Number
	tpl, err := os.ReadFile(c.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.db + "-wal"); err == nil {
		t.Fatal("the fixture journal was left with a WAL")
	}
	h := &harness{t: t, dir: dir, work: work, db: c.db, template: tpl, state: fileState(c.db), caseRef: ref, earlierRef: earlier, codes: map[int]bool{}}
	// The documented table of exit codes is in the root command's help.
	long := newRootCmd().Long
	_, table, ok := strings.Cut(long, "Exit codes:")
	if !ok {
		t.Fatal("the root command's help has no table of exit codes")
	}
	for _, m := range regexp.MustCompile(`(?:^|[ ,\n])(\d+) [a-z]`).FindAllStringSubmatch(table, -1) {
		n, _ := strconv.Atoi(m[1])
		h.codes[n] = true
	}
	if !h.codes[0] || !h.codes[2] || len(h.codes) < 5 {
		t.Fatalf("exit codes read from the help: %v", h.codes)
	}
	return h
}

// command is one runnable command of the tree with valid positional arguments and the flags
// it requires.
type command struct {
	path     []string
	args     []string
	required []string // --flag=value the command refuses to run without
	flags    []*pflag.Flag
	cmd      *cobra.Command
}

// validFlags are valid values of the flags commands require, found by running each command and
// reading "--X is required". A new required flag must be added here (the harness says so).
var validFlags = map[string]string{
	"topic":   "clinic-refusal",
	"title":   "Отказ в записи",
	"text":    "Уточните медицинскую организацию",
	"type":    "complaint",
	"until":   "2099-12-31",
	"reason":  "ожидается ответ",
	"result":  "answered",
	"comment": "разъяснено",
	"to":      "sidorova",
	"login":   "newadmin",
	"name":    "Новиков Н.Н.",
}

var requiredRE = regexp.MustCompile(`--([a-z-]+)(?: or --[a-z-]+)? is required`)

// requireFlags adds to c, one at a time, the flags its baseline says are required.
func (h *harness) requireFlags(c *command) result {
	for {
		r, _ := h.exec(h.base(*c, "")...)
		m := requiredRE.FindStringSubmatch(message(r.err))
		if r.code == 0 || m == nil {
			return r
		}
		v, ok := validFlags[m[1]]
		if !ok {
			h.t.Fatalf("%s: requires --%s: add a valid value to validFlags", c.cmd.CommandPath(), m[1])
		}
		c.required = append(c.required, "--"+m[1]+"="+v)
	}
}

func (h *harness) commands() []command {
	var out []command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.Hidden && c.Name() != "help" {
			cm := command{cmd: c}
			for p := c; p.HasParent(); p = p.Parent() {
				cm.path = append([]string{p.Name()}, cm.path...)
			}
			ph := placeholders(h, 0)
			for _, tok := range strings.Fields(c.Use)[1:] {
				if strings.HasPrefix(tok, "-") || strings.HasPrefix(tok, "[") {
					break
				}
				v, ok := ph[tok]
				if !ok {
					h.t.Fatalf("%s: no valid value for argument %s: add it to placeholders", c.CommandPath(), tok)
				}
				cm.args = append(cm.args, v)
			}
			seen := map[string]bool{}
			add := func(f *pflag.Flag) {
				if f.Name != "help" && !seen[f.Name] {
					seen[f.Name] = true
					cm.flags = append(cm.flags, f)
				}
			}
			c.LocalFlags().VisitAll(add)
			c.InheritedFlags().VisitAll(add)
			out = append(out, cm)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	return out
}

// base is how a command is run before one input is made bad: the fixture journal, as an
// administrator, valid arguments (a backup's name new each time).
func (h *harness) base(c command, without string) []string {
	ph := placeholders(h, h.invocations)
	for i, name := range argNames(c.cmd) {
		c.args[i] = ph[name]
	}
	var args []string
	if without != "db" {
		args = append(args, "--db", h.db)
	}
	if without != "as" {
		args = append(args, "--as", "admin")
	}
	args = append(append(args, c.path...), c.args...)
	for _, r := range c.required {
		if !strings.HasPrefix(r, "--"+without+"=") {
			args = append(args, r)
		}
	}
	return args
}

// check asserts what holds for every invocation; names are what the message must mention when
// the command was refused for another reason than its baseline was.
func (h *harness) check(args []string, r result, changed bool, baseline result, names ...string) {
	h.t.Helper()
	what := "hotline " + show(args)
	if !h.codes[r.code] || r.code == 1 {
		h.t.Errorf("%s: exit %d, not a documented code for bad input: %s", what, r.code, message(r.err))
		return
	}
	if err := clean(r.out); err != nil {
		h.t.Errorf("%s: standard output: %v", what, err)
	}
	if err := clean(r.err); err != nil {
		h.t.Errorf("%s: standard error: %v: %q", what, err, message(r.err))
	}
	if r.code == 0 {
		return
	}
	if changed {
		h.t.Errorf("%s: refused (exit %d) but the journal changed: %s", what, r.code, message(r.err))
	}
	msg := message(r.err)
	if n := utf8.RuneCountInString(msg); n > 600 {
		h.t.Errorf("%s: a message of %d characters: user input must be quoted short", what, n)
	}
	if msg == message(baseline.err) && r.code == baseline.code {
		return // refused as without the bad value: not about it
	}
	for _, n := range names {
		if strings.Contains(msg, n) {
			return
		}
	}
	h.t.Errorf("%s: exit %d: the message names none of %q: %s", what, r.code, names, msg)
}

func TestBadInputHarness(t *testing.T) {
	h := newHarness(t)
	cmds := h.commands()
	if len(cmds) < 40 {
		t.Fatalf("only %d commands found in the tree", len(cmds))
	}
	for _, c := range cmds {
		t0, n0 := time.Now(), h.invocations
		baseline := h.requireFlags(&c)
		// Each flag, each bad value.
		for _, f := range c.flags {
			for _, v := range badValues {
				args := append(h.base(c, f.Name), "--"+f.Name+"="+v)
				r, changed := h.exec(args...)
				names := []string{"--" + f.Name}
				if f.Name == "db" {
					names = append(names, "journal at "+v, "database "+v)
				}
				h.check(args, r, changed, baseline, names...)
			}
		}
		// Each positional argument, each bad value.
		for ai, name := range argNames(c.cmd) {
			for _, v := range badValues {
				args := h.base(c, "")
				args[len(args)-len(c.required)-len(c.args)+ai] = v
				r, changed := h.exec(args...)
				names := append([]string{`"` + prefix(v, 20), name}, argWords...)
				if strings.HasPrefix(v, "-") {
					names = append(names, v) // taken for a flag
				}
				h.check(args, r, changed, baseline, names...)
			}
		}
		t.Logf("%s: %d invocations in %s", c.cmd.CommandPath(), h.invocations-n0, time.Since(t0))
	}
	t.Logf("%d invocations", h.invocations)
}

// TestBadInputHarnessHelp feeds the corpus to `help` as a topic, after every group of the tree
// (root included): an unknown topic is invalid usage, as the unknown command it names would be.
// (Cobra's own help prints "Unknown help topic" and exits 0.)
func TestBadInputHarnessHelp(t *testing.T) {
	h := newHarness(t)
	var groups [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.HasAvailableSubCommands() {
			groups = append(groups, path)
		}
		for _, sub := range c.Commands() {
			if !sub.Hidden && sub.Name() != "help" {
				walk(sub, append(slices.Clip(path), sub.Name()))
			}
		}
	}
	walk(newRootCmd(), nil)
	if len(groups) < 5 {
		t.Fatalf("only %d command groups found in the tree", len(groups))
	}
	for _, g := range groups {
		for _, v := range append(slices.Clone(badValues), "nosuch", "lst") {
			args := append(append([]string{"--db", h.db, "help"}, g...), v)
			r, changed := h.exec(args...)
			if r.code == 0 {
				t.Errorf("hotline %s: exit 0: an unknown help topic must be refused", show(args))
				continue
			}
			h.check(args, r, changed, result{}, "unknown command", "unknown shorthand flag", "unknown flag")
		}
	}
	t.Logf("%d invocations", h.invocations)
}

// badFile is a file given where hotline expects one, and how to tell whether it was touched.
type badFile struct {
	kind, path string
	content    []byte // written anew before each command; nil: left as it is
}

// reset puts the file back as it was made: what one command created or changed does not
// mislead the next.
func (b badFile) reset(t *testing.T) {
	t.Helper()
	switch b.kind {
	case "missing", "missing directory":
		for _, s := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(b.path + s); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	default:
		if b.content != nil {
			if err := os.WriteFile(b.path, b.content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// state is what a command must not change: the bytes of a file and its -wal, the names in a
// directory, or that nothing is there.
func (b badFile) state() string {
	st, err := os.Stat(b.path)
	switch {
	case err != nil:
		return "absent"
	case st.IsDir():
		es, _ := os.ReadDir(b.path)
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return "dir " + strings.Join(names, "/")
	case !st.Mode().IsRegular():
		return st.Mode().String()
	}
	return fmt.Sprintf("%x %s", fileState(b.path), st.Mode())
}

// journalFiles are journals that cannot be used as they are.
func (h *harness) journalFiles() []badFile {
	dir := filepath.Join(h.dir, "journals")
	must := func(err error) {
		h.t.Helper()
		if err != nil {
			h.t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a-directory.db"), 0o755))
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		must(os.WriteFile(p, b, 0o600))
		return p
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		must(err)
		return b
	}
	garbage := bytes.Repeat([]byte("not a journal\x00\xff"), 4096)
	// Damaged: SQLite's header and schema intact, the tables' pages overwritten (damage):
	// opening works, reading the tables does not.
	damaged := write("damaged.db", h.template)
	damage(h.t, damaged)
	newer := write("newer.db", h.template)
	db, err := sql.Open("sqlite3", newer)
	must(err)
	_, err = db.Exec("PRAGMA user_version = 999")
	must(err)
	must(db.Close())
	files := []badFile{
		{"missing", filepath.Join(dir, "no-such.db"), nil},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "hotline.db"), nil},
		{"directory", filepath.Join(dir, "a-directory.db"), nil},
		{"corrupt", write("corrupt.db", garbage), garbage},
		{"damaged", damaged, read(damaged)},
		{"empty", write("empty.db", nil), []byte{}},
		{"newer schema", newer, read(newer)},
		{"locked", write("locked.db", h.template), nil},
	}
	if os.Geteuid() != 0 { // root reads and writes whatever the modes say: TestReadOnlyJournal
		ro := filepath.Join(dir, "ro")
		must(os.Mkdir(ro, 0o755))
		must(os.WriteFile(filepath.Join(ro, "hotline.db"), h.template, 0o444))
		must(os.Chmod(ro, 0o555))
		h.t.Cleanup(func() { os.Chmod(ro, 0o755) })
		files = append(files, badFile{"read-only", filepath.Join(ro, "hotline.db"), nil})
	}
	return files
}

// lock holds the journal at path's write lock, as a running daemon writing a long transaction
// would, until the test ends.
func (h *harness) lock(path string) {
	h.t.Helper()
	db, err := sql.Open("sqlite3", path+"?_journal_mode=WAL")
	if err != nil {
		h.t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	})
}

// otherFiles are bad files for the flags that name files other than the journal, by how the
// file is used.
func (h *harness) otherFiles() (read, write, socket []badFile) {
	dir := filepath.Join(h.dir, "files")
	if err := os.MkdirAll(filepath.Join(dir, "a-directory"), 0o755); err != nil {
		h.t.Fatal(err)
	}
	big := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(big, bytes.Repeat([]byte("ответ "), 100_000), 0o600); err != nil {
		h.t.Fatal(err)
	}
	binary := filepath.Join(dir, "binary")
	if err := os.WriteFile(binary, []byte("\x00\xff\x1b[2J\x1b]0;owned\x07 text: [\n"), 0o600); err != nil {
		h.t.Fatal(err)
	}
	missing := badFile{"missing", filepath.Join(dir, "no-such-file"), nil}
	directory := badFile{"directory", filepath.Join(dir, "a-directory"), nil}
	read = []badFile{missing, directory, {"endless", "/dev/zero", nil}, {"too large", big, nil}, {"not text", binary, nil}}
	write = []badFile{directory, {"missing directory", filepath.Join(dir, "no", "such", "out"), nil}}
	socket = []badFile{missing, directory, {"not a socket", big, nil}}
	return read, write, socket
}

// fileFlags says how a flag's file is used: read whole, written, or a socket ("" for flags that
// are not files). A new file flag must be added here.
func fileFlags(name string) string {
	switch name {
	case "file", "config":
		return "read"
	case "out", "log", "json", "profile", "journal":
		return "write"
	case "socket":
		return "socket"
	}
	return ""
}

func TestBadFilesHarness(t *testing.T) {
	h := newHarness(t)
	journals := h.journalFiles()
	for _, j := range journals {
		if j.kind == "locked" {
			h.lock(j.path)
		}
	}
	read, write, socket := h.otherFiles()
	for _, c := range h.commands() {
		t0, n0 := time.Now(), h.invocations
		baseline := h.requireFlags(&c)
		for _, j := range journals {
			j.reset(t)
			before := j.state()
			args := append(h.base(c, "db"), "--db="+j.path)
			r, _ := h.exec(args...)
			if j.state() != before && !(r.code == 0 && c.cmd.Name() == "migrate") {
				t.Errorf("hotline %s: the %s journal was changed (exit %d): %s", show(args), j.kind, r.code, message(r.err))
			}
			h.check(args, r, false, baseline, "--db", "journal at "+j.path, "database "+j.path, "database path "+j.path)
		}
		for _, f := range c.flags {
			var files []badFile
			switch fileFlags(f.Name) {
			case "read":
				files = read
			case "write":
				files = write
			case "socket":
				files = socket
			}
			for _, b := range files {
				b.reset(t)
				before := b.state()
				args := append(h.base(c, f.Name), "--"+f.Name+"="+b.path)
				r, changed := h.exec(args...)
				if b.state() != before {
					t.Errorf("hotline %s: the %s file was changed (exit %d): %s", show(args), b.kind, r.code, message(r.err))
				}
				h.check(args, r, changed, baseline, "--"+f.Name)
			}
		}
		if slices.Contains(argNames(c.cmd), "DEST") {
			for _, b := range write {
				b.reset(t)
				before := b.state()
				args := h.base(c, "")
				args[len(args)-len(c.required)-len(c.args)] = b.path
				r, changed := h.exec(args...)
				if b.state() != before {
					t.Errorf("hotline %s: the %s was changed (exit %d): %s", show(args), b.kind, r.code, message(r.err))
				}
				h.check(args, r, changed, baseline, "backup file "+b.path, "DEST")
			}
		}
		t.Logf("%s: %d invocations in %s", c.cmd.CommandPath(), h.invocations-n0, time.Since(t0))
	}
}

// argWords are how messages name a positional argument.
var argWords = []string{"case", "operator", "script", "search", "recording", "topic", "shell", "backup"}

// prefix is the first n characters of s, as a quoted message starts.
func prefix(s string, n int) string {
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	if len(q) > n {
		q = q[:n]
	}
	return q
}

// execForTest runs hotline in-process as run does, with a short wait for a locked journal.
func execForTest(ctx context.Context, args []string, stdout, stderr *bytes.Buffer) int {
	root := newRoot(&app{busyTimeout: 100 * time.Millisecond})
	root.SetIn(bytes.NewReader(nil)) // not a terminal: a password prompt is refused, never waited at
	return execute(ctx, root, args, stdout, stderr)
}
