package main

import (
	"os"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/board"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/report"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newBoardCmd(a *app) *cobra.Command {
	var (
		socket string
		o      = board.Options{Thresholds: board.DefaultThresholds()}
		noDB   bool
	)
	cmd := &cobra.Command{
		Use:   "board",
		Short: "A live wallboard: queue, operators by state, today's service level, alerts",
		Long: `board redraws every second from the running daemon: callers waiting and the longest wait,
operators by state (available, ringing, talking, wrap-up, paused with reason, unreachable, logged
out), today's offered, answered, abandoned and service level (from the journal, --db), and alerts
when a threshold is crossed. Ctrl-C ends it.`,
		Example: "  hotline board\n  hotline board --longest-wait 60s --min-operators 3\n  hotline board --frames 1 --no-journal   # one picture, e.g. for a script",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case o.Interval <= 0:
				return hotline.Errorf(hotline.EINVALID, "--interval must be positive, not %s", o.Interval)
			case o.Frames < 0:
				return hotline.Errorf(hotline.EINVALID, "--frames must be 0 (until Ctrl-C) or more, not %d", o.Frames)
			case o.Thresholds.LongestWait < 0 || o.Thresholds.MinOnLine < 0:
				return hotline.Errorf(hotline.EINVALID, "--longest-wait and --min-operators cannot be negative")
			case o.Thresholds.ServiceLevel < 0 || o.Thresholds.ServiceLevel > 100 || o.Thresholds.ServiceLevel != o.Thresholds.ServiceLevel:
				return hotline.Errorf(hotline.EINVALID, "--min-service-level is a percentage, 0 to 100, not %v", o.Thresholds.ServiceLevel)
			}
			// A daemon that is not there fails the command at once; once it has answered, the
			// board keeps redrawing through its restarts.
			if err := checkSocket(socket); err != nil {
				return err
			}
			live := control.NewClient(socket)
			if _, err := live.Status(cmd.Context()); err != nil {
				return err
			}
			var today board.Today
			if !noDB {
				if err := a.requireJournal(); err != nil {
					return err
				}
				src, err := report.Open(cmd.Context(), a.dbPath)
				if err != nil {
					return err
				}
				defer src.Close()
				today = board.TodayFrom(src)
			}
			out := cmd.OutOrStdout()
			if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				o.Clear = true
			}
			return board.Run(cmd.Context(), out, live, today, o)
		},
	}
	socketFlag(cmd, &socket)
	f := cmd.Flags()
	f.DurationVar(&o.Interval, "interval", time.Second, "time between redraws")
	f.IntVar(&o.Frames, "frames", 0, "stop after this many redraws (0: until Ctrl-C)")
	f.DurationVar(&o.Thresholds.LongestWait, "longest-wait", o.Thresholds.LongestWait, "alert when a caller has waited longer (0: never)")
	f.IntVar(&o.Thresholds.MinOnLine, "min-operators", o.Thresholds.MinOnLine, "alert when fewer operators are on line")
	f.Float64Var(&o.Thresholds.ServiceLevel, "min-service-level", o.Thresholds.ServiceLevel, "alert when today's service level (%) is lower (0: never)")
	f.BoolVar(&noDB, "no-journal", false, "do not read today's numbers from the journal")
	return cmd
}
