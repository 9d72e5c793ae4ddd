package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// The survey journals' questionnaires (§5.3): written by administrators per journal and year;
// each save is a new version, the old ones kept for the answers given to them.

type questionnaireRow struct {
	ID             int64  `db:"id"`
	Kind           string `db:"kind"`
	Year           int    `db:"year"`
	Version        int    `db:"version"`
	Questions      string `db:"questions"`
	RefusalReasons string `db:"refusal_reasons"`
	CreatedAt      int64  `db:"created_at"`
	CreatedBy      string `db:"created_by"`
}

func (r questionnaireRow) questionnaire() (hotline.Questionnaire, error) {
	q := hotline.Questionnaire{ID: r.ID, Kind: r.Kind, Year: r.Year, Version: r.Version,
		CreatedAt: time.UnixMilli(r.CreatedAt).UTC(), CreatedBy: r.CreatedBy}
	if err := json.Unmarshal([]byte(r.Questions), &q.Questions); err != nil {
		return q, fmt.Errorf("questionnaire %d: questions: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.RefusalReasons), &q.RefusalReasons); err != nil {
		return q, fmt.Errorf("questionnaire %d: refusal reasons: %w", r.ID, err)
	}
	return q, nil
}

// SaveQuestionnaire saves q as the next version of its journal's questionnaire for its year
// (administrators only). base is the version the administrator edited (0: there was none): when
// someone saved another since, ECONFLICT and nothing is written. q gets its ID, version, author
// and time.
func (s *Store) SaveQuestionnaire(ctx context.Context, by hotline.Actor, q *hotline.Questionnaire, base int) error {
	if err := by.RequireAdministrator("change a survey questionnaire"); err != nil {
		return err
	}
	if err := q.Validate(); err != nil {
		return err
	}
	qs, err := json.Marshal(q.Questions)
	if err != nil {
		return err
	}
	rs, err := json.Marshal(q.RefusalReasons)
	if err != nil {
		return err
	}
	return s.write(ctx, "save a questionnaire", func(tx *sqlx.Tx) error {
		var cur int
		if err := tx.GetContext(ctx, &cur, `SELECT coalesce(max(version), 0) FROM questionnaires WHERE kind = ? AND year = ?`, q.Kind, q.Year); err != nil {
			return err
		}
		if cur != base {
			return hotline.Errorf(hotline.ECONFLICT, "the %s questionnaire for %d is at version %d since you opened version %d", q.Kind, q.Year, cur, base)
		}
		q.Version, q.CreatedAt, q.CreatedBy = cur+1, s.now().UTC(), by.Login
		res, err := insertReturningID(ctx, tx, `INSERT INTO questionnaires (kind, year, version, questions, refusal_reasons, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			q.Kind, q.Year, q.Version, string(qs), string(rs), q.CreatedAt.UnixMilli(), by.Login)
		if err != nil {
			return err
		}
		if q.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		action := "created"
		if cur > 0 {
			action = "updated"
		}
		return s.record(ctx, tx, by, "questionnaire", fmt.Sprintf("%s/%d", q.Kind, q.Year), 0, action,
			[]Change{{Field: "version", From: fmt.Sprint(cur), To: fmt.Sprint(q.Version)}, {Field: "questions", To: fmt.Sprint(len(q.Questions))}})
	})
}

// Questionnaire is the latest version of journal k's questionnaire for year; ENOTFOUND: none.
func (s *Store) Questionnaire(ctx context.Context, k SurveyKind, year int) (hotline.Questionnaire, error) {
	return s.getQuestionnaire(ctx, s.r, fmt.Sprintf("no %s questionnaire for %d", k, year),
		`kind = ? AND year = ? ORDER BY version DESC LIMIT 1`, string(k), year)
}

// QuestionnaireVersion is the questionnaire version with id, whichever is the latest.
func (s *Store) QuestionnaireVersion(ctx context.Context, id int64) (hotline.Questionnaire, error) {
	return s.getQuestionnaire(ctx, s.r, fmt.Sprintf("no questionnaire version %d", id), `id = ?`, id)
}

func (s *Store) getQuestionnaire(ctx context.Context, q sqlx.QueryerContext, missing, where string, args ...any) (hotline.Questionnaire, error) {
	var r questionnaireRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT * FROM questionnaires WHERE `+where, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return hotline.Questionnaire{}, hotline.Errorf(hotline.ENOTFOUND, "%s", missing)
	}
	if err != nil {
		return hotline.Questionnaire{}, s.dbError(err, "read a questionnaire")
	}
	return r.questionnaire()
}

// Questionnaires lists every journal's questionnaire for every year, latest versions, newest
// year first.
func (s *Store) Questionnaires(ctx context.Context) ([]hotline.Questionnaire, error) {
	var rows []questionnaireRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT q.* FROM questionnaires q
		WHERE q.version = (SELECT max(version) FROM questionnaires x WHERE x.kind = q.kind AND x.year = q.year)
		ORDER BY q.year DESC, q.kind`); err != nil {
		return nil, s.dbError(err, "list questionnaires")
	}
	out := make([]hotline.Questionnaire, 0, len(rows))
	for _, r := range rows {
		q, err := r.questionnaire()
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// QuestionnaireVersions lists every version of journal k's questionnaire for year, newest first.
func (s *Store) QuestionnaireVersions(ctx context.Context, k SurveyKind, year int) ([]hotline.Questionnaire, error) {
	var rows []questionnaireRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT * FROM questionnaires WHERE kind = ? AND year = ? ORDER BY version DESC`, string(k), year); err != nil {
		return nil, s.dbError(err, "list questionnaire versions")
	}
	out := make([]hotline.Questionnaire, 0, len(rows))
	for _, r := range rows {
		q, err := r.questionnaire()
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}
