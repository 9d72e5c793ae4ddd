package switchboard

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// Random sequences of what callers, handsets, Asterisk and admins do, in any order, checked after
// every message against the rules that make a call centre trustworthy: no operator offered two
// calls, no caller offered twice or lost from the queue, presence agreeing with the facts, and
// every ended call written with how it ended.
func TestInvariantsUnderRandomEvents(t *testing.T) {
	dials := 0  // callbacks dialled over all runs: the sequences must reach that path too
	snoops := 0 // snoop channels made for an administrator listening (supervise.go): the same
	defer func() {
		if dials == 0 && !t.Failed() {
			t.Error("no run dialled a callback: the random events do not cover callback.go")
		}
		if snoops == 0 && !t.Failed() {
			t.Error("no run made a snoop channel: the random events do not cover supervise.go")
		}
		t.Logf("callbacks dialled over all runs: %d; snoop channels: %d", dials, snoops)
	}()
	for seed := range uint64(300) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			cfg := testConfig()
			cfg.AnnounceInterval = 20 * time.Second
			cfg.Routing.MaxWait = 90 * time.Second
			cfg.Routing.MaxQueueLen = 4
			cfg.Routing.MaxMissed = 2
			if r.IntN(2) == 0 {
				cfg.Overflow = OverflowMessage
			} else if r.IntN(2) == 0 {
				// hotline dials callbacks: their calls are answered, refused and lost like the rest.
				cfg.CallbackDial = "PJSIP/callers/sip:{number}@127.0.0.1:5999"
				cfg.CallbackAttempts, cfg.CallbackRetry = 2, 30*time.Second
				cfg.Routing.MaxQueueLen, cfg.Routing.MaxWait = 1, 30*time.Second // overflow, and so callbacks, more often
			}
			h := newHarness(t, cfg, op(1, "1001"), op(2, "1002"), op(3, "1003"), administrator(9, "1009"))
			// Asterisk refuses a request now and then (a channel gone at the wrong moment).
			h.fail = func(Op) error {
				if r.IntN(25) == 0 {
					return errTest
				}
				return nil
			}
			exts := []string{"1001", "1002", "1003"}
			calls := 0
			var log []string
			step := func(what string, f func()) {
				log = append(log, what)
				f()
				if err := checkInvariants(h); err != nil {
					t.Fatalf("after %s: %v\nsteps: %s", what, err, strings.Join(log, "; "))
				}
			}
			defer func() {
				for _, o := range h.originates(0) {
					if entryKind(o.Entry) == "callback" {
						dials++
					}
				}
				for _, o := range h.ops {
					if _, ok := o.(Snoop); ok {
						snoops++
					}
				}

			}()
			for range 150 {
				switch r.IntN(12) {
				case 0, 1:
					calls++
					id := fmt.Sprintf("c%d", calls)
					step("arrive "+id, func() {
						h.send(StasisStart{Channel: id, CallerNumber: fmt.Sprintf("2%02d", calls%7), Entry: Inbound{}})
					})
				case 2: // a playback ends (greeting, announcement, prompt)
					var pbs []string
					for pb := range h.s.playbacks {
						pbs = append(pbs, pb)
					}
					slices.Sort(pbs)
					if len(pbs) > 0 {
						pb := pbs[r.IntN(len(pbs))]
						step("playback finished "+pb, func() { h.send(PlaybackFinished{Playback: pb}) })
					}
				case 3: // a ringing handset answers, or an old one answers late
					if or := h.originates(0); len(or) > 0 {
						o := or[r.IntN(len(or))]
						step("answer "+o.Channel, func() { h.answer(o) })
					}
				case 4: // a caller hangs up
					if ids := liveCalls(h); len(ids) > 0 {
						id := ids[r.IntN(len(ids))]
						step("caller hangs up "+id, func() { h.hangup(id) })
					}
				case 5: // an operator's channel ends: hang-up, reject, busy or absent
					if or := h.originates(0); len(or) > 0 {
						o := or[r.IntN(len(or))]
						cause := []int{16, 17, 20, 21}[r.IntN(4)]
						step(fmt.Sprintf("handset channel %s gone (%d)", o.Channel, cause), func() {
							h.send(ChannelDestroyed{Channel: o.Channel, Cause: cause})
						})
					}
				case 6:
					d := time.Duration(r.IntN(20)+1) * time.Second
					step("advance "+d.String(), func() { h.advance(d) })
				case 7:
					ext := exts[r.IntN(len(exts))]
					action := []string{"login", "logout", "pause", "resume"}[r.IntN(4)]
					ch := fmt.Sprintf("f%d", r.IntN(1000))
					step(action+" "+ext, func() {
						h.send(StasisStart{Channel: ch, Name: "PJSIP/" + ext + "-0001", Entry: Feature{Action: action, Arg: "1"}})
					})
				case 8:
					ext := exts[r.IntN(len(exts))]
					up := r.IntN(3) > 0
					step(fmt.Sprintf("reachable %s %v", ext, up), func() { h.send(DeviceState{Extension: ext, Reachable: up}) })
				case 9: // digits from anyone
					if ids := liveCalls(h); len(ids) > 0 {
						id := ids[r.IntN(len(ids))]
						d := string("1*5#"[r.IntN(4)])
						if cfg.CallbackDial != "" && r.IntN(2) == 0 {
							d = "1" // callers take the callback more often where hotline dials them
						}
						step("dtmf "+id+" "+d, func() { h.send(DTMF{Channel: id, Digit: d}) })
					}
				case 10: // a recording ends
					for name := range h.s.recs {
						step("recording finished "+name, func() { h.send(RecordingFinished{Name: name}) })
						break
					}
				case 11:
					if r.IntN(4) == 0 {
						step("disconnect and inventory", func() {
							h.send(Disconnected{}, Connected{})
							ids := liveCalls(h)
							if len(ids) > 0 {
								ids = ids[1:] // the first one was lost meanwhile
							}
							h.send(Inventory{Channels: ids})
						})
						break
					}
					// An administrator listens (in any mode, or stops), a snoop channel enters or
					// ends (supervise.go); their device's answers and ends are cases 3 and 5.
					var talking []string // mostly the calls an administrator may listen to
					for _, id := range liveCalls(h) {
						if h.s.calls[id].state == stateBridged || r.IntN(8) == 0 {
							talking = append(talking, id)
						}
					}
					switch ids := talking; {
					case len(ids) > 0 && r.IntN(2) == 0:
						id := ids[r.IntN(len(ids))]
						mode := []ListenMode{ListenSilent, ListenWhisper, ListenBarge, ListenStop}[r.IntN(4)]
						step("listen "+id+" "+string(mode), func() { _ = h.listen(chief, id, mode) })
					case r.IntN(2) == 0:
						var devices []Originate
						for _, o := range h.originates(0) {
							if _, ok := o.Entry.(SupervisorDevice); ok {
								devices = append(devices, o)
							}
						}
						if len(devices) > 0 {
							o := devices[r.IntN(len(devices))]
							step("the administrator answers "+o.Channel, func() { h.answer(o) })
						}
					default:
						var snoops []Snoop
						for _, o := range h.ops {
							if sn, ok := o.(Snoop); ok {
								snoops = append(snoops, sn)
							}
						}
						if len(snoops) > 0 {
							sn := snoops[r.IntN(len(snoops))]
							if r.IntN(2) == 0 {
								step("snoop enters "+sn.Snoop, func() { h.send(StasisStart{Channel: sn.Snoop, Name: "Snoop/x", Entry: sn.Entry}) })
							} else {
								step("snoop ends "+sn.Snoop, func() { h.hangup(sn.Snoop) })
							}
						}
					}
				}
			}
			// Then every channel ends, as Asterisk would end them (twice: an end sets off hang-ups
			// of others, a wrap-up's hang-up comes after its timer), and every playback finishes:
			// nothing about any of these calls may be kept (a daemon's memory over weeks).
			for range 2 {
				h.advance(10 * time.Minute)
				for pb := range maps.Clone(h.s.playbacks) {
					h.send(PlaybackFinished{Playback: pb})
				}
				for _, id := range liveCalls(h) {
					h.hangup(id)
				}
				for _, o := range h.ops {
					switch o := o.(type) {
					case Originate:
						h.hangup(o.Channel)
					case Snoop:
						h.hangup(o.Snoop)
					}
				}
				for ch := range maps.Clone(h.s.features) {
					h.hangup(ch)
				}
				// A caller's message recording ends with its channel: Asterisk tells it did.
				for name := range maps.Clone(h.s.recs) {
					if name == messageRecording(h.s.recs[name].id) {
						h.send(RecordingFinished{Name: name})
					}
				}
				h.advance(10 * time.Minute)
			}
			kept := perCall(h.s)
			delete(kept, "callbacks") // a caller's queued callback waits for an operator, with no channel
			if len(kept) != 0 {
				t.Errorf("kept with every channel gone: %v (entries by map); lanes %v, playbacks %v, recs %v\nsteps: %s",
					kept, slices.Sorted(maps.Keys(h.s.lanes)), slices.Sorted(maps.Keys(h.s.playbacks)),
					slices.Sorted(maps.Keys(h.s.recs)), strings.Join(log, "; "))
			}
		})
	}
}

