// Command hotline is the hotline's administrator tool: the case journal (operators, topics,
// scripts, the phone directory, cases) and the database it lives in. See docs/journal.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hotline-dev/hotline"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code. Tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal asks for a graceful stop (serve drains); a second one kills at once.
	go func() { <-ctx.Done(); stop() }()
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	msg := hotline.ErrorMessage(err)
	if hotline.ErrorCode(err) == hotline.EINTERNAL {
		msg = err.Error() // a local tool: the details are the administrator's best clue
	}
	fmt.Fprintf(stderr, "hotline: %s\n", msg)
	return exitCode(err)
}

// exitCode maps an error's code to the process exit code, here and nowhere else. Scripts can
// tell "try again later" (6) from "you may not" (5) from "fix the input" (2).
func exitCode(err error) int {
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
