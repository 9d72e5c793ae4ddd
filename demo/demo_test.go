package demo

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The final table names each call's operator as the live board does (extension, then name), never
// by the journal's id: the demo's operators are ids 2, 3, 4 behind the administrator.
func TestReportNamesOperatorsByExtension(t *testing.T) {
	ctx := context.Background()
	s, err := journal.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, s, 3); err != nil {
		t.Fatal(err)
	}
	petrov, err := s.OperatorByExtension(ctx, "1002")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, call := range []struct {
		id, number string
		operator   int64
	}{{"c1", "79000000001", petrov.ID}, {"c2", "79000000002", 0}} {
		leg := hotline.Leg{CallID: call.id, ArrivedAt: start}
		if _, err := s.StartCall(ctx, journal.CallStart{CallID: call.id, CallerNumber: call.number, ArrivedAt: start}); err != nil {
			t.Fatal(err)
		}
		leg.OperatorID, leg.QueuedAt, leg.EndedAt = call.operator, start, start.Add(10*time.Second)
		leg.End = hotline.LegAbandoned
		if call.operator != 0 {
			leg.AnsweredAt, leg.End = start.Add(2*time.Second), hotline.LegCompleted
		}
		if err := s.SaveCallLeg(ctx, leg, ""); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := report(ctx, &out, s, start); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var c1, c2 string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "79000000001"):
			c1 = l
		case strings.Contains(l, "79000000002"):
			c2 = l
		}
	}
	if !strings.Contains(lines[1], "OPERATOR") || !strings.Contains(c1, "1002 Petrov") || !regexp.MustCompile(`\s-\s`).MatchString(c2) {
		t.Errorf("report:\n%s\nwant an OPERATOR column, 1002 Petrov on the answered call, - on the abandoned one", out.String())
	}
}

// The demo's accounts can log in to the workplace at once with DemoPassword (make run prints it):
// the administrator and every operator.
func TestSeedGivesDemoAccounts(t *testing.T) {
	ctx := context.Background()
	s, err := journal.Open(ctx, filepath.Join(t.TempDir(), "demo.db"), journal.Options{Logger: slog.New(slog.DiscardHandler),
		PasswordHash: journal.HashParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, s, 2); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"demo-admin", "op1001", "op1002"} {
		if _, err := s.CheckPassword(ctx, login, DemoPassword, "127.0.0.1"); err != nil {
			t.Errorf("%s with the demo password: %v", login, err)
		}
	}
	// The card's search has a synthetic register to find people in.
	if n, err := s.CountInsured(ctx); err != nil || n != DemoRegister {
		t.Errorf("the demo register holds %d persons (%v), want %d", n, err, DemoRegister)
	}
	if found, _, err := s.SearchInsured(ctx, journal.InsuredQuery{Name: "иван"}, journal.MaxInsuredResults); err != nil || len(found) == 0 {
		t.Errorf("nobody called Иван… in the demo register: %v", err)
	}
}
