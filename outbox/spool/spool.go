// Package spool is a write-ahead file of records. The outbox (package outbox) appends the journal
// writes the switchboard hands it here, fsynced, before applying them to SQLite, so that they
// survive a crash (kill -9, power loss), a failing SQLite and a restart.
//
// # Delivery: at least once
//
// At least once; exactly once is the consumer's job with (Generation, Seq). Records are numbered
// 1, 2, ... within a generation, which is one file. Releases are not persisted: after a restart
// Pending returns every record of the current file, released or not, with the seqs and the
// generation they were written under. A consumer that stores (generation, last applied seq) in
// the same SQLite transaction as each write skips the ones it has already applied. When every
// appended record is released and the file has reached Options.RotateAt (or at Close), the file
// is replaced by an empty one with a new generation; a consumer whose store may lose its last
// applied records to a power loss has the spool ask it first (SetDurable), so that a file is never
// dropped before what it held is durable elsewhere.
//
// # File format
//
//	header  "hotline-spool 1\n" + generation (16 lowercase hex digits) + "\n"   (33 bytes)
//	record  length of data uint32 | CRC-32C of seq+data uint32 | seq uint64 | data   (little-endian)
//
// Each part has a reason. The magic line names the format and its version, so that a file of
// another kind or version is never read as records. The generation ties the seqs to this file.
// The length comes first so that a reader knows where the next record starts. The CRC-32C
// (Castagnoli) covers seq and data, so a torn or damaged record is never delivered. The seq is
// stored, not implied by the record's position, so that a record that is missing or out of place
// is detected. An Append is one write of whole records followed by one fsync; Write and Sync are
// its two halves, for a writer that lets a short window's writes share one fsync (the outbox: a
// record written is in the file at once, safe from a kill -9 of the process, and durable against a
// power loss at the Sync; it is never released, nor its file dropped, before). A file is only
// replaced whole: it is written to path+".tmp", fsynced, renamed over path, and the directory is
// fsynced. It is never rewritten in place.
//
// # Recovery
//
// Open reads records up to the end of the file:
//
//   - A torn tail is what a crash during an Append leaves: a partial last record, a last record
//     whose CRC does not match, or a bad record followed only by zero bytes (a filesystem that
//     extended the file but lost its data). The tail is truncated away, the file is fsynced, and
//     the number of bytes dropped is logged. No acknowledged record is lost this way, because an
//     Append returns only after its fsync (a Write's records are acknowledged by their Sync). An
//     intact file is fsynced too, since a killed process may have left records written and not
//     synced, and so is the directory of a file kept (a rotation's own directory fsync may not have
//     run): what Pending returns is on the disk, name included.
//   - Anything else is damage, not a crash: bad magic, a bad record followed by more data, a
//     length over MaxRecord, a seq out of order. No data is dropped silently. The file is kept
//     as path+".corrupt-<unix time>" and an error is logged with that path. The intact records
//     before the damage are written to a fresh file under a new generation, and Pending returns
//     them. Records after the damage are not replayed; they are only in the kept file.
//
// A file shorter than a header holds no record: it is replaced by an empty one, with a warning.
// Open returns an error only when the file cannot be read or written at all (or Options are
// invalid).
//
// # Limits
//
//   - One process at a time: Open takes an exclusive flock on path+".lock" (held until Close) and
//     refuses a spool in use. It guards processes on one machine, not a shared network disk.
//   - Every unreleased record is held in memory, and the file grows until every record is
//     released. A long SQLite outage costs memory and disk in proportion to the writes queued.
//   - A full release rotates the file once it has reached Options.RotateAt (at every full release
//     with 0), and Close rotates a fully released file. A rotation is two fsyncs (the new file and
//     its directory) on top of each Append's fsync. Until then released records stay in the file
//     and come back from Pending after a crash.
//   - Release has no generation argument. Call it only with seqs of the current Generation.
//   - The records recovered from a damaged file get a new generation. A consumer that had
//     already applied some of them sees them again.
//   - For records recovered from an earlier process, Backlog's oldest time is the file's last
//     modification time (the format stores no timestamps).
//   - A power loss during an Append can, on some filesystems, persist a later part of the batch
//     but not an earlier one. Open then reports damage (and keeps the file aside), although no
//     acknowledged record is missing.
//   - Lowering MaxRecord below the size of records already spooled makes Open treat them as
//     damage.
//   - Open keeps any file at path that is not a spool as path+".corrupt-<unix time>" and puts
//     a new spool in its place. Never point it at another file.
package spool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultMaxRecord is the largest record (its data) when Options.MaxRecord is 0.
const DefaultMaxRecord = 1 << 20

