package ami

import (
	"reflect"
	"strings"
	"testing"
)

// msg builds a parsed message from "Name: Value" lines.
func msg(lines ...string) *Message {
	return parseMessage(strings.Join(lines, "\r\n")+"\r\n\r\n", nil)
}

func channelLines(prefix, name, uniqueid string) []string {
	return []string{
		prefix + "Channel: " + name, prefix + "ChannelState: 6", prefix + "ChannelStateDesc: Up",
		prefix + "CallerIDNum: 1001", prefix + "CallerIDName: Alice", prefix + "Context: hotline-operators",
		prefix + "Exten: *43", prefix + "Priority: 2", prefix + "Uniqueid: " + uniqueid, prefix + "Linkedid: L",
	}
}

func channel(name, uniqueid string) Channel {
	return Channel{Channel: name, State: 6, StateDesc: "Up", CallerIDNum: "1001", CallerIDName: "Alice",
		Context: "hotline-operators", Exten: "*43", Priority: 2, Uniqueid: uniqueid, Linkedid: "L"}
}

func lines(groups ...[]string) *Message {
	var all []string
	for _, g := range groups {
		all = append(all, g...)
	}
	return msg(all...)
}

func TestDecode(t *testing.T) {
	tr, te, tt2 := channel("PJSIP/1001-1", "1.1"), channel("PJSIP/2001-2", "1.2"), channel("PJSIP/1002-3", "1.3")
	tests := []struct {
		name string
		m    *Message
		want any
	}{
		{"DeviceStateChange", msg("Event: DeviceStateChange", "Device: PJSIP/1001", "State: INUSE"),
			&DeviceStateChange{Device: "PJSIP/1001", State: "INUSE"}},
		{"DeviceStateList item", msg("Event: DeviceStateChange", "ActionID: 6", "Device: PJSIP/1001", "State: UNAVAILABLE"),
			&DeviceStateChange{Device: "PJSIP/1001", State: "UNAVAILABLE"}},
		{"no Event header", msg("ActionID: 6", "Device: PJSIP/1001"), nil},
		{"ContactStatus", msg("Event: ContactStatus", "URI: sip:1001@127.0.0.1:5070", "ContactStatus: Reachable",
			"AOR: 1001", "EndpointName: 1001", "RoundtripUsec: 1234", "UserAgent: sipgo", "RegExpire: 1795437600",
			"ViaAddress: 127.0.0.1:5070", "CallID: abc"),
			&ContactStatus{URI: "sip:1001@127.0.0.1:5070", ContactStatus: "Reachable", AOR: "1001", EndpointName: "1001",
				RoundtripUsec: "1234", UserAgent: "sipgo", RegExpire: "1795437600", ViaAddress: "127.0.0.1:5070", CallID: "abc"}},
		{"Newchannel", lines([]string{"Event: Newchannel"}, channelLines("", "PJSIP/1001-1", "1.1")),
			&Newchannel{tr}},
		{"Hangup", lines([]string{"Event: Hangup"}, channelLines("", "PJSIP/1001-1", "1.1"), []string{"Cause: 16", "Cause-txt: Normal Clearing"}),
			&Hangup{Channel: tr, Cause: 16, CauseTxt: "Normal Clearing"}},
		{"DialEnd with caller", lines([]string{"Event: DialEnd"}, channelLines("", "PJSIP/1001-1", "1.1"),
			channelLines("Dest", "PJSIP/2001-2", "1.2"), []string{"DialStatus: ANSWER"}),
			&DialEnd{Caller: &tr, Dest: te, DialStatus: "ANSWER"}},
		{"DialEnd of an originate", lines([]string{"Event: DialEnd"}, channelLines("Dest", "PJSIP/2001-2", "1.2"),
			[]string{"DialStatus: NOANSWER"}),
			&DialEnd{Dest: te, DialStatus: "NOANSWER"}},
		{"BlindTransfer", lines([]string{"Event: BlindTransfer", "Result: Success"}, channelLines("Transferer", "PJSIP/1001-1", "1.1"),
			[]string{"BridgeUniqueid: B1", "BridgeType: basic", "BridgeNumChannels: 2"},
			channelLines("Transferee", "PJSIP/2001-2", "1.2"), []string{"IsExternal: Yes", "Context: hotline-operators", "Extension: 1002"}),
			&BlindTransfer{Result: "Success", Transferer: tr, Transferee: &te, Bridge: Bridge{Uniqueid: "B1", Type: "basic", NumChannels: 2},
				IsExternal: true, Context: "hotline-operators", Extension: "1002"}},
		{"AttendedTransfer", lines([]string{"Event: AttendedTransfer", "Result: Success"},
			channelLines("OrigTransferer", "PJSIP/1001-1", "1.1"), []string{"OrigBridgeUniqueid: B1", "OrigBridgeTechnology: simple_bridge"},
			channelLines("SecondTransferer", "PJSIP/1001-4", "1.1"), []string{"SecondBridgeUniqueid: B2"},
			[]string{"DestType: Bridge", "DestBridgeUniqueid: B1"},
			channelLines("Transferee", "PJSIP/2001-2", "1.2"), channelLines("TransferTarget", "PJSIP/1002-3", "1.3")),
			&AttendedTransfer{Result: "Success", OrigTransferer: tr, OrigBridge: Bridge{Uniqueid: "B1", Technology: "simple_bridge"},
				SecondTransferer: func() Channel { c := tr; c.Channel = "PJSIP/1001-4"; return c }(), SecondBridge: Bridge{Uniqueid: "B2"},
				DestType: "Bridge", DestBridge: "B1", Transferee: &te, TransferTarget: &tt2}},
		{"OriginateResponse", msg("Event: OriginateResponse", "ActionID: 7", "Response: Failure", "Channel: PJSIP/1001",
			"Reason: 5", "Uniqueid: <null>"),
			&OriginateResponse{ActionID: "7", Response: "Failure", Channel: "PJSIP/1001", Reason: 5, Uniqueid: "<null>"}},
		{"unknown event stays raw", msg("Event: PeerStatus", "Peer: PJSIP/1001"), nil},
		{"garbage numbers", msg("Event: Hangup", "Channel: X", "Cause: sixteen", "ChannelState: -"),
			&Hangup{Channel: Channel{Channel: "X"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decode(tt.m)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("Decode = %#v, want nil", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decode =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}
