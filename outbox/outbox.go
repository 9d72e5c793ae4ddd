// Package outbox makes the call flow's journal writes durable and applies them to the journal
// exactly once. The switchboard decides what to write and hands each write to an Outbox with Push,
// which never waits; the outbox appends it to the write-ahead spool (package outbox/spool: one
// fsync per batch) before SQLite sees it, then applies the writes one at a time, in the order
// pushed, retrying while the journal is unavailable, and reports each result back (Job.Then).
// Every spooled write carries its Mark (the spool's generation and sequence number); the journal
// records the mark in the same transaction as the write (journal.WithWriteMark), so the writes an
// earlier run left in the spool, replayed first by New after a kill -9, are skipped if they were
// committed: a crash loses nothing that was fsynced, and nothing is applied twice. Reads that must
// see every write asked before them (Job.Read) travel the same queue.
//
// With a journal whose batches can leave their durability to the spool (LoggedBatcher: SQLite at
// synchronous=NORMAL), the spooled writes are committed without the journal's own fsync, and the
// spool calls the journal's Sync before it drops a file (SpoolWithBarrier): a write is always on
// disk in the spool, in the journal, or both. The applier can linger (SetLinger) so that the
// writes of a fraction of a second share one transaction (a read or a prompt write ends it). The
// spooler writes each write to the spool file as soon as it is pushed, so a kill -9 loses nothing
// pushed before it was written; with a sync window (SetSyncWindow) the fsync of a write nobody
// waits on may wait a few tens of milliseconds for others to share it, and the write goes to the
// applier (is applied, confirmed, released) only after that fsync.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/outbox/spool"
)

// Mark is a write's place in the write-ahead spool: the spool file's generation and its sequence
// number there. The zero Mark: the write is not spooled.
type Mark struct {
	Spool string
	Seq   uint64
}

// ErrAlreadyApplied is a Journal's answer to a write replayed from the spool that it had already
// applied: nothing was written, nothing is lost.
var ErrAlreadyApplied = errors.New("journal write already applied")

// Spool keeps the writes on disk from the moment they are pushed until the journal has applied
// them (package spool: an append-only, checksummed, fsynced file beside the journal). *spool.Spool
// is one.
type Spool interface {
	// Generation names the current file; a write's Mark is (Generation, Seq).
	Generation() string
	// Pending returns, in order, the records an earlier run left in the file: those it never
	// released, and possibly some it did (the file is not rewritten at every release).
	Pending() []spool.Record
	// Append stores records durably (one fsync for all) and returns the first one's Seq.
	Append(data ...[]byte) (first uint64, err error)
	// Release says every record up to seq was applied; ctx bounds what it may wait for (the
	// barrier of a SpoolWithBarrier).
	Release(ctx context.Context, seq uint64) error
}

// Entry is a write as the outbox carries it: a value that survives a round trip through JSON (it
// waits in the spool in that form), and names itself for logs.
type Entry interface {
	// Kind names the change, for logs; "" says the value holds none (a spool record this version
	// does not understand).
	Kind() string
	// Call is the call the write is about, for logs; "" if none.
	Call() string
}

// Journal is where entries are applied.
type Journal[E Entry, R any] interface {
	// Apply applies e in one transaction; with a non-zero m it records m in the same transaction,
	// and returns ErrAlreadyApplied (wrapped or not) without writing when m, or a later mark of the
	// same spool, was recorded before.
	Apply(ctx context.Context, e E, m Mark) (R, error)
	// Claim records m alone (ErrAlreadyApplied as Apply): the write of m was refused or dropped,
	// so a replay after a crash must skip it too.
	Claim(ctx context.Context, m Mark) error
}

// Batch is a journal transaction that several writes join (group commit).
type Batch interface {
	// Commit makes every write applied in the batch durable at once; on error none is.
	Commit() error
	// Rollback drops every write applied in the batch; after Commit it does nothing.
	Rollback() error
}

// Batcher is a Journal that can apply several writes in one transaction. Apply called with the
// ctx Begin returns joins the batch; a write that fails may spoil the batch (the outbox then rolls
// it back and begins it again without the refused write, whose mark it claims in the batch
// instead), except one skipped with ErrAlreadyApplied, which must have written nothing.
// journal.Store's batches run their writes without a savepoint each for this
// (journal.Batch.AllOrNothing).
type Batcher interface {
	Begin(ctx context.Context) (context.Context, Batch, error)
}

// A LoggedBatcher is a Batcher that can leave the durability of a batch of spooled writes to the
// spool: a batch begun with BeginLogged may commit without reaching the disk (journal.Store's
// logged batches: SQLite at synchronous=NORMAL, no WAL fsync), and Sync makes every write
// committed so far durable. The outbox then uses them for the writes that are in the spool, and
// has the spool call Sync before it drops a file (SpoolWithBarrier): a spooled write is always on
// disk in the spool, in the journal, or both.
type LoggedBatcher interface {
	Batcher
	BeginLogged(ctx context.Context) (context.Context, Batch, error)
	Sync(ctx context.Context) error
}

