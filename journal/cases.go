package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

const caseCols = `id, created_at, channel, caller_number, full_name, birth_date, policy_number, address, type, topic,
	description, owner_id, due_at, status, result, comment, forwarded_to, extend_to, review_note, created_by, created_by_id, updated_at, version`

type caseRow struct {
	ID           int64          `db:"id"`
	CreatedAt    int64          `db:"created_at"`
	Channel      string         `db:"channel"`
	CallerNumber string         `db:"caller_number"`
	FullName     string         `db:"full_name"`
	BirthDate    string         `db:"birth_date"`
	PolicyNumber string         `db:"policy_number"`
	Address      string         `db:"address"`
	Type         string         `db:"type"`
	Topic        sql.NullString `db:"topic"`
	Description  string         `db:"description"`
	OwnerID      sql.NullInt64  `db:"owner_id"`
	DueAt        sql.NullInt64  `db:"due_at"`
	Status       string         `db:"status"`
	Result       string         `db:"result"`
	Comment      string         `db:"comment"`
	ForwardedTo  sql.NullInt64  `db:"forwarded_to"`
	ExtendTo     sql.NullInt64  `db:"extend_to"`
	ReviewNote   string         `db:"review_note"`
	CreatedBy    string         `db:"created_by"`
	CreatedByID  sql.NullInt64  `db:"created_by_id"`
	UpdatedAt    int64          `db:"updated_at"`
	Version      int64          `db:"version"`
}

func (r caseRow) toCase() hotline.Case {
	c := hotline.Case{ID: r.ID, CreatedAt: time.UnixMilli(r.CreatedAt).UTC(), Channel: hotline.Channel(r.Channel),
		CallerNumber: r.CallerNumber, Person: hotline.Person{FullName: r.FullName, BirthDate: r.BirthDate, PolicyNumber: r.PolicyNumber, Address: r.Address},
		Type: hotline.CaseType(r.Type), Topic: r.Topic.String, Description: r.Description, OwnerID: r.OwnerID.Int64,
		DueAt: fromMS(r.DueAt), Status: hotline.CaseStatus(r.Status), Result: hotline.Result(r.Result), Comment: r.Comment,
		ForwardedTo: r.ForwardedTo.Int64, UpdatedAt: time.UnixMilli(r.UpdatedAt).UTC(), ExtendTo: fromMS(r.ExtendTo),
		ReviewNote: r.ReviewNote, CreatedBy: r.CreatedBy, CreatedByID: r.CreatedByID.Int64, Version: r.Version}
	c.Number = CaseNumber(c.CreatedAt, c.ID)
	return c
}

// CaseNumber is the human-facing number of a case: the year it was registered and its id.
func CaseNumber(created time.Time, id int64) string {
	return fmt.Sprintf("%d-%06d", created.Year(), id)
}

// ParseCaseRef accepts a case id ("123") or number ("2026-000123") and returns the id. It does
// not check that a number's year is the case's: CaseRef does.
func ParseCaseRef(ref string) (int64, error) {
	_, id, err := parseCaseRef(ref)
	return id, err
}

func parseCaseRef(ref string) (year int, id int64, err error) {
	bad := hotline.Errorf(hotline.EINVALID, "invalid case reference %q: want an id (123) or a number (2026-000123)", ref)
	r := strings.TrimSpace(ref)
	if y, tail, ok := strings.Cut(r, "-"); ok {
		if year, err = strconv.Atoi(y); err != nil || year < 1000 {
			return 0, 0, bad
		}
		r = tail
	}
	id, err = strconv.ParseInt(r, 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, bad
	}
	return year, id, nil
}

// CaseRef resolves a case id or number to the id of an existing case; a number whose year is not
// the case's is not found (2025-000123 is not case 123 of 2026).
func (s *Store) CaseRef(ctx context.Context, ref string) (int64, error) {
	year, id, err := parseCaseRef(ref)
	if err != nil {
		return 0, err
	}
	c, err := s.Case(ctx, id)
	if err != nil {
		return 0, err
	}
	if year != 0 && c.CreatedAt.Year() != year {
		return 0, hotline.Errorf(hotline.ENOTFOUND, "no case %s (case #%d is %s)", strings.TrimSpace(ref), id, c.Number)
	}
	return id, nil
}

