package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/termtext"
)

// The test day as queue_log: every line written out, oldest first. c4 (hung up in the greeting)
// and c2b (the transfer leg) have none; c11 is still waiting; c12 entered while c11 waited, so
// it was second in the queue.
func TestQueueLog(t *testing.T) {
	u := func(day, h, m, s int) string { return fmt.Sprint(at(day, h, m, s).Unix()) }
	want := []string{
		u(22, 23, 59, 45) + "|p|hotline|NONE|ENTERQUEUE||+7900000p|1",
		u(22, 23, 59, 55) + "|p|hotline|PJSIP/1003|CONNECT|10||0",
		u(23, 0, 0, 5) + "|p|hotline|PJSIP/1003|COMPLETECALLER|10|10|1",
		u(23, 9, 0, 10) + "|c1|hotline|NONE|ENTERQUEUE||+7900000c1|1",
		u(23, 9, 0, 25) + "|c1|hotline|PJSIP/1001|CONNECT|15||0",
		u(23, 9, 1, 10) + "|c2|hotline|NONE|ENTERQUEUE||+7900000c2|1",
		u(23, 9, 2, 10) + "|c2|hotline|PJSIP/1002|CONNECT|60||0",
		u(23, 9, 3, 10) + "|c3|hotline|NONE|ENTERQUEUE||+7900000c3|1",
		u(23, 9, 3, 13) + "|c3|hotline|NONE|ABANDON|1|1|3",
		u(23, 9, 4, 10) + "|c2|hotline|PJSIP/1002|BLINDTRANSFER|1003|hotline|60|120|1", // to vera's extension
		u(23, 9, 5, 25) + "|c1|hotline|PJSIP/1001|COMPLETECALLER|15|300|1",
		u(23, 9, 10, 10) + "|c5|hotline|NONE|ENTERQUEUE||+7900000c5|1",
		u(23, 9, 11, 40) + "|c5|hotline|NONE|ABANDON|1|1|90",
		u(23, 10, 0, 10) + "|c6|hotline|NONE|ENTERQUEUE||+7900000c6|1",
		u(23, 10, 3, 10) + "|c6|hotline|PJSIP/1001|CONNECT|180||0",
		u(23, 10, 13, 10) + "|c6|hotline|PJSIP/1001|COMPLETECALLER|180|600|1",
		u(23, 10, 20, 10) + "|c7|hotline|NONE|ENTERQUEUE||+7900000c7|1",
		u(23, 10, 22, 10) + "|c7|hotline|NONE|EXITWITHTIMEOUT|1|1|120",
		u(23, 10, 30, 10) + "|c8|hotline|NONE|ENTERQUEUE||+7900000c8|1",
		u(23, 10, 30, 15) + "|c8|hotline|PJSIP/1001|CONNECT|5||0",
		u(23, 10, 31, 10) + "|c9|hotline|NONE|ENTERQUEUE||+7900000c9|1",
		u(23, 10, 31, 15) + "|c8|hotline|PJSIP/1001|COMPLETECALLER|5|60|1",
		u(23, 10, 31, 20) + "|c9|hotline|PJSIP/1001|CONNECT|10||0",
		u(23, 10, 33, 20) + "|c9|hotline|PJSIP/1001|COMPLETECALLER|10|120|1",
		u(23, 11, 0, 10) + "|c10|hotline|NONE|ENTERQUEUE||+7900000c10|1",
		u(23, 11, 0, 20) + "|c10|hotline|NONE|ABANDON|1|1|10", // failed in the queue
		u(23, 11, 30, 10) + "|c11|hotline|NONE|ENTERQUEUE||+7900000c11|1",
		u(24, 0, 0, 35) + "|c12|hotline|NONE|ENTERQUEUE||+7900000c12|2",
		u(24, 0, 0, 40) + "|c12|hotline|PJSIP/1002|CONNECT|5||0",
		u(24, 0, 2, 40) + "|c12|hotline|PJSIP/1002|COMPLETECALLER|5|120|2",
	}
	d := testData()
	var buf bytes.Buffer
	var progress []string
	n, err := WriteQueueLog(context.Background(), &buf, ExportData{Calls: d.Calls, Operators: d.Operators}, ExportOptions{
		Progress: func(done, total int) { progress = append(progress, fmt.Sprintf("%d/%d", done, total)) }})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if n != len(want) || len(got) != len(want) {
		t.Fatalf("%d lines (returned %d), want %d:\n%s", len(got), n, len(want), buf.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
	if len(progress) == 0 || progress[len(progress)-1] != "14/14" {
		t.Errorf("progress = %q, want it to end at 14/14", progress)
	}

	// For readers of pre-12 logs, the same line as TRANSFER.
	buf.Reset()
	if _, err := WriteQueueLog(context.Background(), &buf, ExportData{Calls: d.Calls, Operators: d.Operators}, ExportOptions{TransferEvent: "TRANSFER"}); err != nil {
		t.Fatal(err)
	}
	if want := u(23, 9, 4, 10) + "|c2|hotline|PJSIP/1002|TRANSFER|1003|hotline|60|120|1\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("queue_log lacks %q", want)
	}
}

// Positions: A, B, C queue at 0, 1, 2 s. B hangs up at 5 s while A still waits (A is answered at
// 10 s): B entered second and left second. C entered third (A and B ahead) and timed out at 20 s
// alone: position 1. An operator without an extension is Agent/<id>.
func TestQueueLogPositions(t *testing.T) {
	t0 := at(23, 9, 0, 0)
	s := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	calls := []Call{
		call(1, "A", t0, s(0), s(10), s(70), hotline.LegCompleted, 7, ""),
		call(2, "B", t0, s(1), zero, s(5), hotline.LegAbandoned, 0, ""),
		call(3, "C", t0, s(2), zero, s(20), hotline.LegOverflow, 0, ""),
	}
	var buf bytes.Buffer
	if _, err := WriteQueueLog(context.Background(), &buf, ExportData{Calls: calls}, ExportOptions{Queue: "q"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"|B|q|NONE|ENTERQUEUE||+7900000B|2", "|B|q|NONE|ABANDON|2|2|4",
		"|C|q|NONE|ENTERQUEUE||+7900000C|3", "|C|q|NONE|EXITWITHTIMEOUT|1|3|18",
		"|A|q|Agent/7|CONNECT|10||0", "|A|q|Agent/7|COMPLETECALLER|10|60|1",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("queue_log lacks %q:\n%s", want, buf.String())
		}
	}
}

// The test day as cdr_csv records: 13 ended legs (c11 still waits), oldest first; four checked
// in full: answered, a transfer leg, abandoned, failed in the queue. Each is the caller's
// channel's record: answered by hotline on arrival, so answer is the arrival, billsec counts from
// it and the disposition is ANSWERED even where no operator answered (c3, c10), as Asterisk's CDR
// engine writes it for a channel answered before Queue().
func TestCDR(t *testing.T) {
	d := testData()
	var buf bytes.Buffer
	n, err := WriteCDR(context.Background(), &buf, ExportData{Calls: d.Calls, Operators: d.Operators}, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if n != 13 || len(lines) != 13 {
		t.Fatalf("%d records (returned %d), want 13:\n%s", len(lines), n, buf.String())
	}
	for i, want := range map[int]string{
		1:  `"","+7900000c1","100","hotline",""""" <+7900000c1>","","PJSIP/1001","Stasis","hotline","2026-11-23 09:00:00","2026-11-23 09:00:00","2026-11-23 09:05:25",325,325,"ANSWERED","DOCUMENTATION","c1","2026-000001"`,
		3:  `"","+7900000c2","100","hotline",""""" <+7900000c2>","","PJSIP/1003","Stasis","hotline","2026-11-23 09:01:00","2026-11-23 09:01:00","2026-11-23 09:07:15",375,375,"ANSWERED","DOCUMENTATION","c2","2026-000021"`,
		4:  `"","+7900000c3","100","hotline",""""" <+7900000c3>","","","Stasis","hotline","2026-11-23 09:03:00","2026-11-23 09:03:00","2026-11-23 09:03:13",13,13,"ANSWERED","DOCUMENTATION","c3","2026-000003"`,
		11: `"","+7900000c10","100","hotline",""""" <+7900000c10>","","","Stasis","hotline","2026-11-23 11:00:00","2026-11-23 11:00:00","2026-11-23 11:00:20",20,20,"ANSWERED","DOCUMENTATION","c10","2026-000010"`,
	} {
		if lines[i] != want {
			t.Errorf("record %d:\n got %s\nwant %s", i, lines[i], want)
		}
	}
	// Any CSV reader reads it, every record with cdr_csv's 18 columns.
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if len(r) != len(CDRColumns) {
			t.Errorf("record %d has %d fields, want %d", i, len(r), len(CDRColumns))
		}
	}
	if recs[1][4] != `"" <+7900000c1>` {
		t.Errorf("clid read back = %q", recs[1][4])
	}
}

// Dates follow the export's time zone.
func TestCDRTimeZone(t *testing.T) {
	d := testData()
	var buf bytes.Buffer
	if _, err := WriteCDR(context.Background(), &buf, ExportData{Calls: d.Calls[1:2], Operators: d.Operators}, ExportOptions{Location: time.FixedZone("MSK", 3*3600)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"2026-11-23 12:00:00","2026-11-23 12:00:00","2026-11-23 12:05:25"`) {
		t.Errorf("CDR not in MSK: %s", buf.String())
	}
}

func TestExportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := testData()
	if _, err := WriteQueueLog(ctx, &bytes.Buffer{}, ExportData{Calls: d.Calls, Operators: d.Operators}, ExportOptions{}); err == nil {
		t.Error("queue_log on a cancelled context: no error")
	}
}

// What a caller's SIP client sent as its caller id (kept as given when it is not a phone number)
// and any other stored text cannot forge a queue_log line or a CDR record, nor reach a terminal
// or a line-based reader as a control character: each call keeps exactly its lines and fields,
// and the text is still there, shown.
func TestExportsCannotBeForged(t *testing.T) {
	hostile := []string{
		"1|2|hotline|NONE|ABANDON",
		"x\n1700000000|forged|hotline|NONE|ENTERQUEUE",
		"x\r\n\"\",\"forged\"",
		"\x1b[2J\x1b]0;owned\x07",
		`"q", 'a', b,c`,
		"\u202eevil\u0085\x7f",
	}
	for _, h := range hostile {
		t.Run(fmt.Sprintf("%q", h), func(t *testing.T) {
			d := testData()
			for i := range d.Calls {
				d.Calls[i].CallerNumber = h
				d.Calls[i].CallID += h // a channel id is Asterisk's, but nothing is trusted here
			}
			var clean bytes.Buffer
			nClean, err := WriteQueueLog(context.Background(), &clean, ExportData{Calls: testData().Calls, Operators: d.Operators}, ExportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var ql bytes.Buffer
			n, err := WriteQueueLog(context.Background(), &ql, ExportData{Calls: d.Calls, Operators: d.Operators}, ExportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantLines := strings.Split(strings.TrimSuffix(clean.String(), "\n"), "\n")
			lines := strings.Split(strings.TrimSuffix(ql.String(), "\n"), "\n")
			if n != nClean || len(lines) != len(wantLines) {
				t.Fatalf("queue_log: %d lines (returned %d), want %d:\n%s", len(lines), n, nClean, ql.String())
			}
			for i, l := range lines {
				if got, want := strings.Count(l, "|"), strings.Count(wantLines[i], "|"); got != want {
					t.Errorf("queue_log line %d has %d separators, want %d: %q", i, got, want, l)
				}
				if j := strings.IndexFunc(l, termtext.Obeyed); j >= 0 {
					t.Errorf("queue_log line %d holds a control character at %d: %q", i, j, l)
				}
			}
			if !strings.Contains(ql.String(), strings.ReplaceAll(termtext.Escape(h), "|", "/")) {
				t.Errorf("queue_log lost the caller id %q:\n%s", h, ql.String())
			}

			var cdr bytes.Buffer
			n, err = WriteCDR(context.Background(), &cdr, ExportData{Calls: d.Calls, Operators: d.Operators}, ExportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.Count(cdr.String(), "\n"); lines != n || n != 13 {
				t.Fatalf("CDR: %d lines for %d records, want 13 each:\n%s", lines, n, cdr.String())
			}
			if j := strings.IndexFunc(strings.ReplaceAll(cdr.String(), "\n", ""), termtext.Obeyed); j >= 0 {
				t.Errorf("CDR holds a control character at %d: %q", j, cdr.String())
			}
			recs, err := csv.NewReader(&cdr).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range recs {
				if len(r) != len(CDRColumns) {
					t.Errorf("CDR record %d has %d fields, want %d", i, len(r), len(CDRColumns))
				}
				if r[1] != termtext.Escape(h) {
					t.Errorf("CDR record %d: src read back %q, want %q", i, r[1], termtext.Escape(h))
				}
			}
		})
	}
}
