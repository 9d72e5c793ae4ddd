package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// By is the breakdown a table or CSV shows: rows per period, operator, topic or hour of day.
type By string

const (
	ByPeriod   By = "period"
	ByOperator By = "operator"
	ByTopic    By = "topic"
	ByHour     By = "hour"
)

// Valid reports whether b is a known breakdown.
func (b By) Valid() bool { return b == ByPeriod || b == ByOperator || b == ByTopic || b == ByHour }

// WriteJSON writes the whole report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// human formats seconds for people: 45s, 3m05s, 1h02m.
func human(sec float64) string {
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	default:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}

func humanP(p *float64) string {
	if p == nil {
		return "-"
	}
	return human(*p)
}

func pctS(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

// num is a CSV number: plain, up to 3 decimals, empty when there is none.
func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func numF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// shortDur writes a duration as Go does, without zero tails: 20s, 2m, 1m30s, 1h.
func shortDur(sec float64) string {
	s := time.Duration(sec * float64(time.Second)).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func targetName(sec float64) string { return "sl_" + shortDur(sec) }

func (r *Report) callRows(by By) ([]CallStats, string) {
	switch by {
	case ByTopic:
		return r.Topics, "TOPIC"
	case ByHour:
		return r.Hours, "HOUR"
	default:
		return append(append([]CallStats(nil), r.Periods...), r.Total), strings.ToUpper(string(r.Period))
	}
}

// WriteTable writes the report for people: the rows of by, then (per period) callbacks and cases.
func WriteTable(w io.Writer, r *Report, by By) error {
	loc := r.location()
	var sl []string
	for _, t := range r.Thresholds.SLTargets {
		sl = append(sl, shortDur(t))
	}
	fmt.Fprintf(w, "Report %s to %s (%s), as of %s\n", r.From.In(loc).Format("2006-01-02 15:04"), r.To.In(loc).Format("2006-01-02 15:04"),
		r.TimeZone, r.AsOf.In(loc).Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "Service level within %s; short abandon under %s; wrap-up assumed %s (see docs/reports.md)\n\n",
		strings.Join(sl, " and "), human(r.Thresholds.ShortAbandonSeconds), human(r.Thresholds.WrapUpSeconds))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	if by == ByOperator {
		fmt.Fprintln(tw, "ID\tOPERATOR\tHANDLED\tXFER IN\tXFER OUT\tXFER%\tTALK\tWRAP-UP\tAHT\tASA\tSTAFFED\tOCCUPANCY\tPAUSED\tLOGINS\tOVERDUE\t")
		lines, approx := operatorLines(r)
		for _, o := range lines {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", o.ID, o.Name, o.Handled, o.TransferredIn, o.TransferredOut,
				o.TransferRate, o.Talk, o.WrapUp, o.AHT, o.ASA, o.Staffed, o.Occupancy, o.Paused, o.Logins, o.Overdue)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if approx {
			fmt.Fprintln(w, "* "+observedSpanNote)
		}
		for _, o := range lines {
			if o.Pauses != "" {
				fmt.Fprintf(w, "Pauses of %s by reason: %s\n", o.Name, o.Pauses)
			}
		}
		return nil
	}
	rows, keyName := r.callRows(by)
	head := keyName + "\tOFFERED\tANSWERED\tABANDONED\tSHORT\tOVERFLOW\tFAILED\tWAITING"
	for _, s := range sl {
		head += "\tSL " + s
	}
	head += "\tABANDON%\tASA\tMAX WAIT\tHANDLED\tAHT\tXFER%\t"
	if by == ByTopic {
		head += "TITLE\t"
	}
	fmt.Fprintln(tw, head)
	omitted := 0
	for _, c := range rows {
		if by == ByPeriod && len(r.Periods) > 1 && c.Key != "total" && c.Offered == 0 && c.Handled == 0 {
			omitted++ // a long range of days is mostly quiet nights and weekends: CSV and JSON keep them
			continue
		}
		line := fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d", c.Key, c.Offered, c.Answered, c.Abandoned, c.ShortAbandoned, c.Overflow, c.Failed, c.InProgress)
		for _, s := range c.ServiceLevel {
			line += "\t" + pctS(s.Percent)
		}
		line += fmt.Sprintf("\t%s\t%s\t%s\t%d\t%s\t%s\t", pctS(c.AbandonRate), humanP(c.ASASeconds), human(c.MaxWait), c.Handled, humanP(c.AHTSeconds), pctS(c.TransferRate))
		if by == ByTopic {
			line += c.Label + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if omitted > 0 {
		fmt.Fprintf(w, "(%d %ss without calls not shown)\n", omitted, r.Period)
	}
	if by != ByPeriod {
		return nil
	}
	cb := r.Callbacks
	fmt.Fprintf(w, "\nCallbacks requested %d, made %d, kept %d (%s), pending %d\n", cb.Requested, cb.Made, cb.Kept, pctS(cb.KeptRate), cb.Pending)
	if r.PresenceHistory {
		var days []string
		for _, p := range r.Periods {
			if p.Logins > 0 {
				days = append(days, fmt.Sprintf("%s %d", p.Key, p.Logins))
			}
		}
		fmt.Fprintf(w, "Operators' logins %d: %s\n", r.Total.Logins, orNone(strings.Join(days, ", ")))
	}
	fmt.Fprintf(w, "Cases registered %d\n", r.Cases.Registered)
	for _, b := range []struct {
		name string
		cs   []Count
	}{{"by type", r.Cases.ByType}, {"by status", r.Cases.ByStatus}, {"by topic", r.Cases.ByTopic}} {
		var parts []string
		for _, c := range b.cs {
			parts = append(parts, fmt.Sprintf("%s %d", c.Key, c.N))
		}
		fmt.Fprintf(w, "  %s: %s\n", b.name, orNone(strings.Join(parts, ", ")))
	}
	fmt.Fprintf(w, "Overdue cases %d\n", len(r.Cases.Overdue))
	if len(r.Cases.Overdue) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  CASE\tSTATUS\tOWNER\tDUE\tDAYS OVERDUE")
		for _, o := range r.Cases.Overdue {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\n", o.Number, o.Status, orNone(o.Owner), o.DueAt.In(loc).Format("2006-01-02 15:04"), o.DaysOverdue)
		}
		return tw.Flush()
	}
	return nil
}

// operatorLine is an operator's row as people read it, in the table and the HTML page: durations
// rounded (human), rates to 0.1 %, "-" where there is nothing to show.
type operatorLine struct {
	ID                                     int64
	Name                                   string
	Handled, TransferredIn, TransferredOut int
	TransferRate, Talk, WrapUp, AHT, ASA   string
	Staffed, Occupancy, Paused, Logins     string // Staffed ends in * when it is the observed span
	Overdue                                int
	Pauses                                 string // by reason: "2 15m (1), 3 5m (2)"; "" when none
}

// observedSpanNote explains the * of a staffed time taken from the observed span.
const observedSpanNote = "no presence history in the range: staffed time is the observed span, first answer to last wrap-up of each day (occupancy an upper bound)"

// operatorLines formats r.Operators for people; approx tells whether a staffed time is the
// observed span (marked *, explained by observedSpanNote).
func operatorLines(r *Report) (lines []operatorLine, approx bool) {
	for _, o := range r.Operators {
		l := operatorLine{ID: o.ID, Name: o.Name, Handled: o.Handled, TransferredIn: o.TransferredIn, TransferredOut: o.TransferredOut,
			TransferRate: pctS(o.TransferRate), Talk: human(o.TalkSeconds), WrapUp: human(o.WrapSeconds), AHT: humanP(o.AHTSeconds),
			ASA: humanP(o.ASASeconds), Staffed: human(o.StaffedSeconds), Occupancy: pctS(o.Occupancy), Paused: "-", Logins: "-",
			Overdue: o.Overdue}
		switch o.StaffedFrom {
		case StaffedFromObservedSpan:
			l.Staffed += "*"
			approx = true
		case StaffedFromPresence:
			l.Paused, l.Logins = human(o.PausedSeconds), strconv.Itoa(o.Logins)
		}
		var parts []string
		for _, p := range o.Pauses {
			parts = append(parts, fmt.Sprintf("%s %s (%d)", orNone(p.Reason), human(p.Seconds), p.Pauses))
		}
		l.Pauses = strings.Join(parts, ", ")
		lines = append(lines, l)
	}
	return lines, approx
}

// WriteCSV writes the rows of by as CSV with a header: numbers bare, seconds and percentages
// unrounded, empty where there is nothing to divide by.
func WriteCSV(w io.Writer, r *Report, by By) error {
	cw := csv.NewWriter(w)
	if by == ByOperator {
		_ = cw.Write([]string{"id", "name", "handled", "transferred_in", "transferred_out", "transfer_rate", "talk_seconds",
			"wrap_up_seconds", "aht_seconds", "asa_seconds", "staffed_seconds", "occupancy", "overdue_cases",
			"staffed_from", "paused_seconds", "pauses", "unreachable_seconds", "logins"})
		for _, o := range r.Operators {
			var pauses []string // reason:seconds:count;...
			for _, p := range o.Pauses {
				pauses = append(pauses, p.Reason+":"+numF(p.Seconds)+":"+strconv.Itoa(p.Pauses))
			}
			_ = cw.Write([]string{strconv.FormatInt(o.ID, 10), o.Name, strconv.Itoa(o.Handled), strconv.Itoa(o.TransferredIn),
				strconv.Itoa(o.TransferredOut), num(o.TransferRate), numF(o.TalkSeconds), numF(o.WrapSeconds), num(o.AHTSeconds),
				num(o.ASASeconds), numF(o.StaffedSeconds), num(o.Occupancy), strconv.Itoa(o.Overdue),
				o.StaffedFrom, numF(o.PausedSeconds), strings.Join(pauses, ";"), numF(o.UnreachableSeconds), strconv.Itoa(o.Logins)})
		}
	} else {
		rows, keyName := r.callRows(by)
		head := []string{strings.ToLower(keyName), "label", "offered", "answered", "abandoned", "short_abandoned", "overflow", "failed", "in_progress"}
		for _, t := range r.Thresholds.SLTargets {
			head = append(head, targetName(t)+"_within", targetName(t)+"_percent")
		}
		head = append(head, "abandon_rate", "asa_seconds", "max_wait_seconds", "handled", "talk_seconds", "wrap_up_seconds", "aht_seconds",
			"transferred", "transfer_rate", "logins")
		_ = cw.Write(head)
		for _, c := range rows {
			rec := []string{c.Key, c.Label}
			for _, n := range []int{c.Offered, c.Answered, c.Abandoned, c.ShortAbandoned, c.Overflow, c.Failed, c.InProgress} {
				rec = append(rec, strconv.Itoa(n))
			}
			for _, s := range c.ServiceLevel {
				rec = append(rec, strconv.Itoa(s.Within), num(s.Percent))
			}
			rec = append(rec, num(c.AbandonRate), num(c.ASASeconds), numF(c.MaxWait), strconv.Itoa(c.Handled), numF(c.TalkSeconds),
				numF(c.WrapSeconds), num(c.AHTSeconds), strconv.Itoa(c.Transferred), num(c.TransferRate), strconv.Itoa(c.Logins))
			_ = cw.Write(rec)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// lineColor is the colour of the service-level line of the i-th target.
func lineColor(i int) string {
	return []string{"#1565c0", "#6a1b9a", "#00838f"}[i%3]
}

// chart geometry, in SVG user units.
const (
	chartW, chartH = 960.0, 320.0
	padL, padR     = 48.0, 48.0
	padT, padB     = 16.0, 32.0
)

// hourChart draws volume by hour (stacked bars: answered, abandoned, short abandoned, overflow
// and failed, waiting) against the left axis and service level by hour (one line per target,
// 0–100 %) against the right axis.
func hourChart(r *Report) template.HTML {
	maxN := 1
	for _, h := range r.Hours {
		maxN = max(maxN, h.Offered)
	}
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	slot := plotW / float64(len(r.Hours))
	y := func(n int) float64 { return padT + plotH - plotH*float64(n)/float64(maxN) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="100%%" role="img" aria-label="Calls and service level by hour">`, chartW, chartH)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#888"/>`, padL, padT+plotH, padL+plotW, padT+plotH)
	ticks := []int{0, maxN}
	if maxN >= 2 {
		ticks = []int{0, maxN / 2, maxN}
	}
	for _, n := range ticks {
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end" class="ax">%d</text>`, padL-6, y(n)+4, n)
	}
	for _, p := range []int{0, 50, 100} {
		fmt.Fprintf(&b, `<text x="%g" y="%g" class="ax">%d%%</text>`, padL+plotW+6, padT+plotH-plotH*float64(p)/100+4, p)
	}
	colors := []string{"#2e7d32", "#c62828", "#ef9a9a", "#f9a825", "#9e9e9e"}
	for i, h := range r.Hours {
		x := padL + float64(i)*slot + slot*0.15
		base := 0
		for k, n := range []int{h.Answered, h.Abandoned, h.ShortAbandoned, h.Overflow + h.Failed, h.InProgress} {
			if n == 0 {
				continue
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s:00 %d</title></rect>`,
				x, y(base+n), slot*0.7, y(base)-y(base+n), colors[k], h.Key, n)
			base += n
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle" class="ax">%s</text>`, x+slot*0.35, chartH-padB+16, h.Key)
	}
	for t := range r.Thresholds.SLTargets {
		var pts []string
		for i, h := range r.Hours {
			if t >= len(h.ServiceLevel) || h.ServiceLevel[t].Percent == nil {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", padL+float64(i)*slot+slot/2, padT+plotH-plotH**h.ServiceLevel[t].Percent/100))
		}
		c := lineColor(t)
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), c)
			for _, p := range pts {
				xy := strings.Split(p, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, xy[0], xy[1], c)
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and hour keys only
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": pctS, "human": human, "humanP": humanP, "dur": shortDur,
	"date": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hotline: calls by hour, {{date .R.From .Loc}} to {{date .R.To .Loc}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}th{background:#f4f4f4}td.l{text-align:left}
.ax{font-size:11px;fill:#555}.key span{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px;vertical-align:middle}
</style></head><body>
<h1>Calls and service level by hour</h1>
<p>{{date .R.From .Loc}} to {{date .R.To .Loc}} ({{.R.TimeZone}}), as of {{date .R.AsOf .Loc}}.
Offered {{.R.Total.Offered}}, answered {{.R.Total.Answered}}, abandoned {{.R.Total.Abandoned}} (+{{.R.Total.ShortAbandoned}} short),
{{range .R.Total.ServiceLevel}}service level within {{dur .TargetSeconds}} {{pct .Percent}}, {{end}}average speed of answer {{humanP .R.Total.ASASeconds}}.</p>
<p class="key">Bars, left axis: calls offered<span style="background:#2e7d32"></span>answered<span style="background:#c62828"></span>abandoned<span style="background:#ef9a9a"></span>short abandoned<span style="background:#f9a825"></span>overflow and failed<span style="background:#9e9e9e"></span>waiting.
Lines, right axis: service level{{range $i, $t := .R.Thresholds.SLTargets}}<span style="background:{{index $.Lines $i}}"></span>within {{dur $t}}{{end}}.</p>
{{.Chart}}
<table><tr><th>hour</th><th>offered</th><th>answered</th><th>abandoned</th><th>short</th><th>overflow</th><th>failed</th>{{range .R.Thresholds.SLTargets}}<th>SL {{dur .}}</th>{{end}}<th>ASA</th><th>AHT</th></tr>
{{range .R.Hours}}{{if .Offered}}<tr><td>{{.Key}}:00</td><td>{{.Offered}}</td><td>{{.Answered}}</td><td>{{.Abandoned}}</td><td>{{.ShortAbandoned}}</td><td>{{.Overflow}}</td><td>{{.Failed}}</td>{{range .ServiceLevel}}<td>{{pct .Percent}}</td>{{end}}<td>{{humanP .ASASeconds}}</td><td>{{humanP .AHTSeconds}}</td></tr>
{{end}}{{end}}</table>
{{if .Ops}}<h2>Operators</h2>
<table><tr><th>id</th><th>operator</th><th>handled</th><th>transferred in</th><th>transferred out</th><th>transfer rate</th><th>talk</th><th>wrap-up</th><th>AHT</th><th>ASA</th><th>staffed</th><th>occupancy</th><th>paused</th><th>pauses by reason</th><th>logins</th><th>overdue cases</th></tr>
{{range .Ops}}<tr><td>{{.ID}}</td><td class="l">{{.Name}}</td><td>{{.Handled}}</td><td>{{.TransferredIn}}</td><td>{{.TransferredOut}}</td><td>{{.TransferRate}}</td><td>{{.Talk}}</td><td>{{.WrapUp}}</td><td>{{.AHT}}</td><td>{{.ASA}}</td><td>{{.Staffed}}</td><td>{{.Occupancy}}</td><td>{{.Paused}}</td><td class="l">{{or .Pauses "-"}}</td><td>{{.Logins}}</td><td>{{.Overdue}}</td></tr>
{{end}}</table>
{{if .Approx}}<p>* {{.ApproxNote}}.</p>
{{end}}{{end}}<p>Definitions: docs/reports.md. Short abandons (under {{human .R.Thresholds.ShortAbandonSeconds}}) are left out of service level.</p>
</body></html>
`))

// WriteHTML writes a self-contained page (inline CSS and SVG, no scripts, nothing fetched) with
// volume and service level by hour, the hourly table and the operators' table (the figures of
// WriteTable by operator, pauses by reason in a column).
func WriteHTML(w io.Writer, r *Report) error {
	lines := make([]string, len(r.Thresholds.SLTargets))
	for i := range lines {
		lines[i] = lineColor(i)
	}
	ops, approx := operatorLines(r)
	err := htmlPage.Execute(w, struct {
		R          *Report
		Loc        *time.Location
		Chart      template.HTML
		Lines      []string
		Ops        []operatorLine
		Approx     bool
		ApproxNote string
	}{r, r.location(), hourChart(r), lines, ops, approx, observedSpanNote})
	if err != nil {
		return fmt.Errorf("write HTML: %w", err)
	}
	return nil
}
