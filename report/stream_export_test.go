package report

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/journal"
)

// TestExportsStreamedAsWritten: the streamed exports (Source.WriteQueueLog, Source.WriteCDR)
// write byte for byte what WriteQueueLog and WriteCDR write from the whole range in memory, on a
// synthetic journal (transfers, rings, callbacks, presence), with and without a window.
func TestExportsStreamedAsWritten(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hotline.db")
	st, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, 0, -20)
	// Few operators and many cases: callers wait in the queue together, so positions above 1.
	if _, err := st.GenerateSynthetic(ctx, journal.SyntheticOptions{Cases: 3000, From: from, To: to, Operators: 4}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	src, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ops, err := src.Operators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		name     string
		from, to time.Time // the window; zero: the whole journal
	}{
		{"whole", time.Time{}, time.Time{}},
		{"window", from.AddDate(0, 0, 5), from.AddDate(0, 0, 9)},
	} {
		readFrom, readTo := time.Unix(0, 0).Add(-ExportLookback), to.Add(time.Hour)
		if !w.from.IsZero() {
			readFrom, readTo = w.from.Add(-ExportLookback), w.to
		}
		presFrom := readFrom.Add(ExportLookback)
		pres, err := src.Presence(ctx, presFrom, readTo)
		if err != nil {
			t.Fatal(err)
		}
		rings, err := src.Rings(ctx, readFrom, readTo)
		if err != nil {
			t.Fatal(err)
		}
		calls, err := src.Calls(ctx, readFrom, readTo)
		if err != nil {
			t.Fatal(err)
		}
		d := ExportData{Calls: calls, Operators: ops, Presence: pres, Rings: rings}
		r := ExportRead{From: readFrom, To: readTo, Operators: ops, Presence: pres, Rings: rings}
		o := ExportOptions{From: w.from, To: w.to}
		t.Run(w.name+"/queue-log", func(t *testing.T) {
			var want, got bytes.Buffer
			nw, err := WriteQueueLog(ctx, &want, d, o)
			if err != nil {
				t.Fatal(err)
			}
			ng, err := src.WriteQueueLog(ctx, &got, r, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range []string{"|ENTERQUEUE|", "|CONNECT|", "|BLINDTRANSFER|", "|RINGNOANSWER|", "|EXITWITHKEY|", "|ADDMEMBER|", "|PAUSE|"} {
				if !strings.Contains(want.String(), ev) {
					t.Errorf("the journal's queue_log has no %s line: the comparison misses it", ev)
				}
			}
			if ng != nw || got.String() != want.String() {
				t.Errorf("streamed queue_log: %d lines, written: %d; first difference at line %d", ng, nw, firstDiff(got.String(), want.String()))
			}
		})
		t.Run(w.name+"/cdr", func(t *testing.T) {
			var want, got bytes.Buffer
			nw, err := WriteCDR(ctx, &want, d, o)
			if err != nil {
				t.Fatal(err)
			}
			ng, err := src.WriteCDR(ctx, &got, r, o)
			if err != nil {
				t.Fatal(err)
			}
			if nw < 100 || ng != nw || got.String() != want.String() {
				t.Errorf("streamed CDR: %d records, written: %d; first difference at line %d", ng, nw, firstDiff(got.String(), want.String()))
			}
		})
	}
}

func firstDiff(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}
