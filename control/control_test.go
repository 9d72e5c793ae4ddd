package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// fakeBoard records what the API asked, and by whom, and answers from fixed data.
type fakeBoard struct {
	status switchboard.Status
	calls  []string
	err    error
	live   *switchboard.Switchboard // answers Snapshot and Subscribe when set (feed_test.go)
}

func (f *fakeBoard) Status(context.Context) (switchboard.Status, error) { return f.status, f.err }
func (f *fakeBoard) Snapshot(ctx context.Context) (switchboard.Snapshot, error) {
	if f.live != nil {
		return f.live.Snapshot(ctx)
	}
	return switchboard.Snapshot{Seq: 1}, f.err
}
func (f *fakeBoard) Subscribe(ctx context.Context) (switchboard.Snapshot, *switchboard.Feed, error) {
	if f.live != nil {
		return f.live.Subscribe(ctx)
	}
	return switchboard.Snapshot{}, nil, hotline.Errorf(hotline.EUNAVAILABLE, "no live switchboard in this test")
}
func (f *fakeBoard) Pause(_ context.Context, by hotline.Actor, id int64, reason string) error {
	f.calls = append(f.calls, "pause "+itoa(id)+" "+reason+" by "+by.Login)
	return f.err
}
func (f *fakeBoard) Resume(_ context.Context, by hotline.Actor, id int64) error {
	f.calls = append(f.calls, "resume "+itoa(id)+" by "+by.Login)
	return f.err
}
func (f *fakeBoard) Login(_ context.Context, by hotline.Actor, id int64) error {
	f.calls = append(f.calls, "login "+itoa(id)+" by "+by.Login)
	return f.err
}
func (f *fakeBoard) Logout(_ context.Context, by hotline.Actor, id int64) error {
	f.calls = append(f.calls, "logout "+itoa(id)+" by "+by.Login)
	return f.err
}
func (f *fakeBoard) ReloadOperators(_ context.Context, by hotline.Actor) error {
	f.calls = append(f.calls, "reload by "+by.Login)
	return f.err
}

func (f *fakeBoard) Transfer(_ context.Context, by hotline.Actor, id int64, call string, to int64) error {
	f.calls = append(f.calls, "transfer "+call+" of "+itoa(id)+" to "+itoa(to)+" by "+by.Login)
	return f.err
}
func (f *fakeBoard) Listen(_ context.Context, by hotline.Actor, call string, mode switchboard.ListenMode) error {
	f.calls = append(f.calls, "listen "+call+" "+string(mode)+" by "+by.Login)
	return f.err
}
func (f *fakeBoard) CallBack(_ context.Context, by hotline.Actor, id int64, number string, caseID int64) error {
	f.calls = append(f.calls, "callback "+number+" for "+itoa(id)+" case "+itoa(caseID)+" by "+by.Login)
	return f.err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fakeOperators is the journal's operators, by id.
type fakeOperators map[int64]hotline.Operator

func (f fakeOperators) Operator(_ context.Context, id int64) (hotline.Operator, error) {
	if o, ok := f[id]; ok {
		return o, nil
	}
	return hotline.Operator{}, hotline.Errorf(hotline.ENOTFOUND, "no operator with id %d", id)
}

func (f fakeOperators) OperatorByLogin(_ context.Context, login string) (hotline.Operator, error) {
	for _, o := range f {
		if o.Login == login {
			return o, nil
		}
	}
	return hotline.Operator{}, hotline.Errorf(hotline.ENOTFOUND, "no operator with login %q", login)
}

// operators: two operators, an administrator, one removed from service, and an operator for the
// account "nobody" (the other account the socket test connects as).
var operators = fakeOperators{
	7:  {ID: 7, Name: "Иванова", Login: "ivanova", Role: hotline.RoleOperator, Active: true},
	8:  {ID: 8, Name: "Петров", Login: "petrov", Role: hotline.RoleOperator, Active: true},
	9:  {ID: 9, Name: "Админова", Login: "admin", Role: hotline.RoleAdministrator, Active: true},
	10: {ID: 10, Name: "Бывший", Login: "gone", Role: hotline.RoleAdministrator, Active: false},
	11: {ID: 11, Name: "Никто", Login: "nobody", Role: hotline.RoleOperator, Active: true},
}

// cases are the journal's cases a call-back may be asked for.
var cases = fakeCases{
	5:  {ID: 5, Number: "2026-000005", OwnerID: 7, Status: hotline.StatusInProgress, CallerNumber: "+79001234567"},
	6:  {ID: 6, Number: "2026-000006", OwnerID: 7, Status: hotline.StatusUnderReview, CallerNumber: "+79001234567"},
	42: {ID: 42, Number: "2026-000042", OwnerID: 8, Status: hotline.StatusDelayedAnswer, CallerNumber: "+79001234567"},
}

type fakeCases map[int64]hotline.Case

func (f fakeCases) Case(_ context.Context, id int64) (hotline.Case, error) {
	c, ok := f[id]
	if !ok {
		return hotline.Case{}, hotline.Errorf(hotline.ENOTFOUND, "no case %d", id)
	}
	return c, nil
}

// authority maps the test's accounts: 0 root, 500 the daemon's account, 1001.. operators' logins;
// any other uid has no name. The process running the test is its own daemon (an administrator).
func authority() Authority {
	names := map[uint32]string{0: "root", 500: "hotline", 1001: "ivanova", 1002: "petrov", 1003: "admin", 1004: "stranger", 1005: "gone"}
	return Authority{Operators: operators, Cases: cases, DaemonUID: 500, UserName: func(uid uint32) (string, error) {
		if uid == uint32(os.Getuid()) && uid != 0 {
			return "tester", nil
		}
		if n, ok := names[uid]; ok {
			return n, nil
		}
		return "", errors.New("unknown uid")
	}}
}

// serve runs the API for fb on a socket in a temp dir and returns a client for it.
func serve(t *testing.T, fb *fakeBoard, auth Authority) (*Client, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "run", "hotline.sock")
	l, err := Listen(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Handler(fb, auth, nil))
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return NewClient(sock), sock
}

