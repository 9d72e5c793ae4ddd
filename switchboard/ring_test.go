package switchboard

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// An offer that ends unanswered is written to the journal once, with the operator, when it began
// to ring, when it stopped and why: queue_log's RINGNOANSWER and RINGCANCELED come from it.
func TestUnansweredOfferIsRecorded(t *testing.T) {
	tests := []struct {
		name string
		// end ends the ringing offer o after 4 s of ringing (or the ring timeout).
		end  func(h *harness, o Originate)
		want []hotline.RingAttempt // times relative to the ring's start, t0-based below
	}{
		{
			name: "ring timeout",
			end:  func(h *harness, o Originate) { h.advance(15 * time.Second) },
			want: []hotline.RingAttempt{{OperatorID: 1, StoppedAt: t0.Add(15 * time.Second), Why: hotline.RingTimedOut}},
		},
		{
			name: "the operator declines",
			end: func(h *harness, o Originate) {
				h.advance(4 * time.Second)
				h.send(ChannelDestroyed{Channel: o.Channel, Cause: 21})
			},
			want: []hotline.RingAttempt{{OperatorID: 1, StoppedAt: t0.Add(4 * time.Second), Why: hotline.RingDeclined}},
		},
		{
			name: "the caller hangs up while it rings",
			end: func(h *harness, o Originate) {
				h.advance(4 * time.Second)
				h.hangup("c1")
			},
			want: []hotline.RingAttempt{{OperatorID: 1, StoppedAt: t0.Add(4 * time.Second), Why: hotline.RingCallerGone}},
		},
		{
			name: "answered: nothing recorded",
			end: func(h *harness, o Originate) {
				h.advance(4 * time.Second)
				h.answer(o)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			h.login("1001")
			m := h.mark()
			h.arrive("c1", "200")
			o := h.oneOriginate(m)
			rang := h.clock.now
			tt.end(h, o)
			if len(h.j.rings) != len(tt.want) {
				t.Fatalf("ring attempts recorded: %+v, want %d", h.j.rings, len(tt.want))
			}
			for i, w := range tt.want {
				w.CallID, w.RangAt = "c1", rang
				w.StoppedAt = rang.Add(w.StoppedAt.Sub(t0))
				if got := h.j.rings[i]; got != w {
					t.Errorf("ring attempt %d = %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

// The ring attempt is written before the leg that ends the call: the journal files it on the leg
// it rang for.
func TestRingAttemptWrittenBeforeTheLegEnds(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.arrive("c1", "200")
	saves := h.j.saves
	var before int
	h.s.write = func(next func(journalJob)) func(journalJob) {
		return func(j journalJob) {
			if j.Write != nil && j.Write.Ring != nil {
				before = h.j.saves
			}
			next(j)
		}
	}(h.s.write)
	h.hangup("c1")
	if len(h.j.rings) != 1 || before != saves {
		t.Errorf("ring attempts %+v written after %d leg saves, want one, before the leg's end (%d saves)", h.j.rings, before, saves)
	}
	if h.j.saves == saves {
		t.Errorf("the abandoned leg was not saved")
	}
}
