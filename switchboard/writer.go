package switchboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/spool"
)

// Spool keeps the journal's writes on disk from the moment the loop asks for them until the journal
// has applied them (package spool: an append-only, checksummed, fsynced file beside the journal).
// *spool.Spool is one.
type Spool interface {
	// Generation names the current file; a write's Mark is (Generation, Seq).
	Generation() string
	// Pending returns, in order, the records an earlier run left in the file: those it never
	// released, and possibly some it did (the file is not rewritten at every release).
	Pending() []spool.Record
	// Append stores records durably (one fsync for all) and returns the first one's Seq.
	Append(data ...[]byte) (first uint64, err error)
	// Release says every record up to seq was applied.
	Release(seq uint64) error
}

// writeJob is one thing the loop asks of the journal: a change (w) or a read (read).
type writeJob struct {
	w *Write
	// then runs on the writer, once, when w is applied (nil) or refused or dropped (the error).
	// nil: nobody waits.
	then func(Filed, error)
	// deferred runs on the writer, before then, at most once: when w, spooled, first finds the
	// journal unavailable. The write is safe on disk and will be applied when the journal is back,
	// which may take long: who is waiting for a confirmation can have it now.
	deferred func()

	read    func(ctx context.Context) error
	what    string // a read's name, for logs
	call    string // the call a read is about, for logs
	release uint64 // a spool record to release once read has run (an unreadable record)
}

func (j writeJob) name() (what, call string) {
	if j.w != nil {
		return j.w.kind(), j.w.call()
	}
	return j.what, j.call
}

// writer takes the loop's journal jobs without ever making it wait, and runs them on two goroutines:
//
//	loop ──push──► in ──spooler: Append to the spool (one fsync per batch)──► ready ──applier──► Journal
//
// A write is durable once the spooler's fsync returns, long before SQLite may have it, and the
// spooler never waits on SQLite, so a slow or failing journal delays only the applier. The applier
// runs jobs one at a time in the loop's order; a spooled write that fails is tried again, with a
// capped backoff, until the journal takes it (or refuses it), then released from the spool. On
// start, the records an earlier run left in the spool are applied first, marked so that the
// journal skips those it had committed before the crash: each write is applied exactly once.
//
// Only an unavailable journal (locked, full, read-only, not answering) is waited for without end:
// a write that fails otherwise (an unexpected error) is tried writeTries times, then logged in
// full, so that someone can enter it by hand, and dropped, so that one bad row cannot stall every
// case behind it. Without a spool (tests, or a spool that fails to append) a write lives only in
// memory and is tried writeTries times whatever the failure.
type writer struct {
	log   *slog.Logger
	jr    Journal
	spool Spool // nil: none

	mu      sync.Mutex
	spoolIn *sync.Cond // in has jobs, or closed
	applyIn *sync.Cond // ready has jobs, or spooled
	in      []writeJob
	ready   []writeJob
	busy    bool // the applier holds a job
	closed  bool // no more pushes
	spooled bool // the spooler has handed over everything
	// quit ends when a shutdown's grace is over: retries stop, journal calls are cancelled.
	quit    context.Context
	quitNow context.CancelFunc
}

const (
	// writeTries is how often a write is tried before it is logged and dropped: any write that is
	// not spooled, and a spooled one whose failure is not the journal being unavailable.
	writeTries = 3
	// writeTimeout bounds one journal call.
	writeTimeout = 30 * time.Second
	// retryCap is the longest wait between tries of a spooled write.
	retryCap = 30 * time.Second
)

func newWriter(jr Journal, sp Spool, log *slog.Logger) *writer {
	w := &writer{log: log, jr: jr, spool: sp}
	w.quit, w.quitNow = context.WithCancel(context.Background())
	w.spoolIn = sync.NewCond(&w.mu)
	w.applyIn = sync.NewCond(&w.mu)
	return w
}

