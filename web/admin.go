package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The administrator: operators, topics, scripts, the board's figures and the report's chart
// (admin_report.go). Everything goes through the journal's methods and rules, as the CLI's
// `hotline operator|topic|script` do; the page adds only messages next to the fields.
func (s *Server) adminRoutes() []Route {
	return []Route{
		{Pattern: "GET /admin/operators", Allow: Administrator, Title: "Операторы", handle: s.adminOperatorsPage},
		{Pattern: "GET /admin/operators/new", Allow: Administrator, Title: "Операторы: новый", handle: s.adminNewOperatorPage},
		{Pattern: "POST /admin/operators/new", Allow: Administrator, Title: "Операторы: добавить", handle: s.adminAddOperator},
		{Pattern: "GET /admin/operators/{id}", Allow: Administrator, Title: "Операторы: карточка", handle: s.adminOperatorPage},
		{Pattern: "POST /admin/operators/{id}", Allow: Administrator, Title: "Операторы: изменить", handle: s.adminUpdateOperator},
		{Pattern: "POST /admin/operators/{id}/password", Allow: Administrator, Title: "Операторы: новый пароль", handle: s.adminResetPassword},
		{Pattern: "POST /admin/operators/{id}/disable", Allow: Administrator, Title: "Операторы: вывести из работы", handle: s.adminDisableOperator},
		{Pattern: "POST /admin/operators/{id}/enable", Allow: Administrator, Title: "Операторы: вернуть в работу", handle: s.adminEnableOperator},
		{Pattern: "GET /admin/catalogue", Allow: Administrator, Title: "Тематики и сценарии", handle: s.adminCataloguePage},
		{Pattern: "POST /admin/catalogue/topics", Allow: Administrator, Title: "Тематики: добавить", handle: s.adminAddTopic},
		{Pattern: "GET /admin/catalogue/topics/{code}", Allow: Administrator, Title: "Тематики: карточка", handle: s.adminTopicPage},
		{Pattern: "POST /admin/catalogue/topics/{code}", Allow: Administrator, Title: "Тематики: изменить", handle: s.adminUpdateTopic},
		{Pattern: "GET /admin/catalogue/scripts/new", Allow: Administrator, Title: "Сценарии: новый", handle: s.adminNewScriptPage},
		{Pattern: "POST /admin/catalogue/scripts", Allow: Administrator, Title: "Сценарии: добавить", handle: s.adminAddScript},
		{Pattern: "GET /admin/catalogue/scripts/{id}", Allow: Administrator, Title: "Сценарии: карточка", handle: s.adminScriptPage},
		{Pattern: "POST /admin/catalogue/scripts/{id}", Allow: Administrator, Title: "Сценарии: изменить", handle: s.adminUpdateScript},
		{Pattern: "GET /admin/report", Allow: Administrator, Title: "Табло и отчёт", handle: s.adminReportPage},
	}
}

// maxAdminForm bounds an administrator's form as sent: a script's text (hotline.MaxScriptLen
// characters of up to four bytes, each byte URL-encoded as three) and the rest.
const maxAdminForm = 12*hotline.MaxScriptLen + 16<<10

// adminErrors are the messages shown next to a form's fields, by field name.
type adminErrors map[string]string

// readPostForm parses a POST form within limit; false: the page was answered (400).
func (s *Server) readPostForm(w http.ResponseWriter, r *http.Request, limit int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Форма не прочитана: слишком длинная или повреждённая.")
		return false
	}
	return true
}

// adminNeedsJournal answers 503 when the server has no journal; false: the page was answered.
func (s *Server) adminNeedsJournal(w http.ResponseWriter, r *http.Request) bool {
	return s.journalOr503(w, r)
}

// adminText is a form's text field trimmed; it reports a message when it is required and empty,
// longer than max characters or not text.
func adminText(f url.Values, name string, max int, required bool, errs adminErrors, what string) string {
	v := strings.TrimSpace(f.Get(name))
	switch {
	case !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl):
		errs[name] = what + ": недопустимые символы (в том числе переводы строк и управляющие)."
	case v == "" && required:
		errs[name] = "Заполните поле «" + what + "»."
	case utf8.RuneCountInString(v) > max:
		errs[name] = fmt.Sprintf("%s: слишком длинно, не более %d символов.", what, max)
	}
	return v
}

