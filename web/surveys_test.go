package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

func TestSurveyPages(t *testing.T) {
	c := newCardHarness(t)
	var b strings.Builder
	b.WriteString("policy_number;full_name;birth_date;sex;phones;mo_code;mo_name;health_group;diagnosis;disp_year;disp_month;stage\n")
	for i := range 55 {
		fmt.Fprintf(&b, "%016d;Смирнов Олег Олегович;1960-01-01;м;+79121234567;260001;ГБУЗ «Поликлиника № 1» <b>;IIIа;E11.9;2026;3;1\n", 100+i)
	}
	b.WriteString("0000000000000200;Ким Ирина;1970-01-01;ж;;260002;Больница № 2;I;;2026;5;\n")
	rd, err := register.NewReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := c.j.ImportInsured(t.Context(), admin.Actor(), rd, journal.ImportOptions{}); err != nil || rep.Added != 56 {
		t.Fatalf("import %+v %v", rep, err)
	}
	body := c.get(level1, "/surveys").Body.String()
	if !strings.Contains(body, `href="/surveys/checkup">Диспансеризация<`) || !strings.Contains(body, `href="/surveys/observation">Диспансерный учет<`) {
		t.Fatalf("choice:\n%s", body)
	}
	rec := c.get(level1, "/surveys/checkup?year=2026")
	body = rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `data-mo="260001"`) || !strings.Contains(body, `data-mo="260002"`) ||
		!strings.Contains(body, `href="/surveys/checkup/260001?year=2026">Перейти<`) || !strings.Contains(body, "&lt;b&gt;") {
		t.Fatalf("organisations %d:\n%s", rec.Code, body)
	}
	// «Диспансерный учет» holds those with a diagnosis only; the name filter folds case.
	body = c.get(level1, "/surveys/observation?year=2026&org=поликлиника").Body.String()
	if !strings.Contains(body, `data-mo="260001"`) || strings.Contains(body, `data-mo="260002"`) {
		t.Fatalf("observation organisations:\n%s", body)
	}
	rec = c.get(level1, "/surveys/observation/260001?year=2026&month=3")
	body = rec.Body.String()
	if rec.Code != 200 || strings.Count(body, "data-insured=") != journal.SurveyPageSize || !strings.Contains(body, "<td>IIIа</td><td>E11.9</td>") ||
		!strings.Contains(body, `id="next"`) || !strings.Contains(body, "Диагноз по МКБ-10") {
		t.Fatalf("persons %d:\n%s", rec.Code, body)
	}
	if body := c.get(level1, "/surveys/checkup/260001?year=2026&month=4").Body.String(); !strings.Contains(body, `id="survey-none"`) {
		t.Errorf("April:\n%s", body)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/surveys/poll", http.StatusNotFound, "Такого журнала опроса нет"},
		{"/surveys/checkup?year=20x6", http.StatusUnprocessableEntity, "Год: укажите год"},
		{"/surveys/checkup?org=" + strings.Repeat("я", 101), http.StatusUnprocessableEntity, "Не более 100 символов"},
		{"/surveys/checkup/260001?month=13", http.StatusUnprocessableEntity, "Период"},
		{"/surveys/checkup/999999", http.StatusNotFound, "Такой медицинской организации нет"},
		{"/surveys/checkup?org=%3Cscript%3E", http.StatusOK, "&lt;script&gt;"},
	} {
		rec := c.get(level1, tc.path)
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) || strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("%s: %d, want %d with %q", tc.path, rec.Code, tc.code, tc.want)
		}
	}

	// The list's «Просмотр» opens the card, keeping the list's filter.
	ids := regexp.MustCompile(`data-insured="(\d+)"`).FindAllStringSubmatch(c.get(level1, "/surveys/checkup/260001?year=2026&month=3").Body.String(), -1)
	if len(ids) < 2 {
		t.Fatalf("%d rows", len(ids))
	}
	first, second := ids[0][1], ids[1][1]
	cardPath := "/surveys/checkup/260001/" + first + "?month=3&year=2026"
	if body := c.get(level1, "/surveys/checkup/260001?year=2026&month=3").Body.String(); !strings.Contains(body, `href="`+strings.ReplaceAll(cardPath, "&", "&amp;")+`">Просмотр<`) {
		t.Fatalf("no «Просмотр» link to %s", cardPath)
	}
	rec = c.get(level1, cardPath)
	body = rec.Body.String()
	for _, want := range []string{`id="survey-card"`, "Смирнов Олег Олегович", "Этап по данным реестров счетов медицинской организации", "1 этап",
		`<option value="not_called" selected>Не звонили</option>`, `id="survey-next"`, `name="version" value="0"`} {
		if !strings.Contains(body, want) {
			t.Errorf("card lacks %s", want)
		}
	}
	save := func(form url.Values) *httptest.ResponseRecorder { return c.post(level1, cardPath, form) }
	// Bad input: a message by the field, nothing saved.
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"status": {"maybe"}, "version": {"0"}}, "Выберите статус ответа"},
		{url.Values{"status": {"refused"}, "version": {"0"}}, "Укажите причину отказа"},
		{url.Values{"status": {"rescheduled"}, "call_on": {"31.02.2026"}, "version": {"0"}}, "Укажите день"},
		{url.Values{"status": {"answered"}, "comment": {strings.Repeat("я", 2001)}, "version": {"0"}}, "Не более 2000 символов"},
	} {
		rec := save(tc.form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%v: %d", tc.form, rec.Code)
		}
	}
	if st, _ := c.j.SurveyState(t.Context(), journal.SurveyCheckup, 2026, mustID(t, first)); st.Version != 0 {
		t.Fatalf("a refused save wrote %+v", st)
	}
	// «Сохранить и перейти к следующей карточке»: saved, then the next person of the filter.
	rec = save(url.Values{"status": {"refused"}, "refusal_reason": {"<script>нет времени</script>"}, "comment": {"перезвонить не просил"}, "version": {"0"}, "next": {"1"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/surveys/checkup/260001/"+second+"?month=3&year=2026" {
		t.Fatalf("save and next: %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	st, _ := c.j.SurveyState(t.Context(), journal.SurveyCheckup, 2026, mustID(t, first))
	if st.Status != "refused" || st.RefusalReason != "<script>нет времени</script>" || st.UpdatedBy != level1.Login || st.Version != 1 {
		t.Fatalf("saved %+v", st)
	}
	body = c.get(level1, cardPath).Body.String()
	if strings.Contains(body, "<script>нет") || !strings.Contains(body, "&lt;script&gt;нет времени") || !strings.Contains(body, "Отказ от ответа — ivanova") {
		t.Errorf("the saved card:\n%s", body)
	}
	// A stale version: refused, the input kept.
	rec = save(url.Values{"status": {"answered"}, "comment": {"мой ввод"}, "version": {"0"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "другой пользователь") || !strings.Contains(rec.Body.String(), "мой ввод") {
		t.Fatalf("stale: %d", rec.Code)
	}
	// The list filters by answer status.
	body = c.get(level1, "/surveys/checkup/260001?year=2026&status=refused").Body.String()
	if strings.Count(body, "data-insured=") != 1 || !strings.Contains(body, `data-insured="`+first+`"`) || !strings.Contains(body, "<td>Отказ от ответа</td>") {
		t.Errorf("refused only:\n%s", body)
	}
	if rec := c.get(level1, "/surveys/checkup/260001?status=maybe"); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown status filter: %d", rec.Code)
	}
	// A person of another organisation, or none, is no card of this one.
	if rec := c.get(level1, "/surveys/checkup/260002/"+first+"?year=2026"); rec.Code != http.StatusNotFound {
		t.Errorf("card under another organisation: %d", rec.Code)
	}
	if rec := c.get(level1, "/surveys/checkup/260001/x"); rec.Code != http.StatusNotFound {
		t.Errorf("card x: %d", rec.Code)
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
