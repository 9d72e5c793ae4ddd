package loadgen

import (
	"context"
	"fmt"
	"github.com/hotline-dev/hotline"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

// Tones: every caller sends 440 Hz and every operator 1000 Hz, so each side proves whom it hears.
const (
	CallerTone   = 440.0
	OperatorTone = 1000.0
)

// greetingBound is how long after the answer a caller may still be hearing the greeting and not
// yet be queued (hello-world lasts about 1.6 s). A dispatch is counted only for a caller who
// answered longer ago than this when the operator became free: one who was surely waiting.
const greetingBound = 4 * time.Second

// portLinger keeps a finished call's RTP and RTCP ports bound for a while: the generator opens and
// closes phones by the hundred, and Asterisk's last RTCP for a call (sent every 5 s until its
// channel is gone) must not reach a newer phone's SIP socket that took the freed port.
const portLinger = 20 * time.Second

// call is one caller's call as both phones saw it.
type call struct {
	number   string
	started  time.Time // INVITE sent
	answered time.Time // 200 OK received
	greeting time.Time // first loud audio heard
	operator time.Time // operator's tone heard
	ended    time.Time
	failure  string // "" when completed
	server   string // host:port of the Contact in the caller's 200 OK: which Asterisk answered

	// From the operator's handset (filled by the operator's loop).
	opExt      string
	opHeard    bool // the operator heard the caller's tone
	opDone     bool
	opRecv     int
	opLost     int
	callerRecv int
	callerLost int
}

// workload runs callers against one system and its operator handsets, and keeps what they measure.
type workload struct {
	sb       Sandbox
	number   string
	talk     time.Duration
	jitter   float64 // talk time spread: ±jitter × talk, uniform
	wrapUp   time.Duration
	maxWait  time.Duration
	log      *slog.Logger
	handsets []*sipphone.Phone

	mu       sync.Mutex
	calls    []*call
	byNumber map[string]*call
	freeAt   map[string]time.Time // operator extension → when it became free (hang-up + wrap-up)
	dispatch []dispatchSample
	seq      int
	prefix   string
}

type dispatchSample struct {
	at       time.Time // when the handset rang (its INVITE arrived)
	d        time.Duration
	seenLate time.Duration // the INVITE's arrival → the operator's loop took the call (what was measured before session 11)
}

func newWorkload(sb Sandbox, number, prefix string, talk, wrapUp, maxWait time.Duration, log *slog.Logger) *workload {
	return &workload{sb: sb, number: number, prefix: prefix, talk: talk, wrapUp: wrapUp, maxWait: maxWait, log: log,
		byNumber: map[string]*call{}, freeAt: map[string]time.Time{}}
}

// register starts the operators' handsets: they register, auto-answer, send the operator tone.
func (w *workload) register(ctx context.Context, exts []string) error {
	for _, ext := range exts {
		p, err := sipphone.New(ctx, sipphone.Config{Server: w.sb.SIPAddr, User: ext, Password: w.sb.HandsetPassword,
			Tone: OperatorTone, Detect: []float64{CallerTone}, AutoAnswer: true, AnswerDelay: 100 * time.Millisecond,
			PortLinger: portLinger, Logger: w.log})
		if err != nil {
			w.close()
			return fmt.Errorf("handset %s: %w", ext, err)
		}
		w.handsets = append(w.handsets, p)
	}
	return nil
}

func (w *workload) close() {
	var wg sync.WaitGroup
	for _, h := range w.handsets {
		wg.Add(1)
		go func() { defer wg.Done(); h.Close() }()
	}
	wg.Wait()
	w.handsets = nil
}

// operators runs every handset's loop until ctx ends.
func (w *workload) operators(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, h := range w.handsets {
		wg.Add(1)
		go func() { defer wg.Done(); w.operator(ctx, h) }()
	}
	return &wg
}

// operator answers each call (auto-answer), checks it hears the caller, talks, then hangs up:
// the operator finishing the call is what frees it for the next waiting caller.
func (w *workload) operator(ctx context.Context, h *sipphone.Phone) {
	ext := h.User()
	for {
		in, err := h.Incoming(ctx)
		if err != nil {
			return
		}
		// The handset rang when its INVITE arrived, not when this loop took the call: the loop may
		// still have been waiting for its last BYE's answer, and the phone sets up the call's
		// media and sends 180 first (docs/benchmark.md, "Session 11, dispatch's tail").
		seen := time.Now()
		ringAt := in.Invited()
		if ringAt.IsZero() || ringAt.After(seen) {
			ringAt = seen
		}
		number := in.Caller().User
		w.mu.Lock()
		c := w.byNumber[numberKey(number)]
		if free, ok := w.freeAt[ext]; ok && c != nil && !c.answered.IsZero() && c.answered.Add(greetingBound).Before(free) {
			w.dispatch = append(w.dispatch, dispatchSample{at: ringAt, d: ringAt.Sub(free), seenLate: seen.Sub(ringAt)})
		}
		delete(w.freeAt, ext)
		w.mu.Unlock()

		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		heard := in.WaitTone(hctx, CallerTone) == nil
		cancel()
		if heard {
			talk := w.talk
			if w.jitter > 0 {
				talk = time.Duration(float64(w.talk) * (1 + w.jitter*(2*rand.Float64()-1)))
			}
			t := time.NewTimer(talk)
			select {
			case <-t.C:
			case <-in.Done():
			case <-ctx.Done():
			}
			t.Stop()
		}
		// The operator is free from the moment its BYE leaves (plus the wrap-up): Asterisk may
		// ring it again before the BYE's 200 OK is back.
		bye := time.Now()
		hctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = in.Hangup(hctx)
		cancel()
		st := in.Stats()
		w.mu.Lock()
		if c != nil {
			c.opExt, c.opHeard, c.opDone = ext, heard, true
			c.opRecv, c.opLost = st.PacketsReceived, st.PacketsLost
		}
		w.freeAt[ext] = bye.Add(w.wrapUp)
		w.mu.Unlock()
	}
}

// place runs one caller: dial, hear the greeting, wait in the queue until the operator's tone is
// heard, and stay until the operator hangs up.
func (w *workload) place(ctx context.Context) *call {
	w.mu.Lock()
	w.seq++
	c := &call{number: fmt.Sprintf("%s%06d", w.prefix, w.seq), started: time.Now()}
	w.calls = append(w.calls, c)
	w.byNumber[numberKey(c.number)] = c
	w.mu.Unlock()
	fail := func(format string, args ...any) *call {
		w.mu.Lock()
		c.failure = fmt.Sprintf(format, args...)
		c.ended = time.Now()
		w.mu.Unlock()
		return c
	}

	p, err := sipphone.New(ctx, sipphone.Config{Server: w.sb.SIPAddr, User: c.number, Tone: CallerTone,
		Detect: []float64{OperatorTone}, PortLinger: portLinger, Logger: w.log})
	if err != nil {
		return fail("caller phone: %v", err)
	}
	defer p.Close()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	sc, err := p.Dial(dctx, w.number)
	cancel()
	if err != nil {
		return fail("not answered: %v", err)
	}
	now := time.Now()
	w.mu.Lock()
	c.answered = now
	c.server = sc.RemoteContact()
	w.mu.Unlock()
	hangup := func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = sc.Hangup(hctx)
		cancel()
	}
	gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = sc.WaitAudio(gctx)
	cancel()
	if err != nil {
		hangup()
		return fail("no greeting heard within 10 s")
	}
	now = time.Now()
	w.mu.Lock()
	c.greeting = now
	w.mu.Unlock()
	qctx, cancel := context.WithTimeout(ctx, w.maxWait)
	err = sc.WaitTone(qctx, OperatorTone)
	cancel()
	if err != nil {
		hangup()
		if sc.State() == sipphone.Ended {
			return fail("ended while waiting: %s", sc.End())
		}
		return fail("no operator heard within %s", w.maxWait)
	}
	now = time.Now()
	w.mu.Lock()
	c.operator = now
	w.mu.Unlock()
	ectx, cancel := context.WithTimeout(ctx, 2*w.talk+30*time.Second)
	end, err := sc.WaitEnd(ectx)
	cancel()
	st := sc.Stats()
	w.mu.Lock()
	c.callerRecv, c.callerLost = st.PacketsReceived, st.PacketsLost
	w.mu.Unlock()
	if err != nil {
		hangup()
		return fail("not ended by the operator's hang-up within talk time + 30 s")
	}
	if end.By != sipphone.Remote {
		return fail("ended by us: %s", end)
	}
	w.mu.Lock()
	c.ended = time.Now()
	w.mu.Unlock()
	return c
}

