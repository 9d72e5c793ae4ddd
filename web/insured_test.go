package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

// withRegister imports persons (policy, full name, birth date, address) into the harness's
// journal and returns their ids by policy number.
func (c *cardHarness) withRegister(persons ...[4]string) map[string]int64 {
	c.t.Helper()
	var b strings.Builder
	b.WriteString("policy_number;full_name;birth_date;sex;address\n")
	for _, p := range persons {
		fmt.Fprintf(&b, "%s;%s;%s;м;%s\n", p[0], p[1], p[2], p[3])
	}
	rd, err := register.NewReader(strings.NewReader(b.String()))
	if err != nil {
		c.t.Fatal(err)
	}
	rep, err := c.j.ImportInsured(c.t.Context(), admin.Actor(), rd, journal.ImportOptions{})
	if err != nil || rep.Added != len(persons) {
		c.t.Fatalf("import: %+v %v", rep, err)
	}
	ids := map[string]int64{}
	for _, p := range persons {
		found, err := c.j.InsuredByPolicy(c.t.Context(), p[0])
		if err != nil {
			c.t.Fatal(err)
		}
		ids[p[0]] = found.ID
	}
	return ids
}

func TestCardInsuredSearch(t *testing.T) {
	c := newCardHarness(t)
	persons := [][4]string{
		{"2650000000000001", "Фёдоров Пётр Алексеевич", "1970-03-04", "г. Ставрополь, ул. Мира, д. 1"},
		{"2650000000000002", "Федорова Алёна Ивановна", "1985-06-07", ""},
	}
	for i := range 12 {
		persons = append(persons, [4]string{fmt.Sprintf("26500000000001%02d", i), "Смирнов Олег Олегович", fmt.Sprintf("19%02d-01-01", 50+i), ""})
	}
	ids := c.withRegister(persons...)

	// The card shows the search block (§5.1.3) above the card.
	body := c.get(level1, "/cards/new").Body.String()
	for _, want := range []string{`<details id="insured-search"`, "Поиск по реестру застрахованных лиц", `id="insured_name"`, `id="insured_birth"`,
		`id="insured-find" name="action" value="search">Поиск<`, `id="insured-clear" name="action" value="clear">Очистить<`, "Скрыть", `hx-get="/cards/insured"`} {
		if !strings.Contains(body, want) {
			t.Errorf("new card lacks %s", want)
		}
	}
	if strings.Index(body, `id="insured-search"`) > strings.Index(body, `id="case-card"`) {
		t.Error("the search block is not before the card")
	}

	search := func(q url.Values) (int, string) {
		rec := c.get(level1, "/cards/insured?"+q.Encode())
		return rec.Code, rec.Body.String()
	}
	code, frag := search(url.Values{"insured_name": {"ФЁДОР п"}, "action": {"search"}})
	fid := strconv.FormatInt(ids["2650000000000001"], 10)
	if code != 200 || !strings.Contains(frag, `data-insured="`+fid+`"`) || strings.Contains(frag, "Алёна") ||
		!strings.Contains(frag, "04.03.1970") || !strings.Contains(frag, `form="case-card" formaction="/cards/insured" formnovalidate name="attach" value="`+fid+`">прикрепить<`) ||
		!strings.Contains(frag, `id="insured-apply"`) || !strings.Contains(frag, `value="ФЁДОР п"`) || strings.Contains(frag, "<html") {
		t.Fatalf("search fragment %d:\n%s", code, frag)
	}
	code, frag = search(url.Values{"insured_birth": {"1985-06-07"}})
	if code != 200 || !strings.Contains(frag, "Федорова Алёна Ивановна") || strings.Count(frag, "data-insured=") != 1 {
		t.Fatalf("by birth date %d:\n%s", code, frag)
	}
	code, frag = search(url.Values{"insured_name": {"смирнов"}})
	if code != 200 || strings.Count(frag, "data-insured=") != 10 || !strings.Contains(frag, `id="insured-more"`) {
		t.Fatalf("at most ten: %d, %d rows", code, strings.Count(frag, "data-insured="))
	}
	code, frag = search(url.Values{"insured_name": {"Кузнецов"}})
	if code != 200 || !strings.Contains(frag, `id="insured-none"`) {
		t.Fatalf("nobody: %d\n%s", code, frag)
	}
	code, frag = search(url.Values{"insured_name": {"смирнов"}, "action": {"clear"}})
	if code != 200 || strings.Contains(frag, "data-insured=") || strings.Contains(frag, `value="смирнов"`) {
		t.Fatalf("«Очистить»: %d\n%s", code, frag)
	}

	// Bad input: a message in the block, the text escaped.
	for _, tc := range []struct {
		name string
		q    url.Values
		want string
	}{
		{"empty", url.Values{"insured_name": {"  "}}, "Заполните хотя бы одно из полей"},
		{"too long", url.Values{"insured_name": {strings.Repeat("я", hotline.MaxNameLen+1)}}, "Не более 200 символов (введено 201)"},
		{"bad date", url.Values{"insured_birth": {"1990-02-31"}}, "Дата рождения"},
		{"too many words", url.Values{"insured_name": {"а б в г д е ж"}}, "не более 6 слов"},
		{"not UTF-8", url.Values{"insured_name": {"\xff\xfe"}}, "Запрос не прочитан"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, frag := search(tc.q)
			if code != http.StatusUnprocessableEntity || !strings.Contains(frag, tc.want) || !strings.Contains(frag, `role="alert"`) {
				t.Errorf("%d:\n%s", code, frag)
			}
		})
	}
	_, frag = search(url.Values{"insured_name": {`<script>alert(1)</script>`}})
	if strings.Contains(frag, "<script>alert") || !strings.Contains(frag, "&lt;script&gt;") {
		t.Errorf("the query is not escaped:\n%s", frag)
	}
}

