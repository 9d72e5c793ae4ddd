package sipphone

import (
	"bytes"
	"testing"
)

func TestTelephoneEventEncoding(t *testing.T) {
	tests := []struct {
		digit rune
		ev    telephoneEvent
		wire  []byte
	}{
		{'1', telephoneEvent{Event: 1, Volume: 10, Duration: 800}, []byte{1, 10, 0x03, 0x20}},
		{'*', telephoneEvent{Event: 10, End: true, Volume: 10, Duration: 800}, []byte{10, 0x8a, 0x03, 0x20}},
		{'#', telephoneEvent{Event: 11, End: true, Volume: 63, Duration: 160}, []byte{11, 0xbf, 0x00, 0xa0}},
		{'D', telephoneEvent{Event: 15, Duration: 65535}, []byte{15, 0, 0xff, 0xff}},
	}
	for _, tt := range tests {
		code, ok := eventCode(tt.digit)
		if !ok || code != tt.ev.Event {
			t.Errorf("eventCode(%q) = %d, %v, want %d", tt.digit, code, ok, tt.ev.Event)
		}
		if got := tt.ev.marshal(); !bytes.Equal(got, tt.wire) {
			t.Errorf("marshal %+v = %x, want %x", tt.ev, got, tt.wire)
		}
		got, err := parseTelephoneEvent(tt.wire)
		if err != nil || got != tt.ev {
			t.Errorf("parse %x = %+v, %v, want %+v", tt.wire, got, err, tt.ev)
		}
		if d := got.digit(); d != tt.digit {
			t.Errorf("digit of %+v = %q, want %q", got, d, tt.digit)
		}
	}
}

func TestEventCodes(t *testing.T) {
	for i, d := range "0123456789*#ABCD" {
		if code, ok := eventCode(d); !ok || int(code) != i {
			t.Errorf("eventCode(%q) = %d, %v, want %d", d, code, ok, i)
		}
	}
	if code, ok := eventCode('a'); !ok || code != 12 {
		t.Errorf("lower-case a: %d, %v, want 12", code, ok)
	}
	for _, d := range "xE 9"[:3] {
		if _, ok := eventCode(d); ok {
			t.Errorf("eventCode(%q) accepted", d)
		}
	}
	if d := (telephoneEvent{Event: 16}).digit(); d != 0 {
		t.Errorf("event 16 (flash) is digit %q, want none", d)
	}
}

func FuzzParseTelephoneEvent(f *testing.F) {
	f.Add([]byte{1, 10, 0x03, 0x20})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := parseTelephoneEvent(b)
		if err != nil {
			return
		}
		want := []byte{b[0], b[1] &^ 0x40, b[2], b[3]} // the R bit is reserved: dropped
		if !bytes.Equal(ev.marshal(), want) {
			t.Fatalf("%x parsed to %+v, marshals to %x", b, ev, ev.marshal())
		}
	})
}

func TestParseSipfrag(t *testing.T) {
	tests := []struct {
		body    string
		code    int
		reason  string
		wantErr bool
	}{
		{"SIP/2.0 100 Trying\r\n", 100, "Trying", false},
		{"SIP/2.0 200 OK", 200, "OK", false},
		{"SIP/2.0 503 Service Unavailable\r\nContent-Length: 0\r\n", 503, "Service Unavailable", false},
		{"SIP/2.0 180\r\n", 180, "", false},
		{"INVITE sip:1@x SIP/2.0\r\n", 0, "", true},
		{"SIP/2.0 abc OK", 0, "", true},
		{"SIP/2.0 99 Low", 0, "", true},
		{"", 0, "", true},
	}
	for _, tt := range tests {
		code, reason, err := parseSipfrag([]byte(tt.body))
		if (err != nil) != tt.wantErr || code != tt.code || reason != tt.reason {
			t.Errorf("parseSipfrag(%q) = %d, %q, %v; want %d, %q, error %v", tt.body, code, reason, err, tt.code, tt.reason, tt.wantErr)
		}
	}
}

func FuzzParseSipfrag(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		code, _, err := parseSipfrag(b)
		if err == nil && (code < 100 || code > 699) {
			t.Fatalf("code %d accepted from %q", code, b)
		}
	})
}
