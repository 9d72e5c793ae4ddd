package kamailioadapter

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/kamailio"
	"github.com/hotline-dev/hotline/switchboard"
)

// answers plays Kamailio's answers in turn: a JSON body parsed by the real parser, or an error.
type answers struct {
	bodies []string
	n      int
}

func (a *answers) Registered(context.Context) (map[string]bool, error) {
	b := a.bodies[a.n]
	a.n++
	if strings.HasPrefix(b, "!") {
		return nil, errors.New(b[1:])
	}
	return kamailio.ParseDump([]byte(b))
}

type board struct {
	exts []string
	got  []switchboard.DeviceState
}

func (b *board) Deliver(_ context.Context, ev switchboard.Event) error {
	b.got = append(b.got, ev.(switchboard.DeviceState))
	return nil
}

func (b *board) Snapshot(context.Context) (switchboard.Snapshot, error) {
	var s switchboard.Snapshot
	for _, e := range b.exts {
		s.Operators = append(s.Operators, switchboard.OperatorView{Extension: e})
	}
	return s, nil
}

func dump(aors ...string) string {
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","result":{"Domains":[{"Domain":{"Domain":"location","AoRs":[`)
	for i, a := range aors {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"Info":{"AoR":"` + a + `","Contacts":[{"Contact":{"Address":"sip:x","Expires":60}}]}}`)
	}
	b.WriteString(`]}}]},"id":1}`)
	return b.String()
}

func ds(ext string, r bool) switchboard.DeviceState {
	return switchboard.DeviceState{Extension: ext, Reachable: r}
}

// Each poll delivers the extensions whose registration changed (all on the first); an answer that
// fails or is malformed changes nothing and is logged once until Kamailio answers again.
func TestPresencePolls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		polls  []string
		exts   []string
		want   [][]switchboard.DeviceState // delivered per poll
		errors int                         // error lines logged
	}{
		{"first answer tells every extension", []string{dump("1001")}, []string{"1001", "1002"},
			[][]switchboard.DeviceState{{ds("1001", true), ds("1002", false)}}, 0},
		{"only changes after", []string{dump("1001"), dump("1001"), dump("1001", "1002"), dump("1002")}, []string{"1001", "1002"},
			[][]switchboard.DeviceState{{ds("1001", true), ds("1002", false)}, nil, {ds("1002", true)}, {ds("1001", false)}}, 0},
		{"failures change nothing, logged once", []string{dump("1001"), "!connection refused", `{"jsonrpc":"2.0","result":`, dump()}, []string{"1001"},
			[][]switchboard.DeviceState{{ds("1001", true)}, nil, nil, {ds("1001", false)}}, 1},
		{"a malformed first answer delivers nothing", []string{`{"error":{"code":500,"message":"x"}}`, dump("1002")}, []string{"1002"},
			[][]switchboard.DeviceState{nil, {ds("1002", true)}}, 1},
		{"AoRs of no operator are ignored", []string{dump("9999")}, []string{"1001"},
			[][]switchboard.DeviceState{{ds("1001", false)}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			b := &board{exts: tc.exts}
			p := &Presence{Kamailio: &answers{bodies: tc.polls}, Switchboard: b, Every: time.Second,
				Log: slog.New(slog.NewTextHandler(&log, nil))}
			for i := range tc.polls {
				b.got = nil
				p.Poll(context.Background())
				if !slices.Equal(b.got, tc.want[i]) {
					t.Errorf("poll %d delivered %v, want %v", i, b.got, tc.want[i])
				}
			}
			if n := strings.Count(log.String(), "level=ERROR"); n != tc.errors {
				t.Errorf("%d errors logged, want %d:\n%s", n, tc.errors, log.String())
			}
		})
	}
}

// Every 30 s every extension is told again, changed or not.
func TestPresenceRetells(t *testing.T) {
	at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	b := &board{exts: []string{"1001", "1002"}}
	p := &Presence{Kamailio: &answers{bodies: []string{dump("1001"), dump("1001"), dump("1001")}}, Switchboard: b,
		Every: 2 * time.Second, Log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), Now: func() time.Time { return at }}
	for i, tc := range []struct {
		after time.Duration
		want  []switchboard.DeviceState
	}{
		{0, []switchboard.DeviceState{ds("1001", true), ds("1002", false)}},
		{29 * time.Second, nil},
		{time.Second, []switchboard.DeviceState{ds("1001", true), ds("1002", false)}},
	} {
		at = at.Add(tc.after)
		b.got = nil
		p.Poll(context.Background())
		if !slices.Equal(b.got, tc.want) {
			t.Errorf("poll %d delivered %v, want %v", i, b.got, tc.want)
		}
	}
}
