package web

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	_ "github.com/mattn/go-sqlite3"
)

// cardHarness is the workplace over a real journal, for the registration card's tests.
type cardHarness struct {
	t   *testing.T
	ss  *fakeSessions
	j   *journal.Store
	srv *Server
	h   http.Handler
}

func newCardHarness(t *testing.T) *cardHarness {
	t.Helper()
	ss := newFakeSessions()
	j := testJournal(t)
	srv := &Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: j, Calls: &fakeCalls{}, Files: filepath.Join(t.TempDir(), "files")}
	return &cardHarness{t: t, ss: ss, j: j, srv: srv, h: srv.Handler()}
}

func (c *cardHarness) do(u User, req *http.Request) *httptest.ResponseRecorder {
	c.t.Helper()
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.ss.start(u)})
	if req.Method == http.MethodPost {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

func (c *cardHarness) get(u User, path string) *httptest.ResponseRecorder {
	return c.do(u, httptest.NewRequest(http.MethodGet, path, nil))
}

func (c *cardHarness) post(u User, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(u, req)
}

// postFile posts form as multipart, the fields first and the file last (as the page's form does).
func (c *cardHarness) postFile(u User, path string, form url.Values, name string, content []byte) *httptest.ResponseRecorder {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write(content)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(u, req)
}

// answeredCall files a call from number answered by operator op, still going, as the call flow does.
func (c *cardHarness) answeredCall(channel, number string, op int64) {
	c.t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Minute)
	if _, err := c.j.StartCall(ctx, journal.CallStart{CallID: channel, CallerNumber: number, Line: "100", ArrivedAt: at}); err != nil {
		c.t.Fatal(err)
	}
	leg := hotline.Leg{CallID: channel, ArrivedAt: at, QueuedAt: at.Add(time.Second), AnsweredAt: at.Add(5 * time.Second), OperatorID: op}
	if err := c.j.SaveCallLeg(ctx, leg, ""); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cardHarness) newCase(by User, k hotline.Case) hotline.Case {
	c.t.Helper()
	if k.Channel == "" {
		k.Channel = hotline.ChannelWritten
	}
	if k.Type == "" {
		k.Type, k.Topic = hotline.TypeConsultation, "policy-replace"
	}
	if err := c.j.NewCase(context.Background(), by.Actor(), &k); err != nil {
		c.t.Fatal(err)
	}
	return k
}

// state is a case and the length of its history: what a refused post must leave as it was.
type caseState struct {
	c      hotline.Case
	events int
}

