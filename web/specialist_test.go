package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// l2Clock is the journal's clock in these tests: the pages measure due dates and waiting with it.
type l2Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *l2Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *l2Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var l2Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// l2Do sends method path as u (form as the body of a POST, same-origin) and returns the answer.
func l2Do(t *testing.T, h http.Handler, ss *fakeSessions, u User, method, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(u)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// l2Fixture is a journal holding level 2's worklists (at l2Start):
//   - forwarded: level1's case forwarded with notice to level2, due in 2 days;
//   - callback: a press-1 callback the call flow opened and gave to level2, due 23 h on;
//   - overdue: level2's written case «В работе», due a day ago, no phone number;
//   - later: level2's case «В работе» due in 10 days, registered after overdue;
//   - undated: level2's case «В работе» without a due date;
//   - others: level1's own case;
//   - unowned: a callback no one was given (the administrators' queue).
type l2Fixture struct {
	j     *journal.Store
	clock *l2Clock
	cases map[string]hotline.Case
}

func newL2Fixture(t *testing.T) *l2Fixture {
	t.Helper()
	ctx := t.Context()
	clock := &l2Clock{t: l2Start}
	f := &l2Fixture{j: testJournalAt(t, clock.Now), clock: clock, cases: map[string]hotline.Case{}}
	add := func(name string, by User, c hotline.Case) {
		t.Helper()
		if err := f.j.NewCase(ctx, by.Actor(), &c); err != nil {
			t.Fatalf("case %s: %v", name, err)
		}
		f.cases[name] = c
	}
	add("forwarded", level1, hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+79001112233", Type: hotline.TypeConsultation,
		Topic: "policy-replace", Person: hotline.Person{FullName: "Смирнова Е. А."}, DueAt: l2Start.Add(48 * time.Hour)})
	fw, err := f.j.CloseCase(ctx, level1.Actor(), f.cases["forwarded"].ID, hotline.Closing{Result: hotline.ResultForwarded,
		Comment: "Нужна консультация специалиста 2-го уровня", ForwardTo: level2.OperatorID})
	if err != nil {
		t.Fatal(err)
	}
	f.cases["forwarded"] = fw
	add("overdue", level2, hotline.Case{Channel: hotline.ChannelWritten, Type: hotline.TypeComplaint, Topic: "clinic-refusal",
		Person: hotline.Person{FullName: "Кузнецов И. И."}, CreatedAt: l2Start.Add(-72 * time.Hour), DueAt: l2Start.Add(-24 * time.Hour)})
	add("later", level2, hotline.Case{Channel: hotline.ChannelEmail, Type: hotline.TypeComplaint, Topic: "clinic-refusal",
		CreatedAt: l2Start.Add(-10 * time.Hour), DueAt: l2Start.Add(240 * time.Hour)})
	add("undated", level2, hotline.Case{Channel: hotline.ChannelInPerson, Type: hotline.TypeConsultation, Topic: "policy-replace"})
	add("others", level1, hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+79007778899"})
	for _, cb := range []struct{ name, channel, number string }{{"callback", "ch-1", "+79004445566"}, {"unowned", "ch-2", "+79005556677"}} {
		if _, err := f.j.StartCall(ctx, journal.CallStart{CallID: cb.channel, CallerNumber: cb.number, ArrivedAt: l2Start.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		c, err := f.j.OpenDelayedAnswer(ctx, cb.channel, journal.DelayedCallback, journal.DelayedAnswerRule{})
		if err != nil {
			t.Fatal(err)
		}
		if cb.name == "callback" {
			if err := f.j.GiveCallback(ctx, cb.channel, level2.OperatorID); err != nil {
				t.Fatal(err)
			}
		}
		f.cases[cb.name] = c
	}
	return f
}

// section is the part of a page from the element with id to the end of its section.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

var mineRow = regexp.MustCompile(`<tr data-case="([^"]+)"([^>]*)>`)

// rows lists the case numbers of a part's rows, in order, and which of them are marked overdue.
func rows(part string) (numbers []string, overdue map[string]bool) {
	overdue = map[string]bool{}
	for _, m := range mineRow.FindAllStringSubmatch(part, -1) {
		numbers = append(numbers, m[1])
		if strings.Contains(m[2], "overdue") {
			overdue[m[1]] = true
		}
	}
	return numbers, overdue
}

func TestMineWorklists(t *testing.T) {
	f := newL2Fixture(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j, Calls: &fakeCalls{}}).Handler()
	n := func(names ...string) []string {
		var out []string
		for _, name := range names {
			out = append(out, f.cases[name].Number)
		}
		return out
	}
	tests := []struct {
		name    string
		user    User
		advance time.Duration
		lists   map[string][]string // section id: the cases in order
		overdue []string
	}{
		{name: "level 2 now", user: level2, lists: map[string][]string{
			"forwarded": n("forwarded"), "delayed": n("callback"), "in-progress": n("overdue", "later", "undated"), "unowned": nil,
		}, overdue: n("overdue")},
		{name: "level 2 a day later", user: level2, advance: 30 * time.Hour, lists: map[string][]string{
			"forwarded": n("forwarded"), "delayed": n("callback"), "in-progress": n("overdue", "later", "undated"),
		}, overdue: n("overdue", "callback")},
		{name: "administrator", user: admin, lists: map[string][]string{
			"forwarded": nil, "delayed": nil, "in-progress": nil, "unowned": n("unowned"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(tt.advance)
			defer f.clock.Advance(-tt.advance)
			rec := l2Do(t, h, ss, tt.user, "GET", "/mine", nil)
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, body)
			}
			allOverdue := map[string]bool{}
			for id, want := range tt.lists {
				part := section(t, body, id)
				if part == "" && want != nil {
					t.Errorf("no section %s", id)
					continue
				}
				got, od := rows(part)
				if !slices.Equal(got, want) {
					t.Errorf("%s: rows %v, want %v", id, got, want)
				}
				for k := range od {
					allOverdue[k] = true
				}
			}
			for _, num := range tt.overdue {
				if !allOverdue[num] {
					t.Errorf("case %s not marked overdue", num)
				}
				delete(allOverdue, num)
			}
			if len(allOverdue) > 0 {
				t.Errorf("marked overdue but not due yet: %v", allOverdue)
			}
			if got, want := strings.Count(body, "просрочено"), len(tt.overdue); got != want {
				t.Errorf("«просрочено» %d times, want %d (the word, not colour alone)", got, want)
			}
			if !strings.Contains(body, `href="/cards/new"`) || !strings.Contains(body, "Добавить") {
				t.Error("no «Добавить» link to /cards/new")
			}
			if tt.user == level2 {
				fw := section(t, body, "forwarded")
				for _, want := range []string{"79001112233", "Смирнова Е. А.", "Замена полиса ОМС", "Нужна консультация специалиста",
					`href="/cases/` + itoa(f.cases["forwarded"].ID) + `"`, `href="/cases/` + itoa(f.cases["forwarded"].ID) + `/edit"`,
					`action="/mine/` + itoa(f.cases["forwarded"].ID) + `/callback"`, `class="callback"`} {
					if !strings.Contains(fw, want) {
						t.Errorf("the forwarded row lacks %q", want)
					}
				}
				if in := section(t, body, "in-progress"); strings.Contains(in, `/mine/`+itoa(f.cases["overdue"].ID)+`/callback`) {
					t.Error("a case without a phone number offers a call-back button")
				}
			}
		})
	}
}

func TestMineAndReviewRefuseLevel1(t *testing.T) {
	f := newL2Fixture(t)
	ss := newFakeSessions()
	calls := &fakeCalls{}
	h := (&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j, Calls: calls}).Handler()
	id := itoa(f.cases["others"].ID)
	for _, tt := range []struct {
		user         User
		method, path string
		want         int
	}{
		{level1, "GET", "/mine", http.StatusOK},                                                        // a level-1 operator's delayed answers
		{level1, "POST", "/mine/" + itoa(f.cases["forwarded"].ID) + "/callback", http.StatusForbidden}, // level2's: the case's rule refuses
		{level1, "GET", "/admin/review", http.StatusForbidden},
		{level1, "GET", "/admin/review/events", http.StatusForbidden},
		{level1, "POST", "/admin/review/approve", http.StatusForbidden},
		{level1, "POST", "/admin/review/return", http.StatusForbidden},
		{level2, "GET", "/admin/review", http.StatusForbidden},
		{level2, "POST", "/admin/review/approve", http.StatusForbidden},
		{level2, "GET", "/mine", http.StatusOK},
		{admin, "GET", "/mine", http.StatusOK},
		{admin, "GET", "/admin/review", http.StatusOK},
	} {
		var form url.Values
		if tt.method == "POST" {
			form = url.Values{"case": {id}, "reason": {"причина"}}
		}
		rec := l2Do(t, h, ss, tt.user, tt.method, tt.path, form)
		if rec.Code != tt.want {
			t.Errorf("%s %s as %s: %d, want %d", tt.method, tt.path, tt.user.Login, rec.Code, tt.want)
		}
	}
	if len(calls.Asked()) != 0 {
		t.Errorf("refused requests reached the call flow: %v", calls.Asked())
	}
	if c, _ := f.j.Case(t.Context(), f.cases["others"].ID); c.Status != hotline.StatusInProgress {
		t.Errorf("a refused request changed the case: %s", c.Status)
	}
}

