// Package control is the daemon's local API: `hotline status`, `hotline operator pause|resume|
// login|logout` and the board talk to a running `hotline serve` through it. It is HTTP with JSON
// over a unix socket: nothing listens on the network, and the socket file's permissions (owner
// and group) decide who may connect at all.
//
// Who asks is then the kernel's word, not the client's: every request is authorised by the
// operating-system account of the process at the other end of the socket (SO_PEERCRED), mapped
// to an operator by login (Authority). root and the daemon's own account are administrators;
// any other account must be the login of an active operator of the journal, or is refused. Any
// such actor may read the status, the snapshot and the feed, and have the operators reloaded; pausing, resuming, logging in
// or out operator N, transferring N's caller and calling back for N is for administrators and
// for operator N themself (hotline.Actor.MayControl).
// What a client claims (the Hotline-As header, the CLI's --as) is logged, never believed.
//
// Routes (all JSON):
//
//	GET  /v1/status                       the live queue and operators (switchboard.Status)
//	GET  /v1/snapshot                     the live state, numbered (switchboard.Snapshot)
//	GET  /v1/feed                         the snapshot, then each change: NDJSON, streamed (feed.go)
//	POST /v1/operators/{id}/pause         body {"reason":"2"}: a digit 0-9 (*23N), or none
//	POST /v1/operators/{id}/resume
//	POST /v1/operators/{id}/login
//	POST /v1/operators/{id}/logout
//	POST /v1/operators/{id}/callback      body {"number":"+7…","case_id":N}: dial the person for the operator
//	POST /v1/operators/{id}/inform        body {"campaign_id":N}: «Начать информирование» (docs/campaigns.md)
//	POST /v1/operators/{id}/inform-next   the person's result is saved: dial the next
//	POST /v1/operators/{id}/inform-stop   stop informing
//	POST /v1/operators/reload             re-read operators from the journal
//	POST /v1/calls/{id}/transfer          body {"operator_id":N,"to":M}: N's caller on call id to M
//	POST /v1/calls/{id}/listen            body {"mode":"listen|whisper|barge|stop"}: an administrator
//	                                      listens to call id on their own device (switchboard.Listen)
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
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// Switchboard is what the API asks of the live call flow. by is who asks, already authorised.
type Switchboard interface {
	Status(ctx context.Context) (switchboard.Status, error)
	// Snapshot and Subscribe read the live state for GET /v1/snapshot and GET /v1/feed (feed.go).
	Snapshot(ctx context.Context) (switchboard.Snapshot, error)
	Subscribe(ctx context.Context) (switchboard.Snapshot, *switchboard.Feed, error)
	Pause(ctx context.Context, by hotline.Actor, operatorID int64, reason string) error
	Resume(ctx context.Context, by hotline.Actor, operatorID int64) error
	Login(ctx context.Context, by hotline.Actor, operatorID int64) error
	Logout(ctx context.Context, by hotline.Actor, operatorID int64) error
	ReloadOperators(ctx context.Context, by hotline.Actor) error
	// Transfer and CallBack are the workplace's buttons (switchboard.Switchboard's).
	Transfer(ctx context.Context, by hotline.Actor, operatorID int64, callID string, to int64) error
	CallBack(ctx context.Context, by hotline.Actor, operatorID int64, number string, caseID int64) error
	// Listen is the live board's listen, whisper and barge (administrators only).
	Listen(ctx context.Context, by hotline.Actor, callID string, mode switchboard.ListenMode) error
}

// Informer is the progressive dialler of the informing campaigns (switchboard.Switchboard's); a
// Switchboard without it answers the inform actions EUNAVAILABLE.
type Informer interface {
	StartInforming(ctx context.Context, by hotline.Actor, operatorID, campaignID int64) error
	StopInforming(ctx context.Context, by hotline.Actor, operatorID int64) error
	InformingNext(ctx context.Context, by hotline.Actor, operatorID int64) error
}

// Peer is the process at the other end of the socket, as the kernel reported it when it
// connected.
type Peer struct {
	UID, GID uint32
	PID      int32
}

// Operators is what the API reads of the journal: who a login is, and the operator acted on.
type Operators interface {
	Operator(ctx context.Context, id int64) (hotline.Operator, error)
	OperatorByLogin(ctx context.Context, login string) (hotline.Operator, error)
}