func timeField(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func idField(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// caseFields is a case as the history compares it.
func caseFields(c hotline.Case) map[string]string {
	return map[string]string{
		"channel": string(c.Channel), "caller_number": c.CallerNumber, "full_name": c.Person.FullName,
		"birth_date": c.Person.BirthDate, "policy_number": c.Person.PolicyNumber, "address": c.Person.Address,
		"type": string(c.Type), "topic": c.Topic, "description": c.Description, "owner_id": idField(c.OwnerID),
		"due_at": timeField(c.DueAt), "status": string(c.Status), "result": string(c.Result), "comment": c.Comment,
		"forwarded_to": idField(c.ForwardedTo), "extend_to": timeField(c.ExtendTo), "review_note": c.ReviewNote,
	}
}

// checkCaseRefs checks what a case points at: its topic exists and belongs to its type (and
// gives the type when the case has none yet), its owner and forward target are active operators.
func checkCaseRefs(ctx context.Context, tx *sqlx.Tx, c *hotline.Case, before *hotline.Case) error {
	if c.Topic != "" && (before == nil || c.Topic != before.Topic || c.Type != before.Type) {
		var r topicRow
		if err := tx.GetContext(ctx, &r, `SELECT `+topicCols+` FROM topics WHERE code = ?`, c.Topic); err != nil {
			if err == sql.ErrNoRows {
				return hotline.Errorf(hotline.ENOTFOUND, "unknown topic %q: see `hotline topic list`", c.Topic)
			}
			return err
		}
		if c.Type == "" {
			c.Type = hotline.CaseType(r.Type)
		} else if string(c.Type) != r.Type {
			return hotline.Errorf(hotline.EINVALID, "topic %q belongs to %s cases, not %s", c.Topic, r.Type, c.Type)
		}
	}
	for _, ref := range []struct {
		what    string
		id, was int64
	}{{"owner", c.OwnerID, 0}, {"forward target", c.ForwardedTo, 0}} {
		if before != nil {
			if ref.what == "owner" {
				ref.was = before.OwnerID
			} else {
				ref.was = before.ForwardedTo
			}
		}
		if ref.id == 0 || ref.id == ref.was {
			continue
		}
		o, err := getOperator(ctx, tx, fmt.Sprintf("with id %d (%s)", ref.id, ref.what), `id = ?`, ref.id)
		if err != nil {
			return err
		}
		if !o.Active {
			return hotline.Errorf(hotline.EINVALID, "operator %d (%s) was removed from service and cannot take cases", o.ID, o.Name)
		}
	}
	return nil
}

func (s *Store) insertCase(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, c *hotline.Case) error {
	if err := checkCaseRefs(ctx, tx, c, nil); err != nil {
		return err
	}
	return s.insertCheckedCase(ctx, tx, by, c)
}

// insertCheckedCase is insertCase for a case whose topic, type, owner and forward target were
// checked in tx already (checkCaseRefs, or what KeyTopic reads).
func (s *Store) insertCheckedCase(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, c *hotline.Case) error {
	// A case given to someone else counts against their limit of cases in work; a person who
	// registers what they are told, for themself, is never refused (the delayed-answer rule
	// checks the limit itself).
	if c.OwnerID != 0 && c.OwnerID != by.OperatorID && by.Role != hotline.RoleSystem &&
		(c.Status == hotline.StatusInProgress || c.Status == hotline.StatusDelayedAnswer) {
		op, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", c.OwnerID), `id = ?`, c.OwnerID)
		if err != nil {
			return err
		}
		if err := underLimit(ctx, tx, op, 0); err != nil {
			return err
		}
	}
	res, err := insertReturningID(ctx, tx, `INSERT INTO cases (created_at, channel, caller_number, full_name, full_name_fold, birth_date,
		policy_number, address, type, topic, description, owner_id, due_at, status, result, comment, forwarded_to, extend_to,
		review_note, created_by, created_by_id, updated_at, search_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.CreatedAt.UnixMilli(), c.Channel, c.CallerNumber, c.Person.FullName, fold(c.Person.FullName), c.Person.BirthDate,
		c.Person.PolicyNumber, c.Person.Address, c.Type, nullStr(c.Topic), c.Description, nullID(c.OwnerID), ms(c.DueAt),
		c.Status, c.Result, c.Comment, nullID(c.ForwardedTo), ms(c.ExtendTo), c.ReviewNote, c.CreatedBy, nullID(c.CreatedByID), c.UpdatedAt.UnixMilli(),
		caseSearchFold(c.Person.FullName, c.Person.PolicyNumber, c.Description))
	if err != nil {
		return err
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	c.Number, c.Version = CaseNumber(c.CreatedAt, c.ID), 1
	return s.record(ctx, tx, by, "case", c.ID, c.ID, "created", diff(nil, caseFields(*c)))
}

// prepareNew applies the rules for a new case and normalises what people type.
func (s *Store) prepareNew(by hotline.Actor, c *hotline.Case) error {
	n, err := s.typedNumber(c.CallerNumber)
	if err != nil {
		return err
	}
	c.CallerNumber = n
	return s.prepareCallCase(by, c)
}

// prepareCallCase is prepareNew for a case the call flow opens for a call: its caller number is
// the call's, already in the stored form (StartCall normalised it), and not parsed again (parsing a
// number was a tenth of a case write's CPU).
func (s *Store) prepareCallCase(by hotline.Actor, c *hotline.Case) error {
	now := s.now().UTC()
	c.CreatedAt = c.CreatedAt.UTC()
	if err := c.Open(by, now); err != nil {
		return err
	}
	if c.CreatedAt.After(now.Add(time.Minute)) {
		return hotline.Errorf(hotline.EINVALID, "a case cannot be registered in the future (%s)", c.CreatedAt.Format(time.RFC3339))
	}
	if !c.DueAt.IsZero() && !c.DueAt.After(c.CreatedAt) {
		return hotline.Errorf(hotline.EINVALID, "the due date %s is not after the registration date", c.DueAt.Format(hotline.DateLayout))
	}
	return nil
}

// NewCase registers a case «В работе» and sets c.ID, c.Number and what the rules fill in.
func (s *Store) NewCase(ctx context.Context, by hotline.Actor, c *hotline.Case) error {
	if err := s.prepareNew(by, c); err != nil {
		return err
	}
	return s.write(ctx, "register case", func(tx *sqlx.Tx) error { return s.insertCase(ctx, tx, by, c) })
}

// CreateCases registers many cases in one transaction: all or none, one fsync for the lot
// (imports, load tests). Each case's fields are set as by NewCase.
func (s *Store) CreateCases(ctx context.Context, by hotline.Actor, cs []hotline.Case) error {
	for i := range cs {
		if err := s.prepareNew(by, &cs[i]); err != nil {
			return fmt.Errorf("case %d of %d: %w", i+1, len(cs), err)
		}
	}
	return s.write(ctx, "register cases", func(tx *sqlx.Tx) error {
		for i := range cs {
			if err := s.insertCase(ctx, tx, by, &cs[i]); err != nil {
				return fmt.Errorf("case %d of %d: %w", i+1, len(cs), err)
			}
		}
		return nil
	})
}

func getCase(ctx context.Context, q querier, id int64) (hotline.Case, error) {
	var r caseRow
	if err := q.GetContext(ctx, &r, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id); err != nil {
		if err == sql.ErrNoRows {
			return hotline.Case{}, hotline.Errorf(hotline.ENOTFOUND, "no case #%d: see `hotline case list`", id)
		}
		return hotline.Case{}, err
	}
	return r.toCase(), nil
}

// Case returns case id.
func (s *Store) Case(ctx context.Context, id int64) (hotline.Case, error) {
	c, err := getCase(ctx, s.r, id)
	return c, s.dbError(err, "find case")
}

// change loads a case, applies fn (a rule from the root package) and stores the result with a
// history event named action, in one transaction.
// Each of with is written in the same transaction (all or nothing), given the case as it was.
func (s *Store) change(ctx context.Context, by hotline.Actor, id int64, action string, fn func(c *hotline.Case, now time.Time) error, with ...func(tx *sqlx.Tx, c hotline.Case) error) (hotline.Case, error) {
	var out hotline.Case
	err := s.write(ctx, action+" case", func(tx *sqlx.Tx) error {
		before, err := getCase(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, w := range with {
			if err := w(tx, before); err != nil {
				return err
			}
		}
		c := before
		if err := fn(&c, s.now().UTC()); err != nil {
			return err
		}
		if err := c.Validate(); err != nil {
			return err
		}
		if err := checkCaseRefs(ctx, tx, &c, &before); err != nil {
			return err
		}
		// A case given to someone (forwarded, reassigned) counts against their limit of cases in
		// work (hotline.Operator.MaxConcurrent).
		if c.OwnerID != 0 && c.OwnerID != before.OwnerID && (c.Status == hotline.StatusInProgress || c.Status == hotline.StatusDelayedAnswer) {
			op, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", c.OwnerID), `id = ?`, c.OwnerID)
			if err != nil {
				return err
			}
			if err := underLimit(ctx, tx, op, c.ID); err != nil {
				return err
			}
		}
		if err := updateCaseRow(ctx, tx, c); err != nil {
			return err
		}
		c.Version = before.Version + 1 // as updateCaseRow wrote it
		out = c
		return s.record(ctx, tx, by, "case", id, id, action, diff(caseFields(before), caseFields(c)))
	})
	return out, err
}

// updateCaseRow writes every field of case c that can change, and counts the write in its
// version. A counter, not updated_at, tells an edit it is stale: two writes in the same
// millisecond leave updated_at as it was, a counter never; and it is incremented here, in the
// one statement that writes a case row, so every writer (the card, the call flow, the CLI) bumps it.
func updateCaseRow(ctx context.Context, tx *sqlx.Tx, c hotline.Case) error {
	_, err := tx.ExecContext(ctx, `UPDATE cases SET caller_number = ?, full_name = ?, full_name_fold = ?, birth_date = ?,
		policy_number = ?, address = ?, type = ?, topic = ?, description = ?, owner_id = ?, due_at = ?, status = ?, result = ?,
		comment = ?, forwarded_to = ?, extend_to = ?, review_note = ?, updated_at = ?, search_fold = ?, version = version + 1 WHERE id = ?`,
		c.CallerNumber, c.Person.FullName, fold(c.Person.FullName), c.Person.BirthDate, c.Person.PolicyNumber, c.Person.Address,
		c.Type, nullStr(c.Topic), c.Description, nullID(c.OwnerID), ms(c.DueAt), c.Status, c.Result, c.Comment,
		nullID(c.ForwardedTo), ms(c.ExtendTo), c.ReviewNote, c.UpdatedAt.UnixMilli(),
		caseSearchFold(c.Person.FullName, c.Person.PolicyNumber, c.Description), c.ID)
	return err
}

// caseColsK is caseColsOf("k"), built once: the call flow's case lookups (callCases) run it at
// every write that touches a call's cases.
var caseColsK = caseColsOf("k")

// caseColsOf is caseCols qualified by a table alias, for queries that join cases.
func caseColsOf(alias string) string {
	return alias + "." + strings.ReplaceAll(strings.Join(strings.Fields(caseCols), " "), ", ", ", "+alias+".")
}

// CaseUpdate is an edit of a case card; nil fields are left as they are.
type CaseUpdate struct {
	CallerNumber *string
	FullName     *string
	BirthDate    *string
	PolicyNumber *string
	Address      *string
	Type         *hotline.CaseType
	Topic        *string
	Description  *string
	DueAt        *time.Time
	OwnerID      *int64 // reassigning: administrators only
	// SetInProgress: the owner of a delayed answer called the person back (hotline.Case.SetInProgress).
	SetInProgress bool
	// Attachment, when set, is a document registered with the case by the same edit: the card
	// and the document are written together or not at all.
	Attachment *hotline.Attachment
	// IfVersion, when not 0, is the version of the case the edit was based on (what the card
	// showed): the edit is refused with ECONFLICT (ErrStaleVersion) if the case was written since.
	// Checked in the transaction that writes, so no other write can slip in between.
	IfVersion int64
}

// ErrStaleVersion is in the chain of the ECONFLICT error an edit based on an older version of the
// case gets (CaseUpdate.IfVersion): someone else saved the case since the card was opened.
var ErrStaleVersion = errors.New("journal: the case was changed since the card was opened")

// staleVersion refuses an edit based on version seen when the case is now at c.Version.
func staleVersion(c hotline.Case, seen int64) error {
	if c.Version == seen {
		return nil
	}
	return hotline.Wrapf(hotline.ECONFLICT, ErrStaleVersion, "case %s was changed by someone else since the card was opened (version %d, now %d): reload it and apply your changes again", c.Label(), seen, c.Version)
}

// UpdateCase edits a case card (in progress or delayed answer, by its owner or an administrator).
func (s *Store) UpdateCase(ctx context.Context, by hotline.Actor, id int64, u CaseUpdate) (hotline.Case, error) {
	apply, with, err := s.caseEdit(ctx, by, id, u)
	if err != nil {
		return hotline.Case{}, err
	}
	return s.change(ctx, by, id, "updated", apply, with...)
}

// CloseCard saves the card's edit u and closes the case with cl in one transaction (the
// «Закрыть обращение» button posts the whole card): both or neither. u.IfVersion refuses a card
// based on a version someone else has written since (ErrStaleVersion).
func (s *Store) CloseCard(ctx context.Context, by hotline.Actor, id int64, u CaseUpdate, cl hotline.Closing) (hotline.Case, error) {
	if u.SetInProgress {
		return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "a case is set in progress and closed by two separate actions")
	}
	apply, with, err := s.caseEdit(ctx, by, id, u)
	if err != nil {
		return hotline.Case{}, err
	}
	return s.change(ctx, by, id, closeAction(cl.Result), func(c *hotline.Case, now time.Time) error {
		if err := apply(c, now); err != nil {
			return err
		}
		return c.Close(by, cl, now)
	}, with...)
}

// caseEdit is edit u of case id as change applies it, and what is written with it.
func (s *Store) caseEdit(ctx context.Context, by hotline.Actor, id int64, u CaseUpdate) (func(c *hotline.Case, now time.Time) error, []func(tx *sqlx.Tx, c hotline.Case) error, error) {
	var with []func(tx *sqlx.Tx, c hotline.Case) error
	// First, so that a stale card is told so before any other refusal.
	with = append(with, ifVersionIs(u.IfVersion)...)
	if a := u.Attachment; a != nil {
		if err := s.prepareAttachment(a, id); err != nil {
			return nil, nil, err
		}
		with = append(with, func(tx *sqlx.Tx, c hotline.Case) error { return s.attach(ctx, tx, by, c, a) })
	}
	return func(c *hotline.Case, now time.Time) error {
		if err := c.Editable(by); err != nil {
			return err
		}
		if u.SetInProgress {
			if err := c.SetInProgress(by, now); err != nil {
				return err
			}
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		if u.CallerNumber != nil {
			n, err := s.typedNumber(*u.CallerNumber)
			if err != nil {
				return err
			}
			c.CallerNumber = n
		}
		set(&c.Person.FullName, u.FullName)
		set(&c.Person.BirthDate, u.BirthDate)
		set(&c.Person.PolicyNumber, u.PolicyNumber)
		set(&c.Person.Address, u.Address)
		set(&c.Topic, u.Topic)
		set(&c.Description, u.Description)
		if u.Type != nil {
			c.Type = *u.Type
		}
		if u.DueAt != nil {
			if !u.DueAt.IsZero() && !u.DueAt.After(now) {
				return hotline.Errorf(hotline.EINVALID, "the due date %s is not in the future", u.DueAt.Format(hotline.DateLayout))
			}
			c.DueAt = *u.DueAt
		}
		if u.OwnerID != nil && *u.OwnerID != c.OwnerID {
			if err := by.RequireAdministrator("reassign a case"); err != nil {
				return err
			}
			c.OwnerID = *u.OwnerID
		}
		c.UpdatedAt = now
		return nil
	}, with, nil
}

// closeAction names a close's history event by its result.
func closeAction(r hotline.Result) string {
	switch r {
	case hotline.ResultForwarded:
		return "forwarded"
	case hotline.ResultExtended:
		return "extension requested"
	}
	return "closed"
}

// CloseCase applies the operator's result (hotline.Case.Close): under review, or a delayed
// answer for the forward target, or an extension awaiting approval.
func (s *Store) CloseCase(ctx context.Context, by hotline.Actor, id int64, cl hotline.Closing) (hotline.Case, error) {
	return s.change(ctx, by, id, closeAction(cl.Result), func(c *hotline.Case, now time.Time) error { return c.Close(by, cl, now) })
}

// SetInProgress is the owner's "I called the person back" on a delayed answer.
func (s *Store) SetInProgress(ctx context.Context, by hotline.Actor, id int64) (hotline.Case, error) {
	return s.change(ctx, by, id, "set in progress", func(c *hotline.Case, now time.Time) error { return c.SetInProgress(by, now) })
}

// ApproveCase is the administrator's approval (hotline.Case.Approve).
func (s *Store) ApproveCase(ctx context.Context, by hotline.Actor, id int64) (hotline.Case, error) {
	return s.ApproveCaseAt(ctx, by, id, 0)
}

// ApproveCaseAt is ApproveCase of the case as the administrator saw it: ifVersion, when not 0,
// refuses a case written since (ErrStaleVersion), in the transaction that approves it.
func (s *Store) ApproveCaseAt(ctx context.Context, by hotline.Actor, id, ifVersion int64) (hotline.Case, error) {
	return s.change(ctx, by, id, "approved", func(c *hotline.Case, now time.Time) error { return c.Approve(by, now) }, ifVersionIs(ifVersion)...)
}

// ReturnCase sends a case under review back to its owner with a reason (administrators only).
func (s *Store) ReturnCase(ctx context.Context, by hotline.Actor, id int64, reason string) (hotline.Case, error) {
	return s.ReturnCaseAt(ctx, by, id, reason, 0)
}

// ReturnCaseAt is ReturnCase of the case as the administrator saw it (ifVersion as ApproveCaseAt).
func (s *Store) ReturnCaseAt(ctx context.Context, by hotline.Actor, id int64, reason string, ifVersion int64) (hotline.Case, error) {
	return s.change(ctx, by, id, "returned", func(c *hotline.Case, now time.Time) error { return c.Return(by, reason, now) }, ifVersionIs(ifVersion)...)
}

// ifVersionIs is the check of a change based on version v (none for 0), for change's with.
func ifVersionIs(v int64) []func(tx *sqlx.Tx, c hotline.Case) error {
	if v == 0 {
		return nil
	}
	return []func(tx *sqlx.Tx, c hotline.Case) error{func(_ *sqlx.Tx, c hotline.Case) error { return staleVersion(c, v) }}
}

// ReopenCase puts an approved case back in progress with a reason (administrators only).
func (s *Store) ReopenCase(ctx context.Context, by hotline.Actor, id int64, reason string) (hotline.Case, error) {
	return s.change(ctx, by, id, "reopened", func(c *hotline.Case, now time.Time) error { return c.Reopen(by, reason, now) })
}

// LinkCases links case id to an earlier case (both ways when read). The actor must be able to
// work case id.
func (s *Store) LinkCases(ctx context.Context, by hotline.Actor, id, linked int64) error {
	return s.write(ctx, "link cases", func(tx *sqlx.Tx) error {
		a, err := getCase(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := a.CanWork(by); err != nil {
			return err
		}
		return s.link(ctx, tx, by, a, linked)
	})
}

// link links case a to case linked in tx, with a history event on both.
func (s *Store) link(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, a hotline.Case, linked int64) error {
	b, err := getCase(ctx, tx, linked)
	if err != nil {
		return err
	}
	if err := a.CanLink(&b); err != nil {
		return err
	}
	lo, hi := min(a.ID, linked), max(a.ID, linked) // one row per pair, whichever side links
	res, err := tx.ExecContext(ctx, `INSERT INTO case_links (case_id, linked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, lo, hi, s.now().UnixMilli())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hotline.Errorf(hotline.ECONFLICT, "cases %s and %s are already linked", a.Number, b.Number)
	}
	if err := s.record(ctx, tx, by, "case", a.ID, a.ID, "linked", []Change{{Field: "linked", To: b.Number}}); err != nil {
		return err
	}
	return s.record(ctx, tx, by, "case", linked, linked, "linked", []Change{{Field: "linked", To: a.Number}})
}

// LinkedCases lists the cases linked to case id.
func (s *Store) LinkedCases(ctx context.Context, id int64) ([]hotline.Case, error) {
	return s.selectCases(ctx, `SELECT `+caseCols+` FROM cases WHERE id IN (
		SELECT linked_id FROM case_links WHERE case_id = ? UNION SELECT case_id FROM case_links WHERE linked_id = ?) ORDER BY created_at`, id, id)
}

// AddAttachment registers a document with a case and sets a.ID.
func (s *Store) AddAttachment(ctx context.Context, by hotline.Actor, a *hotline.Attachment) error {
	if err := s.prepareAttachment(a, a.CaseID); err != nil {
		return err
	}
	return s.write(ctx, "add attachment", func(tx *sqlx.Tx) error {
		c, err := getCase(ctx, tx, a.CaseID)
		if err != nil {
			return err
		}
		return s.attach(ctx, tx, by, c, a)
	})
}

// prepareAttachment checks a document for case id before any transaction.
func (s *Store) prepareAttachment(a *hotline.Attachment, id int64) error {
	a.CaseID = id
	if err := a.Validate(); err != nil {
		return err
	}
	a.CreatedAt = s.now().UTC()
	return nil
}

// attach registers document a with case c in tx, with its history event, and sets a.ID.
func (s *Store) attach(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, c hotline.Case, a *hotline.Attachment) error {
	if err := c.Editable(by); err != nil {
		return err
	}
	res, err := insertReturningID(ctx, tx, `INSERT INTO attachments (case_id, document_number, registered_on, file_path, created_at) VALUES (?, ?, ?, ?, ?)`,
		a.CaseID, a.DocumentNumber, a.RegisteredOn, a.FilePath, a.CreatedAt.UnixMilli())
	if err != nil {
		return err
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return s.record(ctx, tx, by, "case", c.ID, c.ID, "attached", diff(nil, map[string]string{
		"document_number": a.DocumentNumber, "registered_on": a.RegisteredOn, "file_path": a.FilePath}))
}

// Attachments lists the documents of case id.
func (s *Store) Attachments(ctx context.Context, id int64) ([]hotline.Attachment, error) {
	var rows []struct {
		ID             int64  `db:"id"`
		CaseID         int64  `db:"case_id"`
		DocumentNumber string `db:"document_number"`
		RegisteredOn   string `db:"registered_on"`
		FilePath       string `db:"file_path"`
		CreatedAt      int64  `db:"created_at"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT id, case_id, document_number, registered_on, file_path, created_at FROM attachments WHERE case_id = ? ORDER BY id`, id); err != nil {
		return nil, s.dbError(err, "list attachments")
	}
	out := make([]hotline.Attachment, len(rows))
	for i, r := range rows {
		out[i] = hotline.Attachment{ID: r.ID, CaseID: r.CaseID, DocumentNumber: r.DocumentNumber, RegisteredOn: r.RegisteredOn,
			FilePath: r.FilePath, CreatedAt: time.UnixMilli(r.CreatedAt).UTC()}
	}
	return out, nil
}

// CaseFilter selects cases for lists; zero fields match everything.
type CaseFilter struct {
	From, To   time.Time // registered in [From, To)
	Statuses   []hotline.CaseStatus
	Type       hotline.CaseType
	Topic      string
	OperatorID int64  // owned by
	Caller     string // caller number
	// Active leaves out approved cases: the journal's default list (the manual's «все активные
	// обращения»). It is "status <> 'approved'", which the partial index cases_active serves.
	Active bool
	// Text matches cases whose person's full name, policy number or description contains it
	// (case-insensitive, ё as е), or, written as a case number (2026-000123), that case. Only
	// CasePage takes it: its scan is bounded per page (MaxTextScan).
	Text   string
	Before *CaseCursor // cases after this one in the list's order (keyset paging)
	Limit  int         // default 100, at most 10000
	Offset int         // Cases only; CasePage pages with Before
}

// leadIndex names the one filter whose index a list walks, the most selective first: a caller's
// few cases; an operator's cases not yet approved or in one status; one status other than
// approved, or the cases not yet approved (a journal's few current cases beside years of approved
// ones); an operator's, a topic's, a type's cases. The journal keeps no statistics (no ANALYZE),
// so SQLite cannot know which filter keeps fewest rows; the list tells it by hiding the other
// columns from the planner (SQLite's "+column"), and every walk is in the list's order, so a page
// stops after its rows without sorting.
func (f CaseFilter) leadIndex() string {
	one := len(f.Statuses) == 1
	switch {
	case f.Caller != "":
		return "caller"
	case f.OperatorID != 0 && f.active():
		return "owner+active"
	case f.OperatorID != 0 && one:
		return "owner+status"
	case one && f.Statuses[0] != hotline.StatusApproved:
		return "status"
	case f.active():
		return "active"
	case f.OperatorID != 0:
		return "owner"
	case f.Topic != "":
		return "topic"
	case f.Type != "":
		return "type"
	case one:
		return "status"
	}
	return ""
}

// active reports whether f keeps only cases not yet approved: asked so (Active), or every status
// it names is one before approval. Such a list walks the partial index of the cases not yet
// approved: an operator's «В работе» and «Отсроченный ответ» are a few dozen cases among their
// thousands approved, which a walk of all their cases newest first read to the last.
func (f CaseFilter) active() bool {
	if f.Active {
		return true
	}
	for _, st := range f.Statuses {
		if st == hotline.StatusApproved {
			return false
		}
	}
	return len(f.Statuses) > 0
}

// where is f's condition and its arguments; pg says the Store is on PostgreSQL, whose planner
// keeps statistics and takes no hint (its unary + is for numbers only: "+topic" is an error).
func (f CaseFilter) where(region hotline.PhoneRegion, pg bool) (string, []any, error) {
	var (
		conds []string
		args  []any
	)
	lead := f.leadIndex()
	// col is a column as a condition names it: itself where it leads, else, on SQLite, hidden
	// from the planner ("+col" is the same value, but no index of col serves it).
	col := func(name string, leads ...string) string {
		if pg {
			return name
		}
		for _, l := range leads {
			if l == lead {
				return name
			}
		}
		return "+" + name
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return "", nil, hotline.Errorf(hotline.EINVALID, "the date range is empty: --to %s is not after --from %s", f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
	}
	if !f.From.IsZero() {
		conds, args = append(conds, `created_at >= ?`), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, `created_at < ?`), append(args, f.To.UnixMilli())
	}
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			if !st.Valid() {
				return "", nil, hotline.Errorf(hotline.EINVALID, "unknown status %q (want in_progress, delayed_answer, under_review or approved)", st)
			}
			ph[i] = "?"
			args = append(args, st)
		}
		conds = append(conds, col("status", "status", "owner+status")+` IN (`+strings.Join(ph, ",")+`)`)
	}
	if f.Type != "" {
		if !f.Type.Valid() {
			return "", nil, hotline.Errorf(hotline.EINVALID, "unknown case type %q", f.Type)
		}
		conds, args = append(conds, col("type", "type")+` = ?`), append(args, f.Type)
	}
	if f.Topic != "" {
		conds, args = append(conds, col("topic", "topic")+` = ?`), append(args, f.Topic)
	}
	if f.OperatorID != 0 {
		conds, args = append(conds, col("owner_id", "owner", "owner+active", "owner+status")+` = ?`), append(args, f.OperatorID)
	}
	if f.active() {
		// A literal, as the partial indexes' condition is written: SQLite uses a partial index
		// only when the query's terms imply its WHERE.
		conds = append(conds, col("status", "active", "owner+active")+` <> 'approved'`)
	}
	if b := f.Before; b != nil {
		// created_at <= ? alone is the index's range; the OR drops the rows of the same moment
		// already shown (id breaks ties, as in ORDER BY).
		at := b.CreatedAt.UnixMilli()
		conds, args = append(conds, `created_at <= ? AND (created_at < ? OR id < ?)`), append(args, at, at, b.ID)
	}
	if f.Caller != "" {
		n, ok := region.Normalize(f.Caller)
		if !ok {
			return "", nil, hotline.Errorf(hotline.EINVALID, "--caller %q is not a phone number: want e.g. +79121234567 or 8 912 123-45-67", clip(f.Caller))
		}
		// The "<> ''" repeats the partial index's WHERE: SQLite uses a partial index only when
		// the query implies its condition, which a bound parameter alone does not.
		conds, args = append(conds, `caller_number <> '' AND caller_number = ?`), append(args, n)
	}
	if len(conds) == 0 {
		return "1=1", args, nil
	}
	return strings.Join(conds, " AND "), args, nil
}

// Cases lists cases matching f, newest first.
func (s *Store) Cases(ctx context.Context, f CaseFilter) ([]hotline.Case, error) {
	if f.Text != "" {
		return nil, hotline.Errorf(hotline.EINVALID, "a text search lists pages (CasePage), bounded per page")
	}
	where, args, err := f.where(s.PhoneRegion(), s.pg)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 10000 {
		return nil, hotline.Errorf(hotline.EINVALID, "limit %d is too large (at most 10000; page with offset)", f.Limit)
	}
	args = append(args, f.Limit, max(f.Offset, 0))
	return s.selectCases(ctx, `SELECT `+caseCols+` FROM cases WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, args...)
}

// CountCases counts the cases matching f (Limit and Offset ignored).
func (s *Store) CountCases(ctx context.Context, f CaseFilter) (int, error) {
	where, args, err := f.where(s.PhoneRegion(), s.pg)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM cases WHERE `+where, args...); err != nil {
		return 0, s.dbError(err, "count cases")
	}
	return n, nil
}

func (s *Store) selectCases(ctx context.Context, q string, args ...any) ([]hotline.Case, error) {
	var rows []caseRow
	if err := s.r.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, s.dbError(err, "list cases")
	}
	out := make([]hotline.Case, len(rows))
	for i, r := range rows {
		out[i] = r.toCase()
	}
	return out, nil
}

