package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

type topicRow struct {
	Code     string        `db:"code"`
	Number   sql.NullInt64 `db:"number"`
	Type     string        `db:"type"`
	Title    string        `db:"title"`
	Keywords string        `db:"keywords"`
}

func (r topicRow) topic() hotline.Topic {
	return hotline.Topic{Code: r.Code, Number: int(r.Number.Int64), Type: hotline.CaseType(r.Type), Title: r.Title, Keywords: strings.Fields(r.Keywords)}
}

const topicCols = `code, number, type, title, keywords`

// AddTopic adds a topic to the catalogue of its case type (administrators only).
func (s *Store) AddTopic(ctx context.Context, by hotline.Actor, t hotline.Topic) error {
	if err := by.RequireAdministrator("change the topic catalogue"); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	kw := strings.Join(t.Keywords, " ")
	return s.write(ctx, "add topic", func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO topics (code, number, type, title, keywords, search_fold, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.Code, nullID(int64(t.Number)), t.Type, t.Title, kw, fold(t.Code, t.Title, kw), s.now().UnixMilli())
		if err != nil {
			return topicConflict(err, t)
		}
		return s.record(ctx, tx, by, "topic", t.Code, 0, "created", diff(nil, topicFields(t)))
	})
}

// Topic returns the topic with code.
func (s *Store) Topic(ctx context.Context, code string) (hotline.Topic, error) {
	return s.getTopic(ctx, s.r, fmt.Sprintf("%q", code), `code = ?`, code)
}

// TopicByNumber returns the topic an operator keys on the handset as number n.
func (s *Store) TopicByNumber(ctx context.Context, n int) (hotline.Topic, error) {
	return s.getTopic(ctx, s.r, fmt.Sprintf("with handset number %d", n), `number = ?`, n)
}

func (s *Store) getTopic(ctx context.Context, q querier, desc, where string, args ...any) (hotline.Topic, error) {
	var r topicRow
	if err := q.GetContext(ctx, &r, `SELECT `+topicCols+` FROM topics WHERE `+where, args...); err != nil {
		if err == sql.ErrNoRows {
			return hotline.Topic{}, hotline.Errorf(hotline.ENOTFOUND, "unknown topic %s: see `hotline topic list`", desc)
		}
		return hotline.Topic{}, s.dbError(err, "find topic")
	}
	return r.topic(), nil
}

// Topics lists the catalogue, of one case type or (typ "") all, optionally only topics whose code,
// title or keywords contain keyword.
func (s *Store) Topics(ctx context.Context, typ hotline.CaseType, keyword string) ([]hotline.Topic, error) {
	q := `SELECT ` + topicCols + ` FROM topics WHERE 1=1`
	var args []any
	if typ != "" {
		if !typ.Valid() {
			return nil, hotline.Errorf(hotline.EINVALID, "unknown case type %q", typ)
		}
		q += ` AND type = ?`
		args = append(args, typ)
	}
	if strings.TrimSpace(keyword) != "" {
		q += ` AND search_fold LIKE ? ESCAPE '\'`
		args = append(args, likeArg(keyword))
	}
	var rows []topicRow
	if err := s.r.SelectContext(ctx, &rows, q+` ORDER BY type, code`, args...); err != nil {
		return nil, s.dbError(err, "list topics")
	}
	out := make([]hotline.Topic, len(rows))
	for i, r := range rows {
		out[i] = r.topic()
	}
	return out, nil
}

// AddScript adds an approved answer for a topic with its recommended level-2 specialists
// (administrators only), and sets sc.ID.
func (s *Store) AddScript(ctx context.Context, by hotline.Actor, sc *hotline.Script) error {
	if err := by.RequireAdministrator("change scripts"); err != nil {
		return err
	}
	if err := sc.Validate(); err != nil {
		return err
	}
	return s.write(ctx, "add script", func(tx *sqlx.Tx) error {
		if _, err := s.getTopic(ctx, tx, fmt.Sprintf("%q", sc.Topic), `code = ?`, sc.Topic); err != nil {
			return err
		}
		res, err := insertReturningID(ctx, tx, `INSERT INTO scripts (topic, title, text, search_fold, created_at) VALUES (?, ?, ?, ?, ?)`,
			sc.Topic, sc.Title, sc.Text, fold(sc.Title, sc.Text), s.now().UnixMilli())
		if err != nil {
			return err
		}
		if sc.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := insertRecommended(ctx, tx, sc.ID, sc.Recommended); err != nil {
			return err
		}
		return s.record(ctx, tx, by, "script", sc.ID, 0, "created", diff(nil, scriptFields(*sc)))
	})
}

