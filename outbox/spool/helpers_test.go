package spool_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-dev/hotline/outbox/spool"
)

// The tests write and read spool files with their own code, following the format documented
// in the package comment, so that a change to the format on one side only is caught.

const (
	testMagic     = "hotline-spool 1\n"
	testHeaderLen = len(testMagic) + 16 + 1
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func encRecord(seq uint64, data []byte) []byte {
	b := make([]byte, 16, 16+len(data))
	binary.LittleEndian.PutUint32(b[0:], uint32(len(data)))
	binary.LittleEndian.PutUint64(b[8:], seq)
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(append(b[8:16:16], data...), crcTable))
	return append(b, data...)
}

// encFile is a valid spool file holding recs as seqs 1, 2, ...
func encFile(gen string, recs ...[]byte) []byte {
	b := []byte(testMagic + gen + "\n")
	for i, r := range recs {
		b = append(b, encRecord(uint64(i)+1, r)...)
	}
	return b
}

// parsed is what a strict reading of a spool file finds: the header's generation (ok false if the
// header is not intact), the records up to the first one that is not intact, and where they end.
type parsed struct {
	ok   bool
	gen  string
	recs []spool.Record
	end  int
}

var genRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

func parse(b []byte, maxRecord int) parsed {
	var p parsed
	if len(b) < testHeaderLen || string(b[:len(testMagic)]) != testMagic ||
		!genRE.Match(b[len(testMagic):testHeaderLen-1]) || b[testHeaderLen-1] != '\n' {
		return p
	}
	p.ok, p.gen, p.end = true, string(b[len(testMagic):testHeaderLen-1]), testHeaderLen
	for {
		r := b[p.end:]
		if len(r) < 16 {
			return p
		}
		n := int(binary.LittleEndian.Uint32(r[0:]))
		sum := binary.LittleEndian.Uint32(r[4:])
		seq := binary.LittleEndian.Uint64(r[8:])
		if n > maxRecord || 16+n > len(r) || seq != uint64(len(p.recs))+1 ||
			crc32.Checksum(r[8:16+n], crcTable) != sum {
			return p
		}
		p.recs = append(p.recs, spool.Record{Seq: seq, Data: r[16 : 16+n]})
		p.end += 16 + n
	}
}

// logBuf collects a spool's log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func mustOpen(t testing.TB, path string, opt spool.Options) *spool.Spool {
	t.Helper()
	s, err := spool.Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustAppend(t testing.TB, s *spool.Spool, data ...[]byte) uint64 {
	t.Helper()
	first, err := s.Append(data...)
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// checkRecords fails unless got holds exactly the data want, with seqs 1, 2, ...
func checkRecords(t testing.TB, got []spool.Record, want ...[]byte) {
	t.Helper()
	checkRecordsFrom(t, got, 1, want...)
}

func checkRecordsFrom(t testing.TB, got []spool.Record, first uint64, want ...[]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d: %s", len(got), len(want), show(got))
	}
	for i, r := range got {
		if r.Seq != first+uint64(i) || !bytes.Equal(r.Data, want[i]) {
			t.Fatalf("record %d is {%d %q}, want {%d %q}", i, r.Seq, trunc(r.Data), first+uint64(i), trunc(want[i]))
		}
	}
}

func show(rs []spool.Record) string {
	var sb strings.Builder
	for _, r := range rs {
		sb.WriteString(" {")
		sb.WriteString(strings.TrimSpace(string(trunc(r.Data))))
		sb.WriteString("}")
	}
	return sb.String()
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func corruptFiles(t testing.TB, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".corrupt-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func data(n int, tag string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(strings.Repeat(tag, i+1))
	}
	return out
}
