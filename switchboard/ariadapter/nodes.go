package ariadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/switchboard"
)

// Several Asterisk nodes behind one switchboard (docs/scaling.md). The switchboard keeps believing
// it drives one Asterisk: Nodes merges the nodes' events into its one feed and sends each request
// to the node that holds the channel, bridge or playback it names. What a node holds is learned
// from what it tells (StasisStart, its listings) and from what Nodes decides (an originated
// channel goes to its originator's node, a bridge is made where its first channel is), so a
// caller and the operator rung for it are always on one node and their bridge is local: no media
// crosses between nodes.
//
// A node whose connection drops is given LostAfter to come back; then it is lost: the switchboard
// hears Disconnected and, at once, an Inventory of the nodes still up, so the lost node's calls
// end (LegFailed, ended away) and its operators are freed, while the other nodes' calls, listed,
// stay. The first Inventory after start waits for every node (or LostAfter): the reconciliation
// of a previous run must see every node's channels.

// NodeConn is what Nodes needs of one node's connection; *ari.Conn is one.
type NodeConn interface {
	lister
	bridgeLister
	Events() <-chan ari.Event
}

// Node is one Asterisk node.
type Node struct {
	Name string
	Conn NodeConn
	// Telephony carries out requests on this node (Telephony{Conn} for an *ari.Conn).
	Telephony switchboard.Telephony
	// Operators is how this node dials an operator's handset, {extension} replaced, e.g.
	// PJSIP/{extension}@kamailio: the handsets register with Kamailio, not with the node. ""
	// keeps PJSIP/<extension> (handsets registered with the node itself).
	Operators string
	// Softphones is how this node dials an operator whose device is a browser softphone
	// registered with Kamailio (IsSoftphone), e.g. PJSIP/{extension}@kamailio-webrtc: the node's
	// endpoint towards Kamailio offering WebRTC media. "": Operators for every operator.
	Softphones string
	// IsSoftphone tells whether an extension's device is a browser softphone (the softphone
	// provisioner's); nil: none is.
	IsSoftphone func(extension string) bool
}

// DefaultLostAfter is how long a node may be cut off before its calls are given up.
const DefaultLostAfter = 3 * time.Second

// Nodes is the switchboard's Telephony over several nodes, and the pump of their events.
type Nodes struct {
	nodes     []Node
	lostAfter time.Duration
	log       *slog.Logger

	mu      sync.Mutex
	owner   map[string]int  // channel, bridge or playback id → node index
	pending map[string]bool // bridges asked for and not yet made: made where their first channel is
	up      []bool          // the node's connection is up (and listed)
	next    int             // round robin for originations with no originator
}

// NewNodes returns the layer over nodes (at least one). lostAfter ≤ 0 is DefaultLostAfter.
func NewNodes(nodes []Node, lostAfter time.Duration, log *slog.Logger) (*Nodes, error) {
	if len(nodes) == 0 {
		return nil, errors.New("ariadapter: no nodes")
	}
	seen := map[string]bool{}
	for _, n := range nodes {
		if n.Name == "" || seen[n.Name] {
			return nil, fmt.Errorf("ariadapter: node names must be set and distinct: %q", n.Name)
		}
		if n.Operators != "" && !strings.Contains(n.Operators, "{extension}") {
			return nil, fmt.Errorf("ariadapter: node %s: operators %q has no {extension}", n.Name, n.Operators)
		}
		if n.Softphones != "" && !strings.Contains(n.Softphones, "{extension}") {
			return nil, fmt.Errorf("ariadapter: node %s: softphones %q has no {extension}", n.Name, n.Softphones)
		}
		seen[n.Name] = true
	}
	if lostAfter <= 0 {
		lostAfter = DefaultLostAfter
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Nodes{nodes: nodes, lostAfter: lostAfter, log: log, owner: map[string]int{}, pending: map[string]bool{},
		up: make([]bool, len(nodes))}, nil
}

var _ switchboard.Telephony = (*Nodes)(nil)

// NodeOf names the node that holds a channel, bridge or playback ("" when none is known).
func (ns *Nodes) NodeOf(id string) string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if i, ok := ns.owner[id]; ok {
		return ns.nodes[i].Name
	}
	return ""
}