// recover queues what an earlier run left in the spool, ahead of anything this run asks.
func (w *writer) recover() {
	if w.spool == nil {
		return
	}
	gen := w.spool.Generation()
	recs := w.spool.Pending()
	for _, r := range recs {
		var wr Write
		if err := json.Unmarshal(r.Data, &wr); err != nil || wr.kind() == "" {
			// Only a spool written by another version could hold this. It keeps its place in the
			// order: released in turn, so the records before it stay in the spool until applied.
			data, seq := string(r.Data), r.Seq
			w.ready = append(w.ready, writeJob{what: "unreadable spool record", release: seq, read: func(context.Context) error {
				w.log.Error("journal write in the spool not understood; skipped", "seq", seq, "record", data, "err", err)
				return nil
			}})
			continue
		}
		wr.Mark = Mark{Spool: gen, Seq: r.Seq}
		w.ready = append(w.ready, writeJob{w: &wr})
	}
	if len(recs) > 0 {
		w.log.Info("journal writes in the spool from the previous run: applying them first (those the journal has are skipped)", "writes", len(recs), "spool", gen)
	}
}

func (w *writer) push(j writeJob) {
	w.mu.Lock()
	w.in = append(w.in, j)
	w.mu.Unlock()
	w.spoolIn.Signal()
}

// backlog is how many jobs wait (spooled or not), for metrics.
func (w *writer) backlog() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.in) + len(w.ready)
	if w.busy {
		n++
	}
	return n
}

// close ends pushing: the spooler hands over what it has and returns; the applier returns once
// ready is empty, or at once when grace ends (what is spooled stays for the next start).
func (w *writer) close(grace time.Duration) {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.spoolIn.Broadcast()
	time.AfterFunc(grace, w.quitNow)
}

// run runs both goroutines and returns when both have.
func (w *writer) run() {
	done := make(chan struct{})
	go func() { w.runSpooler(); close(done) }()
	w.runApplier()
	<-done
}

func (w *writer) runSpooler() {
	for {
		w.mu.Lock()
		for len(w.in) == 0 && !w.closed {
			w.spoolIn.Wait()
		}
		batch := w.in
		w.in = nil
		if len(batch) == 0 {
			w.spooled = true
			w.mu.Unlock()
			w.applyIn.Broadcast()
			return
		}
		w.mu.Unlock()

		w.append(batch)
		w.mu.Lock()
		w.ready = append(w.ready, batch...)
		w.mu.Unlock()
		w.applyIn.Signal()
	}
}

// append stores the batch's writes in the spool and marks them. A spool that fails leaves them
// unmarked: they still go to the journal, from memory, as they would without a spool.
func (w *writer) append(batch []writeJob) {
	if w.spool == nil {
		return
	}
	var data [][]byte
	var jobs []*writeJob
	for i := range batch {
		if batch[i].w == nil {
			continue
		}
		b, err := json.Marshal(batch[i].w)
		if err != nil {
			w.log.Error("journal write cannot be spooled", "what", batch[i].w.kind(), "err", err)
			continue
		}
		data = append(data, b)
		jobs = append(jobs, &batch[i])
	}
	if len(data) == 0 {
		return
	}
	first, err := w.spool.Append(data...)
	if err != nil {
		w.log.Error("journal writes not spooled: they wait in memory only, and a crash would lose them", "writes", len(data), "err", err)
		return
	}
	gen := w.spool.Generation()
	for i, j := range jobs {
		wr := *j.w
		wr.Mark = Mark{Spool: gen, Seq: first + uint64(i)}
		j.w = &wr
	}
}

func (w *writer) runApplier() {
	for {
		w.mu.Lock()
		for len(w.ready) == 0 && !w.spooled {
			w.applyIn.Wait()
		}
		if len(w.ready) == 0 {
			w.mu.Unlock()
			return
		}
		j := w.ready[0]
		w.ready[0] = writeJob{}
		w.ready = w.ready[1:]
		w.busy = true
		w.mu.Unlock()

		if !w.runJob(j) {
			w.leftInSpool(j)
			return
		}
		w.mu.Lock()
		w.busy = false
		w.mu.Unlock()
	}
}

