package ari_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
	"github.com/hotline-dev/hotline/ari"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeAsterisk serves the ARI websocket: each connection gets the messages script returns for it
// (connection number n, from 1), then stays open until the client goes or hold is false.
type fakeAsterisk struct {
	*httptest.Server
	conns atomic.Int32
}

func newFake(t *testing.T, script func(n int) (msgs []string, hold bool)) *fakeAsterisk {
	f := &fakeAsterisk{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "p" {
			http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/ari/events" || r.URL.Query().Get("app") != "app" {
			http.Error(w, "bad path", http.StatusNotFound)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		msgs, hold := script(int(f.conns.Add(1)))
		for _, m := range msgs {
			if err := ws.Write(r.Context(), websocket.MessageText, []byte(m)); err != nil {
				return
			}
		}
		if hold {
			_, _, _ = ws.Read(r.Context()) // until the client closes
			return
		}
		_ = ws.Close(websocket.StatusGoingAway, "restarting")
	}))
	t.Cleanup(f.Close)
	return f
}

func fakeConfig(t *testing.T, f *fakeAsterisk) ari.Config {
	return ari.Config{
		URL: f.URL + "/ari", Username: "u", Password: "p", Application: "app",
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

func userEvent(i int) string {
	return fmt.Sprintf(`{"type":"ChannelUserevent","application":"app","timestamp":"2026-11-23T12:00:00.000+0000","eventname":"e%d","asterisk_id":"x"}`, i)
}

func eventName(e ari.Event) string {
	if u, ok := e.(*ariv6.ChannelUserevent); ok {
		return u.Eventname
	}
	return ""
}

func runConn(t *testing.T, cfg ari.Config) *ari.Conn {
	c, err := ari.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		for range c.Events() {
		}
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	return c
}

func recv(t *testing.T, c *ari.Conn) ari.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return nil
	}
}

func TestStreamOrderAndUntyped(t *testing.T) {
	const n = 500
	f := newFake(t, func(int) ([]string, bool) {
		var msgs []string
		for i := range n {
			msgs = append(msgs, userEvent(i))
			if i == 100 {
				msgs = append(msgs, `{"type":"FutureThing","application":"app","timestamp":"2026-11-23T12:00:00.000+0000"}`, `not json`)
			}
		}
		return msgs, true
	})
	c := runConn(t, fakeConfig(t, f))
	if ev := recv(t, c); ev.GetType() != ari.EventConnected {
		t.Fatalf("first event %T, want Connected", ev)
	}
	next := 0
	var untyped []string
	for next < n {
		ev := recv(t, c)
		if u, ok := ev.(*ari.Unknown); ok {
			untyped = append(untyped, string(u.Raw))
			continue
		}
		if got := eventName(ev); got != fmt.Sprintf("e%d", next) {
			t.Fatalf("event %d: got %s (%T), want e%d: order broken or event lost", next, got, ev, next)
		}
		next++
	}
	if len(untyped) != 2 || untyped[1] != "not json" {
		t.Errorf("untyped = %q, want the future event and the garbage, raw", untyped)
	}
	if s := c.Stats(); s.Unknown != 2 || s.Delivered != n+3 {
		t.Errorf("stats %+v: want Unknown 2, Delivered %d", s, n+3)
	}
}

func TestReconnectReportsState(t *testing.T) {
	f := newFake(t, func(n int) ([]string, bool) {
		if n == 1 {
			return []string{userEvent(1)}, false // then the "restart"
		}
		return []string{userEvent(2)}, true
	})
	c := runConn(t, fakeConfig(t, f))
	var got []string
	for len(got) < 5 {
		ev := recv(t, c)
		got = append(got, ev.GetType()+":"+eventName(ev))
		if d, ok := ev.(*ari.Disconnected); ok && d.Err == nil {
			t.Error("Disconnected without a reason")
		}
		if r, ok := ev.(*ari.Reconnected); ok && r.Attempts < 1 {
			t.Errorf("Reconnected.Attempts = %d", r.Attempts)
		}
	}
	want := []string{"Connected:", "ChannelUserevent:e1", "Disconnected:", "Reconnected:", "ChannelUserevent:e2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if s := c.Stats(); s.Reconnects != 1 || !s.Connected {
		t.Errorf("stats %+v: want 1 reconnect, connected", s)
	}
}

