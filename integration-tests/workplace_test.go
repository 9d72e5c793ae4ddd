package integrationtests

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/web"
	"github.com/hotline-dev/hotline/web/browsertest"
)

// The passwords of the workplace test's accounts (test accounts on a loopback listener).
const workplacePassword = "workplace-test-пароль"

// workplaceRig is `hotline serve` as a process with its workplace on a loopback port, operator
// 1001 (level 1) and specialist 2001 (level 2) on SIP handsets, an administrator, a topic whose
// script recommends the specialist, and accounts for the three.
type workplaceRig struct {
	d        *hotlinetest.Daemon
	url      string
	opPhone  *sipphone.Phone
	specHand *sipphone.Phone
	opID     int64
	specID   int64
	adminID  int64
	topic    hotline.Topic
	serve    *serveProcess
}

func startWorkplaceRig(t *testing.T) *workplaceRig {
	t.Helper()
	r := &workplaceRig{}
	r.d = hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001", Name: "Иванова Анна Петровна"}}, nil)
	ctx := within(t, 30*time.Second)
	st := r.d.Store
	by, err := st.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	r.adminID = by.OperatorID
	spec := hotline.Operator{Name: "Петров Борис Васильевич", Login: "spec2001", Role: hotline.RoleOperator, Level: hotline.Level2,
		Organisation: "СК «Капитал МС»", Extension: "2001", Active: true}
	if err := st.AddOperator(ctx, by, &spec); err != nil {
		t.Fatal(err)
	}
	r.specID, r.opID = spec.ID, r.d.OperatorID("1001")
	for _, id := range []int64{r.adminID, r.opID, r.specID} {
		if err := st.SetPassword(ctx, by, id, workplacePassword); err != nil {
			t.Fatal(err)
		}
	}
	r.topic = hotline.Topic{Code: "clinic-refusal", Number: 21, Type: hotline.TypeComplaint, Title: "Отказ в медицинской помощи",
		Keywords: []string{"отказ", "поликлиника"}}
	if err := st.AddTopic(ctx, by, r.topic); err != nil {
		t.Fatal(err)
	}
	if err := st.AddScript(ctx, by, &hotline.Script{Topic: r.topic.Code, Title: "Отказ в приёме",
		Text: "Уточните медицинскую организацию и дату обращения.", Recommended: []int64{spec.ID}}); err != nil {
		t.Fatal(err)
	}
	r.opPhone = r.d.Handset("1001", -1) // answered by hand: the card must pop up while it rings
	r.specHand, err = sipphone.New(ctx, sipphone.Config{Server: r.d.Sandbox.SIPAddr, User: "2001", Password: r.d.Sandbox.HandsetPassword,
		Tone: SpecialistTone, Detect: []float64{hotlinetest.CallerTone}, AutoAnswer: true, AnswerDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.specHand.Close() })

	addr := freeLoopbackAddr(t)
	r.url = "http://" + addr
	r.serve = startServeProcess(t, r.d, "HOTLINE_WEB_LISTEN="+addr)
	if _, err := r.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return st.Connected }); err != nil {
		t.Fatalf("hotline serve (process) not serving: %v", err)
	}
	return r
}

// freeLoopbackAddr is a loopback host:port nothing listens on now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// logIn logs login in on the browser context ctx and waits for the workplace.
func (r *workplaceRig) logIn(t *testing.T, ctx context.Context, login string) {
	t.Helper()
	do(t, ctx, 10*time.Second, login+" logs in",
		chromedp.Navigate(r.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), workplacePassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("presence")),
	)
}

// startWork presses «Начало работы» and waits for the presence to say «Активен» (the button
// «Завершить» offered).
func startWork(t *testing.T, ctx context.Context, who string) {
	t.Helper()
	// The presence block is swapped in by the event stream at any moment: press the button
	// found at the moment of the click, as a person's click lands on what is on the screen.
	clickNow(t, ctx, `#presence button[name="action"][value="login"]`)
	do(t, ctx, 10*time.Second, who+": «Начало работы»",
		chromedp.WaitVisible(chromedp.CSS(`#presence button[name="action"][value="logout"]`)),
	)
	state, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("presence-state")))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(state), "Активен") {
		t.Fatalf("%s after «Начало работы»: the state is %q (%v), want «Активен»", who, state, err)
	}
}

