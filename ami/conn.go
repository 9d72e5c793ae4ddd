package ami

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/staskobzar/goami2"
)

// bannerPrefix starts the line Asterisk sends first on every AMI connection.
const bannerPrefix = "Asterisk Call Manager/"

// session is one TCP connection to Asterisk, from banner to close. The Client replaces it with a
// new one on reconnect; a session never reconnects itself, so everything waiting on it can simply
// fail with the session's error when it dies.
type session struct {
	conn    net.Conn
	br      *bufio.Reader
	banner  string        // e.g. "Asterisk Call Manager/11.0.0"
	maxMsg  int           // bytes; a longer message is a protocol error
	wtime   time.Duration // write deadline when the caller's context has none
	deliver func(*Message)
	counts  *counters

	writeMu sync.Mutex

	mu      sync.Mutex
	pending map[string]*pending
	live    bool       // events go to deliver; before that they are held (login in progress)
	held    []*Message // events that arrived before live, in order

	done      chan struct{} // closed by close
	readDone  chan struct{} // closed when the reader has delivered its last event
	err       error         // why the session ended; set before done is closed
	closeOnce sync.Once
}

// pending is one action waiting for its answer.
type pending struct {
	action    string
	id        string
	list      bool   // gather events until "EventList: Complete"
	waitEvent string // after a successful response, also wait for this event (e.g. OriginateResponse)
	abandoned bool   // the caller gave up; swallow the rest of the list

	resp     *Message
	items    []*Message
	final    *Message // the Complete event of a list, or waitEvent
	err      error
	done     chan struct{}
	finished bool
}

// newSession reads the banner and starts the reader goroutine. deliver is called from that
// goroutine for every event that is not part of an action's answer, in the order received.
func newSession(ctx context.Context, conn net.Conn, maxMsg int, wtime time.Duration, counts *counters, deliver func(*Message)) (*session, error) {
	s := &session{
		conn:     conn,
		br:       bufio.NewReaderSize(conn, 16<<10),
		maxMsg:   maxMsg,
		wtime:    wtime,
		deliver:  deliver,
		counts:   counts,
		pending:  map[string]*pending{},
		done:     make(chan struct{}),
		readDone: make(chan struct{}),
	}
	// The banner must come quickly; the context bounds the wait.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	line, err := s.readLine(512)
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	_ = conn.SetReadDeadline(time.Time{})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ami: read banner: %w", err)
	}
	s.banner = strings.TrimRight(string(line), "\r\n")
	if !strings.HasPrefix(s.banner, bannerPrefix) {
		conn.Close()
		return nil, fmt.Errorf("%w: banner %.80q is not Asterisk's", ErrProtocol, s.banner)
	}
	go s.readLoop()
	return s, nil
}

// readLine reads one line of at most max bytes.
func (s *session) readLine(max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := s.br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > max {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, max)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

func (s *session) readLoop() {
	defer close(s.readDone)
	s.close(s.receive())
}

func (s *session) readerDone() <-chan struct{} { return s.readDone }

// receive splits the stream into messages (header lines up to an empty line) and hands each to
// handle. It returns only on a read error or a protocol violation.
func (s *session) receive() error {
	buf := make([]byte, 0, 4096)
	lineStart := 0
	for {
		frag, err := s.br.ReadSlice('\n')
		if len(buf)+len(frag) > s.maxMsg {
			return fmt.Errorf("%w: message longer than %d bytes", ErrProtocol, s.maxMsg)
		}
		buf = append(buf, frag...)
		if err == bufio.ErrBufferFull {
			continue // a long line: keep reading it
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			return fmt.Errorf("ami: read: %w", err)
		}
		line := buf[lineStart:]
		if !isBlank(line) {
			lineStart = len(buf)
			continue
		}
		if lineStart > 0 { // a blank line before any header is noise between messages, not a message
			s.handle(parseMessage(string(buf), s.counts))
		}
		if cap(buf) > 64<<10 {
			buf = make([]byte, 0, 4096) // do not keep one huge message's buffer forever
		}
		buf, lineStart = buf[:0], 0
	}
}

func isBlank(line []byte) bool {
	return bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n"))
}

// parseMessage parses with goami2's parser, which is fast but strict (header names of two or more
// letters, digits and '-', CRLF line ends); what it refuses is parsed leniently instead, so that
// no message Asterisk sends is lost.
func parseMessage(raw string, counts *counters) *Message {
	if m, err := goami2.Parse(raw); err == nil {
		return m
	}
	if counts != nil {
		counts.lenient.Add(1)
	}
	return parseLenient(raw)
}

// parseLenient splits at the first ':' of each line and trims the spaces after it; a line without
// ':' becomes a header with an empty name (old "Response: Follows" command output looks so).
func parseLenient(raw string) *Message {
	m := goami2.NewMessage()
	for line := range strings.Lines(raw) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			m.AddField("", line)
			continue
		}
		m.AddField(strings.TrimSpace(name), strings.TrimLeft(value, " "))
	}
	return m
}

// handle routes one message. An event is what has an Event header (OriginateResponse has a
// Response header too); a response has a Response header and no Event. A message with neither is
// treated as a nameless event, so that it is still delivered (or gathered into its list).
func (s *session) handle(m *Message) {
	name := m.Field("Event")
	if name == "" && m.Field("Response") != "" {
		s.handleResponse(m)
		return
	}
	s.handleEvent(name, m)
}

