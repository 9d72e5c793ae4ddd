package routing

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// op is a free level-1 operator who became available idle ago (before t0+1h, "now").
func op(id int64, idle time.Duration) Candidate {
	return Candidate{ID: id, Level: hotline.Level1, Presence: hotline.PresenceAvailable, Since: now.Add(-idle)}
}

var now = t0.Add(time.Hour)

func with(c Candidate, f func(*Candidate)) Candidate { f(&c); return c }

func queue(t *testing.T, cs ...Caller) *Queue {
	t.Helper()
	var q Queue
	for _, c := range cs {
		if c.JoinedAt.IsZero() {
			c.JoinedAt = now
		}
		if _, err := q.Enqueue(c); err != nil {
			t.Fatal(err)
		}
	}
	return &q
}

func TestSelectOperator(t *testing.T) {
	tests := []struct {
		name   string
		rules  Rules
		cursor int64
		ops    []Candidate
		want   int64 // 0: no decision
	}{
		{"longest idle", Rules{}, 0, []Candidate{op(1, time.Minute), op(2, 3*time.Minute), op(3, 2*time.Minute)}, 2},
		{"zero since is longest idle", Rules{}, 0, []Candidate{op(1, time.Hour), with(op(2, 0), func(c *Candidate) { c.Since = time.Time{} })}, 2},
		{"longest idle tie by id", Rules{}, 0, []Candidate{op(5, time.Minute), op(4, time.Minute)}, 4},
		{"idle counts from wrap-up end", Rules{WrapUp: 30 * time.Second}, 0, []Candidate{
			with(op(1, 10*time.Minute), func(c *Candidate) { c.LastCallEnd = now.Add(-2 * time.Minute) }), // free since now-90s
			op(2, 100*time.Second),
		}, 2},
		{"fewest calls", Rules{Strategy: FewestCalls}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.CallsToday = 9 }),
			with(op(2, time.Second), func(c *Candidate) { c.CallsToday = 3 }),
			with(op(3, time.Minute), func(c *Candidate) { c.CallsToday = 4 }),
		}, 2},
		{"fewest calls tie by idle", Rules{Strategy: FewestCalls}, 0, []Candidate{
			with(op(1, time.Second), func(c *Candidate) { c.CallsToday = 3 }),
			with(op(2, time.Minute), func(c *Candidate) { c.CallsToday = 3 }),
		}, 2},
		{"fewest calls tie by id", Rules{Strategy: FewestCalls}, 0, []Candidate{op(9, time.Minute), op(8, time.Minute)}, 8},
		{"round robin from start", Rules{Strategy: RoundRobin}, 0, []Candidate{op(30, 0), op(10, 0), op(20, 0)}, 10},
		{"round robin next after cursor", Rules{Strategy: RoundRobin}, 10, []Candidate{op(30, 0), op(10, 0), op(20, 0)}, 20},
		{"round robin skips missing ids", Rules{Strategy: RoundRobin}, 21, []Candidate{op(30, 0), op(10, 0), op(20, 0)}, 30},
		{"round robin wraps", Rules{Strategy: RoundRobin}, 30, []Candidate{op(30, 0), op(10, 0), op(20, 0)}, 10},
		{"round robin ignores idle", Rules{Strategy: RoundRobin}, 10, []Candidate{op(10, time.Hour), op(20, 0)}, 20},
		{"tier before strategy", Rules{}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.Tier = 2 }),
			with(op(2, time.Second), func(c *Candidate) { c.Tier = 1 }),
			with(op(3, time.Minute), func(c *Candidate) { c.Tier = 1 }),
		}, 3},
		{"round robin inside tier", Rules{Strategy: RoundRobin}, 3, []Candidate{
			with(op(1, 0), func(c *Candidate) { c.Tier = 1 }),
			with(op(2, 0), func(c *Candidate) { c.Tier = 2 }),
			with(op(3, 0), func(c *Candidate) { c.Tier = 1 }),
			with(op(4, 0), func(c *Candidate) { c.Tier = 2 }),
		}, 1},
		{"only available", Rules{}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.Presence = hotline.PresencePaused }),
			with(op(2, time.Hour), func(c *Candidate) { c.Presence = hotline.PresenceTalking }),
			with(op(3, time.Hour), func(c *Candidate) { c.Presence = hotline.PresenceRinging }),
			with(op(4, time.Hour), func(c *Candidate) { c.Presence = hotline.PresenceWrapUp }),
			with(op(5, time.Hour), func(c *Candidate) { c.Presence = hotline.PresenceUnreachable }),
			with(op(6, time.Hour), func(c *Candidate) { c.Presence = hotline.PresenceLoggedOut }),
			op(7, time.Second),
		}, 7},
		{"level 1 only", Rules{}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.Level = hotline.Level2 }),
			with(op(2, time.Hour), func(c *Candidate) { c.Level = 0 }),
			op(3, time.Second),
		}, 3},
		{"in wrap-up by time", Rules{WrapUp: time.Minute}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.LastCallEnd = now.Add(-59 * time.Second) }),
			op(2, time.Second),
		}, 2},
		{"wrap-up just over", Rules{WrapUp: time.Minute}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.LastCallEnd = now.Add(-time.Minute) }),
		}, 1},
		{"no wrap-up rule", Rules{}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.LastCallEnd = now }),
		}, 1},
		{"missed limit", Rules{MaxMissed: 3}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.Missed = 3 }),
			with(op(2, time.Minute), func(c *Candidate) { c.Missed = 2 }),
		}, 2},
		{"missed without limit", Rules{}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.Missed = 30 }),
		}, 1},
		{"case limit", Rules{}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.OpenCases, c.MaxConcurrent = 5, 5 }),
			with(op(2, time.Minute), func(c *Candidate) { c.OpenCases, c.MaxConcurrent = 4, 5 }),
			with(op(3, time.Second), func(c *Candidate) { c.OpenCases = 50 }),
		}, 2},
		{"nobody free", Rules{}, 0, []Candidate{
			with(op(1, time.Hour), func(c *Candidate) { c.Presence = hotline.PresenceTalking }),
		}, 0},
		{"no operators", Rules{}, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Router{Rules: tt.rules, Cursor: tt.cursor}
			q := queue(t, Caller{ID: "a"})
			d, ok := r.Select(q, tt.ops, now)
			if tt.want == 0 {
				if ok {
					t.Fatalf("Select = %+v, want none", d)
				}
				return
			}
			if !ok || d.Operator != tt.want || d.Call != "a" {
				t.Fatalf("Select = %+v %v, want operator %d for a", d, ok, tt.want)
			}
			if tt.ops[d.Index].ID != d.Operator {
				t.Errorf("Index %d is operator %d, not %d", d.Index, tt.ops[d.Index].ID, d.Operator)
			}
			if r.Cursor != d.Operator {
				t.Errorf("Cursor = %d, want %d", r.Cursor, d.Operator)
			}
		})
	}
}

