package journal

import (
	"context"
	"database/sql"
	"iter"
	"time"

	"github.com/hotline-dev/hotline"
)

// CallRecord is one leg of a call with what reports and exports need of its call and its case.
type CallRecord struct {
	hotline.Leg
	Outcome hotline.CallOutcome // the call's outcome ("" while it lasts)
	Line    string              // the hotline number the caller dialled (the dialplan's extension)
	// The case the call was registered under (the first attached; a call on several cases counts
	// once, under the first): "" when no one registered it.
	CaseNumber string
	Topic      string           // the case's topic code; "" when none
	Type       hotline.CaseType // the case's type; "" when none
}

type callRecordRow struct {
	legRow
	CallerNumber  string         `db:"caller_number"`
	Outcome       string         `db:"outcome"`
	Line          string         `db:"line"`
	CaseID        sql.NullInt64  `db:"case_id"`
	CaseCreatedAt sql.NullInt64  `db:"case_created_at"`
	Topic         sql.NullString `db:"topic"`
	Type          sql.NullString `db:"type"`
}

// CallRecords returns the legs that arrived in [from, to), oldest first (then by id), each with
// its call's number and outcome and its case's number, topic and type: reports and exports read a
// period's calls in bulk with it. A zero from means since the beginning, a zero to without end. It
// only reads, on the query-only pool, so it works on a journal opened read-only.
func (s *Store) CallRecords(ctx context.Context, from, to time.Time) ([]CallRecord, error) {
	var out []CallRecord
	err := s.EachCallRecord(ctx, from, to, func(r CallRecord) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachCallRecord gives fn the legs CallRecords returns, in the same order, as it reads them: a
// report or an export over years of calls holds one at a time, not all of them. An error from
// fn stops the reading and is returned.
func (s *Store) EachCallRecord(ctx context.Context, from, to time.Time, fn func(CallRecord) error) error {
	return s.eachCallRecord(ctx, byLegArrival, from, to, fn)
}

// EachCallRecordByCall gives fn the legs of the calls that arrived in [from, to) (a zero bound
// is none), call by call in order of arrival (then of filing), each call's legs together in the
// order they were filed: the exports read whole calls with it, one at a time.
func (s *Store) EachCallRecordByCall(ctx context.Context, from, to time.Time, fn func(CallRecord) error) error {
	return s.eachCallRecord(ctx, byCallArrival, from, to, fn)
}

// msRange is [from, to) in Unix ms, a zero bound being none.
func msRange(from, to time.Time) (int64, int64) {
	var fromMS, toMS int64 = -1 << 63, 1<<63 - 1
	if !from.IsZero() {
		fromMS = from.UnixMilli()
	}
	if !to.IsZero() {
		toMS = to.UnixMilli()
	}
	return fromMS, toMS
}

// LegCount counts the legs of the calls that arrived in [from, to) (a zero bound is none), those
// EachCallRecordByCall gives: the total of an export's progress.
func (s *Store) LegCount(ctx context.Context, from, to time.Time) (int, error) {
	fromMS, toMS := msRange(from, to)
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM calls c JOIN legs l ON l.call_ref = c.id
		WHERE c.arrived_at >= ? AND c.arrived_at < ?`, fromMS, toMS); err != nil {
		return 0, s.dbError(err, "count call legs")
	}
	return n, nil
}

// QueueEntry is one stay of a leg in the queue: from QueuedAt until it was answered or ended
// (zero: neither yet).
type QueueEntry struct {
	LegID                         int64
	QueuedAt, AnsweredAt, EndedAt time.Time
}

// QueueEntries yields the legs that were queued, of the calls that arrived in [from, to) (the
// legs EachCallRecordByCall gives), in the order they joined the queue (then by id): the
// exports count callers' queue positions as they read. SQLite sorts them on disk, so memory
// does not grow with the range.
func (s *Store) QueueEntries(ctx context.Context, from, to time.Time) iter.Seq2[QueueEntry, error] {
	return func(yield func(QueueEntry, error) bool) {
		fromMS, toMS := msRange(from, to)
		rows, err := s.r.QueryContext(ctx, `SELECT l.id, l.queued_at, l.answered_at, l.ended_at FROM calls c
			JOIN legs l ON l.call_ref = c.id
			WHERE c.arrived_at >= ? AND c.arrived_at < ? AND l.queued_at IS NOT NULL ORDER BY l.queued_at, l.id`, fromMS, toMS)
		if err != nil {
			yield(QueueEntry{}, s.dbError(err, "read queue entries"))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var e QueueEntry
			var q int64
			var a, end sql.NullInt64
			if err := rows.Scan(&e.LegID, &q, &a, &end); err != nil {
				yield(QueueEntry{}, s.dbError(err, "read queue entries"))
				return
			}
			e.QueuedAt = time.UnixMilli(q).UTC()
			if a.Valid {
				e.AnsweredAt = time.UnixMilli(a.Int64).UTC()
			}
			if end.Valid {
				e.EndedAt = time.UnixMilli(end.Int64).UTC()
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(QueueEntry{}, s.dbError(err, "read queue entries"))
		}
	}
}

// The orders of the call records' reads: by leg arrival (reports), by call (exports).
const (
	byLegArrival  = `l.arrived_at >= ? AND l.arrived_at < ? ORDER BY l.arrived_at, l.id`
	byCallArrival = `c.arrived_at >= ? AND c.arrived_at < ? ORDER BY c.arrived_at, c.id`
)

// callRecordQuery reads legs with their call and case, in a range and order (whereOrder).
func callRecordQuery(whereOrder string) string {
	return `SELECT ` + legCols + `, c.caller_number, c.outcome, c.line,
			k.id AS case_id, k.created_at AS case_created_at, k.topic, k.type` + legsFrom + `
		LEFT JOIN cases k ON k.id = (SELECT cc.case_id FROM case_calls cc WHERE cc.call_ref = c.id ORDER BY cc.attached_at, cc.case_id LIMIT 1)
		WHERE ` + whereOrder
}

func (s *Store) eachCallRecord(ctx context.Context, whereOrder string, from, to time.Time, fn func(CallRecord) error) error {
	fromMS, toMS := msRange(from, to)
	rows, err := s.r.QueryxContext(ctx, callRecordQuery(whereOrder), fromMS, toMS)
	if err != nil {
		return s.dbError(err, "read call legs")
	}
	defer rows.Close()
	for rows.Next() {
		var r callRecordRow
		if err := rows.StructScan(&r); err != nil {
			return s.dbError(err, "read call legs")
		}
		rec := CallRecord{Leg: r.leg(), Outcome: hotline.CallOutcome(r.Outcome), Line: r.Line, Topic: r.Topic.String, Type: hotline.CaseType(r.Type.String)}
		rec.CallerNumber = r.CallerNumber
		if r.CaseID.Valid {
			rec.CaseNumber = CaseNumber(time.UnixMilli(r.CaseCreatedAt.Int64).UTC(), r.CaseID.Int64)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.dbError(err, "read call legs")
	}
	return nil
}
