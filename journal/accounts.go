package journal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// Accounts of the workplace in the browser: passwords, sessions and login throttling. A password
// or a session token never reaches the journal, a log line, an error or the history in clear:
// passwords are stored as argon2id hashes (password.go), tokens as their SHA-256.

// tokenLen is a session token's randomness: 256 bits, beyond guessing.
const tokenLen = 32

// sessionTouchEvery is how stale a session's last_seen_at may get before a request writes it
// again: a write per request would put every page view on the journal's single writer. The idle
// timeout is so kept to within this much.
const sessionTouchEvery = time.Minute

func wrongCredentials() error {
	return hotline.Wrapf(hotline.EFORBIDDEN, hotline.ErrWrongCredentials, "wrong login or password")
}

func noSession() error {
	return hotline.Wrapf(hotline.EFORBIDDEN, hotline.ErrNoSession, "not logged in, or the session has ended: log in again")
}

// loginKey is how login_attempts names the login typed: its SHA-256, so that a password typed
// into the login field is not stored in clear.
func loginKey(login string) string {
	sum := sha256.Sum256([]byte(login))
	return hex.EncodeToString(sum[:])
}

// tokenHash is the stored form of a session token; ok is false for what cannot be a token.
func tokenHash(token string) (hash []byte, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != tokenLen {
		return nil, false
	}
	sum := sha256.Sum256(raw)
	return sum[:], true
}

// SetPassword sets or resets the password of operator id. An administrator may set anyone's;
// an operator only their own. The operator's open sessions end in the same transaction: a
// password is reset because it may be known to someone else.
func (s *Store) SetPassword(ctx context.Context, by hotline.Actor, id int64, password string) error {
	if err := by.RequireSelfOrAdministrator(id, "set a password"); err != nil {
		return err
	}
	o, err := s.Operator(ctx, id)
	if err != nil {
		return err
	}
	if err := passwordHolder(o); err != nil {
		return err
	}
	if err := hotline.ValidatePassword(o.Login, password); err != nil {
		return err
	}
	hash, err := hashPassword(password, s.hash) // before the transaction: it takes a while
	if err != nil {
		return err
	}
	return s.write(ctx, "set password", func(tx *sqlx.Tx) error {
		// The operator may have changed since it was read: check again under the write lock.
		o, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", id), `id = ?`, id)
		if err != nil {
			return err
		}
		if err := passwordHolder(o); err != nil {
			return err
		}
		if err := s.storePassword(ctx, tx, by, id, hash); err != nil {
			return err
		}
		_, err = s.revokeSessions(ctx, tx, id, "password changed")
		return err
	})
}

// passwordHolder refuses an operator who cannot log in with a password.
func passwordHolder(o hotline.Operator) error {
	switch {
	case !o.Active:
		return hotline.Errorf(hotline.ECONFLICT, "operator %d (%s) is removed from service: reactivate them first", o.ID, o.Name)
	case o.Login == "":
		return hotline.Errorf(hotline.EINVALID, "operator %d (%s) has no login to log in with: give them one (hotline operator update %d --login ...)", o.ID, o.Name, o.ID)
	}
	return nil
}

