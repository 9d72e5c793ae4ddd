package sipphone

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// State is where a call is.
type State int

const (
	Calling  State = iota + 1 // INVITE sent, no ringing yet
	Ringing                   // 180/183 received; or an incoming call not yet answered
	Answered                  // 2xx sent or received
	Ended
)

func (s State) String() string {
	switch s {
	case Calling:
		return "calling"
	case Ringing:
		return "ringing"
	case Answered:
		return "answered"
	case Ended:
		return "ended"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Side says who did something: this phone or the other end.
type Side int

const (
	Local Side = iota + 1
	Remote
)

func (s Side) String() string {
	if s == Local {
		return "local"
	}
	return "remote"
}

// End is why a call ended.
type End struct {
	By     Side
	Code   int    // the SIP status that ended it, if one did (486, 487, 603...); 0 for BYE
	Reason string // e.g. "BYE received", "BYE sent", "486 Busy Here", "CANCEL received"
}

func (e End) String() string { return fmt.Sprintf("%s: %s", e.By, e.Reason) }

// CallerID is who an incoming call says it is from.
type CallerID struct {
	Display    string // From display name
	User       string // From user
	PAIDisplay string // P-Asserted-Identity display name, if any
	PAIUser    string // P-Asserted-Identity user, if any
}

// ErrCallEnded is returned by operations on a call that has ended.
var ErrCallEnded = errors.New("sipphone: call ended")

type answerCmd struct {
	code   int
	reason string
	result chan error
}

// Call is one call of a Phone, outgoing or incoming. Its methods are safe for concurrent use.
type Call struct {
	p        *Phone
	log      *slog.Logger
	callID   string
	outgoing bool
	target   string // the user called (outgoing) or calling (incoming)
	called   string // an incoming call's Request-URI user: the number dialled
	cs       *sipgo.DialogClientSession
	ss       *sipgo.DialogServerSession
	media    *media
	session  uint64
	answerCh chan answerCmd
	decided  chan struct{}      // closed when an incoming call's answer or refusal is settled
	cancel   context.CancelFunc // stops an outgoing INVITE (CANCEL)

	mu           sync.Mutex
	state        State
	history      []State
	codes        []int
	end          End
	caller       CallerID
	invited      time.Time // an incoming call's INVITE reached the phone's handler
	version      uint64
	ackSDP       bool       // we offered in a 2xx: the answer comes in the ACK
	transfers    []notified // sorted by CSeq: sipgo handles each request in its own goroutine
	transferDone bool
	refresh      *time.Timer
	reinvites    int // re-INVITEs and UPDATEs received and answered
	refreshed    int // our session refreshes (UPDATE) answered 2xx
	waiters      []chan struct{}
	done         chan struct{}
}

func (p *Phone) newCall(outgoing bool) (*Call, error) {
	var src Source
	switch {
	case p.cfg.Audio != nil:
		src = p.cfg.Audio()
	default:
		src = &Tone{Hz: p.cfg.Tone}
	}
	c := &Call{
		p:        p,
		outgoing: outgoing,
		session:  rand.Uint64() >> 1,
		answerCh: make(chan answerCmd),
		decided:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	c.log = p.log
	m, err := newMedia(p.log, p.cfg.IP, src, p.cfg.Detect)
	if m != nil {
		m.linger = p.cfg.PortLinger
	}
	if err != nil {
		return nil, err
	}
	c.media = m
	return c, nil
}

// Invite places a call to target ("1002", "100", or a sip: URI) and returns as soon as the
// INVITE is sent; WaitAnswer waits for the answer. hdrs are added to the INVITE.
func (p *Phone) Invite(ctx context.Context, target string, hdrs ...sip.Header) (*Call, error) {
	uri, err := p.targetURI(target)
	if err != nil {
		return nil, err
	}
	c, err := p.newCall(true)
	if err != nil {
		return nil, err
	}
	c.target = uri.User
	c.callID = sip.GenerateTagN(24)
	c.log = p.log.With("call", c.callID, "to", target)
	c.state, c.history = Calling, []State{Calling}

	req := sip.NewRequest(sip.INVITE, uri)
	from := &sip.FromHeader{DisplayName: p.cfg.DisplayName, Params: sip.NewParams(),
		Address: sip.Uri{Scheme: "sip", User: p.cfg.User, Host: p.server.Addr().String()}}
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := &sip.ToHeader{Params: sip.NewParams(), Address: sip.Uri{Scheme: "sip", User: uri.User, Host: uri.Host, Port: uri.Port}}
	cid := sip.CallIDHeader(c.callID)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(sip.HeaderClone(&p.contact))
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))
	req.AppendHeader(sip.NewHeader("Supported", "replaces"))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.SetBody(c.offer())
	req.Laddr = p.laddr()

	if err := p.addCall(c); err != nil {
		c.media.close()
		return nil, err
	}
	inviteCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	cs, err := p.dialog.WriteInvite(ctx, req)
	if err != nil {
		cancel()
		c.finish(End{By: Local, Reason: "INVITE not sent: " + err.Error()})
		return nil, fmt.Errorf("sipphone: %s: invite %s: %w", p.cfg.User, target, err)
	}
	c.cs = cs
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		c.runOutgoing(inviteCtx)
	}()
	c.log.Debug("INVITE sent")
	return c, nil
}

