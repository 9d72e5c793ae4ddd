// Package routing orders the hotline's queue and chooses the operator for a call. It is pure:
// no I/O, no goroutines, no clock of its own (every decision takes now), no package-level state.
// The call flow owns live state, hands routing a view of it ([Candidate]s and its [Queue]) and
// applies what routing decides.
//
// See docs/routing.md for the rules in full, the estimated-wait formula and benchmark figures.
//
// A call's path through routing:
//
//	if r.Rules.Admit(q.Len()) != routing.NoOverflow { /* overflow: message or callback */ }
//	pos, _ := q.Enqueue(routing.Caller{ID: ch, Number: num, Priority: prio, JoinedAt: now})
//	// whenever a caller joins or an operator becomes free:
//	if d, ok := r.Select(q, candidates, now); ok {
//		q.Offer(d.Call, d.Operator) // and ring the operator's handset
//	}
//	// answered: q.Remove(call); ring timeout: op, _ := q.NoAnswer(call);
//	//   missed, pause := r.Rules.OfferMissed(missedSoFar[op])
//	// periodically: q.Overdue(r.Rules, now, nil) → overflow those callers
package routing
