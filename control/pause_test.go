package control

import (
	"context"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
)

// A pause reason is kept for good in the presence history: the API lets in only what a handset
// can key (*23N: a digit) or none, whoever the client is.
func TestPauseReasonIsACode(t *testing.T) {
	fb := &fakeBoard{}
	c, _ := serve(t, fb, selfAuthority())
	ctx := context.Background()
	for _, bad := range []string{"abc", "77", "\x1b]0;owned\x07", "missed", " 2"} {
		err := c.Pause(ctx, 7, bad)
		if hotline.ErrorCode(err) != hotline.EINVALID || !strings.Contains(hotline.ErrorMessage(err), "a digit 0-9") {
			t.Errorf("pause with reason %q: %v, want invalid listing the codes", bad, err)
		}
	}
	if len(fb.calls) != 0 {
		t.Fatalf("the switchboard was asked %v", fb.calls)
	}
	for _, good := range []string{"0", "9", ""} {
		if err := c.Pause(ctx, 7, good); err != nil {
			t.Errorf("pause with reason %q: %v", good, err)
		}
	}
}