func TestSlowConsumerIsReported(t *testing.T) {
	const n = 200
	f := newBurstFake(t, n)
	cfg := fakeConfig(t, f)
	cfg.EventBuffer = 4
	cfg.SlowConsumerTimeout = 20 * time.Millisecond
	c := runConn(t, cfg)
	// Do not consume until the reader has given up on the full buffer.
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().SlowConsumer == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no slow-consumer report: %+v", c.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := c.Stats(); s.Depth != s.Capacity || s.Capacity != 4 {
		t.Errorf("stats %+v: want a full buffer of 4", s)
	}
	if ev := recv(t, c); ev.GetType() != ari.EventConnected {
		t.Fatalf("first event %T", ev)
	}
	// What was read arrives in order, then the gap is reported, then the new connection.
	next := 0
	for {
		ev := recv(t, c)
		if d, ok := ev.(*ari.Disconnected); ok {
			if !errors.Is(d.Err, ari.ErrSlowConsumer) {
				t.Errorf("Disconnected.Err = %v, want ErrSlowConsumer", d.Err)
			}
			break
		}
		if got := eventName(ev); got != fmt.Sprintf("e%d", next) {
			t.Fatalf("got %s (%T), want e%d", got, ev, next)
		}
		next++
	}
	if next == 0 || next >= n {
		t.Errorf("%d events before Disconnected, want some but not all %d", next, n)
	}
	if ev := recv(t, c); ev.GetType() != ari.EventReconnected {
		t.Errorf("after Disconnected: %T, want Reconnected", ev)
	}
	if ev := recv(t, c); eventName(ev) != "e-1" {
		t.Errorf("after Reconnected: %T %s, want the new connection's event", ev, eventName(ev))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  ari.Config
	}{
		{"empty", ari.Config{}},
		{"no app", ari.Config{URL: "http://h:8088/ari", Username: "u"}},
		{"bad scheme", ari.Config{URL: "ftp://h/ari", Username: "u", Application: "a"}},
		{"two apps", ari.Config{URL: "http://h:8088/ari", Username: "u", Application: "a,b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ari.New(tt.cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

func TestRESTErrorFromServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ari/channels/a%2Fb/answer", "/ari/channels/a/b/answer":
			if r.URL.RawPath != "/ari/channels/a%2Fb/answer" {
				http.Error(w, `{"message":"id not escaped"}`, 400)
				return
			}
			w.WriteHeader(http.StatusPreconditionFailed)
			_, _ = w.Write([]byte(`{"message":"Channel in invalid state"}`))
		default:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("plain text failure"))
		}
	}))
	defer srv.Close()
	c, err := ari.New(ari.Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Channel("a/b").Answer(context.Background())
	var ae *ari.Error
	if !errors.As(err, &ae) || ae.StatusCode != 412 || ae.Message != "Channel in invalid state" || !errors.Is(err, ari.ErrPreconditionFailed) {
		t.Errorf("got %#v", err)
	}
	err = c.Bridge("x").Destroy(context.Background())
	if !errors.As(err, &ae) || ae.StatusCode != 500 || ae.Message != "plain text failure" || ae.Method != "DELETE" {
		t.Errorf("got %#v", err)
	}
}

const spaces = "         "

