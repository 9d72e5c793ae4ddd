package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The survey journals' lists (§5.3, «Журнал опроса застрахованных»), read from the register:
// the choice of journal, its organisations (filters by year and name, «Перейти»), and one
// organisation's persons (filters by period and answer status), and a person's card («Просмотр»:
// answer status, comment, refusal with its reason, «Перенос звонка», save, next card; the
// «Действия» block: notifications, the stage from the billing registers, representatives'
// notes). The questions are the journal's questionnaire for the year (admin_surveys.go).

func (s *Server) surveyRoutes() []Route {
	return []Route{
		{Pattern: "GET /surveys", Allow: AnyUser, Title: "Журнал опроса застрахованных", handle: s.surveysPage},
		{Pattern: "GET /surveys/{kind}", Allow: AnyUser, Title: "Журнал опроса: медицинские организации", handle: s.surveyOrganisations},
		{Pattern: "GET /surveys/{kind}/{mo}", Allow: AnyUser, Title: "Журнал опроса: застрахованные лица медицинской организации", handle: s.surveyPersons},
		{Pattern: "GET /surveys/{kind}/{mo}/{id}", Allow: AnyUser, Title: "Журнал опроса: карточка застрахованного лица", handle: s.surveyCard},
		{Pattern: "POST /surveys/{kind}/{mo}/{id}", Allow: AnyUser, Title: "Журнал опроса: сохранить карточку", handle: s.saveSurveyCard},
		{Pattern: "POST /surveys/{kind}/{mo}/{id}/notes", Allow: AnyUser, Title: "Журнал опроса: заметка представителя", handle: s.addSurveyNote},
	}
}

// surveyView is the page "surveys": the choice, an organisation list or a person list.
type surveyView struct {
	Kind          string
	KindTitle     string
	Observation   bool // «Диспансерный учет»: health group and diagnosis shown
	Year          int
	Org           string // the organisation filter as typed
	Organisations []journal.SurveyOrganisation
	Organisation  *hotline.MedicalOrganisation
	Month         int
	Months        []option
	Status        string
	Statuses      []option
	Action        string
	Actions       []option
	// Filter is the list's query (year, month, status), kept by the cards' links: built here from
	// checked numbers and statuses only, so it is a URL part as it stands.
	Filter  template.URL
	Persons []surveyPerson
	Next    string // the next page's address
	Error   string
	MaxOrg  int
}

type surveyPerson struct {
	ID                                          int64
	FullName, BirthDate, Phones, Group, Diagnos string
	Period, Stage, Status                       string
}

func (s *Server) surveysPage(w http.ResponseWriter, r *http.Request, u User) {
	s.render(w, r, http.StatusOK, "surveys", pageData{Title: "Журнал опроса застрахованных", User: &u, Data: &surveyView{}})
}

// surveyQuery reads the journal's kind from the path and the year from the query (default: this
// year); a bad year is said on the page and the default used.
func (s *Server) surveyQuery(r *http.Request) (*surveyView, bool) {
	k := journal.SurveyKind(r.PathValue("kind"))
	if !k.Valid() {
		return nil, false
	}
	v := &surveyView{Kind: string(k), KindTitle: surveyTitles[k], Observation: k == journal.SurveyObservation,
		Year: time.Now().Year(), MaxOrg: journal.MaxSurveyOrganisationText}
	if y := strings.TrimSpace(r.URL.Query().Get("year")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			v.Error = "Год: укажите год от 2000 до 2100."
		} else {
			v.Year = n
		}
	}
	return v, true
}

func (s *Server) surveyOrganisations(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	v, ok := s.surveyQuery(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "Такого журнала опроса нет.")
		return
	}
	status := http.StatusOK
	v.Org = strings.TrimSpace(r.URL.Query().Get("org"))
	switch {
	case !utf8.ValidString(v.Org):
		v.Org, v.Error = "", "Медицинская организация: запрос не прочитан, введите его заново."
	case utf8.RuneCountInString(v.Org) > journal.MaxSurveyOrganisationText:
		v.Error = "Медицинская организация: " + tooLong(journal.MaxSurveyOrganisationText, v.Org)
		v.Org = string([]rune(v.Org)[:journal.MaxSurveyOrganisationText])
	}
	if v.Error != "" {
		status = http.StatusUnprocessableEntity
	} else {
		orgs, err := s.Journal.SurveyOrganisations(r.Context(), journal.SurveyKind(v.Kind), v.Year, v.Org)
		if err != nil {
			status, v.Error = s.failure(r, "list survey organisations", err)
		}
		v.Organisations = orgs
	}
	s.render(w, r, status, "surveys", pageData{Title: "Журнал опроса «" + v.KindTitle + "»", User: &u, Data: v})
}

