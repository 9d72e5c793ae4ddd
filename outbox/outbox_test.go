package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/outbox/spool"
)

// testWrite is an Entry: the arrival of a call, as the switchboard's StartCall would be.
type testWrite struct {
	CallID string    `json:"call_id"`
	At     time.Time `json:"at"`
}

func (w testWrite) Kind() string {
	if w.CallID == "" {
		return ""
	}
	return "start call"
}

func (w testWrite) Call() string { return w.CallID }

// filed is the journal's answer to a write: how many calls it holds once it is applied.
type filed struct{ calls int }

type testJob = Job[testWrite, filed]

// markedJournal applies writes as the real journal does with spool marks (each mark once, in
// order), and can be made to fail or to hang.
type markedJournal struct {
	mu      sync.Mutex
	applied []string          // call ids of the writes applied, in order
	marks   map[string]uint64 // the newest mark applied, by spool generation
	fail    int               // the next writes fail with EUNAVAILABLE
	hang    chan struct{}     // not nil: writes wait for it (or their ctx)
	calls   int
	claimed []uint64 // marks recorded alone (a write refused or dropped)
}

func (j *markedJournal) Apply(ctx context.Context, w testWrite, m Mark) (filed, error) {
	return j.apply(ctx, &w, m)
}

func (j *markedJournal) Claim(ctx context.Context, m Mark) error {
	_, err := j.apply(ctx, nil, m)
	return err
}

// apply applies w (nil: the mark alone).
func (j *markedJournal) apply(ctx context.Context, w *testWrite, m Mark) (filed, error) {
	j.mu.Lock()
	hang := j.hang
	j.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return filed{}, hotline.Errorf(hotline.EUNAVAILABLE, "journal hung: %v", ctx.Err())
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls++
	if j.fail > 0 {
		j.fail--
		return filed{}, hotline.Errorf(hotline.EUNAVAILABLE, "database is locked")
	}
	if m.Spool != "" {
		if j.marks == nil {
			j.marks = map[string]uint64{}
		}
		if j.marks[m.Spool] >= m.Seq {
			return filed{}, ErrAlreadyApplied
		}
		j.marks[m.Spool] = m.Seq
		if w == nil {
			j.claimed = append(j.claimed, m.Seq)
		}
	}
	if w != nil {
		j.applied = append(j.applied, w.CallID)
		return filed{calls: len(j.applied)}, nil
	}
	return filed{}, nil
}

func (j *markedJournal) appliedCalls() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.applied...)
}

func startWrite(call string) testJob {
	return testJob{Write: &testWrite{CallID: call, At: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}}
}

func openSpool(t *testing.T, path string) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(path, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runOutbox starts o and returns a function that closes it with grace and waits for it.
func runOutbox(o *Outbox[testWrite, filed]) func(grace time.Duration) {
	done := make(chan struct{})
	go func() { o.Run(); close(done) }()
	return func(grace time.Duration) {
		o.Close(grace)
		<-done
	}
}

// A journal that fails for a while delays the writes, never loses or reorders them; the loop's
// pushes never wait for it; once applied, the spool has nothing pending.
func TestOutboxRetriesSpooledWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	defer sp.Close()
	jr := &markedJournal{fail: 3}
	w := New[testWrite, filed](jr, sp, testLog(t))
	stop := runOutbox(w)
	var told []string
	var mu sync.Mutex
	for i := range 5 {
		j := startWrite(fmt.Sprintf("c%d", i))
		j.Then = func(cc filed, err error) {
			mu.Lock()
			told = append(told, fmt.Sprintf("%d:%v", cc.calls, err))
			mu.Unlock()
		}
		j.Deferred = func() {
			mu.Lock()
			told = append(told, "deferred")
			mu.Unlock()
		}
		w.Push(j)
	}
	stop(time.Minute)
	if got := jr.appliedCalls(); fmt.Sprint(got) != "[c0 c1 c2 c3 c4]" {
		t.Errorf("applied %v, want c0..c4 in order", got)
	}
	// c0 met the failing journal: told once that it waits in the spool, then of its case.
	want := fmt.Sprint([]string{"deferred", "1:<nil>", "2:<nil>", "3:<nil>", "4:<nil>", "5:<nil>"})
	if fmt.Sprint(told) != want {
		t.Errorf("callers told %v, want %v", told, want)
	}
	if n := len(sp.Pending()); n != 0 {
		t.Errorf("%d writes still pending in the spool after all were applied", n)
	}
}

