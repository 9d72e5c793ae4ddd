package routing

import (
	"slices"
	"time"

	"github.com/hotline-dev/hotline"
)

// Candidate is the call flow's view of one operator at the moment of a decision. The call flow
// owns live state and fills these from it; routing only reads them.
type Candidate struct {
	ID            int64
	Level         hotline.Level    // the queue takes Level1 only; SelectSpecialist takes Level2
	Presence      hotline.Presence // only PresenceAvailable is offered calls
	Since         time.Time        // when Presence began: idle time counts from it
	LastCallEnd   time.Time        // when the operator's last call ended: wrap-up counts from it. Zero: none yet
	CallsToday    int              // calls answered today (FewestCalls)
	Missed        int              // offers left unanswered in a row (see Rules.OfferMissed)
	Tier          int              // priority tier (hotline.Operator.Priority): lower is offered first
	Topics        []string         // topic codes handled; empty: any topic
	Languages     []string         // languages spoken; empty: Rules.DefaultLanguage only
	OpenCases     int              // cases in work now
	MaxConcurrent int              // most cases in work at once (hotline.Operator.MaxConcurrent); 0: no limit
}

// Offerable reports whether the operator may be offered a call at now under r, whatever the
// call: available, wrap-up over, under the missed-offer limit and under their case limit.
// Level and skills are the caller's business and checked apart.
func (r Rules) Offerable(c *Candidate, now time.Time) bool {
	if c.Presence != hotline.PresenceAvailable {
		return false
	}
	if r.MaxMissed > 0 && c.Missed >= r.MaxMissed {
		return false // should be paused already; never ring a handset nobody answers
	}
	if r.WrapUp > 0 && !c.LastCallEnd.IsZero() && now.Before(c.LastCallEnd.Add(r.WrapUp)) {
		return false
	}
	if c.MaxConcurrent > 0 && c.OpenCases >= c.MaxConcurrent {
		return false
	}
	return true
}

// Serves reports whether the operator can serve a caller needing topic and lang ("" for any).
func (r Rules) Serves(c *Candidate, topic, lang string) bool {
	if topic != "" && len(c.Topics) > 0 && !slices.Contains(c.Topics, topic) {
		return false
	}
	if lang != "" {
		if len(c.Languages) == 0 {
			return lang == r.DefaultLanguage
		}
		return slices.Contains(c.Languages, lang)
	}
	return true
}

// rank orders free operators: the smaller rank is offered first. Comparing four integers keeps the
// hot loop free of time arithmetic and strategy switches.
type rank struct {
	tier   int
	k1, k2 int64
	id     int64
	i      int32 // index in the candidates slice
}

func (a *rank) less(b *rank) bool {
	if a.tier != b.tier {
		return a.tier < b.tier
	}
	if a.k1 != b.k1 {
		return a.k1 < b.k1
	}
	if a.k2 != b.k2 {
		return a.k2 < b.k2
	}
	return a.id < b.id
}

// Decision is a call to offer: ring Operator for the queued call Call.
type Decision struct {
	Call     string // Caller.ID
	Operator int64  // Candidate.ID
	Index    int    // the operator's index in the candidates passed to Select
	Owner    bool   // routed to the owner of the caller's open case
	Fallback bool   // the caller's topic/language was relaxed after Rules.SkillFallback
}

// Router decides which waiting caller goes to which free operator. Its zero value routes by the
// zero Rules. A Router is not safe for concurrent use: it keeps scratch space so that Select does
// not allocate, and the round-robin cursor.
type Router struct {
	Rules Rules
	// Cursor is the id of the operator RoundRobin last chose; Select advances it. The call flow
	// may save and restore it; 0 starts from the lowest id.
	Cursor int64

	free   []rank  // scratch: free level-1 operators of one decision
	failed []bool  // scratch: by Queue need index, needs no free operator meets
	set    []int32 // scratch: open-addressing set of free operator ids (index+1 in free), built on demand
}

type skillKey struct{ topic, lang string }

