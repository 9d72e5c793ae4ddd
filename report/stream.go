package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// QueueLogStream appends the queue_log to a file as the events become final, as Asterisk writes
// its own, so that an analyser can tail it (the daemon's export.queue_log_file, docs/reports.md).
//
// The lines are derived from the journal, as `hotline export queue-log` derives them, in slices
// of whole seconds: every tick, the lines of the seconds up to the journal's settled time
// (Settled: every event before it has reached the journal) are appended, in one write, then
// fsynced; then the high-water mark (the first second not yet written) is saved beside the file
// (Path + ".mark", replaced atomically). The journal is read only when the switchboard wrote to it
// since the last read; otherwise the lines derived then serve. The slices add up to the lines of
// the whole history, in the export's order: a line is written once its second is settled, never
// before, never changed.
//
// A restart resumes at the mark. Lines written after it (the write was done, the mark not yet) are
// counted at the file's end and not written again: a line's slice is derived the same way every
// time, so they are the first of the slice the restart derives. A last line cut short (the machine
// stopped during the write) is removed first, then written whole. Without a mark (the first start)
// the file begins with the events after the start; the history before is `hotline export
// queue-log`'s.
//
// The file is kept open for appending, and opened again when its name leads elsewhere: a rotation
// by renaming (logrotate's default) is followed at the next slice, nothing lost or doubled; with
// copytruncate the next slice goes to the truncated file's start (what is appended between
// logrotate's copy and its truncation is lost, as with any writer). It is created mode 0600
// (caller numbers are personal data); a file logrotate creates keeps the mode it gave.
type QueueLogStream struct {
	Path    string
	Options ExportOptions // Queue and TransferEvent; the window is the stream's own
	Source  *Source
	// Settled says when the journal holds every event before a time (switchboard.Settled).
	Settled func(ctx context.Context) (Settled, error)
	Every   time.Duration // between ticks; 0: a second
	Log     *slog.Logger

	f     *os.File
	mark  int64 // the first second not written
	skip  int   // lines at the file's end, from mark on, written before a restart saved the mark
	ready bool
	// pending: the lines from mark on derived from the journal when it had had writes writes;
	// with no write since, the next slice is taken from them without reading the journal.
	pending []string
	writes  uint64
	derived bool
}

// Settled is a time before which every event is in the journal, and how many journal writes led
// to it: the same count twice, the journal did not change in between.
type Settled struct {
	At     time.Time
	Writes uint64
}

// markPath is where the high-water mark is kept.
func (q *QueueLogStream) markPath() string { return q.Path + ".mark" }

// Open opens the file for appending and reads where the stream stands. It does not write a line.
func (q *QueueLogStream) Open(ctx context.Context) error {
	if q.Log == nil {
		q.Log = slog.Default()
	}
	mark, err := readMark(q.markPath())
	if err != nil {
		return err
	}
	if err := dropCutLine(q.Path); err != nil {
		return err
	}
	f, err := os.OpenFile(q.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("queue_log stream: %w", err)
	}
	if mark == 0 {
		// The first start: from now on. Lines already in a file without a mark (another writer's,
		// or a mark deleted) are left before it.
		st, err := q.Settled(ctx)
		if err != nil {
			f.Close()
			return fmt.Errorf("queue_log stream: the journal's settled time: %w", err)
		}
		mark = st.At.Unix()
		last, _, err := tailFrom(q.Path, 0)
		if err != nil {
			f.Close()
			return err
		}
		mark = max(mark, last+1)
		if err := writeMark(q.markPath(), mark); err != nil {
			f.Close()
			return err
		}
	}
	_, n, err := tailFrom(q.Path, mark)
	if err != nil {
		f.Close()
		return err
	}
	q.f, q.mark, q.skip, q.ready, q.derived = f, mark, n, true, false
	if n > 0 {
		q.Log.Info("queue_log stream: lines after the mark were written before the restart; not written again",
			"file", q.Path, "mark", mark, "lines", n)
	}
	return nil
}

// Close closes the file.
func (q *QueueLogStream) Close() error {
	if q.f == nil {
		return nil
	}
	return q.f.Close()
}

// Run writes a slice every tick until ctx ends; a failed tick is logged and tried again.
func (q *QueueLogStream) Run(ctx context.Context) {
	every := q.Every
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := q.Step(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				q.Log.Warn("queue_log stream: not written; trying again", "file", q.Path, "err", err)
			}
			failing = true
		case err == nil:
			if failing {
				q.Log.Info("queue_log stream: writing again", "file", q.Path, "lines", n)
			}
			failing = false
		}
	}
}

