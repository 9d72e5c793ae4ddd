package journaladapter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/outbox"
	"github.com/hotline-dev/hotline/outbox/spool"
	"github.com/hotline-dev/hotline/switchboard"
)

// The daemon's writer as the switchboard builds it: its outbox over the journal's applier
// (switchboard.NewApplier), with the write-ahead spool. One at a time: the same applier with its
// batches hidden (the writer before group commit).
type writer = outbox.Outbox[switchboard.Write, switchboard.Filed]

type oneAtATime struct {
	outbox.Journal[switchboard.Write, switchboard.Filed]
}

// countingBatcher counts the batches (journal transactions of several writes) begun.
type countingBatcher struct {
	outbox.Journal[switchboard.Write, switchboard.Filed]
	b       outbox.Batcher
	batches atomic.Int64
}

func (c *countingBatcher) Begin(ctx context.Context) (context.Context, outbox.Batch, error) {
	c.batches.Add(1)
	return c.b.Begin(ctx)
}

// countingLogged is a countingBatcher of a journal with logged batches (outbox.LoggedBatcher), as
// the daemon's writer has it.
type countingLogged struct {
	*countingBatcher
	l outbox.LoggedBatcher
}

func (c countingLogged) BeginLogged(ctx context.Context) (context.Context, outbox.Batch, error) {
	c.batches.Add(1)
	return c.l.BeginLogged(ctx)
}

func (c countingLogged) Sync(ctx context.Context) error { return c.l.Sync(ctx) }

// counting wraps ap, the daemon's applier, counting its batches; logged batches stay logged.
func counting(ap outbox.Journal[switchboard.Write, switchboard.Filed]) (outbox.Journal[switchboard.Write, switchboard.Filed], *countingBatcher) {
	cb := &countingBatcher{Journal: ap, b: ap.(outbox.Batcher)}
	if l, ok := ap.(outbox.LoggedBatcher); ok {
		return countingLogged{cb, l}, cb
	}
	return cb, cb
}

