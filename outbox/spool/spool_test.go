package spool_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/hotline-dev/hotline/outbox/spool"
)

func TestAppendPendingReleaseRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s := mustOpen(t, path, spool.Options{})
	gen := s.Generation()
	if !genRE.MatchString(gen) {
		t.Fatalf("generation %q is not 16 hex digits", gen)
	}
	if p := s.Pending(); len(p) != 0 {
		t.Fatalf("new spool has pending records: %s", show(p))
	}
	if n, oldest := s.Backlog(); n != 0 || !oldest.IsZero() {
		t.Fatalf("new spool's backlog is %d, %v", n, oldest)
	}

	before := time.Now()
	if first := mustAppend(t, s, []byte("a")); first != 1 {
		t.Fatalf("first seq %d, want 1", first)
	}
	if first := mustAppend(t, s, []byte("b"), []byte("c"), nil); first != 2 {
		t.Fatalf("second batch starts at %d, want 2", first)
	}
	after := time.Now()
	checkRecords(t, s.Pending(), []byte("a"), []byte("b"), []byte("c"), nil)
	if n, oldest := s.Backlog(); n != 4 || oldest.Before(before) || oldest.After(after) {
		t.Fatalf("backlog %d, %v; want 4, between %v and %v", n, oldest, before, after)
	}
	// The file holds what Pending says, in the documented format.
	if p := parse(readFile(t, path), spool.DefaultMaxRecord); !p.ok || p.gen != gen || len(p.recs) != 4 ||
		p.end != len(readFile(t, path)) {
		t.Fatalf("file: %+v", p)
	}

	for _, c := range []struct {
		upTo    uint64
		pending int
	}{{0, 4}, {1, 3}, {1, 3}, {3, 1}} {
		if err := s.Release(t.Context(), c.upTo); err != nil {
			t.Fatal(err)
		}
		if p := s.Pending(); len(p) != c.pending || p[0].Seq != 5-uint64(c.pending) {
			t.Fatalf("after Release(%d): pending %s", c.upTo, show(p))
		}
		if n, _ := s.Backlog(); n != c.pending {
			t.Fatalf("after Release(%d): backlog %d, want %d", c.upTo, n, c.pending)
		}
		if s.Generation() != gen {
			t.Fatalf("generation changed before everything was released")
		}
	}

	// Everything released: rotated to an empty file with a new generation.
	if err := s.Release(t.Context(), 4); err != nil {
		t.Fatal(err)
	}
	gen2 := s.Generation()
	if gen2 == gen || !genRE.MatchString(gen2) {
		t.Fatalf("generation after rotation %q (was %q)", gen2, gen)
	}
	if p := s.Pending(); len(p) != 0 {
		t.Fatalf("pending after full release: %s", show(p))
	}
	if n, oldest := s.Backlog(); n != 0 || !oldest.IsZero() {
		t.Fatalf("backlog after full release: %d, %v", n, oldest)
	}
	if b := readFile(t, path); string(b) != testMagic+gen2+"\n" {
		t.Fatalf("file after rotation: %q", b)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary file left after rotation: %v", err)
	}
	if first := mustAppend(t, s, []byte("d")); first != 1 {
		t.Fatalf("the new generation starts at seq %d", first)
	}
	checkRecords(t, s.Pending(), []byte("d"))
}