// Do carries out op on the node it belongs to.
func (ns *Nodes) Do(ctx context.Context, op switchboard.Op) error {
	switch o := op.(type) {
	case switchboard.CreateBridge:
		// Made by the first AddToBridge, on its channels' node.
		ns.mu.Lock()
		ns.pending[o.Bridge] = true
		ns.mu.Unlock()
		return nil
	case switchboard.AddToBridge:
		return ns.addToBridge(ctx, o)
	case switchboard.DestroyBridge:
		ns.mu.Lock()
		if ns.pending[o.Bridge] {
			delete(ns.pending, o.Bridge)
			ns.mu.Unlock()
			return nil
		}
		ns.mu.Unlock()
		err := ns.on(ctx, o.Bridge, op)
		ns.forget(o.Bridge)
		return err
	case switchboard.Originate:
		i, ok := ns.place(o.Originator)
		if !ok {
			return fmt.Errorf("%s: %w", op, errNoNode)
		}
		if n := ns.nodes[i]; n.Operators != "" {
			o.Endpoint = operatorEndpoint(o.Endpoint, n.dialTemplate)
		}
		ns.own(o.Channel, i) // before the request: its StasisStart may come before the answer
		return ns.forgetIfFailed(o.Channel, ns.nodes[i].Telephony.Do(ctx, o))
	case switchboard.Snoop:
		i, ok := ns.nodeFor(o.Channel)
		if !ok {
			return ns.anyNode(ctx, op)
		}
		ns.own(o.Snoop, i)
		return ns.forgetIfFailed(o.Snoop, ns.nodes[i].Telephony.Do(ctx, o))
	case switchboard.Play:
		i, ok := ns.nodeFor(o.Channel)
		if !ok {
			return ns.anyNode(ctx, op)
		}
		ns.own(o.Playback, i)
		return ns.forgetIfFailed(o.Playback, ns.nodes[i].Telephony.Do(ctx, o))
	case switchboard.StopPlayback:
		return ns.on(ctx, o.Playback, op)
	case switchboard.RecordCall:
		// On the operator's channel, whose node holds the bridge too (a recorder-less node's
		// Telephony records that bridge instead).
		return ns.on(ctx, o.Channel, op)
	case switchboard.RemoveFromBridge:
		return ns.on(ctx, o.Bridge, op)
	}
	ch := channelOf(op)
	if ch == "" {
		return fmt.Errorf("ariadapter: unknown request %T", op)
	}
	return ns.on(ctx, ch, op)
}

var errNoNode = errors.New("no Asterisk node is connected")

// channelOf is the channel a request about one channel names.
func channelOf(op switchboard.Op) string {
	switch o := op.(type) {
	case switchboard.Answer:
		return o.Channel
	case switchboard.StartMOH:
		return o.Channel
	case switchboard.StopMOH:
		return o.Channel
	case switchboard.RecordChannel:
		return o.Channel
	case switchboard.StopRecording:
		return o.Channel
	case switchboard.Hangup:
		return o.Channel
	case switchboard.Continue:
		return o.Channel
	case switchboard.SetVariable:
		return o.Channel
	case switchboard.TransferProgress:
		return o.Channel
	}
	return ""
}

// operatorEndpoint dials an operator's device PJSIP/<extension> through the node's template for
// that extension; any other endpoint (a number through a trunk: PJSIP/<number>@trunk) is left as
// it is.
func operatorEndpoint(endpoint string, template func(ext string) string) string {
	ext, ok := strings.CutPrefix(endpoint, "PJSIP/")
	if !ok || ext == "" || strings.ContainsAny(ext, "@/") {
		return endpoint
	}
	return strings.ReplaceAll(template(ext), "{extension}", ext)
}

// dialTemplate is how the node dials ext: a browser softphone through its WebRTC endpoint
// (Softphones), anything else through Operators. The choice is the node's, not Kamailio's: the
// node's offer (plain RTP or DTLS-SRTP with ICE) is made before Kamailio sees the INVITE.
func (n Node) dialTemplate(ext string) string {
	if n.Softphones != "" && n.IsSoftphone != nil && n.IsSoftphone(ext) {
		return n.Softphones
	}
	return n.Operators
}

func (ns *Nodes) own(id string, i int) {
	ns.mu.Lock()
	ns.owner[id] = i
	ns.mu.Unlock()
}

// forgetIfFailed forgets id, owned before a request that would create it, when the request
// failed: no event will ever end it.
func (ns *Nodes) forgetIfFailed(id string, err error) error {
	if err != nil {
		ns.forget(id)
	}
	return err
}

