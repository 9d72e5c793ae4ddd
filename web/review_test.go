package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// reviewFixture: at l2Start level1 closes a and b («На рассмотрении»); an hour later the
// administrator closes c for level1, and level1 asks to extend e to l2Start+7 days; open stays «В
// работе». The clock then stands at l2Start+5h.
type reviewFixture struct {
	j     *journal.Store
	clock *l2Clock
	cases map[string]hotline.Case
	seen  map[string]int // each case's history events in the fixture
}

func newReviewFixture(t *testing.T) *reviewFixture {
	t.Helper()
	ctx := t.Context()
	clock := &l2Clock{t: l2Start}
	f := &reviewFixture{j: testJournalAt(t, clock.Now), clock: clock, cases: map[string]hotline.Case{}, seen: map[string]int{}}
	for _, name := range []string{"a", "b", "c", "e", "open"} {
		c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+7900111220" + string(rune('0'+len(f.cases))),
			Type: hotline.TypeConsultation, Topic: "policy-replace", DueAt: l2Start.Add(72 * time.Hour)}
		if err := f.j.NewCase(ctx, level1.Actor(), &c); err != nil {
			t.Fatal(err)
		}
		f.cases[name] = c
	}
	closeCase := func(name string, cl hotline.Closing) {
		t.Helper()
		by := level1
		if name == "c" {
			by = admin // on level1's behalf
		}
		c, err := f.j.CloseCase(ctx, by.Actor(), f.cases[name].ID, cl)
		if err != nil {
			t.Fatalf("close %s: %v", name, err)
		}
		f.cases[name] = c
	}
	closeCase("a", hotline.Closing{Result: hotline.ResultAnswered, Comment: "Разъяснён порядок замены полиса"})
	closeCase("b", hotline.Closing{Result: hotline.ResultMeasuresTaken, Comment: "<script>alert(1)</script>"})
	clock.Advance(time.Hour)
	closeCase("c", hotline.Closing{Result: hotline.ResultAnswered, Comment: "Разъяснено"})
	closeCase("e", hotline.Closing{Result: hotline.ResultExtended, Comment: "Ждём ответа медицинской организации", ExtendTo: l2Start.Add(7 * 24 * time.Hour)})
	clock.Advance(4 * time.Hour)
	for name, c := range f.cases {
		evs, err := f.j.History(ctx, journal.HistoryFilter{CaseID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		f.seen[name] = len(evs)
	}
	return f
}

func (f *reviewFixture) id(name string) string { return itoa(f.cases[name].ID) }

// actions lists case name's history actions by actor after the fixture's.
func (f *reviewFixture) actions(t *testing.T, name, actor string) []string {
	t.Helper()
	evs, err := f.j.History(t.Context(), journal.HistoryFilter{CaseID: f.cases[name].ID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs[f.seen[name]:] {
		if e.Actor == actor {
			out = append(out, e.Action)
		}
	}
	return out
}

func TestReviewPage(t *testing.T) {
	f := newReviewFixture(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j}).Handler()
	rec := l2Do(t, h, ss, admin, "GET", "/admin/review", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, body)
	}
	got, _ := rows(body)
	// Oldest first: a and b went under review an hour before c and e.
	if want := []string{f.cases["a"].Number, f.cases["b"].Number, f.cases["c"].Number, f.cases["e"].Number}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	for _, want := range []string{
		`<strong id="review-count" sse-swap="count">4</strong>`, `sse-connect="/admin/review/events"`,
		`id="review-alert" class="alert" role="alert">Ждут проверки дольше 4 ч 00 мин: 2.`,
		`<input type="checkbox" name="case" value="` + f.id("a") + `"`, `action="/admin/review/approve"`, `formaction="/admin/review/return"`,
		"Иванова А. П.", "Даны разъяснения справочно-консультативного характера", "Проведены необходимые меры",
		"Продление срока до 09.03.2026", "Ждём ответа медицинской организации", "&lt;script&gt;alert(1)&lt;/script&gt;",
		"5 ч 00 мин", "закрыл: Сидорова В. Г.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(body, "закрыл:"); n != 1 {
		t.Errorf("«закрыл» %d times, want once (c, closed by the administrator for its owner)", n)
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("a comment is not escaped")
	}
	if strings.Contains(body, `data-case="`+f.cases["open"].Number+`"`) {
		t.Error("a case in progress is in the review queue")
	}

	// Three hours earlier no case had waited 4 hours: no alert.
	f.clock.Advance(-3 * time.Hour)
	body = l2Do(t, h, ss, admin, "GET", "/admin/review", nil).Body.String()
	if strings.Contains(body, `id="review-alert"`) {
		t.Error("an alert while no case waited 4 hours")
	}
}

func TestReviewActions(t *testing.T) {
	type want struct {
		status  hotline.CaseStatus
		actions []string // the administrator's history actions on the case
	}
	tests := []struct {
		name    string
		before  func(t *testing.T, f *reviewFixture) // another administrator's doing first
		path    string
		form    func(f *reviewFixture) url.Values
		code    int
		saying  []string
		cases   map[string]want
		checkFn func(t *testing.T, f *reviewFixture)
	}{
		{name: "approve one", path: "/admin/review/approve",
			form: func(f *reviewFixture) url.Values { return url.Values{"case": {f.id("a")}} },
			code: 200, saying: []string{"Утверждено: 1"},
			cases: map[string]want{"a": {hotline.StatusApproved, []string{"approved"}}, "b": {hotline.StatusUnderReview, nil},
				"c": {hotline.StatusUnderReview, nil}, "e": {hotline.StatusUnderReview, nil}}},
		{name: "approve in bulk", path: "/admin/review/approve",
			form: func(f *reviewFixture) url.Values {
				return url.Values{"case": {f.id("a"), f.id("b"), f.id("c"), f.id("a")}}
			},
			code: 200, saying: []string{"Утверждено: 3"},
			cases: map[string]want{"a": {hotline.StatusApproved, []string{"approved"}}, "b": {hotline.StatusApproved, []string{"approved"}},
				"c": {hotline.StatusApproved, []string{"approved"}}, "e": {hotline.StatusUnderReview, nil}, "open": {hotline.StatusInProgress, nil}}},
		{name: "approve an extension", path: "/admin/review/approve",
			form: func(f *reviewFixture) url.Values { return url.Values{"case": {f.id("e")}} },
			code: 200, saying: []string{"Утверждено: 1"},
			cases: map[string]want{"e": {hotline.StatusInProgress, []string{"approved"}}},
			checkFn: func(t *testing.T, f *reviewFixture) {
				c, _ := f.j.Case(t.Context(), f.cases["e"].ID)
				if !c.DueAt.Equal(l2Start.Add(7*24*time.Hour)) || !c.ExtendTo.IsZero() {
					t.Errorf("the approved extension: due %v, extend to %v", c.DueAt, c.ExtendTo)
				}
			}},
		{name: "one already approved by another administrator", path: "/admin/review/approve",
			before: func(t *testing.T, f *reviewFixture) {
				other := hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}
				if _, err := f.j.ApproveCase(t.Context(), other, f.cases["b"].ID); err != nil {
					t.Fatal(err)
				}
			},
			form: func(f *reviewFixture) url.Values { return url.Values{"case": {f.id("a"), f.id("b"), f.id("c")}} },
			code: 200, saying: []string{"Утверждено: 2", "Не выполнено: 1", "Данные уже изменились"},
			cases: map[string]want{"a": {hotline.StatusApproved, []string{"approved"}}, "b": {hotline.StatusApproved, nil},
				"c": {hotline.StatusApproved, []string{"approved"}}}},
		{name: "all refused", path: "/admin/review/approve",
			form: func(f *reviewFixture) url.Values { return url.Values{"case": {f.id("open"), "999999"}} },
			code: http.StatusConflict, saying: []string{"Не выполнено: 2", "Не найдено", "#999999"},
			cases: map[string]want{"open": {hotline.StatusInProgress, nil}}},
		{name: "return one", path: "/admin/review/return",
			form: func(f *reviewFixture) url.Values {
				return url.Values{"case": {f.id("b")}, "reason": {"Укажите, какие меры приняты"}}
			},
			code: 200, saying: []string{"Возвращено на доработку: 1"},
			cases: map[string]want{"b": {hotline.StatusInProgress, []string{"returned"}}, "a": {hotline.StatusUnderReview, nil}},
			checkFn: func(t *testing.T, f *reviewFixture) {
				if c, _ := f.j.Case(t.Context(), f.cases["b"].ID); c.ReviewNote != "Укажите, какие меры приняты" {
					t.Errorf("review note %q", c.ReviewNote)
				}
			}},
		{name: "return in bulk", path: "/admin/review/return",
			form: func(f *reviewFixture) url.Values {
				return url.Values{"case": {f.id("a"), f.id("e")}, "reason": {"Нет данных обратившегося"}}
			},
			code: 200, saying: []string{"Возвращено на доработку: 2"},
			cases: map[string]want{"a": {hotline.StatusInProgress, []string{"returned"}}, "e": {hotline.StatusInProgress, []string{"returned"}},
				"b": {hotline.StatusUnderReview, nil}}},
		{name: "return without a reason", path: "/admin/review/return",
			form: func(f *reviewFixture) url.Values { return url.Values{"case": {f.id("a"), f.id("b")}, "reason": {"  "}} },
			code: http.StatusUnprocessableEntity, saying: []string{"Укажите причину возврата", "Ничего не изменено"},
			cases: map[string]want{"a": {hotline.StatusUnderReview, nil}, "b": {hotline.StatusUnderReview, nil}}},
		{name: "return with too long a reason", path: "/admin/review/return",
			form: func(f *reviewFixture) url.Values {
				return url.Values{"case": {f.id("a")}, "reason": {strings.Repeat("я", hotline.MaxCommentLen+1)}}
			},
			code: http.StatusUnprocessableEntity, saying: []string{"слишком длинная"},
			cases: map[string]want{"a": {hotline.StatusUnderReview, nil}}},
		{name: "nothing selected", path: "/admin/review/approve",
			form: func(f *reviewFixture) url.Values { return url.Values{} },
			code: http.StatusUnprocessableEntity, saying: []string{"Отметьте обращения"}},
		{name: "not an id", path: "/admin/review/approve",
			form: func(f *reviewFixture) url.Values { return url.Values{"case": {f.id("a"), "a<b"}} },
			code: http.StatusUnprocessableEntity, saying: []string{"Неверный выбор", "Ничего не изменено"},
			cases: map[string]want{"a": {hotline.StatusUnderReview, nil}}},
		{name: "more than a batch", path: "/admin/review/approve",
			form: func(f *reviewFixture) url.Values {
				v := url.Values{"case": {f.id("a")}}
				for i := range reviewBatch {
					v.Add("case", itoa(int64(1000+i)))
				}
				return v
			},
			code: http.StatusUnprocessableEntity, saying: []string{"не больше 500"},
			cases: map[string]want{"a": {hotline.StatusUnderReview, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newReviewFixture(t)
			form := f.withVersions(t, tt.form(f)) // as the page showed them, before another's doing
			if tt.before != nil {
				tt.before(t, f)
			}
			ss := newFakeSessions()
			h := (&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j}).Handler()
			rec := l2Do(t, h, ss, admin, "POST", tt.path, form)
			body := rec.Body.String()
			if rec.Code != tt.code {
				t.Errorf("status %d, want %d", rec.Code, tt.code)
			}
			for _, s := range tt.saying {
				if !strings.Contains(body, s) {
					t.Errorf("the page does not say %q: %s", s, body)
				}
			}
			for name, w := range tt.cases {
				c, err := f.j.Case(t.Context(), f.cases[name].ID)
				if err != nil {
					t.Fatal(err)
				}
				if c.Status != w.status {
					t.Errorf("case %s: %s, want %s", name, c.Status, w.status)
				}
				if got := f.actions(t, name, admin.Login); !slices.Equal(got, w.actions) {
					t.Errorf("case %s: the administrator's history %v, want %v", name, got, w.actions)
				}
			}
			if tt.checkFn != nil {
				tt.checkFn(t, f)
			}
		})
	}
}

