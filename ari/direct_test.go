package ari

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDirectKeepsConnections: REST requests reuse one kept-alive connection, a connection the
// server closed while idle is not reused, and every answer (2xx, an error status) arrives whole.
func TestDirectKeepsConnections(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/ari/channels/x/answer":
			if r.Method != http.MethodPost || r.ContentLength != 0 {
				http.Error(w, "want an empty POST", http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		case "/ari/channels/gone/answer":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Channel not found"}`))
		case "/ari/channels":
			_, _ = w.Write([]byte(`[{"id":"a"},{"id":"b"}]`))
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if c.direct == nil {
		t.Fatal("plain http with the default client: want the direct REST path")
	}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := c.Channel("x").Answer(ctx); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		chans, err := c.Channels(ctx)
		if err != nil || len(chans) != 2 || chans[1].ID != "b" {
			t.Fatalf("channels %d: %v %v", i, chans, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("10 sequential requests used %d connections, want 1", n)
	}
	err = c.Channel("gone").Answer(ctx)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "Channel not found") {
		t.Errorf("answer of a missing channel: %v, want ErrNotFound with Asterisk's message", err)
	}
	// The server drops its idle connections: the next request must not fail on a dead one.
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	if err := c.Channel("x").Answer(ctx); err != nil {
		t.Errorf("answer after the server closed the kept connection: %v", err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("after the server closed the first: %d connections, want 2", n)
	}
}

// BenchmarkREST: one REST request (answer a channel) against a local server, over the direct
// path and over net/http (a client of the caller's). The server's own cost is in both.
func BenchmarkREST(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	for _, bc := range []struct {
		name string
		hc   *http.Client
	}{{"direct", nil}, {"net-http", &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := New(Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app", HTTPClient: bc.hc})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Channel("1700000000.42").Answer(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDirectClosesOldIdleConnections: the connections kept after a burst are closed once idle past
// the limit, though the light traffic after it only ever takes the newest.
func TestDirectClosesOldIdleConnections(t *testing.T) {
	var open atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ari/channels/burst/answer" {
			<-release // hold the burst's requests so that each takes a connection of its own
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	c.direct.idleLimit = 200 * time.Millisecond
	ctx := context.Background()
	const burst = 4
	done := make(chan error, burst)
	for range burst {
		go func() { done <- c.Channel("burst").Answer(ctx) }()
	}
	for open.Load() < burst {
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	for range burst {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// Light traffic: a request every 80 ms keeps the newest connection fresh; the others pass the
	// limit meanwhile.
	for range 6 {
		time.Sleep(80 * time.Millisecond)
		if err := c.Channel("x").Answer(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the server sees the closes a moment later
	}
	if n := open.Load(); n != 1 {
		t.Errorf("%d connections open after the burst's went idle past the limit, want 1 (the one just used)", n)
	}
}

// TestDiscardReadsTheAnswerOff: the Discard requests do not decode a 2xx answer (one that would
// not decode fails Originate, not OriginateDiscard), read it off the kept connection all the same
// (the next request reuses it), and still report a refusal with Asterisk's message.
func TestDiscardReadsTheAnswerOff(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ari/channels/gone/play/p1":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Channel not found"}`))
		default: // an answer no decoder takes, longer than a read's first chunk
			_, _ = w.Write([]byte("{not json " + strings.Repeat("x", 9000)))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Originate(ctx, OriginateRequest{Endpoint: "PJSIP/1001", ChannelID: "x"}); err == nil {
		t.Fatal("Originate decoded an answer that is not JSON")
	}
	for i := 0; i < 3; i++ {
		if err := c.OriginateDiscard(ctx, OriginateRequest{Endpoint: "PJSIP/1001", ChannelID: "x"}); err != nil {
			t.Fatalf("OriginateDiscard: %v", err)
		}
		if err := c.CreateBridgeDiscard(ctx, "b", BridgeMixing, "app"); err != nil {
			t.Fatalf("CreateBridgeDiscard: %v", err)
		}
		if err := c.Channel("x").PlayDiscard(ctx, PlayRequest{Media: []string{"sound:beep"}, PlaybackID: "p1"}); err != nil {
			t.Fatalf("PlayDiscard: %v", err)
		}
	}
	err = c.Channel("gone").PlayDiscard(ctx, PlayRequest{Media: []string{"sound:beep"}, PlaybackID: "p1"})
	var ae *Error
	if !errors.As(err, &ae) || !errors.Is(err, ErrNotFound) || ae.Message != "Channel not found" {
		t.Fatalf("refused play: got %v, want a 404 with Asterisk's message", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for sequential requests: an answer left unread spoils its connection", n)
	}
}
