package switchboard

import "github.com/hotline-dev/hotline"

// Calls cut by Asterisk. When Asterisk stops gracefully (a restart, "core stop"), it hangs up every
// channel itself and the application sees ordinary ends; only the soft hangup request before them
// tells that neither the caller nor the operator hung up. hotline asks for soft hangups too, but
// only of channels it is done with (a caller it is hanging up, a handset whose offer ended), so a
// soft request on a caller still in the call flow, or on a talking operator's handset, is Asterisk
// (or its administrator) cutting the call: the leg ends "failed", not "completed" or "abandoned".

func (s *Switchboard) onHangupRequest(m ChannelHangupRequest) {
	if !m.Soft {
		// The caller or the handset hung up (a BYE): the end says how. A playback that ends now
		// (the greeting) ended because of it: the caller must not be queued on its way out.
		if c := s.calls[m.Channel]; c != nil {
			c.hungUp = true
		}
		if o := s.offers[m.Channel]; o != nil && o.answered && !o.gone && !s.cut[m.Channel] &&
			s.calls[o.call.id] == o.call && o.call.state == stateBridged && !o.call.hungUp {
			// A talking operator's handset hung up: the call is over for them now. Waiting for the
			// channel's StasisEnd, which Asterisk sends once the channel has left the bridge and
			// stopped its recording, kept the next caller waiting for that teardown under load
			// (docs/benchmark.md, "Dispatch, decomposed"); the end that follows finds nothing left.
			// As at that end (onChannelGone), a transfer under way decides first: the operator
			// leaving a blind transfer hands the caller on, it does not end the call. A caller who
			// hung up first (c.hungUp) is left to the ordinary ends, which say who hung up.
			if !s.transferChannelGone(m.Channel, m.Cause) {
				s.operatorChannelGone(o, m.Cause)
			}
			s.noteHungUp(m.Channel, m.At)
		}
		return
	}
	if c := s.calls[m.Channel]; c != nil {
		switch c.state {
		case stateGreeting, stateQueued, stateBridged, stateOverflow:
			s.cut[m.Channel], s.cutCause[m.Channel] = true, m.Cause
		}
		return
	}
	if o := s.offers[m.Channel]; o != nil && o.answered && !o.gone && o.call.state == stateBridged {
		s.cut[m.Channel], s.cutCause[m.Channel] = true, m.Cause
	}
}

// noteCut writes in the call's history that Asterisk cut it: on whose side, with what cause (the
// leg only says "failed"; this says why, e.g. a softphone whose media stopped).
func (s *Switchboard) noteCut(c *call, side hotline.LegSide, ch string) {
	s.journalWrite(Write{Cut: &CallCut{CallID: c.id, Side: side, Cause: s.cutCause[ch]}}, nil)
}

// cutChannelGone ends a call whose channel Asterisk cut; it reports whether it did.
func (s *Switchboard) cutChannelGone(ch string, cause int) bool {
	if !s.cut[ch] {
		return false
	}
	delete(s.cut, ch)
	if c := s.calls[ch]; c != nil {
		s.callLog(c).Warn("call cut by Asterisk", "state", c.state, "cause", cause)
		s.noteCut(c, hotline.SideCaller, ch)
		o := c.offer
		c.leg.End = hotline.LegFailed
		s.endCall(c, hotline.LegFailed)
		if o != nil && o.answered {
			s.callEnded(o)
		}
		return true
	}
	if o := s.offers[ch]; o != nil {
		c := o.call
		s.operatorChannelGone(o, cause)
		if c.state == stateHangingUp && c.leg.End == hotline.LegCompleted {
			s.callLog(c).Warn("call cut by Asterisk on the operator's side", "cause", cause)
			c.leg.End = hotline.LegFailed
			s.noteCut(c, hotline.SideOperator, ch)
		}
		return true
	}
	return false
}