func TestReopen(t *testing.T) {
	for _, c := range []struct {
		name    string
		batches [][][]byte
		release uint64
		want    [][]byte // pending after reopen
		sameGen bool
	}{
		{"empty", nil, 0, nil, true},
		{"unreleased", [][][]byte{data(2, "x"), data(1, "y")}, 0, append(data(2, "x"), data(1, "y")...), true},
		// Releases are not persisted: every record of the file comes back (at least once).
		{"partly released", [][][]byte{data(5, "z")}, 3, data(5, "z"), true},
		{"fully released", [][][]byte{data(3, "w")}, 3, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.spool")
			s, err := spool.Open(path, spool.Options{})
			if err != nil {
				t.Fatal(err)
			}
			gen := s.Generation()
			for _, b := range c.batches {
				mustAppend(t, s, b...)
			}
			if err := s.Release(t.Context(), c.release); err != nil {
				t.Fatal(err)
			}
			genAtClose := s.Generation()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			var log logBuf
			s = mustOpen(t, path, spool.Options{Logger: log.logger()})
			checkRecords(t, s.Pending(), c.want...)
			if g := s.Generation(); (g == gen) != c.sameGen || g != genAtClose {
				t.Fatalf("generation %s after reopen; first %s, at close %s", g, gen, genAtClose)
			}
			if n, oldest := s.Backlog(); n != len(c.want) || (n > 0) == oldest.IsZero() {
				t.Fatalf("backlog %d, %v", n, oldest)
			}
			if strings.Contains(log.String(), "level=WARN") || strings.Contains(log.String(), "level=ERROR") {
				t.Fatalf("a clean reopen logged:\n%s", log.String())
			}
			// Appends continue the generation's seqs.
			if first := mustAppend(t, s, []byte("more")); first != uint64(len(c.want))+1 {
				t.Fatalf("append after reopen got seq %d", first)
			}
			if err := s.Release(t.Context(), uint64(len(c.want))+1); err != nil {
				t.Fatal(err)
			}
			if s.Generation() == genAtClose {
				t.Fatal("no rotation after releasing the recovered records and a new one")
			}
		})
	}
}

func TestReleaseErrorsAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s, err := spool.Open(path, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gen := s.Generation()
	if err := s.Release(t.Context(), 1); err == nil || !strings.Contains(err.Error(), "only 0 records") {
		t.Fatalf("Release past the last record: %v", err)
	}
	mustAppend(t, s, data(2, "a")...)
	if err := s.Release(t.Context(), 3); err == nil {
		t.Fatal("Release(3) of 2 records succeeded")
	}
	if s.Generation() != gen || len(s.Pending()) != 2 {
		t.Fatal("a failed Release changed the spool")
	}
	if first, err := s.Append(); first != 0 || err != nil {
		t.Fatalf("empty Append: %d, %v", first, err)
	}
	if len(s.Pending()) != 2 {
		t.Fatal("an empty Append added records")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append([]byte("x")); !errors.Is(err, spool.ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if err := s.Release(t.Context(), 2); !errors.Is(err, spool.ErrClosed) {
		t.Fatalf("Release after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s = mustOpen(t, path, spool.Options{})
	checkRecords(t, s.Pending(), data(2, "a")...)
}

func TestAppendTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s := mustOpen(t, path, spool.Options{MaxRecord: 100})
	mustAppend(t, s, make([]byte, 100)) // the limit itself is allowed
	size := len(readFile(t, path))

	_, err := s.Append([]byte("ok"), make([]byte, 101), []byte("ok"))
	if !errors.Is(err, spool.ErrTooLarge) {
		t.Fatalf("101-byte record: %v", err)
	}
	for _, want := range []string{path, "record 2 of 3", "101 bytes", "100-byte limit", "MaxRecord"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := len(readFile(t, path)); n != size {
		t.Fatalf("file grew from %d to %d bytes", size, n)
	}
	checkRecords(t, s.Pending(), make([]byte, 100))
	if first := mustAppend(t, s, []byte("next")); first != 2 {
		t.Fatalf("seq after a refused batch: %d, want 2", first)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, path string
		opt        spool.Options
		is         error
	}{
		{"a directory", dir, spool.Options{}, nil},
		{"no parent directory", filepath.Join(dir, "missing", "s.spool"), spool.Options{}, fs.ErrNotExist},
		{"negative MaxRecord", filepath.Join(dir, "s.spool"), spool.Options{MaxRecord: -1}, nil},
		{"huge MaxRecord", filepath.Join(dir, "s.spool"), spool.Options{MaxRecord: 1 << 31}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := spool.Open(c.path, c.opt)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.path) {
				t.Errorf("error %q does not name %s", err, c.path)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
		})
	}

	t.Run("unreadable file", func(t *testing.T) {
		if os.Getuid() == 0 {
			t.Skip("root reads any file")
		}
		path := filepath.Join(t.TempDir(), "s.spool")
		if err := os.WriteFile(path, encFile("0123456789abcdef"), 0o200); err != nil {
			t.Fatal(err)
		}
		_, err := spool.Open(path, spool.Options{})
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open of a write-only file: %v", err)
		}
	})
}

func TestFileModeAndLeftoverTmp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.spool")
	if err := os.WriteFile(path+".tmp", []byte("half a rotation"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, path, spool.Options{})
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the leftover .tmp is still there: %v", err)
	}
	check := func(when string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, want 0600", when, fi.Mode().Perm())
		}
	}
	check("created")
	mustAppend(t, s, []byte("x"))
	if err := s.Release(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	check("rotated")
}

// A rotation that fails leaves the records released and the old file in use; the next Release
// retries it.
func TestRotationFailureIsRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s := mustOpen(t, path, spool.Options{})
	gen := s.Generation()
	mustAppend(t, s, data(2, "a")...)
	// A non-empty directory where the temporary file goes: create cannot remove it.
	if err := os.MkdirAll(filepath.Join(path+".tmp", "blocker"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(t.Context(), 2); err == nil || !strings.Contains(err.Error(), path+".tmp") {
		t.Fatalf("Release with a blocked rotation: %v", err)
	}
	if len(s.Pending()) != 0 || s.Generation() != gen {
		t.Fatalf("after a failed rotation: pending %s, generation %s (was %s)", show(s.Pending()), s.Generation(), gen)
	}
	// The old file still takes appends, in its generation.
	if first := mustAppend(t, s, []byte("b")); first != 3 {
		t.Fatalf("append after a failed rotation got seq %d, want 3", first)
	}
	if err := s.Release(t.Context(), 2); err != nil { // nothing to rotate yet: seq 3 is pending
		t.Fatal(err)
	}
	if err := os.RemoveAll(path + ".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	if s.Generation() == gen {
		t.Fatal("not rotated once the way was clear")
	}
	if b := readFile(t, path); string(b) != testMagic+s.Generation()+"\n" {
		t.Fatalf("file after the rotation: %q", b)
	}
}

func TestConcurrentAppends(t *testing.T) {
	const writers, perWriter = 6, 40
	path := filepath.Join(t.TempDir(), "s.spool")
	s := mustOpen(t, path, spool.Options{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < perWriter; {
				n := min(1+i%3, perWriter-i)
				batch := make([][]byte, n)
				for j := range batch {
					batch[j] = fmt.Appendf(nil, "w%d-%d", w, i+j)
				}
				if _, err := s.Append(batch...); err != nil {
					t.Error(err)
					return
				}
				i += n
			}
		})
	}
	wg.Add(1)
	go func() { // readers run alongside
		defer wg.Done()
		for range 50 {
			s.Pending()
			s.Backlog()
			s.Generation()
		}
	}()
	wg.Wait()

	check := func(rs []spool.Record) {
		t.Helper()
		seen := map[string]bool{}
		next := map[int]int{} // each writer's records are in its order
		for i, r := range rs {
			if r.Seq != uint64(i)+1 {
				t.Fatalf("record %d has seq %d", i, r.Seq)
			}
			var w, k int
			if _, err := fmt.Sscanf(string(r.Data), "w%d-%d", &w, &k); err != nil || seen[string(r.Data)] || k != next[w] {
				t.Fatalf("record %q: duplicate, out of its writer's order, or garbled", r.Data)
			}
			seen[string(r.Data)] = true
			next[w]++
		}
		if len(seen) != writers*perWriter {
			t.Fatalf("%d records, want %d", len(seen), writers*perWriter)
		}
	}
	check(s.Pending())
	s.Close()
	check(mustOpen(t, path, spool.Options{}).Pending())
}

// Released records are not kept in memory.
func TestReleasedDataIsFreed(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "s.spool"), spool.Options{})
	mustAppend(t, s, make([]byte, 1000), make([]byte, 1000), make([]byte, 1000))
	p := s.Pending()
	first, third := weak.Make(&p[0].Data[0]), weak.Make(&p[2].Data[0])
	p = nil
	if err := s.Release(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	if first.Value() != nil {
		t.Fatal("a released record's data is still reachable")
	}
	if third.Value() == nil {
		t.Fatal("a pending record's data was collected")
	}
	runtime.KeepAlive(s)
}

