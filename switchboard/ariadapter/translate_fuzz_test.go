package ariadapter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/switchboard"
)

// capturedEvents are the ari package's events captured from Asterisk 22: the seeds.
func capturedEvents(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "ari", "testdata", "events", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no captured events: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzTranslate: whatever arrives on the websocket, decoding and translating it never panics, gives
// the same switchboard event every time, translates only the types in EventTypes (the filter
// hotline asks Asterisk for: a type missing there would never arrive), and the typed event written
// back as JSON translates the same (nothing Translate reads is lost or changed by decoding).
func FuzzTranslate(f *testing.F) {
	for _, b := range capturedEvents(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"type":"StasisStart","args":[],"channel":{"id":"c1"}}`))
	f.Add([]byte(`{"type":"StasisStart","args":["inbound","language=en",""],"channel":{"id":"c1","caller":null}}`))
	f.Add([]byte(`{"type":"ChannelTransfer","refer_to":{"requested_destination":null}}`))
	f.Add([]byte(`{"type":"DeviceStateChanged","device_state":{"name":"pjsip/1001/x","state":"UNKNOWN"}}`))
	f.Add([]byte(`{"type":"ContactStatusChange","endpoint":{"resource":"1001"},"contact_info":{"contact_status":"Removed"}}`))
	f.Add([]byte(`{"type":"PlaybackFinished","playback":{"id":"p","state":"failed"}}`))
	filter := EventTypes()
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := ari.Decode(data)
		sev, ok := Translate(ev)
		again, ok2 := Translate(ev)
		if ok != ok2 || !reflect.DeepEqual(sev, again) {
			t.Fatalf("Translate differs on the same event: %#v / %#v", sev, again)
		}
		if !ok {
			if sev != nil {
				t.Fatalf("not translated, yet returned %#v", sev)
			}
			return
		}
		if !slices.Contains(filter, ev.GetType()) {
			t.Fatalf("translated a %s, which EventTypes does not ask Asterisk for", ev.GetType())
		}
		if _, unknown := ev.(*ari.Unknown); unknown {
			t.Fatalf("translated an event ari could not decode: %#v", sev)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("a decoded %s does not encode: %v", ev.GetType(), err)
		}
		back, ok := Translate(ari.Decode(b))
		if !ok || !reflect.DeepEqual(back, sev) {
			t.Fatalf("re-encoded %s translates as %#v, want %#v\n%s", ev.GetType(), back, sev, b)
		}
	})
}

// FuzzTranslateFields builds each translated event as Asterisk would send it, from fuzzed ids,
// names and values (Stasis arguments split at \x1f), and checks that the switchboard gets exactly
// them: the channel, the caller, the entry its Stasis arguments decode to (every argument, in order,
// empty ones too: the dialplan's positions matter), the DTMF digit, a REFER's channels and destination, and handset
// reachability only from PJSIP devices and contacts.
func FuzzTranslateFields(f *testing.F) {
	f.Add(uint8(0), "b-188487365-8", "PJSIP/1001-0000001", "79001112233", "inbound\x1flanguage=en\x1ftopic=11")
	f.Add(uint8(0), "1763900000.99", "PJSIP/trunk-00000002", "", "")
	f.Add(uint8(0), "c", "Local/*21@hotline-operators-1;1", "Иванова", "feature\x1fpause\x1f3")
	f.Add(uint8(0), "o1", "PJSIP/2001-00000003", "79001112233", "offer\x1fc1\x1f\x1f,")
	f.Add(uint8(1), "c1", "", "", "#")
	f.Add(uint8(1), "c1", "", "", "**")
	f.Add(uint8(2), "b-1", "channel_declined", "sip:2001@hotline;user=phone", "c-2")
	f.Add(uint8(3), "", "", "", "PJSIP/1001")
	f.Add(uint8(3), "", "UNAVAILABLE", "", "pjsip/2001")
	f.Add(uint8(3), "", "UNKNOWN", "", "Local/*43@hotline-operators")
	f.Add(uint8(4), "1001", "", "", "Removed")
	f.Add(uint8(4), "1001", "", "", "NonQualified")
	f.Add(uint8(5), "pb-1", "failed", "", "")
	f.Add(uint8(6), "c1", "", "", "\x00\xff")
	f.Fuzz(func(t *testing.T, kind uint8, id, name, s1, s2 string) {
		// What Asterisk would have sent: Go strings as JSON carries them (invalid UTF-8 arrives as
		// U+FFFD).
		id, name, s1 = wire(id), wire(name), wire(s1)
		args := strings.Split(wire(s2), "\x1f")
		var ev map[string]any
		var want switchboard.Event
		switch kind % 7 {
		case 0:
			ev = map[string]any{"type": "StasisStart", "args": args,
				"channel": map[string]any{"id": id, "name": name, "caller": map[string]any{"number": s1, "name": name}}}
			entry, _ := DecodeEntry(args) // the contract's own pair is tested in stasisargs_test.go
			want = switchboard.StasisStart{Channel: id, Name: name, CallerNumber: s1, CallerName: name, Entry: entry}
		case 1:
			ev = map[string]any{"type": "ChannelDtmfReceived", "digit": args[0], "channel": map[string]any{"id": id}}
			want = switchboard.DTMF{Channel: id, Digit: args[0]}
		case 2:
			ev = map[string]any{"type": "ChannelTransfer", "state": name,
				"refer_to": map[string]any{"requested_destination": map[string]any{"destination": s1},
					"destination_channel": map[string]any{"id": args[0]}},
				"referred_by": map[string]any{"source_channel": map[string]any{"id": id}}}
			want = switchboard.Transfer{Channel: id, Destination: s1, Replaces: args[0], State: name}
		case 3:
			device := args[0]
			ev = map[string]any{"type": "DeviceStateChanged", "device_state": map[string]any{"name": device, "state": name}}
			tech, ext, ok := strings.Cut(device, "/")
			switch {
			case !ok || !strings.EqualFold(tech, "PJSIP") || name == "UNKNOWN":
			case name == "UNAVAILABLE" || name == "INVALID":
				want = switchboard.DeviceState{Extension: ext, Reachable: false}
			default:
				want = switchboard.DeviceState{Extension: ext, Reachable: true}
			}
		case 4:
			status := args[0]
			ev = map[string]any{"type": "ContactStatusChange", "endpoint": map[string]any{"technology": "PJSIP", "resource": id},
				"contact_info": map[string]any{"contact_status": status, "uri": s1}}
			// One contact's news, with the contact: the switchboard folds every contact's into the
			// extension's reachability; a removal names the contact it removes.
			switch {
			case id == "":
			case status == "Reachable", status == "NonQualified", status == "Created":
				want = switchboard.DeviceState{Extension: id, Reachable: true, Contact: s1}
			case status == "Unreachable", status == "Removed":
				want = switchboard.DeviceState{Extension: id, Reachable: false, Contact: s1, Gone: status == "Removed" && s1 != ""}
			}
		case 5:
			ev = map[string]any{"type": "PlaybackFinished", "playback": map[string]any{"id": id, "state": name}}
			want = switchboard.PlaybackFinished{Playback: id, Failed: name == "failed"}
		case 6:
			ev = map[string]any{"type": "ChannelDestroyed", "cause": len(s1), "channel": map[string]any{"id": id}}
			want = switchboard.ChannelDestroyed{Channel: id, Cause: len(s1)}
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Translate(ari.Decode(b))
		if want == nil {
			if ok {
				t.Fatalf("%s translated as %#v, want nothing", b, got)
			}
			return
		}
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\ntranslated as %#v\nwant %#v", b, got, want)
		}
	})
}

// wire is s as it comes out of JSON: valid UTF-8.
func wire(s string) string {
	b, _ := json.Marshal(s)
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}
