package sipphone

import (
	"net/netip"
	"reflect"
	"testing"
)

// asteriskOffer is an SDP as Asterisk 22 sends it to a handset.
const asteriskOffer = "v=0\r\no=- 1513735466 1513735466 IN IP4 127.0.0.1\r\ns=Asterisk\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 20956 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=maxptime:140\r\na=sendrecv\r\n"

func TestParseSDP(t *testing.T) {
	tests := []struct {
		name    string
		sdp     string
		want    mediaDesc
		wantErr bool
	}{
		{
			name: "asterisk offer",
			sdp:  asteriskOffer,
			want: mediaDesc{Addr: netip.MustParseAddrPort("127.0.0.1:20956"), Payloads: []uint8{0, 8}, EventPT: 101, direction: sendRecv},
		},
		{
			name: "hold: sendonly, alaw first, other event type",
			sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
				"m=audio 30000 RTP/AVP 8 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=sendonly\r\n",
			want: mediaDesc{Addr: netip.MustParseAddrPort("127.0.0.1:30000"), Payloads: []uint8{8, 0}, EventPT: 96, direction: sendOnly},
		},
		{
			name: "connection in media, session-level direction",
			sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.2\r\ns=-\r\nt=0 0\r\na=inactive\r\n" +
				"m=audio 30002 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\n",
			want: mediaDesc{Addr: netip.MustParseAddrPort("127.0.0.2:30002"), Payloads: []uint8{0}, direction: inactive},
		},
		{
			name: "unsupported codecs skipped",
			sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
				"m=audio 30004 RTP/AVP 9 3 0\r\na=rtpmap:9 G722/8000\r\na=rtpmap:3 GSM/8000\r\n",
			want: mediaDesc{Addr: netip.MustParseAddrPort("127.0.0.1:30004"), Payloads: []uint8{0}, direction: sendRecv},
		},
		{
			name: "no G.711",
			sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
				"m=audio 30004 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n",
			wantErr: true,
		},
		{
			name:    "no audio",
			sdp:     "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 30006 RTP/AVP 96\r\n",
			wantErr: true,
		},
		{
			name:    "no connection",
			sdp:     "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 30008 RTP/AVP 0\r\n",
			wantErr: true,
		},
		{name: "garbage", sdp: "hello", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSDP([]byte(tt.sdp))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// What we build, we (and so any SDP parser) read back the same.
func TestBuildSDPRoundTrip(t *testing.T) {
	tests := []mediaDesc{
		{Addr: netip.MustParseAddrPort("127.0.0.1:40000"), Payloads: []uint8{0, 8}, EventPT: 101, direction: sendRecv},
		{Addr: netip.MustParseAddrPort("127.0.0.1:40002"), Payloads: []uint8{8}, EventPT: 96, direction: recvOnly},
		{Addr: netip.MustParseAddrPort("127.0.0.1:40004"), Payloads: []uint8{0}, direction: inactive},
	}
	for _, d := range tests {
		b := buildSDP(42, 3, "1001", d)
		got, err := parseSDP(b)
		if err != nil {
			t.Fatalf("parse our own SDP %q: %v", b, err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("round trip of %+v gave %+v\n%s", d, got, b)
		}
	}
}

func TestDirectionReverse(t *testing.T) {
	tests := map[direction]direction{sendRecv: sendRecv, sendOnly: recvOnly, recvOnly: sendOnly, inactive: inactive, "": sendRecv}
	for in, want := range tests {
		if got := in.reverse(); got != want {
			t.Errorf("%q.reverse() = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(asteriskOffer))
	f.Add(buildSDP(1, 1, "x", mediaDesc{Addr: netip.MustParseAddrPort("127.0.0.1:1"), Payloads: []uint8{0}}))
	f.Add([]byte("v=0\r\nm=audio 99999 RTP/AVP 0\r\nc=IN IP4 ::1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseSDP(b)
		if err != nil {
			return
		}
		if len(d.Payloads) == 0 || !d.Addr.Addr().IsValid() {
			t.Fatalf("accepted %q as %+v", b, d)
		}
		for _, pt := range d.Payloads {
			if pt != payloadPCMU && pt != payloadPCMA {
				t.Fatalf("payload type %d accepted", pt)
			}
		}
	})
}
