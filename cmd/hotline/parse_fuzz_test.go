package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The date and time flags (--from, --to, --due, --until, --as-of) read the same text the same way
// in every command: `case list --from " 2026-11-23"` was refused where `report` took it.
func TestTimeFlagsAgree(t *testing.T) {
	for _, s := range []string{"2026-11-23", " 2026-11-23", "2026-11-23\n", "\t2026-11-23T10:00:00+03:00 ", "2026-11-23T10:00:00Z"} {
		a, errA := parseTime("from", s)
		b, _, errB := parseReportTime("from", s, time.Local)
		if errA != nil || errB != nil || !a.Equal(b) {
			t.Errorf("%q: parseTime = %v, %v; parseReportTime = %v, %v", s, a, errA, b, errB)
		}
	}
}

// FuzzParseTime: whatever is typed after a time flag, the CLI's two readers agree; a refusal is
// invalid input naming the flag; what is accepted is what was written (a date is local midnight
// and prints back as typed, a time survives a round trip to RFC 3339).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", " ", "2026-11-23", " 2026-11-23 ", "2026-02-30", "2026-1-5", "26-11-23",
		"2026-11-23T10:00:00+03:00", "2026-11-23T10:00:00.123456789Z", "2026-11-23 10:00", "0000-01-01",
		"9999-12-31T23:59:59-23:59", "2026-11-23T24:00:00Z", "tomorrow", "\x00", strings.Repeat("9", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, errA := parseTime("due", s)
		b, day, errB := parseReportTime("due", s, time.Local)
		if (errA == nil) != (errB == nil) || !a.Equal(b) {
			t.Fatalf("%q: parseTime = %v, %v; parseReportTime = %v, %v", s, a, errA, b, errB)
		}
		if errA != nil {
			if hotline.ErrorCode(errA) != hotline.EINVALID || !strings.Contains(hotline.ErrorMessage(errA), "--due") {
				t.Fatalf("%q refused with %v, want invalid input naming --due", s, errA)
			}
			return
		}
		typed := strings.TrimSpace(s)
		switch {
		case typed == "":
			if !a.IsZero() {
				t.Fatalf("empty flag gave %v, want no time", a)
			}
		case day:
			if a.Location() != time.Local || a.Hour() != 0 || a.Minute() != 0 || a.Format(hotline.DateLayout) != typed {
				t.Fatalf("date %q read as %v, which prints as %s", s, a, a.Format(hotline.DateLayout))
			}
		default:
			back, err := time.Parse(time.RFC3339Nano, a.Format(time.RFC3339Nano))
			if err != nil || !back.Equal(a) {
				t.Fatalf("time %q read as %v, which does not read back (%v, %v)", s, a, back, err)
			}
		}
	})
}

// FuzzCaseRef: a case reference is accepted as a positive id that both of its written forms (the
// id, the number of the year) give back, or refused as invalid input that says what a reference
// looks like.
func FuzzCaseRef(f *testing.F) {
	for _, s := range []string{"123", " 123 ", "2026-000123", "2026-123", "999-000001", "2026-", "-5", "0", "2026-0",
		"2026--5", "12345678901234567890", "9223372036854775807", "2026-9223372036854775808", "abc", "", "٣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := journal.ParseCaseRef(s)
		if err != nil {
			if hotline.ErrorCode(err) != hotline.EINVALID || !strings.Contains(hotline.ErrorMessage(err), "case reference") {
				t.Fatalf("%q refused with %v, want invalid input saying what a case reference is", s, err)
			}
			return
		}
		if id <= 0 {
			t.Fatalf("%q accepted as id %d", s, id)
		}
		created := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		for _, form := range []string{strconv.FormatInt(id, 10), journal.CaseNumber(created, id)} {
			if back, err := journal.ParseCaseRef(form); err != nil || back != id {
				t.Fatalf("%q is case %d, whose reference %q reads as %d, %v", s, id, form, back, err)
			}
		}
	})
}