// A WindowSpool is a Spool that can write records before it makes them durable (*spool.Spool):
// the sync window (SetSyncWindow) writes each batch at once and fsyncs several together.
type WindowSpool interface {
	Spool
	// Write writes records to the file without the fsync (a kill -9 of the process cannot lose
	// them, a power loss can) and returns the first one's Seq. On error the spool forgets every
	// record written since the last Sync that returned nil, not only this Write's: none of their
	// writes is spooled.
	Write(data ...[]byte) (first uint64, err error)
	// Sync makes every record written so far durable (one fsync). On error those records are
	// forgotten, as a failed Append's: their writes are not spooled. Only a Sync that returns nil
	// makes records durable: after a failure, a later one never covers those written before it.
	Sync() error
}

// SpoolWithBarrier is a Spool that asks, before it drops records released (a rotation), whether
// they are durable where they were applied (*spool.Spool's SetDurable).
type SpoolWithBarrier interface {
	Spool
	SetDurable(func(ctx context.Context) error)
}

// syncTimeout bounds the durability barrier (LoggedBatcher.Sync) a rotation of the spool waits for.
const syncTimeout = 30 * time.Second

// maxBatch bounds the writes one journal transaction applies: a batch holds the single writer
// connection, and its writes are confirmed (Then) only when it commits.
const maxBatch = 1000

// maxBatchTime bounds how long one batch applies before it commits and the rest go in the next:
// the writer's transaction holds the journal's write lock, which a standby's lease renewal waits
// behind (docs/scaling.md: a batch must stay well inside the lease's time to live).
const maxBatchTime = 250 * time.Millisecond

// maxRefusals bounds the attempts of one batch that refused writes begin again (runBatch).
const maxRefusals = 4

// Job is one thing asked of the journal: a write (Write) or a read (Read), run in the order pushed.
type Job[E Entry, R any] struct {
	// Write is the change to apply; nil for a read.
	Write *E
	// Then runs on the outbox's goroutine, once, when Write is applied (nil) or refused or dropped
	// (the error). nil: nobody waits.
	Then func(R, error)
	// Deferred runs on the outbox's goroutine, before Then, at most once: when Write, spooled,
	// first finds the journal unavailable. The write is safe on disk and will be applied when the
	// journal is back, which may take long: who is waiting for a confirmation can have it now.
	Deferred func()
	// Prompt says someone waits for Then now (an operator for a feature code's tone, the call flow
	// for a caller already queued): the write ends the applier's linger, as a read does, instead of
	// waiting for others to share its transaction.
	Prompt bool

	// Read runs in order with the writes, so it sees every write pushed before it; an error it
	// returns is retried as a write's without a spool.
	Read func(ctx context.Context) error
	What string // a read's name, for logs
	Call string // the call a read is about, for logs

	mark    Mark      // where Write waits in the spool; zero: not spooled
	release uint64    // a spool record to release once Read has run (an unreadable record)
	written time.Time // when the sync window's spooler wrote it to the spool file; zero: not so
}

func (j Job[E, R]) name() (what, call string) {
	if j.Write != nil {
		return (*j.Write).Kind(), (*j.Write).Call()
	}
	return j.What, j.Call
}

