package switchboard

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
	"github.com/hotline-dev/hotline/spool"
)

// markedJournal applies writes as the real journal does with spool marks (each mark once, in
// order), and can be made to fail or to hang.
type markedJournal struct {
	mu      sync.Mutex
	applied []string          // call ids of the StartCall writes applied, in order
	marks   map[string]uint64 // the newest mark applied, by spool generation
	fail    int               // the next writes fail with EUNAVAILABLE
	hang    chan struct{}     // not nil: writes wait for it (or their ctx)
	calls   int
	claimed []uint64 // marks recorded alone (a write refused or dropped)
}

func (j *markedJournal) Operators(context.Context) ([]hotline.Operator, error) { return nil, nil }
func (j *markedJournal) LastPresence(context.Context) ([]hotline.PresenceEvent, error) {
	return nil, nil
}

func (j *markedJournal) Write(ctx context.Context, w Write) (Filed, error) {
	j.mu.Lock()
	hang := j.hang
	j.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return Filed{}, hotline.Errorf(hotline.EUNAVAILABLE, "journal hung: %v", ctx.Err())
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls++
	if j.fail > 0 {
		j.fail--
		return Filed{}, hotline.Errorf(hotline.EUNAVAILABLE, "database is locked")
	}
	if w.Mark.Spool != "" {
		if j.marks == nil {
			j.marks = map[string]uint64{}
		}
		if j.marks[w.Mark.Spool] >= w.Mark.Seq {
			return Filed{}, ErrAlreadyApplied
		}
		j.marks[w.Mark.Spool] = w.Mark.Seq
		if w.kind() == "" {
			j.claimed = append(j.claimed, w.Mark.Seq)
		}
	}
	if w.StartCall != nil {
		j.applied = append(j.applied, w.StartCall.CallID)
		return Filed{OpenCases: len(j.applied)}, nil
	}
	return Filed{}, nil
}

func (j *markedJournal) appliedCalls() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.applied...)
}

func startWrite(call string) writeJob {
	return writeJob{w: &Write{StartCall: &CallStart{CallID: call, ArrivedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}}}
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

// runWriter starts w and returns a function that closes it with grace and waits for it.
func runWriter(w *writer) func(grace time.Duration) {
	done := make(chan struct{})
	go func() { w.run(); close(done) }()
	return func(grace time.Duration) {
		w.close(grace)
		<-done
	}
}

// A journal that fails for a while delays the writes, never loses or reorders them; the loop's
// pushes never wait for it; once applied, the spool has nothing pending.
func TestWriterRetriesSpooledWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	defer sp.Close()
	jr := &markedJournal{fail: 3}
	w := newWriter(jr, sp, testLog(t))
	stop := runWriter(w)
	var told []string
	var mu sync.Mutex
	for i := range 5 {
		j := startWrite(fmt.Sprintf("c%d", i))
		j.then = func(cc Filed, err error) {
			mu.Lock()
			told = append(told, fmt.Sprintf("%d:%v", cc.OpenCases, err))
			mu.Unlock()
		}
		j.deferred = func() {
			mu.Lock()
			told = append(told, "deferred")
			mu.Unlock()
		}
		w.push(j)
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
func TestWriterReplaysSpoolAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	hung := &markedJournal{hang: make(chan struct{})}
	w := newWriter(hung, sp, testLog(t))
	dead := runWriter(w) // stopped only at the end, without grace: the process "dies" meanwhile
	for _, c := range []string{"c1", "c2", "c3"} {
		w.push(startWrite(c))
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
	w2 := newWriter(jr, again, testLog(t))
	w2.recover()
	stop := runWriter(w2)
	w2.push(startWrite("c4"))
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
func TestWriterStopsAfterGraceLeavingSpool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	jr := &markedJournal{fail: 1 << 30}
	w := newWriter(jr, sp, testLog(t))
	stop := runWriter(w)
	w.push(startWrite("c1"))
	w.push(startWrite("c2"))
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
func TestWriterWithoutSpool(t *testing.T) {
	jr := &markedJournal{fail: writeTries}
	w := newWriter(jr, nil, testLog(t))
	stop := runWriter(w)
	var errs []error
	for _, c := range []string{"lost", "kept"} {
		j := startWrite(c)
		j.then = func(_ Filed, err error) { errs = append(errs, err) }
		w.push(j)
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
	w = newWriter(refused, nil, testLog(t))
	stop = runWriter(w)
	w.push(startWrite("bad"))
	stop(time.Minute)
	if refused.calls != 1 {
		t.Errorf("a refused write was tried %d times, want once", refused.calls)
	}
}

type refusingJournal struct {
	markedJournal
}

func (j *refusingJournal) Write(context.Context, Write) (Filed, error) {
	j.calls++
	return Filed{}, hotline.Errorf(hotline.EINVALID, "no such operator")
}

// Pushing never waits for the journal: a hung journal and thousands of writes.
func TestWriterPushNeverBlocks(t *testing.T) {
	sp := openSpool(t, filepath.Join(t.TempDir(), "j.spool"))
	defer sp.Close()
	jr := &markedJournal{hang: make(chan struct{})}
	w := newWriter(jr, sp, testLog(t))
	stop := runWriter(w)
	done := make(chan struct{})
	go func() {
		for i := range 5000 {
			w.push(startWrite(fmt.Sprintf("c%d", i)))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("pushes blocked behind a hung journal")
	}
	if w.backlog() == 0 {
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
func TestWriterDropsWriteThatKeepsFailing(t *testing.T) {
	sp := openSpool(t, filepath.Join(t.TempDir(), "j.spool"))
	defer sp.Close()
	jr := &internalFailure{}
	w := newWriter(jr, sp, testLog(t))
	stop := runWriter(w)
	w.push(startWrite("bad"))
	w.push(startWrite("good"))
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

// internalFailure fails every StartCall of call "bad" with an unexpected error.
type internalFailure struct {
	markedJournal
	badTries int
}

func (j *internalFailure) Write(ctx context.Context, w Write) (Filed, error) {
	if w.StartCall != nil && w.StartCall.CallID == "bad" {
		j.badTries++
		return Filed{}, fmt.Errorf("sqlite: something unexpected")
	}
	return j.markedJournal.Write(ctx, w)
}
