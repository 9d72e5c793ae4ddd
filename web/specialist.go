package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Level 2 (§5.2, §6.2): cases forwarded to the specialist, delayed answers, the call-back button.
func (s *Server) specialistRoutes() []Route {
	return []Route{
		// Every user: the journal gives delayed answers to level-1 operators too (a press-1
		// callback, a dropped call), and the case's rules decide who may call back which case.
		{Pattern: "GET /mine", Allow: AnyUser, Title: "Мои обращения: переадресованные, отсроченный ответ, в работе", handle: s.minePage},
		{Pattern: "POST /mine/{id}/callback", Allow: AnyUser, Title: "Мои обращения: перезвонить обратившемуся", handle: s.mineCallback},
	}
}

// mineLimit bounds each read of a worklist: an operator's cases in work are bounded by their
// limit (hotline.Operator.MaxConcurrent), so a list longer than this is a fault to show, not a
// page to render whole.
const mineLimit = 1000

// mineView is the page /mine: the user's worklists.
type mineView struct {
	Now time.Time // the journal's clock: what «просрочено» is measured against
	// Forwarded: delayed answers forwarded to the user («Переадресация с уведомлением
	// обратившегося»: hotline.Case.ForwardedTo is the user, who owns it).
	Forwarded []l2Row
	// Delayed: the user's other delayed answers (a voice message, a press-1 callback, a call
	// that dropped).
	Delayed []l2Row
	// InProgress: the user's cases «В работе».
	InProgress []l2Row
	// Unowned: delayed answers no one owns yet (administrators only: the administrators' queue).
	Unowned   []l2Row
	ShowAdmin bool
	Truncated bool // a list held more than mineLimit cases
}

// l2Row is one case of a worklist.
type l2Row struct {
	ID         int64
	Number     string
	Registered time.Time
	Caller     string // the number to call back; "" none
	Person     string
	Topic      string // the catalogue's title, or the code
	Due        time.Time
	Overdue    bool
	Comment    string // for a forwarded case: the forwarding operator's comment
	Result     string
}

func (s *Server) minePage(w http.ResponseWriter, r *http.Request, u User) {
	notice := ""
	if r.URL.Query().Get("done") == "callback" {
		notice = s.callbackNotice(r.Context(), u, r.URL.Query().Get("case"))
	}
	s.renderMine(w, r, u, http.StatusOK, notice, "")
}

// callbackNotice is the notice after «Перезвонить» on case ref (the redirect's ?case=), for a
// case the user may work; "" otherwise (the query names no one else's number).
func (s *Server) callbackNotice(ctx context.Context, u User, ref string) string {
	if s.Journal == nil {
		return ""
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return ""
	}
	c, err := s.Journal.Case(ctx, id)
	if err != nil || c.CanWork(u.Actor()) != nil || c.CallerNumber == "" {
		return ""
	}
	return fmt.Sprintf("Вызов по обращению %s: набираем номер %s; когда обратившийся ответит, ваш телефон зазвонит.", c.Number, c.CallerNumber)
}

// renderMine renders /mine with a notice or an error above the lists.
func (s *Server) renderMine(w http.ResponseWriter, r *http.Request, u User, status int, notice, errMsg string) {
	data := pageData{Title: "Мои обращения", User: &u, Notice: notice, Error: errMsg}
	if s.Journal == nil {
		data.Error = "Электронный журнал недоступен."
		s.render(w, r, http.StatusServiceUnavailable, "mine", data)
		return
	}
	v, err := s.mineLists(r.Context(), u)
	if err != nil {
		st, msg := s.failure(r, "my cases", err)
		data.Error = msg
		s.render(w, r, st, "mine", data)
		return
	}
	data.Data = v
	s.render(w, r, status, "mine", data)
}