// adminNumber is a form's whole number in [lo, hi]; empty is 0.
func adminNumber(f url.Values, name string, lo, hi int, errs adminErrors, msg string) int {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		errs[name] = msg
		return 0
	}
	return n
}

// adminRuleOf is a journal refusal's own message (English, as the rules are written), or "".
func adminRuleOf(err error) (string, string) {
	var he *hotline.Error
	if errors.As(err, &he) {
		return he.Code, he.Message
	}
	return "", ""
}

// adminPathID is the {id} of the request's path; false: the page was answered with 404.
func (s *Server) adminPathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Страница не найдена.")
		return 0, false
	}
	return id, true
}

// adminReload tells the call flow that operators changed. The journal's change stays when it fails:
// the message says so, and that it applies at the daemon's next start.
func (s *Server) adminReload(r *http.Request, u User) bool {
	if s.Calls == nil {
		return false
	}
	if err := s.Calls.ReloadOperators(r.Context(), u.Actor()); err != nil {
		s.log().Warn("web: reload operators", "login", u.Login, "err", err)
		return false
	}
	return true
}

// adminDone are the notices an administrator's change redirects to (PRG): fixed texts by code, so
// nothing the user typed is echoed from a URL.
var adminDone = map[string]string{
	"created":  "Оператор добавлен.",
	"saved":    "Изменения сохранены.",
	"disabled": "Оператор выведен из работы; его сеансы завершены.",
	"enabled":  "Оператор возвращён в работу.",
	"password": "Пароль изменён; прежние сеансы оператора завершены. Сообщите пароль оператору лично.",
	"topic":    "Тематика сохранена.",
	"script":   "Сценарий сохранён.",
}

// adminNotReloaded is the warning after a change to operators that the call flow did not take.
const adminNotReloaded = "Изменение сохранено в журнале, но коммутатор не перечитал список операторов: " +
	"оно вступит в силу после перезапуска службы или повторного сохранения."

func (s *Server) adminRedirect(w http.ResponseWriter, r *http.Request, path, code string, reloaded bool) {
	q := url.Values{"done": {code}}
	if !reloaded {
		q.Set("reload", "failed")
	}
	http.Redirect(w, r, path+"?"+q.Encode(), http.StatusSeeOther)
}

// adminNotices reads adminRedirect's query.
func adminNotices(r *http.Request) (notice, warning string) {
	notice = adminDone[r.URL.Query().Get("done")]
	if notice != "" && r.URL.Query().Get("reload") == "failed" {
		warning = adminNotReloaded
	}
	return notice, warning
}

// ---- Operators ----

// adminOperatorLine is one line of the operators' list.
type adminOperatorLine struct {
	hotline.Operator
	HasPassword bool
}

type adminOperatorsView struct {
	Operators []adminOperatorLine
}

func (s *Server) adminOperatorsPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) {
		return
	}
	ops, err := s.Journal.Operators(r.Context(), journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		status, msg := s.failure(r, "list operators", err)
		s.errorPage(w, r, status, msg)
		return
	}
	v := adminOperatorsView{}
	for _, o := range ops {
		has, err := s.Journal.HasPassword(r.Context(), o.ID)
		if err != nil {
			status, msg := s.failure(r, "list operators", err)
			s.errorPage(w, r, status, msg)
			return
		}
		v.Operators = append(v.Operators, adminOperatorLine{Operator: o, HasPassword: has})
	}
	notice, warning := adminNotices(r)
	s.render(w, r, http.StatusOK, "admin_operators", pageData{Title: "Операторы", User: &u, Notice: notice, Error: warning, Data: v})
}

// adminOperatorForm is the operator's form as typed: kept on a refusal.
type adminOperatorForm struct {
	Name, Login, Role, Level, Organisation, Extension, Languages, MaxConcurrent, Priority string
	Topics                                                                                map[string]bool
}

