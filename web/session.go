package web

import (
	"context"
	"errors"
	"time"

	"github.com/hotline-dev/hotline"
)

// Sessions is what the workplace needs from accounts: it checks a password and starts a
// server-side session, finds the user of a session, and ends one. The journal implements it
// (argon2id passwords, sessions with expiry, throttling); the web package never sees a password
// hash or stores a session itself.
//
// A session id is a secret: an implementation must make it unguessable, and neither side logs it.
type Sessions interface {
	// Login checks the credentials and starts a new session. It returns ErrBadCredentials for a
	// wrong login or password (not saying which), ErrThrottled after too many failures for the
	// login or the address, ErrNoAccounts when no one can log in at all.
	Login(ctx context.Context, c Credentials) (Session, error)
	// Lookup returns the user of a live session, or ErrNoSession (unknown, expired, revoked).
	Lookup(ctx context.Context, id string) (User, error)
	// Logout ends the session; ending one that does not exist is not an error.
	Logout(ctx context.Context, id string) error
}

// Credentials are what the login form sends, and where from (for throttling per address).
type Credentials struct {
	Login    string
	Password string
	Addr     string // the client's IP address, as the listener (or the trusted proxy) saw it
}

// Session is a session just started.
type Session struct {
	ID      string    // the cookie's value: secret
	Expires time.Time // zero: a browser-session cookie
	User    User
}

// User is who a session belongs to.
type User struct {
	OperatorID int64
	Login      string
	Name       string
	Level      hotline.Level
	Role       hotline.Role
	Extension  string // the operator's device: what the page shows as «Внутренний номер»
}

// Actor is the user as the journal's and the switchboard's rules see them: every change made
// from the page is attributed to the logged-in account, never to a name typed in a form.
func (u User) Actor() hotline.Actor {
	return hotline.Actor{Login: u.Login, OperatorID: u.OperatorID, Role: u.Role}
}

// IsAdministrator and IsLevel2 are for templates choosing what to offer; the route table's
// Access is what enforces it.
func (u User) IsAdministrator() bool { return u.Role == hotline.RoleAdministrator }
func (u User) IsLevel2() bool        { return u.Level == hotline.Level2 }

// RoleText is the user's role as the page shows it («Информация о сотруднике»).
func (u User) RoleText() string {
	lvl := "оператор 1-го уровня"
	if u.Level == hotline.Level2 {
		lvl = "оператор 2-го уровня"
	}
	if u.IsAdministrator() {
		return "администратор, " + lvl
	}
	return lvl
}

// Access is the set of groups the user belongs to, for the route table's checks.
func (u User) Access() Access {
	var a Access
	switch u.Level {
	case hotline.Level1:
		a |= Level1
	case hotline.Level2:
		a |= Level2
	}
	if u.Role == hotline.RoleAdministrator {
		a |= Administrator
	}
	return a
}

// The errors Sessions returns; the web package maps each to a message on the page.
var (
	ErrBadCredentials = errors.New("web: wrong login or password")
	ErrThrottled      = errors.New("web: too many failed logins: try later")
	ErrNoAccounts     = errors.New("web: no accounts: logging in to the workplace is not possible yet")
	ErrNoSession      = errors.New("web: no such session (unknown, expired or ended)")
)

// NoAccounts is the Sessions of a daemon without accounts: every login is refused with
// ErrNoAccounts and no session exists, so nothing behind a login is open. The daemon uses it until
// the journal keeps accounts.
type NoAccounts struct{}

func (NoAccounts) Login(context.Context, Credentials) (Session, error) {
	return Session{}, ErrNoAccounts
}
func (NoAccounts) Lookup(context.Context, string) (User, error) { return User{}, ErrNoSession }
func (NoAccounts) Logout(context.Context, string) error         { return nil }
