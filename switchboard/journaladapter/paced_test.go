package journaladapter

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/outbox"
	"github.com/hotline-dev/hotline/switchboard"
)

// BenchmarkWriterPaced is the daemon's writer at a hotline's pace: each of a call's four writes is
// pushed once the one before is confirmed, so every write is alone in the spool's append and in
// its journal transaction (what the load benchmark sees at a few writes a second). The figure to
// read is the process's CPU per write, which does not depend on the machine's other tenants.
//
//	go test ./switchboard/journaladapter -run '^$' -bench WriterPaced -benchtime 2000x
func BenchmarkWriterPaced(b *testing.B) {
	store, o, sp := writerRig(b)
	w := outbox.New[switchboard.Write, switchboard.Filed](switchboard.NewApplier(Journal{Store: store}), sp, nil)
	done := make(chan struct{})
	go func() { w.Run(); close(done) }()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	confirmed := make(chan error, 1)
	then := func(_ switchboard.Filed, err error) { confirmed <- err }
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := range b.N {
		var wr switchboard.Write
		id := "paced." + strconv.Itoa(i/4)
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
		w.Push(outbox.Job[switchboard.Write, switchboard.Filed]{Write: &wr, Then: then})
		if err := <-confirmed; err != nil {
			b.Fatalf("write %d: %v", i, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/write")
	w.Close(time.Minute)
	<-done
}
