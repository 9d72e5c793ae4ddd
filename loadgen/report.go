package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
)

// Ratios compare hotline with app_queue (0 when either side is missing), on the medians over the
// pairs; SystemCPUPerCall and SetupP99VsQueue are the medians of each pair's own ratio, with their
// spread.
type Ratios struct {
	SystemCPUPerCall    float64 `json:"system_cpu_per_call_vs_app_queue"` // (Asterisk + hotline) ÷ app_queue's Asterisk
	SystemCPUPerCallMin float64 `json:"system_cpu_per_call_vs_app_queue_min"`
	SystemCPUPerCallMax float64 `json:"system_cpu_per_call_vs_app_queue_max"`
	HotlineCPUPerCall   float64 `json:"hotline_cpu_ms_per_call"`
	DispatchP99         float64 `json:"dispatch_p99_ms"`
	DispatchP99VsQueue  float64 `json:"dispatch_p99_vs_app_queue"`
	SetupP99VsQueue     float64 `json:"invite_to_200_p99_vs_app_queue"`
	SetupP99VsQueueMin  float64 `json:"invite_to_200_p99_vs_app_queue_min,omitempty"`
	SetupP99VsQueueMax  float64 `json:"invite_to_200_p99_vs_app_queue_max,omitempty"`
	Capacity            float64 `json:"capacity_vs_app_queue"`
}

// Target is one of the targets, judged on the medians.
type Target struct {
	Name   string `json:"name"`
	Status string `json:"status"` // PASS, FAIL, NOT MEASURED
	Detail string `json:"detail"`
}

// Figure is one measured quantity of one system over its runs: the median and the spread.
type Figure struct {
	System string    `json:"system"`
	Name   string    `json:"name"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"` // one per run, in order
}

// figureDefs are the figures taken over the pairs; hotlineOnly ones are skipped for app_queue.
var figureDefs = []struct {
	name        string
	hotlineOnly bool
	f           func(*Fixed) float64
}{
	{"Asterisk CPU ms/call", false, func(f *Fixed) float64 { return f.AsteriskCPUPerCall }},
	{"hotline CPU ms/call", true, func(f *Fixed) float64 { return f.HotlineCPUPerCall }},
	{"  of which sysmon (not in pprof)", true, func(f *Fixed) float64 { return f.HotlineSysmonPerCall }},
	{"Asterisk + hotline CPU ms/call", false, func(f *Fixed) float64 { return f.SystemCPUPerCall }},
	{"Asterisk context switches/call", false, func(f *Fixed) float64 { return f.AsteriskSwitchesPerCall }},
	{"hotline context switches/call", true, func(f *Fixed) float64 { return f.HotlineSwitchesPerCall }},
	{"dispatch p50 ms", false, func(f *Fixed) float64 { return f.Dispatch.P50 }},
	{"dispatch p99 ms", false, func(f *Fixed) float64 { return f.Dispatch.P99 }},
	{"  hotline's part p50 ms", true, func(f *Fixed) float64 { return dispatchPartOf(f, "hotline", false) }},
	{"  hotline's part p99 ms", true, func(f *Fixed) float64 { return dispatchPartOf(f, "hotline", true) }},
	{"  event delivery p99 ms", true, func(f *Fixed) float64 { return dispatchPartOf(f, "delivery", true) }},
	{"  originate request p99 ms", true, func(f *Fixed) float64 { return dispatchPartOf(f, "request", true) }},
	{"INVITE → 200 OK p99 ms", false, func(f *Fixed) float64 { return f.Setup.P99 }},
	{"answer → greeting p99 ms", false, func(f *Fixed) float64 { return f.Greeting.P99 }},
	{"queue wait p50 s", false, func(f *Fixed) float64 { return f.QueueWait.P50 / 1000 }},
	{"completed calls", false, func(f *Fixed) float64 { return float64(f.Completed) }},
	{"failed calls", false, func(f *Fixed) float64 { return float64(f.Failed) }},
	{"RTP loss %", false, func(f *Fixed) float64 { return f.RTPLossPercent }},
	{"ARI events/call", true, func(f *Fixed) float64 { return ariOf(f).EventsPerCall }},
	{"ARI REST requests/call", true, func(f *Fixed) float64 { return ariOf(f).RequestsPerCall }},
	{"ARI event KB/call", true, func(f *Fixed) float64 { return ariOf(f).KBPerCall }},
	{"ARI REST connections dialled/call", true, func(f *Fixed) float64 { return ariOf(f).DialledPerCall }},
	{"hotline allocations/call", true, func(f *Fixed) float64 { return hotlineRuntimeOf(f).AllocsPerCall }},
	{"hotline goroutines created/call", true, func(f *Fixed) float64 { return hotlineRuntimeOf(f).GoroutinesPerCall }},
	{"hotline goroutine wake-ups/call (est.)", true, func(f *Fixed) float64 { return hotlineRuntimeOf(f).WakeupsPerCall }},
	{"peak RSS Asterisk MB", false, func(f *Fixed) float64 { return float64(f.AsteriskPeakRSSKB) / 1024 }},
	{"peak RSS hotline MB", true, func(f *Fixed) float64 { return float64(f.HotlinePeakRSSKB) / 1024 }},
	{"journal writes/s", true, func(f *Fixed) float64 { return f.JournalWritesPerS }},
	{"generator CPU s (apart)", false, func(f *Fixed) float64 { return f.GeneratorCPUSeconds }},
	{"load average (1 min), max", false, func(f *Fixed) float64 { return f.Load.Load1Max }},
	{"steal %", false, func(f *Fixed) float64 { return f.Load.StealPercent }},
	{"other processes' CPU, cores", false, func(f *Fixed) float64 { return f.Load.OthersCores }},
}