// Dial places a call and waits until it is answered. When ctx ends first, it cancels the call.
// A call refused returns a *ResponseError, and the call too (for its Codes and End).
func (p *Phone) Dial(ctx context.Context, target string, hdrs ...sip.Header) (*Call, error) {
	c, err := p.Invite(ctx, target, hdrs...)
	if err != nil {
		return nil, err
	}
	if err := c.WaitAnswer(ctx); err != nil {
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Hangup(hctx)
		return c, err
	}
	return c, nil
}

func (c *Call) runOutgoing(ctx context.Context) {
	defer c.cancel()
	opts := sipgo.AnswerOptions{OnResponse: c.onResponse}
	if c.p.cfg.Password != "" {
		opts.Username, opts.Password = c.p.cfg.User, c.p.cfg.Password
	}
	err := c.cs.WaitAnswer(ctx, opts)
	res := c.cs.InviteResponse
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			c.finish(End{By: Remote, Code: de.Res.StatusCode, Reason: fmt.Sprintf("%d %s", de.Res.StatusCode, de.Res.Reason)})
		case ctx.Err() != nil && res != nil && res.IsSuccess():
			// Answered while we cancelled: confirm and hang up at once.
			_ = c.cs.Ack(context.Background())
			byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = c.cs.Bye(byeCtx)
			cancel()
			c.finish(End{By: Local, Code: 487, Reason: "CANCEL sent (answered meanwhile: BYE sent)"})
		case ctx.Err() != nil:
			if res != nil && res.StatusCode >= 300 {
				c.mu.Lock()
				c.codes = append(c.codes, res.StatusCode) // the 487 that WaitAnswer read itself
				c.mu.Unlock()
			}
			c.finish(End{By: Local, Code: 487, Reason: "CANCEL sent"})
		default:
			c.finish(End{By: Local, Reason: "INVITE failed: " + err.Error()})
		}
		c.cs.Close()
		return
	}
	d, perr := parseSDP(res.Body())
	if err := c.cs.Ack(context.Background()); err != nil {
		c.log.Warn("ACK failed", "error", err)
	}
	if perr != nil {
		byeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.cs.Bye(byeCtx)
		cancel()
		c.finish(End{By: Local, Reason: "answer without usable SDP: " + perr.Error()})
		return
	}
	c.media.setRemote(d, d.direction.reverse())
	c.media.start()
	c.timersFromResponse(res)
	c.setState(Answered)
	c.log.Debug("answered", "rtp", d.Addr, "pt", d.Payloads[0])
}

func (c *Call) onResponse(res *sip.Response) error {
	c.mu.Lock()
	c.codes = append(c.codes, res.StatusCode)
	c.notifyLocked()
	c.mu.Unlock()
	if res.StatusCode == 180 || res.StatusCode == 183 {
		c.mu.Lock()
		if c.state == Calling {
			c.state = Ringing
			c.history = append(c.history, Ringing)
			c.notifyLocked()
		}
		c.mu.Unlock()
		if len(res.Body()) > 0 {
			// Early media: listen to it (a ringback or an announcement).
			if d, err := parseSDP(res.Body()); err == nil {
				c.media.setRemote(d, d.direction.reverse())
			}
		}
	}
	return nil
}

