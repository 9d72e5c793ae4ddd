package journal_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func TestUpdateTopic(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	got, err := f.s.UpdateTopic(ctx, f.admin, "policy-replace", func(tp *hotline.Topic) error {
		tp.Title, tp.Number, tp.Keywords = "Замена и переоформление полиса", 12, []string{"полис", "переоформление"}
		return nil
	})
	if err != nil || got.Number != 12 || got.Title != "Замена и переоформление полиса" {
		t.Fatalf("update: %+v %v", got, err)
	}
	tp, err := f.s.TopicByNumber(ctx, 12)
	if err != nil || tp.Code != "policy-replace" || !slices.Equal(tp.Keywords, []string{"полис", "переоформление"}) {
		t.Fatalf("after the update: %+v %v", tp, err)
	}
	if ts, err := f.s.Topics(ctx, "", "переоформление"); err != nil || len(ts) != 1 {
		t.Fatalf("the search does not find the new keyword: %+v %v", ts, err)
	}
	evs, err := f.s.History(ctx, journal.HistoryFilter{Entity: "topic", EntityID: "policy-replace"})
	if err != nil || len(evs) != 2 || evs[1].Action != "updated" || evs[1].Actor != "admin" {
		t.Fatalf("history: %+v %v", evs, err)
	}
	fields := map[string]journal.Change{}
	for _, c := range evs[1].Changes {
		fields[c.Field] = c
	}
	if fields["number"].From != "11" || fields["number"].To != "12" || fields["keywords"].To != "полис переоформление" {
		t.Fatalf("history changes: %+v", evs[1].Changes)
	}

	refusals := []struct {
		name string
		by   hotline.Actor
		code string
		fn   func(*hotline.Topic)
		want string
	}{
		{"not an administrator", f.op1, "policy-replace", func(tp *hotline.Topic) { tp.Title = "x" }, hotline.EFORBIDDEN},
		{"unknown topic", f.admin, "none", func(tp *hotline.Topic) { tp.Title = "x" }, hotline.ENOTFOUND},
		{"empty title", f.admin, "policy-replace", func(tp *hotline.Topic) { tp.Title = " " }, hotline.EINVALID},
		{"title too long", f.admin, "policy-replace", func(tp *hotline.Topic) { tp.Title = strings.Repeat("я", hotline.MaxNameLen+1) }, hotline.EINVALID},
		{"number taken", f.admin, "policy-replace", func(tp *hotline.Topic) { tp.Number = 21 }, hotline.ECONFLICT},
		{"code changed", f.admin, "policy-replace", func(tp *hotline.Topic) { tp.Code = "other" }, hotline.EINVALID},
		{"type changed", f.admin, "policy-replace", func(tp *hotline.Topic) { tp.Type = hotline.TypeComplaint }, hotline.EINVALID},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.UpdateTopic(ctx, tt.by, tt.code, func(tp *hotline.Topic) error { tt.fn(tp); return nil })
			wantCode(t, err, tt.want)
			if tp, _ := f.s.Topic(ctx, "policy-replace"); tp.Number != 12 || tp.Type != hotline.TypeConsultation {
				t.Fatalf("a refused update changed the topic: %+v", tp)
			}
		})
	}
	if evs, _ := f.s.History(ctx, journal.HistoryFilter{Entity: "topic", EntityID: "policy-replace"}); len(evs) != 2 {
		t.Fatalf("refusals wrote history: %+v", evs)
	}
}

func TestUpdateScript(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	scs, err := f.s.Scripts(ctx, "clinic-refusal")
	if err != nil || len(scs) != 1 {
		t.Fatalf("scripts: %+v %v", scs, err)
	}
	id := scs[0].ID
	l2b := hotline.Operator{Name: "Кузнецова К.К.", Login: "kuznetsova", Role: hotline.RoleOperator, Level: 2, Extension: "2002"}
	if err := f.s.AddOperator(ctx, f.admin, &l2b); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.UpdateScript(ctx, f.admin, id, func(sc *hotline.Script) error {
		sc.Title, sc.Text, sc.Recommended = "Отказ в записи к врачу", "Запишите название поликлиники.", []int64{l2b.ID, f.l2ID}
		return nil
	})
	if err != nil || got.Title != "Отказ в записи к врачу" {
		t.Fatalf("update: %+v %v", got, err)
	}
	sc, err := f.s.Script(ctx, id)
	if err != nil || sc.Text != "Запишите название поликлиники." || !slices.Equal(sc.Recommended, []int64{l2b.ID, f.l2ID}) {
		t.Fatalf("after the update: %+v %v", sc, err)
	}
	if found, err := f.s.SearchScripts(ctx, "поликлиники"); err != nil || len(found) != 1 {
		t.Fatalf("the search does not find the new text: %+v %v", found, err)
	}
	evs, err := f.s.History(ctx, journal.HistoryFilter{Entity: "script", EntityID: idText(id)})
	if err != nil || len(evs) != 2 || evs[1].Action != "updated" {
		t.Fatalf("history: %+v %v", evs, err)
	}

	refusals := []struct {
		name string
		by   hotline.Actor
		id   int64
		fn   func(*hotline.Script)
		want string
	}{
		{"not an administrator", f.op1, id, func(sc *hotline.Script) { sc.Title = "x" }, hotline.EFORBIDDEN},
		{"unknown script", f.admin, id + 100, func(sc *hotline.Script) { sc.Title = "x" }, hotline.ENOTFOUND},
		{"empty text", f.admin, id, func(sc *hotline.Script) { sc.Text = "\n" }, hotline.EINVALID},
		{"text too long", f.admin, id, func(sc *hotline.Script) { sc.Text = strings.Repeat("я", hotline.MaxScriptLen+1) }, hotline.EINVALID},
		{"unknown topic", f.admin, id, func(sc *hotline.Script) { sc.Topic = "none" }, hotline.ENOTFOUND},
		{"level 1 recommended", f.admin, id, func(sc *hotline.Script) { sc.Recommended = []int64{f.op1.OperatorID} }, hotline.EINVALID},
		{"recommended twice", f.admin, id, func(sc *hotline.Script) { sc.Recommended = []int64{f.l2ID, f.l2ID} }, hotline.EINVALID},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.UpdateScript(ctx, tt.by, tt.id, func(sc *hotline.Script) error { tt.fn(sc); return nil })
			wantCode(t, err, tt.want)
			if sc, _ := f.s.Script(ctx, id); !slices.Equal(sc.Recommended, []int64{l2b.ID, f.l2ID}) || sc.Topic != "clinic-refusal" {
				t.Fatalf("a refused update changed the script: %+v", sc)
			}
		})
	}
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }
