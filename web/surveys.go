package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The survey journals' lists (§5.3, «Журнал опроса застрахованных»), read from the register:
// the choice of journal, its organisations (filters by year and name, «Перейти»), and one
// organisation's persons (filter by period). The survey card («Просмотр»: answers, refusal,
// «Перенос звонка», the «Действия» block) is not built yet.

func (s *Server) surveyRoutes() []Route {
	return []Route{
		{Pattern: "GET /surveys", Allow: AnyUser, Title: "Журнал опроса застрахованных", handle: s.surveysPage},
		{Pattern: "GET /surveys/{kind}", Allow: AnyUser, Title: "Журнал опроса: медицинские организации", handle: s.surveyOrganisations},
		{Pattern: "GET /surveys/{kind}/{mo}", Allow: AnyUser, Title: "Журнал опроса: застрахованные лица медицинской организации", handle: s.surveyPersons},
	}
}

var surveyTitles = map[journal.SurveyKind]string{
	journal.SurveyCheckup:     "Диспансеризация",
	journal.SurveyObservation: "Диспансерный учет",
}

var monthWords = []string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"}

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
	Persons       []surveyPerson
	Next          string // the next page's address
	Error         string
	MaxOrg        int
}

type surveyPerson struct {
	ID                                          int64
	FullName, BirthDate, Phones, Group, Diagnos string
	Period, Stage                               string
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
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	if after < 0 {
		after = 0
	}
	page, err := s.Journal.SurveyPersons(r.Context(), journal.SurveyKind(v.Kind), r.PathValue("mo"), v.Year, v.Month, after)
	if err != nil {
		st, msg := s.failure(r, "list survey persons", err)
		if hotline.ErrorCode(err) == hotline.ENOTFOUND {
			msg = "Такой медицинской организации нет."
		}
		s.errorPage(w, r, st, msg)
		return
	}
	v.Organisation = &page.Organisation
	for _, p := range page.Persons {
		row := surveyPerson{ID: p.ID, FullName: p.FullName, BirthDate: russianDate(p.BirthDate), Group: p.HealthGroup, Diagnos: p.Diagnosis}
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
		v.Next = "/surveys/" + v.Kind + "/" + page.Organisation.Code + "?year=" + strconv.Itoa(v.Year) + "&month=" + strconv.Itoa(v.Month) +
			"&after=" + strconv.FormatInt(page.Next, 10)
	}
	s.render(w, r, status, "surveys", pageData{Title: "Журнал опроса «" + v.KindTitle + "»: " + page.Organisation.Name, User: &u, Data: v})
}
