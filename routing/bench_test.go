package routing

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// benchOps returns n level-1 operators of whom every freeEvery-th is available (none if 0) (the rest talking),
// in three tiers, each handling two of the topics and a fifth of them speaking English too.
func benchOps(n, freeEvery int) []Candidate {
	rnd := rand.New(rand.NewPCG(7, 7))
	ops := make([]Candidate, n)
	for i := range ops {
		c := &ops[i]
		c.ID = int64(i + 1)
		c.Level = hotline.Level1
		c.Presence = hotline.PresenceTalking
		if freeEvery > 0 && i%freeEvery == freeEvery-1 {
			c.Presence = hotline.PresenceAvailable
		}
		c.Since = now.Add(-time.Duration(rnd.IntN(3600)) * time.Second)
		c.LastCallEnd = c.Since.Add(-time.Minute)
		c.CallsToday = rnd.IntN(40)
		c.Tier = rnd.IntN(3)
		c.Topics = []string{topics[rnd.IntN(len(topics))], topics[rnd.IntN(len(topics))]}
		if rnd.IntN(5) == 0 {
			c.Languages = []string{"ru", "en"}
		}
	}
	return ops
}

// benchQueue returns n callers; need(i) says what caller i requires.
func benchQueue(n int, need func(i int, c *Caller)) *Queue {
	var q Queue
	for i := range n {
		c := Caller{ID: "call-" + strconv.Itoa(i), Priority: i % 3, JoinedAt: now.Add(-time.Duration(n-i) * time.Second)}
		if need != nil {
			need(i, &c)
		}
		if _, err := q.Enqueue(c); err != nil {
			panic(err)
		}
	}
	return &q
}

func benchSelect(b *testing.B, rules Rules, q *Queue, ops []Candidate, wantOK bool) {
	b.Helper()
	r := Router{Rules: rules}
	if _, ok := r.Select(q, ops, now); ok != wantOK { // also grows the scratch space
		b.Fatalf("Select ok = %v, want %v", ok, wantOK)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Select(q, ops, now)
	}
}

// BenchmarkSelect1000x1000: 1,000 operators (100 free), 1,000 callers without needs.
func BenchmarkSelect1000x1000(b *testing.B) {
	for _, s := range []Strategy{LongestIdle, FewestCalls, RoundRobin} {
		b.Run(s.String(), func(b *testing.B) {
			benchSelect(b, Rules{Strategy: s, WrapUp: 30 * time.Second}, benchQueue(1000, nil), benchOps(1000, 10), true)
		})
	}
}

// BenchmarkSelect1000x1000Skills: every caller needs a topic, a third of them English too.
func BenchmarkSelect1000x1000Skills(b *testing.B) {
	q := benchQueue(1000, func(i int, c *Caller) {
		c.Topic = topics[i%len(topics)]
		if i%3 == 0 {
			c.Language = "en"
		}
	})
	benchSelect(b, Rules{WrapUp: 30 * time.Second, DefaultLanguage: "ru"}, q, benchOps(1000, 10), true)
}

// BenchmarkSelect1000x1000NoneFree: every operator busy, the common state of a long queue.
func BenchmarkSelect1000x1000NoneFree(b *testing.B) {
	benchSelect(b, Rules{}, benchQueue(1000, nil), benchOps(1000, 0), false)
}

// BenchmarkSelect1000x1000Unmet: the bad case for skills: one operator is free and no waiting
// caller's need is met (every caller needs a topic the operator lacks, 5 topics × 3 languages).
func BenchmarkSelect1000x1000Unmet(b *testing.B) {
	ops := benchOps(1000, 0)
	ops[0].Presence = hotline.PresenceAvailable
	ops[0].Topics = []string{"other"}
	q := benchQueue(1000, func(i int, c *Caller) {
		c.Topic = topics[i%len(topics)]
		c.Language = languages[i/len(topics)%len(languages)]
	})
	benchSelect(b, Rules{}, q, ops, false)
}

// BenchmarkSelect1000x1000OwnersBusy: the worst case we know: 100 free operators, every caller
// returning and held for a busy case owner (OwnerWait), so every caller is looked at.
func BenchmarkSelect1000x1000OwnersBusy(b *testing.B) {
	q := benchQueue(1000, func(i int, c *Caller) { c.Owner = int64(2 + i%8) }) // ids 2..9 talk
	benchSelect(b, Rules{PreferOwner: true, OwnerWait: time.Hour}, q, benchOps(1000, 10), false)
}

func BenchmarkEnqueueRemove1000(b *testing.B) {
	q := benchQueue(1000, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// A caller leaves and joins again behind their priority: a search and two copies.
		id := "call-" + strconv.Itoa(i%1000)
		c, _ := q.Remove(id)
		q.Enqueue(c)
		i++
	}
}

func BenchmarkPosition1000(b *testing.B) {
	q := benchQueue(1000, nil)
	b.ReportAllocs()
	for b.Loop() {
		q.Position("call-500")
	}
}

func BenchmarkSelectSpecialist1000(b *testing.B) {
	ops := benchOps(1000, 2)
	for i := range ops {
		ops[i].Level = hotline.Level2
	}
	rec := []int64{2, 4, 6, 8, 11} // the first four talk
	var r Router
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.SelectSpecialist(rec, ops, now); !ok {
			b.Fatal("no specialist")
		}
	}
}
