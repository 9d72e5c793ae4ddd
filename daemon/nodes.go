package daemon

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/switchboard/ariadapter"
)

// link is one Asterisk node's ARI connection and this daemon's lease on the application there.
type link struct {
	node   config.ARINode
	conn   *ari.Conn
	lease  atomic.Pointer[ariadapter.Leaser] // set once the journal's identity is known
	leased bool                              // taken at start (else taken in the background)
	log    *slog.Logger
}

// dialLinks makes the connections (not yet running): one per ari.nodes entry, or the one
// Asterisk at ari.url.
func dialLinks(cfg config.Config, log *slog.Logger) ([]*link, error) {
	nodes := cfg.ARI.Nodes
	if len(nodes) == 0 {
		nodes = []config.ARINode{{URL: cfg.ARI.URL, Websocket: cfg.ARI.Websocket, User: cfg.ARI.User, Password: cfg.ARI.Password}}
	}
	var links []*link
	for _, n := range nodes {
		l := &link{node: n, log: log}
		if n.Name != "" {
			l.log = log.With("node", n.Name)
		}
		conn, err := ari.New(ari.Config{
			URL: n.URL, WebsocketURL: n.Websocket,
			Username: n.User, Password: n.Password.Reveal(), Application: cfg.ARI.App,
			Logger: l.log,
			// A reconnection registers the application again, taking it from whoever has it: not
			// if, while this daemon was cut off, its lease went stale and another daemon took it.
			Redial: func(ctx context.Context) error {
				lease := l.lease.Load()
				if lease == nil {
					return nil
				}
				if err := lease.Still(ctx); err != nil {
					if _, held := ariadapter.IsHeld(err); held {
						return err
					}
				}
				return nil // Asterisk not answering: the dial fails and backs off as usual
			},
		})
		if err != nil {
			return nil, hotline.Wrapf(hotline.EINVALID, err, "ari: %v", err)
		}
		l.conn = conn
		links = append(links, l)
	}
	return links, nil
}

// telephonyOf is how the switchboard acts on Asterisk: the one connection, or the nodes (then
// nodes is their event pump too).
func telephonyOf(cfg config.Config, links []*link, recorder ariadapter.ChannelRecorder, log *slog.Logger) (switchboard.Telephony, *ariadapter.Nodes, error) {
	if len(cfg.ARI.Nodes) == 0 {
		return ariadapter.Telephony{Conn: links[0].conn, Recorder: recorder, Log: log}, nil, nil
	}
	nodes := make([]ariadapter.Node, len(links))
	for i, l := range links {
		nodes[i] = ariadapter.Node{Name: l.node.Name, Conn: l.conn, Telephony: ariadapter.Telephony{Conn: l.conn, Log: l.log},
			Operators: l.node.Operators, Presence: l.node.Operators == ""}
	}
	ns, err := ariadapter.NewNodes(nodes, cfg.ARI.NodeLostAfter, log)
	return ns, ns, err
}
