package ari

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// burstServer counts the connections open and the remote addresses of the requests it answers;
// while hold is open, requests to channels/burst are held so that each takes a connection. c is a
// client of it.
func burstServer(t *testing.T, hold chan struct{}) (c *Conn, open *atomic.Int64, addrs func() []string) {
	t.Helper()
	open = new(atomic.Int64)
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ari/channels/burst/answer" {
			<-hold
		} else {
			mu.Lock()
			seen = append(seen, r.RemoteAddr)
			mu.Unlock()
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
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	return c, open, func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(seen) }
}

// burst sends n requests at once, each held by the server until all n connections are open.
func burst(t *testing.T, c *Conn, open *atomic.Int64, hold chan struct{}, n int) {
	t.Helper()
	done := make(chan error, n)
	for range n {
		go func() { done <- c.Channel("burst").Answer(context.Background()) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for open.Load() < int64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the burst's %d connections open after 10 s", open.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(hold)
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestDirectUsesKeptConnectionsInTurn: after a burst, requests one at a time take the kept
// connections in turn (least recently used first), so that each stays warm and the next burst
// finds them: nothing is dialled again (docs/benchmark.md, "Session 15, ARI connections"). A pool
// handing out its newest connection would use one and let the others age out.
func TestDirectUsesKeptConnectionsInTurn(t *testing.T) {
	hold := make(chan struct{})
	c, open, addrs := burstServer(t, hold)
	c.direct.idleLimit = time.Hour // nothing ages out here, however slow the machine
	const n = 4
	burst(t, c, open, hold, n)
	for range 2 * n {
		if err := c.Channel("x").Answer(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	used := map[string]int{}
	for _, a := range addrs() {
		used[a]++
	}
	if len(used) != n {
		t.Errorf("%d requests one at a time used connections %v, want each of the burst's %d twice", 2*n, used, n)
	}
	for a, k := range used {
		if k != 2 {
			t.Errorf("connection %s used %d times, want 2 (in turn)", a, k)
		}
	}
	st := c.Stats().Connections
	if st["dialled"] != n || st["closed_idle"]+st["closed_dead"]+st["closed_spare"] != 0 {
		t.Errorf("connections %v, want %d dialled and none closed", st, n)
	}
}

// TestDirectClosesOldIdleConnections: connections idle past the limit are closed when the next
// request comes (Asterisk may close them any moment), and that request dials a new one.
func TestDirectClosesOldIdleConnections(t *testing.T) {
	hold := make(chan struct{})
	c, open, _ := burstServer(t, hold)
	c.direct.idleLimit = 100 * time.Millisecond
	const n = 4
	burst(t, c, open, hold, n)
	time.Sleep(150 * time.Millisecond) // past the limit (a slower machine only adds to it)
	if err := c.Channel("x").Answer(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the server sees the closes a moment later
	}
	if m := open.Load(); m != 1 {
		t.Errorf("%d connections open after the burst's went idle past the limit, want 1 (the one just dialled)", m)
	}
	if st := c.Stats().Connections; st["dialled"] != n+1 || st["closed_idle"] != n {
		t.Errorf("connections %v, want %d dialled and %d closed idle", st, n+1, n)
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

// TestReadHead: the status line and the headers the direct path needs, from answers as Asterisk
// gives them (captured from the sandbox's Asterisk 22) and as HTTP allows them; what it does not
// understand is an error (the connection is then closed, never misread).
func TestReadHead(t *testing.T) {
	const asterisk = "HTTP/1.1 200 OK\r\nServer: hotline-pbx\r\nDate: Mon, 07 Dec 2026 13:39:03 GMT\r\n" +
		"Cache-Control: no-cache, no-store\r\nContent-type: application/json\r\nContent-Length: 92\r\n\r\n"
	tests := []struct {
		name, in string
		want     head
		err      bool
	}{
		{"asterisk 200", asterisk, head{status: 200, length: 92}, false},
		{"asterisk 204", "HTTP/1.1 204 No Content\r\nServer: hotline-pbx\r\nContent-Length: 0\r\n\r\n", head{status: 204, length: 0}, false},
		{"asterisk 404", "HTTP/1.1 404 Not Found\r\nContent-type: application/json\r\nContent-Length: 31\r\n\r\n", head{status: 404, length: 31}, false},
		{"bare LF, any case", "HTTP/1.1 201 Created\ncontent-LENGTH:  7 \n\n", head{status: 201, length: 7}, false},
		{"status without reason", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", head{status: 200, length: 1}, false},
		{"closes", "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 2\r\n\r\n", head{status: 200, length: 2, close: true}, false},
		{"closes among tokens", "HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 2\r\n\r\n", head{status: 200, length: 2, close: true}, false},
		{"1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", head{status: 200, length: 2, close: true}, false},
		{"1.0 kept alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n", head{status: 200, length: 2}, false},
		{"no length", "HTTP/1.1 200 OK\r\n\r\n", head{status: 200, length: -1}, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head{status: 200, length: -1, chunked: true}, false},
		{"same length twice", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", head{status: 200, length: 3}, false},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", head{}, true},
		{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", head{}, true},
		{"gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", head{}, true},
		{"informational", "HTTP/1.1 100 Continue\r\n\r\n", head{}, true},
		{"not http", "SIP/2.0 200 OK\r\n\r\n", head{}, true},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", head{}, true},
		{"header without colon", "HTTP/1.1 200 OK\r\nContent-Length 3\r\n\r\n", head{}, true},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", head{}, true},
		{"space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n", head{}, true},
		{"control in a value", "HTTP/1.1 200 OK\r\nServer: a\rb\r\n\r\n", head{}, true},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", head{}, true},
		{"chunked on 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", head{}, true},
		{"chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", head{}, true},
		{"no such version", "HTTP/1.A 200 OK\r\n\r\n", head{}, true},
	}
	for _, tt := range tests {
		got, err := readHead(bufio.NewReader(strings.NewReader(tt.in)))
		if (err != nil) != tt.err {
			t.Errorf("%s: err %v, want error %v", tt.name, err, tt.err)
			continue
		}
		if !tt.err && got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestDirectAnswerBodies: bodies of known length, chunked (net/http's server chunks an answer of
// unknown length over 4 KB) and cut by the connection's end arrive whole, and the connection is
// kept only when the next answer can be told apart.
func TestDirectAnswerBodies(t *testing.T) {
	big := `["` + strings.Repeat("x", 9000) + `"]`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ari/chunked":
			_, _ = w.Write([]byte(big)) // no length set: chunked
		case "/ari/sized":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			_, _ = w.Write([]byte(big))
		}
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range []string{"/chunked", "/sized", "/chunked", "/sized"} {
		var got []string
		if err := c.do(ctx, request{op: "get", method: http.MethodGet, path: p}, &got); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(got) != 1 || len(got[0]) != 9000 {
			t.Fatalf("%s: answer cut: %d items", p, len(got))
		}
	}

	// An HTTP/1.0 server without a length: the body runs to the close.
	addr := rawServer(t, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"+big, true)
	c10, err := New(Config{URL: "http://" + addr + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		var got []string
		if err := c10.do(ctx, request{op: "get", method: http.MethodGet, path: "/x"}, &got); err != nil || len(got) != 1 || len(got[0]) != 9000 {
			t.Fatalf("HTTP/1.0 answer to the close, %d: %v (%d items)", i, err, len(got))
		}
	}
	if n := len(c10.direct.idle); n != 0 {
		t.Errorf("%d connections kept after answers that ended with the connection", n)
	}

	// A 204 has no body even when its head says chunked (net/http reads none either): the answer
	// is complete at its head, not when the deadline ends a wait for a chunk.
	c204, err := New(Config{URL: "http://" + rawServer(t, "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", false) + "/ari",
		Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c204.do(tctx, request{op: "post", method: http.MethodPost, path: "/x"}, nil); err != nil {
		t.Fatalf("204 with a chunked head: %v", err)
	}
}

// rawServer answers every request on a loopback listener with answer, then closes the
// connection if closing (else keeps it open, answering nothing more); it returns the address.
func rawServer(t *testing.T, answer string, closing bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				_, _ = nc.Write([]byte(answer))
				if !closing {
					_, _ = br.ReadByte() // until the client closes
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// FuzzReadHead holds readHead to net/http's ReadResponse: whatever head it accepts, net/http reads
// the same status, length, chunking and closing from. (readHead may refuse more: an error only
// closes the connection.)
func FuzzReadHead(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nServer: Asterisk\r\nContent-type: application/json\r\nContent-Length: 92\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
		"HTTP/1.1 404\nContent-Length: 3\n\n",
		"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -0\r\n\r\n",
		"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := readHead(bufio.NewReader(strings.NewReader(in)))
		if err != nil {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(in)), &http.Request{Method: http.MethodGet})
		if err != nil {
			t.Fatalf("readHead took %q as %+v; net/http refuses it: %v", in, h, err)
		}
		defer resp.Body.Close()
		chunked := len(resp.TransferEncoding) == 1 && resp.TransferEncoding[0] == "chunked"
		if resp.StatusCode != h.status || chunked != h.chunked {
			t.Fatalf("%q: readHead %+v; net/http status %d, chunked %v", in, h, resp.StatusCode, chunked)
		}
		bodied := h.status != http.StatusNoContent && h.status != http.StatusNotModified // exchange reads no body of these
		if bodied && !h.chunked && resp.ContentLength != h.length {
			t.Fatalf("%q: readHead length %d; net/http %d", in, h.length, resp.ContentLength)
		}
		// net/http closes after a body that runs to the connection's end; exchange does too.
		if resp.Close != (h.close || (bodied && !h.chunked && h.length < 0)) {
			t.Fatalf("%q: readHead close %v; net/http %v", in, h.close, resp.Close)
		}
	})
}
