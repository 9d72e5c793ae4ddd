package journal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func TestCaseCursorRoundTripAndDamage(t *testing.T) {
	c := journal.CaseCursor{CreatedAt: time.UnixMilli(1795438264123).UTC(), ID: 4711}
	got, err := journal.ParseCaseCursor(c.String())
	if err != nil || *got != c {
		t.Fatalf("round trip of %s: %+v %v", c, got, err)
	}
	for _, bad := range []string{"", "abc", "1.", ".1", "1.0", "-1.5", "zz.zz.zz", "1.-5", strings.Repeat("9", 50) + ".1", "1 .2"} {
		if _, err := journal.ParseCaseCursor(bad); hotline.ErrorCode(err) != hotline.EINVALID {
			t.Errorf("ParseCaseCursor(%q) = %v, want EINVALID", bad, err)
		}
	}
}

// TestCasePageWalksWithoutGapsOrDuplicates: 120 cases, three to a millisecond, paged 50 at a
// time by the cursor: every case once, newest first.
func TestCasePageWalksWithoutGapsOrDuplicates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := f.clk.Now().Add(-48 * time.Hour)
	cs := make([]hotline.Case, 120)
	for i := range cs {
		cs[i] = hotline.Case{Channel: hotline.ChannelWritten, Type: hotline.TypeProposal, CreatedAt: base.Add(time.Duration(i/3) * time.Minute), Description: fmt.Sprintf("case %d", i)}
	}
	if err := f.s.CreateCases(ctx, f.op1, cs); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var prev *hotline.Case
	var after *journal.CaseCursor
	pages := 0
	for {
		p, err := f.s.CasePage(ctx, journal.CaseFilter{Before: after, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for i := range p.Cases {
			c := p.Cases[i]
			if seen[c.ID] {
				t.Fatalf("case %d twice", c.ID)
			}
			seen[c.ID] = true
			if prev != nil && (c.CreatedAt.After(prev.CreatedAt) || c.CreatedAt.Equal(prev.CreatedAt) && c.ID > prev.ID) {
				t.Fatalf("case %d after %d is out of order", c.ID, prev.ID)
			}
			prev = &c
		}
		if p.Next == nil {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		after = p.Next
	}
	if pages != 3 || len(seen) != 120 {
		t.Fatalf("%d pages, %d cases; want 3 pages, 120 cases", pages, len(seen))
	}
}

func TestCasePageTextAndFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.newCase(t, f.op1, hotline.Case{Person: hotline.Person{FullName: "Ёлкина Анна Петровна", PolicyNumber: "7755443322110099"},
		Description: "Отказали в записи к ВРАЧУ", Type: hotline.TypeComplaint, Topic: "clinic-refusal"})
	b := f.newCase(t, f.op2, hotline.Case{Description: "замена полиса 50% скидка", Type: hotline.TypeConsultation, Topic: "policy-replace"})
	if _, err := f.s.CloseCase(ctx, f.op2, b.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "разъяснено"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ApproveCase(ctx, f.admin, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		f    journal.CaseFilter
		want []int64
	}{
		{"ё as е, any case", journal.CaseFilter{Text: "ЕЛКИНА"}, []int64{a.ID}},
		{"description, upper in the case", journal.CaseFilter{Text: "врачу"}, []int64{a.ID}},
		{"policy number part", journal.CaseFilter{Text: "44332211"}, []int64{a.ID}},
		{"case number", journal.CaseFilter{Text: b.Number}, []int64{b.ID}},
		{"% literally", journal.CaseFilter{Text: "50%"}, []int64{b.ID}},
		{"_ literally", journal.CaseFilter{Text: "_"}, nil},
		{"active leaves out the approved", journal.CaseFilter{Text: "полиса", Active: true}, nil},
		{"active", journal.CaseFilter{Active: true}, []int64{a.ID}},
		{"owner", journal.CaseFilter{OperatorID: f.op2.OperatorID}, []int64{b.ID}},
		// Filters together: on SQLite all but the leading one are hidden from the planner
		// ("+topic"), which PostgreSQL must not be given (its + is for numbers).
		{"active and topic", journal.CaseFilter{Active: true, Topic: "clinic-refusal"}, []int64{a.ID}},
		{"owner and type", journal.CaseFilter{OperatorID: f.op1.OperatorID, Type: hotline.TypeComplaint}, []int64{a.ID}},
		{"owner, type and topic", journal.CaseFilter{OperatorID: f.op2.OperatorID, Type: hotline.TypeConsultation, Topic: "policy-replace"}, []int64{b.ID}},
		{"status and topic", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusApproved}, Topic: "clinic-refusal"}, nil},
		{"owner and another's topic", journal.CaseFilter{OperatorID: f.op1.OperatorID, Topic: "policy-replace"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.s.CasePage(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, c := range p.Cases {
				got = append(got, c.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := f.s.CasePage(ctx, journal.CaseFilter{Text: strings.Repeat("я", journal.MaxCaseText+1)}); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Fatalf("a too long text: %v", err)
	}
	// An edit refolds the text.
	name := "Смирнова"
	if _, err := f.s.UpdateCase(ctx, f.op1, a.ID, journal.CaseUpdate{FullName: &name}); err != nil {
		t.Fatal(err)
	}
	if p, err := f.s.CasePage(ctx, journal.CaseFilter{Text: "смирнова"}); err != nil || len(p.Cases) != 1 {
		t.Fatalf("after an edit: %+v %v", p, err)
	}
}

// TestCasePageTextSearchIsBounded: a text search looks at MaxTextScan cases per page and says
// where it stopped; the next page goes on from there.
func TestCasePageTextSearchIsBounded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.BulkLoadForBench(ctx, journal.MaxTextScan+100, f.clk.Now().AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	// "synthetic case 0" is the oldest case alone, beyond the first page's bound.
	p, err := f.s.CasePage(ctx, journal.CaseFilter{Text: "synthetic case 0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cases) != 0 || !p.Scanned || p.Next == nil {
		t.Fatalf("first page: %d cases, scanned %v, next %v; want none, scanned, a cursor", len(p.Cases), p.Scanned, p.Next)
	}
	p, err = f.s.CasePage(ctx, journal.CaseFilter{Text: "synthetic case 0", Before: p.Next})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cases) != 1 || p.Cases[0].Description != "synthetic case 0" || p.Next != nil || p.Scanned {
		t.Fatalf("second page: %+v", p)
	}
}

// BenchmarkCaseListPage lists pages of the journal's list over 1,000,000 cases: the first page,
// a deep page by cursor and each filter the page offers. The database is built once and kept
// under $TMPDIR, named by the schema version, for the next run.
func BenchmarkCaseListPage(b *testing.B) {
	if testing.Short() {
		b.Skip("BenchmarkCaseListPage builds a 1,000,000-case journal (about a minute the first time); not with -short")
	}
	const n = 1_000_000
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("hotline-bench-caselist-v%d.db", journal.LatestVersion()))
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := benchStore(b, path)
	if total, err := s.CountCases(ctx, journal.CaseFilter{}); err != nil {
		b.Fatal(err)
	} else if total < n {
		start := time.Now()
		if err := s.BulkLoadForBench(ctx, n-total, from); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d cases in %v at %s", n, time.Since(start).Round(time.Millisecond), path)
	}
	// A deep page: the cursor 500,000 cases down.
	var deep *journal.CaseCursor
	{
		all, err := s.Cases(ctx, journal.CaseFilter{Limit: 1, Offset: n / 2})
		if err != nil || len(all) != 1 {
			b.Fatal(all, err)
		}
		deep = &journal.CaseCursor{CreatedAt: all[0].CreatedAt, ID: all[0].ID}
	}
	month := journal.CaseFilter{From: from.AddDate(0, 3, 0), To: from.AddDate(0, 4, 0)}
	for _, bm := range []struct {
		name string
		f    journal.CaseFilter
	}{
		{"first", journal.CaseFilter{}},
		{"active", journal.CaseFilter{Active: true}},
		{"deep", journal.CaseFilter{Before: deep}},
		{"deep+active", journal.CaseFilter{Before: deep, Active: true}},
		{"period", month},
		{"status", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusUnderReview}}},
		{"approved+deep", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusApproved}, Before: deep}},
		{"type+active", journal.CaseFilter{Type: hotline.TypeGratitude, Active: true}},
		{"topic", journal.CaseFilter{Topic: "topic-7"}},
		{"owner", journal.CaseFilter{OperatorID: 1007}},
		{"owner+active", journal.CaseFilter{OperatorID: 1007, Active: true}},
		{"caller", journal.CaseFilter{Caller: "+78651007919"}},
		{"text-common", journal.CaseFilter{Text: "synthetic"}},
		{"text-rare", journal.CaseFilter{Text: "не найдётся"}},
		{"text-rare+active", journal.CaseFilter{Text: "не найдётся", Active: true}},
		{"number", journal.CaseFilter{Text: "2025-000777"}},
		{"all-filters", journal.CaseFilter{From: month.From, To: month.To, Type: hotline.TypeComplaint, Topic: "topic-0", OperatorID: 1001, Active: true, Text: "пациент"}},
	} {
		bm.f.Limit = 50
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.CasePage(ctx, bm.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
