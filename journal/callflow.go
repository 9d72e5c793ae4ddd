package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

const legCols = `id, case_id, call_id, caller_number, operator_id, arrived_at, greeting_end_at, queued_at, answered_at, ended_at, end_reason, recording_name, transferred_from`

type legRow struct {
	ID              int64         `db:"id"`
	CaseID          int64         `db:"case_id"`
	CallID          string        `db:"call_id"`
	CallerNumber    string        `db:"caller_number"`
	OperatorID      sql.NullInt64 `db:"operator_id"`
	ArrivedAt       sql.NullInt64 `db:"arrived_at"`
	GreetingEndAt   sql.NullInt64 `db:"greeting_end_at"`
	QueuedAt        sql.NullInt64 `db:"queued_at"`
	AnsweredAt      sql.NullInt64 `db:"answered_at"`
	EndedAt         sql.NullInt64 `db:"ended_at"`
	EndReason       string        `db:"end_reason"`
	RecordingName   string        `db:"recording_name"`
	TransferredFrom sql.NullInt64 `db:"transferred_from"`
}

func (r legRow) leg() hotline.Leg {
	return hotline.Leg{ID: r.ID, CaseID: r.CaseID, CallID: r.CallID, CallerNumber: r.CallerNumber, OperatorID: r.OperatorID.Int64,
		ArrivedAt: fromMS(r.ArrivedAt), GreetingEndAt: fromMS(r.GreetingEndAt), QueuedAt: fromMS(r.QueuedAt),
		AnsweredAt: fromMS(r.AnsweredAt), EndedAt: fromMS(r.EndedAt), End: hotline.LegEnd(r.EndReason),
		RecordingName: r.RecordingName, TransferredFrom: r.TransferredFrom.Int64}
}

func legFields(l hotline.Leg) map[string]string {
	return map[string]string{
		"call_id": l.CallID, "caller_number": l.CallerNumber, "operator_id": idField(l.OperatorID),
		"arrived_at": timeField(l.ArrivedAt), "greeting_end_at": timeField(l.GreetingEndAt), "queued_at": timeField(l.QueuedAt),
		"answered_at": timeField(l.AnsweredAt), "ended_at": timeField(l.EndedAt), "end": string(l.End),
		"recording_name": l.RecordingName, "transferred_from": idField(l.TransferredFrom),
	}
}

