package switchboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/outbox"
	"github.com/hotline-dev/hotline/routing"
)

// ErrStopped is returned by requests made after Run's loop has stopped.
var ErrStopped = errors.New("switchboard: stopped")

// opTimeout bounds one request to Asterisk: a stuck request must not hold a call's later requests
// forever.
const opTimeout = 15 * time.Second

// Switchboard owns every live call, the queue and the operators' presence. One goroutine, Run's
// loop, changes them; everything else talks to it by message: Deliver for Asterisk's events, the
// admin methods (Pause, Resume, Logout, Status...) for commands, and the results of Telephony
// requests and journal reads come back the same way.
type Switchboard struct {
	cfg   Config
	tel   Telephony
	jr    Journal
	clock Clock
	log   *slog.Logger
	// handsetVars: the variables every handset channel is originated with (handsetVariables),
	// one map shared by those requests, which only read it.
	handsetVars map[string]string
	priority    hotline.PhoneSet // cfg.PriorityNumbers, normalised once

	metrics Metrics // counters the daemon exports (metrics.go)

	inbox chan message
	done  chan struct{} // closed when Run's loop stops
	once  sync.Once     // Run runs once

	// exec runs a request off the loop and posts opDone; post delivers a message to the loop;
	// write hands a job to the outbox. Run sets the real ones; tests drive them by hand.
	exec  func(lane string, op Op)
	post  func(message)
	write func(job journalJob)
	// writes counts the journal writes asked (Settled tells it: no new write, no new line).
	writes uint64
	// onFree, if set, is told of every operator who became free (presencebook.go): for tests.
	onFree func(op int64, was hotline.Presence)
	// refusedMove, if set, is told of every transition the call state machine refuses (callfsm.go):
	// tests fail on one; the daemon only logs it.
	refusedMove func(call string, from callState, ev callEvent)

	spool  outbox.Spool                  // SetSpool; nil: journal writes wait in memory only
	outbox atomic.Pointer[journalOutbox] // Run's; nil in tests that drive the loop by hand

	// Everything below is owned by the loop.
	calls     map[string]*call      // by the caller's channel id
	offers    map[string]*offer     // by the operator's channel id (ours, from Originate)
	features  map[string]*feature   // feature-code calls, by channel id
	playbacks map[string]func(bool) // what to do when a playback ends, by playback id
	recs      map[string]*call      // recordings in progress, by name
	recAsked  map[string]bool       // conversation recordings asked for (RecordCall) whose answer has not come
	operators map[int64]*operator
	byExt     map[string]*operator
	queue     routing.Queue
	router    routing.Router
	handle    routing.HandleTimes
	lanes     map[string]*lane
	callbacks map[string]*pendingCallback // queued callbacks, by queue key (callback.go)
	dialing   map[string]*pendingCallback // callbacks being dialled, by channel
	campaigns Campaigns                   // the informing campaigns (informing.go); nil: none
	informers map[int64]*informer         // representatives informing, by operator id
	draining  bool                        // new calls go back to the dialplan (drain.go)
	drained   []drainWaiter               // Drain calls waiting for the switchboard to empty
	connected bool
	replaced  bool                  // another client took the ARI application over (Replaced): act on Asterisk no more
	suspect   map[string]bool       // calls live when the connection dropped: Inventory says which survive
	transfers map[string]*transfer  // transfers under way, by the target's channel id (transfer.go)
	cut       map[string]bool       // channels Asterisk is hanging up by itself (cut.go)
	consults  map[string]*consult   // consultation calls, by both of their channels (consult.go)
	forwards  map[int64]forwardable // each operator's last transfer, for *26 (forward.go)
	counts    caseCounts            // operators' cases in work, read from the journal (limits.go)
	// Administrators listening (supervise.go), and the causes of the cuts above (cut.go).
	listening   map[string]*supervision // by the call's id
	supervisors map[string]*supervision // the same, by the administrator's and the snoop channel
	cutCause    map[string]int          // the cause Asterisk gave for each cut channel, for the call's history
	// Reconciliation with a previous run at the first inventory (reconcile.go).
	reconciled bool
	legsLoaded bool
	openLegs   []hotline.Leg
	pendingInv *Inventory
	seq        uint64
	cands      []routing.Candidate  // scratch for routing
	candOps    []*operator          // cands[i] is candOps[i]
	live       published            // the live state as consumers last saw it, and their feeds (snapshot.go)
	step       stepTrace            // the message being handled, for dispatch tracing (dispatchtrace.go)
	traced     map[string]stepTrace // dispatches' originates not yet sent, by the offer's channel
	hungUp     map[string]time.Time // handsets freed at their hang-up request, until their end: when (Asterisk's clock)
	holding    int                  // > 0 while a message is handled: lanes' requests wait in held until its end
	held       []laneOp             // requests to send at the message's end (sendHeld); trace unused
}

