package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// Draft is what an operator typed into a registration card and has not saved yet (the page
// posts it as they type). It is not a case: it writes no history, and only its operator reads it.
type Draft struct {
	Key       string            // DraftKeyCall, DraftKeyNew or DraftKeyCase
	Fields    map[string]string // the form's fields by name
	Version   int64             // the version of the case an edit was based on; 0 for a new card
	UpdatedAt time.Time
}

// Draft limits: each field within its domain limit, the whole at most MaxDraftBytes of JSON.
const (
	MaxDraftBytes = 64 << 10
	// DraftMaxAge is how long a draft nobody saved is kept: SaveDraft drops its operator's older ones.
	DraftMaxAge = 7 * 24 * time.Hour
	// MaxDrafts is how many drafts an operator keeps: SaveDraft drops the oldest beyond it (a
	// person types into a few cards at once, not hundreds).
	MaxDrafts = 20
)

// draftFields are the fields a draft may hold, with their limits in characters (the domain's).
var draftFields = map[string]int{
	"channel": hotline.MaxShortLen, "type": hotline.MaxShortLen, "topic": hotline.MaxShortLen,
	"caller_number": hotline.MaxShortLen, "full_name": hotline.MaxNameLen, "birth_date": hotline.MaxShortLen,
	"policy_number": hotline.MaxShortLen, "address": hotline.MaxAddressLen, "description": hotline.MaxDescriptionLen,
	"document_number": hotline.MaxShortLen, "registered_on": hotline.MaxShortLen,
	"link":   hotline.MaxCommentLen, // the earlier cases marked to link, ids separated by commas
	"result": hotline.MaxShortLen, "comment": hotline.MaxCommentLen, "forward_to": hotline.MaxShortLen, "extend_to": hotline.MaxShortLen,
}

// DraftKeyCall, DraftKeyNew and DraftKeyCase name drafts: a new card for a call (by its channel
// id), a new card without a call, an edit of a case.
func DraftKeyCall(channel string) string { return "call:" + channel }
func DraftKeyCase(id int64) string       { return "case:" + strconv.FormatInt(id, 10) }

const DraftKeyNew = "new"

func checkDraftKey(key string) error {
	bad := hotline.Errorf(hotline.EINVALID, "invalid draft key %q: want call:<channel id>, case:<id> or new", clip(key))
	switch {
	case key == DraftKeyNew:
		return nil
	case strings.HasPrefix(key, "call:"):
		ch := strings.TrimPrefix(key, "call:")
		if ch == "" || len(ch) > hotline.MaxNameLen || !utf8.ValidString(ch) {
			return bad
		}
		return nil
	case strings.HasPrefix(key, "case:"):
		if id, err := strconv.ParseInt(strings.TrimPrefix(key, "case:"), 10, 64); err != nil || id <= 0 {
			return bad
		}
		return nil
	}
	return bad
}

// mayDraft refuses a draft of a card by could not save: a call's card for a call they are not or
// were not on (RegisterCall's rule), an edit of a case they may not edit (hotline.Case.Editable).
func mayDraft(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, key string) error {
	switch {
	case strings.HasPrefix(key, "call:"):
		call, err := callByChannel(ctx, tx, strings.TrimPrefix(key, "call:"))
		if err != nil {
			return err
		}
		return onCall(ctx, tx, by, call.ID)
	case strings.HasPrefix(key, "case:"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(key, "case:"), 10, 64)
		c, err := getCase(ctx, tx, id)
		if err != nil {
			return err
		}
		return c.Editable(by)
	}
	return nil
}

// draftActor refuses anyone who is not an operator: a draft belongs to a person.
func draftActor(by hotline.Actor) error {
	if by.OperatorID == 0 {
		return hotline.Errorf(hotline.EFORBIDDEN, "%s is not an operator: drafts belong to operators", by.Login)
	}
	return nil
}

