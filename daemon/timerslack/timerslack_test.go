//go:build linux && cgo

package timerslack

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "HOTLINE_TIMERSLACK_TEST_HELPER"

// TestHelperProcess is the process the other tests start with a HOTLINE_TIMER_SLACK of their
// choice: it prints what Applied says and every thread's slack.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		return
	}
	d, err := Applied()
	fmt.Printf("applied %d %v\n", d, err)
	// A thread the runtime made after the constructor: its own slack needs no privilege to read.
	own := make(chan int64)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread ends with the goroutine
		for syscall.Gettid() == os.Getpid() {
			runtime.UnlockOSThread()
			runtime.Gosched()
			runtime.LockOSThread()
		}
		own <- threadSlack()
	}()
	fmt.Printf("own %d\n", <-own)
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		fmt.Println("threads:", err)
		os.Exit(0)
	}
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/timerslack_ns")
		if err != nil { // reading needs CAP_SYS_NICE for another thread
			fmt.Println("unreadable")
			continue
		}
		fmt.Printf("thread %s", b)
	}
	os.Exit(0)
}

func runHelper(t *testing.T, value string, set bool) (applied, own string, threads []string, unreadable int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	if set {
		cmd.Env = append(cmd.Env, Env+"="+value)
	} else {
		for i, kv := range cmd.Env {
			if strings.HasPrefix(kv, Env+"=") {
				cmd.Env[i] = "HOTLINE_UNSET=1"
			}
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if a, ok := strings.CutPrefix(line, "applied "); ok {
			applied = a
		} else if o, ok := strings.CutPrefix(line, "own "); ok {
			own = o
		} else if th, ok := strings.CutPrefix(line, "thread "); ok {
			threads = append(threads, th)
		} else if line == "unreadable" {
			unreadable++
		}
	}
	return applied, own, threads, unreadable
}

// The slack is set before the runtime's first thread, so every thread has it (sysmon included,
// which no Go code can reach); a value that is not valid sets nothing and is reported.
func TestTimerSlack(t *testing.T) {
	tests := []struct {
		value   string
		set     bool
		applied string // what Applied returns, printed
		threads string // every thread's slack in ns; "" not checked
	}{
		{"", false, fmt.Sprintf("%d <nil>", time.Millisecond), "1000000"},
		{"", true, fmt.Sprintf("%d <nil>", time.Millisecond), "1000000"},
		{"200us", true, fmt.Sprintf("%d <nil>", 200*time.Microsecond), "200000"},
		{"200µs", true, fmt.Sprintf("%d <nil>", 200*time.Microsecond), "200000"},
		{"3ms", true, fmt.Sprintf("%d <nil>", 3*time.Millisecond), "3000000"},
		{"75000", true, "75000 <nil>", "75000"},
		{"100ms", true, fmt.Sprintf("%d <nil>", 100*time.Millisecond), "100000000"},
		{"0", true, "0 <nil>", ""},
		{"101ms", true, "0 " + Env + `="101ms": not`, ""},
		{"1.5ms", true, "0 " + Env + `="1.5ms": not`, ""},
		{"-1", true, "0 " + Env + `="-1": not`, ""},
		{"1s", true, "0 " + Env + `="1s": not`, ""},
		{"ms", true, "0 " + Env + `="ms": not`, ""},
		{"99999999999999999999", true, "0 " + Env + `="99999999999999999999": not`, ""},
		{"200μs", true, fmt.Sprintf("%d <nil>", 200*time.Microsecond), "200000"}, // Greek mu
		{"05ms", true, fmt.Sprintf("%d <nil>", 5*time.Millisecond), "5000000"},
		{"+5", true, "0 " + Env + `="+5": not`, ""},
		{" 5", true, "0 " + Env + `=" 5": not`, ""},
		{"5 ", true, "0 " + Env + `="5 ": not`, ""},
		{"100000001", true, "0 " + Env + `="100000001": not`, ""},
		{"100001us", true, "0 " + Env + `="100001us": not`, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q set=%v", tt.value, tt.set), func(t *testing.T) {
			applied, own, threads, unreadable := runHelper(t, tt.value, tt.set)
			if !strings.HasPrefix(applied, tt.applied) {
				t.Errorf("Applied: %q, want %q…", applied, tt.applied)
			}
			if tt.threads == "" {
				return
			}
			if own != tt.threads {
				t.Errorf("a thread the runtime made has a slack of %s ns, want %s", own, tt.threads)
			}
			if unreadable > 0 {
				// Another thread's slack is readable with CAP_SYS_NICE only (root: CI).
				t.Logf("%d threads' slack not readable without CAP_SYS_NICE: not checked", unreadable)
				return
			}
			if len(threads) < 2 {
				t.Fatalf("threads %q: want the main thread and the runtime's", threads)
			}
			for i, th := range threads {
				if th != tt.threads {
					t.Errorf("thread %d's slack %s ns, want %s", i, th, tt.threads)
				}
			}
		})
	}
}