func (s *Store) storePassword(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, id int64, hash string) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO operator_passwords (operator_id, hash, set_at, set_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (operator_id) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at, set_by = excluded.set_by`,
		id, hash, s.now().UnixMilli(), by.Login)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("set password of operator %d: %d rows", id, n)
	}
	// The history says that it was set and by whom; never anything of the password.
	return s.record(ctx, tx, by, "operator", id, 0, "password_set", nil)
}

// InitAdministrator adds the first administrator with a password, in one transaction: o (its
// role set to administrator, o.ID set) and its password. It is refused once an active
// administrator has a password: from then on administrators add operators and set passwords.
// by is who ran it, for the history; whoever may write the journal may do this while it has no
// administrator who can log in.
func (s *Store) InitAdministrator(ctx context.Context, by hotline.Actor, o *hotline.Operator, password string) error {
	o.Role, o.Active, o.CreatedAt = hotline.RoleAdministrator, true, s.now().UTC()
	if o.Level == 0 {
		o.Level = hotline.Level1
	}
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Login == "" {
		return hotline.Errorf(hotline.EINVALID, "the administrator needs a login to log in with")
	}
	if err := hotline.ValidatePassword(o.Login, password); err != nil {
		return err
	}
	hash, err := hashPassword(password, s.hash)
	if err != nil {
		return err
	}
	return s.write(ctx, "create the first administrator", func(tx *sqlx.Tx) error {
		var login sql.NullString
		err := tx.GetContext(ctx, &login, `SELECT o.login FROM operators o JOIN operator_passwords p ON p.operator_id = o.id
			WHERE o.role = 'administrator' AND o.active = 1 ORDER BY o.id LIMIT 1`)
		switch {
		case err == nil:
			return hotline.Errorf(hotline.ECONFLICT, "an administrator with a password already exists (%s): they add operators and set passwords (hotline operator passwd)", login.String)
		case err != sql.ErrNoRows:
			return err
		}
		if err := s.insertOperator(ctx, tx, by, o); err != nil {
			return err
		}
		return s.storePassword(ctx, tx, by, o.ID, hash)
	})
}

// HasPassword reports whether operator id has a password (may log in to the workplace).
func (s *Store) HasPassword(ctx context.Context, id int64) (bool, error) {
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM operator_passwords WHERE operator_id = ?`, id); err != nil {
		return false, s.dbError(err, "look up password")
	}
	return n > 0, nil
}

