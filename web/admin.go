package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The administrator: operators, topics, scripts, the board's figures and the report's chart
// (admin_report.go). Everything goes through the journal's methods and rules, as the CLI's
// `hotline operator|topic|script` do; the page adds only messages next to the fields.
func (s *Server) adminRoutes() []Route {
	return []Route{
		{Pattern: "GET /admin/operators", Allow: Administrator, Title: "Операторы", handle: s.operatorsPage},
		{Pattern: "GET /admin/operators/new", Allow: Administrator, Title: "Операторы: новый", handle: s.newOperatorPage},
		{Pattern: "POST /admin/operators/new", Allow: Administrator, Title: "Операторы: добавить", handle: s.addOperator},
		{Pattern: "GET /admin/operators/{id}", Allow: Administrator, Title: "Операторы: карточка", handle: s.operatorPage},
		{Pattern: "POST /admin/operators/{id}", Allow: Administrator, Title: "Операторы: изменить", handle: s.updateOperator},
		{Pattern: "POST /admin/operators/{id}/password", Allow: Administrator, Title: "Операторы: новый пароль", handle: s.resetPassword},
		{Pattern: "POST /admin/operators/{id}/disable", Allow: Administrator, Title: "Операторы: вывести из работы", handle: s.disableOperator},
		{Pattern: "POST /admin/operators/{id}/enable", Allow: Administrator, Title: "Операторы: вернуть в работу", handle: s.enableOperator},
		{Pattern: "GET /admin/catalogue", Allow: Administrator, Title: "Тематики и сценарии", handle: s.cataloguePage},
		{Pattern: "POST /admin/catalogue/topics", Allow: Administrator, Title: "Тематики: добавить", handle: s.addTopic},
		{Pattern: "GET /admin/catalogue/topics/{code}", Allow: Administrator, Title: "Тематики: карточка", handle: s.topicPage},
		{Pattern: "POST /admin/catalogue/topics/{code}", Allow: Administrator, Title: "Тематики: изменить", handle: s.updateTopic},
		{Pattern: "GET /admin/catalogue/scripts/new", Allow: Administrator, Title: "Сценарии: новый", handle: s.newScriptPage},
		{Pattern: "POST /admin/catalogue/scripts", Allow: Administrator, Title: "Сценарии: добавить", handle: s.addScript},
		{Pattern: "GET /admin/catalogue/scripts/{id}", Allow: Administrator, Title: "Сценарии: карточка", handle: s.scriptPage},
		{Pattern: "POST /admin/catalogue/scripts/{id}", Allow: Administrator, Title: "Сценарии: изменить", handle: s.updateScript},
		{Pattern: "GET /admin/report", Allow: Administrator, Title: "Табло и отчёт", handle: s.reportPage},
	}
}

// maxAdminForm bounds an administrator's form as sent: a script's text (hotline.MaxScriptLen
// characters of up to four bytes, each byte URL-encoded as three) and the rest.
const maxAdminForm = 12*hotline.MaxScriptLen + 16<<10

// fieldErrors are the messages shown next to a form's fields, by field name.
type fieldErrors map[string]string

// readForm parses a POST form within limit; false: the page was answered.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, limit int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Форма не прочитана: слишком длинная или повреждённая.")
		return false
	}
	return true
}

// needJournal answers 503 when the server has no journal; false: the page was answered.
func (s *Server) needJournal(w http.ResponseWriter, r *http.Request) bool {
	if s.Journal == nil {
		s.errorPage(w, r, http.StatusServiceUnavailable, "Журнал недоступен.")
		return false
	}
	return true
}

// text is a form's text field trimmed; it reports a message when it is required and empty,
// longer than max characters or not text.
func text(f url.Values, name string, max int, required bool, errs fieldErrors, what string) string {
	v := strings.TrimSpace(f.Get(name))
	switch {
	case !utf8.ValidString(v):
		errs[name] = what + ": недопустимые символы."
	case v == "" && required:
		errs[name] = "Заполните поле «" + what + "»."
	case utf8.RuneCountInString(v) > max:
		errs[name] = fmt.Sprintf("%s: слишком длинно, не более %d символов.", what, max)
	}
	return v
}