// Select returns the first waiting caller, in queue order, that a free level-1 operator can
// serve, and the operator to ring, or false if there is none. For each caller, in order:
//
//  1. A caller being offered is skipped.
//  2. With Rules.PreferOwner and a case owner: the owner, if free, takes the call (skills are not
//     checked: it is their case). Otherwise, before Rules.OwnerWait, the caller waits for the owner
//     and the next caller is considered.
//  3. The caller's topic and language, unless relaxed after Rules.SkillFallback, restrict the free
//     operators; so do the operators who missed this caller's previous offer.
//  4. Among the operators left, the lowest tier wins, then the strategy, then the lowest id.
//
// So a caller whose need no free operator meets does not block callers behind them: that is the
// "whole queue" reading, and it is what keeps operators busy. Priority still holds: callers ahead
// are always tried first.
//
// Select only decides: the call flow applies the decision (Queue.Offer, ring the handset).
// It advances Cursor when the strategy, not the owner rule, chose.
//
// Cost: one pass over ops in integer arithmetic, then O(1) per caller without needs, O(free
// operators) per distinct need (a need found unmet is not looked at again in the same call) and
// per caller with exclusions, O(1) per returning caller. It does not allocate once its scratch
// space has grown.
func (r *Router) Select(q *Queue, ops []Candidate, now time.Time) (Decision, bool) {
	if len(q.items) == 0 {
		return Decision{}, false
	}
	nowNs := now.UnixNano()
	if !r.collect(ops, nowNs) {
		return Decision{}, false
	}
	r.set = r.set[:0] // the owner lookup table belongs to this r.free
	if d, ok, excluded := r.pass(q, ops, nowNs, true); ok || !excluded {
		return d, ok
	}
	// Only exclusions stood in the way: an operator who missed a caller is offered that caller
	// again rather than nobody, so a lone operator's missed ring cannot strand a caller until the
	// maximum wait (the missed count still pauses an operator who never answers).
	d, ok, _ := r.pass(q, ops, nowNs, false)
	return d, ok
}

// pass walks the queue once. With honour, each caller's exclusions apply and excluded reports
// whether any caller had some; without, they are ignored.
func (r *Router) pass(q *Queue, ops []Candidate, nowNs int64, honour bool) (d Decision, ok, excluded bool) {
	r.failed = slices.Grow(r.failed[:0], len(q.needs)+1)[:len(q.needs)+1]
	clear(r.failed)
	// A caller who joined at or before a cut has waited that long: integer compares per caller.
	ownerCut := nowNs - int64(r.Rules.OwnerWait)
	skillCut := nowNs - int64(r.Rules.SkillFallback)
	best := -1 // best free operator for a caller without needs, found on first use
	for _, e := range q.items {
		if e.offered != 0 {
			continue
		}
		exclude := e.exclude
		if !honour {
			exclude = nil
		}
		excluded = excluded || len(exclude) > 0
		if r.Rules.PreferOwner && e.Owner != 0 {
			if j := r.findFree(e.Owner, exclude); j >= 0 {
				return Decision{Call: e.ID, Operator: e.Owner, Index: int(r.free[j].i), Owner: true}, true, excluded
			}
			if e.joined > ownerCut {
				continue
			}
		}
		need, fallback := e.need, false
		if need != 0 && r.Rules.SkillFallback > 0 && e.joined <= skillCut {
			need, fallback = 0, true
		}
		if need == 0 && len(exclude) == 0 {
			if best < 0 {
				best = 0
				for j := 1; j < len(r.free); j++ {
					if r.free[j].less(&r.free[best]) {
						best = j
					}
				}
			}
			return r.decide(e, best, fallback), true, excluded
		}
		if r.failed[need] {
			continue // exclusions only shrink the choice: still nobody
		}
		var k skillKey
		if need != 0 {
			k = q.needs[need]
		}
		if j := r.bestFor(ops, k.topic, k.lang, exclude); j >= 0 {
			return r.decide(e, j, fallback), true, excluded
		}
		if len(exclude) == 0 {
			r.failed[need] = true // not with exclusions: their failure is this caller's own
		}
	}
	return Decision{}, false, excluded
}

