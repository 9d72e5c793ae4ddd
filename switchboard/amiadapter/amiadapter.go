// Package amiadapter feeds the switchboard what AMI knows of operators' handsets: whether each is
// registered and answering (ContactStatus, DeviceStateChange), and, after every (re)connection,
// the whole picture again (DeviceStateList), since Asterisk keeps no events for an absent client.
package amiadapter

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/switchboard"
)

// Deliverer is where events go; *switchboard.Switchboard is one.
type Deliverer interface {
	Deliver(ctx context.Context, ev switchboard.Event) error
}

// Source is what Presence needs of an AMI client; *ami.Client has it.
type Source interface {
	Subscribe(names ...string) *ami.Subscription
	DeviceStateList(ctx context.Context) ([]ami.DeviceState, error)
}

// Translate returns the switchboard's event for an AMI event about a PJSIP handset.
func Translate(ev ami.Event) (switchboard.Event, bool) {
	switch e := ev.Decode().(type) {
	case *ami.DeviceStateChange:
		return device(e.Device, e.State)
	case *ami.ContactStatus:
		ext := e.EndpointName
		if ext == "" {
			ext = e.AOR
		}
		reachable, known := switchboard.ContactReachable(e.ContactStatus)
		if !known || ext == "" {
			return nil, false
		}
		return switchboard.DeviceState{Extension: ext, Reachable: reachable, Contact: e.URI,
			Gone: e.ContactStatus == "Removed" && e.URI != ""}, true
	}
	return nil, false
}

func device(name, state string) (switchboard.Event, bool) {
	tech, ext, ok := strings.Cut(name, "/")
	if !ok || !strings.EqualFold(tech, "PJSIP") || ext == "" {
		return nil, false
	}
	reachable, known := switchboard.DeviceReachable(state)
	if !known {
		return nil, false
	}
	return switchboard.DeviceState{Extension: ext, Reachable: reachable}, true
}

// Events are the AMI events Presence reads: a connection for it needs no other
// (ami.Config.EventFilter).
func Events() []string { return []string{"ContactStatus", "DeviceStateChange"} }

// Presence delivers handsets' reachability to the switchboard until ctx ends or the client is
// closed. On every (re)connection, and when events were dropped, it lists all device states again.
func Presence(ctx context.Context, c Source, sb Deliverer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sub := c.Subscribe(Events()...)
	defer sub.Close()
	for {
		var ev ami.Event
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-sub.Events():
			if !ok {
				return nil
			}
			ev = e
		}
		if ev.State == ami.StateConnected || ev.State == ami.StateReconnected || ev.Dropped > 0 {
			if err := resync(ctx, c, sb); err != nil {
				log.Warn("amiadapter: listing device states failed; reachability from events only until the next reconnection", "err", err)
			}
		}
		if ev.Message == nil {
			continue
		}
		if sev, ok := Translate(ev); ok {
			if err := sb.Deliver(ctx, sev); err != nil {
				return fmt.Errorf("amiadapter: deliver: %w", err)
			}
		}
	}
}

func resync(ctx context.Context, c Source, sb Deliverer) error {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	states, err := c.DeviceStateList(lctx)
	if err != nil {
		return err
	}
	for _, d := range states {
		if sev, ok := device(d.Device, d.State); ok {
			if err := sb.Deliver(ctx, sev); err != nil {
				return err
			}
		}
	}
	return nil
}