// maxMaxRecord bounds Options.MaxRecord: the length field is 32 bits, and a record is read whole
// into memory at Open.
const maxMaxRecord = 1 << 30

var (
	// ErrTooLarge is returned, wrapped, by Append when a record is over Options.MaxRecord.
	ErrTooLarge = errors.New("record over the spool's size limit")
	// ErrClosed is returned by Append, Write, Sync and Release after Close.
	ErrClosed = errors.New("spool closed")
	// ErrNotDurable is returned, wrapped, by a Release that released but did not rotate because
	// SetDurable's barrier failed: the file stays, nothing is lost, the next release tries again.
	ErrNotDurable = errors.New("released records not known durable where they were applied")
)

// Options tune Open; the zero value is fine.
type Options struct {
	// Logger receives the recovery reports (torn tail dropped, damaged file moved aside). nil:
	// discard.
	Logger *slog.Logger
	// MaxRecord is the largest data of one record, in bytes. 0: DefaultMaxRecord (1 MiB).
	MaxRecord int
	// RotateAt: once every record is released, the file is replaced by an empty one only if it
	// has grown to this many bytes (or at Close). 0: at every full release. A rotation costs
	// three fsyncs, so a busy consumer sets it (the daemon: 1 MiB) and accepts that after a
	// crash the released records still in the file come back from Pending: at least once, as
	// always; the consumer's (Generation, Seq) marks skip them.
	RotateAt int64
	// BarrierRetry is how long releases wait, after a barrier (SetDurable) failed, before one asks
	// it again: a reader that holds the journal's checkpoint back may do so for minutes, and every
	// release meanwhile would otherwise pay a barrier that cannot succeed. 0: DefaultBarrierRetry.
	BarrierRetry time.Duration
}

// DefaultBarrierRetry is Options.BarrierRetry's default.
const DefaultBarrierRetry = time.Second

// Record is one appended piece of data and its sequence number in the spool's generation.
type Record struct {
	Seq  uint64
	Data []byte
}

type entry struct {
	rec Record
	at  time.Time // when it was appended (for recovered records: the file's modification time)
}

// Spool is an open spool file. It is safe for concurrent use.
type Spool struct {
	path     string
	max      int
	rotateAt int64
	log      *slog.Logger
	lock     *os.File // holds the exclusive lock on path+".lock" until Close

	mu       sync.Mutex
	f        *os.File
	size     int64   // end of the last record written: where the next Write writes
	synced   int64   // end of the last record fsynced (<= size): Sync makes it size
	syncSeq  uint64  // seq of the last record fsynced (<= last): nothing past it may be released
	gen      string  // the file's generation
	last     uint64  // seq of the last record in the file (0: none)
	released uint64  // every seq <= released was released
	pending  []entry // seqs released+1 .. last, in order
	wbuf     []byte  // Append's write buffer, reused
	dirDirty bool    // a rename is not known to be durable: fsync the directory before the next Append
	broken   error   // a failed Append could not be cut off the file: no Append until repaired
	closed   bool
	// closeDone is closed when the first Close has finished (its barrier, the file and the lock
	// released): later Close calls wait for it.
	closeDone chan struct{}
	// durable, if set, is asked before a rotation drops released records (SetDurable).
	durable func(context.Context) error
	// barrierRetry: after a failed barrier, no release asks again before barrierAfter.
	barrierRetry time.Duration
	barrierAfter time.Time
	// inject, in the package's tests only, fails the file's operations ("write", "sync", "cut").
	inject func(op string) error
}

