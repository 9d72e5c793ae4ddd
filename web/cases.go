package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/recording"
)

// The electronic journal (§6): the list with the manual's filters, the case card with its history,
// calls and recordings, and the owner's edit and close.
//
// Every logged-in user sees the list and the cards: the manual gives every operator «электронный
// журнал со всеми активными обращениями» (§3). Hearing a recording is narrower
// (hotline.Actor.MayHearRecording), checked on every request for the file.
func (s *Server) caseRoutes() []Route {
	return []Route{
		{Pattern: "GET /cases", Allow: AnyUser, Title: "Электронный журнал", handle: s.casesPage},
		{Pattern: "GET /cases/{id}", Allow: AnyUser, Title: "Карта обращения", handle: s.casePage},
		{Pattern: "GET /recordings/{leg}", Allow: AnyUser, Title: "запись разговора (файл)", handle: s.recordingFile},
	}
}

// casePageSize is how many cases a page of the list shows.
const casePageSize = 50

// The status filter's values beside the statuses themselves: the default list shows the cases
// not yet approved (the manual's «все активные обращения»); "all" includes the approved.
const (
	statusActive = ""
	statusAll    = "all"
)

// caseListView is the list page's Data.
type caseListView struct {
	Q        caseQuery
	Statuses []option
	Types    []option
	Topics   []option
	Owners   []option
	Rows     []caseListRow
	First    int    // the number of the first row shown (1-based); 0: none
	Last     int    // the number of the last row shown
	Next     string // the next page's URL; "": this is the last page
	Scanned  bool   // a text search stopped at its bound without filling the page
	ScanMax  int
	Filtered bool // any filter is set beyond the default
}

// option is one choice of a select.
type option struct {
	Value, Text string
	Selected    bool
}

// caseQuery is the list's query string as the user gave it (kept in the form).
type caseQuery struct {
	From, To, Status, Type, Topic, Owner, Number, Text string
}

type caseListRow struct {
	ID      int64
	Number  string
	Created time.Time
	Type    string
	Topic   string
	Caller  string
	Name    string
	Owner   string
	Status  string
	Due     time.Time
	Overdue bool
}

// caseInput is a page's refusal of its input: a status and a Russian message.
type caseInput struct {
	status int
	msg    string
}

func (e *caseInput) Error() string { return e.msg }

func badInput(status int, format string, args ...any) error {
	return &caseInput{status: status, msg: fmt.Sprintf(format, args...)}
}

// dateInput is the date inputs' format.
const dateInput = "2006-01-02"

