package control

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// fakeBoard records what the API asked and answers from fixed data.
type fakeBoard struct {
	status switchboard.Status
	calls  []string
	err    error
}

func (f *fakeBoard) Status(context.Context) (switchboard.Status, error) { return f.status, f.err }
func (f *fakeBoard) Pause(_ context.Context, id int64, reason string) error {
	f.calls = append(f.calls, "pause "+itoa(id)+" "+reason)
	return f.err
}
func (f *fakeBoard) Resume(_ context.Context, id int64) error {
	f.calls = append(f.calls, "resume "+itoa(id))
	return f.err
}
func (f *fakeBoard) Login(_ context.Context, id int64) error {
	f.calls = append(f.calls, "login "+itoa(id))
	return f.err
}
func (f *fakeBoard) Logout(_ context.Context, id int64) error {
	f.calls = append(f.calls, "logout "+itoa(id))
	return f.err
}
func (f *fakeBoard) ReloadOperators(context.Context) error {
	f.calls = append(f.calls, "reload")
	return f.err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// serve runs the API for fb on a socket in a temp dir and returns a client for it.
func serve(t *testing.T, fb *fakeBoard) *Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "run", "hotline.sock")
	l, err := Listen(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(fb, nil)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return NewClient(sock)
}

func TestStatusRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	fb := &fakeBoard{status: switchboard.Status{At: at, Connected: true, Calls: 2,
		Queue:     []switchboard.QueuedCaller{{CallID: "c1", CallerNumber: "79001234567", Position: 1, Waiting: 42 * time.Second}},
		Operators: []switchboard.OperatorStatus{{ID: 7, Name: "Ivanova", Extension: "1001", Presence: hotline.PresenceTalking, CallsToday: 3}},
	}}
	c := serve(t, fb)
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
	c := serve(t, fb)
	ctx := context.Background()
	steps := []struct {
		do   func() error
		want string
	}{
		{func() error { return c.Pause(ctx, 7, "2") }, "pause 7 2"},
		{func() error { return c.Resume(ctx, 7) }, "resume 7"},
		{func() error { return c.Login(ctx, 8) }, "login 8"},
		{func() error { return c.Logout(ctx, 8) }, "logout 8"},
		{func() error { return c.ReloadOperators(ctx) }, "reload"},
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
			c := serve(t, &fakeBoard{err: tt.err})
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
	c := serve(t, fb)
	err := c.call(context.Background(), http.MethodPost, "/v1/operators/abc/pause", nil, nil)
	if hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("err = %v, want invalid", err)
	}
	if len(fb.calls) != 0 {
		t.Errorf("switchboard was asked %v for a bad id", fb.calls)
	}
}

func TestNoDaemon(t *testing.T) {
	c := NewClient(filepath.Join(t.TempDir(), "none.sock"))
	_, err := c.Status(context.Background())
	if hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		t.Errorf("err = %v, want unavailable", err)
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