// Open opens the spool at path and recovers it (see the package documentation). If the file is
// absent, Open creates it with mode 0600; the parent directory must exist. Open returns an error
// only when the file cannot be read or written at all.
func Open(path string, opt Options) (*Spool, error) {
	// One process at a time: a second one would cut what it takes for a torn tail off the first
	// one's append in progress. The lock is on a file of its own, which rotation never replaces.
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	s, err := open(path, opt)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// ErrInUse: another process has the spool open (its lock is taken); it is free once that process
// ends, however it ends (the lock is the kernel's).
var ErrInUse = errors.New("in use by another process")

// lockFile takes an exclusive lock on the file at path (created if absent), held while it is open.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: cannot open the lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("spool: %s is %w (is another hotline serve running on this journal?)", strings.TrimSuffix(path, ".lock"), ErrInUse)
		}
		return nil, fmt.Errorf("spool: cannot lock %s: %w", path, err)
	}
	return f, nil
}

func open(path string, opt Options) (*Spool, error) {
	maxRec := opt.MaxRecord
	if maxRec == 0 {
		maxRec = DefaultMaxRecord
	}
	if maxRec < 0 || maxRec > maxMaxRecord {
		return nil, fmt.Errorf("spool %s: Options.MaxRecord %d out of range (1..%d, or 0 for %d)",
			path, opt.MaxRecord, maxMaxRecord, DefaultMaxRecord)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.RotateAt < 0 {
		return nil, fmt.Errorf("spool %s: Options.RotateAt %d is negative", path, opt.RotateAt)
	}
	if opt.BarrierRetry < 0 {
		return nil, fmt.Errorf("spool %s: Options.BarrierRetry %v is negative", path, opt.BarrierRetry)
	}
	retry := opt.BarrierRetry
	if retry == 0 {
		retry = DefaultBarrierRetry
	}
	s := &Spool{path: path, max: maxRec, rotateAt: opt.RotateAt, log: log, barrierRetry: retry}

	// A leftover of a rotation interrupted by a crash; path is authoritative.
	if err := os.Remove(path + ".tmp"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("spool: cannot remove a leftover temporary file", "path", path+".tmp", "err", err)
	}

	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		gen := newGeneration("")
		if s.f, s.size, err = s.create(gen, nil); err != nil {
			return nil, err
		}
		s.gen, s.synced = gen, s.size
		log.Info("spool: created", "path", path, "generation", gen)
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: cannot open the spool file: %w", err)
	}
	if err := s.load(f); err != nil {
		f.Close()
		return nil, err
	}
	if s.f != f {
		f.Close() // replaced by a fresh file
	}
	log.Info("spool: opened", "path", path, "generation", s.gen, "pending", len(s.pending))
	return s, nil
}

// load reads f, the existing file at s.path, and sets s up from it: f itself (its torn tail cut
// off), or a fresh file when f's header is torn or f is damaged.
func (s *Spool) load(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("spool: cannot stat the spool file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("spool: %s is not a regular file (%s)", s.path, fi.Mode().Type())
	}
	sc, err := scanFile(f, fi.Size(), s.max)
	if err != nil {
		return fmt.Errorf("spool: cannot read %s: %w", s.path, err)
	}
	at := fi.ModTime()
	if now := time.Now(); at.After(now) {
		at = now
	}

	switch sc.kind {
	case intact, tornTail:
		if sc.kind == tornTail {
			if err := f.Truncate(sc.end); err != nil {
				return fmt.Errorf("spool: cannot cut the torn tail off %s: %w", s.path, err)
			}
			if err := f.Sync(); err != nil {
				return fmt.Errorf("spool: cannot fsync %s after cutting its torn tail: %w", s.path, err)
			}
			s.log.Warn("spool: dropped the torn tail of an interrupted append",
				"path", s.path, "generation", sc.gen, "dropped_bytes", fi.Size()-sc.end,
				"offset", sc.end, "records", len(sc.recs), "why", sc.reason)
		}
		if sc.kind == intact {
			// A process killed between a Write and its Sync leaves records in the page cache only:
			// they are replayed, and applied in the journal's logged batches, so they must be on
			// disk before anything reports them applied. One fsync a start.
			if err := f.Sync(); err != nil {
				return fmt.Errorf("spool: cannot fsync %s: %w", s.path, err)
			}
		}
		// The name too: a process killed before its rotation's directory fsync leaves a file
		// whose name may not be on the disk yet, and its records are about to be applied.
		if err := syncDir(filepath.Dir(s.path)); err != nil {
			return fmt.Errorf("spool: cannot fsync the directory of %s: %w", s.path, err)
		}
		s.f, s.size, s.gen = f, sc.end, sc.gen

	case tornHeader:
		// Shorter than a header: it holds no record. Our files appear whole (rename), so this is
		// a file someone truncated or created empty.
		gen := newGeneration("")
		if s.f, s.size, err = s.create(gen, nil); err != nil {
			return err
		}
		s.gen = gen
		s.log.Warn("spool: the file was shorter than a header (it held no records); started a new generation",
			"path", s.path, "dropped_bytes", fi.Size(), "generation", gen)

	case corrupt:
		aside, err := s.keepAside()
		if err != nil {
			return err
		}
		gen := newGeneration(sc.gen)
		if s.f, s.size, err = s.create(gen, sc.recs); err != nil {
			return err
		}
		s.gen = gen
		s.log.Error("spool: DAMAGED spool file moved aside; the records before the damage are kept under a new generation, the ones after it are NOT replayed (they are only in the moved file)",
			"path", s.path, "moved_to", aside, "damage", sc.reason, "offset", sc.end,
			"records_kept", len(sc.recs), "bytes_not_replayed", fi.Size()-sc.end,
			"old_generation", sc.gen, "generation", gen)
	}

	s.pending = make([]entry, len(sc.recs))
	for i, r := range sc.recs {
		s.pending[i] = entry{rec: r, at: at}
	}
	s.last = uint64(len(sc.recs))
	s.synced, s.syncSeq = s.size, s.last
	return nil
}

