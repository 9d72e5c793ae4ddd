package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The faults issue 19 found in the CLI, each reproduced here. Every command runs in-process
// through run, as from a shell.

// fileState hashes a file and its -wal (an absent or empty -wal is none): the journal as a
// reader finds it.
func fileState(path string) []byte {
	sum := sha256.New()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintf(sum, "<%v>", os.IsNotExist(err))
			continue
		}
		if p != path && len(b) == 0 {
			fmt.Fprint(sum, "<true>")
			continue
		}
		sum.Write(b)
	}
	return sum.Sum(nil)
}

// clean reports what in s a terminal would obey: a control character other than newline and
// tab, DEL, a C1 control or bytes that are not UTF-8.
func clean(s string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Errorf("byte %#x at %d is not UTF-8", s[i], i)
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0:
			return fmt.Errorf("control character %U at %d", r, i)
		}
	}
	return nil
}

// journalState hashes the journal file and its WAL: a refused command leaves it as it was.
func journalState(t *testing.T, path string) string {
	t.Helper()
	return string(fileState(path))
}

// A bad attachment used to be refused after the card edit was committed: exit 2, and the
// description changed.
func TestCaseUpdateIsOneEdit(t *testing.T) {
	c := newCLI(t)
	ref := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "case", "new", "--topic", "clinic-refusal", "--description", "before")).Number
	before := journalState(t, c.db)
	for _, bad := range [][]string{
		{"--doc-number", "15-01/77", "--doc-date", "2026-13-45"},
		{"--doc-date", "2026-11-20"}, // no document number
		{"--doc-number", strings.Repeat("9", 65), "--doc-date", "2026-11-20"},
	} {
		r := c.run(append([]string{"--as", "ivanova", "case", "update", ref, "--description", "after"}, bad...)...)
		if r.code != 2 || !strings.Contains(r.err, "--doc") {
			t.Errorf("update with %v: exit %d, %q; want 2 naming the --doc flags", bad, r.code, r.err)
		}
		if journalState(t, c.db) != before {
			t.Fatalf("update with %v was refused but wrote to the journal", bad)
		}
	}
	if got := decode[[]caseJSON](t, c.ok("-o", "json", "case", "list"))[0].Description; got != "before" {
		t.Fatalf("description %q after refused updates", got)
	}
	// Both given and valid: one edit, both written.
	c.ok("--as", "ivanova", "case", "update", ref, "--description", "after", "--doc-number", "15-01/77", "--doc-date", "2026-11-20")
	show := decode[struct {
		Case        caseJSON   `json:"case"`
		Attachments []struct{} `json:"attachments"`
	}](t, c.ok("-o", "json", "case", "show", ref))
	if show.Case.Description != "after" || len(show.Attachments) != 1 {
		t.Fatalf("update with a document: %+v", show)
	}
}

// The transaction is the journal's: a document the journal refuses (here: the case is closed for
// the actor after the card check) leaves the card as it was.
func TestUpdateCaseWithAttachmentIsAtomic(t *testing.T) {
	c := newCLI(t)
	ref := decode[caseJSON](t, c.ok("--as", "ivanova", "-o", "json", "case", "new", "--topic", "clinic-refusal", "--description", "before")).Number
	ctx := context.Background()
	s, err := journal.Open(ctx, c.db, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id, err := s.CaseRef(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	by, err := s.Actor(ctx, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	desc := "after"
	att := &hotline.Attachment{DocumentNumber: "77", RegisteredOn: "2026-02-30"}
	if _, err := s.UpdateCase(ctx, by, id, journal.CaseUpdate{Description: &desc, Attachment: att}); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Fatalf("update with an invalid document: %v, want invalid", err)
	}
	// A card edit the rules refuse takes the (valid) document down with it.
	bad := "not a number"
	att = &hotline.Attachment{DocumentNumber: "77", RegisteredOn: "2026-02-20"}
	if _, err := s.UpdateCase(ctx, by, id, journal.CaseUpdate{CallerNumber: &bad, Attachment: att}); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Fatalf("update with an invalid caller: %v, want invalid", err)
	}
	got, err := s.Case(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	atts, err := s.Attachments(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "before" || len(atts) != 0 {
		t.Fatalf("after two refused updates: description %q, %d attachments", got.Description, len(atts))
	}
}

// script add --file read /dev/zero until the kernel killed it (24 GB). Every file the CLI reads
// is a regular file of bounded size, checked before it is read; the limit is in --help.
func TestScriptFileIsBounded(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(big, bytes.Repeat([]byte("ответ "), 20_000), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	before := journalState(t, c.db)
	for _, tc := range []struct{ file, want string }{
		{"/dev/zero", "is not a regular file (a device)"},
		{fifo, "is not a regular file (a named pipe)"},
		{dir, "is not a regular file (a directory)"},
		{big, "is too large: 220000 bytes, at most 80000"},
		{filepath.Join(dir, "none"), "no such file"},
	} {
		start := time.Now()
		c.fails(2, tc.want, "--as", "admin", "script", "add", "--topic", "clinic-refusal", "--title", "x", "--file", tc.file)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("--file %s took %s", tc.file, d)
		}
	}
	if journalState(t, c.db) != before {
		t.Fatal("refused script add wrote to the journal")
	}
	if out := c.ok("script", "add", "--help"); !strings.Contains(out, "80000 bytes") {
		t.Errorf("script add --help does not give the file limit:\n%s", out)
	}
}

// A command honours SIGINT and SIGTERM through its context: cancelled, it stops with exit 130
// and writes nothing.
func TestInterruptedCommandWritesNothing(t *testing.T) {
	c := newCLI(t)
	before := journalState(t, c.db)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"--db", c.db, "--as", "admin", "topic", "add", "late", "--type", "complaint", "--title", "x"}, &out, &errb)
	if code != 130 || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("cancelled topic add: exit %d, %q; want 130, interrupted", code, errb.String())
	}
	if journalState(t, c.db) != before {
		t.Fatal("an interrupted command wrote to the journal")
	}
}