// CheckPassword logs in: the active operator whose login and password these are, or an error
// that is the same whatever was wrong (hotline.ErrWrongCredentials), or a *hotline.ThrottledError
// when the login or the address has failed too often (see hotline.LoginFailuresPerLogin), in
// which case the password is not even checked. address is the client's, for throttling ("" for
// none). Every attempt that was checked is recorded.
func (s *Store) CheckPassword(ctx context.Context, login, password, address string) (hotline.Operator, error) {
	now := s.now()
	key := loginKey(login)
	if wait, err := s.throttled(ctx, key, address, now); err != nil {
		return hotline.Operator{}, err
	} else if wait > 0 {
		s.log.Warn("journal: login throttled", "address", address, "retry_after", wait.Round(time.Second))
		return hotline.Operator{}, &hotline.ThrottledError{RetryAfter: wait}
	}
	var row struct {
		operatorRow
		Hash sql.NullString `db:"hash"`
	}
	found := false
	if len(login) <= hotline.MaxShortLen && len(password) <= hotline.MaxPasswordBytes {
		err := s.r.GetContext(ctx, &row, `SELECT `+prefixed("o.", operatorCols)+`, p.hash FROM operators o
			LEFT JOIN operator_passwords p ON p.operator_id = o.id WHERE o.login = ?`, login)
		switch {
		case err == nil:
			found = true
		case err != sql.ErrNoRows:
			return hotline.Operator{}, s.dbError(err, "log in")
		}
	}
	ok, rehash := false, ""
	if h, err := parseHash(row.Hash.String); found && row.Active && row.Hash.Valid && err == nil {
		ok = h.verify(password)
		if ok && h.params != s.hash {
			// Made with other costs than today's: made again, now that the password is known.
			if rehash, err = hashPassword(password, s.hash); err != nil {
				return hotline.Operator{}, err
			}
		}
	} else {
		if found && row.Hash.Valid && err != nil {
			s.log.Error("journal: an operator's stored password hash is unreadable; set a new password", "operator", row.ID, "err", err)
		}
		spendHashTime(password, s.hash) // as long as a wrong password takes
	}
	var opID sql.NullInt64
	if found {
		opID = nullID(row.ID)
	}
	err := s.write(ctx, "log in", func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (at, login_key, operator_id, address, ok) VALUES (?, ?, ?, ?, ?)`,
			now.UnixMilli(), key, opID, address, ok); err != nil {
			return err
		}
		if rehash != "" {
			_, err := tx.ExecContext(ctx, `UPDATE operator_passwords SET hash = ? WHERE operator_id = ?`, rehash, row.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return hotline.Operator{}, err
	}
	if !ok {
		s.log.Warn("journal: login refused", "address", address, "known_operator", opID.Int64)
		return hotline.Operator{}, wrongCredentials()
	}
	s.log.Info("journal: logged in", "operator", row.ID, "address", address)
	return row.operator(), nil
}

// prefixed qualifies each of a comma-separated list of columns.
func prefixed(p, cols string) string {
	cs := strings.Split(cols, ",")
	for i, c := range cs {
		cs[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cs, ", ")
}

// throttled says how long until a login with key from address may be tried again (0: now).
// Per login it counts failures since the login's last success (in a row); per address, every
// failure in the window: one address guessing many logins is stopped even when some succeed.
// The check reads before the password is hashed, outside the write transaction, so a burst of
// simultaneous attempts may pass it together: a few more tries, never an unbounded number.
func (s *Store) throttled(ctx context.Context, key, address string, now time.Time) (time.Duration, error) {
	since := now.Add(-hotline.LoginThrottleWindow).UnixMilli()
	var wait time.Duration
	check := func(q string, nth int, args ...any) error {
		var at int64
		err := s.r.GetContext(ctx, &at, q+` ORDER BY at DESC LIMIT 1 OFFSET ?`, append(args, nth-1)...)
		switch {
		case err == sql.ErrNoRows:
			return nil
		case err != nil:
			return s.dbError(err, "check login throttling")
		}
		// The nth newest failure leaves the window at at+window: then fewer than nth remain.
		if w := time.UnixMilli(at).Add(hotline.LoginThrottleWindow).Sub(now); w > wait {
			wait = w
		}
		return nil
	}
	if err := check(`SELECT at FROM login_attempts WHERE login_key = ? AND ok = 0 AND at > ?
		AND at > coalesce((SELECT max(at) FROM login_attempts WHERE login_key = ? AND ok = 1), 0)`,
		hotline.LoginFailuresPerLogin, key, since, key); err != nil {
		return 0, err
	}
	if address != "" {
		if err := check(`SELECT at FROM login_attempts WHERE address = ? AND ok = 0 AND at > ?`,
			hotline.LoginFailuresPerAddress, address, since); err != nil {
			return 0, err
		}
	}
	if wait > 0 && wait < time.Second {
		wait = time.Second
	}
	return wait, nil
}

// NewSession opens a session for operator id (who must be in service) with limits (zero fields:
// the defaults) and returns its token. The token is returned once and never stored: the journal
// keeps its SHA-256.
func (s *Store) NewSession(ctx context.Context, id int64, limits hotline.SessionLimits, meta hotline.SessionMeta) (string, hotline.Session, error) {
	limits = limits.OrDefault()
	raw := make([]byte, tokenLen)
	if _, err := rand.Read(raw); err != nil {
		return "", hotline.Session{}, fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sum := sha256.Sum256(raw)
	meta.UserAgent = truncate(meta.UserAgent, 512)
	meta.Address = truncate(meta.Address, hotline.MaxShortLen)
	now := s.now().UTC()
	sess := hotline.Session{OperatorID: id, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(limits.Max), IdleTimeout: limits.Idle, SessionMeta: meta}
	err := s.write(ctx, "open session", func(tx *sqlx.Tx) error {
		o, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", id), `id = ?`, id)
		if err != nil {
			return err
		}
		if !o.Active {
			return hotline.Errorf(hotline.EFORBIDDEN, "operator %d is removed from service", id)
		}
		sess.Actor = hotline.Actor{Login: o.Login, OperatorID: o.ID, Role: o.Role}
		res, err := insertReturningID(ctx, tx, `INSERT INTO sessions (token_hash, operator_id, created_at, last_seen_at, idle_ms, expires_at, user_agent, address)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sum[:], id, now.UnixMilli(), now.UnixMilli(), limits.Idle.Milliseconds(),
			sess.ExpiresAt.UnixMilli(), meta.UserAgent, meta.Address)
		if err != nil {
			return err
		}
		sess.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return "", hotline.Session{}, err
	}
	s.log.Info("journal: session opened", "session", sess.ID, "operator", id, "address", meta.Address)
	return token, sess, nil
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