// Outbox takes jobs without ever making the pusher wait, and runs them on two goroutines:
//
//	Push ──► in ──spooler: Append to the spool (one fsync per batch)──► ready ──applier──► Journal
//
// (with a sync window, the spooler writes each batch at once and fsyncs the batches of a few tens
// of milliseconds together before it hands them on: SetSyncWindow).
// A write is durable once the spooler's fsync returns, long before SQLite may have it, and the
// spooler never waits on SQLite, so a slow or failing journal delays only the applier. The applier
// runs jobs in the order pushed. With a Journal that is a Batcher it applies the writes waiting
// (up to maxBatch, up to the next read) in one transaction (group commit: one commit and one
// fsync for all), confirms each (Then) once it has committed, and releases them from the spool;
// a write the journal refuses is left out and its batch-mates stand (the batch is begun again
// without it, its mark claimed in its place, its refusal answered after the commit). A batch that
// fails otherwise (the journal unavailable, an unexpected error, the commit) is rolled back whole and
// its writes run one at a time as below, so they keep their retries. One at a time: a spooled
// write that fails is tried again, with a capped backoff, until the journal takes it (or refuses
// it), then released from the spool.
//
// Only an unavailable journal (locked, full, read-only, not answering) is waited for without end:
// a write that fails otherwise (an unexpected error) is tried writeTries (3) times, then logged in
// full, so that someone can enter it by hand, and dropped, so that one bad row cannot stall every
// write behind it. Without a spool (tests, or a spool that fails to append) a write lives only in
// memory and is tried writeTries times whatever the failure.
type Outbox[E Entry, R any] struct {
	log   *slog.Logger
	jr    Journal[E, R]
	spool Spool // nil: none
	// logged is jr when its batches of spooled writes may leave durability to the spool (the spool
	// then calls its Sync before a rotation); nil otherwise.
	logged LoggedBatcher
	// linger is how long the applier waits, after a spooled write is ready, for more to share its
	// journal transaction (SetLinger); 0: none.
	linger    time.Duration
	lingerMax int
	kick      chan struct{} // ends a linger: a read waits, enough writes wait, or Close
	// window is how long a spooled write nobody waits on may wait for its fsync (SetSyncWindow);
	// 0: none, each batch is fsynced as it is written.
	window    time.Duration
	windowMax int

	appends, txns, writes atomic.Uint64 // Stats

	mu      sync.Mutex
	spoolIn *sync.Cond // in has jobs, or closed
	applyIn *sync.Cond // ready has jobs, or spooled
	in      []Job[E, R]
	ready   []Job[E, R]
	held    int // jobs the applier holds (a batch, or one)
	// spooling counts the jobs the spooler took from in and has not handed over yet (a batch being
	// appended, or the sync window's held ones), for Backlog and the stop's log.
	spooling int
	closed   bool // no more pushes
	spooled  bool // the spooler has handed over everything
	syncDue  bool // the sync window's timer fired
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

// New returns an outbox applying to jr, spooling to sp (nil: writes wait in memory only). What an
// earlier run left in sp is queued first, ahead of anything pushed: Run applies it before the rest.
// A nil log discards.
func New[E Entry, R any](jr Journal[E, R], sp Spool, log *slog.Logger) *Outbox[E, R] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := &Outbox[E, R]{log: log, jr: jr, spool: sp, kick: make(chan struct{}, 1)}
	o.quit, o.quitNow = context.WithCancel(context.Background())
	o.spoolIn = sync.NewCond(&o.mu)
	o.applyIn = sync.NewCond(&o.mu)
	if lb, ok := jr.(LoggedBatcher); ok {
		if bs, ok := sp.(SpoolWithBarrier); ok {
			// The spool is the only durable copy of a logged batch's writes until Sync: it must not
			// drop them (rotate) before.
			bs.SetDurable(func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, syncTimeout)
				defer cancel()
				return lb.Sync(ctx)
			})
			o.logged = lb
		}
	}
	o.recover()
	return o
}

// SetLinger has the applier, once a spooled write is ready, wait up to d (or until max writes
// wait, or a read, which must see them, or Close) before it applies what waits: at a hotline's
// rate the writes of concurrent calls come a few a second, each alone, and lingering lets several
// share one journal transaction. The spooler does not wait: each write is in the spool (fsynced)
// as soon as it would be without a linger (a kill -9 in the linger loses nothing; the restart
// applies it from the spool). Each write is confirmed up to d later. Call it before Run. d <= 0:
// no linger.
func (o *Outbox[E, R]) SetLinger(d time.Duration, max int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.linger, o.lingerMax = d, max
}

// SetSyncWindow has the spooler write each write to the spool file as soon as it is pushed (one
// write(2) per batch, as always) but fsync it up to d later, so that the writes of concurrent calls
// share one fsync. The fsync is at once for a batch with a prompt write (Job.Prompt) or a read
// (both are waited for), once max writes wait, and at Close. Nothing reaches the applier before its
// fsync: a write is applied, confirmed (Then, Deferred) and released from the spool only once it
// is durable there, as without the window. A kill -9 of the process loses nothing written (the
// kernel keeps the page cache; the restart replays it from the file, which Open fsyncs); a power
// loss can lose what waited for its fsync, which nothing had acknowledged. Only with a spool that
// is a WindowSpool; call it before Run. d <= 0: none. max <= 0: no limit (only d ends a window).
func (o *Outbox[E, R]) SetSyncWindow(d time.Duration, max int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.window, o.windowMax = d, max
}

