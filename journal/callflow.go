package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// The call flow's writes. Calls are addressed by the caller's Asterisk channel id (hotline.Leg.CallID,
// hotline.Call.Channel), which the switchboard knows from the first event, so no write waits for
// another's answer. A call never opens a case by arriving: cases are opened by people (the handset's
// topic key, the card, the CLI) and by the delayed-answer rule (a voice message, a callback).

const legCols = `l.id, c.channel AS call_id, l.operator_id, l.arrived_at, l.greeting_end_at, l.queued_at, l.rang_at, l.answered_at,
	l.ended_at, l.end_reason, l.recording_name, l.transferred_from, l.ended_away, l.hung_up_by, l.operator_channel, l.transfer_bridge`

// legsFrom is the FROM clause legCols needs.
const legsFrom = ` FROM legs l JOIN calls c ON c.id = l.call_ref `

type legRow struct {
	ID              int64         `db:"id"`
	CallID          string        `db:"call_id"`
	OperatorID      sql.NullInt64 `db:"operator_id"`
	ArrivedAt       sql.NullInt64 `db:"arrived_at"`
	GreetingEndAt   sql.NullInt64 `db:"greeting_end_at"`
	QueuedAt        sql.NullInt64 `db:"queued_at"`
	RangAt          sql.NullInt64 `db:"rang_at"`
	AnsweredAt      sql.NullInt64 `db:"answered_at"`
	EndedAt         sql.NullInt64 `db:"ended_at"`
	EndReason       string        `db:"end_reason"`
	RecordingName   string        `db:"recording_name"`
	TransferredFrom sql.NullInt64 `db:"transferred_from"`
	EndedAway       bool          `db:"ended_away"`
	HungUpBy        string        `db:"hung_up_by"`
	OperatorChannel string        `db:"operator_channel"`
	TransferBridge  string        `db:"transfer_bridge"`
}

func (r legRow) leg() hotline.Leg {
	return hotline.Leg{ID: r.ID, CallID: r.CallID, OperatorID: r.OperatorID.Int64,
		ArrivedAt: fromMS(r.ArrivedAt), GreetingEndAt: fromMS(r.GreetingEndAt), QueuedAt: fromMS(r.QueuedAt),
		RangAt: fromMS(r.RangAt), AnsweredAt: fromMS(r.AnsweredAt), EndedAt: fromMS(r.EndedAt), End: hotline.LegEnd(r.EndReason),
		RecordingName: r.RecordingName, TransferredFrom: r.TransferredFrom.Int64, EndedAway: r.EndedAway,
		HungUpBy: hotline.LegSide(r.HungUpBy), OperatorChannel: r.OperatorChannel, TransferBridge: r.TransferBridge}
}

// CallStart is a call's arrival, as the call flow files it.
type CallStart struct {
	CallID       string    // the caller's Asterisk channel id
	CallerNumber string    // the caller id as Asterisk gave it
	Line         string    // the hotline number dialled
	CallbackFor  string    // a call hotline dialled back: the channel of the call that asked for it
	ArrivedAt    time.Time // when the channel entered the application
	// QueuedAt: a called-back caller joins the queue at once, without a greeting.
	QueuedAt time.Time
}

// CallFiled is the journal's answer to StartCall: what it knows of the caller.
type CallFiled struct {
	CallerNumber string // the number in its one stored form (E.164), or as given when not a phone number
	CallerValid  bool
	// OwnerID is the operator who owns the caller's newest open case (a delayed answer first), if
	// that operator is active: the call flow may prefer them (calls.returning_to_owner). 0: none.
	OwnerID   int64
	OpenCases int // the caller's cases «В работе» or «Отсроченный ответ»
}

