package sandbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is what this test process holds of its sandboxes. It is the package's only mutable
// state, and it has to be: a lock belongs to the process, not to a test. It is taken by the first
// Require and released by the kernel when the process exits (normally, by a panic, or killed), so
// a crashed run never leaves an instance locked.
var process struct {
	mu      sync.Mutex
	locks   map[string]error    // lock file → nil once held, or why it could not be (a refused run stays refused)
	files   []*os.File          // the held locks' files, open until the process exits
	watched map[testing.TB]bool // tests already set to log Asterisk's lines on failure
}

// LockFile is where the lock of the instance lives: beside its chroot (asterisk-conf/sandbox up
// creates it), or, for settings that did not come from the sandbox, one per AMI address in the
// temporary directory.
func (c Config) LockFile() string {
	if c.Root != "" {
		return filepath.Join(filepath.Dir(c.Root), "tests.lock")
	}
	return filepath.Join(os.TempDir(), "hotline-asterisk-"+strings.NewReplacer(":", "_", "/", "_").Replace(c.AMIAddr)+".lock")
}

// Lock takes the instance for this process, or says who has it. Two test runs on one Asterisk
// restart it under each other and answer each other's calls on the shared Stasis application, so
// the second one fails at once rather than flakily. The lock is per process: `go test -p 1 ./...`
// runs the packages one after the other, each taking and releasing it in turn.
func (c Config) Lock() error {
	path := c.LockFile()
	process.mu.Lock()
	defer process.mu.Unlock()
	if err, tried := process.locks[path]; tried {
		if err != nil {
			// Said in full by the first test to ask; every other test of the run fails with this.
			return fmt.Errorf("sandbox: %s is in use by another test run (see the first failure of this run)", c.instanceName())
		}
		return nil
	}
	if process.locks == nil {
		process.locks = map[string]error{}
	}
	err := c.lock(path)
	process.locks[path] = err
	return err
}

func (c Config) lock(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	writable := err == nil
	if errors.Is(err, fs.ErrPermission) {
		// Another user's file: a read-only descriptor takes an flock as well.
		f, err = os.Open(path)
	}
	if err != nil {
		return fmt.Errorf("sandbox: cannot open the instance's lock %s: %w (run 'sudo asterisk-conf/sandbox up' first)", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 512))
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("sandbox: lock %s: %w", path, err)
		}
		return fmt.Errorf("sandbox: %s is in use by another test run (%s; lock %s): two runs on one Asterisk "+
			"restart it and answer each other's calls. Wait for that run to end, or give this one its own "+
			"instance: export HOTLINE_SANDBOX_INSTANCE=N (1-9, each with its own ports), "+
			"sudo -E asterisk-conf/sandbox up, then eval \"$(sudo -E asterisk-conf/sandbox env)\". "+
			"(One `go test` of several Asterisk-backed packages needs -p 1, as `make test` does.)",
			c.instanceName(), orUnknown(strings.TrimSpace(string(holder))), path)
	}
	if writable {
		exe := filepath.Base(os.Args[0])
		line := fmt.Sprintf("pid %d, %s, since %s\n", os.Getpid(), exe, time.Now().Format(time.DateTime))
		if f.Truncate(0) == nil {
			_, _ = f.WriteAt([]byte(line), 0)
		}
	}
	process.files = append(process.files, f)
	return nil
}

func (c Config) instanceName() string {
	if c.Instance == "" {
		return "the Asterisk at " + c.AMIAddr
	}
	return "sandbox instance " + c.Instance
}

func orUnknown(s string) string {
	if s == "" {
		return "holder unknown"
	}
	return s
}