func liveCalls(h *harness) []string {
	var ids []string
	for id := range h.s.calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func checkInvariants(h *harness) error {
	s := h.s
	ringing := map[int64]string{}
	for ch, cb := range s.dialing {
		if cb.channel != ch || cb.op == nil || cb.op.reserved != cb {
			return fmt.Errorf("callback dialled on %s: its operator is not reserved for it", ch)
		}
	}
	// One channel, one owner: what lets ownerOf ask the registries in any order.
	owners := map[string][]string{}
	for name, chans := range map[string][]string{"calls": slices.Collect(maps.Keys(s.calls)),
		"offers": slices.Collect(maps.Keys(s.offers)), "transfers": slices.Collect(maps.Keys(s.transfers)),
		"consults": slices.Collect(maps.Keys(s.consults)), "dialing": slices.Collect(maps.Keys(s.dialing)),
		"features": slices.Collect(maps.Keys(s.features)), "supervisors": slices.Collect(maps.Keys(s.supervisors))} {
		for _, ch := range chans {
			if owners[ch] = append(owners[ch], name); len(owners[ch]) > 1 {
				return fmt.Errorf("channel %s in %v", ch, owners[ch])
			}
		}
	}
	for _, op := range s.operators {
		if ch := op.wrapChannel; ch != "" {
			if owners[ch] = append(owners[ch], fmt.Sprintf("operator %d's wrap-up", op.ID)); len(owners[ch]) > 1 {
				return fmt.Errorf("channel %s in %v", ch, owners[ch])
			}
		}
	}
	callbacks := 0
	for _, w := range s.queue.Snapshot(nil) {
		if _, cb := callbackOf(w.ID); cb {
			callbacks++
			if s.callbacks[w.ID] == nil {
				return fmt.Errorf("queue holds callback %s the switchboard does not know", w.ID)
			}
		}
	}
	if callbacks != len(s.callbacks) || s.waiting() < 0 {
		return fmt.Errorf("%d callbacks in the queue, %d known, %d waiting", callbacks, len(s.callbacks), s.waiting())
	}
	for _, op := range s.operators {
		p := op.derive()
		if p != op.presence {
			return fmt.Errorf("operator %d presence %s, facts say %s", op.ID, op.presence, p)
		}
		if r := op.reserved; r != nil && (s.dialing[r.channel] != r || op.offer != nil) {
			return fmt.Errorf("operator %d reserved for a callback not being dialled, or offered a call meanwhile", op.ID)
		}
		if op.offer == nil {
			continue
		}
		o := op.offer
		if o.op != op || o.done {
			return fmt.Errorf("operator %d holds an offer that is not theirs or is over", op.ID)
		}
		if prev, dup := ringing[op.ID]; dup {
			return fmt.Errorf("operator %d offered %s and %s", op.ID, prev, o.call.id)
		}
		ringing[op.ID] = o.call.id
		if live := s.calls[o.call.id]; live != o.call {
			return fmt.Errorf("operator %d rings or talks for %s, which has ended", op.ID, o.call.id)
		}
	}
	offered := map[string]int64{}
	for _, w := range s.queue.Snapshot(nil) {
		if _, cb := callbackOf(w.ID); cb {
			continue
		}
		c := s.calls[w.ID]
		if c == nil || c.state != stateQueued {
			return fmt.Errorf("queue holds %s, which is not a waiting caller", w.ID)
		}
		if w.Offered != 0 {
			offered[w.ID] = w.Offered
			if c.offer == nil || c.offer.op.ID != w.Offered {
				return fmt.Errorf("queue says %s rings %d, the call says %v", w.ID, w.Offered, c.offer)
			}
		}
	}
	for id, c := range s.calls {
		if c.state == stateEnded {
			return fmt.Errorf("ended call %s still live", id)
		}
		if c.state == stateQueued && s.queue.Position(id) == 0 {
			return fmt.Errorf("queued call %s is not in the queue", id)
		}
		// (After the operator hung up, a caller being hung up still points at the old offer.)
		if c.offer != nil && (!c.offer.answered || c.state == stateBridged) && c.offer.op.offer != c.offer {
			return fmt.Errorf("call %s rings %d, who does not know it", id, c.offer.op.ID)
		}
		if c.offer != nil && !c.offer.answered && offered[id] != c.offer.op.ID {
			return fmt.Errorf("call %s rings %d but the queue does not say so", id, c.offer.op.ID)
		}
		if c.state == stateBridged && (c.offer == nil || !c.offer.answered) {
			return fmt.Errorf("bridged call %s without an answered offer", id)
		}
	}
	// An administrator listens only to a live conversation, through channels the registry knows.
	for id, sv := range s.listening {
		if s.calls[id] != sv.call || sv.call.offer != sv.offer || !sv.offer.answered || sv.call.state != stateBridged {
			return fmt.Errorf("supervision of %s outlives its conversation (state %s)", id, sv.call.state)
		}
		for _, ch := range []string{sv.channel, sv.snoop} {
			if ch != "" && s.supervisors[ch] != sv {
				return fmt.Errorf("supervision of %s: channel %s not in the registry", id, ch)
			}
		}
	}
	for ch, sv := range s.supervisors {
		if s.listening[sv.call.id] != sv || (ch != sv.channel && ch != sv.snoop) {
			return fmt.Errorf("supervision channel %s of an ended session", ch)
		}
	}
	if len(s.cutCause) > len(s.cut) {
		return fmt.Errorf("%d cut causes kept for %d cut channels", len(s.cutCause), len(s.cut))
	}
	for id, leg := range h.j.legs {
		if s.calls[id] == nil && leg.End == "" {
			if c := findStarted(h, id); c {
				return fmt.Errorf("call %s ended without an end on its leg: %+v", id, leg)
			}
		}
		if leg.End != "" && !slices.Contains([]hotline.LegEnd{hotline.LegCompleted, hotline.LegAbandoned, hotline.LegOverflow, hotline.LegFailed}, leg.End) {
			return fmt.Errorf("call %s ended as %q", id, leg.End)
		}
	}
	return nil
}

func findStarted(h *harness, id string) bool {
	for _, l := range h.j.started {
		if l.CallID == id {
			return true
		}
	}
	return false
}
