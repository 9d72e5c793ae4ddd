package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// fakeSwitchboard is a daemon's switchboard that records what it was asked, and by whom.
type fakeSwitchboard struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeSwitchboard) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.err
}

func (f *fakeSwitchboard) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Snapshot and Subscribe: the live-state routes are not what these tests exercise.
func (f *fakeSwitchboard) Snapshot(context.Context) (switchboard.Snapshot, error) {
	return switchboard.Snapshot{}, f.err
}

func (f *fakeSwitchboard) Subscribe(context.Context) (switchboard.Snapshot, *switchboard.Feed, error) {
	return switchboard.Snapshot{}, nil, hotline.Errorf(hotline.EUNAVAILABLE, "no feed in this test")
}

func (f *fakeSwitchboard) Status(context.Context) (switchboard.Status, error) {
	return switchboard.Status{Operators: []switchboard.OperatorStatus{{ID: 2, Name: "Иванова И.И.", Extension: "1001"},
		{ID: 3, Name: "Петров П.П.", Extension: "1002", Presence: hotline.PresenceTalking, CallID: "1700000000.5"}}}, f.err
}
func (f *fakeSwitchboard) Pause(_ context.Context, by hotline.Actor, id int64, reason string) error {
	return f.record("pause " + idStr(id) + " by " + by.Login)
}
func (f *fakeSwitchboard) Resume(_ context.Context, by hotline.Actor, id int64) error {
	return f.record("resume " + idStr(id) + " by " + by.Login)
}
func (f *fakeSwitchboard) Login(_ context.Context, by hotline.Actor, id int64) error {
	return f.record("login " + idStr(id) + " by " + by.Login)
}
func (f *fakeSwitchboard) Logout(_ context.Context, by hotline.Actor, id int64) error {
	return f.record("logout " + idStr(id) + " by " + by.Login)
}
func (f *fakeSwitchboard) ReloadOperators(_ context.Context, by hotline.Actor) error {
	return f.record("reload by " + by.Login)
}

func (f *fakeSwitchboard) Transfer(_ context.Context, by hotline.Actor, id int64, call string, to int64) error {
	return f.record(fmt.Sprintf("transfer %s of %d to %d by %s", call, id, to, by.Login))
}

func (f *fakeSwitchboard) Listen(_ context.Context, by hotline.Actor, call string, mode switchboard.ListenMode) error {
	return f.record(fmt.Sprintf("listen %s %s by %s", call, mode, by.Login))
}

func (f *fakeSwitchboard) CallBack(_ context.Context, by hotline.Actor, id int64, number string, caseID int64) error {
	return f.record(fmt.Sprintf("callback %s for %d case %d by %s", number, id, caseID, by.Login))
}

// fakeDaemon serves the control API of a daemon on c's journal, at a socket in a temp dir, with
// the real authorisation: the test process is the daemon's own account.
func fakeDaemon(t *testing.T, c cli, err error) (string, *fakeSwitchboard) {
	t.Helper()
	ctx := context.Background()
	store, oerr := journal.Open(ctx, c.db, journal.Options{})
	if oerr != nil {
		t.Fatal(oerr)
	}
	t.Cleanup(func() { store.Close() })
	sock := filepath.Join(t.TempDir(), "hotline.sock")
	l, lerr := control.Listen(ctx, sock)
	if lerr != nil {
		t.Fatal(lerr)
	}
	fb := &fakeSwitchboard{err: err}
	srv := control.NewServer(control.Handler(fb, control.Authority{Operators: store, DaemonUID: uint32(os.Geteuid())}, nil))
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock, fb
}

