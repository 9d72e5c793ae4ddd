package sipphone

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

const (
	payloadPCMU uint8 = 0
	payloadPCMA uint8 = 8
	// payloadEvent is the telephone-event payload type we offer; the answer may use another.
	payloadEvent uint8 = 101
)

// direction is an SDP media direction attribute.
type direction string

const (
	sendRecv direction = "sendrecv"
	sendOnly direction = "sendonly"
	recvOnly direction = "recvonly"
	inactive direction = "inactive"
)

// reverse is the direction that answers an offer of d.
func (d direction) reverse() direction {
	switch d {
	case sendOnly:
		return recvOnly
	case recvOnly:
		return sendOnly
	case inactive:
		return inactive
	}
	return sendRecv
}

func (d direction) sends() bool { return d == sendRecv || d == sendOnly }

// mediaDesc is what a phone needs from one side's SDP: where its audio goes, in what codecs.
type mediaDesc struct {
	Addr      netip.AddrPort
	Payloads  []uint8 // audio payload types in preference order (only those we support: 0, 8)
	EventPT   uint8   // telephone-event payload type, 0 if none
	direction direction
}

// buildSDP writes an SDP body for our side: an offer (all codecs) or an answer (d's choice).
func buildSDP(sessionID, version uint64, user string, d mediaDesc) []byte {
	var b strings.Builder
	ip := d.Addr.Addr().String()
	fmt.Fprintf(&b, "v=0\r\no=%s %d %d IN IP4 %s\r\ns=sipphone\r\nc=IN IP4 %s\r\nt=0 0\r\n", sdpUser(user), sessionID, version, ip, ip)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", d.Addr.Port())
	for _, pt := range d.Payloads {
		fmt.Fprintf(&b, " %d", pt)
	}
	if d.EventPT != 0 {
		fmt.Fprintf(&b, " %d", d.EventPT)
	}
	b.WriteString("\r\n")
	for _, pt := range d.Payloads {
		switch pt {
		case payloadPCMU:
			b.WriteString("a=rtpmap:0 PCMU/8000\r\n")
		case payloadPCMA:
			b.WriteString("a=rtpmap:8 PCMA/8000\r\n")
		}
	}
	if d.EventPT != 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", d.EventPT, d.EventPT)
	}
	dir := d.direction
	if dir == "" {
		dir = sendRecv
	}
	fmt.Fprintf(&b, "a=ptime:20\r\na=%s\r\n", dir)
	return []byte(b.String())
}

func sdpUser(u string) string {
	if u == "" || strings.ContainsAny(u, " \r\n") {
		return "-"
	}
	return u
}

// parseSDP reads the first audio stream of an SDP body. It keeps only the codecs a phone speaks
// (PCMU, PCMA, telephone-event/8000) and fails if none of PCMU and PCMA is there.
func parseSDP(body []byte) (mediaDesc, error) {
	var s sdp.SessionDescription
	if err := s.Unmarshal(body); err != nil {
		return mediaDesc{}, fmt.Errorf("parse sdp: %w", err)
	}
	var d mediaDesc
	var conn *sdp.ConnectionInformation = s.ConnectionInformation
	d.direction = directionOf(s.Attributes, sendRecv)
	var m *sdp.MediaDescription
	for _, md := range s.MediaDescriptions {
		if md.MediaName.Media == "audio" {
			m = md
			break
		}
	}
	if m == nil {
		return mediaDesc{}, errors.New("parse sdp: no audio stream")
	}
	if m.ConnectionInformation != nil {
		conn = m.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return mediaDesc{}, errors.New("parse sdp: no connection address")
	}
	ip, err := netip.ParseAddr(conn.Address.Address)
	if err != nil {
		return mediaDesc{}, fmt.Errorf("parse sdp: connection address: %w", err)
	}
	port := m.MediaName.Port.Value
	if port < 0 || port > 65535 {
		return mediaDesc{}, fmt.Errorf("parse sdp: port %d", port)
	}
	d.Addr = netip.AddrPortFrom(ip, uint16(port))
	d.direction = directionOf(m.Attributes, d.direction)
	if port == 0 {
		d.direction = inactive // a rejected stream
	}
	rtpmap := map[uint8]string{}
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		num, enc, ok := strings.Cut(a.Value, " ")
		pt, err := strconv.ParseUint(num, 10, 7)
		if ok && err == nil {
			rtpmap[uint8(pt)] = strings.ToLower(enc)
		}
	}
	for _, f := range m.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(n)
		enc, mapped := rtpmap[pt]
		switch {
		case pt == payloadPCMU && (!mapped || strings.HasPrefix(enc, "pcmu/8000")),
			pt == payloadPCMA && (!mapped || strings.HasPrefix(enc, "pcma/8000")):
			d.Payloads = append(d.Payloads, pt)
		case enc == "telephone-event/8000" && d.EventPT == 0:
			d.EventPT = pt
		}
	}
	if len(d.Payloads) == 0 {
		return mediaDesc{}, errors.New("parse sdp: neither PCMU nor PCMA offered")
	}
	return d, nil
}

func directionOf(attrs []sdp.Attribute, def direction) direction {
	for _, a := range attrs {
		switch direction(a.Key) {
		case sendRecv, sendOnly, recvOnly, inactive:
			return direction(a.Key)
		}
	}
	return def
}
