package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// recording list shows the recorded legs of a case, from the journal the daemon wrote.
func TestRecordingList(t *testing.T) {
	c := newCLI(t)
	ctx := context.Background()
	s, err := journal.Open(ctx, c.db, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	if _, err := s.StartCall(ctx, journal.CallStart{CallID: "ch-1", CallerNumber: "+78652000001", ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	ops, err := s.Operators(ctx, journal.OperatorFilter{})
	if err != nil || len(ops) == 0 {
		t.Fatalf("operators: %v %v", ops, err)
	}
	if err := s.SaveCallLeg(ctx, hotline.Leg{CallID: "ch-1", CallerNumber: "+78652000001", ArrivedAt: at, OperatorID: ops[1].ID,
		AnsweredAt: at.Add(10 * time.Second), EndedAt: at.Add(100 * time.Second), End: hotline.LegCompleted, RecordingName: "call-ch-1"},
		hotline.OutcomeAnswered); err != nil {
		t.Fatal(err)
	}
	// The operator who talked registers the call: its recordings are the case's.
	ref, err := s.CallRef(ctx, "ch-1")
	if err != nil {
		t.Fatal(err)
	}
	cc := hotline.Case{Description: "asked about a policy"}
	if err := s.RegisterCall(ctx, hotline.Actor{Login: ops[1].Login, OperatorID: ops[1].ID, Role: ops[1].Role}, ref, &cc, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out := c.ok("recording", "list", cc.Number)
	if !strings.Contains(out, "call-ch-1") || !strings.Contains(out, "1m30s") || !strings.Contains(out, "completed") {
		t.Errorf("recording list lacks the recorded call (name, 1m30s talk, completed):\n%s", out)
	}
	c.fails(3, "no case", "recording", "list", "2026-999999")
	// Fetching needs Asterisk: without ARI settings it says what is missing.
	t.Setenv("HOTLINE_ARI_PASSWORD", "")
	t.Setenv("HOTLINE_AMI_PASSWORD", "")
	c.fails(2, "ari.password", "recording", "get", "call-ch-1", "-O", t.TempDir()+"/x.wav")
	// It needs ARI's settings only: no AMI password. (Nothing listens at the URL: unavailable.)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	t.Setenv("HOTLINE_ARI_PASSWORD", "x")
	t.Setenv("HOTLINE_ARI_URL", "http://"+closed+"/ari")
	r := c.run("recording", "get", "call-ch-1", "-O", t.TempDir()+"/x.wav")
	if r.code != 6 || strings.Contains(r.err, "ami") {
		t.Errorf("recording get without the AMI password: exit %d, %q; want 6 (Asterisk unreachable), nothing about AMI", r.code, r.err)
	}
}
