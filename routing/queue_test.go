package routing

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func ids(q *Queue) []string {
	var out []string
	for _, w := range q.Snapshot(nil) {
		out = append(out, w.ID)
	}
	return out
}

func TestQueueOrder(t *testing.T) {
	tests := []struct {
		name  string
		join  []Caller
		want  []string
		wantP []int // position returned by each Enqueue
	}{
		{"fifo", []Caller{{ID: "a"}, {ID: "b"}, {ID: "c"}}, []string{"a", "b", "c"}, []int{1, 2, 3}},
		{"priority ahead", []Caller{{ID: "a"}, {ID: "b"}, {ID: "v", Priority: 10}}, []string{"v", "a", "b"}, []int{1, 2, 1}},
		{"equal priority stable", []Caller{{ID: "a"}, {ID: "v1", Priority: 5}, {ID: "b"}, {ID: "v2", Priority: 5}},
			[]string{"v1", "v2", "a", "b"}, []int{1, 1, 3, 2}},
		{"tiers of priority", []Caller{{ID: "r1", Priority: 1}, {ID: "a"}, {ID: "vip", Priority: 9}, {ID: "r2", Priority: 1}, {ID: "n", Priority: -1}},
			[]string{"vip", "r1", "r2", "a", "n"}, []int{1, 2, 1, 3, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Queue
			for i, c := range tt.join {
				p, err := q.Enqueue(c)
				if err != nil {
					t.Fatal(err)
				}
				if p != tt.wantP[i] {
					t.Errorf("Enqueue(%s) position = %d, want %d", c.ID, p, tt.wantP[i])
				}
			}
			if got := ids(&q); !slices.Equal(got, tt.want) {
				t.Fatalf("order = %v, want %v", got, tt.want)
			}
			for i, id := range tt.want {
				if p := q.Position(id); p != i+1 {
					t.Errorf("Position(%s) = %d, want %d", id, p, i+1)
				}
			}
			if h, ok := q.Head(); !ok || h.ID != tt.want[0] {
				t.Errorf("Head = %v %v, want %s", h.ID, ok, tt.want[0])
			}
			if q.Len() != len(tt.want) {
				t.Errorf("Len = %d, want %d", q.Len(), len(tt.want))
			}
		})
	}
}

func TestQueueRemove(t *testing.T) {
	var q Queue
	for _, c := range []Caller{{ID: "a"}, {ID: "b", Priority: 2}, {ID: "c"}, {ID: "d", Priority: 2}} {
		if _, err := q.Enqueue(c); err != nil {
			t.Fatal(err)
		}
	}
	// b d a c
	if c, ok := q.Get("b"); !ok || c.Priority != 2 {
		t.Errorf("Get(b) = %+v %v", c, ok)
	}
	if _, ok := q.Get("zz"); ok {
		t.Error("Get(unknown) ok")
	}
	if c, ok := q.Remove("d"); !ok || c.ID != "d" || c.Priority != 2 {
		t.Fatalf("Remove(d) = %+v %v", c, ok)
	}
	if _, ok := q.Remove("d"); ok {
		t.Fatal("Remove(d) twice succeeded")
	}
	if got, want := ids(&q), []string{"b", "a", "c"}; !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	if p := q.Position("c"); p != 3 {
		t.Errorf("Position(c) = %d, want 3", p)
	}
	if p := q.Position("d"); p != 0 {
		t.Errorf("Position(removed) = %d, want 0", p)
	}
	// A removed id may join again, at the end.
	if p, err := q.Enqueue(Caller{ID: "d"}); err != nil || p != 4 {
		t.Errorf("re-Enqueue(d) = %d, %v; want 4", p, err)
	}
	var empty Queue
	if _, ok := empty.Head(); ok {
		t.Error("Head of empty queue ok")
	}
	if _, ok := empty.Remove("x"); ok {
		t.Error("Remove from empty queue ok")
	}
}