func addOperator(t testing.TB, store *journal.Store, login, ext string) hotline.Operator {
	t.Helper()
	o := hotline.Operator{Name: login, Login: login, Role: hotline.RoleOperator, Level: hotline.Level1, Extension: ext}
	if err := store.AddOperator(context.Background(), hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func presenceWrite(op int64, i int) switchboard.Write {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	return switchboard.Write{Presence: &hotline.PresenceEvent{OperatorID: op, At: at, Presence: hotline.PresenceAvailable,
		How: hotline.PresenceByFeatureCode}}
}

// presenceCounts is how often each presence write (by its index: its time) is in the journal.
func presenceCounts(t testing.TB, store *journal.Store, op int64) map[int]int {
	t.Helper()
	evs, err := store.PresenceHistory(context.Background(), op, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	n := map[int]int{}
	for _, e := range evs {
		n[int(e.At.Sub(base)/time.Millisecond)]++
	}
	return n
}

// Writes waiting together are applied in one journal transaction; one the journal refuses (a leg
// of a call it does not have, a presence of an operator who does not exist) spoils it (the
// batches have no savepoint a write), so the batch is begun again with that write's mark claimed
// in its place: its batch-mates before and after it are filed, each confirmed with its own
// answer, the refused ones answered with their refusal, their marks claimed so that a replay
// skips them, and the spool holds nothing once the batch is committed.
func TestGroupCommitRefusedWriteAlone(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	o := addOperator(t, store, "anna", "1001")
	sp, err := spool.Open(filepath.Join(t.TempDir(), "journal.spool"), spool.Options{RotateAt: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	ap := switchboard.NewApplier(Journal{Store: store})
	cb := &countingBatcher{Journal: ap, b: ap.(outbox.Batcher)}
	w := outbox.New[switchboard.Write, switchboard.Filed](cb, sp, nil)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	writes := []switchboard.Write{
		{StartCall: &switchboard.CallStart{CallID: "c1", CallerNumber: "+79001112233", ArrivedAt: at}},
		{SaveLeg: &hotline.Leg{CallID: "nosuch", ArrivedAt: at, EndedAt: at.Add(time.Minute), End: hotline.LegAbandoned}},
		{StartCall: &switchboard.CallStart{CallID: "c2", CallerNumber: "+79001112244", ArrivedAt: at}},
		{Presence: &hotline.PresenceEvent{OperatorID: 999, At: at, Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode}},
		presenceWrite(o.ID, 1),
		{SaveLeg: &hotline.Leg{CallID: "c1", ArrivedAt: at, EndedAt: at.Add(time.Minute), End: hotline.LegAbandoned}, Outcome: hotline.OutcomeAbandonedQueue},
	}
	var mu sync.Mutex
	answers := make([]error, len(writes))
	var order []int
	for i := range writes {
		w.Push(outbox.Job[switchboard.Write, switchboard.Filed]{Write: &writes[i], Then: func(_ switchboard.Filed, err error) {
			mu.Lock()
			answers[i] = err
			order = append(order, i)
			mu.Unlock()
		}})
	}
	done := make(chan struct{})
	go func() { w.Run(); close(done) }() // pushed before Run: one spool append, one batch
	w.Close(time.Minute)
	<-done

	// The 6 begun three times: rolled back at write 1, then at write 3, then committed.
	if n := cb.batches.Load(); n != 3 {
		t.Errorf("%d batches begun, want 3 (the 6 writes, each refusal beginning them again)", n)
	}
	for i, err := range answers {
		refused := i == 1 || i == 3
		if refused != (hotline.ErrorCode(err) == hotline.ENOTFOUND) {
			t.Errorf("write %d (%s) answered %v; want refused as not found: %v", i, writes[i].Kind(), err, refused)
		}
	}
	if fmt.Sprint(order) != "[0 1 2 3 4 5]" {
		t.Errorf("answers in the order %v, want the order pushed", order)
	}
	calls, err := store.Calls(ctx, journal.CallFilter{})
	if err != nil || len(calls) != 2 {
		t.Fatalf("calls = %+v, %v; want c1 and c2", calls, err)
	}
	if c1, _ := store.Legs(ctx, "c1"); len(c1) != 1 || c1[0].End != hotline.LegAbandoned {
		t.Errorf("c1's legs = %+v; want one, abandoned (the write after the refused ones)", c1)
	}
	if n := presenceCounts(t, store, o.ID); n[1] != 1 {
		t.Errorf("presence writes filed %v, want the one", n)
	}
	if p := sp.Pending(); len(p) != 0 {
		t.Errorf("spool still holds %d records after the batch committed", len(p))
	}
	// A replay of every mark (a crash before the spool's release) writes nothing: the refused
	// writes' marks were claimed in the batch too.
	for seq := uint64(1); seq <= uint64(len(writes)); seq++ {
		wr := writes[seq-1]
		wr.Mark = outbox.Mark{Spool: sp.Generation(), Seq: seq}
		if _, err := (Journal{Store: store}).Write(ctx, wr); !errors.Is(err, outbox.ErrAlreadyApplied) {
			t.Errorf("replay of mark %d (%s): %v, want already applied", seq, wr.Kind(), err)
		}
	}
}

const crashEnv = "HOTLINE_GROUP_COMMIT_CRASH_DIR" // set: this process is the writer killed mid-stream

// crashWrites is how many presence writes the killed writer pushes.
const crashWrites = 20000

// TestGroupCommitCrashExactlyOnce re-runs this test binary as a daemon's writer (outbox, spool and
// journal as serve wires them, group commit on) that pushes presence events (append-only: a write
// applied twice would show as two rows) and prints each one the journal confirmed. The parent
// kill -9s it mid-stream, at a different moment each round, then starts the writer again on the
// same spool and journal, as serve does, and lets it replay what the spool holds. After each
// round: every confirmed write is in the journal once, no write is there twice, and what is there
// is the writes in the order pushed with no gap (the spool kept every one the journal had not
// committed; the write marks skipped every one it had, batches included).
func TestGroupCommitCrashExactlyOnce(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashWriter(dir)
		return
	}
	dir := t.TempDir()
	ctx := context.Background()
	store, err := journal.Open(ctx, filepath.Join(dir, "hotline.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	o := addOperator(t, store, "anna", "1001")
	store.Close()

	pushed := 0
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGroupCommitCrashExactlyOnce$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, "HOTLINE_CRASH_FROM="+strconv.Itoa(pushed),
			"HOTLINE_CRASH_OPERATOR="+strconv.FormatInt(o.ID, 10))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		confirmed := map[int]bool{}
		killAfter := 500 + round*1500
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			i, err := strconv.Atoi(sc.Text())
			if err != nil {
				continue
			}
			confirmed[i] = true
			if len(confirmed) == killAfter {
				time.Sleep(time.Duration(round) * 700 * time.Microsecond)
				cmd.Process.Kill()
				break
			}
		}
		cmd.Wait()
		if len(confirmed) < killAfter {
			t.Fatalf("round %d: the writer confirmed %d writes before it ended, want %d before the kill", round, len(confirmed), killAfter)
		}
		pushed += crashWrites

		// The next start: the spool's records are replayed (those applied are skipped).
		store, err := journal.Open(ctx, filepath.Join(dir, "hotline.db"), journal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := spool.Open(filepath.Join(dir, "journal.spool"), spool.Options{RotateAt: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		replay := len(sp.Pending())
		w := outbox.New[switchboard.Write, switchboard.Filed](switchboard.NewApplier(Journal{Store: store}), sp, nil)
		done := make(chan struct{})
		go func() { w.Run(); close(done) }()
		w.Close(time.Minute)
		<-done
		left := len(sp.Pending())
		sp.Close()
		n := presenceCounts(t, store, o.ID)
		store.Close()

		if left != 0 {
			t.Errorf("round %d: %d spool records left after the replay", round, left)
		}
		for i := range confirmed {
			if n[i] != 1 {
				t.Errorf("round %d: confirmed write %d is in the journal %d times", round, i, n[i])
			}
		}
		// Filed: a prefix of each round's writes, each once.
		for r := 0; r <= round; r++ {
			from := r * crashWrites
			end := from
			for n[end] == 1 {
				end++
			}
			for i := end; i < from+crashWrites; i++ {
				if n[i] != 0 {
					t.Fatalf("round %d: write %d filed after a gap at %d (the order pushed is lost)", round, i, end)
				}
			}
		}
		for i, c := range n {
			if c > 1 {
				t.Fatalf("round %d: write %d filed %d times", round, i, c)
			}
		}
		t.Logf("round %d: killed after %d confirmed; %d records replayed from the spool; %d writes filed in all", round, len(confirmed), replay, len(n))
	}
}

// crashWriter pushes crashWrites presence writes through the daemon's writer and prints the index
// of each one confirmed, until it is killed.
func crashWriter(dir string) {
	ctx := context.Background()
	from, _ := strconv.Atoi(os.Getenv("HOTLINE_CRASH_FROM"))
	op, _ := strconv.ParseInt(os.Getenv("HOTLINE_CRASH_OPERATOR"), 10, 64)
	store, err := journal.Open(ctx, filepath.Join(dir, "hotline.db"), journal.Options{})
	if err != nil {
		panic(err)
	}
	sp, err := spool.Open(filepath.Join(dir, "journal.spool"), spool.Options{RotateAt: 1 << 20})
	if err != nil {
		panic(err)
	}
	w := outbox.New[switchboard.Write, switchboard.Filed](switchboard.NewApplier(Journal{Store: store}), sp, nil)
	go w.Run()
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	for i := from; i < from+crashWrites; i++ {
		wr := presenceWrite(op, i)
		w.Push(outbox.Job[switchboard.Write, switchboard.Filed]{Write: &wr, Then: func(_ switchboard.Filed, err error) {
			if err != nil {
				panic(err)
			}
			mu.Lock()
			fmt.Fprintln(out, i)
			out.Flush()
			mu.Unlock()
		}})
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // arrivals spread in time: batches of many sizes
		}
	}
	select {} // killed
}

// BenchmarkWriter is the daemon's writer (the switchboard's outbox: the fsynced spool, then the
// journal) filing b.N writes, pushed as the switchboard pushes them (never waiting), the clock
// stopped when the last is confirmed. Writes: "call", per call its arrival, its answer, the
// operator's topic key (which opens the case) and its end; "case", the topic key alone, each
// opening a case for a call filed before the clock starts; "presence", an operator's presence
// change (the lightest write). "grouped": the writes waiting go in one journal transaction
// (group commit); "one-at-a-time": each in its own, as before.
//
//	go test ./switchboard/journaladapter -run '^$' -bench Writer -benchtime 10000x
func BenchmarkWriter(b *testing.B) {
	for _, mix := range []string{"call", "case", "presence"} {
		for _, grouped := range []bool{true, false} {
			name := mix + "/grouped"
			if !grouped {
				name = mix + "/one-at-a-time"
			}
			b.Run(name, func(b *testing.B) { benchWriter(b, mix, grouped) })
		}
	}
}

func benchWriter(b *testing.B, mix string, grouped bool) {
	ctx := context.Background()
	store, o, sp := writerRig(b)
	j := Journal{Store: store}
	ap := switchboard.NewApplier(j)
	counted, cb := counting(ap)
	if grouped {
		ap = counted
	} else {
		ap = oneAtATime{ap}
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	writes := make([]switchboard.Write, b.N)
	for i := range writes {
		wr := &writes[i]
		switch mix {
		case "call":
			id := "bench." + strconv.Itoa(i/4)
			t := at.Add(time.Duration(i/4) * time.Second)
			switch i % 4 {
			case 0:
				wr.StartCall = &switchboard.CallStart{CallID: id, CallerNumber: fmt.Sprintf("+7900%07d", i/4), Line: "100", ArrivedAt: t}
			case 1:
				wr.SaveLeg = &hotline.Leg{CallID: id, ArrivedAt: t, QueuedAt: t, AnsweredAt: t.Add(5 * time.Second), OperatorID: o.ID}
			case 2:
				wr.Topic = &switchboard.TopicKeyed{CallID: id, OperatorID: o.ID, Topic: 7}
			case 3:
				wr.SaveLeg = &hotline.Leg{CallID: id, ArrivedAt: t, QueuedAt: t, AnsweredAt: t.Add(5 * time.Second), OperatorID: o.ID,
					EndedAt: t.Add(time.Minute), End: hotline.LegCompleted}
				wr.Outcome = hotline.OutcomeAnswered
			}
		case "case":
			id := "bench." + strconv.Itoa(i)
			if _, err := j.Write(ctx, switchboard.Write{StartCall: &switchboard.CallStart{CallID: id,
				CallerNumber: fmt.Sprintf("+7900%07d", i), ArrivedAt: at}}); err != nil {
				b.Fatal(err)
			}
			wr.Topic = &switchboard.TopicKeyed{CallID: id, OperatorID: o.ID, Topic: 7}
		case "presence":
			*wr = presenceWrite(o.ID, i)
		}
	}
	w := outbox.New[switchboard.Write, switchboard.Filed](ap, sp, nil)
	done := make(chan struct{})
	go func() { w.Run(); close(done) }()
	var failed atomic.Int64
	var wg sync.WaitGroup
	then := func(_ switchboard.Filed, err error) {
		if err != nil {
			failed.Add(1)
		}
		wg.Done()
	}
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := range writes {
		wg.Add(1)
		w.Push(outbox.Job[switchboard.Write, switchboard.Filed]{Write: &writes[i], Then: then})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	// The process's CPU per write does not depend on how busy the machine's other tenants are.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/write")
	if n := cb.batches.Load(); n > 0 {
		b.ReportMetric(float64(b.N)/float64(n), "writes/txn")
	} else {
		b.ReportMetric(1, "writes/txn")
	}
	w.Close(time.Minute)
	<-done
	if n := failed.Load(); n != 0 {
		b.Fatalf("%d writes failed", n)
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writerRig is the daemon's writer's ground for its benchmarks: a migrated journal with operator
// anna (1001) and topic 7, and a spool beside it; both closed when b ends.
func writerRig(b *testing.B) (*journal.Store, hotline.Operator, *spool.Spool) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	store, err := journal.Open(ctx, filepath.Join(dir, "hotline.db"), journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	o := addOperator(b, store, "anna", "1001")
	if err := store.AddTopic(ctx, hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator},
		hotline.Topic{Code: "policy", Number: 7, Type: hotline.TypeConsultation, Title: "Полис"}); err != nil {
		b.Fatal(err)
	}
	sp, err := spool.Open(filepath.Join(dir, "journal.spool"), spool.Options{RotateAt: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sp.Close() })
	return store, o, sp
}
