package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
)

// The call figures of a report summed by the database, not leg by leg in Go: a report over
// three years of a fund's calls (a million legs) reads a few thousand rows of sums instead of a
// million legs. docs/reports.md defines every figure; package report's Compute, over the legs
// themselves, is the reference the sums are tested against (report's TestReportSummedAsComputed).

// LegSumsQuery says which legs to sum and how.
type LegSumsQuery struct {
	// From, To: the legs that arrived in [From, To) are counted.
	From, To time.Time
	// WrapUntil: the legs that arrived in [From, WrapUntil) (WrapUntil ≥ To) cut the wrap-up of
	// the counted ones: an operator's wrap-up ends when they answer their next leg.
	WrapUntil time.Time
	// WrapUp is the wrap-up given each answered, ended leg of an operator (zero: none).
	WrapUp time.Duration
	// SLTargets: Within[i] counts the answered calls whose queue wait was at most SLTargets[i].
	SLTargets []time.Duration
	// ShortAbandon: a call abandoned after a queue wait shorter than this is short abandoned.
	ShortAbandon time.Duration
	// Zone gives the offset from UTC, in seconds, of the local time at a moment: days and hours
	// are the local ones. It is asked about the moments between a day before From and a year
	// after To (a leg answered more than a year after it arrived takes the offset then).
	Zone func(time.Time) int
}

// Kinds of LegSums rows.
const (
	SumsByTime     = "time"     // one local day and hour of arrival
	SumsByTopic    = "topic"    // one case topic ("" for calls without a case or a topic)
	SumsByOperator = "operator" // one operator's answered legs
)

// LegSums are the sums of one group of legs. Times and durations are in milliseconds.
type LegSums struct {
	Kind string
	// Day (days since 1970-01-01 of the local calendar) and Hour (0–23) of arrival: SumsByTime.
	Day  int64
	Hour int
	// Topic: SumsByTopic.
	Topic string
	// OperatorID: SumsByOperator.
	OperatorID int64

	// Calls (legs not transferred to their operator), SumsByTime and SumsByTopic.
	Offered, Answered, Abandoned, ShortAbandoned, Overflow, Failed, InProgress int
	Within                                                                     []int // per SLTargets
	MaxWaitMS                                                                  int64 // the longest queue wait of an ended or answered call
	WaitAnsweredMS                                                             int64 // the queue waits of answered calls

	// Answered legs, every kind.
	Handled     int
	Transferred int   // of those, ended in a transfer
	TalkMS      int64 // answer to end
	// Wrap-up: WrapFull legs were given the whole WrapUp, the others WrapCutMS together (each cut
	// at its operator's next answer).
	WrapFull  int
	WrapCutMS int64

	// SumsByOperator only.
	TransferredIn  int   // legs transferred to this operator
	FromQueue      int   // calls answered from the queue
	FromQueueMS    int64 // their queue waits
	ObservedSpanNS int64 // per local day of answer, first answer to the last end plus wrap-up, summed
}

