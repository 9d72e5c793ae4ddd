package journal

import (
	"context"
	"testing"
	"time"
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
	if len(applied) == 0 || applied[len(applied)-1].Note == "" {
		t.Fatalf("migration 10 says nothing of what it folded: %+v", applied)
	}
	for _, text := range []string{"елкина", "поликлинику"} {
		p, err := s.CasePage(ctx, CaseFilter{Text: text})
		if err != nil || len(p.Cases) != 1 {
			t.Errorf("%q after the migration: %+v %v", text, p.Cases, err)
		}
	}
}
