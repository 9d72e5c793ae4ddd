package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hotline-dev/hotline/switchboard"
)

// Live is where the workplace reads the live state: the switchboard's snapshots and change feed
// (docs/call-flow.md, "Reading live state"). FromSwitchboard adapts a *switchboard.Switchboard.
type Live interface {
	Snapshot(ctx context.Context) (switchboard.Snapshot, error)
	// Subscribe returns the state now and the changes after it (the first has Seq = snapshot.Seq+1).
	// The feed ends when ctx ends, when the switchboard stops, or when the reader lags.
	Subscribe(ctx context.Context) (switchboard.Snapshot, Feed, error)
}

// Feed is one subscriber's changes: *switchboard.Feed.
type Feed interface {
	C() <-chan switchboard.Change
	Err() error // why C closed: switchboard.ErrLagged, switchboard.ErrStopped or ctx's error
}

var _ Feed = (*switchboard.Feed)(nil)

// FromSwitchboard reads the live state from sb.
func FromSwitchboard(sb *switchboard.Switchboard) Live { return switchboardLive{sb} }

type switchboardLive struct{ sb *switchboard.Switchboard }

func (l switchboardLive) Snapshot(ctx context.Context) (switchboard.Snapshot, error) {
	return l.sb.Snapshot(ctx)
}

func (l switchboardLive) Subscribe(ctx context.Context) (switchboard.Snapshot, Feed, error) {
	snap, f, err := l.sb.Subscribe(ctx)
	if err != nil {
		return snap, nil, err
	}
	return snap, f, nil
}

// liveWriteTimeout bounds one write to an event stream: a browser that takes nothing for that long
// is given up on (it reconnects, if it is still there).
const liveWriteTimeout = 10 * time.Second

// streamEvery is how often at most an event stream renders for changes of the live state that are
// not urgent: the changes of a busy switchboard (several a call, a few calls a second) are shown
// together at the next multiple of streamEvery of the clock, from the newest state. A quarter of a
// second is sooner than anyone reads a colleague's state or the board; rendering every stream at
// every step cost the daemon 12–25 times the calls' own CPU (docs/benchmark.md, "Session 15, the
// workplace's event streams"). Every stream is due at the same instants, so the streams render
// together, from the same state, and share what is the same for all (the board, the colleagues).
const streamEvery = 250 * time.Millisecond

// nextRender is when a stream shows a change that is not urgent, made at now: the next multiple of
// every after now. A change made while one is awaited is shown then too.
func nextRender(now time.Time, every time.Duration) time.Time {
	return now.Truncate(every).Add(every)
}

// reconnectAfter is the retry the event stream tells the browser: how soon EventSource reconnects
// after the stream ends.
const reconnectAfter = 500 * time.Millisecond

func (s *Server) livePage(w http.ResponseWriter, r *http.Request, u User) {
	data := pageData{Title: "Оперативная обстановка", User: &u}
	if s.Live == nil {
		data.Error = "Сведения о звонках недоступны."
		s.render(w, r, http.StatusServiceUnavailable, "live", data)
		return
	}
	snap, err := s.Live.Snapshot(r.Context())
	if err != nil {
		s.log().Error("web: live snapshot", "err", err)
		data.Error = "Сведения о звонках сейчас недоступны; страница обновится сама."
		s.render(w, r, http.StatusOK, "live", data) // the event stream fills the board when it can
		return
	}
	data.Board = newBoard(snap, u.IsAdministrator())
	if r.URL.Query().Get("done") == "listen" {
		data.Notice = "Запрос на прослушивание принят: ответьте на вызов своего телефона."
	}
	s.render(w, r, http.StatusOK, "live", data)
}

// liveEvents is the live board's event stream: the event "board" with the board's HTML.
// Nothing on the board is urgent: it is rendered at most every streamEvery, once for every
// supervisor's stream at the same state (s.boards).
func (s *Server) liveEvents(w http.ResponseWriter, r *http.Request, u User) {
	supervise := u.IsAdministrator()
	s.stream(w, r, u, 0, nil, func(_ context.Context, snap switchboard.Snapshot) ([]Event, error) {
		html, err := s.boards.render(snap, supervise, s.pages().board)
		if err != nil {
			return nil, err
		}
		return []Event{{Name: "board", Data: html}}, nil // not sent again if unchanged (stream)
	})
}

// boardCache is the board's HTML last rendered for each kind of supervisor: the streams due at the
// same instant read the same state, so one renders and the others send its bytes.
type boardCache struct {
	mu   sync.Mutex
	last [2]renderedBoard // by supervise
}

type renderedBoard struct {
	seq  uint64
	at   time.Time
	html string
}

