package daemon

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/journal"
)

type fakeJournal struct {
	expired []journal.ExpiredRecording
	noted   []string
}

func (f *fakeJournal) ExpiredRecordings(_ context.Context, before time.Time, limit int) ([]journal.ExpiredRecording, error) {
	out := append([]journal.ExpiredRecording(nil), f.expired...) // a copy, as a query returns
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeJournal) RecordingDeleted(_ context.Context, r journal.ExpiredRecording, why string) error {
	f.noted = append(f.noted, r.Name)
	for i, e := range f.expired {
		if e == r {
			f.expired = append(f.expired[:i], f.expired[i+1:]...)
			break
		}
	}
	return nil
}

type fakeAsterisk map[string]error

func (f fakeAsterisk) DeleteStoredRecording(_ context.Context, name string) error { return f[name] }

func TestExpireRecordings(t *testing.T) {
	tests := []struct {
		name      string
		expired   []string
		asterisk  fakeAsterisk
		deleted   int
		wantErr   bool
		remaining int
	}{
		{"all deleted", []string{"a", "b"}, fakeAsterisk{}, 2, false, 0},
		{"already gone in Asterisk counts as deleted", []string{"a"}, fakeAsterisk{"a": &ari.Error{StatusCode: 404}}, 1, false, 0},
		{"a failure keeps that one; the pass goes on", []string{"a", "b", "c"}, fakeAsterisk{"b": errors.New("connection refused")}, 2, true, 1},
		{"nothing to do", nil, fakeAsterisk{}, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jr := &fakeJournal{}
			for i, n := range tt.expired {
				jr.expired = append(jr.expired, journal.ExpiredRecording{LegID: int64(i + 1), CallID: "c1", Name: n})
			}
			n, err := expireRecordings(context.Background(), jr, tt.asterisk, 24*time.Hour, time.Now())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if n != tt.deleted || len(jr.noted) != tt.deleted {
				t.Errorf("deleted %d, noted %v; want %d", n, jr.noted, tt.deleted)
			}
			if len(jr.expired) != tt.remaining {
				t.Errorf("%d left for the next pass, want %d", len(jr.expired), tt.remaining)
			}
		})
	}
}

// node is one node's stored recordings: deleting one it lacks is 404; down, every request fails.
type node struct {
	has  map[string]bool
	down bool
}

func (n *node) DeleteStoredRecording(_ context.Context, name string) error {
	if n.down {
		return errors.New("connection refused")
	}
	if !n.has[name] {
		return &ari.Error{StatusCode: 404}
	}
	delete(n.has, name)
	return nil
}

// With nodes, a recording is deleted on the node that made it; gone everywhere counts as deleted;
// a node down keeps what it might hold for the next pass, unless another node had it.
func TestExpireRecordingsOnNodes(t *testing.T) {
	tests := []struct {
		name      string
		a, b      *node
		expired   []string
		deleted   int
		wantErr   bool
		remaining int
	}{
		{"each on its node", &node{has: map[string]bool{"ra": true}}, &node{has: map[string]bool{"rb": true}}, []string{"ra", "rb"}, 2, false, 0},
		{"on no node", &node{}, &node{}, []string{"gone"}, 1, false, 0},
		{"a node down: kept", &node{down: true}, &node{}, []string{"ra"}, 0, true, 1},
		{"a node down, found on the other", &node{down: true}, &node{has: map[string]bool{"rb": true}}, []string{"rb"}, 1, false, 0},
		// The oldest on the node down must not hold up the other node's.
		{"a node down: the other's still expire", &node{down: true}, &node{has: map[string]bool{"rb1": true, "rb2": true}},
			[]string{"ra1", "rb1", "ra2", "rb2"}, 2, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jr := &fakeJournal{}
			for i, n := range tt.expired {
				jr.expired = append(jr.expired, journal.ExpiredRecording{LegID: int64(i + 1), CallID: "c1", Name: n})
			}
			n, err := expireRecordings(context.Background(), jr, nodeRecordings{tt.a, tt.b}, 24*time.Hour, time.Now())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if n != tt.deleted || len(jr.expired) != tt.remaining {
				t.Errorf("deleted %d, %d left; want %d, %d", n, len(jr.expired), tt.deleted, tt.remaining)
			}
			for _, nd := range []*node{tt.a, tt.b} {
				if len(nd.has) != 0 {
					t.Errorf("left on a node: %v", nd.has)
				}
			}
		})
	}
}

// Asterisk away: the pass stops after so many failures in a row rather than trying every recording.
func TestExpireRecordingsStopsWhenAsteriskAway(t *testing.T) {
	jr := &fakeJournal{}
	away := fakeAsterisk{}
	for i := range retentionMaxFailures + 5 {
		name := fmt.Sprint("r", i)
		jr.expired = append(jr.expired, journal.ExpiredRecording{LegID: int64(i + 1), CallID: "c1", Name: name})
		away[name] = errors.New("connection refused")
	}
	jr.expired = append(jr.expired, journal.ExpiredRecording{LegID: 999, CallID: "c1", Name: "fine"})
	n, err := expireRecordings(context.Background(), jr, away, 24*time.Hour, time.Now())
	if err == nil || n != 0 || len(jr.expired) != retentionMaxFailures+6 {
		t.Errorf("deleted %d, err %v, %d left; want the pass stopped after %d failures, nothing deleted", n, err, len(jr.expired), retentionMaxFailures)
	}
}
