// Package procs sets how many processors (the Go runtime's Ps, GOMAXPROCS) hotline serve runs
// its goroutines on: one, unless the GOMAXPROCS environment variable says otherwise.
//
// Why one: a call is a chain of short steps on different goroutines (the ARI reader, the
// switchboard's loop, a request worker, the spooler, the applier), each handing the next its
// work. With a second P idle, each hand-off wakes a second thread to run the next goroutine and
// lets it go back to sleep; in a VM a thread's sleep and wake cost more than most steps. With one
// P the next goroutine runs on the thread already awake. Measured on the load benchmark
// (docs/benchmark.md, "Session 15, one processor"): hotline's CPU a call 7.3–9.7 → 6.4–6.6 ms,
// context switches a call 134–159 → 95–99, dispatch and INVITE→200 tails no worse. One P is not
// one thread: when a cgo call (SQLite) or a blocking syscall (fsync) lasts, the runtime's sysmon
// takes the P from that thread and hands it to another, so the calls go on meanwhile.
//
// What it trades: the daemon's Go code never runs on two cores at once. Its own CPU is a few ms
// a call (a tenth of a core at ten calls a second); a CPU-bound request of the web workplace
// shares the P with the calls and is preempted every 10 ms. A daemon whose workplace serves
// many people at once can be given more: GOMAXPROCS=2 (or more) in its environment.
package procs

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

// Env is the environment variable that overrides the default, as the Go runtime reads it.
const Env = "GOMAXPROCS"

// Default is hotline serve's number of Ps when GOMAXPROCS is not set.
const Default = 1

// Parse reads a GOMAXPROCS value as the Go runtime applies it (schedinit: a base-10 int32 above
// 0, "+3" and "03" included). The runtime ignores any other value silently and keeps its default;
// hotline refuses it instead, so that a typo does not go unnoticed.
func Parse(value string) (int, error) {
	n, err := strconv.ParseInt(value, 10, 32)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: not a number of processors (a whole number above 0; unset: %d)", Env, value, Default)
	}
	return int(n), nil
}

// Apply gives the process Default Ps unless GOMAXPROCS is set (the runtime applied it when the
// program started, and it is left alone). It returns the number in effect and whether it came
// from the environment, or an error, changing nothing, when GOMAXPROCS is set but not valid.
func Apply() (n int, fromEnv bool, err error) {
	if value, ok := os.LookupEnv(Env); ok {
		if _, err := Parse(value); err != nil {
			return 0, true, err
		}
		return runtime.GOMAXPROCS(0), true, nil
	}
	runtime.GOMAXPROCS(Default)
	return Default, false, nil
}