// answerIncoming runs in the INVITE's handler until the final response.
func (p *Phone) answerIncoming(req *sip.Request, tx sip.ServerTransaction) {
	invited := time.Now()
	ss, err := p.dialog.ReadInvite(req, tx)
	if err != nil {
		p.respond(tx, req, 400, "Bad Request")
		return
	}
	var offer *mediaDesc
	if len(req.Body()) > 0 {
		d, err := parseSDP(req.Body())
		if err != nil {
			_ = ss.Respond(488, "Not Acceptable Here", nil)
			return
		}
		offer = &d
	}
	c, err := p.newCall(false)
	if err != nil {
		_ = ss.Respond(500, "Server Internal Error", nil)
		return
	}
	c.ss = ss
	c.invited = invited
	c.callID = req.CallID().Value()
	c.caller = callerID(req)
	c.target = c.caller.User
	c.called = req.Recipient.User
	c.state, c.history = Ringing, []State{Ringing}
	c.log = p.log.With("call", c.callID, "from", c.caller.User)
	if err := p.addCall(c); err != nil {
		c.media.close()
		_ = ss.Respond(480, "Temporarily Unavailable", nil)
		return
	}
	if offer != nil {
		// Listen at once: Asterisk may send early media before we answer.
		c.media.setRemote(*offer, offer.direction.reverse())
	}
	if err := ss.Respond(180, "Ringing", nil); err != nil {
		c.finish(End{By: Remote, Reason: "ringing failed: " + err.Error()})
		return
	}
	p.mu.Lock()
	p.incoming = append(p.incoming, c)
	p.notifyLocked()
	p.mu.Unlock()
	c.log.Debug("ringing", "caller", c.caller)

	var auto <-chan time.Time
	if p.cfg.AutoAnswer {
		t := time.NewTimer(p.cfg.AnswerDelay)
		defer t.Stop()
		auto = t.C
	}
	var cmd answerCmd
	select {
	case <-auto:
		cmd = answerCmd{code: 200}
	case cmd = <-c.answerCh:
	case <-ss.Context().Done():
		close(c.decided)
		c.finish(End{By: Remote, Code: 487, Reason: "CANCEL received"})
		return
	case <-p.quit:
		cmd = answerCmd{code: 480, reason: "Temporarily Unavailable"}
	}
	close(c.decided)
	reply := func(err error) {
		if cmd.result != nil {
			cmd.result <- err
		}
	}
	if cmd.code != 200 {
		err := ss.Respond(cmd.code, cmd.reason, nil)
		c.finish(End{By: Local, Code: cmd.code, Reason: fmt.Sprintf("%d %s sent", cmd.code, cmd.reason)})
		reply(err)
		return
	}
	var body []byte
	if offer != nil {
		body = c.answer(*offer)
	} else {
		c.mu.Lock()
		c.ackSDP = true
		c.mu.Unlock()
		body = c.offer()
	}
	res := sip.NewSDPResponseFromRequest(ss.InviteRequest, body)
	hdrs, weRefresh, interval := sessionTimer(req)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	res.AppendHeader(sip.NewHeader("Allow", allowMethods))
	// WriteResponse retransmits the 200 until the ACK comes (onAck hands it over).
	if err := ss.WriteResponse(res); err != nil {
		c.finish(End{By: Local, Reason: "answer failed: " + err.Error()})
		reply(fmt.Errorf("sipphone: answer: %w", err))
		return
	}
	c.media.start()
	if weRefresh {
		c.scheduleRefresh(interval)
	}
	c.setState(Answered)
	c.log.Debug("answered")
	reply(nil)
}

func callerID(req *sip.Request) CallerID {
	var id CallerID
	if f := req.From(); f != nil {
		id.Display, id.User = f.DisplayName, f.Address.User
	}
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		var u sip.Uri
		params := sip.NewParams()
		if name, err := sip.ParseAddressValue(h.Value(), &u, &params); err == nil {
			id.PAIDisplay, id.PAIUser = name, u.User
		}
	}
	return id
}

// offer is our full SDP offer: PCMU, PCMA and telephone-event.
func (c *Call) offer() []byte {
	c.mu.Lock()
	c.version++
	v := c.version
	c.mu.Unlock()
	return buildSDP(c.session, v, c.p.cfg.User, mediaDesc{
		Addr: c.media.local, Payloads: []uint8{payloadPCMU, payloadPCMA}, EventPT: payloadEvent, direction: sendRecv,
	})
}

