package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultDB is where the journal lives on a server (the same default as the config file's
// journal.path); HOTLINE_DB or --db point elsewhere, e.g. ./hotline.db on a workstation.
const defaultDB = "/var/lib/hotline/hotline.db"

// app holds the global flags every command shares.
type app struct {
	dbPath string
	as     string
	output string
	// busyTimeout is how long a write waits for another process's lock; 0: the journal's
	// default. Tests shorten it.
	busyTimeout time.Duration
	// terminal reads a password typed without echo; nil: standard input, when it is a terminal
	// (password.go). Tests give a scripted one.
	terminal func(cmd *cobra.Command) secretReader
}

// noOutputFormat annotates a command whose output has one format of its own: its value says
// why -o is refused.
const noOutputFormat = "hotline/no-output-format"

// newRootCmd builds the command tree.
func newRootCmd() *cobra.Command { return newRoot(&app{}) }

// newRoot builds the command tree on a. A new command group is one line here and its own file.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "hotline",
		Short: "Call control and the case journal of the health-insurance fund's hotline",
		Long: `hotline runs the fund's contact-centre hotline on Asterisk and keeps its case journal.

Exit codes: 0 ok, 1 internal error (a bug: please report it), 2 invalid input or usage (a wrong
flag, value or command), 3 not found, 4 conflict (the case is in another status, the record
exists, or serve: another live daemon serves the ARI application), 5 forbidden (only
administrators may), 6 unavailable (the journal is missing, locked, read-only, damaged or not
migrated; the daemon is not running), 130 interrupted (SIGINT or SIGTERM: the command stopped,
what it had not committed is not written).

Every command but 'db migrate' works on an existing journal (--db) and creates nothing.`,
		Example:       "  HOTLINE_DB=./hotline.db hotline db migrate\n  hotline case list --status under_review -o json",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if why := cmd.Annotations[noOutputFormat]; why != "" && cmd.Flags().Changed("output") {
				return hotline.Errorf(hotline.EINVALID, "%s", why)
			}
			// Commands with formats of their own (report) define their own --output.
			if cmd.Flags().Lookup("output") == cmd.Root().PersistentFlags().Lookup("output") && a.output != "table" && a.output != "json" {
				return hotline.Errorf(hotline.EINVALID, "--output must be table or json, not %s", quote(a.output))
			}
			return checkInput(cmd, args)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true // our own, with an example, in completion.go
	db := os.Getenv("HOTLINE_DB")
	if db == "" {
		db = defaultDB
	}
	// A PostgreSQL journal (docs/journal.md): its DSN from the environment, so that its password
	// is on no command line.
	if dsn := os.Getenv("HOTLINE_JOURNAL_DSN"); dsn != "" {
		db = dsn
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbPath, "db", db, "the journal's SQLite file (env HOTLINE_DB), or its PostgreSQL postgres:// URL (env HOTLINE_JOURNAL_DSN, which wins); it must exist: `hotline db migrate` creates it")
	pf.StringVar(&a.as, "as", "", "act as this login (default: the operating-system user)")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	_ = root.RegisterFlagCompletionFunc("output", fixed("table", "json"))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return hotline.Wrapf(hotline.EINVALID, err, "%v (see %s --help)", err, c.CommandPath())
	})

	root.AddCommand(
		newDBCmd(a),
		newAdminCmd(a),
		withLive(withLive(newOperatorCmd(a), newLiveOperatorCmds(a)...), newOperatorHistoryCmd(a), newPasswdCmd(a)),
		newTopicCmd(a),
		newScriptCmd(a),
		newDirectoryCmd(a),
		newCaseCmd(a),
		newCallCmd(a),
		newCompletionCmd(),
		newServeCmd(),
		newStatusCmd(a),
		newBoardCmd(a),
		newRecordingCmd(a),
		newReportCmd(a),
		newExportCmd(a),
		newInsuredCmd(a),
		newSurveyCmd(a),
		newCampaignCmd(a),
	)
	return root
}

