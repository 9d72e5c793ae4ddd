package ari

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Channel addresses one channel by id; it is a value, cheap to make (Conn.Channel) and holds no state.
type Channel struct {
	c  *Conn
	ID string
}

// Channel returns a handle on the channel with this id.
func (c *Conn) Channel(id string) Channel { return Channel{c: c, ID: id} }

// OriginateRequest is POST /channels/{channelId}: a new outgoing channel. ChannelID is ours (a
// stable id the call flow chose); with App set the answered channel enters that Stasis
// application, otherwise it runs Context/Extension/Priority.
type OriginateRequest struct {
	Endpoint       string // e.g. PJSIP/1001 or Local/*43@hotline-operators
	ChannelID      string // our id for the channel; empty: Asterisk chooses
	OtherChannelID string // our id for the other half of a Local channel
	App            string // Stasis application (default: none, use the dialplan fields)
	AppArgs        string
	Context        string
	Extension      string
	Priority       int
	Label          string
	CallerID       string        // e.g. `"Hotline" <100>`
	Timeout        time.Duration // ring timeout (Asterisk's default 30 s when zero)
	Originator     string        // channel id whose variables and codecs are inherited
	Formats        string        // e.g. "ulaw,alaw" when there is no Originator
	Variables      map[string]string
}

func (r OriginateRequest) params() string {
	var p params
	p.b = make([]byte, 0, 256)
	p.add("endpoint", r.Endpoint).add("app", r.App).add("appArgs", r.AppArgs).add("context", r.Context).
		add("extension", r.Extension).add("label", r.Label).add("callerId", r.CallerID).
		add("otherChannelId", r.OtherChannelID).add("originator", r.Originator).add("formats", r.Formats)
	if r.Priority != 0 {
		p.add("priority", strconv.Itoa(r.Priority))
	}
	if r.Timeout > 0 {
		p.add("timeout", strconv.Itoa(int((r.Timeout+time.Second-1)/time.Second)))
	}
	return p.String()
}

func fromMap(m map[string]string) map[string][]string {
	q := map[string][]string{}
	for k, v := range m {
		if v != "" {
			q[k] = []string{v}
		}
	}
	return q
}

type variablesBody struct {
	Variables map[string]string `json:"variables,omitempty"`
}

func varsBody(v map[string]string) any {
	if len(v) == 0 {
		return nil
	}
	return variablesBody{Variables: v}
}