// answer accepts an offer: its first codec, its telephone-event type, the mirrored direction.
func (c *Call) answer(offer mediaDesc) []byte {
	dir := offer.direction.reverse()
	c.media.setRemote(offer, dir)
	c.mu.Lock()
	c.version++
	v := c.version
	c.mu.Unlock()
	return buildSDP(c.session, v, c.p.cfg.User, mediaDesc{
		Addr: c.media.local, Payloads: offer.Payloads[:1], EventPT: offer.EventPT, direction: dir,
	})
}

// Refreshes counts the session's in-dialog renegotiations: re-INVITEs and UPDATEs received
// (Asterisk moving media, holding, refreshing the session timer) and our own session refreshes
// that the other side accepted.
func (c *Call) Refreshes() (received, sent int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reinvites, c.refreshed
}

// WaitRefreshes waits until Refreshes reports at least received and sent.
func (c *Call) WaitRefreshes(ctx context.Context, received, sent int) error {
	return c.wait(ctx, func() (bool, error) {
		if c.reinvites >= received && c.refreshed >= sent {
			return true, nil
		}
		if c.state == Ended {
			return true, fmt.Errorf("%w (%d received, %d sent refreshes): %s", ErrCallEnded, c.reinvites, c.refreshed, c.end)
		}
		return false, nil
	})
}

// ID is the call's SIP Call-ID.
func (c *Call) ID() string { return c.callID }

// Called is the user part of an incoming call's Request-URI: the number dialled, when one phone
// stands behind many numbers ("" for an outgoing call).
func (c *Call) Called() string { return c.called }

// Outgoing says whether this phone placed the call.
func (c *Call) Outgoing() bool { return c.outgoing }

// Peer is the other side's SIP user: who was called (outgoing) or who calls (incoming).
func (c *Call) Peer() string { return c.target }

// Invited is when an incoming call's INVITE reached the phone (its handler began), before the
// call's media was set up and 180 sent; zero for an outgoing call.
func (c *Call) Invited() time.Time { return c.invited }

// Caller is who an incoming call is from (From and P-Asserted-Identity).
func (c *Call) Caller() CallerID { return c.caller }

// State is the call's state now.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// States are the states the call has been in, in order (e.g. calling, ringing, answered, ended).
func (c *Call) States() []State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]State(nil), c.history...)
}

// Codes are the SIP response codes received for the INVITE, in order (outgoing calls).
func (c *Call) Codes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.codes...)
}

// Done is closed when the call has ended.
func (c *Call) Done() <-chan struct{} { return c.done }

// End is why the call ended; the zero End while it goes on.
func (c *Call) End() End {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.end
}

// WaitEnd waits until the call ends and says why.
func (c *Call) WaitEnd(ctx context.Context) (End, error) {
	select {
	case <-c.done:
		return c.End(), nil
	case <-ctx.Done():
		return End{}, fmt.Errorf("sipphone: waiting for call %s to end (state %s): %w", c.callID, c.State(), context.Cause(ctx))
	}
}

// WaitState waits until the call reaches state s (or a later one). It fails if the call ends
// before reaching s.
func (c *Call) WaitState(ctx context.Context, s State) error {
	return c.wait(ctx, func() (bool, error) {
		switch {
		case c.state == s || c.state > s && s != Ended && c.state != Ended:
			return true, nil
		case c.state == Ended:
			if c.end.Code >= 300 {
				return true, &ResponseError{Code: c.end.Code, Reason: c.end.Reason, Request: "call"}
			}
			return true, fmt.Errorf("%w before %s: %s", ErrCallEnded, s, c.end)
		}
		return false, nil
	})
}

// WaitAnswer waits until the call is answered; a call refused returns a *ResponseError.
func (c *Call) WaitAnswer(ctx context.Context) error { return c.WaitState(ctx, Answered) }

func (c *Call) wait(ctx context.Context, cond func() (bool, error)) error {
	for {
		c.mu.Lock()
		if ok, err := cond(); ok {
			c.mu.Unlock()
			return err
		}
		ch := make(chan struct{})
		c.waiters = append(c.waiters, ch)
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sipphone: call %s (state %s): %w", c.callID, c.State(), context.Cause(ctx))
		}
	}
}

func (c *Call) notifyLocked() {
	for _, w := range c.waiters {
		close(w)
	}
	c.waiters = nil
}