func adminFormOf(o hotline.Operator) adminOperatorForm {
	f := adminOperatorForm{Name: o.Name, Login: o.Login, Role: string(o.Role), Level: strconv.Itoa(int(o.Level)),
		Organisation: o.Organisation, Extension: o.Extension, Languages: strings.Join(o.Languages, ", "),
		MaxConcurrent: strconv.Itoa(o.MaxConcurrent), Priority: strconv.Itoa(o.Priority), Topics: map[string]bool{}}
	for _, t := range o.Topics {
		f.Topics[t] = true
	}
	return f
}

// adminOperatorView is the operator's page: the form (new or edit), and for an existing operator the
// password form, removal from service and the history.
type adminOperatorView struct {
	ID          int64 // 0: a new operator
	Active      bool
	HasPassword bool
	Form        adminOperatorForm
	Errors      adminErrors
	PwErrors    adminErrors
	Topics      []hotline.Topic
	History     []adminHistoryLine
}

// Limits of the operator's form that the domain leaves open.
const (
	adminMaxConcurrent = 100   // cases in work at once: more is a typo
	adminMaxPriority   = 10000 // routing tiers
	adminMaxLanguages  = 10
)

func adminValidLogin(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '@':
		default:
			return false
		}
	}
	return true
}

func adminValidLanguage(s string) bool {
	if len(s) < 2 || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}

// parseAdminOperator reads the operator's form into the form as typed and, when it has no errors,
// onto o.
func parseAdminOperator(f url.Values, known []hotline.Topic, o *hotline.Operator) (adminOperatorForm, adminErrors) {
	errs := adminErrors{}
	in := adminOperatorForm{
		Name:          adminText(f, "name", hotline.MaxNameLen, true, errs, "ФИО"),
		Login:         adminText(f, "login", hotline.MaxShortLen, false, errs, "Логин"),
		Role:          f.Get("role"),
		Level:         f.Get("level"),
		Organisation:  adminText(f, "organisation", hotline.MaxNameLen, false, errs, "Организация"),
		Extension:     adminText(f, "extension", hotline.MaxShortLen, false, errs, "Внутренний номер"),
		Languages:     adminText(f, "languages", hotline.MaxNameLen, false, errs, "Языки"),
		MaxConcurrent: strings.TrimSpace(f.Get("max_concurrent")),
		Priority:      strings.TrimSpace(f.Get("priority")),
		Topics:        map[string]bool{},
	}
	if errs["login"] == "" && !adminValidLogin(in.Login) {
		errs["login"] = "Логин: только латинские буквы, цифры и знаки . _ - @, без пробелов."
	}
	if errs["extension"] == "" && in.Extension != "" && !hotline.ValidPhoneNumber(in.Extension) {
		errs["extension"] = "Внутренний номер: от 2 до 20 цифр."
	}
	role := hotline.Role(in.Role)
	if role != hotline.RoleOperator && role != hotline.RoleAdministrator {
		errs["role"] = "Выберите роль."
	}
	level := map[string]hotline.Level{"1": hotline.Level1, "2": hotline.Level2}[in.Level]
	if level == 0 {
		errs["level"] = "Выберите уровень: 1 или 2."
	}
	maxc := adminNumber(f, "max_concurrent", 0, adminMaxConcurrent, errs,
		fmt.Sprintf("Лимит: целое число от 0 до %d (0 — без ограничения).", adminMaxConcurrent))
	prio := adminNumber(f, "priority", 0, adminMaxPriority, errs,
		fmt.Sprintf("Приоритет: целое число от 0 до %d (меньше — раньше получает звонки).", adminMaxPriority))
	var topics []string
	for _, c := range f["topic"] {
		if !slices.ContainsFunc(known, func(t hotline.Topic) bool { return t.Code == c }) {
			errs["topic"] = "Выберите тематики из списка."
			continue
		}
		if !in.Topics[c] {
			in.Topics[c] = true
			topics = append(topics, c)
		}
	}
	var langs []string
	if errs["languages"] == "" {
		langs = strings.FieldsFunc(in.Languages, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
		for _, l := range langs {
			if !adminValidLanguage(l) {
				errs["languages"] = "Языки: коды через запятую, например ru, en."
			}
		}
		if len(langs) > adminMaxLanguages {
			errs["languages"] = fmt.Sprintf("Языки: не более %d.", adminMaxLanguages)
		}
	}
	if len(errs) > 0 {
		return in, errs
	}
	o.Name, o.Login, o.Role, o.Level, o.Organisation, o.Extension = in.Name, in.Login, role, level, in.Organisation, in.Extension
	o.Topics, o.Languages, o.MaxConcurrent, o.Priority = topics, langs, maxc, prio
	return in, nil
}

// adminOperatorRefusal places a journal refusal of an operator's change: next to the field it is
// about (a login or an extension already used), or at the top of the form.
func (s *Server) adminOperatorRefusal(r *http.Request, err error, errs adminErrors) (int, string) {
	code, msg := adminRuleOf(err)
	switch {
	case code == hotline.ECONFLICT && strings.HasPrefix(msg, "login "):
		errs["login"] = "Этот логин уже занят другим оператором."
		return http.StatusConflict, "Данные не сохранены: исправьте отмеченные поля."
	case code == hotline.ECONFLICT && strings.HasPrefix(msg, "extension "):
		errs["extension"] = "Этот внутренний номер уже занят другим действующим оператором."
		return http.StatusConflict, "Данные не сохранены: исправьте отмеченные поля."
	case code == hotline.ECONFLICT && strings.Contains(msg, "last administrator"):
		return http.StatusConflict, "Нельзя лишить прав или вывести из работы последнего администратора: сначала назначьте другого администратора. (" + msg + ")"
	}
	return s.failure(r, "change operator", err)
}

func (s *Server) renderAdminOperator(w http.ResponseWriter, r *http.Request, u User, status int, v adminOperatorView, msg string) {
	title := "Новый оператор"
	if v.ID != 0 {
		title = "Оператор: " + v.Form.Name
	}
	if v.Topics == nil {
		v.Topics, _ = s.Journal.Topics(r.Context(), "", "")
	}
	notice, warning := adminNotices(r)
	if msg == "" {
		msg = warning
	}
	s.render(w, r, status, "admin_operator", pageData{Title: title, User: &u, Error: msg, Notice: notice, Data: v})
}

func (s *Server) adminNewOperatorPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) {
		return
	}
	v := adminOperatorView{Form: adminOperatorForm{Role: string(hotline.RoleOperator), Level: "1", MaxConcurrent: "0", Priority: "0", Topics: map[string]bool{}}}
	s.renderAdminOperator(w, r, u, http.StatusOK, v, "")
}