// An operator added, changed or removed while the daemon runs is known to it at once: the CLI has
// it reload. No daemon is silent; a daemon that cannot reload is a warning, the change kept.
func TestOperatorChangesReloadTheDaemon(t *testing.T) {
	c := newCLI(t)
	sock, fb := fakeDaemon(t, c, nil)
	me := "reload by " + osLogin(t)
	c.ok("--as", "admin", "operator", "add", "--name", "Новикова Н.Н.", "--login", "novikova", "--ext", "1009", "--socket", sock)
	c.ok("--as", "admin", "operator", "update", "novikova", "--ext", "1010", "--socket", sock)
	c.ok("--as", "admin", "operator", "remove", "novikova", "--socket", sock)
	if got, want := fb.asked(), []string{me, me, me}; !slices.Equal(got, want) {
		t.Errorf("daemon asked %q, want %q", got, want)
	}
	// A change the journal refuses tells the daemon nothing.
	c.fails(5, "only an administrator", "--as", "ivanova", "operator", "add", "--name", "X", "--socket", sock)
	if got := fb.asked(); len(got) != 3 {
		t.Errorf("a refused change reloaded the daemon: %q", got)
	}

	// No daemon: nothing to say.
	none := filepath.Join(t.TempDir(), "none.sock")
	if r := c.run("--as", "admin", "operator", "add", "--name", "Орлова О.О.", "--login", "orlova", "--socket", none); r.code != 0 || r.err != "" {
		t.Errorf("no daemon: exit %d, stderr %q; want 0 and nothing said", r.code, r.err)
	}

	// A daemon that cannot reload: a warning, and the change is kept.
	busy, _ := fakeDaemon(t, c, hotline.Errorf(hotline.EUNAVAILABLE, "the daemon is shutting down"))
	r := c.run("--as", "admin", "operator", "update", "orlova", "--ext", "1011", "--socket", busy)
	if r.code != 0 || !strings.Contains(r.err, "warning") || !strings.Contains(r.err, "shutting down") || !strings.Contains(r.err, "hotline operator reload") {
		t.Errorf("refusing daemon: exit %d, stderr %q; want 0 and a warning saying what to do", r.code, r.err)
	}
	if out := c.ok("operator", "show", "orlova"); !strings.Contains(out, "1011") {
		t.Errorf("the change was lost:\n%s", out)
	}
	c.ok("operator", "reload", "--socket", sock)
	if got := fb.asked(); len(got) != 4 {
		t.Errorf("operator reload: daemon asked %q", got)
	}
}

// --as does not decide who may act on the running daemon: the account the command runs under does
// (here the daemon's own, an administrator), and the daemon records it.
func TestLiveCommandsAreTheDaemonsToAuthorise(t *testing.T) {
	c := newCLI(t)
	sock, fb := fakeDaemon(t, c, nil)
	c.ok("--as", "ivanova", "operator", "pause", "petrov", "--reason", "2", "--socket", sock)
	c.ok("--as", "stranger", "operator", "login", "1001", "--socket", sock)
	who := osLogin(t)
	if got, want := fb.asked(), []string{"pause 3 by " + who, "login 2 by " + who}; !slices.Equal(got, want) {
		t.Errorf("daemon asked %q, want %q", got, want)
	}
}

// osLogin is the login the daemon maps the test process to: its user name (root when root).
func osLogin(t *testing.T) string {
	t.Helper()
	u, err := user.LookupId(strconv.Itoa(os.Getuid()))
	if err != nil {
		return fmt.Sprintf("uid:%d", os.Getuid())
	}
	return u.Username
}

// An operator's account cannot open the daemon's journal (mode 0600): the live commands then find
// the operator by id or extension in the daemon's status.
func TestLiveCommandsWithoutTheJournal(t *testing.T) {
	c := newCLI(t)
	sock, fb := fakeDaemon(t, c, nil)
	unreadable := cli{t: t, db: filepath.Join(t.TempDir(), "no", "such", "hotline.db")}
	unreadable.ok("operator", "pause", "1002", "--reason", "1", "--socket", sock)
	unreadable.ok("operator", "resume", "2", "--socket", sock)
	who := osLogin(t)
	if got, want := fb.asked(), []string{"pause 3 by " + who, "resume 2 by " + who}; !slices.Equal(got, want) {
		t.Errorf("daemon asked %q, want %q", got, want)
	}
	unreadable.fails(3, "give an id or extension", "operator", "login", "petrov", "--socket", sock)
	// Without a daemon either: the missing daemon is what to fix first.
	unreadable.fails(6, "no hotline daemon", "operator", "login", "1001", "--socket", filepath.Join(t.TempDir(), "none.sock"))
}

// hotline operator listen: the operator's call now, from the daemon's status, listened to in the
// mode asked; a bad mode or an operator not talking is refused before the daemon is asked.
func TestOperatorListen(t *testing.T) {
	c := newCLI(t)
	sock, fb := fakeDaemon(t, c, nil)
	me := osLogin(t)
	c.ok("operator", "listen", "1002", "--socket", sock)
	c.ok("operator", "listen", "1002", "--mode", "barge", "--socket", sock)
	if got, want := fb.asked(), []string{"listen 1700000000.5 listen by " + me, "listen 1700000000.5 barge by " + me}; !slices.Equal(got, want) {
		t.Errorf("daemon asked %q, want %q", got, want)
	}
	c.fails(2, "--mode", "operator", "listen", "1002", "--mode", "shout", "--socket", sock)
	c.fails(4, "not talking", "operator", "listen", "1001", "--socket", sock)
	if got := fb.asked(); len(got) != 2 {
		t.Errorf("a refused listen reached the daemon: %q", got)
	}
}
