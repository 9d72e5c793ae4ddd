package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/report"
	"github.com/hotline-dev/hotline/switchboard"
)

// runQueueLogStream appends the queue_log to export.queue_log_file as the events settle in the
// journal (report.QueueLogStream), until ctx ends. A file that cannot be opened (its directory
// gone, a damaged mark) is reported and tried again: calls go on without it, and nothing is lost,
// as the lines come from the journal.
func runQueueLogStream(ctx context.Context, cfg config.Export, store *journal.Store, sb *switchboard.Switchboard, log *slog.Logger) {
	settled := func(ctx context.Context) (report.Settled, error) {
		st, err := sb.Settled(ctx)
		return report.Settled{At: st.At, Writes: st.Writes}, err
	}
	q := &report.QueueLogStream{Path: cfg.QueueLogFile, Options: report.ExportOptions{Queue: cfg.QueueLogQueue},
		Source: report.FromStore(store), Settled: settled, Log: log}
	for reported := false; ; {
		err := q.Open(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if !reported {
			log.Error("queue_log stream not started; trying again every 10 s", "file", cfg.QueueLogFile, "err", err)
			reported = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
	defer q.Close()
	log.Info("queue_log stream", "file", cfg.QueueLogFile, "queue", cfg.QueueLogQueue)
	q.Run(ctx)
}