// BenchmarkStream measures the whole receive path: websocket frame read, decode, buffer, consumer.
func BenchmarkStream(b *testing.B) {
	msg := samples(b)["ChannelStateChange"]
	f := &fakeAsterisk{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for i := range b.N {
			// Distinct messages, as Asterisk's are (by their timestamps): a message equal to one
			// of the last few is dropped as a copy. Trailing blanks are still the same JSON.
			if ws.Write(r.Context(), websocket.MessageText, append(msg[:len(msg):len(msg)], spaces[:i%9]...)) != nil {
				return
			}
		}
		_, _, _ = ws.Read(r.Context())
	}))
	defer f.Close()
	c, err := ari.New(ari.Config{URL: f.URL + "/ari", Username: "u", Password: "p", Application: "app",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	<-c.Events() // Connected
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if ev := <-c.Events(); ev.GetType() != "ChannelStateChange" {
			b.Fatalf("got %T", ev)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func TestMetrics(t *testing.T) {
	f := newFake(t, func(int) ([]string, bool) { return []string{userEvent(1), userEvent(1), `{"type":"Later"}`}, true })
	cfg := fakeConfig(t, f)
	cfg.EventBuffer = 7
	c := runConn(t, cfg)
	for range 3 { // Connected, e1 and the untyped Later
		recv(t, c)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c.Metrics()); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			var app bool
			for _, l := range m.GetLabel() {
				if l.GetName() == "app" {
					app = l.GetValue() == "app"
				} else {
					name += "{" + l.GetValue() + "}"
				}
			}
			if !app {
				t.Errorf("%s labels %v, want app=app", mf.GetName(), m.GetLabel())
			}
			got[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	bytes := float64(2*len(userEvent(1)) + len(`{"type":"Later"}`))
	want := map[string]float64{
		"hotline_ari_event_buffer_depth": 0, "hotline_ari_event_buffer_capacity": 7,
		"hotline_ari_events_total": 3, "hotline_ari_events_unknown_total": 1,
		"hotline_ari_event_buffer_full_total": 0, "hotline_ari_slow_consumer_total": 0,
		"hotline_ari_reconnects_total": 0, "hotline_ari_connected": 1,
		"hotline_ari_event_bytes_total": bytes, "hotline_ari_event_copies_total": 1,
		"hotline_ari_events_by_type_total{ChannelUserevent}": 2, "hotline_ari_events_by_type_total{Later}": 1,
	}
	want["hotline_ari_rest_connections_dialled_total"] = 0 // no REST request in this test
	for _, r := range []string{"idle", "dead", "spare", "by_server", "on_error", "cancelled"} {
		want["hotline_ari_rest_connections_closed_total{"+r+"}"] = 0
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
}

func TestBackoffCappedWithJitter(t *testing.T) {
	c, err := ari.New(ari.Config{URL: "http://127.0.0.1:1/ari", Username: "u", Application: "a",
		MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		attempt int
		ceiling time.Duration
	}{
		{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond}, {5, time.Second}, {50, time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := ari.Backoff(c, tt.attempt)
			if d < tt.ceiling/2 || d > tt.ceiling {
				t.Fatalf("attempt %d: %s, want within [%s, %s]", tt.attempt, d, tt.ceiling/2, tt.ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: only %d distinct delays in 200: no jitter", tt.attempt, len(seen))
		}
	}
}

func TestHTTPClientTimeoutDoesNotBreakWebsocket(t *testing.T) {
	f := newFake(t, func(int) ([]string, bool) { return []string{userEvent(1)}, true })
	cfg := fakeConfig(t, f)
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	c := runConn(t, cfg)
	if ev := recv(t, c); ev.GetType() != ari.EventConnected {
		t.Fatalf("got %T, want Connected", ev)
	}
}

func TestRequestTimeoutWithoutDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // a hung Asterisk
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := ari.New(ari.Config{URL: srv.URL + "/ari", Username: "u", Application: "a", RequestTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Channel("x").Answer(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a deadline error", err)
	}
}

// Config.Redial is asked before each reconnection, not before the first connection; its refusal
// ends Run with its error and nothing is dialled again (a client that must not take the
// application back from another).
func TestRedialRefusalEndsRun(t *testing.T) {
	f := newFake(t, func(n int) ([]string, bool) { return []string{userEvent(n)}, false })
	refusal := errors.New("the application is another client's now")
	var asked atomic.Int32
	cfg := fakeConfig(t, f)
	cfg.Redial = func(context.Context) error {
		asked.Add(1)
		return refusal
	}
	c, err := ari.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	var got []string
	for ev := range c.Events() {
		got = append(got, ev.GetType())
	}
	select {
	case err := <-done:
		if !errors.Is(err, refusal) {
			t.Errorf("Run returned %v, want the refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the refusal")
	}
	if n := f.conns.Load(); n != 1 || asked.Load() != 1 {
		t.Errorf("%d connections, Redial asked %d times; want 1 and 1", n, asked.Load())
	}
	if want := []string{"Connected", "ChannelUserevent", "Disconnected"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestRESTKindDropsIDs(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"POST", "/channels", "POST channels"},
		{"DELETE", "/channels/1700000000.12", "DELETE channels/{id}"},
		{"POST", "/channels/1700000000.12/answer", "POST channels/{id}/answer"},
		{"POST", "/channels/1700000000.12/play/1700000000.12-greeting", "POST channels/{id}/play/{id}"},
		{"POST", "/bridges/b-1/record", "POST bridges/{id}/record"},
		{"PUT", "/applications/hotline/eventFilter", "PUT applications/{id}/eventFilter"},
		{"GET", "/asterisk/variable", "GET asterisk/variable"},
		// A recording's name is an id wherever it stands: one kind for every recording.
		{"GET", "/recordings/stored/call-1700000000.12-1700000000001/file", "GET recordings/stored/{id}/file"},
		{"DELETE", "/recordings/stored/call-1700000000.12-1700000000001", "DELETE recordings/stored/{id}"},
		{"POST", "/recordings/live/call-1700000000.12-1700000000001/stop", "POST recordings/live/{id}/stop"},
		{"GET", "/endpoints/PJSIP/1001", "GET endpoints/PJSIP/{id}"},
		{"PUT", "/asterisk/config/dynamic/res_pjsip/endpoint/9001", "PUT asterisk/config/dynamic/{id}/{id}/{id}"},
	}
	for _, tt := range tests {
		if got := ari.RESTKind(tt.method, tt.path); got != tt.want {
			t.Errorf("RESTKind(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// Asterisk sends an event once per subscription of the application it reaches (the channel, its
// bridge, its endpoint): the consumer gets it once; events that differ in anything, the
// timestamp included, all come through.
func TestCopiesDropped(t *testing.T) {
	at := func(ms int, name string) string {
		return fmt.Sprintf(`{"type":"ChannelHangupRequest","application":"app","timestamp":"2026-11-23T12:00:00.%03d+0000","channel":{"id":"%s"},"asterisk_id":"x"}`, ms, name)
	}
	msgs := []string{
		at(1, "op"), at(1, "op"), // the channel's and the endpoint's copy
		at(2, "caller"), at(2, "caller"), at(3, "op"), at(2, "caller"), // a third copy, another event between
		at(4, "caller"), // the same channel later: a new event
	}
	for i := range 9 { // nine distinct events push the first out of the window: it comes again
		msgs = append(msgs, at(10+i, "x"))
	}
	msgs = append(msgs, at(1, "op"))
	f := newFake(t, func(int) ([]string, bool) { return msgs, true })
	c := runConn(t, fakeConfig(t, f))
	recv(t, c) // Connected
	want := []string{"op 001", "caller 002", "op 003", "caller 004"}
	for i := range 9 {
		want = append(want, fmt.Sprintf("x %03d", 10+i))
	}
	want = append(want, "op 001")
	for i, w := range want {
		ev, ok := recv(t, c).(*ariv6.ChannelHangupRequest)
		if !ok {
			t.Fatalf("event %d: %T, want ChannelHangupRequest", i, ev)
		}
		if got := fmt.Sprintf("%s %03d", ev.Channel.ID, time.Time(ev.Timestamp).Nanosecond()/1e6); got != w {
			t.Fatalf("event %d: %s, want %s", i, got, w)
		}
	}
	if st := c.Stats(); st.Copies != 3 || st.EventsByType["ChannelHangupRequest"] != uint64(len(msgs)) {
		t.Errorf("copies %d, events read %v; want 3 copies of %d read", st.Copies, st.EventsByType, len(msgs))
	}
}

// TestReadBuffersReused: the reader reads each message into the buffer of one it let go (a copy,
// or one the recent window forgot); every event delivered, and every copy found, is still exactly
// its message, short and long ones (past the first buffer's size) mixed, and untyped ones keep
// their own bytes.
func TestReadBuffersReused(t *testing.T) {
	ev := func(i int) string {
		pad := strings.Repeat("x", (i%5)*900) // up to 3.6 KB: buffers grow, and are reused smaller
		return fmt.Sprintf(`{"type":"ChannelUserevent","application":"app","timestamp":"2026-11-23T12:00:00.000+0000","eventname":"e%d","userevent":{"pad":"%s"},"asterisk_id":"x"}`, i, pad)
	}
	var msgs, want []string
	for i := range 40 {
		msgs = append(msgs, ev(i))
		want = append(want, fmt.Sprintf("e%d", i))
		if i%3 == 0 {
			msgs = append(msgs, ev(i)) // a copy: dropped, its buffer free at once
		}
		if i%7 == 0 {
			u := fmt.Sprintf(`{"type":"Later%d","pad":"%s"}`, i, strings.Repeat("y", i*50))
			msgs = append(msgs, u)
			want = append(want, u)
		}
	}
	msgs, want = append(msgs, ev(40)), append(want, "e40") // read after the last copy
	f := newFake(t, func(int) ([]string, bool) { return msgs, true })
	c := runConn(t, fakeConfig(t, f))
	recv(t, c) // Connected
	var got []ari.Event
	for range want {
		got = append(got, recv(t, c))
	}
	// Checked once all are read: an event holding the reader's buffer would show a later message.
	for i, w := range want {
		switch e := got[i].(type) {
		case *ariv6.ChannelUserevent:
			ue, _ := e.Userevent.(map[string]any)
			pad, _ := ue["pad"].(string)
			if e.Eventname != w || pad != strings.Repeat("x", (atoiSuffix(w)%5)*900) {
				t.Fatalf("event %d: %s with a pad of %d, want %s", i, e.Eventname, len(pad), w)
			}
		case *ari.Unknown:
			if string(e.Raw) != w {
				t.Fatalf("event %d: Unknown %.40q, want %.40q", i, e.Raw, w)
			}
		default:
			t.Fatalf("event %d: %T, want %s", i, e, w)
		}
	}
	if st := c.Stats(); st.Copies != 14 {
		t.Errorf("copies %d, want 14", st.Copies)
	}
}

func atoiSuffix(s string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(s, "e"))
	return n
}

// With a handler, events come on the reader's goroutine in order, the one in hand is never
// dropped, and a handler that keeps an event past SlowConsumerTimeout costs the websocket as a
// full buffer does: Disconnected{ErrSlowConsumer}, then the next connection's events.
func TestHandlerOrderAndSlowConsumer(t *testing.T) {
	const n = 50
	const stuckAt = 10
	f := newBurstFake(t, n)
	cfg := fakeConfig(t, f)
	cfg.SlowConsumerTimeout = 250 * time.Millisecond // wide: a loaded machine may deschedule the reader mid-event
	c, err := ari.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan ari.Event, 4*n)
	if err := c.SetHandler(func(ctx context.Context, ev ari.Event) {
		if eventName(ev) == fmt.Sprintf("e%d", stuckAt) {
			time.Sleep(time.Second) // past SlowConsumerTimeout
		}
		got <- ev
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	}()
	next := func() ari.Event {
		t.Helper()
		select {
		case ev := <-got:
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5s")
			return nil
		}
	}
	if ev := next(); ev.GetType() != ari.EventConnected {
		t.Fatalf("first event %T", ev)
	}
	if err := c.SetHandler(func(context.Context, ari.Event) {}); err == nil {
		t.Error("SetHandler after Run accepted")
	}
	for i := 0; i <= stuckAt; i++ {
		if ev := next(); eventName(ev) != fmt.Sprintf("e%d", i) {
			t.Fatalf("got %T %s, want e%d", ev, eventName(ev), i)
		}
	}
	d, ok := next().(*ari.Disconnected)
	if !ok || !errors.Is(d.Err, ari.ErrSlowConsumer) {
		t.Fatalf("after the stuck event: %+v, want Disconnected{ErrSlowConsumer}", d)
	}
	if ev := next(); ev.GetType() != ari.EventReconnected {
		t.Errorf("after Disconnected: %T, want Reconnected", ev)
	}
	if ev := next(); eventName(ev) != "e-1" {
		t.Errorf("after Reconnected: %T %s, want the new connection's event", ev, eventName(ev))
	}
	if s := c.Stats(); s.SlowConsumer != 1 || s.Depth != 0 {
		t.Errorf("stats %+v: want one slow consumer, nothing on Events", s)
	}
}

// BenchmarkHandOver measures an event's way from the websocket to a consumer's inbox (a channel
// another goroutine reads, as the switchboard's loop reads its inbox): through Events and a
// goroutine that moves each event on (ariadapter.Pump), or handed to the inbox on the reader's
// goroutine (SetHandler, ariadapter.Attach). Besides time it reports the process's context switches
// and CPU time per event (getrusage: every thread's), the cost of the hand-offs themselves.
func BenchmarkHandOver(b *testing.B) {
	msg := samples(b)["ChannelStateChange"]
	for _, mode := range []string{"events+pump", "handler"} {
		b.Run(mode, func(b *testing.B) {
			f := &fakeAsterisk{}
			f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ws, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer ws.CloseNow()
				for i := range b.N {
					// Paced as Asterisk sends a call's events: one at a time, not a burst that
					// would let every goroutine find the next event without sleeping.
					if i%8 == 0 {
						time.Sleep(200 * time.Microsecond)
					}
					if ws.Write(r.Context(), websocket.MessageText, append(msg[:len(msg):len(msg)], spaces[:i%9]...)) != nil {
						return
					}
				}
				_, _, _ = ws.Read(r.Context())
			}))
			defer f.Close()
			c, err := ari.New(ari.Config{URL: f.URL + "/ari", Username: "u", Password: "p", Application: "app",
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			inbox := make(chan ari.Event, 256)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if mode == "handler" {
				_ = c.SetHandler(func(ctx context.Context, ev ari.Event) {
					select {
					case inbox <- ev:
					case <-ctx.Done():
					}
				})
			} else {
				go func() {
					for ev := range c.Events() {
						select {
						case inbox <- ev:
						case <-ctx.Done():
							return
						}
					}
				}()
			}
			go c.Run(ctx)
			<-inbox // Connected
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if ev := <-inbox; ev.GetType() != "ChannelStateChange" {
					b.Fatalf("got %T", ev)
				}
			}
			b.StopTimer()
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cs := (ru1.Nvcsw + ru1.Nivcsw) - (ru0.Nvcsw + ru0.Nivcsw)
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cs)/float64(b.N), "ctxsw/event")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
		})
	}
}

// newBurstFake is an Asterisk that sends n user events (e0…) on the first connection and one (e-1)
// on each later one, holding every connection open.
func newBurstFake(t *testing.T, n int) *fakeAsterisk {
	return newFake(t, func(conn int) ([]string, bool) {
		if conn > 1 {
			return []string{userEvent(-1)}, true
		}
		var msgs []string
		for i := range n {
			msgs = append(msgs, userEvent(i))
		}
		return msgs, true
	})
}
