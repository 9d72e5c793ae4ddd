package ari

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// direct carries REST requests over kept-alive HTTP/1.1 connections to Asterisk, each request
// written and its answer read on the caller's goroutine. net/http's transport hands every request
// to a writer and a reader goroutine of its connection and back (three goroutine switches a
// request); at ~10 requests a call that was a tenth of hotline's CPU (docs/benchmark.md). It is
// used for plain http with the default client only (Config.HTTPClient unset); https, a client of
// the caller's and streamed answers (DownloadStoredRecording) go through net/http.
type direct struct {
	addr string // host:port to dial
	host string // the Host header
	auth string // the Authorization header
	base string // the REST base path, e.g. /ari

	idleLimit time.Duration // directIdleLimit (shorter in tests)

	mu   sync.Mutex
	idle []*directConn // most recently used last
}

type directConn struct {
	nc   net.Conn
	rc   syscall.RawConn // nc's, taken once: SyscallConn allocates each time it is asked
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time // when it was last put back idle
}

const (
	// directMaxIdle bounds the kept connections (net/http's MaxIdleConnsPerHost was 32 here).
	directMaxIdle = 32
	// directIdleLimit: a connection idle longer is closed rather than reused. Asterisk closes an
	// idle keep-alive connection after http.conf session_keep_alive (15 s by default); nothing
	// reads a kept connection while it is idle, so it must not be reused near that limit.
	directIdleLimit = 5 * time.Second
)

// newDirect returns a direct for base (http only), or nil when the requests must go through
// net/http.
func newDirect(base *url.URL, user, pass string) *direct {
	if base.Scheme != "http" || base.User != nil || base.RawQuery != "" {
		return nil
	}
	addr := base.Host
	if base.Port() == "" {
		addr = net.JoinHostPort(base.Hostname(), "80")
	}
	return &direct{addr: addr, host: base.Host, auth: "Basic " + basicAuth(user, pass), base: base.EscapedPath(), idleLimit: directIdleLimit}
}

// errNothingRead marks a reused connection that failed before any byte of an answer came back: the
// server had closed it meanwhile.
var errNothingRead = errors.New("ari: kept connection closed by the server")

// roundTrip sends one request (path already escaped, query encoded, body JSON or nil) and returns
// the status, the headers and the whole answer's body; with discard, a 2xx answer's body is read
// and dropped (nil), an error's is kept.
func (d *direct) roundTrip(ctx context.Context, method, pathQuery string, body []byte, discard bool) (int, http.Header, []byte, error) {
	for attempt := 0; ; attempt++ {
		dc, reused, err := d.get(ctx)
		if err != nil {
			return 0, nil, nil, err
		}
		status, h, b, err := d.exchange(ctx, dc, method, pathQuery, body, discard)
		if err == nil {
			return status, h, b, nil
		}
		_ = dc.nc.Close()
		// As net/http: a kept connection the server had closed is retried on a new one when
		// nothing came back and the request is safe to repeat.
		if reused && attempt == 0 && errors.Is(err, errNothingRead) && ctx.Err() == nil &&
			(method == http.MethodGet || method == http.MethodHead) {
			continue
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, nil, nil, fmt.Errorf("%w (%w)", ctxErr, err)
		}
		if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
			// The socket's deadline is the context's, met a moment before the context's own timer.
			return 0, nil, nil, fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
		}
		return 0, nil, nil, err
	}
}