// With RotateAt, a full release below the threshold keeps the file (and its generation): after a
// crash its records come back (at least once); a clean Close leaves nothing to replay; past the
// threshold a full release rotates.
func TestRotateAt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s := mustOpen(t, path, spool.Options{RotateAt: 4096})
	gen := s.Generation()
	first := mustAppend(t, s, data(3, "a")...)
	if err := s.Release(t.Context(), first+2); err != nil {
		t.Fatal(err)
	}
	if s.Generation() != gen || len(s.Pending()) != 0 {
		t.Fatalf("after a full release below RotateAt: generation %s (was %s), %d pending", s.Generation(), gen, len(s.Pending()))
	}
	// A crash now: what the next start reads is the file as it is (a copy: s holds the lock).
	crashed := mustOpen(t, crashImage(t, path), spool.Options{RotateAt: 4096})
	checkRecords(t, crashed.Pending(), data(3, "a")...)
	if crashed.Generation() != gen {
		t.Fatalf("generation after the crash %s, want %s", crashed.Generation(), gen)
	}
	crashed.Close()

	// Past the threshold, a full release rotates.
	big := make([]byte, 5000)
	n := mustAppend(t, s, big)
	if err := s.Release(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if s.Generation() == gen {
		t.Fatal("no rotation after a full release past RotateAt")
	}
	gen = s.Generation()
	n = mustAppend(t, s, []byte("x"))
	if err := s.Release(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, path, spool.Options{RotateAt: 4096})
	if len(again.Pending()) != 0 || again.Generation() == gen {
		t.Fatalf("after a clean close with everything released: %d pending, generation %s (was %s)", len(again.Pending()), again.Generation(), gen)
	}
	if _, err := spool.Open(filepath.Join(t.TempDir(), "x"), spool.Options{RotateAt: -1}); err == nil {
		t.Error("negative RotateAt accepted")
	}
}

// crashImage copies the spool file at path, as a process killed now would leave it, to a new path.
func crashImage(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "crashed.spool")
	if err := os.WriteFile(img, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return img
}

// A second Open of a spool in use is refused with a clear error, and leaves the file alone; once
// the first is closed, it opens.
func TestSecondOpenRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s := mustOpen(t, path, spool.Options{})
	mustAppend(t, s, []byte("one"))
	if _, err := spool.Open(path, spool.Options{}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open: %v, want in use", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, path, spool.Options{})
	checkRecords(t, again.Pending(), []byte("one"))
}

// Write puts records in the file at once (a kill -9 of the process cannot lose them: a copy of the
// file as it is now has them) without the fsync; they cannot be released before a Sync, which
// makes every record written so far durable; an Append after Writes syncs them too; Close syncs
// what is written and keeps it for the next Open.
func TestWriteThenSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s := mustOpen(t, path, spool.Options{})
	first, err := s.Write([]byte("a"), []byte("b"))
	if err != nil || first != 1 {
		t.Fatalf("Write: %d, %v; want 1, nil", first, err)
	}
	if first, err := s.Write([]byte("c")); err != nil || first != 3 {
		t.Fatalf("second Write: %d, %v; want 3, nil", first, err)
	}
	if p := parse(readFile(t, path), spool.DefaultMaxRecord); !p.ok || len(p.recs) != 3 {
		t.Fatalf("the file after Write (what a kill -9 leaves): %+v; want 3 records", p)
	}
	checkRecords(t, s.Pending(), []byte("a"), []byte("b"), []byte("c"))
	if err := s.Release(t.Context(), 1); err == nil {
		t.Fatal("Release of a record written and not synced succeeded: it could be dropped before it is durable")
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(t.Context(), 3); err != nil {
		t.Fatalf("Release after Sync: %v", err)
	}
	if first, err := s.Write([]byte("d")); err != nil || first != 1 {
		t.Fatalf("Write after the rotation: %d, %v; want 1, nil", first, err)
	}
	if first := mustAppend(t, s, []byte("e")); first != 2 {
		t.Fatalf("Append after a Write: seq %d, want 2", first)
	}
	if err := s.Release(t.Context(), 2); err != nil {
		t.Fatalf("Release of a Write synced by the Append after it: %v", err)
	}
	if _, err := s.Write([]byte("f")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("g")); !errors.Is(err, spool.ErrClosed) {
		t.Fatalf("Write after Close: %v, want ErrClosed", err)
	}
	if err := s.Sync(); !errors.Is(err, spool.ErrClosed) {
		t.Fatalf("Sync after Close: %v, want ErrClosed", err)
	}
	s2 := mustOpen(t, path, spool.Options{})
	checkRecords(t, s2.Pending(), []byte("f")) // d and e were released (and rotated away)
}