func (c *cardHarness) state(id int64) caseState {
	c.t.Helper()
	k, err := c.j.Case(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	evs, err := c.j.History(context.Background(), journal.HistoryFilter{CaseID: id})
	if err != nil {
		c.t.Fatal(err)
	}
	return caseState{k, len(evs)}
}

func (c *cardHarness) cases() int {
	c.t.Helper()
	n, err := c.j.CountCases(context.Background(), journal.CaseFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// files lists the documents directory (the names the server made, and any leftover upload).
func (c *cardHarness) files() []string {
	c.t.Helper()
	es, err := os.ReadDir(c.srv.Files)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func caseIDFrom(t *testing.T, rec *httptest.ResponseRecorder) int64 {
	t.Helper()
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303: %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	var id int64
	if _, err := fmt.Sscanf(loc, "/cases/%d/edit?saved=1", &id); err != nil {
		t.Fatalf("redirect to %q, want /cases/{id}/edit?saved=1", loc)
	}
	return id
}

func cardForm1(extra ...string) url.Values {
	v := url.Values{"type": {"consultation"}, "topic": {"policy-replace"}, "description": {"Как заменить полис?"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func TestCardFromACall(t *testing.T) {
	c := newCardHarness(t)
	earlier := c.newCase(admin, hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+79121234567", Type: hotline.TypeComplaint, Topic: "clinic-refusal"})
	c.answeredCall("1700000000.42", "89121234567", level1.OperatorID)

	rec := c.get(level1, "/cards/new?call=1700000000.42")
	body := rec.Body.String()
	for _, want := range []string{`id="case-card"`, `name="caller_number" value="&#43;79121234567"`, `data-case="` + earlier.Number + `"`,
		`name="link" value="` + strconv.FormatInt(earlier.ID, 10) + `"`, `name="call" id="call-id" value="1700000000.42"`,
		`id="topic-search"`, `hx-get="/work/scripts"`, `id="save"`, `hx-post="/cards/draft"`} {
		if !strings.Contains(body, want) {
			t.Errorf("new card for a call lacks %s", want)
		}
	}
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	form := cardForm1("call", "1700000000.42", "caller_number", "+79121234567", "full_name", "Смирнов Иван Петрович",
		"birth_date", "1980-05-01", "policy_number", "2650000012345678", "address", "г. Ставрополь")
	form.Add("link", strconv.FormatInt(earlier.ID, 10))
	id := caseIDFrom(t, c.post(level1, "/cards", form))
	k := c.state(id).c
	if k.Channel != hotline.ChannelPhone || k.Status != hotline.StatusInProgress || k.OwnerID != level1.OperatorID ||
		k.Topic != "policy-replace" || k.Person.FullName != "Смирнов Иван Петрович" || k.CallerNumber != "+79121234567" {
		t.Fatalf("registered case: %+v", k)
	}
	calls, _ := c.j.CaseCalls(t.Context(), id)
	linked, _ := c.j.LinkedCases(t.Context(), id)
	if len(calls) != 1 || calls[0].Channel != "1700000000.42" || len(linked) != 1 || linked[0].ID != earlier.ID {
		t.Fatalf("calls %v, linked %v", calls, linked)
	}
	// The card stays open for the rest of the call.
	rec = c.get(level1, fmt.Sprintf("/cases/%d/edit?saved=1", id))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Обращение сохранено") || !strings.Contains(rec.Body.String(), `id="close-case"`) {
		t.Fatalf("edit after save: %d %s", rec.Code, rec.Body)
	}
	// A second card of the same operator for the call is refused by the journal, shown on the page.
	before := c.cases()
	rec = c.post(level1, "/cards", cardForm1("call", "1700000000.42"))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `role="alert"`) || c.cases() != before {
		t.Fatalf("second card for one call: %d, cases %d → %d", rec.Code, before, c.cases())
	}
	// Someone who did not talk to the caller may not register it.
	rec = c.post(level2, "/cards", cardForm1("call", "1700000000.42"))
	if rec.Code != http.StatusForbidden || c.cases() != before {
		t.Fatalf("a stranger's card for the call: %d", rec.Code)
	}
	// An unknown call.
	if rec := c.get(level1, "/cards/new?call=nope"); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown call: %d", rec.Code)
	}
}

func TestCardWritten(t *testing.T) {
	c := newCardHarness(t)
	rec := c.get(level2, "/cards/new")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="channel"`) || !strings.Contains(rec.Body.String(), "Личный приём") {
		t.Fatalf("written card: %d %s", rec.Code, rec.Body)
	}
	id := caseIDFrom(t, c.post(level2, "/cards", url.Values{"channel": {"email"}, "type": {"complaint"}, "topic": {"clinic-refusal"},
		"full_name": {"Петрова Анна"}, "description": {"Отказали в записи к врачу"}}))
	k := c.state(id).c
	if k.Channel != hotline.ChannelEmail || k.Type != hotline.TypeComplaint || k.OwnerID != level2.OperatorID || k.CreatedBy != level2.Login {
		t.Fatalf("written case: %+v", k)
	}
	// Without a call, a channel is one of the three.
	before := c.cases()
	rec = c.post(level2, "/cards", cardForm1("channel", "phone"))
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `id="channel-error"`) || c.cases() != before {
		t.Fatalf("phone without a call: %d", rec.Code)
	}
}

func TestCardTopicsFragment(t *testing.T) {
	c := newCardHarness(t)
	rec := c.get(level1, "/cards/topics?type=consultation&q=%D0%BF%D0%BE%D0%BB%D0%B8%D1%81")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `value="policy-replace"`) || strings.Contains(rec.Body.String(), "clinic-refusal") {
		t.Fatalf("topics of consultations with «полис»: %d %s", rec.Code, rec.Body)
	}
	rec = c.get(level1, "/cards/topics?type=complaint&q=%D0%BF%D0%BE%D0%BB%D0%B8%D1%81")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "policy-replace") {
		t.Fatalf("a consultation topic among complaints: %s", rec.Body)
	}
	if rec := c.get(level1, "/cards/topics?type=bogus"); rec.Code != http.StatusBadRequest {
		t.Fatalf("unknown type: %d", rec.Code)
	}
}

func TestCardDraftRoundTrip(t *testing.T) {
	c := newCardHarness(t)
	c.answeredCall("ch-draft", "+79121234567", level1.OperatorID)
	rec := c.post(level1, "/cards/draft", url.Values{"call": {"ch-draft"}, "type": {"consultation"}, "description": {"Полис <b>потерян</b>"}, "q": {"пол"}, "version": {"0"}})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Черновик сохранён") {
		t.Fatalf("draft save: %d %s", rec.Code, rec.Body)
	}
	// Another operator does not see it; its operator does, on reopening the card.
	if body := c.get(admin, "/cards/new?call=ch-draft").Body.String(); strings.Contains(body, "потерян") {
		t.Fatal("another operator's card restored the draft")
	}
	body := c.get(level1, "/cards/new?call=ch-draft").Body.String()
	if !strings.Contains(body, "Восстановлен черновик от") || !strings.Contains(body, "Полис &lt;b&gt;потерян&lt;/b&gt;") {
		t.Fatalf("reopened card does not restore the draft: %s", body)
	}
	// An over-long field is refused, and the page is told.
	rec = c.post(level1, "/cards/draft", url.Values{"call": {"ch-draft"}, "description": {strings.Repeat("я", hotline.MaxDescriptionLen+1)}})
	if !strings.Contains(rec.Body.String(), "Черновик не сохранён") {
		t.Fatalf("over-long draft: %s", rec.Body)
	}
	// Saving the case drops the draft.
	caseIDFrom(t, c.post(level1, "/cards", cardForm1("call", "ch-draft")))
	if _, err := c.j.Draft(t.Context(), level1.Actor(), journal.DraftKeyCall("ch-draft")); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("the saved card's draft is still there: %v", err)
	}

	// An edit's draft keeps the version it was based on.
	k := c.newCase(level1, hotline.Case{})
	rec = c.post(level1, "/cards/draft", url.Values{"case_id": {strconv.FormatInt(k.ID, 10)}, "version": {"1"}, "type": {"consultation"},
		"topic": {"policy-replace"}, "description": {"правка из черновика"}, "result": {"answered"}, "comment": {"меры из черновика"}})
	if !strings.Contains(rec.Body.String(), "Черновик сохранён") {
		t.Fatalf("edit draft: %s", rec.Body)
	}
	body = c.get(level1, fmt.Sprintf("/cases/%d/edit", k.ID)).Body.String()
	if !strings.Contains(body, "правка из черновика") || !strings.Contains(body, "Восстановлен черновик") ||
		!strings.Contains(body, ">меры из черновика</textarea>") || !strings.Contains(body, `<option value="answered" selected>`) {
		t.Fatalf("edit does not restore its draft: %s", body)
	}
	// Someone else saves the case after the draft: the restored card is based on the old version,
	// so its save is a conflict, not an overwrite.
	other := "правка администратора"
	if _, err := c.j.UpdateCase(t.Context(), admin.Actor(), k.ID, journal.CaseUpdate{Description: &other}); err != nil {
		t.Fatal(err)
	}
	body = c.get(level1, fmt.Sprintf("/cases/%d/edit", k.ID)).Body.String()
	if !strings.Contains(body, `name="version" value="1"`) || !strings.Contains(body, "После него обращение уже изменяли") {
		t.Fatalf("a draft older than the case: %s", body)
	}
	rec = c.post(level1, fmt.Sprintf("/cases/%d", k.ID), cardForm1("version", "1", "description", "правка из черновика"))
	if rec.Code != http.StatusConflict || c.state(k.ID).c.Description != other {
		t.Fatalf("saving a draft older than the case: %d", rec.Code)
	}
}

func TestCardStaleVersionConflict(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	path := fmt.Sprintf("/cases/%d", k.ID)
	// Two tabs opened version 1.
	first := cardForm1("version", "1", "description", "первая вкладка")
	second := cardForm1("version", "1", "description", "вторая вкладка", "full_name", "Кузнецов")
	if rec := c.post(level1, path, first); rec.Code != http.StatusSeeOther {
		t.Fatalf("first save: %d %s", rec.Code, rec.Body)
	}
	was := c.state(k.ID)
	rec := c.post(level1, path, second)
	body := rec.Body.String()
	if rec.Code != http.StatusConflict || !strings.Contains(body, `id="conflict"`) || !strings.Contains(body, "Обращение изменено другим пользователем") {
		t.Fatalf("second save: %d %s", rec.Code, body)
	}
	// What the other saved is shown; the user's input is kept, with the version now stored.
	if !strings.Contains(body, "первая вкладка") || !strings.Contains(body, ">вторая вкладка</textarea>") ||
		!strings.Contains(body, `value="Кузнецов"`) || !strings.Contains(body, `name="version" value="2"`) {
		t.Fatalf("conflict page lost something: %s", body)
	}
	if now := c.state(k.ID); now != was || now.c.Description != "первая вкладка" {
		t.Fatalf("the case changed on a stale save: %+v", now.c)
	}
	// Saving again after reading the conflict is deliberate, and goes through.
	if rec := c.post(level1, path, cardForm1("version", "2", "description", "вторая вкладка")); rec.Code != http.StatusSeeOther {
		t.Fatalf("save after the conflict: %d", rec.Code)
	}
}

// closeForm is what «Закрыть обращение» posts for case k as stored: the whole card, its version
// and the close block's fields.
func closeForm(k hotline.Case, block url.Values) url.Values {
	v := url.Values{"type": {string(k.Type)}, "topic": {k.Topic}, "description": {k.Description},
		"caller_number": {k.CallerNumber}, "version": {strconv.FormatInt(k.Version, 10)}}
	for name, x := range block {
		v[name] = x
	}
	return v
}

// The close saves what was typed into the card with it, in one transaction, at the card's version;
// «Сохранить» keeps a close block typed and not sent in the draft.
func TestCardCloseKeepsTheCard(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{Description: "было"})
	path := fmt.Sprintf("/cases/%d", k.ID)
	block := url.Values{"result": {"answered"}, "comment": {"разъяснено"}}

	// «Сохранить» with a comment typed in the close block: the card is saved, the block stays in
	// the draft, at the saved version (no conflict notice on the next open).
	rec := c.post(level1, path, closeForm(k, url.Values{"description": {"исправлено"}, "comment": {"почти готово"}}))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", rec.Code, rec.Body)
	}
	d, err := c.j.Draft(t.Context(), level1.Actor(), journal.DraftKeyCase(k.ID))
	if err != nil || d.Fields["comment"] != "почти готово" || d.Version != c.state(k.ID).c.Version {
		t.Fatalf("the close block's draft after «Сохранить»: %+v %v", d, err)
	}
	body := c.get(level1, path+"/edit").Body.String()
	if !strings.Contains(body, "почти готово") || strings.Contains(body, "После него обращение уже изменяли") {
		t.Fatalf("the card after «Сохранить» lost the close block or shows a conflict: %s", body)
	}

	// A close from a card opened at an older version is refused, nothing written, the conflict shown.
	k = c.state(k.ID).c
	stale := closeForm(k, block)
	stale.Set("version", strconv.FormatInt(k.Version-1, 10))
	stale.Set("description", "правка из старой вкладки")
	was := c.state(k.ID)
	rec = c.post(level1, path+"/close", stale)
	if body := rec.Body.String(); rec.Code != http.StatusConflict || !strings.Contains(body, `id="conflict"`) ||
		!strings.Contains(body, "правка из старой вкладки") || !strings.Contains(body, "Обращение не закрыто") {
		t.Fatalf("stale close: %d %s", rec.Code, body)
	}
	if now := c.state(k.ID); now != was {
		t.Fatalf("a stale close wrote: %+v", now.c)
	}

	// The close with an unsaved edit: both are written.
	form := closeForm(k, block)
	form.Set("description", "дописано перед закрытием")
	form.Set("full_name", "Иванов Иван")
	if rec := c.post(level1, path+"/close", form); rec.Code != http.StatusSeeOther {
		t.Fatalf("close: %d %s", rec.Code, rec.Body)
	}
	got := c.state(k.ID).c
	if got.Status != hotline.StatusUnderReview || got.Description != "дописано перед закрытием" || got.Person.FullName != "Иванов Иван" || got.Comment != "разъяснено" {
		t.Fatalf("closed case lost the card's edit: %+v", got)
	}
	if _, err := c.j.Draft(t.Context(), level1.Actor(), journal.DraftKeyCase(k.ID)); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("draft after the close: %v", err)
	}
}

func TestCardClose(t *testing.T) {
	tomorrow := time.Now().AddDate(0, 0, 2).Format(hotline.DateLayout)
	tests := []struct {
		name   string
		form   url.Values
		status hotline.CaseStatus
		owner  int64
	}{
		{"answered", url.Values{"result": {"answered"}, "comment": {"разъяснён порядок замены полиса"}}, hotline.StatusUnderReview, level1.OperatorID},
		{"measures", url.Values{"result": {"measures_taken"}, "comment": {"направлен запрос в МО"}}, hotline.StatusUnderReview, level1.OperatorID},
		{"forwarded", url.Values{"result": {"forwarded_with_notice"}, "comment": {"нужна проверка СМО"}, "forward_to": {"3"}}, hotline.StatusDelayedAnswer, level2.OperatorID},
		{"extended", url.Values{"result": {"on_control_extended"}, "comment": {"ждём ответ МО"}, "extend_to": {tomorrow}}, hotline.StatusUnderReview, level1.OperatorID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCardHarness(t)
			k := c.newCase(level1, hotline.Case{})
			rec := c.post(level1, fmt.Sprintf("/cases/%d/close", k.ID), closeForm(k, tt.form))
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("close: %d %s", rec.Code, rec.Body)
			}
			got := c.state(k.ID).c
			if got.Status != tt.status || got.OwnerID != tt.owner || string(got.Result) != tt.form.Get("result") || got.Comment != tt.form.Get("comment") {
				t.Fatalf("closed case: %+v", got)
			}
			if tt.name == "extended" && got.ExtendTo.Local().Format(hotline.DateLayout) != tomorrow {
				t.Fatalf("extended to %v, want %s", got.ExtendTo, tomorrow)
			}
		})
	}
	// The close block names the results in the manual's words, and only level-2 operators to forward to.
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	body := c.get(level1, fmt.Sprintf("/cases/%d/edit", k.ID)).Body.String()
	for _, want := range []string{"Принятые меры", "Переадресация с уведомлением обратившегося", "Находится на контроле, сроки рассмотрения продлены",
		`<option value="3">Петров Б. В.</option>`, `id="close-case"`} {
		if !strings.Contains(body, want) {
			t.Errorf("close block lacks %s", want)
		}
	}
	if strings.Contains(body, `<option value="2">`) {
		t.Error("a level-1 operator offered as a forward target")
	}
}

func TestCardCloseBadInput(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	yesterday := time.Now().AddDate(0, 0, -1).Format(hotline.DateLayout)
	today := time.Now().Format(hotline.DateLayout)
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"no result", url.Values{"comment": {"x"}}, "result"},
		{"unknown result", url.Values{"result": {"done"}, "comment": {"x"}}, "result"},
		{"no comment", url.Values{"result": {"answered"}}, "comment"},
		{"comment too long", url.Values{"result": {"answered"}, "comment": {strings.Repeat("я", hotline.MaxCommentLen+1)}}, "comment"},
		{"forward without target", url.Values{"result": {"forwarded_with_notice"}, "comment": {"x"}}, "forward_to"},
		{"forward to a level-1 operator", url.Values{"result": {"forwarded_with_notice"}, "comment": {"x"}, "forward_to": {"2"}}, "forward_to"},
		{"forward to no one", url.Values{"result": {"forwarded_with_notice"}, "comment": {"x"}, "forward_to": {"99"}}, "forward_to"},
		{"extend without date", url.Values{"result": {"on_control_extended"}, "comment": {"x"}}, "extend_to"},
		{"extend into the past", url.Values{"result": {"on_control_extended"}, "comment": {"x"}, "extend_to": {yesterday}}, "extend_to"},
		{"extend to today", url.Values{"result": {"on_control_extended"}, "comment": {"x"}, "extend_to": {today}}, "extend_to"},
		{"extend to no date", url.Values{"result": {"on_control_extended"}, "comment": {"x"}, "extend_to": {"31.12.2030"}}, "extend_to"},
		{"extend without reason", url.Values{"result": {"on_control_extended"}, "extend_to": {"2030-01-01"}}, "comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			was := c.state(k.ID)
			rec := c.post(level1, fmt.Sprintf("/cases/%d/close", k.ID), closeForm(k, tt.form))
			body := rec.Body.String()
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+tt.field+`-error" role="alert"`) ||
				!strings.Contains(body, `aria-describedby="`+tt.field+`-error"`) {
				t.Fatalf("status %d, want 422 with the %s field's message: %s", rec.Code, tt.field, body)
			}
			if now := c.state(k.ID); now != was {
				t.Fatalf("case changed: %+v", now.c)
			}
		})
	}
}

func TestCardBadInput(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	future := time.Now().AddDate(1, 0, 0).Format(hotline.DateLayout)
	tests := []struct {
		name   string
		form   url.Values
		field  string
		status int
	}{
		{"no type", cardForm1("type", ""), "type", 422},
		{"unknown type", cardForm1("type", "rumour"), "type", 422},
		{"no topic", cardForm1("topic", ""), "topic", 422},
		{"unknown topic", cardForm1("topic", "no-such-topic"), "topic", 422},
		{"topic of another type", cardForm1("type", "complaint"), "topic", 422},
		{"full name too long", cardForm1("full_name", strings.Repeat("Я", hotline.MaxNameLen+1)), "full_name", 422},
		{"policy too long", cardForm1("policy_number", strings.Repeat("1", hotline.MaxShortLen+1)), "policy_number", 422},
		{"address too long", cardForm1("address", strings.Repeat("д", hotline.MaxAddressLen+1)), "address", 422},
		{"description too long", cardForm1("description", strings.Repeat("я", hotline.MaxDescriptionLen+1)), "description", 422},
		{"birth date in the future", cardForm1("birth_date", future), "birth_date", 422},
		{"birth date not a date", cardForm1("birth_date", "01.05.1980"), "birth_date", 422},
		{"birth date too early", cardForm1("birth_date", "1812-09-07"), "birth_date", 422},
		{"phone not a number", cardForm1("caller_number", "позвоните мне"), "caller_number", 422},
		{"not utf-8", cardForm1("full_name", "\xff\xfe"), "full_name", 422},
		{"document without its date", cardForm1("document_number", "15"), "registered_on", 422},
		{"document registered in the future", cardForm1("document_number", "15", "registered_on", future), "registered_on", 422},
	}
	for _, tt := range tests {
		t.Run("edit/"+tt.name, func(t *testing.T) {
			was := c.state(k.ID)
			tt.form.Set("version", "1")
			rec := c.post(level1, fmt.Sprintf("/cases/%d", k.ID), tt.form)
			body := rec.Body.String()
			if rec.Code != tt.status || !strings.Contains(body, `id="`+tt.field+`-error" role="alert"`) || !strings.Contains(body, `aria-describedby="`+tt.field+`-error"`) {
				t.Fatalf("status %d, want %d with the %s field's message: %s", rec.Code, tt.status, tt.field, body)
			}
			if d := tt.form.Get("description"); utf8Valid(d) && len(d) < 100 && !strings.Contains(body, d) {
				t.Errorf("the description typed is not kept: %s", body)
			}
			if now := c.state(k.ID); now != was {
				t.Fatalf("case changed: %+v", now.c)
			}
		})
		t.Run("new/"+tt.name, func(t *testing.T) {
			before := c.cases()
			tt.form.Set("channel", "written")
			rec := c.post(level2, "/cards", tt.form)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), `id="`+tt.field+`-error" role="alert"`) {
				t.Fatalf("status %d, want %d with the %s field's message", rec.Code, tt.status, tt.field)
			}
			if c.cases() != before {
				t.Fatal("a refused card registered a case")
			}
		})
	}
	// A post without a version (an old page) is refused too.
	was := c.state(k.ID)
	if rec := c.post(level1, fmt.Sprintf("/cases/%d", k.ID), cardForm1()); rec.Code != 422 || !strings.Contains(rec.Body.String(), `id="version-error"`) {
		t.Fatalf("no version: %d", rec.Code)
	}
	if now := c.state(k.ID); now != was {
		t.Fatal("case changed")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

func TestCardScriptIsShownEscaped(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	xss := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	if rec := c.post(level1, fmt.Sprintf("/cases/%d", k.ID), cardForm1("version", "1", "description", xss, "full_name", xss[:30])); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", rec.Code, rec.Body)
	}
	if got := c.state(k.ID).c; got.Description != xss {
		t.Fatalf("stored %q, want it as typed", got.Description)
	}
	body := c.get(level1, fmt.Sprintf("/cases/%d/edit", k.ID)).Body.String()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Fatalf("the description is not escaped: %s", body)
	}
}

