package loadgen

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hotline-dev/hotline/ami"
)

// bridgeWatcher lists Asterisk's bridges every bridgeEvery (CLI "bridge show all" over AMI) and
// remembers each bridge's technology and most channels: how a call's media is bridged decides what
// it costs Asterisk (simple_bridge or native_rtp for two parties; softmix, which mixes every
// 20 ms, once a third channel such as a bridge recording joins).
type bridgeWatcher struct {
	stop context.CancelFunc
	done chan struct{}

	mu      sync.Mutex
	tech    map[string]string // bridge id → technology last seen
	chans   map[string]int    // bridge id → most channels seen
	samples int
	err     error
}

const bridgeEvery = 2 * time.Second

func watchBridges(ctx context.Context, sb Sandbox, log *slog.Logger) *bridgeWatcher {
	ctx, stop := context.WithCancel(ctx)
	w := &bridgeWatcher{stop: stop, done: make(chan struct{}), tech: map[string]string{}, chans: map[string]int{}}
	go func() {
		defer close(w.done)
		c, err := ami.Dial(ctx, ami.Config{Addr: sb.AMIAddr, Username: sb.AMIUser, Secret: sb.AMIPassword, Auth: ami.AuthMD5, Logger: log})
		if err != nil {
			w.mu.Lock()
			w.err = fmt.Errorf("bridges: ami: %w", err)
			w.mu.Unlock()
			return
		}
		defer c.Close()
		t := time.NewTicker(bridgeEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			out, err := c.Command(ctx, "bridge show all")
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("bridges: list", "err", err)
				}
				continue
			}
			bs := parseBridges(out)
			w.mu.Lock()
			w.samples++
			for _, b := range bs {
				w.tech[b.id] = b.tech
				w.chans[b.id] = max(w.chans[b.id], b.chans)
			}
			w.mu.Unlock()
		}
	}()
	return w
}

// BridgeUse is what bridges a run's calls ended up in: by technology, and by most channels.
type BridgeUse struct {
	Samples      int            `json:"samples"`
	ByTechnology map[string]int `json:"by_technology"` // technology → bridges seen
	ByChannels   map[string]int `json:"by_channels"`   // "2", "3"... → bridges seen with that many channels at most
	Error        string         `json:"error,omitempty"`
}

func (w *bridgeWatcher) finish() BridgeUse {
	w.stop()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	u := BridgeUse{Samples: w.samples, ByTechnology: map[string]int{}, ByChannels: map[string]int{}}
	for id, t := range w.tech {
		u.ByTechnology[t]++
		u.ByChannels[strconv.Itoa(w.chans[id])]++
	}
	if w.err != nil {
		u.Error = w.err.Error()
	}
	return u
}

type bridgeRow struct {
	id, tech string
	chans    int
}

// parseBridges reads "bridge show all": a header, then one line per bridge whose last four
// columns are Chans, Type, Technology and Duration (the Name column may be empty).
func parseBridges(out string) []bridgeRow {
	var rows []bridgeRow
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] == "Bridge-ID" {
			continue
		}
		n, err := strconv.Atoi(f[len(f)-4])
		if err != nil {
			continue
		}
		rows = append(rows, bridgeRow{id: f[0], tech: f[len(f)-2], chans: n})
	}
	return rows
}

func (u BridgeUse) String() string {
	if len(u.ByTechnology) == 0 {
		return "-"
	}
	var parts []string
	for _, t := range sortedKeys(u.ByTechnology) {
		parts = append(parts, fmt.Sprintf("%s %d", t, u.ByTechnology[t]))
	}
	var ch []string
	for _, k := range sortedKeys(u.ByChannels) {
		ch = append(ch, fmt.Sprintf("%s-party %d", k, u.ByChannels[k]))
	}
	return strings.Join(parts, ", ") + " (" + strings.Join(ch, ", ") + ")"
}
