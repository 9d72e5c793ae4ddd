package integrationtests

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/informing"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
	"github.com/hotline-dev/hotline/switchboard"
)

// How each insured person's phone behaves when the dialler calls it.
type personPhone int

const (
	answers personPhone = iota
	neverAnswers
	busy
	wrongPerson // answers, but is not the person: the number is marked wrong
	noPhone
)

// persons of the campaign (50, as the issue asks), by position: most answer, a fifth never do,
// one is busy, one is someone else, one has no phone.
func campaignPersons() []personPhone {
	ps := make([]personPhone, 50)
	for i := range ps {
		switch {
		case i%5 == 2:
			ps[i] = neverAnswers
		case i == 7:
			ps[i] = busy
		case i == 11:
			ps[i] = wrongPerson
		case i == 13:
			ps[i] = noPhone
		}
	}
	return ps
}

func personNumber(i int) string { return fmt.Sprintf("7900555%04d", i) }

// The progressive dialler of an informing campaign on the sandbox Asterisk, the persons being real
// SIP phones behind the informing endpoint: nothing is dialled outside calling hours; within them
// each person with a number is dialled once (attempts: 1), never two at once for the
// representative; those who answer are put through to the representative's handset and recorded;
// each result is saved with its call; the campaign's counts match the journal's attempts.
func TestInformingCampaign(t *testing.T) {
	sb := sandbox.Require(t)
	pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	phones, err := sipphone.New(pctx, sipphone.Config{Server: sb.SIPAddr, User: "persons",
		Tone: hotlinetest.CallerTone, Detect: []float64{SpecialistTone}})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { phones.Close() })
	// Calling hours that exclude now (the fund's zone: UTC here): a window two hours ahead.
	h := (time.Now().UTC().Hour() + 2) % 22
	closed := fmt.Sprintf("%02d:00-%02d:00", h, h+1)
	tweak := func(hours string) func(*config.Config) {
		return func(c *config.Config) {
			c.Informing.Dial = "PJSIP/informing/sip:{number}@" + phones.Addr().String()
			c.Informing.Ring = 5 * time.Second
			c.Informing.Hours, c.Informing.TimeZone = hours, "UTC"
			c.Informing.Attempts, c.Informing.Retry, c.Informing.RetryMax = 1, time.Minute, time.Minute
		}
	}
	d := hotlinetest.Start(t, nil, tweak(closed))
	ctx := within(t, 6*time.Minute)
	admin, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	rep := hotline.Operator{Name: "Representative 1042", Login: "rep1042", Role: hotline.RoleOperator, Level: hotline.Level2,
		Extension: "1042", Active: true}
	if err := d.Store.AddOperator(ctx, admin, &rep); err != nil {
		t.Fatal(err)
	}
	repActor := hotline.Actor{Login: rep.Login, OperatorID: rep.ID, Role: rep.Role}

	// The register: the persons of organisation 260001 due in March 2026.
	kinds := campaignPersons()
	var csv strings.Builder
	csv.WriteString("policy_number;full_name;birth_date;sex;phones;address;mo_code;mo_name;health_group;diagnosis;disp_year;disp_month;stage\n")
	for i, k := range kinds {
		phone := "+" + personNumber(i)
		if k == noPhone {
			phone = ""
		}
		fmt.Fprintf(&csv, "%016d;Тестова Анна %s;1970-01-01;ж;%s;;260001;Поликлиника № 1;;;2026;3;\n", 3000000000000000+i, strings.Repeat("а", i+1), phone)
	}
	rd, err := register.NewReader(strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	if rp, err := d.Store.ImportInsured(ctx, admin, rd, journal.ImportOptions{Source: "campaign.csv"}); err != nil || rp.Added != len(kinds) {
		t.Fatalf("import: %+v %v", rp, err)
	}
	camp, err := d.Store.CreateCampaign(ctx, repActor, hotline.Campaign{Organisation: hotline.MedicalOrganisation{Code: "260001"},
		Type: hotline.InformCheckup, From: "2026-03", To: "2026-03"})
	if err != nil {
		t.Fatal(err)
	}
	if camp.Total != len(kinds) || camp.WithPhone != len(kinds)-1 {
		t.Fatalf("campaign counts %+v", camp.CampaignCounts)
	}

	// The persons' phone: each call answered, left ringing, refused busy, as the person does;
	// the most calls it ever had at once is counted.
	numberOf := map[string]int{}
	for i := range kinds {
		numberOf[personNumber(i)] = i
	}
	var mu sync.Mutex
	active, most := 0, 0
	answered := make(chan int, len(kinds))
	go func() {
		for {
			c, err := phones.Incoming(context.Background())
			if err != nil {
				return
			}
			mu.Lock()
			active++
			most = max(most, active)
			mu.Unlock()
			go func() {
				defer func() { mu.Lock(); active--; mu.Unlock() }()
				i, ok := numberOf[strings.TrimPrefix(c.Called(), "+")]
				if !ok {
					t.Errorf("the dialler called %q: no person of the campaign", c.Called())
					_ = c.Reject(context.Background(), 404)
					return
				}
				cctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
				defer cancel()
				switch kinds[i] {
				case neverAnswers:
					_, _ = c.WaitEnd(cctx)
				case busy:
					_ = c.Reject(cctx, 486)
				default:
					if err := c.Answer(cctx); err != nil {
						t.Errorf("person %d: answer: %v", i, err)
						return
					}
					if err := c.WaitTone(cctx, SpecialistTone); err != nil {
						t.Errorf("person %d never heard the representative: %v", i, err)
					}
					_ = c.Hangup(cctx)
					answered <- i
				}
			}()
		}
	}()

	hs, err := sipphone.New(ctx, sipphone.Config{Server: d.Sandbox.SIPAddr, User: "1042", Password: d.Sandbox.HandsetPassword,
		Tone: SpecialistTone, Detect: []float64{hotlinetest.CallerTone}, AutoAnswer: true, AnswerDelay: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Close() })
	if err := d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool { // the reload reads the journal after it answers
		return hotlinetest.Presence(st, "1042") != ""
	}); err != nil {
		t.Fatalf("representative not loaded: %v", err)
	}
	if err := d.API.Login(ctx, rep.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1042") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("representative not available: %v", err)
	}

	// Outside calling hours: «Начать информирование» dials nobody.
	if err := d.API.StartInforming(ctx, rep.ID, camp.ID); err != nil {
		t.Fatalf("StartInforming: %v", err)
	}
	time.Sleep(6 * time.Second)
	if atts, err := d.Store.CampaignAttempts(ctx, camp.ID); err != nil || len(atts) != 0 {
		t.Fatalf("outside calling hours (%s UTC) the dialler made %d attempts (%v)", closed, len(atts), err)
	}
	mu.Lock()
	if most != 0 {
		t.Fatalf("outside calling hours a person's phone rang")
	}
	mu.Unlock()

	// The same journal, calling hours that include now.
	journalPath := d.Config.Journal.Path
	d.Stop()
	d = hotlinetest.StartOnJournal(t, journalPath, tweak("00:00-24:00"))
	if err := d.API.Login(ctx, rep.ID); err != nil && hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Fatal(err) // logged in already: the presence is restored from the journal
	}
	if err := d.API.StartInforming(ctx, rep.ID, camp.ID); err != nil {
		t.Fatalf("StartInforming: %v", err)
	}
	want := map[personPhone]int{}
	for _, k := range kinds {
		want[k]++
	}
	reached := want[answers] + want[wrongPerson]
	for n := 0; n < reached; n++ {
		var i int
		select {
		case i = <-answered:
		case <-ctx.Done():
			t.Fatalf("after %d persons reached, no more (want %d)", n, reached)
		}
		// The representative's card: the person who answered, with the call; then the result.
		var card journal.InformingCard
		for {
			c, ok, err := d.Store.CurrentInforming(ctx, camp.ID, rep.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ok && c.Status == hotline.InformAnswered {
				card = c
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("person %d answered but the card never showed them answered", i)
			case <-time.After(100 * time.Millisecond):
			}
		}
		if card.Person.PolicyNumber != fmt.Sprintf("%016d", 3000000000000000+i) || card.CallID == "" {
			t.Fatalf("card %+v after person %d answered", card, i)
		}
		res := hotline.ResultInformed
		if kinds[i] == wrongPerson {
			res = hotline.ResultWrong
		}
		if err := d.Store.SaveInformingResult(ctx, repActor, camp.ID, card.Person.ID, journal.InformingResultInput{Result: res, Version: card.Version},
			informing.Plan{}); err != nil {
			t.Fatal(err)
		}
		if err := d.API.InformingNext(ctx, rep.ID); err != nil {
			t.Fatal(err)
		}
	}
	dialled := len(kinds) - want[noPhone]
	var atts []journal.InformingAttempt
	for {
		if atts, err = d.Store.CampaignAttempts(ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		if len(atts) >= dialled {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d attempts filed, want %d", len(atts), dialled)
		case <-time.After(200 * time.Millisecond):
		}
	}
	time.Sleep(2 * time.Second) // nothing more is dialled: every person had their one attempt
	if atts, err = d.Store.CampaignAttempts(ctx, camp.ID); err != nil || len(atts) != dialled {
		t.Fatalf("%d attempts (%v), want exactly %d: one per person with a phone", len(atts), err, dialled)
	}
	mu.Lock()
	if most > 1 {
		t.Errorf("the persons' phone had %d calls at once: the dialler called two at once for one representative", most)
	}
	mu.Unlock()
	got := map[hotline.DialOutcome]int{}
	seen := map[int64]bool{}
	for i, a := range atts {
		got[a.Outcome]++
		if seen[a.PersonID] {
			t.Errorf("person %d dialled twice", a.PersonID)
		}
		seen[a.PersonID] = true
		if a.OperatorID != rep.ID {
			t.Errorf("attempt %+v not the representative's", a)
		}
		if i > 0 && a.At.Before(atts[i-1].EndedAt) {
			t.Errorf("attempt %d dialled at %v before the previous one ended at %v", i, a.At, atts[i-1].EndedAt)
		}
		if a.Outcome == hotline.DialAnswered {
			legs, err := d.Store.Legs(ctx, a.CallID)
			if err != nil || len(legs) == 0 || legs[0].OperatorID != rep.ID || legs[0].RecordingName == "" {
				t.Errorf("the answered call %s: legs %+v (%v), want the representative's, recorded", a.CallID, legs, err)
			}
		}
	}
	if got[hotline.DialAnswered] != reached || got[hotline.DialNoAnswer] != want[neverAnswers] || got[hotline.DialBusy] != want[busy] {
		t.Errorf("outcomes %v, want %d answered, %d not answered, %d busy", got, reached, want[neverAnswers], want[busy])
	}
	counts, err := d.Store.CampaignCounts(ctx, camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := journal.CampaignCounts{Total: len(kinds), WithPhone: len(kinds) - want[noPhone] - want[wrongPerson],
		Informed: want[answers], Reached: reached, Wrong: want[wrongPerson], Attempts: dialled}
	if counts != wantCounts {
		t.Errorf("counts %+v, want %+v", counts, wantCounts)
	}
	wrong, err := d.Store.InsuredByPolicy(ctx, fmt.Sprintf("%016d", 3000000000000000+11))
	if err != nil || len(wrong.Phones) != 1 || !wrong.Phones[0].Wrong {
		t.Errorf("the wrong person's number %+v (%v), want marked wrong in the register", wrong.Phones, err)
	}
}
