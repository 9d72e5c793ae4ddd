// Package kamailioadapter feeds the switchboard the registration of operators' handsets at the
// Kamailio in front of several Asterisk nodes (docs/scaling.md, "Presence"), as amiadapter does
// from one Asterisk: a handset registered counts as reachable, one not registered as unreachable
// («недоступен»), so that routing skips it without ringing it.
//
// It polls Kamailio's location table (ul.dump) rather than being told of each change: Kamailio
// 5.6 would need a module of its own (or an HTTP client) to push registrations, and a poll every
// few seconds of a table of at most a few hundred handsets is one small request, which also sees
// registrations that expired and a Kamailio restarted with an empty table, needing no replay.
package kamailioadapter

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/hotline-dev/hotline/switchboard"
)

// Registrations is what Presence needs of Kamailio; *kamailio.Client has it.
type Registrations interface {
	Registered(ctx context.Context) (map[string]bool, error)
}

// Switchboard is what Presence needs of the switchboard: its operators' extensions (Snapshot)
// and where their handsets' reachability goes (Deliver).
type Switchboard interface {
	Deliver(ctx context.Context, ev switchboard.Event) error
	Snapshot(ctx context.Context) (switchboard.Snapshot, error)
}

// Presence polls Kamailio every Every and delivers a DeviceState for each operator's extension
// whose registration changed (every extension on the first answer, and every 30 s). A failed or malformed answer
// is logged as an error, once until Kamailio answers again, and changes nothing: the operators keep
// the reachability last known.
type Presence struct {
	Kamailio    Registrations
	Switchboard Switchboard
	Every       time.Duration
	Log         *slog.Logger     // nil: discarded
	Now         func() time.Time // nil: time.Now

	told   map[string]bool // the reachability last delivered, by extension
	toldAt time.Time       // when told was last emptied: everything is told again every retell
	failed bool            // the last poll failed (logged once)
}

// retell: every extension's reachability is delivered again this often, changed or not. The
// switchboard ignores a report that changes nothing; one that does covers an operator it made
// afresh (removed and added again with the same extension) after this adapter told the old one.
const retell = 30 * time.Second

// Run polls until ctx ends.
func (p *Presence) Run(ctx context.Context) {
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for {
		p.Poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll asks Kamailio once and delivers what changed.
func (p *Presence) Poll(ctx context.Context) {
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	pctx, cancel := context.WithTimeout(ctx, p.Every+5*time.Second)
	defer cancel()
	regs, err := p.Kamailio.Registered(pctx)
	if err != nil {
		if ctx.Err() == nil && !p.failed {
			p.Log.Error("kamailio presence: no answer from Kamailio's location table; handsets keep the reachability last known", "err", err)
		}
		p.failed = true
		return
	}
	if p.failed {
		p.Log.Info("kamailio presence: Kamailio answers again", "registered", len(regs))
		p.failed = false
	}
	snap, err := p.Switchboard.Snapshot(pctx)
	if err != nil {
		if ctx.Err() == nil {
			p.Log.Warn("kamailio presence: no switchboard snapshot", "err", err)
		}
		return
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if now := now(); p.told == nil || now.Sub(p.toldAt) >= retell {
		p.told, p.toldAt = map[string]bool{}, now
	}
	exts := make([]string, 0, len(snap.Operators))
	for _, o := range snap.Operators {
		if o.Extension != "" {
			exts = append(exts, o.Extension)
		}
	}
	slices.Sort(exts)
	for _, ext := range slices.Compact(exts) {
		reachable := regs[ext]
		if was, ok := p.told[ext]; ok && was == reachable {
			continue
		}
		if err := p.Switchboard.Deliver(pctx, switchboard.DeviceState{Extension: ext, Reachable: reachable}); err != nil {
			if ctx.Err() == nil {
				p.Log.Warn("kamailio presence: not delivered", "extension", ext, "err", err)
			}
			return
		}
		p.told[ext] = reachable
	}
}