func TestQueueErrors(t *testing.T) {
	var q Queue
	if _, err := q.Enqueue(Caller{}); err == nil {
		t.Error("Enqueue(empty id) succeeded")
	}
	q.Enqueue(Caller{ID: "a"})
	if _, err := q.Enqueue(Caller{ID: "a"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Enqueue(dup) = %v, want ErrDuplicate", err)
	}
	if err := q.Offer("x", 1); !errors.Is(err, ErrNotQueued) {
		t.Errorf("Offer(unknown) = %v, want ErrNotQueued", err)
	}
	if _, err := q.NoAnswer("a"); !errors.Is(err, ErrNoOffer) {
		t.Errorf("NoAnswer(not offered) = %v, want ErrNoOffer", err)
	}
	if err := q.Offer("a", 0); err == nil {
		t.Error("Offer to operator 0 succeeded")
	}
	if err := q.Offer("a", 1); err != nil {
		t.Fatal(err)
	}
	if err := q.Offer("a", 2); !errors.Is(err, ErrOffered) {
		t.Errorf("Offer twice = %v, want ErrOffered", err)
	}
	if op, err := q.NoAnswer("a"); err != nil || op != 1 {
		t.Errorf("NoAnswer = %d, %v; want 1", op, err)
	}
	if _, err := q.NoAnswer("x"); !errors.Is(err, ErrNotQueued) {
		t.Errorf("NoAnswer(unknown) = %v, want ErrNotQueued", err)
	}
}

func TestSnapshotAndOverdue(t *testing.T) {
	var q Queue
	q.Enqueue(Caller{ID: "old", JoinedAt: t0})
	q.Enqueue(Caller{ID: "new", JoinedAt: t0.Add(4 * time.Minute)})
	q.Enqueue(Caller{ID: "ringing", JoinedAt: t0})
	q.Offer("ringing", 7)
	snap := q.Snapshot(nil)
	if len(snap) != 3 || snap[2].Offered != 7 || snap[2].Position != 3 || snap[0].Offered != 0 {
		t.Errorf("Snapshot = %+v", snap)
	}
	tests := []struct {
		maxWait time.Duration
		want    []string
	}{
		{0, nil},
		{5 * time.Minute, []string{"old"}}, // exactly MaxWait counts; ringing callers are not overflowed
		{time.Minute, []string{"old", "new"}},
		{6 * time.Minute, nil},
	}
	for _, tt := range tests {
		got := q.Overdue(Rules{MaxWait: tt.maxWait}, t0.Add(5*time.Minute), nil)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Overdue(max %v) = %v, want %v", tt.maxWait, got, tt.want)
		}
	}
}

// TestQueueModel checks the queue against a plain sorted slice through a long random-ish run.
func TestQueueModel(t *testing.T) {
	var q Queue
	type m struct {
		id   string
		prio int
		seq  int
	}
	var model []m
	seq := 0
	x := uint32(1)
	rnd := func(n int) int { x = x*1664525 + 1013904223; return int(x>>8) % n }
	for step := 0; step < 3000; step++ {
		if rnd(3) > 0 || len(model) == 0 {
			seq++
			c := Caller{ID: "c" + strconv.Itoa(step), Priority: rnd(4)}
			if _, err := q.Enqueue(c); err != nil {
				t.Fatal(err)
			}
			model = append(model, m{c.ID, c.Priority, seq})
			slices.SortStableFunc(model, func(a, b m) int {
				if a.prio != b.prio {
					return b.prio - a.prio
				}
				return a.seq - b.seq
			})
		} else {
			i := rnd(len(model))
			if _, ok := q.Remove(model[i].id); !ok {
				t.Fatalf("Remove(%s) failed", model[i].id)
			}
			model = slices.Delete(model, i, i+1)
		}
		if i := rnd(len(model) + 1); i < len(model) {
			if p := q.Position(model[i].id); p != i+1 {
				t.Fatalf("step %d: Position(%s) = %d, want %d", step, model[i].id, p, i+1)
			}
		}
	}
	got := ids(&q)
	for i := range model {
		if got[i] != model[i].id {
			t.Fatalf("order differs at %d: %s vs %s", i, got[i], model[i].id)
		}
	}
}
