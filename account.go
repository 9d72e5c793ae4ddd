package hotline

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Accounts of the workplace in the browser: an operator logs in with their login and a password
// and gets a server-side session. The rules are here; the journal stores hashes and sessions.

// The password policy. Length is what makes a password hard to guess; no composition rules
// (they make passwords predictable, not strong).
const (
	MinPasswordLen   = 10   // characters
	MaxPasswordBytes = 1024 // bounds the hashing work one request can ask for
)

// Session limits: a session ends after DefaultSessionIdle without a request (a screen left
// unattended), and after DefaultSessionMax however busy (a stolen cookie is not good forever).
const (
	DefaultSessionIdle = 30 * time.Minute
	DefaultSessionMax  = 12 * time.Hour // one long shift
)

// Login throttling: past LoginFailuresPerLogin failures in a row for one login, or
// LoginFailuresPerAddress failures from one address, within LoginThrottleWindow, a login is
// refused without the password being checked until the window has moved past them.
const (
	LoginFailuresPerLogin   = 5
	LoginFailuresPerAddress = 20
	LoginThrottleWindow     = 15 * time.Minute
)

// Errors of logging in, for errors.Is; each comes wrapped in an *Error with a code and a message.
var (
	// ErrWrongCredentials is every refused login alike: an unknown login, a wrong password, an
	// operator without a password or removed from service. Telling them apart would tell an
	// attacker which logins exist.
	ErrWrongCredentials = errors.New("wrong login or password")
	// ErrNoSession is a session token that is unknown, ended, revoked or expired.
	ErrNoSession = errors.New("no valid session")
)

// ThrottledError refuses a login attempt made too soon after too many failures.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return (&Error{Code: EFORBIDDEN, Message: e.message()}).Error()
}

func (e *ThrottledError) message() string {
	return fmt.Sprintf("too many failed logins: try again in %s", e.RetryAfter.Round(time.Second))
}

// Unwrap gives the *Error, so the CLI and the web map it like any other refusal.
func (e *ThrottledError) Unwrap() error { return &Error{Code: EFORBIDDEN, Message: e.message()} }

// ValidatePassword applies the password policy to the password of the operator with login. Its
// messages never quote the password.
func ValidatePassword(login, password string) error {
	switch {
	case password == "":
		return Errorf(EINVALID, "the password is empty")
	case len(password) > MaxPasswordBytes:
		return Errorf(EINVALID, "the password is longer than %d bytes", MaxPasswordBytes)
	case !utf8.ValidString(password):
		return Errorf(EINVALID, "the password is not valid UTF-8 text")
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return Errorf(EINVALID, "the password is too short: at least %d characters", MinPasswordLen)
	case login != "" && strings.EqualFold(strings.TrimSpace(password), login):
		return Errorf(EINVALID, "the password must not be the login")
	}
	return nil
}

// SessionLimits are one session's idle timeout and absolute lifetime; zero fields take the
// defaults.
type SessionLimits struct {
	Idle time.Duration // ends after this long without a request
	Max  time.Duration // ends this long after it began, however busy
}

// OrDefault fills zero fields with DefaultSessionIdle and DefaultSessionMax.
func (l SessionLimits) OrDefault() SessionLimits {
	if l.Idle <= 0 {
		l.Idle = DefaultSessionIdle
	}
	if l.Max <= 0 {
		l.Max = DefaultSessionMax
	}
	return l
}

// SessionMeta is what a session records of where it was opened, for the audit.
type SessionMeta struct {
	UserAgent string `json:"user_agent,omitempty"`
	Address   string `json:"address,omitempty"`
}

// Session is a logged-in operator's session. Its token is never part of it: the token is given
// once, when the session opens, and only its hash is stored.
type Session struct {
	ID          int64         `json:"id"`
	OperatorID  int64         `json:"operator_id"`
	Actor       Actor         `json:"actor"` // who acts through this session
	CreatedAt   time.Time     `json:"created_at"`
	LastSeenAt  time.Time     `json:"last_seen_at"`
	ExpiresAt   time.Time     `json:"expires_at"` // the absolute end (SessionLimits.Max)
	IdleTimeout time.Duration `json:"idle_timeout"`
	SessionMeta
}

// RequireSelfOrAdministrator refuses anyone but an administrator or operator id themself: who
// may set an operator's password or end their sessions. what says what was refused.
func (a Actor) RequireSelfOrAdministrator(id int64, what string) error {
	if a.IsAdministrator() || (a.OperatorID != 0 && a.OperatorID == id) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only an administrator or the operator themself may %s (you act as %q, %s)", what, a.Login, a.Role)
}
