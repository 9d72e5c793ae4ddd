package ari

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics returns a Prometheus collector of the event stream, labelled app=<Application>. The daemon
// registers it on its own registry; this package registers nothing globally.
//
//	hotline_ari_event_buffer_depth       events waiting for the consumer now
//	hotline_ari_event_buffer_capacity    the bound (Config.EventBuffer)
//	hotline_ari_events_total             events delivered (connection events included)
//	hotline_ari_events_unknown_total     of which untyped (*Unknown)
//	hotline_ari_event_buffer_full_total  times the reader had to wait for the consumer
//	hotline_ari_slow_consumer_total      times it gave up and dropped the websocket
//	hotline_ari_reconnects_total         websocket reconnections
//	hotline_ari_connected                1 while the websocket is up
//	hotline_ari_event_bytes_total        websocket bytes read (the JSON decoded)
//	hotline_ari_events_by_type_total     events read, labelled type=<ARI event type>
//	hotline_ari_event_copies_total       of the events read, copies of one just read, dropped
//	hotline_ari_requests_total           REST requests sent, labelled kind="POST channels/answer"...
//	hotline_ari_rest_connections_dialled_total  REST connections dialled
//	hotline_ari_rest_connections_closed_total   of them, closed, labelled reason= (Stats.Connections);
//	                                            dialled less closed is the connections open
func (c *Conn) Metrics() prometheus.Collector {
	label := prometheus.Labels{"app": c.cfg.Application}
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, label) }
	return &metrics{c: c, descs: [...]*prometheus.Desc{
		d("hotline_ari_event_buffer_depth", "ARI events waiting for the consumer."),
		d("hotline_ari_event_buffer_capacity", "Bound of the ARI event buffer."),
		d("hotline_ari_events_total", "ARI events delivered to the consumer."),
		d("hotline_ari_events_unknown_total", "ARI events delivered untyped (raw)."),
		d("hotline_ari_event_buffer_full_total", "Times the ARI reader waited on a full event buffer."),
		d("hotline_ari_slow_consumer_total", "Times the ARI websocket was dropped because the consumer was too slow."),
		d("hotline_ari_reconnects_total", "ARI websocket reconnections."),
		d("hotline_ari_connected", "1 while the ARI websocket is connected."),
		d("hotline_ari_event_bytes_total", "ARI websocket bytes read."),
		d("hotline_ari_event_copies_total", "ARI events read and dropped as a copy of one just read (one per subscription it reached)."),
	},
		byType:   prometheus.NewDesc("hotline_ari_events_by_type_total", "ARI events read, by type.", []string{"type"}, label),
		requests: prometheus.NewDesc("hotline_ari_requests_total", "ARI REST requests sent, by method and resource.", []string{"kind"}, label),
		dialled:  prometheus.NewDesc("hotline_ari_rest_connections_dialled_total", "ARI REST connections dialled.", nil, label),
		closed: prometheus.NewDesc("hotline_ari_rest_connections_closed_total",
			"ARI REST connections closed, by reason: idle (kept past the idle limit), dead (found closed by Asterisk when taken), spare (more than the pool keeps), by_server (the answer said close), on_error (a failed exchange: a timeout, a reset, a connection Asterisk closed found on write), cancelled (the request's context ended as the answer was read).",
			[]string{"reason"}, label),
	}
}

type metrics struct {
	c                *Conn
	descs            [10]*prometheus.Desc
	byType, requests *prometheus.Desc
	dialled, closed  *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range m.descs {
		ch <- d
	}
	ch <- m.byType
	ch <- m.requests
	ch <- m.dialled
	ch <- m.closed
}

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	s := m.c.Stats()
	up := 0.0
	if s.Connected {
		up = 1
	}
	g, c := prometheus.GaugeValue, prometheus.CounterValue
	for i, v := range []struct {
		t prometheus.ValueType
		v float64
	}{
		{g, float64(s.Depth)}, {g, float64(s.Capacity)}, {c, float64(s.Delivered)}, {c, float64(s.Unknown)},
		{c, float64(s.BufferFull)}, {c, float64(s.SlowConsumer)}, {c, float64(s.Reconnects)}, {g, up},
		{c, float64(s.EventBytes)}, {c, float64(s.Copies)},
	} {
		ch <- prometheus.MustNewConstMetric(m.descs[i], v.t, v.v)
	}
	for typ, n := range s.EventsByType {
		ch <- prometheus.MustNewConstMetric(m.byType, c, float64(n), typ)
	}
	for kind, n := range s.Requests {
		ch <- prometheus.MustNewConstMetric(m.requests, c, float64(n), kind)
	}
	if s.Connections != nil {
		for event, n := range s.Connections {
			if reason, ok := strings.CutPrefix(event, "closed_"); ok {
				ch <- prometheus.MustNewConstMetric(m.closed, c, float64(n), reason)
			} else {
				ch <- prometheus.MustNewConstMetric(m.dialled, c, float64(n))
			}
		}
	}
}