func (c *boardCache) render(snap switchboard.Snapshot, supervise bool, board *template.Template) (string, error) {
	i := 0
	if supervise {
		i = 1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.last[i]; e.html != "" && e.seq == snap.Seq && e.at.Equal(snap.At) {
		return e.html, nil
	}
	var b strings.Builder
	if err := board.Execute(&b, newBoard(snap, supervise)); err != nil {
		return "", fmt.Errorf("render the board: %w", err)
	}
	c.last[i] = renderedBoard{seq: snap.Seq, at: snap.At, html: b.String()}
	return c.last[i].html, nil
}

// Event is one server-sent event of a page's stream: htmx's sse extension swaps Data (HTML) into
// the element with sse-swap=Name.
type Event struct {
	Name, Data string
}

// Render makes a page's events from the live state now. It runs after loop steps that changed
// anything (at once for an urgent one, else at most every streamEvery) and, when the stream
// polls, every poll interval (for what lives in the journal rather than the switchboard, such as
// the count of cases under review); an event whose Data is what was last sent under its Name is
// not sent again. A Render may leave out an event it knows did not change.
type Render func(ctx context.Context, snap switchboard.Snapshot) ([]Event, error)

// Urgent says whether a change must be shown at once rather than at the stream's next render
// (nextRender): something the page's user must act on now.
type Urgent func(c switchboard.Change) bool

// stream serves a page's event stream (text/event-stream): its events at once (from a fresh
// snapshot), then after loop steps that changed anything and every poll (0: never). A step with
// an urgent change (urgent: nil, none is) renders at once; the others at the next multiple of
// s.StreamEvery (nextRender), from the newest state then, so the last change is never lost. When
// the feed cannot go on (the reader lagged, a change does not follow the one before, the
// switchboard stopped) it sends an event "resync" saying why and ends the stream: the browser's
// EventSource reconnects after the retry, and the new stream starts from a new snapshot. So a
// reconnect, for any reason, always shows the state now.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, u User, poll time.Duration, urgent Urgent, render Render) {
	if s.Live == nil && poll <= 0 {
		s.errorPage(w, r, http.StatusServiceUnavailable, "Сведения о звонках недоступны.")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel() // unsubscribes
	var (
		snap switchboard.Snapshot
		ch   <-chan switchboard.Change // nil without live state: a polled stream (the journal's figures) goes on without it
		feed Feed
	)
	if s.Live != nil {
		var err error
		snap, feed, err = s.Live.Subscribe(ctx)
		if err != nil {
			s.log().Error("web: live subscribe", "err", err)
			s.errorPage(w, r, http.StatusServiceUnavailable, "Сведения о звонках сейчас недоступны.")
			return
		}
		ch = feed.C()
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	sent := map[string]string{}
	// write sends events already formatted (sseEvent, writeEvent) in one write, and flushes.
	write := func(events string) error {
		_ = rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout)) // not every writer has deadlines
		if _, err := io.WriteString(w, events); err != nil {
			return err
		}
		return rc.Flush()
	}
	send := func(event, data string) error { return write(sseEvent(event, data)) }
	// update writes a render's events together and flushes once: one write to the socket a
	// render, not one an event.
	var batch strings.Builder
	update := func() error {
		evs, err := render(ctx, snap)
		if err != nil {
			return err
		}
		batch.Reset()
		for _, ev := range evs {
			if last, ok := sent[ev.Name]; ok && last == ev.Data {
				continue
			}
			writeEvent(&batch, ev.Name, ev.Data)
			sent[ev.Name] = ev.Data
		}
		if batch.Len() == 0 {
			return nil
		}
		return write(batch.String())
	}
	resync := func(why string) {
		s.log().Debug("web: live stream ends for a resync", "login", u.Login, "why", why, "seq", snap.Seq)
		_ = send("resync", why)
	}
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", reconnectAfter.Milliseconds()); err != nil {
		return
	}
	if err := update(); err != nil {
		s.log().Debug("web: live stream", "login", u.Login, "err", err)
		return
	}
	every := s.KeepAlive
	if every <= 0 {
		every = 15 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	still, _ := r.Context().Value(stillAllowedKey{}).(func(context.Context) error)
	checkEvery := s.SessionCheck
	if checkEvery <= 0 {
		checkEvery = 5 * time.Second
	}
	checks := time.NewTicker(checkEvery)
	defer checks.Stop()
	var polls <-chan time.Time
	if poll > 0 {
		t := time.NewTicker(poll)
		defer t.Stop()
		polls = t.C
	}
	renderEvery := max(s.StreamEvery, 0) // a negative one is taken as unset
	renderEvery = cmp.Or(renderEvery, streamEvery)
	later := time.NewTimer(time.Hour)
	later.Stop()
	defer later.Stop()
	var (
		due     <-chan time.Time // a render awaited: later's channel
		pressed bool             // the step under way has an urgent change
		mid     bool             // the last change applied has More: snap is half way through a step
		owed    bool             // a render fell due mid-step: owed at the step's last change
	)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return // the browser went away
				}
				why := "stopped"
				if errors.Is(feed.Err(), switchboard.ErrLagged) {
					why = "lagged"
				}
				resync(why)
				return
			}
			next, err := snap.Apply(c)
			if err != nil {
				resync("gap")
				return
			}
			snap = next
			pressed = pressed || (urgent != nil && urgent(c))
			mid = c.More
			if c.More {
				continue // the step is half way: show it when its last change comes
			}
			if !pressed && !owed {
				if due == nil {
					now := time.Now()
					later.Reset(nextRender(now, renderEvery).Sub(now))
					due = later.C
				}
				continue
			}
			pressed, owed = false, false
			if err := update(); err != nil {
				s.log().Debug("web: live stream", "login", u.Login, "err", err)
				return
			}
			// What was awaited is shown: the timer stays, and renders nothing new if nothing changes.
		case <-due:
			due = nil
			if mid {
				owed = true // never show half a step: render when its last change comes
				continue
			}
			if err := update(); err != nil {
				s.log().Debug("web: live stream", "login", u.Login, "err", err)
				return
			}
		case <-polls:
			if err := update(); err != nil {
				s.log().Debug("web: live stream", "login", u.Login, "err", err)
				return
			}
		case <-checks.C:
			// A session logged out, expired or revoked (the operator disabled), or a role taken
			// away, ends the stream: the page stops showing what its user may no longer see. The
			// browser's reconnect is then refused (401/403). A failed lookup (the journal busy) is
			// not an answer: the next check asks again.
			if still != nil {
				if err := still(ctx); errors.Is(err, ErrNoSession) {
					s.log().Info("web: live stream ends: the session no longer allows it", "login", u.Login, "path", r.URL.Path)
					resync("session")
					return
				}
			}
		case <-tick.C:
			_ = rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// sseEvent is one server-sent event: each line of data its own data field.