// parseCaseQuery reads the list's filters into a journal filter.
func (s *Server) parseCaseQuery(v url.Values, topics map[string]hotline.Topic) (caseQuery, journal.CaseFilter, error) {
	q := caseQuery{From: v.Get("from"), To: v.Get("to"), Status: v.Get("status"), Type: v.Get("type"), Topic: v.Get("topic"),
		Owner: v.Get("owner"), Number: strings.TrimSpace(v.Get("number")), Text: strings.TrimSpace(v.Get("text"))}
	f := journal.CaseFilter{Limit: casePageSize}
	for _, d := range []struct {
		val, what string
		dst       *time.Time
		next      bool
	}{{q.From, "«с»", &f.From, false}, {q.To, "«по»", &f.To, true}} {
		if d.val == "" {
			continue
		}
		t, err := time.ParseInLocation(dateInput, d.val, time.Local)
		if err != nil || t.Year() < 2000 || t.Year() > 2999 {
			return q, f, badInput(http.StatusUnprocessableEntity, "Дата %s указана неверно: нужна дата в виде ГГГГ-ММ-ДД.", d.what)
		}
		if d.next {
			t = t.AddDate(0, 0, 1) // "по" includes the day
		}
		*d.dst = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return q, f, badInput(http.StatusUnprocessableEntity, "Период указан неверно: дата «с» позже даты «по».")
	}
	switch st := hotline.CaseStatus(q.Status); {
	case q.Status == statusActive:
		f.Active = true
	case q.Status == statusAll:
	case st.Valid():
		f.Statuses = []hotline.CaseStatus{st}
	default:
		return q, f, badInput(http.StatusUnprocessableEntity, "Неизвестный статус обращения.")
	}
	if q.Type != "" {
		if !hotline.CaseType(q.Type).Valid() {
			return q, f, badInput(http.StatusUnprocessableEntity, "Неизвестный тип обращения.")
		}
		f.Type = hotline.CaseType(q.Type)
	}
	if q.Topic != "" {
		if _, ok := topics[q.Topic]; !ok {
			return q, f, badInput(http.StatusUnprocessableEntity, "Неизвестная тематика обращения.")
		}
		f.Topic = q.Topic
	}
	if q.Owner != "" {
		id, err := strconv.ParseInt(q.Owner, 10, 64)
		if err != nil || id <= 0 {
			return q, f, badInput(http.StatusUnprocessableEntity, "Ответственный оператор указан неверно.")
		}
		f.OperatorID = id
	}
	if q.Number != "" {
		if utf8.RuneCountInString(q.Number) > hotline.MaxShortLen {
			return q, f, badInput(http.StatusUnprocessableEntity, "Номер телефона слишком длинный.")
		}
		n, ok := s.Journal.PhoneRegion().Normalize(q.Number)
		if !ok {
			return q, f, badInput(http.StatusUnprocessableEntity, "Номер телефона не распознан: укажите его, например, как +79121234567 или 8 912 123-45-67.")
		}
		f.Caller = n
	}
	if q.Text != "" {
		if !utf8.ValidString(q.Text) {
			return q, f, badInput(http.StatusUnprocessableEntity, "Текст для поиска повреждён: введите его заново.")
		}
		if utf8.RuneCountInString(q.Text) > journal.MaxCaseText {
			return q, f, badInput(http.StatusUnprocessableEntity, "Текст для поиска длиннее %d символов.", journal.MaxCaseText)
		}
		f.Text = q.Text
	}
	if c := v.Get("after"); c != "" {
		cur, err := journal.ParseCaseCursor(c)
		if err != nil {
			return q, f, badInput(http.StatusBadRequest, "Ссылка на страницу журнала повреждена. Откройте первую страницу списка заново.")
		}
		f.Before = cur
	}
	return q, f, nil
}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	data := pageData{Title: "Электронный журнал", User: &u}
	fail := func(status int, msg string, v *caseListView) {
		data.Error, data.Data = msg, v
		s.render(w, r, status, "cases", data)
	}
	topicList, err := s.Journal.Topics(ctx, "", "")
	if err != nil {
		st, msg := s.failure(r, "list topics", err)
		s.errorPage(w, r, st, msg)
		return
	}
	ops, err := s.Journal.Operators(ctx, journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		st, msg := s.failure(r, "list operators", err)
		s.errorPage(w, r, st, msg)
		return
	}
	topics := make(map[string]hotline.Topic, len(topicList))
	for _, t := range topicList {
		topics[t.Code] = t
	}
	names := make(map[int64]string, len(ops))
	for _, o := range ops {
		names[o.ID] = o.Name
	}
	q, f, qerr := s.parseCaseQuery(r.URL.Query(), topics)
	v := &caseListView{Q: q, ScanMax: journal.MaxTextScan}
	v.Statuses = []option{{Value: statusActive, Text: "Все активные"}}
	for _, st := range caseStatuses {
		v.Statuses = append(v.Statuses, option{Value: string(st), Text: caseStatusText(st)})
	}
	v.Statuses = append(v.Statuses, option{Value: statusAll, Text: "Все, включая утверждённые"})
	for i := range v.Statuses {
		v.Statuses[i].Selected = v.Statuses[i].Value == q.Status
	}
	v.Types = []option{{Value: "", Text: "Все типы"}}
	for _, t := range hotline.CaseTypes {
		v.Types = append(v.Types, option{Value: string(t), Text: caseTypeText(t), Selected: string(t) == q.Type})
	}
	v.Topics = []option{{Value: "", Text: "Все тематики"}}
	for _, t := range topicList {
		v.Topics = append(v.Topics, option{Value: t.Code, Text: fmt.Sprintf("%s (%s)", t.Title, caseTypeText(t.Type)), Selected: t.Code == q.Topic})
	}
	v.Owners = []option{{Value: "", Text: "Все операторы"}}
	for _, o := range ops {
		v.Owners = append(v.Owners, option{Value: strconv.FormatInt(o.ID, 10), Text: o.Name, Selected: strconv.FormatInt(o.ID, 10) == q.Owner})
	}
	v.Filtered = q != caseQuery{}
	if qerr != nil {
		var bad *caseInput
		if errors.As(qerr, &bad) {
			fail(bad.status, bad.msg, v)
			return
		}
		st, msg := s.failure(r, "list cases", qerr)
		fail(st, msg, v)
		return
	}
	shown := 0
	if f.Before != nil {
		// How many rows the earlier pages showed: only for «показаны 51–100».
		if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n >= 0 && n < 1<<30 {
			shown = n
		}
	}
	page, err := s.Journal.CasePage(ctx, f)
	if err != nil {
		st, msg := s.failure(r, "list cases", err)
		fail(st, msg, v)
		return
	}
	now := time.Now()
	for _, c := range page.Cases {
		row := caseListRow{ID: c.ID, Number: c.Number, Created: c.CreatedAt, Type: caseTypeText(c.Type), Caller: c.CallerNumber,
			Name: c.Person.FullName, Owner: names[c.OwnerID], Status: caseStatusText(c.Status), Due: c.DueAt, Overdue: overdue(c, now)}
		if t, ok := topics[c.Topic]; ok {
			row.Topic = t.Title
		} else {
			row.Topic = c.Topic
		}
		v.Rows = append(v.Rows, row)
	}
	if len(v.Rows) > 0 {
		v.First, v.Last = shown+1, shown+len(v.Rows)
	}
	v.Scanned = page.Scanned
	if page.Next != nil {
		next := r.URL.Query()
		next.Set("after", page.Next.String())
		next.Set("n", strconv.Itoa(shown+len(v.Rows)))
		v.Next = "/cases?" + next.Encode()
	}
	data.Data = v
	s.render(w, r, http.StatusOK, "cases", data)
}

