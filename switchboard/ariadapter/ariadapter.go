// Package ariadapter connects the switchboard to Asterisk through hotline's ari package: Telephony
// carries out the switchboard's requests as ARI REST calls, Translate turns ARI events into the
// switchboard's, and Pump feeds the event stream to the switchboard, listing Asterisk's channels
// after every (re)connection so the switchboard can end the calls lost meanwhile. The Stasis
// arguments are decoded into, and encoded from, typed switchboard entries in one place:
// stasisargs.go.
package ariadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/switchboard"
)

// lister is what Pump needs of the connection besides its events; *ari.Conn has it.
type lister interface {
	Application() string
	SetEventFilter(ctx context.Context, allowed []string) (*ariv6.ApplicationData, error)
	Channels(ctx context.Context) ([]ariv6.ChannelData, error)
	ApplicationData(ctx context.Context) (*ariv6.ApplicationData, error)
	Unsubscribe(ctx context.Context, eventSource string) (*ariv6.ApplicationData, error)
	Endpoints(ctx context.Context, tech string) ([]ariv6.EndpointData, error)
}

// bridgeLister lists bridges; *ari.Conn is one.
type bridgeLister interface {
	Bridges(ctx context.Context) ([]ariv6.BridgeData, error)
}

// Telephony carries out switchboard requests over ARI.
type Telephony struct {
	Conn *ari.Conn
	// Recorder records conversations on the operator's channel (amiadapter.Recorder: MixMonitor over
	// AMI), which keeps the bridge 2-party. Nil, or answering ErrRecorderUnavailable, the bridge is
	// recorded over ARI instead (a recording channel in it: a 3-party softmix bridge).
	Recorder ChannelRecorder
	Log      *slog.Logger // where falling back to the bridge is told; nil: nowhere
}

// ChannelRecorder records a conversation both-sided on one channel as stored recording name, and
// stops it.
type ChannelRecorder interface {
	Record(ctx context.Context, channel, name, format string) error
	Stop(ctx context.Context, channel, name string) error
}

// ErrRecorderUnavailable is a ChannelRecorder's answer when it could not even ask Asterisk (no
// connection): the request was not carried out, and something else may be tried.
var ErrRecorderUnavailable = errors.New("channel recorder unavailable")

var _ switchboard.Telephony = Telephony{}

// bridgeType mixes audio and raises DTMF events from bridged channels, so an operator can key a
// topic during the call (a plain mixing bridge may pass DTMF natively, unseen).
const bridgeType = ari.BridgeMixing + "," + ari.BridgeDTMFEvents

