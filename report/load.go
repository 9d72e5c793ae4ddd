package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the journal's driver
)

// Source reads reports' data from the journal's SQLite file. It opens the file read-only (the
// journal opened ReadOnly, query-only; and SQLite URI mode=ro, query_only), so a report can never
// change the journal and runs beside the daemon (WAL: readers do not block its writer). Call legs
// come from the journal's API (journal.CallRecords); the other tables are queried directly, in
// bulk by time range, which the journal's per-case API does not offer; the schema is the
// journal's (migrations/).
type Source struct {
	st *journal.Store
	db *sqlx.DB
}

// Open checks the journal at path through the journal package (it exists, is a hotline database
// and is migrated to this build's schema; the errors say what to do) and opens it read-only.
func Open(ctx context.Context, path string) (*Source, error) {
	st, err := journal.Open(ctx, path, journal.Options{ReadOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	if err := st.RequireCurrent(ctx); err != nil {
		st.Close()
		return nil, err
	}
	db, err := sqlx.Open("sqlite3", st.ReaderDSN()) // read-only (mode=ro, query_only)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		st.Close()
		return nil, hotline.Errorf(hotline.EUNAVAILABLE, "cannot read database %s: %v", path, err)
	}
	return &Source{st: st, db: db}, nil
}

// Close closes the connections.
func (s *Source) Close() error { return errors.Join(s.db.Close(), s.st.Close()) }

// afterRange: legs that arrived this long after the range are loaded too, only to cap the
// wrap-up of the range's last calls (see wrapUps).
const afterRange = time.Hour

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// Calls returns the legs that arrived in [from, to), oldest first, each with its case's number,
// topic and type (journal.CallRecords: the legs table is mapped in the journal only).
func (s *Source) Calls(ctx context.Context, from, to time.Time) ([]Call, error) {
	recs, err := s.st.CallRecords(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]Call, len(recs))
	for i, r := range recs {
		out[i] = Call{Leg: r.Leg, CaseNumber: r.CaseNumber, Topic: r.Topic, Type: r.Type}
	}
	return out, nil
}

