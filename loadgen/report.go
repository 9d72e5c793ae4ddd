package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
)

// Ratios compare hotline with app_queue (0 when either side is missing).
type Ratios struct {
	SystemCPUPerCall  float64 `json:"system_cpu_per_call_vs_app_queue"` // (Asterisk + hotline) ÷ app_queue's Asterisk
	HotlineCPUPerCall float64 `json:"hotline_cpu_ms_per_call"`
	DispatchP50       float64 `json:"dispatch_p50_vs_app_queue"`
	DispatchP99       float64 `json:"dispatch_p99_vs_app_queue"`
	Capacity          float64 `json:"capacity_vs_app_queue"`
}

// Target is one of the targets, evaluated.
type Target struct {
	Name   string `json:"name"`
	Status string `json:"status"` // met, missed, not measured
	Detail string `json:"detail"`
}

func find(rs []SystemResult, name string) *SystemResult {
	for i := range rs {
		if rs[i].System == name {
			return &rs[i]
		}
	}
	return nil
}

func ratio(a, b float64) float64 {
	if a == 0 || b == 0 {
		return 0
	}
	return a / b
}

// evaluate computes the ratios and checks the targets (stated for 100 concurrent calls with 20
// operators: the fixed run says at what it ran).
func evaluate(o Options, rs []SystemResult) (Ratios, []Target) {
	var r Ratios
	var ts []Target
	h, q := find(rs, "hotline"), find(rs, "app_queue")
	at := fmt.Sprintf(" (at %d concurrent, %d operators)", o.Concurrency, o.Operators)
	add := func(name string, measured bool, met bool, detail string) {
		st := "not measured"
		if measured {
			st = map[bool]string{true: "met", false: "missed"}[met]
		}
		ts = append(ts, Target{Name: name, Status: st, Detail: detail})
	}
	var hf, qf *Fixed
	if h != nil {
		hf = h.Fixed
	}
	if q != nil {
		qf = q.Fixed
	}
	if hf != nil {
		r.HotlineCPUPerCall = hf.HotlineCPUPerCall
		add("no failed calls"+at, true, hf.Failed == 0 && hf.Attempted > 0,
			fmt.Sprintf("hotline %d of %d completed, %d failed %v", hf.Completed, hf.Attempted, hf.Failed, hf.Failures))
		add("dispatch p99 < 50 ms", hf.DispatchN > 0, hf.Dispatch.P99 < 50,
			fmt.Sprintf("hotline p99 %.1f ms over %d dispatches", hf.Dispatch.P99, hf.DispatchN))
		add("hotline CPU < 5 ms per call", hf.Completed > 0, hf.HotlineCPUPerCall < 5,
			fmt.Sprintf("%.2f ms per completed call", hf.HotlineCPUPerCall))
	}
	if hf != nil && qf != nil {
		r.SystemCPUPerCall = ratio(hf.SystemCPUPerCall, qf.AsteriskCPUPerCall)
		r.DispatchP50 = ratio(hf.Dispatch.P50, qf.Dispatch.P50)
		r.DispatchP99 = ratio(hf.Dispatch.P99, qf.Dispatch.P99)
		add("(Asterisk + hotline) CPU per call ≤ 1.1 × app_queue's", r.SystemCPUPerCall > 0, r.SystemCPUPerCall <= 1.1,
			fmt.Sprintf("%.2f ms vs %.2f ms: ×%.2f", hf.SystemCPUPerCall, qf.AsteriskCPUPerCall, r.SystemCPUPerCall))
	}
	if h != nil && q != nil && h.Capacity != nil && q.Capacity != nil {
		r.Capacity = ratio(float64(h.Capacity.Reached), float64(q.Capacity.Reached))
		add("capacity ≥ 95 % of app_queue's", q.Capacity.Reached > 0, r.Capacity >= 0.95,
			fmt.Sprintf("hotline %d vs app_queue %d concurrent calls: %.0f %%", h.Capacity.Reached, q.Capacity.Reached, 100*r.Capacity))
	}
	return r, ts
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// WriteTable prints the report as tables: one column per system.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "machine: %d CPUs, %s, kernel %s (%s)\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.Note)
	fmt.Fprintf(w, "started %s; options %s\n\n", r.Started.Format("2006-01-02 15:04 MST"), options(r.Options))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var fixed []SystemResult
	for _, s := range r.Systems {
		if s.Error != "" {
			fmt.Fprintf(w, "%s: ERROR %s\n", s.System, s.Error)
		}
		if s.Fixed != nil {
			fixed = append(fixed, s)
		}
	}
	if len(fixed) > 0 {
		fmt.Fprint(tw, "FIXED LOAD")
		for _, s := range fixed {
			fmt.Fprintf(tw, "\t%s (dial %s)", s.System, s.Number)
		}
		fmt.Fprintln(tw)
		row := func(name string, f func(*Fixed) string) {
			fmt.Fprint(tw, name)
			for _, s := range fixed {
				fmt.Fprint(tw, "\t"+f(s.Fixed))
			}
			fmt.Fprintln(tw)
		}
		pct := func(p Percentiles) string { return fmt.Sprintf("%.0f / %.0f / %.0f", p.P50, p.P95, p.P99) }
		row("calls attempted / completed / failed", func(f *Fixed) string {
			return fmt.Sprintf("%d / %d / %d", f.Attempted, f.Completed, f.Failed)
		})
		row("failures (why)", func(f *Fixed) string { return failures(f.Failures) })
		row("setup rate, completed rate (calls/s)", func(f *Fixed) string {
			return fmt.Sprintf("%.2f, %.2f", f.SetupRate, f.CompletedRate)
		})
		row("INVITE → 200 OK ms p50/p95/p99", func(f *Fixed) string { return pct(f.Setup) })
		row("answer → greeting audio ms p50/p95/p99", func(f *Fixed) string { return pct(f.Greeting) })
		row("dispatch ms p50/p95/p99", func(f *Fixed) string {
			return pct(f.Dispatch) + fmt.Sprintf(" (n=%d, max %.0f)", f.DispatchN, f.Dispatch.Max)
		})
		row("queue wait s p50/p95/p99", func(f *Fixed) string {
			return fmt.Sprintf("%.1f / %.1f / %.1f", f.QueueWait.P50/1000, f.QueueWait.P95/1000, f.QueueWait.P99/1000)
		})
		row("RTP loss at the phones", func(f *Fixed) string {
			return fmt.Sprintf("%.3f %% (%d of %d)", f.RTPLossPercent, f.RTPLost, f.RTPReceived+f.RTPLost)
		})
		row("Asterisk CPU s, ms/call", func(f *Fixed) string { return fmt.Sprintf("%.2f, %.2f", f.AsteriskCPUSeconds, f.AsteriskCPUPerCall) })
		row("hotline CPU s, ms/call", func(f *Fixed) string {
			if f.HotlinePeakRSSKB == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f, %.2f", f.HotlineCPUSeconds, f.HotlineCPUPerCall)
		})
		row("idle CPU ms/s Asterisk / hotline", func(f *Fixed) string {
			return fmt.Sprintf("%.0f / %.0f", f.AsteriskIdleMsPerS, f.HotlineIdleMsPerS)
		})
		row("hotline CPU ms/call net of its idle", func(f *Fixed) string {
			if f.HotlinePeakRSSKB == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", f.HotlineCPUPerCallNet)
		})
		row("Asterisk + hotline CPU ms/call", func(f *Fixed) string { return fmt.Sprintf("%.2f", f.SystemCPUPerCall) })
		row("peak RSS Asterisk / hotline MB", func(f *Fixed) string {
			return fmt.Sprintf("%.1f / %s", float64(f.AsteriskPeakRSSKB)/1024, mb(f.HotlinePeakRSSKB))
		})
		row("journal writes/s (calls+legs)", func(f *Fixed) string {
			if f.JournalCalls == 0 && f.JournalLegs == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f (%d calls, %d legs)", f.JournalWritesPerS, f.JournalCalls, f.JournalLegs)
		})
		row("generator CPU s (apart)", func(f *Fixed) string { return fmt.Sprintf("%.2f", f.GeneratorCPUSeconds) })
		row("run time s", func(f *Fixed) string { return fmt.Sprintf("%.0f", f.Seconds) })
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, s := range r.Systems {
		if s.Capacity == nil {
			continue
		}
		c := s.Capacity
		fmt.Fprintf(w, "\nCAPACITY %s: reached %d concurrent calls; %s\n", s.System, c.Reached, c.Why)
		fmt.Fprintln(tw, "level\tended calls\tfailed\tRTP loss %\tdispatch p99 ms (n)\tqueue wait p50 s\tAsterisk CPU s\thotline CPU s")
		for _, st := range c.Steps {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%.3f\t%.0f (%d)\t%.1f\t%.2f\t%.2f\n", st.Level, st.Attempted, st.Failed, st.RTPLossPercent,
				st.Dispatch.P99, st.DispatchN, st.QueueWait.P50/1000, st.AsteriskCPUSeconds, st.HotlineCPUSeconds)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nRATIOS: (Asterisk+hotline) CPU/call ÷ app_queue's: %.2f; hotline CPU/call: %.2f ms; dispatch p50 ÷ app_queue's: %.2f, p99: %.2f; capacity ÷ app_queue's: %.2f\n",
		r.Ratios.SystemCPUPerCall, r.Ratios.HotlineCPUPerCall, r.Ratios.DispatchP50, r.Ratios.DispatchP99, r.Ratios.Capacity)
	fmt.Fprintln(w, "\nTARGETS")
	for _, t := range r.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, strings.ToUpper(t.Status), t.Detail)
	}
	return tw.Flush()
}

func mb(kb int64) string {
	if kb == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(kb)/1024)
}

func failures(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d× %s", m[k], k))
	}
	return strings.Join(parts, "; ")
}

func options(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	return strings.Join(parts, " ")
}
