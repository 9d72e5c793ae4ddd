package ami

import (
	"strconv"
	"strings"
)

// Channel is Asterisk's channel snapshot as AMI events carry it (Channel, ChannelState, ...),
// possibly under a prefix (DestChannel, TransfererChannel, ...).
type Channel struct {
	Channel           string // e.g. "PJSIP/1001-00000003"
	State             int    // ChannelState: 0 Down, 4 Ring, 5 Ringing, 6 Up, ...
	StateDesc         string // ChannelStateDesc
	CallerIDNum       string
	CallerIDName      string
	ConnectedLineNum  string
	ConnectedLineName string
	Language          string
	AccountCode       string
	Context           string
	Exten             string
	Priority          int
	Uniqueid          string
	Linkedid          string
}

// Bridge is Asterisk's bridge snapshot (BridgeUniqueid, BridgeType, ...), possibly prefixed.
type Bridge struct {
	Uniqueid    string
	Type        string
	Technology  string
	Creator     string
	Name        string
	NumChannels int
}

// decodeChannel reads the channel snapshot under prefix in one pass; ok is false when the
// message has no prefix+"Channel" header (e.g. DialEnd of an originate has no caller).
func decodeChannel(m *Message, prefix string) (ch Channel, ok bool) {
	for _, h := range m.Headers() {
		if !strings.HasPrefix(h.Name, prefix) {
			continue
		}
		switch h.Name[len(prefix):] {
		case "Channel":
			ch.Channel, ok = h.Value, true
		case "ChannelState":
			ch.State = atoi(h.Value)
		case "ChannelStateDesc":
			ch.StateDesc = h.Value
		case "CallerIDNum":
			ch.CallerIDNum = h.Value
		case "CallerIDName":
			ch.CallerIDName = h.Value
		case "ConnectedLineNum":
			ch.ConnectedLineNum = h.Value
		case "ConnectedLineName":
			ch.ConnectedLineName = h.Value
		case "Language":
			ch.Language = h.Value
		case "AccountCode":
			ch.AccountCode = h.Value
		case "Context":
			ch.Context = h.Value
		case "Exten":
			ch.Exten = h.Value
		case "Priority":
			ch.Priority = atoi(h.Value)
		case "Uniqueid":
			ch.Uniqueid = h.Value
		case "Linkedid":
			ch.Linkedid = h.Value
		}
	}
	return ch, ok
}

func optChannel(m *Message, prefix string) *Channel {
	if ch, ok := decodeChannel(m, prefix); ok {
		return &ch
	}
	return nil
}

func decodeBridge(m *Message, prefix string) (b Bridge) {
	prefix += "Bridge"
	for _, h := range m.Headers() {
		if !strings.HasPrefix(h.Name, prefix) {
			continue
		}
		switch h.Name[len(prefix):] {
		case "Uniqueid":
			b.Uniqueid = h.Value
		case "Type":
			b.Type = h.Value
		case "Technology":
			b.Technology = h.Value
		case "Creator":
			b.Creator = h.Value
		case "Name":
			b.Name = h.Value
		case "NumChannels":
			b.NumChannels = atoi(h.Value)
		}
	}
	return b
}

// atoi returns 0 for what is not a number: AMI values are text, and a typed field is a
// convenience, the raw header is still in the Message.
func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// DeviceStateChange: a device (e.g. "PJSIP/1001") changed state ("NOT_INUSE", "INUSE",
// "RINGING", "UNAVAILABLE", ...). DeviceStateList's items decode to it too.
type DeviceStateChange struct {
	Device string
	State  string
}

// ContactStatus: a PJSIP contact was created, removed, became reachable or unreachable.
type ContactStatus struct {
	URI           string
	ContactStatus string // Created, Removed, Reachable, Unreachable, Unknown, NonQualified, Updated
	AOR           string
	EndpointName  string
	RoundtripUsec string
	UserAgent     string
	RegExpire     string
	ViaAddress    string
	CallID        string
}

// Newchannel: a channel was created.
type Newchannel struct{ Channel }

// Hangup: a channel was hung up.
type Hangup struct {
	Channel
	Cause    int // Q.850 cause
	CauseTxt string
}

// DialEnd: a dial attempt ended with DialStatus (ANSWER, BUSY, NOANSWER, CANCEL, CONGESTION,
// CHANUNAVAIL, ...).
type DialEnd struct {
	Caller     *Channel // nil when the dial had no calling channel (an Originate)
	Dest       Channel
	DialStatus string
	Forward    string
}

