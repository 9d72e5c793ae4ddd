package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

const operatorCols = `id, name, login, role, level, organisation, extension, topics, languages, max_concurrent, priority, active, created_at`

type operatorRow struct {
	ID            int64          `db:"id"`
	Name          string         `db:"name"`
	Login         sql.NullString `db:"login"`
	Role          string         `db:"role"`
	Level         int            `db:"level"`
	Organisation  string         `db:"organisation"`
	Extension     string         `db:"extension"`
	Topics        string         `db:"topics"`
	Languages     string         `db:"languages"`
	MaxConcurrent int            `db:"max_concurrent"`
	Priority      int            `db:"priority"`
	Active        bool           `db:"active"`
	CreatedAt     sql.NullInt64  `db:"created_at"`
}

func (r operatorRow) operator() hotline.Operator {
	o := hotline.Operator{ID: r.ID, Name: r.Name, Login: r.Login.String, Role: hotline.Role(r.Role), Level: hotline.Level(r.Level),
		Organisation: r.Organisation, Extension: r.Extension, MaxConcurrent: r.MaxConcurrent, Priority: r.Priority,
		Active: r.Active, CreatedAt: fromMS(r.CreatedAt)}
	_ = json.Unmarshal([]byte(r.Topics), &o.Topics)
	_ = json.Unmarshal([]byte(r.Languages), &o.Languages)
	return o
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func operatorFields(o hotline.Operator) map[string]string {
	return map[string]string{
		"name": o.Name, "login": o.Login, "role": string(o.Role), "level": strconv.Itoa(int(o.Level)),
		"organisation": o.Organisation, "extension": o.Extension, "topics": strings.Join(o.Topics, ","),
		"languages": strings.Join(o.Languages, ","), "max_concurrent": strconv.Itoa(o.MaxConcurrent),
		"priority": strconv.Itoa(o.Priority), "active": strconv.FormatBool(o.Active),
	}
}

// Actor maps a login (the OS user or --as) to who acts. While the journal has no administrator
// yet, any login acts as a bootstrap administrator so that the first one can be added; that
// first change is in the history like any other.
func (s *Store) Actor(ctx context.Context, login string) (hotline.Actor, error) {
	if login == "" {
		return hotline.Actor{}, hotline.Errorf(hotline.EINVALID, "no actor: set --as or run as a named OS user")
	}
	o, err := s.OperatorByLogin(ctx, login)
	if err == nil {
		if !o.Active {
			return hotline.Actor{}, hotline.Errorf(hotline.EFORBIDDEN, "operator %q (%d) was removed from service and cannot act", login, o.ID)
		}
		return hotline.Actor{Login: login, OperatorID: o.ID, Role: o.Role}, nil
	}
	if hotline.ErrorCode(err) != hotline.ENOTFOUND {
		return hotline.Actor{}, err
	}
	var admins int
	if err := s.r.GetContext(ctx, &admins, `SELECT count(*) FROM operators WHERE role = 'administrator' AND active = 1`); err != nil {
		return hotline.Actor{}, s.dbError(err, "look up administrators")
	}
	if admins == 0 {
		return hotline.Actor{Login: login, Role: hotline.RoleAdministrator}, nil
	}
	return hotline.Actor{}, hotline.Errorf(hotline.EFORBIDDEN,
		"%q is not an operator of this journal: ask an administrator to add you (hotline operator add --login %s ...) or use --as", login, login)
}

// AddOperator adds an operator (administrators only) and sets o.ID.
func (s *Store) AddOperator(ctx context.Context, by hotline.Actor, o *hotline.Operator) error {
	if err := by.RequireAdministrator("add operators"); err != nil {
		return err
	}
	o.Active = true
	o.CreatedAt = s.now().UTC()
	if err := o.Validate(); err != nil {
		return err
	}
	return s.write(ctx, "add operator", func(tx *sqlx.Tx) error {
		return s.insertOperator(ctx, tx, by, o)
	})
}

// insertOperator adds o, validated, in the caller's transaction, with its history event.
func (s *Store) insertOperator(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, o *hotline.Operator) error {
	if err := checkTopics(ctx, tx, o.Topics); err != nil {
		return err
	}
	res, err := insertReturningID(ctx, tx, `INSERT INTO operators (name, login, role, level, organisation, extension, topics, languages,
			max_concurrent, priority, active, created_at, search_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		o.Name, nullStr(o.Login), o.Role, o.Level, o.Organisation, o.Extension, jsonList(o.Topics), jsonList(o.Languages),
		o.MaxConcurrent, o.Priority, o.CreatedAt.UnixMilli(), fold(o.Name, o.Organisation, o.Extension, o.Login))
	if err != nil {
		return operatorConflict(err, o)
	}
	if o.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return s.record(ctx, tx, by, "operator", o.ID, 0, "created", diff(nil, operatorFields(*o)))
}

// operatorConflict names which unique field clashed.
func operatorConflict(err error, o *hotline.Operator) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "operators.login"):
		return hotline.Errorf(hotline.ECONFLICT, "login %q is already used by another operator", o.Login)
	case strings.Contains(msg, "operators.extension"):
		return hotline.Errorf(hotline.ECONFLICT, "extension %s is already used by another active operator", o.Extension)
	}
	return err
}

func checkTopics(ctx context.Context, tx *sqlx.Tx, codes []string) error {
	for _, c := range codes {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM topics WHERE code = ?`, c); err != nil {
			return err
		}
		if n == 0 {
			return hotline.Errorf(hotline.ENOTFOUND, "unknown topic %q: see `hotline topic list`", c)
		}
	}
	return nil
}

