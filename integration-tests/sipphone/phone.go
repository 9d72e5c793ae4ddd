// Package sipphone is a SIP phone for integration tests: a user agent on sipgo and pion/rtp that
// registers (or not), places and answers calls, sends a tone or a WAV file as G.711 and measures
// what it hears (packets, loss, loudness, tones by Goertzel, RFC 4733 DTMF), transfers calls with
// REFER (blind, or attended with Replaces) and reports SIP response codes, call states and why
// calls ended.
//
// It behaves as Asterisk expects of a handset: digest auth on REGISTER and INVITE, 200 to OPTIONS
// (qualify), answers to re-INVITEs and UPDATEs with or without SDP (new media address, hold),
// RFC 4028 session timers (it refreshes when made refresher), symmetric RTP (it sends to where
// RTP comes from), NOTIFYs of a REFER's progress.
//
// It binds SIP and RTP to loopback only and talks only to 127.0.0.0/8. Each Phone has its own
// sipgo user agent and UDP socket; each call has one RTP socket and two goroutines, so a load
// generator can run hundreds of calls in one process.
//
//	p, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1001", Password: sb.HandsetPassword, Tone: 1000})
//	defer p.Close()
//	call, err := p.Dial(ctx, "1002")    // INVITE, waits for 200 OK
//	err = call.WaitTone(ctx, 600)       // the other side sends 600 Hz
//	err = call.Hangup(ctx)
//
// Limits: UDP and IPv4 loopback only; PCMU and PCMA at 20 ms, telephone-event; no RTCP, SRTP,
// TLS or 100rel; an incoming REFER is refused (501).
package sipphone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Config describes a phone. Server and User are required.
type Config struct {
	// Server is the SIP server (Asterisk) as host:port, e.g. "127.0.0.1:5160". It must be on loopback.
	Server string
	// User is the SIP user: a handset's extension ("1001") or a caller's number ("79001234567").
	User        string
	DisplayName string
	// Password, when set, makes the phone register as User (digest auth) and answer challenges
	// to its INVITEs. Without it the phone does not register: a caller on the trunk.
	Password string
	// Expires is the registration lifetime asked for; default 120 s. The phone re-registers at half.
	Expires time.Duration
	// IP is the local loopback address SIP and RTP bind to; default 127.0.0.1.
	IP netip.Addr

	// Tone is the frequency (Hz) of the sine tone every call sends; 0 sends silence.
	Tone float64
	// Audio, when set, makes each call's audio source (e.g. WAV.Source); it overrides Tone.
	Audio func() Source
	// Detect lists tone frequencies every call counts from its first packet (Stats.Tones);
	// WaitTone adds its frequency anyway.
	Detect []float64

	// AutoAnswer answers incoming calls after AnswerDelay; otherwise they ring until
	// Call.Answer, Call.Reject or Call.Hangup.
	AutoAnswer  bool
	AnswerDelay time.Duration

	// PortLinger keeps a finished call's RTP and RTCP ports bound (unread) this long after the
	// call ends, so that Asterisk's last RTP and RTCP for it, sent before it learns the call is
	// over, cannot reach a newer phone's SIP socket on a reused port. 0: freed at once. The load
	// generator, which opens phones by the hundred, sets it.
	PortLinger time.Duration

	Logger *slog.Logger // default slog.Default()
}

// Phone is one SIP user agent. Its methods are safe for concurrent use.
type Phone struct {
	cfg     Config
	log     *slog.Logger
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	client  *sipgo.Client
	dialog  *sipgo.DialogUA
	conn    net.PacketConn
	local   netip.AddrPort
	server  netip.AddrPort
	contact sip.ContactHeader

	mu       sync.Mutex
	calls    map[string]*Call // by Call-ID
	incoming []*Call          // ringing calls not yet taken by Incoming
	waiters  []chan struct{}
	closed   bool
	reg      registration

	quit chan struct{}
	wg   sync.WaitGroup
}

type registration struct {
	callID  string
	fromTag string
	cseq    uint32
	ok      bool
	err     error
}