// collect fills r.free with the ranks of the level-1 operators offerable at nowNs and reports
// whether there is any. It is Rules.Offerable and the strategy's order in integer arithmetic:
// this loop is most of a decision's cost.
func (r *Router) collect(ops []Candidate, nowNs int64) bool {
	r.free = r.free[:0]
	wrap := int64(r.Rules.WrapUp)
	maxMissed := r.Rules.MaxMissed
	for i := range ops {
		c := &ops[i]
		if c.Presence != hotline.PresenceAvailable || c.Level != hotline.Level1 ||
			(maxMissed > 0 && c.Missed >= maxMissed) ||
			(c.MaxConcurrent > 0 && c.OpenCases >= c.MaxConcurrent) {
			continue
		}
		// Idle since the later of entering Available and the end of the wrap-up.
		from := unixNano(c.Since)
		if !c.LastCallEnd.IsZero() {
			end := c.LastCallEnd.UnixNano() + wrap
			if wrap > 0 && nowNs < end {
				continue
			}
			from = max(from, end)
		}
		k := rank{tier: c.Tier, id: c.ID, i: int32(i)}
		switch r.Rules.Strategy {
		case LongestIdle:
			k.k1 = from
		case FewestCalls:
			k.k1, k.k2 = int64(c.CallsToday), from
		case RoundRobin:
			if c.ID <= r.Cursor {
				k.k1 = 1 // already had their turn in this round
			}
		}
		r.free = append(r.free, k)
	}
	return len(r.free) > 0
}

func (r *Router) decide(e *entry, j int, fallback bool) Decision {
	k := &r.free[j]
	r.Cursor = k.id
	return Decision{Call: e.ID, Operator: k.id, Index: int(k.i), Fallback: fallback}
}

// findFree returns the index in r.free of the operator id unless excluded, or -1.
func (r *Router) findFree(id int64, exclude []int64) int {
	if slices.Contains(exclude, id) {
		return -1
	}
	if len(r.free) <= 16 {
		for j := range r.free {
			if r.free[j].id == id {
				return j
			}
		}
		return -1
	}
	// Many free operators and possibly many returning callers: hash once, then O(1) each.
	if len(r.set) == 0 {
		n := 32
		for n < 2*len(r.free) {
			n *= 2
		}
		r.set = slices.Grow(r.set[:0], n)[:n]
		clear(r.set)
		for j := range r.free {
			for h := hashID(r.free[j].id, n); ; h = (h + 1) & (n - 1) {
				if r.set[h] == 0 {
					r.set[h] = int32(j + 1)
					break
				}
				if r.free[r.set[h]-1].id == r.free[j].id {
					break // a duplicate id: the first one found stands, as in the linear scan
				}
			}
		}
	}
	n := len(r.set)
	for h := hashID(id, n); ; h = (h + 1) & (n - 1) {
		v := r.set[h]
		if v == 0 {
			return -1
		}
		if r.free[v-1].id == id {
			return int(v - 1)
		}
	}
}

// hashID spreads ids (often dense database keys) over a table of n slots, n a power of two.
func hashID(id int64, n int) int {
	return int((uint64(id) * 0x9e3779b97f4a7c15) >> 32 & uint64(n-1))
}

// bestFor returns the index in r.free of the best operator serving topic and lang and not
// excluded, or -1.
func (r *Router) bestFor(ops []Candidate, topic, lang string, exclude []int64) int {
	best := -1
	for j := range r.free {
		k := &r.free[j]
		if best >= 0 && !k.less(&r.free[best]) {
			continue // cheap rank test first: skills are string compares
		}
		if !r.Rules.Serves(&ops[k.i], topic, lang) || slices.Contains(exclude, k.id) {
			continue
		}
		best = j
	}
	return best
}

// SelectSpecialist returns the index in ops of the first operator in recommended (level-2
// specialists for a topic, in order of preference, e.g. hotline.Script.Recommended) who is a
// level-2 operator and offerable at now, or false if none is. Ids not in ops are skipped.
func (r *Router) SelectSpecialist(recommended []int64, ops []Candidate, now time.Time) (int, bool) {
	best, bestRank := -1, len(recommended)
	for i := range ops {
		c := &ops[i]
		if c.Level != hotline.Level2 {
			continue
		}
		k := slices.Index(recommended[:bestRank], c.ID)
		if k < 0 || !r.Rules.Offerable(c, now) {
			continue
		}
		best, bestRank = i, k
	}
	return best, best >= 0
}
