package routing

import (
	"time"

	"github.com/hotline-dev/hotline"
)

// EstimateWait returns how long the caller at position (1-based) should expect to wait, given
// staffed level-1 operators (available, ringing, talking or in wrap-up), free ones among them
// (offerable now) and the recent average handling time aht (talk plus wrap-up):
//
//	wait = 0                         if position <= free
//	wait = (position - free) × aht / staffed   otherwise
//
// Each of the staffed operators frees up about once per aht, so together they take a caller
// every aht/staffed; the first free callers go at once. It returns false when there is no
// estimate: nobody staffed, or no handling time known yet (say "please hold" instead).
func EstimateWait(position, staffed, free int, aht time.Duration) (time.Duration, bool) {
	if position <= 0 || staffed <= 0 || aht <= 0 {
		return 0, false
	}
	if position <= free {
		return 0, true
	}
	return time.Duration(int64(position-free) * int64(aht) / int64(staffed)), true
}

// Staffing counts level-1 operators for EstimateWait: staffed are those at work (available,
// ringing, talking, wrap-up), free those Select could offer a call now.
func (r Rules) Staffing(ops []Candidate, now time.Time) (staffed, free int) {
	for i := range ops {
		c := &ops[i]
		if c.Level != hotline.Level1 {
			continue
		}
		switch c.Presence {
		case hotline.PresenceAvailable, hotline.PresenceRinging, hotline.PresenceTalking, hotline.PresenceWrapUp:
			staffed++
		}
		if r.Offerable(c, now) {
			free++
		}
	}
	return staffed, free
}

// handleWindow is how many recent calls HandleTimes averages: enough to smooth one long call,
// few enough to follow the day's changes.
const handleWindow = 50

// HandleTimes is the average handling time over the most recent calls. The zero value has no
// calls and no average.
type HandleTimes struct {
	ring [handleWindow]time.Duration
	n    int // calls recorded, at most handleWindow
	next int // where the next call goes in ring
	sum  time.Duration
}

// Add records one call's handling time (talk plus wrap-up). Negative durations count as zero.
func (h *HandleTimes) Add(d time.Duration) {
	d = max(d, 0)
	if h.n == handleWindow {
		h.sum -= h.ring[h.next]
	} else {
		h.n++
	}
	h.ring[h.next] = d
	h.sum += d
	h.next = (h.next + 1) % handleWindow
}

// Average returns the mean of the recent handling times, or 0 with no calls yet.
func (h *HandleTimes) Average() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