// Originate creates a channel and dials it. With r.ChannelID set it uses
// POST /channels/{channelId}, else POST /channels.
func (c *Conn) Originate(ctx context.Context, r OriginateRequest) (*ariv6.ChannelData, error) {
	var out ariv6.ChannelData
	if err := c.originate(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OriginateDiscard is Originate for a caller that chose the channel's id and needs nothing else of
// Asterisk's answer: the channel it describes is not decoded.
func (c *Conn) OriginateDiscard(ctx context.Context, r OriginateRequest) error {
	return c.originate(ctx, r, nil)
}

func (c *Conn) originate(ctx context.Context, r OriginateRequest, out any) error {
	path := "/channels"
	if r.ChannelID != "" {
		path = pathf("/channels/%s", r.ChannelID)
	}
	return c.do(ctx, request{op: "originate to " + r.Endpoint, method: http.MethodPost, path: path, rawQuery: r.params(), body: varsBody(r.Variables)}, out)
}

// CreateRequest is POST /channels/create: a channel made but not dialled (Dial does that), so the
// application can set it up (bridge, variables) first.
type CreateRequest struct {
	Endpoint       string
	App            string // required
	AppArgs        string
	ChannelID      string
	OtherChannelID string
	Originator     string
	Formats        string
	Variables      map[string]string
}

// Create makes a channel without dialling it.
func (c *Conn) Create(ctx context.Context, r CreateRequest) (*ariv6.ChannelData, error) {
	q := fromMap(map[string]string{
		"endpoint": r.Endpoint, "app": r.App, "appArgs": r.AppArgs, "channelId": r.ChannelID,
		"otherChannelId": r.OtherChannelID, "originator": r.Originator, "formats": r.Formats,
	})
	var out ariv6.ChannelData
	if err := c.do(ctx, request{op: "create channel to " + r.Endpoint, method: http.MethodPost, path: "/channels/create", query: q, body: varsBody(r.Variables)}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Channels lists every channel Asterisk has (for reconciling after Reconnected).
func (c *Conn) Channels(ctx context.Context) ([]ariv6.ChannelData, error) {
	var out []ariv6.ChannelData
	if err := c.do(ctx, request{op: "list channels", method: http.MethodGet, path: "/channels"}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (ch Channel) op(verb string) string { return verb + " channel " + ch.ID }

func (ch Channel) path(sub string) string {
	p := pathf("/channels/%s", ch.ID)
	if sub != "" {
		p += "/" + sub
	}
	return p
}

func (ch Channel) simple(ctx context.Context, verb, method, sub string, q map[string]string) error {
	return ch.c.do(ctx, request{op: ch.op(verb), method: method, path: ch.path(sub), query: fromMap(q)}, nil)
}

// simple1 is simple with at most one parameter (empty value: none), without a map.
func (ch Channel) simple1(ctx context.Context, verb, method, sub, name, value string) error {
	var p params
	return ch.c.do(ctx, request{op: ch.op(verb), method: method, path: ch.path(sub), rawQuery: p.add(name, value).String()}, nil)
}

// Data returns the channel's current state.
func (ch Channel) Data(ctx context.Context) (*ariv6.ChannelData, error) {
	var out ariv6.ChannelData
	if err := ch.c.do(ctx, request{op: ch.op("get"), method: http.MethodGet, path: ch.path("")}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Hangup reasons Asterisk accepts by name (reason); any Q.850 cause can be given as a code instead.
const (
	HangupNormal            = "normal"
	HangupBusy              = "busy"
	HangupCongestion        = "congestion"
	HangupNoAnswer          = "no_answer"
	HangupTimeout           = "timeout"
	HangupRejected          = "rejected"
	HangupUnallocated       = "unallocated"
	HangupNormalUnspecified = "normal_unspecified"
	HangupNumberIncomplete  = "number_incomplete"
	HangupCodecMismatch     = "codec_mismatch"
	HangupInterworking      = "interworking"
	HangupFailure           = "failure"
	HangupAnsweredElsewhere = "answered_elsewhere"
)

// Hangup hangs the channel up with a reason (HangupNormal, ...; empty: normal).
func (ch Channel) Hangup(ctx context.Context, reason string) error {
	return ch.simple1(ctx, "hang up", http.MethodDelete, "", "reason", reason)
}

// HangupCode hangs the channel up with a Q.850 cause code (e.g. 17 user busy).
func (ch Channel) HangupCode(ctx context.Context, cause int) error {
	return ch.simple(ctx, "hang up", http.MethodDelete, "", map[string]string{"reason_code": strconv.Itoa(cause)})
}

// Answer answers the channel.
func (ch Channel) Answer(ctx context.Context) error {
	return ch.simple1(ctx, "answer", http.MethodPost, "answer", "", "")
}

// Ring indicates ringing to the channel.
func (ch Channel) Ring(ctx context.Context) error {
	return ch.simple(ctx, "ring", http.MethodPost, "ring", nil)
}

// StopRing stops indicating ringing.
func (ch Channel) StopRing(ctx context.Context) error {
	return ch.simple(ctx, "stop ringing", http.MethodDelete, "ring", nil)
}

// Progress indicates call progress (early media) to the channel.
func (ch Channel) Progress(ctx context.Context) error {
	return ch.simple(ctx, "indicate progress on", http.MethodPost, "progress", nil)
}

// Continue sends the channel back to the dialplan (empty fields: where it left off) and out of Stasis.
func (ch Channel) Continue(ctx context.Context, dialplanContext, extension string, priority int, label string) error {
	q := map[string]string{"context": dialplanContext, "extension": extension, "label": label}
	if priority != 0 {
		q["priority"] = strconv.Itoa(priority)
	}
	return ch.simple(ctx, "continue", http.MethodPost, "continue", q)
}

// Move moves the channel to another Stasis application.
func (ch Channel) Move(ctx context.Context, app, appArgs string) error {
	return ch.simple(ctx, "move", http.MethodPost, "move", map[string]string{"app": app, "appArgs": appArgs})
}

// Redirect redirects the channel to an endpoint (e.g. PJSIP/1002) at the protocol level (SIP 302).
func (ch Channel) Redirect(ctx context.Context, endpoint string) error {
	return ch.simple(ctx, "redirect", http.MethodPost, "redirect", map[string]string{"endpoint": endpoint})
}

// DTMFOptions times a DTMF string; zero values are Asterisk's defaults.
type DTMFOptions struct {
	Before, Between, Duration, After time.Duration
}

func ms(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// SendDTMF sends DTMF digits (0-9*#A-D, ',' for a pause) to the channel.
func (ch Channel) SendDTMF(ctx context.Context, dtmf string, o DTMFOptions) error {
	return ch.simple(ctx, "send DTMF to", http.MethodPost, "dtmf", map[string]string{
		"dtmf": dtmf, "before": ms(o.Before), "between": ms(o.Between), "duration": ms(o.Duration), "after": ms(o.After),
	})
}

// Direction of audio for Mute and Snoop: in (from the channel), out (to it), both.
type Direction string

// Directions.
const (
	DirectionIn   Direction = "in"
	DirectionOut  Direction = "out"
	DirectionBoth Direction = "both"
	DirectionNone Direction = "none"
)

// Mute mutes audio in the given direction (empty: both).
func (ch Channel) Mute(ctx context.Context, dir Direction) error {
	return ch.simple(ctx, "mute", http.MethodPost, "mute", map[string]string{"direction": string(dir)})
}

// Unmute unmutes audio in the given direction (empty: both).
func (ch Channel) Unmute(ctx context.Context, dir Direction) error {
	return ch.simple(ctx, "unmute", http.MethodDelete, "mute", map[string]string{"direction": string(dir)})
}

// Hold puts the channel on hold (the far end hears what its bridge's holding rules give).
func (ch Channel) Hold(ctx context.Context) error {
	return ch.simple(ctx, "hold", http.MethodPost, "hold", nil)
}

// Unhold takes the channel off hold.
func (ch Channel) Unhold(ctx context.Context) error {
	return ch.simple(ctx, "unhold", http.MethodDelete, "hold", nil)
}

// StartMOH plays music on hold to the channel (class empty: default).
func (ch Channel) StartMOH(ctx context.Context, class string) error {
	return ch.simple1(ctx, "start MOH on", http.MethodPost, "moh", "mohClass", class)
}

// StopMOH stops music on hold.
func (ch Channel) StopMOH(ctx context.Context) error {
	return ch.simple1(ctx, "stop MOH on", http.MethodDelete, "moh", "", "")
}

// StartSilence plays silence to the channel.
func (ch Channel) StartSilence(ctx context.Context) error {
	return ch.simple(ctx, "start silence on", http.MethodPost, "silence", nil)
}

// StopSilence stops playing silence.
func (ch Channel) StopSilence(ctx context.Context) error {
	return ch.simple(ctx, "stop silence on", http.MethodDelete, "silence", nil)
}

// PlayRequest is what to play. Media is one or more URIs (sound:, recording:, number:, digits:,
// characters:, tone:), played in order.
type PlayRequest struct {
	Media      []string
	PlaybackID string // our id for the playback; empty: Asterisk chooses
	Lang       string
	Offset     time.Duration // where to start
	Skip       time.Duration // step of forward/reverse control (default 3 s)
}

func (p PlayRequest) params() string {
	var q params
	q.b = make([]byte, 0, 128)
	for _, m := range p.Media {
		q.add("media", m)
	}
	q.add("lang", p.Lang).add("offsetms", ms(p.Offset)).add("skipms", ms(p.Skip))
	return q.String()
}

// Play starts playing media to the channel; PlaybackFinished tells when it ends.
func (ch Channel) Play(ctx context.Context, p PlayRequest) (*ariv6.PlaybackData, error) {
	var out ariv6.PlaybackData
	if err := ch.play(ctx, p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PlayDiscard is Play for a caller that chose the playback's id (p.PlaybackID) and needs nothing
// else of Asterisk's answer: the playback it describes is not decoded.
func (ch Channel) PlayDiscard(ctx context.Context, p PlayRequest) error {
	return ch.play(ctx, p, nil)
}

func (ch Channel) play(ctx context.Context, p PlayRequest, out any) error {
	path := ch.path("play")
	if p.PlaybackID != "" {
		path += pathf("/%s", p.PlaybackID)
	}
	return ch.c.do(ctx, request{op: ch.op("play " + strings.Join(p.Media, ",") + " to"), method: http.MethodPost, path: path, rawQuery: p.params()}, out)
}

// RecordRequest describes a live recording. Name and Format are required.
type RecordRequest struct {
	Name        string // stored recording name (no "/": ids are escaped as one path segment)
	Format      string // e.g. wav
	MaxDuration time.Duration
	MaxSilence  time.Duration
	IfExists    string // fail (default), overwrite, append
	Beep        bool
	TerminateOn string // DTMF that stops it: none (default), any, *, #
}

func (r RecordRequest) query() map[string][]string {
	q := fromMap(map[string]string{"name": r.Name, "format": r.Format, "ifExists": r.IfExists, "terminateOn": r.TerminateOn})
	if r.MaxDuration > 0 {
		q["maxDurationSeconds"] = []string{strconv.Itoa(int(r.MaxDuration / time.Second))}
	}
	if r.MaxSilence > 0 {
		q["maxSilenceSeconds"] = []string{strconv.Itoa(int(r.MaxSilence / time.Second))}
	}
	if r.Beep {
		q["beep"] = []string{"true"}
	}
	return q
}

// Record starts recording the channel; RecordingFinished tells when the file is stored.
func (ch Channel) Record(ctx context.Context, r RecordRequest) (*ariv6.LiveRecordingData, error) {
	var out ariv6.LiveRecordingData
	if err := ch.c.do(ctx, request{op: ch.op("record " + r.Name + " from"), method: http.MethodPost, path: ch.path("record"), query: r.query()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Variable returns the value of a channel variable or dialplan function (e.g. CALLERID(num)).
func (ch Channel) Variable(ctx context.Context, name string) (string, error) {
	var out struct {
		Value string `json:"value"`
	}
	if err := ch.c.do(ctx, request{op: ch.op("get variable " + name + " of"), method: http.MethodGet, path: ch.path("variable"), query: fromMap(map[string]string{"variable": name})}, &out); err != nil {
		return "", err
	}
	return out.Value, nil
}

// SetVariable sets a channel variable or dialplan function, e.g.
// PJSIP_TRANSFER_HANDLING()=ari-only.
func (ch Channel) SetVariable(ctx context.Context, name, value string) error {
	return ch.c.do(ctx, request{op: ch.op("set variable " + name + " on"), method: http.MethodPost, path: ch.path("variable"),
		query: map[string][]string{"variable": {name}, "value": {value}}}, nil)
}

// SnoopRequest: a snoop channel that spies on and/or whispers to the channel (supervisor
// listening, coaching).
type SnoopRequest struct {
	App     string // required: the snoop channel enters this application
	AppArgs string
	Spy     Direction // audio to hear (default none)
	Whisper Direction // audio to inject (default none)
	SnoopID string    // our id for the snoop channel
}

// Snoop creates a snoop channel on the channel.
func (ch Channel) Snoop(ctx context.Context, r SnoopRequest) (*ariv6.ChannelData, error) {
	path := ch.path("snoop")
	if r.SnoopID != "" {
		path += pathf("/%s", r.SnoopID)
	}
	var out ariv6.ChannelData
	q := fromMap(map[string]string{"app": r.App, "appArgs": r.AppArgs, "spy": string(r.Spy), "whisper": string(r.Whisper)})
	if err := ch.c.do(ctx, request{op: ch.op("snoop on"), method: http.MethodPost, path: path, query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Dial dials a channel made by Create. caller is the channel it is dialled for (its answer
// propagates); timeout zero means no limit.
func (ch Channel) Dial(ctx context.Context, caller string, timeout time.Duration) error {
	q := map[string]string{"caller": caller}
	if timeout > 0 {
		q["timeout"] = strconv.Itoa(int((timeout + time.Second - 1) / time.Second))
	}
	return ch.simple(ctx, "dial", http.MethodPost, "dial", q)
}

// TransferState is what Channel.TransferProgress reports to the transferer (as SIP NOTIFY sipfrag).
type TransferState string

// Transfer states Asterisk 22 accepts.
const (
	TransferChannelProgress    TransferState = "channel_progress"
	TransferChannelAnswered    TransferState = "channel_answered"
	TransferChannelUnavailable TransferState = "channel_unavailable"
	TransferChannelDeclined    TransferState = "channel_declined"
)

// TransferProgress reports the progress of an ari-only transfer (after a ChannelTransfer event) to
// the channel that sent the REFER. ari/v6 lacks it.
func (ch Channel) TransferProgress(ctx context.Context, state TransferState) error {
	return ch.simple(ctx, "report transfer progress "+string(state)+" on", http.MethodPost, "transfer_progress", map[string]string{"states": string(state)})
}
