package switchboard

import (
	"context"
	"errors"
)

// FeedBuffer is how many changes a feed holds for its consumer. A consumer further behind than
// that is dropped (its feed ends with ErrLagged) rather than wait for: the loop never blocks on a
// reader. One loop step makes a few changes (a call answered: the call, the operator, the
// queue), so this is hundreds of steps of slack.
const FeedBuffer = 1024

// ErrLagged ends a feed whose consumer fell FeedBuffer changes behind: the changes after it were
// not kept, so the consumer must Subscribe again (a new snapshot) to go on.
var ErrLagged = errors.New("switchboard: feed consumer fell behind; subscribe again for a new snapshot")

// Feed is one subscriber's changes. C is closed when the feed ends; Err then says why.
type Feed struct {
	c    chan Change
	done chan struct{} // closed with c, after err is set
	err  error
	stop func() bool // stops the context.AfterFunc that unsubscribes
}

// C returns the changes, in order, with contiguous Seq.
func (f *Feed) C() <-chan Change { return f.c }

// Err says why the feed ended, once C is closed: ErrLagged, ErrStopped, or the error of the
// context passed to Subscribe. Nil while it goes on.
func (f *Feed) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// Subscribe returns the live state now and the feed of the changes after it: the first change
// the feed carries has Seq = snapshot.Seq + 1. The feed ends when ctx is done (the subscription
// then ends on the loop), when the switchboard stops, or when the consumer lags (ErrLagged).
func (s *Switchboard) Subscribe(ctx context.Context) (Snapshot, *Feed, error) {
	var (
		snap Snapshot
		f    *Feed
	)
	err := s.ask(ctx, func(s *Switchboard) error { snap, f = s.subscribe(ctx); return nil })
	if err != nil {
		return Snapshot{}, nil, err // a feed made anyway ends with ctx, or with the loop
	}
	return snap, f, nil
}

// subscribe is Subscribe, on the loop.
func (s *Switchboard) subscribe(ctx context.Context) (Snapshot, *Feed) {
	s.diff() // catch up first: what changed before this point is in the snapshot
	snap := s.live.snapshot()
	size := s.live.buffer
	if size <= 0 {
		size = FeedBuffer
	}
	f := &Feed{c: make(chan Change, size), done: make(chan struct{})}
	s.live.feeds = append(s.live.feeds, f)
	// No goroutine per feed: ctx's end posts the unsubscription to the loop.
	f.stop = context.AfterFunc(ctx, func() {
		s.post(command{run: func(s *Switchboard) { s.live.end(f, ctx.Err()) }})
	})
	return snap, f
}

// publish sends the changes of the loop step just handled to the feeds. With no feed there is
// nothing to do: a snapshot catches up when it is asked for.
func (s *Switchboard) publish() {
	if len(s.live.feeds) > 0 {
		s.diff()
	}
}

// emit numbers c, to be sent with the rest of the step's changes (flush).
func (p *published) emit(c Change) {
	p.seq++
	c.Seq = p.seq
	p.step = append(p.step, c)
}

// flush hands the step's changes to every feed, the last one with More false, without waiting:
// a full feed ends (ErrLagged).
func (p *published) flush() {
	for i := range p.step {
		p.step[i].More = i < len(p.step)-1
		for _, f := range p.feeds {
			select {
			case f.c <- p.step[i]:
			default:
				p.end(f, ErrLagged)
			}
		}
	}
	clear(p.step) // the changes point at views: let them go
	p.step = p.step[:0]
}

// end ends a feed with err, if it has not ended yet.
func (p *published) end(f *Feed, err error) {
	for i, g := range p.feeds {
		if g == f {
			p.feeds = append(p.feeds[:i:i], p.feeds[i+1:]...)
			f.err = err
			f.stop()
			close(f.done)
			close(f.c)
			return
		}
	}
}

// endFeeds ends every feed: the loop has stopped.
func (p *published) endFeeds(err error) {
	for len(p.feeds) > 0 {
		p.end(p.feeds[0], err)
	}
}
