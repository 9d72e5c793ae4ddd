package loadgen

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// Soak is hotline's process watched over a long run of calls: does anything grow with calls served?
type Soak struct {
	Seconds   float64 `json:"seconds"`
	Completed int     `json:"completed"`
	Failed    int     `json:"failed"`
	// IdleBefore: handsets registered, operators logged in, no call yet. Warm: under load, once the
	// first fifth of the soak (at most 2 minutes) is over. LoadEnd: under load, just before the
	// last callers were let finish. IdleAfter: every call over, soakIdleWait later.
	IdleBefore ResourceSample   `json:"idle_before"`
	Warm       ResourceSample   `json:"warm"`
	LoadEnd    ResourceSample   `json:"load_end"`
	IdleAfter  ResourceSample   `json:"idle_after"`
	Samples    []ResourceSample `json:"samples"` // every 10 s
	// RSS under load as judged: the median of the samples in the soakWindow after Warm, and of
	// those in the last soakWindow before LoadEnd. One sample is one moment of the garbage
	// collector's cycle (the heap in use swings by a quarter between two of them), so two
	// single samples can differ by more than a leak would in half an hour.
	WarmRSSMB float64 `json:"warm_rss_mb_median"`
	// Window: how long each stretch was (soakWindow, or a third of the time under load if shorter).
	Window   time.Duration `json:"window_ns"`
	EndRSSMB float64       `json:"end_rss_mb_median"`
	// RSSTrendMBPerHour: the least-squares slope of RSS over the samples from Warm on, per hour.
	RSSTrendMBPerHour float64 `json:"rss_trend_mb_per_hour"`
	Flat              bool    `json:"flat"`
	Why               string  `json:"why"`
}

// ResourceSample is hotline serve's process at one moment, from its /metrics.
type ResourceSample struct {
	AtSeconds float64 `json:"at_s"`
	RSSMB     float64 `json:"rss_mb"`
	// RSS split (from /proc/PID/status): anonymous memory (the Go heap and stacks, the C heap
	// SQLite's page caches live in) and file pages (the executable's own code and data, resident
	// as they are touched: bounded by its size). 0 when the process is not on this machine.
	RSSAnonMB float64 `json:"rss_anon_mb,omitempty"`
	RSSFileMB float64 `json:"rss_file_mb,omitempty"`
	HeapMB    float64 `json:"heap_inuse_mb"`
	// The anonymous memory's two owners: the Go runtime (what it holds from the system and has not
	// given back: go_memstats_sys_bytes less go_memstats_heap_released_bytes) and SQLite's C heap
	// (hotline_journal_sqlite_memory_bytes: page caches, statements).
	GoHeldMB   float64 `json:"go_held_mb,omitempty"`
	SQLiteMB   float64 `json:"sqlite_mb,omitempty"`
	Goroutines int     `json:"goroutines"`
	FDs        int     `json:"open_fds"`
	// Tracked: the entries in each of the switchboard's maps (hotline_switchboard_tracked), by map.
	Tracked map[string]int `json:"tracked,omitempty"`
}

// What "flat" allows: RSS under load may grow by soakRSSGrowth between the warm sample and the end
// (the Go heap settles over minutes); goroutines and fds, idle after against idle before, by a few
// (a reconnecting connection, a scrape in flight).
const (
	soakRSSGrowth      = 0.10
	soakGoroutineSlack = 5
	soakFDSlack        = 2
	// soakIdleWait is how long after the last call "idle after" is sampled: past the pools'
	// own idle timeouts, so what a pool still holds from the load is not counted as kept. The
	// ARI REST client keeps up to 32 connections, closing those idle past 5 s at its next request
	// (the daemon's periodic ones come every few seconds); the journal's readers close an idle
	// connection after a minute (three fds each: the database, its WAL and shared memory).
	soakIdleWait = 95 * time.Second
	// soakWindow is how long a stretch of samples each end of the load is judged on.
	soakWindow = 3 * time.Minute
)

