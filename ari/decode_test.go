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
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := ari.Decode(data)
		if ev == nil {
			t.Fatal("nil event")
		}
		// Reading the type off the bytes is a shortcut only: the event is the one a first parse
		// of the type, then of the event, gives.
		ref := ari.DecodeHeadFirst(data)
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
		if !reflect.DeepEqual(ev, ref) {
			t.Fatalf("Decode: %#v; decoding the head first: %#v", ev, ref)
		}
		if !ari.KnownEvent(ev.GetType()) {
			t.Fatalf("typed event of unknown type %q", ev.GetType())
		}
		_ = ev.Keys() // must not panic on partial events
	})
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
