package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// failureLogLines bounds what a failed test prints of Asterisk's log: the end is where the cause is.
const failureLogLines = 80

// failureLogBytes bounds what is read of it (a test that restarts Asterisk logs a few KB).
const failureLogBytes = 1 << 20

// AsteriskLog is Asterisk's own log file in the sandbox (logger.conf's messages.log: notices,
// warnings and errors, kept across restarts); "" without the chroot.
func (c Config) AsteriskLog() string {
	if c.Root == "" {
		return ""
	}
	return filepath.Join(c.Root, "var", "log", "asterisk", "messages.log")
}

// LogOnFailure makes tb, if it fails, log the lines Asterisk logged since this call (the last
// failureLogLines of them): why a call went wrong is often only there ("Stasis app not active", a
// refused request, a missing module). Once per test, whatever the number of calls.
func (c Config) LogOnFailure(tb testing.TB) {
	path := c.AsteriskLog()
	if path == "" {
		return
	}
	process.mu.Lock()
	if process.watched == nil {
		process.watched = map[testing.TB]bool{}
	}
	seen := process.watched[tb]
	process.watched[tb] = true
	process.mu.Unlock()
	if seen {
		return
	}
	var start int64
	if fi, err := os.Stat(path); err == nil {
		start = fi.Size()
	}
	tb.Cleanup(func() {
		process.mu.Lock()
		delete(process.watched, tb)
		process.mu.Unlock()
		if !tb.Failed() {
			return
		}
		lines, total, err := linesSince(path, start, failureLogLines)
		switch {
		case err != nil:
			tb.Logf("Asterisk's log %s: %v", path, err)
		case total == 0:
			tb.Logf("Asterisk logged nothing while the test ran (%s)", path)
		default:
			tb.Logf("Asterisk's log while the test ran (%s, last %d of %d lines):\n%s", path, len(lines), total, bytes.Join(lines, []byte("\n")))
		}
	})
}

// linesSince returns the last max lines of the file written after offset start (from the
// beginning if the file is now shorter: it was rotated or replaced), and how many lines there
// were in all (counted in what was read: at most failureLogBytes from the end).
func linesSince(path string, start int64, max int) ([][]byte, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if fi.Size() < start {
		start = 0
	}
	if fi.Size()-start > failureLogBytes {
		start = fi.Size() - failureLogBytes
	}
	b, err := io.ReadAll(io.NewSectionReader(f, start, fi.Size()-start))
	if err != nil {
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return nil, 0, nil
	}
	lines := bytes.Split(b, []byte("\n"))
	total := len(lines)
	if len(lines) > max {
		lines = lines[len(lines)-max:]
	}
	return lines, total, nil
}