func (s *Server) adminAddOperator(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) || !s.readPostForm(w, r, maxAdminForm) {
		return
	}
	known, err := s.Journal.Topics(r.Context(), "", "")
	if err != nil {
		status, msg := s.failure(r, "list topics", err)
		s.errorPage(w, r, status, msg)
		return
	}
	var o hotline.Operator
	in, errs := parseAdminOperator(r.PostForm, known, &o)
	v := adminOperatorView{Form: in, Errors: errs, Topics: known}
	if errs != nil {
		s.renderAdminOperator(w, r, u, http.StatusUnprocessableEntity, v, "Данные не сохранены: исправьте отмеченные поля.")
		return
	}
	if err := s.Journal.AddOperator(r.Context(), u.Actor(), &o); err != nil {
		v.Errors = adminErrors{}
		status, msg := s.adminOperatorRefusal(r, err, v.Errors)
		s.renderAdminOperator(w, r, u, status, v, msg)
		return
	}
	s.log().Info("web: operator added", "by", u.Login, "id", o.ID)
	s.adminRedirect(w, r, fmt.Sprintf("/admin/operators/%d", o.ID), "created", s.adminReload(r, u))
}

// adminLoadOperator is the operator's page for an existing operator, as stored.
func (s *Server) adminLoadOperator(w http.ResponseWriter, r *http.Request) (adminOperatorView, bool) {
	id, ok := s.adminPathID(w, r)
	if !ok || !s.adminNeedsJournal(w, r) {
		return adminOperatorView{}, false
	}
	o, err := s.Journal.Operator(r.Context(), id)
	if err == nil {
		var v adminOperatorView
		v.ID, v.Active, v.Form = o.ID, o.Active, adminFormOf(o)
		if v.HasPassword, err = s.Journal.HasPassword(r.Context(), id); err == nil {
			var evs []journal.Event
			if evs, err = s.Journal.History(r.Context(), journal.HistoryFilter{Entity: "operator", EntityID: strconv.FormatInt(id, 10)}); err == nil {
				v.History = adminHistory(evs)
			}
		}
		if err == nil {
			return v, true
		}
	}
	status, msg := s.failure(r, "read operator", err)
	if status == http.StatusNotFound {
		msg = "Оператор не найден."
	}
	s.errorPage(w, r, status, msg)
	return adminOperatorView{}, false
}