func TestCardAttachInsured(t *testing.T) {
	c := newCardHarness(t)
	ids := c.withRegister([4]string{"2650000000000001", "Фёдоров Пётр Алексеевич", "1970-03-04", "г. Ставрополь, ул. Мира, д. 1"})
	id := strconv.FormatInt(ids["2650000000000001"], 10)
	c.answeredCall("1700000000.42", "89121234567", level1.OperatorID)

	// What the operator typed stays; the personal data comes from the register; the caller's
	// number stays the call's.
	typed := cardForm1("call", "1700000000.42", "caller_number", "+79121234567", "full_name", "Федоров П", "description", "Звонит о замене полиса")
	typed.Set("attach", id)
	rec := c.postFile(level1, "/cards/insured", typed, "", nil)
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("attach: %d\n%s", rec.Code, body)
	}
	for _, want := range []string{`name="full_name" value="Фёдоров Пётр Алексеевич"`, `name="birth_date" value="1970-03-04"`,
		`name="policy_number" value="2650000000000001"`, `name="address" value="г. Ставрополь, ул. Мира, д. 1"`,
		`name="caller_number" value="&#43;79121234567"`, "Звонит о замене полиса</textarea>", `name="call" id="call-id" value="1700000000.42"`,
		"Сведения о застрахованном лице прикреплены"} {
		if !strings.Contains(body, want) {
			t.Errorf("attached card lacks %s", want)
		}
	}
	if strings.Contains(body, `value="Федоров П"`) {
		t.Error("the typed name was not replaced")
	}
	if n := c.cases(); n != 0 {
		t.Fatalf("attaching saved a case: %d cases", n)
	}
	// «Применить» with the chosen radio does the same; then «Сохранить» registers the person's data.
	chosen := cardForm1("call", "1700000000.42", "caller_number", "+79121234567")
	chosen.Set("insured", id)
	if rec := c.post(level1, "/cards/insured", chosen); rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="policy_number" value="2650000000000001"`) {
		t.Fatalf("«Применить»: %d", rec.Code)
	}
	saved := cardForm1("call", "1700000000.42", "caller_number", "+79121234567", "full_name", "Фёдоров Пётр Алексеевич",
		"birth_date", "1970-03-04", "policy_number", "2650000000000001", "insured", id)
	k := c.state(caseIDFrom(t, c.post(level1, "/cards", saved))).c
	if k.Person.PolicyNumber != "2650000000000001" || k.Person.FullName != "Фёдоров Пётр Алексеевич" {
		t.Fatalf("saved person %+v", k.Person)
	}

	for _, tc := range []struct {
		name, attach string
		code         int
		want         string
	}{
		{"nothing chosen", "", http.StatusUnprocessableEntity, "Выберите застрахованное лицо"},
		{"not an id", "<script>", http.StatusBadRequest, "не выбрано"},
		{"unknown person", "999999", http.StatusNotFound, "не найдено в реестре"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := cardForm1("full_name", "Как ввели", "description", "<b>введено</b>")
			if tc.attach != "" {
				f.Set("attach", tc.attach)
			}
			rec := c.post(level2, "/cards/insured", f)
			body := rec.Body.String()
			if rec.Code != tc.code || !strings.Contains(body, tc.want) || !strings.Contains(body, `value="Как ввели"`) ||
				!strings.Contains(body, "&lt;b&gt;введено&lt;/b&gt;") {
				t.Errorf("%d:\n%s", rec.Code, body)
			}
		})
	}
}