// Generation is the random id (16 hex digits) of the current file, which Pending's and Append's
// seqs belong to. It changes at each rotation.
func (s *Spool) Generation() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// Pending returns the records not yet released, in order. After Open these are every record of
// the file, including those that an earlier process released (releases are not persisted).
// Their Data is shared with the spool and must not be modified.
func (s *Spool) Pending() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	out := make([]Record, len(s.pending))
	for i, e := range s.pending {
		out[i] = e.rec
	}
	return out
}

// Append writes data as consecutive records (group commit): one write and one fsync for the
// whole batch (Write, then Sync). When it returns nil the records are durable, and their seqs are
// first, first+1, ... in the current generation. That generation cannot change until they are
// released, so Generation called after Append names theirs. On error nothing is appended, and,
// if the write or the fsync failed, neither is anything Written before it and not yet synced (see
// Write). Append copies data. Appending nothing does nothing and returns 0.
func (s *Spool) Append(data ...[]byte) (first uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if first, err = s.writeChecked(data); err != nil || len(data) == 0 {
		return 0, err
	}
	if err := s.sync(); err != nil {
		return 0, err
	}
	return first, nil
}

// Write writes data as consecutive records, as Append does, without the fsync: they are in the
// file (a kill -9 of the process cannot lose them: the kernel keeps the page cache, and Open finds
// them), not yet on the disk (a power loss can). Their seqs are first, first+1, ...; they are
// Pending, and cannot be released before a Sync has made them durable. A Write batches with the
// ones before it into the next Sync (the outbox's sync window). Write copies data. Writing nothing
// does nothing and returns 0.
//
// The rule for errors, Write's, Sync's and Append's alike: only a Sync (or Append) that returns nil
// makes records durable. One that returns an error (other than ErrClosed) forgets every record
// written since the last one that returned nil, its own and the earlier Writes', and cuts them off
// the file: their writer must treat them all as never spooled, and a later Sync does not make
// them durable (Linux reports a failed fsync once; the spool does not count on a second one).
func (s *Spool) Write(data ...[]byte) (first uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeChecked(data)
}

// writeChecked is Write's and Append's write: refused after Close or with a record over the limit,
// nothing for no data. s.mu is held.
func (s *Spool) writeChecked(data [][]byte) (first uint64, err error) {
	if s.closed {
		return 0, ErrClosed
	}
	if err := s.checkSizes(data); err != nil {
		return 0, err
	}
	if len(data) == 0 {
		return 0, nil
	}
	return s.write(data)
}

// Sync makes every record written so far durable (one fsync; nothing to do if there is none).
// On error the records written since the last Sync that returned nil are cut off the file and
// forgotten (the rule on Write).
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.sync()
}

