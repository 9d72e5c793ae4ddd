package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/report"
	"github.com/hotline-dev/hotline/termtext"
	"github.com/spf13/cobra"
)

// reportFlags are the flags of `hotline report`.
type reportFlags struct {
	period, from, to, asOf, by, output, tz, config string
	sl, shortAbandon, wrapUp, callbackWithin       time.Duration
}

func newReportCmd(a *app) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Supervisors' numbers: calls, service level, handling, callbacks, cases, occupancy",
		Long: `report computes the contact centre's numbers from the journal (read-only; safe while hotline
serves): calls offered, answered, abandoned (short abandons apart), service level within --sl and
within two minutes, average speed of answer, average handling time, transfer rate, callbacks
requested, made and kept, cases by type, topic and status, overdue cases, operator occupancy.
Every number is defined in docs/reports.md.

Without --from and --to the report covers the current day, week or month (--period). With them,
it has one row per --period in the range. DATE is YYYY-MM-DD in --tz; --to DATE includes that day.
An RFC 3339 time is taken as is, and --to is then exclusive.

--output table and csv show the rows of --by (period, operator, topic or hour); json holds
everything; html is a self-contained page with volume and service level by hour, and the
operators' figures.`,
		Example: `  hotline report                                   # today, per day
  hotline report --period week --by operator       # this week, per operator
  hotline report --from 2026-11-01 --to 2026-11-30 --period day -o csv > november.csv
  hotline report --period month --by topic --sl 30s
  hotline report --config /etc/hotline/hotline.yaml --period week   # SL target and wrap-up from the file
  hotline report --from 2026-11-23 --to 2026-11-23 -o html > today.html`,
		Args: exactArgs(0, "no arguments (see --help)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.config != "" {
				cfg, err := loadConfig(f.config, config.Options{Sections: []string{"calls"}})
				if err != nil {
					return err
				}
				// The file gives the defaults; flags given on the command line win.
				if !cmd.Flags().Changed("sl") {
					f.sl = cfg.Calls.ServiceLevelTarget
				}
				if !cmd.Flags().Changed("wrap-up") {
					f.wrapUp = cfg.Calls.WrapUp
				}
			}
			return runReport(cmd, a, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.period, "period", "day", "rows over time: day, week (ISO, Monday first) or month")
	fl.StringVar(&f.from, "from", "", "first day (YYYY-MM-DD) or time (RFC 3339) of the report")
	fl.StringVar(&f.to, "to", "", "last day, included (YYYY-MM-DD), or end time, excluded (RFC 3339)")
	fl.StringVar(&f.asOf, "as-of", "", "count overdue cases and callbacks made as of this time (default: the end of the range, or now)")
	fl.StringVar(&f.by, "by", "period", "rows of the table or CSV: period, operator, topic or hour")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, csv, json or html")
	fl.StringVar(&f.tz, "tz", "", "time zone of days and hours, e.g. Europe/Moscow (default: the system's)")
	fl.StringVarP(&f.config, "config", "c", "", "take --sl and --wrap-up from this configuration file (calls.service_level_target, calls.wrap_up; at most 256 KB)")
	fl.DurationVar(&f.sl, "sl", report.DefaultSLTarget, "service-level target (calls.service_level_target); two minutes is always reported too")
	fl.DurationVar(&f.shortAbandon, "short-abandon", report.DefaultShortAbandon, "callers who hang up sooner are short abandons, left out of service level")
	fl.DurationVar(&f.wrapUp, "wrap-up", report.DefaultWrapUp, "wrap-up assumed after each call (calls.wrap_up)")
	fl.DurationVar(&f.callbackWithin, "callback-within", report.DefaultCallbackWithin, "callback promise for a case without a due date")
	_ = cmd.RegisterFlagCompletionFunc("period", fixed("day", "week", "month"))
	_ = cmd.RegisterFlagCompletionFunc("by", fixed("period", "operator", "topic", "hour"))
	_ = cmd.RegisterFlagCompletionFunc("output", fixed("table", "csv", "json", "html"))
	return cmd
}

