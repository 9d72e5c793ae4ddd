package ari

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
)

// Defaults for the zero values of Config.
const (
	DefaultEventBuffer         = 1024
	DefaultSlowConsumerTimeout = 5 * time.Second
	DefaultMinBackoff          = 100 * time.Millisecond
	DefaultMaxBackoff          = 10 * time.Second
	DefaultPingInterval        = 10 * time.Second
	DefaultRequestTimeout      = 10 * time.Second
	// DefaultReadLimit bounds one websocket message. An ARI event with many channel variables
	// can exceed the websocket library's 32 KiB default.
	DefaultReadLimit = 4 << 20
)

// Config says how to reach Asterisk's ARI. URL, Username, Password and Application are required;
// every other zero value means the documented default.
type Config struct {
	URL          string // REST base, e.g. http://127.0.0.1:8088/ari
	WebsocketURL string // events; default: URL with scheme ws(s) and path .../events
	Username     string
	Password     string
	Application  string // the Stasis application this connection registers and receives events for
	SubscribeAll bool   // receive every event in Asterisk, not only the application's

	HTTPClient *http.Client // REST and the websocket handshake; default: a pooled client, no overall timeout (contexts bound each call)
	Logger     *slog.Logger // default slog.Default()

	// EventBuffer is how many decoded events wait for the consumer (default 1024). When it is full
	// the reader stops reading the websocket, so the socket buffers fill next and Asterisk's
	// websocket write blocks.
	EventBuffer int
	// SlowConsumerTimeout is how long the reader waits on a full buffer before giving up on the
	// websocket (default 5 s): it then drops the connection, delivers Disconnected{Err:
	// ErrSlowConsumer} after the events it holds, and reconnects. Asterisk may drop the websocket
	// sooner by itself (ari.conf websocket_write_timeout); that also arrives as Disconnected.
	SlowConsumerTimeout time.Duration

	// RequestTimeout bounds a REST call whose context has no deadline (default 10 s), so a hung
	// Asterisk cannot hang the caller. DownloadStoredRecording is bounded by its context only.
	RequestTimeout time.Duration

	// Redial, when set, is asked before every reconnection (not the first connection): a non-nil
	// error ends Run with that error, undialled. Registering the application again takes it from
	// whichever client has it now, so the owner of the Conn may need to check first that it is
	// still its to take.
	Redial func(ctx context.Context) error

	MinBackoff   time.Duration // first reconnect delay (default 100 ms); doubles per failure, with jitter
	MaxBackoff   time.Duration // cap of the reconnect delay (default 10 s)
	PingInterval time.Duration // websocket ping, to notice a dead peer (default 10 s)
}

// Conn is hotline's connection to one Asterisk's ARI: typed REST operations, and the application's
// events in order to one consumer (Events). REST works without Run; events flow while Run runs.
// A Conn is safe for concurrent REST calls.
type Conn struct {
	cfg     Config
	restURL string
	wsURL   string
	http    *http.Client
	direct  *direct // REST without net/http's goroutines, when it may (direct.go)
	log     *slog.Logger
	events  chan Event
	handler Handler // SetHandler's: events go to it instead of events
	running atomic.Bool

	// counters for Stats and Metrics
	delivered   atomic.Uint64
	unknown     atomic.Uint64
	bufferFull  atomic.Uint64
	slow        atomic.Uint64
	reconnects  atomic.Uint64
	connected   atomic.Bool
	deliverWait atomic.Bool // the reader is waiting on a full buffer (pings would time out: skip them)
	eventBytes  atomic.Uint64
	copies      atomic.Uint64 // events dropped as copies of one just read (recentEvents)

	// Per event type and per REST operation: what a call costs Asterisk to say and hotline to ask.
	countMu  sync.Mutex
	byType   map[string]uint64
	requests map[string]uint64
	kinds    map[string]string // each kind of requests once as a string: counting allocates nothing

	mu          sync.Mutex
	node        string          // asterisk_id of the last connected Asterisk
	unknownSeen map[string]bool // untyped event types already logged at Warn
}

