package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// The live-state routes: GET /v1/snapshot answers one switchboard.Snapshot; GET /v1/feed streams
// newline-delimited JSON, one FeedFrame a line: the snapshot first, then each change after it in
// order (Seq contiguous), and, if the daemon ends the feed, a last frame saying why. Both are
// authorised as /v1/status is: any actor the peer maps to may read them.

// FeedFrame is one line of GET /v1/feed: exactly one of its fields is set.
type FeedFrame struct {
	Snapshot *switchboard.Snapshot `json:"snapshot,omitempty"`
	Change   *switchboard.Change   `json:"change,omitempty"`
	End      *FeedEnd              `json:"end,omitempty"`
}

// FeedEnd says why the daemon ended a feed.
type FeedEnd struct {
	// Reason is "lagged" (the reader fell switchboard.FeedBuffer changes behind: follow again for
	// a new snapshot) or "stopped" (the daemon is stopping).
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// feedWriteTimeout bounds one write to a feed's reader: a reader that takes no data for that
// long is given up on, so that its handler does not wait on it for ever.
const feedWriteTimeout = 10 * time.Second

func (h *handler) snapshot(w http.ResponseWriter, r *http.Request, _ hotline.Actor) {
	snap, err := h.sb.Snapshot(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

func (h *handler) feed(w http.ResponseWriter, r *http.Request, by hotline.Actor) {
	ctx := r.Context()
	snap, f, err := h.sb.Subscribe(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Debug("control: feed opened", "actor", by.Login, "seq", snap.Seq)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	send := func(fr FeedFrame, flush bool) error {
		_ = rc.SetWriteDeadline(time.Now().Add(feedWriteTimeout))
		if err := enc.Encode(fr); err != nil {
			return err
		}
		if flush {
			return rc.Flush()
		}
		return nil
	}
	if err := send(FeedFrame{Snapshot: &snap}, true); err != nil {
		return // the reader went away: ctx ends, and the feed with it
	}
	ch := f.C()
	for c := range ch {
		// Flush when no more changes wait: one write for a burst.
		if err := send(FeedFrame{Change: &c}, len(ch) == 0); err != nil {
			h.log.Debug("control: feed reader gone", "actor", by.Login, "err", err)
			return
		}
	}
	end := FeedEnd{Reason: "stopped", Message: "the daemon is stopping"}
	switch err := f.Err(); {
	case ctx.Err() != nil:
		return // the reader went away
	case errors.Is(err, switchboard.ErrLagged):
		end = FeedEnd{Reason: "lagged", Message: err.Error()}
		h.log.Warn("control: feed reader lagged", "actor", by.Login, "buffer", switchboard.FeedBuffer)
	}
	_ = send(FeedFrame{End: &end}, true)
}

// Snapshot returns the live state.
func (c *Client) Snapshot(ctx context.Context) (switchboard.Snapshot, error) {
	var snap switchboard.Snapshot
	err := c.call(ctx, http.MethodGet, "/v1/snapshot", nil, &snap)
	return snap, err
}

// ErrFeedEnded is in the error Follow returns when the daemon ended the feed; when the reader
// lagged it is switchboard.ErrLagged as well, and following again starts from a new snapshot.
var ErrFeedEnded = errors.New("the daemon ended the feed")

// Follow reads the live state as it changes: it calls f with the snapshot the feed starts from
// (step nil), then after each step of the switchboard with the state it leads to and the step's
// changes (so f never sees a state half way through a step). It returns when ctx is done, f
// returns an error, or the feed ends (ErrFeedEnded; ErrLagged too if the reader fell behind: follow
// again). A change that does not follow the one before is an error (switchboard.ErrGap): the
// daemon never sends one.
func (c *Client) Follow(ctx context.Context, f func(st switchboard.Snapshot, step []switchboard.Change) error) error {
	resp, err := c.open(ctx, "/v1/feed")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, maxFrame)
	var (
		st      switchboard.Snapshot
		started bool
		step    []switchboard.Change
	)
	for sc.Scan() {
		var fr FeedFrame
		if err := json.Unmarshal(sc.Bytes(), &fr); err != nil {
			return fmt.Errorf("control: feed: %w", err)
		}
		switch {
		case fr.Snapshot != nil && !started:
			st, started = *fr.Snapshot, true
			if err := f(st, nil); err != nil {
				return err
			}
		case fr.Change != nil && started:
			if st, err = st.Apply(*fr.Change); err != nil {
				return fmt.Errorf("control: feed: %w", err)
			}
			step = append(step, *fr.Change)
			if fr.Change.More {
				continue
			}
			if err := f(st, step); err != nil {
				return err
			}
			step = nil
		case fr.End != nil:
			if fr.End.Reason == "lagged" {
				return fmt.Errorf("%w: %s (%w)", ErrFeedEnded, fr.End.Message, switchboard.ErrLagged)
			}
			return fmt.Errorf("%w: %s", ErrFeedEnded, fr.End.Message)
		default:
			return fmt.Errorf("control: feed: unexpected frame %s", sc.Bytes())
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("control: feed: %w", err)
	}
	return fmt.Errorf("%w: the connection closed", ErrFeedEnded)
}

// maxFrame bounds one line of the feed: a snapshot of a busy hotline (hundreds of operators and
// calls) is well under it.
const maxFrame = 16 << 20
