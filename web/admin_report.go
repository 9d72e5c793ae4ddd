package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/board"
	"github.com/hotline-dev/hotline/report"
)

// The board's figures (`hotline board`, computed by the board package) and the report of
// `hotline report` for a period (the report package), with server-rendered SVG charts: no
// script, role="img" with a title, and the same numbers in a table beside each chart.

// maxReportDays bounds the report page's range: a year of days is a chart still readable.
const maxReportDays = 366

type reportForm struct {
	From, To string
}

type boardFigures struct {
	board.Figures
	Groups []presenceGroup
	Alerts []string
	SL     []slFigure
}

type presenceGroup struct {
	State     string
	Operators []string
}

type slFigure struct {
	Target  string
	Percent string
}

type reportView struct {
	Form     reportForm
	Errors   fieldErrors
	Board    *boardFigures
	BoardErr string
	Report   *report.Report
	Calls    chart
	Cases    chart
	ByHour   bool
	Totals   []figure
}

type figure struct {
	Name  string
	Value string
}

// chart is one bar chart: groups of bars along x, and the same numbers as table rows.
type chart struct {
	ID            string
	Title         string
	Width, Height int
	Series        []series
	Groups        []barGroup
	Ticks         []tick
	Baseline      int
	Left, Right   int
}

type series struct {
	Class, Name string
}

type barGroup struct {
	Key, Label string
	LabelX     int
	ShowLabel  bool
	Bars       []bar
}

type bar struct {
	Class    string
	Name     string
	N        int
	X, Y     int
	W, H     int
	TextX    int
	TextY    int
	ShowText bool
}

type tick struct {
	Y     int
	Label int
}

// statusNames are the case statuses as the manual names them.
var statusNames = map[string]string{
	string(hotline.StatusInProgress):    "В работе",
	string(hotline.StatusDelayedAnswer): "Отсроченный ответ",
	string(hotline.StatusUnderReview):   "На рассмотрении",
	string(hotline.StatusApproved):      "Утверждено",
}

// Chart geometry, in SVG user units (the SVG scales to the page's width).
const (
	chartPlotH  = 200
	chartTop    = 10
	chartLeft   = 40
	chartBottom = 40
	chartBarW   = 8
	chartGap    = 10
)

// barChart lays rows out as groups of bars, one per series, with max at the plot's top.
func barChart(id, title string, ss []series, keys, labels []string, values [][]int) chart {
	c := chart{ID: id, Title: title, Series: ss, Left: chartLeft, Baseline: chartTop + chartPlotH}
	top := 0
	for _, vs := range values {
		for _, v := range vs {
			top = max(top, v)
		}
	}
	scale := max(top, 1)
	groupW := len(ss)*chartBarW + chartGap
	every := max(1, len(keys)/24) // at most about 24 labels along x
	for i := range keys {
		g := barGroup{Key: keys[i], Label: labels[i], ShowLabel: i%every == 0}
		x0 := chartLeft + chartGap/2 + i*groupW
		g.LabelX = x0 + len(ss)*chartBarW/2
		for j, s := range ss {
			n := values[i][j]
			h := n * chartPlotH / scale
			b := bar{Class: s.Class, Name: s.Name, N: n, X: x0 + j*chartBarW, W: chartBarW - 1, H: h, Y: c.Baseline - h}
			b.TextX, b.TextY, b.ShowText = b.X+chartBarW/2, b.Y-2, n > 0 && len(keys) <= 31
			g.Bars = append(g.Bars, b)
		}
		c.Groups = append(c.Groups, g)
	}
	c.Right = chartLeft + len(keys)*groupW + chartGap
	c.Width = c.Right + 10
	c.Height = chartTop + chartPlotH + chartBottom
	steps := 4
	for k := 0; k <= steps; k++ {
		v := top * k / steps
		if k > 0 && v == top*(k-1)/steps {
			continue // small numbers: no repeated tick
		}
		c.Ticks = append(c.Ticks, tick{Y: c.Baseline - v*chartPlotH/scale, Label: v})
	}
	return c
}

