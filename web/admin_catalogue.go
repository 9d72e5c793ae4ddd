package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The catalogue: topics by case type (`hotline topic`) and the scripts of each topic with their
// recommended level-2 specialists (`hotline script`).

type adminTopicForm struct {
	Code, Number, Type, Title, Keywords string
}

type adminTopicLine struct {
	hotline.Topic
	Scripts []adminScriptLine
}

// adminScriptLine is a script in the catalogue, with its recommended specialists' names.
type adminScriptLine struct {
	hotline.Script
	Specialists []string
}

type adminTopicGroup struct {
	Type   hotline.CaseType
	Name   string
	Topics []adminTopicLine
}

type adminCatalogueView struct {
	Groups []adminTopicGroup
	Types  []option
	Form   adminTopicForm
	Errors adminErrors
}

func (s *Server) adminCatalogue(r *http.Request) ([]adminTopicGroup, error) {
	topics, err := s.Journal.Topics(r.Context(), "", "")
	if err != nil {
		return nil, err
	}
	scripts, err := s.Journal.Scripts(r.Context(), "")
	if err != nil {
		return nil, err
	}
	ops, err := s.Journal.Operators(r.Context(), journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, o := range ops {
		names[o.ID] = o.Name
		if !o.Active {
			names[o.ID] += " (выведен из работы)"
		}
	}
	byTopic := map[string][]adminScriptLine{}
	for _, sc := range scripts {
		l := adminScriptLine{Script: sc}
		for _, id := range sc.Recommended {
			l.Specialists = append(l.Specialists, names[id])
		}
		byTopic[sc.Topic] = append(byTopic[sc.Topic], l)
	}
	var out []adminTopicGroup
	for _, t := range hotline.CaseTypes {
		g := adminTopicGroup{Type: t, Name: caseTypeText(t)}
		for _, tp := range topics {
			if tp.Type == t {
				g.Topics = append(g.Topics, adminTopicLine{Topic: tp, Scripts: byTopic[tp.Code]})
			}
		}
		out = append(out, g)
	}
	return out, nil
}

func (s *Server) renderAdminCatalogue(w http.ResponseWriter, r *http.Request, u User, status int, v adminCatalogueView, msg string) {
	groups, err := s.adminCatalogue(r)
	if err != nil {
		st, m := s.failure(r, "read catalogue", err)
		s.errorPage(w, r, st, m)
		return
	}
	v.Groups, v.Types = groups, caseTypeOptions(v.Form.Type)
	notice, _ := adminNotices(r)
	s.render(w, r, status, "admin_catalogue", pageData{Title: "Тематики и сценарии", User: &u, Notice: notice, Error: msg, Data: v})
}

func (s *Server) adminCataloguePage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) {
		return
	}
	s.renderAdminCatalogue(w, r, u, http.StatusOK, adminCatalogueView{Form: adminTopicForm{Number: "0"}}, "")
}

// parseAdminTopic reads the topic's form (code and type only for a new topic).
func parseAdminTopic(f url.Values, isNew bool, t *hotline.Topic) (adminTopicForm, adminErrors) {
	errs := adminErrors{}
	in := adminTopicForm{
		Number:   strings.TrimSpace(f.Get("number")),
		Title:    adminText(f, "title", hotline.MaxNameLen, true, errs, "Название"),
		Keywords: adminText(f, "keywords", hotline.MaxCommentLen, false, errs, "Ключевые слова"),
	}
	n := adminNumber(f, "number", 0, 9999, errs, "Номер для телефона: целое число от 0 до 9999 (0 — без номера).")
	if isNew {
		in.Code = adminText(f, "code", hotline.MaxShortLen, true, errs, "Код")
		in.Type = f.Get("type")
		// Stricter than the domain (no spaces or commas): the code is a segment of the topic's
		// address on these pages, and what operators read in the scripts.
		if errs["code"] == "" && !adminValidCode(in.Code) {
			errs["code"] = "Код: латинские буквы, цифры, дефис, точка и подчёркивание, без пробелов, не из одних точек, например policy-replace."
		}
		if !hotline.CaseType(in.Type).Valid() {
			errs["type"] = "Выберите вид обращения."
		}
	}
	if len(errs) > 0 {
		return in, errs
	}
	if isNew {
		t.Code, t.Type = in.Code, hotline.CaseType(in.Type)
	}
	t.Number, t.Title, t.Keywords = n, in.Title, strings.Fields(in.Keywords)
	return in, nil
}