// New returns a switchboard; Run starts it. cfg must be valid (Config.Validate).
func New(cfg Config, tel Telephony, jr Journal, clock Clock, log *slog.Logger) (*Switchboard, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.InformRing == 0 {
		cfg.InformRing = DefaultInformRing
	}
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Switchboard{
		cfg: cfg, tel: tel, jr: jr, clock: clock, log: log, metrics: noMetrics{}, handsetVars: handsetVariables(),
		priority:  hotline.NewPhoneSet(cfg.PhoneRegion, cfg.PriorityNumbers),
		inbox:     make(chan message, 256),
		done:      make(chan struct{}),
		calls:     make(map[string]*call),
		offers:    make(map[string]*offer),
		features:  make(map[string]*feature),
		playbacks: make(map[string]func(bool)),
		recs:      make(map[string]*call),
		recAsked:  make(map[string]bool),
		operators: make(map[int64]*operator),
		byExt:     make(map[string]*operator),
		lanes:     make(map[string]*lane),
		callbacks: make(map[string]*pendingCallback),
		dialing:   make(map[string]*pendingCallback),
		informers: make(map[int64]*informer),
		transfers: make(map[string]*transfer),
		cut:       make(map[string]bool),
		consults:  make(map[string]*consult),
		forwards:  make(map[int64]forwardable),
		connected: true, // until the adapter says otherwise: it delivers Disconnected first if it must

		listening:   make(map[string]*supervision),
		supervisors: make(map[string]*supervision),
		cutCause:    make(map[string]int),
	}
	s.router.Rules = cfg.Routing // validated with cfg
	return s, nil
}

// message is anything the loop handles: an Event, a command, or an internal result.
type message any

// timerFired is a Clock timer going off.
type timerFired struct{ t *timer }

// journalLinger is how long the outbox's applier waits after a spooled write for others to share
// its journal transaction (outbox.SetLinger; the spool fsync waits journalSyncWindow at most), journalLingerMax how
// many end the wait at once.
// Nothing in the call flow waits on a plain write that soon: StartCall's answer is needed after
// the greeting; what someone waits for ends the wait: a read (the journal's answer to the loop,
// and the case counts read after every write that changes cases), a feature code's confirmation
// (journalConfirm), the answer's leg (the workplace's card checks it), the queueing of a caller
// not yet filed (greeted) and the arrival of a caller queued at once (fileCall) are prompt. At
// the load benchmark's rate (a write every 70 ms) 250 ms lets several writes share a
// transaction; the rest (calls' and legs' rows, presence, ring attempts, cuts, supervision,
// case-callback notes) are seen up to that much later by a reader that is not the switchboard
// (the CLI, reports). docs/benchmark.md, "Group commit" and
// "Session 11, the journal's CPU per call", have what it saves.
const (
	journalLinger    = 250 * time.Millisecond
	journalLingerMax = 64
)

