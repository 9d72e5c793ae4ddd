package loadgen

import (
	"math"
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	text := `# HELP hotline_ari_requests_total ARI REST requests sent.
# TYPE hotline_ari_requests_total counter
hotline_ari_requests_total{app="hotline",kind="POST channels/{id}/answer"} 12
hotline_ari_requests_total{app="hotline",kind="POST bridges/record"} 3
hotline_ari_events_by_type_total{app="hotline",type="StasisStart"} 24
go_goroutines 41
process_resident_memory_bytes 3.2505856e+07
`
	s, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.by("hotline_ari_requests_total", "kind"); got["POST channels/{id}/answer"] != 12 || got["POST bridges/record"] != 3 || len(got) != 2 {
		t.Errorf("requests by kind: %v", got)
	}
	if got := s.by("hotline_ari_events_by_type_total", "type"); got["StasisStart"] != 24 {
		t.Errorf("events by type: %v", got)
	}
	if s.get("go_goroutines") != 41 || s.get("process_resident_memory_bytes") != 32505856 {
		t.Errorf("unlabelled: %v", s)
	}
	for _, bad := range []string{"go_goroutines\n", "go_goroutines many\n", `x{a="b"}` + "\n"} {
		if _, err := parseMetrics(strings.NewReader(bad)); err == nil {
			t.Errorf("parseMetrics(%q): no error", bad)
		}
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add("a{b=\"c d\",e=\"f\"} 1\n# x\nb 2 1700000000\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := parseMetrics(strings.NewReader(text))
		if err == nil {
			_ = s.by("a", "b")
		}
	})
}

