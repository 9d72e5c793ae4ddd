package switchboard

// Who owns a channel. The switchboard keeps its channels in one registry per role (s.calls,
// s.offers, s.transfers, s.consults, s.dialing, s.features, s.supervisors, and operator.wrapChannel); ownerOf
// is the one place that asks them all and says which holds the channel and for whom. The
// registries never share a channel, nor a wrap-up handset with one (checkInvariants), so the
// order it asks in decides nothing. A channel's end (onChannelGone), a refused originate
// (originateFailed), a key pressed (onDTMF) and handsetUp each switch on its answer.

// ownerKind is the registry a channel is in.
type ownerKind int

const (
	ownedByNone     ownerKind = iota // not the switchboard's (a stranger, or gone)
	ownedByTransfer                  // s.transfers: a transfer target's handset, ringing
	ownedByConsult                   // s.consults: either side of a consultation
	ownedByCallback                  // s.dialing: a caller being dialled back
	ownedByCaller                    // s.calls: a caller (a called-back caller too, once answered)
	ownedByOffer                     // s.offers: an operator's handset rung for, or talking to, a caller
	ownedByFeature                   // s.features: a feature-code call
	ownedByWrapUp                    // operator.wrapChannel: an operator's handset left in wrap-up

	ownedBySupervision // s.supervisors: an administrator's device listening, or its snoop channel
)

func (k ownerKind) String() string {
	switch k {
	case ownedByNone:
		return "none"
	case ownedByTransfer:
		return "transfer"
	case ownedByConsult:
		return "consult"
	case ownedByCallback:
		return "callback"
	case ownedByCaller:
		return "caller"
	case ownedByOffer:
		return "offer"
	case ownedByFeature:
		return "feature"
	case ownedByWrapUp:
		return "wrap-up"
	case ownedBySupervision:
		return "supervision"
	}
	return "ownerKind(?)"
}

// channelOwner is who a channel belongs to: its registry's entry, the caller it serves (if any)
// and the operator whose handset it is (if any).
type channelOwner struct {
	kind     ownerKind
	call     *call     // the caller: the channel's own call, or the one an offer or transfer rings for
	op       *operator // the operator: offered, transfer target, consulting, reserved, wrapping up
	offer    *offer
	transfer *transfer
	consult  *consult
	callback *pendingCallback
	sv       *supervision
}

// ownerOf says who owns channel ch.
func (s *Switchboard) ownerOf(ch string) channelOwner {
	if t := s.transfers[ch]; t != nil {
		return channelOwner{kind: ownedByTransfer, call: t.call, op: t.target, transfer: t}
	}
	if k := s.consults[ch]; k != nil {
		return channelOwner{kind: ownedByConsult, op: k.from, consult: k}
	}
	if cb := s.dialing[ch]; cb != nil {
		return channelOwner{kind: ownedByCallback, op: cb.op, callback: cb}
	}
	if c := s.calls[ch]; c != nil {
		o := channelOwner{kind: ownedByCaller, call: c}
		if c.offer != nil {
			o.op = c.offer.op
		}
		return o
	}
	if o := s.offers[ch]; o != nil {
		return channelOwner{kind: ownedByOffer, call: o.call, op: o.op, offer: o}
	}
	if sv := s.supervisors[ch]; sv != nil {
		return channelOwner{kind: ownedBySupervision, call: sv.call, op: sv.sup, sv: sv}
	}
	if s.features[ch] != nil {
		return channelOwner{kind: ownedByFeature}
	}
	for _, op := range s.operators {
		if op.wrapChannel == ch {
			return channelOwner{kind: ownedByWrapUp, op: op}
		}
	}
	return channelOwner{}
}
