package ari_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline/ari"
)

// samples returns testdata/events/*.json: events captured from the sandbox Asterisk 22.10 and, for
// those it does not emit without SIP phones or broadcasts, built from events.json.
func samples(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob("testdata/events/*.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no samples in testdata/events: %v", err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		m[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	return m
}

func TestDecodeSamples(t *testing.T) {
	for typ, data := range samples(t) {
		t.Run(typ, func(t *testing.T) {
			ev := ari.Decode(data)
			if u, ok := ev.(*ari.Unknown); ok {
				t.Fatalf("decoded as Unknown: %v", u.Err)
			}
			if ev.GetType() != typ {
				t.Errorf("type %q, want %q", ev.GetType(), typ)
			}
			if ev.GetApplication() == "" || ev.GetNode() == "" {
				t.Errorf("application %q, node %q: want both", ev.GetApplication(), ev.GetNode())
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	s := samples(t)
	tests := []struct {
		typ   string
		check func(ari.Event) string // "" when right
	}{
		{"StasisStart", func(e ari.Event) string {
			ss := e.(*ariv6.StasisStart)
			if len(ss.Args) != 1 || ss.Args[0] != "inbound" || ss.Channel.ID == "" || ss.Channel.Caller.Number != "555" {
				return "args, channel id or caller lost"
			}
			return ""
		}},
		{"ChannelTransfer", func(e ari.Event) string {
			ct := e.(*ari.ChannelTransfer)
			if ct.ReferTo.RequestedDestination.Destination != "2001" || ct.ReferredBy.SourceChannel.ID == "" ||
				ct.ReferredBy.Bridge.ID != "call-1" || len(ct.ReferTo.RequestedDestination.AdditionalProtocolParams) != 1 {
				return "refer_to / referred_by lost"
			}
			if len(ct.Keys()) != 3 { // two channels and the bridge
				return "keys"
			}
			return ""
		}},
		{"CallClaimed", func(e ari.Event) string {
			if e.(*ari.CallClaimed).WinnerApp != "hotline" {
				return "winner_app lost"
			}
			return ""
		}},
		{"ChannelDtmfReceived", func(e ari.Event) string {
			if d := e.(*ariv6.ChannelDtmfReceived); d.Digit != "5" {
				return "digit lost"
			}
			return ""
		}},
		{"RESTResponse", func(e ari.Event) string {
			if r := e.(*ari.RESTResponse); r.StatusCode != 204 || r.URI == "" {
				return "status or uri lost"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			if msg := tt.check(ari.Decode(s[tt.typ])); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestDecodeUntyped(t *testing.T) {
	tests := []struct {
		name, in, typ string
	}{
		{"future event", `{"type":"ChannelTeleported","application":"hotline","timestamp":"2026-11-23T12:00:00.000+0000","where":"mars"}`, "ChannelTeleported"},
		{"not JSON", `{"type":`, ""},
		{"no type", `{"application":"hotline"}`, ""},
		{"wrong shape for a known type", `{"type":"StasisStart","args":"not-a-list"}`, "StasisStart"},
		{"array", `[1,2]`, ""},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := ari.Decode([]byte(tt.in))
			u, ok := ev.(*ari.Unknown)
			if !ok {
				t.Fatalf("got %T, want *ari.Unknown", ev)
			}
			if u.Type != tt.typ || string(u.Raw) != tt.in || u.Err == nil {
				t.Errorf("Unknown{Type %q, Raw %q, Err %v}; want type %q, the raw input and a reason", u.Type, u.Raw, u.Err, tt.typ)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range samples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"type":"ChannelTransfer","refer_to":{"requested_destination":null}}`))
	f.Add([]byte(`{"type":"StasisStart","channel":{"creationtime":"garbage"}}`))
	// The type elsewhere than first: after other keys, nested, twice.
	f.Add([]byte(`{"cause":16,"soft":true,"type":"ChannelHangupRequest","channel":{"id":"c1"}}`))
	f.Add([]byte(`{"playback":{"type":"StasisEnd","id":"p1"},"type":"PlaybackFinished"}`))
	f.Add([]byte(`{"type":"StasisEnd","type":"StasisStart","args":["x"]}`))
	f.Add([]byte(`{"type" : "StasisEnd","channel":{"id":"c1"}}`))
	for _, in := range oddCallEvents {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The reader reuses its buffer: an event must own its strings. Decode a copy, then spoil it.
		buf := append([]byte(nil), data...)
		ev := ari.Decode(buf)
		for i := range buf {
			buf[i] = 'X'
		}
		if ev == nil {
			t.Fatal("nil event")
		}
		// Reading the type off the bytes is a shortcut only: the event is the one a first parse
		// of the type, then of the event, gives.
		ref := ari.DecodeHeadFirst(data)
		// The one-pass decoder of a call's events, where it does not give up, gives that event too.
		if typ, ok := ari.PeekType(data); ok {
			if fast := ari.DecodeFast(string(typ), data); fast != nil && fast.GetType() == string(typ) {
				if _, ok := ref.(*ari.Unknown); ok || !sameEvent(fast, ref, data) {
					t.Fatalf("one pass: %#v; decoding the head first: %#v", fast, ref)
				}
			}
		}
		if u, ok := ev.(*ari.Unknown); ok {
			if string(u.Raw) != string(data) || u.Err == nil {
				t.Fatal("Unknown lost the raw bytes or the reason")
			}
			r, ok := ref.(*ari.Unknown)
			if !ok || r.Type != u.Type || r.Err.Error() != u.Err.Error() {
				t.Fatalf("Decode: %#v; decoding the head first: %#v", u, ref)
			}
			return
		}
		if !sameEvent(ev, ref, data) {
			t.Fatalf("Decode: %#v; decoding the head first: %#v", ev, ref)
		}
		if !ari.KnownEvent(ev.GetType()) {
			t.Fatalf("typed event of unknown type %q", ev.GetType())
		}
		_ = ev.Keys() // must not panic on partial events
	})
}

// sameEvent reports whether ev, decoded from data, is the head-first decode's event, field for
// field. ari/v6 puts the current time (to the second) in a channel's creation time it cannot
// convert: a second boundary between the two decodes is told apart by decoding again.
func sameEvent(ev, ref ari.Event, data []byte) bool {
	return reflect.DeepEqual(ev, ref) || reflect.DeepEqual(ari.Decode(data), ari.DecodeHeadFirst(data))
}

// oddCallEvents are a call's events in shapes Asterisk does not write: each decodes as
// encoding/json decodes it (ari/v6's ChannelData resets on a null or a repeated channel where a
// plain struct would merge; keys match whatever their case; escapes; numbers out of range).
var oddCallEvents = []string{
	// Unknown keys' values are skipped by JSON's grammar: each of these is invalid JSON.
	"{\"type\":\"StasisEnd\",\"x\":\"a\tb\"}", // a raw tab inside a string
	`{"type":"StasisEnd","x":nul}`,
	`{"type":"StasisEnd","x":1.}`,
	`{"type":"StasisEnd","x":1e}`,
	`{"type":"StasisEnd","x":"\x"}`,
	`{"type":"StasisEnd","x":[1,]}`,
	// A cause beyond int32 (an overflow on a 32-bit build) and a priority beyond int64.
	`{"type":"ChannelHangupRequest","cause":4294967312}`,
	`{"type":"StasisEnd","channel":{"dialplan":{"priority":9223372036854775808}}}`,
	`{"type":"StasisEnd","channel":null}`,
	`{"type":"StasisEnd","channel":{"id":"c1","name":"n"},"channel":{"state":"Up"}}`,
	`{"type":"StasisEnd","channel":{"id":"c1","id":"c2"}}`,
	`{"type":"StasisEnd","channel":{"id":"c1"},"channel":null}`,
	`{"type":"StasisEnd","channel":{}}`,
	`{"type":"StasisEnd","CHANNEL":{"id":"c1"}}`,
	`{"type":"StasisEnd","channel":{"ID":"c1","Caller":{"Name":"x"}}}`,
	"{\"type\":\"StasisEnd\",\"channel\":{\"\u017fTATE\":\"Up\"}}", // ſ folds to s
	`{"type":"StasisEnd","channel":{"caller":null,"dialplan":null,"channelvars":null}}`,
	`{"type":"StasisEnd","channel":{"caller":{"name":"a"},"caller":{"number":"1"}}}`,
	`{"type":"StasisEnd","channel":{"key":{"kind":"channel","id":"c1"}}}`,
	`{"type":"StasisEnd","channel":{"channelvars":{"A":"1","A":"2","b":""}}}`,
	`{"type":"StasisEnd","channel":{"channelvars":{}}}`,
	`{"type":"StasisEnd","channel":{"channelvars":{"A":1}}}`,
	`{"type":"StasisEnd","channel":{"tenantid":"t","caller_rdnis":"","extra":[1,{"a":[null,true,-0.5e+3]}]}}`,
	`{"type":"StasisEnd","channel":{"id":"c\u0031","name":"a\"b"}}`,
	`{"type":"StasisEnd","channel":{"id":"\ud800","name":"caf\u00e9"}}`,
	"{\"type\":\"StasisEnd\",\"channel\":{\"id\":\"caf\xc3\xa9\",\"name\":\"\xff\xfe\"}}",
	`{"type":"StasisEnd","channel":{"creationtime":"2026-11-23T12:42:50.190+0000"}}`,
	`{"type":"StasisEnd","channel":{"creationtime":"2026-11-23T12:42:50.19+0000"}}`,
	`{"type":"StasisEnd","channel":{"creationtime":"2026-11-23T12:42:50.190Z"}}`,
	`{"type":"StasisEnd","channel":{"creationtime":"2026-11-23T12:42:50.190+0530"}}`,
	`{"type":"StasisEnd","channel":{"creationtime":"0000-01-01T00:00:00.000+0000"}}`,
	`{"type":"StasisEnd","channel":{"creationtime":"0001-01-01T00:00:00.000+0100"}}`,
	`{"type":"StasisEnd","channel":{"creationtime":"9999-12-31T23:59:59.999-0100"}}`,
	`{"type":"StasisEnd","channel":{"creationtime":null}}`,
	`{"type":"StasisEnd","channel":{"creationtime":1}}`,
	`{"type":"StasisEnd","timestamp":"2026-13-23T12:42:50.190+0000","channel":{"id":"c1"}}`,
	`{"type":"StasisEnd","timestamp":null}`,
	`{"type":"StasisEnd","timestamp":"2026-11-23T12:42:50.190+0000","timestamp":"2026-11-23T12:42:51.190+0000"}`,
	`{"type":"ChannelHangupRequest","cause":99999999999999999999,"soft":true}`,
	`{"type":"ChannelHangupRequest","cause":-9223372036854775808,"soft":false}`,
	`{"type":"ChannelHangupRequest","cause":16.0,"soft":true}`,
	`{"type":"ChannelHangupRequest","cause":1e2,"soft":true}`,
	`{"type":"ChannelHangupRequest","cause":016}`,
	`{"type":"ChannelHangupRequest","cause":-0,"soft":null}`,
	`{"type":"ChannelHangupRequest","cause":"16","soft":"true"}`,
	`{"type":"ChannelDestroyed","cause":16,"cause_txt":"Normal Clearing","channel":{"dialplan":{"priority":9223372036854775808}}}`,
	`{"type":"ChannelDestroyed","cause":16,"cause_txt":"Normal Clearing","channel":{"dialplan":{"priority":-1,"app_data":""}}}`,
	`{"type":"StasisStart","args":[],"channel":{"id":"c1"}}`,
	`{"type":"StasisStart","args":null,"channel":{"id":"c1"}}`,
	`{"type":"StasisStart","args":["a",1]}`,
	`{"type":"StasisStart","args":["a"],"args":["b","c"]}`,
	`{"type":"StasisStart","replace_channel":{"id":"r1"},"channel":{"id":"c1"}}`,
	`{"type":"StasisStart","channel":{"id":"c1","dialplan":{"type":"StasisEnd"}}}`,
	`{"type":"PlaybackFinished","playback":{"id":"p1","type":"x","key":null}}`,
	`{"type":"PlaybackFinished","playback":{"id":"p1"},"playback":{"state":"done"}}`,
	`{"type":"PlaybackFinished","playback":null}`,
	" \t\n{\"type\":\"StasisEnd\" , \"channel\" : { \"id\" : \"c1\" } }\r\n ",
	`{"type":"StasisEnd","channel":{"id":"c1"}} x`,
	`{"type":"StasisEnd","channel":{"id":"c1"}}{}`,
	`{"type":"StasisEnd","channel":{"id":"c1",}}`,
	`{"type":"StasisEnd","channel":{"id":"c1"}`,
	`{"type":"StasisEnd","dialog":"d","application":"a","asterisk_id":"n","Type":"StasisStart"}`,
}

func TestDecodeOddCallEvents(t *testing.T) {
	for _, in := range oddCallEvents {
		data := []byte(in)
		ev, ref := ari.Decode(data), ari.DecodeHeadFirst(data)
		if u, ok := ref.(*ari.Unknown); ok {
			if d, ok := ev.(*ari.Unknown); !ok || d.Type != u.Type || d.Err.Error() != u.Err.Error() {
				t.Errorf("%s: Decode %#v; decoding the head first %#v", in, ev, ref)
			}
			continue
		}
		if !sameEvent(ev, ref, data) {
			t.Errorf("%s: Decode %#v; decoding the head first %#v", in, ev, ref)
		}
	}
}

// TestDecodeFastCallEvents: a call's events, as Asterisk writes them, take the one pass.
func TestDecodeFastCallEvents(t *testing.T) {
	s := samples(t)
	for _, typ := range []string{"StasisStart", "StasisEnd", "ChannelHangupRequest", "ChannelDestroyed", "PlaybackFinished"} {
		fast := ari.DecodeFast(typ, s[typ])
		if fast == nil {
			t.Errorf("%s: the one-pass decoder gave up", typ)
			continue
		}
		if ref := ari.DecodeHeadFirst(s[typ]); !reflect.DeepEqual(fast, ref) {
			t.Errorf("%s: one pass %#v; decoding the head first %#v", typ, fast, ref)
		}
	}
}

// BenchmarkDecode decodes a realistic mix: each captured sample in turn (b.N events in all).
func BenchmarkDecode(b *testing.B) {
	var all [][]byte
	var size int
	for _, d := range samples(b) {
		all = append(all, d)
		size += len(d)
	}
	b.SetBytes(int64(size / len(all)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := ari.Decode(all[i%len(all)]).(*ari.Unknown); ok {
			b.Fatal("unknown")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeStasisStart is the event every call begins with.
func BenchmarkDecodeStasisStart(b *testing.B) {
	d := samples(b)["StasisStart"]
	b.SetBytes(int64(len(d)))
	b.ReportAllocs()
	for b.Loop() {
		ari.Decode(d)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