var callSeries = []series{{"offered", "Поступило"}, {"answered", "Принято"}, {"abandoned", "Пропущено"}}

func callChart(r *report.Report, byHour bool) chart {
	rows, title := r.Periods, "Звонки по дням"
	if byHour {
		rows, title = r.Hours, "Звонки по часам"
	}
	var keys, labels []string
	var values [][]int
	for _, row := range rows {
		label := row.Key
		if byHour {
			label = row.Key + ":00"
		} else if t, err := time.Parse(time.DateOnly, row.Key); err == nil {
			label = t.Format("02.01")
		}
		keys, labels = append(keys, row.Key), append(labels, label)
		values = append(values, []int{row.Offered, row.Answered, row.Abandoned + row.ShortAbandoned})
	}
	return barChart("chart-calls", title+": поступило, принято, пропущено", callSeries, keys, labels, values)
}

func caseChart(r *report.Report) chart {
	var keys, labels []string
	var values [][]int
	for _, st := range []hotline.CaseStatus{hotline.StatusInProgress, hotline.StatusDelayedAnswer, hotline.StatusUnderReview, hotline.StatusApproved} {
		n := 0
		for _, c := range r.Cases.ByStatus {
			if c.Key == string(st) {
				n = c.N
			}
		}
		keys, labels = append(keys, string(st)), append(labels, statusNames[string(st)])
		values = append(values, []int{n})
	}
	return barChart("chart-cases", "Обращения по статусам", []series{{"cases", "Обращений"}}, keys, labels, values)
}

func percent(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", *p)
}

func seconds(p *float64) string {
	if p == nil {
		return "—"
	}
	return (time.Duration(*p) * time.Second).String()
}

func target(sec float64) string {
	return (time.Duration(sec) * time.Second).String()
}

// alertText is a board alert in the page's words.
func alertText(a board.Alert) string {
	switch a.Kind {
	case board.NotConnected:
		return "Нет связи с Asterisk: звонки не принимаются."
	case board.LongestWait:
		return fmt.Sprintf("Абонент ждёт в очереди %s — дольше допустимых %s.", a.Wait.Round(time.Second), a.Limit)
	case board.FewOnLine:
		return fmt.Sprintf("На линии %d оператор(ов) — меньше необходимых %d.", a.OnLine, a.MinOnLine)
	case board.LowServiceLevel:
		return fmt.Sprintf("Уровень обслуживания сегодня %.0f%% — ниже %.0f%%.", a.Percent, a.Target)
	}
	return string(a.Kind)
}