func TestCardAttachments(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	path := fmt.Sprintf("/cases/%d", k.ID)
	doc := cardForm1("version", "1", "document_number", "123-ж", "registered_on", "2026-11-20")

	refused := []struct {
		name    string
		file    string
		content []byte
	}{
		{"too big", "big.pdf", append(append([]byte{}, pdf...), make([]byte, MaxAttachmentBytes)...)},
		{"far too big", "huge.pdf", append(append([]byte{}, pdf...), make([]byte, MaxAttachmentBytes+2<<20)...)},
		{"html", "letter.pdf", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")},
		{"executable", "scan.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 600)...)},
		{"zip that is not a document", "a.docx", zipOf(t, "evil.exe")},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			was := c.state(k.ID)
			rec := c.postFile(level1, path, doc, tt.file, tt.content)
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `id="file-error" role="alert"`) {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			// The fields before the file are kept.
			if !strings.Contains(rec.Body.String(), `value="123-ж"`) {
				t.Error("the document number typed is lost")
			}
			if now := c.state(k.ID); now != was {
				t.Fatal("case changed")
			}
			if f := c.files(); len(f) != 0 {
				t.Fatalf("files left behind: %v", f)
			}
		})
	}
	// A file without its document number.
	if rec := c.postFile(level1, path, cardForm1("version", "1", "registered_on", "2026-11-20"), "a.pdf", pdf); rec.Code != 422 || !strings.Contains(rec.Body.String(), `id="document_number-error"`) {
		t.Fatalf("file without a number: %d", rec.Code)
	}
	// A stale card with a good file: the journal refuses, and the stored file is taken away again.
	if rec := c.postFile(level1, path, cardForm1("version", "7", "document_number", "1", "registered_on", "2026-11-20"), "a.pdf", pdf); rec.Code != http.StatusConflict {
		t.Fatalf("stale card with a file: %d", rec.Code)
	}
	if f := c.files(); len(f) != 0 {
		t.Fatalf("an orphan file after a refused save: %v", f)
	}

	// A good PDF: stored under a name the server made, registered with its number and date.
	if rec := c.postFile(level1, path, doc, "../../etc/Мой скан.pdf", pdf); rec.Code != http.StatusSeeOther {
		t.Fatalf("good pdf: %d %s", rec.Code, rec.Body)
	}
	atts, err := c.j.Attachments(t.Context(), k.ID)
	if err != nil || len(atts) != 1 || atts[0].DocumentNumber != "123-ж" || atts[0].RegisteredOn != "2026-11-20" {
		t.Fatalf("attachments: %+v %v", atts, err)
	}
	files := c.files()
	if len(files) != 1 || files[0] != atts[0].FilePath || !strings.HasSuffix(files[0], ".pdf") || strings.Contains(files[0], "скан") {
		t.Fatalf("stored files %v, attachment %q", files, atts[0].FilePath)
	}
	if st, err := os.Stat(c.srv.Files); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("documents directory: %v %v", st.Mode(), err)
	}
	if got := c.state(k.ID).c; got.Version != 2 {
		t.Fatalf("card and document written together: version %d", got.Version)
	}

	// Downloadable by who works the case, not by another operator; checked on every request.
	file := fmt.Sprintf("/cases/%d/files/%d", k.ID, atts[0].ID)
	for _, tt := range []struct {
		u    User
		want int
	}{{level1, 200}, {admin, 200}, {level2, 403}} {
		rec := c.get(tt.u, file)
		if rec.Code != tt.want {
			t.Fatalf("%s downloads: %d, want %d", tt.u.Login, rec.Code, tt.want)
		}
		if tt.want != 200 {
			continue
		}
		b, _ := io.ReadAll(rec.Body)
		h := rec.Header()
		if !bytes.Equal(b, pdf) || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
			h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("download: %v %q", h, b)
		}
	}
	if rec := c.get(level1, fmt.Sprintf("/cases/%d/files/%d", k.ID, atts[0].ID+1)); rec.Code != 404 {
		t.Fatalf("no such document: %d", rec.Code)
	}
	other := c.newCase(level1, hotline.Case{})
	if rec := c.get(level1, fmt.Sprintf("/cases/%d/files/%d", other.ID, atts[0].ID)); rec.Code != 404 {
		t.Fatalf("a document through another case: %d", rec.Code)
	}

	// A new written card with its document: one transaction.
	form := url.Values{"channel": {"written"}, "type": {"application"}, "topic": {""}, "document_number": {"55"}, "registered_on": {"2026-11-01"}}
	if rec := c.postFile(level2, "/cards", form, "letter.txt", []byte("Прошу заменить полис.\n")); rec.Code != 422 {
		t.Fatalf("no topic: %d", rec.Code)
	}
	if f := c.files(); len(f) != 1 {
		t.Fatalf("files after a refused new card: %v", f)
	}
}