func hotlineRuntimeOf(f *Fixed) GoRuntime {
	if f.HotlineRuntime == nil {
		return GoRuntime{}
	}
	return *f.HotlineRuntime
}

func ariOf(f *Fixed) ARITraffic {
	if f.ARI == nil {
		return ARITraffic{}
	}
	return *f.ARI
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

// median of vs (the mean of the middle two when even); 0 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func spread(vs []float64) (lo, hi float64) {
	for i, v := range vs {
		if i == 0 || v < lo {
			lo = v
		}
		if i == 0 || v > hi {
			hi = v
		}
	}
	return lo, hi
}

func figure(system, name string, runs []*Fixed, f func(*Fixed) float64) Figure {
	fg := Figure{System: system, Name: name}
	for _, r := range runs {
		fg.Values = append(fg.Values, f(r))
	}
	fg.Median = median(fg.Values)
	fg.Min, fg.Max = spread(fg.Values)
	return fg
}

func runsOf(s *SystemResult) []*Fixed {
	if s == nil {
		return nil
	}
	return s.Runs
}

// evaluate takes each figure's median and spread over the runs, the ratios, and judges the
// issue's targets on the medians.
func evaluate(o Options, rs []SystemResult) ([]Figure, Ratios, []Target) {
	var figs []Figure
	for _, s := range rs {
		for _, d := range figureDefs {
			if len(s.Runs) == 0 || d.hotlineOnly && !isHotline(s.System) {
				continue
			}
			figs = append(figs, figure(s.System, d.name, s.Runs, d.f))
		}
	}
	var r Ratios
	var ts []Target
	add := func(name string, measured, met bool, detail string) {
		st := "NOT MEASURED"
		if measured {
			st = map[bool]string{true: "PASS", false: "FAIL"}[met]
		}
		ts = append(ts, Target{Name: name, Status: st, Detail: detail})
	}
	h, q := find(rs, "hotline"), find(rs, "app_queue")
	if h == nil && q == nil {
		return figs, r, nil // nodes compared with each other: no issue 23 targets (see the NODES section)
	}
	hr, qr := runsOf(h), runsOf(q)
	med := func(runs []*Fixed, f func(*Fixed) float64) float64 { return figure("", "", runs, f).Median }
	disturbed := func(runs ...[]*Fixed) string {
		n, d := 0, 0
		for _, rr := range runs {
			for _, f := range rr {
				n++
				if f.Load.Disturbed {
					d++
				}
			}
		}
		if d == 0 {
			return ""
		}
		return fmt.Sprintf(" [%d of %d runs disturbed]", d, n)
	}

	// CPU per call, pair by pair: the two runs of a pair are minutes apart, so they share most of
	// what the neighbours did.
	pairRatios := pairwise(hr, qr, func(f *Fixed) float64 { return f.SystemCPUPerCall }, func(f *Fixed) float64 { return f.AsteriskCPUPerCall })
	r.SystemCPUPerCall = median(pairRatios)
	r.SystemCPUPerCallMin, r.SystemCPUPerCallMax = spread(pairRatios)
	add("(Asterisk + hotline) CPU per call ≤ 1.0 × app_queue's", len(pairRatios) > 0, r.SystemCPUPerCall <= 1.0,
		fmt.Sprintf("median of %d pairs ×%.2f (spread ×%.2f–×%.2f); medians %.1f ms (Asterisk %.1f + hotline %.1f) vs %.1f ms%s",
			len(pairRatios), r.SystemCPUPerCall, r.SystemCPUPerCallMin, r.SystemCPUPerCallMax,
			med(hr, func(f *Fixed) float64 { return f.SystemCPUPerCall }), med(hr, func(f *Fixed) float64 { return f.AsteriskCPUPerCall }),
			med(hr, func(f *Fixed) float64 { return f.HotlineCPUPerCall }), med(qr, func(f *Fixed) float64 { return f.AsteriskCPUPerCall }),
			disturbed(hr, qr)))

	hot := figure("", "", hr, func(f *Fixed) float64 { return f.HotlineCPUPerCall })
	r.HotlineCPUPerCall = hot.Median
	add("hotline's own CPU ≤ 5 ms per call", len(hr) > 0, hot.Median <= 5,
		fmt.Sprintf("median %.2f ms (spread %.2f–%.2f) over %d runs%s", hot.Median, hot.Min, hot.Max, len(hr), disturbed(hr)))

	disp := figure("", "", hr, func(f *Fixed) float64 { return f.Dispatch.P99 })
	r.DispatchP99 = disp.Median
	r.DispatchP99VsQueue = ratio(disp.Median, med(qr, func(f *Fixed) float64 { return f.Dispatch.P99 }))
	add(fmt.Sprintf("dispatch p99 ≤ 30 ms (at %d concurrent calls)", o.Concurrency), len(hr) > 0 && o.Concurrency >= 100, disp.Median <= 30,
		fmt.Sprintf("median %.0f ms (spread %.0f–%.0f); app_queue %.0f ms%s", disp.Median, disp.Min, disp.Max,
			med(qr, func(f *Fixed) float64 { return f.Dispatch.P99 }), disturbed(hr)+map[bool]string{true: "", false: "; the target is at 100 concurrent calls"}[o.Concurrency >= 100]))

	// INVITE→200 pair by pair too, for the same reason as the CPU: a p99 of one run is its few
	// slowest calls, and what slowed them (a neighbour's minute) is shared by the pair. The ratio of
	// the two systems' medians is printed beside it.
	setup := func(f *Fixed) float64 { return f.Setup.P99 }
	setupRatios := pairwise(hr, qr, setup, setup)
	hs, qs := med(hr, setup), med(qr, setup)
	r.SetupP99VsQueue = median(setupRatios)
	r.SetupP99VsQueueMin, r.SetupP99VsQueueMax = spread(setupRatios)
	add("INVITE → 200 p99 ≤ 1.5 × app_queue's", len(setupRatios) > 0, r.SetupP99VsQueue <= 1.5,
		fmt.Sprintf("median of %d pairs ×%.2f (spread ×%.2f–×%.2f); medians %.0f ms vs %.0f ms: ×%.2f%s",
			len(setupRatios), r.SetupP99VsQueue, r.SetupP99VsQueueMin, r.SetupP99VsQueueMax, hs, qs, ratio(hs, qs), disturbed(hr, qr)))

	if h != nil && q != nil && h.Capacity != nil && q.Capacity != nil {
		r.Capacity = ratio(float64(h.Capacity.Reached), float64(q.Capacity.Reached))
		add(fmt.Sprintf("capacity (every call connects, dispatch p99 < %s) ≥ app_queue's", o.DispatchLimit), q.Capacity.Reached > 0,
			h.Capacity.Reached >= q.Capacity.Reached,
			fmt.Sprintf("hotline %d (%s) vs app_queue %d (%s) concurrent calls", h.Capacity.Reached, h.Capacity.Why, q.Capacity.Reached, q.Capacity.Why))
	} else {
		add("capacity ≥ app_queue's", false, false, "needs --mode capacity or both with both systems")
	}

	var failed, attempted, lost, packets int
	for _, f := range append(append([]*Fixed(nil), hr...), qr...) {
		failed += f.Failed
		attempted += f.Attempted
		lost += f.RTPLost
		packets += f.RTPLost + f.RTPReceived
	}
	var hfailed, hlost int
	for _, f := range hr {
		hfailed += f.Failed
		hlost += f.RTPLost
	}
	add("0 failed calls (every run)", attempted > 0, failed == 0,
		fmt.Sprintf("%d failed of %d calls (hotline %d)", failed, attempted, hfailed))
	add("0 RTP loss (every run)", packets > 0, lost == 0,
		fmt.Sprintf("%d lost of %d packets (hotline %d)", lost, packets, hlost))

	if h != nil && h.Soak != nil {
		sk := h.Soak
		add("hotline's memory flat over the soak (RSS, goroutines, open fds)", true, sk.Flat,
			fmt.Sprintf("%.0f s, %d calls: %s", sk.Seconds, sk.Completed, sk.Why))
	} else {
		add("hotline's memory flat over a soak", false, false, "needs --mode soak")
	}
	return figs, r, ts
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

// WriteTable prints the report: every run in order, then each figure's median and spread over
// the pairs, ARI traffic per call, capacity, the soak, the ratios and the targets.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "machine: %d CPUs, %s, kernel %s (%s)\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.Note)
	fmt.Fprintf(w, "started %s; options %s\n", r.Started.Format("2006-01-02 15:04 MST"), options(r.Options))
	fmt.Fprintf(w, "a run is DISTURBED when other processes used > %.2f cores or steal > %.0f %% during it\n\n", disturbedCores, disturbedSteal)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var runs []*Fixed
	var names []string
	for _, s := range r.Systems {
		if s.Error != "" {
			fmt.Fprintf(w, "%s: ERROR %s\n", s.System, s.Error)
		}
		for _, f := range s.Runs {
			runs = append(runs, f)
			names = append(names, s.System)
		}
	}
	if len(runs) > 0 {
		// In the order they ran: pair by pair, the systems in turn.
		idx := make([]int, len(runs))
		for i := range idx {
			idx[i] = i
		}
		order := map[string]int{}
		for i, s := range r.Systems {
			order[s.System] = i
		}
		sort.SliceStable(idx, func(a, b int) bool {
			ra, rb := runs[idx[a]], runs[idx[b]]
			if ra.Pair != rb.Pair {
				return ra.Pair < rb.Pair
			}
			return order[names[idx[a]]] < order[names[idx[b]]]
		})
		fmt.Fprintln(w, "FIXED LOAD, RUNS IN ORDER")
		fmt.Fprintln(tw, "pair\tsystem\tcompleted/failed\tdispatch p50/p99 ms (n)\tINVITE→200 p99 ms\tAsterisk / hotline / sum CPU ms/call\tARI events / REST per call\tRTP lost\tload1 min–max\tsteal %\tothers cores\tdisturbed")
		for _, i := range idx {
			f := runs[i]
			ariCol := "-"
			if f.ARI != nil {
				ariCol = fmt.Sprintf("%.1f / %.1f", f.ARI.EventsPerCall, f.ARI.RequestsPerCall)
			}
			dist := "no"
			if f.Load.Disturbed {
				dist = "YES: " + f.Load.Why
			}
			fmt.Fprintf(tw, "%d\t%s\t%d/%d\t%.0f/%.0f (%d)\t%.0f\t%.1f / %.1f / %.1f\t%s\t%d\t%.1f–%.1f\t%.1f\t%.2f\t%s\n",
				f.Pair, names[i], f.Completed, f.Failed, f.Dispatch.P50, f.Dispatch.P99, f.DispatchN, f.Setup.P99,
				f.AsteriskCPUPerCall, f.HotlineCPUPerCall, f.SystemCPUPerCall, ariCol, f.RTPLost,
				f.Load.Load1Min, f.Load.Load1Max, f.Load.StealPercent, f.Load.OthersCores, dist)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, i := range idx {
			fmt.Fprintf(w, "  pair %d %s bridges: %s\n", runs[i].Pair, names[i], runs[i].Bridges)
		}
		for _, i := range idx {
			if d := runs[i].HotlineDispatch; d != nil {
				fmt.Fprintf(w, "  pair %d %s dispatch, hotline's side: %s\n", runs[i].Pair, names[i], dispatchLine(d))
			}
		}
		for _, i := range idx {
			if f := runs[i]; f.DispatchN > 0 {
				fmt.Fprintf(w, "  pair %d %s dispatch's ring seen by the operator's loop after the INVITE's arrival: %.1f/%.1f ms (p50/p99; not counted in dispatch)\n",
					f.Pair, names[i], f.DispatchSeenLate.P50, f.DispatchSeenLate.P99)
			}
		}
		for _, i := range idx {
			if fs := runs[i].Failures; len(fs) > 0 {
				fmt.Fprintf(w, "  pair %d %s failures: %s\n", runs[i].Pair, names[i], failures(fs))
			}
		}

		var systems []string
		for _, s := range r.Systems {
			if len(s.Runs) > 0 {
				systems = append(systems, s.System)
			}
		}
		fmt.Fprintln(w, "\nMEDIANS OVER THE PAIRS (min–max)")
		fmt.Fprint(tw, "figure")
		for _, s := range systems {
			fmt.Fprintf(tw, "\t%s", s)
		}
		fmt.Fprintln(tw)
		for _, d := range figureDefs {
			fmt.Fprint(tw, d.name)
			for _, sys := range systems {
				cell := "-"
				for _, fg := range r.Figures {
					if fg.System == sys && fg.Name == d.name {
						cell = fmt.Sprintf("%s (%s–%s)", num(fg.Median), num(fg.Min), num(fg.Max))
					}
				}
				fmt.Fprint(tw, "\t"+cell)
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if h := find(r.Systems, "hotline"); h != nil && len(h.Runs) > 0 {
		byType, byKind, conns, calls, connCalls, copies := map[string]float64{}, map[string]float64{}, map[string]float64{}, 0, 0, 0.0
		for _, f := range h.Runs {
			if f.ARI == nil {
				continue
			}
			calls += f.Completed
			copies += f.ARI.Copies
			for k, v := range f.ARI.EventsByType {
				byType[k] += v
			}
			for k, v := range f.ARI.RequestsByKind {
				byKind[k] += v
			}
			if f.ARI.Connections != nil {
				connCalls += f.Completed
			}
			for k, v := range f.ARI.Connections {
				conns[k] += v
			}
		}
		if calls > 0 {
			fmt.Fprintf(w, "\nARI PER CALL (hotline, %d completed calls over every run)\n", calls)
			perCall := func(title string, m map[string]float64) {
				keys := sortedKeys(m)
				sort.SliceStable(keys, func(a, b int) bool { return m[keys[a]] > m[keys[b]] })
				var parts []string
				for _, k := range keys {
					parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]/float64(calls)))
				}
				fmt.Fprintf(w, "%s %.2f: %s\n", title, sum(m)/float64(calls), strings.Join(parts, ", "))
			}
			perCall("events", byType)
			fmt.Fprintf(w, "of which copies of an event just read, dropped before decoding: %.2f\n", copies/float64(calls))
			perCall("REST requests", byKind)
			if connCalls > 0 { // the runs of a daemon that counts them
				var parts []string
				for _, k := range sortedKeys(conns) {
					parts = append(parts, fmt.Sprintf("%s %.3f", k, conns[k]/float64(connCalls)))
				}
				fmt.Fprintf(w, "REST connections: %s\n", strings.Join(parts, ", "))
			}
		}
	}
	for _, s := range r.Systems {
		if s.Capacity == nil {
			continue
		}
		c := s.Capacity
		fmt.Fprintf(w, "\nCAPACITY %s: reached %d concurrent calls; %s\n", s.System, c.Reached, c.Why)
		fmt.Fprintln(tw, "level\tended calls\tfailed\tRTP loss %\tdispatch p99 ms (n)\tqueue wait p50 s\tAsterisk CPU s\thotline CPU s\tload1 max\tothers cores\tdisturbed")
		for _, st := range c.Steps {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%.3f\t%.0f (%d)\t%.1f\t%.2f\t%.2f\t%.1f\t%.2f\t%s\n", st.Level, st.Attempted, st.Failed, st.RTPLossPercent,
				st.Dispatch.P99, st.DispatchN, st.QueueWait.P50/1000, st.AsteriskCPUSeconds, st.HotlineCPUSeconds,
				st.Load.Load1Max, st.Load.OthersCores, map[bool]string{true: "YES", false: "no"}[st.Load.Disturbed])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, s := range r.Systems {
		if s.Soak == nil {
			continue
		}
		sk := s.Soak
		fmt.Fprintf(w, "\nSOAK %s: %.0f s, %d calls completed, %d failed; flat: %v (%s)\n", s.System, sk.Seconds, sk.Completed, sk.Failed, sk.Flat, sk.Why)
		fmt.Fprintln(tw, "moment\tat s\tRSS MB\tanon MB\tfile MB\theap in use MB\tGo runtime held MB\tSQLite MB\tgoroutines\topen fds")
		for _, m := range []struct {
			name string
			r    ResourceSample
		}{{"idle before", sk.IdleBefore}, {"warm (under load)", sk.Warm}, {"end (under load)", sk.LoadEnd}, {"idle after", sk.IdleAfter}} {
			fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\n", m.name, m.r.AtSeconds, m.r.RSSMB, m.r.RSSAnonMB, m.r.RSSFileMB, m.r.HeapMB, m.r.GoHeldMB, m.r.SQLiteMB, m.r.Goroutines, m.r.FDs)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "RSS under load as judged (medians of %s at each end): %.1f → %.1f MB; trend over the load %+.1f MB/h\n",
			sk.Window, sk.WarmRSSMB, sk.EndRSSMB, sk.RSSTrendMBPerHour)
		fmt.Fprintf(w, "switchboard maps, idle before → idle after: %s\n", trackedChange(sk.IdleBefore.Tracked, sk.IdleAfter.Tracked))
	}
	if err := writeNodes(w, r.Systems); err != nil {
		return err
	}
	if len(r.Targets) == 0 {
		return nil
	}
	if len(runs) > 0 {
		fmt.Fprintf(w, "\nRATIOS (medians): (Asterisk+hotline) CPU/call ÷ app_queue's: %.2f (pairs %.2f–%.2f); hotline CPU/call: %.2f ms; dispatch p99 %.0f ms, ÷ app_queue's: %.2f; INVITE→200 p99 ÷ app_queue's: %.2f; capacity ÷ app_queue's: %.2f\n",
			r.Ratios.SystemCPUPerCall, r.Ratios.SystemCPUPerCallMin, r.Ratios.SystemCPUPerCallMax, r.Ratios.HotlineCPUPerCall,
			r.Ratios.DispatchP99, r.Ratios.DispatchP99VsQueue, r.Ratios.SetupP99VsQueue, r.Ratios.Capacity)
	}
	fmt.Fprintln(w, "\nTARGETS (issue 23, judged on the medians)")
	for _, t := range r.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Status, t.Name, t.Detail)
	}
	return tw.Flush()
}

