package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The module «ЕИР263» (§7.1), for level-2 representatives: choose the medical organisation, the
// informing type and the period, «Сохранить»; the counts «ВСЕГО», «ИЗ НИХ С ТЕЛЕФОНОМ»,
// «ОПОВЕЩЕНО»; «Начать информирование» has the switchboard's progressive dialler call the persons
// one after another, the representative sees the person's card («Анкета ЗЛ»), fills the result
// and saves, and the next person loads. The report per campaign is exported as CSV.

// Dialler is the progressive dialler (switchboard.Switchboard's); nil: «Начать информирование»
// answers 503.
type Dialler interface {
	StartInforming(ctx context.Context, by hotline.Actor, operatorID, campaignID int64) error
	StopInforming(ctx context.Context, by hotline.Actor, operatorID int64) error
	InformingNext(ctx context.Context, by hotline.Actor, operatorID int64) error
}

func (s *Server) campaignRoutes() []Route {
	const who = Level2 | Administrator
	return []Route{
		{Pattern: "GET /campaigns", Allow: who, Title: "ЕИР263: информирование застрахованных", handle: s.campaignsPage},
		{Pattern: "POST /campaigns", Allow: who, Title: "ЕИР263: сохранить параметры", handle: s.saveCampaign},
		{Pattern: "GET /campaigns/report.csv", Allow: who, Title: "ЕИР263: отчёт (CSV)", handle: s.campaignReportCSV},
		{Pattern: "POST /campaigns/{id}/start", Allow: who, Title: "ЕИР263: начать информирование", handle: s.startInforming},
		{Pattern: "POST /campaigns/{id}/stop", Allow: who, Title: "ЕИР263: завершить информирование", handle: s.stopInforming},
		{Pattern: "GET /campaigns/{id}/inform", Allow: who, Title: "ЕИР263: анкета ЗЛ", handle: s.informingCard},
		{Pattern: "POST /campaigns/{id}/inform/{person}", Allow: who, Title: "ЕИР263: сохранить результат", handle: s.saveInforming},
	}
}

// campaignsView is the page "campaigns".
type campaignsView struct {
	Organisations []option
	Types         []option
	From, To      string
	Campaigns     []campaignRow
	Errors        map[string]string
}

type campaignRow struct {
	journal.CampaignSummary
	TypeText, Period string
}

func (s *Server) campaignsView(r *http.Request, code, typ, from, to string) (*campaignsView, error) {
	ctx := r.Context()
	orgs, err := s.Journal.MedicalOrganisations(ctx)
	if err != nil {
		return nil, err
	}
	v := &campaignsView{From: from, To: to, Errors: map[string]string{}}
	v.Organisations = append(v.Organisations, option{Value: "", Text: "— выберите МО —", Selected: code == ""})
	for _, o := range orgs {
		v.Organisations = append(v.Organisations, option{Value: o.Code, Text: o.Name + " (" + o.Code + ")", Selected: o.Code == code})
	}
	for _, t := range hotline.InformingTypes {
		v.Types = append(v.Types, option{Value: string(t), Text: informingTypeWords[t], Selected: string(t) == typ})
	}
	list, err := s.Journal.Campaigns(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		v.Campaigns = append(v.Campaigns, campaignRow{CampaignSummary: c, TypeText: informingTypeWords[c.Type], Period: periodText(c.From, c.To)})
	}
	return v, nil
}

// periodText is a campaign's period as the page shows it: «03.2026» or «03.2026 – 05.2026».
func periodText(from, to string) string {
	f := func(p string) string {
		if t, err := time.Parse(hotline.PeriodLayout, p); err == nil {
			return t.Format("01.2006")
		}
		return p
	}
	if from == to {
		return f(from)
	}
	return f(from) + " – " + f(to)
}

func (s *Server) campaignsPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	month := time.Now().Format(hotline.PeriodLayout)
	v, err := s.campaignsView(r, "", string(hotline.InformCheckup), month, month)
	if err != nil {
		st, msg := s.failure(r, "campaigns page", err)
		s.errorPage(w, r, st, msg)
		return
	}
	notice := ""
	if r.URL.Query().Get("saved") != "" {
		notice = "Параметры сохранены."
	}
	s.render(w, r, http.StatusOK, "campaigns", pageData{Title: "ЕИР263", User: &u, Notice: notice, Data: v})
}