// overdue reports whether a case still in its owner's hands is past its due date.
func overdue(c hotline.Case, now time.Time) bool {
	return !c.DueAt.IsZero() && c.DueAt.Before(now) && (c.Status == hotline.StatusInProgress || c.Status == hotline.StatusDelayedAnswer)
}

// caseView is the card page's Data.
type caseView struct {
	Case        hotline.Case
	Channel     string
	Type        string
	Topic       string
	Status      string
	Result      string
	Owner       string
	ForwardedTo string
	Overdue     bool
	Editable    bool
	History     []historyRow
	Linked      []caseListRow
	Attachments []hotline.Attachment
	Calls       []callRow
}

type historyRow struct {
	At      time.Time
	Actor   string
	Action  string
	Changes []changeRow
}

type changeRow struct{ Field, From, To string }

type callRow struct {
	ID       int64
	At       time.Time
	Number   string
	Line     string
	Outcome  string
	Duration string
	MayHear  bool // the user may hear this call's recordings
	Legs     []legRow
}

type legRow struct {
	ID        int64
	Operator  string
	Answered  time.Time
	Talk      string
	Recording bool
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Обращение не найдено: неверный номер.")
		return
	}
	v, err := s.caseCard(ctx, u, id)
	if err != nil {
		st, msg := s.failure(r, "show case", err)
		s.errorPage(w, r, st, msg)
		return
	}
	s.render(w, r, http.StatusOK, "case", pageData{Title: "Обращение " + v.Case.Number, User: &u, Data: v})
}

