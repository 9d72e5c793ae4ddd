package journal

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// Settings the journal keeps about itself, in its settings table: what its stored data depends on,
// so that every program reading the file (the daemon, the CLI, reports) agrees.

// PhoneRegion is the region the journal reads national phone numbers in (settings.phone_region,
// hotline.DefaultPhoneRegion until set): numbers are stored in E.164, so "8 912 …" typed in a search
// finds the caller who called as +7912….
func (s *Store) PhoneRegion() hotline.PhoneRegion {
	if r, ok := s.region.Load().(hotline.PhoneRegion); ok {
		return r
	}
	return hotline.DefaultPhoneRegion
}

// loadSettings reads the settings into the Store; a journal not yet migrated has none.
func (s *Store) loadSettings(ctx context.Context) error {
	var v string
	err := s.r.GetContext(ctx, &v, `SELECT value FROM settings WHERE key = 'phone_region'`)
	switch {
	case err == nil:
		s.region.Store(hotline.PhoneRegion(v))
	case errors.Is(err, sql.ErrNoRows):
	case isNoSuchTable(err):
	default:
		return s.dbError(err, "read the journal's settings")
	}
	return nil
}

// SetPhoneRegion changes the region national numbers are read in (administrators only). Numbers
// stored before keep their form: they are E.164 already.
func (s *Store) SetPhoneRegion(ctx context.Context, by hotline.Actor, region hotline.PhoneRegion) error {
	if err := by.RequireAdministrator("change the phone region"); err != nil {
		return err
	}
	region = hotline.PhoneRegion(strings.ToUpper(string(region)))
	if region == "" || !region.Valid() {
		return hotline.Errorf(hotline.EINVALID, "unknown phone region %q: want an ISO 3166 code such as RU, KZ, BY", clip(string(region)))
	}
	err := s.write(ctx, "set the phone region", func(tx *sqlx.Tx) error {
		before := s.PhoneRegion()
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('phone_region', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, string(region)); err != nil {
			return err
		}
		return s.record(ctx, tx, by, "settings", "phone_region", 0, "updated",
			[]Change{{Field: "phone_region", From: string(before), To: string(region)}})
	})
	if err == nil {
		s.region.Store(region)
	}
	return err
}

// typedNumber is a phone number a person typed (a case card, a search), in its stored form; ""
// stays "". Anything that is not a phone number is refused: on a card it is a typo.
func (s *Store) typedNumber(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	n, ok := s.PhoneRegion().Normalize(raw)
	if !ok {
		return "", hotline.Errorf(hotline.EINVALID, "%q is not a phone number (region %s): want e.g. +79121234567 or 8 912 123-45-67",
			clip(raw), s.PhoneRegion())
	}
	return n, nil
}

// afterCalls finishes migration 0006 in its transaction: caller numbers in E.164 (calls and
// cases), and the account of what it did.
func afterCalls(ctx context.Context, s *Store, tx *sqlx.Tx) (string, error) {
	region := hotline.PhoneRegion(hotline.DefaultPhoneRegion)
	renumber := func(table, col string, flag bool) (int, error) {
		var rows []struct {
			ID  int64  `db:"id"`
			Num string `db:"num"`
		}
		if err := tx.SelectContext(ctx, &rows, fmt.Sprintf(`SELECT id, %s AS num FROM %s WHERE %s <> ''`, col, table, col)); err != nil {
			return 0, err
		}
		changed := 0
		for _, r := range rows {
			n, ok := region.Normalize(r.Num)
			if !ok {
				n = r.Num
			}
			if flag {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ?, caller_valid = ? WHERE id = ?`, table, col), n, ok, r.ID); err != nil {
					return 0, err
				}
			} else if n != r.Num {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = ? WHERE id = ?`, table, col), n, r.ID); err != nil {
					return 0, err
				}
			}
			if n != r.Num {
				changed++
			}
		}
		return changed, nil
	}
	nc, err := renumber("calls", "caller_number", true)
	if err != nil {
		return "", err
	}
	nk, err := renumber("cases", "caller_number", false)
	if err != nil {
		return "", err
	}
	var calls, cases, removed int
	for q, v := range map[string]*int{`SELECT count(*) FROM calls`: &calls, `SELECT count(*) FROM cases`: &cases,
		`SELECT count(*) FROM history WHERE action = 'removed: a call no one registered'`: &removed} {
		if err := tx.GetContext(ctx, v, q); err != nil {
			return "", err
		}
	}
	if calls == 0 && cases == 0 {
		return "", nil // a new journal: nothing was moved
	}
	return fmt.Sprintf("%d calls now stand on their own; %d cases kept (registered or touched by a person, or awaiting a callback); "+
		"%d call-born cases no one registered removed (their calls and history kept); %d numbers of calls and %d of cases written in E.164",
		calls, cases, removed, nc, nk), nil
}

// Identity is the journal's own random id (settings.journal_id), made at its first use and kept
// for good: a daemon tells by it whether a lease on the Asterisk application it finds is its own
// from before a crash (same journal) or another daemon's. A copy of the file (a restored backup)
// has the same id.
func (s *Store) Identity(ctx context.Context) (string, error) {
	read := func() (string, error) {
		var v string
		err := s.r.GetContext(ctx, &v, `SELECT value FROM settings WHERE key = 'journal_id'`)
		return v, err
	}
	if v, err := read(); err == nil && v != "" {
		return v, nil
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", s.dbError(err, "read the journal's identity")
	}
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make the journal's identity: %w", err)
	}
	// Another process may make one at the same instant: the first written stays.
	err := s.write(ctx, "keep the journal's identity", func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('journal_id', ?) ON CONFLICT (key) DO NOTHING`,
			hex.EncodeToString(b))
		return err
	})
	if err != nil {
		return "", err
	}
	v, err := read()
	if err != nil {
		return "", s.dbError(err, "read the journal's identity")
	}
	return v, nil
}
