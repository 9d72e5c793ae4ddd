// Package report computes a contact-centre head's numbers from the journal: calls offered,
// answered and abandoned, service level, speed of answer, handling time, transfers, callbacks,
// cases by type, topic and status, overdue cases and operator occupancy, per day, week or month,
// per operator, per topic and per hour of the day. It also writes the call history in Asterisk's
// queue_log and cdr_csv formats so that tools made for Asterisk queues read hotline's data.
//
// Compute is pure: slices in, numbers out, so every figure is a table test on a hand-made data
// set. Load reads those slices through the journal's API, read-only. Every definition is in
// docs/reports.md; the field comments here say the same briefly.
package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Period is the size of the rows of a report over time.
type Period string

const (
	Day   Period = "day"
	Week  Period = "week" // ISO week, Monday to Sunday
	Month Period = "month"
)

// Valid reports whether p is a known period.
func (p Period) Valid() bool { return p == Day || p == Week || p == Month }

// Start is the beginning of the period that contains t, in loc.
func (p Period) Start(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	switch p {
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	default:
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
}

// Next is the beginning of the period after the one starting at start.
func (p Period) Next(start time.Time) time.Time {
	switch p {
	case Week:
		return start.AddDate(0, 0, 7)
	case Month:
		return start.AddDate(0, 1, 0)
	default:
		return start.AddDate(0, 0, 1)
	}
}

// Key names the period starting at start: 2026-11-23, 2026-W48, 2026-11.
func (p Period) Key(start time.Time) string {
	switch p {
	case Week:
		y, w := start.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Month:
		return start.Format("2006-01")
	default:
		return start.Format("2006-01-02")
	}
}

// Options are the report's range and thresholds. Zero thresholds take the defaults below,
// except WrapUp, where zero means none.
type Options struct {
	From, To time.Time // calls and cases in [From, To)
	// AsOf is when the report is made: a case is overdue, and a callback made, as of then.
	// Default: To, or now when To is in the future.
	AsOf     time.Time
	Location *time.Location // for days, weeks, months and hours; default UTC
	Period   Period         // rows over time; default Day
	// SLTargets: a call is in service level when answered within the target (inclusive).
	// Default 20s (config calls.service_level_target) and the seeds' two minutes.
	SLTargets []time.Duration
	// ShortAbandon: callers who hung up after waiting less than this in the queue (or during the
	// greeting) are counted apart and left out of service level and abandon rate. Default 5s.
	ShortAbandon time.Duration
	// WrapUp is the wrap-up assumed after each answered leg, as the switchboard gives it (config
	// calls.wrap_up, DefaultWrapUp in the CLI): the journal does not record when an operator was
	// free again.
	WrapUp time.Duration
	// CallbackWithin is the promise for a callback on a case without a due date. Default 24h.
	CallbackWithin time.Duration
}

// maxPeriods bounds the rows over time (ten years of days), so that a mistyped --from cannot
// build millions of rows.
const maxPeriods = 3660

// Defaults.
const (
	DefaultSLTarget       = 20 * time.Second
	SeedsSLTarget         = 2 * time.Minute // the seeds: callers wait at most about two minutes
	DefaultShortAbandon   = 5 * time.Second
	DefaultWrapUp         = 10 * time.Second
	DefaultCallbackWithin = 24 * time.Hour
)

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults(now time.Time) (Options, error) {
	if o.From.IsZero() || o.To.IsZero() || !o.To.After(o.From) {
		return o, hotline.Errorf(hotline.EINVALID, "the report's range is empty: %s to %s", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Period == "" {
		o.Period = Day
	}
	if !o.Period.Valid() {
		return o, hotline.Errorf(hotline.EINVALID, "unknown period %q: want day, week or month", o.Period)
	}
	if len(o.SLTargets) == 0 {
		o.SLTargets = []time.Duration{DefaultSLTarget, SeedsSLTarget}
	}
	for _, t := range o.SLTargets {
		if t <= 0 {
			return o, hotline.Errorf(hotline.EINVALID, "a service-level target must be positive, not %s", t)
		}
	}
	if o.ShortAbandon < 0 || o.WrapUp < 0 || o.CallbackWithin < 0 {
		return o, hotline.Errorf(hotline.EINVALID, "thresholds must not be negative")
	}
	if o.ShortAbandon == 0 {
		o.ShortAbandon = DefaultShortAbandon
	}
	if o.CallbackWithin == 0 {
		o.CallbackWithin = DefaultCallbackWithin
	}
	if o.AsOf.IsZero() {
		o.AsOf = o.To
		if !now.IsZero() && now.Before(o.AsOf) {
			o.AsOf = now
		}
	}
	return o, nil
}

// Call is one leg of a call as the report needs it: the leg and its case's topic and type.
type Call struct {
	hotline.Leg
	Outcome    hotline.CallOutcome // the call's ("" while it lasts)
	Line       string              // the hotline number dialled: the CDR's dst
	CaseNumber string
	Topic      string
	Type       hotline.CaseType
}

// inbound: a call from the trunk; a transfer leg continues a call already counted.
func (c Call) inbound() bool { return c.TransferredFrom == 0 }

// StatusChange is one change of a case's status, from the journal's history.
type StatusChange struct {
	CaseID   int64
	At       time.Time
	From, To hotline.CaseStatus
}

// Data is what a report is computed from.
type Data struct {
	// Calls: legs that arrived in the range. Legs outside it may be given too (the loader adds
	// the hour after To): they are not counted, only used to cap an operator's wrap-up.
	Calls []Call
	// Registered counts the cases registered in the range by type, topic and status (GroupCases;
	// the loader counts in SQL, so a year of cases is never held in memory).
	Registered []CaseGroup
	// Cases: those that may be overdue (a due date before AsOf) and those named by
	// StatusChanges (for callback deadlines); others are ignored.
	Cases         []hotline.Case
	StatusChanges []StatusChange
	Operators     []hotline.Operator // names
	Topics        []hotline.Topic    // titles
	// Presence: the operators' presence events that shape the range (journal.PresenceHistory):
	// each operator's event in force at From, then those in [From, To).
	Presence []hotline.PresenceEvent
	// presenceTimes, when set, are the presence times Source.Report walked as it read the
	// events (Presence is then empty).
	presenceTimes map[int64]*presenceTime
	// registered, when set, is the count Source.Report read by type, by topic and by status
	// (journal.RegisteredCaseBreakdown; Registered is then empty).
	registered *journal.CaseBreakdown
	// callbacks, when set, are the callbacks Source.Report followed as it read the status
	// changes, each with its case's due date (callbackWalk; StatusChanges is then empty).
	callbacks *CallbackStats
}

// CaseGroup is the number of cases registered with one type, topic and status.
type CaseGroup struct {
	Type   hotline.CaseType
	Topic  string
	Status hotline.CaseStatus
	N      int
}

// GroupCases counts the cases registered in [from, to) by type, topic and status: what Load does
// in SQL, for callers that hold the cases in memory.
func GroupCases(cases []hotline.Case, from, to time.Time) []CaseGroup {
	n := map[CaseGroup]int{}
	for _, c := range cases {
		if inRange(c.CreatedAt, from, to) {
			n[CaseGroup{Type: c.Type, Topic: c.Topic, Status: c.Status}]++
		}
	}
	out := make([]CaseGroup, 0, len(n))
	for g, k := range n {
		g.N = k
		out = append(out, g)
	}
	return out
}

// Report is every number of one report. Durations are in seconds; a rate is a percentage, null
// in JSON (and "-" in tables) when nothing was there to divide by.
type Report struct {
	From       time.Time       `json:"from"`
	To         time.Time       `json:"to"`
	AsOf       time.Time       `json:"as_of"`
	TimeZone   string          `json:"time_zone"`
	Period     Period          `json:"period"`
	Thresholds Thresholds      `json:"thresholds"`
	Total      CallStats       `json:"total"`
	Periods    []CallStats     `json:"periods"`
	Hours      []CallStats     `json:"hours"`
	Topics     []CallStats     `json:"topics"`
	Operators  []OperatorStats `json:"operators"`
	Cases      CaseStats       `json:"cases"`
	Callbacks  CallbackStats   `json:"callbacks"`
	// PresenceHistory: some operator has presence history in the range; staffed time and
	// occupancy come from it (OperatorStats.StaffedFrom says, per operator).
	PresenceHistory bool `json:"presence_history"`
	loc             *time.Location
}

// location is the report's time zone for printing dates.
func (r *Report) location() *time.Location {
	if r.loc == nil {
		return time.UTC
	}
	return r.loc
}

// Thresholds echo the options the numbers depend on.
type Thresholds struct {
	SLTargets             []float64 `json:"service_level_targets_seconds"`
	ShortAbandonSeconds   float64   `json:"short_abandon_seconds"`
	WrapUpSeconds         float64   `json:"wrap_up_seconds"`
	CallbackWithinSeconds float64   `json:"callback_within_seconds"`
}

// CallStats are the call numbers of one row: the whole range, a period, an hour or a topic.
//
// Offered = Answered + Abandoned + ShortAbandoned + Overflow + Failed + InProgress, counting
// calls (inbound legs); Handled, talk, wrap-up and transfers count operator legs (a transferred
// call is handled twice).
type CallStats struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`

	Offered        int `json:"offered"`
	Answered       int `json:"answered"`
	Abandoned      int `json:"abandoned"`       // hung up in the queue after ShortAbandon or more
	ShortAbandoned int `json:"short_abandoned"` // hung up in the greeting or within ShortAbandon
	Overflow       int `json:"overflow"`        // sent to a callback or a message
	Failed         int `json:"failed"`
	InProgress     int `json:"in_progress"` // not ended when the data was read

	ServiceLevel []ServiceLevel `json:"service_level"`
	AbandonRate  *float64       `json:"abandon_rate"` // Abandoned ÷ (Offered − ShortAbandoned − InProgress)
	ASASeconds   *float64       `json:"asa_seconds"`  // mean queue wait of answered calls
	MaxWait      float64        `json:"max_wait_seconds"`

	Handled       int      `json:"handled"` // answered legs, transfers included
	TalkSeconds   float64  `json:"talk_seconds"`
	WrapSeconds   float64  `json:"wrap_up_seconds"`
	AHTSeconds    *float64 `json:"aht_seconds"` // (talk + wrap-up) ÷ Handled
	Transferred   int      `json:"transferred"` // handled legs that ended in a transfer
	TransferRate  *float64 `json:"transfer_rate"`
	Logins        int      `json:"logins"` // operators' logins in the row's period (total and periods only)
	waitAnswered  time.Duration
	talk, wrap    time.Duration // summed exactly, whatever order the legs come in; the seconds at finish
	servedWithins []int
}

// ServiceLevel is the share of calls answered within Target.
type ServiceLevel struct {
	TargetSeconds float64  `json:"target_seconds"`
	Within        int      `json:"answered_within"`
	Percent       *float64 `json:"percent"` // Within ÷ (Offered − ShortAbandoned − InProgress)
}

// OperatorStats are one operator's numbers.
type OperatorStats struct {
	ID             int64    `json:"id"`
	Name           string   `json:"name"`
	Handled        int      `json:"handled"`
	TransferredIn  int      `json:"transferred_in"`
	TransferredOut int      `json:"transferred_out"`
	TransferRate   *float64 `json:"transfer_rate"`
	TalkSeconds    float64  `json:"talk_seconds"`
	WrapSeconds    float64  `json:"wrap_up_seconds"`
	AHTSeconds     *float64 `json:"aht_seconds"`
	ASASeconds     *float64 `json:"asa_seconds"` // mean queue wait of the calls this operator answered from the queue
	// StaffedSeconds: logged in and not paused (presence history), else the observed span.
	StaffedSeconds float64 `json:"staffed_seconds"`
	// StaffedFrom: StaffedFromPresence or StaffedFromObservedSpan; "" when not staffed.
	StaffedFrom        string      `json:"staffed_from"`
	Occupancy          *float64    `json:"occupancy"` // talk ÷ staffed
	PausedSeconds      float64     `json:"paused_seconds"`
	Pauses             []PauseTime `json:"pauses"` // by reason code; empty without presence history
	UnreachableSeconds float64     `json:"unreachable_seconds"`
	Logins             int         `json:"logins"`
	Overdue            int         `json:"overdue_cases"`
	fromQueue          int
	waitAnswered       time.Duration
	talk, wrap         time.Duration // as CallStats'
	staffed            time.Duration // the observed span, summed exactly; StaffedSeconds at the end
}

// Count is one line of a breakdown.
type Count struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	N     int    `json:"n"`
}

// CaseStats describe the cases registered in the range, and those overdue as of AsOf.
type CaseStats struct {
	Registered int           `json:"registered"`
	ByType     []Count       `json:"by_type"`
	ByTopic    []Count       `json:"by_topic"`
	ByStatus   []Count       `json:"by_status"` // status as of reading, of the cases registered in the range
	Overdue    []OverdueCase `json:"overdue"`
}

// OverdueCase is a case past its due date and not approved, as of the report's AsOf.
type OverdueCase struct {
	ID          int64              `json:"id"`
	Number      string             `json:"number"`
	Status      hotline.CaseStatus `json:"status"`
	OwnerID     int64              `json:"owner_id,omitempty"`
	Owner       string             `json:"owner,omitempty"`
	DueAt       time.Time          `json:"due_at"`
	DaysOverdue int                `json:"days_overdue"` // whole days past due
}

// CallbackStats: callbacks promised in the range («Отсроченный ответ»), made and kept as of AsOf.
type CallbackStats struct {
	Requested int      `json:"requested"` // cases that became «Отсроченный ответ» in the range
	Made      int      `json:"made"`      // of those, set back «В работе» by AsOf: the owner called back
	Kept      int      `json:"kept"`      // made by the due date, or within CallbackWithin without one
	Pending   int      `json:"pending"`   // not made yet
	KeptRate  *float64 `json:"kept_rate"` // Kept ÷ Requested
}

func pct(n, d int) *float64 {
	if d <= 0 {
		return nil
	}
	v := 100 * float64(n) / float64(d)
	return &v
}

func mean(total time.Duration, n int) *float64 {
	if n <= 0 {
		return nil
	}
	v := total.Seconds() / float64(n)
	return &v
}

func inRange(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// Compute makes the report of d with o. now is the wall clock, used only to default AsOf.
func Compute(d Data, o Options, now time.Time) (*Report, error) {
	return compute(&d, o, now, func(o Options, t *tally) error {
		wraps := wrapUps(d.Calls, o.WrapUp)
		for i, c := range d.Calls {
			t.add(c, wraps[i])
		}
		return nil
	})
}

// compute makes the report of d with o, its calls counted by calls into a tally (d.Calls is not
// read): Compute gives them leg by leg from memory, each with its wrap-up; Source.Report as the
// journal streams them (or the sums the journal makes of them, journal.LegSums). What d holds
// besides the operators and topics is read only after calls returns: calls may fill it in.
func compute(d *Data, o Options, now time.Time, calls func(o Options, t *tally) error) (*Report, error) {
	o, err := o.withDefaults(now)
	if err != nil {
		return nil, err
	}
	tz := o.Location.String()
	if o.Location == time.Local {
		tz, _ = o.From.In(o.Location).Zone() // "Local" says nothing on a printed report
	}
	r := &Report{From: o.From, To: o.To, AsOf: o.AsOf, TimeZone: tz, Period: o.Period, loc: o.Location,
		Thresholds: Thresholds{ShortAbandonSeconds: o.ShortAbandon.Seconds(), WrapUpSeconds: o.WrapUp.Seconds(),
			CallbackWithinSeconds: o.CallbackWithin.Seconds()}}
	for _, t := range o.SLTargets {
		r.Thresholds.SLTargets = append(r.Thresholds.SLTargets, t.Seconds())
	}
	names := map[int64]string{}
	for _, op := range d.Operators {
		names[op.ID] = op.Name
	}
	titles := map[string]string{}
	for _, t := range d.Topics {
		titles[t.Code] = t.Title
	}

	// Rows over time: every period of the range, even empty ones, so a chart has no gaps.
	periodRow := map[string]*CallStats{}
	for s := o.Period.Start(o.From, o.Location); s.Before(o.To); s = o.Period.Next(s) {
		if len(r.Periods) == maxPeriods {
			return nil, hotline.Errorf(hotline.EINVALID, "the range has more than %d %ss: choose a longer period (week or month) or a shorter range", maxPeriods, o.Period)
		}
		r.Periods = append(r.Periods, CallStats{Key: o.Period.Key(s)})
	}
	for i := range r.Periods {
		periodRow[r.Periods[i].Key] = &r.Periods[i]
	}
	r.Hours = make([]CallStats, 24)
	for h := range r.Hours {
		r.Hours[h].Key = fmt.Sprintf("%02d", h)
	}
	r.Topics, r.Operators = []CallStats{}, []OperatorStats{}
	topicRow := map[string]*CallStats{}
	opRow := map[int64]*OperatorStats{}
	staffed := map[staffKey]*span{}

	r.Total.Key = "total"
	t := &tally{r: r, o: o, periodRow: periodRow, topicRow: topicRow, opRow: opRow, staffed: staffed, names: names, titles: titles}
	if err := calls(o, t); err != nil {
		return nil, err
	}
	for k, sp := range staffed {
		opRow[k.op].staffed += sp.to.Sub(sp.from)
	}
	for _, op := range opRow {
		op.StaffedSeconds = op.staffed.Seconds()
	}
	times := d.presenceTimes
	if times == nil {
		times = presenceTimes(d.Presence, o.From, presenceEnd(o))
	}
	r.applyPresence(times, o, opRow, periodRow, names)

	r.Total.finish(o.SLTargets)
	for i := range r.Periods {
		r.Periods[i].finish(o.SLTargets)
	}
	for i := range r.Hours {
		r.Hours[i].finish(o.SLTargets)
	}
	for _, tr := range topicRow {
		tr.finish(o.SLTargets)
		r.Topics = append(r.Topics, *tr)
	}
	slices.SortFunc(r.Topics, func(a, b CallStats) int { return cmp.Compare(a.Key, b.Key) })

	r.Cases = caseStats(d.Registered, d.registered, d.Cases, o, titles, names)
	for _, oc := range r.Cases.Overdue {
		if oc.OwnerID == 0 {
			continue
		}
		op := opRow[oc.OwnerID]
		if op == nil {
			op = &OperatorStats{ID: oc.OwnerID, Name: names[oc.OwnerID]}
			opRow[oc.OwnerID] = op
		}
		op.Overdue++
	}
	for _, op := range opRow {
		if op.Pauses == nil {
			op.Pauses = []PauseTime{}
		}
		op.finish()
		r.Operators = append(r.Operators, *op)
	}
	slices.SortFunc(r.Operators, func(a, b OperatorStats) int { return cmp.Compare(a.ID, b.ID) })
	if d.callbacks != nil {
		r.Callbacks = *d.callbacks
	} else {
		r.Callbacks = callbackStats(d.StatusChanges, d.Cases, o)
	}
	return r, nil
}

type staffKey struct {
	op  int64
	day time.Time
}

type span struct{ from, to time.Time }

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// add counts one leg into a row.
func (s *CallStats) add(c Call, wrap time.Duration, o Options) {
	if len(s.servedWithins) == 0 {
		s.servedWithins = make([]int, len(o.SLTargets))
	}
	if !c.AnsweredAt.IsZero() {
		s.Handled++
		s.talk += c.TalkTime()
		s.wrap += wrap
		if c.End == hotline.LegTransferred {
			s.Transferred++
		}
	}
	if !c.inbound() {
		return
	}
	s.Offered++
	wait := c.QueueWait()
	if c.EndedAt.IsZero() && c.AnsweredAt.IsZero() {
		s.InProgress++
		return
	}
	s.MaxWait = max(s.MaxWait, wait.Seconds())
	switch {
	case !c.AnsweredAt.IsZero():
		s.Answered++
		s.waitAnswered += wait
		for i, t := range o.SLTargets {
			if wait <= t {
				s.servedWithins[i]++
			}
		}
	case c.End == hotline.LegAbandoned && wait < o.ShortAbandon:
		s.ShortAbandoned++
	case c.End == hotline.LegAbandoned:
		s.Abandoned++
	case c.End == hotline.LegOverflow:
		s.Overflow++
	default:
		s.Failed++
	}
}

func (s *CallStats) finish(targets []time.Duration) {
	s.TalkSeconds, s.WrapSeconds = s.talk.Seconds(), s.wrap.Seconds()
	base := s.Offered - s.ShortAbandoned - s.InProgress
	s.ServiceLevel = make([]ServiceLevel, len(targets))
	for i, t := range targets {
		n := 0
		if i < len(s.servedWithins) {
			n = s.servedWithins[i]
		}
		s.ServiceLevel[i] = ServiceLevel{TargetSeconds: t.Seconds(), Within: n, Percent: pct(n, base)}
	}
	s.AbandonRate = pct(s.Abandoned, base)
	s.ASASeconds = mean(s.waitAnswered, s.Answered)
	talkWrap := time.Duration((s.TalkSeconds + s.WrapSeconds) * float64(time.Second))
	s.AHTSeconds = mean(talkWrap, s.Handled)
	s.TransferRate = pct(s.Transferred, s.Handled)
}

func (op *OperatorStats) add(c Call, wrap time.Duration) {
	op.Handled++
	op.talk += c.TalkTime()
	op.wrap += wrap
	if c.End == hotline.LegTransferred {
		op.TransferredOut++
	}
	if c.inbound() {
		op.fromQueue++
		op.waitAnswered += c.QueueWait()
	} else {
		op.TransferredIn++
	}
}

func (op *OperatorStats) finish() {
	op.TalkSeconds, op.WrapSeconds = op.talk.Seconds(), op.wrap.Seconds()
	op.TransferRate = pct(op.TransferredOut, op.Handled)
	op.AHTSeconds = mean(time.Duration((op.TalkSeconds+op.WrapSeconds)*float64(time.Second)), op.Handled)
	op.ASASeconds = mean(op.waitAnswered, op.fromQueue)
	if op.StaffedSeconds > 0 {
		v := 100 * op.TalkSeconds / op.StaffedSeconds
		op.Occupancy = &v
	}
}

// wrapUps gives each answered, ended leg its assumed wrap-up: WrapUp, cut short when the same
// operator answered another leg sooner (they cannot be wrapping up while talking).
func wrapUps(calls []Call, wrap time.Duration) []time.Duration {
	out := make([]time.Duration, len(calls))
	byOp := map[int64][]int{}
	for i, c := range calls {
		if c.OperatorID != 0 && !c.AnsweredAt.IsZero() {
			byOp[c.OperatorID] = append(byOp[c.OperatorID], i)
		}
	}
	for _, idx := range byOp {
		slices.SortFunc(idx, func(a, b int) int { return answerOrder(calls[a], calls[b]) })
		for j, i := range idx {
			c := calls[i]
			if c.EndedAt.IsZero() {
				continue
			}
			w := wrap
			if j+1 < len(idx) {
				if gap := calls[idx[j+1]].AnsweredAt.Sub(c.EndedAt); gap < w {
					w = max(gap, 0)
				}
			}
			out[i] = w
		}
	}
	return out
}

func caseStats(groups []CaseGroup, breakdown *journal.CaseBreakdown, cases []hotline.Case, o Options, titles map[string]string, names map[int64]string) CaseStats {
	cs := CaseStats{Overdue: []OverdueCase{}}
	byType, byTopic, byStatus := map[string]int{}, map[string]int{}, map[string]int{}
	for _, g := range groups {
		cs.Registered += g.N
		byType[orNone(string(g.Type))] += g.N
		byTopic[orNone(g.Topic)] += g.N
		byStatus[string(g.Status)] += g.N
	}
	if breakdown != nil {
		for t, n := range breakdown.ByType {
			cs.Registered += n
			byType[orNone(string(t))] += n
		}
		for t, n := range breakdown.ByTopic {
			byTopic[orNone(t)] += n
		}
		for st, n := range breakdown.ByStatus {
			byStatus[string(st)] += n
		}
	}
	seen := map[int64]bool{}
	for _, c := range cases {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		if !c.DueAt.IsZero() && c.DueAt.Before(o.AsOf) && c.Status != hotline.StatusApproved {
			cs.Overdue = append(cs.Overdue, OverdueCase{ID: c.ID, Number: c.Number, Status: c.Status, OwnerID: c.OwnerID,
				Owner: names[c.OwnerID], DueAt: c.DueAt, DaysOverdue: int(o.AsOf.Sub(c.DueAt) / (24 * time.Hour))})
		}
	}
	cs.ByType = counts(byType, nil)
	cs.ByTopic = counts(byTopic, titles)
	cs.ByStatus = counts(byStatus, nil)
	slices.SortFunc(cs.Overdue, func(a, b OverdueCase) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ID, b.ID))
	})
	return cs
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// counts orders a breakdown by count, largest first, then by key.
func counts(m map[string]int, labels map[string]string) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Key: k, Label: labels[k], N: n})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Key, b.Key)) })
	return out
}

// callbackWalk counts callbacks as callbackStats does, from the status changes given in
// callbackStats' order (by time, then as recorded), each with its case's due date: a request's
// outcome is the next change of its case out of «Отсроченный ответ», so it holds only the
// requests not yet followed by one (their deadlines, by case).
type callbackWalk struct {
	o    Options // From, To, AsOf, CallbackWithin
	open map[int64][]time.Time
	cb   CallbackStats
}

func (w *callbackWalk) push(c StatusChange, due time.Time) {
	if c.From == hotline.StatusDelayedAnswer { // the next change out, for every open request of the case
		for _, deadline := range w.open[c.CaseID] {
			if c.To == hotline.StatusInProgress && !c.At.After(w.o.AsOf) {
				w.cb.Made++
				if !c.At.After(deadline) {
					w.cb.Kept++
				}
			} else {
				w.cb.Pending++
			}
		}
		delete(w.open, c.CaseID)
		return
	}
	if c.To != hotline.StatusDelayedAnswer || !inRange(c.At, w.o.From, w.o.To) {
		return
	}
	w.cb.Requested++
	deadline := c.At.Add(w.o.CallbackWithin)
	if !due.IsZero() && due.After(c.At) {
		deadline = due
	}
	w.open[c.CaseID] = append(w.open[c.CaseID], deadline)
}

// done counts the requests no change followed as pending.
func (w *callbackWalk) done() CallbackStats {
	for _, ds := range w.open {
		w.cb.Pending += len(ds)
	}
	w.cb.KeptRate = pct(w.cb.Kept, w.cb.Requested)
	return w.cb
}

// callbackStats follows each case that became «Отсроченный ответ» in the range to the first
// time it left that status.
func callbackStats(changes []StatusChange, cases []hotline.Case, o Options) CallbackStats {
	due := map[int64]time.Time{}
	for _, c := range cases {
		due[c.ID] = c.DueAt
	}
	ch := slices.Clone(changes)
	slices.SortStableFunc(ch, func(a, b StatusChange) int { return a.At.Compare(b.At) })
	var cb CallbackStats
	for i, req := range ch {
		if req.To != hotline.StatusDelayedAnswer || req.From == hotline.StatusDelayedAnswer || !inRange(req.At, o.From, o.To) {
			continue
		}
		cb.Requested++
		deadline := req.At.Add(o.CallbackWithin)
		if d := due[req.CaseID]; !d.IsZero() && d.After(req.At) {
			deadline = d
		}
		made := false
		for _, next := range ch[i+1:] {
			if next.CaseID != req.CaseID || next.From != hotline.StatusDelayedAnswer {
				continue
			}
			if next.At.After(o.AsOf) {
				break
			}
			if next.To == hotline.StatusInProgress {
				made = true
				cb.Made++
				if !next.At.After(deadline) {
					cb.Kept++
				}
			}
			break
		}
		if !made {
			cb.Pending++
		}
	}
	cb.KeptRate = pct(cb.Kept, cb.Requested)
	return cb
}
