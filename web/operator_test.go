package web

import (
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

// opSnapshot is the live state of testJournal's operators: level1 and level2 with their devices
// (the administrator has none, so the switchboard does not list them), no calls.
func opSnapshot(p1, p2 hotline.Presence) switchboard.Snapshot {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local)
	return switchboard.Snapshot{
		Seq: 1, At: at, Service: switchboard.Service{Connected: true},
		Operators: []switchboard.OperatorView{
			{ID: level1.OperatorID, Name: level1.Name, Extension: level1.Extension, Presence: p1, Since: at.Add(-time.Hour)},
			{ID: level2.OperatorID, Name: level2.Name, Extension: level2.Extension, Presence: p2, Since: at.Add(-time.Minute)},
		},
	}
}

// opServer is a server on testJournal with live state snap.
func opServer(t *testing.T, snap switchboard.Snapshot) (*Server, *fakeSessions, *fakeLive, *fakeCalls) {
	t.Helper()
	ss, live, calls := newFakeSessions(), newFakeLive(snap), &fakeCalls{}
	return &Server{Sessions: ss, Live: live, Journal: testJournal(t), Calls: calls}, ss, live, calls
}

func do(t *testing.T, h http.Handler, ss *fakeSessions, u User, method, target string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(u)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	presenceStateRe = regexp.MustCompile(`id="presence-state"[^>]*>([^<]*)<`)
	actionRe        = regexp.MustCompile(`name="action" value="([a-z]+)"`)
)

func TestWorkPageShowsTheEmployeeAndTheButtonsForThePresence(t *testing.T) {
	tests := []struct {
		presence hotline.Presence
		state    string
		actions  []string
	}{
		{hotline.PresenceLoggedOut, "Не активен", []string{"login"}},
		{hotline.PresenceAvailable, "Активен", []string{"pause", "logout"}},
		{hotline.PresenceTalking, "Активен: разговаривает", []string{"pause", "logout"}},
		{hotline.PresencePaused, "Активен: перерыв", []string{"resume", "logout"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.presence), func(t *testing.T) {
			snap := opSnapshot(tt.presence, hotline.PresenceAvailable)
			snap.Operators[1].Name = `<b>Петров</b>`
			s, ss, _, _ := opServer(t, snap)
			rec := do(t, s.Handler(), ss, level1, "GET", "/work", nil, nil)
			body := rec.Body.String()
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, body)
			}
			for _, want := range []string{"Информация о сотруднике", level1.Name, "оператор 1-го уровня", ">1001<",
				`sse-connect="/work/events"`, `id="softphone"`, `id="colleagues"`,
				`data-operator="3"`, "&lt;b&gt;Петров", "2-й уровень", "Свободен"} {
				if !strings.Contains(body, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			if m := presenceStateRe.FindStringSubmatch(body); m == nil || m[1] != tt.state {
				t.Errorf("presence state %v, want %q", m, tt.state)
			}
			var actions []string
			for _, m := range actionRe.FindAllStringSubmatch(body, -1) {
				actions = append(actions, m[1])
			}
			if !slices.Equal(actions, tt.actions) {
				t.Errorf("buttons %v, want %v", actions, tt.actions)
			}
			if got := strings.Contains(body, `name="reason"`); got != slices.Contains(tt.actions, "pause") {
				t.Errorf("the pause reason select shown %v with buttons %v", got, tt.actions)
			}
			if idle := tt.presence != hotline.PresenceTalking; idle != strings.Contains(body, "Вызовов нет") {
				t.Errorf("«Вызовов нет» shown %v, want %v", !idle, idle)
			}
			if strings.Contains(body, `data-operator="2"`) {
				t.Error("the user is listed among their colleagues")
			}
			if m := regexp.MustCompile(`<script>|<style|style=|\son[a-z]+=`).FindString(body); m != "" {
				t.Errorf("inline script or style: %q", m)
			}
		})
	}
}