func (s *Server) surveyPersons(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	v, ok := s.surveyQuery(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "Такого журнала опроса нет.")
		return
	}
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	q := r.URL.Query()
	if m := strings.TrimSpace(q.Get("month")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > 12 {
			status, v.Error = http.StatusUnprocessableEntity, "Период: выберите месяц из списка."
		} else {
			v.Month = n
		}
	}
	v.Months = append(v.Months, option{Value: "0", Text: "весь год", Selected: v.Month == 0})
	for i, m := range monthWords {
		v.Months = append(v.Months, option{Value: strconv.Itoa(i + 1), Text: m, Selected: v.Month == i+1})
	}
	if st := hotline.SurveyStatus(strings.TrimSpace(q.Get("status"))); st != "" {
		if !st.Valid() {
			status, v.Error = http.StatusUnprocessableEntity, "Статус ответа: выберите его из списка."
		} else {
			v.Status = string(st)
		}
	}
	v.Statuses = statusOptions(v.Status, "все")
	if a := strings.TrimSpace(q.Get("action")); a != "" {
		if surveyActionWords[a] == "" {
			status, v.Error = http.StatusUnprocessableEntity, "Действие: выберите его из списка."
		} else {
			v.Action = a
		}
	}
	v.Actions = actionOptions(v.Action)
	v.Filter = surveyFilterQuery(v)
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	if after < 0 {
		after = 0
	}
	page, err := s.Journal.SurveyPersons(r.Context(), journal.SurveyFilter{Kind: journal.SurveyKind(v.Kind), Code: r.PathValue("mo"),
		Year: v.Year, Month: v.Month, Status: hotline.SurveyStatus(v.Status), Action: v.Action, After: after})
	if err != nil {
		st, msg := s.failure(r, "list survey persons", err)
		if hotline.ErrorCode(err) == hotline.ENOTFOUND {
			msg = "Такой медицинской организации нет."
		}
		s.errorPage(w, r, st, msg)
		return
	}
	v.Organisation = &page.Organisation
	for i, p := range page.Persons {
		row := surveyPerson{ID: p.ID, FullName: p.FullName, BirthDate: russianDate(p.BirthDate), Group: p.HealthGroup, Diagnos: p.Diagnosis,
			Status: surveyStatusWords[page.States[i].Status]}
		var phones []string
		for _, ph := range p.Phones {
			if ph.Wrong {
				ph.Number += " (неверный номер)"
			}
			phones = append(phones, ph.Number)
		}
		row.Phones = strings.Join(phones, ", ")
		if p.DispensaryMonth > 0 {
			row.Period = monthWords[p.DispensaryMonth-1]
		}
		if p.Stage > 0 {
			row.Stage = strconv.Itoa(p.Stage) + " этап"
		}
		v.Persons = append(v.Persons, row)
	}
	if page.Next != 0 {
		v.Next = "/surveys/" + v.Kind + "/" + page.Organisation.Code + "?" + string(v.Filter) + "&after=" + strconv.FormatInt(page.Next, 10)
	}
	s.render(w, r, status, "surveys", pageData{Title: "Журнал опроса «" + v.KindTitle + "»: " + page.Organisation.Name, User: &u, Data: v})
}

// statusOptions are the survey statuses for a select, selected chosen; any names the empty
// choice ("" for none).
func statusOptions(selected, any string) []option {
	var out []option
	if any != "" {
		out = append(out, option{Value: "", Text: any, Selected: selected == ""})
	}
	for _, st := range hotline.SurveyStatuses {
		out = append(out, option{Value: string(st), Text: surveyStatusWords[st], Selected: string(st) == selected})
	}
	return out
}

// surveyFilterQuery is the list's filter as a query string.
func surveyFilterQuery(v *surveyView) template.URL {
	q := url.Values{"year": {strconv.Itoa(v.Year)}, "month": {strconv.Itoa(v.Month)}}
	if v.Status != "" {
		q.Set("status", v.Status)
	}
	if v.Action != "" {
		q.Set("action", v.Action)
	}
	return template.URL(q.Encode())
}