// checkSizes refuses a batch with a record over s.max, forgetting what was written since the last
// sync (the rule on Write). s.mu is held.
func (s *Spool) checkSizes(data [][]byte) error {
	for i, d := range data {
		if len(d) > s.max {
			err := fmt.Errorf("spool %s: record %d of %d is %d bytes, over the %d-byte limit (Options.MaxRecord): %w",
				s.path, i+1, len(data), len(d), s.max, ErrTooLarge)
			if s.last != s.syncSeq {
				s.forget()
				s.cutBackOrBreak(err)
			}
			return err
		}
	}
	return nil
}

// write writes data at the end of the file, without fsync. s.mu is held.
func (s *Spool) write(data [][]byte) (first uint64, err error) {
	if s.broken != nil {
		if err := s.cutBack(); err != nil {
			return 0, fmt.Errorf("spool %s: unusable since an append failed and could not be undone (%w): %w", s.path, s.broken, bare(err))
		}
		s.broken = nil
	}
	first = s.last + 1
	buf := s.wbuf[:0]
	for i, d := range data {
		buf = appendRecord(buf, first+uint64(i), d)
	}
	if err = s.fault("write"); err == nil {
		_, err = s.f.WriteAt(buf, s.size)
	}
	if err != nil {
		err = bare(err)
		// Nothing written since the last sync may be reported durable by a later one: the fsync
		// of the cut below may be the one that reports (and so clears) a failed writeback of theirs.
		s.forget()
		s.cutBackOrBreak(err)
		return 0, fmt.Errorf("spool %s: append: %w", s.path, err)
	}
	s.size += int64(len(buf))
	if cap(buf) <= 1<<20 {
		s.wbuf = buf
	} else {
		s.wbuf = nil // do not keep a large batch's buffer
	}

	s.last += uint64(len(data))
	now := time.Now()
	for i, d := range data {
		s.pending = append(s.pending, entry{rec: Record{Seq: first + uint64(i), Data: clone(d)}, at: now})
	}
	return first, nil
}

// sync fsyncs what write wrote since the last sync; on error it forgets it and cuts it off the
// file. s.mu is held.
func (s *Spool) sync() error {
	if s.synced == s.size && !s.dirDirty {
		return nil
	}
	var err error
	if s.dirDirty {
		if err = syncDir(filepath.Dir(s.path)); err != nil {
			err = fmt.Errorf("cannot fsync its directory after a rotation: %w", err)
		} else {
			s.dirDirty = false
		}
	}
	if err == nil {
		if err = s.fault("sync"); err == nil {
			err = s.f.Sync()
		}
	}
	if err != nil {
		err = bare(err)
		// Nothing written since the last sync is known durable: forget it, as if never written.
		s.forget()
		s.cutBackOrBreak(err)
		return fmt.Errorf("spool %s: append: %w", s.path, err)
	}
	s.synced, s.syncSeq = s.size, s.last
	return nil
}

// forget drops the records written since the last successful sync, as if never written. s.mu is
// held.
func (s *Spool) forget() {
	n := int(s.last - s.syncSeq) // <= len(s.pending): nothing past syncSeq is released
	clear(s.pending[len(s.pending)-n:])
	s.pending = s.pending[:len(s.pending)-n]
	s.last, s.size = s.syncSeq, s.synced
}

// cutBackOrBreak cuts what a failed write or sync left after s.size (forget first); if it cannot,
// the spool is broken until a later write can.
func (s *Spool) cutBackOrBreak(err error) {
	if cerr := s.cutBack(); cerr != nil {
		s.broken = err
		s.log.Error("spool: an append failed and could not be cut off the file; appends fail until it can",
			"path", s.path, "err", err, "cut_err", bare(cerr))
	}
}

// cutBack removes whatever a failed Write or Sync left after the last record kept, and fsyncs.
func (s *Spool) cutBack() error {
	if err := s.fault("cut"); err != nil {
		return err
	}
	if err := s.f.Truncate(s.size); err != nil {
		return err
	}
	return s.f.Sync()
}

