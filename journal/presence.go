package journal

import (
	"context"
	"database/sql"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

const presenceCols = `operator_id, at, presence, reason, how, actor`

type presenceRow struct {
	OperatorID int64         `db:"operator_id"`
	At         sql.NullInt64 `db:"at"`
	Presence   string        `db:"presence"`
	Reason     string        `db:"reason"`
	How        string        `db:"how"`
	Actor      string        `db:"actor"`
}

func (r presenceRow) event() hotline.PresenceEvent {
	return hotline.PresenceEvent{OperatorID: r.OperatorID, At: fromMS(r.At), Presence: hotline.Presence(r.Presence),
		Reason: r.Reason, How: hotline.PresenceHow(r.How), Actor: r.Actor}
}

// RecordPresence appends one change of an operator's standing presence. Like every write it
// commits (fsynced) before it returns.
func (s *Store) RecordPresence(ctx context.Context, e hotline.PresenceEvent) error {
	if err := e.Validate(); err != nil {
		return err
	}
	return s.write(ctx, "record operator presence", func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM operators WHERE id = ?`, e.OperatorID); err != nil {
			return err
		}
		if n == 0 {
			return hotline.Errorf(hotline.ENOTFOUND, "no operator with id %d: see `hotline operator list`", e.OperatorID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO operator_presence (`+presenceCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			e.OperatorID, ms(e.At), string(e.Presence), e.Reason, string(e.How), e.Actor)
		return err
	})
}

// PresenceHistory returns the presence events that shape [from, to) for one operator (operatorID
// > 0) or everyone (0), by operator then time: for each operator first the event in force at
// from (the last one before it, if any), then every event in [from, to). A zero from means since
// the beginning, a zero to until now.
func (s *Store) PresenceHistory(ctx context.Context, operatorID int64, from, to time.Time) ([]hotline.PresenceEvent, error) {
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return nil, hotline.Errorf(hotline.EINVALID, "presence history: the period ends (%s) before it starts (%s)",
			to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	var toMS int64 = 1<<63 - 1
	if !to.IsZero() {
		toMS = to.UnixMilli()
	}
	var fromMS int64 = -1 << 63
	if !from.IsZero() {
		fromMS = from.UnixMilli()
	}
	q := presenceHistoryQuery
	var rows []presenceRow
	if err := s.r.SelectContext(ctx, &rows, q, operatorID, fromMS, toMS); err != nil {
		return nil, s.dbError(err, "read presence history")
	}
	return presenceEvents(rows), nil
}

// presenceHistoryQuery reads the events that shape [?2, ?3) for operator ?1 (0: everyone), by
// operator then time. The event in force at ?2 is, per operator, the latest before it: one index
// seek each (operators drive the join so the whole table is never scanned).
const presenceHistoryQuery = `SELECT ` + presenceCols + ` FROM (
		SELECT p.* FROM operators o JOIN operator_presence p ON p.id = (
			SELECT q.id FROM operator_presence q WHERE q.operator_id = o.id AND q.at < ?2
			ORDER BY q.at DESC, q.id DESC LIMIT 1)
		WHERE ?1 = 0 OR o.id = ?1
		UNION ALL
		SELECT p.* FROM operator_presence p WHERE (?1 = 0 OR p.operator_id = ?1) AND p.at >= ?2 AND p.at < ?3) AS events
	ORDER BY operator_id, at, id`

// LastPresence returns each operator's latest presence event, by operator id; operators never
// recorded are absent (they are logged out).
func (s *Store) LastPresence(ctx context.Context) ([]hotline.PresenceEvent, error) {
	q := `SELECT ` + presenceCols + ` FROM operators o JOIN operator_presence p ON p.id = (
			SELECT q.id FROM operator_presence q WHERE q.operator_id = o.id ORDER BY q.at DESC, q.id DESC LIMIT 1)
		ORDER BY p.operator_id`
	var rows []presenceRow
	if err := s.r.SelectContext(ctx, &rows, q); err != nil {
		return nil, s.dbError(err, "read last presence")
	}
	return presenceEvents(rows), nil
}

func presenceEvents(rows []presenceRow) []hotline.PresenceEvent {
	out := make([]hotline.PresenceEvent, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out
}