// get takes the most recently used idle connection still fresh enough, or dials one.
func (d *direct) get(ctx context.Context) (*directConn, bool, error) {
	now := time.Now()
	var stale []*directConn
	d.mu.Lock()
	// The oldest first: kept after a burst and idle past the limit, they are closed here even
	// while light traffic only ever takes the newest (Asterisk has closed them by now).
	old := 0
	for old < len(d.idle) && now.Sub(d.idle[old].used) >= d.idleLimit {
		stale = append(stale, d.idle[old])
		d.idle[old] = nil
		old++
	}
	d.idle = d.idle[old:]
	var dc *directConn
	for len(d.idle) > 0 {
		c := d.idle[len(d.idle)-1]
		d.idle[len(d.idle)-1] = nil
		d.idle = d.idle[:len(d.idle)-1]
		if now.Sub(c.used) < d.idleLimit && c.open() {
			dc = c
			break
		}
		stale = append(stale, c)
	}
	d.mu.Unlock()
	for _, c := range stale {
		_ = c.nc.Close()
	}
	if dc != nil {
		return dc, true, nil
	}
	var dialer net.Dialer
	nc, err := dialer.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, false, err
	}
	dc = &directConn{nc: nc, br: bufio.NewReaderSize(nc, 4096), bw: bufio.NewWriterSize(nc, 2048)}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			dc.rc = rc
		}
	}
	return dc, false, nil
}

// put keeps dc for the next request.
func (d *direct) put(dc *directConn) {
	dc.used = time.Now()
	d.mu.Lock()
	if len(d.idle) < directMaxIdle {
		d.idle = append(d.idle, dc)
		dc = nil
	}
	d.mu.Unlock()
	if dc != nil {
		_ = dc.nc.Close()
	}
}

// exchange writes the request on dc and reads the answer. On success dc is kept (or closed when the
// server asked); on an error the caller closes it.
func (d *direct) exchange(ctx context.Context, dc *directConn, method, pathQuery string, body []byte, discard bool) (int, http.Header, []byte, error) {
	// The context bounds the exchange: its deadline on the socket, its cancellation interrupts it.
	if dl, ok := ctx.Deadline(); ok {
		_ = dc.nc.SetDeadline(dl)
	} else {
		_ = dc.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = dc.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	w := dc.bw
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(d.base)
	w.WriteString(pathQuery)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(d.host)
	w.WriteString("\r\nUser-Agent: hotline\r\nAuthorization: ")
	w.WriteString(d.auth)
	w.WriteString("\r\n")
	switch {
	case body != nil:
		w.WriteString("Content-Type: application/json\r\nContent-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n")
	case method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch:
		w.WriteString("Content-Length: 0\r\n") // as net/http: a POST without a body says so
	}
	w.WriteString("\r\n")
	w.Write(body)
	if err := w.Flush(); err != nil {
		if isReset(err) {
			return 0, nil, nil, fmt.Errorf("%w: %w", errNothingRead, err)
		}
		return 0, nil, nil, err
	}
	if _, err := dc.br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return 0, nil, nil, fmt.Errorf("%w: %w", errNothingRead, err)
		}
		return 0, nil, nil, err
	}
	resp, err := http.ReadResponse(dc.br, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	var buf bytes.Buffer
	if !discard || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		if resp.ContentLength > 0 && resp.ContentLength < 1<<20 {
			buf.Grow(int(resp.ContentLength))
		}
		_, err = buf.ReadFrom(resp.Body)
	}
	// Closing reads what is left of the answer off the connection (net/http's body does), into no
	// buffer of ours.
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, nil, nil, err
	}
	if stop() {
		_ = dc.nc.SetDeadline(time.Time{}) // a spent deadline would fail open()'s peek when next taken
		if resp.Close {
			_ = dc.nc.Close()
		} else {
			d.put(dc)
		}
	} else {
		_ = dc.nc.Close() // cancelled meanwhile: its deadline is spoilt
	}
	return resp.StatusCode, resp.Header, buf.Bytes(), nil
}

// open reports whether the server has not closed c while it was idle (nor sent anything unasked),
// peeking at its socket without waiting: net/http's reader goroutine would have seen the close.
func (c *directConn) open() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	if c.rc == nil {
		return true
	}
	alive := false
	var b [1]byte
	err := c.rc.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK
		return true // never wait: the answer is now
	})
	return err == nil && alive
}

// isReset reports a connection reset or closed by the peer.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