// settle waits (bounded) for the operators' side of every finished call, then marks calls whose
// operator did not hear the caller as failed.
func (w *workload) settle(ctx context.Context) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		w.mu.Lock()
		pending := 0
		for _, c := range w.calls {
			if c.failure == "" && !c.opDone {
				pending++
			}
		}
		w.mu.Unlock()
		if pending == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.calls {
		switch {
		case c.failure != "":
		case !c.opDone:
			c.failure = "the operator's side never finished"
		case !c.opHeard:
			c.failure = "the operator did not hear the caller"
		}
	}
}

// completedByServer counts the completed calls by the server that answered them (host:port).
func (w *workload) completedByServer() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := map[string]int{}
	for _, c := range w.calls {
		if !c.ended.IsZero() && c.failure == "" {
			m[c.server]++
		}
	}
	return m
}

// dispatchSamples are the run's dispatches in the order the handsets rang.
func (w *workload) dispatchSamples() []DispatchSample {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]DispatchSample, 0, len(w.dispatch))
	for _, d := range w.dispatch {
		out = append(out, DispatchSample{At: d.at, Ms: float64(d.d) / float64(time.Millisecond)})
	}
	return out
}

// summary is what one window of calls measured.
type summary struct {
	Attempted     int            `json:"attempted"`
	Completed     int            `json:"completed"`
	Failed        int            `json:"failed"`
	Failures      map[string]int `json:"failures,omitempty"`
	SetupRate     float64        `json:"setup_rate_per_s"`     // calls attempted per second
	CompletedRate float64        `json:"completed_rate_per_s"` // calls completed per second
	Setup         Percentiles    `json:"setup_ms"`             // INVITE → 200 OK
	Greeting      Percentiles    `json:"answer_to_greeting_ms"`
	Dispatch      Percentiles    `json:"dispatch_ms"`
	DispatchN     int            `json:"dispatch_samples"`
	// DispatchSeenLate: how much later than the INVITE's arrival the operator's loop took the call,
	// which is what dispatch's end was before session 11.
	DispatchSeenLate Percentiles `json:"dispatch_seen_late_ms"`
	QueueWait        Percentiles `json:"queue_wait_ms"` // first greeting audio → operator's tone heard
	RTPReceived      int         `json:"rtp_received"`
	RTPLost          int         `json:"rtp_lost"`
	RTPLossPercent   float64     `json:"rtp_loss_percent"`
}