// insertRecommended stores a script's recommended specialists in order; each must be an active
// level-2 specialist, named once.
func insertRecommended(ctx context.Context, tx *sqlx.Tx, scriptID int64, ids []int64) error {
	seen := map[int64]bool{}
	for i, id := range ids {
		if seen[id] {
			return hotline.Errorf(hotline.EINVALID, "operator %d is recommended twice", id)
		}
		seen[id] = true
		o, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", id), `id = ?`, id)
		if err != nil {
			return err
		}
		if o.Level != hotline.Level2 || !o.Active {
			return hotline.Errorf(hotline.EINVALID, "operator %d (%s) is not an active level-2 specialist", id, o.Name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO script_specialists (script_id, operator_id, position) VALUES (?, ?, ?)`, scriptID, id, i); err != nil {
			return err
		}
	}
	return nil
}

func scriptFields(sc hotline.Script) map[string]string {
	ids := make([]string, len(sc.Recommended))
	for i, id := range sc.Recommended {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return map[string]string{"topic": sc.Topic, "title": sc.Title, "text": sc.Text, "recommended": strings.Join(ids, ",")}
}

func topicFields(t hotline.Topic) map[string]string {
	return map[string]string{"code": t.Code, "number": strconv.Itoa(t.Number), "type": string(t.Type), "title": t.Title,
		"keywords": strings.Join(t.Keywords, " ")}
}

// topicConflict names which unique field of a topic clashed.
func topicConflict(err error, t hotline.Topic) error {
	switch {
	case strings.Contains(err.Error(), "topics.number"):
		return hotline.Errorf(hotline.ECONFLICT, "handset number %d is already used by another topic", t.Number)
	case strings.Contains(err.Error(), "topics.code"):
		return hotline.Errorf(hotline.ECONFLICT, "topic %q already exists", t.Code)
	}
	return err
}

// UpdateTopic changes topic code with fn (administrators only), in one transaction with its
// history. The code and the case type stay: cases, scripts and operators' skills name the topic
// by its code, and registered cases were checked against its type.
func (s *Store) UpdateTopic(ctx context.Context, by hotline.Actor, code string, fn func(*hotline.Topic) error) (hotline.Topic, error) {
	var out hotline.Topic
	if err := by.RequireAdministrator("change the topic catalogue"); err != nil {
		return out, err
	}
	err := s.write(ctx, "update topic", func(tx *sqlx.Tx) error {
		before, err := s.getTopic(ctx, tx, fmt.Sprintf("%q", code), `code = ?`, code)
		if err != nil {
			return err
		}
		t := before
		t.Keywords = append([]string(nil), before.Keywords...)
		if err := fn(&t); err != nil {
			return err
		}
		switch {
		case t.Code != before.Code:
			return hotline.Errorf(hotline.EINVALID, "a topic's code cannot change (%s): cases and scripts refer to it", before.Code)
		case t.Type != before.Type:
			return hotline.Errorf(hotline.EINVALID, "topic %s: the case type cannot change: cases are registered with it", before.Code)
		}
		if err := t.Validate(); err != nil {
			return err
		}
		kw := strings.Join(t.Keywords, " ")
		if _, err := tx.ExecContext(ctx, `UPDATE topics SET number = ?, title = ?, keywords = ?, search_fold = ? WHERE code = ?`,
			nullID(int64(t.Number)), t.Title, kw, fold(t.Code, t.Title, kw), code); err != nil {
			return topicConflict(err, t)
		}
		out = t
		return s.record(ctx, tx, by, "topic", code, 0, "updated", diff(topicFields(before), topicFields(t)))
	})
	return out, err
}

// UpdateScript changes script id with fn (administrators only): its topic, title, text and
// recommended specialists (replaced as a whole, in fn's order), in one transaction with its
// history.
func (s *Store) UpdateScript(ctx context.Context, by hotline.Actor, id int64, fn func(*hotline.Script) error) (hotline.Script, error) {
	var out hotline.Script
	if err := by.RequireAdministrator("change scripts"); err != nil {
		return out, err
	}
	err := s.write(ctx, "update script", func(tx *sqlx.Tx) error {
		// Read under the write lock, so the history's "before" is what this change replaced.
		var row scriptRow
		if err := tx.GetContext(ctx, &row, `SELECT id, topic, title, text FROM scripts WHERE id = ?`, id); err != nil {
			if err == sql.ErrNoRows {
				return hotline.Errorf(hotline.ENOTFOUND, "no script with id %d: see `hotline script list`", id)
			}
			return err
		}
		before := hotline.Script{ID: row.ID, Topic: row.Topic, Title: row.Title, Text: row.Text}
		if err := tx.SelectContext(ctx, &before.Recommended, `SELECT operator_id FROM script_specialists WHERE script_id = ? ORDER BY position`, id); err != nil {
			return err
		}
		sc := before
		sc.Recommended = append([]int64(nil), before.Recommended...)
		if err := fn(&sc); err != nil {
			return err
		}
		sc.ID = id
		if err := sc.Validate(); err != nil {
			return err
		}
		if _, err := s.getTopic(ctx, tx, fmt.Sprintf("%q", sc.Topic), `code = ?`, sc.Topic); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE scripts SET topic = ?, title = ?, text = ?, search_fold = ? WHERE id = ?`,
			sc.Topic, sc.Title, sc.Text, fold(sc.Title, sc.Text), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return hotline.Errorf(hotline.ENOTFOUND, "no script with id %d: see `hotline script list`", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM script_specialists WHERE script_id = ?`, id); err != nil {
			return err
		}
		if err := insertRecommended(ctx, tx, id, sc.Recommended); err != nil {
			return err
		}
		out = sc
		return s.record(ctx, tx, by, "script", id, 0, "updated", diff(scriptFields(before), scriptFields(sc)))
	})
	return out, err
}

type scriptRow struct {
	ID    int64  `db:"id"`
	Topic string `db:"topic"`
	Title string `db:"title"`
	Text  string `db:"text"`
}

func (s *Store) scripts(ctx context.Context, where string, args ...any) ([]hotline.Script, error) {
	var rows []scriptRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT id, topic, title, text FROM scripts WHERE `+where+` ORDER BY topic, id`, args...); err != nil {
		return nil, s.dbError(err, "list scripts")
	}
	out := make([]hotline.Script, len(rows))
	for i, r := range rows {
		out[i] = hotline.Script{ID: r.ID, Topic: r.Topic, Title: r.Title, Text: r.Text}
		if err := s.r.SelectContext(ctx, &out[i].Recommended,
			`SELECT operator_id FROM script_specialists WHERE script_id = ? ORDER BY position`, r.ID); err != nil {
			return nil, s.dbError(err, "list recommended specialists")
		}
	}
	return out, nil
}

// Script returns script id.
func (s *Store) Script(ctx context.Context, id int64) (hotline.Script, error) {
	out, err := s.scripts(ctx, `id = ?`, id)
	if err != nil {
		return hotline.Script{}, err
	}
	if len(out) == 0 {
		return hotline.Script{}, hotline.Errorf(hotline.ENOTFOUND, "no script with id %d: see `hotline script list`", id)
	}
	return out[0], nil
}

// Scripts lists the scripts of a topic, or all (topic "").
func (s *Store) Scripts(ctx context.Context, topic string) ([]hotline.Script, error) {
	if topic == "" {
		return s.scripts(ctx, `1=1`)
	}
	return s.scripts(ctx, `topic = ?`, topic)
}

// SearchScripts lists the scripts whose title or text contains keyword.
func (s *Store) SearchScripts(ctx context.Context, keyword string) ([]hotline.Script, error) {
	if strings.TrimSpace(keyword) == "" {
		return nil, hotline.Errorf(hotline.EINVALID, "search text is empty")
	}
	return s.scripts(ctx, `search_fold LIKE ? ESCAPE '\'`, likeArg(keyword))
}

// RecommendedSpecialists lists the active level-2 specialists the topic's scripts recommend, in
// order of preference, each once (call flow: where to forward a call on this topic).
func (s *Store) RecommendedSpecialists(ctx context.Context, topic string) ([]hotline.Operator, error) {
	return s.selectOperators(ctx, `SELECT `+operatorCols+` FROM operators o JOIN (
			SELECT ss.operator_id, min(sc.id * 1000000 + ss.position) AS ord FROM script_specialists ss
			JOIN scripts sc ON sc.id = ss.script_id WHERE sc.topic = ? GROUP BY ss.operator_id
		) r ON r.operator_id = o.id WHERE o.active = 1 AND o.level = 2 ORDER BY r.ord`, topic)
}