// adminTopicRefusal places the journal's refusal of a topic next to its field.
func (s *Server) adminTopicRefusal(r *http.Request, err error, errs adminErrors) (int, string) {
	code, msg := adminRuleOf(err)
	switch {
	case code == hotline.ECONFLICT && strings.HasPrefix(msg, "handset number"):
		errs["number"] = "Этот номер уже назначен другой тематике."
		return http.StatusConflict, "Тематика не сохранена: исправьте отмеченные поля."
	case code == hotline.ECONFLICT && strings.HasSuffix(msg, "already exists"):
		errs["code"] = "Тематика с таким кодом уже есть."
		return http.StatusConflict, "Тематика не сохранена: исправьте отмеченные поля."
	}
	return s.failure(r, "change topic", err)
}

func (s *Server) adminAddTopic(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) || !s.readPostForm(w, r, maxAdminForm) {
		return
	}
	var t hotline.Topic
	in, errs := parseAdminTopic(r.PostForm, true, &t)
	v := adminCatalogueView{Form: in, Errors: errs}
	if errs != nil {
		s.renderAdminCatalogue(w, r, u, http.StatusUnprocessableEntity, v, "Тематика не добавлена: исправьте отмеченные поля.")
		return
	}
	if err := s.Journal.AddTopic(r.Context(), u.Actor(), t); err != nil {
		v.Errors = adminErrors{}
		status, msg := s.adminTopicRefusal(r, err, v.Errors)
		s.renderAdminCatalogue(w, r, u, status, v, msg)
		return
	}
	s.log().Info("web: topic added", "by", u.Login, "code", t.Code)
	http.Redirect(w, r, "/admin/catalogue?done=topic", http.StatusSeeOther)
}

type adminTopicView struct {
	Topic    hotline.Topic
	TypeName string
	Form     adminTopicForm
	Errors   adminErrors
	Scripts  []hotline.Script
	History  []adminHistoryLine
}

func (s *Server) adminLoadTopic(w http.ResponseWriter, r *http.Request) (adminTopicView, bool) {
	if !s.adminNeedsJournal(w, r) {
		return adminTopicView{}, false
	}
	code := r.PathValue("code")
	t, err := s.Journal.Topic(r.Context(), code)
	var v adminTopicView
	if err == nil {
		v = adminTopicView{Topic: t, TypeName: caseTypeText(t.Type), Form: adminTopicForm{Code: t.Code, Type: string(t.Type),
			Number: strconv.Itoa(t.Number), Title: t.Title, Keywords: strings.Join(t.Keywords, " ")}}
		if v.Scripts, err = s.Journal.Scripts(r.Context(), code); err == nil {
			var evs []journal.Event
			if evs, err = s.Journal.History(r.Context(), journal.HistoryFilter{Entity: "topic", EntityID: code}); err == nil {
				v.History = adminHistory(evs)
			}
		}
	}
	if err != nil {
		status, msg := s.failure(r, "read topic", err)
		if status == http.StatusNotFound {
			msg = "Тематика не найдена."
		}
		s.errorPage(w, r, status, msg)
		return v, false
	}
	return v, true
}

func (s *Server) adminTopicPage(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.adminLoadTopic(w, r)
	if !ok {
		return
	}
	notice, _ := adminNotices(r)
	s.render(w, r, http.StatusOK, "admin_topic", pageData{Title: "Тематика: " + v.Topic.Title, User: &u, Notice: notice, Data: v})
}

func (s *Server) adminUpdateTopic(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.adminLoadTopic(w, r)
	if !ok || !s.readPostForm(w, r, maxAdminForm) {
		return
	}
	var changed hotline.Topic
	in, errs := parseAdminTopic(r.PostForm, false, &changed)
	in.Code, in.Type = v.Topic.Code, string(v.Topic.Type)
	v.Form, v.Errors = in, errs
	page := pageData{Title: "Тематика: " + v.Topic.Title, User: &u, Data: &v}
	if errs != nil {
		page.Error = "Тематика не сохранена: исправьте отмеченные поля."
		s.render(w, r, http.StatusUnprocessableEntity, "admin_topic", page)
		return
	}
	_, err := s.Journal.UpdateTopic(r.Context(), u.Actor(), v.Topic.Code, func(t *hotline.Topic) error {
		t.Number, t.Title, t.Keywords = changed.Number, changed.Title, changed.Keywords
		return nil
	})
	if err != nil {
		v.Errors = adminErrors{}
		var status int
		status, page.Error = s.adminTopicRefusal(r, err, v.Errors)
		s.render(w, r, status, "admin_topic", page)
		return
	}
	s.log().Info("web: topic changed", "by", u.Login, "code", v.Topic.Code)
	http.Redirect(w, r, "/admin/catalogue/topics/"+url.PathEscape(v.Topic.Code)+"?done=topic", http.StatusSeeOther)
}

