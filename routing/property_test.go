package routing

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// refSelect is Select written the slow, obvious way from its documentation, to check the fast one.
// Exclusions (operators who missed a caller) hold unless they are all that stands in the way of
// every decision: then a second pass ignores them.
func refSelect(rules Rules, cursor int64, q *Queue, ops []Candidate, now time.Time) (Decision, bool) {
	if d, ok := refPass(rules, cursor, q, ops, now, true); ok {
		return d, true
	}
	return refPass(rules, cursor, q, ops, now, false)
}

func refPass(rules Rules, cursor int64, q *Queue, ops []Candidate, now time.Time, honour bool) (Decision, bool) {
	idleSince := func(c *Candidate) time.Time {
		from := c.Since
		if !c.LastCallEnd.IsZero() && c.LastCallEnd.Add(rules.WrapUp).After(from) {
			from = c.LastCallEnd.Add(rules.WrapUp)
		}
		return from
	}
	eligible := func(c *Candidate, e *entry) bool {
		return c.Level == hotline.Level1 && c.Presence == hotline.PresenceAvailable &&
			(rules.MaxMissed == 0 || c.Missed < rules.MaxMissed) &&
			(c.LastCallEnd.IsZero() || !now.Before(c.LastCallEnd.Add(rules.WrapUp))) &&
			(c.MaxConcurrent == 0 || c.OpenCases < c.MaxConcurrent) &&
			(!honour || !slices.Contains(e.exclude, c.ID))
	}
	order := func(a, b *Candidate) int {
		if c := cmp.Compare(a.Tier, b.Tier); c != 0 {
			return c
		}
		switch rules.Strategy {
		case LongestIdle:
			if c := idleSince(a).Compare(idleSince(b)); c != 0 {
				return c
			}
		case FewestCalls:
			if c := cmp.Compare(a.CallsToday, b.CallsToday); c != 0 {
				return c
			}
			if c := idleSince(a).Compare(idleSince(b)); c != 0 {
				return c
			}
		case RoundRobin:
			// Those after the cursor come before those who already had their turn.
			if a.ID > cursor != (b.ID > cursor) {
				if a.ID > cursor {
					return -1
				}
				return 1
			}
		}
		return cmp.Compare(a.ID, b.ID)
	}
	for _, e := range q.items {
		if e.offered != 0 {
			continue
		}
		waited := now.Sub(e.JoinedAt)
		if rules.PreferOwner && e.Owner != 0 {
			for i := range ops {
				if ops[i].ID == e.Owner && eligible(&ops[i], e) {
					return Decision{Call: e.ID, Operator: e.Owner, Index: i, Owner: true}, true
				}
			}
			if waited < rules.OwnerWait {
				continue
			}
		}
		relax := rules.SkillFallback > 0 && waited >= rules.SkillFallback && (e.Topic != "" || e.Language != "")
		best := -1
		for i := range ops {
			c := &ops[i]
			if !eligible(c, e) {
				continue
			}
			if !relax {
				if e.Topic != "" && len(c.Topics) > 0 && !slices.Contains(c.Topics, e.Topic) {
					continue
				}
				if e.Language != "" && !slices.Contains(c.Languages, e.Language) &&
					!(len(c.Languages) == 0 && e.Language == rules.DefaultLanguage) {
					continue
				}
			}
			if best < 0 || order(c, &ops[best]) < 0 {
				best = i
			}
		}
		if best >= 0 {
			return Decision{Call: e.ID, Operator: ops[best].ID, Index: best, Fallback: relax}, true
		}
	}
	return Decision{}, false
}

var (
	topics    = []string{"policy", "dental", "complaint", "refund", "clinic"}
	languages = []string{"ru", "en", "tt"}
	presences = []hotline.Presence{hotline.PresenceAvailable, hotline.PresenceAvailable, hotline.PresenceTalking,
		hotline.PresenceWrapUp, hotline.PresencePaused, hotline.PresenceRinging}
)

