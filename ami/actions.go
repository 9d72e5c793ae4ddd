package ami

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrOriginateFailed is wrapped by Originate when the OriginateResponse says Failure.
var ErrOriginateFailed = errors.New("ami: originate failed")

// Ping checks that Asterisk answers on this connection.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.Action(ctx, NewAction("Ping"))
	return err
}

// Endpoint is one item of PJSIPShowEndpoints.
type Endpoint struct {
	Name           string // ObjectName, e.g. "1001"
	Transport      string
	Aor            string
	Auths          string
	OutboundAuths  string
	Contacts       string
	DeviceState    string // e.g. "Unavailable", "Not in use"
	ActiveChannels int
}

// PJSIPShowEndpoints lists the PJSIP endpoints.
func (c *Client) PJSIPShowEndpoints(ctx context.Context) ([]Endpoint, error) {
	l, err := c.List(ctx, NewAction("PJSIPShowEndpoints"))
	if isEmptyList(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]Endpoint, 0, len(l.Items))
	for _, m := range l.Items {
		out = append(out, Endpoint{
			Name: m.Field("ObjectName"), Transport: m.Field("Transport"), Aor: m.Field("Aor"),
			Auths: m.Field("Auths"), OutboundAuths: m.Field("OutboundAuths"), Contacts: m.Field("Contacts"),
			DeviceState: m.Field("DeviceState"), ActiveChannels: atoi(m.Field("ActiveChannels")),
		})
	}
	return out, nil
}

// Contact is one item of PJSIPShowContacts (a registered or static contact).
type Contact struct {
	Name          string // ObjectName: aor;@hash
	Aor           string // the part of Name before ";@" (ContactList has no AOR header)
	Endpoint      string
	URI           string
	Status        string // Reachable, Unreachable, NonQualified, ...
	RoundtripUsec string
	UserAgent     string
	ViaAddr       string
	ViaPort       string
	CallID        string
	RegExpire     string // ExpirationTime, Unix seconds
}

// PJSIPShowContacts lists the PJSIP contacts; none registered is an empty list, not an error.
func (c *Client) PJSIPShowContacts(ctx context.Context) ([]Contact, error) {
	l, err := c.List(ctx, NewAction("PJSIPShowContacts"))
	if isEmptyList(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]Contact, 0, len(l.Items))
	for _, m := range l.Items {
		name := m.Field("ObjectName")
		aor, _, _ := strings.Cut(name, ";@")
		out = append(out, Contact{
			Name: name, Aor: aor, Endpoint: m.Field("Endpoint"),
			URI: m.Field("Uri"), Status: m.Field("Status"), RoundtripUsec: m.Field("RoundtripUsec"),
			UserAgent: m.Field("UserAgent"), ViaAddr: m.Field("ViaAddr"), ViaPort: m.Field("ViaPort"),
			CallID: m.Field("CallId"), RegExpire: m.Field("ExpirationTime"),
		})
	}
	return out, nil
}

// isEmptyList: PJSIP's list actions answer an empty list with "Response: Error" and a message
// such as "No endpoints found" / "No Contacts found" rather than with zero items.
func isEmptyList(err error) bool {
	var ae *ActionError
	return errors.As(err, &ae) && strings.HasPrefix(strings.ToLower(ae.Message), "no ") &&
		strings.HasSuffix(strings.ToLower(ae.Message), " found")
}

// DeviceState is one item of DeviceStateList.
type DeviceState = DeviceStateChange

// DeviceStateList lists every device's state (PJSIP/1001, Queue:..., Local/...).
func (c *Client) DeviceStateList(ctx context.Context) ([]DeviceState, error) {
	l, err := c.List(ctx, NewAction("DeviceStateList"))
	if err != nil {
		return nil, err
	}
	out := make([]DeviceState, 0, len(l.Items))
	for _, m := range l.Items {
		out = append(out, DeviceState{Device: m.Field("Device"), State: m.Field("State")})
	}
	return out, nil
}