// LegSums sums the legs of q's range and calls fn with each row: by local day and hour of
// arrival, by topic, by operator. Nothing grows in memory with the range: the database groups.
func (s *Store) LegSums(ctx context.Context, q LegSumsQuery, fn func(LegSums) error) error {
	if q.Zone == nil {
		q.Zone = func(time.Time) int { return 0 }
	}
	if q.WrapUntil.Before(q.To) {
		q.WrapUntil = q.To
	}
	query := legSumsQuery(q)
	rows, err := s.r.QueryContext(ctx, query, q.From.UnixMilli(), q.WrapUntil.UnixMilli())
	if err != nil {
		return s.dbError(err, "sum call legs")
	}
	defer rows.Close()
	for rows.Next() {
		r := LegSums{Within: make([]int, len(q.SLTargets))}
		dest := []any{&r.Kind, &r.Day, &r.Hour, &r.Topic, &r.OperatorID,
			&r.Offered, &r.Answered, &r.Abandoned, &r.ShortAbandoned, &r.Overflow, &r.Failed, &r.InProgress,
			&r.MaxWaitMS, &r.WaitAnsweredMS, &r.Handled, &r.Transferred, &r.TalkMS, &r.WrapFull, &r.WrapCutMS,
			&r.TransferredIn, &r.FromQueue, &r.FromQueueMS, &r.ObservedSpanNS}
		for i := range r.Within {
			dest = append(dest, &r.Within[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return s.dbError(err, "sum call legs")
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.dbError(err, "sum call legs")
	}
	return nil
}

// zoneCase is an SQL expression of the local time, in ms, of the moment col (Unix ms): col plus
// the zone's offset, which changes at the zone's transitions between from and until.
func zoneCase(col string, zone func(time.Time) int, from, until time.Time) string {
	var whens strings.Builder
	t := from
	for i := 0; i < 200 && t.Before(until); i++ {
		next := nextOffsetChange(zone, t, until)
		if next.IsZero() {
			break
		}
		fmt.Fprintf(&whens, " WHEN %s < %d THEN %d", col, next.UnixMilli(), int64(zone(t))*1000)
		t = next
	}
	last := int64(zone(t)) * 1000
	if whens.Len() == 0 {
		return fmt.Sprintf("(%s + %d)", col, last)
	}
	return fmt.Sprintf("(%s + CASE%s ELSE %d END)", col, whens.String(), last)
}

// nextOffsetChange is the first moment after t, before until, at which zone's offset differs
// from t's (to the millisecond), or zero when there is none. Offsets change rarely (twice a year
// at most): it steps by a day and then narrows the change down.
func nextOffsetChange(zone func(time.Time) int, t, until time.Time) time.Time {
	off := zone(t)
	lo := t
	for hi := t.Add(24 * time.Hour); ; hi = hi.Add(24 * time.Hour) {
		if !hi.Before(until) {
			hi = until
		}
		if zone(hi) != off {
			for hi.Sub(lo) > time.Millisecond { // zone(lo) == off, zone(hi) != off
				mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Millisecond)
				if mid.Equal(lo) {
					mid = lo.Add(time.Millisecond)
				}
				if zone(mid) == off {
					lo = mid
				} else {
					hi = mid
				}
			}
			return hi
		}
		if hi.Equal(until) {
			return time.Time{}
		}
		lo = hi
	}
}

// legSumsQuery is LegSums' statement: the range's legs with each one's wrap-up (its operator's
// next answer, by a window over the operator's answered legs, in the order of the answers, then
// of arrival and id), materialized once and summed three ways. Thresholds are integers written
// into the statement; the range is its two parameters (from, wrapUntil).
func legSumsQuery(q LegSumsQuery) string {
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	ceilMS := func(d time.Duration) int64 { return int64((d + time.Millisecond - 1) / time.Millisecond) }
	to := i64(q.To.UnixMilli())
	// A gap shorter than WrapUp (ns) is, in whole ms, one shorter than WrapUp rounded up.
	wrapCeil := i64(ceilMS(q.WrapUp))
	zoneFrom, zoneUntil := q.From.Add(-24*time.Hour), q.To.AddDate(1, 0, 0)
	localArr := zoneCase("arr", q.Zone, zoneFrom, zoneUntil)
	localAns := zoneCase("ans", q.Zone, zoneFrom, zoneUntil)

	callSums := `CAST(sum(inb) AS BIGINT),
		CAST(sum(CASE WHEN inb = 1 AND ans IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
		CAST(sum(CASE WHEN inb = 1 AND ans IS NULL AND e IS NOT NULL AND er = 'abandoned' AND wait >= ` + i64(ceilMS(q.ShortAbandon)) + ` THEN 1 ELSE 0 END) AS BIGINT),
		CAST(sum(CASE WHEN inb = 1 AND ans IS NULL AND e IS NOT NULL AND er = 'abandoned' AND wait < ` + i64(ceilMS(q.ShortAbandon)) + ` THEN 1 ELSE 0 END) AS BIGINT),
		CAST(sum(CASE WHEN inb = 1 AND ans IS NULL AND e IS NOT NULL AND er = 'overflow' THEN 1 ELSE 0 END) AS BIGINT),
		CAST(sum(CASE WHEN inb = 1 AND ans IS NULL AND e IS NOT NULL AND er NOT IN ('abandoned', 'overflow') THEN 1 ELSE 0 END) AS BIGINT),
		CAST(sum(CASE WHEN inb = 1 AND ans IS NULL AND e IS NULL THEN 1 ELSE 0 END) AS BIGINT),
		CAST(COALESCE(max(CASE WHEN inb = 1 AND (ans IS NOT NULL OR e IS NOT NULL) THEN wait END), 0) AS BIGINT),
		CAST(COALESCE(sum(CASE WHEN inb = 1 AND ans IS NOT NULL THEN wait ELSE 0 END), 0) AS BIGINT),
		CAST(sum(CASE WHEN ans IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
		CAST(sum(CASE WHEN ans IS NOT NULL AND er = 'transferred' THEN 1 ELSE 0 END) AS BIGINT),
		CAST(sum(talk) AS BIGINT), CAST(sum(wfull) AS BIGINT), CAST(sum(wcut) AS BIGINT),
		0, 0, 0, 0`
	for _, t := range q.SLTargets {
		callSums += `,
		CAST(sum(CASE WHEN inb = 1 AND ans IS NOT NULL AND wait <= ` + i64(int64(t/time.Millisecond)) + ` THEN 1 ELSE 0 END) AS BIGINT)`
	}
	opWithin := strings.Repeat(", 0", len(q.SLTargets))

	// The topic is the one the leg carries (legs.call_topic, migration 0019): the call's first
	// case's, as CallRecords looks it up.
	return `WITH b AS MATERIALIZED (
		SELECT l.id, l.arrived_at AS arr, CASE WHEN l.operator_id <> 0 THEN l.operator_id END AS op,
			CASE WHEN l.transferred_from IS NULL OR l.transferred_from = 0 THEN 1 ELSE 0 END AS inb,
			l.answered_at AS ans, l.ended_at AS e, l.end_reason AS er,
			CASE WHEN l.queued_at IS NULL THEN 0
				WHEN l.answered_at IS NOT NULL THEN CASE WHEN l.answered_at >= l.queued_at THEN l.answered_at - l.queued_at ELSE 0 END
				WHEN l.ended_at IS NOT NULL AND l.ended_at >= l.queued_at THEN l.ended_at - l.queued_at ELSE 0 END AS wait,
			CASE WHEN l.answered_at IS NOT NULL AND l.ended_at >= l.answered_at THEN l.ended_at - l.answered_at ELSE 0 END AS talk,
			COALESCE(l.call_topic, '') AS topic
		FROM legs l WHERE l.arrived_at >= ? AND l.arrived_at < ?),
	w AS MATERIALIZED (
		SELECT arr, op, inb, ans, e, er, wait, talk, topic,
			CASE WHEN op IS NOT NULL AND ans IS NOT NULL AND e IS NOT NULL AND (nxt IS NULL OR nxt - e >= ` + wrapCeil + `) THEN 1 ELSE 0 END AS wfull,
			CASE WHEN op IS NOT NULL AND ans IS NOT NULL AND e IS NOT NULL AND nxt - e < ` + wrapCeil + `
				THEN CASE WHEN nxt > e THEN nxt - e ELSE 0 END ELSE 0 END AS wcut
		FROM (SELECT b.*, CASE WHEN op IS NOT NULL AND ans IS NOT NULL THEN
				LEAD(ans) OVER (PARTITION BY op, ans IS NULL ORDER BY ans, arr, id) END AS nxt FROM b) AS x)
	SELECT '` + SumsByTime + `', ` + localArr + ` / 86400000, (` + localArr + ` / 3600000) % 24, '', 0, ` + callSums + `
	FROM w WHERE arr < ` + to + ` GROUP BY 2, 3
	UNION ALL
	SELECT '` + SumsByTopic + `', 0, 0, topic, 0, ` + callSums + ` FROM w WHERE arr < ` + to + ` GROUP BY topic
	UNION ALL
	SELECT '` + SumsByOperator + `', 0, 0, '', op, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		CAST(sum(handled) AS BIGINT), CAST(sum(transferred) AS BIGINT), CAST(sum(talk) AS BIGINT),
		CAST(sum(wfull) AS BIGINT), CAST(sum(wcut) AS BIGINT), CAST(sum(tin) AS BIGINT),
		CAST(sum(fq) AS BIGINT), CAST(sum(fqwait) AS BIGINT), CAST(sum(span) AS BIGINT)` + opWithin + ` FROM (
		SELECT op, ` + localAns + ` / 86400000 AS aday, count(*) AS handled,
			sum(CASE WHEN er = 'transferred' THEN 1 ELSE 0 END) AS transferred, sum(talk) AS talk,
			sum(wfull) AS wfull, sum(wcut) AS wcut, sum(1 - inb) AS tin, sum(inb) AS fq,
			sum(CASE WHEN inb = 1 THEN wait ELSE 0 END) AS fqwait,
			max(COALESCE(e, ans) * 1000000 + wfull * ` + i64(int64(q.WrapUp)) + ` + wcut * 1000000) - min(ans) * 1000000 AS span
		FROM w WHERE arr < ` + to + ` AND op IS NOT NULL AND ans IS NOT NULL GROUP BY op, 2) AS o GROUP BY op`
}

// EachPresence gives fn the events PresenceHistory returns for everyone, in the same order, as
// it reads them: a report over years walks each operator's presence without holding the events
// (187,680 of them for 60 operators over three years). It reads operator by operator, each in the
// order of the index operator_presence (operator_id, at, id), so nothing is sorted: the one
// statement of PresenceHistory sorted the range's events as a whole. Each event has what a report
// counts (operator, time, presence, pause reason), not How and Actor: those two strings per event
// were a third of the driver's work, and the few presences and reasons are kept once.
func (s *Store) EachPresence(ctx context.Context, from, to time.Time, fn func(hotline.PresenceEvent) error) error {
	if !to.After(from) {
		return hotline.Errorf(hotline.EINVALID, "presence history: the period ends (%s) before it starts (%s)",
			to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	var ops []int64
	if err := s.r.SelectContext(ctx, &ops, `SELECT id FROM operators ORDER BY id`); err != nil {
		return s.dbError(err, "read presence history")
	}
	presences, reasons := map[string]hotline.Presence{}, map[string]string{}
	each := func(q string, args ...any) error {
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return s.dbError(err, "read presence history")
		}
		defer rows.Close()
		var (
			op, at           int64
			presence, reason sql.RawBytes
		)
		for rows.Next() {
			if err := rows.Scan(&op, &at, &presence, &reason); err != nil {
				return s.dbError(err, "read presence history")
			}
			p, ok := presences[string(presence)]
			if !ok {
				p = hotline.Presence(presence)
				presences[string(p)] = p
			}
			r, ok := reasons[string(reason)]
			if !ok {
				r = string(reason)
				reasons[r] = r
			}
			if err := fn(hotline.PresenceEvent{OperatorID: op, At: time.UnixMilli(at).UTC(), Presence: p, Reason: r}); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return s.dbError(err, "read presence history")
		}
		return nil
	}
	const cols = `operator_id, at, presence, reason`
	for _, op := range ops {
		if err := each(`SELECT `+cols+` FROM operator_presence WHERE operator_id = ? AND at < ?
			ORDER BY at DESC, id DESC LIMIT 1`, op, from.UnixMilli()); err != nil {
			return err
		}
		if err := each(`SELECT `+cols+` FROM operator_presence WHERE operator_id = ? AND at >= ? AND at < ?
			ORDER BY at, id`, op, from.UnixMilli(), to.UnixMilli()); err != nil {
			return err
		}
	}
	return nil
}