func actionOptions(selected string) []option {
	out := []option{{Value: "", Text: "все", Selected: selected == ""}}
	for _, a := range journal.SurveyActionFilters {
		out = append(out, option{Value: a, Text: surveyActionWords[a], Selected: a == selected})
	}
	return out
}

// surveyCardView is the page "survey_card": one person's card («Просмотр», §5.3.1).
type surveyCardView struct {
	Kind, KindTitle string
	Observation     bool
	Organisation    hotline.MedicalOrganisation
	Person          hotline.Insured
	BirthDate       string
	Stage           string
	State           hotline.SurveyState
	StateWords      string
	Form            surveyForm
	Statuses        []option
	Errors          map[string]string
	Filter          template.URL // the list's filter, kept for «Следующая карточка» and the way back
	Today           string
	MaxComment      int
	// Questionnaire is the journal's latest for the year (nil: none yet); Questions its
	// questions with the choices checked in the form.
	Questionnaire *hotline.Questionnaire
	Questions     []cardQuestion
	Reasons       []option // the questionnaire's refusal reasons; none: a free text
	Phones        []option // the person's numbers not marked wrong, for «Неверный номер»
	// Earlier are the saved answers when they were given to an earlier version of the
	// questionnaire: shown as they were, read-only.
	Earlier        []cardAnswer
	EarlierVersion int
	Notifications  []string
	Stages         []string
	Notes          []hotline.SurveyNote
	NoteText       string
	History        []cardEvent
}

type surveyForm struct {
	Status, Comment, RefusalReason, CallOn, WrongPhone string
	Answers                                            hotline.SurveyAnswers
}

// phoneOptions are the person's numbers not yet marked wrong, for «Неверный номер».
func (c *surveyCardView) phoneOptions() []option {
	var out []option
	for _, p := range c.Person.Phones {
		if !p.Wrong {
			out = append(out, option{Value: p.Number, Text: p.Number, Selected: p.Number == c.Form.WrongPhone})
		}
	}
	return out
}

type cardQuestion struct {
	N       int
	Text    string
	Choices []cardChoice
}

type cardChoice struct {
	N       int
	Text    string
	Checked bool
}

type cardAnswer struct{ Question, Choice string }

type cardEvent struct {
	At      time.Time
	Actor   string
	What    string
	Changes []string
}

// fillQuestions builds the card's questions from its questionnaire with the form's answers.
func (c *surveyCardView) fillQuestions() {
	c.Questions, c.Reasons = nil, nil
	c.Phones = c.phoneOptions()
	if c.Questionnaire == nil {
		return
	}
	for i, q := range c.Questionnaire.Questions {
		cq := cardQuestion{N: i + 1, Text: q.Text}
		for j, ch := range q.Choices {
			cq.Choices = append(cq.Choices, cardChoice{N: j + 1, Text: ch, Checked: c.Form.Answers[i+1] == j+1})
		}
		c.Questions = append(c.Questions, cq)
	}
	for _, r := range c.Questionnaire.RefusalReasons {
		c.Reasons = append(c.Reasons, option{Value: r, Text: r, Selected: r == c.Form.RefusalReason})
	}
}

