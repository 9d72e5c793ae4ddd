package switchboard

import (
	"errors"
	"strings"
	"testing"
)

var errTest = errors.New("test: refused")

// TestOpNameIsStringsFirstWord: a request's metric label is the first word of its String, for
// every request there is.
func TestOpNameIsStringsFirstWord(t *testing.T) {
	for _, op := range []Op{
		Answer{Channel: "c"}, Play{Channel: "c", Playback: "p", Media: []string{"sound:x"}}, StopPlayback{Playback: "p"},
		StartMOH{Channel: "c"}, StopMOH{Channel: "c"}, Originate{Channel: "c", Endpoint: "PJSIP/1001"},
		CreateBridge{Bridge: "b"}, AddToBridge{Bridge: "b", Channels: []string{"c"}}, DestroyBridge{Bridge: "b"},
		RecordCall{Channel: "c", Name: "n"}, StopRecording{Channel: "c", Name: "n"}, RecordChannel{Channel: "c", Name: "n"},
		Hangup{Channel: "c"}, Snoop{Channel: "c"}, Continue{Channel: "c"}, RemoveFromBridge{Bridge: "b"},
		SetVariable{Channel: "c", Name: "n"}, TransferProgress{Channel: "c"},
	} {
		want, _, _ := strings.Cut(op.String(), " ")
		if got := opName(op); got != want {
			t.Errorf("opName(%T) = %q, want %q (its String's first word)", op, got, want)
		}
	}
}
