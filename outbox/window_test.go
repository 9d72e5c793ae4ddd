package outbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/outbox/spool"
)

// watchedSpool is a *spool.Spool that records when its records became durable: the seq of the
// last record fsynced (by Sync, or by Append, which is a write and a sync), and when each fsync
// ran.
type watchedSpool struct {
	*spool.Spool
	mu     sync.Mutex
	synced uint64      // every seq <= synced is durable (this generation: the tests do not rotate)
	syncs  []time.Time // when each fsync returned
	asked  []time.Time // when each Sync was called (a shared disk's fsync may take a second)
	writes int         // Writes without the fsync
	wrote  []time.Time // when each Write returned
	// slow, if set, is how long the next Write takes; writing is closed when it starts.
	slow    time.Duration
	writing chan struct{}
	last    uint64 // seq of the last record written
}

func (s *watchedSpool) Append(data ...[]byte) (uint64, error) {
	first, err := s.Spool.Append(data...)
	if err == nil {
		s.mu.Lock()
		s.synced = first + uint64(len(data)) - 1
		s.syncs = append(s.syncs, time.Now())
		s.mu.Unlock()
	}
	return first, err
}

func (s *watchedSpool) Write(data ...[]byte) (uint64, error) {
	s.mu.Lock()
	slow := s.slow
	if slow > 0 {
		s.slow = 0
		close(s.writing)
	}
	s.mu.Unlock()
	time.Sleep(slow)
	first, err := s.Spool.Write(data...)
	s.mu.Lock()
	s.wrote = append(s.wrote, time.Now())
	s.writes++
	if err == nil {
		s.last = first + uint64(len(data)) - 1
	}
	s.mu.Unlock()
	return first, err
}

func (s *watchedSpool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Under the watcher's lock: nobody may read synced between the fsync and its record.
	s.asked = append(s.asked, time.Now())
	if err := s.Spool.Sync(); err != nil {
		return err
	}
	s.synced = s.last
	s.syncs = append(s.syncs, time.Now())
	return nil
}

func (s *watchedSpool) fsyncs() (n int, last uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.syncs), s.synced
}

// ackJournal is a batchJournal that checks, at every write it applies, that the write is already
// durable in the spool: the rule the sync window must keep.
type ackJournal struct {
	batchJournal
	sp *watchedSpool

	mu    sync.Mutex
	early []string // writes applied before their fsync
}

func (j *ackJournal) Apply(ctx context.Context, w testWrite, m Mark) (filed, error) {
	if _, synced := j.sp.fsyncs(); m.Seq == 0 || m.Seq > synced {
		j.mu.Lock()
		j.early = append(j.early, fmt.Sprintf("%s (seq %d, durable up to %d)", w.CallID, m.Seq, synced))
		j.mu.Unlock()
	}
	return j.batchJournal.Apply(ctx, w, m)
}

func watched(t *testing.T) (*watchedSpool, string) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := &watchedSpool{Spool: openSpool(t, path)}
	t.Cleanup(func() { sp.Close() })
	return sp, path
}

// pendingOnDisk is how many records a restart after a kill -9 now would find: the spool file as it
// is (a copy: the live one is locked), page cache included.
func pendingOnDisk(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.spool")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sp := openSpool(t, cp)
	defer sp.Close()
	return len(sp.Pending())
}