func (c *Call) setState(s State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Ended || c.state == s {
		return
	}
	c.state = s
	c.history = append(c.history, s)
	c.notifyLocked()
}

// finish ends the call once: records why, stops its media and forgets it.
func (c *Call) finish(e End) {
	c.mu.Lock()
	if c.state == Ended {
		c.mu.Unlock()
		return
	}
	c.state, c.end = Ended, e
	c.history = append(c.history, Ended)
	if c.refresh != nil {
		c.refresh.Stop()
	}
	c.notifyLocked()
	c.mu.Unlock()
	c.media.close()
	c.p.removeCall(c)
	close(c.done)
	c.log.Debug("call ended", "by", e.By, "reason", e.Reason)
}

// Answer answers a ringing incoming call and returns once the ACK has come.
func (c *Call) Answer(ctx context.Context) error { return c.reply(ctx, 200, "OK") }

// Reject refuses a ringing incoming call with code (e.g. 486 Busy Here, 603 Decline).
func (c *Call) Reject(ctx context.Context, code int) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("sipphone: reject with %d: want a code 300-699", code)
	}
	return c.reply(ctx, code, reasonPhrase(code))
}

func (c *Call) reply(ctx context.Context, code int, reason string) error {
	if c.outgoing {
		return errors.New("sipphone: cannot answer or reject an outgoing call")
	}
	select {
	case <-c.done:
		return fmt.Errorf("%w: %s", ErrCallEnded, c.End())
	default:
	}
	cmd := answerCmd{code: code, reason: reason, result: make(chan error, 1)}
	select {
	case c.answerCh <- cmd:
	case <-c.decided:
		// Auto-answer, Close or the caller's CANCEL came first.
		if code == 200 {
			return c.WaitAnswer(ctx)
		}
		if err := c.WaitState(ctx, Answered); err != nil {
			return err
		}
		return fmt.Errorf("sipphone: refuse call %s: it was answered already", c.callID)
	case <-c.done:
		return fmt.Errorf("%w: %s", ErrCallEnded, c.End())
	case <-ctx.Done():
		return fmt.Errorf("sipphone: answer call %s: %w", c.callID, context.Cause(ctx))
	}
	select {
	case err := <-cmd.result:
		return err
	case <-ctx.Done():
		return fmt.Errorf("sipphone: answer call %s: %w", c.callID, context.Cause(ctx))
	}
}

// Hangup ends the call: CANCEL before an answer for an outgoing call, 486 for a ringing
// incoming one, BYE once answered. It returns when the call has ended.
func (c *Call) Hangup(ctx context.Context) error {
	switch c.State() {
	case Ended:
		return ErrCallEnded
	case Calling, Ringing:
		if c.outgoing {
			c.cancel()
			if _, err := c.WaitEnd(ctx); err != nil {
				return err
			}
			return nil
		}
		err := c.Reject(ctx, 486)
		if err == nil || c.State() == Ended {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		// Answered meanwhile: fall through to BYE.
	}
	var err error
	if c.cs != nil {
		err = c.cs.Bye(ctx)
	} else {
		err = c.ss.Bye(ctx)
	}
	c.finish(End{By: Local, Reason: "BYE sent"})
	if err != nil {
		return fmt.Errorf("sipphone: hangup %s: %w", c.callID, err)
	}
	return nil
}

func (c *Call) onBye(req *sip.Request, tx sip.ServerTransaction) {
	var err error
	if c.cs != nil {
		err = c.cs.ReadBye(req, tx)
	} else {
		err = c.ss.ReadBye(req, tx)
	}
	if err != nil {
		c.p.respond(tx, req, 200, "OK")
	}
	c.finish(End{By: Remote, Reason: "BYE received"})
}

func (c *Call) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c.ss != nil && c.ss.LoadState() < sip.DialogStateConfirmed {
		if err := c.ss.ReadAck(req, tx); err != nil {
			c.log.Debug("ACK", "error", err)
		}
	}
	c.mu.Lock()
	want := c.ackSDP
	c.ackSDP = false
	c.mu.Unlock()
	if want && len(req.Body()) > 0 {
		if d, err := parseSDP(req.Body()); err == nil {
			c.media.setRemote(d, d.direction.reverse())
		}
	}
}

