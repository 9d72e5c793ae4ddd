package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// pages are the parsed templates: one set per page, each the layout with its content.
type pages struct {
	base   *template.Template // the layout and the parts
	byName map[string]*template.Template
	board  *template.Template // the live board alone, for the event stream
}

// pageData is what every page's template gets.
type pageData struct {
	Title  string
	User   *User
	Error  string // a message shown at the top of the form, role="alert"
	Notice string // what was just done («Обращение сохранено»), role="status"
	Login  string // the login form's login, kept after a refusal
	Board  *boardView
	// Data is the page's own view (each page documents its type).
	Data any
}

// The templates: templates/NAME.html is the page NAME (it defines "content"); templates/_*.html
// are parts every page may use, and the event streams render alone (the board, the card...).
func (s *Server) pages() *pages {
	s.parse.Do(func() {
		base := template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html"))
		files, err := fs.Glob(templateFS, "templates/*.html")
		if err != nil {
			panic(err) // a constant pattern
		}
		p := &pages{byName: map[string]*template.Template{}, base: base}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".html")
			if name == "layout" || strings.HasPrefix(name, "_") {
				continue
			}
			p.byName[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, f))
		}
		p.board = base.Lookup("board")
		s.parsed = p
	})
	return s.parsed
}

// part renders the shared template name (from templates/_*.html) alone: for event streams and
// htmx swaps.
func (s *Server) part(name string, data any) (string, error) {
	t := s.pages().base.Lookup(name)
	if t == nil {
		return "", fmt.Errorf("web: no template %q", name)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("web: render %s: %w", name, err)
	}
	return b.String(), nil
}

// templateFuncs are the functions every template may call.
var templateFuncs = template.FuncMap{
	"clock": clock,
	"date":  dateText,
	"when":  whenText,
}

// render writes the page name with data, with status. It renders into a buffer first, so that a
// template error is a 500, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	var b bytes.Buffer
	if err := s.pages().byName[name].ExecuteTemplate(&b, "layout.html", data); err != nil {
		s.log().Error("web: render", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// errorPage answers status with a page saying msg.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", pageData{Title: http.StatusText(status), Error: msg})
}

// boardView is the live board («Оперативная обстановка») as the templates show it.
type boardView struct {
	Seq       uint64
	At        time.Time
	Connected bool
	Draining  bool
	Replaced  bool
	Queue     []queueRow
	Operators []operatorRow
	Free      int // operators free to take a call
	// Supervise: the viewer is an administrator: talking operators get the listen buttons.
	Supervise bool
}

type queueRow struct {
	Pos      int
	CallID   string
	Number   string
	Callback bool
	Priority int
	Joined   time.Time
	Offered  string // the operator being rung, by name
}

type operatorRow struct {
	ID         int64
	Name       string
	Extension  string
	Presence   string // the machine name, for a CSS class and tests
	State      string // as the manual says it
	Since      time.Time
	Reason     string
	CallsToday int
	CallID     string // the conversation the operator is in (talking), for the listen buttons
	Listened   string // how an administrator takes part in it now, as the board says it; "": nobody
}

// listenText is each way of listening as the board names it.
var listenText = map[switchboard.ListenMode]string{
	switchboard.ListenSilent:  "прослушивается",
	switchboard.ListenWhisper: "подсказка оператору",
	switchboard.ListenBarge:   "администратор в разговоре",
}

// presenceText is each presence as the operator manual names it («Свободен», «Разговаривает»,
// «Не активен») and, for the states the manual does not name, in its words.
var presenceText = map[hotline.Presence]string{
	hotline.PresenceLoggedOut:   "Не активен",
	hotline.PresenceAvailable:   "Свободен",
	hotline.PresenceRinging:     "Вызов",
	hotline.PresenceTalking:     "Разговаривает",
	hotline.PresenceWrapUp:      "Завершает обращение",
	hotline.PresencePaused:      "Перерыв",
	hotline.PresenceUnreachable: "Телефон недоступен",
}

func newBoard(s switchboard.Snapshot, supervise bool) *boardView {
	b := &boardView{Seq: s.Seq, At: s.At, Connected: s.Connected, Draining: s.Draining, Replaced: s.Replaced, Supervise: supervise}
	talking := make(map[int64]switchboard.CallView, len(s.Calls))
	for _, c := range s.Calls {
		if c.Phase == switchboard.PhaseTalking && c.OperatorID != 0 {
			talking[c.OperatorID] = c
		}
	}
	names := make(map[int64]string, len(s.Operators))
	for _, o := range s.Operators {
		names[o.ID] = o.Name
		state, ok := presenceText[o.Presence]
		if !ok {
			state = string(o.Presence)
		}
		if o.Presence == hotline.PresenceAvailable {
			b.Free++
		}
		row := operatorRow{ID: o.ID, Name: o.Name, Extension: o.Extension,
			Presence: string(o.Presence), State: state, Since: o.Since, Reason: o.Reason, CallsToday: o.CallsToday}
		if c, ok := talking[o.ID]; ok && o.Presence == hotline.PresenceTalking {
			row.CallID, row.Listened = c.ID, listenText[c.Listened]
		}
		b.Operators = append(b.Operators, row)
	}
	for i, q := range s.Queue {
		row := queueRow{Pos: i + 1, CallID: q.CallID, Number: q.CallerNumber, Callback: q.Callback, Priority: q.Priority, Joined: q.JoinedAt}
		if q.OfferedTo != 0 {
			row.Offered = names[q.OfferedTo]
			if row.Offered == "" {
				row.Offered = fmt.Sprintf("оператор %d", q.OfferedTo)
			}
		}
		b.Queue = append(b.Queue, row)
	}
	return b
}

// clock is a time of day as the page shows it; the zero time is a dash.
func clock(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("15:04:05")
}

// dateText is a date as the page shows it (02.01.2006); the zero time is a dash.
func dateText(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("02.01.2006")
}

// whenText is a moment as the page shows it (02.01.2006 15:04); the zero time is a dash.
func whenText(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("02.01.2006 15:04")
}

// failure is what the page says when the journal or the call flow refused or failed, and the
// status to answer with. The rules' own message (hotline.Error) says what was wrong; it is in
// English, as the rules are written, after a Russian sentence saying what kind of refusal it is.
// Anything that is not a rule's refusal is logged and shown as a generic Russian message.
func (s *Server) failure(r *http.Request, what string, err error) (int, string) {
	var he *hotline.Error
	if !errors.As(err, &he) {
		s.log().Error("web: "+what, "path", r.URL.Path, "err", err)
		return http.StatusInternalServerError, "Не выполнено: внутренняя ошибка сервера. Попробуйте ещё раз."
	}
	switch he.Code {
	case hotline.EINVALID:
		return http.StatusUnprocessableEntity, "Проверьте данные: " + he.Message
	case hotline.ENOTFOUND:
		return http.StatusNotFound, "Не найдено: " + he.Message
	case hotline.ECONFLICT:
		return http.StatusConflict, "Данные уже изменились: " + he.Message
	case hotline.EFORBIDDEN:
		return http.StatusForbidden, "Недостаточно прав: " + he.Message
	case hotline.EUNAVAILABLE:
		s.log().Warn("web: "+what, "path", r.URL.Path, "err", err)
		return http.StatusServiceUnavailable, "Сейчас недоступно: " + he.Message
	}
	s.log().Error("web: "+what, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, "Не выполнено: внутренняя ошибка сервера. Попробуйте ещё раз."
}