// New starts a phone: binds its SIP socket and, if Config.Password is set, registers and keeps
// the registration fresh until Close.
func New(ctx context.Context, cfg Config) (*Phone, error) {
	if cfg.User == "" {
		return nil, errors.New("sipphone: Config.User is empty")
	}
	server, err := netip.ParseAddrPort(cfg.Server)
	if err != nil {
		return nil, fmt.Errorf("sipphone: Config.Server %q: %w", cfg.Server, err)
	}
	if !server.Addr().IsLoopback() {
		return nil, fmt.Errorf("sipphone: Config.Server %s is not on loopback: test phones talk only to 127.0.0.0/8", server)
	}
	if !cfg.IP.IsValid() {
		cfg.IP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if !cfg.IP.IsLoopback() {
		return nil, fmt.Errorf("sipphone: Config.IP %s is not on loopback", cfg.IP)
	}
	if cfg.Expires <= 0 {
		cfg.Expires = 120 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("phone", cfg.User)

	conn, err := net.ListenPacket("udp", netip.AddrPortFrom(cfg.IP, 0).String())
	if err != nil {
		return nil, fmt.Errorf("sipphone: %s: sip socket: %w", cfg.User, err)
	}
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("sipphone-"+cfg.User),
		sipgo.WithUserAgentHostname(cfg.IP.String()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(log),
			// Late responses (a retransmitted 200 after its transaction ended) are normal on
			// shutdown; they are not worth the default INFO line.
			sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
				log.Debug("response to no transaction", "status", r.StatusCode, "cseq", r.CSeq())
			}),
		),
	)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sipphone: %s: user agent: %w", cfg.User, err)
	}
	// Requests leave from the listening socket, so Asterisk sees one address per phone.
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log),
		sipgo.WithClientAddr(local.String()), sipgo.WithClientConnectionAddr(local.String()))
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("sipphone: %s: client: %w", cfg.User, err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("sipphone: %s: server: %w", cfg.User, err)
	}
	p := &Phone{
		cfg:    cfg,
		log:    log,
		ua:     ua,
		srv:    srv,
		client: client,
		conn:   conn,
		local:  local,
		server: server,
		contact: sip.ContactHeader{Address: sip.Uri{
			Scheme: "sip", User: cfg.User, Host: local.Addr().String(), Port: int(local.Port()),
		}},
		calls: map[string]*Call{},
		quit:  make(chan struct{}),
	}
	p.dialog = &sipgo.DialogUA{Client: client, ContactHDR: p.contact}
	srv.OnInvite(p.onInvite)
	srv.OnAck(p.onAck)
	srv.OnBye(p.onBye)
	srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// A CANCEL matching a ringing INVITE is handled by the transaction layer; this one matched nothing.
		p.respond(tx, req, 481, "Call/Transaction Does Not Exist")
	})
	srv.OnOptions(p.onOptions)
	srv.OnUpdate(p.onUpdate)
	srv.OnNotify(p.onNotify)
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) { p.respond(tx, req, 200, "OK") })
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) { p.respond(tx, req, 200, "OK") })
	srv.OnRefer(func(req *sip.Request, tx sip.ServerTransaction) { p.respond(tx, req, 501, "Not Implemented") })

	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := srv.ServeUDP(conn); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Debug("sip server stopped", "error", err)
		}
	}()

	// Requests may go out only once the listener is in sipgo's connection pool; otherwise sipgo
	// would try to bind the same address again.
	for {
		if c, _ := ua.TransportLayer().GetConnection("udp", local.String()); c != nil {
			break
		}
		select {
		case <-ctx.Done():
			p.shutdown()
			return nil, fmt.Errorf("sipphone: %s: sip listener: %w", cfg.User, context.Cause(ctx))
		case <-time.After(time.Millisecond):
		}
	}
	if cfg.Password != "" {
		if err := p.register(ctx, cfg.Expires); err != nil {
			p.shutdown()
			return nil, err
		}
		p.wg.Add(1)
		go p.refresh()
	}
	log.Debug("phone up", "sip", local, "registered", cfg.Password != "")
	return p, nil
}

// User is the phone's SIP user.
func (p *Phone) User() string { return p.cfg.User }

// Addr is the phone's SIP address (host:port).
func (p *Phone) Addr() netip.AddrPort { return p.local }

// Close hangs up every call, unregisters and stops the phone. It waits for all its goroutines.
func (p *Phone) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.quit)
	calls := make([]*Call, 0, len(p.calls))
	for _, c := range p.calls {
		calls = append(calls, c)
	}
	p.notifyLocked()
	p.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Hangup(ctx); err != nil && !errors.Is(err, ErrCallEnded) {
				p.log.Debug("close: hangup", "call", c.ID(), "error", err)
			}
			<-c.Done()
		}()
	}
	wg.Wait()
	if p.cfg.Password != "" {
		if err := p.register(ctx, 0); err != nil {
			errs = append(errs, err)
		}
	}
	p.shutdown()
	return errors.Join(errs...)
}

func (p *Phone) shutdown() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.quit)
	}
	p.mu.Unlock()
	p.ua.Close()
	p.conn.Close()
	p.wg.Wait()
}