// number is a form's whole number in [lo, hi]; empty is 0.
func number(f url.Values, name string, lo, hi int, errs fieldErrors, msg string) int {
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

// ruleMessage is a journal refusal's own message (English, as the rules are written), or "".
func ruleMessage(err error) (string, string) {
	var he *hotline.Error
	if errors.As(err, &he) {
		return he.Code, he.Message
	}
	return "", ""
}

// pathID is the {id} of the request's path; false: the page was answered with 404.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Страница не найдена.")
		return 0, false
	}
	return id, true
}

// reload tells the call flow that operators changed. The journal's change stays when it fails:
// the message says so, and that it applies at the daemon's next start.
func (s *Server) reload(r *http.Request, u User) bool {
	if s.Calls == nil {
		return false
	}
	if err := s.Calls.ReloadOperators(r.Context(), u.Actor()); err != nil {
		s.log().Warn("web: reload operators", "login", u.Login, "err", err)
		return false
	}
	return true
}

// done are the notices an administrator's change redirects to (PRG): fixed texts by code, so
// nothing the user typed is echoed from a URL.
var done = map[string]string{
	"created":  "Оператор добавлен.",
	"saved":    "Изменения сохранены.",
	"disabled": "Оператор выведен из работы; его сеансы завершены.",
	"enabled":  "Оператор возвращён в работу.",
	"password": "Пароль изменён; прежние сеансы оператора завершены. Сообщите пароль оператору лично.",
	"topic":    "Тематика сохранена.",
	"script":   "Сценарий сохранён.",
}

// notReloaded is the warning after a change to operators that the call flow did not take.
const notReloaded = "Изменение сохранено в журнале, но коммутатор не перечитал список операторов: " +
	"оно вступит в силу после перезапуска службы или повторного сохранения."

func (s *Server) doneRedirect(w http.ResponseWriter, r *http.Request, path, code string, reloaded bool) {
	q := url.Values{"done": {code}}
	if !reloaded {
		q.Set("reload", "failed")
	}
	http.Redirect(w, r, path+"?"+q.Encode(), http.StatusSeeOther)
}

// notices reads doneRedirect's query.
func notices(r *http.Request) (notice, warning string) {
	notice = done[r.URL.Query().Get("done")]
	if notice != "" && r.URL.Query().Get("reload") == "failed" {
		warning = notReloaded
	}
	return notice, warning
}

// ---- Operators ----

// operatorRow is one line of the operators' list.
type operatorLine struct {
	hotline.Operator
	HasPassword bool
}

type operatorsView struct {
	Operators []operatorLine
}

func (s *Server) operatorsPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.needJournal(w, r) {
		return
	}
	ops, err := s.Journal.Operators(r.Context(), journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		status, msg := s.failure(r, "list operators", err)
		s.errorPage(w, r, status, msg)
		return
	}
	v := operatorsView{}
	for _, o := range ops {
		has, err := s.Journal.HasPassword(r.Context(), o.ID)
		if err != nil {
			status, msg := s.failure(r, "list operators", err)
			s.errorPage(w, r, status, msg)
			return
		}
		v.Operators = append(v.Operators, operatorLine{Operator: o, HasPassword: has})
	}
	notice, warning := notices(r)
	s.render(w, r, http.StatusOK, "admin_operators", pageData{Title: "Операторы", User: &u, Notice: notice, Error: warning, Data: v})
}

// operatorForm is the operator's form as typed: kept on a refusal.
type operatorForm struct {
	Name, Login, Role, Level, Organisation, Extension, Languages, MaxConcurrent, Priority string
	Topics                                                                                map[string]bool
}

func formOf(o hotline.Operator) operatorForm {
	f := operatorForm{Name: o.Name, Login: o.Login, Role: string(o.Role), Level: strconv.Itoa(int(o.Level)),
		Organisation: o.Organisation, Extension: o.Extension, Languages: strings.Join(o.Languages, ", "),
		MaxConcurrent: strconv.Itoa(o.MaxConcurrent), Priority: strconv.Itoa(o.Priority), Topics: map[string]bool{}}
	for _, t := range o.Topics {
		f.Topics[t] = true
	}
	return f
}

// operatorView is the operator's page: the form (new or edit), and for an existing operator the
// password form, removal from service and the history.
type operatorView struct {
	ID          int64 // 0: a new operator
	Active      bool
	HasPassword bool
	Form        operatorForm
	Errors      fieldErrors
	PwErrors    fieldErrors
	Topics      []hotline.Topic
	History     []journal.Event
}

// Limits of the operator's form that the domain leaves open.
const (
	maxConcurrentLimit = 100   // cases in work at once: more is a typo
	maxPriority        = 10000 // routing tiers
	maxLanguages       = 10
)