// SaveDraft keeps by's draft key (replacing the one before) and drops by's drafts older than
// DraftMaxAge. Unknown fields, fields over their limit and drafts over MaxDraftBytes are refused.
func (s *Store) SaveDraft(ctx context.Context, by hotline.Actor, key string, fields map[string]string, version int64) (Draft, error) {
	if err := draftActor(by); err != nil {
		return Draft{}, err
	}
	if err := checkDraftKey(key); err != nil {
		return Draft{}, err
	}
	if version < 0 {
		return Draft{}, hotline.Errorf(hotline.EINVALID, "a draft's case version cannot be negative")
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		limit, ok := draftFields[name]
		if !ok {
			return Draft{}, hotline.Errorf(hotline.EINVALID, "a draft has no field %q", clip(name))
		}
		v := fields[name]
		if !utf8.ValidString(v) {
			return Draft{}, hotline.Errorf(hotline.EINVALID, "draft field %s is not valid UTF-8 text", name)
		}
		if n := utf8.RuneCountInString(v); n > limit {
			return Draft{}, hotline.Errorf(hotline.EINVALID, "draft field %s is too long: %d characters, at most %d", name, n, limit)
		}
	}
	js, err := json.Marshal(fields)
	if err != nil {
		return Draft{}, err
	}
	if len(js) > MaxDraftBytes {
		return Draft{}, hotline.Errorf(hotline.EINVALID, "the draft is too large: %d bytes, at most %d", len(js), MaxDraftBytes)
	}
	now := s.now().UTC()
	d := Draft{Key: key, Fields: fields, Version: version, UpdatedAt: time.UnixMilli(now.UnixMilli()).UTC()}
	err = s.write(ctx, "save draft", func(tx *sqlx.Tx) error {
		if err := mayDraft(ctx, tx, by, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_drafts WHERE operator_id = ? AND updated_at < ?`,
			by.OperatorID, now.Add(-DraftMaxAge).UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO case_drafts (operator_id, key, fields, version, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (operator_id, key) DO UPDATE SET fields = excluded.fields, version = excluded.version, updated_at = excluded.updated_at`,
			by.OperatorID, key, string(js), version, now.UnixMilli())
		if err != nil {
			return err
		}
		// This one and the newest MaxDrafts-1 others stay.
		_, err = tx.ExecContext(ctx, `DELETE FROM case_drafts WHERE operator_id = ? AND key <> ? AND key NOT IN (
			SELECT key FROM case_drafts WHERE operator_id = ? AND key <> ? ORDER BY updated_at DESC, key LIMIT ?)`,
			by.OperatorID, key, by.OperatorID, key, MaxDrafts-1)
		return err
	})
	if err != nil {
		return Draft{}, err
	}
	return d, nil
}

// Draft returns by's draft key, or ENOTFOUND. A draft older than DraftMaxAge is not returned.
func (s *Store) Draft(ctx context.Context, by hotline.Actor, key string) (Draft, error) {
	if err := draftActor(by); err != nil {
		return Draft{}, err
	}
	if err := checkDraftKey(key); err != nil {
		return Draft{}, err
	}
	var r struct {
		Fields    string `db:"fields"`
		Version   int64  `db:"version"`
		UpdatedAt int64  `db:"updated_at"`
	}
	err := s.r.GetContext(ctx, &r, `SELECT fields, version, updated_at FROM case_drafts WHERE operator_id = ? AND key = ? AND updated_at >= ?`,
		by.OperatorID, key, s.now().Add(-DraftMaxAge).UnixMilli())
	if errors.Is(err, sql.ErrNoRows) {
		return Draft{}, hotline.Errorf(hotline.ENOTFOUND, "no draft %s of %s", clip(key), by.Login)
	}
	if err != nil {
		return Draft{}, s.dbError(err, "read draft")
	}
	d := Draft{Key: key, Version: r.Version, UpdatedAt: time.UnixMilli(r.UpdatedAt).UTC()}
	if err := json.Unmarshal([]byte(r.Fields), &d.Fields); err != nil {
		return Draft{}, s.dbError(err, "read draft")
	}
	return d, nil
}

// DropDraft removes by's draft key (the card was saved, or abandoned); no such draft is not an error.
func (s *Store) DropDraft(ctx context.Context, by hotline.Actor, key string) error {
	if err := draftActor(by); err != nil {
		return err
	}
	if err := checkDraftKey(key); err != nil {
		return err
	}
	return s.write(ctx, "drop draft", func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM case_drafts WHERE operator_id = ? AND key = ?`, by.OperatorID, key)
		return err
	})
}
