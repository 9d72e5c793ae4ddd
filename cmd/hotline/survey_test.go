package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/journal"
)

func TestSurveyActionsImport(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	reg := filepath.Join(dir, "register.csv")
	if err := os.WriteFile(reg, []byte("policy_number;full_name;birth_date;sex;mo_code;mo_name;disp_year;disp_month\n"+
		"2000000000000001;Ким Ирина Олеговна;1991-02-03;ж;260001;Поликлиника № 1;2026;3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("--as", "admin", "insured", "import", reg)
	acts := filepath.Join(dir, "actions.csv")
	if err := os.WriteFile(acts, []byte("ЕНП;Журнал;Год;Действие;Дата;Канал / этап\n"+
		"2000000000000001;Диспансеризация;2026;уведомление;01.03.2026;СМС\n"+
		"2000000000000001;Диспансеризация;2026;этап;10.04.2026;1\n"+
		"2000000000000002;Диспансеризация;2026;этап;10.04.2026;1\n"+
		"2000000000000001;Диспансеризация;2026;этап;31.04.2026;1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(5, "administrator", "--as", "ivanova", "survey", "actions", "import", acts)
	r := c.run("--as", "admin", "survey", "actions", "import", acts)
	if r.code != 2 || !strings.Contains(r.err, "2 of 4 lines rejected") {
		t.Fatalf("import: exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"added      2", "\n4     2000000000000002  unknown policy number", "\n5     2000000000000001  invalid date"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.out)
		}
	}
	again := c.run("--as", "admin", "-o", "json", "survey", "actions", "import", acts)
	rep := decode[journal.ActionImportReport](t, again.out)
	if again.code != 2 || rep.Added != 0 || rep.Unchanged != 2 || rep.Rejected != 2 {
		t.Fatalf("again: exit %d %+v", again.code, rep)
	}
	cp1251 := filepath.Join(dir, "cp1251.csv")
	if err := os.WriteFile(cp1251, []byte("\xc5\xcd\xcf;\xc6\xf3\xf0\xed\xe0\xeb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.fails(2, "not UTF-8", "--as", "admin", "survey", "actions", "import", cp1251)
	c.fails(2, "FILE", "--as", "admin", "survey", "actions", "import", filepath.Join(dir, "missing.csv"))
	c.fails(2, "no journal column", "--as", "admin", "survey", "actions", "import", reg)
}
