package spool_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/outbox/spool"
)

const testGen = "0123456789abcdef"

// recoveryRecords are the records of the crash and damage tests: an empty one, small ones, and
// one of the size the journal writer queues.
var recoveryRecords = [][]byte{[]byte("first"), nil, []byte("x"), bytes.Repeat([]byte("journal "), 38), []byte("last one")}

// A crash cuts the file anywhere: at every length, Open recovers exactly the records that end
// before the cut, silently (bar the log) and without calling it damage; the file then takes
// appends and reopens cleanly.
func TestTruncatedAtEveryLength(t *testing.T) {
	full := encFile(testGen, recoveryRecords...)
	ends := []int{testHeaderLen} // where each record ends
	for _, r := range recoveryRecords {
		ends = append(ends, ends[len(ends)-1]+16+len(r))
	}
	dir := t.TempDir()
	for cut := 0; cut <= len(full); cut++ {
		path := filepath.Join(dir, fmt.Sprintf("cut%d.spool", cut))
		if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		var log logBuf
		s, err := spool.Open(path, spool.Options{Logger: log.logger()})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		complete := 0
		for complete < len(recoveryRecords) && ends[complete+1] <= cut {
			complete++
		}
		func() {
			defer func() {
				if t.Failed() {
					t.Logf("cut at %d of %d; log:\n%s", cut, len(full), log.String())
				}
			}()
			checkRecords(t, s.Pending(), recoveryRecords[:complete]...)
			if m := corruptFiles(t, path); len(m) != 0 {
				t.Fatalf("a crash's cut was taken for damage: %v", m)
			}
			gen := s.Generation()
			wantSize := ends[complete]
			if cut >= testHeaderLen {
				if gen != testGen {
					t.Fatalf("generation %s, want the file's %s", gen, testGen)
				}
			} else if !genRE.MatchString(gen) {
				t.Fatalf("generation %q", gen)
			}
			if got := readFile(t, path); !bytes.Equal(got, encFile(gen, recoveryRecords[:complete]...)) || len(got) != wantSize {
				t.Fatalf("file after recovery (%d bytes): %q", len(got), trunc(got))
			}
			if dropped := cut - ends[complete]; cut > testHeaderLen && dropped > 0 &&
				!strings.Contains(log.String(), "dropped_bytes="+strconv.Itoa(dropped)) {
				t.Fatalf("the log does not say %d bytes were dropped:\n%s", dropped, log.String())
			}

			if first := mustAppend(t, s, []byte("after")); first != uint64(complete)+1 {
				t.Fatalf("append after recovery got seq %d", first)
			}
			s.Close()
			var log2 logBuf
			s2 := mustOpen(t, path, spool.Options{Logger: log2.logger()})
			checkRecords(t, s2.Pending(), append(recoveryRecords[:complete:complete], []byte("after"))...)
			if s2.Generation() != gen || strings.Contains(log2.String(), "WARN") || strings.Contains(log2.String(), "ERROR") {
				t.Fatalf("reopen: generation %s (want %s), log:\n%s", s2.Generation(), gen, log2.String())
			}
			s2.Close()
		}()
		if t.Failed() {
			return
		}
	}
}

