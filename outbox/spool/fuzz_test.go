package spool_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hotline-dev/hotline/outbox/spool"
)

// FuzzOpen opens files of any content. Open must not fail or panic. It must return exactly the
// intact records that a strict reading finds before the first flaw, so never a record whose CRC
// is wrong. The file must be left holding exactly those records (cut, or rewritten under a new
// generation with the original kept aside). A reopen must give the same Pending and Generation.
func FuzzOpen(f *testing.F) {
	const maxRecord = 1 << 12
	f.Add([]byte{})
	f.Add(encFile(testGen))
	f.Add(encFile(testGen, []byte("one")))
	f.Add(encFile("fedcba9876543210", []byte("a"), nil, bytes.Repeat([]byte("journal "), 38), []byte("b")))
	torn := encFile(testGen, []byte("a"), []byte("bb"), []byte("ccc"))
	f.Add(torn[:len(torn)-2])
	f.Add(flip(torn, testHeaderLen+16))
	f.Add(append(bytes.Clone(torn), make([]byte, 40)...))
	f.Add([]byte("hotline-spool 1\n0123"))

	f.Fuzz(func(t *testing.T, file []byte) {
		path := filepath.Join(t.TempDir(), "s.spool")
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := spool.Open(path, spool.Options{MaxRecord: maxRecord})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		ref := parse(file, maxRecord)
		got, gen := s.Pending(), s.Generation()
		if len(got) != len(ref.recs) {
			t.Fatalf("%d records, a strict reading finds %d", len(got), len(ref.recs))
		}
		for i, r := range got {
			if r.Seq != ref.recs[i].Seq || !bytes.Equal(r.Data, ref.recs[i].Data) {
				t.Fatalf("record %d is {%d %q}, want {%d %q}", i, r.Seq, trunc(r.Data), ref.recs[i].Seq, trunc(ref.recs[i].Data))
			}
		}
		if !genRE.MatchString(gen) {
			t.Fatalf("generation %q", gen)
		}
		now := readFile(t, path)
		switch kept := corruptFiles(t, path); {
		case len(kept) > 1:
			t.Fatalf("kept files: %v", kept)
		case len(kept) == 1: // damage
			if !bytes.Equal(readFile(t, kept[0]), file) {
				t.Fatal("the kept file is not the original")
			}
			if gen == ref.gen {
				t.Fatal("damage recovered under the old generation")
			}
			if !bytes.Equal(now, encFile(gen, recordData(got)...)) {
				t.Fatal("the new file does not hold exactly the recovered records")
			}
		case ref.ok: // intact or torn tail: cut after the last intact record
			if gen != ref.gen || !bytes.Equal(now, file[:ref.end]) {
				t.Fatalf("generation %s (file's %s); file %d bytes, want the first %d", gen, ref.gen, len(now), ref.end)
			}
		default: // no intact header, not damage: a (prefix of a) header only
			if len(file) >= testHeaderLen || !bytes.HasPrefix([]byte(testMagic+gen), file[:min(len(file), len(testMagic))]) {
				t.Fatalf("%q was neither kept aside nor a torn header", trunc(file))
			}
			if !bytes.Equal(now, encFile(gen)) {
				t.Fatalf("file %q", trunc(now))
			}
		}
		s.Close()

		s2, err := spool.Open(path, spool.Options{MaxRecord: maxRecord})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s2.Close()
		if s2.Generation() != gen || len(corruptFiles(t, path)) > 1 {
			t.Fatalf("reopen: generation %s, want %s; kept files %v", s2.Generation(), gen, corruptFiles(t, path))
		}
		checkRecords(t, s2.Pending(), recordData(got)...)
	})
}

func recordData(rs []spool.Record) [][]byte {
	out := make([][]byte, len(rs))
	for i, r := range rs {
		out[i] = r.Data
	}
	return out
}
