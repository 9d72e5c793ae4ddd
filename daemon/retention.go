package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/journal"
)

// recordings is what retention needs of the journal (*journal.Store).
type recordings interface {
	ExpiredRecordings(ctx context.Context, before time.Time, limit int) ([]journal.ExpiredRecording, error)
	RecordingDeleted(ctx context.Context, r journal.ExpiredRecording, why string) error
}

// storedRecordings deletes a stored recording in Asterisk (*ari.Conn).
type storedRecordings interface {
	DeleteStoredRecording(ctx context.Context, name string) error
}

// nodeRecordings deletes a stored recording on whichever node has it (docs/scaling.md: each node
// keeps what it recorded). Gone from every node is ari.ErrNotFound; a node that cannot be asked
// leaves it for the next pass, unless another node had it (names are unique across nodes).
type nodeRecordings []storedRecordings

func (ns nodeRecordings) DeleteStoredRecording(ctx context.Context, name string) error {
	var unreachable error
	for _, n := range ns {
		err := n.DeleteStoredRecording(ctx, name)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ari.ErrNotFound):
		default:
			unreachable = errors.Join(unreachable, err)
		}
	}
	if unreachable != nil {
		return unreachable
	}
	return fmt.Errorf("%s on no node: %w", name, ari.ErrNotFound)
}

// expireRecordings deletes, in Asterisk, the recordings of legs that ended more than keep ago and
// notes each deletion in the journal. A recording Asterisk no longer has is noted as deleted too;
// any other failure leaves it for the next pass. It returns how many it deleted.
func expireRecordings(ctx context.Context, jr recordings, ast storedRecordings, keep time.Duration, now time.Time) (int, error) {
	why := fmt.Sprintf("retention: older than %s", keep)
	deleted := 0
	for {
		batch, err := jr.ExpiredRecordings(ctx, now.Add(-keep), 500)
		if err != nil {
			return deleted, err
		}
		progress := false
		for _, r := range batch {
			if err := ast.DeleteStoredRecording(ctx, r.Name); err != nil && !errors.Is(err, ari.ErrNotFound) {
				return deleted, fmt.Errorf("delete recording %s: %w", r.Name, err)
			}
			if err := jr.RecordingDeleted(ctx, r, why); err != nil {
				return deleted, err
			}
			deleted++
			progress = true
		}
		if len(batch) < 500 || !progress {
			return deleted, nil
		}
	}
}

// runRetention expires recordings every hour (the first pass a minute after start, so a restart
// loop cannot hammer Asterisk) until ctx ends. keep 0 keeps recordings forever.
func runRetention(ctx context.Context, jr recordings, ast storedRecordings, keep time.Duration, log *slog.Logger) {
	if keep <= 0 {
		return
	}
	wait := time.Minute
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = time.Hour
		n, err := expireRecordings(ctx, jr, ast, keep, time.Now())
		if err != nil && ctx.Err() == nil {
			log.Warn("recording retention: pass stopped; the rest waits for the next one", "deleted", n, "err", err)
			continue
		}
		if n > 0 {
			log.Info("recording retention: old recordings deleted", "deleted", n, "older_than", keep)
		}
	}
}
