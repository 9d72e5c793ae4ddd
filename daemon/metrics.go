package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveMetrics serves reg at /metrics, health at /healthz and, with withPprof, Go's profiles at
// /debug/pprof/ on listen, until stop (which returns once the server is down).
func serveMetrics(listen string, reg *prometheus.Registry, health http.HandlerFunc, withPprof bool, log *slog.Logger) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /healthz", health)
	srv := &http.Server{Addr: listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics endpoint stopped", "addr", listen, "err", err)
		}
	}()
	return func() { srv.Close(); <-done }
}

// collector reads the live state at scrape time, so metrics cost nothing between scrapes and can
// never disagree with `hotline status`.
type collector struct {
	sb *switchboard.Switchboard

	queueLen, longestWait, operators, calls, backlog, draining, replaced, tracked *prometheus.Desc
	spoolAppends, journalTxns, journalWrites, sqliteMemory                        *prometheus.Desc
}

// newCollector exports the switchboard's live state; the ARI connection exports its own
// (ari.Conn.Metrics).
func newCollector(sb *switchboard.Switchboard) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("hotline_"+name, help, labels, nil)
	}
	return &collector{sb: sb,
		queueLen:      d("queue_callers", "Callers waiting in the queue now."),
		longestWait:   d("queue_longest_wait_seconds", "How long the longest-waiting caller has waited."),
		operators:     d("operators", "Operators by live state.", "state"),
		calls:         d("calls", "Calls in the switchboard now (greeting, queued, talking, overflow)."),
		backlog:       d("journal_backlog", "Journal writes waiting for the journal (in the spool or in memory)."),
		draining:      d("draining", "1 while stopping: new calls go back to the dialplan."),
		replaced:      d("ari_replaced", "1 when another client took the ARI application over: this daemon serves no calls."),
		tracked:       d("switchboard_tracked", "Entries in each of the switchboard's own maps (calls, offers, playbacks, recordings, lanes...): what a long run watches for growth.", "map"),
		spoolAppends:  d("journal_spool_appends_total", "Fsyncs of the journal's write-ahead spool that made journal writes durable (an Append or a Sync that succeeded): one for all the writes written since the one before (group commit, and the sync window of 50 ms). Not counted: a failed one, and those of a start, a rotation or a stop."),
		journalTxns:   d("journal_transactions_total", "Journal transactions the daemon's writer ran: a batch of writes (group commit), or a write alone."),
		journalWrites: d("journal_writes_total", "Journal writes the daemon's writer applied (or the journal refused)."),
		sqliteMemory:  d("journal_sqlite_memory_bytes", "What SQLite has allocated on the C heap (page caches, statements) for every connection of the process: outside the Go heap, inside RSS."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueLen, c.longestWait, c.operators, c.calls, c.backlog, c.draining, c.replaced, c.tracked,
		c.spoolAppends, c.journalTxns, c.journalWrites, c.sqliteMemory} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.sb.Status(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.queueLen, prometheus.GaugeValue, float64(len(s.Queue)))
	var longest time.Duration
	for _, q := range s.Queue {
		longest = max(longest, q.Waiting)
	}
	ch <- prometheus.MustNewConstMetric(c.longestWait, prometheus.GaugeValue, longest.Seconds())
	ch <- prometheus.MustNewConstMetric(c.calls, prometheus.GaugeValue, float64(s.Calls))
	ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(s.JournalBacklog))
	js := c.sb.JournalStats()
	ch <- prometheus.MustNewConstMetric(c.spoolAppends, prometheus.CounterValue, float64(js.SpoolAppends))
	ch <- prometheus.MustNewConstMetric(c.journalTxns, prometheus.CounterValue, float64(js.Transactions))
	ch <- prometheus.MustNewConstMetric(c.journalWrites, prometheus.CounterValue, float64(js.Writes))
	sqliteUsed, _ := journal.SQLiteMemory()
	ch <- prometheus.MustNewConstMetric(c.sqliteMemory, prometheus.GaugeValue, float64(sqliteUsed))
	draining := 0.0
	if s.Draining {
		draining = 1
	}
	ch <- prometheus.MustNewConstMetric(c.draining, prometheus.GaugeValue, draining)
	replaced := 0.0
	if s.Replaced {
		replaced = 1
	}
	ch <- prometheus.MustNewConstMetric(c.replaced, prometheus.GaugeValue, replaced)
	for name, n := range s.Tracked {
		ch <- prometheus.MustNewConstMetric(c.tracked, prometheus.GaugeValue, float64(n), name)
	}
	byState := map[string]int{}
	for _, o := range s.Operators {
		byState[string(o.Presence)]++
	}
	for state, n := range byState {
		ch <- prometheus.MustNewConstMetric(c.operators, prometheus.GaugeValue, float64(n), state)
	}
}

