package integrationtests

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
	_ "github.com/mattn/go-sqlite3"
)

// SIGTERM with shutdown.drain: a new caller is not taken (the dialplan's fallback answers them and
// no case is filed), the caller already waiting is still answered by the operator once free, and
// hotline stops by itself when the last call ends, its cases written.
func TestDrainOnStop(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
		c.Shutdown.Drain = 2 * time.Minute
	})
	h := d.Handset("1001", 300*time.Millisecond)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	const talking, waiting, late = "79008880001", "79008880002", "79008880003"
	ctx := within(t, 150*time.Second)
	_, in, b := talkingAndWaiting(t, ctx, d, h, talking, waiting)

	d.Signal()
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool { return st.Draining }); err != nil {
		t.Fatalf("not draining after the stop signal: %v", err)
	}
	c, err := d.Caller(late).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	// The dialplan's fallback after Stasis(): Answer, Playback(ss-noservice), Hangup.
	end, err := c.WaitEnd(within(t, 30*time.Second))
	if err != nil {
		t.Fatalf("caller arriving while draining: %v", err)
	}
	if end.By != sipphone.Remote || c.Stats().LoudFrames == 0 {
		t.Errorf("caller arriving while draining: ended %v after %d loud frames; want the fallback's message, then Asterisk's hangup", end, c.Stats().LoudFrames)
	}
	if cases, err := d.Store.Cases(ctx, journal.CaseFilter{Caller: late}); err != nil || len(cases) != 0 {
		t.Errorf("caller turned away while draining has cases %+v (%v); want none", cases, err)
	}

	// The operator finishes with the first caller and takes the one who was waiting.
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	operatorTakes(t, h, b, waiting) // while draining
	if d.Wait(time.Second) {
		t.Fatal("hotline stopped with a call in progress")
	}
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if !d.Wait(30 * time.Second) {
		t.Fatal("hotline did not stop once its last call ended")
	}
	for _, n := range []string{talking, waiting} {
		_, legs := callOf(t, d, n)
		if len(legs) != 1 || legs[0].End != hotline.LegCompleted || legs[0].OperatorID != d.OperatorID("1001") {
			t.Errorf("caller %s: legs %+v, want one completed by 1001", n, legs)
		}
	}
}

// The journal's database is locked by another process (a long backup, an administrator's
// transaction) during a whole call, then hotline serve is SIGKILLed before the lock goes: the call
// is handled as usual, its writes wait in the spool, and the next start applies them: the case and
// its completed leg are in the journal, once.
func TestJournalLockedThenKilled(t *testing.T) {
	d, h, serve := serveProcessWithOperator(t)

	lock, err := sql.Open("sqlite3", "file:"+d.Config.Journal.Path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	ctx := within(t, 150*time.Second)
	conn, err := lock.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("lock the journal: %v", err)
	}
	locked := true
	defer func() {
		if locked {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()

	const number = "79007770001"
	a, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	in, err := h.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("operator not rung while the journal is locked: %v", err)
	}
	if err := a.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("caller does not hear the operator while the journal is locked: %v", err)
	}
	if err := in.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Fatalf("caller's call did not end: %v", err)
	}
	st, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		return st.Calls == 0 && st.JournalBacklog >= 2
	})
	if err != nil {
		t.Fatalf("want the call over and its writes waiting for the journal: %v", err)
	}
	t.Logf("journal backlog at the kill: %d writes", st.JournalBacklog)
	serve.kill(t)
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	locked = false
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM legs`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("legs in the journal before the restart: %d (%v); the lock should have kept them out", n, err)
	}

	d.Restart() // in-process, same journal and spool
	_, leg := waitLegEnded(t, d, number)
	if _, legs := callOf(t, d, number); len(legs) != 1 || leg.End != hotline.LegCompleted || leg.OperatorID != d.OperatorID("1001") {
		t.Errorf("legs after the restart = %+v, want one, completed by 1001", legs)
	}
	if st, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool { return st.JournalBacklog == 0 }); err != nil {
		t.Errorf("backlog after the restart: %+v", st.JournalBacklog)
	}
}

// SIGTERM with shutdown.waiting: fallback and no drain time: the caller waiting is handed to the
// dialplan's fallback at once (they hear its message, then Asterisk hangs up; their leg ends
// overflow), while the call in progress stays up after hotline has stopped.
func TestStopHandsWaitingToFallback(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
		c.Shutdown.Waiting = config.WaitingFallback
	})
	h := d.Handset("1001", 300*time.Millisecond)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	const talking, waiting = "79008880011", "79008880012"
	ctx := within(t, 120*time.Second)
	a, _, b := talkingAndWaiting(t, ctx, d, h, talking, waiting)
	loud := b.Stats().LoudFrames
	d.Signal()
	end, err := b.WaitEnd(within(t, 30*time.Second))
	if err != nil {
		t.Fatalf("waiting caller not handed over: %v", err)
	}
	if end.By != sipphone.Remote || b.Stats().LoudFrames <= loud {
		t.Errorf("waiting caller ended %v (loud frames %d, %d before): want the fallback's message, then Asterisk's hangup", end, b.Stats().LoudFrames, loud)
	}
	if !d.Wait(20 * time.Second) {
		t.Fatal("hotline did not stop")
	}
	_, leg := waitLegEnded(t, d, waiting)
	if leg.End != hotline.LegOverflow {
		t.Errorf("handed-over caller's leg ended %q, want overflow", leg.End)
	}
	heard := a.Stats().Tones[hotlinetest.OperatorTone]
	if err := heardMore(within(t, 10*time.Second), a, hotlinetest.OperatorTone, heard); err != nil {
		t.Errorf("the call in progress did not survive the stop: %v", err)
	}
}
