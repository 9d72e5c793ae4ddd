package outbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// loggedJournal is a batchJournal whose batches of spooled writes may leave their durability to
// the spool (LoggedBatcher). Sync records the generation of the spool file on disk when it is
// called: the barrier must run while the released records are still in that file.
type loggedJournal struct {
	batchJournal
	spoolPath string

	mu      sync.Mutex
	logged  int      // batches begun with BeginLogged
	synced  []string // the spool file's generation at each Sync
	syncErr error
}

func (j *loggedJournal) BeginLogged(ctx context.Context) (context.Context, Batch, error) {
	j.mu.Lock()
	j.logged++
	j.mu.Unlock()
	return j.batchJournal.Begin(ctx)
}

func (j *loggedJournal) Sync(context.Context) error {
	gen, err := fileGeneration(j.spoolPath)
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil {
		return err
	}
	j.synced = append(j.synced, gen)
	return j.syncErr
}

// fileGeneration reads the generation from a spool file's header ("hotline-spool 1\n" + 16 hex
// digits): the file on disk, not what the spool has in memory.
func fileGeneration(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	const magic = len("hotline-spool 1\n")
	if len(b) < magic+16 {
		return "", fmt.Errorf("spool file of %d bytes", len(b))
	}
	return string(b[magic : magic+16]), nil
}

// With a journal whose batches of spooled writes commit without their own fsync, the spool is
// the only durable copy until the journal's Sync: every spooled write goes in a logged batch
// (even one alone), and the spool file they are in is replaced (rotated) only after a Sync that
// ran while it was still on disk. Without the barrier (no Sync, or Sync after the rotation) this
// fails; with a Sync that fails the file is kept, and its records come back after a restart.
func TestOutboxLoggedBatchesSyncBeforeRotation(t *testing.T) {
	for _, syncFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("sync_fails=%v", syncFails), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j.spool")
			sp := openSpool(t, path) // RotateAt 0: rotated at every full release
			jr := &loggedJournal{spoolPath: path}
			if syncFails {
				jr.syncErr = fmt.Errorf("checkpoint blocked")
			}
			first := sp.Generation()
			o := New[testWrite, filed](jr, sp, testLog(t))
			stop := runOutbox(o)
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Add(1)
				j := startWrite(fmt.Sprintf("c%d", i))
				j.Then = func(filed, error) { wg.Done() }
				o.Push(j)
				wg.Wait() // one at a time: each write alone in its batch
			}
			stop(time.Minute)
			if jr.logged != 3 || jr.batches != 3 {
				t.Errorf("%d logged batches of %d begun; want each of the 3 spooled writes in a logged batch", jr.logged, jr.batches)
			}
			if want := []string{"c0", "c1", "c2"}; !slices.Equal(jr.applied, want) {
				t.Errorf("applied %q, want %q", jr.applied, want)
			}
			if len(jr.synced) == 0 {
				t.Fatal("the spool was released and never asked the journal to sync: a power loss could lose committed writes whose spool file is gone")
			}
			if jr.synced[0] != first {
				t.Errorf("first sync saw spool generation %s on disk, want %s (the file holding the writes): the file was replaced before the barrier", jr.synced[0], first)
			}
			gen := sp.Generation()
			pending := len(sp.Pending())
			sp.Close()
			if syncFails {
				if gen != first {
					t.Errorf("spool rotated to %s although the journal's sync failed", gen)
				}
				sp2 := openSpool(t, path)
				defer sp2.Close()
				if n := len(sp2.Pending()); n != 3 || sp2.Generation() != first {
					t.Errorf("after a restart %d records of generation %s; want the 3 writes of %s, kept until they are durable", n, sp2.Generation(), first)
				}
				return
			}
			if gen == first || pending != 0 {
				t.Errorf("spool generation %s (was %s), %d pending; want rotated once applied and synced", gen, first, pending)
			}
		})
	}
}