func validLogin(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '@':
		default:
			return false
		}
	}
	return true
}

func validLanguage(s string) bool {
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

// parseOperator reads the operator's form into the form as typed and, when it has no errors,
// onto o.
func parseOperator(f url.Values, known []hotline.Topic, o *hotline.Operator) (operatorForm, fieldErrors) {
	errs := fieldErrors{}
	in := operatorForm{
		Name:          text(f, "name", hotline.MaxNameLen, true, errs, "ФИО"),
		Login:         text(f, "login", hotline.MaxShortLen, false, errs, "Логин"),
		Role:          f.Get("role"),
		Level:         f.Get("level"),
		Organisation:  text(f, "organisation", hotline.MaxNameLen, false, errs, "Организация"),
		Extension:     text(f, "extension", hotline.MaxShortLen, false, errs, "Внутренний номер"),
		Languages:     text(f, "languages", hotline.MaxNameLen, false, errs, "Языки"),
		MaxConcurrent: strings.TrimSpace(f.Get("max_concurrent")),
		Priority:      strings.TrimSpace(f.Get("priority")),
		Topics:        map[string]bool{},
	}
	if errs["login"] == "" && !validLogin(in.Login) {
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
	maxc := number(f, "max_concurrent", 0, maxConcurrentLimit, errs,
		fmt.Sprintf("Лимит: целое число от 0 до %d (0 — без ограничения).", maxConcurrentLimit))
	prio := number(f, "priority", 0, maxPriority, errs,
		fmt.Sprintf("Приоритет: целое число от 0 до %d (меньше — раньше получает звонки).", maxPriority))
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
			if !validLanguage(l) {
				errs["languages"] = "Языки: коды через запятую, например ru, en."
			}
		}
		if len(langs) > maxLanguages {
			errs["languages"] = fmt.Sprintf("Языки: не более %d.", maxLanguages)
		}
	}
	if len(errs) > 0 {
		return in, errs
	}
	o.Name, o.Login, o.Role, o.Level, o.Organisation, o.Extension = in.Name, in.Login, role, level, in.Organisation, in.Extension
	o.Topics, o.Languages, o.MaxConcurrent, o.Priority = topics, langs, maxc, prio
	return in, nil
}

// operatorRefusal places a journal refusal of an operator's change: next to the field it is
// about (a login or an extension already used), or at the top of the form.
func (s *Server) operatorRefusal(r *http.Request, err error, errs fieldErrors) (int, string) {
	code, msg := ruleMessage(err)
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

func (s *Server) renderOperator(w http.ResponseWriter, r *http.Request, u User, status int, v operatorView, msg string) {
	title := "Новый оператор"
	if v.ID != 0 {
		title = "Оператор: " + v.Form.Name
	}
	if v.Topics == nil {
		v.Topics, _ = s.Journal.Topics(r.Context(), "", "")
	}
	notice, warning := notices(r)
	if msg == "" {
		msg = warning
	}
	s.render(w, r, status, "admin_operator", pageData{Title: title, User: &u, Error: msg, Notice: notice, Data: v})
}

func (s *Server) newOperatorPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.needJournal(w, r) {
		return
	}
	v := operatorView{Form: operatorForm{Role: string(hotline.RoleOperator), Level: "1", MaxConcurrent: "0", Priority: "0", Topics: map[string]bool{}}}
	s.renderOperator(w, r, u, http.StatusOK, v, "")
}

func (s *Server) addOperator(w http.ResponseWriter, r *http.Request, u User) {
	if !s.needJournal(w, r) || !s.readForm(w, r, maxAdminForm) {
		return
	}
	known, err := s.Journal.Topics(r.Context(), "", "")
	if err != nil {
		status, msg := s.failure(r, "list topics", err)
		s.errorPage(w, r, status, msg)
		return
	}
	var o hotline.Operator
	in, errs := parseOperator(r.PostForm, known, &o)
	v := operatorView{Form: in, Errors: errs, Topics: known}
	if errs != nil {
		s.renderOperator(w, r, u, http.StatusUnprocessableEntity, v, "Данные не сохранены: исправьте отмеченные поля.")
		return
	}
	if err := s.Journal.AddOperator(r.Context(), u.Actor(), &o); err != nil {
		v.Errors = fieldErrors{}
		status, msg := s.operatorRefusal(r, err, v.Errors)
		s.renderOperator(w, r, u, status, v, msg)
		return
	}
	s.log().Info("web: operator added", "by", u.Login, "id", o.ID)
	s.doneRedirect(w, r, fmt.Sprintf("/admin/operators/%d", o.ID), "created", s.reload(r, u))
}

