package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The presence history as the switchboard writes it, through the CLI: by login or extension,
// a period with the event in force at --from, JSON with durations, and the errors.
func TestOperatorHistory(t *testing.T) {
	c := newCLI(t)
	ctx := context.Background()
	s, err := journal.Open(ctx, c.db, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.OperatorByLogin(ctx, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.Local)
	for _, e := range []hotline.PresenceEvent{
		{At: day.Add(-2 * time.Hour), Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode}, // before actors were recorded
		{At: day.Add(9 * time.Hour), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode, Actor: "ivanova"},
		{At: day.Add(9*time.Hour + 15*time.Minute), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByDaemonStart, Actor: "system"},
		{At: day.Add(10 * time.Hour), Presence: hotline.PresenceLoggedOut, How: hotline.PresenceByAdmin, Actor: "supervisor"},
	} {
		e.OperatorID = o.ID
		if err := s.RecordPresence(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	out := c.ok("operator", "history", "1001", "--from", "2026-11-23", "--to", "2026-11-23")
	for _, want := range []string{"Иванова И.И.", "2026-11-22 22:00:00 (before)", "available", "paused", "daemon_start", "logged_out", "9h0m0s", "15m0s", "45m0s",
		"BY", "ivanova", "system", "supervisor"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	type line struct {
		OperatorID int64   `json:"operator_id"`
		Presence   string  `json:"presence"`
		Reason     string  `json:"reason"`
		How        string  `json:"how"`
		Actor      string  `json:"actor"`
		InForce    bool    `json:"in_force"`
		Seconds    float64 `json:"seconds"`
	}
	h := decode[struct {
		Operator struct {
			Login string `json:"login"`
		} `json:"operator"`
		Events []line `json:"events"`
	}](t, c.ok("operator", "history", "ivanova", "-o", "json"))
	if h.Operator.Login != "ivanova" || len(h.Events) != 4 || h.Events[0].InForce || h.Events[0].OperatorID == 0 || h.Events[1].Reason != "2" ||
		h.Events[1].Seconds != 15*60 || h.Events[3].How != "admin" || h.Events[3].Actor != "supervisor" || h.Events[0].Actor != "" {
		t.Errorf("JSON = %+v", h)
	}
	if in := decode[struct {
		Events []line `json:"events"`
	}](t, c.ok("operator", "history", "ivanova", "-o", "json", "--from", "2026-11-23", "--to", "2026-11-23")); len(in.Events) == 0 || !in.Events[0].InForce {
		t.Errorf("JSON with --from: the first event is the one in force: %+v", in.Events)
	}
	if out := c.ok("operator", "history", "petrov"); !strings.Contains(out, "No presence recorded") {
		t.Errorf("an operator never logged in: %s", out)
	}
	c.fails(3, "no operator", "operator", "history", "nobody")
	c.fails(2, "invalid --from", "operator", "history", "ivanova", "--from", "yesterday")
	c.fails(2, "needs an operator", "operator", "history")
}