// TestRoundRobinCycle checks that successive decisions visit every operator once per round.
func TestRoundRobinCycle(t *testing.T) {
	ops := []Candidate{op(7, 0), op(3, 0), op(5, 0)}
	r := Router{Rules: Rules{Strategy: RoundRobin}}
	q := queue(t, Caller{ID: "a"})
	var got []int64
	for range 7 {
		d, ok := r.Select(q, ops, now)
		if !ok {
			t.Fatal("no decision")
		}
		got = append(got, d.Operator)
	}
	want := []int64{3, 5, 7, 3, 5, 7, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("round robin = %v, want %v", got, want)
		}
	}
}

func TestSelectCaller(t *testing.T) {
	en := func(c *Candidate) { c.Languages = []string{"en"} }
	policy := func(c *Candidate) { c.Topics = []string{"policy", "dental"} }
	tests := []struct {
		name     string
		rules    Rules
		callers  []Caller
		ops      []Candidate
		offered  []string         // callers already ringing an operator
		missed   map[string]int64 // callers whose offer to the operator rang out
		call     string           // "": no decision
		operator int64
		owner    bool
		fallback bool
	}{
		{"head first", Rules{}, []Caller{{ID: "a"}, {ID: "b"}}, []Candidate{op(1, 0)}, nil, nil, "a", 1, false, false},
		{"missed operator serves the next caller", Rules{}, []Caller{{ID: "a", Topic: "dental"}, {ID: "b", Topic: "dental"}},
			[]Candidate{op(1, 0)}, nil, map[string]int64{"a": 1}, "b", 1, false, false},
		{"missed operator offered again when nobody else can take anyone", Rules{}, []Caller{{ID: "a"}},
			[]Candidate{op(1, 0)}, nil, map[string]int64{"a": 1}, "a", 1, false, false},
		{"missed operator skipped, other takes", Rules{}, []Caller{{ID: "a"}},
			[]Candidate{op(1, time.Hour), op(2, 0)}, nil, map[string]int64{"a": 1}, "a", 2, false, false},
		{"missed owner skipped", Rules{PreferOwner: true}, []Caller{{ID: "a", Owner: 1}},
			[]Candidate{op(1, time.Hour), op(2, 0)}, nil, map[string]int64{"a": 1}, "a", 2, false, false},
		{"priority first", Rules{}, []Caller{{ID: "a"}, {ID: "vip", Priority: 1}}, []Candidate{op(1, 0)}, nil, nil, "vip", 1, false, false},
		{"ringing caller skipped", Rules{}, []Caller{{ID: "a"}, {ID: "b"}}, []Candidate{op(1, 0)}, []string{"a"}, nil, "b", 1, false, false},
		{"topic picks skilled", Rules{}, []Caller{{ID: "a", Topic: "policy"}},
			[]Candidate{with(op(1, time.Hour), func(c *Candidate) { c.Topics = []string{"complaint"} }), with(op(2, 0), policy)}, nil, nil, "a", 2, false, false},
		{"no topics means any", Rules{}, []Caller{{ID: "a", Topic: "policy"}},
			[]Candidate{with(op(1, time.Hour), func(c *Candidate) { c.Topics = []string{"complaint"} }), op(2, 0)}, nil, nil, "a", 2, false, false},
		{"unmet topic does not block", Rules{}, []Caller{{ID: "a", Topic: "dental"}, {ID: "b", Topic: "dental"}, {ID: "c"}},
			[]Candidate{with(op(1, 0), func(c *Candidate) { c.Topics = []string{"complaint"} })}, nil, nil, "c", 1, false, false},
		{"unmet topic, nobody else", Rules{}, []Caller{{ID: "a", Topic: "dental"}},
			[]Candidate{with(op(1, 0), func(c *Candidate) { c.Topics = []string{"complaint"} })}, nil, nil, "", 0, false, false},
		{"language", Rules{DefaultLanguage: "ru"}, []Caller{{ID: "a", Language: "en"}},
			[]Candidate{op(1, time.Hour), with(op(2, 0), en)}, nil, nil, "a", 2, false, false},
		{"default language", Rules{DefaultLanguage: "ru"}, []Caller{{ID: "a", Language: "ru"}},
			[]Candidate{with(op(1, time.Hour), en), op(2, 0)}, nil, nil, "a", 2, false, false},
		{"topic and language", Rules{}, []Caller{{ID: "a", Topic: "policy", Language: "en"}},
			[]Candidate{with(with(op(1, time.Hour), en), func(c *Candidate) { c.Topics = []string{"complaint"} }), with(op(2, time.Hour), policy), with(with(op(3, 0), en), policy)}, nil, nil, "a", 3, false, false},
		{"fallback after wait", Rules{SkillFallback: time.Minute}, []Caller{{ID: "a", Topic: "dental", JoinedAt: now.Add(-time.Minute)}},
			[]Candidate{with(op(1, 0), func(c *Candidate) { c.Topics = []string{"complaint"} })}, nil, nil, "a", 1, false, true},
		{"no fallback before wait", Rules{SkillFallback: time.Minute}, []Caller{{ID: "a", Topic: "dental", JoinedAt: now.Add(-59 * time.Second)}},
			[]Candidate{with(op(1, 0), func(c *Candidate) { c.Topics = []string{"complaint"} })}, nil, nil, "", 0, false, false},
		{"fallback prefers strategy over skill", Rules{SkillFallback: time.Minute}, []Caller{{ID: "a", Language: "en", JoinedAt: t0}},
			[]Candidate{op(1, time.Hour), with(op(2, 0), en)}, nil, nil, "a", 1, false, true},
		{"owner free", Rules{PreferOwner: true}, []Caller{{ID: "a", Owner: 2}},
			[]Candidate{op(1, time.Hour), op(2, 0)}, nil, nil, "a", 2, true, false},
		{"owner ignores skills", Rules{PreferOwner: true}, []Caller{{ID: "a", Owner: 2, Topic: "dental"}},
			[]Candidate{op(1, time.Hour), with(op(2, 0), policy)}, nil, nil, "a", 2, true, false},
		{"owner rule off", Rules{}, []Caller{{ID: "a", Owner: 2}},
			[]Candidate{op(1, time.Hour), op(2, 0)}, nil, nil, "a", 1, false, false},
		{"owner busy, no wait: anyone", Rules{PreferOwner: true}, []Caller{{ID: "a", Owner: 2}},
			[]Candidate{op(1, time.Hour), with(op(2, 0), func(c *Candidate) { c.Presence = hotline.PresenceTalking })}, nil, nil, "a", 1, false, false},
		{"owner busy, held for owner, next caller served", Rules{PreferOwner: true, OwnerWait: time.Minute},
			[]Caller{{ID: "a", Owner: 2, JoinedAt: now.Add(-30 * time.Second)}, {ID: "b"}},
			[]Candidate{op(1, time.Hour), with(op(2, 0), func(c *Candidate) { c.Presence = hotline.PresenceTalking })}, nil, nil, "b", 1, false, false},
		{"owner busy, wait over: anyone", Rules{PreferOwner: true, OwnerWait: time.Minute},
			[]Caller{{ID: "a", Owner: 2, JoinedAt: now.Add(-time.Minute)}, {ID: "b"}},
			[]Candidate{op(1, time.Hour), with(op(2, 0), func(c *Candidate) { c.Presence = hotline.PresenceTalking })}, nil, nil, "a", 1, false, false},
		{"owner at level 2 is not the queue's", Rules{PreferOwner: true}, []Caller{{ID: "a", Owner: 2}},
			[]Candidate{op(1, time.Hour), with(op(2, 0), func(c *Candidate) { c.Level = hotline.Level2 })}, nil, nil, "a", 1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := queue(t, tt.callers...)
			for id, op := range tt.missed {
				if err := q.Offer(id, op); err != nil {
					t.Fatal(err)
				}
				if _, err := q.NoAnswer(id); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range tt.offered {
				if err := q.Offer(id, 99); err != nil {
					t.Fatal(err)
				}
			}
			r := Router{Rules: tt.rules}
			d, ok := r.Select(q, tt.ops, now)
			if tt.call == "" {
				if ok {
					t.Fatalf("Select = %+v, want none", d)
				}
				return
			}
			want := Decision{Call: tt.call, Operator: tt.operator, Owner: tt.owner, Fallback: tt.fallback}
			d.Index = 0
			if !ok || d != want {
				t.Fatalf("Select = %+v %v, want %+v", d, ok, want)
			}
		})
	}
}

