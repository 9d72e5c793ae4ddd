package web

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

func TestNextRenderIsTheNextTickOfTheGrid(t *testing.T) {
	base := time.Date(2026, 12, 8, 0, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		now, want time.Duration // after base
	}{
		{0, 250 * time.Millisecond}, // on a tick: the next one, never now
		{time.Millisecond, 250 * time.Millisecond},
		{249 * time.Millisecond, 250 * time.Millisecond},
		{250 * time.Millisecond, 500 * time.Millisecond},
		{1001 * time.Millisecond, 1250 * time.Millisecond},
	} {
		if got := nextRender(base.Add(tc.now), streamEvery); !got.Equal(base.Add(tc.want)) {
			t.Errorf("nextRender(+%v) = +%v, want +%v", tc.now, got.Sub(base), tc.want)
		}
	}
}

// openStream opens path's event stream as u and returns its events in order.
func openStream(t *testing.T, s *Server, ss *fakeSessions, u User, path string) func() sse {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(u)})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	ch := make(chan sse, 64)
	go readEvents(resp.Body, ch)
	return func() sse {
		t.Helper()
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("the stream ended")
			}
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
		return sse{}
	}
}

// A colleague's change waits for the stream's next render; the user's own call does not, and
// shows the colleague's change with it (the newest state): so the softphone comes before the
// colleagues in the same render. Rendering at every step would send the colleagues first.
func TestWorkEventsCoalesceButShowTheUsersOwnCallAtOnce(t *testing.T) {
	s, ss, live, _ := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
	s.StreamEvery = time.Hour // nothing but an urgent change renders during the test
	next := openStream(t, s, ss, level1, "/work/events")
	for _, want := range []string{"presence", "softphone", "colleagues"} {
		if ev := next(); ev.event != want {
			t.Fatalf("first events: %q, want %q", ev.event, want)
		}
	}
	at := live.snap.At
	colleague := live.snap.Operators[1]
	colleague.Presence = hotline.PresencePaused
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &colleague})
	live.Push(queueWith(at, "+79001112233"))

	call := switchboard.CallView{ID: "c9", CallerNumber: "+79001112233", Phase: switchboard.PhaseOffered, ArrivedAt: at, OperatorID: level1.OperatorID}
	live.Push(switchboard.Change{Kind: switchboard.CallOffered, Call: &call, More: true})
	me := live.snap.Operators[0]
	me.Presence, me.CallID, me.Since = hotline.PresenceRinging, "c9", at
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &me})

	if ev := next(); ev.event != "presence" || !strings.Contains(ev.data, "presence-ringing") {
		t.Fatalf("after the offer, first: %+v", ev)
	}
	if ev := next(); ev.event != "softphone" || !strings.Contains(ev.data, `data-call="c9"`) {
		t.Fatalf("after the offer, second: %+v", ev)
	}
	if ev := next(); ev.event != "colleagues" || !strings.Contains(ev.data, `class="presence-paused"`) {
		t.Fatalf("after the offer, third: %+v", ev)
	}
}

// tickingStream opens a level-1 operator's stream ticking every 20 ms, its first three events (the
// page's blocks) read.
func tickingStream(t *testing.T) (*fakeLive, func() sse) {
	t.Helper()
	s, ss, live, _ := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
	s.StreamEvery = 20 * time.Millisecond
	next := openStream(t, s, ss, level1, "/work/events")
	for range 3 {
		next()
	}
	return live, next
}

// A change that is not urgent is shown at the next tick, from the newest state: the last of a
// burst of changes is never lost, and nothing is sent twice.
func TestWorkEventsShowTheLastChangeOfABurst(t *testing.T) {
	live, next := tickingStream(t)
	colleague := live.snap.Operators[1]
	for _, p := range []hotline.Presence{hotline.PresenceRinging, hotline.PresenceTalking, hotline.PresenceWrapUp, hotline.PresencePaused} {
		colleague.Presence = p
		pushed := colleague // each change its own copy: the stream reads it later
		live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &pushed})
	}
	for {
		ev := next()
		if ev.event != "colleagues" {
			t.Fatalf("a colleague's changes sent %+v", ev)
		}
		if strings.Contains(ev.data, `class="presence-paused"`) {
			break
		}
	}
}

