package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/informing"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

// fakeDialler records what the page asked of the dialler.
type fakeDialler struct{ asked []string }

func (f *fakeDialler) StartInforming(_ context.Context, by hotline.Actor, op, campaign int64) error {
	f.asked = append(f.asked, fmt.Sprintf("start %s %d %d", by.Login, op, campaign))
	return nil
}
func (f *fakeDialler) StopInforming(_ context.Context, by hotline.Actor, op int64) error {
	f.asked = append(f.asked, fmt.Sprintf("stop %s %d", by.Login, op))
	return nil
}
func (f *fakeDialler) InformingNext(_ context.Context, by hotline.Actor, op int64) error {
	f.asked = append(f.asked, fmt.Sprintf("next %s %d", by.Login, op))
	return nil
}

// The ЕИР263 pages: only level 2 and administrators; «Сохранить» with bad input refused field by
// field, nothing saved; saved, the counts; «Начать информирование» asks the dialler and the card
// shows the person the dialler reached; the result saved, the dialler is told to go on; the wrong
// number mark goes to the register; the CSV report.
func TestCampaignPages(t *testing.T) {
	c := newCardHarness(t)
	d := &fakeDialler{}
	c.srv.Dialler = d
	c.h = c.srv.Handler()
	var b strings.Builder
	b.WriteString("policy_number;full_name;birth_date;sex;phones;mo_code;mo_name;disp_year;disp_month\n")
	b.WriteString("0000000000000101;Смирнов Олег Олегович;1960-01-01;м;+79121234567;260001;ГБУЗ «Поликлиника № 1» <b>;2026;3\n")
	b.WriteString("0000000000000102;Ким Ирина;1970-01-01;ж;+79121234568;260001;;2026;3\n")
	b.WriteString("0000000000000103;Орлов Иван;1971-01-01;м;;260001;;2026;3\n")
	rd, err := register.NewReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := c.j.ImportInsured(t.Context(), admin.Actor(), rd, journal.ImportOptions{}); err != nil || rep.Added != 3 {
		t.Fatalf("import %+v %v", rep, err)
	}
	if rec := c.get(level1, "/campaigns"); rec.Code != http.StatusForbidden {
		t.Fatalf("level 1: %d, want 403", rec.Code)
	}
	if rec := c.post(level1, "/campaigns", url.Values{"mo": {"260001"}, "type": {"checkup"}, "from": {"2026-03"}, "to": {"2026-03"}}); rec.Code != http.StatusForbidden {
		t.Fatalf("level 1 saving: %d, want 403", rec.Code)
	}
	rec := c.get(level2, "/campaigns")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<option value="260001">`) || !strings.Contains(rec.Body.String(), "&lt;b&gt;") ||
		!strings.Contains(rec.Body.String(), ">Сохранить<") {
		t.Fatalf("page %d:\n%s", rec.Code, rec.Body.String())
	}
	for _, tc := range []struct {
		name string
		form url.Values
		code int
		want string
	}{
		{"no organisation", url.Values{"type": {"checkup"}, "from": {"2026-03"}, "to": {"2026-03"}}, 422, "Выберите медицинскую организацию."},
		{"unknown type", url.Values{"mo": {"260001"}, "type": {"poll"}, "from": {"2026-03"}, "to": {"2026-03"}}, 422, "Выберите тип информирования"},
		{"bad month", url.Values{"mo": {"260001"}, "type": {"checkup"}, "from": {"03.2026"}, "to": {"2026-03"}}, 422, "месяц начала периода"},
		{"period backwards", url.Values{"mo": {"260001"}, "type": {"checkup"}, "from": {"2026-05"}, "to": {"2026-03"}}, 422, "ends (2026-03) before it starts"},
		{"unknown organisation", url.Values{"mo": {"<script>"}, "type": {"checkup"}, "from": {"2026-03"}, "to": {"2026-03"}}, 422, "medical organisation code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := c.post(level2, "/campaigns", tc.form)
			body := rec.Body.String()
			if rec.Code != tc.code || !strings.Contains(body, tc.want) || !strings.Contains(body, `role="alert"`) || strings.Contains(body, "<script>") {
				t.Fatalf("%d, want %d with %q:\n%s", rec.Code, tc.code, tc.want, body)
			}
		})
	}
	if list, _ := c.j.Campaigns(t.Context(), ""); len(list) != 0 {
		t.Fatalf("a refused form saved %+v", list)
	}
	rec = c.post(level2, "/campaigns", url.Values{"mo": {"260001"}, "type": {"checkup"}, "from": {"2026-03"}, "to": {"2026-03"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", rec.Code, rec.Body.String())
	}
	body := c.get(level2, rec.Header().Get("Location")).Body.String()
	m := regexp.MustCompile(`<tr id="campaign-(\d+)">`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `<td class="num total">3</td><td class="num with-phone">2</td><td class="num informed">0</td>`) {
		t.Fatalf("counts:\n%s", body)
	}
	id := m[1]
	// «Начать информирование»: the dialler is asked for the user; nobody dialled yet: the page waits.
	rec = c.post(level2, "/campaigns/"+id+"/start", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/campaigns/"+id+"/inform" || len(d.asked) != 1 || d.asked[0] != "start petrov 3 "+id {
		t.Fatalf("start: %d %q, asked %v", rec.Code, rec.Header().Get("Location"), d.asked)
	}
	if body := c.get(level2, "/campaigns/"+id+"/inform").Body.String(); !strings.Contains(body, `id="informing-wait"`) {
		t.Fatalf("before the dialler claimed anyone:\n%s", body)
	}
	// The dialler (here, its journal calls) reaches the first person for the representative.
	var cid int64
	fmt.Sscan(id, &cid)
	plan := informing.Plan{Hours: informing.Hours{From: 0, To: 24 * time.Hour}}
	cl, err := c.j.ClaimInforming(t.Context(), cid, level2.OperatorID, plan, time.Now())
	if err != nil || cl.PersonID == 0 {
		t.Fatalf("claim %+v %v", cl, err)
	}
	// While the number is dialled the card takes no result (it reloads until the person answers).
	if body := c.get(level2, "/campaigns/"+id+"/inform").Body.String(); !strings.Contains(body, `id="informing-dialling"`) || strings.Contains(body, `id="informing-form"`) {
		t.Fatalf("the card while dialling:\n%s", body)
	}
	if err := c.j.RecordInformingAttempt(t.Context(), journal.InformingAttempt{CampaignID: cid, PersonID: cl.PersonID, OperatorID: level2.OperatorID,
		Number: cl.Number, Outcome: hotline.DialAnswered, CallID: "call-1", At: time.Now()}, plan); err != nil {
		t.Fatal(err)
	}
	body = c.get(level2, "/campaigns/"+id+"/inform").Body.String()
	if !strings.Contains(body, `id="person-name">Смирнов Олег Олегович<`) || !strings.Contains(body, "Ответил(а) по номеру &#43;79121234567") ||
		!strings.Contains(body, "Телефон указан неверно или принадлежит другому ЗЛ") {
		t.Fatalf("card:\n%s", body)
	}
	save := "/campaigns/" + id + "/inform/" + fmt.Sprint(cl.PersonID)
	// Bad input: no result; another person's campaign card; then the wrong-number mark saved.
	if rec := c.post(level2, save, url.Values{"version": {"0"}}); rec.Code != 422 || !strings.Contains(rec.Body.String(), "Выберите результат оповещения.") {
		t.Fatalf("no result: %d\n%s", rec.Code, rec.Body.String())
	}
	if rec := c.post(level2, "/campaigns/"+id+"/inform/999999", url.Values{"result": {"informed"}}); rec.Code != http.StatusNotFound {
		t.Fatalf("a person not in the campaign: %d", rec.Code)
	}
	if rec := c.post(level1, save, url.Values{"result": {"informed"}}); rec.Code != http.StatusForbidden {
		t.Fatalf("level 1 saving a result: %d", rec.Code)
	}
	if len(d.asked) != 1 {
		t.Fatalf("the dialler told to go on after a refused save: %v", d.asked)
	}
	// A card shown before the last attempt (version 0: claimed and dialled since) is stale.
	if rec := c.post(level2, save, url.Values{"result": {"informed"}, "version": {"0"}}); rec.Code != http.StatusConflict {
		t.Fatalf("a stale card: %d", rec.Code)
	}
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	if version == nil {
		t.Fatalf("the card carries no version:\n%s", body)
	}
	rec = c.post(level2, save, url.Values{"result": {"informed"}, "wrong": {"1"}, "comment": {"ответила соседка"}, "version": {version[1]}})
	if rec.Code != http.StatusSeeOther || len(d.asked) != 2 || d.asked[1] != "next petrov 3" {
		t.Fatalf("save: %d, asked %v\n%s", rec.Code, d.asked, rec.Body.String())
	}
	p, _ := c.j.Insured(t.Context(), cl.PersonID)
	if len(p.Phones) != 1 || !p.Phones[0].Wrong {
		t.Fatalf("phones %+v, want the number marked wrong", p.Phones)
	}
	counts, _ := c.j.CampaignCounts(t.Context(), cid)
	if counts.WithPhone != 1 || counts.Wrong != 1 || counts.Reached != 1 {
		t.Fatalf("counts %+v", counts)
	}
	rec = c.get(level2, "/campaigns/report.csv")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Body.String(), id+",260001,ГБУЗ «Поликлиника № 1» <b>,checkup,2026-03,2026-03,3,1,0,1,0,1,1") ||
		!strings.Contains(rec.Body.String(), "итого,260001") {
		t.Fatalf("report %d:\n%s", rec.Code, rec.Body.String())
	}
	if rec := c.post(level2, "/campaigns/"+id+"/stop", nil); rec.Code != http.StatusSeeOther || d.asked[2] != "stop petrov 3" {
		t.Fatalf("stop: %d %v", rec.Code, d.asked)
	}
	if rec := c.post(level2, "/campaigns/x/start", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("bad id: %d", rec.Code)
	}
}