// unknownCommand refuses a command line naming a command that does not exist, as invalid usage,
// with the nearest commands. (Cobra fails for the root's unknown commands with an error of its
// own, and for a group's, `hotline case lst`, prints the group's help and succeeds.)
func unknownCommand(root *cobra.Command, args []string) error {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		return nil
	}
	root.InitDefaultHelpCmd()
	cmd, rest, err := root.Find(args)
	if err != nil {
		cmd, rest = root, args
	} else if cmd == helpCommand(root) {
		// Cobra's help prints "Unknown help topic" and succeeds: the topic is checked as the
		// command line it names would be.
		return unknownCommand(root, rest)
	} else if cmd.Runnable() || !cmd.HasAvailableSubCommands() {
		return nil
	}
	fs := pflag.NewFlagSet(cmd.Name(), pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.ParseErrorsAllowlist.UnknownFlags = true // the subcommand's flags, on a mistyped subcommand
	fs.AddFlagSet(cmd.Flags())
	fs.AddFlagSet(cmd.InheritedFlags())
	if fs.Parse(rest) != nil || fs.NArg() == 0 {
		return nil // cobra says what is wrong with the flags, or shows the group's help
	}
	name := fs.Arg(0)
	msg := fmt.Sprintf("unknown command %s for %q", quote(name), cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, set only where it suggests itself
	}
	if sug := cmd.SuggestionsFor(name); len(sug) > 0 {
		msg += "; did you mean " + strings.Join(sug, " or ") + "?"
	}
	return hotline.Errorf(hotline.EINVALID, "%s (see %s --help)", msg, cmd.CommandPath())
}

// helpCommand is root's help command (cobra's default one, or nil before InitDefaultHelpCmd).
func helpCommand(root *cobra.Command) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			return c
		}
	}
	return nil
}

// withLive adds the commands that act on the running daemon to a command group.
func withLive(group *cobra.Command, live ...*cobra.Command) *cobra.Command {
	group.AddCommand(live...)
	return group
}

// withStore opens the journal for writing (it must exist and be migrated to this build's
// schema), runs fn, and closes it.
func (a *app) withStore(cmd *cobra.Command, fn func(ctx context.Context, s *journal.Store) error) error {
	return a.openStore(cmd, false, fn)
}

// withReader is withStore for commands that only read: they work on a journal the user may not
// write (a read-only file, a copy in a read-only directory) and cannot change it.
func (a *app) withReader(cmd *cobra.Command, fn func(ctx context.Context, s *journal.Store) error) error {
	return a.openStore(cmd, true, fn)
}

func (a *app) openStore(cmd *cobra.Command, readOnly bool, fn func(ctx context.Context, s *journal.Store) error) error {
	ctx := cmd.Context()
	if err := a.requireJournal(); err != nil {
		return err
	}
	if !readOnly {
		// Opening for writing sets the journal mode, a write: a file that is not this build's
		// journal (older, newer, not hotline's) is refused untouched.
		if err := a.openStore(cmd, true, func(context.Context, *journal.Store) error { return nil }); err != nil {
			return err
		}
	}
	s, err := journal.Open(ctx, a.dbPath, journal.Options{ReadOnly: readOnly, BusyTimeout: a.busyTimeout, Logger: cmdLogger(cmd)})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RequireCurrent(ctx); err != nil {
		return err
	}
	return fn(ctx, s)
}

// requireJournal refuses a --db that is not an existing file: SQLite would create an empty
// database at a mistyped path, and every command but `db migrate` needs the real journal.
func (a *app) requireJournal() error {
	if journal.IsPostgresDSN(a.dbPath) {
		return nil // the server says what is missing when the journal opens
	}
	st, err := os.Stat(a.dbPath)
	switch {
	case a.dbPath == "":
		return hotline.Errorf(hotline.EINVALID, "--db is empty: give the journal's file")
	case errors.Is(err, fs.ErrNotExist):
		return hotline.Errorf(hotline.EUNAVAILABLE, "no journal at %s (--db); create it with `hotline db migrate --db %s`", a.dbPath, shellQuote(a.dbPath))
	case err != nil:
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot open the journal at %s (--db): %v", a.dbPath, errors.Unwrap(err))
	case st.IsDir():
		return hotline.Errorf(hotline.EINVALID, "--db %s is a directory, not a journal file", a.dbPath)
	case st.Size() == 0:
		return hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s (--db) is an empty file; `hotline db migrate --db %s` makes it a journal", a.dbPath, shellQuote(a.dbPath))
	}
	return nil
}