// journalSyncWindow is how long the spool's fsync of a write nobody waits on may wait for the
// writes of other calls to share it (outbox.SetSyncWindow): the write is in the spool file at
// once (a kill -9 loses nothing), durable at the fsync, and applied only after it. What someone
// waits for (the prompt writes above, reads) is fsynced at once. Well inside journalLinger, from
// which it is taken (the linger counts from the write), so the journal has a write no later than
// before. docs/benchmark.md, "Session 13, the spool's fsync window", has what it saves. Not an
// operator's setting: nothing outside the daemon sees it.
const journalSyncWindow = 50 * time.Millisecond

// Run handles messages until ctx is done, then waits for the journal writes already asked for
// (so a SIGTERM loses no case) and returns ctx's error.
func (s *Switchboard) Run(ctx context.Context) error {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return errors.New("switchboard: Run called twice")
	}
	// Writes outlive ctx: they are what a shutdown must not lose. What an earlier run left in the
	// spool goes first (outbox.New queues it), before the operators and open legs are read.
	ob := outbox.New[Write, Filed](NewApplier(s.jr), s.spool, s.log)
	ob.SetLinger(journalLinger, journalLingerMax)
	ob.SetSyncWindow(journalSyncWindow, journalLingerMax)
	s.outbox.Store(ob)
	wdone := make(chan struct{})
	go func() { ob.Run(); close(wdone) }()
	s.write = ob.Push
	s.post = func(m message) {
		select {
		case s.inbox <- m:
		case <-s.done:
		}
	}
	work := make(chan laneOp) // unbuffered: taken only by a worker waiting for one
	s.exec = func(key string, op Op) {
		r := laneOp{lane: key, op: op, trace: s.dispatchOf(op)}
		select {
		case work <- r:
		default:
			go s.requestWorker(ctx, work, r)
		}
	}
	s.reloadOperators()
	s.loadOpenLegs() // then, once reconciled, the callbacks still waiting
	for {
		select {
		case <-ctx.Done():
			// The loop stops first, so that nothing waits on it any more (a journal job posting
			// its result, a request's goroutine), then the outbox drains: for journalGrace at
			// most when the journal fails, since the spool keeps what is left.
			close(s.done)
			s.live.endFeeds(ErrStopped)
			ob.Close(journalGrace)
			<-wdone
			return ctx.Err()
		case m := <-s.inbox:
			s.dispatch(s.begin(m))
		}
	}
}

// laneOp is one request of a lane, for a request worker.
type laneOp struct {
	lane  string
	op    Op
	trace *stepTrace // a dispatch's originate (dispatchtrace.go); nil for the rest
}

// workerIdle is how long a request worker waits for the next request before it ends.
const workerIdle = 10 * time.Second

// requestWorker carries out requests (Telephony.Do) and posts each result to the loop, then waits a
// while for another: a goroutine per request cost its creation and the growth of its stack
// through net/http each time (docs/benchmark.md). Run starts one whenever none is waiting, so
// requests never queue behind each other.
func (s *Switchboard) requestWorker(ctx context.Context, work <-chan laneOp, first laneOp) {
	// The idle timer is not reset per request (a timer-heap change each): when it fires, the
	// worker ends only if its last request ended workerIdle ago, and otherwise waits the rest.
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for r := first; ; {
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		start := time.Now()
		err := s.tel.Do(octx, r.op)
		end := time.Now()
		took := end.Sub(start)
		cancel()
		s.metrics.Request(opName(r.op), took, err)
		if r.trace != nil && err == nil {
			s.dispatched(r.trace, start, end)
		}
		if s.log.Enabled(ctx, slog.LevelDebug) {
			s.log.Debug("request", "lane", r.lane, "op", r.op.String(), "took", took, "err", err)
		}
		s.post(opDone{lane: r.lane, op: r.op, err: err})
		var ok bool
		if r, ok = s.nextRequest(work, idle, end); !ok {
			return
		}
	}
}

