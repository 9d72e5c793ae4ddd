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
// notes each deletion in the journal. A recording Asterisk no longer has is noted as deleted too.
// One that cannot be deleted (its node down) is left for the next pass and the pass goes on, so a
// node away does not hold up the expiry of every other node's recordings; after
// retentionMaxFailures failures in a row (Asterisk away) the pass stops. It returns how many it
// deleted, and an error naming what was left.
func expireRecordings(ctx context.Context, jr recordings, ast storedRecordings, keep time.Duration, now time.Time) (int, error) {
	const batchSize = 500
	why := fmt.Sprintf("retention: older than %s", keep)
	deleted, inARow := 0, 0
	left := map[int64]bool{} // legs whose recording could not be deleted in this pass
	var firstErr error
	leftErr := func() error {
		if firstErr == nil {
			return nil
		}
		return fmt.Errorf("%d recordings left for the next pass: %w", len(left), firstErr)
	}
	for {
		// The journal lists the oldest first, those left included: ask for as many more.
		limit := batchSize + len(left)
		if limit > retentionMaxListed {
			return deleted, leftErr()
		}
		batch, err := jr.ExpiredRecordings(ctx, now.Add(-keep), limit)
		if err != nil {
			return deleted, err
		}
		progress := false
		for _, r := range batch {
			if left[r.LegID] {
				continue
			}
			if err := ast.DeleteStoredRecording(ctx, r.Name); err != nil && !errors.Is(err, ari.ErrNotFound) {
				left[r.LegID] = true
				if firstErr == nil {
					firstErr = fmt.Errorf("delete recording %s: %w", r.Name, err)
				}
				if inARow++; inARow >= retentionMaxFailures || ctx.Err() != nil {
					return deleted, leftErr()
				}
				continue
			}
			inARow = 0
			if err := jr.RecordingDeleted(ctx, r, why); err != nil {
				return deleted, err
			}
			deleted++
			progress = true
		}
		if len(batch) < limit || !progress {
			return deleted, leftErr()
		}
	}
}

const (
	// retentionMaxFailures: so many deletions failing in a row end the pass (Asterisk away).
	retentionMaxFailures = 20
	// retentionMaxListed bounds one listing (the journal's own bound is 10,000).
	retentionMaxListed = 10000
)

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
			log.Warn("recording retention: recordings left for the next pass", "deleted", n, "err", err)
			continue
		}
		if n > 0 {
			log.Info("recording retention: old recordings deleted", "deleted", n, "older_than", keep)
		}
	}
}