// onReinvite answers a re-INVITE: Asterisk moving media, holding, or refreshing the session.
func (c *Call) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	var body []byte
	if len(req.Body()) > 0 {
		d, err := parseSDP(req.Body())
		if err != nil {
			c.p.respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		body = c.answer(d)
	} else {
		c.mu.Lock()
		c.ackSDP = true
		c.mu.Unlock()
		body = c.offer()
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(sip.HeaderClone(&c.p.contact))
	hdrs, weRefresh, interval := sessionTimer(req)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	// Settled before the response goes, so whoever sees the response sees the new state.
	c.rescheduleRefresh(weRefresh, interval)
	c.mu.Lock()
	c.reinvites++
	c.notifyLocked()
	c.mu.Unlock()
	if err := tx.Respond(res); err != nil {
		c.log.Debug("re-INVITE response", "error", err)
	}
	c.log.Debug("re-INVITE answered", "sdp", len(req.Body()) > 0)
}

// onUpdate answers an UPDATE (RFC 3311): a session refresh, or an offer.
func (c *Call) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if len(req.Body()) > 0 {
		d, err := parseSDP(req.Body())
		if err != nil {
			c.p.respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		res = sip.NewSDPResponseFromRequest(req, c.answer(d))
	}
	res.AppendHeader(sip.HeaderClone(&c.p.contact))
	hdrs, weRefresh, interval := sessionTimer(req)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	// Settled before the response goes, so whoever sees the response sees the new state.
	c.rescheduleRefresh(weRefresh, interval)
	c.mu.Lock()
	c.reinvites++
	c.notifyLocked()
	c.mu.Unlock()
	if err := tx.Respond(res); err != nil {
		c.log.Debug("UPDATE response", "error", err)
	}
}

// sessionTimer builds the RFC 4028 headers of a 2xx to a request that asks for session timers.
// When the request leaves the refresher open, the requester (Asterisk) refreshes.
func sessionTimer(req *sip.Request) (hdrs []sip.Header, weRefresh bool, interval time.Duration) {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		h = req.GetHeader("x")
	}
	if h == nil {
		return nil, false, 0
	}
	val, params, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || secs <= 0 {
		return nil, false, 0
	}
	refresher := ""
	for _, p := range strings.Split(params, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	if refresher == "" {
		refresher = "uac"
	}
	hdrs = append(hdrs, sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=%s", secs, refresher)))
	if sup := req.GetHeader("Supported"); sup != nil && strings.Contains(strings.ToLower(sup.Value()), "timer") {
		hdrs = append(hdrs, sip.NewHeader("Require", "timer"))
	}
	return hdrs, refresher == "uas", time.Duration(secs) * time.Second
}

// timersFromResponse starts refreshing if Asterisk's 2xx to our INVITE made us the refresher.
func (c *Call) timersFromResponse(res *sip.Response) {
	h := res.GetHeader("Session-Expires")
	if h == nil {
		return
	}
	val, params, _ := strings.Cut(h.Value(), ";")
	secs, err := strconv.Atoi(strings.TrimSpace(val))
	if err != nil || secs <= 0 {
		return
	}
	if strings.Contains(strings.ReplaceAll(strings.ToLower(params), " ", ""), "refresher=uac") {
		c.scheduleRefresh(time.Duration(secs) * time.Second)
	}
}

func (c *Call) rescheduleRefresh(weRefresh bool, interval time.Duration) {
	c.mu.Lock()
	if c.refresh != nil {
		c.refresh.Stop()
		c.refresh = nil
	}
	c.mu.Unlock()
	if weRefresh {
		c.scheduleRefresh(interval)
	}
}

// scheduleRefresh sends an UPDATE at half the session interval, as the refresher must.
func (c *Call) scheduleRefresh(interval time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Ended {
		return
	}
	if c.refresh != nil {
		c.refresh.Stop()
	}
	c.refresh = time.AfterFunc(interval/2, func() {
		if c.State() == Ended {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := sip.NewRequest(sip.UPDATE, c.remoteTarget())
		req.AppendHeader(sip.NewHeader("Session-Expires", fmt.Sprintf("%d;refresher=uac", int(interval/time.Second))))
		req.AppendHeader(sip.NewHeader("Supported", "timer"))
		res, err := c.do(ctx, req)
		if err != nil || !res.IsSuccess() {
			c.log.Warn("session refresh failed", "error", err, "response", res)
			return
		}
		c.mu.Lock()
		c.refreshed++
		c.notifyLocked()
		c.mu.Unlock()
		c.scheduleRefresh(interval)
	})
}

func (c *Call) remoteTarget() sip.Uri {
	if c.cs != nil {
		if ct := c.cs.InviteResponse.Contact(); ct != nil {
			return *ct.Address.Clone()
		}
		return *c.cs.InviteRequest.Recipient.Clone()
	}
	return *c.ss.InviteRequest.Contact().Address.Clone()
}

// RemoteContact is the host:port of the far end's Contact (for a call this phone placed, the one
// in the 200 OK): behind a proxy such as Kamailio, the server that answered.
func (c *Call) RemoteContact() string {
	u := c.remoteTarget()
	if u.Port == 0 {
		return u.Host
	}
	return fmt.Sprintf("%s:%d", u.Host, u.Port)
}

// tags are the dialog's local and remote tags.
func (c *Call) tags() (local, remote string) {
	if c.cs != nil {
		local, _ = c.cs.InviteRequest.From().Params.Get("tag")
		remote, _ = c.cs.InviteResponse.To().Params.Get("tag")
		return local, remote
	}
	local, _ = c.ss.InviteRequest.To().Params.Get("tag")
	remote, _ = c.ss.InviteRequest.From().Params.Get("tag")
	return local, remote
}

// do sends a request inside the call's dialog and waits for the final response.
func (c *Call) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	req.Laddr = c.p.laddr()
	if c.cs != nil {
		return c.cs.Do(ctx, req)
	}
	return c.ss.Do(ctx, req)
}

// Refer asks the other side to transfer the call to target (blind transfer: REFER with
// Refer-To target). It returns once the REFER is accepted (202); WaitTransfer follows its progress.
func (c *Call) Refer(ctx context.Context, target string) error {
	uri, err := c.p.targetURI(target)
	if err != nil {
		return err
	}
	return c.refer(ctx, "<"+uri.String()+">")
}

// ReferReplaces is an attended transfer: it asks the other side of c to replace other (another
// answered call of this phone) with itself, so the two far ends talk to each other.
func (c *Call) ReferReplaces(ctx context.Context, other *Call) error {
	if other.p != c.p || other.State() != Answered {
		return errors.New("sipphone: attended transfer: the other call must be an answered call of the same phone")
	}
	local, remote := other.tags()
	// Replaces names the dialog as the far end (Asterisk) knows it: its tag is the to-tag.
	replaces := fmt.Sprintf("%s;to-tag=%s;from-tag=%s", other.callID, remote, local)
	uri := sip.Uri{Scheme: "sip", User: other.target, Host: c.p.server.Addr().String(), Port: int(c.p.server.Port())}
	return c.refer(ctx, "<"+uri.String()+"?Replaces="+url.QueryEscape(replaces)+">")
}

// BlindTransfer does what a desk phone does: REFER to target, wait for the transfer to
// succeed (NOTIFY 200), then hang up this call.
func (c *Call) BlindTransfer(ctx context.Context, target string) error {
	if err := c.Refer(ctx, target); err != nil {
		return err
	}
	if _, err := c.WaitTransfer(ctx); err != nil {
		return err
	}
	if err := c.Hangup(ctx); err != nil && !errors.Is(err, ErrCallEnded) {
		return err
	}
	return nil
}

// AttendedTransfer does what a desk phone does: REFER c's far end to replace other, wait for
// success, then hang up both calls (those Asterisk has not ended already).
func (c *Call) AttendedTransfer(ctx context.Context, other *Call) error {
	if err := c.ReferReplaces(ctx, other); err != nil {
		return err
	}
	if _, err := c.WaitTransfer(ctx); err != nil {
		return err
	}
	for _, call := range []*Call{c, other} {
		if err := call.Hangup(ctx); err != nil && !errors.Is(err, ErrCallEnded) {
			return err
		}
	}
	return nil
}

func (c *Call) refer(ctx context.Context, referTo string) error {
	if c.State() != Answered {
		return fmt.Errorf("sipphone: refer: call %s is %s, not answered", c.callID, c.State())
	}
	req := sip.NewRequest(sip.REFER, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Refer-To", referTo))
	by := sip.Uri{Scheme: "sip", User: c.p.cfg.User, Host: c.p.server.Addr().String()}
	req.AppendHeader(sip.NewHeader("Referred-By", "<"+by.String()+">"))
	c.mu.Lock()
	c.transfers, c.transferDone = nil, false
	c.mu.Unlock()
	res, err := c.do(ctx, req)
	if err != nil {
		return fmt.Errorf("sipphone: refer %s: %w", referTo, err)
	}
	if !res.IsSuccess() {
		return &ResponseError{Code: res.StatusCode, Reason: res.Reason, Request: "refer"}
	}
	c.log.Debug("REFER accepted", "refer-to", referTo, "code", res.StatusCode)
	return nil
}

// onNotify takes the progress of a REFER (RFC 3515): message/sipfrag bodies with the status of
// the transfer, the last with Subscription-State: terminated.
func (c *Call) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c.p.respond(tx, req, 200, "OK")
	ev := req.GetHeader("Event")
	if ev == nil || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ev.Value())), "refer") {
		return
	}
	code, _, err := parseSipfrag(req.Body())
	terminated := false
	if ss := req.GetHeader("Subscription-State"); ss != nil {
		terminated = strings.HasPrefix(strings.ToLower(strings.TrimSpace(ss.Value())), "terminated")
	}
	c.mu.Lock()
	if err == nil {
		n := notified{cseq: req.CSeq().SeqNo, code: code}
		i, _ := slices.BinarySearchFunc(c.transfers, n, func(a, b notified) int { return cmp.Compare(a.cseq, b.cseq) })
		c.transfers = slices.Insert(c.transfers, i, n)
	}
	if terminated || code >= 200 {
		c.transferDone = true
	}
	c.notifyLocked()
	c.mu.Unlock()
	c.log.Debug("transfer progress", "code", code, "terminated", terminated)
}

