package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// adminEnv is the workplace on a real journal, with fake sessions, live state and call flow.
type adminEnv struct {
	s     *Server
	h     http.Handler
	ss    *fakeSessions
	calls *fakeCalls
	j     *journal.Store
	live  *fakeLive
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	e := &adminEnv{ss: newFakeSessions(), calls: &fakeCalls{}, j: testJournal(t), live: newFakeLive(testSnapshot())}
	e.s = &Server{Sessions: e.ss, Live: e.live, Journal: e.j, Calls: e.calls}
	e.h = e.s.Handler()
	return e
}

func (e *adminEnv) do(u User, req *http.Request) *httptest.ResponseRecorder {
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: e.ss.start(u)})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

func (e *adminEnv) get(u User, path string) *httptest.ResponseRecorder {
	return e.do(u, httptest.NewRequest("GET", path, nil))
}

func (e *adminEnv) post(u User, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.do(u, req)
}

func (e *adminEnv) operator(t *testing.T, id int64) hotline.Operator {
	t.Helper()
	o, err := e.j.Operator(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (e *adminEnv) history(t *testing.T, entity, id string) []journal.Event {
	t.Helper()
	evs, err := e.j.History(t.Context(), journal.HistoryFilter{Entity: entity, EntityID: id})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// adminOperatorValues is a valid operator's form, changed by the pairs given.
func adminOperatorValues(pairs ...string) url.Values {
	v := url.Values{"name": {"Кузнецова К. К."}, "login": {"kuznetsova"}, "level": {"2"}, "role": {"operator"},
		"extension": {"2002"}, "organisation": {"СК «Капитал МС»"}, "topic": {"clinic-refusal"}, "languages": {"ru, en"},
		"max_concurrent": {"3"}, "priority": {"5"}}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v
}

func adminWantRedirect(t *testing.T, rec *httptest.ResponseRecorder, prefix string) {
	t.Helper()
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), prefix) {
		t.Fatalf("status %d to %q, want 303 to %s...: %s", rec.Code, rec.Header().Get("Location"), prefix, rec.Body)
	}
}

func TestAdminOperatorLifecycle(t *testing.T) {
	e := newAdminEnv(t)
	rec := e.post(admin, "/admin/operators/new", adminOperatorValues())
	adminWantRedirect(t, rec, "/admin/operators/4?done=created")
	o := e.operator(t, 4)
	if o.Name != "Кузнецова К. К." || o.Login != "kuznetsova" || o.Level != hotline.Level2 || o.Extension != "2002" ||
		o.Organisation != "СК «Капитал МС»" || !slices.Equal(o.Topics, []string{"clinic-refusal"}) ||
		!slices.Equal(o.Languages, []string{"ru", "en"}) || o.MaxConcurrent != 3 || o.Priority != 5 || !o.Active {
		t.Fatalf("created: %+v", o)
	}
	if evs := e.history(t, "operator", "4"); len(evs) != 1 || evs[0].Action != "created" || evs[0].Actor != "admin" {
		t.Fatalf("history after create: %+v", evs)
	}
	page := e.get(admin, rec.Header().Get("Location"))
	if page.Code != 200 || !strings.Contains(page.Body.String(), "Оператор добавлен.") || strings.Contains(page.Body.String(), "коммутатор не перечитал") {
		t.Fatalf("page after create: %d %s", page.Code, page.Body)
	}

	steps := []struct {
		name, path string
		form       url.Values
		done       string
		check      func(hotline.Operator) bool
		action     string
	}{
		{"edit", "/admin/operators/4", adminOperatorValues("extension", "2003", "max_concurrent", "5", "level", "1", "topic", ""),
			"saved", func(o hotline.Operator) bool {
				return o.Extension == "2003" && o.MaxConcurrent == 5 && o.Level == hotline.Level1 && len(o.Topics) == 0 && o.Active
			}, "updated"},
		{"disable", "/admin/operators/4/disable", nil, "disabled", func(o hotline.Operator) bool { return !o.Active }, "updated"},
		{"enable", "/admin/operators/4/enable", nil, "enabled", func(o hotline.Operator) bool { return o.Active }, "updated"},
	}
	for i, st := range steps {
		form := st.form
		if st.name == "edit" {
			form.Del("topic")
		}
		rec := e.post(admin, st.path, form)
		adminWantRedirect(t, rec, "/admin/operators/4?done="+st.done)
		if o := e.operator(t, 4); !st.check(o) {
			t.Fatalf("%s: %+v", st.name, o)
		}
		evs := e.history(t, "operator", "4")
		if len(evs) != i+2 || evs[i+1].Action != st.action || evs[i+1].Actor != "admin" {
			t.Fatalf("%s: history %+v", st.name, evs)
		}
	}
	if got := e.calls.Asked(); !slices.Equal(got, []string{"admin: reload", "admin: reload", "admin: reload", "admin: reload"}) {
		t.Fatalf("the switchboard was asked %q, want a reload after each change", got)
	}
	// Enabling an operator already in service is refused, and changes nothing.
	rec = e.post(admin, "/admin/operators/4/enable", nil)
	if rec.Code != http.StatusConflict || len(e.history(t, "operator", "4")) != 4 {
		t.Fatalf("enable twice: %d %s", rec.Code, rec.Body)
	}
	// Out of service, the extension is free for another; back in service, it would clash.
	adminWantRedirect(t, e.post(admin, "/admin/operators/4/disable", nil), "/admin/operators/4?done=disabled")
	adminWantRedirect(t, e.post(admin, "/admin/operators/new", adminOperatorValues("login", "smirnova", "extension", "2003")), "/admin/operators/5?done=created")
	rec = e.post(admin, "/admin/operators/4/enable", nil)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "внутренний номер уже занят") || e.operator(t, 4).Active {
		t.Fatalf("enable onto a taken extension: %d %s", rec.Code, rec.Body)
	}
	adminWantRedirect(t, e.post(admin, "/admin/operators/4", adminOperatorValues("extension", "2004")), "/admin/operators/4?done=saved")
	adminWantRedirect(t, e.post(admin, "/admin/operators/4/enable", nil), "/admin/operators/4?done=enabled")
	// The list shows the operator with the limit, skills and password state.
	list := e.get(admin, "/admin/operators").Body.String()
	for _, want := range []string{`data-operator="4"`, "Кузнецова К. К.", "kuznetsova", "2004", "не задан", "Активен"} {
		if !strings.Contains(list, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
}

func TestAdminReloadFailureKeepsTheChange(t *testing.T) {
	e := newAdminEnv(t)
	e.calls.fail = errors.New("switchboard gone")
	rec := e.post(admin, "/admin/operators/new", adminOperatorValues())
	adminWantRedirect(t, rec, "/admin/operators/4?")
	if !strings.Contains(rec.Header().Get("Location"), "reload=failed") {
		t.Fatalf("the failed reload is not said: %q", rec.Header().Get("Location"))
	}
	if o := e.operator(t, 4); o.Login != "kuznetsova" {
		t.Fatalf("the journal's change was lost: %+v", o)
	}
	page := e.get(admin, rec.Header().Get("Location")).Body.String()
	if !strings.Contains(page, "коммутатор не перечитал") || !strings.Contains(page, "Оператор добавлен.") {
		t.Fatalf("the page does not say the change is saved but not applied: %s", page)
	}
}

func TestAdminOperatorFormRefusals(t *testing.T) {
	e := newAdminEnv(t)
	long := strings.Repeat("я", hotline.MaxNameLen+1)
	tests := []struct {
		name   string
		path   string
		form   url.Values
		status int
		says   string
		kept   string // a value the form must still hold
	}{
		{"empty name", "/admin/operators/new", adminOperatorValues("name", "  "), 422, "Заполните поле «ФИО»", "kuznetsova"},
		{"name too long", "/admin/operators/new", adminOperatorValues("name", long), 422, "не более 200 символов", long},
		{"control characters in the name", "/admin/operators/new", adminOperatorValues("name", "Кузнецова\nК. К."), 422, "ФИО: недопустимые символы", "kuznetsova"},
		{"bad extension", "/admin/operators/new", adminOperatorValues("extension", "20a2"), 422, "от 2 до 20 цифр", "20a2"},
		{"bad login", "/admin/operators/new", adminOperatorValues("login", "ива нова"), 422, "только латинские буквы", "ива нова"},
		{"login too long", "/admin/operators/new", adminOperatorValues("login", strings.Repeat("a", 65)), 422, "не более 64 символов", "Кузнецова"},
		{"duplicate extension", "/admin/operators/new", adminOperatorValues("extension", "1001"), 409, "внутренний номер уже занят", "1001"},
		{"duplicate login", "/admin/operators/new", adminOperatorValues("login", "ivanova"), 409, "логин уже занят", "ivanova"},
		{"negative limit", "/admin/operators/new", adminOperatorValues("max_concurrent", "-1"), 422, "Лимит: целое число", "Кузнецова"},
		{"limit not a number", "/admin/operators/new", adminOperatorValues("max_concurrent", "три"), 422, "Лимит: целое число", "Кузнецова"},
		{"priority not a number", "/admin/operators/new", adminOperatorValues("priority", "1e3"), 422, "Приоритет: целое число", "Кузнецова"},
		{"level 3", "/admin/operators/new", adminOperatorValues("level", "3"), 422, "Выберите уровень", "Кузнецова"},
		{"unknown role", "/admin/operators/new", adminOperatorValues("role", "root"), 422, "Выберите роль", "Кузнецова"},
		{"unknown topic", "/admin/operators/new", adminOperatorValues("topic", "none"), 422, "Выберите тематики из списка", "Кузнецова"},
		{"bad language", "/admin/operators/new", adminOperatorValues("languages", "ru, <b>"), 422, "Языки: коды через запятую", "Кузнецова"},
		{"edit: duplicate extension", "/admin/operators/2", adminOperatorValues("login", "ivanova", "extension", "2001"), 409, "внутренний номер уже занят", "2001"},
		{"edit: unknown operator", "/admin/operators/99", adminOperatorValues(), 404, "Оператор не найден", ""},
		{"edit: not an id", "/admin/operators/abc", adminOperatorValues(), 404, "Страница не найдена", ""},
	}
	before, err := e.j.Operators(t.Context(), journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.post(admin, tt.path, tt.form)
			body := html.UnescapeString(rec.Body.String())
			if rec.Code != tt.status || !strings.Contains(body, tt.says) {
				t.Fatalf("status %d, want %d saying %q: %s", rec.Code, tt.status, tt.says, body)
			}
			if tt.kept != "" && !strings.Contains(body, `value="`+tt.kept) {
				t.Errorf("the form lost %q", tt.kept)
			}
		})
	}
	after, err := e.j.Operators(t.Context(), journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) || after[1].Extension != "1001" {
		t.Fatalf("refusals wrote: %+v", after)
	}
	if len(e.calls.Asked()) != 0 {
		t.Fatalf("a refusal asked the switchboard to reload: %q", e.calls.Asked())
	}

	// Script tags are data: stored as typed, shown escaped.
	evil := `<script>alert(1)</script>`
	rec := e.post(admin, "/admin/operators/new", adminOperatorValues("name", evil, "organisation", evil))
	adminWantRedirect(t, rec, "/admin/operators/4")
	for _, path := range []string{"/admin/operators", "/admin/operators/4"} {
		if body := e.get(admin, path).Body.String(); strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: the name is not escaped", path)
		}
	}
}