// Do carries out one request.
func (t Telephony) Do(ctx context.Context, op switchboard.Op) error {
	c := t.Conn
	var err error
	switch op := op.(type) {
	case switchboard.Answer:
		err = c.Channel(op.Channel).Answer(ctx)
	case switchboard.Play:
		err = c.Channel(op.Channel).PlayDiscard(ctx, ari.PlayRequest{Media: op.Media, PlaybackID: op.Playback, Lang: op.Language})
	case switchboard.StopPlayback:
		err = c.StopPlayback(ctx, op.Playback)
	case switchboard.StartMOH:
		err = c.Channel(op.Channel).StartMOH(ctx, op.Class)
	case switchboard.StopMOH:
		err = c.Channel(op.Channel).StopMOH(ctx)
	case switchboard.Originate:
		// An entry that cannot be written fails the request, before Asterisk rings anyone.
		var args []string
		if args, err = EncodeEntry(op.Entry); err != nil {
			break
		}
		err = c.OriginateDiscard(ctx, ari.OriginateRequest{
			Endpoint:   op.Endpoint,
			ChannelID:  op.Channel,
			App:        c.Application(),
			AppArgs:    strings.Join(args, ","),
			CallerID:   op.CallerID,
			Timeout:    op.Timeout,
			Originator: op.Originator,
			Variables:  op.Variables,
		})
	case switchboard.CreateBridge:
		// Named after the application: what a restarted daemon may take down as its own.
		err = c.CreateBridgeDiscard(ctx, op.Bridge, bridgeType, c.Application())
	case switchboard.AddToBridge:
		// Keys are hotline's (ChannelDtmfReceived is raised all the same), never the other party's.
		// Passed through, a key's start reaches the other channel and its end may not: a prompt
		// played to the keying channel in the bridge takes it out of the mix, and Asterisk's
		// emulated end of a short key (under 80 ms) is then read by the playback. The other
		// channel's RTP stays "sending a digit" and drops all audio to that side for good.
		err = c.Bridge(op.Bridge).AddChannel(ctx, ari.AddChannelOptions{AbsorbDTMF: true}, op.Channels...)
	case switchboard.DestroyBridge:
		err = c.Bridge(op.Bridge).Destroy(ctx)
	case switchboard.RecordCall:
		err = t.recordCall(ctx, op)
	case switchboard.StopRecording:
		if t.Recorder != nil {
			err = t.Recorder.Stop(ctx, op.Channel, op.Name)
		}
		// Without a recorder the conversation was recorded in its bridge, which ends with it.
	case switchboard.RecordChannel:
		_, err = c.Channel(op.Channel).Record(ctx, ari.RecordRequest{Name: op.Name, Format: op.Format,
			MaxDuration: op.MaxDuration, TerminateOn: op.TerminateOn})
	case switchboard.Hangup:
		err = c.Channel(op.Channel).Hangup(ctx, op.Reason)
	case switchboard.Continue:
		err = c.Channel(op.Channel).Continue(ctx, "", "", 0, "")
	case switchboard.RemoveFromBridge:
		err = c.Bridge(op.Bridge).RemoveChannel(ctx, op.Channels...)
	case switchboard.SetVariable:
		err = c.Channel(op.Channel).SetVariable(ctx, op.Name, op.Value)
	case switchboard.TransferProgress:
		err = c.Channel(op.Channel).TransferProgress(ctx, ari.TransferState(op.State))
	case switchboard.Snoop:
		var args []string
		if args, err = EncodeEntry(op.Entry); err != nil {
			break
		}
		_, err = c.Channel(op.Channel).Snoop(ctx, ari.SnoopRequest{App: c.Application(), AppArgs: strings.Join(args, ","),
			Spy: ari.Direction(op.Spy), Whisper: ari.Direction(op.Whisper), SnoopID: op.Snoop})
	default:
		return fmt.Errorf("ariadapter: unknown request %T", op)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// recordCall records on the operator's channel (op.Channel), or, without a recorder to do it, the bridge.
func (t Telephony) recordCall(ctx context.Context, op switchboard.RecordCall) error {
	if t.Recorder != nil {
		err := t.Recorder.Record(ctx, op.Channel, op.Name, op.Format)
		if !errors.Is(err, ErrRecorderUnavailable) {
			return err
		}
		if t.Log != nil {
			t.Log.Warn("recording the bridge instead of the operator's channel", "recording", op.Name, "err", err)
		}
	}
	if op.Bridge == "" {
		return errors.New("no bridge to record")
	}
	_, err := t.Conn.Bridge(op.Bridge).Record(ctx, ari.RecordRequest{Name: op.Name, Format: op.Format})
	return err
}

// Translate returns the switchboard's event for an ARI event, or false for events the switchboard
// does not act on.
func Translate(ev ari.Event) (switchboard.Event, bool) {
	switch ev := ev.(type) {
	case *ariv6.StasisStart:
		// A malformed list decodes to switchboard.Malformed, which the switchboard logs and hangs up.
		entry, _ := DecodeEntry(ev.Args)
		s := switchboard.StasisStart{Channel: ev.Channel.ID, Name: ev.Channel.Name, Entry: entry, Up: ev.Channel.State == "Up"}
		if ev.Channel.Caller != nil {
			s.CallerNumber, s.CallerName = ev.Channel.Caller.Number, ev.Channel.Caller.Name
		}
		if ev.Channel.Dialplan != nil {
			s.Exten = ev.Channel.Dialplan.Exten
		}
		return s, true
	case *ariv6.StasisEnd:
		return switchboard.StasisEnd{Channel: ev.Channel.ID, At: time.Time(ev.Timestamp).UTC()}, true
	case *ariv6.ChannelDestroyed:
		return switchboard.ChannelDestroyed{Channel: ev.Channel.ID, Cause: ev.Cause, At: time.Time(ev.Timestamp).UTC()}, true
	case *ariv6.ChannelHangupRequest:
		return switchboard.ChannelHangupRequest{Channel: ev.Channel.ID, Cause: ev.Cause, Soft: ev.Soft, At: time.Time(ev.Timestamp).UTC()}, true
	case *ariv6.PlaybackFinished:
		return switchboard.PlaybackFinished{Playback: ev.Playback.ID, Failed: ev.Playback.State == "failed"}, true
	case *ariv6.ChannelDtmfReceived:
		return switchboard.DTMF{Channel: ev.Channel.ID, Digit: ev.Digit}, true
	case *ariv6.RecordingFinished:
		return switchboard.RecordingFinished{Name: ev.Recording.Name}, true
	case *ariv6.RecordingFailed:
		return switchboard.RecordingFailed{Name: ev.Recording.Name, Cause: ev.Recording.Cause}, true
	case *ariv6.ContactStatusChange:
		// One contact of the extension: the switchboard folds every contact's news into the
		// extension's reachability (an endpoint with several contacts stays reachable when one goes).
		reachable, known := switchboard.ContactReachable(ev.ContactInfo.ContactStatus)
		if !known || ev.Endpoint.Resource == "" {
			return nil, false
		}
		return switchboard.DeviceState{Extension: ev.Endpoint.Resource, Reachable: reachable, Contact: ev.ContactInfo.Uri,
			Gone: ev.ContactInfo.ContactStatus == "Removed" && ev.ContactInfo.Uri != ""}, true
	case *ariv6.ApplicationReplaced:
		return switchboard.Replaced{}, true
	case *ariv6.DeviceStateChanged:
		tech, ext, ok := strings.Cut(ev.DeviceState.Name, "/")
		if !ok || !strings.EqualFold(tech, "PJSIP") {
			return nil, false
		}
		switch ev.DeviceState.State {
		case "UNAVAILABLE", "INVALID":
			return switchboard.DeviceState{Extension: ext, Reachable: false}, true
		case "UNKNOWN":
			return nil, false
		}
		return switchboard.DeviceState{Extension: ext, Reachable: true}, true
	case *ari.ChannelTransfer:
		// A REFER on a channel with PJSIP_TRANSFER_HANDLING(ari-only): blind names a destination,
		// attended the consultation channel it replaces.
		return switchboard.Transfer{Channel: ev.ReferredBy.SourceChannel.ID,
			Destination: ev.ReferTo.RequestedDestination.Destination,
			Replaces:    ev.ReferTo.DestinationChannel.ID, State: ev.State}, true
	case *ari.Connected:
		return switchboard.Connected{}, true
	case *ari.Reconnected:
		return switchboard.Connected{}, true
	case *ari.Disconnected:
		return switchboard.Disconnected{Err: ev.Err}, true
	}
	return nil, false
}

// EventTypes are the ARI event types Translate turns into switchboard events: the application's
// event filter, so Asterisk sends nothing else (most of a call's events are ChannelVarset,
// ChannelDialplan and the like, which cost both sides decoding and are thrown away here).
// ChannelStateChange and ChannelEnteredBridge are left out too: the switchboard acts on neither (an
// answer is StasisStart, a bridge is ours when addChannel returns), and they were 8 of a call's 23
// events in the load benchmark (docs/benchmark.md). ContactStatusChange and DeviceStateChanged
// come only through an endpoint or device-state subscription, which hotline no longer makes
// (reachability: AMI); they stay, as reachability news, should one be made.
// TestEventTypesMatchTranslate keeps this list and Translate in step.
func EventTypes() []string {
	return []string{
		"StasisStart", "StasisEnd", "ChannelDestroyed", "ChannelHangupRequest",
		"PlaybackFinished", "ChannelDtmfReceived", "RecordingFinished",
		"RecordingFailed", "ContactStatusChange", "DeviceStateChanged", "ChannelTransfer", "ApplicationReplaced",
	}
}

// ErrReplaced is Pump's end when another client took over the ARI application (Asterisk's
// ApplicationReplaced): the caller must stop the connection, or the two would take it from each
// other at every reconnection.
var ErrReplaced = errors.New("ariadapter: another client took over the ARI application")

// Deliverer is where events go; *switchboard.Switchboard is one.
type Deliverer interface {
	Deliver(ctx context.Context, ev switchboard.Event) error
}

// Pump delivers the connection's events to the switchboard, in order, until the stream closes or
// ctx ends. After each Connected or Reconnected it drops the PJSIP endpoint subscription an earlier
// hotline left, and lists Asterisk's channels for an Inventory; that listing runs on its own
// goroutine, retried until it succeeds or the connection drops again, so events keep flowing
// meanwhile. With listHandsets it also delivers each handset's reachability as ARI lists it then
// (so a handset unregistered before hotline started is known): only for an Asterisk whose AMI
// presence is not run. AMI's events come on AMI's goroutine, unordered with ARI's: a listing
// taken before a handset registered could arrive after AMI's news of it and undo it, whereas AMI
// lists the device states itself after each of its connections, in order with its events
// (amiadapter.Presence).
func Pump(ctx context.Context, conn *ari.Conn, sb Deliverer, log *slog.Logger, listHandsets bool) error {
	return pump(ctx, conn.Events(), conn, sb, log, listHandsets)
}

func pump(ctx context.Context, events <-chan ari.Event, conn lister, sb Deliverer, log *slog.Logger, listHandsets bool) error {
	p := newPumper(conn, sb, log, listHandsets)
	defer p.stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if !ok {
				return nil
			}
			if err := p.handle(ctx, ev); err != nil {
				return err
			}
		}
	}
}

