package main

import (
	"errors"
	"os"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/daemon"
	"github.com/hotline-dev/hotline/daemon/procs"
	"github.com/hotline-dev/hotline/daemon/timerslack"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var configPath string
	var check, takeOver, standby bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hotline: the Stasis application that answers, queues, routes and records calls",
		Long: `serve connects to Asterisk (ARI and AMI), answers every call the dialplan hands to the
Stasis application, and keeps running until SIGTERM or SIGINT. Then it drains: new calls go back
to the dialplan's fallback while waiting callers are still answered, for up to shutdown.drain (0:
none); calls in progress stay up in Asterisk for the next start; the journal is flushed. A second
signal stops it at once, which is safe: journal writes wait in the spool, calls are adopted.

Configuration: --config FILE (YAML, see hotline.example.yaml), then HOTLINE_* environment
variables; everything is validated before anything connects (--check: only that), every mistake
at once: the file's (misspelt keys, bad values, text YAML would read as something else: quote
secrets), the environment's, and the machine's (the journal's and the spool's directories exist
and can be written by the account running the check, the spool is not the journal, the socket's
place is free). Secrets are never printed; a user or password inside ari.url is refused.

One daemon per ARI application: while another hotline serve (another journal) serves ari.app, a
start is refused with exit code 4, naming its host, pid and since when, unless --take-over: then
this one takes the application and the other stops serving calls (it says so: /healthz 503). A
restart on the same journal, after a crash or kill -9, is never refused; another journal's
daemon killed without a clean stop is taken over by itself 15 s after its last heartbeat.

Active/standby (--standby, or standby.enabled): two hotline serve on one journal; the one holding
the journal's lease is active, the other waits (/healthz 503 "standby") and takes over within
standby.lease_ttl + standby.renew of the active one's death (kill -9, a crash, a lost machine):
it reconciles with Asterisk, keeps the waiting callers' order and the calls in progress, and
applies the writes left in the spool, each once. A daemon that lost the lease stops at once.`,
		Example: "  hotline serve --config /etc/hotline/hotline.yaml --check\n  hotline serve --config /etc/hotline/hotline.yaml\n  hotline serve --config /etc/hotline/hotline.yaml --take-over\n  hotline serve --config /etc/hotline/hotline.yaml --standby\n  eval \"$(asterisk-conf/sandbox env)\" && HOTLINE_DB=./hotline.db hotline serve",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The machine too: the directories the daemon needs, the spool not the journal...
			// Every mistake at once: the environment's runtime settings (the timer slack, read
			// at load; GOMAXPROCS) too.
			slack, slackErr := timerslack.Applied()
			envErr := slackErr
			if v, ok := os.LookupEnv(procs.Env); ok {
				if _, err := procs.Parse(v); err != nil {
					envErr = errors.Join(envErr, err)
				}
			}
			cfg, err := loadConfig(configPath, config.Options{Host: true})
			if err != nil {
				if envErr != nil {
					return hotline.Wrapf(hotline.EINVALID, err, "%v\n%v", err, envErr)
				}
				return err
			}
			if standby {
				cfg.Standby.Enabled = true
			}
			if envErr != nil {
				return hotline.Wrapf(hotline.EINVALID, envErr, "%v", envErr)
			}
			if check {
				printf(cmd.OutOrStdout(), "configuration valid: ari %s (app %s), ami %s, journal %s (spool %s), socket %s",
					cfg.ARI.URL, cfg.ARI.App, cfg.AMI.Addr, cfg.Journal.Display(), cfg.Journal.SpoolPath(), cfg.API.Socket)
				if cfg.Standby.Enabled {
					printf(cmd.OutOrStdout(), ", standby (lease %s, renewed every %s)", cfg.Standby.LeaseTTL, cfg.Standby.Renew)
				}
				printf(cmd.OutOrStdout(), "\n")
				return nil
			}
			log := daemon.NewLogger(cfg.Log, cmd.ErrOrStderr())
			log.Info("timer slack of every thread", "slack", slack, "env", timerslack.Env)
			n, fromEnv, err := procs.Apply()
			if err != nil { // checked above; the environment does not change meanwhile
				return hotline.Wrapf(hotline.EINVALID, err, "%v", err)
			}
			log.Info("processors for Go code (GOMAXPROCS)", "procs", n, "from_env", fromEnv)
			return daemon.RunWith(cmd.Context(), cfg, log, daemon.Options{TakeOver: takeOver,
				// Fenced: gone at once, so that the new active daemon has the spool and Asterisk.
				Fenced: func(err error) {
					printf(cmd.ErrOrStderr(), "hotline: %v\n", err)
					os.Exit(exitCode(err))
				}})
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", os.Getenv("HOTLINE_CONFIG"), "the configuration file (env HOTLINE_CONFIG; a regular file of at most 256 KB); none: defaults and environment")
	cmd.Flags().BoolVar(&takeOver, "take-over", false, "take the ARI application even from another live hotline serve (it stops serving calls); without it such a start is refused")
	cmd.Flags().BoolVar(&standby, "standby", false, "one of an active/standby pair on this journal: active while holding the journal's lease, waiting otherwise (standby.enabled)")
	cmd.Flags().BoolVar(&check, "check", false, "validate the configuration and exit (exit code 2 and every mistake when it is not valid)")
	return cmd
}

// loadConfig reads the configuration file given by --config (none: defaults and environment),
// its size bounded first, and validates it; a mistake is invalid input.
func loadConfig(path string, opt config.Options) (config.Config, error) {
	if path != "" {
		if err := checkFile("--config", path, maxConfigSize); err != nil {
			return config.Config{}, err
		}
	}
	cfg, err := config.LoadWith(path, opt)
	if err != nil {
		if path != "" {
			return cfg, hotline.Wrapf(hotline.EINVALID, err, "--config: %v", err)
		}
		return cfg, hotline.Wrapf(hotline.EINVALID, err, "%v", err)
	}
	return cfg, nil
}