func TestAdminLastAdministratorIsKept(t *testing.T) {
	e := newAdminEnv(t)
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/admin/operators/1", url.Values{"name": {admin.Name}, "login": {"admin"}, "level": {"1"}, "role": {"operator"}}},
		{"/admin/operators/1/disable", nil},
	} {
		rec := e.post(admin, tt.path, tt.form)
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "последнего администратора") {
			t.Fatalf("%s: status %d: %s", tt.path, rec.Code, rec.Body)
		}
	}
	if o := e.operator(t, 1); o.Role != hotline.RoleAdministrator || !o.Active {
		t.Fatalf("the last administrator changed: %+v", o)
	}
	// With a second administrator, the first may step down.
	rec := e.post(admin, "/admin/operators/new", adminOperatorValues("role", "administrator", "level", "1"))
	adminWantRedirect(t, rec, "/admin/operators/4")
	rec = e.post(admin, "/admin/operators/1", url.Values{"name": {admin.Name}, "login": {"admin"}, "level": {"1"}, "role": {"operator"}})
	adminWantRedirect(t, rec, "/admin/operators/1?done=saved")
}

func TestAdminPasswordReset(t *testing.T) {
	e := newAdminEnv(t)
	const good = "новый-пароль-2026"
	tests := []struct {
		name       string
		id         string
		pw, again  string
		status     int
		says       string
		mayLogInAs string
	}{
		{"empty", "2", "", "", 422, "Введите новый пароль", ""},
		{"mismatch", "2", good, good + "x", 422, "Пароли не совпадают", ""},
		{"too long", "2", strings.Repeat("я", hotline.MaxPasswordBytes), strings.Repeat("я", hotline.MaxPasswordBytes), 422, "Пароль слишком длинный", ""},
		{"too short", "2", "Qz9-x", "Qz9-x", 422, "не менее 10 символов", ""},
		{"set", "2", good, good, 303, "", good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.post(admin, "/admin/operators/"+tt.id+"/password", url.Values{"password": {tt.pw}, "password2": {tt.again}})
			body := rec.Body.String()
			if rec.Code != tt.status || !strings.Contains(body, tt.says) {
				t.Fatalf("status %d, want %d saying %q: %s", rec.Code, tt.status, tt.says, body)
			}
			if tt.pw != "" && (strings.Contains(body, tt.pw) || strings.Contains(rec.Header().Get("Location"), url.QueryEscape(tt.pw))) {
				t.Fatalf("the password is echoed")
			}
			_, err := e.j.CheckPassword(t.Context(), "ivanova", good, "192.0.2.1")
			if (err == nil) != (tt.mayLogInAs != "") {
				t.Fatalf("CheckPassword after %s: %v", tt.name, err)
			}
		})
	}
	if body := e.get(admin, "/admin/operators/2?done=password").Body.String(); !strings.Contains(body, "Пароль изменён") || !strings.Contains(body, "пароль задан") {
		t.Fatalf("the page does not say the password is set: %s", body)
	}
	evs := e.history(t, "operator", "2")
	if last := evs[len(evs)-1]; last.Action != "password_set" || last.Actor != "admin" {
		t.Fatalf("history: %+v", evs)
	}
}

