package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the kernel's USER_HZ: /proc/<pid>/stat counts CPU time in these. Linux has used
// 100 on every mainstream architecture for decades; reading sysconf would need cgo.
const clockTick = 100

// procCPU returns the user+system CPU time a process has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces and parentheses: fields count from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu of pid %d: malformed /proc stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')': state(3) ppid(4) ... utime(14) stime(15): indexes 11 and 12 here.
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu of pid %d: short /proc stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cpu of pid %d: bad utime/stime", pid)
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// procMemKB returns a field of /proc/<pid>/status in kB (VmHWM: peak RSS, VmRSS: RSS now).
func procMemKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("memory of pid %d: %s: %w", pid, field, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("memory of pid %d: no %s", pid, field)
}

// resetPeakRSS resets VmHWM to the current RSS (Linux ≥ 4.0, needs the right to write the
// process's clear_refs: root here), so a phase's peak is its own and not an earlier run's.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// selfCPU is the generator's own user+system CPU (getrusage RUSAGE_SELF: not its children).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pidFile reads a pid file.
func pidFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: not a pid: %q", path, b)
	}
	return pid, nil
}

// procMeter measures one process over a window: CPU used and peak RSS.
type procMeter struct {
	pid      int
	cpu0     time.Duration
	peakNote string // how the peak was taken
}

func startMeter(pid int) (*procMeter, error) {
	if pid <= 0 {
		return nil, nil
	}
	c, err := procCPU(pid)
	if err != nil {
		return nil, err
	}
	m := &procMeter{pid: pid, cpu0: c, peakNote: "VmHWM since phase start"}
	if err := resetPeakRSS(pid); err != nil {
		m.peakNote = "VmHWM since process start (clear_refs refused)"
	}
	return m, nil
}

// stop returns the CPU used since start and the peak RSS in kB.
func (m *procMeter) stop() (time.Duration, int64, error) {
	if m == nil {
		return 0, 0, nil
	}
	c, err := procCPU(m.pid)
	if err != nil {
		return 0, 0, err
	}
	hwm, err := procMemKB(m.pid, "VmHWM")
	if err != nil {
		return 0, 0, err
	}
	return c - m.cpu0, hwm, nil
}
