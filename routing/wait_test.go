package routing

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

func TestEstimateWait(t *testing.T) {
	const aht = 4 * time.Minute
	tests := []struct {
		pos, staffed, free int
		aht                time.Duration
		want               time.Duration
		ok                 bool
	}{
		{1, 10, 1, aht, 0, true},                // an operator is free for them
		{3, 10, 3, aht, 0, true},                //
		{1, 10, 0, aht, 24 * time.Second, true}, // 1 × 4m / 10
		{10, 10, 0, aht, 4 * time.Minute, true}, // 10 × 4m / 10
		{25, 5, 5, aht, 16 * time.Minute, true}, // (25-5) × 4m / 5
		{2, 1, 0, 90 * time.Second, 3 * time.Minute, true},
		{1, 0, 0, aht, 0, false}, // nobody staffed
		{1, 5, 0, 0, 0, false},   // no handling time yet
		{0, 5, 0, aht, 0, false}, // not queued
	}
	for _, tt := range tests {
		got, ok := EstimateWait(tt.pos, tt.staffed, tt.free, tt.aht)
		if got != tt.want || ok != tt.ok {
			t.Errorf("EstimateWait(%d, %d, %d, %v) = %v, %v; want %v, %v", tt.pos, tt.staffed, tt.free, tt.aht, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStaffing(t *testing.T) {
	ops := []Candidate{
		op(1, 0),
		with(op(2, 0), func(c *Candidate) { c.Presence = hotline.PresenceTalking }),
		with(op(3, 0), func(c *Candidate) { c.Presence = hotline.PresenceRinging }),
		with(op(4, 0), func(c *Candidate) { c.Presence = hotline.PresenceWrapUp }),
		with(op(5, 0), func(c *Candidate) { c.Presence = hotline.PresencePaused }),
		with(op(6, 0), func(c *Candidate) { c.Presence = hotline.PresenceLoggedOut }),
		with(op(7, 0), func(c *Candidate) { c.Level = hotline.Level2 }),
		with(op(8, 0), func(c *Candidate) { c.LastCallEnd = now }), // available but in wrap-up by time
	}
	staffed, free := Rules{WrapUp: time.Minute}.Staffing(ops, now)
	if staffed != 5 || free != 1 {
		t.Errorf("Staffing = %d staffed, %d free; want 5, 1", staffed, free)
	}
}

func TestHandleTimes(t *testing.T) {
	var h HandleTimes
	if h.Average() != 0 {
		t.Fatal("zero value has an average")
	}
	h.Add(time.Minute)
	h.Add(3 * time.Minute)
	h.Add(-time.Hour) // counts as 0
	if got := h.Average(); got != 80*time.Second {
		t.Fatalf("Average = %v, want 1m20s", got)
	}
	// After a full window of 2m calls, the older ones are forgotten.
	for range handleWindow {
		h.Add(2 * time.Minute)
	}
	if got := h.Average(); got != 2*time.Minute {
		t.Fatalf("Average after window = %v, want 2m", got)
	}
	h.Add(2*time.Minute + handleWindow*time.Second)
	if got := h.Average(); got != 2*time.Minute+time.Second {
		t.Fatalf("Average = %v, want 2m1s", got)
	}
}
