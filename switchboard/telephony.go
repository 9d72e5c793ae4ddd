package switchboard

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Telephony carries out one request to Asterisk and reports how it went. It is the switchboard's only
// way to act on calls; the ari adapter implements it over ARI, tests record the requests.
//
// Do may block (it is a network round trip); the switchboard never calls it on its loop. Requests
// about one call are issued one after another, in order, so an implementation need not order them.
type Telephony interface {
	Do(ctx context.Context, op Op) error
}

// TelephonyFunc adapts a function to Telephony, as http.HandlerFunc does for handlers.
type TelephonyFunc func(ctx context.Context, op Op) error

// Do calls f(ctx, op).
func (f TelephonyFunc) Do(ctx context.Context, op Op) error { return f(ctx, op) }

// Op is one request to Asterisk. The set is closed by the unexported op method: the requests are
// this package's types that have one, each declared beside the code that issues it (the call's
// here, transfers' in transfer.go, reconciliation's in reconcile.go) and translated by
// ariadapter.Telephony. Ops are plain data so a test can compare them and a log can replay them.
type Op interface {
	op()
	String() string
}

// Answer answers a channel.
type Answer struct{ Channel string }

// Play plays media to a channel (in a bridge, only that channel hears it). Playback is our id for
// it, so PlaybackFinished can be matched to what was played.
type Play struct {
	Channel  string
	Playback string
	Media    []string // media URIs played in order, e.g. sound:queue-thereare, number:3
	Language string   // "ru", "en": which sound pack
}

// StopPlayback stops a playback early (a no-op error if it already finished).
type StopPlayback struct{ Playback string }

// StartMOH starts music on hold on a channel.
type StartMOH struct{ Channel, Class string }

// StopMOH stops music on hold on a channel.
type StopMOH struct{ Channel string }

// Originate calls an endpoint into the Stasis application with our own channel id, so every event
// about the new channel can be matched to the offer before the request even returns.
type Originate struct {
	Channel    string // our id for the new channel
	Endpoint   string // e.g. PJSIP/1001
	CallerID   string // shown on the handset: the caller's number
	Timeout    time.Duration
	Entry      Entry  // why the channel enters the application once answered, e.g. Offer{Call: callID}
	Originator string // the channel this one is on behalf of (linked for Asterisk's bookkeeping)
	// Variables are set on the channel as Asterisk creates it (dialplan functions too, e.g.
	// PJSIP_TRANSFER_HANDLING()): no request of their own once it answers.
	Variables map[string]string
}

// CreateBridge creates a mixing bridge with our own id.
type CreateBridge struct{ Bridge string }

// AddToBridge puts channels into a bridge.
type AddToBridge struct {
	Bridge   string
	Channels []string
}

// DestroyBridge removes a bridge (channels still in it stay up).
type DestroyBridge struct{ Bridge string }

// RecordCall records a conversation both-sided on one of its channels (the operator's): what it
// says and what it hears, mixed, to a stored recording Name. It runs until StopRecording or the
// channel hangs up. Bridge is the conversation's bridge: it stays a
// 2-party bridge Asterisk keeps simple (a recording channel in it made it a 3-party softmix bridge,
// about 26 ms of Asterisk's CPU a call: docs/benchmark.md); an implementation that cannot record the
// channel may record the bridge instead (then the recording ends with the bridge).
type RecordCall struct {
	Channel string
	Bridge  string
	Name    string
	Format  string
}

// StopRecording ends the conversation recording Name on a channel that stays up without the
// conversation (an operator's handset in wrap-up); the file is kept.
type StopRecording struct{ Channel, Name string }

// RecordChannel records what a caller says, for an overflow message. TerminateOn "#" lets the
// caller end early; MaxDuration bounds it.
type RecordChannel struct {
	Channel     string
	Name        string
	Format      string
	MaxDuration time.Duration
	TerminateOn string
}

// Hangup hangs a channel up with a reason ARI knows ("normal", "busy", "no_answer"...).
type Hangup struct{ Channel, Reason string }

func (Answer) op()        {}
func (Play) op()          {}
func (StopPlayback) op()  {}
func (StartMOH) op()      {}
func (StopMOH) op()       {}
func (Originate) op()     {}
func (CreateBridge) op()  {}
func (AddToBridge) op()   {}
func (DestroyBridge) op() {}
func (RecordCall) op()    {}
func (StopRecording) op() {}
func (RecordChannel) op() {}
func (Hangup) op()        {}

func (o Answer) String() string { return "answer " + o.Channel }
func (o Play) String() string {
	return fmt.Sprintf("play %s %s [%s] %s", o.Channel, o.Playback, strings.Join(o.Media, " "), o.Language)
}
func (o StopPlayback) String() string { return "stop-playback " + o.Playback }
func (o StartMOH) String() string     { return "moh " + o.Channel + " " + o.Class }
func (o StopMOH) String() string      { return "stop-moh " + o.Channel }
func (o Originate) String() string {
	return fmt.Sprintf("originate %s %s cid=%s entry=%T%+v", o.Channel, o.Endpoint, o.CallerID, o.Entry, o.Entry)
}
func (o CreateBridge) String() string { return "create-bridge " + o.Bridge }
func (o AddToBridge) String() string {
	return "add-to-bridge " + o.Bridge + " " + strings.Join(o.Channels, ",")
}
func (o DestroyBridge) String() string { return "destroy-bridge " + o.Bridge }
func (o RecordCall) String() string    { return "record-call " + o.Channel + " " + o.Name }
func (o StopRecording) String() string { return "stop-recording " + o.Channel + " " + o.Name }
func (o RecordChannel) String() string { return "record-channel " + o.Channel + " " + o.Name }
func (o Hangup) String() string        { return "hangup " + o.Channel + " " + o.Reason }

// Snoop puts a snoop channel with our id on a channel: it hears the channel's audio in direction
// Spy and injects what is played into it in direction Whisper ("in": from the channel, which its
// bridge hears; "out": to the channel, which its phone hears; "both"; "none"). The snoop channel
// enters the application with Entry.
type Snoop struct {
	Channel string // the channel snooped on
	Snoop   string // our id for the snoop channel
	Spy     string
	Whisper string
	Entry   Entry
}

func (Snoop) op() {}

func (o Snoop) String() string {
	return fmt.Sprintf("snoop %s %s spy=%s whisper=%s", o.Channel, o.Snoop, o.Spy, o.Whisper)
}