func (s *session) handleResponse(m *Message) {
	id := m.ActionID()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending[id]
	if p == nil {
		// The caller gave up (its context ended) before the answer came.
		if s.counts != nil {
			s.counts.unmatched.Add(1)
		}
		return
	}
	p.resp = m
	switch {
	case strings.EqualFold(m.Field("Response"), "Error"):
		s.finish(p, &ActionError{Action: p.action, ActionID: id, Message: m.Field("Message"), Response: m})
	case p.list && strings.EqualFold(m.Field("EventList"), "start"):
		// the items follow as events
	case p.waitEvent != "" && !p.abandoned:
		// the event follows
	default:
		s.finish(p, nil)
	}
}

func (s *session) handleEvent(name string, m *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) > 0 {
		if p := s.pending[m.ActionID()]; p != nil {
			if p.list {
				if strings.EqualFold(m.Field("EventList"), "Complete") {
					p.final = m
					s.finish(p, nil)
				} else if !p.abandoned {
					p.items = append(p.items, m)
				}
				return // list items are the action's answer, not part of the event stream
			}
			if name != "" && strings.EqualFold(name, p.waitEvent) {
				p.final = m
				s.finish(p, nil)
			}
		}
	}
	if !s.live {
		s.held = append(s.held, m)
		return
	}
	s.deliver(m)
}

// goLive starts delivering events, first those held during login. first runs before them under
// the same lock, so that a subscriber sees e.g. Reconnected before the events of the new session.
func (s *session) goLive(first func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first()
	for _, m := range s.held {
		s.deliver(m)
	}
	s.held, s.live = nil, true
}

// finish completes p; s.mu must be held.
func (s *session) finish(p *pending, err error) {
	if p.finished {
		return
	}
	p.finished, p.err = true, err
	delete(s.pending, p.id)
	close(p.done)
}

// close ends the session once; every waiting action fails with err.
func (s *session) close(err error) {
	s.closeOnce.Do(func() {
		if err == nil {
			err = errors.New("closed")
		}
		s.conn.Close()
		s.mu.Lock()
		s.err = err
		for _, p := range s.pending {
			s.finish(p, fmt.Errorf("ami: %s: %w: %w", p.action, ErrDisconnected, err))
		}
		s.mu.Unlock()
		close(s.done)
	})
}

// send writes the action and waits for its answer. The caller has set the ActionID.
func (s *session) send(ctx context.Context, m *Message, list bool, waitEvent string) (*pending, error) {
	action := m.Field("Action")
	id := m.ActionID()
	wire, err := encode(m)
	if err != nil {
		return nil, fmt.Errorf("ami: %s: %w", action, err)
	}
	p := &pending{action: action, id: id, list: list, waitEvent: waitEvent, done: make(chan struct{})}
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return nil, fmt.Errorf("ami: %s: %w: %w", action, ErrDisconnected, s.err)
	default:
	}
	if _, dup := s.pending[id]; dup {
		s.mu.Unlock()
		return nil, fmt.Errorf("ami: %s: ActionID %q is already waiting for an answer", action, id)
	}
	s.pending[id] = p
	s.mu.Unlock()

	if err := s.write(ctx, wire); err != nil {
		s.mu.Lock()
		s.finish(p, nil)
		s.mu.Unlock()
		return nil, fmt.Errorf("ami: %s: %w", action, err)
	}
	select {
	case <-p.done:
		return p, p.err
	case <-ctx.Done():
		s.mu.Lock()
		if p.finished { // the answer and the deadline crossed: take the answer
			s.mu.Unlock()
			return p, p.err
		}
		if p.list {
			p.abandoned, p.items = true, nil // keep swallowing its items until Complete
		} else {
			s.finish(p, nil)
		}
		s.mu.Unlock()
		return nil, fmt.Errorf("ami: %s: waiting for the answer: %w", action, ctx.Err())
	}
}

// write sends one encoded message. A failed or partial write leaves the stream in an unknown
// state, so it ends the session (the Client reconnects).
func (s *session) write(ctx context.Context, wire []byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := ctx.Err(); err != nil {
		return err // nothing written: the session is still sound
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(s.wtime)
	}
	_ = s.conn.SetWriteDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = s.conn.SetWriteDeadline(time.Now()) })
	_, err := s.conn.Write(wire)
	stop()
	if err != nil {
		err = fmt.Errorf("write: %w", err)
		s.close(err)
		return fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return nil
}

// encode renders m for the wire, refusing what would break AMI's framing (and could smuggle
// extra headers or actions in from a value).
func encode(m *Message) ([]byte, error) {
	n := 2
	for _, h := range m.Headers() {
		n += len(h.Name) + len(h.Value) + 4
	}
	b := make([]byte, 0, n)
	for _, h := range m.Headers() {
		if h.Name == "" || strings.ContainsAny(h.Name, ":\r\n") {
			return nil, fmt.Errorf("invalid header name %q", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n") {
			return nil, fmt.Errorf("header %s: value contains a line break", h.Name)
		}
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...), nil
}