// The applier lingers after a spooled write for more to share its journal transaction, until
// lingerMax writes wait or a read is pushed (which must see them) — here the linger is an hour,
// so only the count and the read can end it.
func TestOutboxLingerGroupsWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	defer sp.Close()
	jr := &batchJournal{}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetLinger(time.Hour, 3)
	stop := runOutbox(o)
	defer stop(time.Minute)
	var wg sync.WaitGroup
	push := func(call string) {
		wg.Add(1)
		j := startWrite(call)
		j.Then = func(filed, error) { wg.Done() }
		o.Push(j)
	}
	for _, c := range []string{"c0", "c1", "c2"} { // three: lingerMax ends the wait
		push(c)
		time.Sleep(20 * time.Millisecond) // without the linger each would be alone
	}
	wg.Wait()
	push("c3") // one write and a read: the read ends the wait
	read := make(chan struct{})
	o.Push(testJob{What: "read", Read: func(context.Context) error { close(read); return nil }})
	<-read
	wg.Wait()
	jr.mu.Lock()
	defer jr.mu.Unlock()
	if want := []string{"c0", "c1", "c2", "c3"}; !slices.Equal(jr.applied, want) {
		t.Errorf("applied %q, want %q", jr.applied, want)
	}
	if jr.batches != 1 {
		t.Errorf("%d batches for c0..c2 pushed 20 ms apart, want 1 (c3 goes alone before the read)", jr.batches)
	}
}

// A prompt write (someone waits for its confirmation) ends the linger as a read does, taking the
// writes lingering before it into its transaction; a plain write behind it lingers again.
func TestOutboxLingerEndsAtPromptWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	defer sp.Close()
	jr := &batchJournal{}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetLinger(time.Hour, 100)
	stop := runOutbox(o)
	defer stop(time.Minute)
	o.Push(startWrite("c0"))
	time.Sleep(20 * time.Millisecond)
	confirmed := make(chan struct{})
	j := startWrite("c1")
	j.Prompt = true
	j.Then = func(filed, error) { close(confirmed) }
	o.Push(j)
	select {
	case <-confirmed:
	case <-time.After(10 * time.Second):
		t.Fatal("a prompt write not confirmed within 10 s of an hour's linger")
	}
	o.Push(startWrite("c2"))
	time.Sleep(50 * time.Millisecond)
	jr.mu.Lock()
	defer jr.mu.Unlock()
	if want := []string{"c0", "c1"}; !slices.Equal(jr.applied, want) {
		t.Errorf("applied %q, want %q (c2 lingers)", jr.applied, want)
	}
	if jr.batches != 1 {
		t.Errorf("%d batches for c0 and the prompt c1, want 1", jr.batches)
	}
}

// The linger never holds a write back from the spool: a kill -9 while the applier lingers must
// find it there on restart (session 9's first linger sat in the spooler, and a daemon killed
// 10 ms after ringing an operator lost the call's queued and rang writes).
func TestOutboxLingerSpoolsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.spool")
	sp := openSpool(t, path)
	jr := &batchJournal{}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetLinger(time.Hour, 100)
	stop := runOutbox(o)
	o.Push(startWrite("c0"))
	deadline := time.Now().Add(10 * time.Second)
	for o.Stats().SpoolAppends == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := o.Stats().SpoolAppends; n != 1 {
		t.Fatalf("%d spool appends while the applier lingers; want the write spooled at once", n)
	}
	jr.mu.Lock()
	applied := len(jr.applied)
	jr.mu.Unlock()
	if applied != 0 {
		t.Errorf("%d writes applied within an hour's linger with no read; want 0", applied)
	}
	// What a kill -9 now leaves: the spool file as it is on disk.
	if n := pendingOnDisk(t, path); n != 1 {
		t.Errorf("a restart during the linger finds %d writes in the spool, want 1", n)
	}
	read := make(chan struct{})
	o.Push(testJob{What: "read", Read: func(context.Context) error { close(read); return nil }})
	<-read
	stop(time.Minute)
	sp.Close()
	jr.mu.Lock()
	defer jr.mu.Unlock()
	if !slices.Equal(jr.applied, []string{"c0"}) {
		t.Errorf("applied %q, want [c0] once the read ended the linger", jr.applied)
	}
}
