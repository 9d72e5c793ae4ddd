package journal_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

const (
	crashEnv  = "HOTLINE_CRASH_CHILD_DB" // set: this process is the child that writes until killed
	batchSize = 5
)

// TestCrashKeepsCommittedCases re-runs this test binary as a child that registers cases one by
// one and in batches, reporting each commit on stdout; the parent kill -9s it mid-stream, reopens
// the database and checks that every reported case is there, and that no batch and no case is
// half-written (a case without its history event, a batch with some of its cases).
func TestCrashKeepsCommittedCases(t *testing.T) {
	if journal.OnPostgres() {
		t.Skip("kill -9 of a child writing a SQLite file: SQLite only; on PostgreSQL the suite covers it otherwise (docs/journal.md)")
	}
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	s, err := journal.Open(ctx, path, journal.Options{Logger: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	for round := 0; round < 3; round++ { // kill at a few different moments
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsCommittedCases$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var reported []string
		killAfter := 30 + round*40 // commits seen before the kill
		deadline := time.After(10 * time.Second)
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				reported = append(reported, l)
				if len(reported) == killAfter {
					// Let the child get into its next transaction (or not) before SIGKILL:
					// no deferred Close, no checkpoint.
					time.Sleep(time.Duration(round) * 300 * time.Microsecond)
					cmd.Process.Kill()
				}
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("child did not report %d commits in time (got %d)", killAfter, len(reported))
			}
		}
		cmd.Wait()
		if len(reported) < killAfter {
			t.Fatalf("round %d: child reported only %d commits", round, len(reported))
		}
		checkAfterCrash(t, path, reported)
	}
}

// crashChild writes until killed: a single case, then a batch, and so on, printing the ids of
// each commit after it returns.
func crashChild(path string) {
	ctx := context.Background()
	s, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	pid := os.Getpid()
	for n := 0; ; n++ {
		if n%2 == 0 {
			c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+78650000000", Description: fmt.Sprintf("single %d-%d", pid, n)}
			if err := s.NewCase(ctx, hotline.SystemActor, &c); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(1)
			}
			fmt.Printf("%d\n", c.ID)
			continue
		}
		cs := make([]hotline.Case, batchSize)
		for i := range cs {
			cs[i] = hotline.Case{Channel: hotline.ChannelPhone, Description: fmt.Sprintf("batch %d-%d", pid, n)}
		}
		if err := s.CreateCases(ctx, hotline.SystemActor, cs); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		ids := make([]string, len(cs))
		for i, c := range cs {
			ids[i] = strconv.FormatInt(c.ID, 10)
		}
		fmt.Println(strings.Join(ids, " "))
	}
}

func checkAfterCrash(t *testing.T, path string, reported []string) {
	t.Helper()
	ctx := context.Background()
	s, err := journal.Open(ctx, path, journal.Options{Logger: testLog(t)})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	rep, err := s.Check(ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("check after kill -9: %+v %v", rep, err)
	}
	// Every reported commit is there.
	for _, l := range reported {
		for _, f := range strings.Fields(l) {
			id, _ := strconv.ParseInt(f, 10, 64)
			if _, err := s.Case(ctx, id); err != nil {
				t.Fatalf("committed case %d lost after kill -9: %v", id, err)
			}
		}
	}
	// Nothing is half-written: every batch is whole, every case has its "created" event.
	all, err := s.Cases(ctx, journal.CaseFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	batches := map[string]int{}
	for _, c := range all {
		if strings.HasPrefix(c.Description, "batch ") {
			batches[c.Description]++
		}
	}
	for b, n := range batches {
		if n != batchSize {
			t.Fatalf("%s has %d of its %d cases: a half-written transaction survived", b, n, batchSize)
		}
	}
	evs, err := s.History(ctx, journal.HistoryFilter{Entity: "case", Limit: 1000000})
	if err != nil {
		t.Fatal(err)
	}
	created := map[int64]bool{}
	for _, e := range evs {
		if e.Action == "created" {
			created[e.CaseID] = true
		}
	}
	if len(created) != len(all) {
		t.Fatalf("%d cases but %d creation events", len(all), len(created))
	}
	t.Logf("after kill -9: %d commits reported, %d cases in the journal, %d whole batches", len(reported), len(all), len(batches))
}