// TestWorkplaceInTheBrowser is the workplace as its users meet it, in a real headless Chromium
// against a real `hotline serve` on the sandbox Asterisk with real SIP phones: the operator logs
// in and starts work; a caller dials; the caller's card pops up within 1 s of the offer with the
// caller's earlier case; the operator answers, fills and saves the registration card during the
// call, and transfers the caller by the button to the free recommended specialist, whom the caller
// then hears; the operator closes the case as forwarded, and the specialist sees it in their list;
// an administrator approves a case «На рассмотрении», and the counter falls on another open page.
func TestWorkplaceInTheBrowser(t *testing.T) {
	r := startWorkplaceRig(t)
	ctx := within(t, 3*time.Minute)
	const number = "79001234567"
	st := r.d.Store

	// An earlier case of the caller, and one waiting for the administrator.
	opActor := hotline.Actor{Login: "op1001", OperatorID: r.opID, Role: hotline.RoleOperator}
	earlier := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+" + number, Type: hotline.TypeComplaint,
		Topic: r.topic.Code, Description: "Ранее: отказали в записи к терапевту"}
	if err := st.NewCase(ctx, opActor, &earlier); err != nil {
		t.Fatal(err)
	}
	waiting := hotline.Case{Channel: hotline.ChannelWritten, Type: hotline.TypeComplaint, Topic: r.topic.Code, Description: "Письменное обращение"}
	if err := st.NewCase(ctx, opActor, &waiting); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseCase(ctx, opActor, waiting.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "Дан ответ письмом"}); err != nil {
		t.Fatal(err)
	}

	browser := browsertest.Start(t, 4*time.Minute)
	op := browsertest.Person(t, browser)
	spec := browsertest.Person(t, browser)
	admin := browsertest.Person(t, browser)
	admin2 := browsertest.Tab(t, admin)

	// The operator and the specialist log in and start work on the page (no feature codes).
	r.logIn(t, op, "op1001")
	startWork(t, op, "operator")
	r.logIn(t, spec, "spec2001")
	startWork(t, spec, "specialist")
	browsertest.Screenshot(t, op, "workplace-operator.png")

	// A caller dials: the operator's handset rings, and the card pops up within 1 s of the offer.
	caller, err := r.d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.opPhone.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("the operator's handset is not rung: %v", err)
	}
	took, err := browsertest.WaitText(op, "#caller-number", number, time.Second)
	if err != nil {
		t.Fatalf("the caller's card did not pop up within 1 s of the offer: %v", err)
	}
	t.Logf("screen pop %v after the handset rang", took)
	if _, err := browsertest.WaitText(op, "#caller-history", earlier.Number, time.Second); err != nil {
		t.Errorf("the card does not list the caller's earlier case: %v", err)
	}
	browsertest.Screenshot(t, op, "workplace-screen-pop.png")
	if err := in.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := caller.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("the caller does not hear the operator: %v", err)
	}

	// «Добавить»: the registration card, filled and saved during the call: the type (which
	// reloads the topic list), the topic (which loads the scripts), the person, the question.
	do(t, op, 10*time.Second, "open the registration card",
		chromedp.Click(chromedp.ID("add-case")),
		chromedp.WaitVisible(chromedp.ID("case-card")),
	)
	choose(t, op, "#type", string(hotline.TypeComplaint))
	do(t, op, 10*time.Second, "the complaint topics",
		chromedp.WaitReady(chromedp.CSS(`#topic option[value="`+r.topic.Code+`"]`)))
	choose(t, op, "#topic", r.topic.Code)
	do(t, op, 10*time.Second, "fill the registration card",
		chromedp.SendKeys(chromedp.ID("full_name"), "Смирнова Ольга Ивановна"),
		chromedp.SendKeys(chromedp.ID("description"), "Поликлиника отказала в записи к кардиологу"),
	)
	// The topic's script and its recommended specialist, free, with the transfer button.
	sel := fmt.Sprintf(`#scripts li[data-operator="%d"]`, r.specID)
	if _, err := browsertest.WaitText(op, sel, "Петров", 5*time.Second); err != nil {
		t.Fatalf("the recommended specialist is not shown with the script: %v", err)
	}
	browsertest.Screenshot(t, op, "workplace-card.png")
	do(t, op, 10*time.Second, "«Сохранить»", chromedp.Click(chromedp.ID("save")))
	var saved hotline.Case
	waitFor(t, 5*time.Second, "the case saved from the page", func() bool {
		cs, err := st.Cases(ctx, journal.CaseFilter{Caller: "+" + number})
		for _, c := range cs {
			if err == nil && c.ID != earlier.ID && strings.Contains(c.Description, "кардиологу") {
				saved = c
				return true
			}
		}
		return false
	})
	if saved.Status != hotline.StatusInProgress || saved.Topic != r.topic.Code || saved.Person.FullName != "Смирнова Ольга Ивановна" || saved.OwnerID != r.opID {
		t.Errorf("the saved case: %+v", saved)
	}
	calls, err := st.CaseCalls(ctx, saved.ID)
	if err != nil || len(calls) != 1 || calls[0].CallerNumber != "+"+number {
		t.Errorf("the saved case's calls: %+v %v", calls, err)
	}

	// The transfer button: the caller now talks to the specialist.
	do(t, op, 10*time.Second, "the transfer button",
		chromedp.WaitVisible(chromedp.CSS(sel+` button.transfer`)),
		chromedp.Click(chromedp.CSS(sel+` button.transfer`)),
	)
	if err := caller.WaitTone(within(t, 15*time.Second), SpecialistTone); err != nil {
		t.Fatalf("after the transfer the caller does not hear the specialist: %v", err)
	}

	// The operator closes the case as forwarded to the specialist: it is theirs to answer.
	do(t, op, 10*time.Second, "open the case to close it",
		chromedp.Navigate(fmt.Sprintf("%s/cases/%d/edit", r.url, saved.ID)),
		chromedp.WaitVisible(chromedp.ID("close-case")),
	)
	choose(t, op, `[name="result"]`, string(hotline.ResultForwarded))
	choose(t, op, `[name="forward_to"]`, fmt.Sprint(r.specID))
	do(t, op, 10*time.Second, "close the case as forwarded",
		chromedp.SendKeys(chromedp.CSS(`[name="comment"]`), "Переадресовано специалисту СМО"),
		chromedp.Click(chromedp.ID("close-case")),
	)
	waitFor(t, 5*time.Second, "the case forwarded", func() bool {
		c, err := st.Case(ctx, saved.ID)
		return err == nil && c.Status == hotline.StatusDelayedAnswer
	})
	do(t, spec, 10*time.Second, "the specialist's list", chromedp.Navigate(r.url+"/mine"))
	if _, err := browsertest.WaitText(spec, fmt.Sprintf(`tr[data-case="%s"]`, saved.Number), saved.Number, 5*time.Second); err != nil {
		t.Errorf("the specialist does not see the forwarded case in their list: %v", err)
	}
	browsertest.Screenshot(t, spec, "workplace-specialist.png")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	// The administrator approves the case waiting for review; another open page's counter falls.
	r.logIn(t, admin, "test-admin")
	for _, tab := range []context.Context{admin, admin2} {
		do(t, tab, 10*time.Second, "the review queue", chromedp.Navigate(r.url+"/admin/review"), chromedp.WaitVisible(chromedp.ID("review-count")))
	}
	if _, err := browsertest.WaitText(admin2, "#review-count", "1", 2*time.Second); err != nil {
		t.Fatalf("the review counter before: %v", err)
	}
	browsertest.Screenshot(t, admin, "workplace-review.png")
	do(t, admin, 10*time.Second, "approve",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="case"][value="%d"]`, waiting.ID))),
		chromedp.Click(chromedp.CSS(`button[formaction="/admin/review/approve"], form[action="/admin/review/approve"] button[type="submit"]`)),
	)
	took, err = browsertest.WaitText(admin2, "#review-count", "0", 2*time.Second)
	if err != nil {
		t.Fatalf("the other page's counter did not fall: %v", err)
	}
	t.Logf("the other page's counter fell %v after the approval", took)
	if c, err := st.Case(ctx, waiting.ID); err != nil || c.Status != hotline.StatusApproved {
		t.Errorf("the approved case: %+v %v", c, err)
	}

	// Neither the password nor any session id is in hotline's log or in the journal's files.
	var secrets []string
	for _, who := range []context.Context{op, spec, admin} {
		got, err := chromedp.Call(who, network.GetCookies, network.GetCookiesParams{URLs: []string{r.url}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got.Cookies {
			if c.Name == web.SessionCookie && len(c.Value) >= 16 {
				secrets = append(secrets, c.Value)
			}
		}
	}
	if len(secrets) != 3 {
		t.Fatalf("want the three users' session cookies, got %d", len(secrets))
	}
	secrets = append(secrets, workplacePassword)
	files := []string{r.serve.logPath}
	for _, suffix := range []string{"", "-wal"} {
		files = append(files, r.d.Config.Journal.Path+suffix)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		for _, sec := range secrets {
			if bytes.Contains(b, []byte(sec)) {
				t.Errorf("%s holds a secret (a password or a session id) in clear", f)
			}
		}
	}
}

// waitFor polls cond every 50 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do runs the browser actions, bounded by limit: a step that cannot happen fails at once, saying
// what.
func do(t *testing.T, ctx context.Context, limit time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// choose picks value in the select sel as a person does: the value, then a change event (htmx
// listens for it).
func choose(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e || ![...e.options].some(o => o.value === %q)) return false;
		e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, value, value)
	do(t, ctx, 10*time.Second, "choose "+value+" in "+sel,
		chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
}

// clickNow clicks the element sel as it is in the page at that moment (an element replaced by an
// event-stream swap between finding and clicking it is found again).
func clickNow(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, sel)
	do(t, ctx, 10*time.Second, "click "+sel,
		chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
}
