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

// channelFields are the headers of a channel snapshot after its prefix, in Channel's order.
var channelFields = [...]string{"Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
	"ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority",
	"Uniqueid", "Linkedid"}

// bridgeFields are the headers of a bridge snapshot after its prefix and "Bridge".
var bridgeFields = [...]string{"Uniqueid", "Type", "Technology", "Creator", "Name", "NumChannels"}

// fieldOf returns the index in names of the header name minus prefix, or -1. Header names are
// matched as Message.Field matches them, ignoring case, so that a typed field and the raw header
// never disagree; exact is the fast path for Asterisk's own spelling.
func fieldOf(name, prefix string, names []string, exact func(string) int) int {
	if len(name) <= len(prefix) || (name[:len(prefix)] != prefix && !strings.EqualFold(name[:len(prefix)], prefix)) {
		return -1
	}
	rest := name[len(prefix):]
	if i := exact(rest); i >= 0 {
		return i
	}
	for i, n := range names {
		if len(n) == len(rest) && strings.EqualFold(n, rest) {
			return i
		}
	}
	return -1
}

func channelField(s string) int {
	switch s {
	case "Channel":
		return 0
	case "ChannelState":
		return 1
	case "ChannelStateDesc":
		return 2
	case "CallerIDNum":
		return 3
	case "CallerIDName":
		return 4
	case "ConnectedLineNum":
		return 5
	case "ConnectedLineName":
		return 6
	case "Language":
		return 7
	case "AccountCode":
		return 8
	case "Context":
		return 9
	case "Exten":
		return 10
	case "Priority":
		return 11
	case "Uniqueid":
		return 12
	case "Linkedid":
		return 13
	}
	return -1
}

func bridgeField(s string) int {
	switch s {
	case "Uniqueid":
		return 0
	case "Type":
		return 1
	case "Technology":
		return 2
	case "Creator":
		return 3
	case "Name":
		return 4
	case "NumChannels":
		return 5
	}
	return -1
}

// decodeChannel reads the channel snapshot under prefix in one pass; ok is false when the
// message has no prefix+"Channel" header (e.g. DialEnd of an originate has no caller). A header
// given twice counts once, the first time, as Field reads it.
func decodeChannel(m *Message, prefix string) (ch Channel, ok bool) {
	var seen uint32
	for _, h := range m.Headers() {
		i := fieldOf(h.Name, prefix, channelFields[:], channelField)
		if i < 0 || seen&(1<<i) != 0 {
			continue
		}
		seen |= 1 << i
		switch v := h.Value; i {
		case 0:
			ch.Channel, ok = v, true
		case 1:
			ch.State = atoi(v)
		case 2:
			ch.StateDesc = v
		case 3:
			ch.CallerIDNum = v
		case 4:
			ch.CallerIDName = v
		case 5:
			ch.ConnectedLineNum = v
		case 6:
			ch.ConnectedLineName = v
		case 7:
			ch.Language = v
		case 8:
			ch.AccountCode = v
		case 9:
			ch.Context = v
		case 10:
			ch.Exten = v
		case 11:
			ch.Priority = atoi(v)
		case 12:
			ch.Uniqueid = v
		case 13:
			ch.Linkedid = v
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
	var seen uint32
	for _, h := range m.Headers() {
		i := fieldOf(h.Name, prefix, bridgeFields[:], bridgeField)
		if i < 0 || seen&(1<<i) != 0 {
			continue
		}
		seen |= 1 << i
		switch v := h.Value; i {
		case 0:
			b.Uniqueid = v
		case 1:
			b.Type = v
		case 2:
			b.Technology = v
		case 3:
			b.Creator = v
		case 4:
			b.Name = v
		case 5:
			b.NumChannels = atoi(v)
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