// surveyCardOf loads the card's person, its organisation and state; ok is false when the page
// was answered (not found, a bad address).
func (s *Server) surveyCardOf(w http.ResponseWriter, r *http.Request, u User) (*surveyCardView, bool) {
	v, ok := s.surveyQuery(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !ok || err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Такой карточки нет.")
		return nil, false
	}
	k := journal.SurveyKind(v.Kind)
	p, err := s.Journal.Insured(r.Context(), id)
	if err == nil && p.Organisation.Code != r.PathValue("mo") {
		err = hotline.Errorf(hotline.ENOTFOUND, "insured person %d is not attached to %s", id, r.PathValue("mo"))
	}
	var st hotline.SurveyState
	if err == nil {
		st, err = s.Journal.SurveyState(r.Context(), k, v.Year, id)
	}
	if err != nil {
		status, msg := s.failure(r, "survey card", err)
		if hotline.ErrorCode(err) == hotline.ENOTFOUND {
			msg = "Такой карточки нет в журнале опроса."
		}
		s.errorPage(w, r, status, msg)
		return nil, false
	}
	c := &surveyCardView{Kind: v.Kind, KindTitle: v.KindTitle, Observation: v.Observation, Organisation: p.Organisation, Person: p,
		BirthDate: russianDate(p.BirthDate), State: st, StateWords: surveyStatusWords[st.Status], Errors: map[string]string{},
		Today: time.Now().Format(hotline.DateLayout), MaxComment: hotline.MaxCommentLen,
		Form: surveyForm{Status: string(st.Status), Comment: st.Comment, RefusalReason: st.RefusalReason, CallOn: st.CallOn}}
	if err := s.surveyCardDetails(r, k, c); err != nil {
		status, msg := s.failure(r, "survey card", err)
		s.errorPage(w, r, status, msg)
		return nil, false
	}
	f := url.Values{"year": {strconv.Itoa(v.Year)}}
	q := r.URL.Query() // the list's filter rides in the card's address, the form's action too
	if m, err := strconv.Atoi(q.Get("month")); err == nil && m >= 0 && m <= 12 {
		f.Set("month", strconv.Itoa(m))
	}
	if fs := hotline.SurveyStatus(q.Get("status")); fs.Valid() {
		f.Set("status", string(fs))
	}
	if a := q.Get("action"); surveyActionWords[a] != "" {
		f.Set("action", a)
	}
	c.Filter = template.URL(f.Encode())
	return c, true
}

// surveyCardDetails loads what the card shows besides the person: the questionnaire and the
// answers, the «Действия» block (notifications, stages, notes) and the survey's history.
func (s *Server) surveyCardDetails(r *http.Request, k journal.SurveyKind, c *surveyCardView) error {
	ctx, st, id := r.Context(), c.State, c.Person.ID
	q, err := s.Journal.Questionnaire(ctx, k, st.Year)
	switch {
	case err == nil:
		c.Questionnaire = &q
	case hotline.ErrorCode(err) != hotline.ENOTFOUND:
		return err
	}
	if st.QuestionnaireID != 0 && (c.Questionnaire == nil || st.QuestionnaireID != c.Questionnaire.ID) {
		old, err := s.Journal.QuestionnaireVersion(ctx, st.QuestionnaireID)
		if err != nil {
			return err
		}
		c.EarlierVersion = old.Version
		for n := 1; n <= len(old.Questions); n++ {
			if a, ok := st.Answers[n]; ok && a >= 1 && a <= len(old.Questions[n-1].Choices) {
				c.Earlier = append(c.Earlier, cardAnswer{Question: old.Questions[n-1].Text, Choice: old.Questions[n-1].Choices[a-1]})
			}
		}
	} else if st.QuestionnaireID != 0 {
		c.Form.Answers = st.Answers
	}
	c.fillQuestions()
	acts, err := s.Journal.SurveyActions(ctx, k, st.Year, id)
	if err != nil {
		return err
	}
	stage := c.Person.Stage // the register's, unless the billing registers say more
	for _, a := range acts {
		switch a.Action {
		case hotline.ActionNotified:
			c.Notifications = append(c.Notifications, russianDate(a.On)+", "+notificationWords[a.Detail])
		case hotline.ActionStage:
			c.Stages = append(c.Stages, a.Detail+" этап — "+russianDate(a.On))
			if n, _ := strconv.Atoi(a.Detail); n > stage {
				stage = n
			}
		}
	}
	if stage > 0 {
		c.Stage = strconv.Itoa(stage) + " этап"
	}
	if c.Notes, err = s.Journal.SurveyNotes(ctx, k, st.Year, id); err != nil {
		return err
	}
	evs, err := s.Journal.SurveyHistory(ctx, k, st.Year, id)
	if err != nil {
		return err
	}
	for _, e := range evs {
		ce := cardEvent{At: e.At, Actor: e.Actor, What: "Сохранение карточки"}
		if e.Action == "noted" {
			ce.What = "Заметка представителя"
		}
		for _, ch := range e.Changes {
			from, to := ch.From, ch.To
			if ch.Field == "status" {
				from, to = surveyStatusWords[hotline.SurveyStatus(from)], surveyStatusWords[hotline.SurveyStatus(to)]
			}
			if ch.Field == "note" {
				ce.Changes = append(ce.Changes, to)
				continue
			}
			ce.Changes = append(ce.Changes, surveyFieldWords[ch.Field]+": «"+from+"» → «"+to+"»")
		}
		c.History = append(c.History, ce)
	}
	return nil
}

