package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The phone directory (manual §4.1 «Телефонный справочник»): operators and insurers'
// representatives of every level, found by ФИО, organisation or extension, with their live
// presence, for every logged-in user.
func (s *Server) directoryRoutes() []Route {
	return []Route{
		{Pattern: "GET /directory", Allow: AnyUser, Title: "Телефонный справочник", handle: s.directoryPage},
	}
}

// maxDirectorySearch bounds a search text, as the CLI's does: a word or two.
const maxDirectorySearch = 100

type directoryView struct {
	Query    string
	Searched bool
	Rows     []directoryRow
	Error    string // shown next to the search field
	NoLive   bool   // presence unknown: the switchboard did not answer
}

type directoryRow struct {
	ID           int64
	Name         string
	Level        hotline.Level
	Organisation string
	Extension    string
	Presence     string // machine name, for a CSS class
	State        string // as the manual says it
}

func (s *Server) directoryPage(w http.ResponseWriter, r *http.Request, u User) {
	v, status := s.directory(r)
	if r.Header.Get("HX-Request") == "true" {
		// htmx's live search: the results alone.
		html, err := s.part("directory-results", v)
		if err != nil {
			s.log().Error("web: directory", "err", err)
			http.Error(w, "внутренняя ошибка", http.StatusInternalServerError)
			return
		}
		// htmx swaps only a 2xx answer: a refusal comes as a fragment saying it (role="alert").
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Vary", "HX-Request")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, html)
		return
	}
	w.Header().Set("Vary", "HX-Request")
	s.render(w, r, status, "directory", pageData{Title: "Телефонный справочник", User: &u, Data: v})
}

func (s *Server) directory(r *http.Request) (directoryView, int) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := directoryView{Query: q}
	switch {
	case !utf8.ValidString(q):
		v.Query, v.Error = "", "Недопустимые символы в запросе."
		return v, http.StatusUnprocessableEntity
	case utf8.RuneCountInString(q) > maxDirectorySearch:
		v.Error = fmt.Sprintf("Слишком длинный запрос: не более %d символов.", maxDirectorySearch)
		return v, http.StatusUnprocessableEntity
	case s.Journal == nil:
		v.Error = "Журнал недоступен."
		return v, http.StatusServiceUnavailable
	}
	var ops []hotline.Operator
	var err error
	if q == "" {
		// No search yet: the whole directory, by name.
		ops, err = s.Journal.Operators(r.Context(), journal.OperatorFilter{})
		slices.SortStableFunc(ops, func(a, b hotline.Operator) int { return strings.Compare(a.Name, b.Name) })
	} else {
		ops, err = s.Journal.SearchDirectory(r.Context(), q)
	}
	if err != nil {
		var status int
		status, v.Error = s.failure(r, "directory search", err)
		return v, status
	}
	v.Searched = true
	presence := map[int64]hotline.Presence{}
	if s.Live != nil {
		if snap, err := s.Live.Snapshot(r.Context()); err == nil {
			for _, o := range snap.Operators {
				presence[o.ID] = o.Presence
			}
		} else {
			s.log().Warn("web: directory: live snapshot", "err", err)
			v.NoLive = true
		}
	} else {
		v.NoLive = true
	}
	for _, o := range ops {
		row := directoryRow{ID: o.ID, Name: o.Name, Level: o.Level, Organisation: o.Organisation, Extension: o.Extension, State: "—"}
		if p, ok := presence[o.ID]; ok {
			row.Presence, row.State = string(p), presenceText[p]
			if row.State == "" {
				row.State = string(p)
			}
		} else if !v.NoLive {
			// The switchboard knows only operators with a handset; the rest are not at one.
			row.Presence, row.State = string(hotline.PresenceLoggedOut), presenceText[hotline.PresenceLoggedOut]
		}
		v.Rows = append(v.Rows, row)
	}
	return v, http.StatusOK
}