// Tails that an interrupted append can leave besides a clean cut.
func TestTornTails(t *testing.T) {
	full := encFile(testGen, recoveryRecords...)
	lastStart := len(full) - 16 - len(recoveryRecords[4])
	for _, c := range []struct {
		name string
		file []byte
		keep int // records recovered
	}{
		{"last record's data damaged", flip(full, len(full)-2), 4},
		{"last record's CRC damaged", flip(full, lastStart+5), 4},
		{"last record's seq damaged", flip(full, lastStart+9), 4},
		{"zeros after the last record", append(bytes.Clone(full), make([]byte, 300)...), 5},
		{"zeros over the last record and after", append(zeroFrom(full, lastStart), make([]byte, 1000)...), 4},
		{"last record's data half zeros, then zeros", append(zeroFrom(full, len(full)-4), make([]byte, 100)...), 4},
		{"partial record of garbage", append(bytes.Clone(full), encRecord(6, []byte("garbage garbage"))[:20]...), 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.spool")
			if err := os.WriteFile(path, c.file, 0o600); err != nil {
				t.Fatal(err)
			}
			var log logBuf
			s := mustOpen(t, path, spool.Options{Logger: log.logger()})
			checkRecords(t, s.Pending(), recoveryRecords[:c.keep]...)
			if s.Generation() != testGen {
				t.Fatalf("generation %s, want %s", s.Generation(), testGen)
			}
			if m := corruptFiles(t, path); len(m) != 0 {
				t.Fatalf("a torn tail was taken for damage: %v", m)
			}
			want := encFile(testGen, recoveryRecords[:c.keep]...)
			if !bytes.Equal(readFile(t, path), want) {
				t.Fatal("the torn tail was not cut off the file")
			}
			if !strings.Contains(log.String(), "level=WARN") ||
				!strings.Contains(log.String(), fmt.Sprintf("dropped_bytes=%d", len(c.file)-len(want))) {
				t.Fatalf("log:\n%s", log.String())
			}
		})
	}
}

// Damage that no crash leaves: the file is kept aside, the records before the damage are
// recovered under a new generation, and the spool goes on.
func TestDamage(t *testing.T) {
	full := encFile(testGen, recoveryRecords...)
	off := []int{testHeaderLen} // where each record starts
	for _, r := range recoveryRecords {
		off = append(off, off[len(off)-1]+16+len(r))
	}
	setLen := func(rec int, n uint32) []byte {
		b := bytes.Clone(full)
		binary.LittleEndian.PutUint32(b[off[rec]:], n)
		return b
	}
	seqs := func(seqs ...uint64) []byte {
		b := []byte(testMagic + testGen + "\n")
		for i, s := range seqs {
			b = append(b, encRecord(s, recoveryRecords[i])...)
		}
		return b
	}
	for _, c := range []struct {
		name   string
		file   []byte
		keep   int // records recovered
		reason string
	}{
		{"middle record's data", flip(full, off[3]+16+100), 3, "CRC mismatch"},
		{"middle record's CRC", flip(full, off[2]+4), 2, "CRC mismatch"},
		{"middle record's seq", flip(full, off[1]+8), 1, "CRC mismatch"},
		{"first record's length shortened", setLen(0, 2), 0, "CRC mismatch"},
		{"a length over MaxRecord", setLen(3, spool.DefaultMaxRecord+1), 3, "over MaxRecord"},
		{"a length running past the end, records after it", setLen(2, 400), 2, "runs past the end"},
		{"seq skipped", seqs(1, 2, 4, 5), 2, "seq 4 out of order"},
		{"seq repeated", seqs(1, 1), 1, "seq 1 out of order"},
		{"first seq not 1", seqs(2, 3), 0, "seq 2 out of order"},
		{"last record's seq out of order", seqs(1, 2, 3, 3), 3, "out of order"},
		{"garbage after a bad record", append(flip(full, len(full)-1), "more"...), 4, "CRC mismatch"},
		{"magic of another version", append([]byte("hotline-spool 2\n"), full[len(testMagic):]...), 0, "bad header"},
		{"not a spool", []byte("SQLite format 3\x00 and so on and so forth, a database"), 0, "bad header"},
		{"short, not a spool", []byte("SQLite"), 0, "bad header"},
		{"uppercase generation", append([]byte(testMagic+"0123456789ABCDEF\n"), full[testHeaderLen:]...), 0, "bad header"},
		{"header without its newline", append([]byte(testMagic+testGen+" "), full[testHeaderLen:]...), 0, "bad header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.spool")
			if err := os.WriteFile(path, c.file, 0o600); err != nil {
				t.Fatal(err)
			}
			var log logBuf
			s := mustOpen(t, path, spool.Options{Logger: log.logger()})
			checkRecords(t, s.Pending(), recoveryRecords[:c.keep]...)
			gen := s.Generation()
			if gen == testGen || !genRE.MatchString(gen) {
				t.Fatalf("generation %q after damage, want a new one", gen)
			}
			m := corruptFiles(t, path)
			if len(m) != 1 {
				t.Fatalf("kept files: %v", m)
			}
			if !bytes.Equal(readFile(t, m[0]), c.file) {
				t.Fatal("the kept file is not the damaged file")
			}
			if fi, err := os.Stat(m[0]); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("kept file: %v, %v", fi.Mode(), err)
			}
			l := log.String()
			if !strings.Contains(l, "level=ERROR") || !strings.Contains(l, m[0]) || !strings.Contains(l, c.reason) {
				t.Fatalf("the log does not say ERROR, %s and %q:\n%s", m[0], c.reason, l)
			}
			// The recovered records are durable under the new generation.
			if !bytes.Equal(readFile(t, path), encFile(gen, recoveryRecords[:c.keep]...)) {
				t.Fatalf("new file: %q", trunc(readFile(t, path)))
			}
			if first := mustAppend(t, s, []byte("after")); first != uint64(c.keep)+1 {
				t.Fatalf("append after recovery got seq %d", first)
			}
			s.Close()
			s = mustOpen(t, path, spool.Options{})
			checkRecords(t, s.Pending(), append(recoveryRecords[:c.keep:c.keep], []byte("after"))...)
			if s.Generation() != gen || len(corruptFiles(t, path)) != 1 {
				t.Fatal("reopen changed the generation or found damage again")
			}
		})
	}
}

