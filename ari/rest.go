package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Errors that Error matches with errors.Is, by HTTP status: errors.Is(err, ari.ErrNotFound).
var (
	ErrBadRequest         = errors.New("ari: bad request")                                             // 400: a parameter is wrong
	ErrNotFound           = errors.New("ari: not found")                                               // 404: no such channel, bridge, ...
	ErrConflict           = errors.New("ari: conflict")                                                // 409: e.g. channel not in a Stasis application
	ErrPreconditionFailed = errors.New("ari: precondition failed")                                     // 412: e.g. channel in a state that forbids it
	ErrUnprocessable      = errors.New("ari: unprocessable entity")                                    // 422: e.g. endpoint or recording target invalid
	ErrSlowConsumer       = errors.New("ari: event consumer too slow: buffer full, websocket dropped") // see Config.SlowConsumerTimeout
)

// Error is a REST request Asterisk refused: what was attempted, the HTTP status, and Asterisk's own
// message. Use errors.As to get it, or errors.Is with ErrNotFound, ErrConflict, ...
type Error struct {
	Op         string // what hotline tried, e.g. "answer channel 1700.12"
	Method     string // e.g. POST
	Path       string // e.g. /channels/1700.12/answer
	StatusCode int    // e.g. 409
	Message    string // Asterisk's message, e.g. "Channel not in Stasis application"
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	return fmt.Sprintf("ari: %s: %s %s: %d %s: %s", e.Op, e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode), msg)
}

// Is matches the status sentinels (ErrNotFound, ...).
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed
	case ErrUnprocessable:
		return e.StatusCode == http.StatusUnprocessableEntity
	}
	return false
}

// request is one REST call. Every operation of this package goes through Conn.do with one, so the
// contract test sees exactly what hotline sends.
type request struct {
	op     string // for errors: what was attempted
	method string
	path   string     // below the ARI base, path parameters already escaped
	query  url.Values // Asterisk reads scalar parameters from the query
	// rawQuery, when query is empty: the query already encoded (params), for the requests of every
	// call, which need no map.
	rawQuery string
	body     any // JSON body: only "variables" / "fields" style parameters
}

// encodedQuery is the request's query as sent.
func (r request) encodedQuery() string {
	if len(r.query) > 0 {
		return r.query.Encode()
	}
	return r.rawQuery
}

// params builds an encoded query in the order its parameters are added, leaving out the empty
// ones (Asterisk's defaults, as fromMap does).
type params struct{ b []byte }

func (p *params) add(name, value string) *params {
	if value == "" {
		return p
	}
	if len(p.b) > 0 {
		p.b = append(p.b, '&')
	}
	p.b = append(p.b, name...)
	p.b = append(p.b, '=')
	p.b = append(p.b, url.QueryEscape(value)...) // value itself when nothing needs escaping
	return p
}

func (p *params) String() string { return string(p.b) }

// pathf builds a path, escaping each argument as one segment (ids may hold '/' or ';').
func pathf(format string, args ...string) string {
	// Only %s verbs: each is replaced by the next argument (fmt.Sprintf was a tenth of a REST
	// request's own CPU).
	var b strings.Builder
	b.Grow(len(format) + 24*len(args))
	for _, a := range args {
		i := strings.Index(format, "%s")
		if i < 0 {
			break
		}
		b.WriteString(format[:i])
		b.WriteString(url.PathEscape(a))
		format = format[i+2:]
	}
	b.WriteString(format)
	return b.String()
}

// do runs a request and decodes a 2xx JSON answer into out (when out is not nil).
func (c *Conn) do(ctx context.Context, r request, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}
	if c.direct != nil {
		return c.doDirect(ctx, r, out)
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("ari: %s: %s %s: decode answer: %w", r.op, r.method, r.path, err)
	}
	return nil
}

// doDirect is do over c.direct (direct.go).
func (c *Conn) doDirect(ctx context.Context, r request, out any) error {
	pq := r.path
	if q := r.encodedQuery(); q != "" {
		pq += "?" + q
	}
	var body []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("ari: %s: encode body: %w", r.op, err)
		}
		body = b
	}
	c.countRequest(r.method, r.path)
	status, raw, err := c.direct.roundTrip(ctx, r.method, pq, body, out == nil)
	if err != nil {
		return fmt.Errorf("ari: %s: %s %s: %w", r.op, r.method, r.path, err)
	}
	if status < 200 || status >= 300 {
		return answerError(r, status, raw)
	}
	if out == nil || status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("ari: %s: %s %s: decode answer: %w", r.op, r.method, r.path, err)
	}
	return nil
}

// answerError is the *Error of a non-2xx answer, with Asterisk's message.
func answerError(r request, status int, raw []byte) *Error {
	e := &Error{Op: r.op, Method: r.method, Path: r.path, StatusCode: status}
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Message != "" {
		e.Message = m.Message
	} else {
		e.Message = strings.TrimSpace(string(raw))
	}
	return e
}

// send runs a request and returns a 2xx response (the caller closes the body) or an error; a non-2xx
// answer becomes *Error with Asterisk's message.
func (c *Conn) send(ctx context.Context, r request) (*http.Response, error) {
	u := c.restURL + r.path
	if q := r.encodedQuery(); q != "" {
		u += "?" + q
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("ari: %s: encode body: %w", r.op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("ari: %s: %w", r.op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	c.countRequest(r.method, r.path)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ari: %s: %s %s: %w", r.op, r.method, r.path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return nil, answerError(r, resp.StatusCode, raw)
}

// restKind names a request without its ids, for counting: "POST /channels/abc/play/p1" is
// "POST channels/{id}/play/{id}". Every segment that is not a word of ARI's own is an id (a
// channel, a recording's name, an endpoint's resource, a module's object), so the kinds — and the
// metric's series — stay a fixed few however many calls and recordings there are.
func restKind(method, path string) string {
	return string(appendRESTKind(nil, method, path))
}

// appendRESTKind appends restKind(method, path) to dst.
func appendRESTKind(dst []byte, method, path string) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	path = strings.Trim(path, "/")
	for i := 0; ; i++ {
		seg, rest, more := strings.Cut(path, "/")
		if i > 0 {
			dst = append(dst, '/')
		}
		if ariWord(seg) {
			dst = append(dst, seg...)
		} else {
			dst = append(dst, "{id}"...)
		}
		if !more {
			return dst
		}
		path = rest
	}
}

// ariWord reports whether x is a path segment of ARI's REST API that names a resource or an
// operation (a switch, not a map: no package state).
func ariWord(x string) bool {
	switch x {
	case "channels", "bridges", "recordings", "stored", "live", "file", "copy", "endpoints", "applications", "subscription", "eventFilter", "asterisk", "variable", "config", "dynamic", "info", "ping", "modules", "logging", "rotate", "play", "playbacks", "record", "answer", "hold", "moh", "mute", "dtmf", "ring", "silence", "snoop", "dial", "redirect", "continue", "move", "externalMedia", "transfer_progress", "rtp_statistics", "sounds", "deviceStates", "mailboxes", "events", "user", "addChannel", "removeChannel", "videoSource", "control", "stop", "pause", "unpause", "unmute", "create", "sendMessage", "refer", "referTo", "PJSIP", "SIP", "Local":
		return true
	}
	return false
}
