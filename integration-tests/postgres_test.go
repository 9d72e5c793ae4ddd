package integrationtests

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/journal/pgtest"
	"github.com/jackc/pgx/v5"
)

// hotline serve on a PostgreSQL journal (journal.backend: postgres): the daemon files a real
// call, answered by an operator logged in from the handset, through the write-ahead spool into
// PostgreSQL; read back both through the Store and straight from the server's tables, with the
// spool's write mark beside it.
func TestServeOnPostgres(t *testing.T) {
	ctx := within(t, 3*time.Minute)
	cluster, err := pgtest.Start(ctx) // fails, never skips, without PostgreSQL
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop() })
	dsn, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
		c.Journal.Backend, c.Journal.DSN = config.BackendPostgres, config.DSN(dsn)
	})
	h := d.Handset("1001", 300*time.Millisecond)
	const number = "79001110026"
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatalf("the hotline number did not answer: %v", err)
	}
	if !d.FeatureCode(h, "*21") {
		t.Errorf("login by *21: no confirmation prompt heard")
	}
	in, err := h.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("logged-in operator was not rung: %v", err)
	}
	if err := c.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Errorf("caller does not hear the operator: %v", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.WaitEnd(within(t, 10*time.Second)); err != nil {
		t.Errorf("operator's leg not ended after the caller hung up: %v", err)
	}
	cs, leg := waitLegEnded(t, d, number)
	if cs.Outcome != hotline.OutcomeAnswered || cs.CallerNumber != "+"+number || leg.End != hotline.LegCompleted || leg.OperatorID != d.OperatorID("1001") {
		t.Errorf("call %+v, leg %+v: want answered by 1001, completed", cs, leg)
	}

	// The rows are PostgreSQL's: read them with a connection of our own.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var outcome string
	var legs, marks int
	if err := conn.QueryRow(ctx, `SELECT outcome, (SELECT count(*) FROM legs WHERE call_ref = calls.id) FROM calls WHERE caller_number = $1`,
		"+"+number).Scan(&outcome, &legs); err != nil {
		t.Fatalf("the call in PostgreSQL: %v", err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM write_marks`).Scan(&marks); err != nil {
		t.Fatal(err)
	}
	if outcome != string(hotline.OutcomeAnswered) || legs != 1 || marks == 0 {
		t.Errorf("in PostgreSQL: outcome %q, %d legs, %d write marks; want answered, 1 leg, the spool's mark", outcome, legs, marks)
	}
}
