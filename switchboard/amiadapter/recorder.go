package amiadapter

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sync"

	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/switchboard/ariadapter"
)

// Manager is what Recorder needs of an AMI client; *ami.Client has it.
type Manager interface {
	MixMonitor(ctx context.Context, channel, file, options string) (string, error)
	StopMixMonitor(ctx context.Context, channel, id string) error
}

// Recorder records conversations with MixMonitor on the operator's channel (ariadapter's
// ChannelRecorder): both directions mixed into one file, named as ARI names a stored recording
// (Asterisk's recordings directory, NAME.FORMAT), so `hotline recording get`, the workplace's
// player and retention find it over ARI as before. Unlike a recording of the bridge, it adds no
// channel to the bridge, which Asterisk then keeps a 2-party simple_bridge (docs/benchmark.md).
//
// The AMI connection comes and goes (the daemon's runAMI calls Use); without one, Record and Stop
// answer ariadapter.ErrRecorderUnavailable and the bridge is recorded instead.
type Recorder struct {
	// Dir returns Asterisk's recordings directory (where ARI's stored recordings are); asked until
	// it answers, then kept.
	Dir func(ctx context.Context) (string, error)

	mu  sync.Mutex
	ami Manager
	dir string
}

// Use sets the AMI client recordings are started with; nil while there is none.
func (r *Recorder) Use(m Manager) {
	r.mu.Lock()
	r.ami = m
	r.mu.Unlock()
}

func (r *Recorder) client() Manager {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ami
}

func (r *Recorder) directory(ctx context.Context) (string, error) {
	r.mu.Lock()
	dir := r.dir
	r.mu.Unlock()
	if dir != "" {
		return dir, nil
	}
	if r.Dir == nil {
		return "", errors.New("no recordings directory")
	}
	dir, err := r.Dir(ctx)
	if err != nil {
		return "", err
	}
	if !path.IsAbs(dir) {
		return "", fmt.Errorf("recordings directory %q is not absolute", dir)
	}
	r.mu.Lock()
	r.dir = dir
	r.mu.Unlock()
	return dir, nil
}

// unavailable says whether err means no AMI connection to act on (the action was not sent), as
// opposed to Asterisk refusing it or a connection lost with the action in flight (which may have
// started the recording: recording the bridge too would write the same file twice).
func unavailable(err error) bool {
	return errors.Is(err, ami.ErrNotConnected) || errors.Is(err, ami.ErrClosed)
}

// Record starts recording channel (its ARI id, which AMI also accepts) as stored recording name.
func (r *Recorder) Record(ctx context.Context, channel, name, format string) error {
	m := r.client()
	if m == nil {
		return fmt.Errorf("%w: no AMI connection", ariadapter.ErrRecorderUnavailable)
	}
	dir, err := r.directory(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ariadapter.ErrRecorderUnavailable, err)
	}
	if format == "" {
		format = "wav"
	}
	// "b": only while the channel is bridged. hotline stops the recording when the conversation
	// ends and the handset stays up (wrap-up); should that stop be lost (AMI down at that moment),
	// the handset's wrap-up is still not recorded.
	if _, err := m.MixMonitor(ctx, channel, path.Join(dir, name+"."+format), "b"); err != nil {
		if unavailable(err) {
			return fmt.Errorf("%w: %w", ariadapter.ErrRecorderUnavailable, err)
		}
		return fmt.Errorf("mixmonitor %s: %w", channel, err)
	}
	return nil
}

// Stop ends the recording on channel (hotline runs one at a time on a channel); the file is kept.
func (r *Recorder) Stop(ctx context.Context, channel, name string) error {
	m := r.client()
	if m == nil {
		return fmt.Errorf("%w: no AMI connection", ariadapter.ErrRecorderUnavailable)
	}
	if err := m.StopMixMonitor(ctx, channel, ""); err != nil {
		return fmt.Errorf("stop mixmonitor %s (%s): %w", channel, name, err)
	}
	return nil
}