// A mistyped --db created an empty journal and advised migrating it. Every command but `db
// migrate` now refuses a journal that is not there, and creates nothing.
func TestMistypedJournalIsNotCreated(t *testing.T) {
	c := newCLI(t)
	missing := filepath.Join(t.TempDir(), "hotlin.db")
	for _, args := range [][]string{
		{"case", "list"}, {"case", "show", "1"}, {"--as", "admin", "operator", "add", "--name", "X"}, {"operator", "list"},
		{"topic", "list"}, {"script", "list"}, {"directory", "search", "x"}, {"db", "check"}, {"db", "backup", missing + ".bak"},
		{"report"}, {"export", "cdr"}, {"recording", "list", "1"}, {"operator", "history", "1"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"--db", missing}, args...), &out, &errb)
		want := "no journal at " + missing + " (--db); create it with `hotline db migrate --db " + missing + "`"
		if code != 6 || !strings.Contains(errb.String(), want) {
			t.Errorf("hotline %s on a missing journal: exit %d, %q; want 6, %q", strings.Join(args, " "), code, errb.String(), want)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("hotline %s created the journal it was refused", strings.Join(args, " "))
		}
	}
	_ = c
}

// damage overwrites the root page of every table and index but those of the tables kept (as a
// disk error or a half-copied file leaves them), and keeps SQLite's header and schema: the
// journal opens, its tables cannot be read.
func damage(t *testing.T, path string, keep ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	if err := db.QueryRow("PRAGMA page_size").Scan(&size); err != nil {
		t.Fatal(err)
	}
	var pages []int64
	rows, err := db.Query("SELECT tbl_name, rootpage FROM sqlite_master WHERE rootpage > 1")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table string
		var p int64
		if err := rows.Scan(&table, &p); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(keep, table) {
			pages = append(pages, p)
		}
	}
	rows.Close()
	db.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		copy(b[(p-1)*size:p*size], bytes.Repeat([]byte{0xa5}, int(size)))
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A damaged journal gave `report` exit 1 with SQLite's raw text.
func TestDamagedJournalIsExplained(t *testing.T) {
	c := newCLI(t)
	// The calls kept, the rest damaged: the report reads the calls through the journal, then
	// the operators, cases and history itself.
	damage(t, c.db, "legs")
	for _, args := range [][]string{{"report"}, {"export", "cdr"}, {"case", "list"}, {"operator", "list"}} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"--db", c.db}, args...), &out, &errb)
		msg := errb.String()
		if code != 6 || !strings.Contains(msg, "the journal at "+c.db+" is damaged") || !strings.Contains(msg, "restore it from a backup (`hotline db backup`") {
			t.Errorf("hotline %s on a damaged journal: exit %d, %q; want 6 saying it is damaged and to restore a backup", strings.Join(args, " "), code, msg)
		}
	}
}