// StartCall files an arriving call and its first leg, and says whether the caller has open
// cases. It opens no case. Filing the same channel twice files it once.
func (s *Store) StartCall(ctx context.Context, st CallStart) (CallFiled, error) {
	if st.CallID == "" {
		return CallFiled{}, hotline.Errorf(hotline.EINVALID, "a call needs its channel id")
	}
	if st.ArrivedAt.IsZero() {
		return CallFiled{}, hotline.Errorf(hotline.EINVALID, "call %s needs the time it arrived", st.CallID)
	}
	for _, f := range []struct{ name, v string }{{"call id", st.CallID}, {"caller id", st.CallerNumber}, {"line", st.Line}, {"callback for", st.CallbackFor}} {
		if len(f.v) > hotline.MaxNameLen {
			return CallFiled{}, hotline.Errorf(hotline.EINVALID, "call %.40s: %s is longer than %d bytes", st.CallID, f.name, hotline.MaxNameLen)
		}
	}
	var cf CallFiled
	cf.CallerNumber, cf.CallerValid = s.PhoneRegion().Normalize(st.CallerNumber)
	if !cf.CallerValid && cf.CallerNumber != "" {
		s.log.Info("journal: caller id is not a phone number; kept as given and flagged", "call", st.CallID, "caller_id", cf.CallerNumber)
	}
	err := s.write(ctx, "file call", func(tx *sqlx.Tx) error {
		// One statement files the call or finds it filed already (a replay without its mark:
		// nothing doubled), instead of a lookup before the insert on every arrival.
		res, err := insertReturningID(ctx, tx, `INSERT INTO calls (channel, caller_number, caller_id, caller_valid, line, callback_for,
			arrived_at, greeting_end_at, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel) DO NOTHING`,
			st.CallID, cf.CallerNumber, st.CallerNumber, cf.CallerValid, st.Line, st.CallbackFor, ms(st.ArrivedAt),
			ms(st.QueuedAt), ms(st.QueuedAt))
		if errors.Is(err, sql.ErrNoRows) {
			return nil // PostgreSQL: RETURNING gave no row, the call was filed already
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return nil // SQLite: the call was filed already
		}
		ref, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO legs (call_ref, arrived_at, greeting_end_at, queued_at) VALUES (?, ?, ?, ?)`,
			ref, ms(st.ArrivedAt), ms(st.QueuedAt), ms(st.QueuedAt)); err != nil {
			return err
		}
		if !cf.CallerValid {
			return nil
		}
		// Every call's arrival asks this: only the owners, active ones, in the order of preference
		// (a delayed answer first, then the newest), not the cases themselves. «caller_number <> ''»
		// lets SQLite use the partial index cases_caller: without it every open case is read.
		// «CAST(? AS TEXT)», not a bare «?»: SQLite's planner marks a bare parameter compared by =
		// as one whose value may change the plan, and go-sqlite3 clears a statement's bindings
		// before each use, which then makes SQLite prepare the statement again at every arrival
		// (a sixth of SQLite's CPU in the daemon, docs/benchmark.md "Session 13"). The CAST is
		// no parameter to the planner; same plan, same index (TestStartCallPreparesOnce).
		var owners []sql.NullInt64
		if err := tx.SelectContext(ctx, &owners, `SELECT CASE WHEN o.active = 1 THEN o.id END FROM cases k
			LEFT JOIN operators o ON o.id = k.owner_id
			WHERE k.caller_number <> '' AND k.caller_number = CAST(? AS TEXT) AND k.status IN ('delayed_answer', 'in_progress')
			ORDER BY k.status = 'delayed_answer' DESC, k.created_at DESC, k.id DESC LIMIT 50`, cf.CallerNumber); err != nil {
			return err
		}
		cf.OpenCases = len(owners)
		for _, o := range owners {
			if o.Valid {
				cf.OwnerID = o.Int64
				break
			}
		}
		return nil
	})
	return cf, err
}

// callerOpenCases lists a caller's cases «Отсроченный ответ» or «В работе», delayed answers
// first, newest first.
func callerOpenCases(ctx context.Context, q querier, number string) ([]hotline.Case, error) {
	var rows []caseRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+caseCols+` FROM cases WHERE caller_number <> '' AND caller_number = ? AND status IN ('delayed_answer', 'in_progress')
		ORDER BY status = 'delayed_answer' DESC, created_at DESC, id DESC LIMIT 50`, number); err != nil {
		return nil, err
	}
	out := make([]hotline.Case, len(rows))
	for i, r := range rows {
		out[i] = r.toCase()
	}
	return out, nil
}

// CallerOpenCases lists the caller's cases still «В работе» or «Отсроченный ответ», delayed
// answers first, newest first; number is read as PhoneRegion.Normalize reads it.
func (s *Store) CallerOpenCases(ctx context.Context, number string) ([]hotline.Case, error) {
	n, ok := s.PhoneRegion().Normalize(number)
	if !ok {
		return nil, hotline.Errorf(hotline.EINVALID, "%q is not a phone number", clip(number))
	}
	cs, err := callerOpenCases(ctx, s.r, n)
	return cs, s.dbError(err, "list the caller's open cases")
}

// callRow is a row of calls.
type callRow struct {
	ID              int64         `db:"id"`
	Channel         string        `db:"channel"`
	CallerNumber    string        `db:"caller_number"`
	CallerID        string        `db:"caller_id"`
	CallerValid     bool          `db:"caller_valid"`
	Line            string        `db:"line"`
	CallbackFor     string        `db:"callback_for"`
	ArrivedAt       sql.NullInt64 `db:"arrived_at"`
	GreetingEndAt   sql.NullInt64 `db:"greeting_end_at"`
	QueuedAt        sql.NullInt64 `db:"queued_at"`
	RangAt          sql.NullInt64 `db:"rang_at"`
	AnsweredAt      sql.NullInt64 `db:"answered_at"`
	EndedAt         sql.NullInt64 `db:"ended_at"`
	OperatorID      sql.NullInt64 `db:"operator_id"`
	Outcome         string        `db:"outcome"`
	EndedAway       bool          `db:"ended_away"`
	CallbackGivenTo sql.NullInt64 `db:"callback_given_to"`
}

const callCols = `id, channel, caller_number, caller_id, caller_valid, line, callback_for, arrived_at, greeting_end_at,
	queued_at, rang_at, answered_at, ended_at, operator_id, outcome, ended_away, callback_given_to`

func (r callRow) call() hotline.Call {
	return hotline.Call{ID: r.ID, Channel: r.Channel, CallerNumber: r.CallerNumber, CallerValid: r.CallerValid, Line: r.Line,
		CallbackFor: r.CallbackFor, ArrivedAt: fromMS(r.ArrivedAt), GreetingEndAt: fromMS(r.GreetingEndAt),
		QueuedAt: fromMS(r.QueuedAt), RangAt: fromMS(r.RangAt), AnsweredAt: fromMS(r.AnsweredAt), EndedAt: fromMS(r.EndedAt),
		OperatorID: r.OperatorID.Int64, Outcome: hotline.CallOutcome(r.Outcome), EndedAway: r.EndedAway}
}

func callByChannel(ctx context.Context, q querier, channel string) (callRow, error) {
	var r callRow
	if err := q.GetContext(ctx, &r, `SELECT `+callCols+` FROM calls WHERE channel = ?`, channel); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, hotline.Errorf(hotline.ENOTFOUND, "no call %q in the journal", clip(channel))
		}
		return r, err
	}
	return r, nil
}

// callLeg returns the newest leg of call channel.
func callLeg(ctx context.Context, q querier, channel string) (hotline.Leg, int64, error) {
	var r struct {
		legRow
		CallRef int64 `db:"call_ref"`
	}
	// The call's id first (a subquery): filtering the join on c.channel cost SQLite 5 times as
	// much for the same row (the writer's every leg write).
	if err := q.GetContext(ctx, &r, `SELECT `+legCols+`, l.call_ref`+legsFrom+`WHERE l.call_ref = (SELECT id FROM calls WHERE channel = ?)
		ORDER BY l.id DESC LIMIT 1`, channel); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return hotline.Leg{}, 0, hotline.Errorf(hotline.ENOTFOUND, "no call %q in the journal (StartCall first)", clip(channel))
		}
		return hotline.Leg{}, 0, err
	}
	return r.leg(), r.CallRef, nil
}

// storedLeg is what SaveCallLeg reads of a call's newest leg before it writes: which row, and
// whether a transfer adds a new leg.
type storedLeg struct {
	ID         int64         `db:"id"`
	CallRef    int64         `db:"call_ref"`
	OperatorID sql.NullInt64 `db:"operator_id"`
	EndedAt    sql.NullInt64 `db:"ended_at"`
}

// newestLeg is callLeg for the writer's every leg write: the four columns it needs, without the
// join to calls and the other twelve columns callLeg scans (session 12, BenchmarkWriterPaced).
func newestLeg(ctx context.Context, q querier, channel string) (storedLeg, error) {
	var r storedLeg
	if err := q.GetContext(ctx, &r, `SELECT id, call_ref, operator_id, ended_at FROM legs
		WHERE call_ref = (SELECT id FROM calls WHERE channel = ?) ORDER BY id DESC LIMIT 1`, channel); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, hotline.Errorf(hotline.ENOTFOUND, "no call %q in the journal (StartCall first)", clip(channel))
		}
		return r, err
	}
	return r, nil
}

// operatorExists refuses an operator id the journal does not have, with getOperator's message,
// reading no column of the row.
func operatorExists(ctx context.Context, q querier, id int64) error {
	var one int
	if err := q.GetContext(ctx, &one, `SELECT 1 FROM operators WHERE id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return noOperator(fmt.Sprintf("with id %d", id))
		}
		return err
	}
	return nil
}

