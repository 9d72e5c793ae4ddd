package ariadapter

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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
// Like every Asterisk-backed test it fails, never skips, when the sandbox is not up.
func TestSandboxCall(t *testing.T) {
	sb := sandbox.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := switchboard.DefaultConfig()
	cfg.Language = "en"
	cfg.WrapUp = 2 * time.Second
	board, store, anna, ran, stop := startBoard(ctx, t, sb, cfg, log)
	defer stop()

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

// startBoard runs a switchboard on the sandbox with a fresh journal holding one topic (number 5)
// and one operator (Anna, handset 1041). stop ends it; ran reports Run's return.
func startBoard(ctx context.Context, t *testing.T, sb sandbox.Config, cfg switchboard.Config, log *slog.Logger) (
	board *switchboard.Switchboard, store *journal.Store, anna hotline.Operator, ran chan error, stop func()) {
	t.Helper()
	store, err := journal.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"), journal.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	if err := store.AddTopic(ctx, admin, hotline.Topic{Code: "policy", Number: 5, Type: hotline.TypeConsultation, Title: "Policy"}); err != nil {
		t.Fatal(err)
	}
	anna = hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1041"}
	if err := store.AddOperator(ctx, admin, &anna); err != nil {
		t.Fatal(err)
	}
	conn, err := ari.New(ari.Config{URL: sb.ARIURL, WebsocketURL: sb.ARIWebsocket, Username: sb.ARIUser,
		Password: sb.ARIPassword, Application: sb.ARIApp, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	board, err = switchboard.New(cfg, Telephony{Conn: conn}, journaladapter.Journal{Store: store}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	go func() { _ = conn.Run(runCtx) }()
	ran = make(chan error, 1)
	go func() { ran <- board.Run(runCtx) }()
	go func() { _ = Pump(runCtx, conn, board, log) }()
	waitFor(ctx, t, "operators loaded", func() bool {
		st, err := board.Status(ctx)
		return err == nil && len(st.Operators) == 1
	})
	return board, store, anna, ran, stop
}

// Overflow on the sandbox, never silent: with nobody logged in and a short max wait, a caller who
// keys 1 leaves a delayed-answer case; one who keys nothing leaves a recorded message.
func TestSandboxOverflow(t *testing.T) {
	sb := sandbox.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := switchboard.DefaultConfig()
	cfg.Language = "en"
	cfg.MaxWait = 2 * time.Second
	cfg.MaxMessage = 5 * time.Second
	board, store, _, ran, stop := startBoard(ctx, t, sb, cfg, log)
	defer stop()

	caller, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "79001230001", Tone: 1000, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	// Keys 1 during the callback offer: thanked and hung up by hotline.
	call, err := caller.Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the caller queued", func() bool {
		st, err := board.Status(ctx)
		return err == nil && len(st.Queue) == 1
	})
	waitFor(ctx, t, "the callback offer", func() bool {
		st, err := board.Status(ctx)
		return err == nil && st.Calls == 1 && len(st.Queue) == 0 // out of the queue: overflow
	})
	time.Sleep(time.Second) // into the prompt
	if err := call.SendDTMF(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := call.WaitEnd(ctx); err != nil {
		t.Fatalf("caller not hung up after choosing a callback: %v", err)
	}
	waitFor(ctx, t, "the callback queued", func() bool {
		st, err := board.Status(ctx)
		return err == nil && len(st.Queue) == 1 && st.Queue[0].Callback
	})

	// Keys nothing: leaves a message, then hangs up.
	other, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: "79001230002", Tone: 800, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	msg, err := other.Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	var name string
	started := time.Now().Add(-time.Second)
	waitFor(ctx, t, "the message recording", func() bool {
		recs, err := os.ReadDir(filepath.Join(sb.Root, "var/spool/asterisk/recording"))
		if err != nil {
			return false
		}
		for _, r := range recs {
			fi, err := r.Info()
			if err == nil && fi.ModTime().After(started) && strings.HasPrefix(r.Name(), "message-") && strings.HasSuffix(r.Name(), ".wav") {
				name = r.Name()
				return true
			}
		}
		return false
	})
	time.Sleep(2 * time.Second) // say something
	if err := msg.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "both cases written", func() bool {
		cs, err := store.Cases(ctx, journal.CaseFilter{})
		if err != nil || len(cs) != 2 {
			return false
		}
		ended := 0
		for _, c := range cs {
			legs, err := store.Legs(ctx, c.ID)
			if err == nil && len(legs) == 1 && legs[0].End == hotline.LegOverflow {
				ended++
			}
		}
		return ended == 2
	})
	cs, _ := store.Cases(ctx, journal.CaseFilter{})
	var delayed, recorded int
	for _, c := range cs {
		legs, _ := store.Legs(ctx, c.ID)
		if c.Status == hotline.StatusDelayedAnswer && c.CallerNumber == "79001230001" {
			delayed++
		}
		if legs[0].RecordingName != "" && strings.HasPrefix(name, legs[0].RecordingName) && c.CallerNumber == "79001230002" {
			recorded++
		}
	}
	if delayed != 1 || recorded != 1 {
		t.Errorf("cases %+v: want one delayed answer for the callback and one with the message %s", cs, name)
	}
	stop()
	<-ran
}
