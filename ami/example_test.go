package ami_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotline-dev/hotline/ami"
)

// The call-flow side of hotline: one goroutine reads a subscription, reconciles after a gap,
// and decodes the events it cares about.
func Example() {
	ctx := context.Background()
	c, err := ami.Dial(ctx, ami.Config{Addr: "127.0.0.1:5038", Username: "hotline", Secret: "secret", Auth: ami.AuthMD5})
	if err != nil {
		slog.Error("AMI", "err", err) // wrong address or secret: say so and stop
		return
	}
	defer c.Close()

	sub := c.Subscribe("DeviceStateChange", "Hangup")
	defer sub.Close()
	go func() {
		for ev := range sub.Events() {
			if ev.State == ami.StateReconnected || ev.Dropped > 0 {
				// Events were missed: ask Asterisk what is true now.
				states, err := c.DeviceStateList(ctx)
				fmt.Println(len(states), err)
			}
			switch e := ev.Decode().(type) {
			case *ami.DeviceStateChange:
				fmt.Println(e.Device, e.State)
			case *ami.Hangup:
				fmt.Println(e.Uniqueid, e.Cause)
			}
		}
	}()

	octx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	r, err := c.Originate(octx, ami.Originate{Channel: "PJSIP/1001", Context: "hotline-operators", Exten: "*43"})
	var ae *ami.ActionError
	switch {
	case errors.As(err, &ae):
		fmt.Println("Asterisk refused:", ae.Message)
	case errors.Is(err, ami.ErrOriginateFailed):
		fmt.Println("no answer, reason", r.Reason)
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("answered:", r.Channel)
	}
}
