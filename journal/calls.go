package journal

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// CallFilter selects calls for lists; zero fields match everything.
type CallFilter struct {
	From, To   time.Time // arrived in [From, To)
	Outcomes   []hotline.CallOutcome
	OperatorID int64  // answered first by
	Caller     string // the caller's number, as typed (normalised in the journal's region)
	Line       string // the hotline number dialled
	// Unregistered: only calls no case was registered for (an answered call without a case is
	// work an operator did not write down).
	Unregistered bool
	Limit        int // default 100, at most 10000
	Offset       int
}

func (f CallFilter) where(region hotline.PhoneRegion) (string, []any, error) {
	conds, args := []string{"1=1"}, []any{}
	if !f.From.IsZero() {
		conds, args = append(conds, "arrived_at >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "arrived_at < ?"), append(args, f.To.UnixMilli())
	}
	if len(f.Outcomes) > 0 {
		ph := make([]string, len(f.Outcomes))
		for i, o := range f.Outcomes {
			if !o.Valid() {
				return "", nil, hotline.Errorf(hotline.EINVALID, "unknown call outcome %q (want %s)", clip(string(o)), outcomeList())
			}
			ph[i] = "?"
			args = append(args, string(o))
		}
		conds = append(conds, "outcome IN ("+strings.Join(ph, ", ")+")")
	}
	if f.OperatorID != 0 {
		conds, args = append(conds, "operator_id = ?"), append(args, f.OperatorID)
	}
	if f.Caller != "" {
		n, _ := region.Normalize(f.Caller) // not a number: matched as given, like the caller ids kept verbatim
		// The "<> ''" repeats the partial index's WHERE, so that SQLite uses it.
		conds, args = append(conds, "caller_number <> '' AND caller_number = ?"), append(args, n)
	}
	if f.Line != "" {
		conds, args = append(conds, "line = ?"), append(args, f.Line)
	}
	if f.Unregistered {
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM case_calls cc WHERE cc.call_ref = calls.id)")
	}
	if f.Limit < 0 || f.Offset < 0 {
		return "", nil, hotline.Errorf(hotline.EINVALID, "--limit and --offset cannot be negative")
	}
	return strings.Join(conds, " AND "), args, nil
}

func outcomeList() string {
	s := make([]string, len(hotline.CallOutcomes))
	for i, o := range hotline.CallOutcomes {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// Calls lists calls matching f, newest first, each with the cases it belongs to.
func (s *Store) Calls(ctx context.Context, f CallFilter) ([]hotline.Call, error) {
	where, args, err := f.where(s.PhoneRegion())
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	limit = min(limit, 10000)
	// The cases of each call in the same query: one row a call, however long the list.
	var rows []struct {
		callRow
		CaseIDs sql.NullString `db:"case_ids"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+callCols+`,
			(SELECT `+s.groupConcat("cc.case_id")+` FROM case_calls cc WHERE cc.call_ref = calls.id) AS case_ids
		FROM calls WHERE `+where+` ORDER BY arrived_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...); err != nil {
		return nil, s.dbError(err, "list calls")
	}
	out := make([]hotline.Call, len(rows))
	for i, r := range rows {
		out[i] = r.call()
		for _, id := range strings.Split(r.CaseIDs.String, ",") {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				out[i].Cases = append(out[i].Cases, n)
			}
		}
		slices.Sort(out[i].Cases)
	}
	return out, nil
}

// CountCalls counts the calls matching f (Limit and Offset ignored).
func (s *Store) CountCalls(ctx context.Context, f CallFilter) (int, error) {
	where, args, err := f.where(s.PhoneRegion())
	if err != nil {
		return 0, err
	}
	var n int
	err = s.r.GetContext(ctx, &n, `SELECT count(*) FROM calls WHERE `+where, args...)
	return n, s.dbError(err, "count calls")
}

// CallRef resolves a call's id ("42") or channel id to the call's id.
func (s *Store) CallRef(ctx context.Context, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return 0, hotline.Errorf(hotline.EINVALID, "a call is named by its id or its channel id")
	}
	var id int64
	err := s.r.GetContext(ctx, &id, `SELECT id FROM calls WHERE channel = ?`, ref)
	if errors.Is(err, sql.ErrNoRows) {
		if n, perr := strconv.ParseInt(ref, 10, 64); perr == nil && n > 0 {
			err = s.r.GetContext(ctx, &id, `SELECT id FROM calls WHERE id = ?`, n)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, hotline.Errorf(hotline.ENOTFOUND, "no call %q: see `hotline call list`", clip(ref))
	}
	return id, s.dbError(err, "find call")
}

// Call returns call id with its legs and cases.
func (s *Store) Call(ctx context.Context, id int64) (hotline.Call, error) {
	var r callRow
	if err := s.r.GetContext(ctx, &r, `SELECT `+callCols+` FROM calls WHERE id = ?`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return hotline.Call{}, hotline.Errorf(hotline.ENOTFOUND, "no call %d: see `hotline call list`", id)
		}
		return hotline.Call{}, s.dbError(err, "find call")
	}
	c := r.call()
	var err error
	if c.Legs, err = s.Legs(ctx, c.Channel); err != nil {
		return c, err
	}
	if err := s.r.SelectContext(ctx, &c.Cases, `SELECT case_id FROM case_calls WHERE call_ref = ? ORDER BY case_id`, id); err != nil {
		return c, s.dbError(err, "find call")
	}
	return c, nil
}