func runReport(cmd *cobra.Command, a *app, f reportFlags) error {
	o, err := f.options(time.Now())
	if err != nil {
		return err
	}
	by := report.By(f.by)
	if !by.Valid() {
		return hotline.Errorf(hotline.EINVALID, "--by must be period, operator, topic or hour, not %s", quote(f.by))
	}
	switch f.output {
	case "table", "csv", "json", "html":
	default:
		return hotline.Errorf(hotline.EINVALID, "--output must be table, csv, json or html, not %s", quote(f.output))
	}
	if err := a.requireJournal(); err != nil {
		return err
	}
	ctx := cmd.Context()
	src, err := report.Open(ctx, a.dbPath)
	if err != nil {
		return err
	}
	defer src.Close()
	// Read as it computes: a report over years of calls holds none of them (Source.Report).
	r, err := src.Report(ctx, o, time.Now())
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	switch f.output {
	case "csv":
		return toTerminal(out, isTerminal(out), func(w io.Writer) error { return report.WriteCSV(w, r, by) })
	case "json":
		return report.WriteJSON(out, r)
	case "html":
		return toTerminal(out, isTerminal(out), func(w io.Writer) error { return report.WriteHTML(w, r) })
	default:
		// The table shows operators' names and topics' titles as the journal holds them: what a
		// terminal would obey in them is escaped (the whole table at once: a rune is never cut).
		var b strings.Builder
		if err := report.WriteTable(&b, r, by); err != nil {
			return err
		}
		_, err := io.WriteString(out, termtext.EscapeLines(b.String()))
		return err
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// options turns the flags into the report's options; now places the default range.
func (f reportFlags) options(now time.Time) (report.Options, error) {
	loc := time.Local
	if f.tz != "" {
		var err error
		if loc, err = time.LoadLocation(f.tz); err != nil {
			return report.Options{}, hotline.Errorf(hotline.EINVALID, "unknown --tz %s: want an IANA zone such as Europe/Moscow, or UTC", quote(f.tz))
		}
	}
	p := report.Period(f.period)
	if !p.Valid() {
		return report.Options{}, hotline.Errorf(hotline.EINVALID, "--period must be day, week or month, not %s", quote(f.period))
	}
	o := report.Options{Location: loc, Period: p, ShortAbandon: f.shortAbandon, WrapUp: f.wrapUp, CallbackWithin: f.callbackWithin,
		SLTargets: []time.Duration{f.sl}}
	if f.sl != report.SeedsSLTarget {
		o.SLTargets = append(o.SLTargets, report.SeedsSLTarget)
	}
	if f.sl <= 0 || f.shortAbandon <= 0 || f.wrapUp < 0 || f.callbackWithin <= 0 {
		return o, hotline.Errorf(hotline.EINVALID, "--sl, --short-abandon and --callback-within must be positive, --wrap-up not negative")
	}
	from, _, err := parseReportTime("from", f.from, loc)
	if err != nil {
		return o, err
	}
	to, err := parseUntil("to", f.to, loc)
	if err != nil {
		return o, err
	}
	switch {
	case f.from == "" && f.to == "":
		from = p.Start(now, loc)
		to = p.Next(from)
	case f.from == "":
		return o, hotline.Errorf(hotline.EINVALID, "--to needs --from")
	case f.to == "":
		to = report.Day.Next(report.Day.Start(now, loc)) // through today
	}
	switch {
	case !to.After(from) && f.to == "":
		return o, hotline.Errorf(hotline.EINVALID, "the range is empty: --from %s is after today, where the range ends without --to", f.from)
	case !to.After(from):
		return o, hotline.Errorf(hotline.EINVALID, "the range is empty: --to %s is before --from %s", f.to, f.from)
	}
	o.From, o.To = from, to
	if f.asOf != "" {
		if o.AsOf, _, err = parseReportTime("as-of", f.asOf, loc); err != nil {
			return o, err
		}
	}
	return o, nil
}

// progress reports an export's progress on w, when w is a terminal or always is set.
func progress(w io.Writer, always bool, what string) func(done, total int) {
	if !always && !isTerminal(w) {
		return nil
	}
	return func(done, total int) {
		fmt.Fprintf(w, "\r%s: %d/%d call legs", what, done, total)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

// toTerminal runs write on out, through termtext's escaping when out is a terminal (tty): names
// and titles in a CSV or HTML report are what people typed, and html/template leaves an escape
// sequence as it is. Redirected to a file or a pipe, the data is written as it is.
func toTerminal(out io.Writer, tty bool, write func(io.Writer) error) error {
	if !tty {
		return write(out)
	}
	tw := termtext.NewWriter(out)
	if err := write(tw); err != nil {
		return err
	}
	return tw.Flush()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
