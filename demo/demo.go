// Package demo shows hotline working end to end on the sandbox Asterisk: it registers simulated
// operator handsets (real SIP user agents), logs them in with their feature code, places a stream
// of simulated callers at the hotline number, shows the live queue and operators every second,
// and ends by listing the calls filed in the journal, with the cases people registered for them.
//
// Everything it sends stays on loopback and is bounded: a fixed number of calls, each with a
// bounded talk time, and an overall deadline.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

// Options describe one demo run.
type Options struct {
	SIPAddr         string // Asterisk's SIP address, e.g. 127.0.0.1:5060
	HandsetPassword string // the sandbox handsets' digest password
	Socket          string // the running daemon's API socket
	Store           *journal.Store
	Operators       int           // simulated operator handsets, extensions 1001...
	Calls           int           // simulated callers
	CallGap         time.Duration // between two callers' arrivals
	TalkTime        time.Duration // how long a caller talks once answered
	Deadline        time.Duration // the whole run at most
	Out             io.Writer     // the live board and the final report
	Log             *slog.Logger
}

// Tones: every caller sends 440 Hz, every operator 1000 Hz, so each side can tell it hears the other.
const (
	callerTone   = 440
	operatorTone = 1000
)

// Seed adds the demo's operators to the journal (idempotent: existing extensions are kept).
func Seed(ctx context.Context, s *journal.Store, operators int) error {
	by, err := s.Actor(ctx, "demo-admin")
	if err != nil {
		return err
	}
	if !by.IsAdministrator() {
		return hotline.Errorf(hotline.EFORBIDDEN, "the journal already has administrators: run the demo on a fresh database")
	}
	admin := hotline.Operator{Name: "Demo administrator", Login: "demo-admin", Role: hotline.RoleAdministrator, Level: hotline.Level1, Active: true}
	if err := s.AddOperator(ctx, by, &admin); err != nil && hotline.ErrorCode(err) != hotline.ECONFLICT {
		return fmt.Errorf("demo: add administrator: %w", err)
	}
	by = hotline.Actor{Login: admin.Login, OperatorID: admin.ID, Role: hotline.RoleAdministrator}
	names := []string{"Ivanova", "Petrov", "Sidorova", "Kuznetsov", "Smirnova", "Popov", "Vasilieva", "Sokolov"}
	for i := 0; i < operators; i++ {
		ext := fmt.Sprintf("%d", 1001+i)
		if _, err := s.OperatorByExtension(ctx, ext); err == nil {
			continue
		}
		o := hotline.Operator{Name: names[i%len(names)], Login: "op" + ext, Role: hotline.RoleOperator,
			Level: hotline.Level1, Extension: ext, Active: true}
		if err := s.AddOperator(ctx, by, &o); err != nil {
			return fmt.Errorf("demo: add operator %s: %w", ext, err)
		}
		if err := s.SetPassword(ctx, by, o.ID, DemoPassword); err != nil {
			return fmt.Errorf("demo: password of %s: %w", o.Login, err)
		}
	}
	if err := s.SetPassword(ctx, by, admin.ID, DemoPassword); err != nil {
		return fmt.Errorf("demo: password of %s: %w", admin.Login, err)
	}
	// A synthetic register of insured persons for the card's search (§5.1.3): generated names,
	// never real people; importing it again changes nothing.
	if _, err := s.ImportInsured(ctx, by, &register.Source{Seed: 1, Count: DemoRegister}, journal.ImportOptions{Source: "demo"}); err != nil {
		return fmt.Errorf("demo: the register of insured persons: %w", err)
	}
	// The survey journals' questionnaires for the synthetic register's year (§5.3), once.
	for _, k := range []journal.SurveyKind{journal.SurveyCheckup, journal.SurveyObservation} {
		if _, err := s.Questionnaire(ctx, k, 2026); hotline.ErrorCode(err) != hotline.ENOTFOUND {
			continue
		}
		q := hotline.Questionnaire{Kind: string(k), Year: 2026, Questions: []hotline.SurveyQuestion{
			{Text: "Знаете ли вы о возможности пройти диспансеризацию бесплатно?", Choices: []string{"Да", "Нет"}},
			{Text: "Прошли ли вы диспансеризацию в этом году?", Choices: []string{"Да, полностью", "Прохожу сейчас", "Нет, собираюсь", "Нет и не собираюсь"}},
			{Text: "Удобно ли было записаться к врачу?", Choices: []string{"Да", "Нет", "Не записывался(ась)"}},
		}, RefusalReasons: []string{"Нет времени", "Не хочет отвечать", "Плохо слышно, просит перезвонить позже"}}
		if err := s.SaveQuestionnaire(ctx, by, &q, 0); err != nil {
			return fmt.Errorf("demo: the %s questionnaire: %w", k, err)
		}
	}
	return nil
}

