package sipphone

import (
	"encoding/binary"
	"math"
	"testing"
)

func toneFrames(hz float64, frames int) [][]int16 {
	t := &Tone{Hz: hz}
	out := make([][]int16, frames)
	for i := range out {
		out[i] = make([]int16, FrameSamples)
		t.ReadFrame(out[i])
	}
	return out
}

func TestToneShare(t *testing.T) {
	tests := []struct {
		name    string
		send    []float64 // tones mixed into the frame
		detect  float64
		present bool
	}{
		{"pure 1000 at 1000", []float64{1000}, 1000, true},
		{"pure 600 at 600", []float64{600}, 600, true},
		{"off-bin 440 at 440", []float64{440}, 440, true},
		{"1400 at 1400", []float64{1400}, 1400, true},
		{"1000 not at 600", []float64{1000}, 600, false},
		{"600 not at 1000", []float64{600}, 1000, false},
		{"1000 not at 1150", []float64{1000}, 1150, false},
		{"mix of two: first", []float64{600, 1400}, 600, true},
		{"mix of two: second", []float64{600, 1400}, 1400, true},
		{"mix of two: neither at 1000", []float64{600, 1400}, 1000, false},
		{"silence", nil, 1000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := make([]int16, FrameSamples)
			for _, hz := range tt.send {
				for i, s := range toneFrames(hz, 3)[2] { // not the first frame: phase has moved on
					frame[i] += s / int16(len(tt.send))
				}
			}
			share := toneShare(frame, tt.detect)
			if got := share >= toneShareMin; got != tt.present {
				t.Errorf("toneShare = %.3f: present %v, want %v", share, got, tt.present)
			}
		})
	}
}

// A tone must survive G.711 both ways: what Asterisk relays is companded audio.
func TestToneThroughG711(t *testing.T) {
	for _, pt := range []uint8{payloadPCMU, payloadPCMA} {
		for _, hz := range []float64{600, 1000, 1400} {
			for i, frame := range toneFrames(hz, 5) {
				payload := encodeG711(nil, pt, frame)
				if len(payload) != FrameSamples {
					t.Fatalf("payload %d bytes, want %d", len(payload), FrameSamples)
				}
				decoded := decodeG711(nil, pt, payload)
				if s := toneShare(decoded, hz); s < 0.8 {
					t.Errorf("pt %d, %g Hz, frame %d: share %.3f after G.711, want >= 0.8", pt, hz, i, s)
				}
				if r := rms(decoded); r < silenceRMS {
					t.Errorf("pt %d, %g Hz: rms %.0f, want a loud frame", pt, hz, r)
				}
			}
		}
	}
}

func TestG711RoundTrip(t *testing.T) {
	codecs := []struct {
		name string
		enc  func(int16) byte
		dec  func(byte) int16
	}{
		{"PCMU", ulawEncode, ulawDecode},
		{"PCMA", alawEncode, alawDecode},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range []int16{0, 1, -1, 100, -100, 1000, -1000, 8000, -8000, 32767, -32768} {
				got := c.dec(c.enc(s))
				// Companding keeps the relative error within about 1/16, plus a small floor near zero.
				if diff := math.Abs(float64(got) - float64(s)); diff > math.Abs(float64(s))/16+16 {
					t.Errorf("%d -> %d: error %g too large", s, got, diff)
				}
			}
			// Every code decodes to a value that encodes back to the same code.
			for b := 0; b < 256; b++ {
				if c.name == "PCMU" && b == 0x7f {
					continue // mu-law has two zeros (0x7f and 0xff); encode picks 0xff
				}
				if got := c.enc(c.dec(byte(b))); got != byte(b) {
					t.Errorf("code %#02x -> %d -> %#02x", b, c.dec(byte(b)), got)
				}
			}
		})
	}
}

func TestRMSOfSilenceAndTone(t *testing.T) {
	if r := rms(make([]int16, FrameSamples)); r != 0 {
		t.Errorf("rms of silence = %g", r)
	}
	frame := toneFrames(1000, 1)[0]
	if r := rms(frame); math.Abs(r-8000/math.Sqrt2) > 100 {
		t.Errorf("rms of an 8000-peak sine = %.0f, want about %.0f", r, 8000/math.Sqrt2)
	}
	var zero Tone
	zero.ReadFrame(frame)
	if r := rms(frame); r != 0 {
		t.Errorf("the zero Tone is not silent: rms %g", r)
	}
}

func wavBytes(samples []int16, rate uint32, channels uint16) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*2*uint32(channels))
	b = binary.LittleEndian.AppendUint16(b, 2*channels)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(2*len(samples)))
	for _, s := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestParseWAV(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		samples int
		wantErr bool
	}{
		{"8 kHz mono", wavBytes(make([]int16, 400), 8000, 1), 400, false},
		{"16 kHz", wavBytes(make([]int16, 400), 16000, 1), 0, true},
		{"stereo", wavBytes(make([]int16, 400), 8000, 2), 0, true},
		{"not riff", []byte("hello world, not a wav"), 0, true},
		{"empty", nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWAV(tt.data)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && len(w.Samples) != tt.samples {
				t.Errorf("%d samples, want %d", len(w.Samples), tt.samples)
			}
		})
	}
}

func TestWAVSourceLoops(t *testing.T) {
	w := &WAV{Samples: []int16{1, 2, 3}}
	src := w.Source()
	frame := make([]int16, 7)
	src.ReadFrame(frame)
	want := []int16{1, 2, 3, 1, 2, 3, 1}
	for i := range want {
		if frame[i] != want[i] {
			t.Fatalf("frame %v, want %v", frame, want)
		}
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(wavBytes([]int16{1, -1, 300}, 8000, 1))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWAV(b)
		if err == nil && 2*len(w.Samples) > len(b) {
			t.Fatalf("%d samples from %d bytes", len(w.Samples), len(b))
		}
	})
}
