package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// BenchmarkScreenPop is the workplace's share of a screen pop: from the switchboard publishing
// that a call is offered to an operator to that operator's browser stream receiving the caller's
// card (with the number's earlier cases read from a real journal), while every other operator
// of the room has their own /work/events stream open and following the same feed. One op is one
// screen pop, so ns/op is its latency; the offers follow one another (a room at its busiest
// offers a few calls a second, not thousands). docs/workplace.md has the figures.
func BenchmarkScreenPop(b *testing.B) {
	for _, operators := range []int{10, 100} {
		b.Run(fmt.Sprintf("operators=%d", operators), func(b *testing.B) { benchScreenPop(b, operators) })
	}
}

func benchScreenPop(b *testing.B, operators int) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local)
	snap := switchboard.Snapshot{Seq: 1, At: at, Service: switchboard.Service{Connected: true}}
	ss := newFakeSessions()
	users := make([]User, operators)
	for i := range users {
		id := int64(100 + i)
		users[i] = User{OperatorID: id, Login: fmt.Sprintf("op%d", id), Name: fmt.Sprintf("Оператор %d", id), Level: hotline.Level1,
			Role: hotline.RoleOperator, Extension: fmt.Sprint(1000 + i)}
		ss.accounts[users[i].Login] = fakeAccount{password: "пароль-" + users[i].Login, user: users[i]}
		snap.Operators = append(snap.Operators, switchboard.OperatorView{ID: id, Name: users[i].Name, Extension: users[i].Extension,
			Presence: hotline.PresenceAvailable, Since: at})
	}
	live := newFakeLive(snap)
	s := &Server{Sessions: ss, Live: live, Journal: testJournal(b), Calls: &fakeCalls{}}
	const number = "+79001112233"
	callerCases(b, s.Journal, number)
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)

	// Every operator's stream; each reader passes on the softphone events that carry a card.
	cards := make([]chan string, operators)
	for i, u := range users {
		req, _ := http.NewRequestWithContext(b.Context(), "GET", srv.URL+"/work/events", nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(u)})
		resp, err := srv.Client().Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("stream %d: %v %v", i, resp, err)
		}
		b.Cleanup(func() { resp.Body.Close() })
		events := make(chan sse, 64)
		go readEvents(resp.Body, events)
		cards[i] = make(chan string, 1)
		go func(out chan<- string) {
			for ev := range events {
				if ev.event == "softphone" && strings.Contains(ev.data, "caller-card") {
					select {
					case out <- ev.data:
					default:
					}
				}
			}
		}(cards[i])
	}

	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		i := n % operators
		id := fmt.Sprintf("call-%d", n)
		call := switchboard.CallView{ID: id, CallerNumber: number, Phase: switchboard.PhaseOffered, ArrivedAt: at,
			JoinedAt: at, OperatorID: users[i].OperatorID}
		live.Push(switchboard.Change{Kind: switchboard.CallOffered, Call: &call, More: true})
		op := live.snap.Operators[i]
		op.Presence, op.CallID = hotline.PresenceRinging, id
		live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &op})
		select {
		case card := <-cards[i]:
			if !strings.Contains(card, `data-call="`+id+`"`) {
				b.Fatalf("the card of another call: %s", card)
			}
		case <-time.After(10 * time.Second):
			b.Fatal("no screen pop within 10 s")
		}
		// The caller leaves before the next offer: the room goes back to idle.
		b.StopTimer()
		ended := call
		ended.Phase = switchboard.PhaseLeaving
		live.Push(switchboard.Change{Kind: switchboard.CallEnded, Call: &ended, More: true})
		op.Presence, op.CallID = hotline.PresenceAvailable, ""
		live.Push(switchboard.Change{Kind: switchboard.OperatorPresence, Operator: &op})
		b.StartTimer()
	}
}