func (ns *Nodes) forget(id string) {
	ns.mu.Lock()
	delete(ns.owner, id)
	ns.mu.Unlock()
}

// keepListed forgets what node i was thought to hold that its listing does not have.
func (ns *Nodes) keepListed(i int, listed map[string]bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for id, j := range ns.owner {
		if j == i && !listed[id] {
			delete(ns.owner, id)
		}
	}
}

func (ns *Nodes) nodeFor(id string) (int, bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	i, ok := ns.owner[id]
	return i, ok
}

// place picks the node for a new channel: its originator's, else the next node that is up.
func (ns *Nodes) place(originator string) (int, bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if i, ok := ns.owner[originator]; ok && originator != "" {
		return i, true
	}
	for k := range ns.nodes {
		i := (ns.next + k) % len(ns.nodes)
		if ns.up[i] {
			ns.next = i + 1
			return i, true
		}
	}
	return 0, false
}

// on carries out op on the node holding id, or, when none is known (an object of a previous run
// not listed yet), on whichever node has it.
func (ns *Nodes) on(ctx context.Context, id string, op switchboard.Op) error {
	if i, ok := ns.nodeFor(id); ok {
		return ns.nodes[i].Telephony.Do(ctx, op)
	}
	return ns.anyNode(ctx, op)
}

// anyNode tries op on every node that is up until one does not answer "not found".
func (ns *Nodes) anyNode(ctx context.Context, op switchboard.Op) error {
	ns.mu.Lock()
	up := append([]bool(nil), ns.up...)
	ns.mu.Unlock()
	err := fmt.Errorf("%s: %w", op, errNoNode)
	for i, u := range up {
		if !u {
			continue
		}
		if err = ns.nodes[i].Telephony.Do(ctx, op); err == nil || !errors.Is(err, ari.ErrNotFound) {
			return err
		}
	}
	return err
}

// addToBridge makes a pending bridge on its channels' node, then adds them.
func (ns *Nodes) addToBridge(ctx context.Context, o switchboard.AddToBridge) error {
	ns.mu.Lock()
	i, known := ns.owner[o.Bridge]
	create := ns.pending[o.Bridge]
	if !known {
		for _, ch := range o.Channels {
			if j, ok := ns.owner[ch]; ok {
				i, known = j, true
				break
			}
		}
	}
	for _, ch := range o.Channels {
		if j, ok := ns.owner[ch]; ok && known && j != i {
			ns.mu.Unlock()
			// A mixing bridge is one node's: the channels would need media across nodes.
			return fmt.Errorf("%s: channels on nodes %s and %s", o, ns.nodes[i].Name, ns.nodes[j].Name)
		}
	}
	if known {
		ns.owner[o.Bridge] = i
		delete(ns.pending, o.Bridge)
	}
	ns.mu.Unlock()
	if !known {
		return ns.anyNode(ctx, o)
	}
	if create {
		if err := ns.nodes[i].Telephony.Do(ctx, switchboard.CreateBridge{Bridge: o.Bridge}); err != nil {
			return err
		}
	}
	return ns.nodes[i].Telephony.Do(ctx, o)
}

// handsetThroughTrunk names a handset's own call (a feature code, or a consultation call to a
// colleague) as the switchboard knows handsets' channels, PJSIP/<extension>-…, when it reached
// the node through the endpoint its operators are rung through (the node's Operators template,
// PJSIP/{extension}@kamailio: the channel reads PJSIP/kamailio-…). Only the operators' dialplan
// (hotline-kamailio, for calls Kamailio vouches for with X-Hotline-Operator) enters with a
// feature or a consultation, its caller id set to the extension; a caller's call never does.
func handsetThroughTrunk(m switchboard.StasisStart, operators string) (string, bool) {
	_, trunk, ok := strings.Cut(operators, "@")
	if !ok || trunk == "" {
		return "", false
	}
	rest, ok := strings.CutPrefix(m.Name, "PJSIP/"+trunk+"-")
	if !ok || !handsetsOwn(m.Entry) || m.CallerNumber == "" || strings.ContainsAny(m.CallerNumber, "/-@ ") {
		return "", false
	}
	return "PJSIP/" + m.CallerNumber + "-" + rest, true
}