// New checks cfg and returns a Conn. It does not connect: REST calls connect per request, and Run
// keeps the event websocket.
func New(cfg Config) (*Conn, error) {
	if cfg.URL == "" || cfg.Application == "" || cfg.Username == "" {
		return nil, errors.New("ari: config needs URL, Username and Application (and Password)")
	}
	base, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("ari: config URL %q: want http(s)://host:port/ari", cfg.URL)
	}
	if strings.Contains(cfg.Application, ",") {
		return nil, fmt.Errorf("ari: config Application %q: one application per Conn", cfg.Application)
	}
	if cfg.WebsocketURL == "" {
		ws := *base
		ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[base.Scheme]
		ws.Path += "/events"
		cfg.WebsocketURL = ws.String()
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = DefaultEventBuffer
	}
	if cfg.SlowConsumerTimeout <= 0 {
		cfg.SlowConsumerTimeout = DefaultSlowConsumerTimeout
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	hc := cfg.HTTPClient
	var dr *direct
	if hc == nil {
		dr = newDirect(base, cfg.Username, cfg.Password)
		t := http.DefaultTransport.(*http.Transport).Clone()
		// A call centre sends bursts of requests to one host; the default of 2 idle connections
		// per host would reopen TCP connections all the time.
		t.MaxIdleConnsPerHost = 32
		hc = &http.Client{Transport: t}
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	q := url.Values{"app": {cfg.Application}}
	if cfg.SubscribeAll {
		q.Set("subscribeAll", "true")
	}
	return &Conn{
		cfg:     cfg,
		restURL: base.String(),
		wsURL:   cfg.WebsocketURL + "?" + q.Encode(),
		http:    hc,
		direct:  dr,
		log:     lg.With("ari_app", cfg.Application),
		events:  make(chan Event, cfg.EventBuffer),
	}, nil
}

// Application returns the Stasis application name of this Conn.
func (c *Conn) Application() string { return c.cfg.Application }

// Events returns the event stream: Connected first, then Asterisk's events in the order Asterisk
// sent them, with Disconnected/Reconnected where the websocket dropped. It has exactly one consumer
// (two readers would each see a part, out of order) and is closed when Run returns. Its capacity is
// Config.EventBuffer; len() of it is the current depth.
func (c *Conn) Events() <-chan Event { return c.events }

// Handler takes the connection's events on its websocket reader's goroutine, in the order Asterisk
// sent them, with the connection events (Connected, Disconnected, Reconnected) among them as on
// Events. It may wait (back-pressure: the reader stops reading meanwhile), as a full Events does;
// waiting longer than Config.SlowConsumerTimeout on one of Asterisk's events drops the websocket as
// then. A connection event is waited for as long as it takes (its handling may list Asterisk's
// state), with pings held meanwhile. ctx is Run's.
type Handler func(ctx context.Context, ev Event)

// SetHandler makes Run hand every event to h instead of putting it on Events (which then stays
// empty, and is closed when Run returns): no goroutine between the websocket and the consumer,
// where Events costs the consumer's goroutine a wake-up per event. Call it before Run.
func (c *Conn) SetHandler(h Handler) error {
	if c.running.Load() {
		return errors.New("ari: SetHandler after Run")
	}
	c.handler = h
	return nil
}

// Stats is a snapshot of the event stream's counters.
type Stats struct {
	Depth, Capacity int    // events buffered now, and the bound
	Delivered       uint64 // events put on the stream (connection events included)
	Unknown         uint64 // of which *Unknown
	BufferFull      uint64 // times the reader found the buffer full and had to wait (never with a Handler)
	SlowConsumer    uint64 // times it waited longer than SlowConsumerTimeout and dropped the websocket
	Reconnects      uint64
	Connected       bool
	EventBytes      uint64            // websocket payload bytes read (the JSON hotline decodes)
	EventsByType    map[string]uint64 // events read, by ARI type (copies included)
	Copies          uint64            // events read and dropped as a copy of one just read
	Requests        map[string]uint64 // REST requests sent, by operation (answer, originate...)
	// Connections: the REST connections dialled ("dialled") and closed, by reason ("closed_idle":
	// kept past the idle limit, "closed_dead": found closed by Asterisk when taken, "closed_spare":
	// more than the pool keeps, "closed_by_server": the answer said close, "closed_on_error": a
	// failed exchange, "closed_cancelled": the context ended as the answer was read); dialled less
	// every close is the connections open. nil when requests go through net/http (https, or a
	// client of the caller's).
	Connections map[string]uint64
}

// Stats returns the current counters.
func (c *Conn) Stats() Stats {
	s := Stats{
		Depth: len(c.events), Capacity: cap(c.events),
		Delivered: c.delivered.Load(), Unknown: c.unknown.Load(), BufferFull: c.bufferFull.Load(),
		SlowConsumer: c.slow.Load(), Reconnects: c.reconnects.Load(), Connected: c.connected.Load(),
		EventBytes: c.eventBytes.Load(), Copies: c.copies.Load(), EventsByType: c.copyCounts(&c.byType), Requests: c.copyCounts(&c.requests),
	}
	if c.direct != nil {
		s.Connections = c.direct.connections()
	}
	return s
}

// copyCounts copies *m (byType or requests), read under countMu: the first count makes the map.
func (c *Conn) copyCounts(m *map[string]uint64) map[string]uint64 {
	c.countMu.Lock()
	defer c.countMu.Unlock()
	out := make(map[string]uint64, len(*m))
	for k, v := range *m {
		out[k] = v
	}
	return out
}

// count adds one to key in m (byType or requests).
func (c *Conn) count(m *map[string]uint64, key string) {
	c.countMu.Lock()
	if *m == nil {
		*m = map[string]uint64{}
	}
	(*m)[key]++
	c.countMu.Unlock()
}

// countRequest adds one to the requests of method on path's kind (restKind).
func (c *Conn) countRequest(method, path string) {
	var buf [64]byte
	kind := appendRESTKind(buf[:0], method, path)
	c.countMu.Lock()
	if c.requests == nil {
		c.requests, c.kinds = map[string]uint64{}, map[string]string{}
	}
	key, ok := c.kinds[string(kind)] // a lookup by string(kind) does not copy kind
	if !ok {
		key = string(kind)
		c.kinds[key] = key
	}
	c.requests[key]++
	c.countMu.Unlock()
}

// Run keeps the application's websocket connected until ctx ends, delivering events to Events (or
// to the Handler), and then closes Events. It reconnects with capped exponential backoff and
// jitter; it returns only when ctx is done (ctx.Err()), when Config.Redial refuses a reconnection
// (its error), or when called twice.
func (c *Conn) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("ari: Run called twice on one Conn")
	}
	defer close(c.events)
	var (
		everUp    bool
		downSince time.Time
		attempts  int
	)
	for {
		attempts++
		if everUp && c.cfg.Redial != nil {
			if err := c.cfg.Redial(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.log.Warn("ari: not reconnecting", "err", err)
				return err
			}
		}
		ws, err := c.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d := c.backoff(attempts)
			c.log.Warn("ari: websocket dial failed", "url", c.cfg.WebsocketURL, "attempt", attempts, "retry_in", d, "err", err)
			if !sleep(ctx, d) {
				return ctx.Err()
			}
			continue
		}
		c.connected.Store(true)
		var state Event
		if !everUp {
			everUp = true
			c.log.Info("ari: connected", "url", c.cfg.WebsocketURL)
			state = &Connected{EventData: c.stateData(EventConnected)}
		} else {
			c.reconnects.Add(1)
			down := time.Since(downSince)
			c.log.Info("ari: reconnected", "downtime", down, "attempts", attempts)
			state = &Reconnected{EventData: c.stateData(EventReconnected), Downtime: down, Attempts: attempts}
		}
		attempts = 0
		err = c.read(ctx, ws, state)
		_ = ws.CloseNow()
		c.connected.Store(false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		downSince = time.Now()
		c.log.Warn("ari: disconnected", "err", err)
		if !c.deliver(ctx, &Disconnected{EventData: c.stateData(EventDisconnected), Err: err}, nil) {
			return ctx.Err()
		}
	}
}