// nextRequest waits for a worker's next request, or false once it has been idle workerIdle since
// its last ended (last) or the loop has stopped.
func (s *Switchboard) nextRequest(work <-chan laneOp, idle *time.Timer, last time.Time) (laneOp, bool) {
	for {
		select {
		case r := <-work:
			return r, true
		case <-idle.C:
			rest := workerIdle - time.Since(last)
			if rest <= 0 {
				return laneOp{}, false
			}
			idle.Reset(rest)
		case <-s.done:
			return laneOp{}, false
		}
	}
}

// journalGrace is how long a stop waits for a failing journal to take the writes queued for it.
// Spooled writes left then are applied at the next start; with no spool they are lost (and logged).
const journalGrace = 10 * time.Second

// Backlog is how many journal writes wait for the journal now (spooled, or in memory); safe to call
// at any time, also after Run has returned.
func (s *Switchboard) Backlog() int {
	if ob := s.outbox.Load(); ob != nil {
		return ob.Backlog()
	}
	return 0
}

// JournalStats is what the journal's writer (the outbox) did since Run, for metrics; zero before.
func (s *Switchboard) JournalStats() outbox.Stats {
	if ob := s.outbox.Load(); ob != nil {
		return ob.Stats()
	}
	return outbox.Stats{}
}

// Settled is what Switchboard.Settled returns.
type Settled struct {
	// At: every event the switchboard handled before it is in the journal.
	At time.Time
	// Writes counts the journal writes the switchboard asked for since it began: the same count
	// twice, nothing the switchboard writes has changed in between.
	Writes uint64
}

// Settled returns a time before which every event the switchboard handled is in the journal: the
// loop's clock when asked, returned once every journal write asked before it has been applied
// (the writes of an event are asked while the loop handles it, stamped with its clock). The
// queue_log stream (report.QueueLogStream) writes the lines of the seconds before it.
func (s *Switchboard) Settled(ctx context.Context) (Settled, error) {
	var st Settled
	applied := make(chan struct{})
	err := s.ask(ctx, func(s *Switchboard) error {
		st = Settled{At: s.clock.Now(), Writes: s.writes}
		var once sync.Once
		s.journalRead("settled", "", func(context.Context) error {
			once.Do(func() { close(applied) })
			return nil
		})
		return nil
	})
	if err != nil {
		return Settled{}, err
	}
	select {
	case <-applied:
		return st, nil
	case <-ctx.Done():
		return Settled{}, ctx.Err()
	}
}

// SetSpool makes the journal's writes durable from the moment they are asked for (package outbox).
// Call it before Run.
func (s *Switchboard) SetSpool(sp outbox.Spool) {
	s.spool = sp
}

// Deliver hands an Asterisk event to the loop. It waits while the loop is busy (back-pressure on the
// event reader, never on the loop), until ctx is done or Run has returned.
func (s *Switchboard) Deliver(ctx context.Context, ev Event) error {
	return s.send(ctx, handed{ev: ev, at: time.Now()})
}

