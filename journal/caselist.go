package journal

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// The journal's list in the workplace pages with a cursor (keyset), never OFFSET: a page deep in a
// million cases costs what the first page costs, because the list's order (created_at DESC, id
// DESC) is an index's order and the cursor is a range of it.

// CaseCursor is where a page of the list ends: the last case it showed (or, for a text search,
// the last case it looked at). The next page starts after it.
type CaseCursor struct {
	CreatedAt time.Time
	ID        int64
}

// String is the cursor as a URL parameter: "<created_at Unix ms>.<id>". It is opaque to the
// page; ParseCaseCursor reads it back.
func (c CaseCursor) String() string {
	return strconv.FormatInt(c.CreatedAt.UnixMilli(), 36) + "." + strconv.FormatInt(c.ID, 36)
}

// ParseCaseCursor reads a cursor made by CaseCursor.String; anything else is EINVALID.
func ParseCaseCursor(s string) (*CaseCursor, error) {
	bad := hotline.Errorf(hotline.EINVALID, "the page cursor %q is damaged: open the list's first page again", clip(s))
	at, id, ok := strings.Cut(s, ".")
	if !ok || len(s) > 40 {
		return nil, bad
	}
	ms, err1 := strconv.ParseInt(at, 36, 64)
	n, err2 := strconv.ParseInt(id, 36, 64)
	if err1 != nil || err2 != nil || ms < 0 || n <= 0 || ms > 1<<50 {
		return nil, bad
	}
	return &CaseCursor{CreatedAt: time.UnixMilli(ms).UTC(), ID: n}, nil
}

// CasePage is one page of the list.
type CasePage struct {
	Cases []hotline.Case
	// Next is the cursor of the next page; nil: this is the last.
	Next *CaseCursor
	// Scanned is set when a text search looked at MaxTextScan cases without filling the page:
	// more may match further on (Next says where the search goes on).
	Scanned bool
}

// MaxTextScan bounds a text search: a page looks at most at this many cases (those the other
// filters keep, newest first from the cursor) before it answers with what it found. A text
// search cannot use an index (it matches inside the text), so without the bound one page of a
// rare word would read the whole journal.
const MaxTextScan = 10000

// MaxCaseText is the longest text a search takes.
const MaxCaseText = 100

var caseNumberText = regexp.MustCompile(`^\d{4}-\d{1,12}$`)

// caseSearchFold is the stored search_fold of a case: what a text search matches.
func caseSearchFold(fullName, policy, description string) string {
	return searchFold(fullName + "\n" + policy + "\n" + description)
}

// searchFold lower-cases by Unicode rules (SQLite's lower() knows ASCII only) and reads ё as е,
// as people type either.
func searchFold(s string) string {
	// ReplaceAll, not a strings.Replacer built per call: building one cost 2 KiB and a table per
	// case write.
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}

// CasePage lists a page of cases matching f, newest first, after f.Before; f.Limit is the page
// size (default 50, at most 500). A text search is bounded by MaxTextScan.
func (s *Store) CasePage(ctx context.Context, f CaseFilter) (CasePage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		return CasePage{}, hotline.Errorf(hotline.EINVALID, "page size %d is too large (at most 500)", f.Limit)
	}
	if f.Offset != 0 {
		return CasePage{}, hotline.Errorf(hotline.EINVALID, "a page of the list starts at a cursor, not an offset")
	}
	text := strings.TrimSpace(f.Text)
	if utf8.RuneCountInString(text) > MaxCaseText {
		return CasePage{}, hotline.Errorf(hotline.EINVALID, "the search text is longer than %d characters", MaxCaseText)
	}
	if !utf8.ValidString(text) {
		return CasePage{}, hotline.Errorf(hotline.EINVALID, "the search text is not valid UTF-8")
	}
	where, args, err := f.where(s.PhoneRegion(), s.pg)
	if err != nil {
		return CasePage{}, err
	}
	var page CasePage
	scanned := false
	switch {
	case text == "":
	case caseNumberText.MatchString(text):
		// A case number is that case (if the other filters keep it): the id is its index.
		year, id, err := parseCaseRef(text)
		if err != nil {
			return CasePage{}, err
		}
		from, to := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC)
		where += ` AND id = ? AND created_at >= ? AND created_at < ?`
		args = append(args, id, from.UnixMilli(), to.UnixMilli())
	default:
		// The bound: the MaxTextScan-th case the other filters keep (an index-only walk of the
		// list's order); the search reads no further than it.
		var edge struct {
			CreatedAt int64 `db:"created_at"`
			ID        int64 `db:"id"`
		}
		err := s.r.GetContext(ctx, &edge, caseEdgeQuery(where), append(args[:len(args):len(args)], MaxTextScan-1)...)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return CasePage{}, s.dbError(err, "list cases")
		default:
			scanned = true
			page.Next = &CaseCursor{CreatedAt: time.UnixMilli(edge.CreatedAt).UTC(), ID: edge.ID}
			where += caseSince
			args = append(args, edge.CreatedAt, edge.CreatedAt, edge.ID)
		}
		where += caseText
		args = append(args, "%"+escapeLike(searchFold(text))+"%")
	}
	cs, err := s.selectCases(ctx, caseListQuery(where), append(args, f.Limit+1)...)
	if err != nil {
		return CasePage{}, err
	}
	if len(cs) > f.Limit {
		last := cs[f.Limit-1]
		page.Cases, page.Next, page.Scanned = cs[:f.Limit], &CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}, false
		return page, nil
	}
	page.Cases, page.Scanned = cs, scanned
	return page, nil
}

