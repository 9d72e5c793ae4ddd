package ari_test

import (
	"slices"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

// TestChannelTransferFromREFER: an operator's handset, in a call the application controls, sends a
// blind-transfer REFER. With PJSIP_TRANSFER_HANDLING set to ari-only, Asterisk does not transfer by
// itself but emits ChannelTransfer (Asterisk 22.3+; ari/v6 cannot decode it); the application then
// reports progress with transfer_progress (ari/v6 lacks it), which the handset receives as NOTIFY.
func TestChannelTransferFromREFER(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-xfer"), nil)
	ctx := ctxT(t, 60*time.Second)

	phone, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1051", Password: sb.HandsetPassword, AutoAnswer: true, Tone: 700})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phone.Close() })

	// The application calls the operator's handset and keeps the channel.
	op := uniq("op")
	if _, err := s.Originate(ctx, ari.OriginateRequest{Endpoint: "PJSIP/1051", ChannelID: op, App: s.Application(), CallerID: `"Caller" <5550100>`}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Channel(op).Hangup(ctxT(t, 5*time.Second), "") })
	call, err := phone.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := call.WaitAnswer(ctx); err != nil {
		t.Fatal(err)
	}
	s.waitFor(10*time.Second, "StasisStart of the handset", isStasisStart(op))

	// The caller's side: an echo channel, bridged with the operator.
	caller := uniq("caller")
	originateEcho(t, s, caller)
	bid := uniq("call")
	if _, err := s.CreateBridge(ctx, bid, ari.BridgeMixing, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Bridge(bid).Destroy(ctxT(t, 5*time.Second)) })
	if err := s.Bridge(bid).AddChannel(ctx, ari.AddChannelOptions{}, op, caller); err != nil {
		t.Fatal(err)
	}

	if err := s.Channel(op).SetVariable(ctx, "PJSIP_TRANSFER_HANDLING()", "ari-only"); err != nil {
		t.Fatal(err)
	}
	if err := call.Refer(ctx, "2001"); err != nil {
		t.Fatal(err)
	}
	ev, _ := s.waitFor(10*time.Second, "ChannelTransfer", func(e ari.Event) bool { return e.GetType() == ari.EventChannelTransfer })
	ct, ok := ev.(*ari.ChannelTransfer)
	if !ok {
		t.Fatalf("ChannelTransfer decoded as %T", ev)
	}
	t.Logf("ChannelTransfer: state %q, destination %q, source %s, connected %s, bridge %s",
		ct.State, ct.ReferTo.RequestedDestination.Destination, ct.ReferredBy.SourceChannel.ID, ct.ReferredBy.ConnectedChannel.ID, ct.ReferredBy.Bridge.ID)
	if ct.ReferTo.RequestedDestination.Destination != "2001" {
		t.Errorf("requested destination %q, want 2001", ct.ReferTo.RequestedDestination.Destination)
	}
	if ct.ReferredBy.SourceChannel.ID != op {
		t.Errorf("referred by channel %q, want the handset's %q", ct.ReferredBy.SourceChannel.ID, op)
	}

	// The application "performs" the transfer and reports it: the handset hears about it.
	if err := s.Channel(op).TransferProgress(ctx, ari.TransferChannelAnswered); err != nil {
		t.Fatal(err)
	}
	if _, err := call.WaitTransfer(ctx); err != nil {
		t.Fatal(err)
	}
	// Asterisk's own "100 Trying" NOTIFY and ours may reach the phone in either order: look for
	// ours among them.
	if progress := call.TransferProgress(); !slices.Contains(progress, 200) {
		t.Errorf("handset got transfer progress %v, want a 200 (channel_answered)", progress)
	}
}