// handsetsOwn: the entries of a handset's own calls, which the operators' dialplan alone makes.
func handsetsOwn(e switchboard.Entry) bool {
	switch e.(type) {
	case switchboard.Feature, switchboard.Consult:
		return true
	}
	return false
}

// nodeEvent is one node's event on the merged feed.
type nodeEvent struct {
	node int
	ev   ari.Event
}

// Pump delivers every node's events to the switchboard until ctx ends or a node's application is
// taken over (ErrReplaced).
func (ns *Nodes) Pump(ctx context.Context, sb Deliverer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	feed := make(chan nodeEvent)
	for i, n := range ns.nodes {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-n.Conn.Events():
					if !ok {
						return
					}
					select {
					case feed <- nodeEvent{i, ev}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	p := &nodePump{ns: ns, sb: sb, dedup: make([]dedup, len(ns.nodes)), lostTimer: make([]*time.Timer, len(ns.nodes)),
		lost: make(chan int, len(ns.nodes)), downSince: make([]bool, len(ns.nodes)), orphans: make([]map[string]bool, len(ns.nodes))}
	start := time.NewTimer(ns.lostAfter) // the first inventory waits for every node, this long at most
	defer start.Stop()
	defer func() {
		for _, t := range p.lostTimer {
			if t != nil {
				t.Stop()
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-start.C:
			p.startOver = true
			if !p.listed && p.anyUp() {
				if err := p.resync(ctx, "not every node answered at start"); err != nil {
					return err
				}
			}
		case i := <-p.lost:
			if ns.isUp(i) || !p.downSince[i] {
				continue // back meanwhile
			}
			p.downSince[i] = false
			p.markLost(i)
			ns.log.Error("asterisk node lost: its calls end", "node", ns.nodes[i].Name, "after", ns.lostAfter)
			if err := p.resync(ctx, "node "+ns.nodes[i].Name+" lost"); err != nil {
				return err
			}
		case ne := <-feed:
			if err := p.handle(ctx, ne.node, ne.ev); err != nil {
				return err
			}
		}
	}
}

func (ns *Nodes) isUp(i int) bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.up[i]
}

func (ns *Nodes) setUp(i int, up bool) {
	ns.mu.Lock()
	ns.up[i] = up
	ns.mu.Unlock()
}

// dedup drops the copies Asterisk sends of one key press or one transfer. Asterisk 22 sends a
// bridged channel's ChannelDtmfReceived twice to an application subscribed to both the channel and
// its bridge (seen on the sandbox): "*5#" would read "**55##"; the copies carry the same
// timestamp, real key presses never do. ChannelTransfer comes once per subscription it touches
// (the channel, its bridge, the peer): one REFER, one transfer.
type dedup struct{ lastDTMF, lastTransfer dtmfKey }

type dtmfKey struct {
	channel, digit string
	at             time.Time
}

// repeat reports whether ev is a copy of the event before it.
func (d *dedup) repeat(ev ari.Event) bool {
	switch e := ev.(type) {
	case *ariv6.ChannelDtmfReceived:
		k := dtmfKey{e.Channel.ID, e.Digit, time.Time(e.Timestamp)}
		if k == d.lastDTMF {
			return true
		}
		d.lastDTMF = k
	case *ari.ChannelTransfer:
		k := dtmfKey{e.ReferredBy.SourceChannel.ID, "transfer", time.Time(e.Timestamp)}
		if k == d.lastTransfer {
			return true
		}
		d.lastTransfer = k
	}
	return false
}

// nodePump is Pump's state, on Pump's goroutine only.
type nodePump struct {
	ns        *Nodes
	sb        Deliverer
	dedup     []dedup
	lostTimer []*time.Timer
	lost      chan int
	downSince []bool // cut off and not yet given up
	// orphans: what a lost node held when it was given up. The switchboard has ended those calls; a
	// node that was only cut off (a partition) still has them when it is back, and they are hung
	// up then, not left ringing or on hold with nobody to end them.
	orphans   []map[string]bool
	listed    bool // the switchboard has had an inventory
	startOver bool // the wait for every node at start is over
	connected bool // the switchboard was told the nodes are there (an inventory since the last Disconnected)
}

func (p *nodePump) anyUp() bool {
	for i := range p.ns.nodes {
		if p.ns.isUp(i) {
			return true
		}
	}
	return false
}

func (p *nodePump) handle(ctx context.Context, i int, ev ari.Event) error {
	ns := p.ns
	n := ns.nodes[i]
	if p.dedup[i].repeat(ev) {
		return nil
	}
	sev, ok := Translate(ev)
	if !ok {
		return nil
	}
	switch m := sev.(type) {
	case switchboard.Connected:
		p.connectedNode(ctx, i)
		if p.downSince[i] {
			p.downSince[i] = false
			ns.log.Info("asterisk node back", "node", n.Name)
		}
		ns.setUp(i, true)
		if !p.listed && !p.startOver && !p.allUp() {
			ns.log.Info("asterisk node connected; waiting for the others before the first inventory", "node", n.Name)
			return nil
		}
		return p.resync(ctx, "node "+n.Name+" connected")
	case switchboard.Disconnected:
		if !ns.isUp(i) {
			return nil
		}
		ns.setUp(i, false)
		p.downSince[i] = true
		ns.log.Warn("asterisk node cut off; its calls end unless it is back soon", "node", n.Name, "within", ns.lostAfter, "err", m.Err)
		if !p.anyUp() {
			// As with one Asterisk: no offers until one is back; the inventory then ends what went.
			p.connected = false
			return p.deliver(ctx, m)
		}
		if t := p.lostTimer[i]; t != nil {
			t.Stop()
		}
		p.lostTimer[i] = time.AfterFunc(ns.lostAfter, func() {
			select {
			case p.lost <- i:
			case <-ctx.Done():
			}
		})
		return nil
	case switchboard.DeviceState:
		// A node's handsets' reachability comes from its AMI (whose listing is ordered with its
		// events; ARI's, on this goroutine, could undo a newer one: Pump), or from Kamailio when
		// they register there and the node's endpoints say nothing about them.
		return nil
	case switchboard.StasisStart:
		if j, ok := ns.nodeFor(m.Channel); ok && j != i {
			// Asterisk's channel ids are epoch.sequence: nodes started in the same second repeat
			// them unless each has its own systemname (asterisk.conf), which prefixes them.
			ns.log.Error("two nodes named a channel alike: give each node its own systemname in asterisk.conf",
				"channel", m.Channel, "node", n.Name, "also_on", ns.nodes[j].Name)
		}
		ns.own(m.Channel, i)
		if name, ok := handsetThroughTrunk(m, n.Operators); ok {
			m.Name = name
			sev = m
		}
	case switchboard.ChannelDestroyed:
		defer ns.forget(m.Channel)
	case switchboard.PlaybackFinished:
		defer ns.forget(m.Playback)
	case switchboard.Replaced:
		if err := p.deliver(ctx, m); err != nil {
			return err
		}
		return ErrReplaced
	}
	return p.deliver(ctx, sev)
}

func (p *nodePump) allUp() bool {
	for i := range p.ns.nodes {
		if !p.ns.isUp(i) {
			return false
		}
	}
	return true
}

func (p *nodePump) deliver(ctx context.Context, ev switchboard.Event) error {
	if err := p.sb.Deliver(ctx, ev); err != nil {
		return fmt.Errorf("ariadapter: deliver %T: %w", ev, err)
	}
	return nil
}

// setEventFilter asks Asterisk for only the events Translate uses; a failure costs CPU, not
// correctness.
func setEventFilter(ctx context.Context, conn lister, log *slog.Logger) {
	fctx, fcancel := context.WithTimeout(ctx, 5*time.Second)
	defer fcancel()
	if _, err := conn.SetEventFilter(fctx, EventTypes()); err != nil {
		log.Warn("ariadapter: setting the application's event filter failed; receiving every event", "err", err)
	}
}

// connectedNode sets a node up as Pump does one Asterisk; its handsets are never listed through
// ARI (DeviceState above).
func (p *nodePump) connectedNode(ctx context.Context, i int) {
	n := p.ns.nodes[i]
	setUp(ctx, n.Conn, p.ns.log.With("node", n.Name))
}

// resync tells the switchboard that what it holds must be checked (Disconnected), lists every
// node that is up and delivers their channels as one Inventory: the calls of a node no longer
// listed end, the others stay. Listed after the Disconnected, so a call that began before it is
// in the listing.
func (p *nodePump) resync(ctx context.Context, why string) error {
	ns := p.ns
	if p.listed && p.connected {
		if err := p.deliver(ctx, switchboard.Disconnected{Err: errors.New(why)}); err != nil {
			return err
		}
	}
	var inv switchboard.Inventory
	for i, n := range ns.nodes {
		if !ns.isUp(i) {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		chans, err := n.Conn.Channels(lctx)
		var bridges []ariv6.BridgeData
		if err == nil {
			bridges, err = n.Conn.Bridges(lctx)
		}
		cancel()
		if err != nil {
			// Not answering its listing is not being up: its calls end with the others'.
			ns.log.Error("asterisk node not listed: counted as lost", "node", n.Name, "err", err)
			ns.setUp(i, false)
			p.markLost(i)
			continue
		}
		app := n.Conn.Application()
		if orphans := p.orphans[i]; orphans != nil {
			p.orphans[i] = nil
			chans, bridges = p.endOrphans(ctx, i, orphans, chans, bridges)
		}
		listed := make(map[string]bool, len(chans)+len(bridges))
		for _, c := range chans {
			listed[c.ID] = true
			inv.Channels = append(inv.Channels, c.ID)
			d := switchboard.ChannelInfo{ID: c.ID, Name: c.Name, Foreign: foreign(c, app)}
			if !d.Foreign {
				// Another application's channel is never ours to act on (nor to hang up when
				// this node comes back after being given up).
				ns.own(c.ID, i)
			}
			if c.Caller != nil {
				d.CallerNumber = c.Caller.Number
			}
			inv.Details = append(inv.Details, d)
		}
		for _, b := range bridges {
			listed[b.ID] = true
			if b.Name == app {
				ns.own(b.ID, i)
			}
			inv.Bridges = append(inv.Bridges, switchboard.BridgeInfo{ID: b.ID, Channels: b.ChannelIDs, Foreign: b.Name != app})
		}
		// What the node no longer holds (ended while it was cut off: no ChannelDestroyed came) is
		// forgotten, or the map would grow with every such call.
		ns.keepListed(i, listed)
	}
	if !p.anyUp() {
		p.connected = false
		return p.deliver(ctx, switchboard.Disconnected{Err: errors.New(why + "; no node answers")})
	}
	p.listed, p.connected = true, true
	ns.log.Info("asterisk nodes listed", "why", why, "channels", len(inv.Channels), "bridges", len(inv.Bridges))
	return p.deliver(ctx, inv)
}

// markLost notes what node i holds as it is given up (orphans).
func (p *nodePump) markLost(i int) {
	ns := p.ns
	ns.mu.Lock()
	defer ns.mu.Unlock()
	held := p.orphans[i]
	if held == nil {
		held = map[string]bool{}
	}
	for id, j := range ns.owner {
		if j == i {
			held[id] = true
			// Out of the map: a lost node's channels get no more events to forget them by; the
			// orphans are what is hung up should the node come back.
			delete(ns.owner, id)
		}
	}
	p.orphans[i] = held
}

// endOrphans hangs up the channels, and takes down the bridges, that node i still holds from
// before it was lost, and returns the listing without them.
func (p *nodePump) endOrphans(ctx context.Context, i int, orphans map[string]bool, chans []ariv6.ChannelData,
	bridges []ariv6.BridgeData) ([]ariv6.ChannelData, []ariv6.BridgeData) {
	n := p.ns.nodes[i]
	var keptC []ariv6.ChannelData
	for _, c := range chans {
		if !orphans[c.ID] {
			keptC = append(keptC, c)
			continue
		}
		p.ns.log.Warn("asterisk node back with a call it was given up with: hung up", "node", n.Name, "channel", c.ID)
		if err := n.Telephony.Do(ctx, switchboard.Hangup{Channel: c.ID, Reason: "normal"}); err != nil && !errors.Is(err, ari.ErrNotFound) {
			p.ns.log.Warn("hanging up a lost node's channel failed", "node", n.Name, "channel", c.ID, "err", err)
		}
		p.ns.forget(c.ID)
	}
	var keptB []ariv6.BridgeData
	for _, b := range bridges {
		if !orphans[b.ID] {
			keptB = append(keptB, b)
			continue
		}
		if err := n.Telephony.Do(ctx, switchboard.DestroyBridge{Bridge: b.ID}); err != nil && !errors.Is(err, ari.ErrNotFound) {
			p.ns.log.Warn("taking down a lost node's bridge failed", "node", n.Name, "bridge", b.ID, "err", err)
		}
		p.ns.forget(b.ID)
	}
	return keptC, keptB
}
