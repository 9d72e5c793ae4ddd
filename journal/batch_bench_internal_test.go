package journal

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/mattn/go-sqlite3"
)

// BenchmarkCallWritesLogged is the daemon's writer's journal side: the four writes of a call
// (arrival, the greeting's end, the answer, the end), four calls' at a time in one logged batch
// (about what the outbox's linger gathers at the load benchmark's rate), each with its spool mark.
// Beside the CPU a call it counts the statements SQLite compiled for the batches' savepoints,
// transactions and pragmas (the authorizer sees each compilation; go-sqlite3 compiles a statement
// without arguments at every use): "txn-stmts/call". "savepoints": each write on its savepoint
// (BeginLoggedBatch as it is); "all-or-nothing": without (Batch.AllOrNothing, the daemon's writer).
//
//	go test ./journal -run '^$' -bench CallWritesLogged -benchtime 500x -benchmem
func BenchmarkCallWritesLogged(b *testing.B) {
	for _, whole := range []bool{false, true} {
		name := "savepoints"
		if whole {
			name = "all-or-nothing"
		}
		b.Run(name, func(b *testing.B) { benchCallWritesLogged(b, whole) })
	}
}

func benchCallWritesLogged(b *testing.B, whole bool) {
	ctx := context.Background()
	s := openSQLiteStore(b)
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	op := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := s.AddOperator(ctx, admin, &op); err != nil {
		b.Fatal(err)
	}
	txnStmts := countOnWriter(b, s, func(op int, _ string) bool {
		return op == sqlite3.SQLITE_TRANSACTION || op == sqlite3.SQLITE_SAVEPOINT || op == sqlite3.SQLITE_PRAGMA
	})
	const perBatch = 4
	var seq uint64
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	legs := make([]hotline.Leg, perBatch)
	step := func(base, i int) {
		bt, err := s.BeginLoggedBatch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if whole {
			bt.AllOrNothing()
		}
		bctx := bt.Context(ctx)
		for k := range legs {
			seq++
			wctx := WithWriteMark(bctx, WriteMark{Spool: "bench", Seq: seq})
			leg := &legs[k]
			switch i {
			case 0:
				*leg = hotline.Leg{CallID: fmt.Sprintf("bench-%d", base+k), ArrivedAt: at}
				_, err = s.StartCall(wctx, CallStart{CallID: leg.CallID, CallerNumber: fmt.Sprintf("+7900%07d", base+k), ArrivedAt: at})
			case 1:
				leg.GreetingEndAt, leg.QueuedAt = at.Add(2*time.Second), at.Add(2*time.Second)
				err = s.SaveCallLeg(wctx, *leg, "")
			case 2:
				leg.AnsweredAt, leg.OperatorID, leg.RecordingName = at.Add(9*time.Second), op.ID, "call-"+leg.CallID
				err = s.SaveCallLeg(wctx, *leg, "")
			case 3:
				leg.EndedAt, leg.End = at.Add(time.Minute), hotline.LegCompleted
				err = s.SaveCallLeg(wctx, *leg, hotline.OutcomeAnswered)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := bt.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	txnStmts.Store(0)
	cpu0 := rusageCPU()
	calls := 0
	b.ResetTimer()
	for base := 0; b.Loop(); base += perBatch {
		for i := range 4 {
			step(base, i)
		}
		calls += perBatch
	}
	b.StopTimer()
	b.ReportMetric(float64((rusageCPU()-cpu0).Microseconds())/1000/float64(calls), "cpu-ms/call")
	b.ReportMetric(float64(txnStmts.Load())/float64(calls), "txn-stmts/call")
}

// rusageCPU is this process's user+system CPU time so far.
func rusageCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
