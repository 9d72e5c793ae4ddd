package sipphone_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

// A handset calls another through Asterisk and proves it hears the other's tone.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := sipphone.New(ctx, sipphone.Config{Server: "127.0.0.1:5160", User: "1001", Password: "secret", Tone: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := sipphone.New(ctx, sipphone.Config{Server: "127.0.0.1:5160", User: "1002", Password: "secret", Tone: 600, AutoAnswer: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	call, err := a.Dial(ctx, "1002")
	if err != nil {
		fmt.Println(err) // a *sipphone.ResponseError carries the SIP code
		return
	}
	if err := call.WaitTone(ctx, 600); err != nil {
		fmt.Println(err)
	}
	_ = call.SendDTMF(ctx, "123#")
	_ = call.Hangup(ctx)
	fmt.Println(call.End(), call.Stats().PacketsLost)
}

// A caller on the trunk (no registration) calls the hotline number and waits for a prompt.
func Example_caller() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller, err := sipphone.New(ctx, sipphone.Config{Server: "127.0.0.1:5160", User: "79001234567"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer caller.Close()
	call, err := caller.Dial(ctx, "100")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := call.WaitAudio(ctx); err == nil {
		fmt.Println("heard the greeting")
	}
	_ = call.Hangup(ctx)
}
