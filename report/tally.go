package report

import (
	"time"

	"github.com/hotline-dev/hotline/journal"
)

// tally counts a report's calls into its rows: leg by leg (add, Compute's way, from memory) or
// by the sums the journal makes of them (addSums, Source.Report's way). The two give the same
// report (TestReportSummedAsComputed).
type tally struct {
	r         *Report
	o         Options
	periodRow map[string]*CallStats
	topicRow  map[string]*CallStats
	opRow     map[int64]*OperatorStats
	staffed   map[staffKey]*span
	names     map[int64]string
	titles    map[string]string

	// The last period found, [lastFrom, lastTo): legs come in order of arrival, so most are in
	// the period of the one before (its key is then not formatted again).
	lastFrom, lastTo time.Time
	lastRow          *CallStats
}

func (t *tally) topic(topic string) *CallStats {
	tr := t.topicRow[topic]
	if tr == nil {
		tr = &CallStats{Key: topic, Label: t.titles[topic]}
		if topic == "" {
			tr.Key, tr.Label = "-", "(no topic)"
		}
		t.topicRow[topic] = tr
	}
	return tr
}

func (t *tally) operator(id int64) *OperatorStats {
	op := t.opRow[id]
	if op == nil {
		op = &OperatorStats{ID: id, Name: t.names[id]}
		t.opRow[id] = op
	}
	return op
}

// periodOf is the row of the period holding the local time local.
func (t *tally) periodOf(local time.Time) *CallStats {
	if t.lastRow != nil && !local.Before(t.lastFrom) && local.Before(t.lastTo) {
		return t.lastRow
	}
	start := t.o.Period.Start(local, t.o.Location)
	row := t.periodRow[t.o.Period.Key(start)]
	if row != nil {
		t.lastFrom, t.lastTo, t.lastRow = start, t.o.Period.Next(start), row
	}
	return row
}

// add counts one leg, with the wrap-up it was given.
func (t *tally) add(c Call, wrap time.Duration) {
	o := t.o
	if !inRange(c.ArrivedAt, o.From, o.To) {
		return
	}
	local := c.ArrivedAt.In(o.Location)
	rows := [...]*CallStats{&t.r.Total, t.periodOf(local), &t.r.Hours[local.Hour()], t.topic(c.Topic)}
	for _, row := range rows {
		if row != nil {
			row.add(c, wrap, o)
		}
	}
	if c.OperatorID == 0 || c.AnsweredAt.IsZero() {
		return
	}
	t.operator(c.OperatorID).add(c, wrap)
	// Staffed time: the operator's observed working span per local day, from the first
	// answer to the end of the last wrap-up (docs/reports.md, occupancy).
	ans := c.AnsweredAt.In(o.Location)
	k := staffKey{c.OperatorID, time.Date(ans.Year(), ans.Month(), ans.Day(), 0, 0, 0, 0, o.Location)}
	end := c.EndedAt
	if end.IsZero() {
		end = c.AnsweredAt // still talking: nothing after the answer is known yet
	}
	end = end.Add(wrap)
	if sp := t.staffed[k]; sp == nil {
		t.staffed[k] = &span{c.AnsweredAt, end}
	} else {
		sp.from, sp.to = minTime(sp.from, c.AnsweredAt), maxTime(sp.to, end)
	}
}

// addSums counts one group of legs the journal summed.
func (t *tally) addSums(g journal.LegSums) {
	switch g.Kind {
	case journal.SumsByTime:
		// The local calendar's day g.Day, at noon: its period whatever the zone's midnight.
		y, m, d := time.UnixMilli(g.Day * 86400000).UTC().Date()
		for _, row := range []*CallStats{&t.r.Total, t.periodOf(time.Date(y, m, d, 12, 0, 0, 0, t.o.Location)), &t.r.Hours[g.Hour]} {
			if row != nil {
				row.addSums(g, t.o)
			}
		}
	case journal.SumsByTopic:
		t.topic(g.Topic).addSums(g, t.o)
	case journal.SumsByOperator:
		op := t.operator(g.OperatorID)
		op.Handled += g.Handled
		op.talk += msDuration(g.TalkMS)
		op.wrap += wrapOf(g, t.o.WrapUp)
		op.TransferredOut += g.Transferred
		op.TransferredIn += g.TransferredIn
		op.fromQueue += g.FromQueue
		op.waitAnswered += msDuration(g.FromQueueMS)
		op.staffed += time.Duration(g.ObservedSpanNS)
	}
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// wrapOf is the wrap-up of a group: the whole WrapUp for some legs, the cut ones' own.
func wrapOf(g journal.LegSums, wrap time.Duration) time.Duration {
	return time.Duration(g.WrapFull)*wrap + msDuration(g.WrapCutMS)
}

// addSums counts a group of legs into a row, as add counts them one by one.
func (s *CallStats) addSums(g journal.LegSums, o Options) {
	if len(s.servedWithins) == 0 {
		s.servedWithins = make([]int, len(o.SLTargets))
	}
	s.Handled += g.Handled
	s.talk += msDuration(g.TalkMS)
	s.wrap += wrapOf(g, o.WrapUp)
	s.Transferred += g.Transferred
	s.Offered += g.Offered
	s.InProgress += g.InProgress
	s.MaxWait = max(s.MaxWait, msDuration(g.MaxWaitMS).Seconds())
	s.Answered += g.Answered
	s.waitAnswered += msDuration(g.WaitAnsweredMS)
	for i := range s.servedWithins {
		s.servedWithins[i] += g.Within[i]
	}
	s.ShortAbandoned += g.ShortAbandoned
	s.Abandoned += g.Abandoned
	s.Overflow += g.Overflow
	s.Failed += g.Failed
}
