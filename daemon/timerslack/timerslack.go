// Package timerslack gives every thread of the process a timer slack of 1 ms, set before the Go
// runtime starts its first thread.
//
// Why: the runtime's sysmon thread sleeps 20 µs between polls while any P is busy, and a daemon
// that wakes for every ARI event and REST answer keeps resetting it to that; each of its wake-ups
// costs ~24 µs of CPU in a VM, and sysmon was a quarter of hotline's CPU a call
// (docs/benchmark.md, "Session 14, sysmon and thread wake-ups"). A thread's timer slack is how
// late the kernel may wake it from a timed sleep; at 1 ms sysmon polls about half as often and
// hotline uses ~1 ms a call less. The slack can only be set on another thread with CAP_SYS_NICE,
// and a thread inherits its creator's, so it is set on the main thread by a C constructor, which
// runs before the runtime creates sysmon or any other thread: every thread of the process has it.
//
// What it trades: every timed sleep in the process (Go timers, the netpoller's and futexes'
// timeouts, the scheduler's short spins, SQLite's busy waits) may end up to 1 ms late. hotline's
// timers are tens of milliseconds (the spool's 50 ms sync window, 100–250 ms polls, lingers and
// backoffs) to seconds (ring, announcements, leases). HOTLINE_TIMER_SLACK sets another slack (e.g.
// "200us", "1ms", at most "100ms"); "0" keeps the slack the process inherited (the kernel's 50 µs
// unless a parent or systemd's TimerSlackNSec= set another; the constructor otherwise overrides
// TimerSlackNSec=). A value that is not valid sets nothing and Applied reports it, so that
// `hotline serve` refuses to start on it. A build without cgo or not for Linux sets nothing, and
// refuses a HOTLINE_TIMER_SLACK it cannot apply.
package timerslack

import (
	"fmt"
	"time"
)

// Env is the environment variable read at load.
const Env = "HOTLINE_TIMER_SLACK"

// Applied returns the timer slack the process's threads were given at load (0: the inherited
// one, left alone), or an error when HOTLINE_TIMER_SLACK was not valid or the kernel refused it.
func Applied() (time.Duration, error) {
	ns, state, value := applied()
	switch state {
	case stateSet, stateKept:
		return time.Duration(ns), nil
	case stateInvalid:
		return 0, fmt.Errorf("%s=%q: not a timer slack (a whole number of ns, us or ms, at most 100ms; 0 keeps the inherited one)", Env, value)
	case stateRefused:
		return 0, fmt.Errorf("%s: the kernel refused a timer slack of %s (%s=0 keeps the inherited one)", Env, time.Duration(ns), Env)
	}
	if value != "" {
		return 0, fmt.Errorf("%s=%q: this build of hotline cannot set a timer slack (it needs Linux and cgo)", Env, value)
	}
	return 0, nil // not supported here: the inherited slack
}

const (
	stateNone    = 0 // not built for Linux with cgo: nothing set
	stateSet     = 1
	stateKept    = 2 // "0": the inherited slack kept
	stateInvalid = 3
	stateRefused = 4
)
