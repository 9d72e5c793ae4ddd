package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/web/browsertest"
)

// TestBrowserSurveyCard: in a real headless Chromium, a level-2 specialist opens an
// organisation's list, «Просмотр» on the first person, answers the questionnaire, chooses
// «Ответил(а)», presses «Сохранить и перейти к следующей карточке», lands on the second person's
// card, and the first person's answers are in the journal; the page breaks no CSP rule.
func TestBrowserSurveyCard(t *testing.T) {
	c, ids, q := surveyHarness(t)
	ctx := browsertest.Start(t, 90*time.Second)
	srv := httptest.NewServer(c.h)
	defer srv.Close()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), level2.Login),
		chromedp.SendKeys(chromedp.ID("password"), "пароль-"+level2.Login),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.ID("password")),
		chromedp.Navigate(srv.URL+"/surveys/checkup/260001?year=2026"),
		chromedp.WaitVisible(chromedp.ID("survey-persons")),
		chromedp.Click(chromedp.CSS(`tr[data-insured="`+ids[0]+`"] a.view`)),
		chromedp.WaitVisible(chromedp.ID("survey-questions")),
	); err != nil {
		t.Fatalf("open the first card: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`label[for="q1-3"]`)),
		chromedp.Click(chromedp.CSS(`label[for="q2-1"]`)),
		chromedp.SetValue(chromedp.ID("status"), string(hotline.SurveyAnswered)),
		chromedp.SendKeys(chromedp.ID("comment"), "записан на 2 этап"),
	); err != nil {
		t.Fatalf("answer: %v", err)
	}
	browsertest.Screenshot(t, ctx, "workplace-survey-card.png")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("survey-next")),
		chromedp.WaitVisible(chromedp.CSS(`form#survey-card[action*="/`+ids[1]+`?"]`)),
	); err != nil {
		t.Fatalf("save and go to the next card: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "/surveys/checkup/260001/"+ids[1]+"?") {
		t.Fatalf("after «Сохранить и перейти» the browser is at %s", loc)
	}
	st, err := c.j.SurveyState(t.Context(), journal.SurveyCheckup, 2026, mustID(t, ids[0]))
	if err != nil || st.Status != hotline.SurveyAnswered || st.QuestionnaireID != q.ID || st.Answers[1] != 3 || st.Answers[2] != 1 ||
		st.Comment != "записан на 2 этап" || st.UpdatedBy != level2.Login {
		t.Fatalf("the first card as saved: %+v %v", st, err)
	}
	// Back to the first card: the choices are checked as saved.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/surveys/checkup/260001/"+ids[0]+"?year=2026"),
		chromedp.WaitVisible(chromedp.ID("survey-history")),
	); err != nil {
		t.Fatalf("the saved card: %v", err)
	}
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("q1-3").checked && !document.getElementById("q1-1").checked`))
	if err != nil || !checked {
		t.Fatalf("the saved card: choice 3 checked %v, %v", checked, err)
	}
}
