package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// fakeSessions is Sessions in memory: accounts by login, sessions by id.
type fakeSessions struct {
	mu       sync.Mutex
	accounts map[string]fakeAccount
	live     map[string]User
	n        int
	fail     error // Login returns it when set
}

type fakeAccount struct {
	password string
	user     User
}

var (
	// The same people as testJournal's operators, with the same ids.
	admin  = User{OperatorID: 1, Login: "admin", Name: "Сидорова В. Г.", Level: hotline.Level1, Role: hotline.RoleAdministrator}
	level1 = User{OperatorID: 2, Login: "ivanova", Name: "Иванова А. П.", Level: hotline.Level1, Role: hotline.RoleOperator, Extension: "1001"}
	level2 = User{OperatorID: 3, Login: "petrov", Name: "Петров Б. В.", Level: hotline.Level2, Role: hotline.RoleOperator, Extension: "2001"}
)

func newFakeSessions() *fakeSessions {
	f := &fakeSessions{accounts: map[string]fakeAccount{}, live: map[string]User{}}
	for _, u := range []User{level1, level2, admin} {
		f.accounts[u.Login] = fakeAccount{password: "пароль-" + u.Login, user: u}
	}
	return f
}

func (f *fakeSessions) Login(_ context.Context, c Credentials) (Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return Session{}, f.fail
	}
	a, ok := f.accounts[c.Login]
	if !ok || a.password != c.Password {
		return Session{}, ErrBadCredentials
	}
	f.n++
	id := fmt.Sprintf("session-%d-%s", f.n, c.Login)
	f.live[id] = a.user
	return Session{ID: id, Expires: time.Now().Add(time.Hour), User: a.user}, nil
}

func (f *fakeSessions) Lookup(_ context.Context, id string) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.live[id]
	if !ok {
		return User{}, ErrNoSession
	}
	return u, nil
}

func (f *fakeSessions) Logout(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, id)
	return nil
}

// start gives u a session without the form, and returns its id.
func (f *fakeSessions) start(u User) string {
	s, err := f.Login(context.Background(), Credentials{Login: u.Login, Password: "пароль-" + u.Login})
	if err != nil {
		panic(err)
	}
	return s.ID
}

// fakeLive is the switchboard's live state, driven by the test: Push applies a change and sends
// it to every feed; Lag ends every feed as a lagging reader's is ended.
type fakeLive struct {
	mu         sync.Mutex
	snap       switchboard.Snapshot
	feeds      []*fakeFeed
	subscribed chan struct{} // a value per Subscribe
}

type fakeFeed struct {
	ctx context.Context
	c   chan switchboard.Change
	err error
}

func (f *fakeFeed) C() <-chan switchboard.Change { return f.c }
func (f *fakeFeed) Err() error                   { return f.err } // read after C closes

func newFakeLive(snap switchboard.Snapshot) *fakeLive {
	return &fakeLive{snap: snap, subscribed: make(chan struct{}, 100)}
}

func (l *fakeLive) Snapshot(context.Context) (switchboard.Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snap, nil
}

func (l *fakeLive) Subscribe(ctx context.Context) (switchboard.Snapshot, Feed, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := &fakeFeed{ctx: ctx, c: make(chan switchboard.Change, 64)}
	l.feeds = append(l.feeds, f)
	select {
	case l.subscribed <- struct{}{}:
	default:
	}
	return l.snap, f, nil
}

// Push numbers c, applies it and sends it to the feeds still read.
func (l *fakeLive) Push(c switchboard.Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.Seq = l.snap.Seq + 1
	if c.At.IsZero() {
		c.At = l.snap.At.Add(time.Second)
	}
	next, err := l.snap.Apply(c)
	if err != nil {
		panic(err)
	}
	l.snap = next
	l.send(c)
}

// PushRaw sends c as it is, without applying it (a change out of order).
func (l *fakeLive) PushRaw(c switchboard.Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.send(c)
}

func (l *fakeLive) send(c switchboard.Change) {
	for _, f := range l.feeds {
		if f.ctx.Err() == nil {
			f.c <- c
		}
	}
}

// Lag ends every feed with ErrLagged.
func (l *fakeLive) Lag() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.feeds {
		f.err = switchboard.ErrLagged
		close(f.c)
	}
	l.feeds = nil
}

// testSnapshot: one caller waiting, two operators.
func testSnapshot() switchboard.Snapshot {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local)
	return switchboard.Snapshot{
		Seq: 7, At: at, Service: switchboard.Service{Connected: true},
		Queue: []switchboard.QueueEntry{{CallID: "c1", CallerNumber: "+79001112233", JoinedAt: at.Add(-30 * time.Second)}},
		Operators: []switchboard.OperatorView{
			{ID: 1, Name: "Иванова А. П.", Extension: "1001", Presence: hotline.PresenceAvailable, Since: at.Add(-time.Hour)},
			{ID: 2, Name: "Петров Б. В.", Extension: "1002", Presence: hotline.PresenceTalking, Since: at.Add(-time.Minute), CallsToday: 4},
		},
	}
}

// queueWith is a QueueChanged change to the queue of these numbers.
func queueWith(at time.Time, numbers ...string) switchboard.Change {
	c := switchboard.Change{Kind: switchboard.QueueChanged}
	for i, n := range numbers {
		c.Queue = append(c.Queue, switchboard.QueueEntry{CallID: fmt.Sprintf("q%d", i), CallerNumber: n, JoinedAt: at})
	}
	return c
}

// fakeCalls is the switchboard's actions, recorded: each request as one line ("transfer 2 c1 3"),
// answered with fail when set.
type fakeCalls struct {
	mu   sync.Mutex
	asks []string
	fail error
}

func (f *fakeCalls) ask(by hotline.Actor, format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.asks = append(f.asks, by.Login+": "+fmt.Sprintf(format, args...))
	return nil
}

// Asked returns the requests so far.
func (f *fakeCalls) Asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asks...)
}

func (f *fakeCalls) Login(_ context.Context, by hotline.Actor, op int64) error {
	return f.ask(by, "login %d", op)
}
func (f *fakeCalls) Pause(_ context.Context, by hotline.Actor, op int64, reason string) error {
	return f.ask(by, "pause %d %s", op, reason)
}
func (f *fakeCalls) Resume(_ context.Context, by hotline.Actor, op int64) error {
	return f.ask(by, "resume %d", op)
}
func (f *fakeCalls) Logout(_ context.Context, by hotline.Actor, op int64) error {
	return f.ask(by, "logout %d", op)
}
func (f *fakeCalls) Transfer(_ context.Context, by hotline.Actor, op int64, call string, to int64) error {
	return f.ask(by, "transfer %d %s %d", op, call, to)
}
func (f *fakeCalls) CallBack(_ context.Context, by hotline.Actor, op int64, number string, caseID int64) error {
	return f.ask(by, "callback %d %s %d", op, number, caseID)
}

func (f *fakeCalls) Listen(_ context.Context, by hotline.Actor, call string, mode switchboard.ListenMode) error {
	return f.ask(by, "listen %s %s", call, mode)
}

func (f *fakeCalls) ReloadOperators(_ context.Context, by hotline.Actor) error {
	return f.ask(by, "reload")
}

var _ Calls = (*fakeCalls)(nil)
