package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// «Действия» of the survey journals (§5.3.1): notifications and stages imported from the fund's
// data, and the representatives' notes.

// SurveyActionLine is one line of an actions file: the person's policy number and the action, or
// why the line is not one (Err).
type SurveyActionLine struct {
	Line   int
	Policy string
	Action hotline.SurveyAction
	Err    error
}

// SurveyActionSource yields an actions file's lines; io.EOF ends it.
type SurveyActionSource interface {
	Next() (SurveyActionLine, error)
}

// ActionImportReport is what an actions import did.
type ActionImportReport struct {
	ID         int64       `json:"id"`
	Lines      int         `json:"lines"`
	Added      int         `json:"added"`
	Unchanged  int         `json:"unchanged"` // already in the journal, or repeated in the file
	Rejected   int         `json:"rejected"`
	Rejections []Rejection `json:"rejections,omitempty"` // the first MaxRejections
}

// ImportSurveyActions imports an actions file (administrators only) in one transaction: a
// failure or an interruption writes nothing; a bad line (unreadable, an unknown policy number, a
// person not in that journal for that year) is rejected with its number and reason and the others
// are imported. A line already imported is unchanged: importing a file again adds nothing.
func (s *Store) ImportSurveyActions(ctx context.Context, by hotline.Actor, src SurveyActionSource, source string) (ActionImportReport, error) {
	var rep ActionImportReport
	if err := by.RequireAdministrator("import survey actions"); err != nil {
		return rep, err
	}
	err := s.write(ctx, "import survey actions", func(tx *sqlx.Tx) error {
		rep = ActionImportReport{}
		res, err := insertReturningID(ctx, tx, `INSERT INTO survey_action_imports (at, source, actor, added, unchanged, rejected) VALUES (?, ?, ?, 0, 0, 0)`,
			s.now().UnixMilli(), source, by.Login)
		if err != nil {
			return err
		}
		if rep.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		reject := func(l SurveyActionLine, reason string) {
			rep.Rejected++
			if len(rep.Rejections) < MaxRejections {
				rep.Rejections = append(rep.Rejections, Rejection{Line: l.Line, Policy: l.Policy, Reason: reason})
			}
		}
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			l, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			rep.Lines++
			if l.Err == nil {
				l.Err = l.Action.Validate(s.now())
			}
			if l.Err != nil {
				reject(l, hotline.ErrorMessage(l.Err))
				continue
			}
			a := l.Action
			var ids []int64
			if err := tx.SelectContext(ctx, &ids, `SELECT i.id FROM insured i WHERE i.policy_number = ? AND `+SurveyKind(a.Kind).where(), l.Policy, a.Year); err != nil {
				return err
			}
			if len(ids) == 0 {
				var n int
				if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM insured WHERE policy_number = ?`, l.Policy); err != nil {
					return err
				}
				if n == 0 {
					reject(l, fmt.Sprintf("unknown policy number %s: not in the register", l.Policy))
				} else {
					reject(l, fmt.Sprintf("the person is not in the %s journal for %d", a.Kind, a.Year))
				}
				continue
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO survey_actions (person_id, kind, year, action, on_date, detail, import_id) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT DO NOTHING`, ids[0], a.Kind, a.Year, a.Action, a.On, a.Detail, rep.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				rep.Added++
			} else {
				rep.Unchanged++
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE survey_action_imports SET added = ?, unchanged = ?, rejected = ? WHERE id = ?`,
			rep.Added, rep.Unchanged, rep.Rejected, rep.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, by, "survey_actions_import", rep.ID, 0, "imported", []Change{
			{Field: "source", To: source}, {Field: "lines", To: fmt.Sprint(rep.Lines)}, {Field: "added", To: fmt.Sprint(rep.Added)},
			{Field: "unchanged", To: fmt.Sprint(rep.Unchanged)}, {Field: "rejected", To: fmt.Sprint(rep.Rejected)}})
	})
	if err != nil {
		return ActionImportReport{}, err
	}
	return rep, nil
}

// SurveyActions are person's imported actions in journal k for year, by date.
func (s *Store) SurveyActions(ctx context.Context, k SurveyKind, year int, person int64) ([]hotline.SurveyAction, error) {
	var rows []struct {
		Action string `db:"action"`
		On     string `db:"on_date"`
		Detail string `db:"detail"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT action, on_date, detail FROM survey_actions WHERE person_id = ? AND kind = ? AND year = ? ORDER BY on_date, id`,
		person, string(k), year); err != nil {
		return nil, s.dbError(err, "read survey actions")
	}
	out := make([]hotline.SurveyAction, 0, len(rows))
	for _, r := range rows {
		out = append(out, hotline.SurveyAction{Kind: string(k), Year: year, Action: r.Action, On: r.On, Detail: r.Detail})
	}
	return out, nil
}

// MaxSurveyNoteLen bounds a representative's note.
const MaxSurveyNoteLen = hotline.MaxCommentLen

// AddSurveyNote adds a representative's note to person's survey in journal k for year; the
// person must be in the journal for that year.
func (s *Store) AddSurveyNote(ctx context.Context, by hotline.Actor, k SurveyKind, year int, person int64, text string) (hotline.SurveyNote, error) {
	n := hotline.SurveyNote{Text: strings.TrimSpace(text)}
	if !k.Valid() {
		return n, hotline.Errorf(hotline.EINVALID, "unknown survey journal %q", clip(string(k)))
	}
	if n.Text == "" {
		return n, hotline.Errorf(hotline.EINVALID, "the note is empty")
	}
	if len([]rune(n.Text)) > MaxSurveyNoteLen {
		return n, hotline.Errorf(hotline.EINVALID, "the note is too long: at most %d characters", MaxSurveyNoteLen)
	}
	err := s.write(ctx, "add a survey note", func(tx *sqlx.Tx) error {
		var c int
		if err := tx.GetContext(ctx, &c, `SELECT count(*) FROM insured i WHERE i.id = ? AND `+k.where(), person, year); err != nil {
			return err
		}
		if c == 0 {
			return hotline.Errorf(hotline.ENOTFOUND, "insured person %d is not in the %s journal for %d", person, k, year)
		}
		n.CreatedAt, n.CreatedBy = s.now().UTC(), by.Login
		res, err := insertReturningID(ctx, tx, `INSERT INTO survey_notes (person_id, kind, year, text, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
			person, string(k), year, n.Text, n.CreatedAt.UnixMilli(), by.Login)
		if err != nil {
			return err
		}
		if n.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return s.record(ctx, tx, by, "survey", fmt.Sprintf("%s/%d/%d", k, year, person), 0, "noted", []Change{{Field: "note", To: n.Text}})
	})
	return n, err
}

// SurveyNotes are the representatives' notes on person's survey, oldest first.
func (s *Store) SurveyNotes(ctx context.Context, k SurveyKind, year int, person int64) ([]hotline.SurveyNote, error) {
	var rows []struct {
		ID        int64  `db:"id"`
		Text      string `db:"text"`
		CreatedAt int64  `db:"created_at"`
		CreatedBy string `db:"created_by"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT id, text, created_at, created_by FROM survey_notes WHERE person_id = ? AND kind = ? AND year = ? ORDER BY id`,
		person, string(k), year); err != nil {
		return nil, s.dbError(err, "read survey notes")
	}
	out := make([]hotline.SurveyNote, 0, len(rows))
	for _, r := range rows {
		out = append(out, hotline.SurveyNote{ID: r.ID, Text: r.Text, CreatedAt: time.UnixMilli(r.CreatedAt).UTC(), CreatedBy: r.CreatedBy})
	}
	return out, nil
}
