package ami

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/staskobzar/goami2"
)

// Message is one AMI message (action, response or event): goami2's type, so that goami2's
// accessors (Field, FieldValues, Var, Headers, ...) work on everything this package returns.
type Message = goami2.Message

// Header is one "Name: Value" line of a Message.
type Header = goami2.Header

// NewAction returns an action message: name, then the fields as name, value pairs. A trailing
// odd name is ignored. The ActionID is set by the Client.
func NewAction(name string, fields ...string) *Message {
	m := goami2.NewAction(name)
	for i := 0; i+1 < len(fields); i += 2 {
		m.AddField(fields[i], fields[i+1])
	}
	return m
}

// Auth selects how the Client logs in.
type Auth int

const (
	// AuthPlain sends the secret in the Login action (AMI has no TLS here: keep it on loopback).
	AuthPlain Auth = iota
	// AuthMD5 asks for a challenge and sends md5(challenge+secret): the secret never crosses the wire.
	AuthMD5
)

// Config says where and how to connect. The zero value of every field but Addr, Username and
// Secret means the documented default.
type Config struct {
	Addr     string // host:port of Asterisk's AMI
	Username string
	Secret   string
	Auth     Auth
	// Events is Login's Events header: empty for the user's read classes (manager.conf), or a
	// list of classes such as "call,system". Originate waits for OriginateResponse, an event of
	// class call: with "off" or without call it waits until its context ends.
	Events string
	// EventFilter, when not empty, asks Asterisk (the Filter action, after every login) to send
	// this connection only the events named here: a busy PBX sends thousands of call events a
	// minute that a client reading a few would otherwise parse and drop. It must name the events
	// the client's own actions wait for (OriginateResponse for Originate). Responses to actions,
	// list items included, are not filtered. Needs write=system in manager.conf.
	EventFilter []string

	// Dial opens the TCP connection; nil means a net.Dialer. Tests plug a fake server in here.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives connection changes and overflow warnings; nil means slog.Default().
	Logger *slog.Logger

	ConnectTimeout time.Duration // dial, banner and login; default 10s
	ActionTimeout  time.Duration // for actions whose context has no deadline; default 30s
	PingInterval   time.Duration // keepalive Ping period; default 15s, negative disables
	PingTimeout    time.Duration // a Ping unanswered this long ends the connection; default 5s
	ReconnectMin   time.Duration // first reconnect delay; default 250ms
	ReconnectMax   time.Duration // cap of the doubling delay; default 30s
	EventBuffer    int           // events held per subscription; default 4096
	MaxMessageSize int           // bytes; a longer message ends the connection; default 1 MiB
}

func (cfg Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.ConnectTimeout, 10*time.Second)
	def(&cfg.ActionTimeout, 30*time.Second)
	def(&cfg.PingInterval, 15*time.Second)
	def(&cfg.PingTimeout, 5*time.Second)
	def(&cfg.ReconnectMin, 250*time.Millisecond)
	def(&cfg.ReconnectMax, 30*time.Second)
	if cfg.ReconnectMax < cfg.ReconnectMin {
		cfg.ReconnectMax = cfg.ReconnectMin
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 4096
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	return cfg
}

// ConnState is the state of the Client's connection, also delivered in every subscription's
// stream so that the application can reconcile: Asterisk does not keep events for a client that
// is away, so after Reconnected the application must ask for what it needs (CoreShowChannels,
// DeviceStateList, ...).
type ConnState int

const (
	StateConnected    ConnState = iota + 1 // logged in (the first time, from Dial)
	StateDisconnected                      // connection lost; reconnecting; events may have been missed
	StateReconnected                       // logged in again after StateDisconnected
	StateClosed                            // Close or Logoff; the subscription's last item
)

func (s ConnState) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateReconnected:
		return "reconnected"
	case StateClosed:
		return "closed"
	}
	return "ConnState(" + strconv.Itoa(int(s)) + ")"
}

// Stats are counters since Dial.
type Stats struct {
	Reconnects uint64 // successful re-logins
	Dropped    uint64 // events not delivered to a subscription because its buffer was full
	Unmatched  uint64 // responses whose action had already given up (context ended)
	Lenient    uint64 // messages goami2's strict parser refused and the lenient one parsed
}

type counters struct {
	reconnects, dropped, unmatched, lenient atomic.Uint64
}

// Client is an AMI client: one logged-in connection at a time, replaced on loss (with capped,
// jittered backoff and a new login) until Close. Its methods are safe from many goroutines.
type Client struct {
	cfg      Config
	log      *slog.Logger
	idPrefix string
	nextID   atomic.Uint64
	counts   counters

	subs atomic.Pointer[[]*Subscription] // copy on write: read on every event without locking

	mu      sync.Mutex
	sess    *session // nil while disconnected
	state   ConnState
	closed  bool
	closing chan struct{}   // closed by Close/Logoff
	life    context.Context // cancelled by Close/Logoff: ends a reconnect attempt in progress
	stop    context.CancelFunc
	done    chan struct{} // closed when the supervisor has stopped
}

