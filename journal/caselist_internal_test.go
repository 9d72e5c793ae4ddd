package journal

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// Migration 10's Go step folds the text of the cases already in the journal (SQLite's lower()
// would leave «ЁЛКИНА» unfound by «елкина»).
func TestCaseListMigrationFoldsExistingCases(t *testing.T) {
	ctx := context.Background()
	s := openAtVersion(t, 9, func() time.Time { return migrationNow })
	if _, err := s.w.ExecContext(ctx, `INSERT INTO cases (created_at, channel, full_name, full_name_fold, description, status, created_by, updated_at)
		VALUES (1000, 'written', 'ЁЛКИНА Анна', 'ёлкина анна', 'Жалоба на ПОЛИКЛИНИКУ', 'in_progress', 'ivanova', 1000)`); err != nil {
		t.Fatal(err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(applied, func(a Applied) bool { return a.Version == 10 })
	if i < 0 || applied[i].Note == "" {
		t.Fatalf("migration 10 says nothing of what it folded: %+v", applied)
	}
	for _, text := range []string{"елкина", "поликлинику"} {
		p, err := s.CasePage(ctx, CaseFilter{Text: text})
		if err != nil || len(p.Cases) != 1 {
			t.Errorf("%q after the migration: %+v %v", text, p.Cases, err)
		}
	}
}

// Every filter combination the journal's page offers is answered through an index, walked in the
// list's order (no sort of the matches, no scan of the table): that is what keeps a page fast at
// a million cases (BenchmarkCaseListPage measures it).
func TestCaseListQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := openAtVersion(t, LatestVersion(), func() time.Time { return migrationNow })
	plan := func(q string, args []any) []string {
		t.Helper()
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		return out
	}
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	statuses := []struct {
		name string
		set  func(*CaseFilter)
	}{
		{"active", func(f *CaseFilter) { f.Active = true }},
		{"all", func(*CaseFilter) {}},
		{"one status", func(f *CaseFilter) { f.Statuses = []hotline.CaseStatus{hotline.StatusUnderReview} }},
		{"open statuses", func(f *CaseFilter) {
			f.Statuses = []hotline.CaseStatus{hotline.StatusInProgress, hotline.StatusDelayedAnswer}
		}},
		{"statuses with approved", func(f *CaseFilter) {
			f.Statuses = []hotline.CaseStatus{hotline.StatusInProgress, hotline.StatusApproved}
		}},
	}
	others := []struct {
		name string
		set  func(*CaseFilter)
	}{
		{"period", func(f *CaseFilter) { f.From, f.To = at, at.AddDate(0, 1, 0) }},
		{"type", func(f *CaseFilter) { f.Type = hotline.TypeComplaint }},
		{"topic", func(f *CaseFilter) { f.Topic = "policy-replace" }},
		{"owner", func(f *CaseFilter) { f.OperatorID = 7 }},
		{"number", func(f *CaseFilter) { f.Caller = "+79001112233" }},
		{"cursor", func(f *CaseFilter) { f.Before = &CaseCursor{CreatedAt: at, ID: 99} }},
	}
	for _, st := range statuses {
		for mask := 0; mask < 1<<len(others); mask++ {
			f := CaseFilter{}
			name := st.name
			st.set(&f)
			for i, o := range others {
				if mask&(1<<i) != 0 {
					o.set(&f)
					name += "+" + o.name
				}
			}
			where, args, err := f.where(s.PhoneRegion(), false) // SQLite's plans
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []struct {
				kind string
				sql  string
				args []any
			}{
				{"page", caseListQuery(where), append(args[:len(args):len(args)], 51)},
				{"text bound", caseEdgeQuery(where), append(args[:len(args):len(args)], MaxTextScan-1)},
				{"text page", caseListQuery(where + caseSince + caseText), append(args[:len(args):len(args)], 1, 1, 1, "%x%", 51)},
			} {
				p := plan(q.sql, q.args)
				joined := strings.Join(p, "; ")
				for _, line := range p {
					if line == "SCAN cases" || strings.Contains(line, "TEMP B-TREE") {
						t.Errorf("%s (%s): %s", name, q.kind, joined)
						break
					}
				}
				// Statuses before approval only walk the cases not yet approved (an operator's
				// few open cases, not all their approved ones).
				if st.name == "open statuses" && q.kind == "page" && f.Caller == "" {
					want := "cases_active"
					if f.OperatorID != 0 {
						want = "cases_owner_active"
					}
					if !strings.Contains(joined+" ", "INDEX "+want+" ") {
						t.Errorf("%s (%s): %s, want %s", name, q.kind, joined, want)
					}
				}
				if testing.Verbose() && q.kind == "page" {
					t.Logf("%-50s %s", name, joined)
				}
			}
		}
	}
}
