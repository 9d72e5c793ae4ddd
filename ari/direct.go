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
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	idle []*directConn // least recently used first

	// What became of the connections, for Stats: how many were dialled, and why each closed.
	dialled                                        atomic.Uint64
	closedIdle, closedDead, closedSpare            atomic.Uint64
	closedByServer, closedOnError, closedCancelled atomic.Uint64
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
	// reads a kept connection while it is idle, so it must not be reused near that limit: taken
	// in turn, a connection is usually taken close to directIdleLimit, which must stay well under
	// session_keep_alive (a POST on a connection Asterisk has just closed fails; only GET and HEAD
	// are retried). docs/asterisk.md says so for http.conf.
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
// the status and the whole answer's body; with discard, a 2xx answer's body is read
// and dropped (nil), an error's is kept.
func (d *direct) roundTrip(ctx context.Context, method, pathQuery string, body []byte, discard bool) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		dc, reused, err := d.get(ctx)
		if err != nil {
			return 0, nil, err
		}
		status, b, err := d.exchange(ctx, dc, method, pathQuery, body, discard)
		if err == nil {
			return status, b, nil
		}
		_ = dc.nc.Close()
		d.closedOnError.Add(1)
		// As net/http: a kept connection the server had closed is retried on a new one when
		// nothing came back and the request is safe to repeat.
		if reused && attempt == 0 && errors.Is(err, errNothingRead) && ctx.Err() == nil &&
			(method == http.MethodGet || method == http.MethodHead) {
			continue
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, nil, fmt.Errorf("%w (%w)", ctxErr, err)
		}
		if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
			// The socket's deadline is the context's, met a moment before the context's own timer.
			return 0, nil, fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
		}
		return 0, nil, err
	}
}

// get takes the least recently used idle connection still fresh enough, or dials one.
//
// Why the least recently used: a pool that hands out its newest connection keeps only as many
// warm as light traffic needs; the ones a burst added idle past the limit, are closed, and the
// next burst dials them again. At the load benchmark's pace that was 0.33–0.39 connections
// dialled a call (docs/benchmark.md, "Session 15, ARI connections"), each a TCP handshake and a
// new HTTP session thread in Asterisk, on the requests of a burst (an operator's hang-up, the
// next originate). Taken in turn, each of k kept connections is used every k ÷ rate seconds: up
// to rate × directIdleLimit of them stay warm while the traffic lasts, those beyond age out.
func (d *direct) get(ctx context.Context) (*directConn, bool, error) {
	var stale []*directConn
	d.mu.Lock()
	now := time.Now() // under the lock, as put stamps: idle stays sorted by used
	// The oldest first: idle past the limit (Asterisk may close them any moment), they are closed;
	// every connection after them was put back later (put stamps under the lock), so is fresh.
	old := 0
	for old < len(d.idle) && now.Sub(d.idle[old].used) >= d.idleLimit {
		stale = append(stale, d.idle[old])
		d.idle[old] = nil
		old++
	}
	idle := len(stale)
	var dc *directConn
	for old < len(d.idle) {
		c := d.idle[old]
		d.idle[old] = nil
		old++
		if c.open() {
			dc = c
			break
		}
		stale = append(stale, c)
	}
	n := copy(d.idle, d.idle[old:]) // at most directMaxIdle pointers
	clear(d.idle[n:])
	d.idle = d.idle[:n]
	d.mu.Unlock()
	d.closedIdle.Add(uint64(idle))
	d.closedDead.Add(uint64(len(stale) - idle))
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
	d.dialled.Add(1)
	dc = &directConn{nc: nc, br: bufio.NewReaderSize(nc, 4096), bw: bufio.NewWriterSize(nc, 2048)}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			dc.rc = rc
		}
	}
	return dc, false, nil
}

// connections reports what became of the connections: dialled, and closed by reason.
func (d *direct) connections() map[string]uint64 {
	return map[string]uint64{
		"dialled": d.dialled.Load(), "closed_idle": d.closedIdle.Load(), "closed_dead": d.closedDead.Load(),
		"closed_spare": d.closedSpare.Load(), "closed_by_server": d.closedByServer.Load(),
		"closed_on_error": d.closedOnError.Load(), "closed_cancelled": d.closedCancelled.Load(),
	}
}

// put keeps dc for the next request.
func (d *direct) put(dc *directConn) {
	d.mu.Lock()
	dc.used = time.Now() // under the lock: idle stays sorted by used
	if len(d.idle) < directMaxIdle {
		d.idle = append(d.idle, dc)
		dc = nil
	}
	d.mu.Unlock()
	if dc != nil {
		_ = dc.nc.Close()
		d.closedSpare.Add(1)
	}
}

