package daemon

import (
	"context"
	"time"

	"github.com/hotline-dev/hotline/switchboard"
	"github.com/prometheus/client_golang/prometheus"
)

// collector reads the live state at scrape time, so metrics cost nothing between scrapes and can
// never disagree with `hotline status`.
type collector struct {
	sb *switchboard.Switchboard

	queueLen, longestWait, operators, calls *prometheus.Desc
}

// newCollector exports the switchboard's live state; the ARI connection exports its own
// (ari.Conn.Metrics).
func newCollector(sb *switchboard.Switchboard) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("hotline_"+name, help, labels, nil)
	}
	return &collector{sb: sb,
		queueLen:    d("queue_callers", "Callers waiting in the queue now."),
		longestWait: d("queue_longest_wait_seconds", "How long the longest-waiting caller has waited."),
		operators:   d("operators", "Operators by live state.", "state"),
		calls:       d("calls", "Calls in the switchboard now (greeting, queued, talking, overflow)."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queueLen, c.longestWait, c.operators, c.calls} {
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
	byState := map[string]int{}
	for _, o := range s.Operators {
		byState[string(o.Presence)]++
	}
	for state, n := range byState {
		ch <- prometheus.MustNewConstMetric(c.operators, prometheus.GaugeValue, float64(n), state)
	}
}