// TestNoAnswer walks a ring timeout: the operator who missed is skipped on the caller's next
// attempt only, and the missed count pauses them at the limit.
func TestNoAnswer(t *testing.T) {
	rules := Rules{MaxMissed: 2}
	r := Router{Rules: rules}
	ops := []Candidate{op(1, time.Hour), op(2, time.Minute), op(3, time.Second)}
	q := queue(t, Caller{ID: "a"})

	step := func(want int64) {
		t.Helper()
		d, ok := r.Select(q, ops, now)
		if !ok || d.Operator != want {
			t.Fatalf("Select = %+v %v, want operator %d", d, ok, want)
		}
		if err := q.Offer(d.Call, d.Operator); err != nil {
			t.Fatal(err)
		}
		if _, ok := r.Select(q, ops, now); ok {
			t.Fatal("ringing caller selected again")
		}
	}
	miss := func(wantPause bool) {
		t.Helper()
		id, err := q.NoAnswer("a")
		if err != nil {
			t.Fatal(err)
		}
		c := &ops[id-1]
		var pause bool
		c.Missed, pause = rules.OfferMissed(c.Missed)
		if pause != wantPause {
			t.Fatalf("operator %d missed %d: pause = %v, want %v", id, c.Missed, pause, wantPause)
		}
	}
	step(1)
	miss(false) // 1 missed once
	step(2)     // 1 skipped on this attempt
	miss(false)
	step(1) // 1 back on the attempt after; 2 skipped
	miss(true)
	// 1 reached the limit: never offered again until the call flow resets Missed.
	step(2)
	miss(true)
	step(3)
	if q.Remove("a"); q.Len() != 0 {
		t.Fatal("Remove failed")
	}
}

