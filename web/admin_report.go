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

// adminMaxReportDays bounds the report page's range: a year of days is a chart still readable.
const adminMaxReportDays = 366

type adminReportForm struct {
	From, To string
}

type adminBoardFigures struct {
	board.Figures
	Longest string // the longest wait, in the page's words
	Groups  []adminPresenceGroup
	Alerts  []string
	SL      []adminSLFigure
}

type adminPresenceGroup struct {
	State     string
	Operators []string
}

type adminSLFigure struct {
	Target  string
	Percent string
}

type adminReportView struct {
	Form     adminReportForm
	Errors   adminErrors
	Board    *adminBoardFigures
	BoardErr string
	Report   *report.Report
	Calls    svgChart
	Cases    svgChart
	ByHour   bool
	Period   string // the days of the report, as the page shows them
	Totals   []adminFigure
}

type adminFigure struct {
	Name  string
	Value string
}

// svgChart is one bar chart: groups of bars along x, and the same numbers as table rows.
type svgChart struct {
	ID            string
	Title         string
	Width, Height int
	Series        []svgSeries
	Groups        []svgGroup
	Ticks         []svgTick
	Baseline      int
	Left, Right   int
}

type svgSeries struct {
	Class, Name string
}

type svgGroup struct {
	Key, Label string
	LabelX     int
	ShowLabel  bool
	Bars       []svgBar
}

type svgBar struct {
	Class    string
	Name     string
	N        int
	X, Y     int
	W, H     int
	TextX    int
	TextY    int
	ShowText bool
}

type svgTick struct {
	Y     int
	Label int
}

// Chart geometry, in SVG user units (the SVG scales to the page's width).
const (
	svgPlotH  = 200
	svgTop    = 10
	svgLeft   = 40
	svgBottom = 40
	svgBarW   = 8
	svgGap    = 10
)

// svgBarChart lays rows out as groups of bars, one per series, with max at the plot's top.
func svgBarChart(id, title string, ss []svgSeries, keys, labels []string, values [][]int) svgChart {
	c := svgChart{ID: id, Title: title, Series: ss, Left: svgLeft, Baseline: svgTop + svgPlotH}
	top := 0
	for _, vs := range values {
		for _, v := range vs {
			top = max(top, v)
		}
	}
	// Grid lines at whole steps (1, 2, 5, 10, 20, 50... per line, about four lines): the plot's
	// top is the first step at or above the tallest bar.
	step := 0
	for mag := 1; step == 0; mag *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*mag*4 >= top {
				step = m * mag
				break
			}
		}
	}
	scale := max(step*((top+step-1)/step), 1)
	groupW := len(ss)*svgBarW + svgGap
	every := max(1, len(keys)/24) // at most about 24 labels along x
	for i := range keys {
		g := svgGroup{Key: keys[i], Label: labels[i], ShowLabel: i%every == 0}
		x0 := svgLeft + svgGap/2 + i*groupW
		g.LabelX = x0 + len(ss)*svgBarW/2
		for j, s := range ss {
			n := values[i][j]
			h := n * svgPlotH / scale
			b := svgBar{Class: s.Class, Name: s.Name, N: n, X: x0 + j*svgBarW, W: svgBarW - 1, H: h, Y: c.Baseline - h}
			b.TextX, b.TextY, b.ShowText = b.X+svgBarW/2, b.Y-2, n > 0 && len(keys) <= 31
			g.Bars = append(g.Bars, b)
		}
		c.Groups = append(c.Groups, g)
	}
	c.Right = svgLeft + len(keys)*groupW + svgGap
	c.Width = c.Right + 10
	c.Height = svgTop + svgPlotH + svgBottom
	for v := 0; v <= scale; v += step {
		c.Ticks = append(c.Ticks, svgTick{Y: c.Baseline - v*svgPlotH/scale, Label: v})
	}
	return c
}