// The pieces of CasePage's queries (the query-plan test checks every filter's plan with them).
const (
	caseSince = ` AND created_at >= ? AND (created_at > ? OR id >= ?)` // not past a text search's bound
	caseText  = ` AND search_fold LIKE ? ESCAPE '\'`
)

// caseEdgeQuery finds a text search's bound: the MaxTextScan-th case the other filters keep.
func caseEdgeQuery(where string) string {
	return `SELECT created_at, id FROM cases WHERE ` + where + ` ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`
}

// caseListQuery lists a page.
func caseListQuery(where string) string {
	return `SELECT ` + caseCols + ` FROM cases WHERE ` + where + ` ORDER BY created_at DESC, id DESC LIMIT ?`
}

// afterCaseList fills search_fold of the cases registered before migration 10 (SQLite's lower()
// cannot fold Cyrillic, so SQL alone cannot).
func afterCaseList(ctx context.Context, _ *Store, tx *sqlx.Tx) (string, error) {
	rows, err := tx.QueryxContext(ctx, `SELECT id, full_name, policy_number, description FROM cases`)
	if err != nil {
		return "", err
	}
	type row struct {
		id   int64
		fold string
	}
	var all []row
	for rows.Next() {
		var (
			id                  int64
			name, policy, descr string
		)
		if err := rows.Scan(&id, &name, &policy, &descr); err != nil {
			rows.Close()
			return "", err
		}
		all = append(all, row{id, caseSearchFold(name, policy, descr)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(all) == 0 {
		return "", nil
	}
	st, err := tx.PrepareContext(ctx, `UPDATE cases SET search_fold = ? WHERE id = ?`)
	if err != nil {
		return "", err
	}
	defer st.Close()
	for _, r := range all {
		if _, err := st.ExecContext(ctx, r.fold, r.id); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d cases made searchable by text", len(all)), nil
}

// LegRecording is a leg with what decides who may hear its recording: every leg of its call and
// the cases the call belongs to (hotline.Actor.MayHearRecording).
type LegRecording struct {
	Leg   hotline.Leg
	Legs  []hotline.Leg // all the call's legs, this one included
	Cases []hotline.Case
}

// LegRecording finds leg id with its call's legs and cases.
func (s *Store) LegRecording(ctx context.Context, id int64) (LegRecording, error) {
	var ref int64
	if err := s.r.GetContext(ctx, &ref, `SELECT call_ref FROM legs WHERE id = ?`, id); err != nil {
		if err == sql.ErrNoRows {
			return LegRecording{}, hotline.Errorf(hotline.ENOTFOUND, "no call leg %d", id)
		}
		return LegRecording{}, s.dbError(err, "find call leg")
	}
	c, err := s.Call(ctx, ref)
	if err != nil {
		return LegRecording{}, err
	}
	out := LegRecording{Legs: c.Legs}
	for _, l := range c.Legs {
		if l.ID == id {
			out.Leg = l
		}
	}
	if out.Leg.ID == 0 {
		return LegRecording{}, hotline.Errorf(hotline.ENOTFOUND, "no call leg %d", id)
	}
	if out.Cases, err = s.selectCases(ctx, `SELECT `+caseCols+` FROM cases WHERE id IN (SELECT case_id FROM case_calls WHERE call_ref = ?)`, ref); err != nil {
		return LegRecording{}, err
	}
	return out, nil
}