// recover queues what an earlier run left in the spool.
func (o *Outbox[E, R]) recover() {
	if o.spool == nil {
		return
	}
	gen := o.spool.Generation()
	recs := o.spool.Pending()
	for _, r := range recs {
		var e E
		if err := json.Unmarshal(r.Data, &e); err != nil || e.Kind() == "" {
			// Only a spool written by another version could hold this. It keeps its place in the
			// order: released in turn, so the records before it stay in the spool until applied.
			data, seq := string(r.Data), r.Seq
			o.ready = append(o.ready, Job[E, R]{What: "unreadable spool record", release: seq, Read: func(context.Context) error {
				o.log.Error("journal write in the spool not understood; skipped", "seq", seq, "record", data, "err", err)
				return nil
			}})
			continue
		}
		o.ready = append(o.ready, Job[E, R]{Write: &e, mark: Mark{Spool: gen, Seq: r.Seq}})
	}
	if len(recs) > 0 {
		o.log.Info("journal writes in the spool from the previous run: applying them first (those the journal has are skipped)", "writes", len(recs), "spool", gen)
	}
}

// Push queues j behind every job pushed before it. It never waits for the disk or the journal.
func (o *Outbox[E, R]) Push(j Job[E, R]) {
	o.mu.Lock()
	o.in = append(o.in, j)
	kick := o.linger > 0 && (j.Write == nil || len(o.in) >= o.lingerMax)
	o.mu.Unlock()
	o.spoolIn.Signal()
	if kick {
		o.wake()
	}
}

// wake ends the spooler's linger, if it lingers.
func (o *Outbox[E, R]) wake() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Stats counts what the outbox did since New, for metrics: spool appends (each one successful fsync
// of the spool, for every write written since the one before: group commit and the sync window;
// not the spool's own fsyncs at Open, a rotation or Close), journal
// transactions it ran to the end (a batch, or a write alone) and writes done
// (applied, refused or dropped).
type Stats struct {
	SpoolAppends, Transactions, Writes uint64
}

// Stats is safe to call at any time.
func (o *Outbox[E, R]) Stats() Stats {
	return Stats{SpoolAppends: o.appends.Load(), Transactions: o.txns.Load(), Writes: o.writes.Load()}
}

// Backlog is how many jobs wait (spooled or not), for metrics; safe to call at any time.
func (o *Outbox[E, R]) Backlog() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(o.in) + o.spooling + len(o.ready)
	return n + o.held
}

// Close ends pushing: the spooler hands over what it has and returns; Run returns once every job
// has run, or at once when grace ends (what is spooled stays for the next start). Push after Close
// is a mistake: the job may never run.
func (o *Outbox[E, R]) Close(grace time.Duration) {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.spoolIn.Broadcast()
	o.wake()
	time.AfterFunc(grace, o.quitNow)
}

// Run runs the spooler and the applier and returns when both have, after Close.
func (o *Outbox[E, R]) Run() {
	done := make(chan struct{})
	go func() { o.runSpooler(); close(done) }()
	o.runApplier()
	<-done
}

func (o *Outbox[E, R]) runSpooler() {
	o.mu.Lock()
	window, max := o.window, o.windowMax
	o.mu.Unlock()
	if ws, ok := o.spool.(WindowSpool); ok && window > 0 {
		if max <= 0 {
			max = math.MaxInt
		}
		o.runWindowed(ws, window, max)
		return
	}
	for {
		o.mu.Lock()
		for len(o.in) == 0 && !o.closed {
			o.spoolIn.Wait()
		}
		batch := o.in
		o.in = nil
		o.spooling = len(batch)
		if len(batch) == 0 {
			o.spooled = true
			o.mu.Unlock()
			o.applyIn.Broadcast()
			return
		}
		o.mu.Unlock()

		o.append(batch)
		o.handOver(batch)
	}
}

// handOver gives the applier jobs the spooler is done with (spooled, or failed to be).
func (o *Outbox[E, R]) handOver(jobs []Job[E, R]) {
	o.mu.Lock()
	o.ready = append(o.ready, jobs...)
	o.spooling = 0
	// A prompt write ends the linger once it is ready (spooled), not when pushed: it then joins
	// the transaction of the writes lingering before it. A read ends it again when ready: the
	// kick of its Push may have been taken by a batch begun while the read was being spooled.
	kick := o.linger > 0 && (len(o.ready) >= o.lingerMax || waitedFor(jobs))
	o.mu.Unlock()
	o.applyIn.Signal()
	if kick {
		o.wake()
	}
}