// A write nobody waits on is written to the spool file at once (a kill -9 finds it), fsynced once
// the window has passed, not before, and applied only after that fsync. Without the window it is
// fsynced at once.
func TestOutboxSyncWindowLoneWrite(t *testing.T) {
	const window = 400 * time.Millisecond
	sp, path := watched(t)
	jr := &ackJournal{sp: sp}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetSyncWindow(window, 64)
	stop := runOutbox(o)
	defer stop(time.Minute)

	applied := make(chan time.Time, 1)
	j := startWrite("c0")
	j.Then = func(filed, error) { applied <- time.Now() }
	pushed := time.Now()
	o.Push(j)
	time.Sleep(window / 4)
	fsyncs, _ := sp.fsyncs()
	onDisk := pendingOnDisk(t, path)
	early := len(applied) > 0
	if d := time.Since(pushed); d >= window*3/4 {
		// A machine too busy to look within the window: what it saw may be the window's end.
		t.Logf("looked %v after the push, too late to check the window's start", d)
	} else {
		if fsyncs != 0 {
			t.Errorf("%d fsyncs within a quarter of the window; want the lone write's fsync to wait for it", fsyncs)
		}
		if onDisk != 1 {
			t.Errorf("a kill -9 within the window finds %d writes in the spool file, want 1 (written at once)", onDisk)
		}
		if early {
			t.Error("the write was applied before the window ended, before its fsync")
		}
	}

	var done time.Time
	select {
	case done = <-applied:
	case <-time.After(10 * time.Second):
		t.Fatal("the write was not applied within 10 s of a 400 ms window")
	}
	n, _ := sp.fsyncs()
	if n != 1 {
		t.Fatalf("%d fsyncs, want 1", n)
	}
	sp.mu.Lock()
	synced := sp.syncs[0]
	sp.mu.Unlock()
	if d := synced.Sub(pushed); d < window*9/10 || d > window+2*time.Second {
		t.Errorf("the fsync came %v after the push, want at the end of the %v window", d, window)
	}
	if done.Before(synced) {
		t.Error("the write was confirmed before its fsync")
	}
	if len(jr.early) > 0 {
		t.Errorf("applied before their fsync: %q", jr.early)
	}
}

// Two lone writes, one after the other: each is fsynced when its own window ends (the timer is
// armed again for the second window, and no earlier timer ends it early), with nothing else pushed
// and no Close, and applied when its linger, counted from its write, not from its fsync, ends.
// The bounds leave a busy machine room: an fsync 0.9 to 2 windows after its write; an apply before
// the linger and half a window have passed (counted from the fsync, it would come a window later).
func TestOutboxSyncWindowTwoLoneWrites(t *testing.T) {
	const window, linger = 200 * time.Millisecond, 500 * time.Millisecond
	sp, _ := watched(t)
	jr := &ackJournal{sp: sp}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetSyncWindow(window, 64)
	o.SetLinger(linger, 64)
	stop := runOutbox(o)
	defer stop(time.Minute)

	for i := range 2 {
		applied := make(chan time.Time, 1)
		j := startWrite(fmt.Sprintf("c%d", i))
		j.Then = func(filed, error) { applied <- time.Now() }
		pushed := time.Now()
		o.Push(j)
		var done time.Time
		select {
		case done = <-applied:
		case <-time.After(10 * time.Second):
			t.Fatalf("write %d was not applied within 10 s of a %v window (was its window's timer armed?)", i+1, window)
		}
		sp.mu.Lock()
		syncs, asked := slices.Clone(sp.syncs), slices.Clone(sp.asked)
		sp.mu.Unlock()
		if len(syncs) != i+1 || len(asked) != i+1 {
			t.Fatalf("%d fsyncs (%d asked) after write %d, want %d", len(syncs), len(asked), i+1, i+1)
		}
		synced := syncs[i]
		if d := asked[i].Sub(pushed); d < window*9/10 || d > 2*window {
			t.Errorf("write %d: its fsync was asked %v after it, want at the end of its %v window", i+1, d, window)
		}
		if done.Before(synced) {
			t.Errorf("write %d was confirmed before its fsync", i+1)
		}
		// The fsync itself may be slow (a shared disk): the apply is due at the linger's end or
		// the fsync's, whichever comes later.
		due := pushed.Add(linger)
		if synced.After(due) {
			due = synced
		}
		if late := done.Sub(due); late > window/2 {
			t.Errorf("write %d was applied %v after it, %v after its fsync; want about the %v linger counted from the write",
				i+1, done.Sub(pushed), done.Sub(synced), linger)
		}
	}
	if len(jr.early) > 0 {
		t.Errorf("applied before their fsync: %q", jr.early)
	}
}