// DemoRegister is how many synthetic insured persons the demo journal holds.
const DemoRegister = 3000

// DemoPassword is every demo account's password, so that the workplace can be tried at once. The
// demo journal is a throwaway on loopback; a real one has no default password (hotline admin init).
const DemoPassword = "hotline-demo"

// Run plays the demo against a running daemon.
func Run(ctx context.Context, o Options) error {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Deadline)
	defer cancel()
	api := control.NewClient(o.Socket)
	if err := waitConnected(ctx, api); err != nil {
		return err
	}
	start := time.Now()

	// Operators: register, log in with *21, then answer whatever rings after a second.
	var handsets []*sipphone.Phone
	defer func() {
		for _, h := range handsets {
			h.Close()
		}
	}()
	for i := 0; i < o.Operators; i++ {
		h, err := sipphone.New(ctx, sipphone.Config{Server: o.SIPAddr, User: fmt.Sprintf("%d", 1001+i),
			Password: o.HandsetPassword, Tone: operatorTone, Detect: []float64{callerTone},
			AutoAnswer: true, AnswerDelay: time.Second, Logger: o.Log})
		if err != nil {
			return fmt.Errorf("demo: handset %d: %w", 1001+i, err)
		}
		handsets = append(handsets, h)
		if err := login(ctx, h); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.Out, "%d operators registered and logged in with *21\n", len(handsets))

	// Callers: one every CallGap; each talks TalkTime once it hears an operator, then hangs up.
	var wg sync.WaitGroup
	results := make([]string, o.Calls)
	wg.Add(1)
	go func() { // arrivals, while the board below shows the queue
		defer wg.Done()
		for i := 0; i < o.Calls; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = caller(ctx, o, fmt.Sprintf("7900000%04d", i+1))
			}(i)
			if !sleep(ctx, o.CallGap) {
				return
			}
		}
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for live := true; live; {
		select {
		case <-done:
			live = false
		case <-ctx.Done():
			live = false
		case <-tick.C:
			board(ctx, o.Out, api, time.Since(start))
		}
	}
	wg.Wait()
	fmt.Fprintln(o.Out, "\nCALLERS")
	for i, r := range results {
		fmt.Fprintf(o.Out, "  7900000%04d  %s\n", i+1, r)
	}
	// Let the daemon write the last legs before reading them back.
	sleep(context.Background(), 2*time.Second)
	return report(context.Background(), o.Out, o.Store, start)
}

func waitConnected(ctx context.Context, api *control.Client) error {
	for {
		st, err := api.Status(ctx)
		if err == nil && st.Connected {
			return nil
		}
		if !sleep(ctx, 200*time.Millisecond) {
			if err == nil { // it answered, but Asterisk never accepted it
				return fmt.Errorf("demo: the daemon did not connect to Asterisk: %w", ctx.Err())
			}
			return fmt.Errorf("demo: the daemon did not connect to Asterisk: %w", err)
		}
	}
}

