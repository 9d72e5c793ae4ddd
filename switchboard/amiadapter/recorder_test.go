package amiadapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/switchboard/ariadapter"
)

// fakeManager notes the MixMonitor actions it gets and answers err.
type fakeManager struct {
	got []string
	err error
}

func (f *fakeManager) MixMonitor(_ context.Context, channel, file, options string) (string, error) {
	f.got = append(f.got, "MixMonitor "+channel+" "+file+" "+options)
	return "0x1", f.err
}

func (f *fakeManager) StopMixMonitor(_ context.Context, channel, id string) error {
	f.got = append(f.got, "StopMixMonitor "+channel+" "+id)
	return f.err
}

// The recording is written where ARI's stored recordings are, as NAME.FORMAT; without an AMI
// connection, or a directory, nothing is sent and the answer is ErrRecorderUnavailable (the
// bridge is recorded instead); Asterisk's refusal is not.
func TestRecorder(t *testing.T) {
	spool := func(context.Context) (string, error) { return "/var/spool/asterisk/recording", nil }
	refused := &ami.ActionError{Action: "MixMonitor", Message: "No such channel"}
	tests := []struct {
		name        string
		dir         func(context.Context) (string, error)
		manager     *fakeManager // nil: no AMI connection
		format      string
		want        []string
		unavailable bool
		refused     bool
	}{
		{"recorded", spool, &fakeManager{}, "wav",
			[]string{"MixMonitor c1-op2 /var/spool/asterisk/recording/call-c1-7.wav b"}, false, false},
		{"default format", spool, &fakeManager{}, "",
			[]string{"MixMonitor c1-op2 /var/spool/asterisk/recording/call-c1-7.wav b"}, false, false},
		{"no AMI connection", spool, nil, "wav", nil, true, false},
		{"AMI reconnecting", spool, &fakeManager{err: fmt.Errorf("x: %w", ami.ErrNotConnected)}, "wav",
			[]string{"MixMonitor c1-op2 /var/spool/asterisk/recording/call-c1-7.wav b"}, true, false},
		{"no directory", func(context.Context) (string, error) { return "", errors.New("ARI down") }, &fakeManager{}, "wav", nil, true, false},
		{"relative directory", func(context.Context) (string, error) { return "recording", nil }, &fakeManager{}, "wav", nil, true, false},
		{"refused", spool, &fakeManager{err: refused}, "wav",
			[]string{"MixMonitor c1-op2 /var/spool/asterisk/recording/call-c1-7.wav b"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Recorder{Dir: tt.dir}
			if tt.manager != nil {
				r.Use(tt.manager)
			}
			err := r.Record(context.Background(), "c1-op2", "call-c1-7", tt.format)
			if got := errors.Is(err, ariadapter.ErrRecorderUnavailable); got != tt.unavailable {
				t.Errorf("Record = %v; unavailable %v, want %v", err, got, tt.unavailable)
			}
			if got := errors.Is(err, ami.ErrActionFailed); got != tt.refused {
				t.Errorf("Record = %v; refused %v, want %v", err, got, tt.refused)
			}
			if !tt.unavailable && !tt.refused && err != nil {
				t.Errorf("Record = %v", err)
			}
			var got []string
			if tt.manager != nil {
				got = tt.manager.got
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
		})
	}
}

// The directory is asked until it answers, then kept; Stop stops the channel's MixMonitor, and
// without a connection is unavailable.
func TestRecorderDirAskedOnceAndStop(t *testing.T) {
	asked := 0
	m := &fakeManager{}
	r := &Recorder{Dir: func(context.Context) (string, error) { asked++; return "/rec", nil }}
	r.Use(m)
	for range 3 {
		if err := r.Record(context.Background(), "c", "n", "wav"); err != nil {
			t.Fatal(err)
		}
	}
	if asked != 1 {
		t.Errorf("directory asked %d times, want once", asked)
	}
	if err := r.Stop(context.Background(), "c", "n"); err != nil || m.got[len(m.got)-1] != "StopMixMonitor c " {
		t.Errorf("Stop = %v, sent %q", err, m.got)
	}
	r.Use(nil)
	if err := r.Stop(context.Background(), "c", "n"); !errors.Is(err, ariadapter.ErrRecorderUnavailable) {
		t.Errorf("Stop without AMI = %v, want unavailable", err)
	}
}
