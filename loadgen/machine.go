package loadgen

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A run is called disturbed when, over it, processes other than Asterisk, hotline and the generator
// used more than disturbedCores of CPU on average, or the hypervisor stole more than
// disturbedSteal percent of the machine's time: its figures then say as much about the neighbours
// as about the systems.
const (
	disturbedCores = 0.25
	disturbedSteal = 2.0
)

// MachineLoad is what else the machine was doing during one run.
type MachineLoad struct {
	Load1Min     float64 `json:"loadavg1_min"`
	Load1Max     float64 `json:"loadavg1_max"`
	StealPercent float64 `json:"steal_percent"` // of all CPU time during the run
	// OthersCores is the CPU, in cores, every process but Asterisk, hotline and the generator used:
	// the machine's busy time (/proc/stat) less theirs (/proc/<pid>/stat, getrusage).
	OthersCores float64 `json:"others_cores"`
	Disturbed   bool    `json:"disturbed"`
	Why         string  `json:"why,omitempty"`
}

// cpuTimes is the first line of /proc/stat in clock ticks.
type cpuTimes struct{ busy, steal, total uint64 }

func readCPUTimes() (cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, fmt.Errorf("machine load: %w", err)
	}
	return parseCPUTimes(string(b))
}

// parseCPUTimes reads "cpu user nice system idle iowait irq softirq steal guest guest_nice";
// guest time is already inside user and nice, so it is not added again.
func parseCPUTimes(stat string) (cpuTimes, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}, fmt.Errorf("machine load: /proc/stat: unexpected first line %q", line)
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("machine load: /proc/stat field %d: %w", i+1, err)
		}
		v[i] = n
	}
	user, nice, system, idle, iowait, irq, softirq, steal := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	return cpuTimes{busy: user + nice + system + irq + softirq, steal: steal,
		total: user + nice + system + idle + iowait + irq + softirq + steal}, nil
}

func readLoad1() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, fmt.Errorf("machine load: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("machine load: empty /proc/loadavg")
	}
	return strconv.ParseFloat(f[0], 64)
}

// loadMeter samples the load average every second and the machine's CPU times at both ends.
type loadMeter struct {
	t0   cpuTimes
	from time.Time
	stop context.CancelFunc
	done chan struct{}

	mu       sync.Mutex
	min, max float64
	n        int
}

func startLoadMeter(ctx context.Context) *loadMeter {
	ctx, stop := context.WithCancel(ctx)
	m := &loadMeter{stop: stop, done: make(chan struct{}), from: time.Now()}
	m.t0, _ = readCPUTimes()
	m.sample()
	go func() {
		defer close(m.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *loadMeter) sample() {
	l, err := readLoad1()
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 || l < m.min {
		m.min = l
	}
	if m.n == 0 || l > m.max {
		m.max = l
	}
	m.n++
}

// finish stops sampling; ours is the CPU Asterisk, hotline and the generator used meanwhile.
func (m *loadMeter) finish(ours time.Duration) MachineLoad {
	m.stop()
	<-m.done
	t1, err := readCPUTimes()
	m.mu.Lock()
	ml := MachineLoad{Load1Min: m.min, Load1Max: m.max}
	m.mu.Unlock()
	if err != nil || t1.total <= m.t0.total {
		ml.Why = "no /proc/stat"
		return ml
	}
	elapsed := time.Since(m.from).Seconds()
	ml.StealPercent = 100 * float64(t1.steal-m.t0.steal) / float64(t1.total-m.t0.total)
	busy := float64(t1.busy-m.t0.busy) / clockTick
	ml.OthersCores = max(0, (busy-ours.Seconds())/elapsed)
	var why []string
	if ml.OthersCores > disturbedCores {
		why = append(why, fmt.Sprintf("other processes used %.2f cores (> %.2f)", ml.OthersCores, disturbedCores))
	}
	if ml.StealPercent > disturbedSteal {
		why = append(why, fmt.Sprintf("steal %.1f %% (> %.0f %%)", ml.StealPercent, disturbedSteal))
	}
	ml.Disturbed, ml.Why = len(why) > 0, strings.Join(why, "; ")
	return ml
}