// num prints a figure with the precision its size needs.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
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

// writeNodes prints, for runs over Asterisk nodes, what each node carried and cost, and the
// systems compared: the cost per call of a node and of hotline with one node and with several.
func writeNodes(w io.Writer, rs []SystemResult) error {
	var systems []*SystemResult
	for i := range rs {
		if nodesOf(rs[i].System) > 0 {
			systems = append(systems, &rs[i])
		}
	}
	if len(systems) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "\nPER NODE (calls carried: completed calls whose 200 OK came from the node; Asterisk CPU ÷ the calls it carried)")
	fmt.Fprintln(tw, "pair\tsystem\tnode\tSIP\tcalls carried\tAsterisk CPU s\tAsterisk CPU ms/call carried\tidle ms/s\tms/call carried net of idle\thotline CPU ms/call (all nodes' calls)")
	for _, s := range systems {
		for _, f := range s.Runs {
			for _, n := range f.Nodes {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%.2f\t%.1f\t%.0f\t%.1f\t%.1f\n", f.Pair, s.System, n.Name, n.SIPAddr, n.Calls, n.AsteriskCPUSeconds,
					n.AsteriskCPUPerCall, n.IdleMsPerS, n.AsteriskCPUPerCallNet, f.HotlineCPUPerCall)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nNODES COMPARED (medians over the pairs, min–max)")
	fmt.Fprintln(tw, "system\tcompleted\tper node: calls carried\tper node: Asterisk ms/call carried\tper node: net of idle\tAsterisk ms/call (all nodes)\thotline ms/call\tcapacity reached")
	base := map[string]float64{}
	for _, s := range systems {
		var carried, perNode []string
		nodeNames := []string{}
		for _, f := range s.Runs {
			for _, n := range f.Nodes {
				if !contains(nodeNames, n.Name) {
					nodeNames = append(nodeNames, n.Name)
				}
			}
		}
		var allNodes, allNet []float64
		var netCol []string
		for _, name := range nodeNames {
			var calls, cost, net []float64
			for _, f := range s.Runs {
				for _, n := range f.Nodes {
					if n.Name == name {
						calls = append(calls, float64(n.Calls))
						if n.Calls > 0 {
							cost = append(cost, n.AsteriskCPUPerCall)
							allNodes = append(allNodes, n.AsteriskCPUPerCall)
							net = append(net, n.AsteriskCPUPerCallNet)
							allNet = append(allNet, n.AsteriskCPUPerCallNet)
						}
					}
				}
			}
			carried = append(carried, fmt.Sprintf("%s %s", name, num(median(calls))))
			lo, hi := spread(cost)
			perNode = append(perNode, fmt.Sprintf("%s %s (%s–%s)", name, num(median(cost)), num(lo), num(hi)))
			lo, hi = spread(net)
			netCol = append(netCol, fmt.Sprintf("%s %s (%s–%s)", name, num(median(net)), num(lo), num(hi)))
		}
		fg := func(f func(*Fixed) float64) Figure { return figure("", "", s.Runs, f) }
		comp := fg(func(f *Fixed) float64 { return float64(f.Completed) })
		ast := fg(func(f *Fixed) float64 { return f.AsteriskCPUPerCall })
		hot := fg(func(f *Fixed) float64 { return f.HotlineCPUPerCall })
		capacity := "-"
		if s.Capacity != nil {
			capacity = fmt.Sprintf("%d (%s)", s.Capacity.Reached, s.Capacity.Why)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s (%s–%s)\t%s (%s–%s)\t%s\n", s.System, num(comp.Median), strings.Join(carried, ", "), strings.Join(perNode, ", "), strings.Join(netCol, ", "),
			num(ast.Median), num(ast.Min), num(ast.Max), num(hot.Median), num(hot.Min), num(hot.Max), capacity)
		if len(base) == 0 {
			base["node"], base["net"], base["hot"] = median(allNodes), median(allNet), hot.Median
			if s.Capacity != nil {
				base["cap"] = float64(s.Capacity.Reached)
			}
			base["k"] = float64(nodesOf(s.System))
			continue
		}
		fmt.Fprintf(tw, "  ÷ %s\t\t\tnode ×%.2f\tnet ×%.2f\t\thotline ×%.2f\t", systems[0].System, ratio(median(allNodes), base["node"]), ratio(median(allNet), base["net"]), ratio(hot.Median, base["hot"]))
		if s.Capacity != nil {
			fmt.Fprintf(tw, "×%.2f", ratio(float64(s.Capacity.Reached), base["cap"]))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "(with nodes, hotline exports the first node's ARI counters only: the ARI events and REST figures above are node a's)")
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// pairwise is hf(hotline's run) ÷ qf(app_queue's run) for each pair that has both, in pair order.
func pairwise(hr, qr []*Fixed, hf, qf func(*Fixed) float64) []float64 {
	var rs []float64
	for _, h := range hr {
		for _, q := range qr {
			if q.Pair == h.Pair {
				if v := ratio(hf(h), qf(q)); v > 0 {
					rs = append(rs, v)
				}
			}
		}
	}
	return rs
}
