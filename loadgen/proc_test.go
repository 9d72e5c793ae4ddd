package loadgen

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// TestThreadUseCountsSwitchesAndSysmon meters the test process itself: a goroutine locked to its
// thread sleeps 50 times (50 voluntary switches at least), and the thread after the main one is
// a Go program's sysmon, which has used some CPU by then.
func TestThreadUseCountsSwitchesAndSysmon(t *testing.T) {
	m, err := startMeter(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for range 50 {
			time.Sleep(time.Millisecond)
		}
		close(done)
	}()
	<-done
	u, err := m.threads()
	if err != nil {
		t.Fatal(err)
	}
	if u.Switches < 50 {
		t.Errorf("switches = %d after 50 sleeps, want ≥ 50", u.Switches)
	}
	if u.Sysmon < 0 {
		t.Errorf("sysmon CPU %v < 0", u.Sysmon)
	}
	ts, err := procThreads(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ts[os.Getpid()]; !ok || len(ts) < 2 {
		t.Errorf("threads %v: want the main thread and more", ts)
	}
	if _, err := procThreads(-1); err == nil {
		t.Error("threads of pid -1: no error")
	}
}