type sessionRow struct {
	ID         int64         `db:"id"`
	OperatorID int64         `db:"operator_id"`
	CreatedAt  int64         `db:"created_at"`
	LastSeenAt int64         `db:"last_seen_at"`
	IdleMS     int64         `db:"idle_ms"`
	ExpiresAt  int64         `db:"expires_at"`
	RevokedAt  sql.NullInt64 `db:"revoked_at"`
	UserAgent  string        `db:"user_agent"`
	Address    string        `db:"address"`
}

// SessionByToken returns the live session of token, and slides its idle timeout forward. A
// token that is unknown, ended, revoked, past its idle timeout or its absolute end, or whose
// operator was removed from service, is hotline.ErrNoSession, all alike.
func (s *Store) SessionByToken(ctx context.Context, token string) (hotline.Session, error) {
	hash, ok := tokenHash(token)
	if !ok {
		return hotline.Session{}, noSession()
	}
	var r sessionRow
	err := s.r.GetContext(ctx, &r, `SELECT id, operator_id, created_at, last_seen_at, idle_ms, expires_at, revoked_at, user_agent, address
		FROM sessions WHERE token_hash = ?`, hash)
	if err == sql.ErrNoRows {
		return hotline.Session{}, noSession()
	} else if err != nil {
		return hotline.Session{}, s.dbError(err, "find session")
	}
	now := s.now()
	idle := time.Duration(r.IdleMS) * time.Millisecond
	lastSeen := time.UnixMilli(r.LastSeenAt)
	if r.RevokedAt.Valid || !now.Before(time.UnixMilli(r.ExpiresAt)) || now.Sub(lastSeen) >= idle {
		return hotline.Session{}, noSession()
	}
	o, err := s.Operator(ctx, r.OperatorID)
	if err != nil {
		return hotline.Session{}, err
	}
	if !o.Active {
		return hotline.Session{}, noSession()
	}
	if now.Sub(lastSeen) >= sessionTouchEvery {
		err := s.write(ctx, "touch session", func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND revoked_at IS NULL`, now.UnixMilli(), r.ID)
			return err
		})
		if err != nil {
			return hotline.Session{}, err
		}
		lastSeen = now
	}
	return hotline.Session{
		ID: r.ID, OperatorID: r.OperatorID, Actor: hotline.Actor{Login: o.Login, OperatorID: o.ID, Role: o.Role},
		CreatedAt: time.UnixMilli(r.CreatedAt).UTC(), LastSeenAt: lastSeen.UTC(), ExpiresAt: time.UnixMilli(r.ExpiresAt).UTC(),
		IdleTimeout: idle, SessionMeta: hotline.SessionMeta{UserAgent: r.UserAgent, Address: r.Address},
	}, nil
}

// EndSession logs out: token's session ends. Ending one that is unknown or already ended is
// not an error (a second click on «Выход»).
func (s *Store) EndSession(ctx context.Context, token string) error {
	hash, ok := tokenHash(token)
	if !ok {
		return nil
	}
	return s.write(ctx, "end session", func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoked_why = 'logged out' WHERE token_hash = ? AND revoked_at IS NULL`,
			s.now().UnixMilli(), hash)
		return err
	})
}

// RevokeSessions ends every open session of operator id (an administrator's, or the operator's
// own "log me out everywhere") and returns how many.
func (s *Store) RevokeSessions(ctx context.Context, by hotline.Actor, id int64) (int64, error) {
	if err := by.RequireSelfOrAdministrator(id, "end an operator's sessions"); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, "revoke sessions", func(tx *sqlx.Tx) error {
		if _, err := getOperator(ctx, tx, fmt.Sprintf("with id %d", id), `id = ?`, id); err != nil {
			return err
		}
		var err error
		if n, err = s.revokeSessions(ctx, tx, id, "revoked by "+by.Login); err != nil || n == 0 {
			return err
		}
		return s.record(ctx, tx, by, "operator", id, 0, "sessions_revoked", []Change{{Field: "sessions", From: fmt.Sprint(n), To: "0"}})
	})
	return n, err
}

// revokeSessions ends operator id's open sessions inside the caller's transaction.
func (s *Store) revokeSessions(ctx context.Context, tx *sqlx.Tx, id int64, why string) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoked_why = ? WHERE operator_id = ? AND revoked_at IS NULL`,
		s.now().UnixMilli(), why, id)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
