package journal

import (
	"context"
	"database/sql"
	"time"

	"github.com/hotline-dev/hotline"
)

// ReportLeg is a leg as a report counts it: its times, who answered it, how it ended, and its
// call's case's topic.
type ReportLeg struct {
	hotline.Leg
	Topic string // the topic of the first case the call was filed in ("" if none)
}

// EachReportLeg gives fn the legs that arrived in [from, until), in order of arrival (then id),
// as it reads them, each with only what a report counts: a report over years reads a million
// legs without holding them and without a sort (the index legs_arrived gives their order). The
// topic is the one CallRecords gives (the call's first case by attachment, then case id), as the
// leg carries it (legs.call_topic, kept by migration 0019's triggers): looked up for each leg it
// was three index searches, four fifths of the statement's work.
func (s *Store) EachReportLeg(ctx context.Context, from, until time.Time, fn func(ReportLeg) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT l.id, l.arrived_at, COALESCE(l.operator_id, 0), COALESCE(l.transferred_from, 0),
			COALESCE(l.queued_at, 0), COALESCE(l.answered_at, 0), COALESCE(l.ended_at, 0), l.end_reason,
			COALESCE(l.call_topic, '')
		FROM legs l WHERE l.arrived_at >= ? AND l.arrived_at < ? ORDER BY l.arrived_at, l.id`, from.UnixMilli(), until.UnixMilli())
	if err != nil {
		return s.dbError(err, "read call legs")
	}
	defer rows.Close()
	// The few end reasons and topics are kept once, not allocated for every leg.
	ends, topics := map[string]hotline.LegEnd{}, map[string]string{}
	var (
		arr, queued, answered, ended int64
		end, topic                   sql.RawBytes
	)
	ms := func(v int64) time.Time {
		if v == 0 {
			return time.Time{}
		}
		return time.UnixMilli(v).UTC()
	}
	for rows.Next() {
		var l ReportLeg
		if err := rows.Scan(&l.ID, &arr, &l.OperatorID, &l.TransferredFrom, &queued, &answered, &ended, &end, &topic); err != nil {
			return s.dbError(err, "read call legs")
		}
		l.ArrivedAt, l.QueuedAt, l.AnsweredAt, l.EndedAt = time.UnixMilli(arr).UTC(), ms(queued), ms(answered), ms(ended)
		e, ok := ends[string(end)]
		if !ok {
			e = hotline.LegEnd(end)
			ends[string(end)] = e
		}
		l.End = e
		tp, ok := topics[string(topic)]
		if !ok {
			tp = string(topic)
			topics[tp] = tp
		}
		l.Topic = tp
		if err := fn(l); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.dbError(err, "read call legs")
	}
	return nil
}
