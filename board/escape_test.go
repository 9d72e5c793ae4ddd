package board

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// A name or a reason holding a terminal escape is shown escaped, not obeyed by the wall screen.
func TestRenderEscapesNames(t *testing.T) {
	var b strings.Builder
	st := switchboard.Status{At: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), Operators: []switchboard.OperatorStatus{
		{ID: 1, Name: "Иванова\x1b[2J", Extension: "1001\x07", Presence: hotline.PresencePaused, Reason: "\x1b]0;x\x07"},
	}}
	if err := Render(&b, Frame{Status: st}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `Иванова\x1b[2J`) || !strings.Contains(out, `\x1b]0;x\x07`) {
		t.Errorf("board:\n%q", out)
	}
}