type notified struct {
	cseq uint32
	code int
}

// TransferProgress are the status codes the NOTIFYs of the last REFER reported, in order.
func (c *Call) TransferProgress() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.progressLocked()
}

func (c *Call) progressLocked() []int {
	codes := make([]int, len(c.transfers))
	for i, n := range c.transfers {
		codes[i] = n.code
	}
	return codes
}

// WaitTransfer waits for the final NOTIFY of the last REFER and returns its status code
// (200 when the transfer target answered); a failed transfer also returns a *ResponseError.
// A call that ends (Asterisk hangs up the transferor) with a 2xx already reported is a success.
func (c *Call) WaitTransfer(ctx context.Context) (int, error) {
	var code int
	err := c.wait(ctx, func() (bool, error) {
		if n := len(c.transfers); n > 0 {
			code = c.transfers[n-1].code
		}
		if c.transferDone || code >= 200 {
			if code >= 300 || code == 0 {
				return true, &ResponseError{Code: code, Reason: "transfer failed", Request: "transfer"}
			}
			return true, nil
		}
		if c.state == Ended {
			return true, fmt.Errorf("%w before the transfer completed (progress %v)", ErrCallEnded, c.progressLocked())
		}
		return false, nil
	})
	return code, err
}

// SendDTMF sends digits (0-9 * # A-D) as RFC 4733 events and returns once they are sent.
func (c *Call) SendDTMF(ctx context.Context, digits string) error {
	if err := c.WaitState(ctx, Answered); err != nil {
		return err
	}
	return c.media.sendDTMF(ctx, digits)
}

// WaitDTMF waits until the digits have been received (as a run, RFC 4733 events).
func (c *Call) WaitDTMF(ctx context.Context, digits string) error {
	return c.media.waitDTMF(ctx, digits)
}

// WaitTone waits until this call has heard a tone of hz for 100 ms.
func (c *Call) WaitTone(ctx context.Context, hz float64) error { return c.media.waitTone(ctx, hz) }

// WaitAudio waits until this call has heard 100 ms of non-silent audio.
func (c *Call) WaitAudio(ctx context.Context) error { return c.media.waitAudio(ctx) }

// Stats is what the call's media has sent and heard so far.
func (c *Call) Stats() Stats { return c.media.snapshot() }

// SetSource changes what the call sends from now on (e.g. &Tone{Hz: 800}).
func (c *Call) SetSource(src Source) { c.media.setSource(src) }

func reasonPhrase(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 600:
		return "Busy Everywhere"
	case 603:
		return "Decline"
	}
	return "Rejected"
}