func (c *Conn) stateData(typ string) ariv6.EventData {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ariv6.EventData{Type: typ, Application: c.cfg.Application, Node: c.node, Timestamp: ariv6.DateTime(time.Now())}
}

func (c *Conn) dial(ctx context.Context) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", "Basic "+basicAuth(c.cfg.Username, c.cfg.Password))
	// The websocket lives for hours: an overall http.Client.Timeout meant for REST must not bound it
	// (the handshake is bounded by dctx).
	hc := *c.http
	hc.Timeout = 0
	ws, resp, err := websocket.Dial(dctx, c.wsURL, &websocket.DialOptions{HTTPClient: &hc, HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("ari: websocket %s: 401 Unauthorized: check the ARI user and password (ari.conf)", c.cfg.WebsocketURL)
		}
		return nil, fmt.Errorf("ari: websocket %s: %w", c.cfg.WebsocketURL, err)
	}
	ws.SetReadLimit(DefaultReadLimit)
	return ws, nil
}

// read delivers first, then every message of ws until it fails; it returns why.
func (c *Conn) read(ctx context.Context, ws *websocket.Conn, first Event) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pingErr atomic.Pointer[error]
	go c.pinger(rctx, ws, &pingErr)

	var slow atomic.Bool
	onSlow := func() {
		// The consumer has not taken an event for SlowConsumerTimeout: stop reading rather than
		// pretend; the consumer learns of the gap from Disconnected.
		slow.Store(true)
		c.slow.Add(1)
		if c.handler != nil {
			c.log.Error("ari: event handler too slow, dropping the websocket", "waited", c.cfg.SlowConsumerTimeout)
		} else {
			c.log.Error("ari: event consumer too slow, dropping the websocket", "buffer", cap(c.events), "waited", c.cfg.SlowConsumerTimeout)
		}
		_ = ws.CloseNow()
	}
	// Read with a context that is never cancelled: cancelling a read makes the websocket library
	// drop the TCP connection. Stopping instead sends a close frame, so Asterisk sees a clean close.
	stop := context.AfterFunc(ctx, func() { _ = ws.Close(websocket.StatusNormalClosure, "hotline stopping") })
	defer stop()
	if !c.deliver(ctx, first, onSlow) {
		return ctx.Err()
	}
	// With a handler, one timer watches for a slow consumer: armed while the handler has an event
	// (Reset and Stop, no allocation per event), it drops the websocket as a full Events does.
	var watch *time.Timer
	if c.handler != nil {
		watch = time.AfterFunc(time.Hour, onSlow)
		watch.Stop()
		defer watch.Stop()
	}
	var recent recentEvents
	var spare []byte // a buffer no longer held: a copy's, or one the recent window let go
	rdctx := context.WithoutCancel(rctx)
	for {
		data, err := readMessage(rdctx, ws, spare)
		spare = nil
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if slow.Load() {
			return ErrSlowConsumer
		}
		if err != nil {
			if p := pingErr.Load(); p != nil {
				return *p
			}
			return fmt.Errorf("ari: read websocket: %w", err)
		}
		c.eventBytes.Add(uint64(len(data)))
		if typ, ok := recent.copyOf(data); ok {
			c.count(&c.byType, typ)
			c.copies.Add(1)
			spare = data
			continue
		}
		ev := Decode(data) // holds none of data's bytes: decoding copies, Unknown keeps a copy
		c.count(&c.byType, ev.GetType())
		spare = recent.add(data, ev.GetType())
		if u, ok := ev.(*Unknown); ok {
			c.unknown.Add(1)
			c.logUnknown(u)
		}
		if n := ev.GetNode(); n != "" {
			c.mu.Lock()
			c.node = n
			c.mu.Unlock()
		}
		if watch != nil {
			watch.Reset(c.cfg.SlowConsumerTimeout)
			c.handler(ctx, ev)
			watch.Stop()
			c.delivered.Add(1)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		} else if !c.deliver(ctx, ev, onSlow) {
			return ctx.Err()
		}
		if slow.Load() {
			return ErrSlowConsumer
		}
	}
}

