package ariadapter

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/switchboard/journaladapter"
)

// One call on the sandbox Asterisk through the real pieces: ari, the adapter, the switchboard and
// a journal in a temporary file, with SIP test phones as the caller and the operator's handset.
// It runs where the sandbox's settings are in the environment (`make test` puts them there);
// elsewhere it is skipped, as a unit-test package must not need Asterisk.
func TestSandboxCall(t *testing.T) {
	if os.Getenv("HOTLINE_ARI_URL") == "" {
		t.Skip("no sandbox settings (HOTLINE_ARI_URL): run under `make test` or `eval \"$(asterisk-conf/sandbox env)\"`")
	}
	sb := sandbox.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))

	store, err := journal.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"), journal.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	if err := store.AddTopic(ctx, admin, hotline.Topic{Code: "policy", Number: 5, Type: hotline.TypeConsultation, Title: "Policy"}); err != nil {
		t.Fatal(err)
	}
	anna := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1041"}
	if err := store.AddOperator(ctx, admin, &anna); err != nil {
		t.Fatal(err)
	}

	conn, err := ari.New(ari.Config{URL: sb.ARIURL, WebsocketURL: sb.ARIWebsocket, Username: sb.ARIUser,
		Password: sb.ARIPassword, Application: sb.ARIApp, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cfg := switchboard.DefaultConfig()
	cfg.Language = "en"
	cfg.WrapUp = 2 * time.Second
	board, err := switchboard.New(cfg, Telephony{Conn: conn}, journaladapter.Journal{Store: store}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = conn.Run(runCtx) }()
	ran := make(chan error, 1)
	go func() { ran <- board.Run(runCtx) }()
	go func() { _ = Pump(runCtx, conn, board, log) }()

	handset, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "1041", Password: sb.HandsetPassword,
		Tone: 600, AutoAnswer: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer handset.Close()
	caller, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "79001234567", Tone: 1000, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()

	// Log in from the handset: *21, a prompt, hung up by hotline.
	waitFor(ctx, t, "operators loaded", func() bool {
		st, err := board.Status(ctx)
		return err == nil && len(st.Operators) == 1
	})
	login, err := handset.Dial(ctx, "*21")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := login.WaitEnd(ctx); err != nil {
		t.Fatalf("login call: %v", err)
	}
	if st, _ := board.Status(ctx); st.Operators[0].Presence != hotline.PresenceAvailable {
		t.Fatalf("after *21 the operator is %s, want available", st.Operators[0].Presence)
	}

	call, err := caller.Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	// Who heard whom: the caller the handset's 600 Hz, and the handset the caller's 1000 Hz.
	if err := call.WaitTone(ctx, 600); err != nil {
		t.Fatalf("caller never heard the operator: %v", err)
	}
	opCall, err := handset.Incoming(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := opCall.WaitTone(ctx, 1000); err != nil {
		t.Fatalf("operator never heard the caller: %v", err)
	}
	if got := opCall.Caller().User; got != "79001234567" {
		t.Errorf("the handset showed caller %q, want 79001234567", got)
	}
	if err := opCall.SendDTMF(ctx, "*5#"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // let the digits reach Asterisk before the caller leaves
	if err := call.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := opCall.WaitEnd(ctx); err != nil {
		t.Fatalf("handset not hung up after wrap-up: %v", err)
	}

	var legs []hotline.Leg
	var c hotline.Case
	waitFor(ctx, t, "the case written", func() bool {
		cs, err := store.Cases(ctx, journal.CaseFilter{})
		if err != nil || len(cs) != 1 {
			return false
		}
		c = cs[0]
		legs, err = store.Legs(ctx, c.ID)
		return err == nil && len(legs) == 1 && legs[0].End != "" && c.Topic != ""
	})
	l := legs[0]
	if l.End != hotline.LegCompleted || l.OperatorID != anna.ID || l.AnsweredAt.IsZero() || l.RecordingName == "" {
		t.Errorf("leg = %+v, want completed by Anna with a recording", l)
	}
	if c.Topic != "policy" || c.OwnerID != anna.ID || c.CallerNumber == "" {
		t.Errorf("case = %+v, want topic policy keyed on the handset, owned by Anna", c)
	}
	rec := filepath.Join(sb.Root, "var/spool/asterisk/recording", l.RecordingName+".wav")
	waitFor(ctx, t, "the recording stored", func() bool {
		fi, err := os.Stat(rec)
		return err == nil && fi.Size() > 1000
	})

	// The handset unregisters: the operator becomes unreachable (ARI endpoint events).
	if err := handset.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the operator unreachable", func() bool {
		st, err := board.Status(ctx)
		return err == nil && st.Operators[0].Presence == hotline.PresenceUnreachable
	})
	stop()
	<-ran
}

// waitFor polls cond until it holds or ctx ends: a bound on a wait, not an assertion on speed.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
