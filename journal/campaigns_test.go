package journal_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/informing"
	"github.com/hotline-dev/hotline/journal"
)

// campaignRegister: organisation 260001's persons due in 2026 (months 3, 4, the whole year, and
// one in 2025), one with no phone, one with two numbers; another organisation's person.
const campaignRegister = registerHeader +
	"1000000000000001;Иванов Иван Иванович;1980-05-17;м;+79120000001;;260001;Поликлиника № 1;;;2026;3;1\n" +
	"1000000000000002;Петрова Анна Сергеевна;1990-02-01;ж;+79120000002, +79120000022;;260001;;;I10;2026;4;\n" +
	"1000000000000003;Сидоров Пётр Олегович;1975-01-01;м;;;260001;;;;2026;3;\n" +
	"1000000000000004;Орлова Ольга Ивановна;1961-01-01;ж;+79120000004;;260001;;;;2026;0;1\n" +
	"1000000000000005;Кузнецов Олег Петрович;1962-01-01;м;+79120000005;;260001;;;;2025;3;\n" +
	"1000000000000006;Смирнова Вера Павловна;1963-01-01;ж;+79120000006;;260002;Поликлиника № 2;;;2026;3;\n"

func TestCampaignSelectsClaimsAndCounts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.importCSV(t, campaignRegister, 100)
	c := hotline.Campaign{Organisation: hotline.MedicalOrganisation{Code: "260001"}, Type: hotline.InformCheckup, From: "2026-03", To: "2026-04"}

	// Only a level-2 representative (or an administrator) saves a campaign.
	_, err := f.s.CreateCampaign(ctx, f.op1, c)
	wantCode(t, err, hotline.EFORBIDDEN)
	bad := c
	bad.To = "2026-02"
	_, err = f.s.CreateCampaign(ctx, f.l2, bad)
	wantCode(t, err, hotline.EINVALID)
	bad = c
	bad.Organisation.Code = "269999"
	_, err = f.s.CreateCampaign(ctx, f.l2, bad)
	wantCode(t, err, hotline.ENOTFOUND)

	sum, err := f.s.CreateCampaign(ctx, f.l2, c)
	if err != nil {
		t.Fatal(err)
	}
	// Persons 1, 2, 3 (months 3 and 4) and 4 (the whole of 2026); not 5 (2025) nor 6 (another MO).
	if want := (journal.CampaignCounts{Total: 4, WithPhone: 3}); sum.CampaignCounts != want {
		t.Fatalf("counts %+v, want %+v", sum.CampaignCounts, want)
	}
	if sum.Organisation.Name != "Поликлиника № 1" || sum.CreatedBy != "sidorova" {
		t.Fatalf("campaign %+v", sum.Campaign)
	}
	obs, err := f.s.CreateCampaign(ctx, f.l2, hotline.Campaign{Organisation: c.Organisation, Type: hotline.InformObservation, From: "2026-01", To: "2026-12"})
	if err != nil || obs.Total != 1 {
		t.Fatalf("observation campaign: %+v %v (want the one person with a diagnosis)", obs, err)
	}

	plan := informing.Plan{Hours: informing.DefaultHours(time.UTC), Retry: informing.Retry{Attempts: 2, First: time.Hour, Max: time.Hour}}
	now := f.clk.Now() // 09:00 UTC
	claim := func(op int64, at time.Time) journal.InformingClaim {
		t.Helper()
		cl, err := f.s.ClaimInforming(ctx, sum.ID, op, plan, at)
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	// Outside calling hours nobody is claimed; the claim says when they open.
	if cl := claim(f.l2ID, now.Add(-time.Hour)); cl.PersonID != 0 || !cl.Wake.Equal(now) {
		t.Fatalf("claim at 08:00 = %+v, want nobody until 09:00", cl)
	}
	ivanov, _ := f.s.InsuredByPolicy(ctx, "1000000000000001")
	petrova, _ := f.s.InsuredByPolicy(ctx, "1000000000000002")
	orlova, _ := f.s.InsuredByPolicy(ctx, "1000000000000004")
	c1 := claim(f.l2ID, now)
	c2 := claim(f.admin.OperatorID, now) // a second representative gets the next person, not the same
	if c1.PersonID != ivanov.ID || c1.Number != "+79120000001" || c2.PersonID != petrova.ID {
		t.Fatalf("claims %+v, %+v", c1, c2)
	}
	// Ivanov answers; Petrova does not.
	rec := func(cl journal.InformingClaim, op int64, o hotline.DialOutcome, call string) {
		t.Helper()
		if err := f.s.RecordInformingAttempt(ctx, journal.InformingAttempt{CampaignID: sum.ID, PersonID: cl.PersonID, OperatorID: op,
			Number: cl.Number, Outcome: o, CallID: call, At: now}, plan); err != nil {
			t.Fatal(err)
		}
	}
	rec(c1, f.l2ID, hotline.DialAnswered, "call-1")
	rec(c2, f.admin.OperatorID, hotline.DialNoAnswer, "")
	card, ok, err := f.s.CurrentInforming(ctx, sum.ID, f.l2ID)
	if err != nil || !ok || card.Person.ID != ivanov.ID || card.Status != hotline.InformAnswered || card.CallID != "call-1" || len(card.History) != 1 {
		t.Fatalf("current card %+v %v %v", card, ok, err)
	}
	// Ivanov's result is not saved yet: nothing more is claimed for the representative.
	if cl := claim(f.l2ID, now); cl.PersonID != 0 || cl.Awaiting != ivanov.ID {
		t.Fatalf("claim with a result awaited %+v, want none, awaiting Ivanov", cl)
	}
	// The result: a level-1 operator may not save it; a stale version is refused; then saved.
	err = f.s.SaveInformingResult(ctx, f.op1, sum.ID, ivanov.ID, journal.InformingResultInput{Result: hotline.ResultInformed}, plan)
	wantCode(t, err, hotline.EFORBIDDEN)
	err = f.s.SaveInformingResult(ctx, f.l2, sum.ID, ivanov.ID, journal.InformingResultInput{Result: "maybe"}, plan)
	wantCode(t, err, hotline.EINVALID)
	err = f.s.SaveInformingResult(ctx, f.l2, sum.ID, ivanov.ID, journal.InformingResultInput{Result: hotline.ResultInformed, Version: 7}, plan)
	wantCode(t, err, hotline.ECONFLICT)
	// Petrova did not answer: no result may be saved for her (a card left on the screen while she
	// was dialled must not inform her, nor mark her number wrong).
	err = f.s.SaveInformingResult(ctx, f.l2, sum.ID, petrova.ID, journal.InformingResultInput{Result: hotline.ResultWrong, Version: 2}, plan)
	wantCode(t, err, hotline.ECONFLICT)
	if err := f.s.SaveInformingResult(ctx, f.l2, sum.ID, ivanov.ID, journal.InformingResultInput{Result: hotline.ResultInformed, Comment: "записан на 10.03", Version: card.Version}, plan); err != nil {
		t.Fatal(err)
	}
	// The next claim skips Petrova (back-off) and Sidorov (no phone): Orlova.
	if cl := claim(f.l2ID, now); cl.PersonID != orlova.ID {
		t.Fatalf("next claim %+v, want Orlova", cl)
	}
	// Orlova answers, but it is not her number: marked wrong in the register, never dialled again.
	rec(journal.InformingClaim{PersonID: orlova.ID, Number: "+79120000004"}, f.l2ID, hotline.DialAnswered, "call-2")
	card, _, err = f.s.CurrentInforming(ctx, sum.ID, f.l2ID)
	if err != nil || card.Person.ID != orlova.ID {
		t.Fatalf("current card %+v %v, want Orlova's", card, err)
	}
	if err := f.s.SaveInformingResult(ctx, f.l2, sum.ID, orlova.ID, journal.InformingResultInput{Result: hotline.ResultWrong, Version: card.Version}, plan); err != nil {
		t.Fatal(err)
	}
	p, _ := f.s.Insured(ctx, orlova.ID)
	if len(p.Phones) != 1 || !p.Phones[0].Wrong {
		t.Fatalf("Orlova's phones %+v, want the number marked wrong", p.Phones)
	}
	counts, err := f.s.CampaignCounts(ctx, sum.ID)
	if want := (journal.CampaignCounts{Total: 4, WithPhone: 2, Informed: 1, Reached: 2, Wrong: 1, Attempts: 3}); err != nil || counts != want {
		t.Fatalf("counts %+v %v, want %+v", counts, err, want)
	}
	// An hour later Petrova is due again, on her second number; after that attempt she is given up.
	later := now.Add(time.Hour)
	cl := claim(f.l2ID, later)
	if cl.PersonID != petrova.ID || cl.Number != "+79120000022" {
		t.Fatalf("claim after the back-off %+v, want Petrova's second number", cl)
	}
	rec(cl, f.l2ID, hotline.DialBusy, "")
	if cl := claim(f.l2ID, later.Add(2*time.Hour)); cl.PersonID != 0 || !cl.Wake.IsZero() {
		t.Fatalf("claim with nobody left %+v, want nobody, ever", cl)
	}
	atts, err := f.s.CampaignAttempts(ctx, sum.ID)
	if err != nil || len(atts) != 4 {
		t.Fatalf("attempts %+v %v", atts, err)
	}
	list, err := f.s.Campaigns(ctx, "260001")
	if err != nil || len(list) != 2 || list[1].ID != sum.ID || list[1].Informed != 1 {
		t.Fatalf("campaigns %+v %v", list, err)
	}
}
