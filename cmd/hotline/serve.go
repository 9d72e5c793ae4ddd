package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the hotline: the Stasis application that answers, queues, routes and records calls",
		Long: `serve connects to Asterisk (ARI and AMI), answers every call the dialplan hands to the
Stasis application, and keeps running until SIGTERM or SIGINT, when it stops taking calls and
flushes the journal.

Configuration: --config FILE (YAML, see hotline.example.yaml), then HOTLINE_* environment
variables; everything is validated before anything connects.`,
		Example: "  hotline serve --config /etc/hotline/hotline.yaml\n  eval \"$(asterisk-conf/sandbox env)\" && HOTLINE_DB=./hotline.db hotline serve",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configPath, nil)
			if err != nil {
				return hotline.Errorf(hotline.EINVALID, "%v", err)
			}
			return serve(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", os.Getenv("HOTLINE_CONFIG"), "the configuration file (env HOTLINE_CONFIG); none: defaults and environment")
	return cmd
}

// newLogger builds the daemon's structured logger from the config.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.Level)))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// callsConfig maps the file's call rules onto the switchboard's.
func callsConfig(c config.Calls) switchboard.Config {
	sc := switchboard.DefaultConfig()
	sc.Language = c.Language
	sc.Greeting = c.Greeting
	sc.MusicClass = c.MusicClass
	sc.AnnounceInterval = c.AnnounceInterval
	sc.Strategy = c.Strategy
	sc.RingTimeout = c.RingTimeout
	sc.WrapUp = c.WrapUp
	sc.MaxWait = c.MaxWait
	sc.MaxQueue = c.MaxQueue
	sc.Overflow = c.Overflow
	sc.MissedOffers = c.MissedOffersPause
	sc.ReturningToOwner = c.ReturningToOwner
	sc.OwnerWait = c.OwnerWait
	sc.PriorityNumbers = c.PriorityNumbers
	sc.RecordCalls = c.RecordCalls
	return sc
}

// serve wires the daemon together and runs it until ctx ends.
func serve(ctx context.Context, cfg config.Config, logw io.Writer) error {
	log := newLogger(cfg.Log, logw)
	log.Info("hotline starting", "ari", cfg.ARI.URL, "ami", cfg.AMI.Addr, "app", cfg.ARI.App, "journal", cfg.Journal.Path)

	store, err := journal.Open(ctx, cfg.Journal.Path, journal.Options{Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate the journal: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	sbCfg := callsConfig(cfg.Calls)
	tel, events, err := connectAsterisk(ctx, cfg, log, reg)
	if err != nil {
		return err
	}
	sb, err := switchboard.New(sbCfg, tel, journalAdapter{store}, switchboard.SystemClock{}, log)
	if err != nil {
		return hotline.Errorf(hotline.EINVALID, "%v", err)
	}

	ln, err := control.Listen(ctx, cfg.API.Socket)
	if err != nil {
		return err
	}
	api := &http.Server{Handler: control.Handler(sb, log), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("control API stopped", "err", err)
		}
	}()
	defer api.Close()

	if cfg.Metrics.Listen != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			st, err := sb.Status(r.Context())
			if err != nil || !st.Connected {
				http.Error(w, "asterisk not connected", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ok")
		})
		ms := &http.Server{Addr: cfg.Metrics.Listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := ms.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics endpoint stopped", "addr", cfg.Metrics.Listen, "err", err)
			}
		}()
		defer ms.Close()
	}

	// Asterisk's events go to the switchboard in order; Deliver waits while the loop is busy.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				if err := sb.Deliver(ctx, ev); err != nil {
					return
				}
			}
		}
	}()

	log.Info("hotline serving", "socket", cfg.API.Socket, "metrics", cfg.Metrics.Listen)
	err = sb.Run(ctx)
	log.Info("hotline stopped; journal flushed")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// journalAdapter gives the switchboard the journal: the store's call-flow methods, plus the
// operator list without filters and the case under the switchboard's own type.
type journalAdapter struct{ *journal.Store }

func (j journalAdapter) Operators(ctx context.Context) ([]hotline.Operator, error) {
	return j.Store.Operators(ctx, journal.OperatorFilter{})
}

func (j journalAdapter) StartCall(ctx context.Context, leg hotline.Leg) (switchboard.CallCase, error) {
	c, err := j.Store.StartCall(ctx, leg)
	return switchboard.CallCase(c), err
}
