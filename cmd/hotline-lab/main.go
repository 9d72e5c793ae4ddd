// Command hotline-lab runs hotline against the sandbox Asterisk with simulated SIP phones: `demo`,
// the guided demo of `make run`, and `loadgen`, the load benchmark of `make bench-load`
// (docs/benchmark.md); `kamailio-handsets` writes Kamailio's handset credentials
// (asterisk-conf/kamailio/handsets). It is a developer's tool, never installed: it links the test phones (sipgo,
// pion) and the sandbox helpers, which the shipped hotline binary must not carry.
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
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels ctx (the demo and the benchmark stop and report); a second kills.
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
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
		msg = err.Error() // a developer's tool: the details are the best clue
	}
	fmt.Fprintf(stderr, "hotline-lab: %s\n", msg)
	return exitCode(err)
}

// exitCode follows hotline's own exit codes for the few kinds of failure the lab has.
func exitCode(err error) int {
	switch {
	case errors.Is(err, context.Canceled) && hotline.ErrorCode(err) == hotline.EINTERNAL:
		return 130
	case hotline.ErrorCode(err) == hotline.EINVALID:
		return 2
	case hotline.ErrorCode(err) == hotline.EUNAVAILABLE:
		return 6
	default:
		return 1
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "hotline-lab",
		Short: "hotline on the sandbox Asterisk with simulated SIP phones: the demo and the load benchmark",
		Long: `hotline-lab drives the sandbox Asterisk (asterisk-conf/sandbox) with real SIP phones: simulated
operator handsets and callers. Its settings come from the environment, as 'asterisk-conf/sandbox env'
prints them. It is built from the source tree (make run, make bench-load) and never installed.`,
		Example:       "  sudo make run\n  eval \"$(sudo asterisk-conf/sandbox env)\" && bin/hotline-lab demo --calls 3",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return hotline.Wrapf(hotline.EINVALID, err, "%v (see %s --help)", err, c.CommandPath())
	})
	root.AddCommand(newDemoCmd(), newLoadgenCmd(), newJournalCmd(), newKamailioHandsetsCmd(), newWorkplaceCmd())
	return root
}

// splitList reads a comma-separated flag value, blanks dropped.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
