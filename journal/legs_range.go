package journal

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
)

// CallRecord is one call leg with the fields of its case that reports and exports need.
type CallRecord struct {
	hotline.Leg
	CaseNumber string           // the case's number, e.g. 2026-000123
	Topic      string           // the case's topic code; "" when none yet
	Type       hotline.CaseType // the case's type; "" when none yet
}

// callRecordRow is a legs row (legRow, legCols) joined with its case's columns.
type callRecordRow struct {
	legRow
	CaseCreatedAt int64          `db:"case_created_at"`
	Topic         sql.NullString `db:"topic"`
	Type          string         `db:"type"`
}

// legColsOf is legCols qualified by a table alias, for queries that join legs.
func legColsOf(alias string) string {
	return alias + "." + strings.ReplaceAll(legCols, ", ", ", "+alias+".")
}

// CallRecords returns the legs that arrived in [from, to), oldest first (then by id), each with
// its case's number, topic and type: reports and exports read a period's calls in bulk with it.
// A zero from means since the beginning, a zero to without end. It only reads, on the query-only
// pool, so it works on a journal opened read-only.
func (s *Store) CallRecords(ctx context.Context, from, to time.Time) ([]CallRecord, error) {
	var fromMS, toMS int64 = -1 << 63, 1<<63 - 1
	if !from.IsZero() {
		fromMS = from.UnixMilli()
	}
	if !to.IsZero() {
		toMS = to.UnixMilli()
	}
	var rows []callRecordRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+legColsOf("l")+`, c.created_at AS case_created_at, c.topic, c.type
		FROM legs l JOIN cases c ON c.id = l.case_id
		WHERE l.arrived_at >= ? AND l.arrived_at < ? ORDER BY l.arrived_at, l.id`, fromMS, toMS); err != nil {
		return nil, s.dbError(err, "read call legs")
	}
	out := make([]CallRecord, len(rows))
	for i, r := range rows {
		out[i] = CallRecord{Leg: r.leg(), CaseNumber: CaseNumber(time.UnixMilli(r.CaseCreatedAt).UTC(), r.CaseID),
			Topic: r.Topic.String, Type: hotline.CaseType(r.Type)}
	}
	return out, nil
}
