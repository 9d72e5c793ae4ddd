package switchboard

import "errors"

// Conversation bridges are kept between calls: a bridge whose caller and operator have both gone
// is empty, and the next answer puts its two channels in it (addChannel) instead of creating a
// bridge and destroying it at the end (POST and DELETE bridges/{id}, 2 of a call's REST requests).
// The switchboard owns a small pool of such idle bridges; the rules:
//
//   - A bridge is kept only if it held nothing but the leg's caller and operator and nothing
//     records in it (the conversation records on the operator's channel; a recording in the
//     bridge, the fallback without AMI, ends only with the bridge): bridgeClean.
//   - Only when the operator's channel has gone and the caller's is being hung up: the bridge goes
//     to the pool once the caller's channel has left the application (StasisEnd, or its
//     destruction), i.e. when Asterisk has taken both out of it. Every other end (the operator
//     staying for wrap-up, a transfer, a consultation, a failure) destroys it as before.
//   - No more idle bridges than operators logged in: a burst leaves no hundreds behind; an
//     emptied bridge over the bound is destroyed.
//   - A kept bridge Asterisk no longer has (it restarted) refuses the addChannel: the call gets a
//     new bridge and goes on (retryKeptBridge).
//   - A restarted daemon does not adopt idle bridges: they are bridges of ours nothing is adopted
//     into, and reconcile destroys them with the other leftovers; the new run's pool starts empty.

// ErrRecordedInBridge is a Telephony's answer to a RecordCall it carried out on the bridge instead of
// the channel (wraps it; the recording runs): that bridge records until it is destroyed, so it must
// never serve another call.
var ErrRecordedInBridge = errors.New("recording runs in the bridge")

// bridgeCall puts the caller and the operator's channel in a conversation bridge: an idle one if
// the pool has one (one request), else a new one named after the call's leg n (two).
func (s *Switchboard) bridgeCall(c *call, opChannel string, n uint64) {
	if k := len(s.idleBridges); k > 0 {
		c.bridge = s.idleBridges[k-1]
		s.idleBridges = s.idleBridges[:k-1]
		c.bridgeOwn, c.bridgeKept = c.bridge, c.bridge
		s.do(c.id, AddToBridge{Bridge: c.bridge, Channels: []string{c.id, opChannel}})
		return
	}
	c.bridge = callBridge(c.id, n)
	c.bridgeOwn, c.bridgeKept = c.bridge, ""
	s.do(c.id, CreateBridge{Bridge: c.bridge}, AddToBridge{Bridge: c.bridge, Channels: []string{c.id, opChannel}})
}

// retryKeptBridge: an idle bridge refused the call's channels (Asterisk restarted and has it no
// more, most likely): the call gets a new bridge; the refusing one is destroyed in case it is
// still there. It reports whether it retried.
func (s *Switchboard) retryKeptBridge(c *call, op AddToBridge) bool {
	if c == nil || c.state != stateBridged || c.bridgeKept == "" || op.Bridge != c.bridgeKept || op.Bridge != c.bridge ||
		c.offer == nil || !c.offer.answered {
		return false
	}
	old := c.bridge
	s.callLog(c).Info("kept bridge refused the call (gone, or on another node); a new one", "bridge", old)
	c.bridge = callBridge(c.id, s.id())
	c.bridgeOwn, c.bridgeKept = c.bridge, ""
	s.do(c.id, DestroyBridge{Bridge: old}, CreateBridge{Bridge: c.bridge},
		AddToBridge{Bridge: c.bridge, Channels: []string{c.id, c.offer.channel}})
	return true
}

// bridgeJoined: Asterisk put the call's two channels in its bridge.
func (s *Switchboard) bridgeJoined(c *call, op AddToBridge) {
	if c != nil && op.Bridge == c.bridge && op.Bridge == c.bridgeOwn && len(op.Channels) == 2 && op.Channels[0] == c.id &&
		c.offer != nil && op.Channels[1] == c.offer.channel {
		c.bridgeJoined = op.Bridge
	}
}

// bridgeClean says whether the call's bridge may serve another call once its channels have gone:
// made (or taken from the pool) at the answer, untouched by a transfer or a consultation, joined by
// the caller and operator, and recording nothing itself (the conversation's recording, if any, was
// answered as running on the operator's channel).
func (s *Switchboard) bridgeClean(c *call) bool {
	if c.bridge == "" || c.bridgeOwn != c.bridge || c.bridgeJoined != c.bridge {
		return false
	}
	return c.recording == "" || c.recordedOnChannel == c.recording
}

// keepBridgeAfterCaller: the operator's channel has gone and the caller is being hung up; a clean
// bridge is the pool's once the caller's channel has gone too. It takes the bridge off the call (the
// call's end destroys it no more).
func (s *Switchboard) keepBridgeAfterCaller(c *call) {
	if !s.bridgeClean(c) || s.transferOf(c) != nil {
		return
	}
	s.bridgeAwaits[c.id] = c.bridge
	c.bridge, c.bridgeOwn, c.bridgeKept, c.bridgeJoined = "", "", "", ""
}

// bridgeEmptied: channel ch has left the application; a bridge waiting for it is empty now: kept,
// or destroyed when the pool is full.
func (s *Switchboard) bridgeEmptied(ch string) {
	b, ok := s.bridgeAwaits[ch]
	if !ok {
		return
	}
	delete(s.bridgeAwaits, ch)
	if len(s.idleBridges) < s.bridgePoolBound() {
		s.idleBridges = append(s.idleBridges, b)
		return
	}
	s.do(b, DestroyBridge{Bridge: b})
}

// bridgePoolBound is how many idle bridges are kept: one per operator logged in, each of whom
// takes one call at a time.
func (s *Switchboard) bridgePoolBound() int {
	n := 0
	for _, op := range s.operators {
		if op.loggedIn {
			n++
		}
	}
	return n
}