func zipOf(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("MZ"))
	}
	zw.Close()
	return b.Bytes()
}

func TestCardEditIsRefusedToOthers(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level2, hotline.Case{})
	path := fmt.Sprintf("/cases/%d", k.ID)
	if rec := c.get(level1, path+"/edit"); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Недостаточно прав") {
		t.Fatalf("a level-1 operator opens another's card: %d", rec.Code)
	}
	was := c.state(k.ID)
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{path, cardForm1("version", "1", "description", "чужая правка")},
		{path + "/close", url.Values{"result": {"answered"}, "comment": {"x"}}},
	} {
		if rec := c.post(level1, p.path, p.form); rec.Code != http.StatusForbidden {
			t.Fatalf("%s by another: %d %s", p.path, rec.Code, rec.Body)
		}
	}
	if now := c.state(k.ID); now != was {
		t.Fatal("case changed")
	}
	// The administrator may.
	if rec := c.get(admin, path+"/edit"); rec.Code != 200 {
		t.Fatalf("administrator: %d", rec.Code)
	}
	// A case under review is not editable: the journal's refusal is shown.
	if _, err := c.j.CloseCase(t.Context(), level2.Actor(), k.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"}); err != nil {
		t.Fatal(err)
	}
	if rec := c.get(level2, path+"/edit"); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "under review") {
		t.Fatalf("editing a case under review: %d %s", rec.Code, rec.Body)
	}
	if rec := c.post(level2, path, cardForm1("version", "2")); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `role="alert"`) {
		t.Fatalf("saving a case under review: %d", rec.Code)
	}
}

