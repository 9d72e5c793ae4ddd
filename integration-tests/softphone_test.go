package integrationtests

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/softphone"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/web/browsertest"
)

// SoftphoneTone is what the browser's fake microphone plays.
const SoftphoneTone = 660.0

// softphoneWebSocket is the sandbox Asterisk's SIP WebSocket (pjsip.conf transport-ws, served by
// the HTTP server that carries ARI).
func softphoneWebSocket(t *testing.T, sb sandbox.Config) string {
	t.Helper()
	u, err := url.Parse(sb.ARIURL)
	if err != nil {
		t.Fatal(err)
	}
	return "ws://" + u.Host + "/ws"
}

// TestSoftphoneCredentials: the provisioner pushes a WebRTC endpoint for an extension that is no
// handset, and its password lets a SIP phone register; a new issue replaces it (the old one is
// refused), revocation and lapse refuse the last one, and a handset's extension is refused. Pruned
// (its operator out of service), the softphone is deleted from Asterisk and registers no more.
func TestSoftphoneCredentials(t *testing.T) {
	sb, err := sandbox.Load()
	if err != nil {
		t.Fatalf("no sandbox (a real-Asterisk test runs against it: sudo asterisk-conf/sandbox up): %v", err)
	}
	conn, err := ari.New(ari.Config{URL: sb.ARIURL, Username: sb.ARIUser, Password: sb.ARIPassword, Application: "softphone-probe"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := within(t, time.Minute)
	p := &softphone.Provisioner{Asterisk: conn, WebSocket: softphoneWebSocket(t, sb), TTL: time.Hour}
	const ext = "9201"
	register := func(password string) error {
		ph, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: ext, Password: password})
		if err == nil {
			ph.Close()
		}
		return err
	}

	first, err := p.Issue(ctx, ext)
	if err != nil {
		t.Fatal(err)
	}
	if first.User != ext || first.URI != "sip:"+ext+"@127.0.0.1" || len(first.Password) < 24 || !first.Expires.After(time.Now()) {
		t.Errorf("credentials: %+v", first)
	}
	if err := register(first.Password); err != nil {
		t.Fatalf("the issued password is refused: %v", err)
	}
	second, err := p.Issue(ctx, ext)
	if err != nil {
		t.Fatal(err)
	}
	if second.Password == first.Password {
		t.Fatal("a new issue kept the old password")
	}
	for _, tt := range []struct {
		name     string
		password string
		ok       bool
	}{
		{"the replaced password", first.Password, false},
		{"a wrong password", "not-" + second.Password, false},
		{"the new password", second.Password, true},
	} {
		if err := register(tt.password); (err == nil) != tt.ok {
			t.Errorf("%s: register error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	// Lapsed: Expire at a time past the TTL revokes it.
	if err := p.Expire(ctx, time.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := register(second.Password); err == nil {
		t.Error("a lapsed password still registers")
	}
	// A handset's extension stays the handset.
	if _, err := p.Issue(ctx, "1001"); !errors.Is(err, softphone.ErrHandset) || hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Errorf("issue for handset 1001: %v, want ErrHandset (ECONFLICT)", err)
	}
	// The operator leaves service: Prune (the daemon's, with the journal's operators in service)
	// deletes the softphone from Asterisk, so even a freshly issued password cannot register.
	third, err := p.Issue(ctx, ext)
	if err != nil {
		t.Fatal(err)
	}
	if err := register(third.Password); err != nil {
		t.Fatalf("the issued password is refused: %v", err)
	}
	if err := p.Prune(ctx, []string{"9202"}); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if err := register(third.Password); err == nil {
		t.Error("the softphone of an operator out of service still registers after Prune")
	}
	if err := p.Remove(ctx, ext); err != nil {
		t.Errorf("Remove of a softphone already gone: %v (Asterisk's 404 is no error)", err)
	}
	if err := p.Remove(ctx, "1001"); !errors.Is(err, softphone.ErrHandset) {
		t.Errorf("Remove of handset 1001: %v, want ErrHandset (Asterisk's files are read-only)", err)
	}
	if ph, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1001", Password: sb.HandsetPassword}); err != nil {
		t.Errorf("handset 1001 no longer registers after a Remove was refused: %v", err)
	} else {
		ph.Close()
	}
}

// writeToneWAV writes a 16-bit mono 48 kHz WAV of a sine at freq Hz, seconds long, for Chromium's
// fake microphone (it loops the file). Loud (-2.7 dBFS): the browser's noise suppression lowers a
// steady tone, and the recording's mix must still hold it beside the caller's.
func writeToneWAV(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	const rate = 48000
	n := rate * seconds
	data := make([]byte, 44+2*n)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], rate)
	binary.LittleEndian.PutUint32(data[28:], rate*2)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := 0; i < n; i++ {
		v := int16(24000 * math.Sin(2*math.Pi*freq*float64(i)/rate))
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(v))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSoftphoneInTheBrowser: a level-1 operator whose extension is no handset logs into the
// workplace in a real headless Chromium with a fake microphone playing 660 Hz; the page's softphone
// registers over the sandbox's SIP WebSocket and the operator becomes available. A caller (440 Hz)
// dials the hotline: the caller's card is on the page while the browser rings; «Ответить» answers;
// the caller hears 660 Hz and the page's analyser hears 440 Hz; a topic code keyed on the page's
// keypad registers the case (the keys reach hotline, not the caller); hold and mute, each undone, keep the call; «Перевести» on the page to a level-2
// specialist's SIP handset keeps the caller's audio (each hears the other's tone); after the
// caller hangs up, the recording of the operator's leg holds both tones. A
// second caller is answered and «Завершить разговор» on the page ends their call. A third is answered in a new page, which
// is then closed mid-call (its WebSocket cut): the caller's call ends and the journal says the
// leg failed. A browser with no microphone shows the message on login; an operator with a SIP
// handset gets no softphone and is not asked for the microphone.
func TestSoftphoneInTheBrowser(t *testing.T) {
	const ext, number, number2 = "9101", "79005556677", "79005556688"
	sr := startSoftphoneRig(t, ext, "1001")
	d, base, browser, op, opID, r := sr.d, sr.base, sr.browser, sr.op, sr.opID, sr.r
	ctx := within(t, 4*time.Minute)

	// A level-2 specialist on a SIP handset (2001), for the transfer from the page.
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	spec := hotline.Operator{Name: "Специалист 2001", Login: "spec2001", Role: hotline.RoleOperator, Level: hotline.Level2,
		Extension: "2001", Active: true}
	if err := d.Store.AddOperator(ctx, by, &spec); err != nil {
		t.Fatal(err)
	}
	// The topic the page's keypad keys (*57#).
	if err := d.Store.AddTopic(ctx, by, hotline.Topic{Code: "softphone-keypad", Number: 57, Type: hotline.TypeConsultation, Title: "Ключ с клавиатуры страницы"}); err != nil {
		t.Fatal(err)
	}
	if err := d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}
	specPhone, err := sipphone.New(within(t, 10*time.Second), sipphone.Config{Server: d.Sandbox.SIPAddr, User: "2001",
		Password: d.Sandbox.HandsetPassword, Tone: SpecialistTone, Detect: []float64{hotlinetest.CallerTone},
		AutoAnswer: true, AnswerDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { specPhone.Close() })

	// The first caller: rung in the browser with the card shown, answered, heard both ways.
	caller := dialFrom(t, d, number)
	answerInBrowser(t, op, caller, number)
	browsertest.Screenshot(t, op, "softphone-talking.png")

	// The keypad: digits pressed on the page go to hotline as RFC 4733 events, as a handset's do:
	// a topic code keyed there registers the case. They do not reach the caller (hotline's bridges
	// absorb keys: docs/call-flow.md, "Keys stay hotline's").
	do(t, op, 5*time.Second, "DTMF *, 5, 7, #",
		chromedp.Click(chromedp.CSS(`#webphone-keypad button[data-digit="*"]`)),
		chromedp.Click(chromedp.CSS(`#webphone-keypad button[data-digit="5"]`)),
		chromedp.Click(chromedp.CSS(`#webphone-keypad button[data-digit="7"]`)),
		chromedp.Click(chromedp.CSS(`#webphone-keypad button[data-digit="#"]`)),
	)
	waitCases(t, d, number, 1)
	if got := caller.Stats().DTMF; got != "" {
		t.Errorf("the caller received the page's keys %q; hotline's bridges should absorb them", got)
	}
	// Hold and mute, then back: the call goes on and the caller hears the operator again (what
	// the caller hears meanwhile is silence, as with a handset's hold: not asserted here).
	// The hold button is disabled until Asterisk answers the hold's re-INVITE: each step waits.
	for _, b := range []struct{ id, pressed, released string }{
		{"webphone-hold", "Снять с удержания", "Удержание"},
		{"webphone-mute", "Включить микрофон", "Выключить микрофон"},
	} {
		do(t, op, 5*time.Second, b.id, chromedp.Click(chromedp.ID(b.id)))
		if _, err := browsertest.WaitText(op, "#"+b.id, b.pressed, 5*time.Second); err != nil {
			t.Fatalf("%s: %v", b.id, err)
		}
		do(t, op, 5*time.Second, b.id+" again", chromedp.WaitEnabled(chromedp.ID(b.id)), chromedp.Click(chromedp.ID(b.id)))
		if _, err := browsertest.WaitText(op, "#"+b.id, b.released, 5*time.Second); err != nil {
			t.Fatalf("%s again: %v", b.id, err)
		}
		heard := caller.Stats().Tones[SoftphoneTone]
		waitFor(t, 15*time.Second, "the operator heard again after "+b.id, func() bool { return caller.Stats().Tones[SoftphoneTone] >= heard+50 })
	}
	if _, err := waitData(op, "state", "talking", time.Second); err != nil {
		t.Errorf("after hold and mute: %v", err)
	}
	// A conversation long enough for the recording to hold both voices: 2 s of the operator heard.
	waitFor(t, 20*time.Second, "2 s of the operator's voice at the caller", func() bool { return caller.Stats().Tones[SoftphoneTone] >= 100 })
	// The transfer from the page («Перевести» with the specialist's extension, the server's form in
	// #softphone): the specialist's handset rings and answers, and the caller keeps their audio:
	// they hear the specialist's tone, and the specialist hears theirs.
	do(t, op, 10*time.Second, "«Перевести» to 2001",
		chromedp.WaitVisible(chromedp.CSS(`form.transfer-by-extension`)),
		// From the page's own script, in one step: the event stream may replace #softphone between
		// filling the field and clicking.
		chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector('form.transfer-by-extension');
			f.querySelector('#transfer-extension').value = '2001'; f.querySelector('button[type=submit]').click(); })()`))
	specCall, err := specPhone.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("the specialist's handset was not rung by the transfer from the page: %v (page says %q)", err, textOf(op, "#transfer-result"))
	}
	if err := caller.WaitTone(within(t, 20*time.Second), SpecialistTone); err != nil {
		t.Errorf("after the transfer from the page the caller does not hear the specialist: %v", err)
	}
	if err := specCall.WaitTone(within(t, 10*time.Second), hotlinetest.CallerTone); err != nil {
		t.Errorf("after the transfer from the page the specialist does not hear the caller: %v", err)
	}
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "2001") == hotline.PresenceTalking && hotlinetest.Presence(st, ext) != hotline.PresenceTalking
	}); err != nil {
		t.Errorf("presence after the transfer from the page: %v", err)
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := specCall.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Errorf("the specialist's call did not end with the caller's: %v", err)
	}
	_, leg := waitLegEnded(t, d, number)
	c, legs := callOf(t, d, number)
	var opLeg *hotline.Leg
	for i := range legs {
		if legs[i].OperatorID == opID {
			opLeg = &legs[i]
		}
	}
	if opLeg == nil || opLeg.RecordingName == "" {
		t.Fatalf("no recorded leg of the softphone's operator in call %d (last leg %+v)", c.ID, leg)
	}
	path := d.RecordingPath(opLeg.RecordingName, "wav")
	var rec *sipphone.WAV
	for i := 0; i < 50; i++ { // the file is closed when the bridge ends
		if rec, err = sipphone.LoadWAV(path); err == nil && len(rec.Samples) > 8000 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("recording %s: %v", path, err)
	}
	for _, tone := range []float64{hotlinetest.CallerTone, SoftphoneTone} {
		if n := sipphone.ToneFrames(rec.Samples, tone, 0.2); n < 25 {
			t.Errorf("the recording holds %v Hz in %d frames; want both voices", tone, n)
		}
	}

	// The second caller (after the wrap-up): «Завершить разговор» on the page ends the call.
	if _, err := d.WaitStatus(20*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, ext) == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("the operator is not available again after the transfer: %v", err)
	}
	caller2 := dialFrom(t, d, number2)
	answerInBrowser(t, op, caller2, number2)
	do(t, op, 5*time.Second, "«Завершить разговор»", chromedp.Click(chromedp.ID("webphone-hangup")))
	if _, err := caller2.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Fatalf("«Завершить разговор» did not end the caller's call: %v", err)
	}
	if _, err := waitData(op, "state", "registered", 10*time.Second); err != nil {
		t.Errorf("after the call the softphone is not ready again: %v", err)
	}

	// The WebSocket cut mid-call: the page is closed while it talks. The caller's call must not
	// hang on a dead leg: Asterisk ends it when the browser's media stops (rtp_timeout), and the
	// journal records the leg as ended.
	do(t, op, 10*time.Second, "leave the operator screen", chromedp.Navigate(base+"/cases"))
	cut, closeCut := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(closeCut)
	browsertest.WatchConsole(t, cut)
	r.logIn(t, cut, "op"+ext)
	if _, err := waitData(cut, "state", "registered", 15*time.Second); err != nil {
		t.Fatalf("the new tab's softphone did not register: %v", err)
	}
	if _, err := d.WaitStatus(20*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, ext) == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("the operator is not available for the third call: %v", err)
	}
	const number3 = "79005556699"
	caller3 := dialFrom(t, d, number3)
	answerInBrowser(t, cut, caller3, number3)
	cutAt := time.Now()
	closeCut()
	end, err := caller3.WaitEnd(within(t, 45*time.Second)) // rtp_timeout 15 s, and a margin
	if err != nil {
		t.Fatalf("the caller's call did not end after the softphone's WebSocket was cut: %v", err)
	}
	t.Logf("the caller's call ended %v after the cut: %v", time.Since(cutAt).Round(time.Second), end)
	if _, leg3 := waitLegEnded(t, d, number3); leg3.End != hotline.LegFailed || leg3.OperatorID != opID {
		t.Errorf("the journal's leg after the cut: %+v; want the operator's leg ended %q", leg3, hotline.LegFailed)
	}
	// And why: the call's history says Asterisk cut it, on which side, with the cause.
	c3, _ := callOf(t, d, number3)
	var cutSide string
	waitFor(t, 10*time.Second, "the cut in the call's history", func() bool {
		evs, err := d.Store.History(ctx, journal.HistoryFilter{Entity: journal.CallEntity, EntityID: strconv.FormatInt(c3.ID, 10)})
		for _, e := range evs {
			if err == nil && e.Action == "cut by Asterisk" {
				t.Logf("the call's history: %s %+v", e.Action, e.Changes)
				cutSide = e.Changes[0].To
				return true
			}
		}
		return false
	})
	if cutSide != string(hotline.SideOperator) {
		t.Errorf("cut on the %q side, want the operator's (the softphone's media stopped)", cutSide)
	}

	// A computer without a microphone: the page says so at once, not when a call rings.
	bare := browsertest.Start(t, time.Minute, chromedp.Flag("use-fake-ui-for-media-stream", true))
	r.logIn(t, bare, "op"+ext)
	if _, err := browsertest.WaitText(bare, "#webphone-error", "Микрофон не найден", 10*time.Second); err != nil {
		t.Errorf("no microphone, no message: %v", err)
	}

	// An operator with a SIP handset (1001, in pjsip_operators.conf): no softphone on their page,
	// and no microphone asked for (the same microphone-less browser shows no message).
	handset := browsertest.Person(t, bare)
	r.logIn(t, handset, "op1001")
	if _, err := waitData(handset, "state", "handset", 10*time.Second); err != nil {
		t.Fatalf("a handset operator's page: %v", err)
	}
	if hidden, err := chromedp.Run(handset, chromedp.Evaluate[bool](`document.getElementById("webphone").hidden && document.getElementById("webphone-error").hidden`)); err != nil || !hidden {
		t.Errorf("a handset operator's page shows the softphone or a message (%v): %q", err, textOf(handset, "#webphone"))
	}
}

// softphoneRig: `hotline serve` as a process with the workplace and the softphone on, a level-1
// operator (ext) whose device is the browser, logged in and working in headless Chromium with a
// fake microphone playing 660 Hz, registered and available; more operators (handsets) by extension.
type softphoneRig struct {
	d       *hotlinetest.Daemon
	base    string
	browser context.Context
	op      context.Context
	opID    int64
	r       *workplaceRig
}

func startSoftphoneRig(t *testing.T, ext string, handsets ...string) *softphoneRig {
	t.Helper()
	ops := []hotlinetest.Operator{{Extension: ext, Name: "Сидорова Мария Ивановна"}}
	for _, h := range handsets {
		ops = append(ops, hotlinetest.Operator{Extension: h})
	}
	d := hotlinetest.Start(t, ops, nil)
	ctx := within(t, 30*time.Second)
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if err := d.Store.SetPassword(ctx, by, d.OperatorID(o.Extension), workplacePassword); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeLoopbackAddr(t)
	base := "http://" + addr
	startServeProcess(t, d, "HOTLINE_WEB_LISTEN="+addr, "HOTLINE_WEB_SOFTPHONE="+softphoneWebSocket(t, d.Sandbox))
	if _, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return st.Connected }); err != nil {
		t.Fatalf("hotline serve (process) not serving: %v", err)
	}
	wav := filepath.Join(t.TempDir(), "operator-660.wav")
	writeToneWAV(t, wav, SoftphoneTone, 10)
	browser := browsertest.Start(t, 4*time.Minute,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
		// Asterisk and the browser are both on loopback: let ICE use it.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	op := browsertest.Person(t, browser)
	r := &workplaceRig{d: d, url: base}
	// The first page load starts Chromium's renderer: slow on a loaded machine (20 s and more at a
	// load average of 40), so apart from the log-in's own limit.
	do(t, op, time.Minute, "the login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("login")))
	r.logIn(t, op, "op"+ext)
	// «Начало работы», read by polling: the event stream may swap #presence between a query for
	// the node and a read of its text (startWork's one-shot read fails now and then).
	// Clicked from the page's own script: the event stream may replace #presence between the
	// browser's query for the button and its click (a node id no longer found).
	do(t, op, 10*time.Second, "«Начало работы»",
		chromedp.WaitVisible(chromedp.CSS(`#presence button[name="action"][value="login"]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#presence button[name="action"][value="login"]').click()`),
		chromedp.WaitVisible(chromedp.CSS(`#presence button[name="action"][value="logout"]`)))
	waitFor(t, 10*time.Second, "«Активен» after «Начало работы»", func() bool {
		return strings.HasPrefix(strings.TrimSpace(textOf(op, "#presence-state")), "Активен")
	})
	if _, err := waitData(op, "state", "registered", 15*time.Second); err != nil {
		t.Fatalf("the page's softphone did not register: %v (state %q, message %q)", err, textOf(op, "#webphone-state"), textOf(op, "#webphone-error"))
	}
	waitAvailable(t, d, ext, 10*time.Second)
	return &softphoneRig{d: d, base: base, browser: browser, op: op, opID: d.OperatorID(ext), r: r}
}