// selfAuthority makes the test process the daemon's account: an administrator.
func selfAuthority() Authority {
	a := authority()
	a.DaemonUID = uint32(os.Getuid())
	return a
}

func TestStatusRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	fb := &fakeBoard{status: switchboard.Status{At: at, Connected: true, Calls: 2,
		Queue:     []switchboard.QueuedCaller{{CallID: "c1", CallerNumber: "79001234567", Position: 1, Waiting: 42 * time.Second}},
		Operators: []switchboard.OperatorStatus{{ID: 7, Name: "Ivanova", Extension: "1001", Presence: hotline.PresenceTalking, CallsToday: 3}},
	}}
	c, _ := serve(t, fb, selfAuthority())
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.At.Equal(at) || st.Calls != 2 || len(st.Queue) != 1 || st.Queue[0].Waiting != 42*time.Second ||
		len(st.Operators) != 1 || st.Operators[0].Presence != hotline.PresenceTalking || st.Operators[0].CallsToday != 3 {
		t.Errorf("status changed on the way: %+v", st)
	}
}

func TestOperatorActions(t *testing.T) {
	fb := &fakeBoard{}
	c, _ := serve(t, fb, selfAuthority())
	c.As = "ivanova" // a claim: the daemon acts for the account the client runs under
	ctx := context.Background()
	me := "tester"
	if os.Getuid() == 0 {
		me = "root"
	}
	steps := []struct {
		do   func() error
		want string
	}{
		{func() error { return c.Pause(ctx, 7, "2") }, "pause 7 2 by " + me},
		{func() error { return c.Resume(ctx, 7) }, "resume 7 by " + me},
		{func() error { return c.Login(ctx, 8) }, "login 8 by " + me},
		{func() error { return c.Logout(ctx, 8) }, "logout 8 by " + me},
		{func() error { return c.ReloadOperators(ctx) }, "reload by " + me},
		{func() error { return c.Transfer(ctx, 7, "1700000000.1", 8) }, "transfer 1700000000.1 of 7 to 8 by " + me},
		{func() error { return c.CallBack(ctx, 8, "+79001234567", 42) }, "callback +79001234567 for 8 case 42 by " + me},
		{func() error { return c.Listen(ctx, "1700000000.1", switchboard.ListenBarge) }, "listen 1700000000.1 barge by " + me},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := fb.calls[len(fb.calls)-1]; got != s.want {
			t.Errorf("step %d: switchboard got %q, want %q", i, got, s.want)
		}
	}
}

func TestErrorsKeepTheirCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"not found", hotline.Errorf(hotline.ENOTFOUND, "operator 9 is not known"), hotline.ENOTFOUND},
		{"conflict", hotline.Errorf(hotline.ECONFLICT, "already paused"), hotline.ECONFLICT},
		{"stopped", switchboard.ErrStopped, hotline.EUNAVAILABLE},
		{"other", errors.New("disk on fire"), hotline.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, &fakeBoard{err: tt.err}, selfAuthority())
			err := c.Pause(context.Background(), 9, "1")
			if got := hotline.ErrorCode(err); got != tt.code {
				t.Errorf("code = %q (%v), want %q", got, err, tt.code)
			}
			if tt.code == hotline.EINTERNAL && err != nil && hotline.ErrorMessage(err) == "disk on fire" {
				t.Errorf("internal details leaked to the client: %v", err)
			}
		})
	}
}

