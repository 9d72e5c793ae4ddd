package spool_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/outbox/spool"
)

// BenchmarkAppend appends batches of ~300-byte records (a journal write's size), each batch one
// write and one fsync. All but the last batch are released, so memory stays flat and the file
// is never rotated.
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			s := mustOpen(b, filepath.Join(b.TempDir(), "bench.spool"), spool.Options{})
			batch := make([][]byte, n)
			for i := range batch {
				batch[i] = bytes.Repeat([]byte{'j'}, 300)
			}
			b.SetBytes(int64(300 * n))
			for b.Loop() {
				first, err := s.Append(batch...)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Release(b.Context(), first-1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkAppendReleaseRotate is the cycle of a consumer that keeps up: append one record,
// apply it, release it, which rotates the file (a new file fsynced, renamed, directory fsynced).
func BenchmarkAppendReleaseRotate(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "bench.spool"), spool.Options{})
	rec := bytes.Repeat([]byte{'j'}, 300)
	for b.Loop() {
		first, err := s.Append(rec)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Release(b.Context(), first); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteSync is the outbox's sync window at a hotline's pace: records written one at a
// time (each its own write, as the writes of different calls come), and one fsync for every n of
// them. n=1 is an Append per record, what the spool did without the window.
func BenchmarkWriteSync(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("records-per-fsync=%d", n), func(b *testing.B) {
			s := mustOpen(b, filepath.Join(b.TempDir(), "bench.spool"), spool.Options{RotateAt: 1 << 20})
			rec := bytes.Repeat([]byte{'j'}, 300)
			i := 0
			cpu0 := processCPU(b)
			for b.Loop() {
				first, err := s.Write(rec)
				if err != nil {
					b.Fatal(err)
				}
				if i++; i%n == 0 {
					if err := s.Sync(); err != nil {
						b.Fatal(err)
					}
					if err := s.Release(b.Context(), first); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
		})
	}
}

// processCPU is the process's CPU time so far, user and kernel (an fsync's cost is mostly the
// kernel's).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
