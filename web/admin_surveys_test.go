package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/journal"
)

const testQuestions = "Прошли ли вы диспансеризацию?\n- Да\n- Нет\n- Прохожу сейчас\n\nУдобно ли было записаться?\n- Да\n- Нет\n"

func TestAdminQuestionnaires(t *testing.T) {
	c := newCardHarness(t)
	// Administrators only, on every route.
	for _, u := range []User{level1, level2} {
		for i, rec := range []*http.Response{
			c.get(u, "/admin/surveys").Result(),
			c.get(u, "/admin/surveys/checkup/2026").Result(),
			c.post(u, "/admin/surveys/checkup/2026", url.Values{"questions": {testQuestions}, "refusal_reasons": {"Нет времени"}, "base": {"0"}}).Result(),
		} {
			if rec.StatusCode != http.StatusForbidden {
				t.Errorf("%s, route %d: %d", u.Login, i, rec.StatusCode)
			}
		}
	}
	if _, err := c.j.Questionnaire(t.Context(), journal.SurveyCheckup, 2026); err == nil {
		t.Fatal("an operator's post saved a questionnaire")
	}
	if body := c.get(admin, "/admin/surveys").Body.String(); !strings.Contains(body, `id="questionnaires-none"`) || !strings.Contains(body, `href="/admin/surveys">Анкеты опроса<`) {
		t.Fatalf("empty list:\n%s", body)
	}
	if rec := c.get(admin, "/admin/surveys/open?kind=observation&year=2026"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/surveys/observation/2026" {
		t.Fatalf("open: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	for _, p := range []string{"/admin/surveys/poll/2026", "/admin/surveys/checkup/1999", "/admin/surveys/checkup/x"} {
		if rec := c.get(admin, p); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
	// Bad input: the line and what is wrong, by the field; nothing saved; the text kept.
	for _, tc := range []struct {
		questions, reasons, want string
	}{
		{"Прошли?\n- Да\n", "Нет времени", "строка 1: у вопроса нужно не менее двух вариантов"},
		{"- Да\nПрошли?\n- Да\n- Нет", "Нет времени", "строка 1: вариант ответа до первого вопроса"},
		{testQuestions, "", "нужна хотя бы одна причина отказа"},
		{testQuestions, "Нет времени\nНет времени", "строка 2: такая причина уже есть"},
		{"<script>alert(1)</script>\n- Да", "x", "&lt;script&gt;"},
	} {
		rec := c.post(admin, "/admin/surveys/checkup/2026", url.Values{"questions": {tc.questions}, "refusal_reasons": {tc.reasons}, "base": {"0"}})
		body := rec.Body.String()
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `role="alert"`) || strings.Contains(body, "<script>alert") {
			t.Errorf("%q: %d\n%s", tc.questions, rec.Code, body)
		}
	}
	if _, err := c.j.Questionnaire(t.Context(), journal.SurveyCheckup, 2026); err == nil {
		t.Fatal("a refused post saved a questionnaire")
	}
	save := func(questions string, base string) *http.Response {
		return c.post(admin, "/admin/surveys/checkup/2026", url.Values{"questions": {questions}, "refusal_reasons": {"Нет времени\nНе хочет отвечать"}, "base": {base}}).Result()
	}
	if rec := save(testQuestions, "0"); rec.StatusCode != http.StatusSeeOther || rec.Header.Get("Location") != "/admin/surveys/checkup/2026?saved=1" {
		t.Fatalf("save: %d %s", rec.StatusCode, rec.Header.Get("Location"))
	}
	body := c.get(admin, "/admin/surveys/checkup/2026?saved=1").Body.String()
	for _, want := range []string{"Анкета сохранена: версия 1.", `name="base" value="1"`, "- Прохожу сейчас", "Не хочет отвечать</textarea>", "Версия 1</a>"} {
		if !strings.Contains(body, want) {
			t.Errorf("editor lacks %q", want)
		}
	}
	// A stale base: refused, the text kept.
	rec := c.post(admin, "/admin/surveys/checkup/2026", url.Values{"questions": {"Мой вопрос?\n- Да\n- Нет"}, "refusal_reasons": {"x"}, "base": {"0"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "другой администратор") || !strings.Contains(rec.Body.String(), "Мой вопрос?") {
		t.Fatalf("stale: %d", rec.Code)
	}
	if rec := save("Новый вопрос?\n- Да\n- Нет\n", "1"); rec.StatusCode != http.StatusSeeOther {
		t.Fatalf("version 2: %d", rec.StatusCode)
	}
	// The old version stays readable.
	body = c.get(admin, "/admin/surveys/checkup/2026?version=1").Body.String()
	if !strings.Contains(body, `id="questionnaire-old"`) || !strings.Contains(body, "Прохожу сейчас") || strings.Contains(body, `id="questionnaire"`) {
		t.Fatalf("version 1:\n%s", body)
	}
	if rec := c.get(admin, "/admin/surveys/checkup/2026?version=7"); rec.Code != http.StatusNotFound {
		t.Errorf("version 7: %d", rec.Code)
	}
	body = c.get(admin, "/admin/surveys").Body.String()
	if !strings.Contains(body, `data-questionnaire="checkup/2026"`) || !strings.Contains(body, "<td>2</td><td>1</td>") {
		t.Errorf("list:\n%s", body)
	}
}
