package journaladapter

import (
	"context"
	"fmt"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/outbox"
	"github.com/hotline-dev/hotline/outbox/spool"
	"github.com/hotline-dev/hotline/switchboard"
)

// BenchmarkWriterPaced is the daemon's writer at a hotline's pace: a call's four writes (arrival,
// answer, topic key, end) pushed one at a time, each spooled alone (its own append and fsync, as
// at a few writes a second), the next pushed once the one before is confirmed. "1-per-txn": every
// write alone in its journal transaction too (the load benchmark's rate with a short linger);
// "N-per-txn": the applier lingers until N writes, of N calls in progress, wait, and applies them
// in one transaction (what a longer linger gives at that rate). The figures to read are the
// process's CPU per call and per write, which do not depend on the machine's other tenants, and
// the spool appends and journal transactions per write.
//
//	go test ./switchboard/journaladapter -run '^$' -bench WriterPaced -benchtime 2000x
func BenchmarkWriterPaced(b *testing.B) {
	for _, perTxn := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("%d-per-txn", perTxn), func(b *testing.B) { benchWriterPaced(b, perTxn) })
	}
}

func benchWriterPaced(b *testing.B, perTxn int) {
	store, o, sp := writerRig(b)
	appended := make(chan struct{}, 1)
	w := outbox.New[switchboard.Write, switchboard.Filed](switchboard.NewApplier(Journal{Store: store}),
		signalledSpool{sp, appended}, nil)
	if perTxn > 1 {
		// Only perTxn writes waiting end the linger: the transactions hold exactly perTxn writes.
		w.SetLinger(time.Minute, perTxn)
	}
	done := make(chan struct{})
	go func() { w.Run(); close(done) }()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	confirmed := make(chan error, perTxn)
	then := func(_ switchboard.Filed, err error) { confirmed <- err }
	// write is the i-th write of call c: the calls of a group are perTxn calls in progress at once.
	write := func(c, i int) *switchboard.Write {
		var wr switchboard.Write
		id := "paced." + strconv.Itoa(c)
		t := at.Add(time.Duration(c) * time.Second)
		switch i {
		case 0:
			wr.StartCall = &switchboard.CallStart{CallID: id, CallerNumber: fmt.Sprintf("+7900%07d", c), Line: "100", ArrivedAt: t}
		case 1:
			wr.SaveLeg = &hotline.Leg{CallID: id, ArrivedAt: t, QueuedAt: t, AnsweredAt: t.Add(5 * time.Second), OperatorID: o.ID}
		case 2:
			wr.Topic = &switchboard.TopicKeyed{CallID: id, OperatorID: o.ID, Topic: 7}
		case 3:
			wr.SaveLeg = &hotline.Leg{CallID: id, ArrivedAt: t, QueuedAt: t, AnsweredAt: t.Add(5 * time.Second), OperatorID: o.ID,
				EndedAt: t.Add(time.Minute), End: hotline.LegCompleted}
			wr.Outcome = hotline.OutcomeAnswered
		}
		return &wr
	}
	s0 := w.Stats()
	cpu0 := cpuTime(b)
	g0 := goroutinesCreated()
	b.ResetTimer()
	n := 0
	for n < b.N {
		group := min(perTxn, b.N-n)
		for k := range group {
			c := (n+k)/(4*perTxn)*perTxn + k // the group's calls, each at the same step
			w.Push(outbox.Job[switchboard.Write, switchboard.Filed]{Write: write(c, (n/perTxn)%4), Then: then})
			<-appended // spooled alone, as writes a fraction of a second apart are
		}
		if group < perTxn {
			// The last, short group: a read ends the linger (SetLinger is for before Run).
			w.Push(outbox.Job[switchboard.Write, switchboard.Filed]{What: "end the linger", Read: func(context.Context) error { return nil }})
		}
		for range group {
			if err := <-confirmed; err != nil {
				b.Fatalf("write %d: %v", n, err)
			}
		}
		n += group
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	goroutines := goroutinesCreated() - g0
	st := w.Stats()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/write")
	b.ReportMetric(4*float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
	b.ReportMetric(float64(st.SpoolAppends-s0.SpoolAppends)/float64(b.N), "appends/write")
	b.ReportMetric(float64(st.Transactions-s0.Transactions)/float64(b.N), "txns/write")
	// Each goroutine started is a hand-off the scheduler pays for (a wake-up, often a futex):
	// a count, unlike the CPU, that the machine's other tenants do not move.
	b.ReportMetric(float64(goroutines)/float64(b.N), "goroutines/write")
	w.Close(time.Minute)
	<-done
}

// goroutinesCreated is how many goroutines the process has started so far.
func goroutinesCreated() uint64 {
	m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return m[0].Value.Uint64()
}

// signalledSpool is a spool that says when an append is done, so that the benchmark pushes the
// next write only then, without polling (which would add to the CPU it measures).
type signalledSpool struct {
	*spool.Spool
	appended chan struct{}
}

func (s signalledSpool) Append(data ...[]byte) (uint64, error) {
	first, err := s.Spool.Append(data...)
	s.appended <- struct{}{}
	return first, err
}
