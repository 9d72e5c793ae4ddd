package journal

import (
	"context"
	"database/sql"
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
	var fromMS, toMS int64 = -1 << 63, 1<<63 - 1
	if !from.IsZero() {
		fromMS = from.UnixMilli()
	}
	if !to.IsZero() {
		toMS = to.UnixMilli()
	}
	rows, err := s.r.QueryxContext(ctx, `SELECT `+legCols+`, c.caller_number, c.outcome, c.line,
			k.id AS case_id, k.created_at AS case_created_at, k.topic, k.type`+legsFrom+`
		LEFT JOIN cases k ON k.id = (SELECT cc.case_id FROM case_calls cc WHERE cc.call_ref = c.id ORDER BY cc.attached_at, cc.case_id LIMIT 1)
		WHERE l.arrived_at >= ? AND l.arrived_at < ? ORDER BY l.arrived_at, l.id`, fromMS, toMS)
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
