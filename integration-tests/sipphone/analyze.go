package sipphone

// ToneFrames counts the 20 ms frames of 8 kHz samples (a recording, say) in which the tone at hz
// carries at least share (0..1) of the energy. A mix of two voices' tones gives each about half,
// so share 0.2 finds both in a two-party recording.
func ToneFrames(samples []int16, hz, share float64) int {
	const frame = SampleRate / 50
	n := 0
	for i := 0; i+frame <= len(samples); i += frame {
		if toneShare(samples[i:i+frame], hz) >= share {
			n++
		}
	}
	return n
}
