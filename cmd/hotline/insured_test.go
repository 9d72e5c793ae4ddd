package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/journal"
)

// harnessRegister is a valid extract: the bad-input harness imports it as the FILE argument.
const harnessRegister = "\uFEFFpolicy_number;full_name;birth_date;sex;phones;mo_code;mo_name\n" +
	"1000000000000001;Иванов Иван Иванович;17.05.1980;м;+79121234567;260001;ГБУЗ «Городская поликлиника № 1»\n"

func TestInsuredImportEndToEnd(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	gen := filepath.Join(dir, "synthetic.csv")
	if out := c.ok("insured", "generate", "--count", "300", "--seed", "7", gen); !strings.Contains(out, "300 synthetic persons") {
		t.Errorf("generate: %q", out)
	}
	c.fails(4, "exists", "insured", "generate", "--count", "3", gen)
	c.fails(2, "--count must be", "insured", "generate", "--count", "0", filepath.Join(dir, "none.csv"))
	c.fails(5, "administrator", "--as", "ivanova", "insured", "import", gen)

	r := c.run("--as", "admin", "-o", "json", "insured", "import", gen)
	if r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.err)
	}
	rep := decode[journal.ImportReport](t, r.out)
	if rep.Lines != 300 || rep.Added != 300 || rep.Rejected != 0 {
		t.Fatalf("import report %+v", rep)
	}
	// Not a terminal: the progress is a line, not redrawn with control characters.
	if strings.ContainsAny(r.err, "\r\x1b") {
		t.Errorf("progress on a pipe holds control characters: %q", r.err)
	}
	again := decode[journal.ImportReport](t, c.ok("--as", "admin", "-o", "json", "insured", "import", gen))
	if again.Unchanged != 300 || again.Added != 0 || again.Updated != 0 {
		t.Errorf("the same file again: %+v", again)
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("policy_number;full_name;birth_date;sex\n"+
		"2000000000000001;Ким Ирина Олеговна;1991-02-03;ж\n"+
		"2000000000000002;Ким Олег;1991-02-30;м\n"+
		"2000000000000001;Ким Ирина;1991-02-03;ж\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = c.run("--as", "admin", "insured", "import", bad)
	if r.code != 2 || !strings.Contains(r.err, "2 of 3 lines rejected") {
		t.Fatalf("import with bad lines: exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"\n3     2000000000000002  invalid birth date", "\n4     2000000000000001  policy number 2000000000000001 repeats line 2", "added      1"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.out)
		}
	}
	out := c.ok("insured", "search", "--name", "ким ир")
	if !strings.Contains(out, "2000000000000001") || !strings.Contains(out, "Ким Ирина Олеговна") || strings.Contains(out, "Ким Олег") {
		t.Errorf("search: %s", out)
	}
	c.fails(2, "--name or --born is required", "insured", "search")
	c.fails(2, "--born", "insured", "search", "--born", "31.02.1991")

	cp1251 := filepath.Join(dir, "cp1251.csv")
	if err := os.WriteFile(cp1251, []byte("\xc5\xcd\xcf;\xd4\xc8\xce;\xc4\xe0\xf2\xe0;\xcf\xee\xeb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(2, "not UTF-8", "--as", "admin", "insured", "import", cp1251)
	c.fails(2, "FILE", "--as", "admin", "insured", "import", filepath.Join(dir, "missing.csv"))
	c.fails(2, "not a regular file", "--as", "admin", "insured", "import", dir)
}
