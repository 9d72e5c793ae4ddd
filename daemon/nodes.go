package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/recording"
	"github.com/hotline-dev/hotline/softphone"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/switchboard/amiadapter"
	"github.com/hotline-dev/hotline/switchboard/ariadapter"
)

// link is one Asterisk node's ARI connection and this daemon's lease on the application there,
// and the node's AMI: its settings, its recorder (MixMonitor) and its client while connected.
type link struct {
	node      config.ARINode
	conn      *ari.Conn
	lease     atomic.Pointer[ariadapter.Leaser] // set once the journal's identity is known
	leased    bool                              // taken at start (else taken in the background)
	ami       config.AMI
	recorder  *amiadapter.Recorder
	amiClient atomic.Pointer[ami.Client] // nil while not connected (runAMI)
	log       *slog.Logger
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
		l.ami = cfg.AMI
		if len(cfg.ARI.Nodes) > 0 {
			l.ami = cfg.NodeAMI(n)
		}
		// Recordings are written where this node's ARI serves its stored recordings.
		l.recorder = &amiadapter.Recorder{Dir: func(ctx context.Context) (string, error) {
			spool, err := conn.GlobalVariable(ctx, "ASTSPOOLDIR")
			if err != nil || spool == "" {
				return "", fmt.Errorf("asterisk's spool directory (ASTSPOOLDIR): %q, %w", spool, err)
			}
			return path.Join(spool, "recording"), nil // ast_config_AST_RECORDING_DIR: ARI's stored recordings
		}}
		links = append(links, l)
	}
	return links, nil
}

// telephonyOf is how the switchboard acts on Asterisk: the one connection, or the nodes (then
// nodes is their event pump too).
func telephonyOf(cfg config.Config, links []*link, prov *softphone.Provisioner, log *slog.Logger) (switchboard.Telephony, *ariadapter.Nodes, error) {
	if len(cfg.ARI.Nodes) == 0 {
		return ariadapter.Telephony{Conn: links[0].conn, Recorder: links[0].recorder, Log: log}, nil, nil
	}
	nodes := make([]ariadapter.Node, len(links))
	for i, l := range links {
		// A conversation is recorded by the node its operator's channel is on (Nodes sends
		// RecordCall there), with that node's MixMonitor; its bridge only while its AMI is down.
		nodes[i] = ariadapter.Node{Name: l.node.Name, Conn: l.conn, Telephony: ariadapter.Telephony{Conn: l.conn, Recorder: l.recorder, Log: l.log},
			Operators: l.node.Operators, Softphones: l.node.Softphones}
		// The node's handsets' reachability comes from its AMI (runAMI, link.presence), whose
		// listing after each AMI connection is ordered with AMI's events, never from its ARI.
		if prov != nil {
			nodes[i].IsSoftphone = prov.IsSoftphone
		}
	}
	ns, err := ariadapter.NewNodes(nodes, cfg.ARI.NodeLostAfter, log)
	return ns, ns, err
}

// presence is where the node's AMI presence goes: the switchboard, for handsets registered with the
// node itself; nowhere when they register with Kamailio (the node's endpoints know nothing of them).
func (l *link) presence(sb amiadapter.Deliverer) amiadapter.Deliverer {
	if l.node.Operators != "" {
		return noPresence{}
	}
	return sb
}

type noPresence struct{}

func (noPresence) Deliver(context.Context, switchboard.Event) error { return nil }

// registerLinkMetrics exports each node's ARI connection metrics and its AMI connection state,
// labelled with the node's name (none with one Asterisk, as before).
func registerLinkMetrics(reg prometheus.Registerer, cfg config.Config, links []*link) {
	for _, l := range links {
		r := reg
		if len(cfg.ARI.Nodes) > 0 {
			r = prometheus.WrapRegistererWith(prometheus.Labels{"node": l.node.Name}, reg)
		}
		r.MustRegister(l.conn.Metrics(), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hotline_ami_connected", Help: "1 while the AMI connection (MixMonitor recordings, presence) is logged in.",
		}, func() float64 {
			if c := l.amiClient.Load(); c != nil {
				if st := c.State(); st == ami.StateConnected || st == ami.StateReconnected {
					return 1
				}
			}
			return 0
		}))
	}
}

// storedOn is where the workplace fetches stored recordings: the one Asterisk, or whichever node
// made the recording (each keeps its own).
func storedOn(links []*link) recording.Downloader {
	if len(links) == 1 {
		return links[0].conn
	}
	ns := make(recording.Nodes, len(links))
	for i, l := range links {
		ns[i] = l.conn
	}
	return ns
}

// deletedOn is where retention deletes stored recordings, as storedOn.
func deletedOn(links []*link) storedRecordings {
	if len(links) == 1 {
		return links[0].conn
	}
	ns := make(nodeRecordings, len(links))
	for i, l := range links {
		ns[i] = l.conn
	}
	return ns
}