// Cases is the journal's case reader.
type Cases interface {
	Case(ctx context.Context, id int64) (hotline.Case, error)
}

// Authority says who a peer is.
type Authority struct {
	Operators Operators
	// Cases reads the case a call-back is asked for: the request may call back only a case the
	// actor may work on, and only the number the case holds (as the workplace's button does).
	// Nil: call-backs are refused.
	Cases Cases
	// Region reads the number a call-back asks for as the journal reads the case's (a national
	// "8 900 …" is the case's "+7900…").
	Region hotline.PhoneRegion
	// DaemonUID is the daemon's own account (os.Geteuid()): it may do anything the daemon does,
	// so it is an administrator, as root is.
	DaemonUID uint32
	// UserName maps a uid to its login; nil: the system's user database (os/user).
	UserName func(uid uint32) (string, error)
}

// Actor maps a peer to who acts: root and the daemon's account are administrators; any other
// account is the active operator whose login is its user name, or is refused. The journal's
// bootstrap rule (anyone is an administrator while there is none) does not apply here: root and
// the daemon's account need no operator.
func (a Authority) Actor(ctx context.Context, p Peer) (hotline.Actor, error) {
	lookup := a.UserName
	if lookup == nil {
		lookup = systemUserName
	}
	name, nameErr := lookup(p.UID)
	if p.UID == 0 || p.UID == a.DaemonUID {
		if nameErr != nil || name == "" {
			name = fmt.Sprintf("uid:%d", p.UID)
		}
		return hotline.Actor{Login: name, Role: hotline.RoleAdministrator}, nil
	}
	if nameErr != nil || name == "" {
		return hotline.Actor{}, hotline.Errorf(hotline.EFORBIDDEN, "uid %d has no user name, so it is no operator: only root, the daemon's account and operators' logins may use the hotline socket", p.UID)
	}
	if a.Operators == nil {
		return hotline.Actor{}, hotline.Errorf(hotline.EFORBIDDEN, "%q is not root nor the daemon's account, and no journal maps logins to operators", name)
	}
	o, err := a.Operators.OperatorByLogin(ctx, name)
	switch {
	case hotline.ErrorCode(err) == hotline.ENOTFOUND:
		return hotline.Actor{}, hotline.Errorf(hotline.EFORBIDDEN,
			"the account %q (uid %d) is not an operator of this hotline: an administrator gives an operator that login (hotline operator update ID --login %s)", name, p.UID, name)
	case err != nil:
		return hotline.Actor{}, err
	case !o.Active:
		return hotline.Actor{}, hotline.Errorf(hotline.EFORBIDDEN, "operator %q (%d) was removed from service and cannot act", name, o.ID)
	}
	return hotline.Actor{Login: name, OperatorID: o.ID, Role: o.Role}, nil
}

func systemUserName(uid uint32) (string, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

// ClaimHeader carries who the client says it acts as (the CLI's --as): logged beside the actor
// the peer's account maps to, never used to authorise.
const ClaimHeader = "Hotline-As"

// maxBody bounds a request body: the API takes a reason code, not documents.
const maxBody = 4 << 10

// Handler returns the API's HTTP handler. It authorises every request by the peer credentials
// that NewServer puts in the request's context; a request without them is refused.
func Handler(sb Switchboard, auth Authority, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{sb: sb, auth: auth, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", h.authorised(h.status))
	mux.HandleFunc("GET /v1/snapshot", h.authorised(h.snapshot))
	mux.HandleFunc("GET /v1/feed", h.authorised(h.feed))
	mux.HandleFunc("POST /v1/operators/reload", h.authorised(h.reload))
	mux.HandleFunc("POST /v1/operators/{id}/{action}", h.authorised(h.operator))
	mux.HandleFunc("POST /v1/calls/{id}/transfer", h.authorised(h.transfer))
	mux.HandleFunc("POST /v1/calls/{id}/listen", h.authorised(h.listen))
	return mux
}

// NewServer is the API's HTTP server for h (from Handler): it reads each connection's peer
// credentials when it is accepted.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			p, err := peerOf(c)
			if err != nil {
				return ctx // no peer: refused by authorised
			}
			return withPeer(ctx, p)
		},
	}
}