func TestOfferMissed(t *testing.T) {
	tests := []struct {
		max, missed, want int
		pause             bool
	}{
		{0, 0, 1, false},
		{0, 99, 100, false},
		{1, 0, 1, true},
		{3, 1, 2, false},
		{3, 2, 3, true},
		{3, 5, 6, true},
	}
	for _, tt := range tests {
		n, pause := Rules{MaxMissed: tt.max}.OfferMissed(tt.missed)
		if n != tt.want || pause != tt.pause {
			t.Errorf("MaxMissed %d, OfferMissed(%d) = %d, %v; want %d, %v", tt.max, tt.missed, n, pause, tt.want, tt.pause)
		}
	}
}

func TestSelectSpecialist(t *testing.T) {
	l2 := func(id int64, f func(*Candidate)) Candidate {
		c := op(id, 0)
		c.Level = hotline.Level2
		if f != nil {
			f(&c)
		}
		return c
	}
	busy := func(c *Candidate) { c.Presence = hotline.PresenceTalking }
	tests := []struct {
		name string
		rec  []int64
		ops  []Candidate
		want int64 // 0: none
	}{
		{"first recommended", []int64{3, 1, 2}, []Candidate{l2(1, nil), l2(2, nil), l2(3, nil)}, 3},
		{"first free", []int64{3, 1, 2}, []Candidate{l2(1, nil), l2(2, nil), l2(3, busy)}, 1},
		{"not recommended ignored", []int64{2}, []Candidate{l2(1, nil), l2(2, busy)}, 0},
		{"level 1 ignored", []int64{1, 2}, []Candidate{op(1, 0), l2(2, nil)}, 2},
		{"unknown id skipped", []int64{9, 2}, []Candidate{l2(2, nil)}, 2},
		{"none", nil, []Candidate{l2(2, nil)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Router
			i, ok := r.SelectSpecialist(tt.rec, tt.ops, now)
			if tt.want == 0 {
				if ok {
					t.Fatalf("SelectSpecialist = %d, want none", tt.ops[i].ID)
				}
				return
			}
			if !ok || tt.ops[i].ID != tt.want {
				t.Fatalf("SelectSpecialist = %d %v, want operator %d", i, ok, tt.want)
			}
		})
	}
}

func TestOfferable(t *testing.T) {
	rules := Rules{WrapUp: time.Minute, MaxMissed: 2}
	tests := []struct {
		name string
		c    Candidate
		want bool
	}{
		{"available", op(1, 0), true},
		{"paused", with(op(1, 0), func(c *Candidate) { c.Presence = hotline.PresencePaused }), false},
		{"missed limit", with(op(1, 0), func(c *Candidate) { c.Missed = 2 }), false},
		{"missed under limit", with(op(1, 0), func(c *Candidate) { c.Missed = 1 }), true},
		{"in wrap-up", with(op(1, 0), func(c *Candidate) { c.LastCallEnd = now.Add(-time.Second) }), false},
		{"wrap-up over", with(op(1, 0), func(c *Candidate) { c.LastCallEnd = now.Add(-time.Minute) }), true},
		{"case limit", with(op(1, 0), func(c *Candidate) { c.OpenCases, c.MaxConcurrent = 1, 1 }), false},
		{"level 2 is offerable, level is the caller's business", with(op(1, 0), func(c *Candidate) { c.Level = hotline.Level2 }), true},
	}
	for _, tt := range tests {
		if got := rules.Offerable(&tt.c, now); got != tt.want {
			t.Errorf("%s: Offerable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
