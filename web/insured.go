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

// The search of the register of insured persons on a new registration card (§5.1.3): ФИО and
// дата рождения, any one enough, «Поиск» / «Очистить» / «Скрыть», at most ten results; a result's
// «прикрепить» (or choosing it and «Применить», §5.1.6) fills the card's «Личная информация».
// Attaching posts the whole card, so the server fills the personal data and every other field
// comes back as typed: no script copies values between forms.

func (s *Server) insuredRoutes() []Route {
	return []Route{
		{Pattern: "GET /cards/insured", Allow: AnyUser, Title: "Поиск по реестру застрахованных лиц (фрагмент)", handle: s.searchInsured},
		{Pattern: "POST /cards/insured", Allow: AnyUser, Title: "Регистрационная карта: прикрепить застрахованное лицо", handle: s.attachInsured},
	}
}

// insuredSearchView is the search block's data (template "insured-search").
type insuredSearchView struct {
	Open     bool // the <details> is shown open
	Name     string
	Birth    string
	Error    string
	Searched bool
	Results  []insuredRow
	More     bool
	MaxName  int
	Today    string
}

type insuredRow struct {
	ID           int64
	FullName     string
	BirthDate    string // as the page shows dates
	PolicyNumber string
	Organisation string
}

func newInsuredSearch() *insuredSearchView {
	return &insuredSearchView{MaxName: hotline.MaxNameLen, Today: time.Now().Format(hotline.DateLayout)}
}

// searchInsured answers the search form with the whole block (htmx swaps it): the fields as
// typed, the results or what is wrong.
func (s *Server) searchInsured(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	q := r.URL.Query()
	v := newInsuredSearch()
	v.Open = true
	if q.Get("action") == "clear" {
		s.fragment(w, r, "insured-search", v)
		return
	}
	v.Name, v.Birth = strings.TrimSpace(q.Get("insured_name")), strings.TrimSpace(q.Get("insured_birth"))
	switch {
	case !utf8.ValidString(v.Name) || !utf8.ValidString(v.Birth):
		v.Name, v.Birth, v.Error = "", "", "Запрос не прочитан: введите ФИО и дату рождения заново."
	case v.Name == "" && v.Birth == "":
		v.Error = "Заполните хотя бы одно из полей: ФИО или дату рождения."
	case utf8.RuneCountInString(v.Name) > hotline.MaxNameLen:
		v.Error = "ФИО: " + tooLong(hotline.MaxNameLen, v.Name)
		v.Name = string([]rune(v.Name)[:hotline.MaxNameLen])
	case len(strings.Fields(v.Name)) > 6:
		v.Error = "ФИО: не более 6 слов."
	case v.Birth != "" && !validDate(v.Birth):
		v.Error = "Дата рождения: укажите дату (ДД.ММ.ГГГГ)."
		if len(v.Birth) > hotline.MaxShortLen {
			v.Birth = ""
		}
	}
	if v.Error != "" {
		w.WriteHeader(http.StatusUnprocessableEntity)
		s.fragment(w, r, "insured-search", v)
		return
	}
	found, more, err := s.Journal.SearchInsured(r.Context(), journal.InsuredQuery{Name: v.Name, BirthDate: v.Birth}, journal.MaxInsuredResults)
	if err != nil {
		status, msg := s.failure(r, "search the register", err)
		v.Error = msg
		w.WriteHeader(status)
		s.fragment(w, r, "insured-search", v)
		return
	}
	v.Searched, v.More = true, more
	for _, p := range found {
		v.Results = append(v.Results, insuredRow{ID: p.ID, FullName: p.FullName, BirthDate: russianDate(p.BirthDate),
			PolicyNumber: p.PolicyNumber, Organisation: p.Organisation.Name})
	}
	s.fragment(w, r, "insured-search", v)
}

// validDate reports whether s is a date as <input type=date> sends it.
func validDate(s string) bool {
	d, err := time.Parse(hotline.DateLayout, s)
	return err == nil && d.Year() >= 1900
}

// russianDate shows YYYY-MM-DD as DD.MM.YYYY.
func russianDate(s string) string {
	if d, err := time.Parse(hotline.DateLayout, s); err == nil {
		return d.Format("02.01.2006")
	}
	return s
}

// attachInsured fills a new card's personal data from the register: the card's form is posted
// whole (the result's button belongs to it), the person chosen by «прикрепить» (attach) or by
// the radio and «Применить» (insured); the card comes back with everything else as typed. Nothing
// is saved: the operator checks the card and presses «Сохранить».
func (s *Server) attachInsured(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	ctx := r.Context()
	in, err := s.readCard(w, r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Форма не прочитана: слишком большая или повреждённая.")
		return
	}
	defer in.discard()
	callID := strings.TrimSpace(in.values.Get("call"))
	f := formOf(in.values)
	ref := strings.TrimSpace(in.values.Get("attach"))
	if ref == "" {
		ref = strings.TrimSpace(in.values.Get("insured"))
	}
	status, errMsg, notice := http.StatusOK, "", ""
	id, perr := strconv.ParseInt(ref, 10, 64)
	switch {
	case ref == "":
		status, errMsg = http.StatusUnprocessableEntity, "Выберите застрахованное лицо в результатах поиска и нажмите «Применить»."
	case perr != nil || id <= 0:
		status, errMsg = http.StatusBadRequest, "Застрахованное лицо не выбрано: найдите его снова."
	default:
		p, err := s.Journal.Insured(ctx, id)
		if err != nil {
			status, errMsg = s.failure(r, "attach an insured person", err)
			if hotline.ErrorCode(err) == hotline.ENOTFOUND {
				errMsg = "Застрахованное лицо не найдено в реестре: найдите его снова."
			}
			break
		}
		f.FullName, f.BirthDate, f.PolicyNumber = p.FullName, p.BirthDate, p.PolicyNumber
		if p.Address != "" {
			f.Address = p.Address
		}
		notice = "Сведения о застрахованном лице прикреплены к регистрационной карте: " + p.FullName + ". Проверьте карту и нажмите «Сохранить»."
	}
	v, _, err := s.newCardView(ctx, u, f, callID)
	if err != nil {
		s.fail(w, r, u, "new card", err)
		return
	}
	s.render(w, r, status, "card", pageData{Title: "Регистрационная карта", User: &u, Error: errMsg, Notice: notice, Data: v})
}
