package journal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func TestSurveyLists(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(registerHeader)
	// Organisation 260001: 60 due in March 2026 (every third under observation), one in 2025.
	for i := range 60 {
		diag, group := "", "I"
		if i%3 == 0 {
			diag, group = "I10", "II"
		}
		fmt.Fprintf(&b, "%016d;Смирнов Олег;1960-01-01;м;;;260001;Поликлиника № 1;%s;%s;2026;3;1\n", 100+i, group, diag)
	}
	b.WriteString("0000000000000200;Ким Ирина;1970-01-01;ж;;;260001;;;;2025;1;\n")
	b.WriteString("0000000000000201;Орлова Вера;1970-01-01;ж;;;260002;Больница № 2;;;2026;5;\n")
	b.WriteString("0000000000000202;Ли Анна;1970-01-01;ж;;;260003;Пустая больница;;;;;\n")
	if rep := f.importCSV(t, b.String(), 0); rep.Added != 63 {
		t.Fatalf("import %+v", rep)
	}
	orgs, err := f.s.SurveyOrganisations(ctx, journal.SurveyCheckup, 2026, "")
	if err != nil || len(orgs) != 2 || orgs[0].Code != "260002" || orgs[0].Persons != 1 || orgs[1].Code != "260001" || orgs[1].Persons != 60 {
		t.Fatalf("checkup organisations %+v %v", orgs, err)
	}
	orgs, err = f.s.SurveyOrganisations(ctx, journal.SurveyObservation, 2026, "ПОЛИКЛ")
	if err != nil || len(orgs) != 1 || orgs[0].Persons != 20 {
		t.Fatalf("observation organisations %+v %v", orgs, err)
	}
	p, err := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "260001", Year: 2026})
	if err != nil || len(p.Persons) != journal.SurveyPageSize || p.Next == 0 || p.Organisation.Name != "Поликлиника № 1" {
		t.Fatalf("first page: %d persons, next %d, %v", len(p.Persons), p.Next, err)
	}
	p2, err := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "260001", Year: 2026, After: p.Next})
	if err != nil || len(p2.Persons) != 10 || p2.Next != 0 || p2.Persons[0].ID <= p.Persons[len(p.Persons)-1].ID {
		t.Fatalf("second page: %d persons, next %d, %v", len(p2.Persons), p2.Next, err)
	}
	if p, _ := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "260001", Year: 2026, Month: 4}); len(p.Persons) != 0 {
		t.Errorf("April: %d persons", len(p.Persons))
	}
	if _, err := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "999999", Year: 2026}); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Errorf("unknown organisation: %v", err)
	}
	if _, err := f.s.SurveyOrganisations(ctx, "poll", 2026, ""); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("unknown journal: %v", err)
	}

	// A survey's state: saved with its version and history; a stale version is refused, nothing
	// written; the status filter finds it.
	id := p.Persons[0].ID
	st, err := f.s.SurveyState(ctx, journal.SurveyCheckup, 2026, id)
	if err != nil || st.Status != hotline.SurveyNotCalled || st.Version != 0 || p.States[0].Status != hotline.SurveyNotCalled {
		t.Fatalf("a new state %+v %v", st, err)
	}
	st.Status, st.RefusalReason = hotline.SurveyRefused, "нет времени"
	if err := f.s.SaveSurveyState(ctx, f.op1, journal.SurveyCheckup, &st); err != nil || st.Version != 1 {
		t.Fatalf("save: %v %+v", err, st)
	}
	stale := st
	stale.Version = 0
	stale.Status, stale.RefusalReason = hotline.SurveyAnswered, ""
	if err := f.s.SaveSurveyState(ctx, f.op2, journal.SurveyCheckup, &stale); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Fatalf("a stale save: %v", err)
	}
	bad := st
	bad.Status, bad.RefusalReason = hotline.SurveyRescheduled, ""
	if err := f.s.SaveSurveyState(ctx, f.op2, journal.SurveyCheckup, &bad); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Fatalf("rescheduled without a day: %v", err)
	}
	got, _ := f.s.SurveyState(ctx, journal.SurveyCheckup, 2026, id)
	if got.Status != hotline.SurveyRefused || got.RefusalReason != "нет времени" || got.UpdatedBy != "ivanova" || got.Version != 1 {
		t.Fatalf("stored %+v", got)
	}
	evs, err := f.s.History(ctx, journal.HistoryFilter{Entity: "survey"})
	if err != nil || len(evs) != 1 || evs[0].Actor != "ivanova" {
		t.Fatalf("history %+v %v", evs, err)
	}
	refused, err := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "260001", Year: 2026, Status: hotline.SurveyRefused})
	if err != nil || len(refused.Persons) != 1 || refused.Persons[0].ID != id || refused.States[0].RefusalReason != "нет времени" {
		t.Fatalf("refused: %+v %v", refused.Persons, err)
	}
	notCalled, _ := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "260001", Year: 2026, Status: hotline.SurveyNotCalled})
	if len(notCalled.Persons) != journal.SurveyPageSize || notCalled.Persons[0].ID == id {
		t.Fatalf("not called: %d", len(notCalled.Persons))
	}
	// Ким is in 2025's journal, not 2026's.
	kim, _ := f.s.InsuredByPolicy(ctx, "0000000000000200")
	other := hotline.SurveyState{PersonID: kim.ID, Year: 2026, Status: hotline.SurveyAnswered}
	if err := f.s.SaveSurveyState(ctx, f.op1, journal.SurveyCheckup, &other); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("a person outside the journal: %v", err)
	}
}