// Unclear or raw errors, each now a clear one naming what was wrong.
func TestClearErrors(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	long := strings.Repeat("полис ", 20_000)
	for _, tc := range []struct {
		code int
		want string
		args []string
	}{
		// SQLite's "LIKE or GLOB pattern too complex".
		{2, "TEXT is too long: 120000 characters, at most 100", []string{"topic", "search", long}},
		{2, "TEXT is too long", []string{"script", "search", long}},
		{2, "TEXT is too long", []string{"directory", "search", long}},
		// SQLite's column names.
		{2, "--recommend lists Сидорова С.С. (operator 4) twice", []string{"--as", "admin", "script", "add", "--topic", "clinic-refusal", "--title", "x", "--text", "y", "--recommend", "sidorova,2001"}},
		// A directory as --db: a warning about its mode.
		{2, "--db " + dir + " is a directory, not a journal file", []string{"--db", dir, "case", "list"}},
		{2, "is a directory", []string{"--db", dir, "db", "migrate"}},
		// "--to  is before --from": --to printed empty.
		{2, "--from 2099-01-01 is after today", []string{"report", "--from", "2099-01-01"}},
		// Clamped silently.
		{2, "--limit must be 1 to 10000, not -1", []string{"case", "list", "--limit", "-1"}},
		{2, "--limit must be 1 to 10000, not 0", []string{"case", "list", "--limit", "0"}},
		{2, "--offset must be 0 or more, not -5", []string{"case", "list", "--offset", "-5"}},
		{2, "--limit must be 1 to 10000, not -1", []string{"case", "history", "--caller", "+78652123456", "--limit", "-1"}},
	} {
		r := c.run(tc.args...)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("hotline %.80s: exit %d, %.300q; want %d with %q", strings.Join(tc.args, " "), r.code, r.err, tc.code, tc.want)
		}
		if strings.Contains(r.err, "mode") || strings.Contains(r.err, "LIKE") || strings.Contains(r.err, "script_specialists") {
			t.Errorf("hotline %.80s: %.300q", strings.Join(tc.args, " "), r.err)
		}
	}
}

// db check on a journal from a newer hotline advised `db migrate`, which cannot go back.
func TestCheckNewerJournal(t *testing.T) {
	c := newCLI(t)
	db, err := sql.Open("sqlite3", c.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := "written by a newer hotline (schema 99, this build knows " // version is the build's
	for _, args := range [][]string{{"db", "check"}, {"case", "list"}, {"report"}} {
		r := c.run(args...)
		if r.code != 6 || !strings.Contains(r.err, want) || strings.Contains(r.err, "run `hotline db migrate") {
			t.Errorf("hotline %s on a newer journal: exit %d, %q; want 6, %q", strings.Join(args, " "), r.code, r.err, want)
		}
	}
}

// Stored control characters and ANSI/OSC escapes were written raw to the terminal by `case
// show` (retitle, clear screen, forged lines). The journal keeps what it was given (the call
// flow stores what a SIP client sends); text output escapes it, JSON escapes it its own way.
func TestStoredEscapesAreNotObeyed(t *testing.T) {
	c := newCLI(t)
	ctx := context.Background()
	s, err := journal.Open(ctx, c.db, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	by, err := s.Actor(ctx, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	evil := "\x1b]0;owned\x07\x1b[2J\r\nforged line\u202e\u009b31m"
	cs := hotline.Case{Channel: hotline.ChannelPhone, Topic: "clinic-refusal", Description: evil,
		Person: hotline.Person{FullName: "Имя\x1b[5m", Address: "a\tb", PolicyNumber: "2650000000000001"}}
	if err := s.NewCase(ctx, by, &cs); err != nil {
		t.Fatal(err)
	}
	admin, err := s.Actor(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	op := hotline.Operator{Name: "Оператор\x1b]0;owned\x07", Role: hotline.RoleOperator, Level: 1, Extension: "1009"}
	if err := s.AddOperator(ctx, admin, &op); err != nil {
		t.Fatal(err)
	}
	// On line today, so that the report lists them.
	if err := s.RecordPresence(ctx, hotline.PresenceEvent{OperatorID: op.ID, At: time.Now().Add(-time.Minute), Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	yesterday := time.Now().AddDate(0, 0, -1).Format(hotline.DateLayout) // a minute ago may be yesterday
	for _, args := range [][]string{{"report", "--by", "operator", "--from", yesterday}, {"operator", "list"}, {"directory", "search", "Оператор"}} {
		out := c.ok(args...)
		if err := clean(out); err != nil {
			t.Errorf("hotline %s: %v:\n%q", args, err, out)
		}
		if !strings.Contains(out, `Оператор\x1b]0;owned\x07`) {
			t.Errorf("hotline %s does not show the operator's name escaped:\n%s", args, out)
		}
	}
	for _, args := range [][]string{{"case", "show", cs.Number}, {"case", "list"}, {"case", "history", "--policy", "2650000000000001"}} {
		out := c.ok(args...)
		if err := clean(out); err != nil {
			t.Errorf("hotline %s: %v:\n%q", args[:2], err, out)
		}
		if args[1] == "show" && !strings.Contains(out, `\x1b]0;owned\x07\x1b[2J\x0d\x0aforged line\u202e\u009b31m`) {
			t.Errorf("case show does not show the description escaped:\n%s", out)
		}
	}
	j := c.ok("-o", "json", "case", "show", cs.Number)
	if !strings.Contains(j, `\u001b]0;owned\u0007`) {
		t.Errorf("JSON does not carry the description as JSON escapes:\n%s", j)
	}
}

// Every error echoed the whole input (a 100 KB line); now at most 80 characters of it.
func TestErrorsQuoteInputShort(t *testing.T) {
	c := newCLI(t)
	long := strings.Repeat("x", 100_000)
	for _, args := range [][]string{
		{"case", "show", long}, {"case", "list", "--from", long}, {"report", "--tz", long}, {"--db", long, "case", "list"},
		{"case", "list", "--status", long}, {"case", "lst" + long}, {"export", "cdr", "--queue", long}, {"-o", long, "case", "list"},
	} {
		r := c.run(args...)
		if r.code == 0 || r.code == 1 || len(r.err) > 600 || !strings.Contains(r.err, "…") && !strings.Contains(r.err, "too long") {
			t.Errorf("hotline %.60s: exit %d, %d bytes on stderr: %.300q", strings.Join(args, " "), r.code, len(r.err), r.err)
		}
	}
}

// export queue-log --queue accepted | and newlines, so a queue name forged queue_log lines.
func TestQueueNameCannotForgeLines(t *testing.T) {
	c := newCLI(t)
	for _, q := range []string{"hotline|1|2|ENTERQUEUE", "hotline\n1700000000|x|hotline|NONE|ABANDON", "hot line", ""} {
		r := c.run("export", "queue-log", "--queue", q)
		if r.code != 2 || !strings.Contains(r.err, "--queue") {
			t.Errorf("--queue %q: exit %d, %q; want 2 naming --queue", q, r.code, r.err)
		}
		if r.out != "" {
			t.Errorf("--queue %q wrote %q", q, r.out)
		}
	}
	c.ok("export", "queue-log", "--queue", "hotline-2.en_1")
}

// Pause reasons like abc, 77 or escape codes were accepted and kept for good in the append-only
// presence history. Reasons are what a handset keys with *23N: a digit, or none.
func TestPauseReasonsAreCodes(t *testing.T) {
	c := newCLI(t)
	for _, reason := range []string{"abc", "77", "-1", " 1", "missed"} {
		c.fails(2, "--reason: pause reason", "--as", "admin", "operator", "pause", "1001", "--reason", reason)
		c.fails(2, "a digit 0-9, as keyed with *23N", "--as", "admin", "operator", "pause", "1001", "--reason", reason)
	}
	c.fails(2, "--reason holds a control character", "--as", "admin", "operator", "pause", "1001", "--reason", "\x1b[2J")
	// A valid one goes on to the daemon, which is not running.
	c.fails(6, "no hotline daemon at", "--as", "admin", "operator", "pause", "1001", "--reason", "2", "--socket", filepath.Join(t.TempDir(), "none.sock"))
}

// `hotline case lst` printed help and exited 0; an unknown command exited 1, "internal error".
func TestUnknownCommandIsInvalidUsage(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"case", "lst"}, `unknown command "lst" for "hotline case"; did you mean list?`},
		{[]string{"--as", "admin", "case", "lst", "--status", "x"}, `did you mean list?`},
		{[]string{"nosuch"}, `unknown command "nosuch" for "hotline"`},
		{[]string{"reprot"}, `did you mean report?`},
		{[]string{"db", "migrat"}, `did you mean migrate?`},
	} {
		c.fails(2, tc.want, tc.args...)
	}
	// A group alone still shows its help.
	if out := c.ok("case"); !strings.Contains(out, "Available Commands") {
		t.Errorf("hotline case:\n%s", out)
	}
}

// --to included its day in `report` but not in `case list`: both now include it.
func TestToIncludesTheDay(t *testing.T) {
	c := newCLI(t)
	c.ok("--as", "ivanova", "case", "new", "--topic", "clinic-refusal")
	today := time.Now().Format(hotline.DateLayout)
	if got := decode[[]caseJSON](t, c.ok("-o", "json", "case", "list", "--from", today, "--to", today)); len(got) != 1 {
		t.Errorf("case list --from %s --to %s: %d cases, want today's 1", today, today, len(got))
	}
	if out := c.ok("case", "list", "--help"); !strings.Contains(out, "YYYY-MM-DD, included") {
		t.Errorf("case list --help does not say --to includes the day:\n%s", out)
	}
	c.fails(2, "the range is empty", "case", "list", "--from", today, "--to", "2000-01-01")
}

// -o was a file for export and a format everywhere else: export writes to --out (-f).
func TestExportWritesToOut(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	for _, flag := range []string{"--out", "-f"} {
		file := filepath.Join(dir, "cdr"+flag)
		c.ok("export", "cdr", flag, file)
		if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("export cdr %s: %v %v", flag, st, err)
		}
	}
	c.fails(2, "write to a file with --out (-f)", "export", "cdr", "-o", filepath.Join(dir, "x.csv"))
	if _, err := os.Stat(filepath.Join(dir, "x.csv")); err == nil {
		t.Error("export -o FILE wrote the file")
	}
}

// A journal the user may only read (a read-only file in a read-only directory) could not even
// be read. The read-only commands work on it; the others are refused, untouched. As root the
// modes do not bind, so the test runs hotline as nobody.
func TestReadOnlyJournal(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(ro, "hotline.db")
	b, err := os.ReadFile(c.db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, b, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })
	hotlineAs := runAsReader(t, dir)
	before := journalState(t, db)
	for _, args := range [][]string{{"operator", "list"}, {"case", "list"}, {"topic", "search", "полис"}, {"db", "check"}, {"report"}, {"export", "cdr"}} {
		if code, out, errs := hotlineAs(append([]string{"--db", db}, args...)...); code != 0 {
			t.Errorf("hotline %s on a read-only journal: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
	}
	code, _, errs := hotlineAs("--db", db, "--as", "admin", "topic", "add", "x", "--type", "complaint", "--title", "x")
	if code != 6 || !strings.Contains(errs, "read-only") {
		t.Errorf("topic add on a read-only journal: exit %d, %q; want 6, read-only", code, errs)
	}
	if journalState(t, db) != before {
		t.Fatal("the read-only journal changed")
	}
	if es, _ := os.ReadDir(ro); len(es) != 1 {
		t.Errorf("files left next to the read-only journal: %v", es)
	}
}

// runAsReader returns a way to run hotline that cannot write what only root may: in-process
// when the test does not run as root, else this test binary again as nobody (TestMain), from a
// copy nobody may execute under dir.
func runAsReader(t *testing.T, dir string) func(args ...string) (code int, stdout, stderr string) {
	if os.Geteuid() != 0 {
		return func(args ...string) (int, string, string) {
			var out, errb bytes.Buffer
			code := run(context.Background(), args, &out, &errb)
			return code, out.String(), errb.String()
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hotline.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), runAsHotline+"=1")
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if code < 0 {
			t.Fatalf("run as nobody: %v", err)
		}
		return code, out.String(), errb.String()
	}
}

// runAsHotline makes the test binary behave as hotline (TestMain).
const runAsHotline = "HOTLINE_TEST_RUN_AS_HOTLINE"

func TestMain(m *testing.M) {
	if os.Getenv(runAsHotline) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Commands that talk to the daemon fail at once, naming --socket, when it is not there: the board
// used to redraw "cannot reach" forever.
func TestDaemonCommandsFailFast(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock") // a crashed daemon's socket: nobody listens
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	for _, tc := range []struct{ socket, want string }{
		{filepath.Join(dir, "none.sock"), "no hotline daemon at"},
		{stale, "cannot reach the hotline daemon"},
		{dir, "--socket " + dir + " is not a socket (a directory)"},
	} {
		for _, args := range [][]string{{"status"}, {"board"}, {"--as", "admin", "operator", "login", "1001"}} {
			start := time.Now()
			r := c.run(append(args, "--socket", tc.socket)...)
			if r.code != 6 && r.code != 2 || !strings.Contains(r.err, tc.want) || time.Since(start) > 5*time.Second {
				t.Errorf("hotline %s --socket %s: exit %d after %s: %q; want at once %q", args, tc.socket, r.code, time.Since(start), r.err, tc.want)
			}
		}
	}
}
