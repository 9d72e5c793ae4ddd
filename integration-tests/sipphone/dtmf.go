package sipphone

import (
	"encoding/binary"
	"errors"
	"strings"
)

// dtmfDigits are the RFC 4733 event codes 0-15, in order.
const dtmfDigits = "0123456789*#ABCD"

// eventCode returns the RFC 4733 event code of a DTMF digit.
func eventCode(digit rune) (uint8, bool) {
	i := strings.IndexRune(dtmfDigits, toUpper(digit))
	if i < 0 {
		return 0, false
	}
	return uint8(i), true
}

func toUpper(r rune) rune {
	if r >= 'a' && r <= 'd' {
		return r - 'a' + 'A'
	}
	return r
}

// telephoneEvent is the payload of an RFC 4733 telephone-event packet.
type telephoneEvent struct {
	Event    uint8
	End      bool
	Volume   uint8  // 0..63, in -dBm0
	Duration uint16 // in timestamp units (8 kHz)
}

func (e telephoneEvent) marshal() []byte {
	b := make([]byte, 4)
	b[0] = e.Event
	b[1] = e.Volume & 0x3f
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b
}

func parseTelephoneEvent(b []byte) (telephoneEvent, error) {
	if len(b) < 4 {
		return telephoneEvent{}, errors.New("telephone-event payload shorter than 4 bytes")
	}
	return telephoneEvent{
		Event:    b[0],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(b[2:]),
	}, nil
}

// digit is the DTMF digit of the event, or 0 for events that are not digits.
func (e telephoneEvent) digit() rune {
	if int(e.Event) < len(dtmfDigits) {
		return rune(dtmfDigits[e.Event])
	}
	return 0
}
