package ami

import (
	"bufio"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// receiveAll frames raw bytes as the client's reader does (never goami2 on an unterminated message:
// it panics on one, and hotline's framing is what keeps such input from it) and returns the events
// delivered.
func receiveAll(raw string) []*Message {
	var got []*Message
	s := &session{
		br: bufio.NewReaderSize(strings.NewReader(raw), 16<<10), maxMsg: 64 << 10,
		counts: &counters{}, pending: map[string]*pending{}, live: true,
		deliver: func(m *Message) { got = append(got, m) },
	}
	_ = s.receive() // ends at EOF or on a protocol error; what was delivered before stands
	return got
}

// decodeSeeds are the typed events as Asterisk 22 sends them, and their awkward relatives.
func decodeSeeds() []string {
	join := func(groups ...[]string) string {
		var all []string
		for _, g := range groups {
			all = append(all, g...)
		}
		return strings.Join(all, "\r\n") + "\r\n\r\n"
	}
	return []string{
		sampleNewchannel,
		join([]string{"Event: DeviceStateChange", "Privilege: call,all", "Device: PJSIP/1001", "State: INUSE"}),
		join([]string{"Event: ContactStatus", "URI: sip:1001@127.0.0.1:5070", "ContactStatus: Reachable", "AOR: 1001",
			"EndpointName: 1001", "RoundtripUsec: 1234", "UserAgent: sipgo", "RegExpire: 1795437600"}),
		join([]string{"Event: Hangup"}, channelLines("", "PJSIP/1001-1", "1.1"), []string{"Cause: 16", "Cause-txt: Normal Clearing"}),
		join([]string{"Event: DialEnd"}, channelLines("", "PJSIP/1001-1", "1.1"), channelLines("Dest", "PJSIP/2001-2", "1.2"), []string{"DialStatus: ANSWER"}),
		join([]string{"Event: BlindTransfer", "Result: Success"}, channelLines("Transferer", "PJSIP/1001-1", "1.1"),
			[]string{"BridgeUniqueid: B1", "BridgeType: basic", "BridgeNumChannels: 2"}, channelLines("Transferee", "PJSIP/2001-2", "1.2"),
			[]string{"IsExternal: Yes", "Context: hotline-operators", "Extension: 1002"}),
		join([]string{"Event: AttendedTransfer", "Result: Success"}, channelLines("OrigTransferer", "PJSIP/1001-1", "1.1"),
			[]string{"OrigBridgeUniqueid: B1"}, channelLines("SecondTransferer", "PJSIP/1001-4", "1.1"),
			[]string{"DestType: Bridge", "DestBridgeUniqueid: B1"}, channelLines("TransferTarget", "PJSIP/1002-3", "1.3")),
		join([]string{"Event: OriginateResponse", "ActionID: 7", "Response: Failure", "Channel: PJSIP/1001", "Reason: 5", "Uniqueid: <null>"}),
		// Duplicated and differently cased headers: the typed field is the first, as Field reads it.
		join([]string{"Event: Hangup", "Channel: PJSIP/1001-1", "Channel: PJSIP/9999-9", "cause: 16", "Cause: 17"}),
		join([]string{"Event: Newchannel", "CHANNEL: PJSIP/1001-1", "channelstate: 6", "Uniqueid: 1.1"}),
		join([]string{"Event: DialEnd", "DestChannel: x", "DestChannelState: 99999999999999999999", "DialStatus:"}),
		"Event: Hangup\nChannel: LF only\n\n",
		"Event: Hangup\r\nChannel_X: lenient\r\nline without colon\r\n\r\n",
		"Event: Hangup\r\nChannel: unterminated", // never reaches the parser
	}
}

// FuzzDecode: whatever Asterisk (or a man in the middle) sends, the receive path delivers messages
// and Decode turns them into typed events without panicking, the same way every time, a typed
// event exactly when the event is one Decode knows, with every typed field what the message's
// header says (Field: the first of that name, any case), and the typed event survives being
// written out and read back.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, m := range receiveAll(raw) {
			ev := Decode(m)
			if again := Decode(m); !reflect.DeepEqual(ev, again) {
				t.Fatalf("Decode differs on the same message:\n%#v\n%#v", ev, again)
			}
			checkTyped(t, m, ev)
			// Written out as Asterisk would and read back: the same typed event.
			if wire, ok := canonical(m); ok {
				back := receiveAll(wire)
				if len(back) != 1 {
					t.Fatalf("%q read back as %d messages", wire, len(back))
				}
				if got := Decode(back[0]); !reflect.DeepEqual(got, ev) {
					t.Fatalf("round trip of %q:\n got %#v\nwant %#v", wire, got, ev)
				}
			}
		}
	})
}