func TestCardDelayedAnswerSetInProgress(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	if _, err := c.j.CloseCase(t.Context(), level1.Actor(), k.ID, hotline.Closing{Result: hotline.ResultForwarded, Comment: "к специалисту", ForwardTo: level2.OperatorID}); err != nil {
		t.Fatal(err)
	}
	body := c.get(level2, fmt.Sprintf("/cases/%d/edit", k.ID)).Body.String()
	if !strings.Contains(body, "Установить статус «В работе»") || strings.Contains(body, `id="close-case"`) {
		t.Fatalf("delayed answer card: %s", body)
	}
	if rec := c.post(level2, fmt.Sprintf("/cases/%d/in-progress", k.ID), url.Values{"version": {"2"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("set in progress: %d %s", rec.Code, rec.Body)
	}
	if got := c.state(k.ID).c; got.Status != hotline.StatusInProgress || got.OwnerID != level2.OperatorID {
		t.Fatalf("after setting in progress: %+v", got)
	}
}

// The specialist's own «Установить статус „В работе“» moves their draft to the new version: it is
// not shown as someone else's change.
func TestCardSetInProgressKeepsTheDraftCurrent(t *testing.T) {
	c := newCardHarness(t)
	k := c.newCase(level1, hotline.Case{})
	k, err := c.j.CloseCase(t.Context(), level1.Actor(), k.ID, hotline.Closing{Result: hotline.ResultForwarded, Comment: "к специалисту", ForwardTo: level2.OperatorID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.j.SaveDraft(t.Context(), level2.Actor(), journal.DraftKeyCase(k.ID), map[string]string{"description": "записал во время звонка"}, k.Version); err != nil {
		t.Fatal(err)
	}
	if rec := c.post(level2, fmt.Sprintf("/cases/%d/in-progress", k.ID), url.Values{"version": {strconv.FormatInt(k.Version, 10)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("set in progress: %d %s", rec.Code, rec.Body)
	}
	body := c.get(level2, fmt.Sprintf("/cases/%d/edit", k.ID)).Body.String()
	if !strings.Contains(body, "записал во время звонка") || strings.Contains(body, "После него обращение уже изменяли") {
		t.Fatalf("the draft after «В работе»: %s", body)
	}
	d, err := c.j.Draft(t.Context(), level2.Actor(), journal.DraftKeyCase(k.ID))
	if err != nil || d.Version != c.state(k.ID).c.Version {
		t.Fatalf("draft %+v %v, case at %d", d, err, c.state(k.ID).c.Version)
	}
}

// A card for a call reads the call only for someone who is or was on it, only by the
// switchboard's call id (the channel id), and prefills only a real phone number.
func TestCardNewForACallOnlyOnTheCall(t *testing.T) {
	c := newCardHarness(t)
	c.answeredCall("1700000000.77", "89121234567", level1.OperatorID)
	c.answeredCall("1700000000.78", "anonymous", level1.OperatorID)
	call, err := c.j.CallRef(t.Context(), "1700000000.77")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		u      User
		call   string
		status int
	}{
		{"another operator", level2, "1700000000.77", http.StatusForbidden},
		{"the journal's id", level1, strconv.FormatInt(call, 10), http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := c.get(tt.u, "/cards/new?call="+url.QueryEscape(tt.call))
			if rec.Code != tt.status || strings.Contains(rec.Body.String(), "9121234567") {
				t.Fatalf("status %d, want %d without the caller's number: %s", rec.Code, tt.status, rec.Body)
			}
		})
	}
	if rec := c.get(level1, "/cards/new?call=1700000000.77"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `value="&#43;79121234567"`) {
		t.Fatalf("the operator on the call: %d %s", rec.Code, rec.Body)
	}
	if rec := c.get(admin, "/cards/new?call=1700000000.77"); rec.Code != 200 {
		t.Fatalf("administrator: %d", rec.Code)
	}
	rec := c.get(level1, "/cards/new?call=1700000000.78")
	body := rec.Body.String()
	if rec.Code != 200 || strings.Contains(body, `value="anonymous"`) || !strings.Contains(body, "Номер звонящего не определён") {
		t.Fatalf("an anonymous caller: %d %s", rec.Code, body)
	}
}

// A second file in a card's post does not throw the form away: the card comes back with what was
// typed and a message at the file.
func TestCardTwoFiles(t *testing.T) {
	c := newCardHarness(t)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range map[string]string{"channel": "written", "type": "consultation", "topic": "policy-replace",
		"description": "Письмо о замене полиса", "document_number": "15", "registered_on": "2026-11-20"} {
		mw.WriteField(k, v)
	}
	for _, name := range []string{"a.txt", "b.txt"} {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte("текст письма"))
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/cards", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	before, _ := c.j.CountCases(t.Context(), journal.CaseFilter{})
	rec := c.do(level1, req)
	body := rec.Body.String()
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="file-error" role="alert"`) || !strings.Contains(body, "Письмо о замене полиса") {
		t.Fatalf("two files: %d %s", rec.Code, body)
	}
	if after, _ := c.j.CountCases(t.Context(), journal.CaseFilter{}); after != before {
		t.Fatal("a card with two files was saved")
	}
}

// Only an unknown topic is «Неизвестная тематика»; a journal that cannot be read says so.
func TestCardTopicReadFailure(t *testing.T) {
	c := newCardHarness(t)
	db, err := sql.Open("sqlite3", c.j.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`ALTER TABLE topics RENAME TO topics_gone`); err != nil {
		t.Fatal(err)
	}
	// No type: the form lists no topics, so only the check of the topic reads the catalogue.
	rec := c.post(level1, "/cards", url.Values{"channel": {"written"}, "topic": {"policy-replace"}, "description": {"набранный текст"}})
	body := rec.Body.String()
	if rec.Code < 500 || strings.Contains(body, "Неизвестная тематика") || !strings.Contains(body, "набранный текст") {
		t.Fatalf("a journal failure shown as bad input: %d %s", rec.Code, body)
	}
}
