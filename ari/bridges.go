package ari

import (
	"context"
	"net/http"
	"strings"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Bridge addresses one bridge by id.
type Bridge struct {
	c  *Conn
	ID string
}

// Bridge returns a handle on the bridge with this id.
func (c *Conn) Bridge(id string) Bridge { return Bridge{c: c, ID: id} }

// Bridge types for CreateBridge; they combine with '+' or ',' as Asterisk allows ("mixing,proxy_media").
const (
	BridgeMixing     = "mixing"
	BridgeHolding    = "holding"
	BridgeDTMFEvents = "dtmf_events"
	BridgeProxyMedia = "proxy_media"
	BridgeVideoSFU   = "video_sfu"
)

// CreateBridge creates a bridge with our id (POST /bridges/{bridgeId}; empty id: POST /bridges
// and Asterisk chooses). typ is a comma-separated list of the Bridge* types.
func (c *Conn) CreateBridge(ctx context.Context, id, typ, name string) (*ariv6.BridgeData, error) {
	var out ariv6.BridgeData
	if err := c.createBridge(ctx, id, typ, name, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateBridgeDiscard is CreateBridge for a caller that chose the bridge's id and needs nothing
// else of Asterisk's answer: the bridge it describes is not decoded.
func (c *Conn) CreateBridgeDiscard(ctx context.Context, id, typ, name string) error {
	return c.createBridge(ctx, id, typ, name, nil)
}

func (c *Conn) createBridge(ctx context.Context, id, typ, name string, out any) error {
	path := "/bridges"
	if id != "" {
		path = pathf("/bridges/%s", id)
	}
	var p params
	return c.do(ctx, request{op: "create " + typ + " bridge " + id, method: http.MethodPost, path: path, rawQuery: p.add("type", typ).add("name", name).String()}, out)
}

// Bridges lists every bridge.
func (c *Conn) Bridges(ctx context.Context) ([]ariv6.BridgeData, error) {
	var out []ariv6.BridgeData
	if err := c.do(ctx, request{op: "list bridges", method: http.MethodGet, path: "/bridges"}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (b Bridge) op(verb string) string { return verb + " bridge " + b.ID }

func (b Bridge) path(sub string) string {
	p := pathf("/bridges/%s", b.ID)
	if sub != "" {
		p += "/" + sub
	}
	return p
}

// Data returns the bridge's current state.
func (b Bridge) Data(ctx context.Context) (*ariv6.BridgeData, error) {
	var out ariv6.BridgeData
	if err := b.c.do(ctx, request{op: b.op("get"), method: http.MethodGet, path: b.path("")}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Destroy destroys the bridge; its channels stay in the application.
func (b Bridge) Destroy(ctx context.Context) error {
	return b.c.do(ctx, request{op: b.op("destroy"), method: http.MethodDelete, path: b.path("")}, nil)
}

// AddChannelOptions tune how a channel joins a bridge.
type AddChannelOptions struct {
	Role                        string // e.g. "announcer", "participant"
	AbsorbDTMF                  bool   // DTMF from the channel is not passed into the bridge
	Mute                        bool   // the channel's audio is not passed into the bridge
	InhibitConnectedLineUpdates bool
}

// AddChannel adds channels (ids) to the bridge.
func (b Bridge) AddChannel(ctx context.Context, o AddChannelOptions, channelIDs ...string) error {
	channels := strings.Join(channelIDs, ",")
	var p params
	p.add("channel", channels).add("role", o.Role)
	for _, f := range []struct {
		name string
		on   bool
	}{{"absorbDTMF", o.AbsorbDTMF}, {"mute", o.Mute}, {"inhibitConnectedLineUpdates", o.InhibitConnectedLineUpdates}} {
		if f.on {
			p.add(f.name, "true")
		}
	}
	return b.c.do(ctx, request{op: b.op("add " + channels + " to"), method: http.MethodPost, path: b.path("addChannel"), rawQuery: p.String()}, nil)
}

// RemoveChannel removes channels from the bridge.
func (b Bridge) RemoveChannel(ctx context.Context, channelIDs ...string) error {
	q := fromMap(map[string]string{"channel": strings.Join(channelIDs, ",")})
	return b.c.do(ctx, request{op: b.op("remove " + strings.Join(channelIDs, ",") + " from"), method: http.MethodPost, path: b.path("removeChannel"), query: q}, nil)
}

// StartMOH plays music on hold into the bridge (class empty: default).
func (b Bridge) StartMOH(ctx context.Context, class string) error {
	return b.c.do(ctx, request{op: b.op("start MOH in"), method: http.MethodPost, path: b.path("moh"), query: fromMap(map[string]string{"mohClass": class})}, nil)
}

// StopMOH stops music on hold in the bridge.
func (b Bridge) StopMOH(ctx context.Context) error {
	return b.c.do(ctx, request{op: b.op("stop MOH in"), method: http.MethodDelete, path: b.path("moh")}, nil)
}

// Play plays media to everyone in the bridge.
func (b Bridge) Play(ctx context.Context, p PlayRequest) (*ariv6.PlaybackData, error) {
	path := b.path("play")
	if p.PlaybackID != "" {
		path += pathf("/%s", p.PlaybackID)
	}
	var out ariv6.PlaybackData
	if err := b.c.do(ctx, request{op: b.op("play " + strings.Join(p.Media, ",") + " to"), method: http.MethodPost, path: path, rawQuery: p.params()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Record records the bridge's mixed audio.
func (b Bridge) Record(ctx context.Context, r RecordRequest) (*ariv6.LiveRecordingData, error) {
	var out ariv6.LiveRecordingData
	if err := b.c.do(ctx, request{op: b.op("record " + r.Name + " from"), method: http.MethodPost, path: b.path("record"), query: r.query()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