// Step appends the lines of the seconds settled since the last step, and returns how many.
func (q *QueueLogStream) Step(ctx context.Context) (int, error) {
	if !q.ready {
		if q.f == nil {
			return 0, errors.New("queue_log stream: not open")
		}
		// A write failed, perhaps half done: start again from the file and the mark, as a
		// restart does.
		q.f.Close()
		q.f = nil
		if err := q.Open(ctx); err != nil {
			return 0, err
		}
	}
	st, err := q.Settled(ctx)
	if err != nil {
		return 0, fmt.Errorf("the journal's settled time: %w", err)
	}
	// The settled time's own second may have more events to come: up to the one before it.
	cut := st.At.Unix()
	if cut <= q.mark {
		return 0, nil
	}
	if !q.derived || st.Writes != q.writes {
		if q.pending, err = q.derive(ctx); err != nil {
			return 0, err
		}
		q.writes, q.derived = st.Writes, true
	}
	k := 0
	for k < len(q.pending) {
		if t, _ := lineTime(q.pending[k]); t >= cut {
			break
		}
		k++
	}
	slice := q.pending[:k]
	if q.skip > 0 {
		if len(slice) < q.skip {
			// The lines written before the restart reach further than this slice: wait for a
			// slice that holds them all.
			return 0, nil
		}
		// Written before the restart: the first lines of this slice.
		slice = slice[q.skip:]
	}
	n := len(slice)
	out := []byte(strings.Join(slice, ""))
	if len(out) > 0 {
		if err := q.reopenIfMoved(); err != nil {
			return 0, err
		}
		// One write: a tailing reader never sees half a slice, a crash leaves at most one line cut.
		if _, err := q.f.Write(out); err != nil {
			q.ready = false
			return 0, fmt.Errorf("write %s: %w", q.Path, err)
		}
		if err := q.f.Sync(); err != nil {
			q.ready = false
			return 0, fmt.Errorf("fsync %s: %w", q.Path, err)
		}
	}
	q.skip, q.pending = 0, q.pending[k:]
	if len(out) == 0 {
		// Nothing written: the saved mark may stay behind (a restart derives these seconds again,
		// finds them empty again), which spares two fsyncs a second on a quiet line.
		q.mark = cut
		return 0, nil
	}
	if err := writeMark(q.markPath(), cut); err != nil {
		q.ready = false // the lines are written: the next step counts them, as a restart does
		return n, err
	}
	q.mark = cut
	return n, nil
}

// derive returns the queue_log's lines from the mark on, each with its newline, in the export's
// order: what the journal holds now, read as `hotline export queue-log` reads it.
func (q *QueueLogStream) derive(ctx context.Context) ([]string, error) {
	from := time.Unix(q.mark, 0)
	var d ExportData
	var err error
	if d.Calls, err = q.Source.Calls(ctx, from.Add(-ExportLookback), time.Time{}); err != nil {
		return nil, err
	}
	if d.Operators, err = q.Source.Operators(ctx); err != nil {
		return nil, err
	}
	// Source.Presence takes a range with an end: none comes before the year 9999.
	if d.Presence, err = q.Source.Presence(ctx, from, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		return nil, err
	}
	if d.Rings, err = q.Source.Rings(ctx, from.Add(-ExportLookback), time.Time{}); err != nil {
		return nil, err
	}
	o := q.Options
	o.From, o.To, o.Lines, o.Progress = from, time.Time{}, true, nil
	var buf bytes.Buffer
	if _, err := WriteQueueLog(ctx, &buf, d, o); err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	return lines[:len(lines)-1], nil // after the last newline: ""
}

// reopenIfMoved opens the file again when its name no longer leads to the open file: logrotate
// renamed it (its default rotation, with create or without), or someone removed it. The lines
// written until now are in the renamed file, whole; the next ones go to the new file.
func (q *QueueLogStream) reopenIfMoved() error {
	named, err := os.Stat(q.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("queue_log stream: %w", err)
	}
	open, err2 := q.f.Stat()
	if err == nil && err2 == nil && os.SameFile(named, open) {
		return nil
	}
	f, err := os.OpenFile(q.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("queue_log stream: reopen after a rotation: %w", err)
	}
	q.f.Close()
	q.f = f
	q.Log.Info("queue_log stream: the file was rotated; writing to a new one", "file", q.Path)
	return nil
}

// readMark reads the high-water mark; 0 when there is none yet.
func readMark(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("queue_log stream: %w", err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("queue_log stream: %s is not a mark (a Unix second): %q; remove it to start the stream from now", path, b)
	}
	return v, nil
}

// writeMark replaces the mark atomically: a temporary file, fsynced, renamed, the directory fsynced.
func writeMark(path string, v int64) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(v, 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("queue_log stream: %w", err)
	}
	f, err := os.Open(tmp)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		if d, derr := os.Open(filepath.Dir(path)); derr == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("queue_log stream: save the mark: %w", err)
	}
	return nil
}

// dropCutLine removes a last line without its newline: a write cut short by a crash.
func dropCutLine(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue_log stream: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	end := st.Size()
	const block = 64 << 10
	for pos := end; pos > 0; {
		n := min(int64(block), pos)
		pos -= n
		b := make([]byte, n)
		if _, err := f.ReadAt(b, pos); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("queue_log stream: %w", err)
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			keep := pos + int64(i) + 1
			if keep == end {
				return nil
			}
			return f.Truncate(keep)
		}
	}
	return f.Truncate(0)
}

// tailFrom reads the file's lines from its end back to the first whose time is before from: it
// returns the last line's time (0 without one) and how many lines at the end have a time at or
// after from.
func tailFrom(path string, from int64) (last int64, n int, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("queue_log stream: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		t, ok := lineTime(lines[i])
		if !ok {
			continue
		}
		if last == 0 {
			last = t
		}
		if from == 0 || t < from {
			break
		}
		n++
	}
	return last, n, nil
}

// lineTime is a queue_log line's time (its first field).
func lineTime(line string) (int64, bool) {
	head, _, ok := strings.Cut(line, "|")
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseInt(head, 10, 64)
	return t, err == nil
}