// saveCampaign is «Сохранить»: the chosen organisation, type and period become a campaign.
func (s *Server) saveCampaign(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	if !s.readPostForm(w, r, 16<<10) {
		return
	}
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	code, typ, from, to := g("mo"), g("type"), g("from"), g("to")
	v, err := s.campaignsView(r, code, typ, from, to)
	if err != nil {
		st, msg := s.failure(r, "campaigns page", err)
		s.errorPage(w, r, st, msg)
		return
	}
	switch {
	case code == "":
		v.Errors["mo"] = "Выберите медицинскую организацию."
	case !utf8.ValidString(code) || len(code) > hotline.MaxShortLen:
		v.Errors["mo"] = "Выберите медицинскую организацию из списка."
	}
	if !hotline.InformingType(typ).Valid() {
		v.Errors["type"] = "Выберите тип информирования из списка."
	}
	if _, err := time.Parse(hotline.PeriodLayout, from); err != nil {
		v.Errors["from"] = "Укажите месяц начала периода (ГГГГ-ММ)."
		v.From = ""
	}
	if _, err := time.Parse(hotline.PeriodLayout, to); err != nil {
		v.Errors["to"] = "Укажите месяц окончания периода (ГГГГ-ММ)."
		v.To = ""
	}
	if len(v.Errors) == 0 {
		c, err := s.Journal.CreateCampaign(r.Context(), u.Actor(), hotline.Campaign{Organisation: hotline.MedicalOrganisation{Code: code},
			Type: hotline.InformingType(typ), From: from, To: to})
		if err == nil {
			http.Redirect(w, r, "/campaigns?saved="+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
			return
		}
		status, msg := s.failure(r, "save a campaign", err)
		s.render(w, r, status, "campaigns", pageData{Title: "ЕИР263", User: &u, Error: msg, Data: v})
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, "campaigns", pageData{Title: "ЕИР263", User: &u,
		Error: "Параметры не сохранены: исправьте отмеченные поля.", Data: v})
}

// campaignOf reads the campaign of the path; ok is false when the page was answered.
func (s *Server) campaignOf(w http.ResponseWriter, r *http.Request) (hotline.Campaign, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Такого информирования нет.")
		return hotline.Campaign{}, false
	}
	c, err := s.Journal.Campaign(r.Context(), id)
	if err != nil {
		st, msg := s.failure(r, "campaign", err)
		if hotline.ErrorCode(err) == hotline.ENOTFOUND {
			msg = "Такого информирования нет."
		}
		s.errorPage(w, r, st, msg)
		return hotline.Campaign{}, false
	}
	return c, true
}

// startInforming is «Начать информирование»: the dialler calls the campaign's persons for the
// user, and the card page shows each.
func (s *Server) startInforming(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	c, ok := s.campaignOf(w, r)
	if !ok {
		return
	}
	if s.Dialler == nil {
		s.errorPage(w, r, http.StatusServiceUnavailable, "Автоматический набор номеров недоступен.")
		return
	}
	if err := s.Dialler.StartInforming(r.Context(), u.Actor(), u.OperatorID, c.ID); err != nil {
		st, msg := s.failure(r, "start informing", err)
		s.errorPage(w, r, st, msg)
		return
	}
	http.Redirect(w, r, "/campaigns/"+strconv.FormatInt(c.ID, 10)+"/inform", http.StatusSeeOther)
}

func (s *Server) stopInforming(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	if _, ok := s.campaignOf(w, r); !ok {
		return
	}
	if s.Dialler != nil {
		if err := s.Dialler.StopInforming(r.Context(), u.Actor(), u.OperatorID); err != nil {
			st, msg := s.failure(r, "stop informing", err)
			s.errorPage(w, r, st, msg)
			return
		}
	}
	http.Redirect(w, r, "/campaigns", http.StatusSeeOther)
}

// informingView is the page "informing": the campaign's counts and the person's card.
type informingView struct {
	Campaign   campaignRow
	Card       *journal.InformingCard
	BirthDate  string
	Dialling   bool // the person's phone rings: the result comes after they answer
	StatusText string
	History    []attemptRow
	Results    []option
	Wrong      bool
	Comment    string
	Errors     map[string]string
	MaxComment int
}

type attemptRow struct{ When, Number, Outcome string }