// Release marks every record with seq <= upTo (of the current generation) as applied: they leave
// Pending and memory. When every appended record is released and the file has reached
// Options.RotateAt, the file is rotated: a fresh empty file with a new generation replaces it
// atomically. A Release that fails to rotate still releases; a later Release retries the rotation.
// ctx bounds the barrier (SetDurable) a rotation asks first; after a barrier failed, releases do
// not ask it again (nor rotate) for Options.BarrierRetry.
func (s *Spool) Release(ctx context.Context, upTo uint64) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if upTo > s.syncSeq {
		s.mu.Unlock()
		return fmt.Errorf("spool %s: release up to seq %d, but generation %s has only %d records synced (%d written)",
			s.path, upTo, s.gen, s.syncSeq, s.last)
	}
	if upTo > s.released {
		k := int(upTo - s.released)
		clear(s.pending[:k]) // drop the data now, not when the slice is next reallocated
		s.pending = s.pending[k:]
		if len(s.pending) == 0 {
			s.pending = nil
		}
		s.released = upTo
	}
	if !s.rotationDue() {
		s.mu.Unlock()
		return nil
	}
	durable, gen, last := s.durable, s.gen, s.last
	if durable == nil {
		defer s.mu.Unlock()
		return s.rotate()
	}
	if time.Now().Before(s.barrierAfter) {
		// The last barrier failed a moment ago (a reader holds the checkpoint back): the file
		// stays until the retry is due.
		s.mu.Unlock()
		return nil
	}
	// The barrier may wait (a checkpoint waits for readers): Appends go on meanwhile, and the file
	// is rotated only if none came, since the barrier does not cover them.
	s.mu.Unlock()
	if err := durable(ctx); err != nil {
		s.mu.Lock()
		s.barrierAfter = time.Now().Add(s.barrierRetry)
		s.mu.Unlock()
		return fmt.Errorf("spool %s: not rotated: %w: %w", s.path, ErrNotDurable, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.barrierAfter = time.Time{}
	if s.closed || s.gen != gen || s.last != last || !s.rotationDue() {
		return nil
	}
	return s.rotate()
}

// rotationDue: every record is released and the file has reached RotateAt.
func (s *Spool) rotationDue() bool {
	return s.released == s.last && s.last > 0 && s.size >= s.rotateAt
}

// SetDurable has every rotation (Release's and Close's) first call durable, and rotate only if it
// returns nil. A release says a record was applied; a consumer whose store may lose its last
// applied records to a power loss (the journal's logged batches: SQLite at synchronous=NORMAL)
// makes them durable there in durable, so that the file, the only other copy, is never dropped
// before. An error leaves the file as it is (its records come back from Pending after a crash and
// the consumer skips those it has); a full release tries again once Options.BarrierRetry has
// passed. durable is called without the spool's lock (Appends go on meanwhile), with the context
// of the Release (or CloseContext) that asks. nil: rotations ask nothing.
func (s *Spool) SetDurable(durable func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.durable = durable
}

// rotate replaces the file, every record of which is released (and durable where they were
// applied: Release and Close ask SetDurable's barrier first), by an empty one with a new
// generation.
func (s *Spool) rotate() error {
	gen := newGeneration(s.gen)
	f, size, err := s.create(gen, nil)
	if err != nil {
		return err
	}
	if err := s.f.Close(); err != nil {
		s.log.Warn("spool: closing the rotated-out file", "path", s.path, "err", err)
	}
	s.f, s.size, s.synced, s.gen = f, size, size, gen
	s.last, s.syncSeq, s.released, s.pending, s.broken = 0, 0, 0, nil, nil
	return nil
}

// Backlog reports the unreleased records and when the oldest of them was appended (zero if
// none), for metrics and health checks.
func (s *Spool) Backlog() (records int, oldest time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return 0, time.Time{}
	}
	return len(s.pending), s.pending[0].at
}

// Close is CloseContext with a context that is never cancelled (SetDurable's barrier bounds its
// own wait).
func (s *Spool) Close() error { return s.CloseContext(context.Background()) }