func TestBadOperatorID(t *testing.T) {
	fb := &fakeBoard{}
	c, _ := serve(t, fb, selfAuthority())
	err := c.call(context.Background(), http.MethodPost, "/v1/operators/abc/pause", nil, nil)
	if hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("err = %v, want invalid", err)
	}
	if len(fb.calls) != 0 {
		t.Errorf("switchboard was asked %v for a bad id", fb.calls)
	}
}

// No daemon, whether the socket is absent or left by one that stopped, is unavailable and says
// so (ErrNoDaemon: the CLI's reload after an operator change is then silent).
func TestNoDaemon(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	for _, sock := range []string{filepath.Join(dir, "none.sock"), stale} {
		_, err := NewClient(sock).Status(context.Background())
		if hotline.ErrorCode(err) != hotline.EUNAVAILABLE || !errors.Is(err, ErrNoDaemon) {
			t.Errorf("%s: err = %v, want unavailable and ErrNoDaemon", filepath.Base(sock), err)
		}
		if !strings.Contains(hotline.ErrorMessage(err), "is `hotline serve` running") {
			t.Errorf("%s: message %q does not say what to check", filepath.Base(sock), hotline.ErrorMessage(err))
		}
	}
	// A daemon that answers is not "no daemon", even when it refuses.
	c, _ := serve(t, &fakeBoard{err: hotline.Errorf(hotline.EFORBIDDEN, "no")}, selfAuthority())
	if err := c.ReloadOperators(context.Background()); hotline.ErrorCode(err) != hotline.EFORBIDDEN || errors.Is(err, ErrNoDaemon) {
		t.Errorf("refused reload: err = %v, want forbidden, not ErrNoDaemon", err)
	}
}

func TestListenReplacesStaleSocketButNotLiveOne(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "hotline.sock")
	// A stale socket: bound, then its listener closed without removing the file.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	live, err := Listen(context.Background(), sock)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer live.Close()
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("socket open to others: %v", fi.Mode())
	}
	if _, err := Listen(context.Background(), sock); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Errorf("second daemon on a live socket: err = %v, want conflict", err)
	}
}