// A window ended early (a prompt write) just before its timer fires, which it does while the
// spooler hands over: the write pushed meanwhile gets a window of its own, not the late timer's end.
func TestOutboxSyncWindowLateTimer(t *testing.T) {
	const window = 200 * time.Millisecond
	sp, _ := watched(t)
	jr := &ackJournal{sp: sp}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetSyncWindow(window, 64)
	stop := runOutbox(o)
	defer stop(time.Minute)

	applied := make(chan struct{}, 3)
	push := func(call string, prompt bool) {
		j := startWrite(call)
		j.Prompt = prompt
		j.Then = func(filed, error) { applied <- struct{}{} }
		o.Push(j)
	}
	push("c0", false)
	time.Sleep(window * 9 / 10)
	sp.mu.Lock()
	sp.slow, sp.writing = window*3/10, make(chan struct{}) // the timer fires during this Write
	writing := sp.writing
	sp.mu.Unlock()
	push("c1", true)
	<-writing
	push("c2", false)
	for range 3 {
		select {
		case <-applied:
		case <-time.After(10 * time.Second):
			t.Fatal("the writes were not applied within 10 s")
		}
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.wrote) != 3 || len(sp.asked) != 2 {
		t.Fatalf("%d Writes and %d Syncs, want 3 (c0, c1, c2) and 2 (c0 with c1, c2)", len(sp.wrote), len(sp.asked))
	}
	if d := sp.asked[1].Sub(sp.wrote[2]); d < window*9/10 {
		t.Errorf("c2 was fsynced %v after its Write, want its own %v window", d, window)
	}
}

// What someone waits on is fsynced at once, taking the writes held before it into the same fsync:
// a prompt write, a read (which must see them), and Close. The window is an hour here, so only
// these can end it.
func TestOutboxSyncWindowEndsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(o *Outbox[testWrite, filed], done func())
	}{
		{"prompt write", func(o *Outbox[testWrite, filed], done func()) {
			j := startWrite("c1")
			j.Prompt = true
			j.Then = func(filed, error) { done() }
			o.Push(j)
		}},
		{"read", func(o *Outbox[testWrite, filed], done func()) {
			o.Push(testJob{What: "read", Read: func(context.Context) error { done(); return nil }})
		}},
		{"close", func(o *Outbox[testWrite, filed], done func()) {
			o.Close(time.Minute)
			done()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, _ := watched(t)
			jr := &ackJournal{sp: sp}
			o := New[testWrite, filed](jr, sp, testLog(t))
			o.SetSyncWindow(time.Hour, 64)
			o.SetLinger(time.Hour, 64)
			ran := make(chan struct{})
			go func() { o.Run(); close(ran) }()
			defer func() { o.Close(time.Minute); <-ran }()

			o.Push(startWrite("c0"))
			time.Sleep(20 * time.Millisecond) // c0 is held, alone
			ended := make(chan struct{})
			tc.end(o, func() { close(ended) })
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("not done within 10 s of an hour's window")
			}
			if tc.name == "close" {
				select {
				case <-ran:
				case <-time.After(10 * time.Second):
					t.Fatal("Run did not return within 10 s of Close")
				}
			}
			jr.batchJournal.mu.Lock()
			applied := slices.Clone(jr.applied)
			jr.batchJournal.mu.Unlock()
			if !slices.Contains(applied, "c0") {
				t.Errorf("applied %q; want c0, held before, applied with it", applied)
			}
			if n, _ := sp.fsyncs(); n != 1 {
				t.Errorf("%d fsyncs, want 1: the held write and what ends the window share it", n)
			}
			if len(jr.early) > 0 {
				t.Errorf("applied before their fsync: %q", jr.early)
			}
		})
	}
}

// Writes pushed by several callers at random moments, some prompt, with reads among them: every
// write the journal applies is already durable in the spool, and the writes share fsyncs.
func TestOutboxSyncWindowNeverAppliesBeforeFsync(t *testing.T) {
	sp, _ := watched(t)
	jr := &ackJournal{sp: sp}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetSyncWindow(15*time.Millisecond, 8)
	o.SetLinger(20*time.Millisecond, 16)
	stop := runOutbox(o)

	const callers, writes = 8, 40
	var wg sync.WaitGroup
	var early []string
	var mu sync.Mutex
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				j := startWrite(fmt.Sprintf("c%d-%d", c, i))
				j.Prompt = rand.IntN(10) == 0
				j.Then = func(filed, error) {
					// Then is the acknowledgement: the write's record must be durable by now.
					if _, synced := sp.fsyncs(); synced == 0 {
						mu.Lock()
						early = append(early, j.Write.CallID)
						mu.Unlock()
					}
				}
				o.Push(j)
				if rand.IntN(8) == 0 {
					o.Push(testJob{What: "read", Read: func(context.Context) error { return nil }})
				}
				time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	stop(time.Minute)
	jr.batchJournal.mu.Lock()
	applied := len(jr.applied)
	jr.batchJournal.mu.Unlock()
	if applied != callers*writes {
		t.Errorf("%d writes applied, want %d", applied, callers*writes)
	}
	if len(jr.early) > 0 || len(early) > 0 {
		t.Errorf("applied before their fsync: %q; confirmed before any fsync: %q", jr.early, early)
	}
	n, _ := sp.fsyncs()
	if n >= callers*writes {
		t.Errorf("%d fsyncs for %d writes; want them shared", n, callers*writes)
	}
	t.Logf("%d writes, %d fsyncs, %d writes without fsync", callers*writes, n, sp.writes)
	if len(sp.Pending()) != 0 {
		t.Errorf("%d records left in the spool, want every one released", len(sp.Pending()))
	}
}

