package journal_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

const registerHeader = "policy_number;full_name;birth_date;sex;phones;address;mo_code;mo_name;health_group;diagnosis;disp_year;disp_month;stage\n"

// importCSV imports an extract given as text.
func (f *fixture) importCSV(t *testing.T, text string, batch int) journal.ImportReport {
	t.Helper()
	rd, err := register.NewReader(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.s.ImportInsured(context.Background(), f.admin, rd, journal.ImportOptions{Source: "test.csv", BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func names(ps []hotline.Insured) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.FullName
	}
	return out
}

func TestImportInsuredRejectsLinesWhole(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	text := registerHeader +
		"1000000000000001;Иванов Иван Иванович;1980-05-17;м;+79121234567, 8 (912) 765-43-21;г. Ставрополь, ул. Мира, д. 1;260001;ГБУЗ «Городская поликлиника № 1»;IIIа;е11.9;2026;3;1\n" + // 2 ok
		"1000000000000002;Петрова Анна Сергеевна;31.02.1990;ж;;;260001;;;;;;\n" + // 3 bad date
		"1000000000000003;Сидоров Пётр;1975-01-01;м;;;269999;;;;;;\n" + // 4 unknown organisation
		"1000000000000001;Иванов Иван Петрович;1980-05-17;м;;;;;;;;;\n" + // 5 duplicate of line 2
		"1000000000000004;Кузнецова \xcf\xe5\xf2\xf0;1991-01-01;ж;;;;;;;;;\n" + // 6 windows-1251 bytes
		"123;Смирнов Олег;1960-01-01;м;;;;;;;;;\n" + // 7 not a policy number
		"1000000000000005;<script>alert(1)</script>;1960-01-01;м;;;;;;;;;\n" + // 8 markup for a name
		"1000000000000006;Фёдорова Алёна Петровна;2001-12-01;ж;+79990001122;;260001;;2;I10;;;\n" + // 9 ok
		"1000000000000007;Орлов Олег;1960-01-01;м;12;;;;;;;;\n" + // 10 bad phone
		"1000000000000008;Орлов Олег;1960-01-01;м;;;;;;;;\n" + // 11 a column short
		"1000000000000009;Салтыков-Щедрин Михаил Евграфович;1926-01-27;м;;;;;;;;;\n" + // 12 ok
		"1000000000000010;Орлов Олег;2099-01-01;м;;;;;;;;;\n" + // 13 born in the future
		"1000000000000011;Орлов Олег;1960-01-01;x;;;;;;;;;\n" // 14 unknown sex
	rep := f.importCSV(t, text, 3) // batches of 3: a rejection in any batch, a duplicate across batches
	if rep.Added != 3 || rep.Updated != 0 || rep.Rejected != 10 || rep.Lines != 13 || rep.Committed != 14 {
		t.Fatalf("report %+v", rep)
	}
	want := map[int]string{3: "invalid birth date", 4: "unknown medical organisation \"269999\"", 5: "repeats line 2",
		6: "not UTF-8", 7: "not a policy number", 8: "full name", 10: "invalid phone number", 11: "12 columns, the header has 13",
		13: "not plausible", 14: "unknown sex"}
	for _, r := range rep.Rejections {
		w, ok := want[r.Line]
		if !ok || !strings.Contains(r.Reason, w) {
			t.Errorf("line %d rejected for %q, want %q", r.Line, r.Reason, w)
		}
		delete(want, r.Line)
	}
	if len(want) > 0 {
		t.Errorf("not rejected: %v", want)
	}
	n, err := f.s.CountInsured(ctx)
	if err != nil || n != 3 {
		t.Fatalf("register holds %d persons (%v), want 3: nothing of a rejected line", n, err)
	}
	p, err := f.s.InsuredByPolicy(ctx, "1000 0000 0000 0001")
	if err != nil {
		t.Fatal(err)
	}
	if p.FullName != "Иванов Иван Иванович" || p.Diagnosis != "E11.9" || p.HealthGroup != "IIIа" || p.Stage != 1 ||
		p.Organisation.Name != "ГБУЗ «Городская поликлиника № 1»" ||
		!slices.Equal(p.Phones, []hotline.InsuredPhone{{Number: "+79121234567"}, {Number: "+79127654321"}}) {
		t.Errorf("imported %+v", p)
	}
	// The duplicate's patronymic never reached the register.
	if found, _, _ := f.s.SearchInsured(ctx, journal.InsuredQuery{Name: "петрович"}, 10); len(found) != 0 {
		t.Errorf("the duplicate line was half imported: %v", names(found))
	}
	// Lines the organisation's code alone names are accepted once a line defined it.
	rep = f.importCSV(t, registerHeader+"1000000000000003;Сидоров Пётр;1975-01-01;м;;;260001;;;;;;\n", 0)
	if rep.Added != 1 || rep.Rejected != 0 {
		t.Errorf("known organisation by code: %+v", rep)
	}
}

func TestImportInsuredIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	text := registerHeader +
		"1000000000000001;Иванов Иван Иванович;1980-05-17;м;+79121234567,+79127654321;;;;;;;;\n" +
		"1000000000000002;Петрова Анна Сергеевна;1990-02-01;ж;;;;;;;;;\n"
	if rep := f.importCSV(t, text, 0); rep.Added != 2 {
		t.Fatalf("first import %+v", rep)
	}
	if rep := f.importCSV(t, text, 0); rep.Added != 0 || rep.Updated != 0 || rep.Unchanged != 2 || rep.Rejected != 0 {
		t.Fatalf("the same file again %+v", rep)
	}
	p, _ := f.s.InsuredByPolicy(ctx, "1000000000000001")
	if err := f.s.MarkInsuredPhone(ctx, f.l2, p.ID, "+79121234567", true); err != nil {
		t.Fatal(err)
	}
	// Anna marries; Ivan's second number is gone; the first keeps its «неверный номер» mark.
	changed := registerHeader +
		"1000000000000001;Иванов Иван Иванович;1980-05-17;м;+79121234567;;;;;;;;\n" +
		"1000000000000002;Соколова Анна Сергеевна;1990-02-01;ж;;;;;;;;;\n"
	if rep := f.importCSV(t, changed, 0); rep.Updated != 2 || rep.Added != 0 {
		t.Fatalf("changed file %+v", rep)
	}
	p, _ = f.s.InsuredByPolicy(ctx, "1000000000000001")
	if !slices.Equal(p.Phones, []hotline.InsuredPhone{{Number: "+79121234567", Wrong: true}}) {
		t.Errorf("phones after re-import %+v", p.Phones)
	}
	if found, _, _ := f.s.SearchInsured(ctx, journal.InsuredQuery{Name: "петрова"}, 10); len(found) != 0 {
		t.Errorf("the old surname is still found: %v", names(found))
	}
	if found, _, _ := f.s.SearchInsured(ctx, journal.InsuredQuery{Name: "сокол анна"}, 10); len(found) != 1 {
		t.Errorf("the new surname is not found: %v", names(found))
	}
	if err := f.s.MarkInsuredPhone(ctx, f.l2, p.ID, "+79120000000", true); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Errorf("marking a number the person has not: %v", err)
	}
	// Operators do not import.
	rd, _ := register.NewReader(strings.NewReader(text))
	if _, err := f.s.ImportInsured(ctx, f.op1, rd, journal.ImportOptions{}); hotline.ErrorCode(err) != hotline.EFORBIDDEN {
		t.Errorf("an operator imported: %v", err)
	}
}