func TestWorkPageTellsAUserWithoutADeviceTheyCannotTakeCalls(t *testing.T) {
	s, ss, _, calls := opServer(t, opSnapshot(hotline.PresenceLoggedOut, hotline.PresenceAvailable))
	h := s.Handler()
	body := do(t, h, ss, admin, "GET", "/work", nil, nil).Body.String()
	for _, want := range []string{admin.Name, "администратор", "не назначен", "принимать звонки вы не можете"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if actionRe.MatchString(body) {
		t.Error("a user without a device is offered presence buttons")
	}
	rec := do(t, h, ss, admin, "POST", "/work/presence", url.Values{"action": {"login"}}, nil)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "принимать звонки вы не можете") {
		t.Errorf("login without a device: %d %s", rec.Code, rec.Body)
	}
	if len(calls.Asked()) > 0 {
		t.Errorf("the switchboard was asked: %v", calls.Asked())
	}
}

func TestWorkPresenceActsForTheUserOnly(t *testing.T) {
	tests := []struct {
		form   url.Values
		user   User
		ask    string
		notice string
	}{
		{url.Values{"action": {"login"}}, level1, "ivanova: login 2", "статус «Активен»"},
		// A forged operator field changes nothing: the user acts on their own presence.
		{url.Values{"action": {"pause"}, "reason": {"3"}, "operator": {"3"}}, level1, "ivanova: pause 2 3", "Перерыв."},
		{url.Values{"action": {"pause"}, "reason": {""}}, level2, "petrov: pause 3 ", "Перерыв."},
		{url.Values{"action": {"resume"}, "operator": {"1"}}, level1, "ivanova: resume 2", "Работа продолжена"},
		{url.Values{"action": {"logout"}}, level2, "petrov: logout 3", "статус «Не активен»"},
	}
	for _, tt := range tests {
		s, ss, _, calls := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
		h := s.Handler()
		rec := do(t, h, ss, tt.user, "POST", "/work/presence", tt.form, nil)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/work?done=") {
			t.Fatalf("%v: %d to %q: %s", tt.form, rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		if got := calls.Asked(); !slices.Equal(got, []string{tt.ask}) {
			t.Errorf("%v: asked %q, want %q", tt.form, got, tt.ask)
		}
		back := do(t, h, ss, tt.user, "GET", rec.Header().Get("Location"), nil, nil).Body.String()
		if !strings.Contains(back, tt.notice) || !strings.Contains(back, `role="status"`) {
			t.Errorf("%v: the page after lacks the notice %q", tt.form, tt.notice)
		}
	}
}

func TestWorkPresenceRefusals(t *testing.T) {
	tests := []struct {
		name   string
		form   url.Values
		fail   error
		status int
		says   string
	}{
		{"unknown action", url.Values{"action": {"dance"}}, nil, 422, "Неизвестное действие"},
		{"no action", url.Values{}, nil, 422, "Неизвестное действие"},
		{"reason not a digit", url.Values{"action": {"pause"}, "reason": {"12"}}, nil, 422, "Причина перерыва"},
		{"reason with a script", url.Values{"action": {"pause"}, "reason": {"<script>"}}, nil, 422, "Причина перерыва"},
		{"switchboard refuses", url.Values{"action": {"login"}}, hotline.Errorf(hotline.EFORBIDDEN, "not yours"), 403, "Недостаточно прав: not yours"},
		{"switchboard away", url.Values{"action": {"logout"}}, hotline.Errorf(hotline.EUNAVAILABLE, "stopping"), 503, "Сейчас недоступно"},
		{"huge form", url.Values{"action": {"login"}, "x": {strings.Repeat("x", 5000)}}, nil, 400, "слишком длинная"},
	}
	for _, tt := range tests {
		s, ss, _, calls := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
		calls.fail = tt.fail
		rec := do(t, s.Handler(), ss, level1, "POST", "/work/presence", tt.form, nil)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.says) || !strings.Contains(rec.Body.String(), `role="alert"`) {
			t.Errorf("%s: %d, want %d saying %q: %s", tt.name, rec.Code, tt.status, tt.says, rec.Body)
		}
		if tt.fail == nil && len(calls.Asked()) > 0 {
			t.Errorf("%s: the switchboard was asked %v", tt.name, calls.Asked())
		}
	}
}

