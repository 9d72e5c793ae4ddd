// Command hotline is the one installed binary: `hotline serve` runs the daemon (package daemon),
// and the other commands are the administrators' and supervisors' tools: the case journal
// (operators, topics, scripts, the phone directory, calls, cases) and its database, the running
// daemon (status, board, live operator commands), reports, exports and recordings. Commands only
// parse, check and print: the logic is in the packages they call. See docs/journal.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/mattn/go-sqlite3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code. Tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal cancels ctx: every command stops what it does (serve drains); a second one
	// kills at once.
	go func() { <-ctx.Done(); stop() }()
	return execute(ctx, newRootCmd(), args, stdout, stderr)
}

// execute runs one command line on the command tree root and returns the exit code.
func execute(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root, unknownCommand(root, args)
	if err == nil {
		cmd, err = root.ExecuteContextC(ctx)
	}
	if err == nil {
		return 0
	}
	err = attribute(explain(err, root), cmd)
	msg := hotline.ErrorMessage(err)
	if hotline.ErrorCode(err) == hotline.EINTERNAL {
		msg = err.Error() // a local tool: the details are the administrator's best clue
	}
	fmt.Fprintf(stderr, "hotline: %s\n", errorText(msg))
	return exitCode(err)
}

// exitInterrupted is the exit code of a command stopped by SIGINT or SIGTERM (128 + SIGINT, as
// shells report it).
const exitInterrupted = 130

// exitCode maps an error's code to the process exit code, here and nowhere else. Scripts can
// tell "try again later" (6) from "you may not" (5) from "fix the input" (2). The table is in
// the root command's help.
func exitCode(err error) int {
	if errors.Is(err, context.Canceled) && hotline.ErrorCode(err) == hotline.EINTERNAL {
		return exitInterrupted
	}
	switch hotline.ErrorCode(err) {
	case "":
		return 0
	case hotline.EINVALID:
		return 2
	case hotline.ENOTFOUND:
		return 3
	case hotline.ECONFLICT:
		return 4
	case hotline.EFORBIDDEN:
		return 5
	case hotline.EUNAVAILABLE:
		return 6
	default:
		return 1
	}
}

// attribute names the flag in the message of a refusal that does not name one: the journal's
// rules say "invalid phone number "abc"" whether the number came from --caller, the daemon or a
// migration. The flag is the one given whose value the message quotes, else the one given whose
// field the message names (fieldWords); when that is not exactly one flag, nothing is added.
func attribute(err error, cmd *cobra.Command) error {
	switch hotline.ErrorCode(err) {
	case hotline.EINVALID, hotline.ENOTFOUND, hotline.ECONFLICT:
	default:
		return err
	}
	msg := hotline.ErrorMessage(err)
	flagged := false
	cmd.Flags().VisitAll(func(f *pflag.Flag) { flagged = flagged || strings.Contains(msg, "--"+f.Name) })
	if flagged {
		return err
	}
	var named, worded []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		for _, w := range fieldWords(f.Name) {
			if strings.Contains(msg, w) {
				worded = append(worded, "--"+f.Name)
				break
			}
		}
		v := f.Value.String()
		values := []string{v, strings.TrimSpace(v)}
		if strings.Contains(v, ",") { // a list: the message may quote one of its items
			values = append(values, splitList(v)...)
		}
		for _, v := range values {
			if strings.Contains(msg, quote(v)) {
				named = append(named, "--"+f.Name)
				return
			}
		}
	})
	if len(named) == 0 {
		named = worded
	}
	if len(named) != 1 {
		return err
	}
	return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.ErrorCode(err), "%s: %s", named[0], msg), err)
}

// fieldWords are the words the journal's messages use for what a flag gives.
func fieldWords(flag string) []string {
	switch flag {
	case "caller":
		return []string{"phone number"}
	case "birth-date":
		return []string{"birth date"}
	case "type":
		return []string{"case type"}
	case "topic", "topics":
		return []string{"topic"}
	case "ext":
		return []string{"extension"}
	case "level":
		return []string{"level"}
	case "role":
		return []string{"role"}
	case "channel":
		return []string{"channel"}
	case "status":
		return []string{"status"}
	case "max-concurrent":
		return []string{"concurrent"}
	case "due":
		return []string{"due date"}
	case "until":
		return []string{"review date"}
	case "doc-date":
		return []string{"registration date"}
	case "doc-number":
		return []string{"document number"}
	case "name":
		return []string{"name"}
	case "login":
		return []string{"login"}
	case "org":
		return []string{"organisation"}
	case "policy":
		return []string{"policy"}
	case "address":
		return []string{"address"}
	case "description":
		return []string{"description"}
	case "comment":
		return []string{"comment"}
	case "title":
		return []string{"title"}
	case "number":
		return []string{"handset number"}
	case "keywords":
		return []string{"keywords"}
	}
	return nil
}

// explain turns the failures that reach the top without a domain error into ones that say what
// happened: SQLite's own errors that no layer mapped to a domain error, and an interruption.
func explain(err error, root *cobra.Command) error {
	if hotline.ErrorCode(err) != hotline.EINTERNAL {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: stopped before the end, nothing half written: %w", err)
	}
	db := "the journal"
	if f := root.PersistentFlags().Lookup("db"); f != nil {
		db = f.Value.String()
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		return fmt.Errorf("%w (%w)", journal.Damaged(db, se), err)
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s is locked by another process; try again, or stop the process holding it", db), err)
	case sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrPerm:
		return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.EUNAVAILABLE, "cannot read the journal at %s (%v); check the permissions of the file and its directory", db, se), err)
	case sqlite3.ErrIoErr, sqlite3.ErrFull:
		return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.EUNAVAILABLE, "disk error on the journal at %s (%v)", db, se), err)
	}
	return err
}