func sseEvent(event, data string) string {
	var b strings.Builder
	writeEvent(&b, event, data)
	return b.String()
}

// writeEvent writes one server-sent event to b (sseEvent).
func writeEvent(b *strings.Builder, event, data string) {
	b.WriteString("event: ")
	b.WriteString(event)
	b.WriteByte('\n')
	for line := range strings.Lines(strings.ReplaceAll(data, "\r", "")) {
		b.WriteString("data: ")
		b.WriteString(strings.TrimSuffix(line, "\n"))
		b.WriteByte('\n')
	}
	if data == "" {
		b.WriteString("data:\n")
	}
	b.WriteByte('\n')
}

// liveListen is the board's «Слушать», «Подсказывать», «Вмешаться» and «Завершить
// прослушивание»: the administrator listens to a talking operator's call on their own device
// (switchboard.Listen). The route is the administrators'; the rule is the domain's
// (hotline.Actor.MayListen), checked again by the switchboard.
func (s *Server) liveListen(w http.ResponseWriter, r *http.Request, u User) {
	refuse := func(status int, msg string) {
		data := pageData{Title: "Оперативная обстановка", User: &u, Error: msg}
		if s.Live != nil {
			if snap, err := s.Live.Snapshot(r.Context()); err == nil {
				data.Board = newBoard(snap, u.IsAdministrator())
			}
		}
		s.render(w, r, status, "live", data)
	}
	if err := u.Actor().MayListen(); err != nil {
		refuse(http.StatusForbidden, "Прослушивание разговоров доступно только администратору.")
		return
	}
	if err := readForm(w, r); err != nil {
		refuse(http.StatusBadRequest, "Форма не прочитана: слишком длинная или повреждённая.")
		return
	}
	call, mode := r.PostForm.Get("call"), switchboard.ListenMode(r.PostForm.Get("mode"))
	if !validCallID(call) {
		refuse(http.StatusUnprocessableEntity, "Нет разговора для прослушивания: обновите страницу.")
		return
	}
	if !mode.Valid() {
		refuse(http.StatusUnprocessableEntity, "Неизвестный режим прослушивания.")
		return
	}
	if s.Calls == nil {
		refuse(http.StatusServiceUnavailable, "Управление вызовами сейчас недоступно.")
		return
	}
	if err := s.Calls.Listen(r.Context(), u.Actor(), call, mode); err != nil {
		status, msg := s.failure(r, "listen", err)
		refuse(status, msg)
		return
	}
	s.log().Info("web: listen", "login", u.Login, "call", call, "mode", mode)
	if mode == switchboard.ListenStop {
		http.Redirect(w, r, "/live", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/live?done=listen", http.StatusSeeOther)
}