// Operators returns every operator, removed ones too (they answered calls in the past).
func (s *Source) Operators(ctx context.Context) ([]hotline.Operator, error) {
	var rows []struct {
		ID        int64  `db:"id"`
		Name      string `db:"name"`
		Extension string `db:"extension"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name, extension FROM operators ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read operators: %w", err)
	}
	out := make([]hotline.Operator, len(rows))
	for i, r := range rows {
		out[i] = hotline.Operator{ID: r.ID, Name: r.Name, Extension: r.Extension}
	}
	return out, nil
}

// Presence returns the operators' presence events that shape [from, to): each operator's last
// event before from, then every event in the range (as journal.PresenceHistory).
func (s *Source) Presence(ctx context.Context, from, to time.Time) ([]hotline.PresenceEvent, error) {
	var rows []struct {
		OperatorID int64  `db:"operator_id"`
		At         int64  `db:"at"`
		Presence   string `db:"presence"`
		Reason     string `db:"reason"`
		How        string `db:"how"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT operator_id, at, presence, reason, how FROM (
			SELECT p.* FROM operators o JOIN operator_presence p ON p.id = (
				SELECT q.id FROM operator_presence q WHERE q.operator_id = o.id AND q.at < ?1
				ORDER BY q.at DESC, q.id DESC LIMIT 1)
			UNION ALL
			SELECT p.* FROM operator_presence p WHERE p.at >= ?1 AND p.at < ?2)
		ORDER BY operator_id, at, id`, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("read operators' presence: %w", err)
	}
	out := make([]hotline.PresenceEvent, len(rows))
	for i, r := range rows {
		out[i] = hotline.PresenceEvent{OperatorID: r.OperatorID, At: time.UnixMilli(r.At).UTC(), Presence: hotline.Presence(r.Presence),
			Reason: r.Reason, How: hotline.PresenceHow(r.How)}
	}
	return out, nil
}

// Load reads what Compute needs for o's range (o.AsOf as Compute will default it).
func (s *Source) Load(ctx context.Context, from, to, asOf time.Time) (Data, error) {
	var d Data
	var err error
	if d.Calls, err = s.Calls(ctx, from, to.Add(afterRange)); err != nil {
		return d, err
	}
	if d.Operators, err = s.Operators(ctx); err != nil {
		return d, err
	}
	if d.Presence, err = s.Presence(ctx, from, to); err != nil {
		return d, err
	}
	var topics []struct {
		Code  string `db:"code"`
		Title string `db:"title"`
	}
	if err := s.db.SelectContext(ctx, &topics, `SELECT code, title FROM topics ORDER BY code`); err != nil {
		return d, fmt.Errorf("read topics: %w", err)
	}
	for _, t := range topics {
		d.Topics = append(d.Topics, hotline.Topic{Code: t.Code, Title: t.Title})
	}

	// Status changes that may be callbacks: every case change since the range began that
	// mentions «Отсроченный ответ», up to the later of the range's end and AsOf.
	until := to
	if asOf.After(until) {
		until = asOf
	}
	var hist []struct {
		CaseID  int64  `db:"case_id"`
		At      int64  `db:"at"`
		Changes string `db:"changes"`
	}
	if err := s.db.SelectContext(ctx, &hist, `SELECT case_id, at, changes FROM history
		WHERE entity = 'case' AND case_id IS NOT NULL AND at >= ? AND at <= ? AND changes LIKE '%delayed_answer%' ORDER BY id`,
		ms(from), ms(until)); err != nil {
		return d, fmt.Errorf("read case history: %w", err)
	}
	ids := map[int64]bool{}
	for _, h := range hist {
		var cs []journal.Change
		if err := json.Unmarshal([]byte(h.Changes), &cs); err != nil {
			return d, fmt.Errorf("case %d history at %d: %w", h.CaseID, h.At, err)
		}
		for _, c := range cs {
			if c.Field == "status" && c.From != c.To {
				d.StatusChanges = append(d.StatusChanges, StatusChange{CaseID: h.CaseID, At: time.UnixMilli(h.At).UTC(),
					From: hotline.CaseStatus(c.From), To: hotline.CaseStatus(c.To)})
				ids[h.CaseID] = true
			}
		}
	}

	// Cases registered in the range, counted in SQL: a year's cases are never held in memory.
	var groups []struct {
		Type   string `db:"type"`
		Topic  string `db:"topic"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &groups, `SELECT type, COALESCE(topic, '') AS topic, status, count(*) AS n FROM cases
		WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2, 3`, ms(from), ms(to)); err != nil {
		return d, fmt.Errorf("count cases: %w", err)
	}
	for _, g := range groups {
		d.Registered = append(d.Registered, CaseGroup{Type: hotline.CaseType(g.Type), Topic: g.Topic, Status: hotline.CaseStatus(g.Status), N: g.N})
	}

	// Cases overdue as of asOf, whenever registered, and those the callbacks name. The callback
	// cases are few (a range's delayed answers): they are read by id in batches.
	var rows []caseRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+caseCols+` FROM cases
		WHERE due_at IS NOT NULL AND due_at < ? AND status <> 'approved' ORDER BY id`, ms(asOf)); err != nil {
		return d, fmt.Errorf("read overdue cases: %w", err)
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		seen[r.ID] = true
		d.Cases = append(d.Cases, r.toCase())
	}
	var missing []int64
	for id := range ids {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	for len(missing) > 0 {
		batch := missing[:min(len(missing), 500)]
		missing = missing[len(batch):]
		q, args, err := sqlx.In(`SELECT `+caseCols+` FROM cases WHERE id IN (?)`, batch)
		if err != nil {
			return d, err
		}
		var more []caseRow
		if err := s.db.SelectContext(ctx, &more, q, args...); err != nil {
			return d, fmt.Errorf("read callback cases: %w", err)
		}
		for _, r := range more {
			d.Cases = append(d.Cases, r.toCase())
		}
	}
	return d, nil
}

const caseCols = `id, created_at, type, topic, owner_id, due_at, status`

type caseRow struct {
	ID        int64          `db:"id"`
	CreatedAt int64          `db:"created_at"`
	Type      string         `db:"type"`
	Topic     sql.NullString `db:"topic"`
	OwnerID   sql.NullInt64  `db:"owner_id"`
	DueAt     sql.NullInt64  `db:"due_at"`
	Status    string         `db:"status"`
}

func (r caseRow) toCase() hotline.Case {
	created := time.UnixMilli(r.CreatedAt).UTC()
	return hotline.Case{ID: r.ID, Number: journal.CaseNumber(created, r.ID), CreatedAt: created, Type: hotline.CaseType(r.Type),
		Topic: r.Topic.String, OwnerID: r.OwnerID.Int64, DueAt: fromMS(r.DueAt), Status: hotline.CaseStatus(r.Status)}
}