// callerCases registers, for number, an approved case and then a newer one in progress... in the
// order that makes "open first" differ from "newest first": the open case is the older.
func callerCases(t testing.TB, j *journal.Store, number string) (open, approved hotline.Case) {
	t.Helper()
	ctx := t.Context()
	open = hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: number, Type: hotline.TypeConsultation, Topic: "policy-replace", Description: "замена полиса"}
	if err := j.NewCase(ctx, level1.Actor(), &open); err != nil {
		t.Fatal(err)
	}
	approved = hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: number, Type: hotline.TypeComplaint, Topic: "clinic-refusal", Description: "отказ в записи"}
	if err := j.NewCase(ctx, level1.Actor(), &approved); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CloseCase(ctx, level1.Actor(), approved.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "разъяснено"}); err != nil {
		t.Fatal(err)
	}
	c, err := j.ApproveCase(ctx, admin.Actor(), approved.ID)
	if err != nil || c.Status != hotline.StatusApproved {
		t.Fatal(c.Status, err)
	}
	return open, approved
}

// openWorkEvents opens /work/events as u on a real server; next returns the next event named name.
func openWorkEvents(t *testing.T, s *Server, ss *fakeSessions, u User) func(name string) string {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/work/events", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(u)})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sse, 64)
	go readEvents(resp.Body, ch)
	return func(name string) string {
		t.Helper()
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatalf("the stream ended waiting for %q", name)
				}
				if ev.event == name {
					return ev.data
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no %q event within 5 s", name)
			}
		}
	}
}