func (s *Server) adminOperatorPage(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.adminLoadOperator(w, r)
	if !ok {
		return
	}
	s.renderAdminOperator(w, r, u, http.StatusOK, v, "")
}

func (s *Server) adminUpdateOperator(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.adminLoadOperator(w, r)
	if !ok || !s.readPostForm(w, r, maxAdminForm) {
		return
	}
	known, err := s.Journal.Topics(r.Context(), "", "")
	if err != nil {
		status, msg := s.failure(r, "list topics", err)
		s.errorPage(w, r, status, msg)
		return
	}
	v.Topics = known
	var changed hotline.Operator
	in, errs := parseAdminOperator(r.PostForm, known, &changed)
	v.Form, v.Errors = in, errs
	if errs != nil {
		s.renderAdminOperator(w, r, u, http.StatusUnprocessableEntity, v, "Данные не сохранены: исправьте отмеченные поля.")
		return
	}
	_, err = s.Journal.UpdateOperator(r.Context(), u.Actor(), v.ID, func(o *hotline.Operator) error {
		o.Name, o.Login, o.Role, o.Level, o.Organisation, o.Extension = changed.Name, changed.Login, changed.Role, changed.Level, changed.Organisation, changed.Extension
		o.Topics, o.Languages, o.MaxConcurrent, o.Priority = changed.Topics, changed.Languages, changed.MaxConcurrent, changed.Priority
		return nil
	})
	if err != nil {
		v.Errors = adminErrors{}
		status, msg := s.adminOperatorRefusal(r, err, v.Errors)
		s.renderAdminOperator(w, r, u, status, v, msg)
		return
	}
	s.log().Info("web: operator changed", "by", u.Login, "id", v.ID)
	s.adminRedirect(w, r, fmt.Sprintf("/admin/operators/%d", v.ID), "saved", s.adminReload(r, u))
}

func (s *Server) adminSetActive(w http.ResponseWriter, r *http.Request, u User, active bool) {
	v, ok := s.adminLoadOperator(w, r)
	if !ok {
		return
	}
	var err error
	if active {
		_, err = s.Journal.UpdateOperator(r.Context(), u.Actor(), v.ID, func(o *hotline.Operator) error {
			if o.Active {
				return hotline.Errorf(hotline.ECONFLICT, "operator %d is already in service", o.ID)
			}
			o.Active = true
			return nil
		})
	} else {
		err = s.Journal.RemoveOperator(r.Context(), u.Actor(), v.ID)
	}
	if err != nil {
		status, msg := s.adminOperatorRefusal(r, err, adminErrors{})
		if code, m := adminRuleOf(err); code == hotline.ECONFLICT && strings.HasPrefix(m, "extension ") {
			msg = "Оператор не возвращён в работу: его внутренний номер уже занят другим действующим оператором. Измените номер и повторите."
		}
		s.renderAdminOperator(w, r, u, status, v, msg)
		return
	}
	code := "disabled"
	if active {
		code = "enabled"
	}
	s.log().Info("web: operator "+code, "by", u.Login, "id", v.ID)
	s.adminRedirect(w, r, fmt.Sprintf("/admin/operators/%d", v.ID), code, s.adminReload(r, u))
}

