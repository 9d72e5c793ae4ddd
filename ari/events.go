package ari

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Event is what the event stream delivers: ari/v6's event interface, so a consumer type-switches over
// *ariv6.StasisStart, *ariv6.PlaybackFinished, ... and, for what ari/v6 does not know, this package's
// *ChannelTransfer, *CallBroadcast, ..., *Unknown, and the connection's own *Connected,
// *Disconnected and *Reconnected.
type Event = ariv6.Event

// Types of the events ari/v6 lacks (Asterisk 22's events.json has them).
const (
	EventApplicationRegistered   = "ApplicationRegistered"
	EventApplicationUnregistered = "ApplicationUnregistered"
	EventChannelToneDetected     = "ChannelToneDetected"
	EventChannelTransfer         = "ChannelTransfer"
	EventRESTResponse            = "RESTResponse"
	EventCallBroadcast           = "CallBroadcast"
	EventCallClaimed             = "CallClaimed"
)

// Types of the events this package makes itself about its connection; Asterisk never sends them.
const (
	EventConnected    = "Connected"
	EventDisconnected = "Disconnected"
	EventReconnected  = "Reconnected"
)

// ApplicationRegistered: an application registered with Asterisk (its websocket connected).
type ApplicationRegistered struct {
	ariv6.EventData
}

// Keys implements ariv6.Event.
func (*ApplicationRegistered) Keys() ariv6.Keys { return nil }

// ApplicationUnregistered: an application's registration ended.
type ApplicationUnregistered struct {
	ariv6.EventData
}

// Keys implements ariv6.Event.
func (*ApplicationUnregistered) Keys() ariv6.Keys { return nil }

// ChannelToneDetected: a tone (e.g. fax CNG) was detected on a channel (TONE_DETECT).
type ChannelToneDetected struct {
	ariv6.EventData
	Channel ariv6.ChannelData `json:"channel"`
}

// Keys implements ariv6.Event.
func (e *ChannelToneDetected) Keys() ariv6.Keys { return channelKeys(&e.EventData, &e.Channel) }

// ChannelTransfer (Asterisk 22.3+): a SIP REFER arrived on a channel whose
// PJSIP_TRANSFER_HANDLING is ari-only; the application decides what happens and reports the
// progress back with Channel.TransferProgress.
type ChannelTransfer struct {
	ariv6.EventData
	State      string     `json:"state,omitempty"`
	ReferTo    ReferTo    `json:"refer_to"`
	ReferredBy ReferredBy `json:"referred_by"`
}

// Keys implements ariv6.Event.
func (e *ChannelTransfer) Keys() ariv6.Keys {
	var ks ariv6.Keys
	for _, id := range []string{e.ReferredBy.SourceChannel.ID, e.ReferredBy.ConnectedChannel.ID,
		e.ReferTo.DestinationChannel.ID, e.ReferTo.ConnectedChannel.ID} {
		if id != "" {
			ks = append(ks, e.Key(ariv6.ChannelKey, id))
		}
	}
	for _, id := range []string{e.ReferredBy.Bridge.ID, e.ReferTo.Bridge.ID} {
		if id != "" {
			ks = append(ks, e.Key(ariv6.BridgeKey, id))
		}
	}
	return ks
}

// ReferTo is a REFER's target: a destination (blind) or the channels it replaces (attended).
type ReferTo struct {
	RequestedDestination RequiredDestination `json:"requested_destination"`
	DestinationChannel   ariv6.ChannelData   `json:"destination_channel,omitempty"`
	ConnectedChannel     ariv6.ChannelData   `json:"connected_channel,omitempty"`
	Bridge               ariv6.BridgeData    `json:"bridge,omitempty"`
}

// ReferredBy is where a REFER came from.
type ReferredBy struct {
	SourceChannel    ariv6.ChannelData `json:"source_channel"`
	ConnectedChannel ariv6.ChannelData `json:"connected_channel,omitempty"`
	Bridge           ariv6.BridgeData  `json:"bridge,omitempty"`
}

