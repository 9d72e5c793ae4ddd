package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-dev/hotline/web/browsertest"
)

// waitSubscribed waits for the page's event stream to subscribe to the live state.
func waitSubscribed(t *testing.T, live *fakeLive) {
	t.Helper()
	select {
	case <-live.subscribed:
	case <-time.After(10 * time.Second):
		t.Fatal("the page did not open its event stream within 10 s")
	}
}

// TestBrowserLivePage: in a real headless Chromium, an operator logs in, sees the queue of the
// switchboard's snapshot, and sees a change pushed on the feed within 1 s; after the feed is
// dropped for lagging, the page reconnects by itself and shows the state again.
func TestBrowserLivePage(t *testing.T) {
	ctx := browsertest.Start(t, 90*time.Second)
	ss := newFakeSessions()
	live := newFakeLive(testSnapshot())
	srv := httptest.NewServer((&Server{Sessions: ss, Live: live}).Handler())
	defer srv.Close()

	// Not logged in: the live page sends the browser to the login form.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/live"),
		chromedp.WaitVisible(chromedp.ID("login")),
	); err != nil {
		t.Fatalf("open the live page: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/login") {
		t.Fatalf("without a session the browser is at %s, want the login page", loc)
	}
	// A wrong password: the form says so.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("login"), "ivanova"),
		chromedp.SendKeys(chromedp.ID("password"), "не тот"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("login-error")),
	); err != nil {
		t.Fatalf("a wrong password: %v", err)
	}
	if _, err := browsertest.WaitText(ctx, "#login-error", "Неверный логин или пароль", 2*time.Second); err != nil {
		t.Fatalf("the wrong password's message: %v", err)
	}
	// The right one: logged in; the live page shows the snapshot's queue.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("password"), "пароль-ivanova"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.ID("password")), // left the login form
		chromedp.Navigate(srv.URL+"/live"),
		chromedp.WaitVisible(chromedp.ID("queue")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	if _, err := browsertest.WaitText(ctx, "#queue", "+79001112233", 2*time.Second); err != nil {
		t.Fatalf("the queue is not shown: %v", err)
	}
	if _, err := browsertest.WaitText(ctx, "#operators", "Свободен", time.Second); err != nil {
		t.Fatalf("the operators are not shown: %v", err)
	}
	waitSubscribed(t, live)

	// A caller joins the queue: the page shows them within a second.
	at := testSnapshot().At
	live.Push(queueWith(at, "+79001112233", "+79004445566"))
	took, err := browsertest.WaitText(ctx, "#queue", "+79004445566", time.Second)
	if err != nil {
		t.Fatalf("the new caller is not on the page within 1 s: %v", err)
	}
	t.Logf("the change reached the page in %v", took)
	browsertest.Screenshot(t, ctx, "workplace-live.png")

	// The feed drops the page (it lagged): the page reconnects, from a new snapshot, by itself.
	for len(live.subscribed) > 0 { // only the subscription after the drop counts
		<-live.subscribed
	}
	live.Lag()
	waitSubscribed(t, live)
	live.Push(queueWith(at, "+79007778899"))
	if _, err := browsertest.WaitText(ctx, "#queue", "+79007778899", time.Second); err != nil {
		t.Fatalf("after the feed was dropped the page does not follow the changes again: %v", err)
	}
	still, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("queue")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(still, "+79004445566") {
		t.Errorf("the page shows a caller no longer queued: %q", still)
	}

	// «Выход»: back at the login form, and the session is over.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form.logout button`)),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.Navigate(srv.URL+"/live"),
		chromedp.WaitVisible(chromedp.ID("login")),
	); err != nil {
		t.Fatalf("log out: %v", err)
	}
}