// journalBackedSessions are the journal's accounts as the daemon gives them to the workplace
// (daemon/websessions.go), for the tests that need the journal's own sessions.
type journalBackedSessions struct{ j *journal.Store }

func (s journalBackedSessions) Login(ctx context.Context, c Credentials) (Session, error) {
	op, err := s.j.CheckPassword(ctx, c.Login, c.Password, c.Addr)
	if err != nil {
		return Session{}, ErrBadCredentials
	}
	token, sess, err := s.j.NewSession(ctx, op.ID, hotline.SessionLimits{}, hotline.SessionMeta{Address: c.Addr})
	if err != nil {
		return Session{}, err
	}
	return Session{ID: token, Expires: sess.ExpiresAt, User: User{OperatorID: op.ID, Login: op.Login, Name: op.Name, Level: op.Level, Role: op.Role, Extension: op.Extension}}, nil
}

func (s journalBackedSessions) Lookup(ctx context.Context, id string) (User, error) {
	sess, err := s.j.SessionByToken(ctx, id)
	if errors.Is(err, hotline.ErrNoSession) {
		return User{}, ErrNoSession
	}
	if err != nil {
		return User{}, err
	}
	op, err := s.j.Operator(ctx, sess.OperatorID)
	if err != nil {
		return User{}, err
	}
	return User{OperatorID: op.ID, Login: op.Login, Name: op.Name, Level: op.Level, Role: op.Role, Extension: op.Extension}, nil
}