// register sends REGISTER (expires 0 unregisters), answering a digest challenge.
func (p *Phone) register(ctx context.Context, expires time.Duration) error {
	p.mu.Lock()
	if p.reg.callID == "" {
		p.reg.callID = sip.GenerateTagN(24)
		p.reg.fromTag = sip.GenerateTagN(16)
		p.reg.cseq = 1
	}
	p.reg.cseq++
	callID, fromTag, cseq := p.reg.callID, p.reg.fromTag, p.reg.cseq
	p.mu.Unlock()

	aor := sip.Uri{Scheme: "sip", User: p.cfg.User, Host: p.server.Addr().String(), Port: int(p.server.Port())}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: aor.Host, Port: aor.Port})
	from := &sip.FromHeader{DisplayName: p.cfg.DisplayName, Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", fromTag)
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	req.AppendHeader(sip.HeaderClone(&p.contact))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	req.Laddr = p.laddr()

	res, err := p.client.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.User, Password: p.cfg.Password})
	}
	what := "register"
	if expires == 0 {
		what = "unregister"
	}
	p.mu.Lock()
	if c := req.CSeq(); c != nil && c.SeqNo > p.reg.cseq {
		p.reg.cseq = c.SeqNo
	}
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sipphone: %s %s at %s: %w", what, p.cfg.User, p.server, err)
	}
	if res.StatusCode != 200 {
		return &ResponseError{Code: res.StatusCode, Reason: res.Reason, Request: what}
	}
	p.log.Debug(what+"ed", "expires", expires)
	return nil
}

func (p *Phone) refresh() {
	defer p.wg.Done()
	t := time.NewTimer(p.cfg.Expires / 2)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := p.register(ctx, p.cfg.Expires)
		cancel()
		next := p.cfg.Expires / 2
		if err != nil {
			p.log.Warn("re-register failed", "error", err)
			next = 5 * time.Second
		}
		t.Reset(next)
	}
}

func (p *Phone) laddr() sip.Addr {
	return sip.Addr{IP: net.IP(p.local.Addr().AsSlice()), Port: int(p.local.Port()), Hostname: p.local.Addr().String()}
}

// targetURI turns "1002" or "sip:1002@host:port" into a request URI at the server.
func (p *Phone) targetURI(target string) (sip.Uri, error) {
	var u sip.Uri
	if strings.HasPrefix(target, "sip:") {
		if err := sip.ParseUri(target, &u); err != nil {
			return u, fmt.Errorf("sipphone: target %q: %w", target, err)
		}
		return u, nil
	}
	if target == "" || strings.ContainsAny(target, "@:;<> ") {
		return u, fmt.Errorf("sipphone: target %q: want a user (e.g. 1002) or a sip: URI", target)
	}
	return sip.Uri{Scheme: "sip", User: target, Host: p.server.Addr().String(), Port: int(p.server.Port())}, nil
}

// Incoming waits for the next incoming call (ringing or, with AutoAnswer, maybe already
// answered) and returns it.
func (p *Phone) Incoming(ctx context.Context) (*Call, error) {
	for {
		p.mu.Lock()
		if len(p.incoming) > 0 {
			c := p.incoming[0]
			p.incoming = p.incoming[1:]
			p.mu.Unlock()
			return c, nil
		}
		if p.closed {
			p.mu.Unlock()
			return nil, errors.New("sipphone: phone closed")
		}
		ch := make(chan struct{})
		p.waiters = append(p.waiters, ch)
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("sipphone: %s waiting for an incoming call: %w", p.cfg.User, context.Cause(ctx))
		}
	}
}

func (p *Phone) notifyLocked() {
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
}

func (p *Phone) addCall(c *Call) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("sipphone: phone closed")
	}
	p.calls[c.callID] = c
	return nil
}

func (p *Phone) removeCall(c *Call) {
	p.mu.Lock()
	if p.calls[c.callID] == c {
		delete(p.calls, c.callID)
	}
	p.mu.Unlock()
}

func (p *Phone) call(req *sip.Request) *Call {
	id := req.CallID()
	if id == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id.Value()]
}

func (p *Phone) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		p.log.Debug("respond", "method", req.Method, "code", code, "error", err)
	}
}

const allowMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY, INFO, MESSAGE"

func (p *Phone) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	// Asterisk's qualify: a handset that does not answer is marked unavailable.
	p.respond(tx, req, 200, "OK",
		sip.NewHeader("Allow", allowMethods),
		sip.NewHeader("Accept", "application/sdp"),
		sip.NewHeader("Supported", "replaces, timer"))
}

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		c := p.call(req)
		if c == nil {
			p.respond(tx, req, 481, "Call/Transaction Does Not Exist")
			return
		}
		c.onReinvite(req, tx)
		return
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		p.respond(tx, req, 480, "Temporarily Unavailable")
		return
	}
	// The handler runs until the final response: sipgo ends the transaction when it returns.
	p.answerIncoming(req, tx)
}

func (p *Phone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := p.call(req); c != nil {
		c.onAck(req, tx)
	}
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		p.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.onBye(req, tx)
}

func (p *Phone) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		p.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	c.onUpdate(req, tx)
}

func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if c := p.call(req); c != nil {
		c.onNotify(req, tx)
		return
	}
	// Unsolicited NOTIFY (message-summary and the like): acknowledge and ignore.
	p.respond(tx, req, 200, "OK")
}

// ResponseError is a SIP request answered with a final non-2xx response.
type ResponseError struct {
	Code    int
	Reason  string
	Request string // what was asked: "invite", "register", "refer", ...
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("sipphone: %s: %d %s", e.Request, e.Code, e.Reason)
}