func (s *Server) informingView(r *http.Request, c hotline.Campaign, u User) (*informingView, error) {
	counts, err := s.Journal.CampaignCounts(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	v := &informingView{Campaign: campaignRow{CampaignSummary: journal.CampaignSummary{Campaign: c, CampaignCounts: counts},
		TypeText: informingTypeWords[c.Type], Period: periodText(c.From, c.To)}, Errors: map[string]string{}, MaxComment: hotline.MaxCommentLen}
	card, ok, err := s.Journal.CurrentInforming(r.Context(), c.ID, u.OperatorID)
	if err != nil || !ok {
		return v, err
	}
	v.Card = &card
	v.BirthDate = russianDate(card.Person.BirthDate)
	v.Dialling = card.Status == hotline.InformDialling
	v.StatusText = "Идёт набор номера " + card.Number
	if !v.Dialling {
		v.StatusText = "Ответил(а) по номеру " + card.Number
	}
	for _, a := range card.History {
		v.History = append(v.History, attemptRow{When: whenText(a.At), Number: a.Number, Outcome: dialOutcomeWords[a.Outcome]})
	}
	v.Results = resultOptions("")
	return v, nil
}

func resultOptions(selected string) []option {
	var out []option
	for _, r := range hotline.InformingResults {
		if r == hotline.ResultWrong {
			continue // the checkbox of its own, as the manual has it
		}
		out = append(out, option{Value: string(r), Text: informingResultWords[r], Selected: string(r) == selected})
	}
	return out
}

// informingCard is the person's card while informing: the person the dialler calls for the user
// or who answered; none yet: the page says the next number is being dialled and refreshes.
func (s *Server) informingCard(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	c, ok := s.campaignOf(w, r)
	if !ok {
		return
	}
	v, err := s.informingView(r, c, u)
	if err != nil {
		st, msg := s.failure(r, "informing card", err)
		s.errorPage(w, r, st, msg)
		return
	}
	notice := ""
	if r.URL.Query().Get("saved") == "1" {
		notice = "Результат сохранен."
	}
	s.render(w, r, http.StatusOK, "informing", pageData{Title: "Анкета ЗЛ", User: &u, Notice: notice, Data: v})
}

// saveInforming is the card's «Сохранить»: the result (or the «Телефон указан неверно или
// принадлежит другому ЗЛ» mark) is saved with the call, and the dialler goes on to the next person.
func (s *Server) saveInforming(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	if !s.readPostForm(w, r, 64<<10) {
		return
	}
	c, ok := s.campaignOf(w, r)
	if !ok {
		return
	}
	person, err := strconv.ParseInt(r.PathValue("person"), 10, 64)
	if err != nil || person <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "Такой анкеты нет.")
		return
	}
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	res := hotline.InformingResult(g("result"))
	wrong := g("wrong") == "1"
	if wrong {
		res = hotline.ResultWrong
	}
	version, _ := strconv.ParseInt(g("version"), 10, 64)
	comment := g("comment")
	fail := func(status int, field, msg string) {
		v, err := s.informingView(r, c, u)
		if err != nil {
			st, m := s.failure(r, "informing card", err)
			s.errorPage(w, r, st, m)
			return
		}
		if field != "" {
			v.Errors[field] = msg
			msg = "Результат не сохранен: исправьте отмеченные поля."
		}
		v.Results, v.Wrong, v.Comment = resultOptions(string(res)), wrong, comment
		s.render(w, r, status, "informing", pageData{Title: "Анкета ЗЛ", User: &u, Error: msg, Data: v})
	}
	switch {
	case !res.Valid():
		fail(http.StatusUnprocessableEntity, "result", "Выберите результат оповещения.")
		return
	case !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > hotline.MaxCommentLen:
		fail(http.StatusUnprocessableEntity, "comment", "Комментарий: "+tooLong(hotline.MaxCommentLen, comment))
		return
	}
	err = s.Journal.SaveInformingResult(r.Context(), u.Actor(), c.ID, person, journal.InformingResultInput{Result: res, Comment: comment, Version: version},
		s.InformingPlan)
	if err != nil {
		st, msg := s.failure(r, "save informing result", err)
		fail(st, "", msg)
		return
	}
	if s.Dialler != nil {
		if err := s.Dialler.InformingNext(r.Context(), u.Actor(), u.OperatorID); err != nil {
			s.log().Warn("web: informing next", "operator", u.OperatorID, "err", err)
		}
	}
	http.Redirect(w, r, "/campaigns/"+strconv.FormatInt(c.ID, 10)+"/inform?saved=1", http.StatusSeeOther)
}

// campaignReportCSV is the report per campaign and organisation as CSV (?mo= one organisation's).
func (s *Server) campaignReportCSV(w http.ResponseWriter, r *http.Request, u User) {
	if !s.journalOr503(w, r) {
		return
	}
	mo := strings.TrimSpace(r.URL.Query().Get("mo"))
	if !utf8.ValidString(mo) || len(mo) > hotline.MaxShortLen {
		s.errorPage(w, r, http.StatusUnprocessableEntity, "Медицинская организация: выберите её из списка.")
		return
	}
	var b strings.Builder
	if err := s.Journal.WriteCampaignReport(r.Context(), &b, mo); err != nil {
		st, msg := s.failure(r, "campaign report", err)
		s.errorPage(w, r, st, msg)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="eir263-report.csv"`)
	_, _ = w.Write([]byte(b.String()))
}