func TestParseCPUTimes(t *testing.T) {
	tests := []struct {
		name, stat string
		want       cpuTimes
		err        bool
	}{
		{"with steal", "cpu  100 10 50 1000 5 1 2 7 0 0\ncpu0 1 2 3\n", cpuTimes{busy: 163, steal: 7, total: 1175}, false},
		{"guest not counted twice", "cpu  100 0 0 0 0 0 0 0 40 0\n", cpuTimes{busy: 100, total: 100}, false},
		{"short", "cpu 1 2 3\n", cpuTimes{}, true},
		{"not cpu", "intr 1 2 3 4 5 6 7 8 9\n", cpuTimes{}, true},
		{"bad number", "cpu  1 x 3 4 5 6 7 8 9 0\n", cpuTimes{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUTimes(tt.stat)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{9, 1, 5}, 5}, {[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// The targets are judged on the medians over the pairs: one pair far off either way moves nothing.
func TestEvaluateJudgesOnMedians(t *testing.T) {
	run := func(pair int, ast, hot, p99, setup float64) *Fixed {
		f := &Fixed{Pair: pair}
		f.Attempted, f.Completed = 300, 300
		f.RTPReceived = 1000
		f.AsteriskCPUPerCall, f.HotlineCPUPerCall, f.SystemCPUPerCall = ast, hot, ast+hot
		f.Dispatch.P99, f.Setup.P99 = p99, setup
		return f
	}
	rs := []SystemResult{
		{System: "hotline", Runs: []*Fixed{run(1, 120, 4, 20, 30), run(2, 300, 30, 900, 300), run(3, 118, 4.5, 25, 20)}},
		{System: "app_queue", Runs: []*Fixed{run(1, 130, 0, 1300, 15), run(2, 100, 0, 1400, 16), run(3, 125, 0, 1200, 20)}},
	}
	o := DefaultOptions()
	figs, r, ts := evaluate(o, rs)
	if r.SystemCPUPerCall < 0.9 || r.SystemCPUPerCall > 1.0 {
		t.Errorf("paired ratio median %.3f, want (124/130, 330/100, 122.5/125) → 0.98", r.SystemCPUPerCall)
	}
	if r.SystemCPUPerCallMax != 3.3 {
		t.Errorf("spread max %.2f, want 3.3 (pair 2)", r.SystemCPUPerCallMax)
	}
	status := map[string]string{}
	for _, tg := range ts {
		status[string([]rune(tg.Name)[:12])] = tg.Status
	}
	want := map[string]string{
		"(Asterisk + ": "PASS", "hotline's ow": "PASS", "dispatch p99": "PASS", "INVITE → 200": "FAIL",
		"capacity ≥ a": "NOT MEASURED", "0 failed cal": "PASS", "0 RTP loss (": "PASS", "hotline's me": "NOT MEASURED",
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("target %q: %s, want %s (all: %v)", k, status[k], v, ts)
		}
	}
	var found bool
	for _, fg := range figs {
		if fg.System == "hotline" && fg.Name == "hotline CPU ms/call" {
			found = true
			if fg.Median != 4.5 || fg.Min != 4 || fg.Max != 30 || len(fg.Values) != 3 {
				t.Errorf("hotline CPU figure %+v", fg)
			}
		}
		if fg.System == "app_queue" && fg.Name == "hotline CPU ms/call" {
			t.Errorf("app_queue has a hotline figure: %+v", fg)
		}
	}
	if !found {
		t.Error("no hotline CPU figure")
	}
}

// INVITE→200 is judged pair by pair, as the CPU is: session 12's five pairs (hotline 65, 37, 49, 24,
// 35 ms against app_queue 24, 21, 39, 23, 27 ms) are ×1.30 by the pairs' own ratios, and ×1.54 by
// the ratio of the two medians.
func TestEvaluateSetupPairByPair(t *testing.T) {
	run := func(pair int, setup float64) *Fixed {
		f := &Fixed{Pair: pair}
		f.Attempted, f.Completed, f.RTPReceived = 300, 300, 1000
		f.Setup.P99 = setup
		return f
	}
	var h, q []*Fixed
	for i, v := range [][2]float64{{65, 24}, {37, 21}, {49, 39}, {24, 23}, {35, 27}} {
		h, q = append(h, run(i+1, v[0])), append(q, run(i+1, v[1]))
	}
	// A pair with no app_queue run is left out of the ratios, not matched to another pair's (it
	// still counts in hotline's median: 43 ms of six runs, ×1.79).
	h = append(h, run(6, 500))
	_, r, ts := evaluate(DefaultOptions(), []SystemResult{{System: "hotline", Runs: h}, {System: "app_queue", Runs: q}})
	if math.Abs(r.SetupP99VsQueue-35.0/27) > 1e-9 {
		t.Errorf("INVITE→200 ratio %.3f, want the median pair's 35/27 = 1.296", r.SetupP99VsQueue)
	}
	if r.SetupP99VsQueueMin != 24.0/23 || r.SetupP99VsQueueMax != 65.0/24 {
		t.Errorf("spread %.3f–%.3f, want 1.043–2.708", r.SetupP99VsQueueMin, r.SetupP99VsQueueMax)
	}
	for _, tg := range ts {
		if strings.HasPrefix(tg.Name, "INVITE") {
			if tg.Status != "PASS" || !strings.Contains(tg.Detail, "median of 5 pairs ×1.30") || !strings.Contains(tg.Detail, "medians 43 ms vs 24 ms: ×1.79") {
				t.Errorf("target %+v", tg)
			}
			return
		}
	}
	t.Error("no INVITE→200 target")
}

func TestSoakJudge(t *testing.T) {
	base := ResourceSample{RSSMB: 30, Goroutines: 40, FDs: 20}
	tests := []struct {
		name      string
		end, idle ResourceSample
		flat      bool
	}{
		{"flat", ResourceSample{RSSMB: 32, Goroutines: 60, FDs: 30}, ResourceSample{RSSMB: 31, Goroutines: 42, FDs: 21}, true},
		{"RSS grows", ResourceSample{RSSMB: 40}, base, false},
		{"goroutines leak", ResourceSample{RSSMB: 30}, ResourceSample{Goroutines: 140, FDs: 20}, false},
		{"fds leak", ResourceSample{RSSMB: 30}, ResourceSample{Goroutines: 40, FDs: 90}, false},
	}
	for _, tt := range tests {
		sk := &Soak{IdleBefore: base, Warm: base, LoadEnd: tt.end, IdleAfter: tt.idle}
		sk.judge()
		if sk.Flat != tt.flat {
			t.Errorf("%s: flat %v (%s), want %v", tt.name, sk.Flat, sk.Why, tt.flat)
		}
	}
}

// RSS under load is judged on stretches of samples at each end, not on two single moments.
func TestSoakJudgeRSSStretches(t *testing.T) {
	// soak builds a 30-minute soak sampled every 10 s from 120 s on, RSS given by rss(at).
	soak := func(rss func(at float64) float64) *Soak {
		sk := &Soak{IdleBefore: ResourceSample{RSSMB: 30, Goroutines: 40, FDs: 20}, IdleAfter: ResourceSample{Goroutines: 40, FDs: 20}}
		for at := 120.0; at <= 1800; at += 10 {
			sk.Samples = append(sk.Samples, ResourceSample{AtSeconds: at, RSSMB: rss(at)})
		}
		sk.Warm, sk.LoadEnd = sk.Samples[0], ResourceSample{AtSeconds: 1800.5, RSSMB: rss(1800.5)}
		return sk
	}
	tests := []struct {
		name      string
		rss       func(at float64) float64
		flat      bool
		trendLoHi [2]float64 // MB/h
	}{
		// The garbage collector's cycle: ±3 MB around 40, low at the warm moment and high at the end.
		{"a sawtooth, caught low then high", func(at float64) float64 {
			if at > 1800 {
				return 44
			}
			if int(at/10)%4 == 0 {
				return 37
			}
			return 40 + float64(int(at/10)%4)
		}, true, [2]float64{-5, 5}},
		{"a steady leak", func(at float64) float64 { return 40 + 8*(at-120)/1680 }, false, [2]float64{16, 18}},
		{"a step after the warm stretch", func(at float64) float64 {
			if at > 600 {
				return 46
			}
			return 40
		}, false, [2]float64{5, 20}},
		{"flat", func(float64) float64 { return 40 }, true, [2]float64{-0.01, 0.01}},
	}
	for _, tt := range tests {
		sk := soak(tt.rss)
		if single := sk.LoadEnd.RSSMB > 1.1*sk.Warm.RSSMB; tt.name == "a sawtooth, caught low then high" && !single {
			t.Fatalf("%s: the case must fail the single-sample rule (%.1f → %.1f)", tt.name, sk.Warm.RSSMB, sk.LoadEnd.RSSMB)
		}
		sk.judge()
		if sk.Flat != tt.flat {
			t.Errorf("%s: flat %v (%s), want %v", tt.name, sk.Flat, sk.Why, tt.flat)
		}
		if sk.RSSTrendMBPerHour < tt.trendLoHi[0] || sk.RSSTrendMBPerHour > tt.trendLoHi[1] {
			t.Errorf("%s: trend %.2f MB/h, want %v", tt.name, sk.RSSTrendMBPerHour, tt.trendLoHi)
		}
	}
}

func TestParseBridges(t *testing.T) {
	out := `Bridge-ID                            Name                                 Chans Type            Technology      Duration
0b6a0f3e-6d2a-4a59-9d0e-1c4f1a2b3c4d call-1700000000.1                    3     stasis          softmix         00:00:04
5a5e6b1c-0000-4000-8000-000000000001                                      2     basic           simple_bridge   00:00:02
garbage line
`
	got := parseBridges(out)
	want := []bridgeRow{{"0b6a0f3e-6d2a-4a59-9d0e-1c4f1a2b3c4d", "softmix", 3}, {"5a5e6b1c-0000-4000-8000-000000000001", "simple_bridge", 2}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTrackedChange(t *testing.T) {
	tests := []struct {
		name          string
		before, after map[string]int
		want          string
	}{
		{"none scraped", nil, nil, "all empty"},
		{"all empty", map[string]int{"calls": 0}, map[string]int{"calls": 0}, "all empty"},
		{"kept and per operator", map[string]int{"calls": 0, "operators": 10, "recs": 0}, map[string]int{"calls": 0, "operators": 10, "recs": 3},
			"operators 10 → 10, recs 0 → 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trackedChange(tt.before, tt.after); got != tt.want {
				t.Errorf("trackedChange = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTrackedFromScrape(t *testing.T) {
	s, err := parseMetrics(strings.NewReader("# TYPE hotline_switchboard_tracked gauge\nhotline_switchboard_tracked{map=\"calls\"} 30\nhotline_switchboard_tracked{map=\"recs\"} 2\nhotline_calls 30\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := tracked(s)
	if len(got) != 2 || got["calls"] != 30 || got["recs"] != 2 {
		t.Errorf("tracked = %v, want calls 30, recs 2", got)
	}
}