// SaveLeg records a call leg of a case as the system: inserted when l.ID is 0 (l.ID is set),
// otherwise updated in full (times, operator, end, recording, transfer). A leg's case never
// changes. Both leave a history event with what changed.
func (s *Store) SaveLeg(ctx context.Context, l *hotline.Leg) error {
	l.CallerNumber = hotline.NormalizePhone(l.CallerNumber)
	if err := l.Validate(); err != nil {
		return err
	}
	return s.write(ctx, "save call leg", func(tx *sqlx.Tx) error {
		for _, id := range []int64{l.OperatorID, l.TransferredFrom} {
			if id != 0 {
				if _, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", id), `id = ?`, id); err != nil {
					return err
				}
			}
		}
		if l.ID == 0 {
			if _, err := getCase(ctx, tx, l.CaseID); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO legs (case_id, call_id, caller_number, operator_id, arrived_at, greeting_end_at,
				queued_at, answered_at, ended_at, end_reason, recording_name, transferred_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				l.CaseID, l.CallID, l.CallerNumber, nullID(l.OperatorID), ms(l.ArrivedAt), ms(l.GreetingEndAt), ms(l.QueuedAt),
				ms(l.AnsweredAt), ms(l.EndedAt), l.End, l.RecordingName, nullID(l.TransferredFrom))
			if err != nil {
				return err
			}
			if l.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			return s.record(ctx, tx, hotline.SystemActor, "leg", l.ID, l.CaseID, "created", diff(nil, legFields(*l)))
		}
		var r legRow
		if err := tx.GetContext(ctx, &r, `SELECT `+legCols+` FROM legs WHERE id = ?`, l.ID); err != nil {
			if err == sql.ErrNoRows {
				return hotline.Errorf(hotline.ENOTFOUND, "no call leg %d", l.ID)
			}
			return err
		}
		before := r.leg()
		if l.CaseID != before.CaseID {
			return hotline.Errorf(hotline.EINVALID, "call leg %d belongs to case #%d, not #%d", l.ID, before.CaseID, l.CaseID)
		}
		changes := diff(legFields(before), legFields(*l))
		if len(changes) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE legs SET call_id = ?, caller_number = ?, operator_id = ?, arrived_at = ?, greeting_end_at = ?,
			queued_at = ?, answered_at = ?, ended_at = ?, end_reason = ?, recording_name = ?, transferred_from = ? WHERE id = ?`,
			l.CallID, l.CallerNumber, nullID(l.OperatorID), ms(l.ArrivedAt), ms(l.GreetingEndAt), ms(l.QueuedAt), ms(l.AnsweredAt),
			ms(l.EndedAt), l.End, l.RecordingName, nullID(l.TransferredFrom), l.ID)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, hotline.SystemActor, "leg", l.ID, l.CaseID, "updated", changes)
	})
}

// Legs lists the calls of case id in the order they arrived.
func (s *Store) Legs(ctx context.Context, caseID int64) ([]hotline.Leg, error) {
	return s.selectLegs(ctx, `SELECT `+legCols+` FROM legs WHERE case_id = ? ORDER BY arrived_at, id`, caseID)
}

// OpenLegs lists legs that never ended: after a restart the call flow reconciles them with the
// channels Asterisk still has.
func (s *Store) OpenLegs(ctx context.Context) ([]hotline.Leg, error) {
	return s.selectLegs(ctx, `SELECT `+legCols+` FROM legs WHERE ended_at IS NULL ORDER BY arrived_at, id`)
}

func (s *Store) selectLegs(ctx context.Context, q string, args ...any) ([]hotline.Leg, error) {
	var rows []legRow
	if err := s.r.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, s.dbError(err, "list call legs")
	}
	out := make([]hotline.Leg, len(rows))
	for i, r := range rows {
		out[i] = r.leg()
	}
	return out, nil
}

// CallerOpenCases lists the caller's cases still «В работе» or «Отсроченный ответ», delayed
// answers first, newest first: a returning caller is routed to the owner of one of them.
func (s *Store) CallerOpenCases(ctx context.Context, number string) ([]hotline.Case, error) {
	n := hotline.NormalizePhone(number)
	if !hotline.ValidPhoneNumber(n) {
		return nil, hotline.Errorf(hotline.EINVALID, "invalid phone number %q", number)
	}
	return s.selectCases(ctx, `SELECT `+caseCols+` FROM cases WHERE caller_number = ? AND status IN ('delayed_answer', 'in_progress')
		ORDER BY status = 'delayed_answer' DESC, created_at DESC, id DESC LIMIT 50`, n)
}

// CallerOwner returns the active operator a returning caller should reach: the owner of their
// newest delayed answer, else of their newest case in progress. ok is false when there is none.
func (s *Store) CallerOwner(ctx context.Context, number string) (op hotline.Operator, c hotline.Case, ok bool, err error) {
	cs, err := s.CallerOpenCases(ctx, number)
	if err != nil {
		return op, c, false, err
	}
	for _, c := range cs {
		if c.OwnerID == 0 {
			continue
		}
		op, err := s.Operator(ctx, c.OwnerID)
		if err != nil {
			return op, c, false, err
		}
		if op.Active {
			return op, c, true, nil
		}
	}
	return op, c, false, nil
}

// WrapUp is what an operator keys on the handset after a call: the topic's number and a result
// digit (hotline.ResultByDigit), each 0 when not keyed.
type WrapUp struct {
	CaseID      int64
	OperatorID  int64 // who keyed it
	TopicNumber int
	ResultDigit int
	Comment     string // default: a note that the result was keyed on the handset
}

// ApplyWrapUp sets the topic (and with it the case type) and, when a result was keyed, closes the
// case with it, as the operator who keyed it, in one transaction. Forwarding and extension need
// a target or a date a handset cannot give: they are refused, to be done from the case card.
func (s *Store) ApplyWrapUp(ctx context.Context, w WrapUp) (hotline.Case, error) {
	op, err := s.Operator(ctx, w.OperatorID)
	if err != nil {
		return hotline.Case{}, err
	}
	by := hotline.Actor{Login: op.Login, OperatorID: op.ID, Role: op.Role}
	if by.Login == "" {
		by.Login = "operator:" + strconv.FormatInt(op.ID, 10)
	}
	var topic hotline.Topic
	if w.TopicNumber != 0 {
		if topic, err = s.TopicByNumber(ctx, w.TopicNumber); err != nil {
			return hotline.Case{}, err
		}
	}
	var result hotline.Result
	if w.ResultDigit != 0 {
		var ok bool
		if result, ok = hotline.ResultByDigit(w.ResultDigit); !ok {
			return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "unknown result digit %d (1 answered, 2 measures taken)", w.ResultDigit)
		}
		if result == hotline.ResultForwarded || result == hotline.ResultExtended {
			return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "result %s needs a target or a date: set it on the case card", result)
		}
	}
	comment := strings.TrimSpace(w.Comment)
	if comment == "" {
		comment = "result keyed on the handset in wrap-up"
	}
	return s.change(ctx, by, w.CaseID, "wrap-up", func(c *hotline.Case, now time.Time) error {
		if err := c.Editable(by); err != nil {
			return err
		}
		if topic.Code != "" {
			c.Topic, c.Type, c.UpdatedAt = topic.Code, topic.Type, now
		}
		if c.OwnerID == 0 {
			c.OwnerID = op.ID // the operator who answered owns the call's case
		}
		if result != "" {
			return c.Close(by, hotline.Closing{Result: result, Comment: comment}, now)
		}
		return nil
	})
}