type peerKey struct{}

func withPeer(ctx context.Context, p Peer) context.Context {
	return context.WithValue(ctx, peerKey{}, p)
}

func peerFrom(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

type handler struct {
	sb   Switchboard
	auth Authority
	log  *slog.Logger
}

// authorised runs next for the actor the request's peer maps to, or refuses the request.
func (h *handler) authorised(next func(w http.ResponseWriter, r *http.Request, by hotline.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := peerFrom(r.Context())
		if !ok {
			h.fail(w, r, hotline.Errorf(hotline.EFORBIDDEN, "no peer credentials: the hotline API answers on its unix socket only"))
			return
		}
		by, err := h.auth.Actor(r.Context(), p)
		if err != nil {
			h.log.Warn("control: request refused", "method", r.Method, "path", r.URL.Path, "uid", p.UID, "pid", p.PID,
				"claimed_as", claim(r), "err", err)
			h.fail(w, r, err)
			return
		}
		next(w, r, by)
	}
}

// claim is what the client says it acts as, bounded for the log.
func claim(r *http.Request) string {
	c := r.Header.Get(ClaimHeader)
	if len(c) > hotline.MaxShortLen {
		c = c[:hotline.MaxShortLen] + "…"
	}
	return c
}

func (h *handler) status(w http.ResponseWriter, r *http.Request, _ hotline.Actor) {
	st, err := h.sb.Status(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) reload(w http.ResponseWriter, r *http.Request, by hotline.Actor) {
	if err := h.sb.ReloadOperators(r.Context(), by); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("control: operators reloaded", "actor", by.Login, "claimed_as", claim(r))
	writeJSON(w, http.StatusOK, struct{}{})
}

type pauseRequest struct {
	Reason string `json:"reason"`
}

type callbackRequest struct {
	Number string `json:"number"`
	CaseID int64  `json:"case_id"`
}

type listenRequest struct {
	Mode switchboard.ListenMode `json:"mode"`
}

type informRequest struct {
	CampaignID int64 `json:"campaign_id"`
}

type transferRequest struct {
	OperatorID int64 `json:"operator_id"` // who talks with the caller now
	To         int64 `json:"to"`
}

// decode reads one JSON object of known fields, and nothing after it, into v; an empty body
// leaves v as it is when empty is true.
func decode(r *http.Request, v any, empty bool) error {
	if r.ContentLength == 0 && empty {
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// One object and nothing after it: a second one or garbage is not silently dropped.
		if _, next := dec.Token(); !errors.Is(next, io.EOF) {
			err = errors.New("want one JSON object, and nothing after it")
		}
	}
	if err != nil && (!empty || !errors.Is(err, io.EOF)) {
		return hotline.Wrapf(hotline.EINVALID, err, "%s request: %v", r.URL.Path, err)
	}
	return nil
}

// transfer is the workplace's transfer button, for a client of the socket: operator_id's caller on
// call {id} to operator to. Authorised as the operator actions are, for operator_id.
func (h *handler) transfer(w http.ResponseWriter, r *http.Request, by hotline.Actor) {
	callID := r.PathValue("id")
	var req transferRequest
	if err := decode(r, &req, false); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.OperatorID <= 0 || req.To <= 0 {
		h.fail(w, r, hotline.Errorf(hotline.EINVALID, "a transfer names the operator talking (operator_id) and the one to transfer to (to), as positive numbers"))
		return
	}
	ctx := r.Context()
	target, err := h.auth.Operators.Operator(ctx, req.OperatorID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := by.MayControl(target); err != nil {
		h.log.Warn("control: transfer refused", "call", callID, "operator", req.OperatorID, "actor", by.Login, "claimed_as", claim(r))
		h.fail(w, r, err)
		return
	}
	if err := h.sb.Transfer(ctx, by, req.OperatorID, callID, req.To); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("control: transfer", "call", callID, "operator", req.OperatorID, "to", req.To, "actor", by.Login, "claimed_as", claim(r))
	writeJSON(w, http.StatusOK, struct{}{})
}

// listen: an administrator listens to a call, whispers, barges or stops; the rule is the domain's
// (hotline.Actor.MayListen), checked here before the switchboard is asked, and there again.
func (h *handler) listen(w http.ResponseWriter, r *http.Request, by hotline.Actor) {
	callID := r.PathValue("id")
	var req listenRequest
	if err := decode(r, &req, false); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := by.MayListen(); err != nil {
		h.log.Warn("control: listen refused", "call", callID, "actor", by.Login, "claimed_as", claim(r))
		h.fail(w, r, err)
		return
	}
	if err := h.sb.Listen(r.Context(), by, callID, req.Mode); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("control: listen", "call", callID, "mode", req.Mode, "actor", by.Login, "claimed_as", claim(r))
	writeJSON(w, http.StatusOK, struct{}{})
}

func (h *handler) operator(w http.ResponseWriter, r *http.Request, by hotline.Actor) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, hotline.Errorf(hotline.EINVALID, "operator id must be a positive number, not %q", r.PathValue("id")))
		return
	}
	action := r.PathValue("action")
	var req pauseRequest
	var cb callbackRequest
	var inf informRequest
	switch action {
	case "pause":
		if err := decode(r, &req, true); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := hotline.ValidPauseReason(req.Reason); err != nil {
			h.fail(w, r, err)
			return
		}
	case "callback":
		if err := decode(r, &cb, false); err != nil {
			h.fail(w, r, err)
			return
		}
	case "inform":
		if err := decode(r, &inf, false); err != nil {
			h.fail(w, r, err)
			return
		}
	case "resume", "login", "logout", "inform-next", "inform-stop":
	default:
		h.fail(w, r, hotline.Errorf(hotline.ENOTFOUND, "no operator action %q (pause, resume, login, logout, callback, inform, inform-next, inform-stop)", action))
		return
	}
	ctx := r.Context()
	target, err := h.auth.Operators.Operator(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := by.MayControl(target); err != nil {
		h.log.Warn("control: operator action refused", "action", action, "operator", id, "actor", by.Login, "claimed_as", claim(r))
		h.fail(w, r, err)
		return
	}
	switch action {
	case "pause":
		err = h.sb.Pause(ctx, by, id, req.Reason)
	case "resume":
		err = h.sb.Resume(ctx, by, id)
	case "login":
		err = h.sb.Login(ctx, by, id)
	case "logout":
		err = h.sb.Logout(ctx, by, id)
	case "callback":
		err = h.callBack(ctx, by, id, cb)
	case "inform", "inform-next", "inform-stop":
		in, ok := h.sb.(Informer)
		switch {
		case !ok:
			err = hotline.Errorf(hotline.EUNAVAILABLE, "this daemon dials no informing campaigns")
		case action == "inform":
			err = in.StartInforming(ctx, by, id, inf.CampaignID)
		case action == "inform-next":
			err = in.InformingNext(ctx, by, id)
		default:
			err = in.StopInforming(ctx, by, id)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("control: operator action", "action", action, "operator", id, "actor", by.Login, "claimed_as", claim(r))
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
// left by a crashed daemon (but refusing to start beside a live one, or in place of anything but
// a socket), and making it accessible to its owner and group only.
func Listen(ctx context.Context, path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("control: create socket directory: %w", err)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode().Type() != fs.ModeSocket {
			// A mistyped api.socket may name the journal: never remove what is not a socket.
			return nil, hotline.Errorf(hotline.EINVALID, "%s exists and is not a socket: api.socket must name a path of its own", path)
		}
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

// ErrNoDaemon is in the error of a Client's call when no daemon listens on its socket: the file
// is absent, or was left by a daemon that stopped. (A socket the caller may not open is not
// this: a daemon is there.)
var ErrNoDaemon = errors.New("no hotline daemon listens on the socket")

// Client calls a running daemon's API. The zero value is not usable: use NewClient.
type Client struct {
	Socket string
	// As is who the client says it acts as (the CLI's --as), sent in ClaimHeader. The daemon logs
	// it and decides from the account the client runs under.
	As   string
	http *http.Client
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

// Transfer transfers the caller of call callID, talking with operator operatorID, to operator to.
func (c *Client) Transfer(ctx context.Context, operatorID int64, callID string, to int64) error {
	return c.call(ctx, http.MethodPost, "/v1/calls/"+url.PathEscape(callID)+"/transfer", transferRequest{OperatorID: operatorID, To: to}, nil)
}

// Listen has the administrator the client's account maps to listen to call callID in mode
// (listen, whisper, barge), change it, or stop.
func (c *Client) Listen(ctx context.Context, callID string, mode switchboard.ListenMode) error {
	return c.call(ctx, http.MethodPost, "/v1/calls/"+url.PathEscape(callID)+"/listen", listenRequest{Mode: mode}, nil)
}

// CallBack has hotline dial number for operator operatorID, from case caseID.
func (c *Client) CallBack(ctx context.Context, operatorID int64, number string, caseID int64) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/callback", operatorID), callbackRequest{Number: number, CaseID: caseID}, nil)
}

// StartInforming is «Начать информирование» for operator operatorID on campaign campaignID.
func (c *Client) StartInforming(ctx context.Context, operatorID, campaignID int64) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/inform", operatorID), informRequest{CampaignID: campaignID}, nil)
}

// InformingNext tells the dialler that operatorID saved the person's result.
func (c *Client) InformingNext(ctx context.Context, operatorID int64) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/inform-next", operatorID), nil, nil)
}

// StopInforming stops operatorID's informing.
func (c *Client) StopInforming(ctx context.Context, operatorID int64) error {
	return c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/operators/%d/inform-stop", operatorID), nil, nil)
}

// ReloadOperators makes the daemon re-read operators from the journal.
func (c *Client) ReloadOperators(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/v1/operators/reload", nil, nil)
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.do(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("control: decode %s: %w", path, err)
	}
	return nil
}

// open starts a streamed GET: the caller reads and closes the body.
func (c *Client) open(ctx context.Context, path string) (*http.Response, error) {
	return c.do(ctx, http.MethodGet, path, nil)
}

// do sends a request and returns the response if it is 200, its error otherwise.
func (c *Client) do(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("control: encode %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://hotline"+path, body)
	if err != nil {
		return nil, fmt.Errorf("control: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.As != "" {
		req.Header.Set(ClaimHeader, c.As)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		unreachable := hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot reach the hotline daemon at %s (is `hotline serve` running, and may you open its socket?): %v", c.Socket, err)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w (%w)", unreachable, ErrNoDaemon)
		}
		return nil, unreachable
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e apiError
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&e); err != nil || e.Code == "" {
			return nil, hotline.Errorf(hotline.EINTERNAL, "daemon answered %s to %s %s", resp.Status, method, path)
		}
		return nil, &hotline.Error{Code: e.Code, Message: e.Message}
	}
	return resp, nil
}

// callBack asks the switchboard to call back the case's caller for operator id, under the rules
// of the workplace's «Перезвонить»: a case the actor may work on, the number the case holds.
func (h *handler) callBack(ctx context.Context, by hotline.Actor, id int64, cb callbackRequest) error {
	if h.auth.Cases == nil {
		return hotline.Errorf(hotline.EUNAVAILABLE, "call-backs need the journal's cases, which this API was not given")
	}
	if cb.CaseID <= 0 {
		return hotline.Errorf(hotline.EINVALID, "a call-back is asked for a case: case_id must be a positive number, not %d", cb.CaseID)
	}
	c, err := h.auth.Cases.Case(ctx, cb.CaseID)
	if err != nil {
		return fmt.Errorf("call-back: read case %d: %w", cb.CaseID, err)
	}
	if err := c.Editable(by); err != nil {
		return err
	}
	if c.CallerNumber == "" {
		return hotline.Errorf(hotline.EINVALID, "case %s holds no phone number: there is nobody to call back", c.Label())
	}
	if cb.Number != "" {
		asked, ok := h.auth.Region.Normalize(cb.Number)
		held, _ := h.auth.Region.Normalize(c.CallerNumber)
		if !ok || asked != held {
			return hotline.Errorf(hotline.EINVALID, "case %s holds the number %q: a call-back dials the case's own number", c.Label(), c.CallerNumber)
		}
	}
	return h.sb.CallBack(ctx, by, id, c.CallerNumber, c.ID)
}