// callMetrics counts what happens to calls as the switchboard reports it (switchboard.Metrics):
// what a scrape-time snapshot cannot know.
type callMetrics struct {
	arrived   prometheus.Counter
	answered  prometheus.Counter
	ended     *prometheus.CounterVec
	wait      *prometheus.HistogramVec
	transfers *prometheus.CounterVec
	requests  *prometheus.HistogramVec
	dispatch  *prometheus.HistogramVec
}

var _ switchboard.Metrics = (*callMetrics)(nil)

func newCallMetrics() *callMetrics {
	// Queue waits from seconds to the longest sensible MaxWait; ARI requests from a millisecond
	// (local Asterisk) to the request timeout.
	waits := []float64{1, 5, 10, 20, 30, 60, 120, 300, 600}
	return &callMetrics{
		arrived: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_calls_offered_total",
			Help: "Calls that reached the hotline (answered by the application, greeted)."}),
		answered: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_calls_answered_total",
			Help: "Calls answered by an operator from the queue."}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_call_legs_ended_total",
			Help: "Call legs ended, by how: completed, abandoned, overflow, transferred, failed."}, []string{"end"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_queue_wait_seconds",
			Help: "Time callers waited in the queue, by outcome: answered or abandoned.", Buckets: waits}, []string{"outcome"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_transfers_total",
			Help: "Transfers to another operator, by result: answered, failed (caller back), refused."}, []string{"result"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_ari_request_seconds",
			Help:    "ARI requests made by the switchboard, by request and result.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10)}, []string{"op", "result"}),
		dispatch: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_dispatch_seconds",
			Help: "Operator freed by an Asterisk event → next caller's originate, by part: delivery (Asterisk's event timestamp → handed to the switchboard), " +
				"inbox (→ the loop took it), loop (→ originate request sent), hotline (inbox + loop), request (originate sent → answered), total (delivery + hotline + request); " +
				"teardown: a talking operator's hang-up request → their channel's StasisEnd in Asterisk, which dispatch does not wait for.",
			Buckets: dispatchBuckets()}, []string{"part"}),
	}
}

// dispatchBuckets resolve the 30 ms dispatch target (issue 23) and the seconds of an overloaded Asterisk.
func dispatchBuckets() []float64 {
	return []float64{.0005, .001, .002, .003, .005, .0075, .01, .015, .02, .03, .05, .075, .1, .15, .2, .3, .5, .75, 1, 1.5, 2, 3, 5}
}

func (m *callMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.arrived, m.answered, m.ended, m.wait, m.transfers, m.requests, m.dispatch}
}

func (m *callMetrics) CallArrived() { m.arrived.Inc() }

func (m *callMetrics) CallAnswered(wait time.Duration) {
	m.answered.Inc()
	m.wait.WithLabelValues("answered").Observe(wait.Seconds())
}

func (m *callMetrics) CallEnded(end hotline.LegEnd, wait time.Duration) {
	m.ended.WithLabelValues(string(end)).Inc()
	if end == hotline.LegAbandoned {
		m.wait.WithLabelValues("abandoned").Observe(wait.Seconds())
	}
}

func (m *callMetrics) Transfer(result string) { m.transfers.WithLabelValues(result).Inc() }

func (m *callMetrics) Request(op string, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.requests.WithLabelValues(op, result).Observe(took.Seconds())
}

func (m *callMetrics) Teardown(d time.Duration) {
	m.dispatch.WithLabelValues("teardown").Observe(d.Seconds())
}

func (m *callMetrics) Dispatch(d switchboard.Dispatch) {
	total := d.Hotline() + d.Request
	if d.Delivery >= 0 {
		m.dispatch.WithLabelValues("delivery").Observe(d.Delivery.Seconds())
		total += d.Delivery
	}
	m.dispatch.WithLabelValues("inbox").Observe(d.Inbox.Seconds())
	m.dispatch.WithLabelValues("loop").Observe(d.Loop.Seconds())
	m.dispatch.WithLabelValues("hotline").Observe(d.Hotline().Seconds())
	m.dispatch.WithLabelValues("request").Observe(d.Request.Seconds())
	m.dispatch.WithLabelValues("total").Observe(total.Seconds())
}
