package integrationtests

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

func asResponseError(err error, target **sipphone.ResponseError) bool { return errors.As(err, target) }

// talkingAndWaiting brings two callers in for operator handset h, logged in and alone: the first
// talks with h (in is h's side of that call), the second waits in the queue behind it.
func talkingAndWaiting(t *testing.T, ctx context.Context, d *hotlinetest.Daemon, h *sipphone.Phone, talking, waiting string) (a, in, b *sipphone.Call) {
	t.Helper()
	a, err := d.Caller(talking).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	in, err = h.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("operator not rung: %v", err)
	}
	if err := a.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("caller does not hear the operator: %v", err)
	}
	b, err = d.Caller(waiting).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("second caller not queued: %v", err)
	}
	return a, in, b
}

// operatorTakes waits for handset h to ring for the caller with number (an auto-answering test
// handset), and checks that the caller, on c, and the operator hear each other. It returns the
// operator's side of the call.
func operatorTakes(t *testing.T, h *sipphone.Phone, c *sipphone.Call, number string) *sipphone.Call {
	t.Helper()
	in, err := h.Incoming(within(t, 30*time.Second))
	if err != nil {
		t.Fatalf("operator not rung for %s: %v", number, err)
	}
	if got := in.Caller().User; !strings.HasSuffix(got, number) {
		t.Errorf("operator's handset shows %q, want the caller %s", got, number)
	}
	// Heard from now on: a caller back from a transfer or a restart heard an operator before.
	if err := heardMore(within(t, 15*time.Second), c, hotlinetest.OperatorTone, c.Stats().Tones[hotlinetest.OperatorTone]); err != nil {
		t.Errorf("caller %s does not hear the operator: %v", number, err)
	}
	if err := in.WaitTone(within(t, 10*time.Second), hotlinetest.CallerTone); err != nil {
		t.Errorf("operator does not hear the caller %s: %v", number, err)
	}
	return in
}