// leftInSpool logs, at a shutdown cut short, what the next start will apply and what is lost.
func (w *writer) leftInSpool(current writeJob) {
	w.mu.Lock()
	defer w.mu.Unlock()
	spooled := 0
	for _, j := range append([]writeJob{current}, w.ready...) {
		switch {
		case j.w != nil && j.w.Mark.Seq != 0:
			spooled++
		case j.w != nil:
			w.log.Error("journal write lost at shutdown (the journal did not take it, the spool did not have it)",
				"what", j.w.kind(), "call", j.w.call(), "write", w.describe(j))
		}
	}
	// What is still in w.in, the spooler appends before it returns.
	w.log.Warn("stopped with journal writes waiting; the spool keeps them for the next start", "spooled", spooled, "being_spooled", len(w.in))
}

// runJob runs one job until it is done; false: quit came first (the job is left undone).
func (w *writer) runJob(j writeJob) bool {
	what, call := j.name()
	spooled := j.w != nil && j.w.Mark.Seq != 0
	deferred := j.deferred
	backoff := 200 * time.Millisecond
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(w.quit, writeTimeout)
		var cc Filed
		var err error
		if j.w != nil {
			cc, err = w.jr.Write(ctx, *j.w)
		} else {
			err = j.read(ctx)
		}
		cancel()
		if errors.Is(err, ErrAlreadyApplied) {
			w.log.Debug("journal write replayed from the spool was already applied", "what", what, "call", call, "seq", j.w.Mark.Seq)
			err = nil
		}
		switch {
		case err == nil:
		case !retryable(err):
			// The journal refused the write itself (invalid, not found...): trying again cannot help.
			w.log.Error("journal write refused", "what", what, "call", call, "write", w.describe(j), "err", err)
		case (spooled && unavailable(err)) || try < writeTries:
			w.log.Warn("journal write failed; retrying", "what", what, "call", call, "try", try, "in", backoff, "err", err)
			if spooled && unavailable(err) && deferred != nil {
				deferred()
				deferred = nil
			}
			select {
			case <-time.After(backoff):
			case <-w.quit.Done():
				return false
			}
			backoff = min(2*backoff, retryCap)
			continue
		default:
			w.log.Error("journal write failed; dropped", "what", what, "call", call, "tries", try, "write", w.describe(j), "err", err)
		}
		if j.then != nil {
			j.then(cc, err)
		}
		if err != nil && spooled {
			// Refused or dropped: its mark is claimed all the same, so that a replay after a crash
			// does not try it again and perhaps apply it, late, to a case that has moved on.
			ctx, cancel := context.WithTimeout(w.quit, writeTimeout)
			if _, err := w.jr.Write(ctx, Write{Mark: j.w.Mark}); err != nil && !errors.Is(err, ErrAlreadyApplied) {
				w.log.Warn("journal: the mark of a write not applied was not recorded", "seq", j.w.Mark.Seq, "err", err)
			}
			cancel()
		}
		seq := j.release
		if spooled {
			seq = j.w.Mark.Seq
		}
		if seq != 0 {
			if err := w.spool.Release(seq); err != nil {
				w.log.Error("spool release", "seq", seq, "err", err)
			}
		}
		return true
	}
}

// describe is a write in full, for a log line that must let someone redo it by hand.
func (w *writer) describe(j writeJob) string {
	if j.w == nil {
		return ""
	}
	b, err := json.Marshal(j.w)
	if err != nil {
		return fmt.Sprintf("%+v", *j.w)
	}
	return string(b)
}

// retryable reports whether a failed journal write may succeed if tried again: the journal was
// unavailable or failed unexpectedly, rather than refusing the write itself.
func retryable(err error) bool {
	code := hotline.ErrorCode(err)
	return code == hotline.EUNAVAILABLE || code == hotline.EINTERNAL
}

// unavailable reports whether the journal could not be reached at all (locked, full, read-only,
// not answering in time): a spooled write waits for it without end.
func unavailable(err error) bool {
	return hotline.ErrorCode(err) == hotline.EUNAVAILABLE || errors.Is(err, context.DeadlineExceeded)
}