// RequiredDestination: Destination for a blind transfer, ProtocolID (SIP Call-ID) for an attended one.
type RequiredDestination struct {
	ProtocolID               string            `json:"protocol_id,omitempty"`
	Destination              string            `json:"destination,omitempty"`
	AdditionalProtocolParams []AdditionalParam `json:"additional_protocol_params,omitempty"`
}

// AdditionalParam is one protocol-specific parameter of a REFER.
type AdditionalParam struct {
	Name  string `json:"parameter_name"`
	Value string `json:"parameter_value"`
}

// RESTResponse answers a REST request made over the websocket (Asterisk 20.14+/22.4+ outbound
// websockets); hotline uses plain HTTP but types it so it is never lost.
type RESTResponse struct {
	ariv6.EventData
	TransactionID string `json:"transaction_id"`
	RequestID     string `json:"request_id"`
	StatusCode    int    `json:"status_code"`
	ReasonPhrase  string `json:"reason_phrase"`
	URI           string `json:"uri"`
	ContentType   string `json:"content_type,omitempty"`
	MessageBody   string `json:"message_body,omitempty"`
}

// Keys implements ariv6.Event.
func (*RESTResponse) Keys() ariv6.Keys { return nil }

// CallBroadcast offers a channel to several applications; the first to claim it (Conn.Claim) wins.
type CallBroadcast struct {
	ariv6.EventData
	Channel ariv6.ChannelData `json:"channel"`
	Caller  string            `json:"caller,omitempty"`
	Called  string            `json:"called,omitempty"`
}

// Keys implements ariv6.Event.
func (e *CallBroadcast) Keys() ariv6.Keys { return channelKeys(&e.EventData, &e.Channel) }

// CallClaimed: an application won a broadcast channel.
type CallClaimed struct {
	ariv6.EventData
	Channel   ariv6.ChannelData `json:"channel"`
	WinnerApp string            `json:"winner_app"`
}

// Keys implements ariv6.Event.
func (e *CallClaimed) Keys() ariv6.Keys { return channelKeys(&e.EventData, &e.Channel) }

// TextMessageReceived replaces ari/v6's type, which wants message.variables as a list where
// Asterisk sends an object (so every message with variables would fail to decode).
type TextMessageReceived struct {
	ariv6.EventData
	Message  TextMessage        `json:"message"`
	Endpoint ariv6.EndpointData `json:"endpoint,omitempty"`
}

// TextMessage is a SIP MESSAGE or other out-of-call text.
type TextMessage struct {
	From      string            `json:"from"`
	To        string            `json:"to"`
	Body      string            `json:"body"`
	Variables map[string]string `json:"variables,omitempty"`
}

// Keys implements ariv6.Event.
func (e *TextMessageReceived) Keys() ariv6.Keys {
	if e.Endpoint.Technology == "" {
		return nil
	}
	return ariv6.Keys{e.Key(ariv6.EndpointKey, e.Endpoint.ID())}
}

func channelKeys(e *ariv6.EventData, ch *ariv6.ChannelData) ariv6.Keys {
	if ch.ID == "" {
		return nil
	}
	return ariv6.Keys{e.Key(ariv6.ChannelKey, ch.ID)}
}

// Unknown is a message this package could not type: an event newer than this code, or one that
// does not parse. It is delivered, never dropped, with the raw bytes, so nothing is lost silently.
type Unknown struct {
	ariv6.EventData
	Raw json.RawMessage
	Err error // why it could not be typed
}

// Keys implements ariv6.Event.
func (*Unknown) Keys() ariv6.Keys { return nil }

// Connected is the first event of a Conn: the websocket is up and the application registered.
type Connected struct {
	ariv6.EventData
}

// Keys implements ariv6.Event.
func (*Connected) Keys() ariv6.Keys { return nil }

// Disconnected: the websocket was lost (Err says why, ErrSlowConsumer included). Asterisk does not
// queue events while nobody listens, so events may be missing until the next Reconnected.
type Disconnected struct {
	ariv6.EventData
	Err error
}

// Keys implements ariv6.Event.
func (*Disconnected) Keys() ariv6.Keys { return nil }

