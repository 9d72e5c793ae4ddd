package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/recording"
)

// getAs requests path as u (nil: no session) and returns the response.
func getAs(t *testing.T, h http.Handler, ss *fakeSessions, u *User, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if u != nil {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(*u)})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var dataCase = regexp.MustCompile(`<tr data-case="([^"]+)"`)

// rowsOf lists the case numbers of a list page's rows, in order.
func rowsOf(body string) []string {
	var out []string
	for _, m := range dataCase.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

var nextLink = regexp.MustCompile(`<a id="next" href="([^"]+)"`)

// journalCases is a journal with four cases, each told apart by one filter:
//   - a: level1's complaint, overdue, caller +79001112233, «Ёлкина Анна», in progress;
//   - b: level2's consultation about a policy, closed: under review;
//   - c: level2's consultation, approved;
//   - d: level1's complaint registered 40 days ago, in progress.
type journalCases struct {
	s          *journal.Store
	a, b, c, d hotline.Case
}

func newJournalCases(t *testing.T) journalCases {
	t.Helper()
	ctx := context.Background()
	s := testJournal(t)
	now := time.Now()
	var j journalCases
	j.s = s
	mk := func(by User, c hotline.Case) hotline.Case {
		t.Helper()
		if c.Channel == "" {
			c.Channel = hotline.ChannelPhone
		}
		if err := s.NewCase(ctx, by.Actor(), &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	j.a = mk(level1, hotline.Case{CreatedAt: now.Add(-10 * 24 * time.Hour), DueAt: now.Add(-2 * 24 * time.Hour), CallerNumber: "+79001112233",
		Person: hotline.Person{FullName: "Ёлкина Анна Петровна", PolicyNumber: "7755443322110099"}, Type: hotline.TypeComplaint,
		Topic: "clinic-refusal", Description: "Отказали в записи к врачу"})
	j.b = mk(level2, hotline.Case{CreatedAt: now.Add(-5 * 24 * time.Hour), CallerNumber: "+79005556677", Type: hotline.TypeConsultation,
		Topic: "policy-replace", Description: "Как заменить ПОЛИС"})
	j.c = mk(level2, hotline.Case{CreatedAt: now.Add(-3 * 24 * time.Hour), CallerNumber: "+79005556677", Type: hotline.TypeConsultation,
		Topic: "policy-replace", Description: "Срок замены полиса"})
	j.d = mk(level1, hotline.Case{CreatedAt: now.Add(-40 * 24 * time.Hour), Channel: hotline.ChannelWritten, Type: hotline.TypeComplaint,
		Topic: "clinic-refusal", Description: "Письменная жалоба"})
	for _, id := range []int64{j.b.ID, j.c.ID} {
		if _, err := s.CloseCase(ctx, level2.Actor(), id, hotline.Closing{Result: hotline.ResultAnswered, Comment: "Разъяснён порядок"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ApproveCase(ctx, admin.Actor(), j.c.ID); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestCaseListFilters(t *testing.T) {
	j := newJournalCases(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Journal: j.s}).Handler()
	day := func(d int) string { return time.Now().AddDate(0, 0, d).Format("2006-01-02") }
	a, b, c, d := j.a.Number, j.b.Number, j.c.Number, j.d.Number
	for _, tt := range []struct {
		query string
		want  []string // newest first
	}{
		{"", []string{b, a, d}}, // the active cases: not the approved c
		{"status=all", []string{c, b, a, d}},
		{"status=under_review", []string{b}},
		{"status=approved", []string{c}},
		{"status=in_progress", []string{a, d}},
		{"type=complaint", []string{a, d}},
		{"type=consultation&status=all", []string{c, b}},
		{"topic=policy-replace", []string{b}},
		{"owner=2", []string{a, d}},
		{"owner=3&status=all", []string{c, b}},
		{"number=%2B79001112233", []string{a}},
		{"number=8+900+111-22-33", []string{a}},
		{"text=%D0%95%D0%9B%D0%9A%D0%98%D0%9D%D0%90", []string{a}}, // «ЕЛКИНА»: ё as е, any case
		{"text=полис&status=all", []string{c, b}},
		{"text=44332211", []string{a}},
		{"text=" + a, []string{a}},
		{"from=" + day(-20), []string{b, a}},
		{"to=" + day(-30), []string{d}},
		{"from=" + day(-20) + "&to=" + day(-4) + "&type=consultation&status=all", []string{b}},
		{"text=нет+такого", nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			rec := getAs(t, h, ss, &level1, "/cases?"+tt.query)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := rowsOf(rec.Body.String()); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
		})
	}
	// The overdue case is marked, and the filters' form keeps what was asked.
	body := getAs(t, h, ss, &level1, "/cases?text=%3Cscript%3E").Body.String()
	if !strings.Contains(body, `id="filters"`) || !strings.Contains(body, `value="&lt;script&gt;"`) || strings.Contains(body, "<script>") {
		t.Errorf("the form does not keep the text escaped:\n%s", body)
	}
	body = getAs(t, h, ss, &level2, "/cases").Body.String()
	if !regexp.MustCompile(`<tr data-case="`+a+`" class="overdue">`).MatchString(body) || !strings.Contains(body, "просрочено") {
		t.Errorf("the overdue case is not marked:\n%s", body)
	}
	if !strings.Contains(body, "Показаны 1–3") || strings.Contains(body, `id="next"`) {
		t.Errorf("want «Показаны 1–3» and no next page")
	}
}

func TestCaseListRefusesBadInput(t *testing.T) {
	j := newJournalCases(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Journal: j.s}).Handler()
	for _, tt := range []struct {
		query  string
		status int
		msg    string
	}{
		{"from=2026-13-01", http.StatusUnprocessableEntity, "Дата «с» указана неверно"},
		{"to=вчера", http.StatusUnprocessableEntity, "Дата «по» указана неверно"},
		{"from=2026-05-10&to=2026-05-01", http.StatusUnprocessableEntity, "дата «с» позже даты «по»"},
		{"status=closed", http.StatusUnprocessableEntity, "Неизвестный статус"},
		{"type=спам", http.StatusUnprocessableEntity, "Неизвестный тип"},
		{"topic=nope", http.StatusUnprocessableEntity, "Неизвестная тематика"},
		{"owner=abc", http.StatusUnprocessableEntity, "Ответственный оператор указан неверно"},
		{"number=abc", http.StatusUnprocessableEntity, "Номер телефона не распознан"},
		{"text=" + strings.Repeat("я", journal.MaxCaseText+1), http.StatusUnprocessableEntity, "длиннее"},
		{"text=%FF%FE", http.StatusUnprocessableEntity, "Текст для поиска повреждён"},
		{"after=garbage", http.StatusBadRequest, "Ссылка на страницу журнала повреждена"},
		{"after=1.0", http.StatusBadRequest, "Ссылка на страницу журнала повреждена"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			rec := getAs(t, h, ss, &level1, "/cases?"+tt.query)
			body := rec.Body.String()
			if rec.Code != tt.status || !strings.Contains(body, tt.msg) || !strings.Contains(body, `role="alert"`) {
				t.Fatalf("status %d, want %d with %q:\n%s", rec.Code, tt.status, tt.msg, body)
			}
			if len(rowsOf(body)) != 0 {
				t.Error("a refused query lists cases")
			}
		})
	}
	for _, path := range []string{"/cases/abc", "/cases/0", "/cases/99999", "/recordings/abc", "/recordings/99999"} {
		if rec := getAs(t, h, ss, &level1, path); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
}

// TestCaseListPagesByCursor: 120 cases, three registered in the same millisecond, walked 50 to a
// page by a#next: every case once, newest first.
func TestCaseListPagesByCursor(t *testing.T) {
	s := testJournal(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Journal: s}).Handler()
	base := time.Now().Add(-72 * time.Hour).Truncate(time.Millisecond)
	cs := make([]hotline.Case, 120)
	for i := range cs {
		cs[i] = hotline.Case{Channel: hotline.ChannelWritten, Type: hotline.TypeProposal, CreatedAt: base.Add(time.Duration(i/3) * time.Minute),
			Description: fmt.Sprintf("предложение %d", i)}
	}
	if err := s.CreateCases(t.Context(), level1.Actor(), cs); err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, len(cs))
	for i := len(cs) - 1; i >= 0; i-- { // newest first; in a millisecond, the higher id first
		want = append(want, cs[i].Number)
	}
	var got []string
	path, pages := "/cases?status=all", 0
	for path != "" {
		pages++
		if pages > 4 {
			t.Fatal("the pages do not end")
		}
		rec := getAs(t, h, ss, &level1, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		body := rec.Body.String()
		rows := rowsOf(body)
		first := len(got) + 1
		if len(rows) > 0 && !strings.Contains(body, fmt.Sprintf("Показаны %d–%d", first, first+len(rows)-1)) {
			t.Errorf("page %d does not say which rows it shows", pages)
		}
		got = append(got, rows...)
		path = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
			if !strings.Contains(path, "status=all") {
				t.Errorf("the next page loses the filters: %s", path)
			}
		}
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Fatalf("%d pages, %d rows; want 3 pages with every case once in order\ngot  %v\nwant %v", pages, len(got), got, want)
	}
}

// callWith files a call from number, answered by operator op with the recording name rec (""
// none), attached to case caseID; it returns the leg's id.
func callWith(t *testing.T, s *journal.Store, channel, number string, op int64, rec string, caseID int64, by User) int64 {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Hour)
	if _, err := s.StartCall(ctx, journal.CallStart{CallID: channel, CallerNumber: number, ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	leg := hotline.Leg{CallID: channel, ArrivedAt: at, QueuedAt: at.Add(2 * time.Second), AnsweredAt: at.Add(9 * time.Second), OperatorID: op, RecordingName: rec}
	if err := s.SaveCallLeg(ctx, leg, ""); err != nil {
		t.Fatal(err)
	}
	leg.EndedAt, leg.End = at.Add(70*time.Second), hotline.LegCompleted
	if err := s.SaveCallLeg(ctx, leg, hotline.OutcomeAnswered); err != nil {
		t.Fatal(err)
	}
	calls, err := s.Calls(ctx, journal.CallFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.Channel == channel {
			if err := s.AttachCall(ctx, by.Actor(), caseID, c.ID); err != nil {
				t.Fatal(err)
			}
			full, err := s.Call(ctx, c.ID)
			if err != nil || len(full.Legs) != 1 {
				t.Fatalf("call %s: %+v %v", channel, full, err)
			}
			return full.Legs[0].ID
		}
	}
	t.Fatalf("call %s not filed", channel)
	return 0
}

// recordedCase is case a of journalCases with four calls: one level1 answered (recorded, the
// file there), one level2 answered (recording named, the file missing), one without a recording,
// and one whose recording name climbs out of the directory (a damaged row).
type recordedCase struct {
	journalCases
	dir                         string
	heard, missing, none, climb int64
	audio                       []byte
}

func newRecordedCase(t *testing.T) recordedCase {
	t.Helper()
	r := recordedCase{journalCases: newJournalCases(t)}
	top := t.TempDir()
	r.dir = filepath.Join(top, "recording")
	if err := os.Mkdir(r.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	r.audio = bytes.Repeat([]byte("RIFF0123456789abcdef"), 50)
	if err := os.WriteFile(filepath.Join(r.dir, "call-one.wav"), r.audio, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "secret.wav"), []byte("not a recording"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.heard = callWith(t, r.s, "chan-1", "+79001112233", level1.OperatorID, "call-one", r.a.ID, level1)
	r.missing = callWith(t, r.s, "chan-2", "+79001112233", level2.OperatorID, "call-two", r.a.ID, level1)
	r.none = callWith(t, r.s, "chan-3", "+79001112233", level1.OperatorID, "", r.a.ID, level1)
	r.climb = callWith(t, r.s, "chan-4", "+79001112233", level1.OperatorID, "../secret", r.a.ID, level1)
	return r
}

func TestCasePageShowsHistoryCallsAndRecordings(t *testing.T) {
	r := newRecordedCase(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Journal: r.s}).Handler()
	desc := "Отказали в записи к врачу <b>срочно</b>"
	if _, err := r.s.UpdateCase(t.Context(), level1.Actor(), r.a.ID, journal.CaseUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/cases/%d", r.a.ID)
	rec := getAs(t, h, ss, &level1, path)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, body)
	}
	for _, want := range []string{
		"Обращение " + r.a.Number, "В работе", "Жалоба", "Отказ в медицинской помощи", "Ёлкина Анна Петровна", "7755443322110099",
		`id="history"`, "Обращение зарегистрировано", "Карта изменена", "Суть обращения", "&lt;b&gt;срочно&lt;/b&gt;",
		`id="calls"`, "&#43;79001112233", "Тематика обращения: — → Отказ в медицинской помощи", "Состоялся разговор", "1:10", level1.Name, level2.Name,
		fmt.Sprintf(`<audio controls preload="none" src="/recordings/%d">`, r.heard),
		fmt.Sprintf(`href="/cases/%d/edit"`, r.a.ID), "Редактирование", "просрочено",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the card lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>срочно") {
		t.Error("the description is not escaped")
	}
	if strings.Contains(body, fmt.Sprintf(`src="/recordings/%d"`, r.none)) {
		t.Error("a player for a leg without a recording")
	}
	// Level 2 sees the card (every operator sees the journal) but may not edit level1's case.
	body = getAs(t, h, ss, &level2, path).Body.String()
	if !strings.Contains(body, `id="history"`) || strings.Contains(body, "/edit") {
		t.Errorf("level2's view of level1's case: edit link shown or card missing")
	}
	// Under review: nobody edits, not even the owner.
	if _, err := r.s.CloseCase(t.Context(), level2.Actor(), r.b.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "ещё раз"}); err == nil {
		t.Fatal("closing a case under review again succeeded")
	}
	if body := getAs(t, h, ss, &level2, fmt.Sprintf("/cases/%d", r.b.ID)).Body.String(); strings.Contains(body, "/edit") || !strings.Contains(body, "На рассмотрении") {
		t.Errorf("a case under review offers editing or lacks its status")
	}
}

func TestRecordingsAreServedToThoseWhoMayHear(t *testing.T) {
	r := newRecordedCase(t)
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, Journal: r.s, Recordings: recording.Dir{Path: r.dir}}).Handler()
	leg := func(id int64) string { return fmt.Sprintf("/recordings/%d", id) }
	for _, tt := range []struct {
		name   string
		u      User
		path   string
		rng    string
		status int
		body   []byte
	}{
		{"the owner who answered, a range", level1, leg(r.heard), "bytes=20-39", http.StatusPartialContent, r.audio[20:40]},
		{"the owner who answered, whole", level1, leg(r.heard), "", http.StatusOK, r.audio},
		{"administrator", admin, leg(r.heard), "", http.StatusOK, r.audio},
		{"level2 took no part in this call", level2, leg(r.heard), "", http.StatusForbidden, nil},
		{"level2 answered this one, the file is gone", level2, leg(r.missing), "", http.StatusNotFound, nil},
		{"a leg without a recording", level1, leg(r.none), "", http.StatusNotFound, nil},
		{"a name out of the directory", admin, leg(r.climb), "", http.StatusNotFound, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.rng != "" {
				hdr = []string{"Range", tt.rng}
			}
			rec := getAs(t, h, ss, &tt.u, tt.path, hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.body == nil {
				if strings.Contains(rec.Body.String(), "not a recording") || strings.Contains(rec.Body.String(), "RIFF") {
					t.Fatal("a refused request got the file")
				}
				if rec.Code == http.StatusForbidden && !strings.Contains(rec.Body.String(), "Недостаточно прав") {
					t.Errorf("the refusal does not say why: %s", rec.Body)
				}
				return
			}
			if !bytes.Equal(rec.Body.Bytes(), tt.body) {
				t.Fatalf("body %q, want %q", rec.Body.Bytes(), tt.body)
			}
			if ct, cc := rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"); ct != "audio/wav" || cc != "private, no-store" {
				t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
			}
		})
	}
	// Level 2 sees the player of the call they answered only.
	body := getAs(t, h, ss, &level2, fmt.Sprintf("/cases/%d", r.a.ID)).Body.String()
	if strings.Contains(body, fmt.Sprintf(`src="%s"`, leg(r.heard))) || !strings.Contains(body, fmt.Sprintf(`src="%s"`, leg(r.missing))) {
		t.Error("the card's players are not those level2 may hear")
	}
	// No recordings store: 503, not a 500.
	h = (&Server{Sessions: ss, Journal: r.s}).Handler()
	if rec := getAs(t, h, ss, &admin, leg(r.heard)); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without a store: %d", rec.Code)
	}
}