// kill -9 while the journal hangs: the writes are in the spool file. The next run applies them
// first, in order, before anything it asks itself, and skips the one the journal had committed.
func TestOutboxReplaysSpoolAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	hung := &markedJournal{hang: make(chan struct{})}
	w := New[testWrite, filed](hung, sp, testLog(t))
	dead := runOutbox(w) // stopped only at the end, without grace: the process "dies" meanwhile
	for _, c := range []string{"c1", "c2", "c3"} {
		w.Push(startWrite(c))
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(sp.Pending()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(sp.Pending()); n != 3 {
		t.Fatalf("%d writes spooled, want 3", n)
	}
	gen := sp.Generation()
	// What the dead process's spool file holds, as the next start reads it (a copy: the dead
	// process still holds the spool's lock here).
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	image := filepath.Join(t.TempDir(), "crashed.spool")
	if err := os.WriteFile(image, b, 0o600); err != nil {
		t.Fatal(err)
	}
	again := openSpool(t, image)
	defer again.Close()
	if again.Generation() != gen {
		t.Fatalf("reopened spool has generation %s, want %s", again.Generation(), gen)
	}
	// The journal had committed c1 just before the crash (its mark with it).
	jr := &markedJournal{marks: map[string]uint64{gen: again.Pending()[0].Seq}, applied: []string{"c1"}}
	w2 := New[testWrite, filed](jr, again, testLog(t))
	stop := runOutbox(w2)
	w2.Push(startWrite("c4"))
	stop(time.Minute)
	if got := jr.appliedCalls(); fmt.Sprint(got) != "[c1 c2 c3 c4]" {
		t.Errorf("journal holds %v, want c1 once, then c2, c3 replayed, then c4", got)
	}
	if n := len(again.Pending()); n != 0 {
		t.Errorf("%d writes pending after the replay", n)
	}
	dead(0)
	sp.Close()
}

// A stop while the journal is down ends after the grace; the spool keeps the writes.
func TestOutboxStopsAfterGraceLeavingSpool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	jr := &markedJournal{fail: 1 << 30}
	w := New[testWrite, filed](jr, sp, testLog(t))
	stop := runOutbox(w)
	w.Push(startWrite("c1"))
	w.Push(startWrite("c2"))
	stop(500 * time.Millisecond) // returns: the failing journal does not hold the stop
	if n := len(sp.Pending()); n != 2 {
		t.Errorf("%d writes left in the spool, want 2", n)
	}
	sp.Close()
	if n := len(openSpool(t, path).Pending()); n != 2 {
		t.Errorf("reopened spool holds %d writes, want 2", n)
	}
}

// Without a spool a write that keeps failing is dropped after writeTries, and the next goes on;
// a write the journal refuses is not retried.
func TestOutboxWithoutSpool(t *testing.T) {
	jr := &markedJournal{fail: writeTries}
	w := New[testWrite, filed](jr, nil, testLog(t))
	stop := runOutbox(w)
	var errs []error
	for _, c := range []string{"lost", "kept"} {
		j := startWrite(c)
		j.Then = func(_ filed, err error) { errs = append(errs, err) }
		w.Push(j)
	}
	stop(time.Minute)
	if got := jr.appliedCalls(); fmt.Sprint(got) != "[kept]" {
		t.Errorf("applied %v, want only the second write", got)
	}
	if len(errs) != 2 || errs[0] == nil || errs[1] != nil {
		t.Errorf("answers %v, want the first failed, the second applied", errs)
	}
	if jr.calls != writeTries+1 {
		t.Errorf("%d journal calls, want %d", jr.calls, writeTries+1)
	}
	refused := &refusingJournal{}
	w = New[testWrite, filed](refused, nil, testLog(t))
	stop = runOutbox(w)
	w.Push(startWrite("bad"))
	stop(time.Minute)
	if refused.calls != 1 {
		t.Errorf("a refused write was tried %d times, want once", refused.calls)
	}
}

type refusingJournal struct {
	markedJournal
}

func (j *refusingJournal) Apply(context.Context, testWrite, Mark) (filed, error) {
	j.calls++
	return filed{}, hotline.Errorf(hotline.EINVALID, "no such operator")
}