// runWindowed is the spooler with a sync window: each batch is written to the spool at once and
// held; the writes held go to the applier after one fsync for all, when the first has waited
// window, or at once when someone waits (a prompt write, a read), max writes wait, the spool
// failed a write, or Close.
func (o *Outbox[E, R]) runWindowed(ws WindowSpool, window time.Duration, max int) {
	var held []Job[E, R] // written to the spool file, not yet fsynced: not the applier's yet
	writes := 0          // the spooled writes among held
	var deadline time.Time
	timer := time.AfterFunc(window, func() {
		o.mu.Lock()
		o.syncDue = true
		o.mu.Unlock()
		o.spoolIn.Signal()
	})
	timer.Stop()
	defer timer.Stop()
	for {
		o.mu.Lock()
		for len(o.in) == 0 && !o.closed && !o.syncDue {
			o.spoolIn.Wait()
		}
		batch := o.in
		o.in = nil
		o.spooling += len(batch) // with held
		closed := o.closed
		// A timer stopped too late may have fired for an earlier deadline: only the current one counts.
		due := o.syncDue && !deadline.IsZero() && !time.Now().Before(deadline)
		o.syncDue = false
		o.mu.Unlock()
		if len(batch) == 0 && len(held) == 0 {
			if !closed {
				continue
			}
			o.mu.Lock()
			o.spooled = true
			o.mu.Unlock()
			o.applyIn.Broadcast()
			return
		}

		n, ok := o.write(ws, batch)
		if !ok {
			// A failed Write forgets every record written since the last Sync (WindowSpool): the
			// writes held go to the journal from memory too.
			o.unspooled(held, nil)
			writes = 0
		}
		if writes == 0 && n > 0 {
			deadline = time.Now().Add(window)
			timer.Reset(window)
		}
		held = append(held, batch...)
		writes += n
		if writes > 0 && ok && !closed && !due && writes < max && !waitedFor(batch) {
			continue // the fsync waits for others to share it
		}
		timer.Stop()
		if writes > 0 {
			o.sync(ws, held)
		}
		o.handOver(held)
		clear(held)
		held, writes, deadline = held[:0], 0, time.Time{}
	}
}

// waitedFor reports whether someone waits on one of jobs: a prompt write or a read.
func waitedFor[E Entry, R any](jobs []Job[E, R]) bool {
	for _, j := range jobs {
		if j.Write == nil || j.Prompt {
			return true
		}
	}
	return false
}

// write writes the batch's writes to the spool file (no fsync) and marks them; it returns how many
// it wrote. ok false: the spool failed them, and they stay unmarked (they go to the journal from
// memory, as with a failed Append).
func (o *Outbox[E, R]) write(ws WindowSpool, batch []Job[E, R]) (n int, ok bool) {
	data, jobs := o.encode(batch)
	if len(data) == 0 {
		return 0, true
	}
	first, err := ws.Write(data...)
	if err != nil {
		o.log.Error("journal writes not spooled: they wait in memory only, and a crash would lose them", "writes", len(data), "err", err)
		return 0, false
	}
	gen, now := ws.Generation(), time.Now()
	for i, j := range jobs {
		j.mark = Mark{Spool: gen, Seq: first + uint64(i)}
		j.written = now
	}
	return len(data), true
}

// sync makes the writes held durable in the spool; if it fails, the spool has forgotten them and
// they go to the journal from memory, unmarked.
func (o *Outbox[E, R]) sync(ws WindowSpool, held []Job[E, R]) {
	if err := ws.Sync(); err != nil {
		o.unspooled(held, err)
		return
	}
	o.appends.Add(1)
}

// unspooled clears the marks of the jobs held, which the spool has forgotten (a failed Write or
// Sync): they go to the journal from memory. err, if not nil, is logged with how many they were.
func (o *Outbox[E, R]) unspooled(held []Job[E, R], err error) {
	spooled := 0
	for i := range held {
		if held[i].mark.Seq != 0 {
			held[i].mark = Mark{}
			spooled++
		}
	}
	if spooled > 0 || err != nil {
		o.log.Error("journal writes not spooled: they wait in memory only, and a crash would lose them", "writes", spooled, "err", err)
	}
}

// lingers reports whether the applier should wait for more writes before applying o.ready: only
// spooled writes wait (a write the spool failed to keep is applied at once), fewer than
// lingerMax, no prompt write among them, no read pushed behind them (a prompt write pushed ends
// the linger once spooled), and no Close. o.mu is held.
func (o *Outbox[E, R]) lingers() bool {
	if o.closed || o.spooled || len(o.ready) == 0 || len(o.ready) >= o.lingerMax {
		return false
	}
	for _, j := range o.ready {
		if j.Write == nil || j.mark.Seq == 0 || j.Prompt {
			return false
		}
	}
	for _, j := range o.in {
		if j.Write == nil {
			return false
		}
	}
	return true
}

// append stores the batch's writes in the spool and marks them. A spool that fails leaves them
// unmarked: they still go to the journal, from memory, as they would without a spool.
func (o *Outbox[E, R]) append(batch []Job[E, R]) {
	if o.spool == nil {
		return
	}
	data, jobs := o.encode(batch)
	if len(data) == 0 {
		return
	}
	first, err := o.spool.Append(data...)
	if err != nil {
		o.log.Error("journal writes not spooled: they wait in memory only, and a crash would lose them", "writes", len(data), "err", err)
		return
	}
	o.appends.Add(1)
	gen := o.spool.Generation()
	for i, j := range jobs {
		j.mark = Mark{Spool: gen, Seq: first + uint64(i)}
	}
}