func (s *Server) surveyCard(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	c, ok := s.surveyCardOf(w, r, u)
	if !ok {
		return
	}
	c.Statuses = statusOptions(c.Form.Status, "")
	notice := ""
	switch {
	case r.URL.Query().Get("saved") == "1":
		notice = "Карточка сохранена."
	case r.URL.Query().Get("noted") == "1":
		notice = "Заметка добавлена."
	}
	s.render(w, r, http.StatusOK, "survey_card", pageData{Title: c.Person.FullName, User: &u, Notice: notice, Data: c})
}

// saveSurveyCard saves the card («Сохранить»), then shows it again or, with «Сохранить и перейти
// к следующей карточке», the next person of the list's filter.
func (s *Server) saveSurveyCard(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	if !s.readPostForm(w, r, 64<<10) {
		return
	}
	c, ok := s.surveyCardOf(w, r, u)
	if !ok {
		return
	}
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	c.Form = surveyForm{Status: g("status"), Comment: g("comment"), RefusalReason: g("refusal_reason"), CallOn: g("call_on"),
		WrongPhone: g("wrong_phone"), Answers: hotline.SurveyAnswers{}}
	for n := 1; n <= hotline.MaxSurveyQuestions; n++ {
		if a, err := strconv.Atoi(g("q" + strconv.Itoa(n))); err == nil {
			c.Form.Answers[n] = a
		}
	}
	c.Statuses = statusOptions(c.Form.Status, "")
	c.fillQuestions()
	version, _ := strconv.ParseInt(g("version"), 10, 64)
	qid, _ := strconv.ParseInt(g("questionnaire"), 10, 64)
	st := hotline.SurveyState{PersonID: c.Person.ID, Year: c.State.Year, Status: hotline.SurveyStatus(c.Form.Status), Comment: c.Form.Comment, Version: version}
	// The answers go with «Ответил(а)» only, to the questionnaire the card was opened with.
	if st.Status == hotline.SurveyAnswered && c.Questionnaire != nil {
		st.QuestionnaireID, st.Answers = qid, c.Form.Answers
	}
	// Fields that do not belong to the chosen status are dropped, not refused: the form shows
	// them all.
	if st.Status == hotline.SurveyRefused {
		st.RefusalReason = c.Form.RefusalReason
	}
	if st.Status == hotline.SurveyRescheduled {
		st.CallOn = c.Form.CallOn
	}
	phones := c.phoneOptions()
	if st.Status == hotline.SurveyWrongNumber {
		st.WrongPhone = c.Form.WrongPhone
		if st.WrongPhone == "" && len(phones) == 1 {
			st.WrongPhone = phones[0].Value // the one number left is the one dialled
		}
	}
	switch {
	case !st.Status.Valid():
		c.Errors["status"] = "Выберите статус ответа."
	case st.Status == hotline.SurveyRefused && st.RefusalReason == "":
		c.Errors["refusal_reason"] = "Укажите причину отказа."
	case st.Status == hotline.SurveyRefused && len(c.Reasons) > 0 && !slices.Contains(c.Questionnaire.RefusalReasons, st.RefusalReason):
		c.Errors["refusal_reason"] = "Выберите причину отказа из списка."
	case st.Status == hotline.SurveyAnswered && c.Questionnaire != nil && qid != c.Questionnaire.ID:
		c.Errors["questions"] = "Анкета изменилась, пока вы заполняли карточку: отметьте ответы на вопросы новой версии."
		c.Form.Answers = nil
		c.fillQuestions()
	case st.Status == hotline.SurveyAnswered && c.Questionnaire != nil && len(st.Answers) == 0:
		c.Errors["questions"] = "Отметьте ответы на вопросы анкеты."
	case st.Status == hotline.SurveyAnswered && c.Questionnaire != nil && c.Questionnaire.CheckAnswers(st.Answers) != nil:
		c.Errors["questions"] = "Выберите ответы из вариантов анкеты."
	case st.Status == hotline.SurveyWrongNumber && st.WrongPhone == "" && len(phones) > 1:
		c.Errors["wrong_phone"] = "Укажите, какой из номеров неверен."
	case st.WrongPhone != "" && !slices.ContainsFunc(phones, func(o option) bool { return o.Value == st.WrongPhone }):
		c.Errors["wrong_phone"] = "Выберите неверный номер из номеров застрахованного лица."
	case st.Status == hotline.SurveyRescheduled && !validDate(st.CallOn):
		c.Errors["call_on"] = "Укажите день, на который перенесён звонок."
	case utf8.RuneCountInString(st.Comment) > hotline.MaxCommentLen:
		c.Errors["comment"] = tooLong(hotline.MaxCommentLen, st.Comment)
	case utf8.RuneCountInString(st.RefusalReason) > hotline.MaxCommentLen:
		c.Errors["refusal_reason"] = tooLong(hotline.MaxCommentLen, st.RefusalReason)
	}
	if len(c.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "survey_card", pageData{Title: c.Person.FullName, User: &u,
			Error: "Карточка не сохранена: исправьте отмеченные поля.", Data: c})
		return
	}
	if err := s.Journal.SaveSurveyState(r.Context(), u.Actor(), journal.SurveyKind(c.Kind), &st); err != nil {
		status, msg := s.failure(r, "save a survey", err)
		if hotline.ErrorCode(err) == hotline.ECONFLICT {
			msg = "Карточку сохранил другой пользователь, пока вы её заполняли. Откройте её заново: ваш ввод остался в форме."
		}
		s.render(w, r, status, "survey_card", pageData{Title: c.Person.FullName, User: &u, Error: "Карточка не сохранена. " + msg, Data: c})
		return
	}
	base := "/surveys/" + c.Kind + "/" + c.Organisation.Code
	if r.PostFormValue("next") != "" {
		f, _ := url.ParseQuery(string(c.Filter))
		year, _ := strconv.Atoi(f.Get("year"))
		month, _ := strconv.Atoi(f.Get("month"))
		page, err := s.Journal.SurveyPersons(r.Context(), journal.SurveyFilter{Kind: journal.SurveyKind(c.Kind), Code: c.Organisation.Code,
			Year: year, Month: month, Status: hotline.SurveyStatus(f.Get("status")), Action: f.Get("action"), After: c.Person.ID})
		if err == nil && len(page.Persons) > 0 {
			http.Redirect(w, r, base+"/"+strconv.FormatInt(page.Persons[0].ID, 10)+"?"+string(c.Filter), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, base+"?"+string(c.Filter), http.StatusSeeOther) // the list's last card: back to the list
		return
	}
	http.Redirect(w, r, base+"/"+strconv.FormatInt(c.Person.ID, 10)+"?saved=1&"+string(c.Filter), http.StatusSeeOther)
}