// TestHandsetDTMF: DTMF both ways between the application and a real SIP handset.
func TestHandsetDTMF(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-dtmf"), nil)
	ctx := ctxT(t, 60*time.Second)
	phone, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1052", Password: sb.HandsetPassword, AutoAnswer: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phone.Close() })
	id := uniq("handset")
	if _, err := s.Originate(ctx, ari.OriginateRequest{Endpoint: "PJSIP/1052", ChannelID: id, App: s.Application()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Channel(id).Hangup(ctxT(t, 5*time.Second), "") })
	call, err := phone.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.waitFor(10*time.Second, "StasisStart of the handset", isStasisStart(id))

	if err := s.Channel(id).SendDTMF(ctx, "123", ari.DTMFOptions{Duration: 100 * time.Millisecond, Between: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := call.WaitDTMF(ctx, "123"); err != nil {
		t.Fatal(err)
	}
	if err := call.SendDTMF(ctx, "9"); err != nil {
		t.Fatal(err)
	}
	s.waitFor(10*time.Second, "ChannelDtmfReceived 9", typed(func(d *ariv6.ChannelDtmfReceived) bool { return d.Channel.ID == id && d.Digit == "9" }))
	if err := s.Channel(id).Hangup(ctx, ari.HangupNormal); err != nil {
		t.Fatal(err)
	}
	if end, err := call.WaitEnd(ctx); err != nil || end.By != sipphone.Remote {
		t.Errorf("handset call ended %v, %v; want hung up by Asterisk", end, err)
	}
}

// TestAttendedChannelTransfer: the handset has two calls from the application and asks to join
// them (REFER with Replaces). ChannelTransfer names the call to be replaced by its SIP Call-ID and,
// resolved by Asterisk, by its channel.
func TestAttendedChannelTransfer(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-atxfer"), nil)
	ctx := ctxT(t, 60*time.Second)
	phone, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1053", Password: sb.HandsetPassword, AutoAnswer: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phone.Close() })

	ids := []string{uniq("first"), uniq("second")}
	calls := make([]*sipphone.Call, 2)
	for i, id := range ids {
		if _, err := s.Originate(ctx, ari.OriginateRequest{Endpoint: "PJSIP/1053", ChannelID: id, App: s.Application()}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Channel(id).Hangup(ctxT(t, 5*time.Second), "") })
		if calls[i], err = phone.Incoming(ctx); err != nil {
			t.Fatal(err)
		}
		if err := calls[i].WaitAnswer(ctx); err != nil {
			t.Fatal(err)
		}
		s.waitFor(10*time.Second, "StasisStart of "+id, isStasisStart(id))
		if err := s.Channel(id).SetVariable(ctx, "PJSIP_TRANSFER_HANDLING()", "ari-only"); err != nil {
			t.Fatal(err)
		}
	}
	if err := calls[0].ReferReplaces(ctx, calls[1]); err != nil {
		t.Fatal(err)
	}
	ev, _ := s.waitFor(10*time.Second, "ChannelTransfer", func(e ari.Event) bool { return e.GetType() == ari.EventChannelTransfer })
	ct := ev.(*ari.ChannelTransfer)
	t.Logf("ChannelTransfer: protocol_id %q, destination channel %q, source %q",
		ct.ReferTo.RequestedDestination.ProtocolID, ct.ReferTo.DestinationChannel.ID, ct.ReferredBy.SourceChannel.ID)
	if ct.ReferredBy.SourceChannel.ID != ids[0] {
		t.Errorf("referred by %q, want the first call %q", ct.ReferredBy.SourceChannel.ID, ids[0])
	}
	if ct.ReferTo.RequestedDestination.ProtocolID != calls[1].ID() {
		t.Errorf("protocol_id %q, want the second call's Call-ID %q", ct.ReferTo.RequestedDestination.ProtocolID, calls[1].ID())
	}
	if ct.ReferTo.DestinationChannel.ID != ids[1] {
		t.Errorf("destination channel %q, want the second call %q", ct.ReferTo.DestinationChannel.ID, ids[1])
	}
	if err := s.Channel(ids[0]).TransferProgress(ctx, ari.TransferChannelDeclined); err != nil {
		t.Fatal(err)
	}
	if _, err := calls[0].WaitTransfer(ctx); err == nil {
		t.Errorf("transfer reported declined, handset saw success: %v", calls[0].TransferProgress())
	}
}
