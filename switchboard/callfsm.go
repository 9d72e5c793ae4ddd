package switchboard

import (
	"context"
	"fmt"
	"log/slog"
)

// The call's state machine. Every change of call.state goes through Switchboard.move, which looks
// the (state, event) pair up in callTable: the whole life of a call is read in that one table,
// whatever file the handler that moves it lives in. A pair the table refuses leaves the state as
// it was and is logged as an error (the test harness fails on one): it means a handler acted on a
// call in a state it did not expect.
//
// Some events keep the state (an offer, a transfer): they are there so that the table also says
// in which state each may happen. The overflow's path (callback offered, message, callback taken)
// is call.overflow, within stateOverflow.

// callEvent is what happens to a call, named from the domain; the order is roughly a call's life.
type callEvent int

const (
	// A call comes into the switchboard (from stateNew).
	evArrived    callEvent = iota // a caller dialled in: answer, greet (arrive)
	evCalledBack                  // a caller hotline dialled back answered (callback.go)
	evAdopted                     // restart: a bridged call found in Asterisk is taken over (reconcile.go)
	evRequeued                    // restart: a caller not talking to anyone waits again (reconcile.go)

	evGreeted         // the greeting ended and the queue has room: the caller joins it
	evOverflowed      // queue full, or waited too long: callback or message (startOverflow)
	evOffered         // an operator's handset rings for the caller (startOffer)
	evNotAnswered     // that ring ended without an answer: the caller keeps their place (noAnswer)
	evAnswered        // the operator answered: caller and operator are bridged (onOfferAnswered)
	evTransferStarted // the operator hands the caller on: the target's handset rings (startTransfer)
	evTransferFailed  // the target did not take the call: back with the first operator (transferFailed)
	evTransferred     // the target answered (or the consulted colleague took the caller): a new leg
	evBackToQueue     // the operator left without handing the caller on: head of the queue (backToTheHead)
	evHandedOver      // draining: the waiting caller is sent to the dialplan's fallback (drain.go)
	evHangUp          // hotline hangs the caller up: the end of a prompt, or a request Asterisk refused
	evOperatorHungUp  // the operator hung up a bridged call: the caller's side is hung up too
	evGone            // the caller's channel is gone (hung up, cut, lost): the leg is written (endCall)

	numCallEvents int = iota
)

func (ev callEvent) String() string {
	switch ev {
	case evArrived:
		return "arrived"
	case evCalledBack:
		return "called_back"
	case evAdopted:
		return "adopted"
	case evRequeued:
		return "requeued"
	case evGreeted:
		return "greeted"
	case evOverflowed:
		return "overflowed"
	case evOffered:
		return "offered"
	case evNotAnswered:
		return "not_answered"
	case evAnswered:
		return "answered"
	case evTransferStarted:
		return "transfer_started"
	case evTransferFailed:
		return "transfer_failed"
	case evTransferred:
		return "transferred"
	case evBackToQueue:
		return "back_to_queue"
	case evHandedOver:
		return "handed_over"
	case evHangUp:
		return "hang_up"
	case evOperatorHungUp:
		return "operator_hung_up"
	case evGone:
		return "gone"
	}
	return fmt.Sprintf("callEvent(%d)", int(ev))
}

// refused, as the next state, marks a pair the machine does not take.
const refused callState = -1

