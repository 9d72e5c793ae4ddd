package ari_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

// originateMany puts n echo channels into the stream's application from a few goroutines and
// returns their ids; failures are reported on errs.
func originateMany(t *testing.T, s *stream, prefix string, n int) ([]string, <-chan error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uniq(prefix)
	}
	errs := make(chan error, n)
	work := make(chan string)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for id := range work {
				if _, err := s.Originate(ctxT(t, 30*time.Second), ari.OriginateRequest{Endpoint: echo, ChannelID: id, App: s.Application()}); err != nil {
					errs <- err
				}
			}
		})
	}
	go func() {
		for _, id := range ids {
			work <- id
		}
		close(work)
		wg.Wait()
		close(errs)
	}()
	t.Cleanup(func() {
		for _, id := range ids {
			_ = s.Channel(id).Hangup(ctxT(t, 5*time.Second), "")
		}
	})
	return ids, errs
}

// TestBurstSlowConsumer: 200 channels enter the application while the consumer takes its time.
// Every StasisStart and StasisEnd arrives, or the gap is reported as Disconnected: never a silent loss.
func TestBurstSlowConsumer(t *testing.T) {
	sb := sandbox.Require(t)
	const n = 200
	s := start(t, sb, uniq("t-burst"), func(c *ari.Config) {
		c.EventBuffer = 16
		c.SlowConsumerTimeout = 30 * time.Second
	})
	ids, errs := originateMany(t, s, "burst", n)
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	started, ended := map[string]bool{}, map[string]bool{}
	var disconnected *ari.Disconnected
	hungUp := false
	deadline := time.After(120 * time.Second)
	for disconnected == nil && len(ended) < n {
		select {
		case err, ok := <-errs:
			if ok {
				t.Fatalf("originate: %v", err)
			}
			errs = nil
		case ev := <-s.Events():
			time.Sleep(time.Millisecond) // the slow consumer
			switch ev := ev.(type) {
			case *ariv6.StasisStart:
				if !want[ev.Channel.ID] {
					t.Errorf("StasisStart of a channel not ours: %s", ev.Channel.ID)
				}
				if started[ev.Channel.ID] {
					t.Errorf("StasisStart twice for %s", ev.Channel.ID)
				}
				started[ev.Channel.ID] = true
			case *ariv6.StasisEnd:
				if !started[ev.Channel.ID] {
					t.Errorf("StasisEnd before StasisStart for %s: order broken", ev.Channel.ID)
				}
				ended[ev.Channel.ID] = true
			case *ari.Disconnected:
				disconnected = ev
			}
			if len(started) == n && !hungUp {
				hungUp = true
				go func() {
					for _, id := range ids {
						_ = s.Channel(id).Hangup(ctxT(t, 10*time.Second), "")
					}
				}()
			}
		case <-deadline:
			t.Fatalf("after 120 s: %d of %d StasisStart, %d StasisEnd, stats %+v", len(started), n, len(ended), s.Stats())
		}
	}
	st := s.Stats()
	t.Logf("stats: %+v", st)
	if disconnected != nil {
		// The overflow was reported, in order; the stream must come back.
		t.Logf("overflow reported after %d StasisStart, %d StasisEnd: %v", len(started), len(ended), disconnected.Err)
		s.waitFor(30*time.Second, "Reconnected", func(e ari.Event) bool { return e.GetType() == ari.EventReconnected })
		return
	}
	if len(started) != n || len(ended) != n {
		t.Errorf("%d StasisStart, %d StasisEnd of %d, and no Disconnected: events lost silently", len(started), len(ended), n)
	}
	if st.BufferFull == 0 {
		t.Errorf("the buffer of 16 never filled: the consumer was not slow enough to test back-pressure")
	}
}

// TestStalledConsumerReported: a consumer that stops reading gets Disconnected{ErrSlowConsumer}
// after the events that were read, then Reconnected, and the application works again.
func TestStalledConsumerReported(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-stall"), func(c *ari.Config) {
		c.EventBuffer = 8
		c.SlowConsumerTimeout = 200 * time.Millisecond
		c.MinBackoff, c.MaxBackoff = 50*time.Millisecond, 500*time.Millisecond
	})
	_, errs := originateMany(t, s, "stall", 30)
	for err := range errs {
		t.Fatalf("originate: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.Stats().SlowConsumer == 0 { // not consuming at all
		if time.Now().After(deadline) {
			t.Fatalf("no slow-consumer report while stalled: %+v", s.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	ev, skipped := s.waitFor(30*time.Second, "Disconnected", func(e ari.Event) bool { return e.GetType() == ari.EventDisconnected })
	if err := ev.(*ari.Disconnected).Err; !errors.Is(err, ari.ErrSlowConsumer) {
		t.Errorf("Disconnected.Err = %v, want ErrSlowConsumer", err)
	}
	if len(skipped) < 8 {
		t.Errorf("%d events before Disconnected, want at least the 8 buffered", len(skipped))
	}
	s.waitFor(30*time.Second, "Reconnected", func(e ari.Event) bool { return e.GetType() == ari.EventReconnected })
	// Working again: a new channel's StasisStart arrives.
	id := uniq("after")
	originateEcho(t, s, id)
}