// SaveCallLeg updates the newest leg of call leg.CallID with its times, operator, recording and
// end, and the call with what the leg adds: greeting end, first queueing, first answer and its
// operator, and, when outcome is set (the leg ends the call), its end and outcome. A write without
// an outcome whose leg ended but was not transferred (spooled by an earlier version) ends the call
// too, with the outcome derived from its legs. A call an operator answered stays answered; one
// whose caller keyed 1 stays overflow_callback unless it is answered. A transfer
// (TransferredFrom set, another operator, the stored leg ended) adds a new leg. One transaction.
func (s *Store) SaveCallLeg(ctx context.Context, leg hotline.Leg, outcome hotline.CallOutcome) error {
	if err := leg.Validate(); err != nil {
		return err
	}
	if outcome != "" && !outcome.Valid() {
		return hotline.Errorf(hotline.EINVALID, "unknown call outcome %q", clip(string(outcome)))
	}
	return s.write(ctx, "save call leg", func(tx *sqlx.Tx) error {
		stored, err := newestLeg(ctx, tx, leg.CallID)
		if err != nil {
			return err
		}
		ref := stored.CallRef
		for _, id := range []int64{leg.OperatorID, leg.TransferredFrom} {
			if id != 0 {
				if err := operatorExists(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		if leg.TransferredFrom != 0 && stored.EndedAt.Valid && stored.OperatorID.Int64 != leg.OperatorID {
			_, err = tx.ExecContext(ctx, `INSERT INTO legs (call_ref, operator_id, arrived_at, greeting_end_at, queued_at, rang_at, answered_at,
				ended_at, end_reason, recording_name, transferred_from, ended_away, hung_up_by, operator_channel, transfer_bridge)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				ref, nullID(leg.OperatorID), ms(leg.ArrivedAt), ms(leg.GreetingEndAt), ms(leg.QueuedAt), ms(leg.RangAt), ms(leg.AnsweredAt),
				ms(leg.EndedAt), leg.End, leg.RecordingName, nullID(leg.TransferredFrom), leg.EndedAway, string(leg.HungUpBy), leg.OperatorChannel,
				leg.TransferBridge)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE legs SET operator_id = ?, arrived_at = ?, greeting_end_at = ?, queued_at = ?,
				rang_at = ?, answered_at = ?, ended_at = ?, end_reason = ?, recording_name = ?, transferred_from = ?, ended_away = ?,
				hung_up_by = ?, operator_channel = ?, transfer_bridge = ? WHERE id = ?`,
				nullID(leg.OperatorID), ms(leg.ArrivedAt), ms(leg.GreetingEndAt), ms(leg.QueuedAt), ms(leg.RangAt), ms(leg.AnsweredAt),
				ms(leg.EndedAt), leg.End, leg.RecordingName, nullID(leg.TransferredFrom), leg.EndedAway,
				string(leg.HungUpBy), leg.OperatorChannel, leg.TransferBridge, stored.ID)
		}
		if err != nil {
			return err
		}
		return s.updateCall(ctx, tx, ref, leg, outcome)
	})
}

// updateCall brings call ref up to date with what its newest leg says: one UPDATE of the call's
// row, whether or not the leg ends the call (the writer's last leg write of a call was two).
func (s *Store) updateCall(ctx context.Context, tx *sqlx.Tx, ref int64, leg hotline.Leg, outcome hotline.CallOutcome) error {
	// The first of each: a later leg (a transfer) never moves the call's greeting, queueing or answer.
	// (An UPDATE's expressions all read the row as it was: answered_at IS NULL is before this one.)
	const firsts = `UPDATE calls SET greeting_end_at = coalesce(greeting_end_at, ?),
		queued_at = coalesce(queued_at, ?), answered_at = coalesce(answered_at, ?),
		rang_at = CASE WHEN answered_at IS NULL THEN ? ELSE rang_at END,
		operator_id = CASE WHEN answered_at IS NULL THEN ? ELSE operator_id END`
	args := []any{ms(leg.GreetingEndAt), ms(leg.QueuedAt), ms(leg.AnsweredAt), ms(leg.RangAt), nullID(leg.OperatorID)}
	// The call flow says how the call ended with its last leg's write. A write without it (spooled
	// by an earlier version, or a leg that failed with the caller back in the queue) ends the call
	// when the leg ended otherwise than by a transfer, with the outcome its legs say; a later leg of
	// the call ends it again, for good.
	if outcome == "" && !leg.EndsCall() {
		_, err := tx.ExecContext(ctx, firsts+` WHERE id = ?`, append(args, ref)...)
		return err
	}
	if outcome == "" {
		// The legs as this write left them (SaveCallLeg wrote the leg first); the call's outcome
		// is not one of the columns the UPDATE below changes before it reads it.
		var rows []legRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+legCols+legsFrom+`WHERE l.call_ref = ? ORDER BY l.id`, ref); err != nil {
			return err
		}
		legs := make([]hotline.Leg, len(rows))
		for i, r := range rows {
			legs[i] = r.leg()
		}
		var callback bool
		if err := tx.GetContext(ctx, &callback, `SELECT outcome = 'overflow_callback' FROM calls WHERE id = ?`, ref); err != nil {
			return err
		}
		outcome = hotline.OutcomeOf(legs, callback)
	}
	// A caller who keyed 1 keeps their callback however the call is then seen to end (a restart
	// finds the channel gone and can only say it was abandoned); only an answer replaces it. A
	// call an operator answered stays answered, whatever its last leg (back in the queue after a
	// failed transfer, then gone): answered before, or by this leg (the coalesce is the
	// answered_at this UPDATE sets).
	_, err := tx.ExecContext(ctx, firsts+`, ended_at = ?, ended_away = ?,
		outcome = CASE WHEN coalesce(answered_at, ?) IS NOT NULL THEN 'answered'
			WHEN outcome = 'overflow_callback' AND ? <> 'answered' THEN outcome ELSE ? END WHERE id = ?`,
		append(args, ms(leg.EndedAt), leg.EndedAway, ms(leg.AnsweredAt), outcome, outcome, ref)...)
	return err
}

// OpenLegs lists legs that never ended: after a restart the call flow reconciles them with the
// channels Asterisk still has. Each carries its call's caller id as Asterisk gave it.
func (s *Store) OpenLegs(ctx context.Context) ([]hotline.Leg, error) {
	var rows []struct {
		legRow
		CallerID string `db:"caller_id"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+legCols+`, c.caller_id`+legsFrom+`WHERE l.ended_at IS NULL ORDER BY l.arrived_at, l.id`); err != nil {
		return nil, s.dbError(err, "list open call legs")
	}
	out := make([]hotline.Leg, len(rows))
	for i, r := range rows {
		out[i] = r.leg()
		out[i].CallerNumber = r.CallerID
	}
	return out, nil
}

// Legs lists the legs of call channel in the order they began.
func (s *Store) Legs(ctx context.Context, channel string) ([]hotline.Leg, error) {
	var rows []legRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+legCols+legsFrom+`WHERE c.channel = ? ORDER BY l.id`, channel); err != nil {
		return nil, s.dbError(err, "list call legs")
	}
	out := make([]hotline.Leg, len(rows))
	for i, r := range rows {
		out[i] = r.leg()
	}
	return out, nil
}

// operatorActor is how an operator acting on the handset appears in the history.
func operatorActor(op hotline.Operator) hotline.Actor {
	by := hotline.Actor{Login: op.Login, OperatorID: op.ID, Role: op.Role}
	if by.Login == "" {
		by.Login = "operator:" + strconv.FormatInt(op.ID, 10)
	}
	return by
}

// callCases lists the cases call ref belongs to, newest first.
func callCases(ctx context.Context, q querier, ref int64) ([]hotline.Case, error) {
	var rows []caseRow
	// IN, not a JOIN of case_calls and cases: SQLite runs the join 4 times slower (60-80 µs
	// against 15 on a journal of 5,000 calls; BenchmarkCaseWritesBatch), with the same indexes.
	if err := q.SelectContext(ctx, &rows, `SELECT `+caseColsK+` FROM cases k
		WHERE k.id IN (SELECT case_id FROM case_calls WHERE call_ref = ?) ORDER BY k.id DESC`, ref); err != nil {
		return nil, err
	}
	out := make([]hotline.Case, len(rows))
	for i, r := range rows {
		out[i] = r.toCase()
	}
	return out, nil
}

// callWithCases returns call channel and the cases it belongs to, newest first.
func callWithCases(ctx context.Context, q querier, channel string) (callRow, []hotline.Case, error) {
	call, err := callByChannel(ctx, q, channel)
	if err != nil {
		return call, nil, err
	}
	cases, err := callCases(ctx, q, call.ID)
	return call, cases, err
}

// attachCall puts call ref on case caseID (once).
func (s *Store) attachCall(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, caseID, ref int64, channel string) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO case_calls (case_id, call_ref, attached_at, attached_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		caseID, ref, s.now().UnixMilli(), by.Login)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hotline.Errorf(hotline.ECONFLICT, "call %s is already on case #%d", clip(channel), caseID)
	}
	return s.record(ctx, tx, by, "case", caseID, caseID, "call attached", []Change{{Field: "call", To: channel}})
}

// KeyTopic is the handset's topic key (*<number># during a call or its wrap-up): the operator who
// talked registers the call. The topic goes on the case of this call the operator works (theirs,
// or one without an owner, still open); when there is none, a new case «В работе» is opened for
// the call, owned by the operator, with the topic and its type. It returns the case.
func (s *Store) KeyTopic(ctx context.Context, channel string, operatorID int64, topicNumber int) (hotline.Case, error) {
	var out hotline.Case
	err := s.write(ctx, "register the call's case", func(tx *sqlx.Tx) error {
		// The operator and the topic are read in the write's transaction (a batch's writes before
		// this one included), once: the new case's checks (checkCaseRefs) use them.
		op, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", operatorID), `id = ?`, operatorID)
		if err != nil {
			return err
		}
		topic, err := s.getTopic(ctx, tx, fmt.Sprintf("with handset number %d", topicNumber), `number = ?`, topicNumber)
		if err != nil {
			return err
		}
		by := operatorActor(op)
		call, cases, err := callWithCases(ctx, tx, channel)
		if err != nil {
			return err
		}
		for _, c := range cases {
			if (c.OwnerID == op.ID || c.OwnerID == 0) && c.Editable(by) == nil {
				before := c
				c.Topic, c.Type, c.UpdatedAt = topic.Code, topic.Type, s.now().UTC()
				if c.OwnerID == 0 {
					c.OwnerID = op.ID
				}
				out = c
				return s.saveCase(ctx, tx, by, before, c, "topic keyed")
			}
		}
		c := hotline.Case{Channel: hotline.ChannelPhone, Type: topic.Type, Topic: topic.Code, OwnerID: op.ID,
			CreatedAt: fromMS(call.ArrivedAt)}
		if call.CallerValid {
			c.CallerNumber = call.CallerNumber
		}
		if err := s.prepareCallCase(by, &c); err != nil {
			return err
		}
		if !op.Active { // what checkCaseRefs says of an owner removed from service
			return hotline.Errorf(hotline.EINVALID, "operator %d (%s) was removed from service and cannot take cases", op.ID, op.Name)
		}
		if err := s.insertCheckedCase(ctx, tx, by, &c); err != nil {
			return err
		}
		out = c
		return s.attachCall(ctx, tx, by, c.ID, call.ID, channel)
	})
	return out, err
}

// DelayedAnswerRule says who owns the «Отсроченный ответ» case a voice message or a callback
// request opens, and by when it is due.
type DelayedAnswerRule struct {
	// ToCaseOwner: the owner of the caller's newest open case takes it, when that operator is
	// active and under their limit of cases in work; otherwise (and when false) it waits in the
	// administrators' queue (no owner) for an administrator to assign it.
	ToCaseOwner bool
	// Due is how long after the call the person must be called back (0: 24 hours).
	Due time.Duration
}

// Why a delayed answer was opened.
const (
	DelayedMessage  = "message"  // the caller left a voice message at overflow
	DelayedCallback = "callback" // the caller keyed 1 at overflow to be called back
)

// OpenDelayedAnswer opens the «Отсроченный ответ» case of a call whose caller left a message or
// asked to be called back (why: DelayedMessage or DelayedCallback), with an owner and a due date by
// rule, and attaches the call; a callback request also marks the call as overflow_callback waiting
// for its turn. A call that has one already gets no second.
func (s *Store) OpenDelayedAnswer(ctx context.Context, channel, why string, rule DelayedAnswerRule) (hotline.Case, error) {
	if why != DelayedMessage && why != DelayedCallback {
		return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "a delayed answer is opened for a message or a callback, not %q", clip(why))
	}
	due := rule.Due
	if due <= 0 {
		due = 24 * time.Hour
	}
	var out hotline.Case
	err := s.write(ctx, "open a delayed answer", func(tx *sqlx.Tx) error {
		call, cases, err := callWithCases(ctx, tx, channel)
		if err != nil {
			return err
		}
		if why == DelayedCallback {
			if _, err := tx.ExecContext(ctx, `UPDATE calls SET outcome = 'overflow_callback' WHERE id = ?`, call.ID); err != nil {
				return err
			}
		}
		for _, c := range cases {
			if c.Status == hotline.StatusDelayedAnswer {
				out = c
				return nil // one call, one delayed answer (a replay, or a message after a callback)
			}
		}
		var earlier []hotline.Case
		if call.CallerValid {
			if earlier, err = callerOpenCases(ctx, tx, call.CallerNumber); err != nil {
				return err
			}
		}
		var owner int64
		if rule.ToCaseOwner {
			owner, err = s.delayedOwner(ctx, tx, earlier)
			if err != nil {
				return err
			}
		}
		arrived := fromMS(call.ArrivedAt)
		c := hotline.Case{Channel: hotline.ChannelPhone, CreatedAt: arrived, DueAt: arrived.Add(due),
			Description: map[string]string{DelayedMessage: "the caller left a voice message: call them back",
				DelayedCallback: "the caller asked to be called back"}[why]}
		if call.CallerValid {
			c.CallerNumber = call.CallerNumber
		}
		if err := s.prepareCallCase(hotline.SystemActor, &c); err != nil {
			return err
		}
		if err := c.AwaitCallback(hotline.SystemActor, owner, s.now().UTC()); err != nil {
			return err
		}
		if err := s.insertCase(ctx, tx, hotline.SystemActor, &c); err != nil {
			return err
		}
		if err := s.attachCall(ctx, tx, hotline.SystemActor, c.ID, call.ID, channel); err != nil {
			return err
		}
		for _, e := range earlier { // the caller's history in one chain (§5.1.7)
			if err := s.link(ctx, tx, hotline.SystemActor, c, e.ID); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

// delayedOwner is the owner of the newest of cases that has an active owner under their limit; 0
// when none (the administrators' queue).
func (s *Store) delayedOwner(ctx context.Context, tx *sqlx.Tx, cases []hotline.Case) (int64, error) {
	for _, c := range cases {
		if c.OwnerID == 0 {
			continue
		}
		op, err := getOperator(ctx, tx, "", `id = ?`, c.OwnerID)
		if err != nil || !op.Active {
			continue
		}
		if err := underLimit(ctx, tx, op, 0); err != nil {
			s.log.Info("journal: the caller's case owner is at their limit; the delayed answer goes to the administrators' queue",
				"operator", op.ID, "err", err)
			return 0, nil
		}
		return op.ID, nil
	}
	return 0, nil
}

// GiveCallback: the callback asked on call channel reached the head of the queue and operatorID
// calls back (hotline dials, or they call by hand): the delayed answer becomes theirs, and the call
// no longer waits for its turn.
func (s *Store) GiveCallback(ctx context.Context, channel string, operatorID int64) error {
	return s.write(ctx, "give a callback", func(tx *sqlx.Tx) error {
		call, cases, err := callWithCases(ctx, tx, channel)
		if err != nil {
			return err
		}
		if _, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", operatorID), `id = ?`, operatorID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE calls SET callback_given_to = ? WHERE id = ?`, operatorID, call.ID); err != nil {
			return err
		}
		for _, c := range cases {
			if c.Status != hotline.StatusDelayedAnswer || c.OwnerID == operatorID {
				continue
			}
			before := c
			if err := c.AwaitCallback(hotline.SystemActor, operatorID, s.now().UTC()); err != nil {
				return err
			}
			return s.saveCase(ctx, tx, hotline.SystemActor, before, c, "callback given")
		}
		return nil
	})
}