// addSurveyNote adds a representative's note to the card («Действия»), then shows the card.
func (s *Server) addSurveyNote(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	if !s.readPostForm(w, r, 64<<10) {
		return
	}
	c, ok := s.surveyCardOf(w, r, u)
	if !ok {
		return
	}
	c.Statuses = statusOptions(c.Form.Status, "")
	c.NoteText = strings.TrimSpace(r.PostFormValue("note"))
	switch {
	case !utf8.ValidString(c.NoteText):
		c.NoteText, c.Errors["note"] = "", "Заметка не прочитана, введите её заново."
	case c.NoteText == "":
		c.Errors["note"] = "Напишите заметку."
	case utf8.RuneCountInString(c.NoteText) > journal.MaxSurveyNoteLen:
		c.Errors["note"] = tooLong(journal.MaxSurveyNoteLen, c.NoteText)
	}
	if len(c.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "survey_card", pageData{Title: c.Person.FullName, User: &u, Error: "Заметка не добавлена.", Data: c})
		return
	}
	if _, err := s.Journal.AddSurveyNote(r.Context(), u.Actor(), journal.SurveyKind(c.Kind), c.State.Year, c.Person.ID, c.NoteText); err != nil {
		status, msg := s.failure(r, "add a survey note", err)
		s.render(w, r, status, "survey_card", pageData{Title: c.Person.FullName, User: &u, Error: "Заметка не добавлена. " + msg, Data: c})
		return
	}
	http.Redirect(w, r, "/surveys/"+c.Kind+"/"+c.Organisation.Code+"/"+strconv.FormatInt(c.Person.ID, 10)+"?noted=1&"+string(c.Filter), http.StatusSeeOther)
}