// ---- Scripts ----

type adminScriptForm struct {
	Topic, Title, Text string
	Recommended        map[int64]bool
}

type adminScriptView struct {
	ID          int64 // 0: a new script
	Form        adminScriptForm
	Errors      adminErrors
	Topics      []hotline.Topic
	Specialists []hotline.Operator // active level-2 specialists, the recommended first in their order
	History     []adminHistoryLine
}

// adminScriptChoices fills the view's lists: the topics and the level-2 specialists, those recommended
// first in order of preference (the form keeps that order).
func (s *Server) adminScriptChoices(r *http.Request, v *adminScriptView, order []int64) error {
	var err error
	if v.Topics, err = s.Journal.Topics(r.Context(), "", ""); err != nil {
		return err
	}
	l2, err := s.Journal.Operators(r.Context(), journal.OperatorFilter{Level: hotline.Level2})
	if err != nil {
		return err
	}
	rank := func(id int64) int {
		if i := slices.Index(order, id); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(l2, func(a, b hotline.Operator) int { return rank(a.ID) - rank(b.ID) })
	v.Specialists = l2
	return nil
}

func (s *Server) renderAdminScript(w http.ResponseWriter, r *http.Request, u User, status int, v adminScriptView, order []int64, msg string) {
	if err := s.adminScriptChoices(r, &v, order); err != nil {
		st, m := s.failure(r, "read catalogue", err)
		s.errorPage(w, r, st, m)
		return
	}
	title := "Новый сценарий"
	if v.ID != 0 {
		title = "Сценарий: " + v.Form.Title
	}
	notice, _ := adminNotices(r)
	s.render(w, r, status, "admin_script", pageData{Title: title, User: &u, Notice: notice, Error: msg, Data: v})
}

func (s *Server) adminNewScriptPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) {
		return
	}
	v := adminScriptView{Form: adminScriptForm{Topic: r.URL.Query().Get("topic"), Recommended: map[int64]bool{}}}
	s.renderAdminScript(w, r, u, http.StatusOK, v, nil, "")
}

// parseAdminScript reads the script's form; order is the recommended specialists as sent.
func parseAdminScript(f url.Values, sc *hotline.Script) (adminScriptForm, []int64, adminErrors) {
	errs := adminErrors{}
	in := adminScriptForm{
		Topic:       strings.TrimSpace(f.Get("topic")),
		Title:       adminText(f, "title", hotline.MaxNameLen, true, errs, "Заголовок"),
		Recommended: map[int64]bool{},
	}
	in.Text = strings.TrimSpace(strings.ReplaceAll(f.Get("text"), "\r\n", "\n"))
	switch {
	case in.Text == "":
		errs["text"] = "Заполните поле «Текст ответа»."
	case len([]rune(in.Text)) > hotline.MaxScriptLen:
		errs["text"] = fmt.Sprintf("Текст ответа: слишком длинно, не более %d символов.", hotline.MaxScriptLen)
	}
	if in.Topic == "" {
		errs["topic"] = "Выберите тематику."
	}
	var order []int64
	for _, v := range f["recommended"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			errs["recommended"] = "Выберите специалистов из списка."
			continue
		}
		if !in.Recommended[id] {
			in.Recommended[id] = true
			order = append(order, id)
		}
	}
	if len(errs) > 0 {
		return in, order, errs
	}
	sc.Topic, sc.Title, sc.Text, sc.Recommended = in.Topic, in.Title, in.Text, order
	return in, order, nil
}

