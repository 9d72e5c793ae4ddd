package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// pages are the parsed templates: one set per page, each the layout with its content.
type pages struct {
	byName map[string]*template.Template
	board  *template.Template // the live board alone, for the event stream
}

// pageData is what every page's template gets.
type pageData struct {
	Title string
	User  *User
	Error string // a message shown at the top of the form, role="alert"
	Login string // the login form's login, kept after a refusal
	Board *boardView
}

var pageNames = []string{"login", "live", "error"}

func (s *Server) pages() *pages {
	s.parse.Do(func() {
		funcs := template.FuncMap{"clock": clock}
		base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/board.html"))
		p := &pages{byName: map[string]*template.Template{}}
		for _, name := range pageNames {
			t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
			p.byName[name] = t
		}
		p.board = base.Lookup("board")
		s.parsed = p
	})
	return s.parsed
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

func newBoard(s switchboard.Snapshot) *boardView {
	b := &boardView{Seq: s.Seq, At: s.At, Connected: s.Connected, Draining: s.Draining, Replaced: s.Replaced}
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
		b.Operators = append(b.Operators, operatorRow{ID: o.ID, Name: o.Name, Extension: o.Extension,
			Presence: string(o.Presence), State: state, Since: o.Since, Reason: o.Reason, CallsToday: o.CallsToday})
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