func TestColleagueBlockWithoutIsTheTemplatesOwn(t *testing.T) {
	s := &Server{}
	three := opSnapshot(hotline.PresenceAvailable, hotline.PresenceTalking)
	three.Operators = append(three.Operators, switchboard.OperatorView{ID: 99, Name: `O'Brien <b>`, Extension: "1099", Presence: hotline.PresencePaused})
	one := opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable)
	one.Operators = one.Operators[:1]
	levels := map[int64]hotline.Level{level1.OperatorID: hotline.Level1, 99: hotline.Level2}
	for _, snap := range []switchboard.Snapshot{three, one} {
		b := s.colleagueBlock(snap, levels)
		for _, me := range []int64{level1.OperatorID, level2.OperatorID, 99, 12345, 0} {
			want := colleaguesView{Known: true}
			for _, r := range b.rows {
				if r.id != me {
					want.Rows = append(want.Rows, template.HTML(r.html))
				}
			}
			html, err := s.part("work-colleagues", want)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := b.without(s, me); err != nil || got != html {
				t.Errorf("%d operators, without %d: %v\n%s\nwant\n%s", len(snap.Operators), me, err, got, html)
			}
		}
	}
}

// The block is found by what it shows: a step that changes no operator (a later Seq) gives the
// stream the block it sent already; a colleague's change gives a new one.
func TestColleagueBlockIsRenderedOncePerStateShown(t *testing.T) {
	s := &Server{}
	snap := opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable)
	levels := map[int64]hotline.Level{}
	first := s.colleagueBlock(snap, levels)
	snap.Seq, snap.At = snap.Seq+1, snap.At.Add(time.Second)
	snap.Queue = []switchboard.QueueEntry{{CallID: "c1"}}
	if again := s.colleagueBlock(snap, levels); again != first {
		t.Error("a queue change rendered the colleagues again")
	}
	snap.Operators = append([]switchboard.OperatorView(nil), snap.Operators...)
	snap.Operators[1].Presence = hotline.PresenceRinging
	changed := s.colleagueBlock(snap, levels)
	if changed == first || !strings.Contains(changed.html, "presence-ringing") {
		t.Errorf("a colleague's change: the same block, or without it: %s", changed.html)
	}
	if s.colleagueBlock(snap, map[int64]hotline.Level{level2.OperatorID: hotline.Level2}) == changed {
		t.Error("a level changed: the same block")
	}
}

// Supervisors' streams at the same state share one rendering of the board.
func TestBoardIsRenderedOncePerState(t *testing.T) {
	s := &Server{}
	snap := testSnapshot()
	a, err := s.boards.render(snap, true, s.pages().board)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.boards.render(snap, true, s.pages().board)
	plain, _ := s.boards.render(snap, false, s.pages().board)
	if unsafe.StringData(a) != unsafe.StringData(b) { // the same bytes, not an equal rendering
		t.Error("the same state rendered twice")
	}
	if a != b || a == plain || strings.Contains(plain, "Слушать") {
		t.Errorf("supervise: the same state rendered twice, or the two kinds mixed")
	}
	snap.Seq++
	if c, _ := s.boards.render(snap, true, s.pages().board); c == a {
		t.Error("a new state: the old board")
	}
}

// A tick that falls inside a loop step (changes with More still to come) must not show the
// half-way state: the render waits for the step's last change.
func TestWorkEventsTickDoesNotShowAHalfWayStep(t *testing.T) {
	live, next := tickingStream(t)
	ringing := live.snap.Operators[1]
	ringing.Presence = hotline.PresenceRinging
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &ringing}) // a whole step: a render is due
	paused := ringing
	paused.Presence = hotline.PresencePaused
	live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &paused, More: true}) // half a step
	time.Sleep(100 * time.Millisecond)                                                               // the tick passes
	added := switchboard.OperatorView{ID: 99, Name: "Новый", Extension: "1099", Presence: hotline.PresenceLoggedOut}
	live.Push(switchboard.Change{Kind: switchboard.OperatorAdded, Operator: &added}) // the step's last change
	for {
		ev := next()
		if ev.event != "colleagues" || !strings.Contains(ev.data, "presence-paused") {
			continue
		}
		if !strings.Contains(ev.data, `data-operator="99"`) {
			t.Fatalf("the half-way state was shown (paused, without the step's last change)")
		}
		return
	}
}