// CallerQuery names a person whose earlier cases are wanted; any non-empty field matches.
type CallerQuery struct {
	Number       string
	PolicyNumber string
	FullName     string // exact, case-insensitive
}

// CallerHistory lists a person's cases, newest first, by number or by person (policy number or
// full name): what an operator links a new case to.
func (s *Store) CallerHistory(ctx context.Context, q CallerQuery, limit int) ([]hotline.Case, error) {
	var (
		conds []string
		args  []any
	)
	if q.Number != "" {
		n, err := s.typedNumber(q.Number)
		if err != nil {
			return nil, err
		}
		conds, args = append(conds, `caller_number <> '' AND caller_number = ?`), append(args, n)
	}
	if p := strings.TrimSpace(q.PolicyNumber); p != "" {
		conds, args = append(conds, `policy_number <> '' AND policy_number = ?`), append(args, p)
	}
	if n := strings.TrimSpace(q.FullName); n != "" {
		conds, args = append(conds, `full_name_fold <> '' AND full_name_fold = ?`), append(args, fold(n))
	}
	if len(conds) == 0 {
		return nil, hotline.Errorf(hotline.EINVALID, "caller history needs a number, a policy number or a full name")
	}
	if limit <= 0 {
		limit = 100
	}
	// A UNION of indexed lookups rather than OR, which SQLite may answer with a full scan.
	var parts []string
	for _, c := range conds {
		parts = append(parts, `SELECT `+caseCols+` FROM cases WHERE `+c)
	}
	return s.selectCases(ctx, strings.Join(parts, " UNION ")+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...)
}