func TestWorkEventsPopTheCallersCardWithTheirHistory(t *testing.T) {
	const number = "+79001112233"
	s, ss, live, _ := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
	ctx := t.Context()
	open, approved := callerCases(t, s.Journal, number)
	at := live.snap.At
	for _, id := range []string{"old-call", "c9"} { // an earlier call, and this very one
		if _, err := s.Journal.StartCall(ctx, journal.CallStart{CallID: id, CallerNumber: number, Line: "100", ArrivedAt: at.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	next := openWorkEvents(t, s, ss, level1)
	if p := next("presence"); !strings.Contains(p, `id="presence-state" class="presence-available">Активен<`) {
		t.Errorf("presence: %s", p)
	}
	if sp := next("softphone"); !strings.Contains(sp, "Вызовов нет") || strings.Contains(sp, "caller-card") {
		t.Fatalf("before the call: %s", sp)
	}

	// The call is offered to level1: the card pops up, in one step of two changes.
	call := switchboard.CallView{ID: "c9", CallerNumber: number, Phase: switchboard.PhaseOffered, ArrivedAt: at.Add(-40 * time.Second),
		JoinedAt: at.Add(-30 * time.Second), OperatorID: level1.OperatorID, Topic: "clinic-refusal"}
	live.Push(switchboard.Change{Kind: switchboard.CallOffered, Call: &call, More: true})
	op := live.snap.Operators[0]
	op.Presence, op.CallID, op.Since = hotline.PresenceRinging, "c9", at
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &op})
	sp := next("softphone")
	for _, want := range []string{`id="caller-card" data-call="c9"`, `<strong id="caller-number">&#43;79001112233<`, "Входящий вызов",
		"Отказ в медицинской помощи", `id="caller-wait">0:30<`, `href="/cards/new?call=c9"`, `id="add-case"`, "Добавить",
		`href="/cases/` + itoa(open.ID) + `"`, "В работе", "Утверждено", "Консультация", "Замена полиса ОМС", "идёт"} {
		if !strings.Contains(sp, want) {
			t.Errorf("the card lacks %q: %s", want, sp)
		}
	}
	iOpen, iApproved := strings.Index(sp, `data-case="`+open.Number+`"`), strings.Index(sp, `data-case="`+approved.Number+`"`)
	if iOpen < 0 || iApproved < 0 || iOpen > iApproved {
		t.Errorf("the open case %s is not listed before the approved %s: %s", open.Number, approved.Number, sp)
	}
	if n := strings.Count(sp, "<li>"); n != 1 {
		t.Errorf("%d earlier calls listed, want 1 (this very call is not earlier): %s", n, sp)
	}
	if strings.Contains(sp, "Перевести") {
		t.Error("a transfer is offered before the call is answered")
	}

	// A case registered meanwhile is not re-read while the call goes on (the card is cached per call),
	live.Push(switchboard.Change{Kind: switchboard.CallAnswered, Call: &switchboard.CallView{ID: "c9", CallerNumber: number,
		Phase: switchboard.PhaseTalking, ArrivedAt: call.ArrivedAt, JoinedAt: call.JoinedAt, OperatorID: level1.OperatorID}, More: true})
	op.Presence, op.Since = hotline.PresenceTalking, at
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &op})
	later := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: number}
	if err := s.Journal.NewCase(ctx, level1.Actor(), &later); err != nil {
		t.Fatal(err)
	}
	sp = next("softphone")
	for _, want := range []string{"Разговор", `id="caller-wait">0:30<`, `name="extension"`, "Перевести", `value="c9"`} {
		if !strings.Contains(sp, want) {
			t.Errorf("talking: the card lacks %q: %s", want, sp)
		}
	}
	if strings.Contains(sp, later.Number) {
		t.Error("the history was read again during the same call")
	}

	// A transfer under way: said, and no second transfer offered.
	live.Push(switchboard.Change{Kind: switchboard.CallUpdated, Call: &switchboard.CallView{ID: "c9", CallerNumber: number,
		Phase: switchboard.PhaseTalking, ArrivedAt: call.ArrivedAt, JoinedAt: call.JoinedAt, OperatorID: level1.OperatorID, TransferTo: level2.OperatorID}})
	sp = next("softphone")
	if !strings.Contains(sp, "Вызов переводится: вызывается "+level2.Name) || strings.Contains(sp, `name="extension"`) {
		t.Errorf("transfer under way: %s", sp)
	}
	// A colleague's presence is live too.
	op2 := live.snap.Operators[1]
	op2.Presence = hotline.PresenceRinging
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &op2})
	if c := next("colleagues"); !strings.Contains(c, `data-operator="3" class="presence-ringing"`) || !strings.Contains(c, "Вызов") {
		t.Errorf("colleagues: %s", c)
	}

	// The next call of the same number (a new id) is read afresh; an anonymous one is not looked up.
	live.Push(switchboard.Change{Kind: switchboard.CallEnded, Call: &switchboard.CallView{ID: "c9"}, More: true})
	live.Push(switchboard.Change{Kind: switchboard.CallOffered, Call: &switchboard.CallView{ID: "c10", CallerNumber: number,
		Phase: switchboard.PhaseOffered, ArrivedAt: at, OperatorID: level1.OperatorID}, More: true})
	op.Presence, op.CallID = hotline.PresenceRinging, "c10"
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &op})
	if sp = next("softphone"); !strings.Contains(sp, `data-call="c10"`) || !strings.Contains(sp, `data-case="`+later.Number+`"`) {
		t.Errorf("the next call's card is not read afresh: %s", sp)
	}
	live.Push(switchboard.Change{Kind: switchboard.CallEnded, Call: &switchboard.CallView{ID: "c10"}, More: true})
	live.Push(switchboard.Change{Kind: switchboard.CallOffered, Call: &switchboard.CallView{ID: "c11", CallerNumber: "anonymous",
		Phase: switchboard.PhaseOffered, ArrivedAt: at, OperatorID: level1.OperatorID}, More: true})
	op.CallID = "c11"
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &op})
	sp = next("softphone")
	if !strings.Contains(sp, `data-call="c11"`) || !strings.Contains(sp, "номер не определён") || strings.Contains(sp, "data-case=") || strings.Contains(sp, "anonymous") {
		t.Errorf("an anonymous caller: %s", sp)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestWorkTransfer(t *testing.T) {
	htmx := map[string]string{"HX-Request": "true"}
	tests := []struct {
		name   string
		form   url.Values
		hdr    map[string]string
		fail   error
		status int
		ask    string // "": the switchboard is not asked
		says   string
	}{
		{"to a specialist", url.Values{"call": {"1700000000.12"}, "to": {"3"}}, nil, nil, 303, "ivanova: transfer 2 1700000000.12 3", ""},
		{"htmx", url.Values{"call": {"c9"}, "to": {"3"}}, htmx, nil, 200, "ivanova: transfer 2 c9 3", "Вызов переводится"},
		{"by extension (§5.1.8)", url.Values{"call": {"c9"}, "extension": {"2001"}}, htmx, nil, 200, "ivanova: transfer 2 c9 3", "Вызов переводится"},
		{"a forged operator is ignored", url.Values{"call": {"c9"}, "to": {"3"}, "operator": {"3"}}, htmx, nil, 200, "ivanova: transfer 2 c9 3", "Вызов переводится"},
		{"unknown extension", url.Values{"call": {"c9"}, "extension": {"9999"}}, htmx, nil, 200, "", "Оператора с внутренним номером 9999 нет"},
		{"extension not digits", url.Values{"call": {"c9"}, "extension": {"20a1"}}, nil, nil, 422, "", "от 2 до 20 цифр"},
		{"to not a number", url.Values{"call": {"c9"}, "to": {"петров"}}, nil, nil, 422, "", "Неверный оператор"},
		{"to negative", url.Values{"call": {"c9"}, "to": {"-3"}}, htmx, nil, 200, "", "Неверный оператор"},
		{"to self", url.Values{"call": {"c9"}, "to": {"2"}}, nil, nil, 422, "", "самому себе"},
		{"nobody", url.Values{"call": {"c9"}}, nil, nil, 422, "", "Укажите внутренний номер"},
		{"no call", url.Values{"to": {"3"}}, nil, nil, 422, "", "Нет вызова для перевода"},
		{"call with markup", url.Values{"call": {`<script>alert(1)</script>`}, "to": {"3"}}, htmx, nil, 200, "", "Нет вызова для перевода"},
		{"call too long", url.Values{"call": {strings.Repeat("1", 200)}, "to": {"3"}}, nil, nil, 422, "", "Нет вызова для перевода"},
		{"refused", url.Values{"call": {"c9"}, "to": {"3"}}, nil, hotline.Errorf(hotline.ECONFLICT, "operator 3 is not free"), 409, "", "operator 3 is not free"},
		{"refused, htmx", url.Values{"call": {"c9"}, "to": {"3"}}, htmx, hotline.Errorf(hotline.ENOTFOUND, "no call c9"), 200, "", "Не найдено: no call c9"},
	}
	for _, tt := range tests {
		s, ss, _, calls := opServer(t, opSnapshot(hotline.PresenceTalking, hotline.PresenceAvailable))
		calls.fail = tt.fail
		rec := do(t, s.Handler(), ss, level1, "POST", "/work/transfer", tt.form, tt.hdr)
		body := rec.Body.String()
		if rec.Code != tt.status || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d, want %d saying %q: %s", tt.name, rec.Code, tt.status, tt.says, body)
		}
		if tt.status == 303 && rec.Header().Get("Location") != "/work?done=transfer" {
			t.Errorf("%s: redirected to %q", tt.name, rec.Header().Get("Location"))
		}
		var want []string
		if tt.ask != "" {
			want = []string{tt.ask}
		}
		if got := calls.Asked(); !slices.Equal(got, want) {
			t.Errorf("%s: asked %q, want %q", tt.name, got, want)
		}
		if tt.hdr != nil && strings.Contains(body, "<html") {
			t.Errorf("%s: htmx got a whole page", tt.name)
		}
		if strings.Contains(body, "<script>alert") {
			t.Errorf("%s: input echoed unescaped", tt.name)
		}
		if tt.says != "" && tt.status != 303 && tt.ask == "" && !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: the refusal is not an alert", tt.name)
		}
	}
}