// gateJournal is a batchJournal whose Apply of a gated call says it started and waits for its gate.
type gateJournal struct {
	batchJournal
	entered map[string]chan struct{}
	gate    map[string]chan struct{}
}

func (j *gateJournal) Apply(ctx context.Context, w testWrite, m Mark) (filed, error) {
	if c, ok := j.entered[w.CallID]; ok {
		close(c)
		<-j.gate[w.CallID]
	}
	return j.batchJournal.Apply(ctx, w, m)
}

// A read's Push kicks the applier, but a batch begun while the spooler still has the read may take
// that kick; the applier then lingers on the writes handed over before the read, and the read's own
// hand-over must end the linger (an hour here), as a prompt write's does.
func TestOutboxReadEndsLingerWhenReady(t *testing.T) {
	sp, _ := watched(t)
	jr := &gateJournal{
		entered: map[string]chan struct{}{"w0": make(chan struct{}), "wa": make(chan struct{})},
		gate:    map[string]chan struct{}{"w0": make(chan struct{}), "wa": make(chan struct{})},
	}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetSyncWindow(time.Hour, 1) // every write fsynced as written: handed over one by one
	o.SetLinger(time.Hour, 64)
	stop := runOutbox(o)
	defer stop(time.Minute)
	defer func() {
		for _, g := range jr.gate {
			select {
			case <-g:
			default:
				close(g)
			}
		}
	}()
	wait := func(c chan struct{}, what string) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not within 10 s", what)
		}
	}
	push := func(call string, prompt bool) {
		j := startWrite(call)
		j.Prompt = prompt
		o.Push(j)
	}
	push("w0", true)
	wait(jr.entered["w0"], "w0 applied")
	push("wa", true) // ready, behind w0
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if n, _ := sp.fsyncs(); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("wa not fsynced within 10 s")
		}
	}
	sp.mu.Lock()
	sp.slow, sp.writing = 300*time.Millisecond, make(chan struct{})
	writing := sp.writing
	sp.mu.Unlock()
	push("wk", false) // written slowly
	wait(writing, "wk's Write")
	sp.mu.Lock()
	sp.slow, sp.writing = 300*time.Millisecond, make(chan struct{})
	writing = sp.writing
	sp.mu.Unlock()
	push("wk2", false)
	read := make(chan struct{})
	o.Push(testJob{What: "read", Read: func(context.Context) error { close(read); return nil }})
	close(jr.gate["w0"]) // the applier takes wa, and with it the read's kick
	wait(jr.entered["wa"], "wa applied")
	wait(writing, "wk2's Write") // wk is ready; the spooler has wk2 and the read
	close(jr.gate["wa"])         // the applier lingers on wk
	wait(read, "the read run (lingering an hour?)")
}

// A write held in the sync window is in the backlog (metrics, the stop's log): it waits for the
// journal as much as one in the queue.
func TestOutboxSyncWindowBacklogCountsHeld(t *testing.T) {
	sp, _ := watched(t)
	o := New[testWrite, filed](&batchJournal{}, sp, testLog(t))
	o.SetSyncWindow(time.Hour, 0) // max 0: no limit, only the hour (or Close) ends the window
	stop := runOutbox(o)
	defer stop(time.Minute)
	o.Push(startWrite("c0"))
	o.Push(startWrite("c1"))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		sp.mu.Lock()
		written := sp.last
		sp.mu.Unlock()
		if written == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writes were not written to the spool within 10 s")
		}
	}
	if n, _ := sp.fsyncs(); n != 0 {
		t.Errorf("%d fsyncs with an hour's window and no limit, want 0", n)
	}
	if n := o.Backlog(); n != 2 {
		t.Errorf("Backlog %d with two writes held in the window, want 2", n)
	}
}