// encode is the batch's writes as spool records, and the jobs they are of.
func (o *Outbox[E, R]) encode(batch []Job[E, R]) (data [][]byte, jobs []*Job[E, R]) {
	for i := range batch {
		if batch[i].Write == nil {
			continue
		}
		b, err := json.Marshal(*batch[i].Write)
		if err != nil {
			o.log.Error("journal write cannot be spooled", "what", (*batch[i].Write).Kind(), "err", err)
			continue
		}
		data = append(data, b)
		jobs = append(jobs, &batch[i])
	}
	return data, jobs
}

func (o *Outbox[E, R]) runApplier() {
	batcher, _ := o.jr.(Batcher)
	var linger *time.Timer
	for {
		o.mu.Lock()
		for len(o.ready) == 0 && !o.spooled {
			o.applyIn.Wait()
		}
		if o.linger > 0 && o.lingers() {
			// The linger counts from when the first write was written to the spool, not from its
			// fsync: the sync window does not add to how late the journal has it.
			wait := o.linger
			if at := o.ready[0].written; !at.IsZero() {
				wait -= time.Since(at)
			}
			if wait > 0 {
				o.mu.Unlock()
				if linger == nil {
					linger = time.NewTimer(wait)
				} else {
					linger.Reset(wait)
				}
				select {
				case <-linger.C:
				case <-o.kick:
					linger.Stop()
				}
				o.mu.Lock()
			}
		}
		select { // a kick the batch taken below answers already
		case <-o.kick:
		default:
		}
		if len(o.ready) == 0 {
			o.mu.Unlock()
			return
		}
		// The writes waiting, up to the next read (which must see them committed) and maxBatch.
		n := 1
		if batcher != nil && o.ready[0].Write != nil {
			for n < len(o.ready) && n < maxBatch && o.ready[n].Write != nil {
				n++
			}
		}
		// A spooled write alone goes in a logged batch too: its commit skips the journal's fsync.
		batched := n > 1 || (o.logged != nil && o.ready[0].Write != nil && o.ready[0].mark.Seq != 0)
		jobs := append([]Job[E, R](nil), o.ready[:n]...)
		clear(o.ready[:n])
		o.ready = o.ready[n:]
		o.held = n
		o.mu.Unlock()

		var left []Job[E, R]
		if batched {
			left = o.runBatch(batcher, jobs)
		} else {
			left = o.runAlone(jobs)
		}
		if left != nil {
			o.leftInSpool(left)
			return
		}
		o.mu.Lock()
		o.held = 0
		o.mu.Unlock()
	}
}

