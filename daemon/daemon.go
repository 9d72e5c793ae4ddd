// Package daemon constructs and runs hotline serve: the journal, the connection to Asterisk, the
// switchboard that owns live calls, the local control API, the workplace and the metrics
// endpoint, wired together from one validated config.Config.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/kamailio"
	"github.com/hotline-dev/hotline/outbox/spool"
	"github.com/hotline-dev/hotline/recording"
	"github.com/hotline-dev/hotline/softphone"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/switchboard/amiadapter"
	"github.com/hotline-dev/hotline/switchboard/ariadapter"
	"github.com/hotline-dev/hotline/switchboard/journaladapter"
	"github.com/hotline-dev/hotline/switchboard/kamailioadapter"
	"github.com/hotline-dev/hotline/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Options are what one start of the daemon is told besides its configuration.
type Options struct {
	// TakeOver takes the ARI application even when another live daemon serves it (its lease is
	// fresh); that daemon then stops serving calls. Without it such a start is refused.
	TakeOver bool
	// Fenced, if set, is called when this daemon, one of an active/standby pair, finds that
	// another took the journal's lease, in place of the stop that otherwise follows. hotline serve
	// exits the process there: what it made durable waits in the spool for the new active daemon,
	// which cannot open the spool, nor should share Asterisk, until this process is gone.
	Fenced func(error)
}

// Run is RunWith without options.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	return RunWith(ctx, cfg, log, Options{})
}