// CallbackConnected: hotline dialled the caller back on call channel (its CallbackFor the call
// that asked) and operatorID talks to them: the delayed answer is «В работе» again, theirs, and
// the new call is on it.
func (s *Store) CallbackConnected(ctx context.Context, channel string, operatorID int64) error {
	return s.write(ctx, "note a callback connected", func(tx *sqlx.Tx) error {
		call, err := callByChannel(ctx, tx, channel)
		if err != nil {
			return err
		}
		if call.CallbackFor == "" {
			return hotline.Errorf(hotline.EINVALID, "call %s is not a callback", clip(channel))
		}
		_, cases, err := callWithCases(ctx, tx, call.CallbackFor)
		if err != nil {
			return err
		}
		for _, c := range cases {
			if c.Status != hotline.StatusDelayedAnswer {
				continue
			}
			before := c
			c.OwnerID = operatorID
			if err := c.SetInProgress(hotline.SystemActor, s.now().UTC()); err != nil {
				return err
			}
			if err := s.saveCase(ctx, tx, hotline.SystemActor, before, c, "called back"); err != nil {
				return err
			}
			return s.attachCall(ctx, tx, hotline.SystemActor, c.ID, call.ID, channel)
		}
		return nil // the delayed answer was dealt with meanwhile: the call stands on its own
	})
}

