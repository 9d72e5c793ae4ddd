package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMaintenanceProgress: db check and db backup with --progress say on standard error which
// step they are at and end the line with "done"; the result stays on standard output.
func TestMaintenanceProgress(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args  []string
		steps []string
	}{
		{[]string{"db", "check", "--progress"}, []string{"db check: integrity check", "db check: foreign keys: cases (", "db check: done"}},
		{[]string{"db", "backup", "--progress", filepath.Join(t.TempDir(), "copy.db")}, []string{"db backup: copying ", "db backup: checking the copy", "db backup: done"}},
	} {
		r := c.run(tc.args...)
		if r.code != 0 {
			t.Fatalf("hotline %s: exit %d: %s", strings.Join(tc.args, " "), r.code, r.err)
		}
		for _, s := range tc.steps {
			if !strings.Contains(r.err, s) {
				t.Errorf("hotline %s: stderr %q lacks %q", strings.Join(tc.args, " "), r.err, s)
			}
		}
		if strings.Contains(r.out, "\r") {
			t.Errorf("hotline %s: progress on standard output: %q", strings.Join(tc.args, " "), r.out)
		}
	}
	// Without --progress and without a terminal: nothing on stderr.
	if r := c.run("db", "check"); r.code != 0 || r.err != "" {
		t.Errorf("db check without --progress: exit %d, stderr %q; want 0 and nothing", r.code, r.err)
	}
}
