package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
	"unicode"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/report"
	"github.com/spf13/cobra"
)

func newExportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the call history for tools made for Asterisk: queue_log or cdr_csv",
	}
	cmd.AddCommand(
		exportCmd(a, "queue-log", "Asterisk's queue_log: ENTERQUEUE, CONNECT, COMPLETECALLER/AGENT, BLINDTRANSFER, ABANDON, EXITWITH*, members' lines",
			`queue-log writes the calls as Asterisk's app_queue logs them (time|callid|queue|agent|event|data...),
oldest first, for queue_log readers (QueueMetrics, qloganalyzer, Wazo's stats, scripts): the calls'
lines and the operators' ADDMEMBER, REMOVEMEMBER, PAUSE (with the reason) and UNPAUSE. Agents are
named PJSIP/<extension>. Calls that never reached the queue have no lines. --from/--to take whole
calls (every line of a call in the window, or none) and keep the callers' true queue positions.
The mapping, and where it differs from app_queue, is in docs/reports.md.`,
			`  hotline export queue-log --from 2026-11-01 --to 2026-11-30 --out queue_log
  hotline export queue-log --queue hotline | grep ABANDON
  hotline export queue-log --transfer-event TRANSFER -f queue_log   # for pre-Asterisk-12 readers`, (*report.Source).WriteQueueLog),
		exportCmd(a, "cdr", "CDR records in cdr_csv's column order (Master.csv)",
			`cdr writes one record per call leg, as cdr_csv writes Master.csv (no header, loguniqueid and
loguserfield on): accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
start, answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield (the case
number). Each record is the caller's channel's: hotline answers it on arrival, so answer is the
arrival, billsec counts from it, and the disposition is ANSWERED, as Asterisk's CDR engine writes
it. --from/--to take whole calls.`,
			`  hotline export cdr --from 2026-11-01 --to 2026-11-30 --out Master.csv
  hotline export cdr --tz Europe/Moscow --progress -f cdr.csv`, (*report.Source).WriteCDR),
	)
	return cmd
}

// writeExport is a streamed export of a journal (report.Source.WriteQueueLog, WriteCDR).
type writeExport func(src *report.Source, ctx context.Context, w io.Writer, d report.ExportRead, o report.ExportOptions) (int, error)

func exportCmd(a *app, name, short, long, example string, write writeExport) *cobra.Command {
	var (
		from, to, out, queue, tz, transfer string
		always                             bool
	)
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Long: long + "\n\nWithout --from and --to, the whole history. DATE is YYYY-MM-DD in --tz; --to DATE includes that day." +
			"\n\nThe records go to standard output, or to the file --out (-f). -o is not used: the format is the one Asterisk's tools read.",
		Example: example,
		Annotations: map[string]string{noOutputFormat: "export " + name + " writes Asterisk's own format: -o/--output is not used here; " +
			"write to a file with --out (-f)"},
		Args: exactArgs(0, "no arguments (see --help)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkQueueName(queue); err != nil {
				return err
			}
			if transfer != "BLINDTRANSFER" && transfer != "TRANSFER" {
				return hotline.Errorf(hotline.EINVALID, "--transfer-event must be BLINDTRANSFER or TRANSFER, not %s", quote(transfer))
			}
			f := reportFlags{period: "day", from: from, to: to, tz: tz, sl: report.DefaultSLTarget,
				shortAbandon: report.DefaultShortAbandon, callbackWithin: report.DefaultCallbackWithin}
			if from == "" && to == "" {
				f.from = time.Unix(0, 0).UTC().Format(time.RFC3339) // the whole history
			}
			o, err := f.options(time.Now())
			if err != nil {
				return err
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
			eo := report.ExportOptions{Queue: queue, Location: o.Location, Progress: progress(cmd.ErrOrStderr(), always, name), TransferEvent: transfer}
			if from != "" || to != "" {
				eo.From, eo.To = o.From, o.To // a window takes whole calls (report.ExportOptions)
			}
			// The calls are read one at a time as they are written (report.Source.WriteQueueLog);
			// the calls before the window only place the window's first callers in the queue.
			d := report.ExportRead{From: o.From.Add(-report.ExportLookback), To: o.To}
			if d.Operators, err = src.Operators(ctx); err != nil {
				return err
			}
			if name == "queue-log" {
				if d.Presence, err = src.Presence(ctx, o.From, o.To); err != nil {
					return err
				}
			}
			if d.Rings, err = src.Rings(ctx, o.From.Add(-report.ExportLookback), o.To); err != nil {
				return err
			}
			stdout := cmd.OutOrStdout()
			return writeTo(out, stdout, func(w io.Writer) error {
				// Every field is escaped by the writer already; a terminal is guarded all the same.
				return toTerminal(w, w == stdout && isTerminal(w), func(w io.Writer) error {
					_, err := write(src, ctx, w, d, eo)
					return err
				})
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "first day (YYYY-MM-DD) or time (RFC 3339)")
	fl.StringVar(&to, "to", "", "last day, included (YYYY-MM-DD), or end time, excluded (RFC 3339)")
	fl.StringVarP(&out, "out", "f", "-", "file to write (mode 0600: caller numbers are personal data); - is standard output")
	fl.StringVar(&queue, "queue", "hotline", "queue name (and CDR context): letters, digits, - _ . only")
	fl.StringVar(&tz, "tz", "", "time zone of dates, e.g. Europe/Moscow (default: the system's)")
	if name == "queue-log" {
		fl.StringVar(&transfer, "transfer-event", "BLINDTRANSFER", "how a transfer is logged: BLINDTRANSFER (Asterisk 12 and later) or TRANSFER (older readers)")
		_ = cmd.RegisterFlagCompletionFunc("transfer-event", fixed("BLINDTRANSFER", "TRANSFER"))
	} else {
		transfer = "BLINDTRANSFER" // not used by CDRs
	}
	fl.BoolVar(&always, "progress", false, "show progress on standard error even when it is not a terminal")
	return cmd
}

// checkQueueName refuses a queue name that would forge queue_log lines or CDR fields: | is
// queue_log's separator and a newline ends a line; Asterisk's queue names are plain words.
func checkQueueName(q string) error {
	if q == "" {
		return hotline.Errorf(hotline.EINVALID, "--queue is empty: give the queue's name, e.g. hotline")
	}
	for _, r := range q {
		if !(r == '-' || r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return hotline.Errorf(hotline.EINVALID, "--queue %s holds %s: a queue name is letters, digits, - _ and . only", quote(q), quote(string(r)))
		}
	}
	return nil
}

// writeTo writes through fn to stdout ("-" or "") or to path, atomically: a temporary file in
// the same directory renamed over path, so a failed export never leaves half a file.
func writeTo(path string, stdout io.Writer, fn func(io.Writer) error) error {
	if path == "" || path == "-" {
		return fn(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot write --out %s: %v", path, unwrapPath(err))
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot write %s: %v", path, err)
	}
	if err := tmp.Close(); err != nil {
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot write %s: %v", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot write --out %s: %v", path, unwrapPath(err))
	}
	return nil
}