// Who may do what is decided by the peer's account: administrators (root, the daemon's account,
// an administrator's login) act on anyone, an operator on themself only, anyone else on nothing,
// whatever they claim to be.
func TestAuthorisation(t *testing.T) {
	const (
		root, daemon, ivanova, petrov, admin, stranger, gone, nameless = 0, 500, 1001, 1002, 1003, 1004, 1005, 1006
	)
	tests := []struct {
		name   string
		uid    uint32
		claim  string
		method string
		path   string
		status int
		call   string // what the switchboard was asked; "": nothing
	}{
		{"root pauses anyone", root, "", "POST", "/v1/operators/8/pause", 200, "pause 8  by root"},
		{"the daemon's account logs anyone in", daemon, "", "POST", "/v1/operators/7/login", 200, "login 7 by hotline"},
		{"an administrator's login logs anyone out", admin, "", "POST", "/v1/operators/7/logout", 200, "logout 7 by admin"},
		{"an operator pauses themself", ivanova, "", "POST", "/v1/operators/7/pause", 200, "pause 7  by ivanova"},
		{"an operator resumes themself", ivanova, "", "POST", "/v1/operators/7/resume", 200, "resume 7 by ivanova"},
		{"an operator may not pause a colleague", petrov, "", "POST", "/v1/operators/7/pause", 403, ""},
		{"nor log a colleague out", petrov, "", "POST", "/v1/operators/7/logout", 403, ""},
		{"claiming to be an administrator changes nothing", petrov, "admin", "POST", "/v1/operators/7/login", 403, ""},
		{"nor claiming to be root", petrov, "root", "POST", "/v1/operators/9/resume", 403, ""},
		{"a claim is not needed by the operator themself", petrov, "ivanova", "POST", "/v1/operators/8/login", 200, "login 8 by petrov"},
		{"an operator reads the status", petrov, "", "GET", "/v1/status", 200, ""},
		{"and the snapshot", petrov, "", "GET", "/v1/snapshot", 200, ""},
		{"an account that is no operator is refused the snapshot", stranger, "", "GET", "/v1/snapshot", 403, ""},
		{"and the feed", stranger, "", "GET", "/v1/feed", 403, ""},
		{"a uid without a name is refused the feed", nameless, "", "GET", "/v1/feed", 403, ""},
		{"an operator removed from service is refused the feed", gone, "root", "GET", "/v1/feed", 403, ""},
		{"an operator has the operators reloaded", petrov, "", "POST", "/v1/operators/reload", 200, "reload by petrov"},
		{"an account that is no operator is refused everything", stranger, "", "GET", "/v1/status", 403, ""},
		{"even its own reload", stranger, "root", "POST", "/v1/operators/reload", 403, ""},
		{"an operator removed from service is refused", gone, "", "POST", "/v1/operators/10/login", 403, ""},
		{"a uid without a name is refused", nameless, "", "POST", "/v1/operators/7/pause", 403, ""},
		{"an unknown operator is not found, for an administrator", root, "", "POST", "/v1/operators/99/pause", 404, ""},
		{"an unknown action is not found", root, "", "POST", "/v1/operators/7/dance", 404, ""},
		{"an operator transfers their caller", ivanova, "", "POST", "/v1/calls/c1/transfer", 200, "transfer c1 of 7 to 8 by ivanova"},
		{"an administrator transfers anyone's caller", admin, "", "POST", "/v1/calls/c1/transfer", 200, "transfer c1 of 7 to 8 by admin"},
		{"an operator may not transfer a colleague's caller", petrov, "ivanova", "POST", "/v1/calls/c1/transfer", 403, ""},
		{"an operator calls back for themself", ivanova, "", "POST", "/v1/operators/7/callback", 200, "callback +79001234567 for 7 case 5 by ivanova"},
		{"an operator may not call back for a colleague", petrov, "", "POST", "/v1/operators/7/callback", 403, ""},
		{"a removed operator may not call back", gone, "", "POST", "/v1/operators/10/callback", 403, ""},
		{"an administrator listens to a call", admin, "", "POST", "/v1/calls/c1/listen", 200, "listen c1 whisper by admin"},
		{"root listens to a call", root, "", "POST", "/v1/calls/c1/listen", 200, "listen c1 whisper by root"},
		{"an operator may not listen", ivanova, "admin", "POST", "/v1/calls/c1/listen", 403, ""},
		{"an operator may not call back a colleague's case", petrov, "", "POST", "/v1/operators/8/callback", 403, ""},
		{"the case's number in its national form is the case's", ivanova, "", "POST", "/v1/operators/7/callback?body=national", 200, "callback +79001234567 for 7 case 5 by ivanova"},
		{"nor another number than the case's", ivanova, "", "POST", "/v1/operators/7/callback?body=other", 400, ""},
		{"nor a case under review", ivanova, "", "POST", "/v1/operators/7/callback?body=review", 409, ""},
		{"nor a case that does not exist", ivanova, "", "POST", "/v1/operators/7/callback?body=missing", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBoard{}
			h := Handler(fb, authority(), nil)
			var body io.Reader
			switch {
			case strings.HasSuffix(tt.path, "/transfer"):
				body = strings.NewReader(`{"operator_id":7,"to":8}`)
			case strings.HasSuffix(tt.path, "/callback"):
				body = strings.NewReader(`{"number":"+79001234567","case_id":5}`)
			case strings.HasSuffix(tt.path, "/listen"):
				body = strings.NewReader(`{"mode":"whisper"}`)
			case strings.HasSuffix(tt.path, "/callback?body=national"):
				body = strings.NewReader(`{"number":"8 900 123-45-67","case_id":5}`)
			case strings.HasSuffix(tt.path, "/callback?body=other"):
				body = strings.NewReader(`{"number":"+79007654321","case_id":5}`)
			case strings.HasSuffix(tt.path, "/callback?body=review"):
				body = strings.NewReader(`{"number":"+79001234567","case_id":6}`)
			case strings.HasSuffix(tt.path, "/callback?body=missing"):
				body = strings.NewReader(`{"number":"+79001234567","case_id":77}`)
			}
			req := httptest.NewRequestWithContext(withPeer(context.Background(), Peer{UID: tt.uid, PID: 4242}), tt.method, tt.path, body)
			if tt.claim != "" {
				req.Header.Set(ClaimHeader, tt.claim)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tt.status)
			}
			var got string
			if len(fb.calls) > 0 {
				got = strings.Join(fb.calls, "; ")
			}
			if got != tt.call {
				t.Errorf("switchboard asked %q, want %q", got, tt.call)
			}
			if tt.status == 403 && !strings.Contains(rec.Body.String(), `"forbidden"`) {
				t.Errorf("refusal without the forbidden code: %s", rec.Body.String())
			}
		})
	}
}

