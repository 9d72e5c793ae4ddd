package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

// defaultDB is where the journal lives on a server (the same default as the config file's
// journal.path); HOTLINE_DB or --db point elsewhere, e.g. ./hotline.db on a workstation.
const defaultDB = "/var/lib/hotline/hotline.db"

// app holds the global flags every command shares.
type app struct {
	dbPath string
	as     string
	output string
}

// newRootCmd builds the command tree. A new command group is one line here and its own file.
func newRootCmd() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:   "hotline",
		Short: "Call control and the case journal of the health-insurance fund's hotline",
		Long: `hotline runs the fund's contact-centre hotline on Asterisk and keeps its case journal.

Exit codes: 0 ok, 1 internal error, 2 invalid input, 3 not found, 4 conflict (the case is in
another status, or the record exists), 5 forbidden (only administrators may), 6 unavailable (the
database is locked, read-only, corrupt or not migrated).`,
		Example:       "  HOTLINE_DB=./hotline.db hotline db migrate\n  hotline case list --status under_review -o json",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.output != "table" && a.output != "json" {
				return hotline.Errorf(hotline.EINVALID, "--output must be table or json, not %q", a.output)
			}
			return nil
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true // our own, with an example, in completion.go
	db := os.Getenv("HOTLINE_DB")
	if db == "" {
		db = defaultDB
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbPath, "db", db, "the journal's SQLite file (env HOTLINE_DB)")
	pf.StringVar(&a.as, "as", "", "act as this login (default: the operating-system user)")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	_ = root.RegisterFlagCompletionFunc("output", fixed("table", "json"))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return hotline.Errorf(hotline.EINVALID, "%v (see %s --help)", err, c.CommandPath())
	})

	root.AddCommand(
		newDBCmd(a),
		withLive(withLive(newOperatorCmd(a), newLiveOperatorCmds(a)...), newOperatorHistoryCmd(a)),
		newTopicCmd(a),
		newScriptCmd(a),
		newDirectoryCmd(a),
		newCaseCmd(a),
		newCallCmd(a),
		newCompletionCmd(),
		newServeCmd(),
		newDemoCmd(),
		newStatusCmd(a),
		newBoardCmd(a),
		newRecordingCmd(a),
		newReportCmd(a),
		newExportCmd(a),
		newLoadgenCmd(),
	)
	return root
}

// withLive adds the commands that act on the running daemon to a command group.
func withLive(group *cobra.Command, live ...*cobra.Command) *cobra.Command {
	group.AddCommand(live...)
	return group
}

// withStore opens the journal (migrated to this build's schema), runs fn, and closes it.
func (a *app) withStore(cmd *cobra.Command, fn func(ctx context.Context, s *journal.Store) error) error {
	ctx := cmd.Context()
	s, err := journal.Open(ctx, a.dbPath, journal.Options{Logger: cmdLogger(cmd)})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RequireCurrent(ctx); err != nil {
		return err
	}
	return fn(ctx, s)
}

// cmdLogger is the journal's logger for one command: warnings only, on stderr, so that tables and
// JSON on stdout stay clean.
func cmdLogger(cmd *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// actor is who runs the command: --as, else the operating-system user, mapped by the journal.
func (a *app) actor(ctx context.Context, s *journal.Store) (hotline.Actor, error) {
	login := a.as
	if login == "" {
		if u, err := user.Current(); err == nil {
			login = u.Username
		} else {
			login = os.Getenv("USER")
		}
	}
	return s.Actor(ctx, login)
}

// emit prints v as JSON, or as a table through table.
func (a *app) emit(cmd *cobra.Command, v any, table func(w io.Writer)) error {
	out := cmd.OutOrStdout()
	if a.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// Argument and value parsing shared by the command files: each returns an invalid error that
// names the flag.

func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return hotline.Errorf(hotline.EINVALID, "%s needs %s (see --help)", cmd.CommandPath(), names)
		}
		return nil
	}
}

func rangeArgs(min, max int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return hotline.Errorf(hotline.EINVALID, "%s takes %s (see --help)", cmd.CommandPath(), names)
		}
		return nil
	}
}

func parseID(what, s string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, hotline.Errorf(hotline.EINVALID, "invalid %s %q: want a positive number", what, s)
	}
	return id, nil
}

// parseTime accepts a date (YYYY-MM-DD, local midnight) or an RFC 3339 time, spaces around
// ignored: the one reader of every time flag (parseReportTime, with the report's zone).
func parseTime(flag, s string) (time.Time, error) {
	t, _, err := parseReportTime(flag, s, time.Local)
	return t, err
}

// operatorRef resolves an operator given by id, login or extension.
func operatorRef(ctx context.Context, s *journal.Store, ref string) (hotline.Operator, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		if o, err := s.Operator(ctx, id); err == nil {
			return o, nil
		}
		if o, err := s.OperatorByExtension(ctx, ref); err == nil {
			return o, nil
		}
	}
	o, err := s.OperatorByLogin(ctx, ref)
	if hotline.ErrorCode(err) == hotline.ENOTFOUND {
		return o, hotline.Errorf(hotline.ENOTFOUND, "no operator %q (by id, extension or login): see `hotline operator list`", ref)
	}
	return o, err
}

func fixed(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func printf(w io.Writer, format string, args ...any) { fmt.Fprintf(w, format, args...) }