// UpdateOperator changes operator id with fn (administrators only), inside one transaction.
func (s *Store) UpdateOperator(ctx context.Context, by hotline.Actor, id int64, fn func(*hotline.Operator) error) (hotline.Operator, error) {
	var out hotline.Operator
	if err := by.RequireAdministrator("change operators"); err != nil {
		return out, err
	}
	err := s.write(ctx, "update operator", func(tx *sqlx.Tx) error {
		before, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", id), `id = ?`, id)
		if err != nil {
			return err
		}
		o := before
		if err := fn(&o); err != nil {
			return err
		}
		o.ID, o.CreatedAt = before.ID, before.CreatedAt
		if err := o.Validate(); err != nil {
			return err
		}
		if err := checkTopics(ctx, tx, o.Topics); err != nil {
			return err
		}
		if before.Role == hotline.RoleAdministrator && (o.Role != hotline.RoleAdministrator || !o.Active) {
			if err := lastAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE operators SET name = ?, login = ?, role = ?, level = ?, organisation = ?, extension = ?,
			topics = ?, languages = ?, max_concurrent = ?, priority = ?, active = ?, search_fold = ? WHERE id = ?`,
			o.Name, nullStr(o.Login), o.Role, o.Level, o.Organisation, o.Extension, jsonList(o.Topics), jsonList(o.Languages),
			o.MaxConcurrent, o.Priority, o.Active, fold(o.Name, o.Organisation, o.Extension, o.Login), id)
		if err != nil {
			return operatorConflict(err, &o)
		}
		if before.Active && !o.Active {
			// Out of service is out of the workplace too, in the same transaction: no window in
			// which a removed operator's open session still works.
			if _, err := s.revokeSessions(ctx, tx, id, "removed from service"); err != nil {
				return err
			}
		}
		out = o
		return s.record(ctx, tx, by, "operator", id, 0, "updated", diff(operatorFields(before), operatorFields(o)))
	})
	return out, err
}

// lastAdmin refuses demoting or removing the last active administrator: nobody could approve.
func lastAdmin(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM operators WHERE role = 'administrator' AND active = 1 AND id <> ?`, id); err != nil {
		return err
	}
	if n == 0 {
		return hotline.Errorf(hotline.ECONFLICT, "operator %d is the last administrator; add another one first", id)
	}
	return nil
}

// RemoveOperator takes an operator out of service (administrators only). The row stays: cases
// and history refer to it.
func (s *Store) RemoveOperator(ctx context.Context, by hotline.Actor, id int64) error {
	_, err := s.UpdateOperator(ctx, by, id, func(o *hotline.Operator) error {
		if !o.Active {
			return hotline.Errorf(hotline.ECONFLICT, "operator %d is already removed", id)
		}
		o.Active = false
		return nil
	})
	return err
}

type querier interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// getOperator loads one operator; desc names it in the not-found message.
func getOperator(ctx context.Context, q querier, desc, where string, args ...any) (hotline.Operator, error) {
	var r operatorRow
	if err := q.GetContext(ctx, &r, `SELECT `+operatorCols+` FROM operators WHERE `+where, args...); err != nil {
		if err == sql.ErrNoRows {
			return hotline.Operator{}, noOperator(desc)
		}
		return hotline.Operator{}, err
	}
	return r.operator(), nil
}

// noOperator is the error for an operator the journal does not have; desc says which ("with id 3").
func noOperator(desc string) error {
	return hotline.Errorf(hotline.ENOTFOUND, "no operator %s: see `hotline operator list`", desc)
}

// Operator returns operator id (active or not).
func (s *Store) Operator(ctx context.Context, id int64) (hotline.Operator, error) {
	o, err := getOperator(ctx, s.r, fmt.Sprintf("with id %d", id), `id = ?`, id)
	return o, s.dbError(err, "find operator")
}

// OperatorByLogin returns the operator a login maps to.
func (s *Store) OperatorByLogin(ctx context.Context, login string) (hotline.Operator, error) {
	o, err := getOperator(ctx, s.r, fmt.Sprintf("with login %q", login), `login = ?`, login)
	return o, s.dbError(err, "find operator")
}

// OperatorByExtension returns the active operator whose handset is ext (call flow: who answered).
func (s *Store) OperatorByExtension(ctx context.Context, ext string) (hotline.Operator, error) {
	o, err := getOperator(ctx, s.r, fmt.Sprintf("at extension %q", ext), `extension = ? AND active = 1`, ext)
	return o, s.dbError(err, "find operator by extension")
}

// OperatorFilter selects operators; zero fields match everything.
type OperatorFilter struct {
	IncludeRemoved bool
	Level          hotline.Level
	Topic          string // handles this topic (or every topic)
	Organisation   string
}

// Operators lists operators by id.
func (s *Store) Operators(ctx context.Context, f OperatorFilter) ([]hotline.Operator, error) {
	q := `SELECT ` + operatorCols + ` FROM operators WHERE 1=1`
	var args []any
	if !f.IncludeRemoved {
		q += ` AND active = 1`
	}
	if f.Level != 0 {
		q += ` AND level = ?`
		args = append(args, f.Level)
	}
	if f.Topic != "" {
		q += ` AND (topics = '[]' OR EXISTS (SELECT 1 FROM ` + s.jsonEach("operators.topics") + ` WHERE value = ?))`
		args = append(args, f.Topic)
	}
	if f.Organisation != "" {
		q += ` AND organisation = ?`
		args = append(args, f.Organisation)
	}
	return s.selectOperators(ctx, q+` ORDER BY id`, args...)
}

func (s *Store) selectOperators(ctx context.Context, q string, args ...any) ([]hotline.Operator, error) {
	var rows []operatorRow
	if err := s.r.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, s.dbError(err, "list operators")
	}
	out := make([]hotline.Operator, len(rows))
	for i, r := range rows {
		out[i] = r.operator()
	}
	return out, nil
}

// SearchDirectory is the phone directory: active operators and specialists whose name,
// organisation, extension or login contains text (case-insensitive).
func (s *Store) SearchDirectory(ctx context.Context, text string) ([]hotline.Operator, error) {
	if strings.TrimSpace(text) == "" {
		return nil, hotline.Errorf(hotline.EINVALID, "search text is empty")
	}
	return s.selectOperators(ctx, `SELECT `+operatorCols+` FROM operators WHERE active = 1 AND search_fold LIKE ? ESCAPE '\' ORDER BY name`, likeArg(text))
}