// runBatch applies jobs (writes) in one journal transaction. It returns the jobs left undone
// because quit came first; nil when every one was run.
//
// A write the journal refuses may spoil the transaction (the Batcher's writes need not be undone
// alone: journal.Batch.AllOrNothing), so the batch is rolled back and begun again with that write's
// mark claimed in its place: the writes before it are applied again, the refused one is not
// tried again, and the refusal is answered after the commit, as every write's result is. Each
// write ends as it would have in its own transaction, in order, at the cost of one rolled-back
// attempt for each refusal (rare: a write naming a call or an operator the journal does not know)
// instead of a savepoint for every write. After maxRefusals in one batch, the batch stops at the
// latest refused write and what follows it goes in the next, so that a run of refusals begins a
// batch at most maxRefusals+1 times (while the journal's verdicts do not change between attempts).
func (o *Outbox[E, R]) runBatch(b Batcher, all []Job[E, R]) (left []Job[E, R]) {
	ctx, cancel := context.WithTimeout(o.quit, writeTimeout)
	defer cancel()
	begin := b.Begin
	if o.logged != nil && allSpooled(all) {
		// Every write of the batch is in the spool, which keeps it until the journal has it durably
		// (the barrier New set): the commit needs no fsync of its own.
		begin = o.logged.BeginLogged
	}
	results := make([]R, len(all))
	refused := make([]error, len(all)) // the journal's verdict on a write, from an earlier attempt
	refusals := 0
	n := len(all)       // all[:n] is this batch; all[n:] the next (past maxBatchTime or maxRefusals)
	var start time.Time // the first attempt's begin: a wait for the writer is not time holding it
	var tx Batch
	for {
		bctx, t, err := begin(ctx)
		if err != nil {
			if o.quit.Err() != nil {
				return all
			}
			o.log.Warn("journal batch not begun; applying its writes one at a time", "writes", len(all), "err", err)
			return o.runAlone(all)
		}
		tx = t
		if start.IsZero() {
			start = time.Now()
		}
		again := false
		for i := 0; i < n; i++ {
			j := all[i]
			if i > 0 && time.Since(start) > maxBatchTime {
				n = i
				break
			}
			if refused[i] != nil {
				if j.mark.Seq == 0 {
					continue
				}
				// In the batch, so that a replay skips it too. A claim that fails may have spoiled
				// the batch (the next write would fail for it): the batch is given up whole.
				if err := o.jr.Claim(bctx, j.mark); err != nil && !errors.Is(err, ErrAlreadyApplied) {
					tx.Rollback()
					if o.quit.Err() != nil {
						return all
					}
					o.log.Warn("journal batch failed claiming a refused write's mark; applying its writes one at a time", "writes", len(all), "seq", j.mark.Seq, "err", err)
					return o.runAlone(all)
				}
				continue
			}
			what, call := j.name()
			res, err := o.jr.Apply(bctx, *j.Write, j.mark)
			if errors.Is(err, ErrAlreadyApplied) {
				o.log.Debug("journal write replayed from the spool was already applied", "what", what, "call", call, "seq", j.mark.Seq)
				err = nil
			}
			if err != nil && (Retryable(err) || ctx.Err() != nil) {
				// Not the journal's verdict on this write: the batch is given up whole, and its writes
				// run one at a time, each with the retries (or the wait) it would have had alone.
				tx.Rollback()
				if o.quit.Err() != nil {
					return all
				}
				o.log.Warn("journal batch failed; applying its writes one at a time", "writes", len(all), "what", what, "call", call, "err", err)
				return o.runAlone(all)
			}
			if err != nil {
				o.log.Error("journal write refused", "what", what, "call", call, "write", o.describe(j), "err", err)
				tx.Rollback()
				if o.quit.Err() != nil {
					return all
				}
				refused[i], results[i] = err, *new(R) // not an earlier attempt's result
				if refusals++; refusals >= maxRefusals {
					n = i + 1
				}
				again = true
				break
			}
			results[i] = res
		}
		if !again {
			break
		}
	}
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		if o.quit.Err() != nil {
			return all
		}
		o.log.Warn("journal batch not committed; applying its writes one at a time", "writes", len(all), "err", err)
		return o.runAlone(all)
	}
	o.txns.Add(1)
	o.writes.Add(uint64(n))
	var last uint64
	for i, j := range all[:n] {
		if j.Then != nil {
			j.Then(results[i], refused[i])
		}
		if j.mark.Seq != 0 {
			last = j.mark.Seq
		}
	}
	if last != 0 {
		o.release(last)
	}
	o.mu.Lock()
	o.held = len(all) - n // the part committed is no longer the backlog's
	o.mu.Unlock()
	return o.runRest(b, all[n:])
}

// runRest applies jobs (writes, perhaps none) in a batch, or alone when there is one and no
// logged batch to give it; it returns what runBatch returns.
func (o *Outbox[E, R]) runRest(b Batcher, jobs []Job[E, R]) (left []Job[E, R]) {
	switch {
	case len(jobs) > 1, len(jobs) == 1 && o.logged != nil:
		return o.runBatch(b, jobs)
	case len(jobs) == 1:
		return o.runAlone(jobs)
	}
	return nil
}

// allSpooled reports whether every job is a write in the spool.
func allSpooled[E Entry, R any](jobs []Job[E, R]) bool {
	for _, j := range jobs {
		if j.Write == nil || j.mark.Seq == 0 {
			return false
		}
	}
	return true
}

// release releases the spool's records up to seq.
func (o *Outbox[E, R]) release(seq uint64) {
	// quit: the end of a shutdown's grace cancels a barrier that waits.
	err := o.spool.Release(o.quit, seq)
	switch {
	case errors.Is(err, spool.ErrNotDurable):
		// The journal could not say its writes are durable yet (a reader held the checkpoint back):
		// the spool keeps its file, and the next release asks again.
		o.log.Debug("spool not rotated yet", "seq", seq, "err", err)
	case err != nil:
		o.log.Error("spool release", "seq", seq, "err", err)
	}
}

// claimNotApplied records the mark of a spooled write the journal refused or that was dropped, so
// that a replay after a crash does not try it again.
func (o *Outbox[E, R]) claimNotApplied(ctx context.Context, m Mark) {
	if err := o.jr.Claim(ctx, m); err != nil && !errors.Is(err, ErrAlreadyApplied) {
		o.log.Warn("journal: the mark of a write not applied was not recorded", "seq", m.Seq, "err", err)
	}
}

// runAlone runs jobs one at a time, in order. It returns the jobs left undone because quit came
// first; nil when every one was run.
func (o *Outbox[E, R]) runAlone(jobs []Job[E, R]) (left []Job[E, R]) {
	for i, j := range jobs {
		if !o.runJob(j) {
			return jobs[i:]
		}
		o.mu.Lock()
		o.held = len(jobs) - i - 1
		o.mu.Unlock()
	}
	return nil
}