// ChannelInfo is one item of CoreShowChannels.
type ChannelInfo struct {
	Channel
	BridgeID        string
	Application     string
	ApplicationData string
	Duration        string // HH:MM:SS
}

// CoreShowChannels lists the live channels.
func (c *Client) CoreShowChannels(ctx context.Context) ([]ChannelInfo, error) {
	l, err := c.List(ctx, NewAction("CoreShowChannels"))
	if err != nil {
		return nil, err
	}
	out := make([]ChannelInfo, 0, len(l.Items))
	for _, m := range l.Items {
		ch, _ := decodeChannel(m, "")
		out = append(out, ChannelInfo{
			Channel: ch, BridgeID: m.Field("BridgeId"), Application: m.Field("Application"),
			ApplicationData: m.Field("ApplicationData"), Duration: m.Field("Duration"),
		})
	}
	return out, nil
}

// Originate asks Asterisk to create a channel and connect it to a dialplan extension
// (Context/Exten/Priority) or to an application (Application/Data).
type Originate struct {
	Channel     string // e.g. "PJSIP/1001" or "Local/*43@hotline-operators"
	Context     string
	Exten       string
	Priority    int // default 1 when Exten is set
	Application string
	Data        string
	Timeout     time.Duration // how long to wait for an answer; default (0) 30s
	CallerID    string        // "Name <number>"
	Account     string
	Codecs      string
	ChannelID   string // Uniqueid for the new channel (hotline's own id)
	OtherID     string // Uniqueid of the ;2 half of a Local channel
	Variables   map[string]string
}

func (o Originate) message() *Message {
	m := NewAction("Originate", "Channel", o.Channel)
	add := func(k, v string) {
		if v != "" {
			m.AddField(k, v)
		}
	}
	add("Context", o.Context)
	add("Exten", o.Exten)
	if o.Exten != "" || o.Priority != 0 {
		add("Priority", strconv.Itoa(max(o.Priority, 1)))
	}
	add("Application", o.Application)
	add("Data", o.Data)
	add("Timeout", strconv.FormatInt(o.timeout().Milliseconds(), 10))
	add("CallerID", o.CallerID)
	add("Account", o.Account)
	add("Codecs", o.Codecs)
	add("ChannelId", o.ChannelID)
	add("OtherChannelId", o.OtherID)
	for _, k := range slices.Sorted(maps.Keys(o.Variables)) {
		m.AddField("Variable", k+"="+o.Variables[k])
	}
	// Async: Asterisk answers at once and reports the outcome in an OriginateResponse event, so
	// that a ringing phone does not hold up the actions behind it on this connection.
	m.AddField("Async", "true")
	return m
}

func (o Originate) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 30 * time.Second
	}
	return o.Timeout
}

// Originate originates asynchronously and waits for the matching OriginateResponse event (when
// the channel answered or failed). The error wraps ErrOriginateFailed when the response says
// Failure; the response is returned then too. If ctx has no deadline, the wait is bounded by
// o.Timeout plus Config.ActionTimeout. Run it in its own goroutine to do something meanwhile.
func (c *Client) Originate(ctx context.Context, o Originate) (*OriginateResponse, error) {
	if o.Channel == "" || (o.Exten == "" && o.Application == "") {
		return nil, errors.New("ami: Originate: need Channel and either Exten or Application")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout()+c.cfg.ActionTimeout)
		defer cancel()
	}
	_, ev, err := c.ActionEvent(ctx, o.message(), "OriginateResponse")
	if err != nil {
		return nil, err
	}
	r := decodeOriginateResponse(ev)
	if !strings.EqualFold(r.Response, "Success") {
		return r, fmt.Errorf("ami: Originate %s: %w: reason %d", o.Channel, ErrOriginateFailed, r.Reason)
	}
	return r, nil
}

// Redirect moves a channel (and optionally a second one, e.g. the other party of a bridge) to
// a dialplan location.
type Redirect struct {
	Channel       string
	Context       string
	Exten         string
	Priority      int // default 1
	ExtraChannel  string
	ExtraContext  string
	ExtraExten    string
	ExtraPriority int // default 1 when ExtraChannel is set
}