// CaseCalls lists the calls of case id, oldest first, with their legs.
func (s *Store) CaseCalls(ctx context.Context, caseID int64) ([]hotline.Call, error) {
	var ids []int64
	if err := s.r.SelectContext(ctx, &ids, `SELECT c.id FROM case_calls cc JOIN calls c ON c.id = cc.call_ref
		WHERE cc.case_id = ? ORDER BY c.arrived_at, c.id`, caseID); err != nil {
		return nil, s.dbError(err, "list the case's calls")
	}
	out := make([]hotline.Call, 0, len(ids))
	for _, id := range ids {
		c, err := s.Call(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// AttachCall puts call callID on case caseID: the operator registered the call under an earlier
// case of the caller instead of a new card (§5.1.7). The actor must be able to work the case
// (hotline.Case.Editable); a call already on the case is refused.
func (s *Store) AttachCall(ctx context.Context, by hotline.Actor, caseID, callID int64) error {
	return s.write(ctx, "attach a call", func(tx *sqlx.Tx) error {
		c, err := getCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		if err := c.Editable(by); err != nil {
			return err
		}
		var channel string
		if err := tx.GetContext(ctx, &channel, `SELECT channel FROM calls WHERE id = ?`, callID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return hotline.Errorf(hotline.ENOTFOUND, "no call %d: see `hotline call list`", callID)
			}
			return err
		}
		return s.attachCall(ctx, tx, by, caseID, callID, channel)
	})
}

// RegisterCall opens a new case card for call callID as by (an operator who talked, or an
// administrator), attaches the call, and links the caller's earlier cases the operator names
// (§5.1.7): one transaction, nothing half written. The case is by's, «В работе»; its caller
// number is the call's when that is a phone number.
func (s *Store) RegisterCall(ctx context.Context, by hotline.Actor, callID int64, c *hotline.Case, link []int64) error {
	var call callRow
	if err := s.r.GetContext(ctx, &call, `SELECT `+callCols+` FROM calls WHERE id = ?`, callID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return hotline.Errorf(hotline.ENOTFOUND, "no call %d: see `hotline call list`", callID)
		}
		return s.dbError(err, "register a call")
	}
	c.Channel = hotline.ChannelPhone
	if c.CallerNumber == "" && call.CallerValid {
		c.CallerNumber = call.CallerNumber
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = fromMS(call.ArrivedAt)
	}
	if err := s.prepareNew(by, c); err != nil {
		return err
	}
	if err := checkLinks(link); err != nil {
		return err
	}
	err := s.write(ctx, "register a call", func(tx *sqlx.Tx) error {
		if err := mayRegister(ctx, tx, by, call); err != nil {
			return err
		}
		if err := s.insertCase(ctx, tx, by, c); err != nil {
			return err
		}
		if err := s.attachCall(ctx, tx, by, c.ID, callID, call.Channel); err != nil {
			return err
		}
		return s.linkHistory(ctx, tx, by, *c, call, link)
	})
	if err != nil {
		c.ID, c.Number = 0, "" // rolled back: no such case
	}
	return err
}

// mayRegister refuses a second card of the same operator for a call, and an operator who did not
// talk to the caller (whoever answers registers; an administrator may register any call).
func mayRegister(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, call callRow) error {
	var own []string
	if err := tx.SelectContext(ctx, &own, `SELECT k.created_at || '-' || k.id FROM case_calls cc JOIN cases k ON k.id = cc.case_id
		WHERE cc.call_ref = ? AND k.owner_id = ? AND k.status IN ('in_progress', 'delayed_answer')`, call.ID, by.OperatorID); err != nil {
		return err
	}
	if len(own) > 0 && by.OperatorID != 0 {
		return hotline.Errorf(hotline.ECONFLICT, "call %d is already on your open case (%d of them): edit that card (hotline case update) instead of a second one", call.ID, len(own))
	}
	return onCall(ctx, tx, by, call.ID)
}

// onCall refuses anyone but an operator who is or was on call id (an administrator, or the
// system, may see any call): whoever answers registers it, and only they read it from a card.
func onCall(ctx context.Context, q querier, by hotline.Actor, id int64) error {
	if by.IsAdministrator() || by.Role == hotline.RoleSystem {
		return nil
	}
	var talked int
	if err := q.GetContext(ctx, &talked, `SELECT count(*) FROM legs WHERE call_ref = ? AND operator_id = ?`, id, by.OperatorID); err != nil {
		return err
	}
	if talked == 0 || by.OperatorID == 0 {
		return hotline.Errorf(hotline.EFORBIDDEN, "%s did not talk to the caller of call %d: the operator who answered registers it (or an administrator)", by.Login, id)
	}
	return nil
}

// CallOf returns the call whose caller's channel id is channel (the switchboard's call id; never
// the journal's numeric id), with its legs and cases, for by to register: an operator who is or
// was on it, or an administrator (the rule RegisterCall applies).
func (s *Store) CallOf(ctx context.Context, by hotline.Actor, channel string) (hotline.Call, error) {
	channel = strings.TrimSpace(channel)
	if channel == "" || len(channel) > hotline.MaxNameLen {
		return hotline.Call{}, hotline.Errorf(hotline.EINVALID, "a call is named by its channel id")
	}
	r, err := callByChannel(ctx, s.r, channel)
	if err != nil {
		return hotline.Call{}, s.dbError(err, "find call")
	}
	if err := onCall(ctx, s.r, by, r.ID); err != nil {
		return hotline.Call{}, s.dbError(err, "find call")
	}
	return s.Call(ctx, r.ID)
}

// CaseLegs lists the legs of every call of case caseID, in the order they began.
func (s *Store) CaseLegs(ctx context.Context, caseID int64) ([]hotline.Leg, error) {
	var rows []legRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT `+legCols+legsFrom+`JOIN case_calls cc ON cc.call_ref = c.id
		WHERE cc.case_id = ? ORDER BY l.arrived_at, l.id`, caseID); err != nil {
		return nil, s.dbError(err, "list the case's call legs")
	}
	out := make([]hotline.Leg, len(rows))
	for i, r := range rows {
		out[i] = r.leg()
	}
	return out, nil
}

// AnsweredSince counts, by operator, the legs they answered since since: what an operator's
// "calls today" was when the daemon starts again (the fewest-calls strategy and the live status
// read it).
func (s *Store) AnsweredSince(ctx context.Context, since time.Time) (map[int64]int, error) {
	var rows []struct {
		Op int64 `db:"operator_id"`
		N  int   `db:"n"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT operator_id, count(*) AS n FROM legs
		WHERE operator_id IS NOT NULL AND answered_at >= ? GROUP BY operator_id`, since.UnixMilli()); err != nil {
		return nil, s.dbError(err, "count answered calls")
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.Op] = r.N
	}
	return out, nil
}
