package switchboard

import "time"

// Clock is the switchboard's time: the real one in the daemon, a hand-driven one in tests.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d, unless stopped, like time.AfterFunc.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	Stop() bool
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// timer is a loop-owned handle on a Clock timer. A timer's message may already be in the inbox when
// it is stopped, so the loop checks stopped before acting: a stale timer never fires.
type timer struct {
	t       Timer
	stopped bool
	fire    func()
}

func (t *timer) stop() {
	if t == nil || t.stopped {
		return
	}
	t.stopped = true
	t.t.Stop()
}