func login(ctx context.Context, h *sipphone.Phone) error {
	c, err := h.Dial(ctx, "*21")
	if err != nil {
		return fmt.Errorf("demo: %s dials *21: %w", h.User(), err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := c.WaitEnd(wctx); err != nil {
		_ = c.Hangup(ctx)
	}
	return nil
}

// caller places one call and says how it went.
func caller(ctx context.Context, o Options, number string) string {
	p, err := sipphone.New(ctx, sipphone.Config{Server: o.SIPAddr, User: number, Tone: callerTone,
		Detect: []float64{operatorTone}, Logger: o.Log})
	if err != nil {
		return "could not start: " + err.Error()
	}
	defer p.Close()
	c, err := p.Dial(ctx, "100")
	if err != nil {
		return "call failed: " + err.Error()
	}
	began := time.Now()
	if err := c.WaitTone(ctx, operatorTone); err != nil {
		_ = c.Hangup(context.WithoutCancel(ctx))
		return fmt.Sprintf("never reached an operator (%s)", time.Since(began).Round(time.Second))
	}
	waited := time.Since(began)
	if !sleep(ctx, o.TalkTime) {
		_ = c.Hangup(context.WithoutCancel(ctx))
		return "cut short by the demo's deadline"
	}
	if c.State() == sipphone.Ended {
		return fmt.Sprintf("heard an operator after %s; the call ended early: %s", waited.Round(100*time.Millisecond), c.End())
	}
	_ = c.Hangup(ctx)
	return fmt.Sprintf("heard an operator after %s, talked %s, hung up", waited.Round(100*time.Millisecond), o.TalkTime)
}

func board(ctx context.Context, w io.Writer, api *control.Client, elapsed time.Duration) {
	st, err := api.Status(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			fmt.Fprintf(w, "status: %v\n", err)
		}
		return
	}
	fmt.Fprintf(w, "\n[%3.0fs] waiting %d:", elapsed.Seconds(), len(st.Queue))
	for _, q := range st.Queue {
		fmt.Fprintf(w, " %s(%ds)", q.CallerNumber, int(q.Waiting.Seconds()))
	}
	fmt.Fprint(w, " | operators:")
	for _, op := range st.Operators {
		if op.Extension == "" {
			continue
		}
		fmt.Fprintf(w, " %s=%s", op.Extension, op.Presence)
	}
	fmt.Fprintln(w)
}

// report lists the calls filed since start, with their legs and the cases people registered.
// Operators are named by extension and name, as the live board shows them (1001, not the
// journal's id).
func report(ctx context.Context, w io.Writer, s *journal.Store, since time.Time) error {
	calls, err := s.Calls(ctx, journal.CallFilter{From: since.Add(-time.Minute), Limit: 1000})
	if err != nil {
		return fmt.Errorf("demo: list calls: %w", err)
	}
	ops, err := s.Operators(ctx, journal.OperatorFilter{IncludeRemoved: true})
	if err != nil {
		return fmt.Errorf("demo: list operators: %w", err)
	}
	byID := make(map[int64]hotline.Operator, len(ops))
	for _, o := range ops {
		byID[o.ID] = o
	}
	operator := func(id int64) string {
		o, ok := byID[id]
		switch {
		case id == 0:
			return "-"
		case !ok:
			return fmt.Sprintf("#%d", id)
		case o.Extension == "":
			return o.Name
		}
		return o.Extension + " " + o.Name
	}
	fmt.Fprintf(w, "\nCALLS FILED (%d)\n", len(calls))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CALL\tCALLER\tOUTCOME\tLEG\tOPERATOR\tWAIT\tTALK\tENDED\tRECORDING\tCASES")
	for i := len(calls) - 1; i >= 0; i-- { // oldest first, as they came
		c, err := s.Call(ctx, calls[i].ID)
		if err != nil {
			return fmt.Errorf("demo: call %d: %w", calls[i].ID, err)
		}
		cases := "-"
		if len(c.Cases) > 0 {
			cases = fmt.Sprint(c.Cases)
		}
		for n, l := range c.Legs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.CallerNumber, c.Outcome, n+1, operator(l.OperatorID),
				l.QueueWait().Round(100*time.Millisecond), l.TalkTime().Round(100*time.Millisecond), l.End, l.RecordingName, cases)
		}
	}
	return tw.Flush()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