// Reconnected: the websocket is up again after a Disconnected. Whatever happened in between was not
// seen: list what Asterisk still holds (Conn.Channels, Conn.Bridges) and reconcile.
type Reconnected struct {
	ariv6.EventData
	Downtime time.Duration // since the Disconnected
	Attempts int           // dials it took
}

// Keys implements ariv6.Event.
func (*Reconnected) Keys() ariv6.Keys { return nil }

// decoders builds an empty event of each type Asterisk 22 sends. Read-only after init.
var decoders = map[string]func() Event{
	ariv6.Events.ApplicationMoveFailed:    func() Event { return new(ariv6.ApplicationMoveFailed) },
	ariv6.Events.ApplicationReplaced:      func() Event { return new(ariv6.ApplicationReplaced) },
	ariv6.Events.BridgeAttendedTransfer:   func() Event { return new(ariv6.BridgeAttendedTransfer) },
	ariv6.Events.BridgeBlindTransfer:      func() Event { return new(ariv6.BridgeBlindTransfer) },
	ariv6.Events.BridgeCreated:            func() Event { return new(ariv6.BridgeCreated) },
	ariv6.Events.BridgeDestroyed:          func() Event { return new(ariv6.BridgeDestroyed) },
	ariv6.Events.BridgeMerged:             func() Event { return new(ariv6.BridgeMerged) },
	ariv6.Events.BridgeVideoSourceChanged: func() Event { return new(ariv6.BridgeVideoSourceChanged) },
	ariv6.Events.ChannelCallerID:          func() Event { return new(ariv6.ChannelCallerID) },
	ariv6.Events.ChannelConnectedLine:     func() Event { return new(ariv6.ChannelConnectedLine) },
	ariv6.Events.ChannelCreated:           func() Event { return new(ariv6.ChannelCreated) },
	ariv6.Events.ChannelDestroyed:         func() Event { return new(ariv6.ChannelDestroyed) },
	ariv6.Events.ChannelDialplan:          func() Event { return new(ariv6.ChannelDialplan) },
	ariv6.Events.ChannelDtmfReceived:      func() Event { return new(ariv6.ChannelDtmfReceived) },
	ariv6.Events.ChannelEnteredBridge:     func() Event { return new(ariv6.ChannelEnteredBridge) },
	ariv6.Events.ChannelHangupRequest:     func() Event { return new(ariv6.ChannelHangupRequest) },
	ariv6.Events.ChannelHold:              func() Event { return new(ariv6.ChannelHold) },
	ariv6.Events.ChannelLeftBridge:        func() Event { return new(ariv6.ChannelLeftBridge) },
	ariv6.Events.ChannelStateChange:       func() Event { return new(ariv6.ChannelStateChange) },
	ariv6.Events.ChannelTalkingFinished:   func() Event { return new(ariv6.ChannelTalkingFinished) },
	ariv6.Events.ChannelTalkingStarted:    func() Event { return new(ariv6.ChannelTalkingStarted) },
	ariv6.Events.ChannelUnhold:            func() Event { return new(ariv6.ChannelUnhold) },
	ariv6.Events.ChannelUserevent:         func() Event { return new(ariv6.ChannelUserevent) },
	ariv6.Events.ChannelVarset:            func() Event { return new(ariv6.ChannelVarset) },
	ariv6.Events.ContactStatusChange:      func() Event { return new(ariv6.ContactStatusChange) },
	ariv6.Events.DeviceStateChanged:       func() Event { return new(ariv6.DeviceStateChanged) },
	ariv6.Events.Dial:                     func() Event { return new(ariv6.Dial) },
	ariv6.Events.EndpointStateChange:      func() Event { return new(ariv6.EndpointStateChange) },
	ariv6.Events.PeerStatusChange:         func() Event { return new(ariv6.PeerStatusChange) },
	ariv6.Events.PlaybackContinuing:       func() Event { return new(ariv6.PlaybackContinuing) },
	ariv6.Events.PlaybackFinished:         func() Event { return new(ariv6.PlaybackFinished) },
	ariv6.Events.PlaybackStarted:          func() Event { return new(ariv6.PlaybackStarted) },
	ariv6.Events.RecordingFailed:          func() Event { return new(ariv6.RecordingFailed) },
	ariv6.Events.RecordingFinished:        func() Event { return new(ariv6.RecordingFinished) },
	ariv6.Events.RecordingStarted:         func() Event { return new(ariv6.RecordingStarted) },
	ariv6.Events.StasisEnd:                func() Event { return new(ariv6.StasisEnd) },
	ariv6.Events.StasisStart:              func() Event { return new(ariv6.StasisStart) },
	ariv6.Events.TextMessageReceived:      func() Event { return new(TextMessageReceived) },

	EventApplicationRegistered:   func() Event { return new(ApplicationRegistered) },
	EventApplicationUnregistered: func() Event { return new(ApplicationUnregistered) },
	EventChannelToneDetected:     func() Event { return new(ChannelToneDetected) },
	EventChannelTransfer:         func() Event { return new(ChannelTransfer) },
	EventRESTResponse:            func() Event { return new(RESTResponse) },
	EventCallBroadcast:           func() Event { return new(CallBroadcast) },
	EventCallClaimed:             func() Event { return new(CallClaimed) },
}

