package journal_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

// benchRegister is the size of the register the benchmark imports and searches.
const benchRegister = 1_000_000

const benchSeed = 25

// BenchmarkInsured imports a synthetic register of a million persons (once: the journal is kept
// in $TMPDIR, keyed by the schema version, and reused by later runs), then runs 1,000 searches
// of the kinds an operator types and reports their percentiles. Run it alone:
//
//	go test -run XXX -bench Insured -benchtime 1x ./journal
func BenchmarkInsured(b *testing.B) {
	if testing.Short() {
		b.Skip("imports a million persons")
	}
	ctx := context.Background()
	// Keyed by the schema: the migrations' text, so that a changed migration is imported again.
	h := fnv.New64a()
	files, _ := filepath.Glob("migrations/*.sql")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			b = nil
		}
		h.Write(b)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("hotline-bench-insured-v%d-%x-%d.db", journal.LatestVersion(), h.Sum64(), benchRegister))
	s := benchStore(b, path)
	n, err := s.CountInsured(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if n < benchRegister {
		admin, err := s.Actor(ctx, "bench-admin")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		rep, err := s.ImportInsured(ctx, admin, &register.Source{Seed: benchSeed, Count: benchRegister}, journal.ImportOptions{Source: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		b.Logf("import: %d lines in %s (%.0f persons/s): %d added, %d updated, %d unchanged, %d rejected",
			rep.Lines, el.Round(time.Second), float64(rep.Lines)/el.Seconds(), rep.Added, rep.Updated, rep.Unchanged, rep.Rejected)
		b.ReportMetric(el.Seconds(), "import-s")
		b.ReportMetric(float64(rep.Lines)/el.Seconds(), "import-rows/s")
		if rep.Added+rep.Unchanged+rep.Updated != benchRegister {
			b.Fatalf("import: %+v", rep)
		}
	} else {
		b.Logf("register of %d persons reused from %s (delete it to time the import)", n, path)
	}
	rng := rand.New(rand.NewPCG(benchSeed, 1))
	kinds := []string{"surname prefix", "surname + name prefixes", "full name", "name + birth date", "birth date", "short prefix"}
	const queries = 1000
	durs := map[string][]time.Duration{}
	var all []time.Duration
	b.ResetTimer()
	for b.Loop() {
		for q := range queries {
			p := register.Synthetic(benchSeed, rng.IntN(benchRegister))
			parts := strings.Fields(p.FullName)
			kind := kinds[q%len(kinds)]
			var iq journal.InsuredQuery
			switch kind {
			case "surname prefix":
				iq.Name = namePrefix(parts[0], 3+rng.IntN(4))
			case "surname + name prefixes":
				iq.Name = strings.ToLower(namePrefix(parts[0], 4)) + " " + namePrefix(parts[1], 3)
			case "full name":
				iq.Name = strings.ReplaceAll(p.FullName, "ё", "е")
			case "name + birth date":
				iq.Name, iq.BirthDate = namePrefix(parts[0], 3), p.BirthDate
			case "birth date":
				iq.BirthDate = p.BirthDate
			case "short prefix":
				iq.Name = namePrefix(parts[0], 1) + " " + namePrefix(parts[1], 1)
			}
			t0 := time.Now()
			found, _, err := s.SearchInsured(ctx, iq, journal.MaxInsuredResults)
			d := time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			if len(found) == 0 {
				b.Fatalf("%s %+v: nothing found", kind, iq)
			}
			durs[kind] = append(durs[kind], d)
			all = append(all, d)
		}
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	for _, k := range kinds {
		b.Logf("search %-24s p50 %8s  p95 %8s  p99 %8s  max %8s", k, pct(durs[k], .5), pct(durs[k], .95), pct(durs[k], .99), pct(durs[k], 1))
	}
	b.Logf("search %-24s p50 %8s  p95 %8s  p99 %8s  max %8s", "all", pct(all, .5), pct(all, .95), pct(all, .99), pct(all, 1))
	b.ReportMetric(float64(pct(all, .5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(all, .95).Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(pct(all, .99).Microseconds())/1000, "p99-ms")
}

// namePrefix is the first n letters of s.
func namePrefix(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}