func waitAvailable(t *testing.T, d *hotlinetest.Daemon, ext string, limit time.Duration) {
	t.Helper()
	if _, err := d.WaitStatus(limit, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, ext) == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("operator %s is not available: %v", ext, err)
	}
}

// TestSoftphoneAfterAsteriskRestart: Asterisk restarts under a registered page (its WebSocket
// drops, and the pushed endpoint is gone from Asterisk's memory); the page reconnects by itself,
// is refused, fetches new credentials (which push the endpoint again) and registers; a caller then
// rings the page and is heard.
func TestSoftphoneAfterAsteriskRestart(t *testing.T) {
	const ext, number = "9102", "79005557711"
	sr := startSoftphoneRig(t, ext)
	if err := sr.d.Sandbox.Restart(within(t, 2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := waitData(sr.op, "state", "disconnected", 30*time.Second); err != nil {
		t.Logf("the page did not show the lost connection (it may have reconnected at once): %v", err)
	}
	if _, err := waitData(sr.op, "state", "registered", 90*time.Second); err != nil {
		t.Fatalf("the page did not register again after Asterisk restarted: %v (message %q)", err, textOf(sr.op, "#webphone-error"))
	}
	waitAvailable(t, sr.d, ext, 60*time.Second)
	caller := dialFrom(t, sr.d, number)
	answerInBrowser(t, sr.op, caller, number)
	if err := caller.Hangup(within(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// dialFrom: a caller with number dials the hotline, sending the caller's tone and listening for
// the softphone's.
func dialFrom(t *testing.T, d *hotlinetest.Daemon, number string) *sipphone.Call {
	t.Helper()
	ph, err := sipphone.New(within(t, 10*time.Second), sipphone.Config{Server: d.Sandbox.SIPAddr, User: number,
		Tone: hotlinetest.CallerTone, Detect: []float64{SoftphoneTone}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ph.Close() })
	c, err := ph.Dial(within(t, 20*time.Second), "100")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// answerInBrowser waits for the softphone to ring with the caller's card shown, presses
// «Ответить», and proves two-way audio: the caller hears the fake microphone's 660 Hz, the page's
// analyser hears the caller's 440 Hz.
func answerInBrowser(t *testing.T, op context.Context, caller *sipphone.Call, number string) {
	t.Helper()
	if _, err := waitData(op, "state", "ringing", 20*time.Second); err != nil {
		t.Fatalf("the browser softphone does not ring: %v", err)
	}
	if _, err := browsertest.WaitText(op, "#caller-number", number, 5*time.Second); err != nil {
		t.Fatalf("the caller's card is not shown while the softphone rings: %v", err)
	}
	do(t, op, 5*time.Second, "«Ответить»", chromedp.Click(chromedp.ID("webphone-answer")))
	if _, err := waitData(op, "state", "talking", 10*time.Second); err != nil {
		t.Fatalf("the softphone is not talking after «Ответить»: %v (message %q)", err, textOf(op, "#webphone-error"))
	}
	if err := caller.WaitTone(within(t, 15*time.Second), SoftphoneTone); err != nil {
		t.Fatalf("the caller does not hear the browser's microphone (%v Hz): %v", SoftphoneTone, err)
	}
	heard, err := waitHeard(op, hotlinetest.CallerTone, 15*time.Second)
	if err != nil {
		t.Fatalf("the page does not hear the caller (%v Hz): %v (last heard %q)", hotlinetest.CallerTone, err, heard)
	}
	t.Logf("the page hears %s Hz", heard)
	out, _ := dataOf(op, "codec")
	in, _ := dataOf(op, "codecIn")
	t.Logf("the page sends %s and receives %s", out, in)
}

// dataOf reads #webphone's data-NAME (the softphone's test hooks: state, heard).
func dataOf(ctx context.Context, name string) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.getElementById("webphone"); return e ? (e.dataset[%q] || "") : "(no #webphone)"; })()`, name)))
}

// waitData polls #webphone's data-NAME until it equals want.
func waitData(ctx context.Context, name, want string, limit time.Duration) (string, error) {
	var got string
	deadline := time.Now().Add(limit)
	for {
		if v, err := dataOf(ctx, name); err == nil {
			got = v
			if v == want {
				return got, nil
			}
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("#webphone data-%s is %q, not %q within %v", name, got, want, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitHeard polls #webphone's data-heard (the page analyser's dominant frequency) until it is
// within 25 Hz of freq (the analyser's bins are 11.7 Hz wide).
func waitHeard(ctx context.Context, freq float64, limit time.Duration) (string, error) {
	var last string
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if v, err := dataOf(ctx, "heard"); err == nil {
			last = v
			if hz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && math.Abs(hz-freq) <= 25 {
				return v, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last, fmt.Errorf("not within %v", limit)
}

func textOf(ctx context.Context, sel string) string {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : "(no element)"; })()`, sel)))
	if err != nil {
		return err.Error()
	}
	return s
}
