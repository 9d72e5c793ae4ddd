package integrationtests

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/kamailiotest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/kamailio"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/web/browsertest"
)

// TestNodesSoftphoneThroughKamailio: two Asterisk nodes behind a real Kamailio; a level-1
// operator works in the workplace in headless Chromium (fake microphone, 660 Hz), whose softphone
// registers with Kamailio over SIP WebSocket (web.softphone is Kamailio's ws:// address),
// authenticating with the password the workplace issued it, which hotline set at Kamailio. Two
// callers dial the hotline through Kamailio and land one on each node: each rings the page
// (the node dials PJSIP/<extension>@kamailio-webrtc, Kamailio relays UDP to WS), «Ответить»
// answers, the caller hears 660 Hz and the page hears 440 Hz; caller, operator and bridge are on
// the caller's node. On node b an administrator listens in from a handset registered with
// Kamailio and hears both. Each leg is the operator's in the journal, recorded on its node with
// both voices.
func TestNodesSoftphoneThroughKamailio(t *testing.T) {
	const ext = "9101"
	kamAddr := kamailioAddr(t)
	ws := kamailiotest.WebSocketURL(kamAddr)
	web := freeLoopbackAddr(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: ext, Name: "Сидорова Мария Ивановна"}}, func(c *config.Config) {
		for i := range c.ARI.Nodes {
			c.ARI.Nodes[i].Softphones = "PJSIP/{extension}@kamailio-webrtc"
		}
		c.Web.Listen, c.Web.Softphone = web, ws
	})
	d := tn.d
	ctx := within(t, 5*time.Minute)
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Store.SetPassword(ctx, by, d.OperatorID(ext), workplacePassword); err != nil {
		t.Fatal(err)
	}
	// The administrator who listens in (the control socket maps the test's own account to them),
	// on a handset registered with Kamailio.
	chief := hotline.Operator{Name: "Старший смены", Login: me.Username, Role: hotline.RoleAdministrator, Level: hotline.Level1,
		Extension: "1009", Active: true}
	if err := d.Store.AddOperator(ctx, by, &chief); err != nil {
		t.Fatal(err)
	}
	if err := d.API.ReloadOperators(ctx); err != nil {
		t.Fatal(err)
	}
	supPhone := tn.phone(t, "1009", SpecialistTone, hotlinetest.CallerTone, SoftphoneTone)

	wav := filepath.Join(t.TempDir(), "operator-660.wav")
	writePulsedToneWAV(t, wav, SoftphoneTone, 10)
	browser := browsertest.Start(t, 5*time.Minute,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	op := browsertest.Person(t, browser)
	r := &workplaceRig{d: d, url: "http://" + web}
	// As r.logIn, with a limit for a loaded machine: Chromium's first pages (the operator screen
	// loads the softphone's scripts) took over 10 s there at load averages of 40 to 90.
	do(t, op, time.Minute, "op"+ext+" logs in",
		chromedp.Navigate(r.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "op"+ext),
		chromedp.SendKeys(chromedp.ID("password"), workplacePassword),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("presence")),
	)
	if _, err := waitData(op, "state", "registered", 30*time.Second); err != nil {
		t.Fatalf("the page's softphone did not register with Kamailio: %v (state %q, message %q)", err, textOf(op, "#webphone-state"), textOf(op, "#webphone-error"))
	}
	// Registered at Kamailio, which asks softphones the password hotline issued and keeps there
	// (route[SOFTPHONE_AUTH]; TestNodesSoftphoneAuthentication has the refusals).
	if regs, err := (&kamailio.Client{URL: tn.kam.RPCURL}).Registered(within(t, 5*time.Second)); err != nil || !regs[ext] {
		t.Fatalf("the page's softphone is not in Kamailio's location table: %v %v", regs, err)
	}
	if log, err := os.ReadFile(tn.kam.LogPath); err != nil || strings.Contains(string(log), "softphone authentication") {
		t.Errorf("the page's softphone was refused at Kamailio before registering (%v):\n%s", err, log)
	}
	tn.login(t, ext)
	waitAvailable(t, d, ext, 10*time.Second)

	callOn := map[string]string{} // node → caller's number
	for _, number := range []string{"+79008881101", "+79008881102"} {
		caller := tn.callHearing(t, number, SoftphoneTone)
		answerInBrowser(t, op, caller, number)
		node := tn.nodeOf(t, number)
		callOn[node] = number
		t.Logf("caller %s talks to the softphone on node %s", number, node)
		if node == "b" {
			tn.listenIn(t, supPhone, ext)
		}
		// Both voices long enough for the recording: 3 s more of the operator's voice at the caller
		// (the browser's noise suppression lowers a steady tone after a while).
		heard := caller.Stats().Tones[SoftphoneTone]
		waitFor(t, 20*time.Second, "2 s more of the operator's voice at the caller", func() bool { return caller.Stats().Tones[SoftphoneTone] >= heard+100 })
		if err := caller.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		_, leg := waitLegEnded(t, d, number)
		if leg.OperatorID != d.OperatorID(ext) || leg.End != hotline.LegCompleted || leg.RecordingName == "" {
			t.Errorf("node %s: the journal's leg %+v; want the softphone operator's, completed, recorded", node, leg)
		} else {
			rec := tn.recording(t, node, leg.RecordingName)
			for _, tone := range []float64{hotlinetest.CallerTone, SoftphoneTone} {
				if n := sipphone.ToneFrames(rec.Samples, tone, 0.2); n < 25 {
					t.Errorf("node %s's recording holds %v Hz in %d frames; want both voices", node, tone, n)
				}
			}
		}
		if _, err := waitData(op, "state", "registered", 10*time.Second); err != nil {
			t.Errorf("after the call on node %s the softphone is not ready again: %v", node, err)
		}
		waitAvailable(t, d, ext, 30*time.Second) // after the wrap-up
	}
	if callOn["a"] == "" || callOn["b"] == "" {
		t.Errorf("the callers did not land one on each node: %v", callOn)
	}
}