// adminScriptRefusal places the journal's refusal of a script next to its field.
func (s *Server) adminScriptRefusal(r *http.Request, err error, errs adminErrors) (int, string) {
	code, msg := adminRuleOf(err)
	switch {
	case code == hotline.ENOTFOUND && strings.HasPrefix(msg, "unknown topic"):
		errs["topic"] = "Такой тематики нет: выберите из списка."
	case code == hotline.ENOTFOUND && strings.HasPrefix(msg, "no operator"),
		code == hotline.EINVALID && strings.Contains(msg, "level-2 specialist"):
		errs["recommended"] = "Рекомендовать можно только действующих специалистов 2-го уровня."
	default:
		return s.failure(r, "change script", err)
	}
	return http.StatusUnprocessableEntity, "Сценарий не сохранён: исправьте отмеченные поля."
}

func (s *Server) adminAddScript(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) || !s.readPostForm(w, r, maxAdminForm) {
		return
	}
	var sc hotline.Script
	in, order, errs := parseAdminScript(r.PostForm, &sc)
	v := adminScriptView{Form: in, Errors: errs}
	if errs != nil {
		s.renderAdminScript(w, r, u, http.StatusUnprocessableEntity, v, order, "Сценарий не сохранён: исправьте отмеченные поля.")
		return
	}
	if err := s.Journal.AddScript(r.Context(), u.Actor(), &sc); err != nil {
		v.Errors = adminErrors{}
		status, msg := s.adminScriptRefusal(r, err, v.Errors)
		s.renderAdminScript(w, r, u, status, v, order, msg)
		return
	}
	s.log().Info("web: script added", "by", u.Login, "id", sc.ID)
	http.Redirect(w, r, fmt.Sprintf("/admin/catalogue/scripts/%d?done=script", sc.ID), http.StatusSeeOther)
}

func (s *Server) adminLoadScript(w http.ResponseWriter, r *http.Request) (adminScriptView, []int64, bool) {
	id, ok := s.adminPathID(w, r)
	if !ok || !s.adminNeedsJournal(w, r) {
		return adminScriptView{}, nil, false
	}
	sc, err := s.Journal.Script(r.Context(), id)
	var v adminScriptView
	if err == nil {
		v = adminScriptView{ID: id, Form: adminScriptForm{Topic: sc.Topic, Title: sc.Title, Text: sc.Text, Recommended: map[int64]bool{}}}
		for _, o := range sc.Recommended {
			v.Form.Recommended[o] = true
		}
		var evs []journal.Event
		if evs, err = s.Journal.History(r.Context(), journal.HistoryFilter{Entity: "script", EntityID: strconv.FormatInt(id, 10)}); err == nil {
			v.History = adminHistory(evs)
		}
	}
	if err != nil {
		status, msg := s.failure(r, "read script", err)
		if status == http.StatusNotFound {
			msg = "Сценарий не найден."
		}
		s.errorPage(w, r, status, msg)
		return v, nil, false
	}
	return v, sc.Recommended, true
}

func (s *Server) adminScriptPage(w http.ResponseWriter, r *http.Request, u User) {
	v, order, ok := s.adminLoadScript(w, r)
	if !ok {
		return
	}
	s.renderAdminScript(w, r, u, http.StatusOK, v, order, "")
}

func (s *Server) adminUpdateScript(w http.ResponseWriter, r *http.Request, u User) {
	v, _, ok := s.adminLoadScript(w, r)
	if !ok || !s.readPostForm(w, r, maxAdminForm) {
		return
	}
	var changed hotline.Script
	in, order, errs := parseAdminScript(r.PostForm, &changed)
	v.Form, v.Errors = in, errs
	if errs != nil {
		s.renderAdminScript(w, r, u, http.StatusUnprocessableEntity, v, order, "Сценарий не сохранён: исправьте отмеченные поля.")
		return
	}
	_, err := s.Journal.UpdateScript(r.Context(), u.Actor(), v.ID, func(sc *hotline.Script) error {
		sc.Topic, sc.Title, sc.Text, sc.Recommended = changed.Topic, changed.Title, changed.Text, changed.Recommended
		return nil
	})
	if err != nil {
		v.Errors = adminErrors{}
		status, msg := s.adminScriptRefusal(r, err, v.Errors)
		s.renderAdminScript(w, r, u, status, v, order, msg)
		return
	}
	s.log().Info("web: script changed", "by", u.Login, "id", v.ID)
	http.Redirect(w, r, fmt.Sprintf("/admin/catalogue/scripts/%d?done=script", v.ID), http.StatusSeeOther)
}

func adminValidCode(s string) bool {
	// "." and ".." are dot segments: a browser resolves them out of the topic's address.
	if strings.Trim(s, ".") == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}
