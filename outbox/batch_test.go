package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// batchJournal is a Journal with batches as the real one has them: the writes of a batch are
// kept apart until Commit, a write refused in a batch spoils it (journal.Batch.AllOrNothing: its
// Commit fails), and Rollback drops them all. refuse names calls it refuses (invalid); failOnce, calls it fails once as
// unavailable (locked); failClaims, the first claims in a batch it fails (as a constraint would:
// not retryable), spoiling it. A spoiled batch's later writes fail, as journal.Batch's do.
type batchJournal struct {
	mu         sync.Mutex
	applied    []string
	marks      map[string]uint64
	claimed    []uint64
	refuse     map[string]bool
	failOnce   map[string]bool
	failClaims int
	slow       time.Duration // each write takes this long
	batches    int
	commits    int
	rollbacks  int
}

type fakeBatch struct {
	j       *batchJournal
	applied []string
	marks   map[string]uint64
	claimed []uint64
	spoiled bool
	done    bool
}

type fakeBatchKey struct{}

func (j *batchJournal) Begin(ctx context.Context) (context.Context, Batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.batches++
	b := &fakeBatch{j: j, marks: map[string]uint64{}}
	return context.WithValue(ctx, fakeBatchKey{}, b), b, nil
}

func (b *fakeBatch) Commit() error {
	b.j.mu.Lock()
	defer b.j.mu.Unlock()
	if b.done {
		return fmt.Errorf("commit after the end")
	}
	if b.spoiled {
		b.done = true
		b.j.rollbacks++
		return fmt.Errorf("commit of a spoiled batch")
	}
	b.done = true
	b.j.commits++
	b.j.applied = append(b.j.applied, b.applied...)
	b.j.claimed = append(b.j.claimed, b.claimed...)
	for g, s := range b.marks {
		b.j.marks[g] = s
	}
	return nil
}

func (b *fakeBatch) Rollback() error {
	b.j.mu.Lock()
	defer b.j.mu.Unlock()
	if !b.done {
		b.done = true
		b.j.rollbacks++
	}
	return nil
}

func (j *batchJournal) Apply(ctx context.Context, w testWrite, m Mark) (filed, error) {
	return filed{}, j.apply(ctx, &w, m)
}

func (j *batchJournal) Claim(ctx context.Context, m Mark) error { return j.apply(ctx, nil, m) }

