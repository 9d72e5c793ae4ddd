package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// SyntheticOptions size a synthetic journal (GenerateSynthetic). Zero fields take the defaults
// in brackets: the scale of a regional fund's hotline over three years.
type SyntheticOptions struct {
	Cases     int       // cases registered [1,000,000]
	From, To  time.Time // the range they are spread over [three years to 2026-12-01]
	CallShare float64   // the share of cases that came with a call [0.96]
	Operators int       // level-1 operators who answer calls and own cases [60]
	Topics    int       // topics of the catalogue [40]
	Seed      uint64    // the pseudo-random sequence; the same seed gives the same journal [1]
	Batch     int       // cases per transaction [1,000]
	// Progress, when set, is told how many cases of the total are written, after each batch.
	Progress func(done, total int)
}

func (o SyntheticOptions) withDefaults() SyntheticOptions {
	if o.Cases == 0 {
		o.Cases = 1_000_000
	}
	if o.To.IsZero() {
		o.To = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.From.IsZero() {
		o.From = o.To.AddDate(-3, 0, 0)
	}
	if o.CallShare == 0 {
		o.CallShare = 0.96
	}
	if o.Operators == 0 {
		o.Operators = 60
	}
	if o.Topics == 0 {
		o.Topics = 40
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Batch == 0 {
		o.Batch = 1000
	}
	if o.Progress == nil {
		o.Progress = func(int, int) {}
	}
	return o
}

// SyntheticStats count what GenerateSynthetic wrote.
type SyntheticStats struct {
	Cases, Calls, Legs, History, Presence, Rings int
}

// GenerateSynthetic fills an empty, migrated journal with made-up people, calls and cases, as the
// call flow and the workplace write them: operators and topics through the Store's own methods,
// then each call with its legs (StartCall and SaveCallLeg's final rows), each case with its
// history events (NewCase's «created» with the same field diff, «call attached», the changes an
// operator makes, the close and the approval, a callback's round trip through «Отсроченный
// ответ»), and operators' presence (logins, pauses, logouts). Rows go in straight, a batch of
// cases per transaction, so that a million cases take minutes instead of the days one fsynced
// transaction per write would: it is for benchmarks and load tests, never a real journal (its
// names and numbers are invented; docs/benchmark.md).
func (s *Store) GenerateSynthetic(ctx context.Context, o SyntheticOptions) (SyntheticStats, error) {
	o = o.withDefaults()
	var st SyntheticStats
	if s.w == nil {
		return st, hotline.Errorf(hotline.EUNAVAILABLE, "the journal was opened read-only; cannot generate a synthetic journal")
	}
	if !o.To.After(o.From) || o.Cases < 0 || o.CallShare < 0 || o.CallShare > 1 || o.Operators < 1 || o.Topics < 5 {
		return st, hotline.Errorf(hotline.EINVALID, "a synthetic journal needs a range, 0..1 call share, operators and at least 5 topics")
	}
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM calls)`); err != nil {
		return st, s.dbError(err, "count cases")
	}
	if n > 0 {
		return st, hotline.Errorf(hotline.ECONFLICT, "the journal %s already has cases or calls: generate into a new file", s.path)
	}
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	types := []hotline.CaseType{hotline.TypeComplaint, hotline.TypeConsultation, hotline.TypeApplication, hotline.TypeProposal, hotline.TypeGratitude}
	topics := make([]hotline.Topic, o.Topics)
	for i := range topics {
		topics[i] = hotline.Topic{Code: fmt.Sprintf("synthetic-%02d", i+1), Number: 100 + i, Type: types[i%len(types)],
			Title: fmt.Sprintf("Синтетическая тема %d", i+1)}
		if err := s.AddTopic(ctx, admin, topics[i]); err != nil {
			return st, fmt.Errorf("add topic: %w", err)
		}
	}
	ops := make([]hotline.Operator, o.Operators)
	for i := range ops {
		ops[i] = hotline.Operator{Name: fmt.Sprintf("Оператор %d", i+1), Login: fmt.Sprintf("synth%03d", i+1),
			Role: hotline.RoleOperator, Level: hotline.Level1, Extension: fmt.Sprintf("%d", 2001+i)}
		if err := s.AddOperator(ctx, admin, &ops[i]); err != nil {
			return st, fmt.Errorf("add operator: %w", err)
		}
	}
	g := &synth{o: o, rnd: rand.New(rand.NewPCG(o.Seed, 0x5eed)), topics: topics, ops: ops, st: &st}
	step := o.To.Sub(o.From) / time.Duration(max(o.Cases, 1))
	for done := 0; done < o.Cases; {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		k := min(o.Batch, o.Cases-done)
		err := s.write(ctx, "generate a synthetic journal", func(tx *sqlx.Tx) error {
			return g.batch(ctx, tx, done, k, step)
		})
		if err != nil {
			return st, err
		}
		done += k
		o.Progress(done, o.Cases)
	}
	if err := s.write(ctx, "generate presence", func(tx *sqlx.Tx) error { return g.presence(ctx, tx) }); err != nil {
		return st, err
	}
	return st, nil
}

type synth struct {
	o      SyntheticOptions
	rnd    *rand.Rand
	topics []hotline.Topic
	ops    []hotline.Operator
	st     *SyntheticStats
}

// statements of one batch, prepared once per transaction.
type synthStmts struct {
	call, leg, ring, kase, attach, hist, update *sqlx.Stmt
}

func (g *synth) batch(ctx context.Context, tx *sqlx.Tx, first, n int, step time.Duration) error {
	// The driver watches a cancellable context with a goroutine per statement; a batch is short,
	// and GenerateSynthetic checks the context between batches.
	ctx = context.WithoutCancel(ctx)
	var p synthStmts
	for _, x := range []struct {
		st **sqlx.Stmt
		q  string
	}{
		{&p.call, `INSERT INTO calls (channel, caller_number, caller_id, caller_valid, line, arrived_at, greeting_end_at, queued_at,
			rang_at, answered_at, ended_at, operator_id, outcome, callback_given_to) VALUES (?, ?, ?, 1, '0300', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`},
		{&p.leg, `INSERT INTO legs (call_ref, operator_id, arrived_at, greeting_end_at, queued_at, rang_at, answered_at, ended_at,
			end_reason, recording_name, transferred_from, hung_up_by, operator_channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`},
		{&p.ring, `INSERT INTO ring_attempts (leg_id, operator_id, rang_at, stopped_at, why) VALUES (?, ?, ?, ?, ?)`},
		{&p.kase, `INSERT INTO cases (created_at, channel, caller_number, full_name, full_name_fold, birth_date, policy_number,
			address, type, topic, description, owner_id, due_at, status, result, comment, created_by, created_by_id, updated_at,
			search_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`},
		{&p.attach, `INSERT INTO case_calls (case_id, call_ref, attached_at, attached_by) VALUES (?, ?, ?, ?)`},
		{&p.update, `UPDATE cases SET status = ?, result = ?, comment = ?, address = ?, description = ?, owner_id = ?,
			topic = ?, type = ?, updated_at = ?, search_fold = ? WHERE id = ?`},
		{&p.hist, `INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes) VALUES (?, ?, 'case', ?, ?, ?, ?)`},
	} {
		var err error
		if *x.st, err = tx.PreparexContext(ctx, x.q); err != nil {
			return err
		}
		defer (*x.st).Close()
	}
	for i := first; i < first+n; i++ {
		if err := g.one(ctx, &p, g.o.From.Add(time.Duration(i)*step), i); err != nil {
			return err
		}
	}
	return nil
}

var synthSurnames = []string{"Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров"}
var synthNames = []string{"Анна", "Мария", "Елена", "Ольга", "Иван", "Сергей", "Алексей", "Дмитрий", "Наталья", "Татьяна"}

// one writes the case numbered i, registered about at, and its call if it came with one.
func (g *synth) one(ctx context.Context, p *synthStmts, at time.Time, i int) error {
	r := g.rnd
	op := g.ops[r.IntN(len(g.ops))]
	topic := g.topics[r.IntN(len(g.topics))]
	caller := fmt.Sprintf("+7865%07d", r.IntN(300_000)) // repeat callers, as a fund has
	person := hotline.Person{FullName: fmt.Sprintf("%s %s (синтетический %d)", synthSurnames[r.IntN(len(synthSurnames))],
		synthNames[r.IntN(len(synthNames))], i), BirthDate: fmt.Sprintf("19%02d-%02d-%02d", 40+r.IntN(60), 1+r.IntN(12), 1+r.IntN(28)),
		PolicyNumber: fmt.Sprintf("99%014d", i)}
	c := hotline.Case{CreatedAt: at, Channel: hotline.ChannelWritten, Person: person, Status: hotline.StatusInProgress,
		OwnerID: op.ID, CreatedBy: op.Login, Description: "Синтетическое обращение для нагрузочной проверки"}
	// The call: most cases come by phone; of those calls some overflow to a callback (the case
	// opens «Отсроченный ответ» by the rule), the rest are answered by the case's owner, a few
	// transferred.
	var callRef, legID int64
	callback := false
	if r.Float64() < g.o.CallShare {
		c.Channel, c.CallerNumber = hotline.ChannelPhone, caller
		arrived := at.Add(-time.Duration(3+r.IntN(600)) * time.Second)
		greet := arrived.Add(8 * time.Second)
		wait := time.Duration(2+r.IntN(90)) * time.Second
		channel := fmt.Sprintf("synthetic-%d.%d", arrived.Unix(), i)
		callback = r.IntN(12) == 0
		var rang, answered, ended time.Time
		outcome, end, hungUp := hotline.OutcomeAnswered, hotline.LegCompleted, hotline.SideCaller
		var opID, givenTo any
		if callback {
			outcome, end = hotline.OutcomeOverflowCallback, hotline.LegOverflow
			ended = greet.Add(wait)
			givenTo = op.ID
			c.Status, c.OwnerID, c.CreatedBy, c.DueAt = hotline.StatusDelayedAnswer, 0, "system", at.Add(24*time.Hour)
		} else {
			rang = greet.Add(wait)
			answered = rang.Add(time.Duration(2+r.IntN(8)) * time.Second)
			ended = answered.Add(time.Duration(40+r.IntN(400)) * time.Second)
			opID = op.ID
			if r.IntN(2) == 0 {
				hungUp = hotline.SideOperator
			}
		}
		if ended.After(at) {
			c.CreatedAt = ended.Add(time.Duration(r.IntN(60)) * time.Second) // registered after the talk
		}
		res, err := stmtInsertReturningID(ctx, p.call.Stmt, channel, caller, caller, ms(arrived), ms(greet), ms(greet), ms(rang), ms(answered),
			ms(ended), opID, outcome, givenTo)
		if err != nil {
			return err
		}
		if callRef, err = res.LastInsertId(); err != nil {
			return err
		}
		g.st.Calls++
		transfer := !callback && r.IntN(20) == 0
		legEnd, legEnded := end, ended
		if transfer {
			legEnd, legEnded = hotline.LegTransferred, answered.Add(time.Duration(30+r.IntN(60))*time.Second)
		}
		res, err = stmtInsertReturningID(ctx, p.leg.Stmt, callRef, opID, ms(arrived), ms(greet), ms(greet), ms(rang), ms(answered), ms(legEnded),
			legEnd, recordingName(channel, !callback), nil, string(hungUp), operatorChannel(opID, i))
		if err != nil {
			return err
		}
		if legID, err = res.LastInsertId(); err != nil {
			return err
		}
		g.st.Legs++
		if !callback && r.IntN(10) == 0 { // someone else's handset rang out first
			other := g.ops[r.IntN(len(g.ops))]
			if _, err := p.ring.ExecContext(ctx, legID, other.ID, ms(greet.Add(time.Second)), ms(greet.Add(16*time.Second)),
				string(hotline.RingTimedOut)); err != nil {
				return err
			}
			g.st.Rings++
		}
		if transfer {
			to := g.ops[r.IntN(len(g.ops))]
			if _, err := stmtInsertReturningID(ctx, p.leg.Stmt, callRef, to.ID, ms(legEnded), nil, nil, ms(legEnded), ms(legEnded.Add(3*time.Second)),
				ms(ended.Add(time.Minute)), hotline.LegCompleted, recordingName(channel+"-t", true), op.ID, string(hotline.SideCaller),
				operatorChannel(to.ID, i+1)); err != nil {
				return err
			}
			g.st.Legs++
		}
	}
	c.Topic, c.Type = topic.Code, topic.Type
	if callback {
		c.Topic, c.Type = "", "" // the rule opens it bare; the operator fills it in
	}
	createdBy := any(nil)
	if c.CreatedBy != "system" {
		createdBy = op.ID
	}
	c.UpdatedAt = c.CreatedAt
	res, err := stmtInsertReturningID(ctx, p.kase.Stmt, c.CreatedAt.UnixMilli(), c.Channel, c.CallerNumber, person.FullName, fold(person.FullName),
		person.BirthDate, person.PolicyNumber, person.Address, c.Type, nullStr(c.Topic), c.Description, nullID(c.OwnerID), ms(c.DueAt),
		c.Status, c.Result, c.Comment, c.CreatedBy, createdBy, c.UpdatedAt.UnixMilli(),
		caseSearchFold(person.FullName, person.PolicyNumber, c.Description))
	if err != nil {
		return err
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	g.st.Cases++
	t := c.CreatedAt
	actor := c.CreatedBy
	hist := func(action string, before, after hotline.Case) error {
		b, err := json.Marshal(diff(caseFields(before), caseFields(after)))
		if err != nil {
			return err
		}
		if _, err := p.hist.ExecContext(ctx, t.UnixMilli(), actor, fmt.Sprint(c.ID), c.ID, action, string(b)); err != nil {
			return err
		}
		g.st.History++
		return nil
	}
	if err := hist("created", hotline.Case{}, c); err != nil {
		return err
	}
	if callRef != 0 {
		if _, err := p.attach.ExecContext(ctx, c.ID, callRef, t.UnixMilli(), actor); err != nil {
			return err
		}
		b, _ := json.Marshal([]Change{{Field: "call", To: fmt.Sprint(callRef)}})
		if _, err := p.hist.ExecContext(ctx, t.UnixMilli(), actor, fmt.Sprint(c.ID), c.ID, "call attached", string(b)); err != nil {
			return err
		}
		g.st.History++
	}
	change := func(action string, after time.Duration, fn func(*hotline.Case)) error {
		before := c
		t = t.Add(after)
		fn(&c)
		c.UpdatedAt = t
		return hist(action, before, c)
	}
	if callback { // given to the operator, who calls back: «В работе»
		actor = "system"
		if err := change("callback given", time.Duration(5+g.rnd.IntN(120))*time.Minute, func(c *hotline.Case) { c.OwnerID = op.ID }); err != nil {
			return err
		}
		actor = op.Login
		if err := change("callback connected", time.Duration(1+g.rnd.IntN(30))*time.Minute, func(c *hotline.Case) {
			c.Status, c.Topic, c.Type = hotline.StatusInProgress, topic.Code, topic.Type
		}); err != nil {
			return err
		}
	}
	// An operator's work: the address and what the person asked, a comment, the close; a
	// specialist approves it within days (the newest cases are still open).
	steps := []struct {
		action string
		after  time.Duration
		fn     func(*hotline.Case)
	}{
		{"updated", 2 * time.Minute, func(c *hotline.Case) {
			c.Person.Address = fmt.Sprintf("г. Синтетический, ул. %d, д. %d", i%500, i%90)
		}},
		{"updated", 5 * time.Minute, func(c *hotline.Case) { c.Description += ": уточнено со слов заявителя" }},
		{"updated", time.Hour, func(c *hotline.Case) { c.Comment = "Проверено по базе застрахованных" }},
		{"closed", 20 * time.Hour, func(c *hotline.Case) { c.Status, c.Result = hotline.StatusUnderReview, hotline.ResultAnswered }},
		{"approved", 48 * time.Hour, func(c *hotline.Case) { c.Status = hotline.StatusApproved }},
	}
	age := g.o.To.Sub(c.CreatedAt)
	for _, s := range steps {
		if s.action == "approved" && age < 10*24*time.Hour {
			break
		}
		if s.action == "closed" && age < 3*24*time.Hour {
			break
		}
		if err := change(s.action, s.after, s.fn); err != nil {
			return err
		}
	}
	// The case row as the last change left it (updateCaseRow).
	_, err = p.update.ExecContext(ctx, c.Status, c.Result, c.Comment, c.Person.Address, c.Description,
		nullID(c.OwnerID), nullStr(c.Topic), c.Type, c.UpdatedAt.UnixMilli(), caseSearchFold(person.FullName, person.PolicyNumber, c.Description), c.ID)
	return err
}

func recordingName(channel string, talked bool) string {
	if !talked {
		return ""
	}
	return "call-" + channel
}

func operatorChannel(opID any, i int) string {
	if opID == nil {
		return ""
	}
	return fmt.Sprintf("synthetic-op-%d.%d", opID, i)
}

// presence writes each operator's working days: a login in the morning, a lunch pause and its
// end, a logout in the evening, on weekdays.
func (g *synth) presence(ctx context.Context, tx *sqlx.Tx) error {
	ctx = context.WithoutCancel(ctx) // as in batch
	st, err := tx.PreparexContext(ctx, `INSERT INTO operator_presence (`+presenceCols+`) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for day := g.o.From.Truncate(24 * time.Hour); day.Before(g.o.To); day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, op := range g.ops {
			start := day.Add(6*time.Hour + time.Duration(g.rnd.IntN(60))*time.Minute)
			for _, e := range []struct {
				at     time.Time
				p      hotline.Presence
				reason string
			}{
				{start, hotline.PresenceAvailable, ""},
				{start.Add(4 * time.Hour), hotline.PresencePaused, "lunch"},
				{start.Add(5 * time.Hour), hotline.PresenceAvailable, ""},
				{start.Add(9 * time.Hour), hotline.PresenceLoggedOut, ""},
			} {
				if _, err := st.ExecContext(ctx, op.ID, e.at.UnixMilli(), string(e.p), e.reason, "feature_code", op.Login); err != nil {
					return err
				}
				g.st.Presence++
			}
		}
	}
	return nil
}