// Forwarded is «*26» keyed by operator By after transferring call Channel to operator To.
type Forwarded struct {
	Channel string
	By, To  int64
	// Reached: To answered and talks to the caller. The case is handed to them «В работе».
	// Otherwise the case is closed «Переадресация с уведомлением обратившегося» (§6.1): a
	// delayed answer of To, who must call the person back.
	Reached bool
}

// ForwardCall applies f to the case of the call that By works (theirs, open). There must be one:
// the operator registers the call (the topic key) before handing it on.
func (s *Store) ForwardCall(ctx context.Context, f Forwarded) (hotline.Case, error) {
	op, err := s.Operator(ctx, f.By)
	if err != nil {
		return hotline.Case{}, err
	}
	to, err := s.Operator(ctx, f.To)
	if err != nil {
		return hotline.Case{}, err
	}
	by := operatorActor(op)
	var out hotline.Case
	err = s.write(ctx, "forward the call's case", func(tx *sqlx.Tx) error {
		_, cases, err := callWithCases(ctx, tx, f.Channel)
		if err != nil {
			return err
		}
		for _, c := range cases {
			if c.OwnerID != op.ID || (c.Status != hotline.StatusInProgress && c.Status != hotline.StatusDelayedAnswer) {
				continue
			}
			before, now := c, s.now().UTC()
			action := "handed over"
			if f.Reached {
				err = c.HandOver(by, to.ID, now)
			} else {
				action = "forwarded"
				if err = underLimit(ctx, tx, to, c.ID); err == nil {
					err = c.Forward(by, to.ID, "transferred on the handset; the caller was told who takes the case", now)
				}
			}
			if err != nil {
				return err
			}
			out = c
			return s.saveCase(ctx, tx, by, before, c, action)
		}
		return hotline.Errorf(hotline.ENOTFOUND, "call %s has no open case of operator %d: key the topic first to register it", clip(f.Channel), op.ID)
	})
	return out, err
}