// talkingOn is opSnapshot with level1 talking with caller call and level2 in presence p2.
func talkingOn(call string, p2 hotline.Presence) switchboard.Snapshot {
	snap := opSnapshot(hotline.PresenceTalking, p2)
	snap.Operators[0].CallID = call
	snap.Calls = []switchboard.CallView{{ID: call, CallerNumber: "+79001112233", Phase: switchboard.PhaseTalking, ArrivedAt: snap.At, OperatorID: level1.OperatorID}}
	return snap
}

func TestWorkScriptsListTheTopicsScriptsAndSpecialists(t *testing.T) {
	tests := []struct {
		name     string
		snap     switchboard.Snapshot
		query    string
		state    string
		transfer bool
	}{
		{"in the call, specialist free", talkingOn("c9", hotline.PresenceAvailable), "topic=clinic-refusal&call=c9", "Свободен", true},
		{"no call given: the user's own call", talkingOn("c9", hotline.PresenceAvailable), "topic=clinic-refusal", "Свободен", true},
		{"another call", talkingOn("c9", hotline.PresenceAvailable), "topic=clinic-refusal&call=c8", "Свободен", false},
		{"specialist busy", talkingOn("c9", hotline.PresenceTalking), "topic=clinic-refusal&call=c9", "Разговаривает", false},
		{"specialist logged out", talkingOn("c9", hotline.PresenceLoggedOut), "topic=clinic-refusal&call=c9", "Не активен", false},
	}
	for _, tt := range tests {
		s, ss, _, _ := opServer(t, tt.snap)
		rec := do(t, s.Handler(), ss, level1, "GET", "/work/scripts?"+tt.query, nil, nil)
		body := rec.Body.String()
		if rec.Code != 200 || strings.Contains(body, "<html") {
			t.Fatalf("%s: %d, or a whole page: %s", tt.name, rec.Code, body)
		}
		for _, want := range []string{`<article class="script"`, "Отказ в приёме", "Уточните медицинскую организацию и дату обращения.",
			`data-operator="3"`, level2.Name, `<span class="presence">` + tt.state + `<`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the fragment lacks %q: %s", tt.name, want, body)
			}
		}
		if got := strings.Contains(body, `button type="submit" class="transfer"`); got != tt.transfer {
			t.Errorf("%s: transfer button %v, want %v", tt.name, got, tt.transfer)
		}
		if tt.transfer && !strings.Contains(body, `name="call" value="c9"`) {
			t.Errorf("%s: the transfer form does not carry the call", tt.name)
		}
	}
}

