package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds the browser: Debian's chromium package (.ci/run installs it). Without it the
// browser tests are skipped on a developer's machine and fail in CI (CI=true).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true: the browser tests must run in CI (.ci/run installs the chromium package)")
	}
	t.Skip("chromium is not installed: skipping the browser test (apt-get install chromium to run it)")
	return ""
}

// browser starts a headless Chromium for the test, bounded by limit, and returns its context. Any
// console error the page logs about its content security policy or a script fails the test.
func browser(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path := chromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("headless", "new"),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1100, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser, under ctx's limit
		t.Fatalf("start chromium: %v", err)
	}
	// The page's console: an exception or a refusal by the content security policy fails the test.
	cctx, stopConsole := context.WithCancel(bctx)
	messages := chromedp.Console(cctx)
	var problems []string
	read := make(chan struct{})
	go func() {
		defer close(read)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") {
				problems = append(problems, m.String())
			}
		}
	}()
	t.Cleanup(func() {
		stopConsole()
		<-read
		for _, p := range problems {
			t.Errorf("the page's console: %s", p)
		}
	})
	return bctx
}

// waitText waits up to within for the element sel's text to contain want, and says how long it took.
func waitText(ctx context.Context, sel, want string, within time.Duration) (time.Duration, error) {
	start := time.Now()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, want)
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(within), chromedp.WithPollingInterval(20*time.Millisecond)))
	return time.Since(start), err
}

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
	ctx := browser(t, 90*time.Second)
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
	if _, err := waitText(ctx, "#login-error", "Неверный логин или пароль", 2*time.Second); err != nil {
		t.Fatalf("the wrong password's message: %v", err)
	}
	// The right one: to the live page, with the snapshot's queue.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("password"), "пароль-ivanova"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("queue")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	if _, err := waitText(ctx, "#queue", "+79001112233", 2*time.Second); err != nil {
		t.Fatalf("the queue is not shown: %v", err)
	}
	if _, err := waitText(ctx, "#operators", "Свободен", time.Second); err != nil {
		t.Fatalf("the operators are not shown: %v", err)
	}
	waitSubscribed(t, live)

	// A caller joins the queue: the page shows them within a second.
	at := testSnapshot().At
	live.Push(queueWith(at, "+79001112233", "+79004445566"))
	took, err := waitText(ctx, "#queue", "+79004445566", time.Second)
	if err != nil {
		t.Fatalf("the new caller is not on the page within 1 s: %v", err)
	}
	t.Logf("the change reached the page in %v", took)
	screenshot(t, ctx, "workplace-live.png")

	// The feed drops the page (it lagged): the page reconnects, from a new snapshot, by itself.
	for len(live.subscribed) > 0 { // only the subscription after the drop counts
		<-live.subscribed
	}
	live.Lag()
	waitSubscribed(t, live)
	live.Push(queueWith(at, "+79007778899"))
	if _, err := waitText(ctx, "#queue", "+79007778899", time.Second); err != nil {
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

// screenshot saves the page under docs/ when HOTLINE_WEB_SCREENSHOTS is set (for docs/workplace.md).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("HOTLINE_WEB_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
	}
}
