package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// instanceDir makes the directory layout of one sandbox instance (its lock beside its chroot).
func instanceDir(t *testing.T, instance string) Config {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(root, "var", "log", "asterisk"), 0o755); err != nil {
		t.Fatal(err)
	}
	return Config{Root: root, Instance: instance, AMIAddr: "127.0.0.1:5738"}
}

// Another run holds the instance (an flock on another open file description is exactly what
// another process's would be): Lock refuses at once, naming the instance, the holder and the way
// out; and keeps refusing in this process.
func TestLockRefusesAnInstanceInUse(t *testing.T) {
	c := instanceDir(t, "7")
	other, err := os.OpenFile(c.LockFile(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := other.WriteString("pid 4242, integration-tests.test, since 2026-11-23 10:00:00\n"); err != nil {
		t.Fatal(err)
	}
	err = c.Lock()
	if err == nil {
		t.Fatal("Lock succeeded on an instance another run holds")
	}
	for _, want := range []string{"sandbox instance 7", "in use by another test run", "pid 4242, integration-tests.test", "HOTLINE_SANDBOX_INSTANCE", "-p 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if other.Close() != nil {
		t.Fatal("close")
	}
	if again := c.Lock(); again == nil || !strings.Contains(again.Error(), "sandbox instance 7 is in use") {
		t.Errorf("second Lock in the same process = %v, want a refusal again, the other run having gone meanwhile", again)
	}
}

// A free instance is taken, the holder is written for whoever comes next, and the lock stays held
// by this process (a second description cannot take it).
func TestLockTakesAFreeInstance(t *testing.T) {
	c := instanceDir(t, "8")
	if err := c.Lock(); err != nil {
		t.Fatal(err)
	}
	if err := c.Lock(); err != nil {
		t.Fatalf("Lock again in the same process: %v", err)
	}
	b, err := os.ReadFile(c.LockFile())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("pid %d, ", os.Getpid()); !strings.HasPrefix(string(b), want) {
		t.Errorf("lock file says %q, want it to start with %q", b, want)
	}
	f, err := os.Open(c.LockFile())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != syscall.EWOULDBLOCK {
		t.Errorf("another description could lock the held instance: %v", err)
	}
}

func TestLinesSince(t *testing.T) {
	var many strings.Builder
	for i := range 200 {
		fmt.Fprintf(&many, "line %d\n", i)
	}
	tests := []struct {
		name      string
		before    string // in the file when the test started
		after     string // what the file holds at the end
		max       int
		want      []string
		wantTotal int
	}{
		{"only what came after", "old 1\nold 2\n", "old 1\nold 2\nnew 1\nnew 2\n", 80, []string{"new 1", "new 2"}, 2},
		{"nothing new", "old\n", "old\n", 80, nil, 0},
		{"the last lines of many", "", many.String(), 3, []string{"line 197", "line 198", "line 199"}, 200},
		{"replaced by a shorter file: all of it", strings.Repeat("x", 100) + "\n", "after restart\n", 80, []string{"after restart"}, 1},
		{"no final newline", "a\n", "a\nb", 80, []string{"b"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "messages.log")
			if err := os.WriteFile(p, []byte(tt.after), 0o600); err != nil {
				t.Fatal(err)
			}
			lines, total, err := linesSince(p, int64(len(tt.before)), tt.max)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lines {
				got = append(got, string(l))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || total != tt.wantTotal {
				t.Errorf("got %q (total %d), want %q (total %d)", got, total, tt.want, tt.wantTotal)
			}
		})
	}
}

// A failing test logs Asterisk's lines since it started, once however often it asked; a passing
// one logs nothing.
func TestLogOnFailure(t *testing.T) {
	c := instanceDir(t, "9")
	logPath := c.AsteriskLog()
	if err := os.WriteFile(logPath, []byte("[before] NOTICE: booted\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, failed := range []bool{true, false} {
		rec := &recordingTB{TB: t, failed: failed}
		c.LogOnFailure(rec)
		c.LogOnFailure(rec) // hotlinetest.Start after the test's own Require
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "[during] WARNING: Stasis app 'hotline' not active (failed=%v)\n", failed)
		f.Close()
		rec.runCleanups()
		switch {
		case failed && (len(rec.logs) != 1 || !strings.Contains(rec.logs[0], "Stasis app 'hotline' not active (failed=true)") ||
			strings.Contains(rec.logs[0], "[before]")):
			t.Errorf("failed test logged %q, want once the line written during it", rec.logs)
		case !failed && len(rec.logs) != 0:
			t.Errorf("passing test logged %q", rec.logs)
		}
	}
}

// recordingTB is a test that keeps its cleanups and logs for the caller to inspect.
type recordingTB struct {
	testing.TB
	failed   bool
	cleanups []func()
	logs     []string
}

func (r *recordingTB) Failed() bool            { return r.failed }
func (r *recordingTB) Cleanup(f func())        { r.cleanups = append(r.cleanups, f) }
func (r *recordingTB) Logf(f string, a ...any) { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }
func (r *recordingTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}
