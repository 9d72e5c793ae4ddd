// Package ari is hotline's connection to Asterisk's REST Interface (ARI): typed REST operations and
// the Stasis application's events, delivered in order to one consumer, with nothing lost silently.
//
// It builds on github.com/CyCoreSystems/ari/v6 for the data and event types (ariv6.ChannelData,
// ariv6.StasisStart, ...) and adds what that library lacks:
//
//   - Its own websocket reader (github.com/coder/websocket) instead of ari/v6's bus, which drops an
//     event whenever a subscriber's buffer is full and drops every event type it does not know.
//   - Decode types every event of Asterisk 22's events.json. The ones ari/v6 lacks (ChannelTransfer,
//     CallBroadcast, CallClaimed, ChannelToneDetected, ApplicationRegistered/Unregistered,
//     RESTResponse) are this package's types, and so is TextMessageReceived, whose ari/v6 type cannot
//     decode the variables object Asterisk sends. Anything else arrives as *Unknown with the raw JSON
//     and is logged. A call's own events are read in one pass into ari/v6's types (fastdecode.go),
//     which ari/v6's ChannelData would parse twice; any shape Asterisk does not write takes
//     encoding/json's path, so the events are the same for every input.
//   - Connection state as events: *Connected, *Disconnected (with the reason) and *Reconnected, with
//     capped exponential backoff and jitter in between, so the call flow knows when to reconcile.
//   - Explicit back-pressure: a bounded buffer (Config.EventBuffer), its depth in Conn.Stats and
//     Conn.Metrics (Prometheus), and, when the consumer takes nothing for
//     Config.SlowConsumerTimeout, a dropped websocket reported in order as
//     Disconnected{Err: ErrSlowConsumer}: never a silent loss.
//   - REST with a context on every call and errors (*Error) that keep the HTTP status, Asterisk's
//     message and what was attempted, plus operations ari/v6 lacks: Channel.TransferProgress,
//     Conn.Claim (POST /events/claim), DownloadStoredRecording streaming to an io.Writer.
//
// The REST calls go through one HTTP path (Conn.do) rather than ari/v6's native client because that
// client takes no context and replaces Asterisk's error message with "Non-2XX response".
//
// Use:
//
//	conn, err := ari.New(ari.Config{URL: "http://127.0.0.1:8088/ari", Username: "hotline",
//		Password: pw, Application: "hotline"})
//	if err != nil { ... }
//	go conn.Run(ctx) // reconnects until ctx ends, then closes Events
//	for ev := range conn.Events() {
//		switch ev := ev.(type) {
//		case *ari.Connected, *ari.Reconnected:
//			// list conn.Channels / conn.Bridges, adopt what is still in Stasis,
//			// conn.EnsureSubscribed(ctx, "endpoint:PJSIP")
//		case *ariv6.StasisStart:
//			ch := conn.Channel(ev.Channel.ID)
//			_ = ch.Answer(ctx)
//			_, _ = ch.Play(ctx, ari.PlayRequest{Media: []string{"sound:hello-world"}, PlaybackID: "greet-1"})
//		case *ariv6.PlaybackFinished:
//			_, _ = conn.CreateBridge(ctx, "call-1", ari.BridgeMixing, "")
//			_ = conn.Bridge("call-1").AddChannel(ctx, ari.AddChannelOptions{}, callerID, operatorID)
//		}
//	}
//
// The consumer should not block on the network: run REST calls off the event loop and report back.
//
// Asterisk needs chan_bridge_media.so loaded for bridge recording and bridge playback.
//
// Benchmarks and how to run them: README.md in this directory.
package ari
