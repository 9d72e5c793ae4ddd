package ari_test

import (
	"context"
	"log"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline/ari"
)

// A caller enters the application, hears a greeting, and is bridged with an operator's channel
// once the greeting has finished. REST calls run off the event loop in a real call flow.
func Example() {
	ctx := context.Background()
	conn, err := ari.New(ari.Config{URL: "http://127.0.0.1:8088/ari", Username: "hotline", Password: "secret", Application: "hotline"})
	if err != nil {
		log.Fatal(err)
	}
	go conn.Run(ctx)
	for ev := range conn.Events() {
		switch ev := ev.(type) {
		case *ari.Connected, *ari.Reconnected:
			if _, err := conn.EnsureSubscribed(ctx, "endpoint:PJSIP"); err != nil {
				log.Print(err)
			}
		case *ari.Disconnected:
			log.Printf("ARI lost (%v): events may be missing until Reconnected", ev.Err)
		case *ariv6.StasisStart:
			caller := conn.Channel(ev.Channel.ID)
			if err := caller.Answer(ctx); err != nil {
				log.Print(err) // e.g. ari: answer channel ...: 404 Not Found: Channel not found
				continue
			}
			caller.Play(ctx, ari.PlayRequest{Media: []string{"sound:hello-world"}, PlaybackID: "greet-" + ev.Channel.ID})
		case *ariv6.PlaybackFinished:
			conn.CreateBridge(ctx, "call-1", ari.BridgeMixing, "")
			conn.Bridge("call-1").AddChannel(ctx, ari.AddChannelOptions{}, "caller-1", "operator-1")
			conn.Bridge("call-1").Record(ctx, ari.RecordRequest{Name: "call-1", Format: "wav"})
		case *ari.Unknown:
			// A newer Asterisk's event: ev.Raw holds it; it was logged.
		}
	}
}