// caseCard reads everything the card shows.
func (s *Server) caseCard(ctx context.Context, u User, id int64) (*caseView, error) {
	c, err := s.Journal.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	names, _, err := s.operatorNames(ctx)
	if err != nil {
		return nil, err
	}
	opName := func(id int64) string {
		if id == 0 {
			return ""
		}
		if n, ok := names[id]; ok {
			return n
		}
		return fmt.Sprintf("оператор %d", id)
	}
	v := &caseView{Case: c, Channel: channelText(c.Channel), Type: caseTypeText(c.Type), Topic: c.Topic, Status: caseStatusText(c.Status),
		Result: resultText(c.Result), Owner: opName(c.OwnerID), ForwardedTo: opName(c.ForwardedTo), Overdue: overdue(c, time.Now()),
		Editable: c.Editable(u.Actor()) == nil}
	topics, err := s.topicTitles(ctx)
	if err != nil {
		return nil, err
	}
	if t, ok := topics[c.Topic]; ok {
		v.Topic = t
	}
	valueText := func(field, val string) string { return fieldValue(field, val, opName, topics) }
	events, err := s.Journal.History(ctx, journal.HistoryFilter{CaseID: id})
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		h := historyRow{At: e.At, Actor: e.Actor, Action: historyActionText(e.Action)}
		for _, ch := range e.Changes {
			h.Changes = append(h.Changes, changeRow{Field: caseFieldText(ch.Field), From: valueText(ch.Field, ch.From), To: valueText(ch.Field, ch.To)})
		}
		v.History = append(v.History, h)
	}
	linked, err := s.Journal.LinkedCases(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, l := range linked {
		v.Linked = append(v.Linked, caseListRow{ID: l.ID, Number: l.Number, Created: l.CreatedAt, Type: caseTypeText(l.Type), Status: caseStatusText(l.Status)})
	}
	if v.Attachments, err = s.Journal.Attachments(ctx, id); err != nil {
		return nil, err
	}
	calls, err := s.Journal.CaseCalls(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, cl := range calls {
		// Who may hear is decided per call (its legs), as GET /recordings decides it.
		row := callRow{ID: cl.ID, At: cl.ArrivedAt, Number: cl.CallerNumber, Line: cl.Line, Outcome: outcomeText(cl.Outcome),
			MayHear: u.Actor().MayHearRecording(cl.Legs, []hotline.Case{c}) == nil}
		if !cl.EndedAt.IsZero() && cl.EndedAt.After(cl.ArrivedAt) {
			row.Duration = durationText(cl.EndedAt.Sub(cl.ArrivedAt))
		}
		for _, l := range cl.Legs {
			lr := legRow{ID: l.ID, Operator: opName(l.OperatorID), Answered: l.AnsweredAt, Recording: l.RecordingName != ""}
			if t := l.TalkTime(); t > 0 {
				lr.Talk = durationText(t)
			}
			row.Legs = append(row.Legs, lr)
		}
		v.Calls = append(v.Calls, row)
	}
	return v, nil
}

// fieldValue is a history change's value as the card shows it: statuses, types and results in
// the manual's words, operators by name, topics by title, moments as dates.
func fieldValue(field, val string, opName func(int64) string, topics map[string]string) string {
	if val == "" {
		return "—"
	}
	switch field {
	case "status":
		return caseStatusText(hotline.CaseStatus(val))
	case "type":
		return caseTypeText(hotline.CaseType(val))
	case "result":
		return resultText(hotline.Result(val))
	case "channel":
		return channelText(hotline.Channel(val))
	case "topic":
		if t, ok := topics[val]; ok {
			return t
		}
	case "owner_id", "forwarded_to":
		if id, err := strconv.ParseInt(val, 10, 64); err == nil {
			return opName(id)
		}
	case "due_at", "extend_to":
		if t, err := time.Parse(time.RFC3339, val); err == nil {
			return dateText(t)
		}
	}
	return val
}

// durationText is a call's length: 1:05, 12:30, 1:02:03.
func durationText(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// recordingFile serves a leg's recorded conversation to whoever may hear it (checked on every
// request: the URL names a leg, it grants nothing), with range requests for the player.
func (s *Server) recordingFile(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("leg"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Запись не найдена: неверный номер.")
		return
	}
	lr, err := s.Journal.LegRecording(ctx, id)
	if err == nil {
		err = u.Actor().MayHearRecording(lr.Legs, lr.Cases)
	}
	if err != nil {
		if hotline.ErrorCode(err) == hotline.EFORBIDDEN {
			s.log().Warn("web: recording refused", "login", u.Login, "leg", id)
		}
		st, msg := s.failure(r, "find recording", err)
		s.errorPage(w, r, st, msg)
		return
	}
	if lr.Leg.RecordingName == "" {
		s.errorPage(w, r, http.StatusNotFound, "У этого разговора нет записи (не записывался или запись удалена по сроку хранения).")
		return
	}
	if err := recording.CheckName(lr.Leg.RecordingName); err != nil {
		s.log().Warn("web: a leg names a recording outside the recordings", "leg", id, "name", lr.Leg.RecordingName)
		s.errorPage(w, r, http.StatusNotFound, "Запись не найдена.")
		return
	}
	if s.Recordings == nil {
		s.errorPage(w, r, http.StatusServiceUnavailable, "Записи разговоров сейчас недоступны: хранилище записей не подключено.")
		return
	}
	f, err := s.Recordings.Open(ctx, lr.Leg.RecordingName)
	if err != nil {
		if hotline.ErrorCode(err) == hotline.ENOTFOUND || hotline.ErrorCode(err) == hotline.EINVALID {
			s.log().Warn("web: recording missing", "leg", id, "name", lr.Leg.RecordingName, "err", err)
			s.errorPage(w, r, http.StatusNotFound, "Файл записи не найден (возможно, удалён по сроку хранения).")
			return
		}
		st, msg := s.failure(r, "open recording", err)
		s.errorPage(w, r, st, msg)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Disposition", "inline")
	s.log().Info("web: recording played", "login", u.Login, "leg", id)
	http.ServeContent(w, r, "", f.ModTime, f)
}