// Another open review page sees the counter fall: both pages' streams poll the journal, and an
// approval made through the page reaches each.
func TestReviewCounterFallsOnOtherPages(t *testing.T) {
	f := newReviewFixture(t)
	ss := newFakeSessions()
	srv := httptest.NewServer((&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j}).Handler())
	t.Cleanup(srv.Close) // after the streams' bodies are closed: Close waits for the requests
	open := func() chan sse {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/admin/review/events", nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(admin)})
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("events: %d %q", resp.StatusCode, ct)
		}
		ch := make(chan sse, 16)
		go readEvents(resp.Body, ch)
		return ch
	}
	// next is the next event named name (the 10 s only guards against a hang).
	next := func(ch chan sse, name string) string {
		t.Helper()
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatalf("the stream ended before %q", name)
				}
				if ev.event == name {
					return ev.data
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %q event", name)
			}
		}
	}
	pages := []chan sse{open(), open()}
	for i, ch := range pages {
		if got := next(ch, "count"); got != "4" {
			t.Fatalf("page %d: count %q, want 4", i, got)
		}
	}
	post := func(form url.Values) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/admin/review/approve", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(admin)})
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("approve: %d", resp.StatusCode)
		}
	}
	post(f.withVersions(t, url.Values{"case": {f.id("a")}}))
	for i, ch := range pages {
		if got := next(ch, "count"); got != "3" {
			t.Errorf("page %d after one approval: count %q, want 3", i, got)
		}
	}
	// The alert goes when the last case that waited 4 hours is approved.
	post(f.withVersions(t, url.Values{"case": {f.id("b")}}))
	for i, ch := range pages {
		if got := next(ch, "count"); got != "2" {
			t.Errorf("page %d after two approvals: count %q, want 2", i, got)
		}
		if got := next(ch, "alert"); got != "" {
			t.Errorf("page %d: the alert stays after the late cases were approved: %q", i, got)
		}
	}
}