// leftInSpool logs, at a shutdown cut short, what the next start will apply and what is lost.
func (o *Outbox[E, R]) leftInSpool(current []Job[E, R]) {
	o.mu.Lock()
	defer o.mu.Unlock()
	spooled := 0
	for _, j := range append(current, o.ready...) {
		switch {
		case j.Write != nil && j.mark.Seq != 0:
			spooled++
		case j.Write != nil:
			what, call := j.name()
			o.log.Error("journal write lost at shutdown (the journal did not take it, the spool did not have it)",
				"what", what, "call", call, "write", o.describe(j))
		}
	}
	// What is still in o.in or the spooler's hands, the spooler spools before it returns.
	o.log.Warn("stopped with journal writes waiting; the spool keeps them for the next start", "spooled", spooled, "being_spooled", len(o.in)+o.spooling)
}

// runJob runs one job until it is done; false: quit came first (the job is left undone).
func (o *Outbox[E, R]) runJob(j Job[E, R]) bool {
	what, call := j.name()
	spooled := j.Write != nil && j.mark.Seq != 0
	deferred := j.Deferred
	backoff := 200 * time.Millisecond
	// fails counts the failures that may end in a drop: a spooled write waiting for a journal that
	// is unavailable is not failing, it is waiting, however long that takes.
	fails := 0
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(o.quit, writeTimeout)
		var res R
		var err error
		if j.Write != nil {
			res, err = o.jr.Apply(ctx, *j.Write, j.mark)
		} else {
			err = j.Read(ctx)
		}
		cancel()
		if err != nil && o.quit.Err() != nil {
			// The stop's grace ran out during the call, which it cancelled: the error is ours, not
			// the journal's verdict. The job stays undone (in the spool, for the next start).
			return false
		}
		if errors.Is(err, ErrAlreadyApplied) {
			o.log.Debug("journal write replayed from the spool was already applied", "what", what, "call", call, "seq", j.mark.Seq)
			err = nil
		}
		// A spooled write the journal cannot take now waits for it: that is not a failure.
		waiting := err != nil && spooled && unavailable(err)
		switch {
		case err == nil:
		case !Retryable(err):
			// The journal refused the write itself (invalid, not found...): trying again cannot help.
			o.log.Error("journal write refused", "what", what, "call", call, "write", o.describe(j), "err", err)
		case waiting, fails+1 < writeTries:
			if !waiting {
				fails++
			}
			o.log.Warn("journal write failed; retrying", "what", what, "call", call, "try", try, "in", backoff, "err", err)
			if waiting && deferred != nil {
				deferred()
				deferred = nil
			}
			select {
			case <-time.After(backoff):
			case <-o.quit.Done():
				return false
			}
			backoff = min(2*backoff, retryCap)
			continue
		default:
			o.log.Error("journal write failed; dropped", "what", what, "call", call, "tries", try, "failures", fails+1, "write", o.describe(j), "err", err)
		}
		if j.Write != nil {
			o.writes.Add(1)
			o.txns.Add(1) // its own (the tries before it rolled back)
		}
		if j.Then != nil {
			j.Then(res, err)
		}
		if err != nil && spooled {
			// Refused or dropped: its mark is claimed all the same, so that a replay after a crash
			// does not try it again and perhaps apply it, late, to a case that has moved on.
			ctx, cancel := context.WithTimeout(o.quit, writeTimeout)
			o.claimNotApplied(ctx, j.mark)
			cancel()
		}
		seq := j.release
		if spooled {
			seq = j.mark.Seq
		}
		if seq != 0 {
			o.release(seq)
		}
		return true
	}
}

// describe is a write in full, for a log line that must let someone redo it by hand.
func (o *Outbox[E, R]) describe(j Job[E, R]) string {
	if j.Write == nil {
		return ""
	}
	b, err := json.Marshal(*j.Write)
	if err != nil {
		return fmt.Sprintf("%+v", *j.Write)
	}
	return string(b)
}

// Retryable reports whether a failed journal call may succeed if tried again: the journal was
// unavailable or failed unexpectedly, rather than refusing the request itself.
func Retryable(err error) bool {
	code := hotline.ErrorCode(err)
	return code == hotline.EUNAVAILABLE || code == hotline.EINTERNAL
}

// unavailable reports whether the journal could not be reached at all (locked, full, read-only,
// not answering in time): a spooled write waits for it without end.
func unavailable(err error) bool {
	return hotline.ErrorCode(err) == hotline.EUNAVAILABLE || errors.Is(err, context.DeadlineExceeded)
}
