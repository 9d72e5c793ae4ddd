package sipphone

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

// SampleRate is the G.711 sampling rate; every frame is 20 ms, FrameSamples samples.
const (
	SampleRate   = 8000
	FrameSamples = SampleRate / 50
)

// Source produces the audio a phone sends, one 20 ms frame (FrameSamples samples) at a time.
// A Source belongs to one call; it need not be safe for concurrent use.
type Source interface {
	ReadFrame(frame []int16)
}

// Tone is a sine tone Source. Its zero value is silence.
type Tone struct {
	Hz        float64
	Amplitude float64 // peak, 0..32767; 0 means 8000 (about -12 dBFS)
	phase     float64
}

// ReadFrame fills frame with the next samples of the tone, continuing its phase.
func (t *Tone) ReadFrame(frame []int16) {
	if t.Hz <= 0 {
		clear(frame)
		return
	}
	amp := t.Amplitude
	if amp <= 0 {
		amp = 8000
	}
	step := 2 * math.Pi * t.Hz / SampleRate
	for i := range frame {
		frame[i] = int16(amp * math.Sin(t.phase))
		t.phase += step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
}

// WAV holds 8 kHz mono 16-bit PCM samples loaded from a WAV file.
type WAV struct {
	Samples []int16
}

// LoadWAV reads an 8 kHz mono 16-bit PCM WAV file (what `sox in.wav -r 8000 -c 1 -b 16 out.wav` makes).
func LoadWAV(path string) (*WAV, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sipphone: load wav: %w", err)
	}
	w, err := ParseWAV(b)
	if err != nil {
		return nil, fmt.Errorf("sipphone: load wav %s: %w", path, err)
	}
	return w, nil
}

// ParseWAV decodes a RIFF WAV holding 8 kHz mono 16-bit PCM.
func ParseWAV(b []byte) (*WAV, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a RIFF WAVE file")
	}
	var fmtOK bool
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		p += 8
		if size < 0 || size > len(b)-p {
			size = len(b) - p // tolerate a truncated last chunk
		}
		body := b[p : p+size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, errors.New("short fmt chunk")
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels := binary.LittleEndian.Uint16(body[2:4])
			rate := binary.LittleEndian.Uint32(body[4:8])
			bits := binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || channels != 1 || rate != SampleRate || bits != 16 {
				return nil, fmt.Errorf("want PCM mono 8000 Hz 16-bit, have format %d, %d channels, %d Hz, %d bits", format, channels, rate, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, errors.New("data chunk before fmt chunk")
			}
			w := &WAV{Samples: make([]int16, size/2)}
			for i := range w.Samples {
				w.Samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return w, nil
		}
		p += size + size%2
	}
	return nil, errors.New("no data chunk")
}

// Source returns a Source that plays the samples in a loop; each call gets its own position.
func (w *WAV) Source() Source { return &wavSource{samples: w.Samples} }

type wavSource struct {
	samples []int16
	pos     int
}

func (s *wavSource) ReadFrame(frame []int16) {
	if len(s.samples) == 0 {
		clear(frame)
		return
	}
	for i := range frame {
		if s.pos >= len(s.samples) {
			s.pos = 0
		}
		frame[i] = s.samples[s.pos]
		s.pos++
	}
}

// G.711 (ITU-T G.711) companding: PCMU is mu-law, PCMA is A-law.

func ulawEncode(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int(s)
	sign := 0
	if x < 0 {
		x, sign = -x, 0x80
	}
	if x > clip {
		x = clip
	}
	x += bias
	exp := 7
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (x >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

func ulawDecode(u byte) int16 {
	u = ^u
	exp := (u >> 4) & 7
	x := ((int(u&0x0f) << 3) + 0x84) << exp
	x -= 0x84
	if u&0x80 != 0 {
		return int16(-x)
	}
	return int16(x)
}

func alawEncode(s int16) byte {
	x := int(s) >> 3 // A-law works on 13 bits
	mask := byte(0xd5)
	if x < 0 {
		mask = 0x55
		x = -x - 1
	}
	seg := 0
	for end := 0x1f; seg < 8 && x > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7f ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(x>>1) & 0x0f
	} else {
		a |= byte(x>>seg) & 0x0f
	}
	return a ^ mask
}

func alawDecode(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0f) << 4
	switch seg := int(a&0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// encodeG711 appends the encoding of samples for payload type pt (0 PCMU, 8 PCMA).
func encodeG711(dst []byte, pt uint8, samples []int16) []byte {
	for _, s := range samples {
		if pt == payloadPCMA {
			dst = append(dst, alawEncode(s))
		} else {
			dst = append(dst, ulawEncode(s))
		}
	}
	return dst
}

// decodeG711 appends the decoded payload of payload type pt to dst.
func decodeG711(dst []int16, pt uint8, payload []byte) []int16 {
	for _, b := range payload {
		if pt == payloadPCMA {
			dst = append(dst, alawDecode(b))
		} else {
			dst = append(dst, ulawDecode(b))
		}
	}
	return dst
}

// rms is the root mean square of samples.
func rms(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// toneShare is the share (0..1) of the block's energy that lies at hz, by the Goertzel algorithm:
// about 1 for a pure tone at hz, about 0 for silence or other frequencies.
func toneShare(samples []int16, hz float64) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*hz/SampleRate)
	var s1, s2, energy float64
	for _, x := range samples {
		v := float64(x)
		energy += v * v
		s0 := v + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	// A sine of amplitude A gives power (A*N/2)^2 and energy A^2*N/2.
	return power / (energy * float64(n) / 2)
}