// withVersions adds to form the version of each case it selects as the page shows it
// (version-<id>); a case the journal does not have gets version 1.
func (f *reviewFixture) withVersions(t *testing.T, form url.Values) url.Values {
	t.Helper()
	for _, v := range form["case"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		version := int64(1)
		if c, err := f.j.Case(t.Context(), id); err == nil {
			version = c.Version
		}
		form.Set("version-"+v, strconv.FormatInt(version, 10))
	}
	return form
}

// A case written after the page showed it is not approved or returned: the page says so for that
// case, and does the others.
func TestReviewRefusesACaseChangedSinceShown(t *testing.T) {
	f := newReviewFixture(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j}).Handler()
	body := l2Do(t, h, ss, admin, "GET", "/admin/review", nil).Body.String()
	a := f.cases["a"]
	if !strings.Contains(body, `name="version-`+f.id("a")+`" value="`+strconv.FormatInt(a.Version, 10)+`"`) {
		t.Fatalf("the page does not send the case's version: %s", body)
	}
	form := f.withVersions(t, url.Values{"case": {f.id("a"), f.id("b")}})
	// Another administrator returns a and its owner closes it again: under review, but not as shown.
	other := hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}
	if _, err := f.j.ReturnCase(t.Context(), other, a.ID, "дополните"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.j.CloseCase(t.Context(), other, a.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "другой ответ"}); err != nil {
		t.Fatal(err)
	}
	rec := l2Do(t, h, ss, admin, "POST", "/admin/review/approve", form)
	body = rec.Body.String()
	if !strings.Contains(body, "Утверждено: 1") || !strings.Contains(body, a.Number+": Данные уже изменились: обращение изменено после того, как список был показан") {
		t.Fatalf("approve: %d %s", rec.Code, body)
	}
	if c, _ := f.j.Case(t.Context(), a.ID); c.Status != hotline.StatusUnderReview {
		t.Fatalf("the changed case was approved: %s", c.Status)
	}
	// Without the versions nothing is done.
	rec = l2Do(t, h, ss, admin, "POST", "/admin/review/approve", url.Values{"case": {f.id("c")}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Страница устарела") {
		t.Fatalf("approve without versions: %d", rec.Code)
	}
}