var adminCallSeries = []svgSeries{{"offered", "Поступило"}, {"answered", "Принято"}, {"abandoned", "Пропущено"}}

func adminCallChart(r *report.Report, byHour bool) svgChart {
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
	return svgBarChart("chart-calls", title+": поступило, принято, пропущено", adminCallSeries, keys, labels, values)
}

func adminCaseChart(r *report.Report) svgChart {
	var keys, labels []string
	var values [][]int
	for _, st := range caseStatuses {
		n := 0
		for _, c := range r.Cases.ByStatus {
			if c.Key == string(st) {
				n = c.N
			}
		}
		keys, labels = append(keys, string(st)), append(labels, caseStatusText(st))
		values = append(values, []int{n})
	}
	return svgBarChart("chart-cases", "Обращения по статусам", []svgSeries{{"cases", "Обращений"}}, keys, labels, values)
}

func reportPercent(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", *p)
}

func reportSeconds(p *float64) string {
	if p == nil {
		return "—"
	}
	return adminDuration(time.Duration(*p * float64(time.Second)))
}

func reportTarget(sec float64) string {
	return adminDuration(time.Duration(sec * float64(time.Second)))
}

// adminDuration is a duration in the page's words, to the second: «2 мин 40 с».
func adminDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var parts []string
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%d ч", h))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%d мин", m))
	}
	if sec > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d с", sec))
	}
	return strings.Join(parts, " ")
}

// adminAlertText is a board alert in the page's words.
func adminAlertText(a board.Alert) string {
	switch a.Kind {
	case board.NotConnected:
		return "Нет связи с Asterisk: звонки не принимаются."
	case board.LongestWait:
		return fmt.Sprintf("Абонент ждёт в очереди %s — дольше допустимых %s.", adminDuration(a.Wait), adminDuration(a.Limit))
	case board.FewOnLine:
		return fmt.Sprintf("На линии %d оператор(ов) — меньше необходимых %d.", a.OnLine, a.MinOnLine)
	case board.LowServiceLevel:
		return fmt.Sprintf("Уровень обслуживания сегодня %.0f%% — ниже %.0f%%.", a.Percent, a.Target)
	}
	return string(a.Kind)
}

func adminParseDay(v string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), loc)
	return t, err == nil
}

