package switchboard

// Request lanes. A request to Asterisk is data (an Op): a handler queues it with do on a lane,
// named by a key (the caller's channel id for everything about a call, a feature call's or a
// consultation's channel for theirs), and never waits for it. Run's exec runs the lane's first
// request on its own goroutine (Telephony.Do, bounded by opTimeout) and posts its result to the
// loop as opDone; onOpDone hands a failure to opResult (call.go), then starts the lane's next
// request. So requests about one call go out in the order they were asked, one at a time, while
// different calls' lanes run side by side; a lane with nothing queued is forgotten.

// opDone is the result of one Telephony request.
type opDone struct {
	lane string
	op   Op
	err  error
}

// lane orders the requests about one call (or one feature call): each starts when the one before
// it has returned, so "stop music, create bridge, add both" happen in that order, and a hangup
// asked while an originate is in flight goes out after it.
type lane struct {
	busy bool
	q    []Op
}

// do queues requests on a lane.
func (s *Switchboard) do(key string, ops ...Op) {
	if s.replaced {
		// Another client owns the application now: its calls are its own to act on.
		s.log.Debug("request dropped: the application was taken over", "key", key, "ops", len(ops))
		for _, op := range ops {
			s.dispatchOf(op) // a dispatch's originate never sent: its trace goes too
		}
		return
	}
	l := s.lanes[key]
	if l == nil {
		l = &lane{}
		s.lanes[key] = l
	}
	l.q = append(l.q, ops...)
	if !l.busy {
		s.next(key, l)
	}
}

func (s *Switchboard) next(key string, l *lane) {
	if len(l.q) == 0 {
		delete(s.lanes, key)
		return
	}
	op := l.q[0]
	l.q = l.q[1:]
	l.busy = true
	if s.holding > 0 {
		s.held = append(s.held, laneOp{lane: key, op: op})
		return
	}
	s.exec(key, op)
}

func (s *Switchboard) onOpDone(m opDone) {
	l := s.lanes[m.lane]
	if l == nil {
		return
	}
	l.busy = false
	s.opResult(m.lane, m.op, m.err) // may queue more on this lane: it then starts at once
	if !l.busy {
		s.next(m.lane, l)
	}
}