// CloseContext closes the file. Unreleased records stay in it for the next Open. A fully released
// file is rotated first, once the barrier (SetDurable, bounded by ctx) says its records are
// durable where they were applied. Closing twice closes nothing more: a later call returns (nil)
// once the first has finished, its barrier included and the file's lock released, or ctx's error
// if ctx ends first.
func (s *Spool) CloseContext(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		done := s.closeDone
		s.mu.Unlock()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("spool %s: close: waiting for the first close: %w", s.path, ctx.Err())
		}
	}
	s.closed = true // no Append or Release from here on: the state below cannot change
	s.closeDone = make(chan struct{})
	defer close(s.closeDone) // after the deferred unlock below: the lock is released by then
	due, durable := s.released == s.last && s.last > 0, s.durable
	s.mu.Unlock()
	if due {
		// Everything was applied: leave nothing for the next start to replay, once it is durable
		// where it was applied. The barrier runs without the lock, so that Backlog and Generation
		// (metrics, health) do not wait for a checkpoint.
		err := error(nil)
		if durable != nil {
			err = durable(ctx)
		}
		if err == nil {
			s.mu.Lock()
			err = s.rotate()
			s.mu.Unlock()
		}
		if err != nil {
			s.log.Warn("spool: not rotated at close; its records are replayed (and skipped where applied) at the next start", "path", s.path, "err", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = nil
	// Records Written and not synced stay for the next Open: on the disk, not in the page cache only.
	serr := error(nil)
	if s.synced != s.size && s.broken == nil {
		if serr = s.f.Sync(); serr == nil {
			s.synced, s.syncSeq = s.size, s.last
		}
	}
	err := s.f.Close()
	if err == nil && serr != nil {
		err = fmt.Errorf("fsync: %w", bare(serr))
	}
	if s.lock != nil {
		s.lock.Close() // releases the lock
	}
	if err != nil {
		return fmt.Errorf("spool %s: close: %w", s.path, err)
	}
	return nil
}

// create writes a complete spool file (header and recs) to path+".tmp", fsyncs it, renames it
// over path and fsyncs the directory, so that a crash leaves either the old file or the new one.
// It returns the new file open for appending and its size. If only the directory fsync fails, the
// file is in place; the next Append retries that fsync before it acknowledges anything.
func (s *Spool) create(gen string, recs []Record) (f *os.File, size int64, err error) {
	tmp := s.path + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("spool: cannot create %s: cannot remove the stale %s: %w", s.path, tmp, err)
	}
	f, err = os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: cannot create %s: %w", s.path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	buf := appendHeader(make([]byte, 0, 64<<10), gen)
	for _, r := range recs {
		if len(buf) > 0 && len(buf)+recHeaderLen+len(r.Data) > cap(buf) {
			if _, err := f.Write(buf); err != nil {
				return nil, 0, fmt.Errorf("spool: cannot write %s: %w", tmp, err)
			}
			size += int64(len(buf))
			buf = buf[:0]
		}
		buf = appendRecord(buf, r.Seq, r.Data)
	}
	if _, err := f.Write(buf); err != nil {
		return nil, 0, fmt.Errorf("spool: cannot write %s: %w", tmp, err)
	}
	size += int64(len(buf))
	if err := f.Sync(); err != nil {
		return nil, 0, fmt.Errorf("spool: cannot fsync %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return nil, 0, fmt.Errorf("spool: cannot put the new spool file in place: %w", err)
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		s.dirDirty = true
		s.log.Warn("spool: cannot fsync the directory after replacing the file; retried before the next append",
			"path", s.path, "err", err)
	}
	return f, size, nil
}

// keepAside links (or, where hard links are not supported, copies) the damaged file at path to
// path+".corrupt-<unix time>" (with a -2, -3... suffix if that exists) and returns that name.
// The file stays at path until create replaces it, so a crash meanwhile only repeats the work.
func (s *Spool) keepAside() (string, error) {
	base := fmt.Sprintf("%s.corrupt-%d", s.path, time.Now().Unix())
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Link(s.path, name)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			err = copyFile(s.path, name)
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("spool: cannot keep the damaged %s aside: %w", s.path, err)
		}
		if err := syncDir(filepath.Dir(s.path)); err != nil {
			return "", fmt.Errorf("spool: cannot fsync the directory of %s: %w", s.path, err)
		}
		return name, nil
	}
}

func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	if _, err := out.ReadFrom(in); err != nil {
		return err
	}
	return out.Sync()
}

// bare strips the file name from an error of the file that Append writes: that *os.File was
// opened under path+".tmp" before its rename, and Append's errors name path themselves.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// fault is the error the package's tests inject into op; nil otherwise.
func (s *Spool) fault(op string) error {
	if s.inject == nil {
		return nil
	}
	return s.inject(op)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// newGeneration returns a random generation different from not.
func newGeneration(not string) string {
	var b [genLen / 2]byte
	for {
		rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
		if g := hex.EncodeToString(b[:]); g != not {
			return g
		}
	}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