func (s journalBackedSessions) Logout(ctx context.Context, id string) error {
	return s.j.EndSession(ctx, id)
}

// A disabled operator's open session stops working at once: the journal revokes it with the
// change (journal.UpdateOperator), so no lookup of "active" is needed for it.
func TestAdminDisablingEndsTheOperatorsSession(t *testing.T) {
	j := testJournal(t)
	ctx := t.Context()
	if err := j.SetPassword(ctx, admin.Actor(), admin.OperatorID, "пароль-администратора"); err != nil {
		t.Fatal(err)
	}
	h := (&Server{Sessions: journalBackedSessions{j}, Live: newFakeLive(testSnapshot()), Journal: j, Calls: &fakeCalls{}}).Handler()
	login := func(login, password string) *http.Cookie {
		t.Helper()
		req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"login": {login}, "password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) == 0 {
			t.Fatalf("login %s: %d %s", login, rec.Code, rec.Body)
		}
		return rec.Result().Cookies()[0]
	}
	send := func(c *http.Cookie, method, path string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	adminCookie := login("admin", "пароль-администратора")
	// The administrator gives ivanova a password on the page; she logs in with it.
	if rec := send(adminCookie, "POST", "/admin/operators/2/password", url.Values{"password": {"пароль-ивановой"}, "password2": {"пароль-ивановой"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("set password: %d %s", rec.Code, rec.Body)
	}
	ivanova := login("ivanova", "пароль-ивановой")
	if rec := send(ivanova, "GET", "/directory?q=Петров", nil); rec.Code != http.StatusOK {
		t.Fatalf("ivanova's session before: %d", rec.Code)
	}
	if rec := send(adminCookie, "POST", "/admin/operators/2/disable", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", rec.Code, rec.Body)
	}
	if rec := send(ivanova, "GET", "/directory?q=Петров", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Fatalf("ivanova's session after she was disabled: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if _, err := j.CheckPassword(ctx, "ivanova", "пароль-ивановой", "192.0.2.1"); err == nil {
		t.Fatal("a disabled operator may still log in")
	}
	if rec := send(adminCookie, "GET", "/admin/operators", nil); rec.Code != http.StatusOK {
		t.Fatalf("the administrator's own session ended: %d", rec.Code)
	}
}

func TestAdminCatalogue(t *testing.T) {
	e := newAdminEnv(t)
	topic := func(pairs ...string) url.Values {
		v := url.Values{"type": {"application"}, "code": {"attach-clinic"}, "title": {"Прикрепление к поликлинике"}, "number": {"31"}, "keywords": {"прикрепление поликлиника"}}
		for i := 0; i+1 < len(pairs); i += 2 {
			v.Set(pairs[i], pairs[i+1])
		}
		return v
	}
	refusals := []struct {
		name   string
		form   url.Values
		status int
		says   string
	}{
		{"empty title", topic("title", ""), 422, "Заполните поле «Название»"},
		{"no type", topic("type", ""), 422, "Выберите вид обращения"},
		{"code with spaces", topic("code", "attach clinic"), 422, "без пробелов"},
		{"code with a slash", topic("code", "attach/clinic"), 422, "без пробелов"},
		{"code of dots only", topic("code", ".."), 422, "не из одних точек"},
		{"number out of range", topic("number", "10000"), 422, "от 0 до 9999"},
		{"duplicate code", topic("code", "policy-replace", "number", "0"), 409, "Тематика с таким кодом уже есть"},
		{"duplicate number", topic("number", "11"), 409, "Этот номер уже назначен"},
		{"title too long", topic("title", strings.Repeat("я", hotline.MaxNameLen+1)), 422, "не более 200 символов"},
		{"keywords too long", topic("keywords", strings.Repeat("я", hotline.MaxCommentLen+1)), 422, "не более 2000 символов"},
	}
	for _, tt := range refusals {
		t.Run("topic "+tt.name, func(t *testing.T) {
			rec := e.post(admin, "/admin/catalogue/topics", tt.form)
			if body := html.UnescapeString(rec.Body.String()); rec.Code != tt.status || !strings.Contains(body, tt.says) || !strings.Contains(body, `value="`+tt.form.Get("code")) {
				t.Fatalf("status %d, want %d saying %q (code kept): %s", rec.Code, tt.status, tt.says, body)
			}
		})
	}
	if ts, _ := e.j.Topics(t.Context(), "", ""); len(ts) != 2 {
		t.Fatalf("refusals added topics: %+v", ts)
	}
	adminWantRedirect(t, e.post(admin, "/admin/catalogue/topics", topic("title", "<script>x</script>Прикрепление")), "/admin/catalogue?done=topic")
	tp, err := e.j.Topic(t.Context(), "attach-clinic")
	if err != nil || tp.Type != hotline.TypeApplication || tp.Number != 31 {
		t.Fatalf("added: %+v %v", tp, err)
	}
	page := e.get(admin, "/admin/catalogue").Body.String()
	if !strings.Contains(page, "Отказ в приёме</a> — рекомендуются: Петров Б. В.") {
		t.Errorf("the catalogue does not name the script's specialists")
	}
	if !strings.Contains(page, `data-topic="attach-clinic"`) || strings.Contains(page, "<script>x") || !strings.Contains(page, `data-type="application"`) {
		t.Fatalf("the catalogue page: %s", page)
	}

	// Edit the topic: the title and number change; the code and type stay.
	rec := e.post(admin, "/admin/catalogue/topics/attach-clinic", url.Values{"title": {"Прикрепление к МО"}, "number": {"32"}, "keywords": {"прикрепление"}, "type": {"complaint"}})
	adminWantRedirect(t, rec, "/admin/catalogue/topics/attach-clinic?done=topic")
	if tp, _ := e.j.Topic(t.Context(), "attach-clinic"); tp.Title != "Прикрепление к МО" || tp.Number != 32 || tp.Type != hotline.TypeApplication {
		t.Fatalf("edited: %+v", tp)
	}
	if evs := e.history(t, "topic", "attach-clinic"); len(evs) != 2 || evs[1].Action != "updated" || evs[1].Actor != "admin" {
		t.Fatalf("topic history: %+v", evs)
	}
	rec = e.post(admin, "/admin/catalogue/topics/attach-clinic", url.Values{"title": {"x"}, "number": {"21"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "Этот номер уже назначен") {
		t.Fatalf("edit to a used number: %d %s", rec.Code, rec.Body)
	}
	if rec := e.get(admin, "/admin/catalogue/topics/none"); rec.Code != 404 {
		t.Fatalf("unknown topic: %d", rec.Code)
	}

	// Scripts: add with a recommended specialist, refuse a level-1 one, edit.
	script := url.Values{"topic": {"attach-clinic"}, "title": {"Как прикрепиться"}, "text": {"Подайте заявление в выбранную поликлинику."}, "recommended": {"3"}}
	bad := url.Values{"topic": {"attach-clinic"}, "title": {"x"}, "text": {"y"}, "recommended": {"2"}}
	rec = e.post(admin, "/admin/catalogue/scripts", bad)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "только действующих специалистов 2-го уровня") {
		t.Fatalf("level-1 recommended: %d %s", rec.Code, rec.Body)
	}
	rec = e.post(admin, "/admin/catalogue/scripts", url.Values{"topic": {"attach-clinic"}, "title": {"x"}, "text": {"  "}})
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "Заполните поле «Текст ответа»") {
		t.Fatalf("empty text: %d %s", rec.Code, rec.Body)
	}
	rec = e.post(admin, "/admin/catalogue/scripts", url.Values{"topic": {"attach-clinic"}, "title": {"x"}, "text": {strings.Repeat("я", hotline.MaxScriptLen+1)}})
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "не более 20000 символов") {
		t.Fatalf("text too long: %d", rec.Code)
	}
	rec = e.post(admin, "/admin/catalogue/scripts", script)
	adminWantRedirect(t, rec, "/admin/catalogue/scripts/2?done=script")
	sc, err := e.j.Script(t.Context(), 2)
	if err != nil || sc.Topic != "attach-clinic" || !slices.Equal(sc.Recommended, []int64{3}) {
		t.Fatalf("added script: %+v %v", sc, err)
	}
	page = e.get(admin, "/admin/catalogue/scripts/2").Body.String()
	if !strings.Contains(page, `value="3" checked`) || !strings.Contains(page, "Подайте заявление") {
		t.Fatalf("the script's page: %s", page)
	}
	rec = e.post(admin, "/admin/catalogue/scripts/2", url.Values{"topic": {"attach-clinic"}, "title": {"Как прикрепиться к МО"}, "text": {"Новый текст."}})
	adminWantRedirect(t, rec, "/admin/catalogue/scripts/2?done=script")
	if sc, _ := e.j.Script(t.Context(), 2); sc.Title != "Как прикрепиться к МО" || sc.Text != "Новый текст." || len(sc.Recommended) != 0 {
		t.Fatalf("edited script: %+v", sc)
	}
	if evs := e.history(t, "script", "2"); len(evs) != 2 || evs[1].Action != "updated" {
		t.Fatalf("script history: %+v", evs)
	}
}

func TestDirectorySearch(t *testing.T) {
	e := newAdminEnv(t)
	if _, err := e.j.UpdateOperator(t.Context(), admin.Actor(), level2.OperatorID, func(o *hotline.Operator) error {
		o.Organisation = "СК «Капитал МС»"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	snap := testSnapshot()
	snap.Operators = []switchboard.OperatorView{
		{ID: level1.OperatorID, Name: level1.Name, Extension: "1001", Presence: hotline.PresenceAvailable},
		{ID: level2.OperatorID, Name: level2.Name, Extension: "2001", Presence: hotline.PresenceTalking},
	}
	e.live.snap = snap
	tests := []struct {
		q       string
		found   []int64
		state   string // of the first found
		fragile bool
	}{
		{"Петр", []int64{3}, "Разговаривает", false},
		{"капитал", []int64{3}, "Разговаривает", false},
		{"1001", []int64{2}, "Свободен", false},
		{"Сидорова", []int64{1}, "Не активен", false},
		{"никого", nil, "", false},
	}
	rowRE := regexp.MustCompile(`<tr data-operator="(\d+)"[^>]*><td class="presence">([^<]*)</td>`)
	for _, tt := range tests {
		for _, htmx := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s htmx=%v", tt.q, htmx), func(t *testing.T) {
				req := httptest.NewRequest("GET", "/directory?q="+url.QueryEscape(tt.q), nil)
				if htmx {
					req.Header.Set("HX-Request", "true")
				}
				rec := e.do(level1, req)
				body := rec.Body.String()
				if rec.Code != 200 {
					t.Fatalf("status %d: %s", rec.Code, body)
				}
				if htmx == strings.Contains(body, "<html") {
					t.Fatalf("htmx %v: whole page %v", htmx, !htmx)
				}
				var got []int64
				var first string
				for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
					id, _ := strconv.ParseInt(m[1], 10, 64)
					got = append(got, id)
					if first == "" {
						first = m[2]
					}
				}
				if !slices.Equal(got, tt.found) || first != tt.state {
					t.Fatalf("found %v (%q), want %v (%q): %s", got, first, tt.found, tt.state, body)
				}
				if tt.found == nil && !strings.Contains(body, "Никого не найдено") {
					t.Fatalf("no results are not said")
				}
			})
		}
	}
	rec := e.get(level2, "/directory?q="+strings.Repeat("я", 101))
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "не более 100 символов") {
		t.Fatalf("a long query: %d %s", rec.Code, rec.Body)
	}
	// Without a search, the whole directory by name; htmx gets a refusal as a fragment it swaps.
	rec = e.get(level2, "/directory")
	if rows := rowRE.FindAllStringSubmatch(rec.Body.String(), -1); rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="q"`) ||
		len(rows) != 3 || rows[0][1] != "2" || rows[2][1] != "1" {
		t.Fatalf("the directory without a search: %d %v", rec.Code, rows)
	}
	req := httptest.NewRequest("GET", "/directory?q="+strings.Repeat("я", 101), nil)
	req.Header.Set("HX-Request", "true")
	if rec := e.do(level1, req); rec.Code != 200 || !strings.Contains(rec.Body.String(), `role="alert"`) || strings.Contains(rec.Body.String(), "<html") {
		t.Fatalf("htmx, a long query: %d %s", rec.Code, rec.Body)
	}
}

// adminCallAt files a call arriving at at: answered after 18 s in the queue, or abandoned after 38 s.
func adminCallAt(t *testing.T, j *journal.Store, id string, at time.Time, answered bool) {
	t.Helper()
	ctx := t.Context()
	if _, err := j.StartCall(ctx, journal.CallStart{CallID: id, CallerNumber: "+79001234567", ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	leg := hotline.Leg{CallID: id, ArrivedAt: at, QueuedAt: at.Add(2 * time.Second), EndedAt: at.Add(40 * time.Second), End: hotline.LegAbandoned}
	outcome := hotline.OutcomeAbandonedQueue
	if answered {
		leg.AnsweredAt, leg.OperatorID, leg.EndedAt, leg.End = at.Add(20*time.Second), level1.OperatorID, at.Add(3*time.Minute), hotline.LegCompleted
		outcome = hotline.OutcomeAnswered
	}
	if err := j.SaveCallLeg(ctx, leg, outcome); err != nil {
		t.Fatal(err)
	}
}

func TestAdminReportChart(t *testing.T) {
	e := newAdminEnv(t)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.Local)
	for i, c := range []struct {
		at       time.Duration
		answered bool
	}{
		{10*time.Hour + 5*time.Minute, true}, {10*time.Hour + 20*time.Minute, true}, {10*time.Hour + 40*time.Minute, true},
		{10*time.Hour + 50*time.Minute, false}, {14*time.Hour + 1*time.Minute, true},
		{24*time.Hour + 9*time.Hour, true}, // the next day: not in the one-day report
	} {
		adminCallAt(t, e.j, fmt.Sprintf("call-%d", i), day.Add(c.at), c.answered)
	}
	rec := e.get(admin, "/admin/report?from=2026-03-02&to=2026-03-02")
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, body)
	}
	if !strings.Contains(body, `<svg role="img" aria-labelledby="chart-calls-title"`) || !strings.Contains(body, `<title id="chart-calls-title">Звонки по часам`) {
		t.Fatalf("no accessible svgChart: %s", body)
	}
	bars := func(body, chartID string) map[string]map[string]string {
		i := strings.Index(body, `id="`+chartID+`"`)
		j := strings.Index(body[i:], "</svg>")
		if i < 0 || j < 0 {
			t.Fatalf("no svgChart %s", chartID)
		}
		out := map[string]map[string]string{}
		groupRE := regexp.MustCompile(`(?s)<g class="group" data-key="([^"]+)">(.*?)</g>`)
		barRE := regexp.MustCompile(`data-series="(\w+)" data-n="(\d+)"`)
		for _, g := range groupRE.FindAllStringSubmatch(body[i:i+j], -1) {
			out[g[1]] = map[string]string{}
			for _, b := range barRE.FindAllStringSubmatch(g[2], -1) {
				out[g[1]][b[1]] = b[2]
			}
		}
		return out
	}
	got := bars(body, "chart-calls")
	if len(got) != 24 {
		t.Fatalf("%d hour groups, want 24", len(got))
	}
	want := map[string]map[string]string{
		"10": {"offered": "4", "answered": "3", "abandoned": "1"},
		"14": {"offered": "1", "answered": "1", "abandoned": "0"},
		"09": {"offered": "0", "answered": "0", "abandoned": "0"},
	}
	for k, w := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			t.Errorf("hour %s: bars %v, want %v", k, got[k], w)
		}
	}
	// The table after the chart holds the same numbers.
	if !regexp.MustCompile(`<tr data-key="10"><th scope="row">10:00</th><td>4</td><td>3</td><td>1</td></tr>`).MatchString(body) {
		t.Errorf("the svgChart's table lacks hour 10's numbers")
	}
	// The tallest bar is the plot's full height; the others in proportion.
	hRE := regexp.MustCompile(`data-series="offered" data-n="4" x="\d+" y="\d+" width="\d+" height="(\d+)"`)
	if m := hRE.FindStringSubmatch(body); m == nil || m[1] != strconv.Itoa(svgPlotH) {
		t.Errorf("the tallest svgBar's height: %v, want %d", m, svgPlotH)
	}

	// Two days: one group per day.
	body = e.get(admin, "/admin/report?from=2026-03-02&to=2026-03-03").Body.String()
	got = bars(body, "chart-calls")
	if len(got) != 2 || got["2026-03-02"]["offered"] != "5" || got["2026-03-03"]["answered"] != "1" {
		t.Errorf("per day: %v", got)
	}

	// Cases by status: a case registered today.
	c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+79001234567", Type: hotline.TypeConsultation, Topic: "policy-replace", Description: "Замена полиса"}
	if err := e.j.NewCase(t.Context(), level1.Actor(), &c); err != nil {
		t.Fatal(err)
	}
	body = e.get(admin, "/admin/report").Body.String()
	if got := bars(body, "chart-cases"); got["in_progress"]["cases"] != "1" || got["approved"]["cases"] != "0" {
		t.Errorf("cases by status: %v", got)
	}
	if !strings.Contains(body, `id="board-figures"`) || !strings.Contains(body, `id="board-waiting">1<`) ||
		!strings.Contains(body, `id="board-longest">30 с<`) || !strings.Contains(body, "1002 Петров Б. В., 1 мин") {
		t.Errorf("the board's figures are missing: %s", body)
	}

	for _, tt := range []struct{ q, says string }{
		{"from=2026-13-01&to=2026-03-02", "Дата «с»: в виде ГГГГ-ММ-ДД"},
		{"from=2026-03-02&to=2026-03-01", "Дата «по» раньше даты «с»"},
		{"from=2020-01-01&to=2026-03-01", "Период не длиннее 366 дней"},
		{"from=" + url.QueryEscape("<script>") + "&to=2026-03-01", `value="<script>"`},
		{"from=2026-03-01&to=" + strings.Repeat("9", 5000), "Дата «по»: в виде ГГГГ-ММ-ДД"},
	} {
		rec := e.get(admin, "/admin/report?"+tt.q)
		if body := html.UnescapeString(rec.Body.String()); rec.Code != 422 || !strings.Contains(body, tt.says) || strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("%s: %d, want 422 saying %q", tt.q, rec.Code, tt.says)
		}
	}
}