// Pushing never waits for the journal: a hung journal and thousands of writes.
func TestOutboxPushNeverBlocks(t *testing.T) {
	sp := openSpool(t, filepath.Join(t.TempDir(), "j.spool"))
	defer sp.Close()
	jr := &markedJournal{hang: make(chan struct{})}
	w := New[testWrite, filed](jr, sp, testLog(t))
	stop := runOutbox(w)
	done := make(chan struct{})
	go func() {
		for i := range 5000 {
			w.Push(startWrite(fmt.Sprintf("c%d", i)))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("pushes blocked behind a hung journal")
	}
	if w.Backlog() == 0 {
		t.Error("backlog 0 with a hung journal")
	}
	close(jr.hang)
	stop(time.Minute)
	if n := len(jr.appliedCalls()); n != 5000 {
		t.Errorf("%d applied, want 5000", n)
	}
}

// A spooled write that fails unexpectedly (not "unavailable") is not waited for without end: after
// writeTries it is dropped, its mark claimed so that a replay skips it, and the writes behind it go on.
func TestOutboxDropsWriteThatKeepsFailing(t *testing.T) {
	sp := openSpool(t, filepath.Join(t.TempDir(), "j.spool"))
	defer sp.Close()
	jr := &internalFailure{}
	w := New[testWrite, filed](jr, sp, testLog(t))
	stop := runOutbox(w)
	w.Push(startWrite("bad"))
	w.Push(startWrite("good"))
	stop(time.Minute)
	if got := jr.appliedCalls(); fmt.Sprint(got) != "[good]" {
		t.Errorf("applied %v, want only the good write", got)
	}
	if jr.badTries != writeTries {
		t.Errorf("the failing write was tried %d times, want %d", jr.badTries, writeTries)
	}
	if fmt.Sprint(jr.claimed) != "[1]" {
		t.Errorf("marks claimed alone %v: want the dropped write's (1)", jr.claimed)
	}
	if n := len(sp.Pending()); n != 0 {
		t.Errorf("%d writes still pending", n)
	}
}

// internalFailure fails every write of call "bad" with an unexpected error.
type internalFailure struct {
	markedJournal
	badTries int
}

func (j *internalFailure) Apply(ctx context.Context, w testWrite, m Mark) (filed, error) {
	if w.CallID == "bad" {
		j.badTries++
		return filed{}, fmt.Errorf("sqlite: something unexpected")
	}
	return j.markedJournal.Apply(ctx, w, m)
}

// cancelledJournal is unavailable for its first `unavailable` calls, then hangs until its context
// ends and returns the bare context error, as a database driver does.
type cancelledJournal struct {
	mu          sync.Mutex
	unavailable int
	calls       int
	claims      int
}

func (j *cancelledJournal) Apply(ctx context.Context, _ testWrite, _ Mark) (filed, error) {
	j.mu.Lock()
	j.calls++
	n := j.calls
	j.mu.Unlock()
	if n <= j.unavailable {
		return filed{}, hotline.Errorf(hotline.EUNAVAILABLE, "database is locked")
	}
	<-ctx.Done()
	return filed{}, ctx.Err()
}

func (j *cancelledJournal) Claim(context.Context, Mark) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.claims++
	return nil
}

func (j *cancelledJournal) callCount() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.calls
}

// A stop whose grace runs out while a spooled write is in a journal call (after more than
// writeTries tries of an unavailable journal) leaves the write in the spool: the cancelled call
// is not the journal's verdict, and the write must not be dropped and released (review finding:
// it was, and the next start never saw it).
func TestOutboxStopDuringCallKeepsSpooledWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	jr := &cancelledJournal{unavailable: writeTries + 1}
	w := New[testWrite, filed](jr, sp, testLog(t))
	stop := runOutbox(w)
	answered := make(chan error, 1)
	j := startWrite("c1")
	j.Then = func(_ filed, err error) { answered <- err }
	w.Push(j)
	deadline := time.Now().Add(20 * time.Second)
	for jr.callCount() <= writeTries+1 {
		if time.Now().After(deadline) {
			t.Fatalf("the outbox made %d journal calls, want it to reach the hanging one", jr.callCount())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop(200 * time.Millisecond)
	select {
	case err := <-answered:
		t.Errorf("the write was answered (%v) though the stop cut its journal call", err)
	default:
	}
	if jr.claims != 0 {
		t.Errorf("its mark was claimed %d times: a replay would skip it", jr.claims)
	}
	sp.Close()
	if n := len(openSpool(t, path).Pending()); n != 1 {
		t.Errorf("reopened spool holds %d writes, want the one cut by the stop", n)
	}
}
