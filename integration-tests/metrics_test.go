package integrationtests

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
)

// The metrics endpoint counts a call that arrives and is abandoned, with its wait and the ARI
// requests made for it; /healthz says the daemon is connected.
func TestMetricsAndHealth(t *testing.T) {
	const addr = "127.0.0.1:19787" // sandbox instance 7's range; the test owns it
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) { c.Metrics.Listen = addr })
	get := func(path string) (int, string) {
		t.Helper()
		// The endpoint starts beside the switchboard: give it a moment to listen.
		var res *http.Response
		var err error
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if res, err = http.Get("http://" + addr + path); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %q, want 200", code, body)
	}
	const number = "79008880001"
	ctx := within(t, 60*time.Second)
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatal(err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitLegEnded(t, d, number)
	_, body := get("/metrics")
	for _, want := range []string{
		"hotline_calls_offered_total 1",
		`hotline_call_legs_ended_total{end="abandoned"} 1`,
		`hotline_queue_wait_seconds_count{outcome="abandoned"} 1`,
		`hotline_ari_request_seconds_count{op="play",result="ok"} 1`, // the greeting (the dialplan answered)
		"hotline_queue_callers 0",
		`hotline_operators{state="logged_out"}`,
		"hotline_ari_reconnects_total",
		"hotline_ari_event_copies_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