func TestWorkScriptsSearchAndBadInput(t *testing.T) {
	s, ss, _, _ := opServer(t, talkingOn("c9", hotline.PresenceAvailable))
	h := s.Handler()
	tests := []struct {
		name   string
		query  url.Values
		status int
		says   string
		not    string
	}{
		{"search other topics' scripts", url.Values{"topic": {"policy-replace"}, "q": {"медицинскую"}}, 200, "Отказ в приёме", ""},
		{"the topic has none", url.Values{"topic": {"policy-replace"}}, 200, "Для этой тематики сценариев нет", ""},
		{"nothing found", url.Values{"topic": {"clinic-refusal"}, "q": {"страховка"}}, 200, "других сценариев не найдено", ""},
		{"unknown topic", url.Values{"topic": {"no-such-topic"}}, 200, "не найдена в каталоге", "article"},
		{"markup in the topic", url.Values{"topic": {"<script>alert(1)</script>"}}, 200, "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert"},
		{"markup in q", url.Values{"topic": {"clinic-refusal"}, "q": {"<script>alert(1)</script>"}}, 200, "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert"},
		{"q too long", url.Values{"topic": {"clinic-refusal"}, "q": {strings.Repeat("я", 101)}}, 422, "не длиннее 100 символов", "яяяя"},
		{"topic too long", url.Values{"topic": {strings.Repeat("a", 65)}}, 422, "Неверный код тематики", "aaaa"},
		{"call id with markup", url.Values{"topic": {"clinic-refusal"}, "call": {`"><script>`}}, 422, "Неверный идентификатор вызова", "<script>"},
		{"control characters", url.Values{"topic": {"clinic\x00refusal"}}, 422, "Неверный код тематики", ""},
	}
	for _, tt := range tests {
		rec := do(t, h, ss, level1, "GET", "/work/scripts?"+tt.query.Encode(), nil, nil)
		body := rec.Body.String()
		if rec.Code != tt.status || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d, want %d saying %q: %s", tt.name, rec.Code, tt.status, tt.says, body)
		}
		if tt.not != "" && strings.Contains(body, tt.not) {
			t.Errorf("%s: the fragment has %q: %s", tt.name, tt.not, body)
		}
	}
}

func TestWorkPageWithoutLiveState(t *testing.T) {
	ss := newFakeSessions()
	s := &Server{Sessions: ss, Journal: testJournal(t), Calls: &fakeCalls{}}
	rec := do(t, s.Handler(), ss, level1, "GET", "/work", nil, nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "Сведения о звонках недоступны") || strings.Contains(body, "sse-connect") {
		t.Errorf("without live state: %d %s", rec.Code, body)
	}
	// The state unknown, every button is offered: the switchboard decides.
	var actions []string
	for _, m := range actionRe.FindAllStringSubmatch(body, -1) {
		actions = append(actions, m[1])
	}
	if want := []string{"login", "pause", "resume", "logout"}; !slices.Equal(actions, want) {
		t.Errorf("buttons %v, want %v", actions, want)
	}
}