// saveCase stores case c (changed from before by a rule) with a history event.
func (s *Store) saveCase(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, before, c hotline.Case, action string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := checkCaseRefs(ctx, tx, &c, &before); err != nil {
		return err
	}
	if err := updateCaseRow(ctx, tx, c); err != nil {
		return err
	}
	return s.record(ctx, tx, by, "case", c.ID, c.ID, action, diff(caseFields(before), caseFields(c)))
}

// WaitingCallbacks lists the callbacks no operator has been given yet: calls whose caller keyed 1
// at overflow, whose delayed answer is still waiting, oldest first, each as its last leg with the
// caller id as Asterisk gave it. The call flow keeps their places in memory; after a restart it
// queues them again from this list, so a promise made to a caller outlives the daemon.
func (s *Store) WaitingCallbacks(ctx context.Context) ([]hotline.Leg, error) {
	var rows []struct {
		legRow
		CallerID string `db:"caller_id"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+legCols+`, c.caller_id`+legsFrom+`
		WHERE c.outcome = 'overflow_callback' AND c.callback_given_to IS NULL AND c.ended_at IS NOT NULL
			AND l.id = (SELECT max(id) FROM legs WHERE call_ref = c.id)
			AND EXISTS (SELECT 1 FROM case_calls cc JOIN cases k ON k.id = cc.case_id
				WHERE cc.call_ref = c.id AND k.status = 'delayed_answer')
		ORDER BY coalesce(l.queued_at, l.arrived_at), l.id`); err != nil {
		return nil, s.dbError(err, "list waiting callbacks")
	}
	out := make([]hotline.Leg, len(rows))
	for i, r := range rows {
		out[i] = r.leg()
		out[i].CallerNumber = r.CallerID
	}
	return out, nil
}

// OpenCaseCounts returns, for each operator who owns any, the number of their cases in work
// («В работе» or «Отсроченный ответ»): what hotline.Operator.MaxConcurrent limits.
func (s *Store) OpenCaseCounts(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		Owner int64 `db:"owner_id"`
		N     int   `db:"n"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT owner_id, count(*) AS n FROM cases
		WHERE owner_id IS NOT NULL AND status IN ('in_progress', 'delayed_answer') GROUP BY owner_id`); err != nil {
		return nil, s.dbError(err, "count cases in work")
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.Owner] = r.N
	}
	return out, nil
}

// underLimit refuses to give op one more case in work when they are at their limit
// (MaxConcurrent; 0: none). except is a case that is theirs already and does not count twice.
func underLimit(ctx context.Context, q querier, op hotline.Operator, except int64) error {
	if op.MaxConcurrent <= 0 {
		return nil
	}
	var n int
	if err := q.GetContext(ctx, &n, `SELECT count(*) FROM cases WHERE owner_id = ? AND id <> ? AND status IN ('in_progress', 'delayed_answer')`,
		op.ID, except); err != nil {
		return err
	}
	if n >= op.MaxConcurrent {
		return hotline.Errorf(hotline.ECONFLICT, "operator %d (%s) has %d cases in work, their limit is %d: close some or choose someone else",
			op.ID, op.Name, n, op.MaxConcurrent)
	}
	return nil
}

// clip bounds user input quoted in messages (80 characters).
func clip(s string) string {
	n := 0
	for i := range s {
		if n == 80 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// CaseCallback is a call-back asked from the workplace for a case: hotline dialled Number for
// operator OperatorID, asked by the login By; What says how far it came.
type CaseCallback struct {
	CaseID     int64
	OperatorID int64
	Number     string
	Channel    string // the dialled channel: once answered, the person's call (filed by StartCall)
	What       string // CallbackDialled, CallbackAnswered, CallbackNotAnswered
	Why        string // with CallbackNotAnswered: busy, no answer, the dialling failed
	By         string // who asked, for CallbackDialled; the call flow for the others
}

// What came of a workplace call-back (CaseCallback.What): the history's actions are these words.
const (
	CallbackDialled     = "dialled"
	CallbackAnswered    = "answered"
	CallbackNotAnswered = "not answered"
)

// NoteCaseCallback writes a call-back's progress in case n.CaseID's history («callback dialled»
// with the number and the operator, then «callback answered» or «callback not answered»); an
// answered call-back's call is put on the case, so the card lists it and its recording. A case
// that does not exist is ENOTFOUND (the call flow's outbox drops the write rather than retry it).
func (s *Store) NoteCaseCallback(ctx context.Context, n CaseCallback) error {
	var action string
	switch n.What {
	case CallbackDialled, CallbackAnswered, CallbackNotAnswered:
		action = "callback " + n.What
	default:
		return hotline.Errorf(hotline.EINVALID, "a call-back is dialled, answered or not answered, not %q", clip(n.What))
	}
	for _, f := range []struct{ name, v string }{{"number", n.Number}, {"channel", n.Channel}, {"reason", n.Why}, {"actor", n.By}} {
		if len(f.v) > hotline.MaxNameLen {
			return hotline.Errorf(hotline.EINVALID, "call-back on case #%d: %s is longer than %d bytes", n.CaseID, f.name, hotline.MaxNameLen)
		}
	}
	by := hotline.SystemActor
	if n.By != "" {
		by = hotline.Actor{Login: n.By}
	}
	return s.write(ctx, "note a call-back", func(tx *sqlx.Tx) error {
		if _, err := getCase(ctx, tx, n.CaseID); err != nil {
			return err
		}
		changes := []Change{{Field: "number", To: n.Number}, {Field: "operator", To: strconv.FormatInt(n.OperatorID, 10)}}
		if n.Channel != "" {
			changes = append(changes, Change{Field: "call", To: n.Channel})
		}
		if n.Why != "" {
			changes = append(changes, Change{Field: "reason", To: n.Why})
		}
		if err := s.record(ctx, tx, by, "case", n.CaseID, n.CaseID, action, changes); err != nil {
			return err
		}
		if n.What != CallbackAnswered || n.Channel == "" {
			return nil
		}
		call, err := callByChannel(ctx, tx, n.Channel)
		if hotline.ErrorCode(err) == hotline.ENOTFOUND {
			return nil // not filed (a write refused before it): the history says the call all the same
		}
		if err != nil {
			return err
		}
		if err := s.attachCall(ctx, tx, hotline.SystemActor, n.CaseID, call.ID, n.Channel); err != nil && hotline.ErrorCode(err) != hotline.ECONFLICT {
			return err
		}
		return nil
	})
}
