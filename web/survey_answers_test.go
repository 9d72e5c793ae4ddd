package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

// surveyHarness is the workplace over a journal with 3 persons of 260001 due in 2026 (the first
// two under observation) and the checkup questionnaire of testQuestions; ids are theirs.
func surveyHarness(t *testing.T) (*cardHarness, []string, hotline.Questionnaire) {
	t.Helper()
	c := newCardHarness(t)
	var b strings.Builder
	b.WriteString("policy_number;full_name;birth_date;sex;phones;mo_code;mo_name;health_group;diagnosis;disp_year;disp_month;stage\n")
	for i := range 3 {
		diag := ""
		if i < 2 {
			diag = "E11.9"
		}
		fmt.Fprintf(&b, "%016d;Смирнов Олег Олегович;1960-01-01;м;+79121234567;260001;Поликлиника № 1;IIIа;%s;2026;3;\n", 100+i, diag)
	}
	rd, err := register.NewReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := c.j.ImportInsured(t.Context(), admin.Actor(), rd, journal.ImportOptions{}); err != nil || rep.Added != 3 {
		t.Fatalf("import %+v %v", rep, err)
	}
	qs, _ := hotline.ParseQuestions(testQuestions)
	q := hotline.Questionnaire{Kind: "checkup", Year: 2026, Questions: qs, RefusalReasons: []string{"Нет времени", "Не хочет отвечать"}}
	if err := c.j.SaveQuestionnaire(t.Context(), admin.Actor(), &q, 0); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range regexp.MustCompile(`data-insured="(\d+)"`).FindAllStringSubmatch(c.get(level1, "/surveys/checkup/260001?year=2026").Body.String(), -1) {
		ids = append(ids, m[1])
	}
	if len(ids) != 3 {
		t.Fatalf("%d persons", len(ids))
	}
	return c, ids, q
}

func TestSurveyCardAnswers(t *testing.T) {
	c, ids, q := surveyHarness(t)
	card := "/surveys/checkup/260001/" + ids[0] + "?year=2026"
	body := c.get(level2, card).Body.String()
	for _, want := range []string{`<legend>1. Прошли ли вы диспансеризацию?</legend>`, `id="q1-3" name="q1" value="3"`, `<label for="q1-3">Прохожу сейчас</label>`,
		fmt.Sprintf(`name="questionnaire" value="%d"`, q.ID), `<option value="Нет времени">Нет времени</option>`, `id="survey-notes-none"`, "Карточку ещё не сохраняли"} {
		if !strings.Contains(body, want) {
			t.Errorf("card lacks %s", want)
		}
	}
	qid := fmt.Sprint(q.ID)
	form := func(kv ...string) url.Values {
		v := url.Values{"version": {"0"}, "questionnaire": {qid}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{form("status", "answered"), "Отметьте ответы на вопросы анкеты"},
		{form("status", "answered", "q1", "4"), "Выберите ответы из вариантов анкеты"},
		{form("status", "answered", "q3", "1"), "Выберите ответы из вариантов анкеты"},
		{form("status", "refused", "refusal_reason", "Надоели"), "Выберите причину отказа из списка"},
		{form("status", "answered", "q1", "1", "questionnaire", "999"), "Анкета изменилась"},
	} {
		rec := c.post(level2, card, tc.form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%v: %d", tc.form, rec.Code)
		}
	}
	// Answered: saved with the questionnaire's version; the card shows the choices checked.
	rec := c.post(level2, card, form("status", "answered", "q1", "3", "q2", "1", "comment", "записан на 2 этап"))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", rec.Code, rec.Body.String())
	}
	st, _ := c.j.SurveyState(t.Context(), journal.SurveyCheckup, 2026, mustID(t, ids[0]))
	if st.Status != hotline.SurveyAnswered || st.QuestionnaireID != q.ID || st.Answers[1] != 3 || st.Answers[2] != 1 {
		t.Fatalf("saved %+v", st)
	}
	body = c.get(level2, card).Body.String()
	if !strings.Contains(body, `value="3" checked>`) || !strings.Contains(body, "Сохранение карточки") || !strings.Contains(body, "Ответы (вопрос:вариант): «» → «1:3 2:1»") {
		t.Errorf("the answered card:\n%s", body)
	}
	// A new version of the questionnaire: the old answers are shown as they were given.
	q2 := hotline.Questionnaire{Kind: "checkup", Year: 2026, Questions: []hotline.SurveyQuestion{{Text: "Новый вопрос?", Choices: []string{"Да", "Нет"}}}, RefusalReasons: []string{"Нет времени"}}
	if err := c.j.SaveQuestionnaire(t.Context(), admin.Actor(), &q2, 1); err != nil {
		t.Fatal(err)
	}
	body = c.get(level2, card).Body.String()
	if !strings.Contains(body, "Ответы по прежней версии анкеты (1)") || !strings.Contains(body, "<dt>Прошли ли вы диспансеризацию?</dt><dd>Прохожу сейчас</dd>") ||
		!strings.Contains(body, "1. Новый вопрос?") || strings.Contains(body, `value="1" checked>`) {
		t.Errorf("after version 2:\n%s", body)
	}
	// A card opened on version 1 and saved now: refused, asked to answer version 2.
	rec = c.post(level2, "/surveys/checkup/260001/"+ids[1]+"?year=2026", form("status", "answered", "q1", "1"))
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Анкета изменилась") {
		t.Errorf("stale questionnaire: %d", rec.Code)
	}
	// A stale card version.
	rec = c.post(level1, card, url.Values{"version": {"0"}, "status": {"no_answer"}})
	if rec.Code != http.StatusConflict {
		t.Errorf("stale card: %d", rec.Code)
	}
}

