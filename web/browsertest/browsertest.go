// Package browsertest drives a real headless Chromium (Debian's chromium package) for the
// workplace's tests, from the web package's own tests and from the end-to-end suite in
// integration-tests: start it, wait for text on the page, take screenshots for the docs. Only
// tests import it; the hotline binary never links chromedp.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path finds the browser. Without it the test is skipped on a developer's machine and fails in CI
// (CI=true: .ci/run installs the chromium package).
func Path(t testing.TB) string {
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

// Start starts a headless Chromium for the test, bounded by limit, and returns its context
// (a tab; chromedp.NewContext of it opens another tab, for a second user). flags are extra
// command-line flags (e.g. a fake microphone). Any console exception or content-security-policy
// refusal on any page fails the test.
func Start(t testing.TB, limit time.Duration, flags ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := Path(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("headless", "new"),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900),
	)
	opts = append(opts, flags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser, under ctx's limit
		t.Fatalf("start chromium: %v", err)
	}
	WatchConsole(t, bctx)
	return bctx
}

// Tab opens another tab of ctx's browser: its own page, the same cookies (the same user, a
// second window). The tab's console is watched too.
func Tab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tctx, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	WatchConsole(t, tctx)
	return tctx
}

// Person opens a tab in a new browser context of ctx's browser: its own cookies, as another
// person at another computer (log in as another user there). Its console is watched too.
func Person(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	pctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(pctx); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	WatchConsole(t, pctx)
	return pctx
}

// WatchConsole fails the test for any exception or content-security-policy refusal the page of
// ctx logs.
func WatchConsole(t testing.TB, ctx context.Context) {
	t.Helper()
	cctx, stop := context.WithCancel(ctx)
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
		stop()
		<-read
		for _, p := range problems {
			t.Errorf("the page's console: %s", p)
		}
	})
}

// WaitText waits up to within for the element sel's text to contain want, and says how long it
// took. A page that navigates meanwhile (a form posted, a redirect) is waited on again.
func WaitText(ctx context.Context, sel, want string, within time.Duration) (time.Duration, error) {
	start := time.Now()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, want)
	err := poll(ctx, js, within)
	if err != nil {
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : "(no element)"; })()`, sel)))
		return time.Since(start), fmt.Errorf("%s does not show %q within %v (it shows %q): %w", sel, want, within, clip(now), err)
	}
	return time.Since(start), nil
}

// poll evaluates js every 20 ms until it is true or within has passed, across navigations.
func poll(ctx context.Context, js string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return context.DeadlineExceeded
		}
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(20*time.Millisecond)))
		if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "navigated") {
			return err
		}
		time.Sleep(20 * time.Millisecond) // the next page is loading
	}
}

// Click clicks the first element matching sel once it is there, finding and clicking it in one
// evaluation in the page: chromedp.Click looks the node up and clicks it in two round trips, and a
// page that is still settling after a navigation can replace the node in between ("Could not find
// node with given id").
func Click(ctx context.Context, sel string, within time.Duration) error {
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, sel)
	if err := poll(ctx, js, within); err != nil {
		return fmt.Errorf("click %s: %w", sel, err)
	}
	return nil
}

// WaitGone waits up to within until no element matches sel.
func WaitGone(ctx context.Context, sel string, within time.Duration) error {
	return poll(ctx, fmt.Sprintf(`document.querySelector(%q) === null`, sel), within)
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// Screenshot saves the page as docs/NAME (PNG) when HOTLINE_WEB_SCREENSHOTS is set, for
// docs/workplace.md.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("HOTLINE_WEB_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(docsDir(), name), png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
	}
}

// docsDir is the repository's docs/ directory, found from this file's place in the tree.
func docsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs")
}