// A second damaged file within the same second does not overwrite the first one kept aside.
func TestDamageKeptAsideTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	var kept [][]byte
	for i := range 3 {
		bad := fmt.Appendf(nil, "not a spool, number %d", i)
		kept = append(kept, bad)
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := spool.Open(path, spool.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	m := corruptFiles(t, path)
	if len(m) != 3 {
		t.Fatalf("kept files: %v", m)
	}
	for _, want := range kept {
		found := false
		for _, name := range m {
			found = found || bytes.Equal(readFile(t, name), want)
		}
		if !found {
			t.Fatalf("%q was not kept", want)
		}
	}
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0x40
	return b
}

func zeroFrom(b []byte, i int) []byte {
	b = bytes.Clone(b)
	clear(b[i:])
	return b
}

const crashEnv = "HOTLINE_SPOOL_CRASH_CHILD" // set: this process appends until killed

func payload(gen string, seq uint64) []byte {
	return fmt.Appendf(nil, "%s:%d:%s", gen, seq, strings.Repeat("p", int(seq%300)))
}

// TestKillDuringAppends re-runs the test binary as a child that appends batches (and now and
// then releases them all, rotating the file), reporting each acknowledged Append and each
// Release before it is made; the parent kill -9s it and checks that every acknowledged record
// is back, unless it was about to be released.
func TestKillDuringAppends(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "s.spool")
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringAppends$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := map[string]uint64{} // generation -> last acknowledged seq
		var lastGen string
		var releasing bool // the last line announced a Release of everything in lastGen
		sc := bufio.NewScanner(out)
		killAfter := 40 + 50*round
		for lines := 0; sc.Scan(); lines++ {
			var verb, gen string
			var seq uint64
			if _, err := fmt.Sscan(sc.Text(), &verb, &gen, &seq); err != nil {
				t.Fatalf("child said %q", sc.Text())
			}
			lastGen, releasing = gen, verb == "release"
			if verb == "acked" {
				acked[gen] = seq
			}
			if lines == killAfter { // and read on: what the child wrote before dying counts
				time.Sleep(time.Duration(round) * 200 * time.Microsecond)
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		cmd.Wait()
		if lastGen == "" {
			t.Fatal("the child reported nothing")
		}

		var log logBuf
		s, err := spool.Open(path, spool.Options{Logger: log.logger()})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(log.String(), "ERROR") || len(corruptFiles(t, path)) > 0 {
			t.Fatalf("round %d: a kill was taken for damage:\n%s", round, log.String())
		}
		p := s.Pending()
		switch gen := s.Generation(); {
		case gen == lastGen:
			if uint64(len(p)) < acked[gen] {
				t.Fatalf("round %d: %d records in generation %s, %d were acknowledged", round, len(p), gen, acked[gen])
			}
		case releasing:
			// Killed during or after the rotation: the file is the new generation, which holds
			// at most appends the child had not reported yet.
			if acked[gen] > 0 {
				t.Fatalf("round %d: generation %s was reported before, it cannot be new", round, gen)
			}
		default:
			t.Fatalf("round %d: generation %s, but the child last used %s and was not releasing", round, gen, lastGen)
		}
		for i, r := range p {
			if r.Seq != uint64(i)+1 || !bytes.Equal(r.Data, payload(s.Generation(), r.Seq)) {
				t.Fatalf("round %d: record %d is {%d %q}", round, i, r.Seq, trunc(r.Data))
			}
		}
		t.Logf("round %d: killed after %d acknowledged records of %s; %d recovered", round, acked[lastGen], lastGen, len(p))
		s.Close()
	}
}

func crashChild(path string) {
	s, err := spool.Open(path, spool.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		gen := s.Generation()
		last := uint64(len(s.Pending())) // nothing is released but by rotation here
		n := 1 + i%5
		batch := make([][]byte, n)
		for j := range batch {
			batch[j] = payload(gen, last+uint64(j)+1)
		}
		first, err := s.Append(batch...)
		if err != nil || first != last+1 {
			fmt.Fprintln(os.Stderr, "append:", first, err)
			os.Exit(2)
		}
		fmt.Fprintf(w, "acked %s %d\n", gen, first+uint64(n)-1)
		if i%9 == 8 {
			fmt.Fprintf(w, "release %s %d\n", gen, first+uint64(n)-1)
			w.Flush()
			if err := s.Release(context.Background(), first+uint64(n)-1); err != nil {
				fmt.Fprintln(os.Stderr, "release:", err)
				os.Exit(2)
			}
		}
		w.Flush()
	}
}

const fsizeEnv = "HOTLINE_SPOOL_FSIZE_CHILD" // set: this process appends under a file size limit

// An Append that fails half-way (here: the file size limit, RLIMIT_FSIZE, cuts its write short)
// leaves nothing in the file: the next Append's records follow the last good one, and the file
// reopens without a torn tail or damage.
func TestFailedAppendLeavesNoTrace(t *testing.T) {
	if path := os.Getenv(fsizeEnv); path != "" {
		fsizeChild(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "s.spool")
	cmd := exec.Command(os.Args[0], "-test.run=^TestFailedAppendLeavesNoTrace$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), fsizeEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err == nil && strings.Contains(string(out), "--- SKIP") {
		t.Skipf("child: %s", out)
	}
	if err != nil || !strings.Contains(string(out), "refused as expected") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var log logBuf
	s := mustOpen(t, path, spool.Options{Logger: log.logger()})
	checkRecords(t, s.Pending(), []byte("before"), []byte("after"))
	if strings.Contains(log.String(), "WARN") || strings.Contains(log.String(), "ERROR") {
		t.Fatalf("the failed append left a trace:\n%s", log.String())
	}
}

func fsizeChild(t *testing.T, path string) {
	s := mustOpen(t, path, spool.Options{})
	mustAppend(t, s, []byte("before"))
	// Room for a few hundred more bytes: the batch below is cut short.
	size := int64(len(readFile(t, path)))
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(size) + 400, Max: uint64(size) + 400}); err != nil {
		t.Skip("cannot set RLIMIT_FSIZE:", err)
	}
	_, err := s.Append(bytes.Repeat([]byte("a"), 300), bytes.Repeat([]byte("b"), 300))
	if err == nil || !strings.Contains(err.Error(), path+": append: write: file too large") {
		t.Fatalf("an append over the file size limit: %v", err)
	}
	t.Log("refused as expected:", err)
	if n := int64(len(readFile(t, path))); n != size {
		t.Fatalf("after the failed append the file is %d bytes, was %d", n, size)
	}
	if first := mustAppend(t, s, []byte("after")); first != 2 {
		t.Fatalf("seq after a failed append: %d, want 2", first)
	}
}