func TestRegisterFileRefusals(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "empty"},
		{"windows-1251 header", "\xd4\xc8\xce;\xc5\xcd\xcf\n", "not UTF-8"},
		{"commas", "policy_number,full_name,birth_date,sex\n", "semicolons"},
		{"no policy column", "full_name;birth_date;sex\n", "no policy_number column"},
		{"twice", "policy_number;full_name;birth_date;sex;ЕНП\n", "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := register.NewReader(strings.NewReader(tc.text))
			if hotline.ErrorCode(err) != hotline.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want invalid with %q", err, tc.want)
			}
		})
	}
	// A byte-order mark and Russian headers are read.
	rd, err := register.NewReader(strings.NewReader("\uFEFFЕНП;ФИО;Дата рождения;Пол\n1000000000000001;Ким Ирина;01.02.1990;Ж\n"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := rd.Next()
	if err != nil || l.Err != nil || l.Line != 2 || l.Person.BirthDate != "1990-02-01" || l.Person.Sex != hotline.SexFemale {
		t.Errorf("line %+v %v", l, err)
	}
}

func TestSearchInsured(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(registerHeader)
	add := func(policy int, name, birth, sex string) {
		fmt.Fprintf(&b, "%016d;%s;%s;%s;;;;;;;;;\n", policy, name, birth, sex)
	}
	add(1, "Фёдоров Пётр Алексеевич", "1970-03-04", "м")
	add(2, "Федорова Алёна Ивановна", "1985-06-07", "ж")
	add(3, "Салтыков-Щедрин Михаил Евграфович", "1926-01-27", "м")
	add(4, "Иванов Иван Иванович", "1980-05-17", "м")
	add(5, "Иванова Мария Петровна", "1980-05-17", "ж")
	for i := range 15 { // fifteen namesakes: the cap
		add(100+i, "Смирнов Олег Олегович", fmt.Sprintf("19%02d-01-01", 50+i), "м")
	}
	if rep := f.importCSV(t, b.String(), 0); rep.Added != 20 {
		t.Fatalf("import %+v", rep)
	}
	for _, tc := range []struct {
		name string
		q    journal.InsuredQuery
		want []string
		more bool
	}{
		{"ё as е, any case", journal.InsuredQuery{Name: "ФЕДОР"}, []string{"Фёдоров Пётр Алексеевич", "Федорова Алёна Ивановна"}, false},
		{"е as ё", journal.InsuredQuery{Name: "алена"}, []string{"Федорова Алёна Ивановна"}, false},
		{"prefix of each part, any order", journal.InsuredQuery{Name: "пет фед"}, []string{"Фёдоров Пётр Алексеевич"}, false},
		{"patronymic", journal.InsuredQuery{Name: "евграф"}, []string{"Салтыков-Щедрин Михаил Евграфович"}, false},
		{"half of a double surname", journal.InsuredQuery{Name: "щедр мих"}, []string{"Салтыков-Щедрин Михаил Евграфович"}, false},
		{"birth date alone", journal.InsuredQuery{BirthDate: "1980-05-17"}, []string{"Иванов Иван Иванович", "Иванова Мария Петровна"}, false},
		{"name and birth date", journal.InsuredQuery{Name: "иванова", BirthDate: "1980-05-17"}, []string{"Иванова Мария Петровна"}, false},
		{"birth date narrows", journal.InsuredQuery{Name: "иван", BirthDate: "1970-03-04"}, nil, false},
		// Each word starts some part, not necessarily a part of its own: «и» starts «иванова» too.
		{"initials", journal.InsuredQuery{Name: "Иванов И.И."}, []string{"Иванов Иван Иванович", "Иванова Мария Петровна", "Федорова Алёна Ивановна"}, false},
		{"initials and a birth date", journal.InsuredQuery{Name: "Иванов И.И.", BirthDate: "1980-05-17"}, []string{"Иванов Иван Иванович", "Иванова Мария Петровна"}, false},
		{"a prefix inside a word is not a match", journal.InsuredQuery{Name: "ванов"}, nil, false},
		{"at most ten", journal.InsuredQuery{Name: "смирнов олег"}, slices.Repeat([]string{"Смирнов Олег Олегович"}, 10), true},
		{"LIKE's wildcards are letters", journal.InsuredQuery{Name: "%"}, nil, false},
		{"LIKE's wildcards in a second word", journal.InsuredQuery{Name: "смирнов _"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found, more, err := f.s.SearchInsured(ctx, tc.q, journal.MaxInsuredResults)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(found), tc.want) || more != tc.more {
				t.Errorf("found %q (more %v), want %q (more %v)", names(found), more, tc.want, tc.more)
			}
		})
	}
	for _, q := range []journal.InsuredQuery{{}, {Name: "  "}, {BirthDate: "31.12.1980"}, {Name: strings.Repeat("я", 201)}, {Name: "а б в г д е ж"}, {Name: "..."}} {
		if _, _, err := f.s.SearchInsured(ctx, q, 10); hotline.ErrorCode(err) != hotline.EINVALID {
			t.Errorf("search %+v: %v, want invalid", q, err)
		}
	}
}
