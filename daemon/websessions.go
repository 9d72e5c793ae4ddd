package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/web"
)

// webSessions gives the workplace its logins and sessions from the journal's accounts
// (journal/accounts.go: argon2id passwords, throttling, server-side sessions), translating the
// journal's refusals into the ones the web package shows. Its rules stay the journal's: the
// page, the CLI and the socket are refused the same things.
type webSessions struct{ store *journal.Store }

var _ web.Sessions = webSessions{}

func (w webSessions) Login(ctx context.Context, c web.Credentials) (web.Session, error) {
	op, err := w.store.CheckPassword(ctx, c.Login, c.Password, c.Addr)
	var throttled *hotline.ThrottledError
	switch {
	case errors.As(err, &throttled):
		return web.Session{}, fmt.Errorf("%w (%w)", web.ErrThrottled, err)
	case errors.Is(err, hotline.ErrWrongCredentials):
		return web.Session{}, web.ErrBadCredentials
	case err != nil:
		return web.Session{}, err
	}
	token, s, err := w.store.NewSession(ctx, op.ID, hotline.SessionLimits{}, hotline.SessionMeta{Address: c.Addr})
	if err != nil {
		return web.Session{}, err
	}
	// A cookie without Expires: the browser forgets it when it closes; the journal ends it at its
	// idle or absolute limit whatever the browser does.
	return web.Session{ID: token, User: userOf(op), Expires: s.ExpiresAt}, nil
}

func (w webSessions) Lookup(ctx context.Context, id string) (web.User, error) {
	s, err := w.store.SessionByToken(ctx, id)
	if errors.Is(err, hotline.ErrNoSession) {
		return web.User{}, web.ErrNoSession
	}
	if err != nil {
		return web.User{}, err
	}
	op, err := w.store.Operator(ctx, s.OperatorID)
	if err != nil {
		return web.User{}, err
	}
	if !op.Active {
		return web.User{}, web.ErrNoSession // disabled: its sessions were revoked with it
	}
	return userOf(op), nil
}

func (w webSessions) Logout(ctx context.Context, id string) error { return w.store.EndSession(ctx, id) }

func userOf(op hotline.Operator) web.User {
	return web.User{OperatorID: op.ID, Login: op.Login, Name: op.Name, Level: op.Level, Role: op.Role, Extension: op.Extension}
}