func (s *Server) adminReportPage(w http.ResponseWriter, r *http.Request, u User) {
	if !s.adminNeedsJournal(w, r) {
		return
	}
	now := time.Now()
	loc := now.Location()
	today := now.Format(time.DateOnly)
	q := r.URL.Query()
	v := adminReportView{Form: adminReportForm{From: q.Get("from"), To: q.Get("to")}, Errors: adminErrors{}}
	if v.Form.From == "" {
		v.Form.From = today
	}
	if v.Form.To == "" {
		v.Form.To = v.Form.From
	}
	// What was typed is shown back (escaped), cut to what a date could be.
	for _, f := range []*string{&v.Form.From, &v.Form.To} {
		if r := []rune(*f); len(r) > 32 {
			*f = string(r[:32])
		}
	}
	from, okFrom := adminParseDay(v.Form.From, loc)
	to, okTo := adminParseDay(v.Form.To, loc)
	switch {
	case !okFrom:
		v.Errors["from"] = "Дата «с»: в виде ГГГГ-ММ-ДД, например " + today + "."
	case !okTo:
		v.Errors["to"] = "Дата «по»: в виде ГГГГ-ММ-ДД, например " + today + "."
	case to.Before(from):
		v.Errors["to"] = "Дата «по» раньше даты «с»."
	case to.Sub(from) > adminMaxReportDays*24*time.Hour:
		v.Errors["to"] = fmt.Sprintf("Период не длиннее %d дней.", adminMaxReportDays)
	}
	src := report.FromStore(s.Journal)
	data := pageData{Title: "Табло и отчёт", User: &u, Data: &v}
	v.Board, v.BoardErr = s.adminBoardFigures(r, src)

	status := http.StatusOK
	if len(v.Errors) > 0 {
		data.Error = "Отчёт не построен: исправьте период."
		s.render(w, r, http.StatusUnprocessableEntity, "admin_report", data)
		return
	}
	end := to.AddDate(0, 0, 1) // «по» includes that day
	o := report.Options{From: from, To: end, Location: loc, Period: report.Day}
	rep, err := src.Report(r.Context(), o, now)
	if err != nil {
		status, data.Error = s.failure(r, "report", err)
		s.render(w, r, status, "admin_report", data)
		return
	}
	v.Report = rep
	v.ByHour = from.Equal(to)
	v.Period = from.Format("02.01.2006")
	if !v.ByHour {
		v.Period += " — " + to.Format("02.01.2006")
	}
	v.Calls = adminCallChart(rep, v.ByHour)
	v.Cases = adminCaseChart(rep)
	t := rep.Total
	v.Totals = []adminFigure{
		{"Поступило звонков", fmt.Sprint(t.Offered)},
		{"Принято", fmt.Sprint(t.Answered)},
		{"Пропущено (абонент не дождался ответа)", fmt.Sprint(t.Abandoned + t.ShortAbandoned)},
		{"Из них коротких (до " + adminDuration(report.DefaultShortAbandon) + ")", fmt.Sprint(t.ShortAbandoned)},
		{"Переполнение (обратный звонок, сообщение)", fmt.Sprint(t.Overflow)},
		{"Доля пропущенных", reportPercent(t.AbandonRate)},
		{"Среднее ожидание ответа", reportSeconds(t.ASASeconds)},
		{"Среднее время обслуживания", reportSeconds(t.AHTSeconds)},
		{"Переводов", fmt.Sprint(t.Transferred)},
		{"Зарегистрировано обращений", fmt.Sprint(rep.Cases.Registered)},
		{"Просрочено обращений", fmt.Sprint(len(rep.Cases.Overdue))},
		{"Отсроченных ответов: обещано / перезвонили / в срок", fmt.Sprintf("%d / %d / %d", rep.Callbacks.Requested, rep.Callbacks.Made, rep.Callbacks.Kept)},
	}
	for _, sl := range t.ServiceLevel {
		v.Totals = append(v.Totals, adminFigure{"Уровень обслуживания (ответ за " + reportTarget(sl.TargetSeconds) + ")", reportPercent(sl.Percent)})
	}
	s.render(w, r, status, "admin_report", data)
}

// adminBoardFigures are the board's figures now (the switchboard's snapshot and today's numbers), or
// why there are none.
func (s *Server) adminBoardFigures(r *http.Request, src *report.Source) (*adminBoardFigures, string) {
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
	out := &adminBoardFigures{Figures: fig, Longest: adminDuration(fig.LongestWait)}
	for _, g := range fig.Groups {
		pg := adminPresenceGroup{State: presenceText[g.Presence]}
		for _, o := range g.Operators {
			name := o.Extension + " " + o.Name
			if g.Presence == hotline.PresencePaused && o.Reason != "" {
				name += " (причина " + o.Reason + ")"
			}
			if !o.Since.IsZero() && g.Presence != hotline.PresenceLoggedOut {
				name += ", " + adminDuration(fig.At.Sub(o.Since))
			}
			pg.Operators = append(pg.Operators, name)
		}
		out.Groups = append(out.Groups, pg)
	}
	for _, a := range board.Check(fig, board.DefaultThresholds()) {
		out.Alerts = append(out.Alerts, adminAlertText(a))
	}
	if today != nil {
		for _, sl := range today.ServiceLevel {
			out.SL = append(out.SL, adminSLFigure{Target: reportTarget(sl.TargetSeconds), Percent: reportPercent(sl.Percent)})
		}
	}
	return out, ""
}