// shellQuote quotes a path for a command line shown to the user, when it needs it.
func shellQuote(s string) string {
	for _, r := range s {
		if !(r == '/' || r == '.' || r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// cmdLogger is the journal's logger for one command: warnings only, on stderr, so that tables and
// JSON on stdout stay clean.
func cmdLogger(cmd *cobra.Command) *slog.Logger {
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// actor is who runs the command: --as, else the operating-system user, mapped by the journal.
func (a *app) actor(ctx context.Context, s *journal.Store) (hotline.Actor, error) {
	by, err := s.Actor(ctx, a.login())
	if a.as != "" {
		err = forFlag("--as", err)
	}
	return by, err
}

// login is who runs the command, unmapped: --as, else the operating-system user.
func (a *app) login() string {
	if a.as != "" {
		return a.as
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
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
		return 0, hotline.Errorf(hotline.EINVALID, "invalid %s %s: want a positive number", what, quote(s))
	}
	return id, nil
}

// parseTime accepts a date (YYYY-MM-DD, local midnight) or an RFC 3339 time, spaces around
// ignored: the one reader of every time flag (parseReportTime, with the report's zone).
func parseTime(flag, s string) (time.Time, error) {
	t, _, err := parseReportTime(flag, s, time.Local)
	return t, err
}

// parseUntil reads the end of a range given by --to: a date includes that whole day (the end is
// the next midnight), an RFC 3339 time is the end itself (excluded). `hotline report`, `case
// list`, `operator history` and `export` all read --to so.
func parseUntil(flag, s string, loc *time.Location) (time.Time, error) {
	t, day, err := parseReportTime(flag, s, loc)
	if day {
		t = t.AddDate(0, 0, 1)
	}
	return t, err
}

// parseReportTime reads DATE (midnight in loc; day is true) or an RFC 3339 time, spaces around
// ignored; "" (the flag not given) is the zero time, blanks are refused. Every time flag is read
// by it.
func parseReportTime(flag, s string, loc *time.Location) (t time.Time, day bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false, hotline.Errorf(hotline.EINVALID, "--%s is blank: want YYYY-MM-DD or 2026-11-23T10:00:00+03:00, or leave it out", flag)
	}
	if t, err := time.ParseInLocation(hotline.DateLayout, s, loc); err == nil {
		return t, true, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, hotline.Errorf(hotline.EINVALID, "invalid --%s %s: want YYYY-MM-DD or 2026-11-23T10:00:00+03:00", flag, quote(s))
}

// maxLimit is the most rows a list shows at once (journal.CaseFilter's bound).
const maxLimit = 10000

// checkPaging refuses a negative or too large --limit and a negative --offset, which the
// journal would otherwise quietly clamp.
func checkPaging(limit, offset int) error {
	if limit < 1 || limit > maxLimit {
		return hotline.Errorf(hotline.EINVALID, "--limit must be 1 to %d, not %d", maxLimit, limit)
	}
	if offset < 0 {
		return hotline.Errorf(hotline.EINVALID, "--offset must be 0 or more, not %d", offset)
	}
	return nil
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
		return o, hotline.Errorf(hotline.ENOTFOUND, "no operator %s (by id, extension or login): see `hotline operator list`", quote(ref))
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

// dbShown is --db fit for output: a PostgreSQL URL without its password.
func (a *app) dbShown() string {
	if journal.IsPostgresDSN(a.dbPath) {
		return journal.RedactDSN(a.dbPath)
	}
	return a.dbPath
}