// A request that did not come through NewServer's unix socket has no peer: refused.
func TestNoPeerIsRefused(t *testing.T) {
	fb := &fakeBoard{}
	srv := httptest.NewServer(NewServer(Handler(fb, selfAuthority(), nil)).Handler)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/operators/7/login", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(fb.calls) != 0 {
		t.Errorf("status %d, switchboard asked %v; want 403 and nothing", resp.StatusCode, fb.calls)
	}
}

// childEnv tells TestPeerHelper (run as another account) which socket to call.
const childEnv = "HOTLINE_CONTROL_TEST_SOCKET"

// The kernel's word, over a real socket: a process of another account, claiming to be root, is
// that account; it may act on its own operator and on no one else.
func TestPeerCredentialsDecide(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run a client under another account (the unit-test run of make test is root)")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no account nobody: %v", err)
	}
	uid, _ := strconv.ParseUint(nobody.Uid, 10, 32)
	gid, _ := strconv.ParseUint(nobody.Gid, 10, 32)
	auth := selfAuthority()
	auth.UserName = nil // the system's user database: uid → "nobody"

	// The child runs a copy of this test binary, in a directory the other account may enter.
	dir, err := os.MkdirTemp("", "hotline-peer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "control.test")
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	fb := &fakeBoard{}
	sock := filepath.Join(dir, "run", "hotline.sock")
	l, err := Listen(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Handler(fb, auth, nil))
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	// Open the socket to the other account, as its group would be in production.
	if err := os.Chmod(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run=^TestPeerHelper$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"own=ok", "colleague=forbidden", "status=ok"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if want := []string{"pause 11 2 by nobody"}; !slices.Equal(fb.calls, want) {
		t.Errorf("switchboard asked %q, want %q", fb.calls, want)
	}
}

// TestPeerHelper is the other account's client in TestPeerCredentialsDecide; alone it does nothing.
func TestPeerHelper(t *testing.T) {
	sock := os.Getenv(childEnv)
	if sock == "" {
		t.Skip("run by TestPeerCredentialsDecide")
	}
	c := NewClient(sock)
	c.As = "root"
	ctx := context.Background()
	result := func(err error) string {
		if err == nil {
			return "ok"
		}
		return hotline.ErrorCode(err)
	}
	fmt.Printf("own=%s\n", result(c.Pause(ctx, 11, "2")))
	fmt.Printf("colleague=%s\n", result(c.Pause(ctx, 7, "2")))
	_, err := c.Status(ctx)
	fmt.Printf("status=%s\n", result(err))
}

// A file at the socket's path that is not a socket (a mistyped api.socket naming the journal) is
// refused, never removed.
func TestListenKeepsANonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.db")
	if err := os.WriteFile(path, []byte("the journal"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err := Listen(context.Background(), path); err == nil {
		l.Close()
		t.Fatal("listened in place of a regular file")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "the journal" {
		t.Errorf("the file was touched: %q, %v", b, err)
	}
}

// A transfer or a call-back with a body that is missing, malformed, has unknown fields or more than
// one object is refused as invalid, and the switchboard is not asked.
func TestWorkplaceRequestBadBodies(t *testing.T) {
	for _, tc := range []struct {
		name, path, body string
	}{
		{"transfer without a body", "/v1/calls/c1/transfer", ""},
		{"transfer without the target", "/v1/calls/c1/transfer", `{"operator_id":7}`},
		{"transfer with an unknown field", "/v1/calls/c1/transfer", `{"operator_id":7,"to":8,"force":true}`},
		{"transfer with two objects", "/v1/calls/c1/transfer", `{"operator_id":7,"to":8}{}`},
		{"call-back without a body", "/v1/operators/7/callback", ""},
		{"call-back that is not JSON", "/v1/operators/7/callback", `number=1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fb := &fakeBoard{}
			h := Handler(fb, selfAuthority(), nil)
			req := httptest.NewRequestWithContext(withPeer(context.Background(), Peer{UID: uint32(os.Getuid()), PID: 4242}),
				http.MethodPost, tc.path, strings.NewReader(tc.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"invalid"`) {
				t.Errorf("status %d %s, want 400 invalid", rec.Code, strings.TrimSpace(rec.Body.String()))
			}
			if len(fb.calls) != 0 {
				t.Errorf("switchboard asked %v", fb.calls)
			}
		})
	}
}
