package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// Change is one field's change in a history event.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Event is one entry of the append-only history: who did what to which record, when.
type Event struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Entity   string    `json:"entity"` // case, leg, operator, topic, script, attachment, link
	EntityID string    `json:"entity_id"`
	CaseID   int64     `json:"case_id,omitempty"`
	Action   string    `json:"action"` // created, updated, closed, approved, ...
	Changes  []Change  `json:"changes"`
}

// diff lists the fields whose values differ, in field order.
func diff(before, after map[string]string) []Change {
	var cs []Change
	for k, v := range after {
		if before[k] != v {
			cs = append(cs, Change{Field: k, From: before[k], To: v})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Field < cs[j].Field })
	return cs
}

// record appends a history event inside the caller's transaction, so the change and its trace
// commit together or not at all.
func (s *Store) record(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, entity string, entityID any, caseID int64, action string, changes []Change) error {
	if changes == nil {
		changes = []Change{}
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.now().UnixMilli(), by.Login, entity, fmt.Sprint(entityID), nullID(caseID), action, string(b))
	return err
}

// HistoryFilter selects history events; zero fields match everything.
type HistoryFilter struct {
	CaseID   int64
	Entity   string
	EntityID string
	Limit    int // default 1000
}

// History returns events oldest first.
func (s *Store) History(ctx context.Context, f HistoryFilter) ([]Event, error) {
	q := `SELECT id, at, actor, entity, entity_id, case_id, action, changes FROM history WHERE 1=1`
	var args []any
	if f.CaseID != 0 {
		q += ` AND case_id = ?`
		args = append(args, f.CaseID)
	}
	if f.Entity != "" {
		q += ` AND entity = ?`
		args = append(args, f.Entity)
	}
	if f.EntityID != "" {
		q += ` AND entity_id = ?`
		args = append(args, f.EntityID)
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.dbError(err, "read history")
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var (
			e       Event
			at      int64
			caseID  sql.NullInt64
			changes string
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Entity, &e.EntityID, &caseID, &e.Action, &changes); err != nil {
			return nil, s.dbError(err, "read history")
		}
		e.At, e.CaseID = time.UnixMilli(at).UTC(), caseID.Int64
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return nil, fmt.Errorf("history event %d: %w", e.ID, err)
		}
		evs = append(evs, e)
	}
	return evs, s.dbError(rows.Err(), "read history")
}