// Level-1 and level-2 operators are refused every administrator's page, whatever they send.
func TestAdminRoutesRefuseOperators(t *testing.T) {
	e := newAdminEnv(t)
	for _, rt := range e.s.adminRoutes() {
		method, path := concrete(t, rt.Pattern)
		for _, u := range []User{level1, level2} {
			var rec *httptest.ResponseRecorder
			if method == "POST" {
				rec = e.post(u, path, adminOperatorValues())
			} else {
				rec = e.get(u, path)
			}
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Недостаточно прав") {
				t.Errorf("%s as %s: %d", rt.Pattern, u.Login, rec.Code)
			}
		}
	}
	if ops, _ := e.j.Operators(t.Context(), journal.OperatorFilter{IncludeRemoved: true}); len(ops) != 3 {
		t.Fatalf("a refused request added an operator: %d", len(ops))
	}
}

func TestAdminDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 с"}, {400 * time.Millisecond, "0 с"}, {20 * time.Second, "20 с"}, {2 * time.Minute, "2 мин"},
		{160 * time.Second, "2 мин 40 с"}, {time.Hour + 5*time.Minute + 1500*time.Millisecond, "1 ч 5 мин 2 с"},
	} {
		if got := adminDuration(tt.d); got != tt.want {
			t.Errorf("adminDuration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// The chart's scale: grid lines at whole steps, the top at or above the tallest bar.
func TestSVGBarChartScale(t *testing.T) {
	for _, tt := range []struct {
		top   int
		ticks []int
	}{
		{0, []int{0, 1}}, {3, []int{0, 1, 2, 3}}, {4, []int{0, 1, 2, 3, 4}}, {5, []int{0, 2, 4, 6}},
		{17, []int{0, 5, 10, 15, 20}}, {80, []int{0, 20, 40, 60, 80}}, {81, []int{0, 50, 100}},
	} {
		c := svgBarChart("c", "t", []svgSeries{{"a", "A"}}, []string{"x", "y"}, []string{"x", "y"}, [][]int{{tt.top}, {tt.top / 2}})
		var ticks []int
		for _, k := range c.Ticks {
			ticks = append(ticks, k.Label)
		}
		if !slices.Equal(ticks, tt.ticks) {
			t.Errorf("top %d: ticks %v, want %v", tt.top, ticks, tt.ticks)
		}
		last := tt.ticks[len(tt.ticks)-1]
		if b := c.Groups[0].Bars[0]; b.H != tt.top*svgPlotH/last || b.Y+b.H != c.Baseline {
			t.Errorf("top %d: bar %+v", tt.top, b)
		}
		if c.Ticks[len(c.Ticks)-1].Y != c.Baseline-svgPlotH {
			t.Errorf("top %d: the last grid line is not the plot's top", tt.top)
		}
	}
}
