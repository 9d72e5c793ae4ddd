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
			return s.insertLeg(ctx, tx, l)
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
		return s.updateLeg(ctx, tx, before, *l)
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
	return s.selectCases(ctx, `SELECT `+caseCols+` FROM cases WHERE caller_number <> '' AND caller_number = ? AND status IN ('delayed_answer', 'in_progress')
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

// CallCase is the case a call was filed under (what the switchboard's StartCall returns).
type CallCase struct {
	CaseID    int64
	Number    string
	OwnerID   int64 // 0: none yet
	Returning bool  // the caller already had this case open or awaiting a callback
}

// callerNumber keeps a caller id only when it is a phone number: Asterisk may report "anonymous",
// "unknown" or a name, which must not block filing the call.
func (s *Store) callerNumber(callID, raw string) string {
	n := hotline.NormalizePhone(raw)
	if n != "" && !hotline.ValidPhoneNumber(n) {
		s.log.Warn("journal: caller id is not a phone number; filed without it", "call", callID, "caller_id", raw)
		return ""
	}
	return n
}

// StartCall files an arriving call (leg.CallID, leg.CallerNumber, leg.ArrivedAt): the leg goes on
// the caller's newest delayed-answer or in-progress case when there is one (a returning caller,
// routed to that case's owner), else on a new phone case. One transaction.
func (s *Store) StartCall(ctx context.Context, leg hotline.Leg) (CallCase, error) {
	if leg.CallID == "" {
		return CallCase{}, hotline.Errorf(hotline.EINVALID, "a call needs its channel id")
	}
	leg.CallerNumber = s.callerNumber(leg.CallID, leg.CallerNumber)
	leg.ID, leg.OperatorID, leg.End = 0, 0, ""
	if err := leg.Validate(); err != nil {
		return CallCase{}, err
	}
	var cc CallCase
	err := s.write(ctx, "file call", func(tx *sqlx.Tx) error {
		var c hotline.Case
		if leg.CallerNumber != "" {
			var r caseRow
			err := tx.GetContext(ctx, &r, `SELECT `+caseCols+` FROM cases WHERE caller_number <> '' AND caller_number = ? AND status IN ('delayed_answer', 'in_progress')
				ORDER BY status = 'delayed_answer' DESC, created_at DESC, id DESC LIMIT 1`, leg.CallerNumber)
			switch {
			case err == nil:
				c, cc.Returning = r.toCase(), true
			case err != sql.ErrNoRows:
				return err
			}
		}
		if !cc.Returning {
			c = hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: leg.CallerNumber, CreatedAt: leg.ArrivedAt}
			if err := s.prepareNew(hotline.SystemActor, &c); err != nil {
				return err
			}
			if err := s.insertCase(ctx, tx, hotline.SystemActor, &c); err != nil {
				return err
			}
		}
		leg.CaseID = c.ID
		if err := s.insertLeg(ctx, tx, &leg); err != nil {
			return err
		}
		cc.CaseID, cc.Number, cc.OwnerID = c.ID, c.Number, c.OwnerID
		return nil
	})
	return cc, err
}

func (s *Store) insertLeg(ctx context.Context, tx *sqlx.Tx, l *hotline.Leg) error {
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

// callLeg returns the newest leg of call callID.
func callLeg(ctx context.Context, q querier, callID string) (hotline.Leg, error) {
	var r legRow
	if err := q.GetContext(ctx, &r, `SELECT `+legCols+` FROM legs WHERE call_id = ? AND call_id <> '' ORDER BY id DESC LIMIT 1`, callID); err != nil {
		if err == sql.ErrNoRows {
			return hotline.Leg{}, hotline.Errorf(hotline.ENOTFOUND, "no call %q in the journal (StartCall first)", callID)
		}
		return hotline.Leg{}, err
	}
	return r.leg(), nil
}

// SaveCallLeg updates the newest leg of call leg.CallID with the call's times, operator,
// recording and end. A transfer (TransferredFrom set, another operator, the stored leg ended)
// adds a new leg on the same case. A leg with an operator makes that operator the owner of a case
// that has none. One transaction, with history.
func (s *Store) SaveCallLeg(ctx context.Context, leg hotline.Leg) error {
	leg.CallerNumber = s.callerNumber(leg.CallID, leg.CallerNumber)
	if err := leg.Validate(); err != nil {
		return err
	}
	return s.write(ctx, "save call leg", func(tx *sqlx.Tx) error {
		stored, err := callLeg(ctx, tx, leg.CallID)
		if err != nil {
			return err
		}
		for _, id := range []int64{leg.OperatorID, leg.TransferredFrom} {
			if id != 0 {
				if _, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", id), `id = ?`, id); err != nil {
					return err
				}
			}
		}
		leg.CaseID = stored.CaseID
		if leg.TransferredFrom != 0 && !stored.EndedAt.IsZero() && stored.OperatorID != leg.OperatorID {
			leg.ID = 0
			err = s.insertLeg(ctx, tx, &leg)
		} else {
			leg.ID = stored.ID
			err = s.updateLeg(ctx, tx, stored, leg)
		}
		if err != nil || leg.OperatorID == 0 {
			return err
		}
		c, err := getCase(ctx, tx, leg.CaseID)
		if err != nil || c.OwnerID != 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET owner_id = ?, updated_at = ? WHERE id = ?`, leg.OperatorID, s.now().UnixMilli(), c.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, hotline.SystemActor, "case", c.ID, c.ID, "answered",
			[]Change{{Field: "owner_id", To: idField(leg.OperatorID)}})
	})
}

func (s *Store) updateLeg(ctx context.Context, tx *sqlx.Tx, before, l hotline.Leg) error {
	changes := diff(legFields(before), legFields(l))
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
}

// callCaseID is the case call callID was filed under.
func (s *Store) callCaseID(ctx context.Context, callID string) (int64, error) {
	l, err := callLeg(ctx, s.r, callID)
	if err != nil {
		return 0, s.dbError(err, "find call")
	}
	return l.CaseID, nil
}

// SetCallTopic records the topic an operator keyed on the handset (its number) for the case of
// call callID (ApplyWrapUp without a result).
func (s *Store) SetCallTopic(ctx context.Context, callID string, operatorID int64, topicNumber int) error {
	id, err := s.callCaseID(ctx, callID)
	if err != nil {
		return err
	}
	_, err = s.ApplyWrapUp(ctx, WrapUp{CaseID: id, OperatorID: operatorID, TopicNumber: topicNumber})
	return err
}

// AwaitCallback makes the case of call callID «Отсроченный ответ» owned by operatorID (0: not
// assigned yet): the caller asked to be called back (hotline.Case.AwaitCallback).
func (s *Store) AwaitCallback(ctx context.Context, callID string, operatorID int64) error {
	id, err := s.callCaseID(ctx, callID)
	if err != nil {
		return err
	}
	_, err = s.change(ctx, hotline.SystemActor, id, "callback requested", func(c *hotline.Case, now time.Time) error {
		return c.AwaitCallback(hotline.SystemActor, operatorID, now)
	})
	return err
}