// EventTypes returns the names of the event types Decode types, sorted.
func EventTypes() []string {
	names := make([]string, 0, len(decoders))
	for n := range decoders {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// KnownEvent reports whether Decode has a type for events of this name.
func KnownEvent(typ string) bool {
	_, ok := decoders[typ]
	return ok
}

// Decode types one websocket message. It never fails: what it cannot type comes back as *Unknown
// with the raw bytes and the reason (Err), so the caller can log it and pass it on.
func Decode(data []byte) Event {
	// The type read off the raw bytes saves a first parse per event: the typed decode is kept only
	// when the type it holds is the one read, so a "type" key found elsewhere (a nested object, a
	// repeated key) costs a second parse, never a wrong event.
	if typ, ok := peekType(data); ok {
		// A call's events in one pass, when the message has the plain shape Asterisk writes.
		if ev := decodeFast(string(typ), data); ev != nil && ev.GetType() == string(typ) {
			return ev
		}
		if mk, ok := decoders[string(typ)]; ok {
			ev := mk()
			if err := json.Unmarshal(data, ev); err == nil && ev.GetType() == string(typ) {
				return ev
			}
		}
	}
	return decodeHeadFirst(data)
}

// decodeHeadFirst reads the type with a first parse, then decodes the event it names: what Decode
// does when the type could not be read off the bytes, and the reference FuzzDecode holds it to.
func decodeHeadFirst(data []byte) Event {
	var head ariv6.EventData
	if err := json.Unmarshal(data, &head); err != nil {
		return unknown(head, data, fmt.Errorf("ari: decode event: %w", err))
	}
	mk, ok := decoders[head.Type]
	if !ok {
		if head.Type == "" {
			return unknown(head, data, errors.New("ari: decode event: no type"))
		}
		return unknown(head, data, fmt.Errorf("ari: decode event: unknown type %q", head.Type))
	}
	ev := mk()
	if err := json.Unmarshal(data, ev); err != nil {
		return unknown(head, data, fmt.Errorf("ari: decode %s event: %w", head.Type, err))
	}
	return ev
}

// peekType returns X for the first "type":"X" in data (no escapes in X). Asterisk writes "type"
// first in most events, not in all: ChannelHangupRequest begins with "cause" and "soft" (3 of a
// call's 10 decoded events were parsed twice while only the front was read). What it finds may not
// be the event's own key (a nested object's "type", or a key ending in an escaped quote such as
// "a\"type"): Decode keeps the quick result only when the decoded event's type is the one found,
// and decodes from the start otherwise.
func peekType(data []byte) ([]byte, bool) {
	const key = `"type":"`
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return nil, false
	}
	rest := data[i+len(key):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return nil, false
	}
	return rest[:end], true
}

func unknown(head ariv6.EventData, data []byte, err error) *Unknown {
	// Copy: the websocket reader reuses its buffer and Unknown keeps the bytes.
	return &Unknown{EventData: head, Raw: append(json.RawMessage(nil), data...), Err: err}
}