// exchange writes the request on dc and reads the answer. On success dc is kept (or closed when the
// server asked); on an error the caller closes it.
func (d *direct) exchange(ctx context.Context, dc *directConn, method, pathQuery string, body []byte, discard bool) (int, []byte, error) {
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
			return 0, nil, fmt.Errorf("%w: %w", errNothingRead, err)
		}
		return 0, nil, err
	}
	if _, err := dc.br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return 0, nil, fmt.Errorf("%w: %w", errNothingRead, err)
		}
		return 0, nil, err
	}
	h, err := readHead(dc.br)
	if err != nil {
		return 0, nil, err
	}
	if method == http.MethodHead || h.status == http.StatusNoContent || h.status == http.StatusNotModified {
		h.length, h.chunked = 0, false // no body, whatever the head says
	}
	keep := !discard || h.status < 200 || h.status >= 300
	var raw []byte
	switch {
	case h.chunked:
		raw, err = readBounded(httputil.NewChunkedReader(dc.br), keep)
		if err == nil { // the trailer: none, or header lines, then an empty line
			err = skipHeaders(dc.br)
		}
	case h.length < 0: // the body runs to the connection's end
		h.close = true
		raw, err = readBounded(dc.br, true)
	case h.length > maxAnswer:
		err = fmt.Errorf("ari: answer of %d bytes", h.length)
	case keep:
		raw = make([]byte, h.length)
		_, err = io.ReadFull(dc.br, raw)
	default:
		_, err = dc.br.Discard(int(h.length))
	}
	if err != nil {
		return 0, nil, err
	}
	if stop() {
		_ = dc.nc.SetDeadline(time.Time{}) // a spent deadline would fail open()'s peek when next taken
		if h.close {
			_ = dc.nc.Close()
			d.closedByServer.Add(1)
		} else {
			d.put(dc)
		}
	} else {
		_ = dc.nc.Close() // cancelled meanwhile: its deadline is spoilt
		d.closedCancelled.Add(1)
	}
	return h.status, raw, nil
}

// maxAnswer bounds an answer's body: ARI's largest (a listing of every channel) are well under.
const maxAnswer = 64 << 20

// readBounded reads a body of unknown length to its end, at most maxAnswer bytes of it (more is
// an error); keep false reads it off without keeping it.
func readBounded(r io.Reader, keep bool) ([]byte, error) {
	lr := &io.LimitedReader{R: r, N: maxAnswer + 1}
	var buf bytes.Buffer
	var err error
	if keep {
		_, err = buf.ReadFrom(lr)
	} else {
		_, err = io.Copy(io.Discard, lr)
	}
	if err == nil && lr.N == 0 {
		err = fmt.Errorf("ari: answer over %d bytes", maxAnswer)
	}
	return buf.Bytes(), err
}

// head is what exchange needs of an answer's status line and headers.
type head struct {
	status  int
	length  int64 // Content-Length; -1 when not given
	chunked bool  // Transfer-Encoding: chunked
	close   bool  // the server closes the connection after this answer
}

// readHead reads an HTTP/1.x answer's status line and headers. Asterisk's answers are a status
// line, a few headers and a body of Content-Length bytes; net/http's ReadResponse made a header
// map, a textproto reader and a body reader for each (a fifth of a request's allocations), none of
// which is kept. Anything it does not understand is an error: the connection is then closed.
func readHead(br *bufio.Reader) (head, error) {
	h := head{length: -1}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return h, err
	}
	line = trimEOL(line)
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return h, fmt.Errorf("ari: malformed status line %q", line)
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return h, fmt.Errorf("ari: malformed status line %q", line)
		}
		h.status = h.status*10 + int(c-'0')
	}
	if h.status < 200 {
		return h, fmt.Errorf("ari: unexpected informational answer %q", line)
	}
	http10, closing, keepAlive := line[7] == '0', false, false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return h, err
		}
		line = trimEOL(line)
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !isToken(name) || !isFieldValue(value) {
			return h, fmt.Errorf("ari: malformed header %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case equalFold(name, "Content-Length"):
			n, err := strconv.ParseUint(string(value), 10, 63) // digits only: no sign, as net/http
			if err != nil || (h.length >= 0 && h.length != int64(n)) {
				return h, fmt.Errorf("ari: bad Content-Length %q", value)
			}
			h.length = int64(n)
		case equalFold(name, "Transfer-Encoding"):
			// HTTP/1.0 has no chunking, and one coding said twice is a second coding: net/http
			// refuses both too.
			if !equalFold(value, "chunked") || http10 || h.chunked {
				return h, fmt.Errorf("ari: unsupported Transfer-Encoding %q", value)
			}
			h.chunked = true
		case equalFold(name, "Connection"):
			for rest, more := value, true; more; {
				var tok []byte
				tok, rest, more = bytes.Cut(rest, []byte{','})
				tok = bytes.TrimSpace(tok)
				closing = closing || equalFold(tok, "close")
				keepAlive = keepAlive || equalFold(tok, "keep-alive")
			}
		}
	}
	// HTTP/1.0 closes unless it says keep-alive.
	h.close = closing || (http10 && !keepAlive)
	if h.chunked {
		h.length = -1
	}
	return h, nil
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

// skipHeaders reads header lines up to the empty line that ends them (a chunked body's trailer).
func skipHeaders(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(trimEOL(line)) == 0 {
			return nil
		}
	}
}

// trimEOL drops a line's \r\n (or \n).
func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'})
}

// isToken reports whether b is an HTTP token (RFC 9110 5.6.2), as a header's name must be.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isFieldValue reports whether b holds no control character but the tab (RFC 9110 5.5).
func isFieldValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// equalFold reports whether b is s, ASCII letters in either case (header names and tokens, and the
// one-pass decoder's keys).
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