// loadOperator is the operator's page for an existing operator, as stored.
func (s *Server) loadOperator(w http.ResponseWriter, r *http.Request) (operatorView, bool) {
	id, ok := s.pathID(w, r)
	if !ok || !s.needJournal(w, r) {
		return operatorView{}, false
	}
	o, err := s.Journal.Operator(r.Context(), id)
	if err == nil {
		var v operatorView
		v.ID, v.Active, v.Form = o.ID, o.Active, formOf(o)
		if v.HasPassword, err = s.Journal.HasPassword(r.Context(), id); err == nil {
			v.History, err = s.Journal.History(r.Context(), journal.HistoryFilter{Entity: "operator", EntityID: strconv.FormatInt(id, 10)})
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
	return operatorView{}, false
}

func (s *Server) operatorPage(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.loadOperator(w, r)
	if !ok {
		return
	}
	s.renderOperator(w, r, u, http.StatusOK, v, "")
}

func (s *Server) updateOperator(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.loadOperator(w, r)
	if !ok || !s.readForm(w, r, maxAdminForm) {
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
	in, errs := parseOperator(r.PostForm, known, &changed)
	v.Form, v.Errors = in, errs
	if errs != nil {
		s.renderOperator(w, r, u, http.StatusUnprocessableEntity, v, "Данные не сохранены: исправьте отмеченные поля.")
		return
	}
	_, err = s.Journal.UpdateOperator(r.Context(), u.Actor(), v.ID, func(o *hotline.Operator) error {
		o.Name, o.Login, o.Role, o.Level, o.Organisation, o.Extension = changed.Name, changed.Login, changed.Role, changed.Level, changed.Organisation, changed.Extension
		o.Topics, o.Languages, o.MaxConcurrent, o.Priority = changed.Topics, changed.Languages, changed.MaxConcurrent, changed.Priority
		return nil
	})
	if err != nil {
		v.Errors = fieldErrors{}
		status, msg := s.operatorRefusal(r, err, v.Errors)
		s.renderOperator(w, r, u, status, v, msg)
		return
	}
	s.log().Info("web: operator changed", "by", u.Login, "id", v.ID)
	s.doneRedirect(w, r, fmt.Sprintf("/admin/operators/%d", v.ID), "saved", s.reload(r, u))
}

func (s *Server) setActive(w http.ResponseWriter, r *http.Request, u User, active bool) {
	v, ok := s.loadOperator(w, r)
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
		status, msg := s.operatorRefusal(r, err, fieldErrors{})
		if code, m := ruleMessage(err); code == hotline.ECONFLICT && strings.HasPrefix(m, "extension ") {
			msg = "Оператор не возвращён в работу: его внутренний номер уже занят другим действующим оператором. Измените номер и повторите."
		}
		s.renderOperator(w, r, u, status, v, msg)
		return
	}
	code := "disabled"
	if active {
		code = "enabled"
	}
	s.log().Info("web: operator "+code, "by", u.Login, "id", v.ID)
	s.doneRedirect(w, r, fmt.Sprintf("/admin/operators/%d", v.ID), code, s.reload(r, u))
}

func (s *Server) disableOperator(w http.ResponseWriter, r *http.Request, u User) {
	s.setActive(w, r, u, false)
}
func (s *Server) enableOperator(w http.ResponseWriter, r *http.Request, u User) {
	s.setActive(w, r, u, true)
}

// resetPassword sets the password the administrator typed twice (hotline.ValidatePassword is the
// policy). The password is never logged, echoed or kept in the form.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, u User) {
	v, ok := s.loadOperator(w, r)
	if !ok || !s.readForm(w, r, maxForm) {
		return
	}
	pw, again := r.PostForm.Get("password"), r.PostForm.Get("password2")
	v.PwErrors = fieldErrors{}
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
			s.doneRedirect(w, r, fmt.Sprintf("/admin/operators/%d", v.ID), "password", true)
			return
		}
		code, msg := ruleMessage(err)
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
			s.renderOperator(w, r, u, status, v, m)
			return
		}
	}
	s.renderOperator(w, r, u, http.StatusUnprocessableEntity, v, "Пароль не изменён: исправьте отмеченные поля.")
}