func resources(ctx context.Context, m metricsSource, since time.Time) (ResourceSample, error) {
	s, err := m.Metrics(ctx)
	if err != nil {
		return ResourceSample{}, err
	}
	var anon, file int64
	if p, ok := m.(interface{ HotlinePID() int }); ok && p.HotlinePID() > 0 {
		anon, _ = procMemKB(p.HotlinePID(), "RssAnon") // best effort: the split only explains RSS
		file, _ = procMemKB(p.HotlinePID(), "RssFile")
	}
	return ResourceSample{
		RSSAnonMB:  float64(anon) / 1024,
		RSSFileMB:  float64(file) / 1024,
		AtSeconds:  time.Since(since).Seconds(),
		RSSMB:      s.get("process_resident_memory_bytes") / (1 << 20),
		HeapMB:     s.get("go_memstats_heap_inuse_bytes") / (1 << 20),
		GoHeldMB:   (s.get("go_memstats_sys_bytes") - s.get("go_memstats_heap_released_bytes")) / (1 << 20),
		SQLiteMB:   s.get("hotline_journal_sqlite_memory_bytes") / (1 << 20),
		Goroutines: int(s.get("go_goroutines")),
		FDs:        int(s.get("process_open_fds")),
		Tracked:    tracked(s),
	}, nil
}

// tracked reads hotline_switchboard_tracked{map="..."} from a scrape: map → entries.
func tracked(s series) map[string]int {
	const prefix = `hotline_switchboard_tracked{map="`
	out := map[string]int{}
	for k, v := range s {
		if name, ok := strings.CutPrefix(k, prefix); ok {
			out[strings.TrimSuffix(name, `"}`)] = int(v)
		}
	}
	return out
}

// trackedChange lists the switchboard's maps that are not empty at either moment, as
// "name before → after", sorted; "all empty" if none.
func trackedChange(before, after map[string]int) string {
	names := map[string]bool{}
	for name, n := range before {
		names[name] = n != 0
	}
	for name, n := range after {
		names[name] = names[name] || n != 0
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(names)) {
		if names[name] {
			out = append(out, fmt.Sprintf("%s %d → %d", name, before[name], after[name]))
		}
	}
	if len(out) == 0 {
		return "all empty"
	}
	return strings.Join(out, ", ")
}

// heapProfiler is a system whose heap profile the soak can take (hotline with HeapProfiles set).
type heapProfiler interface {
	HeapProfile(ctx context.Context, name string) (string, error)
}

// heap writes the system's heap profile as name, if it takes them; a failure is logged, not fatal:
// the soak's samples stand without it.
func heap(ctx context.Context, sys any, name string, log *slog.Logger) {
	hp, ok := sys.(heapProfiler)
	if !ok {
		return
	}
	path, err := hp.HeapProfile(ctx, name)
	if err != nil {
		log.Warn("soak: heap profile", "err", err)
		return
	}
	if path != "" {
		log.Info("soak: heap profile written", "path", path)
	}
}

// judge says whether the samples are flat, and why not.
func (sk *Soak) judge() {
	sk.WarmRSSMB, sk.EndRSSMB, sk.RSSTrendMBPerHour, sk.Window = sk.rssUnderLoad()
	var why []string
	if limit := sk.WarmRSSMB * (1 + soakRSSGrowth); sk.EndRSSMB > limit {
		why = append(why, fmt.Sprintf("RSS under load grew %.1f → %.1f MB (> %.0f %%; medians of %s at each end)",
			sk.WarmRSSMB, sk.EndRSSMB, 100*soakRSSGrowth, sk.Window))
	}
	if sk.IdleAfter.Goroutines > sk.IdleBefore.Goroutines+soakGoroutineSlack {
		why = append(why, fmt.Sprintf("goroutines idle %d → %d", sk.IdleBefore.Goroutines, sk.IdleAfter.Goroutines))
	}
	if sk.IdleAfter.FDs > sk.IdleBefore.FDs+soakFDSlack {
		why = append(why, fmt.Sprintf("open fds idle %d → %d", sk.IdleBefore.FDs, sk.IdleAfter.FDs))
	}
	sk.Flat = len(why) == 0
	sk.Why = strings.Join(why, "; ")
	if sk.Flat {
		sk.Why = fmt.Sprintf("RSS %.1f → %.1f MB under load (medians of %s at each end; trend %+.1f MB/h), goroutines %d → %d and fds %d → %d idle",
			sk.WarmRSSMB, sk.EndRSSMB, sk.Window, sk.RSSTrendMBPerHour, sk.IdleBefore.Goroutines, sk.IdleAfter.Goroutines, sk.IdleBefore.FDs, sk.IdleAfter.FDs)
	}
}