// Percentiles in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.999999) - 1 // nearest rank
		i = min(max(i, 0), len(s)-1)
		return float64(s[i].Microseconds()) / 1000
	}
	return Percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: float64(s[len(s)-1].Microseconds()) / 1000}
}

// summarize measures the calls that ended in [from, to) (all calls when both are zero) and the
// dispatches in that window.
func (w *workload) summarize(from, to time.Time) summary {
	w.mu.Lock()
	defer w.mu.Unlock()
	in := func(t time.Time) bool {
		return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
	}
	s := summary{Failures: map[string]int{}}
	var setup, greet, wait, disp, late []time.Duration
	var first, last time.Time
	for _, c := range w.calls {
		if c.ended.IsZero() || !in(c.ended) {
			continue
		}
		s.Attempted++
		if first.IsZero() || c.started.Before(first) {
			first = c.started
		}
		if c.ended.After(last) {
			last = c.ended
		}
		if !c.answered.IsZero() {
			setup = append(setup, c.answered.Sub(c.started))
		}
		if !c.greeting.IsZero() {
			greet = append(greet, c.greeting.Sub(c.answered))
		}
		if !c.operator.IsZero() {
			wait = append(wait, c.operator.Sub(c.greeting))
		}
		s.RTPReceived += c.callerRecv + c.opRecv
		s.RTPLost += c.callerLost + c.opLost
		if c.failure != "" {
			s.Failed++
			s.Failures[c.failure]++
			continue
		}
		s.Completed++
	}
	for _, d := range w.dispatch {
		if in(d.at) {
			disp = append(disp, d.d)
			late = append(late, d.seenLate)
		}
	}
	if span := last.Sub(first).Seconds(); span > 0 {
		s.SetupRate = float64(s.Attempted) / span
		s.CompletedRate = float64(s.Completed) / span
	}
	s.Setup, s.Greeting, s.QueueWait = percentiles(setup), percentiles(greet), percentiles(wait)
	s.Dispatch, s.DispatchN = percentiles(disp), len(disp)
	s.DispatchSeenLate = percentiles(late)
	if total := s.RTPReceived + s.RTPLost; total > 0 {
		s.RTPLossPercent = 100 * float64(s.RTPLost) / float64(total)
	}
	if len(s.Failures) == 0 {
		s.Failures = nil
	}
	return s
}

// drive keeps level callers in flight (each starting its next call when the last ends), starting
// at most rate calls per second, until stop ends or total calls have been started (0: no limit).
// It returns when every caller it started has finished; ctx ending cuts them short.
func (w *workload) drive(ctx, stop context.Context, level func() int, rate float64, total int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	started, running := 0, 0
	gap := time.Duration(float64(time.Second) / rate)
	tick := time.NewTicker(gap)
	defer tick.Stop()
	finished := make(chan struct{}, 1)
	for {
		mu.Lock()
		can := running < level() && (total == 0 || started < total)
		done := total > 0 && started >= total
		if can {
			started++
			running++
		}
		mu.Unlock()
		if done {
			break
		}
		if can {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.place(ctx)
				mu.Lock()
				running--
				mu.Unlock()
				select {
				case finished <- struct{}{}:
				default:
				}
			}()
			select {
			case <-stop.Done():
			case <-tick.C:
			}
		} else {
			select {
			case <-stop.Done():
			case <-finished:
			case <-time.After(200 * time.Millisecond): // the level may have been raised
			}
		}
		if stop.Err() != nil {
			break
		}
	}
	wg.Wait()
}

// numberKey is a caller's number in one form: hotline shows the operator E.164 (+7912…), app_queue
// the caller id as it came (7912…).
func numberKey(n string) string {
	k, _ := hotline.PhoneRegion("").Normalize(n)
	return k
}
