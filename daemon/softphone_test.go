package daemon

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The softphones the daemon keeps in Asterisk follow the journal: the extensions of operators in
// service are kept, those of removed operators (and only theirs) are deleted.
func TestOperatorExtensions(t *testing.T) {
	ctx := context.Background()
	store, err := journal.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	by := hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}
	var ids []int64
	for _, o := range []hotline.Operator{
		{Name: "В работе", Extension: "9101"},
		{Name: "Уволена", Extension: "9102"},
		{Name: "Без телефона"},
	} {
		o.Role, o.Level, o.Active = hotline.RoleOperator, hotline.Level1, true
		if err := store.AddOperator(ctx, by, &o); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	if err := store.RemoveOperator(ctx, by, ids[1]); err != nil {
		t.Fatal(err)
	}
	active, removed, err := operatorExtensions(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(active, []string{"9101"}) || !slices.Equal(removed, []string{"9102"}) {
		t.Errorf("active %q, removed %q; want [9101] and [9102]", active, removed)
	}
}
