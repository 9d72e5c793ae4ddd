package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The survey journals' questionnaires (§5.3), written by administrators: per journal and year,
// the questions with their answer choices and the refusal reasons. Each save is a new version;
// the old ones stay readable here and in the cards answered to them.

func (s *Server) adminSurveyRoutes() []Route {
	return []Route{
		{Pattern: "GET /admin/surveys", Allow: Administrator, Title: "Анкеты журналов опроса", handle: s.adminSurveys},
		{Pattern: "GET /admin/surveys/open", Allow: Administrator, Title: "Анкеты журналов опроса: открыть анкету на год", handle: s.openAdminSurvey},
		{Pattern: "GET /admin/surveys/{kind}/{year}", Allow: Administrator, Title: "Анкета журнала опроса за год", handle: s.adminSurvey},
		{Pattern: "POST /admin/surveys/{kind}/{year}", Allow: Administrator, Title: "Анкета журнала опроса: сохранить новую версию", handle: s.saveAdminSurvey},
	}
}

type adminSurveyView struct {
	List   []adminSurveyLine
	Kinds  []option
	Year   int
	Kind   string // the editor's journal; "": the list
	Title  string
	Base   int // the version edited
	Shown  *hotline.Questionnaire
	Old    bool // Shown is an earlier version
	All    []hotline.Questionnaire
	Form   struct{ Questions, RefusalReasons string }
	Errors map[string]string
}

type adminSurveyLine struct {
	hotline.Questionnaire
	Title string
}

func (s *Server) adminSurveys(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	v := &adminSurveyView{Year: time.Now().Year()}
	for _, k := range []journal.SurveyKind{journal.SurveyCheckup, journal.SurveyObservation} {
		v.Kinds = append(v.Kinds, option{Value: string(k), Text: surveyTitles[k]})
	}
	qs, err := s.Journal.Questionnaires(r.Context())
	if err != nil {
		status, msg := s.failure(r, "list questionnaires", err)
		s.errorPage(w, r, status, msg)
		return
	}
	for _, q := range qs {
		v.List = append(v.List, adminSurveyLine{Questionnaire: q, Title: surveyTitles[journal.SurveyKind(q.Kind)]})
	}
	s.render(w, r, http.StatusOK, "admin_surveys", pageData{Title: "Анкеты журналов опроса", User: &u, Data: v})
}

// adminSurveyOf reads the editor's journal and year from the path; ok false: answered 404.
func (s *Server) adminSurveyOf(w http.ResponseWriter, r *http.Request) (*adminSurveyView, bool) {
	k := journal.SurveyKind(r.PathValue("kind"))
	year, err := strconv.Atoi(r.PathValue("year"))
	if !k.Valid() || err != nil || year < 2000 || year > 2100 {
		s.errorPage(w, r, http.StatusNotFound, "Такого журнала опроса или года нет (год от 2000 до 2100).")
		return nil, false
	}
	v := &adminSurveyView{Kind: string(k), Year: year, Title: surveyTitles[k], Errors: map[string]string{}}
	all, err := s.Journal.QuestionnaireVersions(r.Context(), k, year)
	if err != nil {
		status, msg := s.failure(r, "questionnaire versions", err)
		s.errorPage(w, r, status, msg)
		return nil, false
	}
	v.All = all
	if len(all) > 0 {
		v.Base = all[0].Version
		v.Shown = &all[0]
		v.Form.Questions = hotline.FormatQuestions(all[0].Questions)
		v.Form.RefusalReasons = strings.Join(all[0].RefusalReasons, "\n")
	}
	return v, true
}

func (s *Server) adminSurvey(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	v, ok := s.adminSurveyOf(w, r)
	if !ok {
		return
	}
	if n := r.URL.Query().Get("version"); n != "" {
		ver, _ := strconv.Atoi(n)
		v.Shown = nil
		for i := range v.All {
			if v.All[i].Version == ver {
				v.Shown, v.Old = &v.All[i], i > 0
			}
		}
		if v.Shown == nil {
			s.errorPage(w, r, http.StatusNotFound, "Такой версии анкеты нет.")
			return
		}
	}
	notice := ""
	if r.URL.Query().Get("saved") == "1" {
		notice = "Анкета сохранена: версия " + strconv.Itoa(v.Base) + "."
	}
	s.render(w, r, http.StatusOK, "admin_surveys", pageData{Title: "Анкета «" + v.Title + "» за " + strconv.Itoa(v.Year) + " год", User: &u, Notice: notice, Data: v})
}

func (s *Server) saveAdminSurvey(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	if !s.readPostForm(w, r, 256<<10) {
		return
	}
	v, ok := s.adminSurveyOf(w, r)
	if !ok {
		return
	}
	title := "Анкета «" + v.Title + "» за " + strconv.Itoa(v.Year) + " год"
	v.Form.Questions, v.Form.RefusalReasons = r.PostFormValue("questions"), r.PostFormValue("refusal_reasons")
	base, err := strconv.Atoi(r.PostFormValue("base"))
	if err != nil || base < 0 {
		s.errorPage(w, r, http.StatusBadRequest, "Форма не прочитана: нет версии анкеты.")
		return
	}
	q := hotline.Questionnaire{Kind: v.Kind, Year: v.Year}
	var qe *hotline.QuestionnaireError
	if q.Questions, err = hotline.ParseQuestions(v.Form.Questions); errors.As(err, &qe) {
		v.Errors["questions"] = "Вопросы: " + qe.Error() + "."
	}
	if q.RefusalReasons, err = hotline.ParseRefusalReasons(v.Form.RefusalReasons); errors.As(err, &qe) {
		v.Errors["refusal_reasons"] = "Причины отказа: " + qe.Error() + "."
	}
	if len(v.Errors) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "admin_surveys", pageData{Title: title, User: &u, Error: "Анкета не сохранена: исправьте отмеченные поля.", Data: v})
		return
	}
	if err := s.Journal.SaveQuestionnaire(r.Context(), u.Actor(), &q, base); err != nil {
		status, msg := s.failure(r, "save a questionnaire", err)
		if hotline.ErrorCode(err) == hotline.ECONFLICT {
			msg = "Анкету сохранил другой администратор (теперь версия " + strconv.Itoa(v.Base) + "), пока вы её правили. Ваш текст остался в форме: сверьте его с новой версией и сохраните снова."
		}
		s.render(w, r, status, "admin_surveys", pageData{Title: title, User: &u, Error: "Анкета не сохранена. " + msg, Data: v})
		return
	}
	http.Redirect(w, r, "/admin/surveys/"+v.Kind+"/"+strconv.Itoa(v.Year)+"?saved=1", http.StatusSeeOther)
}

// openAdminSurvey is the list's «Открыть»: the chosen journal's questionnaire for the year.
func (s *Server) openAdminSurvey(w http.ResponseWriter, r *http.Request, u User) {
	k := journal.SurveyKind(r.URL.Query().Get("kind"))
	year, err := strconv.Atoi(strings.TrimSpace(r.URL.Query().Get("year")))
	if !k.Valid() || err != nil || year < 2000 || year > 2100 {
		s.errorPage(w, r, http.StatusUnprocessableEntity, "Выберите журнал опроса и год от 2000 до 2100.")
		return
	}
	http.Redirect(w, r, "/admin/surveys/"+string(k)+"/"+strconv.Itoa(year), http.StatusSeeOther)
}
