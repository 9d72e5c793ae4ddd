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
	return statCPU(fmt.Sprintf("/proc/%d/stat", pid), pid)
}

// statCPU reads utime+stime from a stat file of /proc: a process's (all its threads) or, under
// /proc/<pid>/task/<tid>/, one thread's.
func statCPU(path string, pid int) (time.Duration, error) {
	b, err := os.ReadFile(path)
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

// threadStat is what /proc says of one thread: CPU used and how often it was switched out.
type threadStat struct {
	cpu                     time.Duration
	voluntary, nonvoluntary int64
}

// procThreads reads every thread of a process. A thread that ends while it is read is left out.
func procThreads(pid int) (map[int]threadStat, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("threads of pid %d: %w", pid, err)
	}
	ts := make(map[int]threadStat, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cpu, err := statCPU(fmt.Sprintf("%s/%d/stat", dir, tid), pid)
		if err != nil {
			continue
		}
		t := threadStat{cpu: cpu}
		b, err := os.ReadFile(fmt.Sprintf("%s/%d/status", dir, tid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				t.voluntary, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			} else if v, ok := strings.CutPrefix(line, "nonvoluntary_ctxt_switches:"); ok {
				t.nonvoluntary, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
		ts[tid] = t
	}
	return ts, nil
}

// threadUse is what a process's threads did over a window.
type threadUse struct {
	Switches int64 // context switches, voluntary and not, of the threads alive at its end
	// Sysmon is the CPU of the process's first thread after its main one: in a Go program the
	// runtime's sysmon, which no pprof profile samples (it never runs with a P). Zero when the
	// process has one thread.
	Sysmon time.Duration
}

// procMeter measures one process over a window: CPU used and peak RSS.
type procMeter struct {
	pid      int
	cpu0     time.Duration
	threads0 map[int]threadStat
	peakNote string // how the peak was taken
}

// threads returns what the threads did since start. Threads that ended meanwhile are not counted
// (a Go runtime keeps its threads; Asterisk's come and go with its calls, so its figure is a floor).
func (m *procMeter) threads() (threadUse, error) {
	if m == nil {
		return threadUse{}, nil
	}
	now, err := procThreads(m.pid)
	if err != nil {
		return threadUse{}, err
	}
	var u threadUse
	sysmon := 0
	for tid, t := range now {
		t0 := m.threads0[tid]
		u.Switches += t.voluntary + t.nonvoluntary - t0.voluntary - t0.nonvoluntary
		if tid > m.pid && (sysmon == 0 || tid < sysmon) {
			sysmon = tid
		}
	}
	if sysmon != 0 {
		u.Sysmon = now[sysmon].cpu - m.threads0[sysmon].cpu
	}
	return u, nil
}

func startMeter(pid int) (*procMeter, error) {
	if pid <= 0 {
		return nil, nil
	}
	c, err := procCPU(pid)
	if err != nil {
		return nil, err
	}
	ts, err := procThreads(pid)
	if err != nil {
		return nil, err
	}
	m := &procMeter{pid: pid, cpu0: c, threads0: ts, peakNote: "VmHWM since phase start"}
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
