package switchboard

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hotline-dev/hotline"
)

// writer runs journal jobs one at a time, in the order the loop queued them, on its own goroutine:
// the loop only appends to a slice under a mutex, so a slow disk never holds up a call. The queue
// is in memory; the journal makes each write durable once it returns. A job that keeps failing is
// logged with the call id and dropped after a few tries, so one bad row cannot stall every case
// behind it.
type writer struct {
	log    *slog.Logger
	mu     sync.Mutex
	cond   *sync.Cond
	q      []writeJob
	closed bool
}

// writeTries is how often a failing journal write is tried before it is logged and dropped.
const writeTries = 3

func newWriter(log *slog.Logger) *writer {
	w := &writer{log: log}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *writer) push(j writeJob) {
	w.mu.Lock()
	w.q = append(w.q, j)
	w.mu.Unlock()
	w.cond.Signal()
}

// close lets run return once the queue is empty.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cond.Signal()
}

func (w *writer) run(ctx context.Context) {
	for {
		w.mu.Lock()
		for len(w.q) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.q) == 0 {
			w.mu.Unlock()
			return
		}
		j := w.q[0]
		w.q[0] = writeJob{}
		w.q = w.q[1:]
		w.mu.Unlock()
		w.runJob(ctx, j)
	}
}

func (w *writer) runJob(ctx context.Context, j writeJob) {
	backoff := 200 * time.Millisecond
	for try := 1; ; try++ {
		jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := j.do(jctx)
		cancel()
		if err == nil {
			return
		}
		if !retryable(err) {
			// The journal refused the write itself (invalid, not found...): trying again cannot help.
			w.log.Error("journal write refused", "what", j.what, "call", j.call, "err", err)
			return
		}
		if try == writeTries {
			w.log.Error("journal write failed; dropped", "what", j.what, "call", j.call, "tries", try, "err", err)
			return
		}
		w.log.Warn("journal write failed; retrying", "what", j.what, "call", j.call, "try", try, "err", err)
		time.Sleep(backoff)
		backoff *= 2
	}
}

// retryable reports whether a failed journal write may succeed if tried again: the journal was
// unavailable or failed unexpectedly, rather than refusing the write itself.
func retryable(err error) bool {
	code := hotline.ErrorCode(err)
	return code == hotline.EUNAVAILABLE || code == hotline.EINTERNAL
}
