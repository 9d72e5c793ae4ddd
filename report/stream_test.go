package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// streamDay: the journal's writes of a few minutes, each at the moment the switchboard would ask
// for it (the event's own time), for the queue_log stream to follow: two operators log in, a call
// rings one who declines then is answered by the other and ends by the operator, a second call is
// abandoned while the first waits, a pause with a reason and a resume, a third call answered and
// ended by the caller, a fourth still waiting at the end.
type journalWrite struct {
	at    time.Time
	write func(ctx context.Context, s *journal.Store) error
}

func streamDay(t *testing.T, s *journal.Store) (writes []journalWrite, end time.Time) {
	t.Helper()
	ctx := context.Background()
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	var ids []int64
	for _, ext := range []string{"1001", "1002"} {
		o := hotline.Operator{Name: "op " + ext, Role: hotline.RoleOperator, Level: hotline.Level1, Extension: ext, Active: true}
		if err := s.AddOperator(ctx, admin, &o); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	a, b := ids[0], ids[1]
	ms := func(sec, milli int) time.Time { return at(23, 10, 0, sec).Add(time.Duration(milli) * time.Millisecond) }
	presence := func(when time.Time, op int64, p hotline.Presence, reason string) journalWrite {
		return journalWrite{when, func(ctx context.Context, s *journal.Store) error {
			return s.RecordPresence(ctx, hotline.PresenceEvent{OperatorID: op, At: when, Presence: p, Reason: reason, How: hotline.PresenceByFeatureCode})
		}}
	}
	arrive := func(when time.Time, id, number string) journalWrite {
		return journalWrite{when, func(ctx context.Context, s *journal.Store) error {
			_, err := s.StartCall(ctx, journal.CallStart{CallID: id, CallerNumber: number, Line: "100", ArrivedAt: when})
			return err
		}}
	}
	save := func(when time.Time, l hotline.Leg) journalWrite {
		return journalWrite{when, func(ctx context.Context, s *journal.Store) error { return s.SaveCallLeg(ctx, l, "") }}
	}
	ring := func(r hotline.RingAttempt) journalWrite {
		return journalWrite{r.StoppedAt, func(ctx context.Context, s *journal.Store) error { return s.RecordRingAttempt(ctx, r) }}
	}
	c1 := hotline.Leg{CallID: "c1", ArrivedAt: ms(2, 300), GreetingEndAt: ms(5, 600), QueuedAt: ms(5, 600)}
	c1a := c1
	c1a.RangAt, c1a.AnsweredAt, c1a.OperatorID, c1a.OperatorChannel = ms(9, 100), ms(10, 900), a, "c1-op1"
	c1e := c1a
	c1e.EndedAt, c1e.End, c1e.HungUpBy = ms(21, 400), hotline.LegCompleted, hotline.SideOperator
	c2 := hotline.Leg{CallID: "c2", ArrivedAt: ms(4, 0), GreetingEndAt: ms(7, 200), QueuedAt: ms(7, 200)}
	c2e := c2
	c2e.EndedAt, c2e.End = ms(14, 700), hotline.LegAbandoned
	c3 := hotline.Leg{CallID: "c3", ArrivedAt: ms(30, 0), GreetingEndAt: ms(33, 100), QueuedAt: ms(33, 100)}
	c3a := c3
	c3a.RangAt, c3a.AnsweredAt, c3a.OperatorID, c3a.OperatorChannel = ms(33, 200), ms(34, 0), b, "c3-op1"
	c3e := c3a
	c3e.EndedAt, c3e.End, c3e.HungUpBy = ms(44, 999), hotline.LegCompleted, hotline.SideCaller
	c4 := hotline.Leg{CallID: "c4", ArrivedAt: ms(50, 0), GreetingEndAt: ms(53, 0), QueuedAt: ms(53, 0)}
	writes = []journalWrite{
		presence(ms(0, 500), a, hotline.PresenceAvailable, ""),
		presence(ms(1, 0), b, hotline.PresenceAvailable, ""),
		arrive(c1.ArrivedAt, "c1", "+79001110001"),
		arrive(c2.ArrivedAt, "c2", "+79001110002"),
		save(c1.QueuedAt, c1),
		save(c2.QueuedAt, c2),
		ring(hotline.RingAttempt{CallID: "c1", OperatorID: b, RangAt: ms(5, 700), StoppedAt: ms(8, 900), Why: hotline.RingDeclined}),
		save(c1a.AnsweredAt, c1a),
		save(c2e.EndedAt, c2e),
		save(c1e.EndedAt, c1e),
		presence(ms(24, 0), a, hotline.PresencePaused, "2"),
		presence(ms(28, 500), a, hotline.PresenceAvailable, ""),
		arrive(c3.ArrivedAt, "c3", "+79001110003"),
		save(c3.QueuedAt, c3),
		save(c3a.AnsweredAt, c3a),
		save(c3e.EndedAt, c3e),
		arrive(c4.ArrivedAt, "c4", "+79001110004"),
		save(c4.QueuedAt, c4),
		presence(ms(55, 0), a, hotline.PresenceLoggedOut, ""),
	}
	return writes, ms(58, 0)
}

// exportAll is `hotline export queue-log` of the whole history.
func exportAll(t *testing.T, src *Source) string {
	t.Helper()
	ctx := context.Background()
	// The whole history: the test's day and the days around it.
	from, to := at(22, 0, 0, 0), at(25, 0, 0, 0)
	var d ExportData
	var err error
	if d.Calls, err = src.Calls(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	if d.Operators, err = src.Operators(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Presence, err = src.Presence(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	if d.Rings, err = src.Rings(ctx, from, to); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := WriteQueueLog(ctx, &buf, d, ExportOptions{Queue: "hotline"}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// The stream follows the journal as it is written, a step every 700 ms, is rotated (renamed, as
// logrotate does by default) and restarts twice: once cleanly, once after a crash that wrote a
// slice (the second half of its last line cut off) but not its mark. The rotated file and the new
// one then hold exactly what `hotline export queue-log` writes for the same calls: every line
// once, in the same order, none missing.
func TestQueueLogStreamMatchesExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := journal.Open(ctx, filepath.Join(dir, "hotline.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	writes, end := streamDay(t, st)
	src := FromStore(st)
	path := filepath.Join(dir, "queue_log")
	settled := at(23, 10, 0, 0) // the journal holds every event before it
	applied := uint64(0)        // the journal writes so far
	open := func() *QueueLogStream {
		q := &QueueLogStream{Path: path, Options: ExportOptions{Queue: "hotline"}, Source: src,
			Settled: func(context.Context) (Settled, error) { return Settled{At: settled, Writes: applied}, nil }}
		if err := q.Open(ctx); err != nil {
			t.Fatal(err)
		}
		return q
	}
	q := open()
	var steps int
	var markBefore []byte
	for settled.Before(end) {
		settled = settled.Add(700 * time.Millisecond)
		for len(writes) > 0 && writes[0].at.Before(settled) {
			if err := writes[0].write(ctx, st); err != nil {
				t.Fatal(err)
			}
			writes = writes[1:]
			applied++
		}
		steps++
		switch steps {
		case 20: // a clean restart
			q.Close()
			q = open()
		case 30: // logrotate renames the file (its default rotation)
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
		case 40: // remember the mark: the crash below comes before the next one is saved
			if markBefore, err = os.ReadFile(path + ".mark"); err != nil {
				t.Fatal(err)
			}
		}
		n, err := q.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if steps == 50 {
			// Crashed: the slices since step 40 are written, their marks not; the last line
			// half written.
			q.Close()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 || !strings.HasSuffix(string(b), "\n") {
				t.Fatalf("step 50 wrote %d lines; the test needs some, ending with a newline", n)
			}
			if err := os.WriteFile(path, b[:len(b)-5], 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+".mark", markBefore, 0o600); err != nil {
				t.Fatal(err)
			}
			q = open()
		}
	}
	q.Close()
	if len(writes) != 0 {
		t.Fatalf("%d writes left", len(writes))
	}
	rotated, err := os.ReadFile(path + ".1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated) == 0 || len(got) == 0 {
		t.Errorf("the rotated file has %d bytes, the new one %d: want lines in both", len(rotated), len(got))
	}
	got = append(rotated, got...)
	want := exportAll(t, src)
	if string(got) != want {
		t.Errorf("the stream's file:\n%s\nthe export:\n%s", got, want)
	}
	// What the export holds: the stream is not compared with nothing.
	for _, event := range []string{"ADDMEMBER", "ENTERQUEUE", "RINGNOANSWER", "CONNECT", "ABANDON", "COMPLETEAGENT", "PAUSE|2", "UNPAUSE", "COMPLETECALLER", "REMOVEMEMBER"} {
		if !strings.Contains(want, "|"+event) {
			t.Errorf("the export has no %s line:\n%s", event, want)
		}
	}
}

// The first start (no mark) begins with the events after it; a mark that is not a number is
// refused, saying what to do.
func TestQueueLogStreamStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := journal.Open(ctx, filepath.Join(dir, "hotline.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	writes, end := streamDay(t, st)
	for _, w := range writes {
		if err := w.write(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "queue_log")
	started := at(23, 10, 0, 30) // c3 arrives at :30, after c1 and c2 ended
	q := &QueueLogStream{Path: path, Source: FromStore(st),
		Settled: func(context.Context) (Settled, error) { return Settled{At: started}, nil }}
	if err := q.Open(ctx); err != nil {
		t.Fatal(err)
	}
	started = end
	if _, err := q.Step(ctx); err != nil {
		t.Fatal(err)
	}
	q.Close()
	got, _ := os.ReadFile(path)
	for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		if sec, ok := lineTime(line); !ok || sec < at(23, 10, 0, 30).Unix() {
			t.Errorf("line %q is from before the first start", line)
		}
	}
	if !strings.Contains(string(got), "|c3|") || strings.Contains(string(got), "|c1|") {
		t.Errorf("want c3's lines and none of c1's:\n%s", got)
	}

	if err := os.WriteFile(path+".mark", []byte("yesterday\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	q = &QueueLogStream{Path: path, Source: FromStore(st), Settled: q.Settled}
	if err := q.Open(ctx); err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("a broken mark: %v, want an error that says what to do", err)
	}
}

// BenchmarkQueueLogStreamStep: one step of the stream (one second's slice) on a journal holding a
// busy day, 2,000 calls answered one after another through the day: what the daemon spends each
// second, when the switchboard wrote nothing since the last step (quiet) and when it did (changed:
// the journal is read).
func BenchmarkQueueLogStreamStep(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := journal.Open(ctx, filepath.Join(dir, "hotline.db"), journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	o := hotline.Operator{Name: "op", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001", Active: true}
	if err := st.AddOperator(ctx, hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}, &o); err != nil {
		b.Fatal(err)
	}
	const calls = 2000
	day := at(23, 8, 0, 0)
	for i := range calls {
		arrived := day.Add(time.Duration(i) * 20 * time.Second)
		id := "b" + strconv.Itoa(i)
		if _, err := st.StartCall(ctx, journal.CallStart{CallID: id, CallerNumber: "+7900111" + fmt.Sprintf("%04d", i), Line: "100", ArrivedAt: arrived}); err != nil {
			b.Fatal(err)
		}
		l := hotline.Leg{CallID: id, ArrivedAt: arrived, GreetingEndAt: arrived.Add(3 * time.Second), QueuedAt: arrived.Add(3 * time.Second),
			RangAt: arrived.Add(4 * time.Second), AnsweredAt: arrived.Add(5 * time.Second), OperatorID: o.ID,
			EndedAt: arrived.Add(15 * time.Second), End: hotline.LegCompleted, HungUpBy: hotline.SideCaller}
		if err := st.SaveCallLeg(ctx, l, ""); err != nil {
			b.Fatal(err)
		}
	}
	end := day.Add(calls * 20 * time.Second)
	for _, bc := range []struct {
		name    string
		changed bool // a journal write since the last step: the journal is read
	}{{"quiet", false}, {"changed", true}} {
		b.Run(bc.name, func(b *testing.B) {
			settled := Settled{At: end}
			q := &QueueLogStream{Path: filepath.Join(b.TempDir(), "queue_log"), Source: FromStore(st),
				Settled: func(context.Context) (Settled, error) { return settled, nil }}
			if err := q.Open(ctx); err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			for b.Loop() {
				settled.At = settled.At.Add(time.Second)
				if bc.changed {
					settled.Writes++
				}
				if _, err := q.Step(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
