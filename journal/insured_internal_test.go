package journal

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every search of the register is a range of an index (insured_names' key, or the birth-date
// index), never a scan of a million persons: what keeps it fast (BenchmarkInsured measures it).
func TestInsuredSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	s := openAtVersion(t, LatestVersion(), func() time.Time { return migrationNow })
	for _, tc := range []struct {
		name, want string
		sql        string
		args       []any
	}{
		{"one word", "SEARCH insured_names USING PRIMARY KEY (part>? AND part<?)", "", nil},
		{"three words", "SEARCH insured_names USING PRIMARY KEY (part>? AND part<?)", "", nil},
		{"birth date", "SEARCH insured USING INDEX insured_birth (birth_date=?)", "", nil},
		{"birth date and words", "SEARCH insured USING INDEX insured_birth (birth_date=?)", "", nil},
	} {
		switch tc.name {
		case "one word":
			tc.sql, tc.args = insuredByPartQuery("иван", nil, 11)
		case "three words":
			tc.sql, tc.args = insuredByPartQuery("иван", []string{"петр", "сер"}, 11)
		case "birth date":
			tc.sql, tc.args = insuredByDateQuery("1980-01-01", nil, 11)
		case "birth date and words":
			tc.sql, tc.args = insuredByDateQuery("1980-01-01", []string{"иван", "п"}, 11)
		}
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
			plan = append(plan, detail)
		}
		rows.Close()
		if !slices.Contains(plan, tc.want) || slices.ContainsFunc(plan, func(l string) bool { return strings.HasPrefix(l, "SCAN") }) {
			t.Errorf("%s: plan %q, want %q and no scan", tc.name, plan, tc.want)
		}
	}
}

func TestNamePartsAndQueryWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Салтыков-Щедрин Михаил Евграфович", []string{"салтыков-щедрин", "салтыков", "щедрин", "михаил", "евграфович"}},
		{"ЁЛКИНА Алёна", []string{"елкина", "алена"}},
		{"Иванов Иван Иванович", []string{"иванов", "иван", "иванович"}},
		{"Ли Б.", []string{"ли", "б"}},
	} {
		if got := nameParts(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("nameParts(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := queryWords("  Иванов И.П. "); !slices.Equal(got, []string{"иванов", "и", "п"}) {
		t.Errorf("queryWords = %q", got)
	}
}