// pumper is what Pump and Attach do with each event, on whichever goroutine has it.
type pumper struct {
	conn         lister
	sb           Deliverer
	log          *slog.Logger
	listHandsets bool
	seen         dedup
	stopList     func() // ends the inventory of the last connection
}

func newPumper(conn lister, sb Deliverer, log *slog.Logger, listHandsets bool) *pumper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &pumper{conn: conn, sb: sb, log: log, listHandsets: listHandsets, stopList: func() {}}
}

func (p *pumper) stop() { p.stopList() }

// handle delivers ev; an error ends the pump.
func (p *pumper) handle(ctx context.Context, ev ari.Event) error {
	if p.seen.repeat(ev) {
		return nil
	}
	sev, ok := Translate(ev)
	if !ok {
		return nil
	}
	if err := p.sb.Deliver(ctx, sev); err != nil {
		return fmt.Errorf("ariadapter: deliver %T: %w", sev, err)
	}
	switch sev.(type) {
	case switchboard.Replaced:
		p.stopList()
		return ErrReplaced
	case switchboard.Connected:
		p.stopList()
		// On the reader with Attach: it stops reading for the set-up's two REST round trips (at
		// most 5 s each when Asterisk is slow to answer); the kernel's socket buffers hold far
		// more than a reconnection's events meanwhile.
		setUp(ctx, p.conn, p.log)
		if p.listHandsets {
			// Here, not on the inventory's goroutine: a handset's later status events on this
			// connection (ContactStatusChange, DeviceStateChanged) come after this listing.
			// AMI's do not: hence listHandsets only without AMI's presence (Pump).
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			reachability(rctx, p.conn, p.sb, p.log)
			rcancel()
		}
		lctx, cancel := context.WithCancel(ctx)
		p.stopList = cancel
		go inventory(lctx, p.conn, p.sb, p.log)
	case switchboard.Disconnected:
		p.stopList()
	}
	return nil
}