// Redirect sends a channel (and ExtraChannel) to another extension.
func (c *Client) Redirect(ctx context.Context, r Redirect) error {
	m := NewAction("Redirect", "Channel", r.Channel, "Context", r.Context, "Exten", r.Exten,
		"Priority", strconv.Itoa(max(r.Priority, 1)))
	if r.ExtraChannel != "" {
		m.AddField("ExtraChannel", r.ExtraChannel)
		m.AddField("ExtraContext", cmp(r.ExtraContext, r.Context))
		m.AddField("ExtraExten", cmp(r.ExtraExten, r.Exten))
		m.AddField("ExtraPriority", strconv.Itoa(max(r.ExtraPriority, 1)))
	}
	_, err := c.Action(ctx, m)
	return err
}

// cmp returns the first non-empty string.
func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// BlindTransfer transfers channel's peer to exten@context (the BlindTransfer action; a
// BlindTransfer event follows).
func (c *Client) BlindTransfer(ctx context.Context, channel, dpContext, exten string) error {
	_, err := c.Action(ctx, NewAction("BlindTransfer", "Channel", channel, "Context", dpContext, "Exten", exten))
	return err
}

// Atxfer starts an attended transfer on channel to exten@context, as the DTMF feature does.
func (c *Client) Atxfer(ctx context.Context, channel, dpContext, exten string) error {
	m := NewAction("Atxfer", "Channel", channel, "Exten", exten)
	if dpContext != "" {
		m.AddField("Context", dpContext)
	}
	_, err := c.Action(ctx, m)
	return err
}

// Hangup hangs channel up with a Q.850 cause (0: Asterisk's default, normal clearing). Note
// that Asterisk reads a channel written /like this/ as a regular expression.
func (c *Client) Hangup(ctx context.Context, channel string, cause int) error {
	m := NewAction("Hangup", "Channel", channel)
	if cause > 0 {
		m.AddField("Cause", strconv.Itoa(cause))
	}
	_, err := c.Action(ctx, m)
	return err
}

// Command runs a CLI command and returns its output, lines joined by "\n".
func (c *Client) Command(ctx context.Context, command string) (string, error) {
	resp, err := c.Action(ctx, NewAction("Command", "Command", command))
	if err != nil {
		return "", err
	}
	// Asterisk 14+ sends one "Output:" header per line; older ones sent raw lines, which the
	// lenient parser keeps as headers without a name.
	var b strings.Builder
	for _, h := range resp.Headers() {
		if strings.EqualFold(h.Name, "Output") || h.Name == "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(h.Value)
		}
	}
	return b.String(), nil
}

// Reload reloads module (e.g. "res_pjsip.so"), or everything when module is empty.
func (c *Client) Reload(ctx context.Context, module string) error {
	m := NewAction("Reload")
	if module != "" {
		m.AddField("Module", module)
	}
	_, err := c.Action(ctx, m)
	return err
}

// MixMonitor starts recording channel (a name or a unique id) to file, both directions mixed, and
// returns the MixMonitor's id. A relative file is in Asterisk's monitor directory; the file's
// extension is its format. Options are MixMonitor's (e.g. "b": only while bridged).
func (c *Client) MixMonitor(ctx context.Context, channel, file, options string) (string, error) {
	m := NewAction("MixMonitor", "Channel", channel, "File", file)
	if options != "" {
		m.AddField("Options", options)
	}
	resp, err := c.Action(ctx, m)
	if err != nil {
		return "", err
	}
	return resp.Field("MixMonitorID"), nil
}

// StopMixMonitor stops the MixMonitor id on channel, or, with id empty, the channel's MixMonitor.
// The file is closed and kept.
func (c *Client) StopMixMonitor(ctx context.Context, channel, id string) error {
	m := NewAction("StopMixMonitor", "Channel", channel)
	if id != "" {
		m.AddField("MixMonitorID", id)
	}
	_, err := c.Action(ctx, m)
	return err
}