// canonical writes m as Asterisk does, when its headers can be written so (a name of letters,
// digits and '-', a value without line breaks or leading spaces: what a parsed message may not
// have, the lenient parser having kept it).
func canonical(m *Message) (string, bool) {
	if m.Len() == 0 {
		return "", false
	}
	var b strings.Builder
	for _, h := range m.Headers() {
		if len(h.Name) < 2 || strings.TrimLeft(h.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" ||
			strings.ContainsAny(h.Value, "\r\n") || strings.HasPrefix(h.Value, " ") {
			return "", false
		}
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	return b.String() + "\r\n", true
}

// checkTyped checks ev against the message it was decoded from.
func checkTyped(t *testing.T, m *Message, ev any) {
	t.Helper()
	name := m.Field("Event")
	want := map[string]string{
		"DeviceStateChange": "*ami.DeviceStateChange", "ContactStatus": "*ami.ContactStatus", "Newchannel": "*ami.Newchannel",
		"Hangup": "*ami.Hangup", "DialEnd": "*ami.DialEnd", "BlindTransfer": "*ami.BlindTransfer",
		"AttendedTransfer": "*ami.AttendedTransfer", "OriginateResponse": "*ami.OriginateResponse",
	}[name]
	if want == "" {
		want = "nil"
	}
	if got := typeName(ev); got != want {
		t.Fatalf("Event %q decoded as %s, want %s", name, got, want)
	}
	field := func(what, got, header string) {
		t.Helper()
		if w := m.Field(header); got != w {
			t.Fatalf("%s: %s = %q, header %s says %q\n%s", name, what, got, header, w, m.String())
		}
	}
	number := func(what string, got int, header string) {
		t.Helper()
		w, _ := strconv.Atoi(strings.TrimSpace(m.Field(header)))
		if got != w {
			t.Fatalf("%s: %s = %d, header %s says %q", name, what, got, header, m.Field(header))
		}
	}
	channel := func(prefix string, ch *Channel) {
		t.Helper()
		if ch == nil {
			if hasHeader(m, prefix+"Channel") {
				t.Fatalf("%s: no %sChannel decoded though the header is there", name, prefix)
			}
			return
		}
		field(prefix+"Channel", ch.Channel, prefix+"Channel")
		number(prefix+"ChannelState", ch.State, prefix+"ChannelState")
		for _, f := range []struct{ got, header string }{
			{ch.StateDesc, "ChannelStateDesc"}, {ch.CallerIDNum, "CallerIDNum"}, {ch.CallerIDName, "CallerIDName"},
			{ch.ConnectedLineNum, "ConnectedLineNum"}, {ch.ConnectedLineName, "ConnectedLineName"}, {ch.Language, "Language"},
			{ch.AccountCode, "AccountCode"}, {ch.Context, "Context"}, {ch.Exten, "Exten"}, {ch.Uniqueid, "Uniqueid"}, {ch.Linkedid, "Linkedid"},
		} {
			field(prefix+f.header, f.got, prefix+f.header)
		}
		number(prefix+"Priority", ch.Priority, prefix+"Priority")
	}
	bridge := func(prefix string, b Bridge) {
		t.Helper()
		p := prefix + "Bridge"
		field(p+"Uniqueid", b.Uniqueid, p+"Uniqueid")
		field(p+"Type", b.Type, p+"Type")
		field(p+"Technology", b.Technology, p+"Technology")
		field(p+"Creator", b.Creator, p+"Creator")
		field(p+"Name", b.Name, p+"Name")
		number(p+"NumChannels", b.NumChannels, p+"NumChannels")
	}
	switch e := ev.(type) {
	case *DeviceStateChange:
		field("Device", e.Device, "Device")
		field("State", e.State, "State")
	case *ContactStatus:
		field("URI", e.URI, "URI")
		field("ContactStatus", e.ContactStatus, "ContactStatus")
		field("AOR", e.AOR, "AOR")
		field("EndpointName", e.EndpointName, "EndpointName")
	case *Newchannel:
		channel("", &e.Channel)
	case *Hangup:
		channel("", &e.Channel)
		number("Cause", e.Cause, "Cause")
		field("CauseTxt", e.CauseTxt, "Cause-txt")
	case *DialEnd:
		channel("", e.Caller)
		channel("Dest", &e.Dest)
		field("DialStatus", e.DialStatus, "DialStatus")
	case *BlindTransfer:
		channel("Transferer", &e.Transferer)
		channel("Transferee", e.Transferee)
		bridge("", e.Bridge)
		field("Result", e.Result, "Result")
		if e.IsExternal != strings.EqualFold(m.Field("IsExternal"), "Yes") {
			t.Fatalf("IsExternal = %v, header says %q", e.IsExternal, m.Field("IsExternal"))
		}
	case *AttendedTransfer:
		channel("OrigTransferer", &e.OrigTransferer)
		channel("SecondTransferer", &e.SecondTransferer)
		channel("Transferee", e.Transferee)
		channel("TransferTarget", e.TransferTarget)
		bridge("Orig", e.OrigBridge)
		bridge("Second", e.SecondBridge)
		field("DestType", e.DestType, "DestType")
		field("DestBridge", e.DestBridge, "DestBridgeUniqueid")
	case *OriginateResponse:
		field("ActionID", e.ActionID, "ActionID")
		field("Response", e.Response, "Response")
		field("Channel", e.Channel, "Channel")
		number("Reason", e.Reason, "Reason")
	}
}

func hasHeader(m *Message, name string) bool {
	for _, h := range m.Headers() {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}
