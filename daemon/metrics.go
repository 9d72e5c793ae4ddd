package daemon

import (
	"context"
	"time"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/prometheus/client_golang/prometheus"
)

// collector reads the live state at scrape time, so metrics cost nothing between scrapes and can
// never disagree with `hotline status`.
type collector struct {
	conn *ari.Conn
	sb   *switchboard.Switchboard

	queueLen, longestWait, operators, calls           *prometheus.Desc
	ariConnected, ariDepth, ariReconnects, ariUnknown *prometheus.Desc
}

func newCollector(conn *ari.Conn, sb *switchboard.Switchboard) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("hotline_"+name, help, labels, nil)
	}
	return &collector{conn: conn, sb: sb,
		queueLen:      d("queue_callers", "Callers waiting in the queue now."),
		longestWait:   d("queue_longest_wait_seconds", "How long the longest-waiting caller has waited."),
		operators:     d("operators", "Operators by live state.", "state"),
		calls:         d("calls", "Calls in the switchboard now (greeting, queued, talking, overflow)."),
		ariConnected:  d("ari_connected", "1 while the ARI websocket is up."),
		ariDepth:      d("ari_event_buffer_depth", "ARI events decoded and waiting for the switchboard."),
		ariReconnects: d("ari_reconnects_total", "ARI reconnections since start."),
		ariUnknown:    d("ari_unknown_events_total", "ARI events of a type hotline does not know (kept raw, logged)."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueLen, c.longestWait, c.operators, c.calls, c.ariConnected, c.ariDepth, c.ariReconnects, c.ariUnknown} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.conn.Stats()
	up := 0.0
	if st.Connected {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.ariConnected, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(c.ariDepth, prometheus.GaugeValue, float64(st.Depth))
	ch <- prometheus.MustNewConstMetric(c.ariReconnects, prometheus.CounterValue, float64(st.Reconnects))
	ch <- prometheus.MustNewConstMetric(c.ariUnknown, prometheus.CounterValue, float64(st.Unknown))

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
	byState := map[string]int{}
	for _, o := range s.Operators {
		byState[string(o.Presence)]++
	}
	for state, n := range byState {
		ch <- prometheus.MustNewConstMetric(c.operators, prometheus.GaugeValue, float64(n), state)
	}
}
