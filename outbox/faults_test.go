package outbox

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/outbox/spool"
)

// faultySpool is a *spool.Spool whose Write can be told to fail (fault injection: the real spool
// is not asked, as a Write failing before it reaches the file).
type faultySpool struct {
	*spool.Spool
	mu        sync.Mutex
	writes    int
	failWrite bool
}

func (s *faultySpool) Write(data ...[]byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.failWrite {
		return 0, errors.New("injected write error")
	}
	return s.Spool.Write(data...)
}

func (s *faultySpool) written() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// markJournal is a batchJournal that records the mark each write was applied with.
type markJournal struct {
	batchJournal
	mu    sync.Mutex
	marks map[string]Mark
}

func (j *markJournal) Apply(ctx context.Context, w testWrite, m Mark) (filed, error) {
	j.mu.Lock()
	if j.marks == nil {
		j.marks = map[string]Mark{}
	}
	j.marks[w.CallID] = m
	j.mu.Unlock()
	return j.batchJournal.Apply(ctx, w, m)
}

// A failed Write forgets, in the spool, every record written since the last Sync (WindowSpool's
// rule): the writes held in the window before it must go to the journal unmarked, from memory,
// not with a mark the spool no longer keeps (a later replay of a kept one would apply it twice).
func TestOutboxSyncWindowFailedWriteUnmarksHeld(t *testing.T) {
	sp := &faultySpool{Spool: openSpool(t, t.TempDir()+"/j.spool")}
	t.Cleanup(func() { sp.Close() })
	jr := &markJournal{}
	o := New[testWrite, filed](jr, sp, testLog(t))
	o.SetSyncWindow(time.Hour, 64)
	stop := runOutbox(o)
	defer stop(time.Minute)

	applied := make(chan string, 2)
	push := func(call string) {
		j := startWrite(call)
		j.Then = func(filed, error) { applied <- call }
		o.Push(j)
	}
	push("held")
	for deadline := time.Now().Add(10 * time.Second); sp.written() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first write was not written to the spool within 10 s")
		}
	}
	sp.mu.Lock()
	sp.failWrite = true
	sp.mu.Unlock()
	push("failed")
	for range 2 {
		select {
		case <-applied:
		case <-time.After(10 * time.Second):
			t.Fatal("the writes were not applied within 10 s of the failed Write")
		}
	}
	jr.mu.Lock()
	defer jr.mu.Unlock()
	for _, call := range []string{"held", "failed"} {
		if m := jr.marks[call]; m != (Mark{}) {
			t.Errorf("%s applied with mark %+v after a failed Write; want it unmarked (the spool forgot it)", call, m)
		}
	}
}