// Attached is a connection whose events go to the switchboard on its reader's goroutine (Attach).
type Attached struct {
	conn  *ari.Conn
	p     *pumper
	ended chan struct{} // closed when the pump ends: errored
	err   error         // why, set before ended is closed
}

// Attach makes conn hand its events to sb as Pump does, but on conn's websocket reader's goroutine
// (ari.Conn.SetHandler): an event reaches the switchboard's inbox with no goroutine between, where
// Pump's goroutine was woken for each (the scheduler's futex wake-ups were a seventh of hotline's
// CPU, docs/benchmark.md). The order, the back-pressure (the reader waits while the switchboard is
// busy) and the slow consumer's handling (ari.Config.SlowConsumerTimeout) are Pump's. Call it before
// conn.Run; Wait returns what Pump would.
func Attach(conn *ari.Conn, sb Deliverer, log *slog.Logger, listHandsets bool) (*Attached, error) {
	a := &Attached{conn: conn, p: newPumper(conn, sb, log, listHandsets), ended: make(chan struct{})}
	err := conn.SetHandler(func(ctx context.Context, ev ari.Event) {
		select {
		case <-a.ended:
			return // the pump has ended: its owner stops the connection
		default:
		}
		if err := a.p.handle(ctx, ev); err != nil {
			if ctx.Err() != nil {
				err = nil // the connection was stopped (replaced, the lease lost): as Pump, no error
			}
			a.err = err
			close(a.ended)
		}
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Wait waits until the pump ends, as Pump returns: ErrReplaced, a failed delivery, nil when the
// connection's Run has returned, or ctx's error.
func (a *Attached) Wait(ctx context.Context) error {
	events := a.conn.Events() // nothing is put on it, and Run closes it when it returns
	select {
	case <-a.ended:
		return a.err
	case <-ctx.Done():
		return ctx.Err()
	case _, ok := <-events:
		if !ok {
			return nil
		}
		return errors.New("ariadapter: an event on Events with a handler set")
	}
}

// endpointSource is what hotline before session 10 subscribed the application to, and the name
// Asterisk lists it under (ApplicationData.EndpointIDs) for a whole technology.
const endpointSource, endpointID = "endpoint:PJSIP", "PJSIP"

// dropEndpointSubscription ends the application's subscription to all PJSIP endpoints, left by an
// earlier hotline: Asterisk keeps an application's subscriptions while it runs, across hotline's
// restarts. Asterisk counts subscriptions, so it unsubscribes until none is left (bounded, in case
// Asterisk ever keeps listing it).
func dropEndpointSubscription(ctx context.Context, conn lister) error {
	app, err := conn.ApplicationData(ctx)
	for i := 0; ; i++ {
		switch {
		case err != nil:
			return err
		case !slices.Contains(app.EndpointIDs, endpointID):
			return nil
		case i == 8:
			return fmt.Errorf("still subscribed to %s after %d unsubscriptions", endpointSource, i)
		}
		app, err = conn.Unsubscribe(ctx, endpointSource)
	}
}

// setUp is what every connection to an Asterisk needs, one or a node: the application's event
// filter, and no endpoint subscription an earlier hotline left, whatever the handsets' presence
// comes from (AMI, Kamailio, ARI's listing): while it is left, Asterisk sends the application
// every PJSIP channel's messages.
func setUp(ctx context.Context, conn lister, log *slog.Logger) {
	setEventFilter(ctx, conn, log)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := dropEndpointSubscription(ctx, conn); err != nil && ctx.Err() == nil {
		log.Warn("ariadapter: dropping an earlier hotline's PJSIP endpoint subscription failed; Asterisk keeps sending every PJSIP channel's messages", "err", err)
	}
}

// inventory lists the channels and delivers them, retrying with a capped backoff: offers stay off
// until it gets through.
// foreign reports whether channel c is known to be outside application app: in the dialplan
// (another application) or in another Stasis application. A channel whose place Asterisk does not
// say is not foreign: hotline's own may be among those.
func foreign(c ariv6.ChannelData, app string) bool {
	if c.Dialplan == nil || c.Dialplan.AppName == "" {
		return false
	}
	if !strings.EqualFold(c.Dialplan.AppName, "Stasis") {
		return true
	}
	name, _, _ := strings.Cut(c.Dialplan.AppData, ",")
	return strings.TrimSpace(name) != app
}

func inventory(ctx context.Context, conn lister, sb Deliverer, log *slog.Logger) {
	backoff := 200 * time.Millisecond
	for {
		chans, err := conn.Channels(ctx)
		if err == nil {
			inv := switchboard.Inventory{Channels: make([]string, len(chans)), Details: make([]switchboard.ChannelInfo, len(chans))}
			for i, c := range chans {
				inv.Channels[i] = c.ID
				inv.Details[i] = switchboard.ChannelInfo{ID: c.ID, Name: c.Name, Foreign: foreign(c, conn.Application())}
				if c.Caller != nil {
					inv.Details[i].CallerNumber = c.Caller.Number
				}
			}
			// Bridges tell which calls are talking: what a restarted daemon adopts.
			if bl, ok := conn.(bridgeLister); ok {
				bs, err := bl.Bridges(ctx)
				if err != nil {
					log.Warn("ariadapter: listing bridges failed; bridged calls of a previous run cannot be adopted", "err", err)
				}
				for _, b := range bs {
					inv.Bridges = append(inv.Bridges, switchboard.BridgeInfo{ID: b.ID, Channels: b.ChannelIDs,
						Foreign: b.Name != conn.Application()})
				}
			}
			if err := sb.Deliver(ctx, inv); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("ariadapter: deliver inventory", "err", err)
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("ariadapter: listing channels failed; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// reachability tells the switchboard which handsets are registered now: events only say what
// changes, and a handset unregistered before hotline started would otherwise count as reachable.
// The changes themselves come from AMI (amiadapter: ContactStatus, DeviceStateChange), not from an
// endpoint subscription here: subscribed to endpoint:PJSIP, the application was sent every
// message of every channel of every PJSIP endpoint, callers' and handsets' alike, through its
// one queue in Asterisk (docs/benchmark.md, "Session 10, endpoint subscription").
// Only where nothing else reports the changes on another goroutine: see Pump.
func reachability(ctx context.Context, conn lister, sb Deliverer, log *slog.Logger) {
	eps, err := conn.Endpoints(ctx, "PJSIP")
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("ariadapter: listing PJSIP endpoints failed; reachability from events only", "err", err)
		}
		return
	}
	for _, ep := range eps {
		var reachable bool
		switch ep.State {
		case "online":
			reachable = true
		case "offline":
		default:
			continue
		}
		if err := sb.Deliver(ctx, switchboard.DeviceState{Extension: ep.Resource, Reachable: reachable}); err != nil {
			return
		}
	}
}