func parseDay(v string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), loc)
	return t, err == nil
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.needJournal(w, r) {
		return
	}
	now := time.Now()
	loc := now.Location()
	today := now.Format(time.DateOnly)
	q := r.URL.Query()
	v := reportView{Form: reportForm{From: q.Get("from"), To: q.Get("to")}, Errors: fieldErrors{}}
	if v.Form.From == "" {
		v.Form.From = today
	}
	if v.Form.To == "" {
		v.Form.To = v.Form.From
	}
	if len(v.Form.From) > 10 || len(v.Form.To) > 10 {
		v.Form = reportForm{From: today, To: today}
		v.Errors["from"] = "Даты: в виде ГГГГ-ММ-ДД."
	}
	from, okFrom := parseDay(v.Form.From, loc)
	to, okTo := parseDay(v.Form.To, loc)
	switch {
	case !okFrom:
		v.Errors["from"] = "Дата «с»: в виде ГГГГ-ММ-ДД, например " + today + "."
	case !okTo:
		v.Errors["to"] = "Дата «по»: в виде ГГГГ-ММ-ДД, например " + today + "."
	case to.Before(from):
		v.Errors["to"] = "Дата «по» раньше даты «с»."
	case to.Sub(from) > maxReportDays*24*time.Hour:
		v.Errors["to"] = fmt.Sprintf("Период не длиннее %d дней.", maxReportDays)
	}
	src := report.FromStore(s.Journal)
	data := pageData{Title: "Табло и отчёт", User: &u, Data: &v}
	v.Board, v.BoardErr = s.boardFigures(r, src)

	status := http.StatusOK
	if len(v.Errors) > 0 {
		data.Error = "Отчёт не построен: исправьте период."
		s.render(w, r, http.StatusUnprocessableEntity, "admin_report", data)
		return
	}
	end := to.AddDate(0, 0, 1) // «по» includes that day
	o := report.Options{From: from, To: end, Location: loc, Period: report.Day}
	asOf := end
	if now.Before(asOf) {
		asOf = now
	}
	d, err := src.Load(r.Context(), from, end, asOf)
	var rep *report.Report
	if err == nil {
		rep, err = report.Compute(d, o, now)
	}
	if err != nil {
		status, data.Error = s.failure(r, "report", err)
		s.render(w, r, status, "admin_report", data)
		return
	}
	v.Report = rep
	v.ByHour = from.Equal(to)
	v.Calls = callChart(rep, v.ByHour)
	v.Cases = caseChart(rep)
	t := rep.Total
	v.Totals = []figure{
		{"Поступило звонков", fmt.Sprint(t.Offered)},
		{"Принято", fmt.Sprint(t.Answered)},
		{"Пропущено (абонент не дождался ответа)", fmt.Sprint(t.Abandoned + t.ShortAbandoned)},
		{"Из них коротких (до " + report.DefaultShortAbandon.String() + ")", fmt.Sprint(t.ShortAbandoned)},
		{"Переполнение (обратный звонок, сообщение)", fmt.Sprint(t.Overflow)},
		{"Доля пропущенных", percent(t.AbandonRate)},
		{"Среднее ожидание ответа", seconds(t.ASASeconds)},
		{"Среднее время обслуживания", seconds(t.AHTSeconds)},
		{"Переводов", fmt.Sprint(t.Transferred)},
		{"Зарегистрировано обращений", fmt.Sprint(rep.Cases.Registered)},
		{"Просрочено обращений", fmt.Sprint(len(rep.Cases.Overdue))},
		{"Отсроченных ответов: обещано / перезвонили / в срок", fmt.Sprintf("%d / %d / %d", rep.Callbacks.Requested, rep.Callbacks.Made, rep.Callbacks.Kept)},
	}
	for _, sl := range t.ServiceLevel {
		v.Totals = append(v.Totals, figure{"Уровень обслуживания (ответ за " + target(sl.TargetSeconds) + ")", percent(sl.Percent)})
	}
	s.render(w, r, status, "admin_report", data)
}

// boardFigures are the board's figures now (the switchboard's snapshot and today's numbers), or
// why there are none.
func (s *Server) boardFigures(r *http.Request, src *report.Source) (*boardFigures, string) {
	if s.Live == nil {
		return nil, "Сведения о звонках недоступны."
	}
	snap, err := s.Live.Snapshot(r.Context())
	if err != nil {
		s.log().Error("web: report: live snapshot", "err", err)
		return nil, "Сведения о звонках сейчас недоступны."
	}
	today, err := board.TodayFrom(src)(r.Context())
	if err != nil {
		s.log().Error("web: report: today's numbers", "err", err)
		today = nil
	}
	fig := board.Figure(board.StatusOf(snap), today)
	out := &boardFigures{Figures: fig}
	for _, g := range fig.Groups {
		pg := presenceGroup{State: presenceText[g.Presence]}
		for _, o := range g.Operators {
			name := o.Extension + " " + o.Name
			if g.Presence == hotline.PresencePaused && o.Reason != "" {
				name += " (причина " + o.Reason + ")"
			}
			pg.Operators = append(pg.Operators, name)
		}
		out.Groups = append(out.Groups, pg)
	}
	for _, a := range board.Check(fig, board.DefaultThresholds()) {
		out.Alerts = append(out.Alerts, alertText(a))
	}
	if today != nil {
		for _, sl := range today.ServiceLevel {
			out.SL = append(out.SL, slFigure{Target: target(sl.TargetSeconds), Percent: percent(sl.Percent)})
		}
	}
	return out, ""
}