func (s *Server) mineLists(ctx context.Context, u User) (*mineView, error) {
	v := &mineView{Now: s.Journal.Now(), ShowAdmin: u.IsAdministrator()}
	topics, err := s.topicTitles(ctx)
	if err != nil {
		return nil, err
	}
	var mine []hotline.Case
	if u.OperatorID != 0 { // 0 would filter nothing: everyone's cases
		mine, err = s.Journal.Cases(ctx, journal.CaseFilter{OperatorID: u.OperatorID,
			Statuses: []hotline.CaseStatus{hotline.StatusInProgress, hotline.StatusDelayedAnswer}, Limit: mineLimit + 1})
		if err != nil {
			return nil, fmt.Errorf("read the user's cases: %w", err)
		}
	}
	if len(mine) > mineLimit {
		mine, v.Truncated = mine[:mineLimit], true
	}
	for _, c := range mine {
		row := newL2Row(c, topics, v.Now)
		switch {
		case c.Status == hotline.StatusDelayedAnswer && c.ForwardedTo == u.OperatorID:
			v.Forwarded = append(v.Forwarded, row)
		case c.Status == hotline.StatusDelayedAnswer:
			v.Delayed = append(v.Delayed, row)
		default:
			v.InProgress = append(v.InProgress, row)
		}
	}
	if v.ShowAdmin {
		unowned, err := s.Journal.UnownedDelayedAnswers(ctx, mineLimit+1)
		if err != nil {
			return nil, fmt.Errorf("read the unowned delayed answers: %w", err)
		}
		if len(unowned) > mineLimit {
			unowned, v.Truncated = unowned[:mineLimit], true
		}
		for _, c := range unowned {
			v.Unowned = append(v.Unowned, newL2Row(c, topics, v.Now))
		}
	}
	for _, l := range [][]l2Row{v.Forwarded, v.Delayed, v.InProgress, v.Unowned} {
		slices.SortStableFunc(l, byDue)
	}
	return v, nil
}

// byDue orders rows by due date, the soonest (most overdue) first; rows without one last, oldest
// registered first.
func byDue(a, b l2Row) int {
	switch {
	case a.Due.IsZero() != b.Due.IsZero():
		if a.Due.IsZero() {
			return 1
		}
		return -1
	case !a.Due.Equal(b.Due):
		return a.Due.Compare(b.Due)
	}
	return cmp.Or(a.Registered.Compare(b.Registered), cmp.Compare(a.ID, b.ID))
}

func newL2Row(c hotline.Case, topics map[string]string, now time.Time) l2Row {
	row := l2Row{ID: c.ID, Number: c.Number, Registered: c.CreatedAt, Caller: c.CallerNumber, Person: c.Person.FullName,
		Topic: c.Topic, Due: c.DueAt, Overdue: !c.DueAt.IsZero() && c.DueAt.Before(now), Comment: c.Comment,
		Result: resultText(c.Result)}
	if t, ok := topics[c.Topic]; ok {
		row.Topic = t
	}
	return row
}

// topicTitles maps every topic's code to its title.
func (s *Server) topicTitles(ctx context.Context) (map[string]string, error) {
	ts, err := s.Journal.Topics(ctx, "", "")
	if err != nil {
		return nil, fmt.Errorf("read the topics: %w", err)
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Code] = t.Title
	}
	return m, nil
}

// mineCallback is «Перезвонить»: hotline dials the person of a case the user works for the user
// (switchboard/callback.go: the person's phone rings first; when they answer they are offered to
// the user's device, and the call is recorded on the case). Only whoever may work the case may
// (hotline.Case.Editable: its owner, an administrator, anyone while it has no owner), and only
// while it is being worked.
func (s *Server) mineCallback(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	refuse := func(what string, err error) {
		st, msg := s.failure(r, what, err)
		s.renderMine(w, r, u, st, "", "Перезвонить не удалось. "+msg)
	}
	id, err := s.Journal.CaseRef(ctx, r.PathValue("id"))
	if err != nil {
		refuse("call-back: find the case", err)
		return
	}
	c, err := s.Journal.Case(ctx, id)
	if err != nil {
		refuse("call-back: read the case", err)
		return
	}
	if err := c.Editable(u.Actor()); err != nil {
		s.log().Warn("web: call-back refused", "login", u.Login, "case", c.Number, "err", err)
		refuse("call-back", err)
		return
	}
	if c.CallerNumber == "" {
		s.renderMine(w, r, u, http.StatusUnprocessableEntity, "", fmt.Sprintf(
			"В обращении %s нет номера телефона: перезвонить некуда. Свяжитесь с обратившимся по данным регистрационной карты.", c.Number))
		return
	}
	if s.Calls == nil {
		s.renderMine(w, r, u, http.StatusServiceUnavailable, "", "Перезвонить не удалось: обработка звонков недоступна.")
		return
	}
	if err := s.Calls.CallBack(ctx, u.Actor(), u.OperatorID, c.CallerNumber, c.ID); err != nil {
		refuse("call-back", err)
		return
	}
	s.log().Info("web: call-back asked", "login", u.Login, "case", c.Number)
	// POST-redirect-GET: reloading the page does not dial again.
	http.Redirect(w, r, fmt.Sprintf("/mine?done=callback&case=%d", c.ID), http.StatusSeeOther)
}