// callTable is the call state machine: callTable()[state][event] is the next state, or refused.
// Every pair is written, refused ones included; a cell left out reads stateNew, which no event
// leads to, and the table test (callfsm_test.go) fails on it. A function, not a variable: nothing
// can change the rules at run time.
func callTable() [numCallStates][numCallEvents]callState {
	const no = refused
	return [numCallStates][numCallEvents]callState{
		// Not in the switchboard yet: only the ways in.
		stateNew: {
			evArrived: stateGreeting, evCalledBack: stateQueued, evAdopted: stateBridged, evRequeued: stateQueued,
			// Nothing else happens to a call before it exists.
			evGreeted: no, evOverflowed: no, evOffered: no, evNotAnswered: no, evAnswered: no,
			evTransferStarted: no, evTransferFailed: no, evTransferred: no, evBackToQueue: no,
			evHandedOver: no, evHangUp: no, evOperatorHungUp: no, evGone: no,
		},
		stateGreeting: {
			evGreeted: stateQueued, evOverflowed: stateOverflow, evHandedOver: stateHandedOver,
			evHangUp: stateHangingUp, // the answer was refused
			evGone:   stateEnded,     // abandoned in the greeting
			// Not in the queue yet: no offer, no operator.
			evArrived: no, evCalledBack: no, evAdopted: no, evRequeued: no,
			evOffered: no, evNotAnswered: no, evAnswered: no,
			evTransferStarted: no, evTransferFailed: no, evTransferred: no, evBackToQueue: no, evOperatorHungUp: no,
		},
		stateQueued: {
			evOffered: stateQueued, evNotAnswered: stateQueued, // a ring comes and goes; the place is kept
			evAnswered:   stateBridged,
			evOverflowed: stateOverflow, evHandedOver: stateHandedOver,
			evHangUp: stateHangingUp,
			evGone:   stateEnded, // abandoned in the queue
			// Greeted once; not talking to anyone, so nothing to transfer.
			evArrived: no, evCalledBack: no, evAdopted: no, evRequeued: no, evGreeted: no,
			evTransferStarted: no, evTransferFailed: no, evTransferred: no, evBackToQueue: no, evOperatorHungUp: no,
		},
		stateBridged: {
			// A transfer keeps the call bridged: the caller keeps their channel, the operator side changes.
			evTransferStarted: stateBridged, evTransferFailed: stateBridged, evTransferred: stateBridged,
			evBackToQueue:    stateQueued,
			evOperatorHungUp: stateHangingUp, evHangUp: stateHangingUp, // the bridge was refused
			evGone: stateEnded, // completed
			// Out of the queue for good (only backToQueue returns): no offer, overflow or hand-over.
			evArrived: no, evCalledBack: no, evAdopted: no, evRequeued: no, evGreeted: no,
			evOverflowed: no, evOffered: no, evNotAnswered: no, evAnswered: no, evHandedOver: no,
		},
		stateOverflow: {
			evHangUp: stateHangingUp, // after "thanks" or "saved"
			evGone:   stateEnded,
			// Out of the queue: a callback keeps the place without the caller's line.
			evArrived: no, evCalledBack: no, evAdopted: no, evRequeued: no, evGreeted: no,
			evOverflowed: no, evOffered: no, evNotAnswered: no, evAnswered: no,
			evTransferStarted: no, evTransferFailed: no, evTransferred: no, evBackToQueue: no,
			evHandedOver: no, evOperatorHungUp: no,
		},
		stateHandedOver: {
			evHangUp: stateHangingUp, // a request refused on the way out
			evGone:   stateEnded,     // left for the dialplan
			// Out of the queue, on the way to the dialplan.
			evArrived: no, evCalledBack: no, evAdopted: no, evRequeued: no, evGreeted: no,
			evOverflowed: no, evOffered: no, evNotAnswered: no, evAnswered: no,
			evTransferStarted: no, evTransferFailed: no, evTransferred: no, evBackToQueue: no,
			evHandedOver: no, evOperatorHungUp: no,
		},
		stateHangingUp: {
			evGone: stateEnded,
			// Hotline is done with the caller: only the channel's end is awaited (hangup asked once).
			evArrived: no, evCalledBack: no, evAdopted: no, evRequeued: no, evGreeted: no,
			evOverflowed: no, evOffered: no, evNotAnswered: no, evAnswered: no,
			evTransferStarted: no, evTransferFailed: no, evTransferred: no, evBackToQueue: no,
			evHandedOver: no, evHangUp: no, evOperatorHungUp: no,
		},
		stateEnded: {
			// The leg is written; late events find nothing to do.
			evArrived: no, evCalledBack: no, evAdopted: no, evRequeued: no, evGreeted: no,
			evOverflowed: no, evOffered: no, evNotAnswered: no, evAnswered: no,
			evTransferStarted: no, evTransferFailed: no, evTransferred: no, evBackToQueue: no,
			evHandedOver: no, evHangUp: no, evOperatorHungUp: no, evGone: no,
		},
	}
}

// transition is the state ev takes a call in st to; ok is false for a refused pair.
func transition(st callState, ev callEvent) (to callState, ok bool) {
	if st < 0 || int(st) >= numCallStates || ev < 0 || int(ev) >= numCallEvents {
		return st, false
	}
	to = callTable()[st][ev]
	return to, to != refused
}

// move applies ev to call c as the table says. A refused pair leaves c.state as it was, is logged
// as an error and reported to refusedMove (set by tests); move reports whether it was taken.
func (s *Switchboard) move(c *call, ev callEvent) bool {
	from := c.state
	to, ok := transition(from, ev)
	if !ok {
		s.callLog(c).Error("call state machine: transition refused", "state", from, "event", ev)
		if s.refusedMove != nil {
			s.refusedMove(c.id, from, ev)
		}
		return false
	}
	c.state = to
	if to != from && s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.callLog(c).Debug("call state", "state", to, "was", from, "event", ev)
	}
	return true
}
