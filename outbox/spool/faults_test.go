package spool_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/hotline-dev/hotline/outbox/spool"
)

// TestFailedWriteOrSyncForgetsTheUnsynced: whichever fsync fails (a failed Write's clean-up
// included), the records written since the last successful Sync are forgotten and never become
// durable by a later Sync: Linux reports a failed writeback once, so a later fsync returning nil
// says nothing about them.
func TestFailedWriteOrSyncForgetsTheUnsynced(t *testing.T) {
	eio := errors.New("injected I/O error")
	for _, tc := range []struct {
		name string
		fail map[string]bool // the operations that fail during the second step
		sync bool            // the second step is a Sync, not a Write
	}{
		{name: "write fails, its clean-up works", fail: map[string]bool{"write": true}},
		{name: "write fails, its clean-up fails", fail: map[string]bool{"write": true, "cut": true}},
		{name: "sync fails, its clean-up works", fail: map[string]bool{"sync": true}, sync: true},
		{name: "sync fails, its clean-up fails", fail: map[string]bool{"sync": true, "cut": true}, sync: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.spool")
			s := mustOpen(t, path, spool.Options{})
			mustAppend(t, s, []byte("kept"))
			if _, err := s.Write([]byte("unsynced")); err != nil {
				t.Fatal(err)
			}
			spool.SetFaults(s, func(op string) error {
				if tc.fail[op] {
					return eio
				}
				return nil
			})
			var err error
			if tc.sync {
				err = s.Sync()
			} else {
				_, err = s.Write([]byte("failed"))
			}
			if !errors.Is(err, eio) {
				t.Fatalf("the failing step returned %v, want the injected error", err)
			}
			spool.SetFaults(s, nil)
			if err := s.Sync(); err != nil {
				t.Fatalf("Sync after the failure: %v", err)
			}
			checkRecords(t, s.Pending(), []byte("kept"))
			if err := s.Release(t.Context(), 2); err == nil {
				t.Fatal("the record written before the failure was released: it was taken as durable")
			}
			if first, err := s.Write([]byte("next")); err != nil || first != 2 {
				t.Fatalf("Write after the failure: %d, %v; want seq 2 (the forgotten one's), nil", first, err)
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := mustOpen(t, path, spool.Options{})
			checkRecords(t, s2.Pending(), []byte("kept"), []byte("next"))
		})
	}
}