// deliver puts ev on the stream, waiting as long as it takes (until ctx ends: then false). If the
// buffer stays full for SlowConsumerTimeout it calls onSlow once and keeps waiting: the event in
// hand is never dropped.
func (c *Conn) deliver(ctx context.Context, ev Event, onSlow func()) bool {
	if c.handler != nil {
		// Only the connection events reach here with a handler (read hands the rest over with
		// its watch): their handling may list Asterisk's state, and the pong of a ping sent
		// meanwhile is not read until it returns.
		c.deliverWait.Store(true)
		c.handler(ctx, ev)
		c.deliverWait.Store(false)
		c.delivered.Add(1)
		return ctx.Err() == nil
	}
	select {
	case c.events <- ev:
		c.delivered.Add(1)
		return true
	default:
	}
	c.bufferFull.Add(1)
	c.deliverWait.Store(true)
	defer c.deliverWait.Store(false)
	t := time.NewTimer(c.cfg.SlowConsumerTimeout)
	defer t.Stop()
	for {
		select {
		case c.events <- ev:
			c.delivered.Add(1)
			return true
		case <-ctx.Done():
			return false
		case <-t.C:
			if onSlow != nil {
				onSlow()
				onSlow = nil
			}
		}
	}
}

func (c *Conn) pinger(ctx context.Context, ws *websocket.Conn, failed *atomic.Pointer[error]) {
	tk := time.NewTicker(c.cfg.PingInterval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if c.deliverWait.Load() {
			continue // the pong cannot be read while the reader waits; that case has its own limit
		}
		before := c.delivered.Load()
		pctx, cancel := context.WithTimeout(ctx, c.cfg.PingInterval)
		err := ws.Ping(pctx)
		cancel()
		// A pong is read only by the reader: while it hands events over (a handler applying
		// back-pressure) the pong waits behind them. Events taken meanwhile show Asterisk is
		// there; a stuck consumer has its own limit (SlowConsumerTimeout).
		if err != nil && ctx.Err() == nil && !c.deliverWait.Load() && c.delivered.Load() == before {
			err = fmt.Errorf("ari: websocket ping: %w", err)
			failed.Store(&err)
			_ = ws.CloseNow()
			return
		}
	}
}