// writePulsedToneWAV writes, like writeToneWAV, freq Hz for Chromium's fake microphone, but half
// a second on, half a second off: over several calls on one page the browser's noise suppression
// learns a steady tone as noise and lowers it until a mix with the caller's (a recording, a
// supervisor's snoop) no longer holds it; a tone with pauses stays speech to it.
func writePulsedToneWAV(t *testing.T, path string, freq float64, seconds int) {
	t.Helper()
	writeToneWAV(t, path, freq, seconds)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const rate, header = 48000, 44
	for i := 0; header+2*i+1 < len(b); i++ {
		if (i/(rate/2))%2 == 1 { // every other half second silent
			b[header+2*i], b[header+2*i+1] = 0, 0
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// listenIn: the administrator listens to ext's call (silently); their handset, registered with
// Kamailio, is rung on the call's node and hears the caller and the softphone.
func (tn *twoNodes) listenIn(t *testing.T, sup *sipphone.Phone, ext string) {
	t.Helper()
	st, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, ext) == hotline.PresenceTalking
	})
	if err != nil {
		t.Fatal(err)
	}
	var callID string
	for _, o := range st.Operators {
		if o.Extension == ext {
			callID = o.CallID
		}
	}
	if callID == "" {
		t.Fatalf("no call of operator %s in %+v", ext, st.Operators)
	}
	if err := tn.d.API.Listen(within(t, 10*time.Second), callID, switchboard.ListenSilent); err != nil {
		t.Fatalf("listen to %s's call %q: %v", ext, callID, err)
	}
	call, err := sup.Incoming(within(t, 15*time.Second))
	if err != nil {
		t.Fatalf("the administrator's handset was not rung to listen in: %v", err)
	}
	// Both voices reach the administrator: the caller's and the browser's (whose steady tone the
	// browser's noise suppression lowers, so the snoop's mix holds it in fewer frames than the
	// caller's: 25 frames, half a second, as the recordings are judged).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		tones := call.Stats().Tones
		if tones[hotlinetest.CallerTone] >= 25 && tones[SoftphoneTone] >= 25 {
			t.Logf("listening in, the administrator heard %v", tones)
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("listening in, the administrator heard %v within 20 s; want both the caller's %v Hz and the softphone's %v Hz", tones, hotlinetest.CallerTone, SoftphoneTone)
			break
		}
	}
	if err := tn.d.API.Listen(within(t, 10*time.Second), callID, switchboard.ListenStop); err != nil {
		t.Errorf("stop listening: %v", err)
	}
	if _, err := call.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Errorf("the administrator's listening call did not end: %v", err)
	}
}