func TestSurveyCardActions(t *testing.T) {
	c, ids, _ := surveyHarness(t)
	rd, err := register.NewActionReader(strings.NewReader("policy_number;journal;year;action;date;detail\n" +
		"0000000000000100;checkup;2026;notified;2026-03-01;sms\n" +
		"0000000000000100;checkup;2026;stage;2026-04-10;2\n" +
		"0000000000000101;observation;2026;notified;2026-03-02;letter\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := c.j.ImportSurveyActions(t.Context(), admin.Actor(), rd, "t.csv"); err != nil || rep.Added != 3 {
		t.Fatalf("actions %+v %v", rep, err)
	}
	card := "/surveys/checkup/260001/" + ids[0] + "?year=2026&action=notified"
	body := c.get(level1, card).Body.String()
	if !strings.Contains(body, `<dd id="survey-notified">01.03.2026, СМС</dd>`) || !strings.Contains(body, "2 этап (2 этап — 10.04.2026)") {
		t.Errorf("actions block:\n%s", body)
	}
	// «Диспансерный учет» shows health group and diagnosis.
	body = c.get(level1, "/surveys/observation/260001/"+ids[1]+"?year=2026").Body.String()
	if !strings.Contains(body, "<dd>IIIа</dd>") || !strings.Contains(body, "<dd>E11.9</dd>") || !strings.Contains(body, "02.03.2026, письмо") || strings.Contains(body, "01.03.2026") {
		t.Errorf("observation card:\n%s", body)
	}
	// Notes: author and time; bad input refused by the field.
	notes := "/surveys/checkup/260001/" + ids[2] + "/notes?year=2026"
	for _, tc := range []struct {
		note, want string
	}{{"  ", "Напишите заметку"}, {strings.Repeat("я", 2001), "Не более 2000 символов"}} {
		if rec := c.post(level2, notes, url.Values{"note": {tc.note}}); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("note %q: %d", tc.note[:2], rec.Code)
		}
	}
	rec := c.post(level2, notes, url.Values{"note": {"<b>прошёл</b> 1 этап"}})
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "noted=1") {
		t.Fatalf("note: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	body = c.get(level1, "/surveys/checkup/260001/"+ids[2]+"?year=2026&noted=1").Body.String()
	if !strings.Contains(body, "petrov, ") || !strings.Contains(body, "&lt;b&gt;прошёл&lt;/b&gt; 1 этап") || strings.Contains(body, "<b>прошёл") || !strings.Contains(body, "Заметка добавлена.") {
		t.Errorf("the noted card:\n%s", body)
	}
	// Without a session nothing is written; a cross-site post is refused.
	anon := httptest.NewRequest(http.MethodPost, notes, strings.NewReader("note=x"))
	anon.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	anon.Header.Set("Sec-Fetch-Site", "same-origin")
	rw := httptest.NewRecorder()
	c.h.ServeHTTP(rw, anon)
	cross := httptest.NewRequest(http.MethodPost, notes, strings.NewReader("note=x"))
	cross.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	rx := httptest.NewRecorder()
	cross.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.ss.start(level2)})
	c.h.ServeHTTP(rx, cross)
	if n, _ := c.j.SurveyNotes(t.Context(), journal.SurveyCheckup, 2026, mustID(t, ids[2])); rw.Code != http.StatusUnauthorized || rx.Code != http.StatusForbidden || len(n) != 1 {
		t.Errorf("anonymous %d, cross-site %d, notes %d", rw.Code, rx.Code, len(n))
	}
	// The list's filter by action, kept by «Просмотр» and by the next card.
	for _, tc := range []struct {
		action string
		want   []string
	}{{"notified", ids[:1]}, {"not_notified", ids[1:]}, {"stage2", ids[:1]}, {"no_stage", ids[1:]}, {"noted", ids[2:]}} {
		body := c.get(level1, "/surveys/checkup/260001?year=2026&action="+tc.action).Body.String()
		var got []string
		for _, m := range regexp.MustCompile(`data-insured="(\d+)"`).FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || !strings.Contains(body, `<option value="`+tc.action+`" selected>`) {
			t.Errorf("action %s: %v, want %v", tc.action, got, tc.want)
		}
	}
	if rec := c.get(level1, "/surveys/checkup/260001?action=maybe"); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Действие: выберите") {
		t.Errorf("unknown action: %d", rec.Code)
	}
	rec = c.post(level1, "/surveys/checkup/260001/"+ids[1]+"?year=2026&action=not_notified", url.Values{"version": {"0"}, "status": {"no_answer"}, "next": {"1"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/surveys/checkup/260001/"+ids[2]+"?action=not_notified&month=0&year=2026" &&
		rec.Header().Get("Location") != "/surveys/checkup/260001/"+ids[2]+"?action=not_notified&year=2026" {
		t.Errorf("next with the action filter: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}