// Dial connects and logs in, then keeps the connection (reconnecting when it is lost) until
// Close or Logoff. It fails if the first connection or login fails: a wrong address or secret
// is reported, not retried forever.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Addr == "" || cfg.Username == "" {
		return nil, errors.New("ami: dial: Config.Addr and Config.Username are required")
	}
	cfg = cfg.withDefaults()
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "ami", "addr", cfg.Addr),
		idPrefix: "hl-" + hex.EncodeToString(rnd[:]) + "-",
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	c.life, c.stop = context.WithCancel(context.Background())
	c.subs.Store(&[]*Subscription{})
	s, err := c.connect(ctx)
	if err != nil {
		c.stop()
		return nil, err
	}
	c.goLive(s, StateConnected)
	go c.supervise(s)
	return c, nil
}

func (c *Client) newID() string {
	return c.idPrefix + strconv.FormatUint(c.nextID.Add(1), 10)
}

// connect dials, reads the banner and logs in.
func (c *Client) connect(ctx context.Context) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	conn, err := c.cfg.Dial(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("ami: connect to %s: %w", c.cfg.Addr, err)
	}
	s, err := newSession(ctx, conn, c.cfg.MaxMessageSize, c.cfg.ActionTimeout, &c.counts, c.deliver)
	if err != nil {
		return nil, fmt.Errorf("ami: connect to %s: %w", c.cfg.Addr, err)
	}
	if err := c.login(ctx, s); err != nil {
		s.close(err)
		return nil, fmt.Errorf("ami: connect to %s: %w", c.cfg.Addr, err)
	}
	return s, nil
}

func (c *Client) login(ctx context.Context, s *session) error {
	login := NewAction("Login", "Username", c.cfg.Username)
	if c.cfg.Auth == AuthMD5 {
		ch := NewAction("Challenge", "AuthType", "MD5", "ActionID", c.newID())
		p, err := s.send(ctx, ch, false, "")
		if err != nil {
			return fmt.Errorf("%w: %w", ErrLogin, err)
		}
		challenge := p.resp.Field("Challenge")
		if challenge == "" {
			return fmt.Errorf("%w: Challenge: no challenge in the response", ErrLogin)
		}
		sum := md5.Sum([]byte(challenge + c.cfg.Secret))
		login.AddField("AuthType", "MD5")
		login.AddField("Key", hex.EncodeToString(sum[:]))
	} else {
		login.AddField("Secret", c.cfg.Secret)
	}
	if c.cfg.Events != "" {
		login.AddField("Events", c.cfg.Events)
	}
	login.AddField("ActionID", c.newID())
	if _, err := s.send(ctx, login, false, ""); err != nil {
		return fmt.Errorf("%w: user %q: %w", ErrLogin, c.cfg.Username, err)
	}
	for _, name := range c.cfg.EventFilter {
		// Only whitelist filters: with at least one, Asterisk sends an event only if one matches.
		// The filter is a POSIX regex searched in the event's text: the bracket after the name
		// (it matches the line's \r) keeps Hangup from also letting HangupRequest through.
		f := NewAction("Filter", "Operation", "Add", "Filter", "Event: "+regexp.QuoteMeta(name)+"[^A-Za-z0-9]", "ActionID", c.newID())
		if _, err := s.send(ctx, f, false, ""); err != nil {
			return fmt.Errorf("ami: event filter %q (manager.conf: the user needs write=system): %w", name, err)
		}
	}
	return nil
}

// goLive publishes s as the current session and announces state to subscribers, before any
// event of s.
func (c *Client) goLive(s *session, state ConnState) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.close(ErrClosed)
		return false
	}
	c.sess, c.state = s, state
	c.mu.Unlock()
	s.goLive(func() { c.broadcast(Event{State: state}) })
	c.log.Info("AMI logged in", "state", state, "banner", s.banner)
	if c.cfg.PingInterval > 0 {
		go c.keepalive(s)
	}
	return true
}

// supervise replaces a lost session until Close.
func (c *Client) supervise(s *session) {
	defer close(c.done)
	for {
		select {
		case <-s.readerDone():
		case <-c.closing:
			return
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		c.sess, c.state = nil, StateDisconnected
		c.mu.Unlock()
		c.log.Warn("AMI connection lost; reconnecting", "err", s.err)
		c.broadcast(Event{State: StateDisconnected, Err: s.err})
		if s = c.reconnect(); s == nil {
			return
		}
	}
}

// reconnect tries until it logs in (nil after Close).
func (c *Client) reconnect() *session {
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(backoff(attempt, c.cfg.ReconnectMin, c.cfg.ReconnectMax, mrand.Int64N))
		select {
		case <-c.closing:
			t.Stop()
			return nil
		case <-t.C:
		}
		s, err := c.connect(c.life)
		if err == nil {
			c.counts.reconnects.Add(1)
			if !c.goLive(s, StateReconnected) {
				return nil
			}
			return s
		}
		c.log.Warn("AMI reconnect failed", "attempt", attempt, "err", err)
	}
}

