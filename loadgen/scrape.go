package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// series is one scrape of Prometheus text: "name{labels}" → value.
type series map[string]float64

// parseMetrics reads Prometheus' text exposition format (comments skipped; a sample is
// `name{labels} value [timestamp]`).
func parseMetrics(r io.Reader) (series, error) {
	s := series{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		// The value follows the labels (whose values may hold spaces), or the name when unlabelled.
		var key, rest string
		if end := strings.LastIndexByte(line, '}'); end >= 0 {
			key, rest = line[:end+1], line[end+1:]
		} else {
			key, rest, _ = strings.Cut(line, " ")
		}
		f := strings.Fields(rest)
		if len(f) < 1 {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: value in %q: %w", line, err)
		}
		s[key] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return s, nil
}

// scrape reads the daemon's /metrics.
func scrape(ctx context.Context, addr string) (series, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", res.Status)
	}
	return parseMetrics(res.Body)
}

// by sums the series of one metric by the value of one label: by("hotline_ari_requests_total", "kind").
func (s series) by(metric, label string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range s {
		name, labels, ok := strings.Cut(k, "{")
		if !ok || name != metric {
			continue
		}
		out[labelValue(strings.TrimSuffix(labels, "}"), label)] += v
	}
	return out
}

// get is an unlabelled metric's value (0 when absent).
func (s series) get(metric string) float64 { return s[metric] }

// labelValue finds label="value" in a label list (values with escaped quotes are not expected here).
func labelValue(labels, name string) string {
	for _, part := range splitLabels(labels) {
		if k, v, ok := strings.Cut(part, "="); ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func splitLabels(labels string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(labels); i++ {
		switch labels[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, labels[start:i])
				start = i + 1
			}
		}
	}
	if start < len(labels) {
		out = append(out, labels[start:])
	}
	return out
}

// delta is b − a per key (counters over a run), keys with no change left out.
func delta(a, b map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range b {
		if d := v - a[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func sum(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
