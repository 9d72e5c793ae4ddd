package ari

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// ---------------------------------------------------------------- playbacks

// Playback returns the state of a playback.
func (c *Conn) Playback(ctx context.Context, id string) (*ariv6.PlaybackData, error) {
	var out ariv6.PlaybackData
	if err := c.do(ctx, request{op: "get playback " + id, method: http.MethodGet, path: pathf("/playbacks/%s", id)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// StopPlayback stops a playback (PlaybackFinished follows).
func (c *Conn) StopPlayback(ctx context.Context, id string) error {
	return c.do(ctx, request{op: "stop playback " + id, method: http.MethodDelete, path: pathf("/playbacks/%s", id)}, nil)
}

// PlaybackOperation controls a running playback.
type PlaybackOperation string

// Playback operations.
const (
	PlaybackRestart PlaybackOperation = "restart"
	PlaybackPause   PlaybackOperation = "pause"
	PlaybackUnpause PlaybackOperation = "unpause"
	PlaybackReverse PlaybackOperation = "reverse"
	PlaybackForward PlaybackOperation = "forward"
)

// ControlPlayback pauses, resumes, restarts or skips a playback.
func (c *Conn) ControlPlayback(ctx context.Context, id string, op PlaybackOperation) error {
	return c.do(ctx, request{op: fmt.Sprintf("%s playback %s", op, id), method: http.MethodPost, path: pathf("/playbacks/%s/control", id),
		query: fromMap(map[string]string{"operation": string(op)})}, nil)
}

// ---------------------------------------------------------------- live recordings

// LiveRecording returns the state of a recording in progress.
func (c *Conn) LiveRecording(ctx context.Context, name string) (*ariv6.LiveRecordingData, error) {
	var out ariv6.LiveRecordingData
	if err := c.do(ctx, request{op: "get live recording " + name, method: http.MethodGet, path: pathf("/recordings/live/%s", name)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Conn) liveOp(ctx context.Context, verb, method, name, sub string) error {
	p := pathf("/recordings/live/%s", name)
	if sub != "" {
		p += "/" + sub
	}
	return c.do(ctx, request{op: verb + " live recording " + name, method: method, path: p}, nil)
}

// StopRecording stops a live recording and keeps the file (RecordingFinished follows).
func (c *Conn) StopRecording(ctx context.Context, name string) error {
	return c.liveOp(ctx, "stop", http.MethodPost, name, "stop")
}

// CancelRecording stops a live recording and discards the file.
func (c *Conn) CancelRecording(ctx context.Context, name string) error {
	return c.liveOp(ctx, "cancel", http.MethodDelete, name, "")
}

// PauseRecording pauses a live recording.
func (c *Conn) PauseRecording(ctx context.Context, name string) error {
	return c.liveOp(ctx, "pause", http.MethodPost, name, "pause")
}

// UnpauseRecording resumes a paused recording.
func (c *Conn) UnpauseRecording(ctx context.Context, name string) error {
	return c.liveOp(ctx, "unpause", http.MethodDelete, name, "pause")
}

// MuteRecording records silence until UnmuteRecording (e.g. while a caller gives card details).
func (c *Conn) MuteRecording(ctx context.Context, name string) error {
	return c.liveOp(ctx, "mute", http.MethodPost, name, "mute")
}

// UnmuteRecording resumes recording audio.
func (c *Conn) UnmuteRecording(ctx context.Context, name string) error {
	return c.liveOp(ctx, "unmute", http.MethodDelete, name, "mute")
}

// ---------------------------------------------------------------- stored recordings

// StoredRecordings lists the stored recordings.
func (c *Conn) StoredRecordings(ctx context.Context) ([]ariv6.StoredRecordingData, error) {
	var out []ariv6.StoredRecordingData
	if err := c.do(ctx, request{op: "list stored recordings", method: http.MethodGet, path: "/recordings/stored"}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// StoredRecording returns one stored recording's name and format.
func (c *Conn) StoredRecording(ctx context.Context, name string) (*ariv6.StoredRecordingData, error) {
	var out ariv6.StoredRecordingData
	if err := c.do(ctx, request{op: "get stored recording " + name, method: http.MethodGet, path: pathf("/recordings/stored/%s", name)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteStoredRecording deletes a stored recording's file.
func (c *Conn) DeleteStoredRecording(ctx context.Context, name string) error {
	return c.do(ctx, request{op: "delete stored recording " + name, method: http.MethodDelete, path: pathf("/recordings/stored/%s", name)}, nil)
}

// CopyStoredRecording copies a stored recording to a new name.
func (c *Conn) CopyStoredRecording(ctx context.Context, name, to string) (*ariv6.StoredRecordingData, error) {
	var out ariv6.StoredRecordingData
	if err := c.do(ctx, request{op: "copy stored recording " + name + " to " + to, method: http.MethodPost, path: pathf("/recordings/stored/%s/copy", name),
		query: fromMap(map[string]string{"destinationRecordingName": to})}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DownloadStoredRecording streams a stored recording's file into w and returns the bytes copied
// and the Content-Type Asterisk gave (e.g. audio/wav). It reads the file over ARI, so hotline needs
// no access to Asterisk's disk.
func (c *Conn) DownloadStoredRecording(ctx context.Context, name string, w io.Writer) (int64, string, error) {
	r := request{op: "download stored recording " + name, method: http.MethodGet, path: pathf("/recordings/stored/%s/file", name)}
	resp, err := c.send(ctx, r)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, "", fmt.Errorf("ari: %s: %w", r.op, err)
	}
	return n, resp.Header.Get("Content-Type"), nil
}

// ---------------------------------------------------------------- endpoints

// Endpoints lists every endpoint; with tech set ("PJSIP") only that technology's.
func (c *Conn) Endpoints(ctx context.Context, tech string) ([]ariv6.EndpointData, error) {
	path := "/endpoints"
	if tech != "" {
		path = pathf("/endpoints/%s", tech)
	}
	var out []ariv6.EndpointData
	if err := c.do(ctx, request{op: "list endpoints " + tech, method: http.MethodGet, path: path}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Endpoint returns one endpoint (e.g. PJSIP, 1001): its state and channels.
func (c *Conn) Endpoint(ctx context.Context, tech, resource string) (*ariv6.EndpointData, error) {
	var out ariv6.EndpointData
	if err := c.do(ctx, request{op: "get endpoint " + tech + "/" + resource, method: http.MethodGet, path: pathf("/endpoints/%s/%s", tech, resource)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ---------------------------------------------------------------- device states

// DeviceStates lists the device states ARI controls (Stasis:...).
func (c *Conn) DeviceStates(ctx context.Context) ([]ariv6.DeviceStateData, error) {
	var out []ariv6.DeviceStateData
	if err := c.do(ctx, request{op: "list device states", method: http.MethodGet, path: "/deviceStates"}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeviceState returns a device's state (e.g. PJSIP/1001 or Stasis:op1001).
func (c *Conn) DeviceState(ctx context.Context, name string) (*ariv6.DeviceStateData, error) {
	var out ariv6.DeviceStateData
	if err := c.do(ctx, request{op: "get device state " + name, method: http.MethodGet, path: pathf("/deviceStates/%s", name)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Device states for SetDeviceState.
const (
	DeviceNotInUse    = "NOT_INUSE"
	DeviceInUse       = "INUSE"
	DeviceBusy        = "BUSY"
	DeviceInvalid     = "INVALID"
	DeviceUnavailable = "UNAVAILABLE"
	DeviceRinging     = "RINGING"
	DeviceRingInUse   = "RINGINUSE"
	DeviceOnHold      = "ONHOLD"
)

// SetDeviceState sets a Stasis:<name> device state (e.g. an operator's presence for BLF).
func (c *Conn) SetDeviceState(ctx context.Context, name, state string) error {
	return c.do(ctx, request{op: "set device state " + name + " to " + state, method: http.MethodPut, path: pathf("/deviceStates/%s", name),
		query: fromMap(map[string]string{"deviceState": state})}, nil)
}

// DeleteDeviceState removes a Stasis:<name> device state.
func (c *Conn) DeleteDeviceState(ctx context.Context, name string) error {
	return c.do(ctx, request{op: "delete device state " + name, method: http.MethodDelete, path: pathf("/deviceStates/%s", name)}, nil)
}

// ---------------------------------------------------------------- applications

// Applications lists the registered Stasis applications.
func (c *Conn) Applications(ctx context.Context) ([]ariv6.ApplicationData, error) {
	var out []ariv6.ApplicationData
	if err := c.do(ctx, request{op: "list applications", method: http.MethodGet, path: "/applications"}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ApplicationData returns this Conn's application: what it is subscribed to.
func (c *Conn) ApplicationData(ctx context.Context) (*ariv6.ApplicationData, error) {
	var out ariv6.ApplicationData
	if err := c.do(ctx, request{op: "get application " + c.cfg.Application, method: http.MethodGet, path: pathf("/applications/%s", c.cfg.Application)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Subscribe subscribes this Conn's application to an event source: channel:<id>, bridge:<id>,
// endpoint:<tech>[/<resource>], deviceState:<name>. Asterisk counts subscriptions (two Subscribe
// need two Unsubscribe) and keeps them across a websocket reconnect but not across its own
// restart: after Connected/Reconnected use EnsureSubscribed.
func (c *Conn) Subscribe(ctx context.Context, eventSource string) (*ariv6.ApplicationData, error) {
	var out ariv6.ApplicationData
	if err := c.do(ctx, request{op: "subscribe " + c.cfg.Application + " to " + eventSource, method: http.MethodPost, path: pathf("/applications/%s/subscription", c.cfg.Application),
		query: fromMap(map[string]string{"eventSource": eventSource})}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EnsureSubscribed subscribes to eventSource unless the application already is (after a websocket
// reconnect it still is; after an Asterisk restart it is not). It reports whether it subscribed.
func (c *Conn) EnsureSubscribed(ctx context.Context, eventSource string) (bool, error) {
	app, err := c.ApplicationData(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) { // not found: the application has no state yet
		return false, err
	}
	if app != nil {
		kind, name, _ := strings.Cut(eventSource, ":")
		have := map[string][]string{"endpoint": app.EndpointIDs, "deviceState": app.DeviceNames, "channel": app.ChannelIDs, "bridge": app.BridgeIDs}[kind]
		if slices.Contains(have, name) {
			return false, nil
		}
	}
	if _, err := c.Subscribe(ctx, eventSource); err != nil {
		return false, err
	}
	return true, nil
}

// Unsubscribe ends a subscription made by Subscribe.
func (c *Conn) Unsubscribe(ctx context.Context, eventSource string) (*ariv6.ApplicationData, error) {
	var out ariv6.ApplicationData
	if err := c.do(ctx, request{op: "unsubscribe " + c.cfg.Application + " from " + eventSource, method: http.MethodDelete, path: pathf("/applications/%s/subscription", c.cfg.Application),
		query: fromMap(map[string]string{"eventSource": eventSource})}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ---------------------------------------------------------------- asterisk, events

// Info returns Asterisk's build, config, status and system information.
func (c *Conn) Info(ctx context.Context) (*ariv6.AsteriskInfo, error) {
	var out ariv6.AsteriskInfo
	if err := c.do(ctx, request{op: "get Asterisk info", method: http.MethodGet, path: "/asterisk/info"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Pong is Asterisk's answer to Ping.
type Pong struct {
	AsteriskID string `json:"asterisk_id"`
	Ping       string `json:"ping"`
	Timestamp  string `json:"timestamp"`
}

// Ping checks that ARI answers and the credentials work (a 401 comes back as *Error).
func (c *Conn) Ping(ctx context.Context) (*Pong, error) {
	var out Pong
	if err := c.do(ctx, request{op: "ping Asterisk", method: http.MethodGet, path: "/asterisk/ping"}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GlobalVariable returns a global dialplan variable.
func (c *Conn) GlobalVariable(ctx context.Context, name string) (string, error) {
	var out struct {
		Value string `json:"value"`
	}
	if err := c.do(ctx, request{op: "get global variable " + name, method: http.MethodGet, path: "/asterisk/variable", query: fromMap(map[string]string{"variable": name})}, &out); err != nil {
		return "", err
	}
	return out.Value, nil
}

// SetGlobalVariable sets a global dialplan variable ("": empty, which reads back as unset). Globals
// live until Asterisk restarts or its dialplan is reloaded.
func (c *Conn) SetGlobalVariable(ctx context.Context, name, value string) error {
	return c.do(ctx, request{op: "set global variable " + name, method: http.MethodPost, path: "/asterisk/variable",
		query: fromMap(map[string]string{"variable": name, "value": value})}, nil)
}

// Claim claims a channel offered by CallBroadcast for this Conn's application (POST /events/claim;
// ari/v6 lacks it). A 409 (ErrConflict) means another application won.
func (c *Conn) Claim(ctx context.Context, channelID string) error {
	return c.do(ctx, request{op: "claim channel " + channelID, method: http.MethodPost, path: "/events/claim",
		query: fromMap(map[string]string{"channelId": channelID, "application": c.cfg.Application})}, nil)
}

// UserEvent sends a user event to this Conn's application (and so to its own event stream); source
// optionally names related objects (channel:<id>, bridge:<id>, ...). Useful as an in-order marker.
func (c *Conn) UserEvent(ctx context.Context, name string, source []string, variables map[string]string) error {
	q := fromMap(map[string]string{"application": c.cfg.Application})
	if len(source) > 0 {
		q["source"] = source
	}
	return c.do(ctx, request{op: "send user event " + name, method: http.MethodPost, path: pathf("/events/user/%s", name), query: q, body: varsBody(variables)}, nil)
}

// eventType names one event type in an application's event filter.
type eventType struct {
	Type string `json:"type"`
}

// SetEventFilter makes Asterisk send the application only events of the allowed types (none: all
// types again). Asterisk then skips encoding what the consumer would throw away, and hotline skips
// reading and decoding it: most of a call's events (ChannelVarset, ChannelDialplan, Playback
// started...) are of no use to a call flow. The filter is the application's, kept across websocket
// reconnects but not across an Asterisk restart: set it after every (re)connection.
//
// Asterisk's spec names the body parameter "filter", but Asterisk reads the body itself as the
// filter ({"allowed": [...], "disallowed": [...]}), as checked against Asterisk 22.
func (c *Conn) SetEventFilter(ctx context.Context, allowed []string) (*ariv6.ApplicationData, error) {
	body := struct {
		Allowed    []eventType `json:"allowed"`
		Disallowed []eventType `json:"disallowed"`
	}{Allowed: []eventType{}, Disallowed: []eventType{}}
	for _, t := range allowed {
		body.Allowed = append(body.Allowed, eventType{Type: t})
	}
	var out ariv6.ApplicationData
	if err := c.do(ctx, request{op: "set the event filter of " + c.cfg.Application, method: http.MethodPut,
		path: pathf("/applications/%s/eventFilter", c.cfg.Application), body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