// BlindTransfer: a blind transfer was attempted.
type BlindTransfer struct {
	Result     string // Success, Fail, Invalid, Not Permitted
	Transferer Channel
	Transferee *Channel
	Bridge     Bridge
	IsExternal bool
	Context    string
	Extension  string
}

// AttendedTransfer: an attended transfer was attempted.
type AttendedTransfer struct {
	Result           string
	OrigTransferer   Channel
	OrigBridge       Bridge
	SecondTransferer Channel
	SecondBridge     Bridge
	DestType         string // Bridge, App, Link, Threeway, Fail
	DestBridge       string // DestBridgeUniqueid, when DestType is Bridge
	DestApp          string
	Transferee       *Channel
	TransferTarget   *Channel
}

// OriginateResponse: the outcome of an Async Originate.
type OriginateResponse struct {
	ActionID     string
	Response     string // Success or Failure
	Channel      string
	Context      string
	Exten        string
	Application  string
	Data         string
	Reason       int // 4 answered; 0 no such extension/failure, 1 no answer, 3 ringing timeout, 5 busy, 8 congestion
	Uniqueid     string
	CallerIDNum  string
	CallerIDName string
}

// Decode returns the typed form of an event this package knows, or nil. DeviceStateList's items
// are DeviceStateChange events and decode as such.
func Decode(m *Message) any {
	switch name := m.Field("Event"); name {
	case "DeviceStateChange":
		return &DeviceStateChange{Device: m.Field("Device"), State: m.Field("State")}
	case "ContactStatus":
		return &ContactStatus{
			URI: m.Field("URI"), ContactStatus: m.Field("ContactStatus"), AOR: m.Field("AOR"),
			EndpointName: m.Field("EndpointName"), RoundtripUsec: m.Field("RoundtripUsec"),
			UserAgent: m.Field("UserAgent"), RegExpire: m.Field("RegExpire"),
			ViaAddress: m.Field("ViaAddress"), CallID: m.Field("CallID"),
		}
	case "Newchannel":
		ch, _ := decodeChannel(m, "")
		return &Newchannel{ch}
	case "Hangup":
		ch, _ := decodeChannel(m, "")
		return &Hangup{Channel: ch, Cause: atoi(m.Field("Cause")), CauseTxt: m.Field("Cause-txt")}
	case "DialEnd":
		dest, _ := decodeChannel(m, "Dest")
		return &DialEnd{Caller: optChannel(m, ""), Dest: dest, DialStatus: m.Field("DialStatus"), Forward: m.Field("Forward")}
	case "BlindTransfer":
		tr, _ := decodeChannel(m, "Transferer")
		return &BlindTransfer{
			Result: m.Field("Result"), Transferer: tr, Transferee: optChannel(m, "Transferee"),
			Bridge: decodeBridge(m, ""), IsExternal: strings.EqualFold(m.Field("IsExternal"), "Yes"),
			Context: m.Field("Context"), Extension: m.Field("Extension"),
		}
	case "AttendedTransfer":
		ot, _ := decodeChannel(m, "OrigTransferer")
		st, _ := decodeChannel(m, "SecondTransferer")
		return &AttendedTransfer{
			Result: m.Field("Result"), OrigTransferer: ot, OrigBridge: decodeBridge(m, "Orig"),
			SecondTransferer: st, SecondBridge: decodeBridge(m, "Second"),
			DestType: m.Field("DestType"), DestBridge: m.Field("DestBridgeUniqueid"), DestApp: m.Field("DestApp"),
			Transferee: optChannel(m, "Transferee"), TransferTarget: optChannel(m, "TransferTarget"),
		}
	case "OriginateResponse":
		return decodeOriginateResponse(m)
	}
	return nil
}

func decodeOriginateResponse(m *Message) *OriginateResponse {
	return &OriginateResponse{
		ActionID: m.ActionID(), Response: m.Field("Response"), Channel: m.Field("Channel"),
		Context: m.Field("Context"), Exten: m.Field("Exten"), Application: m.Field("Application"),
		Data: m.Field("Data"), Reason: atoi(m.Field("Reason")), Uniqueid: m.Field("Uniqueid"),
		CallerIDNum: m.Field("CallerIDNum"), CallerIDName: m.Field("CallerIDName"),
	}
}
