package switchboard

import (
	"context"
	"time"
)

// Limits of work. An operator's MaxConcurrent (hotline.Operator) bounds their cases in work
// («В работе» and «Отсроченный ответ»): routing offers no caller and gives no callback to an
// operator at the limit (routing.Candidate.OpenCases). Cases change in the journal — by the call
// flow's own writes and by people (the CLI) — so the counts are read again after each write that
// may change an owner, and every caseCountEvery for the others.

// caseCountEvery is how often the counts are read whatever happens: what a change made outside
// the call flow (an administrator reassigning a case) waits for at most.
const caseCountEvery = 30 * time.Second

// callsTodayLoaded is the journal's answer to AnsweredSince.
type callsTodayLoaded struct {
	day    time.Time
	counts map[int64]int
}

// loadCallsToday asks the journal, once, how many calls each operator answered today.
func (s *Switchboard) loadCallsToday() {
	today := day(s.clock.Now())
	s.journalRead("count today's calls", "", func(ctx context.Context) error {
		counts, err := s.jr.AnsweredSince(ctx, today)
		if err == nil {
			s.post(callsTodayLoaded{day: today, counts: counts})
		} else if !retryable(err) {
			return nil // a count is not worth a retry loop: "calls today" starts from 0
		}
		return err
	})
}

// onCallsTodayLoaded adds what the journal counted to what the loop counted meanwhile: both are
// answers of today (the journal's read follows the writes queued before it, so none is counted
// twice only if the loop counted none before the read was queued: it is queued at the first load
// of operators, before any call).
func (s *Switchboard) onCallsTodayLoaded(m callsTodayLoaded) {
	for id, n := range m.counts {
		if op := s.operators[id]; op != nil && n > 0 {
			op.calls = op.callsToday(m.day) + n
			op.callsDay = m.day
		}
	}
}

// caseCounts is the state of the counts' reading.
type caseCounts struct {
	pending bool   // a read is queued
	again   bool   // something changed while it was: read once more
	timer   *timer // the periodic read
}

// caseCountsLoaded is the journal's answer.
type caseCountsLoaded struct {
	counts map[int64]int
	err    error
}

// loadCaseCounts queues a read of the counts behind the writes queued so far (the writer runs
// reads in order with writes), so it sees them.
func (s *Switchboard) loadCaseCounts() {
	if s.counts.pending {
		s.counts.again = true
		return
	}
	s.counts.pending = true
	s.counts.timer.stop()
	s.counts.timer = s.after(caseCountEvery, s.loadCaseCounts)
	s.journalRead("count cases in work", "", func(ctx context.Context) error {
		counts, err := s.jr.OpenCaseCounts(ctx)
		if err == nil || !retryable(err) {
			s.post(caseCountsLoaded{counts: counts, err: err})
		}
		return err
	})
}

func (s *Switchboard) onCaseCountsLoaded(m caseCountsLoaded) {
	s.counts.pending = false
	if m.err != nil {
		s.log.Warn("operators' cases in work not counted; limits use the last counts", "err", m.err)
	} else {
		for id, op := range s.operators {
			op.openCases = m.counts[id]
		}
	}
	if s.counts.again {
		s.counts.again = false
		s.loadCaseCounts()
	}
}