func (s *Switchboard) send(ctx context.Context, m message) error {
	select {
	case <-s.done:
		return ErrStopped // checked first: the inbox may have room nobody will read
	default:
	}
	select {
	case s.inbox <- m:
		return nil
	case <-s.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dispatch handles one message, then lets routing offer whatever can be offered now.
func (s *Switchboard) dispatch(m message) {
	s.holding++
	defer s.sendHeld() // a dispatch's originate before the rest (dispatchtrace.go)
	switch m := m.(type) {
	case opDone:
		s.onOpDone(m)
	case timerFired:
		if !m.t.stopped {
			m.t.stopped = true
			m.t.fire()
		}
	case command:
		m.run(s)
	case caseCountsLoaded:
		s.onCaseCountsLoaded(m)
	case callsTodayLoaded:
		s.onCallsTodayLoaded(m)
	case operatorsLoaded:
		s.onOperatorsLoaded(m)
	case callFiled:
		s.onCallFiled(m)
	case topicFiled:
		s.onTopicFiled(m)
	case StasisStart:
		s.onStasisStart(m)
	case StasisEnd:
		s.onChannelGone(m.Channel, 0)
	case ChannelDestroyed:
		s.onChannelGone(m.Channel, m.Cause)
	case PlaybackFinished:
		if f, ok := s.playbacks[m.Playback]; ok {
			delete(s.playbacks, m.Playback)
			f(m.Failed)
		}
	case DTMF:
		s.onDTMF(m)
	case Transfer:
		s.onTransfer(m)
	case specialistsFound:
		s.onSpecialistsFound(m)
	case openLegsLoaded:
		s.onOpenLegs(m)
	case callbacksLoaded:
		s.onCallbacksLoaded(m)
	case informingClaimed:
		s.onInformingClaimed(m)
	case RecordingFinished:
		s.onRecordingEnd(m.Name, "")
	case RecordingFailed:
		s.onRecordingEnd(m.Name, m.Cause)
	case DeviceState:
		s.onDeviceState(m)
	case Connected:
		// Offers resume with the Inventory that follows: first the calls lost meanwhile end.
		s.log.Info("asterisk connected")
	case Replaced:
		s.replaced = true
		s.log.Error("another client took over the ARI application: this hotline serve no longer gets calls and stops acting on Asterisk; stop one of the two (a second hotline serve with the same ari.app?)")
		s.dispatch(Disconnected{Err: errors.New("application replaced")})
	case Disconnected:
		s.connected = false
		clear(s.hungUp) // their ends may never come
		if s.suspect == nil {
			s.suspect = make(map[string]bool, len(s.calls))
		}
		for id := range s.calls {
			s.suspect[id] = true
		}
		for ch := range s.consults {
			s.suspect[ch] = true
		}
		for ch := range s.dialing {
			s.suspect[ch] = true
		}
		s.log.Warn("asterisk disconnected: no offers until it is back", "err", m.Err)
	case Inventory:
		s.reconcileInventory(m)
		s.onInventory(m)
		s.connected = true
	case ChannelHangupRequest:
		s.onHangupRequest(m)
	default:
		s.log.Error("switchboard: unknown message", "type", fmt.Sprintf("%T", m))
	}
	s.offerFreed()
	s.informFreed() // after routing: waiting callers are offered first
	if s.draining {
		s.checkDrained()
	}
	s.publish() // last: consumers see the state the whole step left (feed.go)
}

// after arranges fire to run on the loop after d.
func (s *Switchboard) after(d time.Duration, fire func()) *timer {
	t := &timer{fire: fire}
	t.t = s.clock.AfterFunc(d, func() { s.post(timerFired{t: t}) })
	return t
}

// id returns a fresh suffix for our own ids (playbacks, offers).
//
// The sequence starts at the switchboard's start time in milliseconds, so a restarted daemon
// never names a bridge, recording or channel as the previous run did: Asterisk may still hold
// those, and a stored recording must not be overwritten. (Unique as long as a run makes fewer
// than a thousand Asterisk objects per second on average.)
func (s *Switchboard) id() uint64 {
	if s.seq == 0 {
		s.seq = uint64(max(s.clock.Now().UnixMilli(), 0))
	}
	s.seq++
	return s.seq
}

// play plays media on a channel's lane and calls then(failed) on the loop when it ends.
func (s *Switchboard) play(key, channel string, media []string, then func(failed bool)) string {
	return s.playAs(playbackID(channel, s.id()), key, channel, media, then)
}

// playAs is play with the playback id pb.
func (s *Switchboard) playAs(pb, key, channel string, media []string, then func(failed bool)) string {
	if then != nil {
		s.playbacks[pb] = then
	}
	s.do(key, Play{Channel: channel, Playback: pb, Media: media, Language: s.languageOf(channel)})
	return pb
}

// journalWrite asks the outbox to apply w, then (if not nil) to call then on the outbox's goroutine
// with the journal's answer: then must only post to the loop.
func (s *Switchboard) journalWrite(w Write, then func(Filed, error)) {
	s.journalWriteAs(w, false, then)
}

// journalWriteAs is journalWrite; a prompt write ends the journal's linger once spooled, for
// what someone waits to see applied (outbox.Job.Prompt).
func (s *Switchboard) journalWriteAs(w Write, prompt bool, then func(Filed, error)) {
	s.writes++
	s.write(journalJob{Write: &w, Prompt: prompt, Then: then})
	if w.changesCases() {
		s.loadCaseCounts()
	}
}

// journalConfirm asks the outbox to apply w and tells the loop (confirmed, on the outbox) once:
// when it is applied or refused (err), or as soon as it is safe in the spool while the journal is
// unavailable (nil: it will be applied), so that an operator waiting on a feature code is answered
// even during an outage.
func (s *Switchboard) journalConfirm(w Write, confirmed func(err error)) {
	if w.changesCases() {
		defer s.loadCaseCounts()
	}
	told := false // the outbox's goroutine runs both functions, one after the other
	s.writes++
	s.write(journalJob{Write: &w, Prompt: true,
		Deferred: func() { told = true; confirmed(nil) },
		Then: func(_ Filed, err error) {
			if told {
				if err != nil {
					s.log.Error("journal write confirmed while the journal was down, then refused", "what", w.Kind(), "call", w.Call(), "err", err)
				}
				return
			}
			confirmed(err)
		}})
}

// journalRead asks the outbox to run a read, in order with the writes before it (so that, at
// start, the open legs are read after the spool's writes are applied).
func (s *Switchboard) journalRead(what, callID string, f func(ctx context.Context) error) {
	s.write(journalJob{What: what, Call: callID, Read: f})
}

// journalJob and journalOutbox are the outbox's types for the switchboard's writes.
type (
	journalJob    = outbox.Job[Write, Filed]
	journalOutbox = outbox.Outbox[Write, Filed]
)

// command is an admin request: run on the loop, which replies on its own channel.
type command struct{ run func(s *Switchboard) }

// ask runs f on the loop and waits for its error.
func (s *Switchboard) ask(ctx context.Context, f func(s *Switchboard) error) error {
	reply := make(chan error, 1)
	if err := s.send(ctx, command{run: func(s *Switchboard) { reply <- f(s) }}); err != nil {
		return err
	}
	select {
	case err := <-reply:
		return err
	case <-s.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pause pauses an operator (no offers) with a reason code, as the handset's feature code does.
// by is who asks, recorded in the presence history; whether they may is the caller's to decide
// (control checks hotline.Actor.MayControl).
func (s *Switchboard) Pause(ctx context.Context, by hotline.Actor, operatorID int64, reason string) error {
	if err := hotline.ValidPauseReason(reason); err != nil {
		return err // whoever asks (the socket checks too): the history keeps only reason codes
	}
	return s.ask(ctx, asActor(by, operatorID, func(s *Switchboard, op *operator) error { return s.pause(op, reason) }))
}

// Resume ends an operator's pause.
func (s *Switchboard) Resume(ctx context.Context, by hotline.Actor, operatorID int64) error {
	return s.ask(ctx, asActor(by, operatorID, func(s *Switchboard, op *operator) error { return s.resume(op) }))
}

// Login logs an operator in, as the handset's feature code does.
func (s *Switchboard) Login(ctx context.Context, by hotline.Actor, operatorID int64) error {
	return s.ask(ctx, asActor(by, operatorID, func(s *Switchboard, op *operator) error { s.login(op); return nil }))
}

// Logout logs an operator out: no more offers; a call in progress goes on to its end.
func (s *Switchboard) Logout(ctx context.Context, by hotline.Actor, operatorID int64) error {
	return s.ask(ctx, asActor(by, operatorID, func(s *Switchboard, op *operator) error { s.logout(op); return nil }))
}

// asActor is an administrator's command f on operator operatorID given by by, who is noted as
// the cause of the presence change it makes.
func asActor(by hotline.Actor, operatorID int64, f func(s *Switchboard, op *operator) error) func(s *Switchboard) error {
	return func(s *Switchboard) error {
		op, err := s.operatorAskedBy(by, operatorID)
		if err != nil {
			return err
		}
		changedBy(op, hotline.PresenceByAdmin, by.Login)
		return f(s, op)
	}
}

// forOperator is asActor for a command that changes no presence (informing's buttons): the
// operator's next presence change is not credited to whoever asked. Only the operator or an
// administrator may ask.
func forOperator(by hotline.Actor, operatorID int64, what string, f func(s *Switchboard, op *operator) error) func(s *Switchboard) error {
	return func(s *Switchboard) error {
		op, err := s.operatorAskedBy(by, operatorID)
		if err != nil {
			return err
		}
		if err := by.RequireSelfOrAdministrator(op.ID, fmt.Sprintf("%s for operator %d", what, op.ID)); err != nil {
			return err
		}
		return f(s, op)
	}
}

// operatorAskedBy is the operator a command names, refused when nobody is named as asking.
func (s *Switchboard) operatorAskedBy(by hotline.Actor, operatorID int64) (*operator, error) {
	if by.Login == "" {
		return nil, hotline.Errorf(hotline.EINVALID, "a command on operator %d without an actor: who asks must be known", operatorID)
	}
	return s.operator(operatorID)
}

// ReloadOperators reads the operators from the journal again (after an administrator changed
// them); live presence is kept. An operator removed from service while logged in is logged out
// in the presence history by by.
func (s *Switchboard) ReloadOperators(ctx context.Context, by hotline.Actor) error {
	return s.ask(ctx, func(s *Switchboard) error { s.reloadOperatorsBy(by); return nil })
}

func (s *Switchboard) operator(id int64) (*operator, error) {
	op, ok := s.operators[id]
	if !ok {
		return nil, hotline.Errorf(hotline.ENOTFOUND, "operator %d is not known to the switchboard (inactive, or added since the last reload)", id)
	}
	return op, nil
}

// Status is a snapshot of the live hotline for `hotline status` and the board.
type Status struct {
	At        time.Time `json:"at"`
	Connected bool      `json:"connected"` // ARI is up
	// Replaced: another client took the ARI application over; this daemon serves no calls.
	Replaced  bool             `json:"replaced,omitempty"`
	Queue     []QueuedCaller   `json:"queue"`
	Operators []OperatorStatus `json:"operators"`
	Calls     int              `json:"calls"`    // calls in the switchboard now: greeting, queued, talking, overflow
	Draining  bool             `json:"draining"` // stopping: new calls go back to the dialplan
	// JournalBacklog is how many journal writes wait for the journal (spooled, or in memory).
	JournalBacklog int `json:"journal_backlog"`
	// Standby is this daemon's part in an active/standby pair (nil: not one); the daemon fills it
	// in, the switchboard knows nothing of it.
	Standby *StandbyStatus `json:"standby,omitempty"`
	// Tracked is how many entries each of the switchboard's own maps holds (calls, offers,
	// playbacks, recordings, lanes...): for watching a long run for what calls leave behind.
	Tracked map[string]int `json:"tracked,omitempty"`
}

// StandbyStatus is a daemon's role in an active/standby pair and the journal's lease as it last
// saw it.
type StandbyStatus struct {
	Role        string    `json:"role"` // standby, active or fenced
	LeaseHolder string    `json:"lease_holder"`
	LeaseEpoch  int64     `json:"lease_epoch"`
	LeaseExpiry time.Time `json:"lease_expires_at"`
}

// QueuedCaller is one caller in the queue.
type QueuedCaller struct {
	CallID       string        `json:"call_id"`
	CallerNumber string        `json:"caller_number,omitempty"` // E.164 when it is a phone number
	OpenCases    int           `json:"open_cases,omitempty"`    // the caller's cases in work when they called
	Position     int           `json:"position"`
	Waiting      time.Duration `json:"waiting_ns"`
	Priority     int           `json:"priority"`
	OfferedTo    int64         `json:"offered_to,omitempty"` // the operator being rung; 0: waiting
	Callback     bool          `json:"callback,omitempty"`   // a caller who asked to be called back: no channel, keeps the place
	OwnerID      int64         `json:"owner_id,omitempty"`   // the owner of the caller's open case, offered first
}

// OperatorStatus is one operator.
type OperatorStatus struct {
	ID         int64            `json:"id"`
	Name       string           `json:"name"`
	Extension  string           `json:"extension"`
	Presence   hotline.Presence `json:"presence"`
	Since      time.Time        `json:"since"`
	Reason     string           `json:"reason,omitempty"`  // pause reason code
	CallID     string           `json:"call_id,omitempty"` // the call being offered or talked on
	CallsToday int              `json:"calls_today"`
	Missed     int              `json:"missed"` // offers missed in a row
}

// Status returns a snapshot, taken on the loop so it is consistent.
func (s *Switchboard) Status(ctx context.Context) (Status, error) {
	var st Status
	err := s.ask(ctx, func(s *Switchboard) error { st = s.status(); return nil })
	return st, err
}

func (s *Switchboard) status() Status {
	now := s.clock.Now()
	st := Status{At: now, Connected: s.connected, Calls: len(s.calls), Draining: s.draining, Replaced: s.replaced}
	st.JournalBacklog = s.Backlog()
	st.Tracked = s.tracked()
	for _, w := range s.queue.Snapshot(nil) {
		q := QueuedCaller{CallID: w.ID, CallerNumber: w.Number, Position: w.Position,
			Waiting: now.Sub(w.JoinedAt), Priority: w.Priority, OfferedTo: w.Offered, OwnerID: w.Owner}
		if id, ok := callbackOf(w.ID); ok {
			q.CallID, q.Callback = id, true
		} else if c := s.calls[w.ID]; c != nil {
			q.OpenCases = c.openCases
		}
		st.Queue = append(st.Queue, q)
	}
	for _, op := range s.operators {
		o := OperatorStatus{ID: op.ID, Name: op.Name, Extension: op.Extension, Presence: op.presence,
			Since: op.since, CallsToday: op.callsToday(now), Missed: op.missed}
		if op.paused {
			o.Reason = op.reason
		}
		switch {
		case op.offer != nil:
			o.CallID = op.offer.call.id
		case op.reserved != nil:
			o.CallID = op.reserved.channel // the callback being dialled for them
		}
		st.Operators = append(st.Operators, o)
	}
	slices.SortFunc(st.Operators, func(a, b OperatorStatus) int { return cmp.Compare(a.ID, b.ID) })
	return st
}

// tracked is how many entries each of the loop's maps holds now, by the map's name: what a long
// run watches (Status.Tracked, the daemon's hotline_switchboard_tracked) to see that nothing kept
// per call, channel, playback or recording outlives it. With no call live, every map but the
// operators' (operators, byExt, forwards) and the queued callbacks' is empty.
func (s *Switchboard) tracked() map[string]int {
	return map[string]int{
		"calls": len(s.calls), "offers": len(s.offers), "features": len(s.features),
		"playbacks": len(s.playbacks), "recs": len(s.recs), "rec_asked": len(s.recAsked),
		"operators": len(s.operators), "by_ext": len(s.byExt), "lanes": len(s.lanes),
		"callbacks": len(s.callbacks), "dialing": len(s.dialing), "informers": len(s.informers),
		"suspect": len(s.suspect), "transfers": len(s.transfers), "cut": len(s.cut),
		"consults": len(s.consults), "forwards": len(s.forwards), "listening": len(s.listening),
		"supervisors": len(s.supervisors), "cut_cause": len(s.cutCause), "hung_up": len(s.hungUp), "traced": len(s.traced),
		"published_calls": len(s.live.calls), "published_ops": len(s.live.ops), "feeds": len(s.live.feeds),
	}
}