func (j *batchJournal) apply(ctx context.Context, w *testWrite, m Mark) error {
	if w != nil && j.slow > 0 {
		time.Sleep(j.slow)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	b, _ := ctx.Value(fakeBatchKey{}).(*fakeBatch)
	if w != nil && j.failOnce[w.CallID] {
		delete(j.failOnce, w.CallID)
		return hotline.Errorf(hotline.EUNAVAILABLE, "database is locked")
	}
	if b != nil && b.spoiled {
		// As journal.Batch's: a spoiled batch's later writes fail with what spoiled it.
		return hotline.Errorf(hotline.EINVALID, "failed in a batch without savepoints")
	}
	if w == nil && b != nil && j.failClaims > 0 {
		j.failClaims--
		b.spoiled = true
		return hotline.Errorf(hotline.EINVALID, "constraint failed")
	}
	if w != nil && j.refuse[w.CallID] {
		if b != nil {
			b.spoiled = true
		}
		return hotline.Errorf(hotline.EINVALID, "refused %s", w.CallID)
	}
	if j.marks == nil {
		j.marks = map[string]uint64{}
	}
	last := j.marks[m.Spool]
	if b != nil && b.marks[m.Spool] > last {
		last = b.marks[m.Spool]
	}
	if m.Spool != "" && last >= m.Seq {
		return ErrAlreadyApplied
	}
	if b == nil {
		if m.Spool != "" {
			j.marks[m.Spool] = m.Seq
		}
		if w != nil {
			j.applied = append(j.applied, w.CallID)
		} else {
			j.claimed = append(j.claimed, m.Seq)
		}
		return nil
	}
	if m.Spool != "" {
		b.marks[m.Spool] = m.Seq
	}
	if w != nil {
		b.applied = append(b.applied, w.CallID)
	} else {
		b.claimed = append(b.claimed, m.Seq)
	}
	return nil
}

// runBatched pushes calls c0..c{n-1} before the outbox runs (so they wait together), runs it to
// the end and returns each write's answer, in the order the answers came.
func runBatched(t *testing.T, jr *batchJournal, n int) (answers []string, pending int) {
	t.Helper()
	sp := openSpool(t, filepath.Join(t.TempDir(), "j.spool"))
	defer sp.Close()
	o := New[testWrite, filed](jr, sp, testLog(t))
	var mu sync.Mutex
	for i := range n {
		j := startWrite(fmt.Sprintf("c%d", i))
		j.Then = func(_ filed, err error) {
			mu.Lock()
			answers = append(answers, fmt.Sprintf("c%d:%v", i, hotline.ErrorCode(err)))
			mu.Unlock()
		}
		o.Push(j)
	}
	stop := runOutbox(o)
	stop(time.Minute)
	return answers, len(sp.Pending())
}

// Writes waiting together are applied in one batch; a write the journal refuses spoils it: the
// batch is rolled back and begun again with the refused write's mark claimed in its place; every
// answer comes once, in order, after the commit, and the spool is released.
func TestOutboxBatchRefusedWriteAlone(t *testing.T) {
	jr := &batchJournal{refuse: map[string]bool{"c2": true}}
	answers, pending := runBatched(t, jr, 5)
	if jr.batches != 2 || jr.commits != 1 || jr.rollbacks != 1 {
		t.Errorf("%d batches begun, %d committed, %d rolled back; want the 5 writes rolled back at c2, then committed",
			jr.batches, jr.commits, jr.rollbacks)
	}
	if want := []string{"c0:", "c1:", "c2:invalid", "c3:", "c4:"}; !slices.Equal(answers, want) {
		t.Errorf("answers %q, want %q", answers, want)
	}
	if want := []string{"c0", "c1", "c3", "c4"}; !slices.Equal(jr.applied, want) {
		t.Errorf("applied %q, want %q", jr.applied, want)
	}
	if !slices.Equal(jr.claimed, []uint64{3}) {
		t.Errorf("marks claimed %v, want the refused write's (3), in the batch", jr.claimed)
	}
	if pending != 0 {
		t.Errorf("%d spool records pending after the commit", pending)
	}
}

// A refused write's mark that cannot be claimed in the batch gives the batch up whole: its writes
// run one at a time, the refused one refused again and its mark claimed alone; nothing is lost or
// answered twice.
func TestOutboxBatchClaimFailsRunsAlone(t *testing.T) {
	jr := &batchJournal{refuse: map[string]bool{"c2": true}, failClaims: 1}
	answers, pending := runBatched(t, jr, 5)
	if want := []string{"c0:", "c1:", "c2:invalid", "c3:", "c4:"}; !slices.Equal(answers, want) {
		t.Errorf("answers %q, want %q", answers, want)
	}
	if want := []string{"c0", "c1", "c3", "c4"}; !slices.Equal(jr.applied, want) {
		t.Errorf("applied %q, want %q once each", jr.applied, want)
	}
	if !slices.Equal(jr.claimed, []uint64{3}) {
		t.Errorf("marks claimed %v, want the refused write's (3) once", jr.claimed)
	}
	if jr.batches != 2 || jr.commits != 0 || jr.rollbacks != 2 {
		t.Errorf("%d batches begun, %d committed, %d rolled back; want 2 begun and rolled back (the refusal, the claim), then the writes alone",
			jr.batches, jr.commits, jr.rollbacks)
	}
	if pending != 0 {
		t.Errorf("%d spool records pending", pending)
	}
}

// A run of refusals does not begin one batch again without end: after maxRefusals the batch stops
// at the latest refused write, commits, and the writes after it go in the next batch.
func TestOutboxBatchRefusalsBounded(t *testing.T) {
	refuse := map[string]bool{}
	var want []string
	var applied []string
	var claimed []uint64
	for i := range 10 {
		c := fmt.Sprintf("c%d", i)
		if i >= 1 && i <= maxRefusals || i == maxRefusals+2 {
			refuse[c] = true
			want = append(want, c+":invalid")
			claimed = append(claimed, uint64(i+1))
		} else {
			want = append(want, c+":")
			applied = append(applied, c)
		}
	}
	jr := &batchJournal{refuse: refuse}
	answers, pending := runBatched(t, jr, 10)
	// c0..c{maxRefusals}: begun maxRefusals+1 times, committed once; the rest: begun twice (one
	// refusal), committed once.
	if jr.batches != maxRefusals+3 || jr.commits != 2 {
		t.Errorf("%d batches begun, %d committed; want %d begun, 2 committed", jr.batches, jr.commits, maxRefusals+3)
	}
	if !slices.Equal(answers, want) {
		t.Errorf("answers %q, want %q", answers, want)
	}
	if !slices.Equal(jr.applied, applied) {
		t.Errorf("applied %q, want %q", jr.applied, applied)
	}
	if !slices.Equal(jr.claimed, claimed) {
		t.Errorf("marks claimed %v, want %v", jr.claimed, claimed)
	}
	if pending != 0 {
		t.Errorf("%d spool records pending after the commits", pending)
	}
}

// A write that finds the journal unavailable in a batch is not the journal's verdict on it: the
// batch is rolled back whole and its writes run one at a time, with their retries; each is applied
// once, in order, and confirmed once.
func TestOutboxBatchUnavailableRunsAlone(t *testing.T) {
	jr := &batchJournal{failOnce: map[string]bool{"c3": true}}
	answers, pending := runBatched(t, jr, 5)
	if jr.rollbacks == 0 || jr.commits != 0 {
		t.Errorf("%d batches rolled back, %d committed; want the batch rolled back, its writes alone", jr.rollbacks, jr.commits)
	}
	if want := []string{"c0", "c1", "c2", "c3", "c4"}; !slices.Equal(jr.applied, want) {
		t.Errorf("applied %q, want %q once each", jr.applied, want)
	}
	if want := []string{"c0:", "c1:", "c2:", "c3:", "c4:"}; !slices.Equal(answers, want) {
		t.Errorf("answers %q, want %q", answers, want)
	}
	if pending != 0 {
		t.Errorf("%d spool records pending", pending)
	}
}

// A batch commits once it has applied for maxBatchTime, and the writes left go in the next: the
// writer's transaction holds the journal's write lock, which a standby's lease renewal waits on.
// Every write is applied once, in order, and confirmed.
func TestOutboxBatchBoundedInTime(t *testing.T) {
	jr := &batchJournal{slow: maxBatchTime / 2}
	answers, pending := runBatched(t, jr, 7)
	if jr.commits < 2 {
		t.Errorf("%d batches committed for 7 writes of %v each; want the batch cut at %v", jr.commits, jr.slow, maxBatchTime)
	}
	if want := []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6"}; !slices.Equal(jr.applied, want) {
		t.Errorf("applied %q, want %q once each", jr.applied, want)
	}
	if len(answers) != 7 || pending != 0 {
		t.Errorf("answers %q, %d spool records pending; want 7 answers and none", answers, pending)
	}
}