// scenario builds a random but valid view: nOps operators with distinct ids, nCalls callers.
func scenario(rnd *rand.Rand, nOps, nCalls int) (Rules, *Queue, []Candidate) {
	rules := Rules{
		Strategy:        Strategy(rnd.IntN(3)),
		WrapUp:          time.Duration(rnd.IntN(3)) * 30 * time.Second,
		MaxMissed:       rnd.IntN(4),
		SkillFallback:   time.Duration(rnd.IntN(3)) * time.Minute,
		PreferOwner:     rnd.IntN(2) == 0,
		OwnerWait:       time.Duration(rnd.IntN(3)) * time.Minute,
		DefaultLanguage: "ru",
	}
	some := func(from []string) []string {
		var out []string
		for _, s := range from {
			if rnd.IntN(3) == 0 {
				out = append(out, s)
			}
		}
		return out
	}
	pick := func(from []string) string {
		if rnd.IntN(2) == 0 {
			return ""
		}
		return from[rnd.IntN(len(from))]
	}
	ids := rnd.Perm(nOps * 2)
	ops := make([]Candidate, nOps)
	for i := range ops {
		c := &ops[i]
		c.ID = int64(ids[i] + 1)
		c.Level = hotline.Level1
		if rnd.IntN(10) == 0 {
			c.Level = hotline.Level2
		}
		c.Presence = presences[rnd.IntN(len(presences))]
		c.Since = now.Add(-time.Duration(rnd.IntN(600)) * time.Second)
		if rnd.IntN(2) == 0 {
			c.LastCallEnd = now.Add(-time.Duration(rnd.IntN(300)) * time.Second)
		}
		c.CallsToday = rnd.IntN(5)
		c.Missed = rnd.IntN(3)
		c.Tier = rnd.IntN(3)
		c.Topics = some(topics)
		c.Languages = some(languages)
		c.MaxConcurrent = rnd.IntN(3)
		c.OpenCases = rnd.IntN(3)
	}
	q := new(Queue)
	for i := range nCalls {
		c := Caller{
			ID:       "c" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)),
			Priority: rnd.IntN(3),
			JoinedAt: now.Add(-time.Duration(rnd.IntN(300)) * time.Second),
			Topic:    pick(topics),
			Language: pick(languages),
		}
		if nOps > 0 && rnd.IntN(4) == 0 {
			c.Owner = ops[rnd.IntN(nOps)].ID
		}
		if _, err := q.Enqueue(c); err != nil {
			panic(err)
		}
		if nOps > 0 && rnd.IntN(5) == 0 {
			q.Offer(c.ID, ops[rnd.IntN(nOps)].ID)
			if rnd.IntN(2) == 0 {
				q.NoAnswer(c.ID) // now excluding that operator
			}
		}
	}
	return rules, q, ops
}

// checkDecision asserts what must hold of any decision, whatever the reference says.
func checkDecision(t *testing.T, rules Rules, q *Queue, ops []Candidate, d Decision) {
	t.Helper()
	if d.Index < 0 || d.Index >= len(ops) || ops[d.Index].ID != d.Operator {
		t.Fatalf("decision %+v: index does not name the operator", d)
	}
	c := &ops[d.Index]
	if c.Level != hotline.Level1 || !rules.Offerable(c, now) {
		t.Fatalf("decision %+v: operator not eligible: %+v", d, *c)
	}
	e, ok := q.byID[d.Call]
	if !ok || e.offered != 0 {
		t.Fatalf("decision %+v: caller not waiting", d)
	}
	// An excluded operator only when nobody else could take any caller: refSelect checks that.
	if !d.Owner && !d.Fallback && !rules.Serves(c, e.Topic, e.Language) {
		t.Fatalf("decision %+v: operator lacks the caller's skills", d)
	}
}

func FuzzSelect(f *testing.F) {
	for seed := range uint64(20) {
		f.Add(seed, uint8(seed*7), uint8(seed*3))
	}
	f.Fuzz(func(t *testing.T, seed uint64, nOps, nCalls uint8) {
		rnd := rand.New(rand.NewPCG(seed, seed^0x5eed))
		rules, q, ops := scenario(rnd, int(nOps), int(nCalls))
		cursor := int64(rnd.IntN(int(nOps)*2 + 1))
		r := Router{Rules: rules, Cursor: cursor}
		want, wantOK := refSelect(rules, cursor, q, ops, now)
		got, ok := r.Select(q, ops, now)
		if ok != wantOK || got != want {
			t.Fatalf("rules %+v cursor %d:\nSelect = %+v %v\nwant     %+v %v", rules, cursor, got, ok, want, wantOK)
		}
		if ok {
			checkDecision(t, rules, q, ops, got)
		}
	})
}

// TestSelectMatchesReference runs many random scenarios through Select and the reference,
// and applies each decision so that later rounds see a changing queue.
func TestSelectMatchesReference(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		nOps := rnd.IntN(40)
		if round%10 == 0 {
			nOps = 200 + rnd.IntN(100) // enough free operators for Select's hashed owner lookup
		}
		rules, q, ops := scenario(rnd, nOps, rnd.IntN(60))
		r := Router{Rules: rules, Cursor: int64(rnd.IntN(80))}
		for step := 0; ; step++ {
			cursor := r.Cursor
			want, wantOK := refSelect(rules, cursor, q, ops, now)
			got, ok := r.Select(q, ops, now)
			if ok != wantOK || got != want {
				t.Fatalf("round %d step %d, rules %+v cursor %d:\nSelect = %+v %v\nwant     %+v %v", round, step, rules, cursor, got, ok, want, wantOK)
			}
			if !ok {
				break
			}
			checkDecision(t, rules, q, ops, got)
			if err := q.Offer(got.Call, got.Operator); err != nil {
				t.Fatal(err)
			}
			ops[got.Index].Presence = hotline.PresenceRinging
		}
	}
}

// TestSelectIgnoresOperatorOrder: the same operators in any order give the same decision.
func TestSelectIgnoresOperatorOrder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		rules, q, ops := scenario(rnd, 1+rnd.IntN(60), rnd.IntN(30))
		cursor := int64(rnd.IntN(120))
		r := Router{Rules: rules, Cursor: cursor}
		want, wantOK := r.Select(q, ops, now)
		rnd.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
		r.Cursor = cursor
		got, ok := r.Select(q, ops, now)
		if ok != wantOK || got.Call != want.Call || got.Operator != want.Operator {
			t.Fatalf("round %d: shuffled operators give %+v %v, before %+v %v", round, got, ok, want, wantOK)
		}
	}
}
