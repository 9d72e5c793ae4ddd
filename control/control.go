// Package control is the daemon's local API: `hotline status`, `hotline operator pause|resume|
// login|logout` and the board talk to a running `hotline serve` through it. It is HTTP with JSON
// over a unix socket, so access is the socket file's permissions (owner and group only): no token
// to leak, nothing listening on the network.
//
// Routes (all JSON):
//
//	GET  /v1/status                       the live queue and operators (switchboard.Status)
//	POST /v1/operators/{id}/pause         body {"reason":"2"}: a digit 0-9 (*23N), or none
//	POST /v1/operators/{id}/resume
//	POST /v1/operators/{id}/login
//	POST /v1/operators/{id}/logout
//	POST /v1/operators/reload             re-read operators from the journal
//
// Errors are {"code": "...", "message": "..."} with the codes of hotline.Error, mapped once to
// HTTP statuses here and back to *hotline.Error by Client, so the CLI's exit codes are the same
// whether a check failed in the daemon or locally.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// Switchboard is what the API asks of the live call flow.
type Switchboard interface {
	Status(ctx context.Context) (switchboard.Status, error)
	Pause(ctx context.Context, operatorID int64, reason string) error
	Resume(ctx context.Context, operatorID int64) error
	Login(ctx context.Context, operatorID int64) error
	Logout(ctx context.Context, operatorID int64) error
	ReloadOperators(ctx context.Context) error
}

// maxBody bounds a request body: the API takes a reason code, not documents.
const maxBody = 4 << 10

// Handler returns the API's HTTP handler.
func Handler(sb Switchboard, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{sb: sb, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", h.status)
	mux.HandleFunc("POST /v1/operators/reload", h.reload)
	mux.HandleFunc("POST /v1/operators/{id}/{action}", h.operator)
	return mux
}

type handler struct {
	sb  Switchboard
	log *slog.Logger
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	st, err := h.sb.Status(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) reload(w http.ResponseWriter, r *http.Request) {
	if err := h.sb.ReloadOperators(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

type pauseRequest struct {
	Reason string `json:"reason"`
}

func (h *handler) operator(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, hotline.Errorf(hotline.EINVALID, "operator id must be a positive number, not %q", r.PathValue("id")))
		return
	}
	ctx := r.Context()
	switch r.PathValue("action") {
	case "pause":
		var req pauseRequest
		if r.ContentLength != 0 {
			dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
				h.fail(w, r, hotline.Errorf(hotline.EINVALID, "pause request: %v", err))
				return
			}
		}
		if err = hotline.ValidPauseReason(req.Reason); err == nil {
			err = h.sb.Pause(ctx, id, req.Reason)
		}
	case "resume":
		err = h.sb.Resume(ctx, id)
	case "login":
		err = h.sb.Login(ctx, id)
	case "logout":
		err = h.sb.Logout(ctx, id)
	default:
		err = hotline.Errorf(hotline.ENOTFOUND, "no operator action %q (pause, resume, login, logout)", r.PathValue("action"))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// apiError is the wire form of an error.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps error codes to HTTP statuses, once.
var statusOf = map[string]int{
	hotline.EINVALID:     http.StatusBadRequest,
	hotline.ENOTFOUND:    http.StatusNotFound,
	hotline.ECONFLICT:    http.StatusConflict,
	hotline.EFORBIDDEN:   http.StatusForbidden,
	hotline.EUNAVAILABLE: http.StatusServiceUnavailable,
	hotline.EINTERNAL:    http.StatusInternalServerError,
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := hotline.ErrorCode(err)
	msg := hotline.ErrorMessage(err)
	if errors.Is(err, switchboard.ErrStopped) {
		code, msg = hotline.EUNAVAILABLE, "the daemon is shutting down"
	}
	if code == hotline.EINTERNAL {
		h.log.Error("control: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, apiError{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Listen opens the API's unix socket at path, creating its directory, replacing a stale socket
// left by a crashed daemon (but refusing to start beside a live one), and making it accessible to
// its owner and group only.
func Listen(ctx context.Context, path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("control: create socket directory: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(dctx, "unix", path)
		cancel()
		if err == nil {
			c.Close()
			return nil, hotline.Errorf(hotline.ECONFLICT, "another hotline daemon is serving %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control: remove stale socket: %w", err)
		}
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("control: listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("control: restrict %s: %w", path, err)
	}
	return l, nil
}

// Client calls a running daemon's API. The zero value is not usable: set Socket.
type Client struct {
	Socket string
	http   *http.Client
}

// NewClient returns a client for the daemon listening on socket.
func NewClient(socket string) *Client {
	return &Client{Socket: socket, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}}
}

// Status returns the live hotline.
func (c *Client) Status(ctx context.Context) (switchboard.Status, error) {
	var st switchboard.Status
	err := c.call(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// Pause pauses an operator with a reason code.
func (c *Client) Pause(ctx context.Context, operatorID int64, reason string) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/pause", operatorID), pauseRequest{Reason: reason}, nil)
}

// Resume ends an operator's pause.
func (c *Client) Resume(ctx context.Context, operatorID int64) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/resume", operatorID), nil, nil)
}

// Login logs an operator in.
func (c *Client) Login(ctx context.Context, operatorID int64) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/login", operatorID), nil, nil)
}

// Logout logs an operator out.
func (c *Client) Logout(ctx context.Context, operatorID int64) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/logout", operatorID), nil, nil)
}

// ReloadOperators makes the daemon re-read operators from the journal.
func (c *Client) ReloadOperators(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/v1/operators/reload", nil, nil)
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("control: encode %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://hotline"+path, body)
	if err != nil {
		return fmt.Errorf("control: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return hotline.Errorf(hotline.EUNAVAILABLE, "cannot reach the hotline daemon at %s (is `hotline serve` running, and may you open its socket?): %v", c.Socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e apiError
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&e); err != nil || e.Code == "" {
			return hotline.Errorf(hotline.EINTERNAL, "daemon answered %s to %s %s", resp.Status, method, path)
		}
		return &hotline.Error{Code: e.Code, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("control: decode %s: %w", path, err)
	}
	return nil
}