// backoff is the wait before reconnect attempt n (from 1): the delay doubles from lo up to hi,
// and the wait is drawn from the upper half of it, so that many clients restarted together do
// not hammer Asterisk in step, yet never wait less than half the delay. rnd(n) is in [0, n).
func backoff(n int, lo, hi time.Duration, rnd func(int64) int64) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + time.Duration(rnd(int64(d/2)+1))
}

// keepalive pings; an unanswered Ping means a dead TCP path that the OS would notice only much
// later, so it ends the session and the supervisor reconnects.
func (c *Client) keepalive(s *session) {
	t := time.NewTicker(c.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.PingTimeout)
		_, err := s.send(ctx, NewAction("Ping", "ActionID", c.newID()), false, "")
		cancel()
		if err != nil && !errors.Is(err, ErrActionFailed) {
			s.close(fmt.Errorf("keepalive: %w", err))
			return
		}
	}
}

// State returns the connection's current state.
func (c *Client) State() ConnState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Stats returns counters since Dial.
func (c *Client) Stats() Stats {
	st := Stats{
		Reconnects: c.counts.reconnects.Load(),
		Dropped:    c.counts.dropped.Load(),
		Unmatched:  c.counts.unmatched.Load(),
		Lenient:    c.counts.lenient.Load(),
	}
	return st
}

func (c *Client) current() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.sess == nil {
		return nil, ErrNotConnected
	}
	return c.sess, nil
}

// do sends m on the current session, with the ActionID set and ctx bounded by ActionTimeout.
func (c *Client) do(ctx context.Context, m *Message, list bool, waitEvent string) (*pending, error) {
	name := m.Field("Action")
	if name == "" {
		return nil, errors.New("ami: action message has no Action header")
	}
	s, err := c.current()
	if err != nil {
		return nil, fmt.Errorf("ami: %s: %w", name, err)
	}
	if m.ActionID() == "" {
		m.AddField("ActionID", c.newID())
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.ActionTimeout)
		defer cancel()
	}
	return s.send(ctx, m, list, waitEvent)
}

// Action sends m and returns Asterisk's response. A "Response: Error" is returned as the
// response and an *ActionError. If m has no ActionID one is added (m is modified).
func (c *Client) Action(ctx context.Context, m *Message) (*Message, error) {
	p, err := c.do(ctx, m, false, "")
	if p == nil {
		return nil, err
	}
	return p.resp, err
}

// List is the answer to a list action (PJSIPShowEndpoints, CoreShowChannels, ...).
type List struct {
	Response *Message   // "Response: Success" with "EventList: start"
	Items    []*Message // the events between, in order
	Complete *Message   // the closing event ("EventList: Complete"), nil if Asterisk sent no list
}

// List sends a list action and gathers its events until the one marked "EventList: Complete".
// Those events go to the caller only, not to subscriptions.
func (c *Client) List(ctx context.Context, m *Message) (*List, error) {
	p, err := c.do(ctx, m, true, "")
	if p == nil {
		return nil, err
	}
	return &List{Response: p.resp, Items: p.items, Complete: p.final}, err
}

// ActionEvent sends m and, once Asterisk has answered Success, waits for the event named event
// that carries m's ActionID (e.g. "OriginateResponse" for an Async Originate). The event is also
// delivered to subscriptions.
func (c *Client) ActionEvent(ctx context.Context, m *Message, event string) (resp, ev *Message, err error) {
	p, err := c.do(ctx, m, false, event)
	if p == nil {
		return nil, nil, err
	}
	return p.resp, p.final, err
}

// Logoff says goodbye to Asterisk, then closes the client like Close.
func (c *Client) Logoff(ctx context.Context) error {
	s, err := c.shutdownStart()
	if err != nil {
		return err
	}
	var lerr error
	if s != nil {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.cfg.ActionTimeout)
			defer cancel()
		}
		// Asterisk answers "Response: Goodbye" and closes the connection.
		if _, err := s.send(ctx, NewAction("Logoff", "ActionID", c.newID()), false, ""); err != nil {
			lerr = fmt.Errorf("ami: Logoff: %w", err)
		}
	}
	c.shutdownFinish(s)
	return lerr
}

// Close closes the connection at once and ends every subscription (after a StateClosed item).
// Actions in flight fail. Close is idempotent.
func (c *Client) Close() error {
	s, err := c.shutdownStart()
	if err != nil {
		return nil
	}
	c.shutdownFinish(s)
	return nil
}

func (c *Client) shutdownStart() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	c.closed = true
	close(c.closing)
	c.stop()
	return c.sess, nil
}

func (c *Client) shutdownFinish(s *session) {
	if s != nil {
		s.close(ErrClosed)
	}
	<-c.done
	c.mu.Lock()
	c.sess, c.state = nil, StateClosed
	c.mu.Unlock()
	for _, sub := range *c.subs.Load() {
		sub.finish()
	}
}