// RunWith wires the daemon together and runs it until ctx ends; then it drains (cfg.Shutdown),
// flushes the journal and returns nil. An error means it could not start (or Asterisk's
// connection could not be set up); another live daemon serving the ARI application is a
// conflict (hotline.ECONFLICT) unless opt.TakeOver.
func RunWith(ctx context.Context, cfg config.Config, log *slog.Logger, opt Options) error {
	if len(cfg.ARI.Nodes) > 0 {
		for _, n := range cfg.ARI.Nodes {
			log.Info("asterisk node", "node", n.Name, "ari", n.URL, "ami", cfg.NodeAMI(n).Addr, "operators", n.Operators)
		}
		log.Info("hotline starting", "nodes", len(cfg.ARI.Nodes), "app", cfg.ARI.App, "journal", cfg.Journal.Display())
	} else {
		log.Info("hotline starting", "ari", cfg.ARI.URL, "ami", cfg.AMI.Addr, "app", cfg.ARI.App, "journal", cfg.Journal.Display())
	}

	jopt := journal.Options{Logger: log}
	if cfg.Standby.Enabled {
		// On PostgreSQL, a write of this process left open (paused, cut off) is ended by the
		// server within the lease's time to live: it never holds up the standby's takeover.
		jopt.IdleInTransaction = cfg.Standby.LeaseTTL
	}
	store, err := journal.Open(ctx, cfg.Journal.Address(), jopt)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate the journal: %w", err)
	}
	reg := prometheus.NewRegistry()
	// Beside the default Go metrics, the goroutines created and the scheduler's latencies (their
	// count is a sample of the goroutines' wake-ups): hotline-lab divides both by the calls
	// (docs/benchmark.md, session 12's runtime section).
	reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
		collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/sched/(goroutines-created|latencies):`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// A standby waits here, touching neither Asterisk nor the spool, until it holds the journal's
	// lease; from then on every write it makes is fenced on the lease's epoch (docs/scaling.md).
	var sby *standby
	if cfg.Standby.Enabled {
		sby = newStandby(store, cfg.Standby, log)
		reg.MustRegister(sby)
		stopWaiting := sby.waitingEndpoint(cfg.Metrics.Listen, reg, log)
		stopAPI, err := sby.waitingAPI(ctx, cfg.API.Socket, control.Authority{Operators: store, Cases: store, Region: store.PhoneRegion(), DaemonUID: uint32(os.Geteuid())}, log)
		if err != nil {
			stopWaiting()
			return err
		}
		jlease, err := sby.wait(ctx)
		stopAPI()
		stopWaiting()
		if err != nil {
			if ctx.Err() != nil {
				log.Info("hotline stopped while standby")
				return nil
			}
			return err
		}
		store.Fence(jlease)
		keepCtx, stopKeeping := context.WithCancel(context.WithoutCancel(ctx))
		kept := make(chan struct{})
		go func() { defer close(kept); sby.keep(keepCtx, jlease) }()
		// Given back last, once the spool is closed and every write applied: the standby then
		// takes over at once, and finds nothing of this run's in flight.
		defer func() {
			stopKeeping()
			<-kept
			if r, _ := sby.state(); r == RoleActive {
				sby.release(jlease)
			}
		}()
		// The former active daemon is dead or fenced: its ARI application lease is taken at once,
		// not after it goes stale.
		opt.TakeOver = true
	}

	// One link per Asterisk node (ari.nodes), or the one Asterisk at ari.url.
	links, err := dialLinks(cfg, log)
	if err != nil {
		return err
	}
	conn := links[0].conn // what is not per node: stored recordings, softphones, the ARI metrics
	// The spool is opened (and locked) before the lease is looked at: a second `hotline serve` on
	// this journal fails here, and never writes or gives back the running daemon's lease.
	// Every write the switchboard asks of the journal is on disk here first, until SQLite has it.
	// Rotated once 1 MiB is applied, not at every release: a rotation costs three fsyncs, and the
	// writes a crash then replays are recognised by the journal (write_marks) and skipped.
	spoolOpt := spool.Options{Logger: log, RotateAt: 1 << 20}
	var sp *spool.Spool
	if sby != nil {
		sp, err = openSpool(ctx, cfg.Journal.SpoolPath(), spoolOpt, log)
	} else {
		sp, err = spool.Open(cfg.Journal.SpoolPath(), spoolOpt)
	}
	if err != nil {
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "journal spool: %v", err)
	}
	defer sp.Close()

	// One daemon per application: the lease names this journal, so a restart of this daemon on
	// it (after a kill -9) is never refused, another journal's daemon is.
	id, err := store.Identity(ctx)
	if err != nil {
		return fmt.Errorf("the journal's identity: %w", err)
	}
	host, _ := os.Hostname()
	var replaced atomic.Bool
	for _, l := range links {
		l.lease.Store(&ariadapter.Leaser{Conn: l.conn, App: cfg.ARI.App, Self: ariadapter.Lease{Holder: id, Host: host, PID: os.Getpid()}, Log: l.log})
	}
	defer func() {
		if replaced.Load() {
			return // the lease is the other daemon's now
		}
		// Given back, so that another daemon may start at once (a kill -9 leaves it to go
		// stale). Release leaves alone a lease that is not this run's.
		for _, l := range links {
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			if err := l.lease.Load().Release(rctx); err != nil {
				l.log.Warn("the ARI application's lease was not given back: another daemon can take it once it is stale",
					"app", cfg.ARI.App, "after", ariadapter.LeaseStale, "err", err)
			}
			rcancel()
		}
	}()
	// Asterisk answering at start is the common case: a refusal then comes before anything else
	// starts. Otherwise the lease is taken in the background, as soon as Asterisk answers.
	for _, l := range links {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		err = l.lease.Load().Acquire(actx, opt.TakeOver)
		acancel()
		l.leased = err == nil
		if held, ok := ariadapter.IsHeld(err); ok {
			return refused(held)
		}
		if err != nil {
			l.log.Warn("asterisk not reachable to check who serves the ARI application; retrying before connecting", "app", cfg.ARI.App, "err", err)
		}
	}
	// Conversations are recorded with MixMonitor on the operator's channel (over AMI: each node's
	// own, dialLinks), which keeps each bridge 2-party; while that AMI is down, in the bridge over ARI.
	// The browser softphone (web.softphone): endpoints pushed to Asterisk on demand, passwords
	// revoked as they lapse (softphone.Provisioner); with several nodes it also tells them which
	// operators to ring through their WebRTC endpoint towards Kamailio (ari.nodes[].softphones).
	var prov *softphone.Provisioner
	if cfg.Web.Listen != "" && cfg.Web.Softphone != "" {
		prov = &softphone.Provisioner{Asterisk: conn, WebSocket: cfg.Web.Softphone, Log: log,
			Extensions: func(ctx context.Context) ([]string, error) {
				active, _, err := operatorExtensions(ctx, store)
				return active, err
			}}
		// Softphones registering with Kamailio (ari.nodes[].softphones) authenticate there with
		// the passwords the provisioner keeps in its htable over kamailio.rpc (docs/scaling.md).
		if cfg.Kamailio.RPC != "" && softphonesThroughKamailio(cfg.ARI.Nodes) {
			prov.Kamailio = &kamailio.Client{URL: cfg.Kamailio.RPC}
		}
	}
	tel, nodes, err := telephonyOf(cfg, links, prov, log)
	if err != nil {
		return hotline.Wrapf(hotline.EINVALID, err, "%v", err)
	}

	sbCfg, err := callRules(cfg.Calls, store.PhoneRegion()) // numbers are read as the journal stores them
	if err != nil {
		return hotline.Errorf(hotline.EINVALID, "%v", err)
	}
	sbCfg.InformDial, sbCfg.InformRing = cfg.Informing.Dial, cfg.Informing.Ring
	jr := journaladapter.Journal{Store: store, DelayedAnswers: journal.DelayedAnswerRule{
		ToCaseOwner: cfg.Calls.DelayedAnswerOwner != "administrators", Due: cfg.Calls.DelayedAnswerDue}}
	sb, err := switchboard.New(sbCfg, tel, jr, switchboard.SystemClock{}, log)
	if err != nil {
		return hotline.Wrapf(hotline.EINVALID, err, "%v", err)
	}
	sb.SetSpool(sp)
	plan, err := cfg.Informing.Plan()
	if err != nil {
		return hotline.Errorf(hotline.EINVALID, "informing: %v", err)
	}
	sb.SetCampaigns(journaladapter.Campaigns{Store: store, Plan: plan})
	reg.MustRegister(newCollector(sb))
	registerLinkMetrics(reg, cfg, links)
	calls := newCallMetrics()
	reg.MustRegister(calls.collectors()...)
	sb.SetMetrics(calls)

	// Everything below runs until the drain is over, not until the signal: runCtx ends then.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	var fenced atomic.Bool
	if sby != nil {
		// Fenced: another hotline serve took the journal's lease (this one was paused or cut off
		// past its expiry). It stops driving calls at once, without a drain: the calls are the
		// new active daemon's. Its writes still waiting stay in the spool for it.
		go func() {
			select {
			case <-store.Fenced():
			case <-sby.lost:
			case <-runCtx.Done():
				return
			}
			fenced.Store(true)
			replaced.Store(true) // the ARI application is the new active daemon's: not given back
			_, l := sby.state()
			sby.set(RoleFenced, l)
			log.Error("fenced: another hotline serve took the journal's lease; this one stops driving calls now", "epoch", l.Epoch)
			if opt.Fenced != nil {
				opt.Fenced(hotline.Wrapf(hotline.EUNAVAILABLE, journal.ErrFenced,
					"fenced: another hotline serve took the journal's lease (epoch %d was this one's) and drives the calls now; this one stopped", l.Epoch))
			}
			stop()
		}()
	}

	ln, err := control.Listen(runCtx, cfg.API.Socket)
	if err != nil {
		return err
	}
	// Who asks through the socket is the peer's account, mapped to an operator by the journal;
	// root and the daemon's own account are administrators (control.Authority).
	auth := control.Authority{Operators: store, Cases: store, Region: store.PhoneRegion(), DaemonUID: uint32(os.Geteuid())}
	var board control.Switchboard = sb
	if sby != nil {
		board = activeBoard{Switchboard: sb, sby: sby} // its status says the role and the lease
	}
	api := control.NewServer(control.Handler(board, auth, log))
	go func() {
		if err := api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("control API stopped", "err", err)
		}
	}()
	defer api.Close()

	// The workplace: its own listener, until the drain is over (runCtx).
	if cfg.Web.Listen != "" {
		ws := &web.Server{
			Sessions: webSessions{store: store}, Live: web.FromSwitchboard(sb), Journal: store, Calls: web.CallsOf(sb), Dialler: sb, InformingPlan: plan, Log: log,
			Recordings: recording.ARI{Conn: storedOn(links)},
		}
		if cfg.Journal.Backend == config.BackendPostgres {
			// Attached documents stay files on this machine: beside journal.path, which names no
			// database here (the default, "beside the journal", would be beside a URL).
			ws.Files = cfg.Journal.Path + ".files"
		}
		if prov != nil {
			go func() {
				// Passwords issued before this start would never lapse: revoke them first; the
				// softphones an earlier run pushed for operators since removed go.
				active, removed, err := operatorExtensions(runCtx, store)
				if err == nil {
					err = errors.Join(prov.RevokeAll(runCtx, active), prov.RemoveAll(runCtx, removed))
				}
				if err != nil {
					log.Warn("softphone: revoking the passwords of an earlier run", "err", err)
				}
				prov.Run(runCtx)
			}()
			ws.Softphones, ws.SoftphoneWebSocket = prov, cfg.Web.Softphone
		}
		if err := startWeb(runCtx, cfg.Web, ws, log); err != nil {
			return err
		}
	}

	if cfg.Metrics.Listen != "" {
		stopMetrics := serveMetrics(cfg.Metrics.Listen, reg, func(w http.ResponseWriter, r *http.Request) {
			st, err := sb.Status(r.Context())
			switch {
			case err == nil && st.Replaced:
				http.Error(w, "another client took over the ARI application "+cfg.ARI.App+": this daemon serves no calls", http.StatusServiceUnavailable)
				return
			case err != nil || !st.Connected:
				http.Error(w, "asterisk not connected", http.StatusServiceUnavailable)
				return
			case st.Draining:
				http.Error(w, "draining: taking no new calls", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ok")
		}, cfg.Metrics.Pprof, log)
		defer stopMetrics()
	}

	// The connection reconnects on its own until ctx ends; its events reach the switchboard in
	// order (the reader, or a node's pump, waits while the loop is busy: back-pressure, never loss).
	connCtx, stopConn := context.WithCancel(runCtx)
	defer stopConn()
	refusal := make(chan error, 1)
	// One Asterisk: its events go to the switchboard on the connection's reader goroutine
	// (Attach, before Run starts); nodes are merged by nodes.Pump from each one's Events.
	var attached *ariadapter.Attached
	if nodes == nil {
		// No handsets' listing through ARI: AMI's presence (below) lists them after each of
		// its connections, in order with its events.
		a, err := ariadapter.Attach(conn, sb, log, false)
		if err != nil {
			return err
		}
		attached = a
	}
	var keeping sync.WaitGroup
	for _, l := range links {
		keeping.Add(1)
		go func() {
			defer keeping.Done()
			lease := l.lease.Load()
			if !l.leased {
				if err := acquire(connCtx, lease, opt.TakeOver, l.log); err != nil {
					if _, ok := ariadapter.IsHeld(err); ok {
						select {
						case refusal <- err:
						default:
						}
						stop()
					}
					return
				}
			}
			lost := func(err error) {
				// Another daemon took the application while this one was cut off from Asterisk: as
				// for ApplicationReplaced, this one stops acting on Asterisk rather than take it back.
				replaced.Store(true)
				_ = sb.Deliver(runCtx, switchboard.Replaced{})
				stopConn()
				l.log.Error("ari application served by another hotline serve since this one was cut off: this hotline serve no longer connects to Asterisk",
					"app", cfg.ARI.App, "err", err)
			}
			go func() {
				err := l.conn.Run(connCtx)
				if _, held := ariadapter.IsHeld(err); held {
					lost(err)
					return
				}
				if err != nil && connCtx.Err() == nil {
					l.log.Error("ari connection ended", "err", err)
				}
			}()
			if err := lease.Keep(connCtx); err != nil {
				if _, held := ariadapter.IsHeld(err); held {
					lost(err)
				}
			}
		}()
	}
	go func() {
		var err error
		if nodes != nil {
			err = nodes.Pump(runCtx, sb)
		} else {
			err = attached.Wait(runCtx)
		}
		switch {
		case errors.Is(err, ariadapter.ErrReplaced):
			// Reconnecting would take the application back from the other client, and it from
			// us, at every turn: this daemon stops acting on Asterisk and says so (/healthz,
			// hotline_ari_replaced, status), until someone stops one of the two. The lease is the
			// other's now: it is neither renewed nor given back.
			replaced.Store(true)
			stopConn()
			log.Error("ari application taken over by another client: this hotline serve no longer connects to Asterisk", "app", cfg.ARI.App)
		case err != nil && runCtx.Err() == nil:
			log.Error("ari event pump ended", "err", err)
		}
	}()

	// AMI brings handsets' registration and qualify results as they change (ARI only lists the
	// endpoints at each connection: its endpoint subscription would send the application every
	// PJSIP channel's messages), re-lists device states after a gap, and starts the MixMonitor
	// recordings. One connection per node: with handsets registered at
	// Kamailio no node knows them and their presence is not passed on: it comes from Kamailio
	// (kamailio.rpc, below), or else a logged-in operator counts as reachable until a ring fails
	// (docs/scaling.md).
	for _, l := range links {
		go runAMI(runCtx, l.ami, l.presence(sb), l.recorder, &l.amiClient, l.log)
	}
	// With kamailio.rpc, the handsets' presence is Kamailio's location table, read every
	// kamailio.poll (docs/scaling.md, "Presence").
	if cfg.Kamailio.RPC != "" {
		kp := &kamailioadapter.Presence{Kamailio: &kamailio.Client{URL: cfg.Kamailio.RPC}, Switchboard: sb,
			Every: cfg.Kamailio.Poll, Log: log.With("kamailio", cfg.Kamailio.RPC)}
		go kp.Run(runCtx)
	}
	// Recordings older than calls.recording_retention are deleted, and the journal says so.
	go runRetention(runCtx, store, deletedOn(links), cfg.Calls.RecordingRetention, log)
	// The queue_log, appended as the events settle (export.queue_log_file).
	if cfg.Export.QueueLogFile != "" {
		go runQueueLogStream(runCtx, cfg.Export, store, sb, log)
	}

	log.Info("hotline serving", "socket", cfg.API.Socket, "metrics", cfg.Metrics.Listen, "workplace", cfg.Web.Listen)
	go func() {
		select {
		case <-ctx.Done():
			drain(sb, cfg.Shutdown, log)
			stop()
		case <-runCtx.Done():
		}
	}()
	err = sb.Run(runCtx)
	stopConn()
	keeping.Wait() // no renewal after the lease is given back
	select {
	case r := <-refusal:
		held, _ := ariadapter.IsHeld(r)
		return refused(held)
	default:
	}
	if fenced.Load() {
		return hotline.Wrapf(hotline.EUNAVAILABLE, journal.ErrFenced, "fenced: another hotline serve took the journal's lease and drives the calls now; this one stopped (journal writes left: %d, in the spool for it)", sb.Backlog())
	}
	js := sb.JournalStats()
	log.Info("hotline stopped", "journal_backlog", sb.Backlog(), "journal_writes", js.Writes,
		"journal_transactions", js.Transactions, "journal_spool_appends", js.SpoolAppends)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// refused is the error of a start refused because another daemon serves the application.
func refused(held *ariadapter.HeldError) error {
	return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.ECONFLICT,
		"%v; stop it first (if it was killed, its lease goes stale %s after its last heartbeat and a start then takes it), or start this one with --take-over to take the application from it (it then stops serving calls)",
		held, ariadapter.LeaseStale), held)
}

// acquire takes the lease, retrying while Asterisk does not answer, until ctx ends; a refusal
// ends it at once.
func acquire(ctx context.Context, lease *ariadapter.Leaser, takeOver bool, log *slog.Logger) error {
	wait := 200 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := lease.Acquire(actx, takeOver)
		cancel()
		if _, held := ariadapter.IsHeld(err); err == nil || held {
			return err
		}
		log.Debug("asterisk not reachable to take the ARI application's lease; retrying", "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// runAMI connects AMI, retrying with a capped backoff while Asterisk is unreachable, and feeds the
// switchboard handsets' reachability until ctx ends; while connected, the recorder starts
// recordings with its client. Once connected the client reconnects by
// itself. A refused login is reported loudly and retried slowly: someone must fix the secret.
func runAMI(ctx context.Context, cfg config.AMI, sb amiadapter.Deliverer, recorder *amiadapter.Recorder, current *atomic.Pointer[ami.Client], log *slog.Logger) {
	wait := time.Second
	for {
		// Only the events the presence feed reads: Asterisk sends every call event otherwise.
		c, err := ami.Dial(ctx, ami.Config{Addr: cfg.Addr, Username: cfg.User, Secret: cfg.Password.Reveal(),
			Auth: ami.AuthMD5, Logger: log, EventFilter: amiadapter.Events()})
		if err == nil {
			log.Info("ami connected", "addr", cfg.Addr)
			recorder.Use(c)
			current.Store(c)
			err = amiadapter.Presence(ctx, c, sb, log)
			current.Store(nil)
			recorder.Use(nil)
			c.Close()
			if ctx.Err() != nil {
				return
			}
			log.Warn("ami presence feed ended; reconnecting", "err", err)
		} else if errors.Is(err, ami.ErrLogin) {
			log.Error("ami login refused: check ami.user and ami.password (manager.conf)", "addr", cfg.Addr, "err", err)
			wait = time.Minute
		} else {
			log.Warn("ami not reachable; retrying", "addr", cfg.Addr, "in", wait, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// drain runs the shutdown the configuration asks for: new calls go back to the dialplan for up to
// cfg.Drain while the switchboard empties; then, with waiting: fallback, the callers still waiting
// go to the dialplan too. Calls in progress stay up in Asterisk for the next start.
func drain(sb *switchboard.Switchboard, cfg config.Shutdown, log *slog.Logger) {
	log.Info("stopping", "drain", cfg.Drain, "waiting", cfg.Waiting)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Drain)
	defer cancel()
	err := sb.Drain(ctx, cfg.Waiting == config.WaitingFallback)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, switchboard.ErrStopped) {
		log.Warn("drain", "err", err)
	}
}

// operatorExtensions lists the extensions of the operators in service, and those of removed
// operators that no operator in service uses (the softphones to delete).
func operatorExtensions(ctx context.Context, store *journal.Store) (active, removed []string, err error) {
	ops, err := store.Operators(ctx, journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		return nil, nil, err
	}
	inService := map[string]bool{}
	for _, o := range ops {
		if o.Active && o.Extension != "" {
			inService[o.Extension] = true
			active = append(active, o.Extension)
		}
	}
	for _, o := range ops {
		if !o.Active && o.Extension != "" && !inService[o.Extension] {
			removed = append(removed, o.Extension)
		}
	}
	return active, removed, nil
}

// softphonesThroughKamailio: some node rings softphones through Kamailio (ari.nodes[].softphones).
func softphonesThroughKamailio(nodes []config.ARINode) bool {
	for _, n := range nodes {
		if n.Softphones != "" {
			return true
		}
	}
	return false
}