// backoff is the delay before dial attempt n+1: MinBackoff doubling per attempt up to MaxBackoff,
// with jitter in [d/2, d] so that many clients do not reconnect in step after an Asterisk restart.
func (c *Conn) backoff(n int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 1; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// logUnknown warns once per type (a newer Asterisk may send one often), then logs at Debug.
func (c *Conn) logUnknown(u *Unknown) {
	c.mu.Lock()
	first := !c.unknownSeen[u.Type]
	if first {
		if c.unknownSeen == nil {
			c.unknownSeen = map[string]bool{}
		}
		c.unknownSeen[u.Type] = true
	}
	c.mu.Unlock()
	level := slog.LevelDebug
	if first {
		level = slog.LevelWarn
	}
	c.log.Log(context.Background(), level, "ari: event not typed, delivered raw", "type", u.Type, "err", u.Err, "raw", string(truncate(u.Raw, 512)))
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// recentEvents remembers the last few messages read, to drop the copies Asterisk sends of one
// event: it sends an event once per subscription of the application it reaches, so with the
// application subscribed to a channel and to its endpoint (e.g. "endpoint:PJSIP"), the channel's
// hang-up request and destruction, and a playback's end, come twice (docs/benchmark.md: 4 of
// hotline's 14 events a call while it subscribed to endpoint:PJSIP; none since). A copy is byte for byte the event, its timestamp (to the
// millisecond) included; two distinct events never are. Copies are adjacent, or nearly: they are
// published one after the other on the thread that raised the event.
type recentEvents struct {
	data [8][]byte
	typ  [8]string
	next int
}

// copyOf reports whether data is one of the recent messages, and its type.
func (r *recentEvents) copyOf(data []byte) (string, bool) {
	for i := range r.data {
		if len(r.data[i]) == len(data) && bytes.Equal(r.data[i], data) {
			return r.typ[i], true
		}
	}
	return "", false
}

// add remembers data (a message the reader no longer writes to) and its type, and returns the
// message it forgets to make room (nil while the window fills): its buffer is free again.
func (r *recentEvents) add(data []byte, typ string) []byte {
	old := r.data[r.next]
	r.data[r.next], r.typ[r.next] = data, typ
	r.next = (r.next + 1) % len(r.data)
	return old
}

// readMessage reads the next message into buf's space (growing it as needed): the websocket
// library's Read allocates a buffer per message and grows it by copying from 512 bytes, where
// a call's events are ~0.5–1 KB each. The reader reuses the buffers of copies and of messages
// the recent window has forgotten.
func readMessage(ctx context.Context, ws *websocket.Conn, buf []byte) ([]byte, error) {
	_, r, err := ws.Reader(ctx)
	if err != nil {
		return nil, err
	}
	if cap(buf) == 0 || cap(buf) > 64<<10 {
		// A rare large message's buffer is not kept going round (nine of them could pin 36 MB).
		buf = make([]byte, 0, 2048)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
