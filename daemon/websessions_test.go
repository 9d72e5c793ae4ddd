package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/web"
)

// The workplace's logins go through the journal's accounts: a wrong password is the web
// package's uniform refusal, the right one a session whose user has the operator's level and role,
// a logout or a disabled operator ends it, and the sixth wrong try in a row is throttled.
func TestWebSessionsFromTheJournal(t *testing.T) {
	ctx := context.Background()
	store, err := journal.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"),
		journal.Options{PasswordHash: journal.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const adminPW, opPW = "админ-пароль-2026", "correct horse battery"
	adm := hotline.Operator{Name: "Админова А.А.", Login: "admin"}
	if err := store.InitAdministrator(ctx, hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}, &adm, adminPW); err != nil {
		t.Fatal(err)
	}
	by := hotline.Actor{Login: "admin", OperatorID: adm.ID, Role: hotline.RoleAdministrator}
	op := hotline.Operator{Name: "Иванова И.И.", Login: "ivanova", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001", Active: true}
	if err := store.AddOperator(ctx, by, &op); err != nil {
		t.Fatal(err)
	}
	if err := store.SetPassword(ctx, by, op.ID, opPW); err != nil {
		t.Fatal(err)
	}
	ws := webSessions{store: store}

	if _, err := ws.Login(ctx, web.Credentials{Login: "ivanova", Password: "wrong password!", Addr: "127.0.0.1"}); !errors.Is(err, web.ErrBadCredentials) {
		t.Errorf("wrong password: %v, want ErrBadCredentials", err)
	}
	if _, err := ws.Login(ctx, web.Credentials{Login: "nobody", Password: opPW, Addr: "127.0.0.1"}); !errors.Is(err, web.ErrBadCredentials) {
		t.Errorf("unknown login: %v, want ErrBadCredentials", err)
	}
	s, err := ws.Login(ctx, web.Credentials{Login: "ivanova", Password: opPW, Addr: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == "" || s.User.OperatorID != op.ID || s.User.Access() != web.Level1 {
		t.Errorf("session %+v: want a token and operator %d, level 1 only", s, op.ID)
	}
	u, err := ws.Lookup(ctx, s.ID)
	if err != nil || u.Login != "ivanova" {
		t.Errorf("lookup: %+v, %v", u, err)
	}
	a, err := ws.Login(ctx, web.Credentials{Login: "admin", Password: adminPW, Addr: "127.0.0.1"})
	if err != nil || a.User.Access()&web.Administrator == 0 {
		t.Errorf("administrator's session %+v, %v: want administrator access", a, err)
	}
	if err := ws.Logout(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Lookup(ctx, a.ID); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("after logout: %v, want ErrNoSession", err)
	}
	if _, err := ws.Lookup(ctx, "not-a-token"); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("a made-up token: %v, want ErrNoSession", err)
	}
	if err := store.RemoveOperator(ctx, by, op.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Lookup(ctx, s.ID); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("operator removed: %v, want their session gone", err)
	}
	var last error
	for range 6 {
		_, last = ws.Login(ctx, web.Credentials{Login: "admin", Password: "not the password", Addr: "127.0.0.2"})
	}
	if !errors.Is(last, web.ErrThrottled) {
		t.Errorf("sixth wrong password in a row: %v, want ErrThrottled", last)
	}
}
