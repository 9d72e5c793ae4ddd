package journal

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// The bulk reads of a period that reports need (package report): by time range rather than by
// case, each on the query-only pool, so they work on a journal opened read-only.

// StatusChange is one change of a case's status, read from the history.
type StatusChange struct {
	CaseID   int64
	At       time.Time
	From, To hotline.CaseStatus
}

// CaseStatusChanges returns the changes of cases' status into or out of status recorded in
// [from, until] (both included), by time and then in the order they were recorded: a report
// reads a period's callbacks (into and out of «Отсроченный ответ») with it. That is the order of
// the index the report's status is read by (history_delayed_answer, (at) and the row's id): a
// range of years' events are not sorted (they were, by id alone, with their text).
func (s *Store) CaseStatusChanges(ctx context.Context, status hotline.CaseStatus, from, until time.Time) ([]StatusChange, error) {
	var out []StatusChange
	err := s.eachStatusChange(ctx, status, from, until, false, func(c StatusChange, _ time.Time) error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// EachCaseStatusChange gives fn the changes CaseStatusChanges returns, in the same order, as it
// reads them, each with its case's due date (zero when it has none), read by the same statement:
// a report over years follows its callbacks as they stream by, holding neither the changes
// (160,000 at a fund's scale) nor their cases' due dates (read before in batches of ids).
func (s *Store) EachCaseStatusChange(ctx context.Context, status hotline.CaseStatus, from, until time.Time, fn func(c StatusChange, due time.Time) error) error {
	return s.eachStatusChange(ctx, status, from, until, true, fn)
}

// eachStatusChange reads the changes for CaseStatusChanges and EachCaseStatusChange, with their
// cases' due dates when due (zero otherwise).
func (s *Store) eachStatusChange(ctx context.Context, status hotline.CaseStatus, from, until time.Time, due bool, fn func(c StatusChange, due time.Time) error) error {
	rows, err := s.r.QueryContext(ctx, statusChangesQuery(status, s.pg, due),
		from.UnixMilli(), until.UnixMilli(), "%"+escapeLike(string(status))+"%")
	if err != nil {
		return s.dbError(err, "read case history")
	}
	defer rows.Close()
	var (
		caseID, at, dueMs int64
		changes           sql.RawBytes
	)
	dest := []any{&caseID, &at, &changes}
	if due {
		dest = append(dest, &dueMs)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return s.dbError(err, "read case history")
		}
		cs, ok := statusChanges(changes)
		if !ok {
			cs = nil
			if err := json.Unmarshal(changes, &cs); err != nil {
				return fmt.Errorf("case %d history at %d: %w", caseID, at, err)
			}
		}
		var dueAt time.Time
		if dueMs != 0 {
			dueAt = time.UnixMilli(dueMs).UTC()
		}
		for _, c := range cs {
			if c.Field == "status" && c.From != c.To && (c.From == string(status) || c.To == string(status)) {
				if err := fn(StatusChange{CaseID: caseID, At: time.UnixMilli(at).UTC(),
					From: hotline.CaseStatus(c.From), To: hotline.CaseStatus(c.To)}, dueAt); err != nil {
					return err
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return s.dbError(err, "read case history")
	}
	return nil
}

// statusChanges reads the status changes of a history event's changes as the journal writes
// them (json.Marshal of []Change: [{"field":"…","from":"…","to":"…"},…]) without decoding them
// into values: a report over years reads 160,000 such events, and encoding/json decoding each
// whole cost as much as reading them. ok is false when the text is not in exactly that form, or
// a status entry's text is not plain ASCII without escapes: the caller decodes it all then.
func statusChanges(changes []byte) (cs []Change, ok bool) {
	if len(changes) < 2 || changes[0] != '[' || changes[len(changes)-1] != ']' || !json.Valid(changes) {
		return nil, false
	}
	rest := changes[1 : len(changes)-1]
	lit := func(p string) bool {
		if !bytes.HasPrefix(rest, []byte(p)) {
			return false
		}
		rest = rest[len(p):]
		return true
	}
	str := func() ([]byte, bool) { // a JSON string's raw text (the text is valid JSON)
		if len(rest) == 0 || rest[0] != '"' {
			return nil, false
		}
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				s := rest[1:i]
				rest = rest[i+1:]
				return s, true
			}
		}
		return nil, false
	}
	plain := func(b []byte) bool {
		for _, c := range b {
			if c == '\\' || c >= 0x80 {
				return false
			}
		}
		return true
	}
	for len(rest) > 0 {
		var field, from, to []byte
		if !lit(`{"field":`) {
			return nil, false
		}
		if field, ok = str(); !ok || !lit(`,"from":`) {
			return nil, false
		}
		if from, ok = str(); !ok || !lit(`,"to":`) {
			return nil, false
		}
		if to, ok = str(); !ok || !lit(`}`) {
			return nil, false
		}
		if len(rest) > 0 && !lit(`,`) {
			return nil, false
		}
		if !plain(field) {
			return nil, false
		}
		if string(field) == "status" {
			if !plain(from) || !plain(to) {
				return nil, false
			}
			cs = append(cs, Change{Field: "status", From: string(from), To: string(to)})
		}
	}
	return cs, true
}

// statusChangesQuery reads the case events that may change status to or from status in a range
// of times (CaseStatusChanges). LIKE narrows the events to those that mention the status before
// their JSON is decoded.
func statusChangesQuery(status hotline.CaseStatus, pg, due bool) string {
	where := `h.entity = 'case'`
	if status == hotline.StatusDelayedAnswer {
		// The partial index of the events that name «Отсроченный ответ» (migration 0017): its
		// condition is written as the index has it, and entity hidden (+) from the planner, which
		// would otherwise take (entity, at) and read every case event of the range.
		where = `+h.entity = 'case' AND instr(h.changes, '"delayed_answer"') > 0`
		if pg { // PostgreSQL has no unary + on text, and its planner takes the partial index by cost
			where = `h.entity = 'case' AND instr(h.changes, '"delayed_answer"') > 0`
		}
	}
	cols, from := `h.case_id, h.at, h.changes`, `history h`
	if due { // each change's case's due date, 0 when it has none
		cols, from = cols+`, COALESCE(k.due_at, 0)`, from+` LEFT JOIN cases k ON k.id = h.case_id`
	}
	return `SELECT ` + cols + ` FROM ` + from + `
		WHERE ` + where + ` AND h.case_id IS NOT NULL AND h.at >= ? AND h.at <= ? AND h.changes LIKE ? ESCAPE '\' ORDER BY h.at, h.id`
}

// CaseCount is the number of cases with one type, topic and status.
type CaseCount struct {
	Type   hotline.CaseType
	Topic  string // "" when none
	Status hotline.CaseStatus
	N      int
}

// RegisteredCaseCounts counts the cases registered in [from, to) by type, topic and status. It
// counts in SQL: a year's cases are never held in memory.
func (s *Store) RegisteredCaseCounts(ctx context.Context, from, to time.Time) ([]CaseCount, error) {
	var rows []struct {
		Type   string `db:"type"`
		Topic  string `db:"topic"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT type, COALESCE(topic, '') AS topic, status, count(*) AS n FROM cases
		WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3`, from.UnixMilli(), to.UnixMilli()); err != nil {
		return nil, s.dbError(err, "count cases")
	}
	out := make([]CaseCount, len(rows))
	for i, r := range rows {
		out[i] = CaseCount{Type: hotline.CaseType(r.Type), Topic: r.Topic, Status: hotline.CaseStatus(r.Status), N: r.N}
	}
	return out, nil
}

// CaseBreakdown is the number of cases registered in a range by type, by topic and by status,
// each on its own (what a report shows), not by the three together.
type CaseBreakdown struct {
	ByType   map[hotline.CaseType]int
	ByTopic  map[string]int // "" for the cases without a topic
	ByStatus map[hotline.CaseStatus]int
}

// RegisteredCaseBreakdown counts the cases registered in [from, to) by type, by topic and by
// status. Each count is read from the index that leads with its column (cases_type, cases_topic,
// cases_status: (column, created_at)), one range of the index per value, without reading the
// cases or sorting them: over three years of a fund's cases (a million) grouping the three
// together read every case's row and sorted them (2.4 s of CPU); a value is found from the one
// before by the index (a loose index scan), so a day's report reads a few entries per value.
func (s *Store) RegisteredCaseBreakdown(ctx context.Context, from, to time.Time) (CaseBreakdown, error) {
	b := CaseBreakdown{ByType: map[hotline.CaseType]int{}, ByTopic: map[string]int{}, ByStatus: map[hotline.CaseStatus]int{}}
	f, t := from.UnixMilli(), to.UnixMilli()
	// One snapshot for the three counts, so that a case registered or moved meanwhile is in all
	// three breakdowns or in none (they must add up to the same total).
	opts := &sql.TxOptions{ReadOnly: true}
	if s.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.r.BeginTxx(ctx, opts)
	if err != nil {
		return b, s.dbError(err, "count cases")
	}
	defer tx.Rollback()
	for _, col := range []string{"type", "topic", "status"} {
		var rows []struct {
			V string `db:"v"`
			N int    `db:"n"`
		}
		// The column's values, each the least one above the one before (NULL ends the walk), and
		// the range's cases with each. The column names are the three above, not input.
		q := `WITH RECURSIVE v(x) AS (SELECT min(` + col + `) FROM cases
				UNION ALL SELECT (SELECT min(` + col + `) FROM cases WHERE ` + col + ` > v.x) FROM v WHERE v.x IS NOT NULL)
			SELECT x AS v, (SELECT count(*) FROM cases WHERE ` + col + ` = v.x AND created_at >= ? AND created_at < ?) AS n
			FROM v WHERE x IS NOT NULL`
		args := []any{f, t}
		if col == "topic" { // and the cases without one (the index holds them too)
			q += ` UNION ALL SELECT '' AS v, (SELECT count(*) FROM cases WHERE topic IS NULL AND created_at >= ? AND created_at < ?) AS n`
			args = append(args, f, t)
		}
		if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
			return b, s.dbError(err, "count cases")
		}
		for _, r := range rows {
			if r.N == 0 {
				continue
			}
			switch col {
			case "type":
				b.ByType[hotline.CaseType(r.V)] += r.N
			case "topic":
				b.ByTopic[r.V] += r.N
			case "status":
				b.ByStatus[hotline.CaseStatus(r.V)] += r.N
			}
		}
	}
	return b, nil
}

// OverdueCases returns every case whose due date is before asOf and that is not approved,
// whenever it was registered, by id.
func (s *Store) OverdueCases(ctx context.Context, asOf time.Time) ([]hotline.Case, error) {
	return s.selectCases(ctx, overdueQuery, asOf.UnixMilli())
}

// overdueQuery: its conditions are the partial index cases_overdue's (migration 0017).
const overdueQuery = `SELECT ` + caseCols + ` FROM cases
	WHERE due_at IS NOT NULL AND due_at < ? AND status <> 'approved' ORDER BY id`

// CasesByID returns the cases with these ids (those that exist, in no particular order), read in
// batches so that any number of ids stays within SQLite's limit on a statement's parameters.
func (s *Store) CasesByID(ctx context.Context, ids []int64) ([]hotline.Case, error) {
	var out []hotline.Case
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 500)]
		ids = ids[len(batch):]
		q, args, err := sqlx.In(`SELECT `+caseCols+` FROM cases WHERE id IN (?)`, batch)
		if err != nil {
			return nil, fmt.Errorf("read cases by id: %w", err)
		}
		cs, err := s.selectCases(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// escapeLike escapes LIKE's wildcards (and its escape character, \) in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