func TestMineCallBack(t *testing.T) {
	f := newL2Fixture(t)
	ctx := t.Context()
	// A case under review: no longer being worked.
	closed, err := f.j.CloseCase(ctx, level2.Actor(), f.cases["later"].ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "Разъяснено"})
	if err != nil {
		t.Fatal(err)
	}
	id := func(name string) string { return itoa(f.cases[name].ID) }
	tests := []struct {
		name   string
		user   User
		ref    string
		fail   error
		want   int
		asked  []string
		saying string
	}{
		{"forwarded to me", level2, id("forwarded"), nil, http.StatusOK,
			[]string{"petrov: callback 3 +79001112233 " + id("forwarded")}, "ваш телефон зазвонит"},
		{"by number", level2, f.cases["callback"].Number, nil, http.StatusOK,
			[]string{"petrov: callback 3 +79004445566 " + id("callback")}, "79004445566"},
		{"not mine", level2, id("others"), nil, http.StatusForbidden, nil, "Недостаточно прав"},
		{"administrator on anyone's", admin, id("others"), nil, http.StatusOK,
			[]string{"admin: callback 1 +79007778899 " + id("others")}, "ваш телефон зазвонит"},
		{"no number", level2, id("overdue"), nil, http.StatusUnprocessableEntity, nil, "нет номера телефона"},
		{"under review", level2, itoa(closed.ID), nil, http.StatusConflict, nil, "Данные уже изменились"},
		{"no such case", level2, "999999", nil, http.StatusNotFound, nil, "Не найдено"},
		{"not a reference", level2, "x1", nil, http.StatusUnprocessableEntity, nil, "Проверьте данные"},
		{"call flow refuses", level2, id("forwarded"), hotline.Errorf(hotline.EUNAVAILABLE, "operator 3 has no device"),
			http.StatusServiceUnavailable, nil, "Сейчас недоступно: operator 3 has no device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := newFakeSessions()
			calls := &fakeCalls{fail: tt.fail}
			h := (&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j, Calls: calls}).Handler()
			rec := l2Do(t, h, ss, tt.user, "POST", "/mine/"+tt.ref+"/callback", url.Values{})
			if tt.want == http.StatusOK {
				// POST-redirect-GET: a reload of the page shown does not dial again.
				loc := rec.Header().Get("Location")
				if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/mine?done=callback") {
					t.Fatalf("a call-back answered %d (Location %q), want a redirect to /mine", rec.Code, loc)
				}
				rec = l2Do(t, h, ss, tt.user, "GET", loc, nil)
			}
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if got := calls.Asked(); !slices.Equal(got, tt.asked) {
				t.Errorf("call flow asked %v, want %v", got, tt.asked)
			}
			body := rec.Body.String()
			if !strings.Contains(body, tt.saying) {
				t.Errorf("the page does not say %q: %s", tt.saying, body)
			}
			if tt.want != http.StatusOK && !strings.Contains(body, `role="alert"`) {
				t.Error("a refusal without role=alert")
			}
		})
	}
}

// A level-1 operator given a delayed answer (a press-1 callback, a dropped call) finds it on
// /mine and calls back; the nav shows the link to every user.
func TestMineForLevel1(t *testing.T) {
	f := newL2Fixture(t)
	ss := newFakeSessions()
	calls := &fakeCalls{}
	h := (&Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: f.j, Calls: calls}).Handler()
	rec := l2Do(t, h, ss, level1, "GET", "/mine", nil)
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, `tr data-case="`+f.cases["others"].Number+`"`) || !strings.Contains(body, `href="/mine"`) {
		t.Fatalf("/mine for level 1: %d %s", rec.Code, body)
	}
	rec = l2Do(t, h, ss, level1, "POST", "/mine/"+itoa(f.cases["others"].ID)+"/callback", url.Values{})
	if rec.Code != http.StatusSeeOther || len(calls.Asked()) != 1 {
		t.Fatalf("level 1 calls back their own case: %d %v", rec.Code, calls.Asked())
	}
}
