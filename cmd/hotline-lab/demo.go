package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/daemon"
	"github.com/hotline-dev/hotline/demo"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

func newDemoCmd() *cobra.Command {
	var (
		o      demo.Options
		dbPath string
		logTo  string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch hotline work: simulated operators and callers on the sandbox Asterisk",
		Long: `demo runs 'hotline serve' against the sandbox Asterisk (settings from the environment, as
'asterisk-conf/sandbox env' prints them), registers simulated operator handsets that log in with
*21 and answer, places a stream of simulated callers at the hotline number, shows the queue and the
operators every second, and ends by listing the calls filed in the journal (with any cases
registered for them).

It uses a fresh journal (--journal, removed first) and writes the daemon's log to --log.`,
		Example: "  sudo make run\n  eval \"$(sudo asterisk-conf/sandbox env)\" && bin/hotline-lab demo --operators 2 --calls 5",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Operators < 1 || o.Operators > 60 {
				return hotline.Errorf(hotline.EINVALID, "--operators must be 1..60 (the sandbox has handsets 1001-1060)")
			}
			if o.Calls < 1 || o.Calls > 200 {
				return hotline.Errorf(hotline.EINVALID, "--calls must be 1..200")
			}
			o.SIPAddr = os.Getenv("HOTLINE_SIP_ADDR")
			o.HandsetPassword = os.Getenv("HOTLINE_HANDSET_PASSWORD")
			if o.SIPAddr == "" || o.HandsetPassword == "" {
				return hotline.Errorf(hotline.EINVALID, "HOTLINE_SIP_ADDR and HOTLINE_HANDSET_PASSWORD are unset: run eval \"$(asterisk-conf/sandbox env)\" first")
			}
			cfg, err := config.Load("", nil)
			if err != nil {
				return hotline.Wrapf(hotline.EINVALID, err, "%v", err)
			}
			// Short waits so the demo shows overflow-free routing within a minute.
			cfg.Calls.WrapUp = 2 * time.Second
			cfg.Calls.AnnounceInterval = 10 * time.Second
			cfg.Journal.Path = dbPath
			cfg.Metrics.Listen = ""
			dir, err := os.MkdirTemp("", "hotline-demo-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			cfg.API.Socket = filepath.Join(dir, "hotline.sock")
			o.Socket = cfg.API.Socket

			// The daemon's write-ahead spool goes with it: its records belong to the old journal.
			for _, suffix := range []string{"", "-wal", "-shm", ".spool", ".spool.lock"} {
				if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("demo: remove the old demo journal: %w", err)
				}
			}
			ctx := cmd.Context()
			logf, err := os.OpenFile(logTo, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("demo: open the log: %w", err)
			}
			defer logf.Close()
			log := daemon.NewLogger(cfg.Log, logf)
			store, err := journal.Open(ctx, dbPath, journal.Options{Logger: log})
			if err != nil {
				return err
			}
			defer store.Close()
			if _, err := store.Migrate(ctx); err != nil {
				return err
			}
			if err := demo.Seed(ctx, store, o.Operators); err != nil {
				return err
			}

			sctx, stop := context.WithCancel(ctx)
			served := make(chan error, 1)
			go func() { served <- daemon.Run(sctx, cfg, log) }()
			o.Store, o.Out = store, cmd.OutOrStdout()
			fmt.Fprintf(o.Out, "hotline serve is running against %s (log: %s, journal: %s)\n", cfg.ARI.URL, logTo, dbPath)
			if cfg.Web.Listen != "" {
				fmt.Fprintf(o.Out, "the workplace: http://%s/ (demo accounts demo-admin and op1001..op%d, password %q; docs/workplace.md)\n",
					cfg.Web.Listen, 1000+o.Operators, demo.DemoPassword)
				fmt.Fprintf(o.Out, "the register holds %d synthetic insured persons (generated names): search them on a new card (docs/register.md)\n", demo.DemoRegister)
			}
			runErr := demo.Run(ctx, o)
			stop()
			if err := <-served; err != nil && runErr == nil {
				runErr = fmt.Errorf("demo: hotline serve: %w (see %s)", err, logTo)
			}
			fmt.Fprintf(o.Out, "\nhotline serve has stopped; the sandbox Asterisk is still running. Stop it with: %s\n", sandboxDown(os.Getenv("HOTLINE_SANDBOX_INSTANCE")))
			return runErr
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Operators, "operators", 3, "simulated operator handsets (extensions 1001...)")
	f.IntVar(&o.Calls, "calls", 6, "simulated callers")
	f.DurationVar(&o.CallGap, "gap", 2*time.Second, "time between two callers' arrivals")
	f.DurationVar(&o.TalkTime, "talk", 5*time.Second, "how long each caller talks once answered")
	f.DurationVar(&o.Deadline, "deadline", 3*time.Minute, "the whole demo at most")
	f.StringVar(&dbPath, "journal", "hotline-demo.db", "the demo's journal (removed and created anew)")
	f.StringVar(&logTo, "log", "hotline-demo.log", "where the daemon's log goes")
	return cmd
}

// sandboxDown is the command that stops the sandbox instance the demo ran on.
func sandboxDown(instance string) string {
	if instance == "" || instance == "0" {
		return "sudo make sandbox-down"
	}
	return "sudo make sandbox-down HOTLINE_SANDBOX_INSTANCE=" + instance
}
