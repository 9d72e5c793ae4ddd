package journal

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// The reads of a range that reports and exports make are answered from the indexes of migration
// 0017, never by a walk of every leg or every case event (docs/benchmark.md, the journal at a
// fund's scale).
func TestReportReadsUseIndexes(t *testing.T) {
	ctx := context.Background()
	s := openAtVersion(t, LatestVersion(), func() time.Time { return migrationNow })
	for _, tc := range []struct {
		name, sql, want string
		args            []any
	}{
		{"callbacks", statusChangesQuery(hotline.StatusDelayedAnswer, false, false), "USING INDEX history_delayed_answer (at>? AND at<?)", []any{1, 2, "%x%"}},
		{"callbacks with due dates", statusChangesQuery(hotline.StatusDelayedAnswer, false, true), "SEARCH h USING INDEX history_delayed_answer (at>? AND at<?)", []any{1, 2, "%x%"}},
		{"other status changes", statusChangesQuery(hotline.StatusUnderReview, false, false), "USING INDEX history_entity_at (entity=? AND at>? AND at<?)", []any{1, 2, "%x%"}},
		{"overdue cases", overdueQuery, "USING INDEX cases_overdue (due_at>? AND due_at<?)", []any{1}},
		{"a range's legs", callRecordQuery(byLegArrival), "SEARCH l USING INDEX legs_arrived (arrived_at>? AND arrived_at<?)", []any{1, 2}},
		{"a range's calls", callRecordQuery(byCallArrival), "SEARCH c USING INDEX calls_arrived (arrived_at>? AND arrived_at<?)", []any{1, 2}},
	} {
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.sql, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, fmt.Sprintf("%d<%d %s", id, parent, detail))
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), tc.want) {
			t.Errorf("%s: plan\n%s\nwant %q", tc.name, strings.Join(plan, "\n"), tc.want)
		}
		if tc.name == "a range's calls" && strings.Contains(strings.Join(plan, "\n"), "<0 USE TEMP B-TREE") {
			t.Errorf("%s: sorted in a temp b-tree (the whole range held):\n%s", tc.name, strings.Join(plan, "\n"))
		}
	}
}