func (s *Server) adminDisableOperator(w http.ResponseWriter, r *http.Request, u User) {
	s.adminSetActive(w, r, u, false)
}
func (s *Server) adminEnableOperator(w http.ResponseWriter, r *http.Request, u User) {
	s.adminSetActive(w, r, u, true)
}

// adminResetPassword sets the password the administrator typed twice (hotline.ValidatePassword is the
// policy). The password is never logged, echoed or kept in the form.
func (s *Server) adminResetPassword(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.adminLoadOperator(w, r)
	if !ok || !s.readPostForm(w, r, maxAdminForm) {
		return
	}
	pw, again := r.PostForm.Get("password"), r.PostForm.Get("password2")
	v.PwErrors = adminErrors{}
	switch {
	case pw == "":
		v.PwErrors["password"] = "Введите новый пароль."
	case len(pw) > hotline.MaxPasswordBytes:
		v.PwErrors["password"] = "Пароль слишком длинный."
	case pw != again:
		v.PwErrors["password2"] = "Пароли не совпадают."
	}
	if len(v.PwErrors) == 0 {
		err := s.Journal.SetPassword(r.Context(), u.Actor(), v.ID, pw)
		if err == nil {
			s.log().Info("web: password set", "by", u.Login, "id", v.ID)
			s.adminRedirect(w, r, fmt.Sprintf("/admin/operators/%d", v.ID), "password", true)
			return
		}
		code, msg := adminRuleOf(err)
		switch {
		case code == hotline.EINVALID && strings.Contains(msg, "too short"):
			v.PwErrors["password"] = fmt.Sprintf("Пароль слишком короткий: не менее %d символов.", hotline.MinPasswordLen)
		case code == hotline.EINVALID && strings.Contains(msg, "must not be the login"):
			v.PwErrors["password"] = "Пароль не должен совпадать с логином."
		case code == hotline.EINVALID && strings.Contains(msg, "no login"):
			v.PwErrors["password"] = "У оператора нет логина: сначала укажите логин."
		case code == hotline.ECONFLICT && strings.Contains(msg, "removed from service"):
			v.PwErrors["password"] = "Оператор выведен из работы: сначала верните его в работу."
		default:
			status, m := s.failure(r, "set password", err)
			s.renderAdminOperator(w, r, u, status, v, m)
			return
		}
	}
	s.renderAdminOperator(w, r, u, http.StatusUnprocessableEntity, v, "Пароль не изменён: исправьте отмеченные поля.")
}

// adminHistoryLine is one event of an operator's, a topic's or a script's history as the page
// shows it: the action and the fields in the page's words.
type adminHistoryLine struct {
	At      time.Time
	Actor   string
	Action  string
	Changes []journal.Change
}

var adminActionNames = map[string]string{
	"created":          "Создание",
	"updated":          "Изменение",
	"password_set":     "Задан пароль",
	"sessions_revoked": "Сеансы завершены",
}

var adminFieldNames = map[string]string{
	"name": "ФИО", "login": "Логин", "role": "Роль", "level": "Уровень", "organisation": "Организация",
	"extension": "Внутренний номер", "topics": "Тематики", "languages": "Языки", "max_concurrent": "Лимит",
	"priority": "Приоритет", "active": "Активен", "code": "Код", "number": "Номер", "type": "Вид обращения",
	"title": "Название", "keywords": "Ключевые слова", "topic": "Тематика", "text": "Текст ответа",
	"recommended": "Рекомендуемые специалисты",
}

func adminHistory(evs []journal.Event) []adminHistoryLine {
	out := make([]adminHistoryLine, len(evs))
	for i, e := range evs {
		l := adminHistoryLine{At: e.At, Actor: e.Actor, Action: adminActionNames[e.Action]}
		if l.Action == "" {
			l.Action = e.Action
		}
		for _, c := range e.Changes {
			if n := adminFieldNames[c.Field]; n != "" {
				c.Field = n
			}
			l.Changes = append(l.Changes, c)
		}
		out[i] = l
	}
	return out
}
