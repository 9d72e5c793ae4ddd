package web

import (
	"fmt"
	"net/http"
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
}