// rssUnderLoad returns the median RSS of the samples in the soakWindow from Warm on, of those
// in the soakWindow up to LoadEnd, and the slope over every sample from Warm to LoadEnd. The two
// stretches never share a sample: on a short soak each is at most a third of the time under
// load, and with nothing between them they are Warm and LoadEnd alone.
func (sk *Soak) rssUnderLoad() (warm, end, perHour float64, window time.Duration) {
	loaded := []ResourceSample{sk.Warm}
	for _, r := range sk.Samples {
		if r.AtSeconds > sk.Warm.AtSeconds && r.AtSeconds < sk.LoadEnd.AtSeconds {
			loaded = append(loaded, r)
		}
	}
	loaded = append(loaded, sk.LoadEnd)
	w := min(soakWindow.Seconds(), (sk.LoadEnd.AtSeconds-sk.Warm.AtSeconds)/3)
	n := len(loaded)
	k1, k2 := 1, 1 // the samples in the first and in the last stretch
	for k1 < n/2 && loaded[k1].AtSeconds <= sk.Warm.AtSeconds+w {
		k1++
	}
	for k2 < n/2 && loaded[n-1-k2].AtSeconds >= sk.LoadEnd.AtSeconds-w {
		k2++
	}
	rss := func(rs []ResourceSample) []float64 {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i] = r.RSSMB
		}
		return out
	}
	return median(rss(loaded[:k1])), median(rss(loaded[n-k2:])), 3600 * slope(loaded), time.Duration(max(0, w) * float64(time.Second)).Round(time.Second)
}

// slope is the least-squares slope of RSS (MB) against time (s); 0 with fewer than two moments.
func slope(rs []ResourceSample) float64 {
	if len(rs) < 2 {
		return 0
	}
	var mt, mr float64
	for _, r := range rs {
		mt += r.AtSeconds
		mr += r.RSSMB
	}
	mt, mr = mt/float64(len(rs)), mr/float64(len(rs))
	var num, den float64
	for _, r := range rs {
		num += (r.AtSeconds - mt) * (r.RSSMB - mr)
		den += (r.AtSeconds - mt) * (r.AtSeconds - mt)
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// runSoak keeps Concurrency calls in flight for SoakFor, sampling hotline serve's RSS, goroutines
// and open fds every 10 s, then lets the last calls finish and samples it idle again.
func runSoak(ctx context.Context, o Options, name string, exts []string, prefix string) (*Soak, string, error) {
	o.Log.Info("soak: start", "system", name, "for", o.SoakFor, "concurrency", o.Concurrency)
	s, err := open(ctx, o, name, exts, prefix)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	m, ok := s.sys.(metricsSource)
	if !ok {
		return nil, "", fmt.Errorf("soak: %s exports no metrics", name)
	}
	s.load.finish(0)
	s.bridges.finish()
	sk := &Soak{}
	t0 := s.t0
	fail := func(err error) (*Soak, string, error) {
		_ = s.close(ctx)
		return sk, s.sys.Number(), err
	}
	if sk.IdleBefore, err = resources(ctx, m, t0); err != nil {
		return fail(err)
	}
	stop, stopStarting := context.WithTimeout(ctx, o.SoakFor)
	defer stopStarting()
	driven := make(chan struct{})
	go func() { s.w.drive(ctx, stop, func() int { return o.Concurrency }, o.Rate, 0); close(driven) }()

	warmAt := min(o.SoakFor/5, 2*time.Minute)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	warmed := false
sampling:
	for {
		select {
		case <-stop.Done():
			break sampling
		case <-tick.C:
			r, err := resources(ctx, m, t0)
			if err != nil {
				o.Log.Warn("soak: sample", "err", err)
				continue
			}
			sk.Samples = append(sk.Samples, r)
			if !warmed && time.Since(t0) >= warmAt {
				sk.Warm, warmed = r, true
				heap(ctx, m, "warm.heap", o.Log)
			}
			o.Log.Info("soak: sample", "at", time.Since(t0).Round(time.Second), "rss_mb", r.RSSMB, "goroutines", r.Goroutines, "fds", r.FDs)
		}
	}
	if sk.LoadEnd, err = resources(ctx, m, t0); err != nil {
		return fail(err)
	}
	heap(ctx, m, "end.heap", o.Log)
	if !warmed {
		sk.Warm = sk.IdleBefore
	}
	<-driven // the callers in flight finish their calls
	s.w.settle(ctx)
	sleep(ctx, soakIdleWait)
	if sk.IdleAfter, err = resources(ctx, m, t0); err != nil {
		return fail(err)
	}
	sum := s.w.summarize(time.Time{}, time.Time{})
	sk.Seconds, sk.Completed, sk.Failed = time.Since(t0).Seconds(), sum.Completed, sum.Failed
	sk.judge()
	err = s.close(ctx)
	if c, ok := s.sys.(interface{ cleanup(failed bool) }); ok {
		c.cleanup(err != nil)
	}
	return sk, s.sys.Number(), err
}
