package ariadapter

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/switchboard"
)

// fakeNode is one node: its event stream, what it lists, and the requests it was sent.
type fakeNode struct {
	fakeLister
	events chan ari.Event
	opsMu  sync.Mutex
	ops    []string
	absent map[string]bool // ids the node answers "not found" for
	fail   error           // every request fails so, when set
}

func newFakeNode(chans ...string) *fakeNode {
	return &fakeNode{fakeLister: fakeLister{chans: chans}, events: make(chan ari.Event, 16), absent: map[string]bool{}}
}

func (f *fakeNode) Events() <-chan ari.Event { return f.events }

func (f *fakeNode) Bridges(context.Context) ([]ariv6.BridgeData, error) { return nil, nil }

func (f *fakeNode) Do(_ context.Context, op switchboard.Op) error {
	f.opsMu.Lock()
	defer f.opsMu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if ch := channelOf(op); f.absent[ch] {
		return fmt.Errorf("%s: %w", op, ari.ErrNotFound)
	}
	f.ops = append(f.ops, op.String())
	return nil
}

func (f *fakeNode) took() []string {
	f.opsMu.Lock()
	defer f.opsMu.Unlock()
	return slices.Clone(f.ops)
}

func twoNodes(t *testing.T, lostAfter time.Duration) (*Nodes, *fakeNode, *fakeNode) {
	t.Helper()
	a, b := newFakeNode(), newFakeNode()
	ns, err := NewNodes([]Node{
		{Name: "a", Conn: a, Telephony: a, Operators: "PJSIP/{extension}@kamailio"},
		{Name: "b", Conn: b, Telephony: b, Operators: "PJSIP/{extension}@kamailio"},
	}, lostAfter, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ns, a, b
}

// Each request goes to the node holding what it names: an operator is rung from the caller's node
// through Kamailio, the bridge is made there, a playback is stopped where it plays.
func TestNodesRouteToTheCallersNode(t *testing.T) {
	ns, a, b := twoNodes(t, time.Minute)
	ns.setUp(0, true)
	ns.setUp(1, true)
	ns.own("caller-b", 1) // as its StasisStart on b does
	ctx := context.Background()
	ops := []switchboard.Op{
		switchboard.Answer{Channel: "caller-b"},
		switchboard.Play{Channel: "caller-b", Playback: "caller-b-pb1", Media: []string{"sound:hello"}},
		switchboard.StopPlayback{Playback: "caller-b-pb1"},
		switchboard.Originate{Channel: "caller-b-op2", Endpoint: "PJSIP/1001", Originator: "caller-b"},
		switchboard.CreateBridge{Bridge: "caller-b-bridge3"},
		switchboard.AddToBridge{Bridge: "caller-b-bridge3", Channels: []string{"caller-b", "caller-b-op2"}},
		switchboard.RecordCall{Channel: "caller-b-op2", Bridge: "caller-b-bridge3", Name: "call-caller-b-4"},
		switchboard.StopRecording{Channel: "caller-b-op2", Name: "call-caller-b-4"},
		switchboard.Hangup{Channel: "caller-b", Reason: "normal"},
		switchboard.DestroyBridge{Bridge: "caller-b-bridge3"},
	}
	for _, op := range ops {
		if err := ns.Do(ctx, op); err != nil {
			t.Fatalf("Do(%s): %v", op, err)
		}
	}
	if got := a.took(); len(got) != 0 {
		t.Errorf("node a was sent %q, want nothing", got)
	}
	want := []string{
		"answer caller-b",
		"play caller-b caller-b-pb1 [sound:hello] ",
		"stop-playback caller-b-pb1",
		"originate caller-b-op2 PJSIP/1001@kamailio cid= entry=<nil><nil>",
		"create-bridge caller-b-bridge3",
		"add-to-bridge caller-b-bridge3 caller-b,caller-b-op2",
		"record-call caller-b-op2 call-caller-b-4",
		"stop-recording caller-b-op2 call-caller-b-4",
		"hangup caller-b normal",
		"destroy-bridge caller-b-bridge3",
	}
	if got := b.took(); !reflect.DeepEqual(got, want) {
		t.Errorf("node b was sent\n %q\nwant\n %q", got, want)
	}
	if got := ns.NodeOf("caller-b-op2"); got != "b" {
		t.Errorf("the operator's channel is on %q, want b", got)
	}
}

func TestNodesRequests(t *testing.T) {
	tests := []struct {
		name    string
		up      []bool
		owned   map[string]int
		absentA []string
		ops     []switchboard.Op
		wantA   []string
		wantB   []string
		wantErr error // of the last op
	}{
		{name: "originations with no originator take turns over the nodes that are up", up: []bool{true, true},
			ops: []switchboard.Op{
				switchboard.Originate{Channel: "cb1", Endpoint: "PJSIP/+79001234567@trunk"},
				switchboard.Originate{Channel: "cb2", Endpoint: "PJSIP/+79001234568@trunk"},
				switchboard.Originate{Channel: "cb3", Endpoint: "PJSIP/+79001234569@trunk"},
			},
			wantA: []string{"originate cb1 PJSIP/+79001234567@trunk cid= entry=<nil><nil>", "originate cb3 PJSIP/+79001234569@trunk cid= entry=<nil><nil>"},
			wantB: []string{"originate cb2 PJSIP/+79001234568@trunk cid= entry=<nil><nil>"}},
		{name: "a node that is down gets no new channel", up: []bool{false, true},
			ops:   []switchboard.Op{switchboard.Originate{Channel: "cb1", Endpoint: "PJSIP/1001"}},
			wantB: []string{"originate cb1 PJSIP/1001@kamailio cid= entry=<nil><nil>"}},
		{name: "no node up: refused", up: []bool{false, false},
			ops:     []switchboard.Op{switchboard.Originate{Channel: "cb1", Endpoint: "PJSIP/1001"}},
			wantErr: errNoNode},
		{name: "a channel nobody placed is looked for on every node", up: []bool{true, true}, absentA: []string{"old"},
			ops:   []switchboard.Op{switchboard.Hangup{Channel: "old", Reason: "normal"}},
			wantB: []string{"hangup old normal"}},
		{name: "a bridge never filled is never made", up: []bool{true, true},
			ops: []switchboard.Op{switchboard.CreateBridge{Bridge: "x-bridge1"}, switchboard.DestroyBridge{Bridge: "x-bridge1"}}},
		{name: "channels of two nodes are not bridged", up: []bool{true, true}, owned: map[string]int{"ca": 0, "cb": 1},
			ops: []switchboard.Op{switchboard.CreateBridge{Bridge: "ca-bridge1"},
				switchboard.AddToBridge{Bridge: "ca-bridge1", Channels: []string{"ca", "cb"}}},
			wantErr: errors.New("add-to-bridge ca-bridge1 ca,cb: channels on nodes a and b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, a, b := twoNodes(t, time.Minute)
			for i, u := range tt.up {
				ns.setUp(i, u)
			}
			for id, i := range tt.owned {
				ns.own(id, i)
			}
			for _, id := range tt.absentA {
				a.absent[id] = true
			}
			var err error
			for _, op := range tt.ops {
				err = ns.Do(context.Background(), op)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Do: %v", err)
			case tt.wantErr != nil && (err == nil || (!errors.Is(err, tt.wantErr) && err.Error() != tt.wantErr.Error())):
				t.Fatalf("Do: %v, want %v", err, tt.wantErr)
			}
			if got := a.took(); !slices.Equal(got, tt.wantA) {
				t.Errorf("node a was sent %q, want %q", got, tt.wantA)
			}
			if got := b.took(); !slices.Equal(got, tt.wantB) {
				t.Errorf("node b was sent %q, want %q", got, tt.wantB)
			}
		})
	}
}

func TestOperatorEndpoint(t *testing.T) {
	// 9101 is a browser softphone (registered with Kamailio over WebSocket), 1001 a handset.
	softphone := func(ext string) bool { return ext == "9101" }
	withWebRTC := Node{Operators: "PJSIP/{extension}@kamailio", Softphones: "PJSIP/{extension}@kamailio-webrtc", IsSoftphone: softphone}
	tests := []struct {
		name string
		node Node
		in   string
		want string
	}{
		{"a handset", Node{Operators: "PJSIP/{extension}@kamailio"}, "PJSIP/1001", "PJSIP/1001@kamailio"},
		{"a trunk's number", Node{Operators: "PJSIP/{extension}@kamailio"}, "PJSIP/+79001234567@trunk", "PJSIP/+79001234567@trunk"},
		{"another technology", Node{Operators: "PJSIP/{extension}@kamailio"}, "Local/1001@ctx", "Local/1001@ctx"},
		{"no extension", Node{Operators: "PJSIP/{extension}@kamailio"}, "PJSIP/", "PJSIP/"},
		{"a softphone, WebRTC endpoint set", withWebRTC, "PJSIP/9101", "PJSIP/9101@kamailio-webrtc"},
		{"a handset beside softphones", withWebRTC, "PJSIP/1001", "PJSIP/1001@kamailio"},
		{"a softphone, no WebRTC endpoint", Node{Operators: "PJSIP/{extension}@kamailio", IsSoftphone: softphone}, "PJSIP/9101", "PJSIP/9101@kamailio"},
		{"WebRTC endpoint, nobody's device known", Node{Operators: "PJSIP/{extension}@kamailio", Softphones: "PJSIP/{extension}@kamailio-webrtc"}, "PJSIP/9101", "PJSIP/9101@kamailio"},
		{"a softphone's number through a trunk", withWebRTC, "PJSIP/9101@trunk", "PJSIP/9101@trunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := operatorEndpoint(tt.in, tt.node.dialTemplate); got != tt.want {
				t.Errorf("operatorEndpoint(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewNodesRefuses(t *testing.T) {
	n := newFakeNode()
	for _, nodes := range [][]Node{
		nil,
		{{Name: "", Conn: n, Telephony: n}},
		{{Name: "a", Conn: n, Telephony: n}, {Name: "a", Conn: n, Telephony: n}},
		{{Name: "a", Conn: n, Telephony: n, Operators: "PJSIP/1001@kamailio"}},
		{{Name: "a", Conn: n, Telephony: n, Operators: "PJSIP/{extension}@kamailio", Softphones: "PJSIP/9101@kamailio-webrtc"}},
	} {
		if _, err := NewNodes(nodes, 0, nil); err == nil {
			t.Errorf("NewNodes(%v) accepted", nodes)
		}
	}
}

// feedReader reads a recorder's deliveries in order.
type feedReader struct {
	*recorder
	read int
}

// next waits for the pump's next delivery.
func (r *feedReader) next(t *testing.T) switchboard.Event {
	t.Helper()
	select {
	case <-r.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no event delivered")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.read++
	return r.evs[r.read-1]
}

func inventoryOf(t *testing.T, ev switchboard.Event) []string {
	t.Helper()
	inv, ok := ev.(switchboard.Inventory)
	if !ok {
		t.Fatalf("delivered %#v, want an Inventory", ev)
	}
	return slices.Sorted(slices.Values(inv.Channels))
}

// The merged feed: the first inventory waits for both nodes and lists both; a node's events pass
// on and teach where its channels are; its handsets' news is dropped (they register with
// Kamailio); a node lost ends its calls (Disconnected, then an inventory without them) while the
// other node's stay, and new channels go to the node left.
func TestNodesPumpNodeLost(t *testing.T) {
	ns, a, b := twoNodes(t, 50*time.Millisecond)
	a.chans, b.chans = []string{"ca"}, []string{"cb"}
	rec := &feedReader{recorder: &recorder{got: make(chan struct{}, 16)}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ns.Pump(ctx, rec.recorder) }()

	a.events <- &ari.Connected{}
	b.events <- &ari.Connected{}
	if got := inventoryOf(t, rec.next(t)); !slices.Equal(got, []string{"ca", "cb"}) {
		t.Fatalf("first inventory %q, want both nodes' channels", got)
	}
	if got := ns.NodeOf("cb"); got != "b" {
		t.Errorf("listed channel cb on %q, want b", got)
	}
	b.events <- &ariv6.DeviceStateChanged{DeviceState: ariv6.DeviceStateData{Name: "PJSIP/1001", State: "UNAVAILABLE"}}
	b.events <- &ariv6.StasisStart{Channel: ariv6.ChannelData{ID: "cb2"}}
	if ev, ok := rec.next(t).(switchboard.StasisStart); !ok || ev.Channel != "cb2" {
		t.Fatalf("delivered %#v, want cb2's StasisStart (the device state dropped)", ev)
	}
	if got := ns.NodeOf("cb2"); got != "b" {
		t.Errorf("cb2 on %q, want b", got)
	}

	b.chans = nil
	b.events <- &ari.Disconnected{Err: errors.New("EOF")}
	if ev := rec.next(t); !reflect.DeepEqual(ev, switchboard.Disconnected{Err: errors.New("node b lost")}) {
		t.Fatalf("delivered %#v, want Disconnected: node b lost", ev)
	}
	if got := inventoryOf(t, rec.next(t)); !slices.Equal(got, []string{"ca"}) {
		t.Fatalf("inventory after b's loss %q, want a's channel only", got)
	}
	for i := range 3 {
		if err := ns.Do(ctx, switchboard.Originate{Channel: fmt.Sprint("new", i), Endpoint: "PJSIP/1001"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(a.took()); got != 3 {
		t.Errorf("node a got %d of 3 new channels while b is lost", got)
	}

	// b back: listed again with the others.
	b.chans = []string{"cb3"}
	b.events <- &ari.Reconnected{}
	if ev := rec.next(t); !reflect.DeepEqual(ev, switchboard.Disconnected{Err: errors.New("node b connected")}) {
		t.Fatalf("delivered %#v, want Disconnected before b's listing", ev)
	}
	if got := inventoryOf(t, rec.next(t)); !slices.Equal(got, []string{"ca", "cb3"}) {
		t.Fatalf("inventory after b's return %q", got)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Pump ended %v", err)
	}
}

// A node whose handsets' presence comes from elsewhere (Kamailio, AMI) lists none through ARI,
// yet an earlier hotline's endpoint subscription is dropped there too: it would still send the
// application every PJSIP channel's messages.
func TestNodesDropEndpointSubscriptionEverywhere(t *testing.T) {
	ns, a, b := twoNodes(t, time.Minute)
	a.endpointSubs, b.endpointSubs = 2, 1
	rec := &feedReader{recorder: &recorder{got: make(chan struct{}, 16)}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ns.Pump(ctx, rec.recorder) }()
	a.events <- &ari.Connected{}
	b.events <- &ari.Connected{}
	inventoryOf(t, rec.next(t))
	for _, n := range []*fakeNode{a, b} {
		n.mu.Lock()
		if n.endpointSubs != 0 || n.listed != 0 {
			t.Errorf("node: %d subscriptions to endpoint:PJSIP left, endpoints listed %d times; want none, none", n.endpointSubs, n.listed)
		}
		n.mu.Unlock()
	}
}

// A partition: node b is given up but kept running; back, it still holds the call the switchboard
// ended, which is hung up there and left out of the inventory, while a call b took since is listed.
func TestNodesPumpPartition(t *testing.T) {
	ns, a, b := twoNodes(t, 50*time.Millisecond)
	a.chans, b.chans = []string{"ca"}, []string{"cb"}
	rec := &feedReader{recorder: &recorder{got: make(chan struct{}, 16)}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ns.Pump(ctx, rec.recorder) }()
	a.events <- &ari.Connected{}
	b.events <- &ari.Connected{}
	inventoryOf(t, rec.next(t))
	b.events <- &ari.Disconnected{Err: errors.New("EOF")}
	rec.next(t) // Disconnected: node b lost
	if got := inventoryOf(t, rec.next(t)); !slices.Equal(got, []string{"ca"}) {
		t.Fatalf("inventory after b's loss %q", got)
	}
	b.chans = []string{"cb", "cb-new"}
	b.events <- &ari.Reconnected{}
	rec.next(t) // Disconnected: node b connected
	if got := inventoryOf(t, rec.next(t)); !slices.Equal(got, []string{"ca", "cb-new"}) {
		t.Fatalf("inventory after b's return %q, want the call b was given up with left out", got)
	}
	if got := b.took(); !slices.Equal(got, []string{"hangup cb normal"}) {
		t.Errorf("node b was sent %q, want the old call hung up", got)
	}
	if len(a.took()) != 0 {
		t.Errorf("node a was sent %q", a.took())
	}
}

// A node cut off and back before LostAfter loses nothing: no inventory goes out without it.
func TestNodesPumpBlip(t *testing.T) {
	ns, a, b := twoNodes(t, time.Hour)
	a.chans, b.chans = []string{"ca"}, []string{"cb"}
	rec := &feedReader{recorder: &recorder{got: make(chan struct{}, 16)}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ns.Pump(ctx, rec.recorder) }()
	a.events <- &ari.Connected{}
	b.events <- &ari.Connected{}
	inventoryOf(t, rec.next(t))
	b.events <- &ari.Disconnected{Err: errors.New("EOF")}
	b.events <- &ari.Reconnected{}
	if ev := rec.next(t); !reflect.DeepEqual(ev, switchboard.Disconnected{Err: errors.New("node b connected")}) {
		t.Fatalf("delivered %#v", ev)
	}
	if got := inventoryOf(t, rec.next(t)); !slices.Equal(got, []string{"ca", "cb"}) {
		t.Fatalf("inventory after b's blip %q, want both", got)
	}
}

// nopTelephony takes every request and does nothing: what is left is the layer's own cost.
type nopTelephony struct{}

func (nopTelephony) Do(context.Context, switchboard.Op) error { return nil }

// The layer's cost per request, on a call's requests as the switchboard issues them (answer,
// greeting, music, an operator rung, the bridge, its recording, hang-ups): routing only.
func BenchmarkNodesCall(b *testing.B) {
	a, bn := newFakeNode(), newFakeNode()
	ns, err := NewNodes([]Node{{Name: "a", Conn: a, Telephony: nopTelephony{}, Operators: "PJSIP/{extension}@kamailio"},
		{Name: "b", Conn: bn, Telephony: nopTelephony{}, Operators: "PJSIP/{extension}@kamailio"}}, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	ns.setUp(0, true)
	ns.setUp(1, true)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := fmt.Sprint("c", i)
		ns.own(c, i%2) // its StasisStart
		for _, op := range []switchboard.Op{
			switchboard.Answer{Channel: c},
			switchboard.Play{Channel: c, Playback: c + "-greeting"},
			switchboard.StartMOH{Channel: c},
			switchboard.Originate{Channel: c + "-op1", Endpoint: "PJSIP/1001", Originator: c},
			switchboard.StopMOH{Channel: c},
			switchboard.CreateBridge{Bridge: c + "-bridge2"},
			switchboard.AddToBridge{Bridge: c + "-bridge2", Channels: []string{c, c + "-op1"}},
			switchboard.RecordCall{Channel: c + "-op1", Bridge: c + "-bridge2"},
			switchboard.Hangup{Channel: c + "-op1"},
			switchboard.DestroyBridge{Bridge: c + "-bridge2"},
		} {
			if err := ns.Do(ctx, op); err != nil {
				b.Fatal(err)
			}
		}
		ns.forget(c) // their ChannelDestroyed
		ns.forget(c + "-op1")
		ns.forget(c + "-greeting")
	}
}

// What the layer learns of the nodes' channels does not outlive them: a request that would have
// made a channel, snoop or playback and failed leaves nothing owned, and a listing forgets what
// its node no longer holds (a call that ended while the node was cut off sends no event).
func TestNodesForgetWhatIsGone(t *testing.T) {
	ns, a, _ := twoNodes(t, time.Minute)
	ns.setUp(0, true)
	ns.setUp(1, true)
	ns.own("caller-a", 0)
	a.fail = errors.New("refused")
	ctx := context.Background()
	for _, op := range []switchboard.Op{
		switchboard.Originate{Channel: "caller-a-op1", Endpoint: "PJSIP/1001", Originator: "caller-a"},
		switchboard.Play{Channel: "caller-a", Playback: "caller-a-pb2", Media: []string{"sound:beep"}},
		switchboard.Snoop{Channel: "caller-a", Snoop: "caller-a-snoop3"},
	} {
		if err := ns.Do(ctx, op); err == nil {
			t.Fatalf("Do(%s) = nil, want the node's refusal", op)
		}
	}
	for _, id := range []string{"caller-a-op1", "caller-a-pb2", "caller-a-snoop3"} {
		if i, ok := ns.nodeFor(id); ok {
			t.Errorf("%s still owned by node %d after its request failed", id, i)
		}
	}

	ns.own("ended-while-cut-off", 0)
	ns.own("on-b", 1)
	ns.keepListed(0, map[string]bool{"caller-a": true})
	if _, ok := ns.nodeFor("ended-while-cut-off"); ok {
		t.Error("a channel node a no longer lists is still owned")
	}
	for id, want := range map[string]int{"caller-a": 0, "on-b": 1} {
		if i, ok := ns.nodeFor(id); !ok || i != want {
			t.Errorf("%s: owner %d, %v; want node %d (listed, or another node's)", id, i, ok, want)
		}
	}
}

// A handset's feature-code call through Kamailio reaches a node as PJSIP/kamailio-…, its caller id
// the extension: the switchboard is told PJSIP/<extension>-…; a caller's call, or one through
// another endpoint, keeps its name.
func TestHandsetThroughTrunk(t *testing.T) {
	const ops = "PJSIP/{extension}@kamailio"
	login := switchboard.Feature{Action: "login"}
	tests := []struct {
		name      string
		m         switchboard.StasisStart
		operators string
		want      string // "": unchanged
	}{
		{"feature through kamailio", switchboard.StasisStart{Name: "PJSIP/kamailio-0000000a", CallerNumber: "1001", Entry: login}, ops, "PJSIP/1001-0000000a"},
		{"a caller through kamailio", switchboard.StasisStart{Name: "PJSIP/kamailio-0000000b", CallerNumber: "+79001112233", Entry: switchboard.Inbound{}}, ops, ""},
		{"feature from a handset on the node", switchboard.StasisStart{Name: "PJSIP/1001-0000000c", CallerNumber: "1001", Entry: login}, ops, ""},
		{"no trunk in the template", switchboard.StasisStart{Name: "PJSIP/kamailio-0000000d", CallerNumber: "1001", Entry: login}, "", ""},
		{"no caller id", switchboard.StasisStart{Name: "PJSIP/kamailio-0000000e", Entry: login}, ops, ""},
		{"a caller id that is no extension", switchboard.StasisStart{Name: "PJSIP/kamailio-0000000f", CallerNumber: "1001-x", Entry: login}, ops, ""},
		{"consultation through kamailio", switchboard.StasisStart{Name: "PJSIP/kamailio-00000010", CallerNumber: "1001", Entry: switchboard.Consult{Extension: "1041"}}, ops, "PJSIP/1001-00000010"},
		{"consulted colleague's channel", switchboard.StasisStart{Name: "PJSIP/kamailio-00000011", CallerNumber: "1001", Entry: switchboard.Consulted{A2: "x"}}, ops, ""},
		{"an offer's channel", switchboard.StasisStart{Name: "PJSIP/kamailio-00000012", CallerNumber: "1001", Entry: switchboard.Offer{}}, ops, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := handsetThroughTrunk(tt.m, tt.operators)
			if tt.want == "" && ok || tt.want != "" && got != tt.want {
				t.Errorf("got %q (%v), want %q", got, ok, tt.want)
			}
		})
	}
}
