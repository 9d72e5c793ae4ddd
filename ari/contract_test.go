package ari_test

// The contract test reads the running Asterisk's own ARI description (/ari/api-docs/*.json) and
// checks hotline against it: every request this package can send names a route, method and
// parameters Asterisk has, and every event type Asterisk documents decodes to a typed event.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

type specParam struct {
	Name      string `json:"name"`
	ParamType string `json:"paramType"`
}

type specOp struct {
	HTTPMethod string      `json:"httpMethod"`
	Nickname   string      `json:"nickname"`
	Parameters []specParam `json:"parameters"`
}

type specModel struct {
	ID         string   `json:"id"`
	SubTypes   []string `json:"subTypes"`
	Properties map[string]struct {
		Type            string `json:"type"`
		Required        bool   `json:"required"`
		AllowableValues struct {
			Values []string `json:"values"`
		} `json:"allowableValues"`
	} `json:"properties"`
}

type spec struct {
	routes []specRoute
	models map[string]specModel
}

type specRoute struct {
	path string // e.g. /channels/{channelId}/play
	op   specOp
}

// loadSpec fetches resources.json and every API it lists from the sandbox.
func loadSpec(t *testing.T, sb sandbox.Config) spec {
	t.Helper()
	get := func(path string, v any) {
		t.Helper()
		ctx := ctxT(t, 10*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, sb.ARIURL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(sb.ARIUser, sb.ARIPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("fetch spec %s: %v", path, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("fetch spec %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("decode spec %s: %v", path, err)
		}
	}
	var resources struct {
		APIs []struct {
			Path string `json:"path"`
		} `json:"apis"`
	}
	get("/api-docs/resources.json", &resources)
	s := spec{models: map[string]specModel{}}
	for _, a := range resources.APIs {
		var doc struct {
			APIs []struct {
				Path       string   `json:"path"`
				Operations []specOp `json:"operations"`
			} `json:"apis"`
			Models map[string]specModel `json:"models"`
		}
		get(strings.Replace(a.Path, "{format}", "json", 1), &doc)
		for _, api := range doc.APIs {
			for _, op := range api.Operations {
				s.routes = append(s.routes, specRoute{path: api.Path, op: op})
			}
		}
		for id, m := range doc.Models {
			s.models[id] = m
		}
	}
	if len(s.routes) < 50 || len(s.models["Event"].SubTypes) < 40 {
		t.Fatalf("spec looks truncated: %d routes, %d event types", len(s.routes), len(s.models["Event"].SubTypes))
	}
	return s
}

// match finds the route for a concrete path ({param} matches one segment).
func (s spec) match(method, path string) (specRoute, bool) {
	segs := strings.Split(path, "/")
	for _, r := range s.routes {
		if r.op.HTTPMethod != method {
			continue
		}
		tsegs := strings.Split(r.path, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		ok := true
		for i := range tsegs {
			if !strings.HasPrefix(tsegs[i], "{") && tsegs[i] != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return r, true
		}
	}
	return specRoute{}, false
}

// recorder is an http.RoundTripper that records requests and answers 204.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path string
	query        []string
	body         []string // top-level JSON keys
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := recorded{method: req.Method, path: strings.TrimPrefix(req.URL.EscapedPath(), "/ari")}
	for k := range req.URL.Query() {
		rec.query = append(rec.query, k)
	}
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		var m map[string]json.RawMessage
		if len(b) > 0 {
			if err := json.Unmarshal(b, &m); err != nil {
				rec.body = append(rec.body, "<not a JSON object>")
			}
		}
		for k := range m {
			rec.body = append(rec.body, k)
		}
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return &http.Response{StatusCode: http.StatusNoContent, Body: io.NopCloser(bytes.NewReader(nil)), Header: http.Header{}, Request: req}, nil
}

// operations calls every REST operation of the package with every optional parameter set; the
// keys are the methods' names, so TestContract can tell when a new one is missing here.
func operations(c *ari.Conn) map[string]func(context.Context) {
	ch, br := c.Channel("c1"), c.Bridge("b1")
	vars := map[string]string{"X": "1"}
	play := ari.PlayRequest{Media: []string{"sound:a", "sound:b"}, PlaybackID: "p1", Lang: "en", Offset: time.Second, Skip: time.Second}
	rec := ari.RecordRequest{Name: "r", Format: "wav", MaxDuration: time.Minute, MaxSilence: time.Second, IfExists: "overwrite", Beep: true, TerminateOn: "#"}
	orig := ari.OriginateRequest{Endpoint: "PJSIP/1001", ChannelID: "c1", OtherChannelID: "c2", App: "a", AppArgs: "x",
		Context: "ctx", Extension: "100", Priority: 1, Label: "l", CallerID: "1", Timeout: time.Second, Originator: "c0", Formats: "ulaw", Variables: vars}
	noID := orig
	noID.ChannelID = ""
	return map[string]func(context.Context){
		"Conn.Originate":        func(ctx context.Context) { c.Originate(ctx, orig); c.Originate(ctx, noID) },
		"Conn.OriginateDiscard": func(ctx context.Context) { c.OriginateDiscard(ctx, orig) },
		"Conn.Create": func(ctx context.Context) {
			c.Create(ctx, ari.CreateRequest{Endpoint: "PJSIP/1001", App: "a", AppArgs: "x", ChannelID: "c1", OtherChannelID: "c2", Originator: "c0", Formats: "ulaw", Variables: vars})
		},
		"Conn.Channels":      func(ctx context.Context) { c.Channels(ctx) },
		"Channel.Data":       func(ctx context.Context) { ch.Data(ctx) },
		"Channel.Hangup":     func(ctx context.Context) { ch.Hangup(ctx, ari.HangupBusy) },
		"Channel.HangupCode": func(ctx context.Context) { ch.HangupCode(ctx, 17) },
		"Channel.Answer":     func(ctx context.Context) { ch.Answer(ctx) },
		"Channel.Ring":       func(ctx context.Context) { ch.Ring(ctx) },
		"Channel.StopRing":   func(ctx context.Context) { ch.StopRing(ctx) },
		"Channel.Progress":   func(ctx context.Context) { ch.Progress(ctx) },
		"Channel.Continue":   func(ctx context.Context) { ch.Continue(ctx, "ctx", "100", 1, "l") },
		"Channel.Move":       func(ctx context.Context) { ch.Move(ctx, "a", "x") },
		"Channel.Redirect":   func(ctx context.Context) { ch.Redirect(ctx, "PJSIP/1002") },
		"Channel.SendDTMF": func(ctx context.Context) {
			ch.SendDTMF(ctx, "12#", ari.DTMFOptions{Before: 1, Between: 1, Duration: 1, After: 1})
		},
		"Channel.Mute":         func(ctx context.Context) { ch.Mute(ctx, ari.DirectionIn) },
		"Channel.Unmute":       func(ctx context.Context) { ch.Unmute(ctx, ari.DirectionIn) },
		"Channel.Hold":         func(ctx context.Context) { ch.Hold(ctx) },
		"Channel.Unhold":       func(ctx context.Context) { ch.Unhold(ctx) },
		"Channel.StartMOH":     func(ctx context.Context) { ch.StartMOH(ctx, "default") },
		"Channel.StopMOH":      func(ctx context.Context) { ch.StopMOH(ctx) },
		"Channel.StartSilence": func(ctx context.Context) { ch.StartSilence(ctx) },
		"Channel.StopSilence":  func(ctx context.Context) { ch.StopSilence(ctx) },
		"Channel.Play": func(ctx context.Context) {
			ch.Play(ctx, play)
			play2 := play
			play2.PlaybackID = ""
			ch.Play(ctx, play2)
		},
		"Channel.PlayDiscard": func(ctx context.Context) { ch.PlayDiscard(ctx, play) },
		"Channel.Record":      func(ctx context.Context) { ch.Record(ctx, rec) },
		"Channel.Variable":    func(ctx context.Context) { ch.Variable(ctx, "X") },
		"Channel.SetVariable": func(ctx context.Context) { ch.SetVariable(ctx, "X", "1") },
		"Channel.Snoop": func(ctx context.Context) {
			ch.Snoop(ctx, ari.SnoopRequest{App: "a", AppArgs: "x", Spy: ari.DirectionBoth, Whisper: ari.DirectionOut, SnoopID: "s1"})
			ch.Snoop(ctx, ari.SnoopRequest{App: "a"})
		},
		"Channel.Dial":             func(ctx context.Context) { ch.Dial(ctx, "c0", time.Second) },
		"Channel.TransferProgress": func(ctx context.Context) { ch.TransferProgress(ctx, ari.TransferChannelAnswered) },
		"Conn.CreateBridge": func(ctx context.Context) {
			c.CreateBridge(ctx, "b1", ari.BridgeMixing, "n")
			c.CreateBridge(ctx, "", ari.BridgeHolding, "n")
		},
		"Conn.CreateBridgeDiscard": func(ctx context.Context) { c.CreateBridgeDiscard(ctx, "b1", ari.BridgeMixing, "n") },
		"Conn.Bridges":             func(ctx context.Context) { c.Bridges(ctx) },
		"Bridge.Data":              func(ctx context.Context) { br.Data(ctx) },
		"Bridge.Destroy":           func(ctx context.Context) { br.Destroy(ctx) },
		"Bridge.AddChannel": func(ctx context.Context) {
			br.AddChannel(ctx, ari.AddChannelOptions{Role: "r", AbsorbDTMF: true, Mute: true, InhibitConnectedLineUpdates: true}, "c1", "c2")
		},
		"Bridge.RemoveChannel":         func(ctx context.Context) { br.RemoveChannel(ctx, "c1") },
		"Bridge.StartMOH":              func(ctx context.Context) { br.StartMOH(ctx, "default") },
		"Bridge.StopMOH":               func(ctx context.Context) { br.StopMOH(ctx) },
		"Bridge.Play":                  func(ctx context.Context) { br.Play(ctx, play) },
		"Bridge.Record":                func(ctx context.Context) { br.Record(ctx, rec) },
		"Conn.Playback":                func(ctx context.Context) { c.Playback(ctx, "p1") },
		"Conn.StopPlayback":            func(ctx context.Context) { c.StopPlayback(ctx, "p1") },
		"Conn.ControlPlayback":         func(ctx context.Context) { c.ControlPlayback(ctx, "p1", ari.PlaybackPause) },
		"Conn.LiveRecording":           func(ctx context.Context) { c.LiveRecording(ctx, "r") },
		"Conn.StopRecording":           func(ctx context.Context) { c.StopRecording(ctx, "r") },
		"Conn.CancelRecording":         func(ctx context.Context) { c.CancelRecording(ctx, "r") },
		"Conn.PauseRecording":          func(ctx context.Context) { c.PauseRecording(ctx, "r") },
		"Conn.UnpauseRecording":        func(ctx context.Context) { c.UnpauseRecording(ctx, "r") },
		"Conn.MuteRecording":           func(ctx context.Context) { c.MuteRecording(ctx, "r") },
		"Conn.UnmuteRecording":         func(ctx context.Context) { c.UnmuteRecording(ctx, "r") },
		"Conn.StoredRecordings":        func(ctx context.Context) { c.StoredRecordings(ctx) },
		"Conn.StoredRecording":         func(ctx context.Context) { c.StoredRecording(ctx, "r") },
		"Conn.DeleteStoredRecording":   func(ctx context.Context) { c.DeleteStoredRecording(ctx, "r") },
		"Conn.CopyStoredRecording":     func(ctx context.Context) { c.CopyStoredRecording(ctx, "r", "r2") },
		"Conn.DownloadStoredRecording": func(ctx context.Context) { c.DownloadStoredRecording(ctx, "r", io.Discard) },
		"Conn.Endpoints":               func(ctx context.Context) { c.Endpoints(ctx, ""); c.Endpoints(ctx, "PJSIP") },
		"Conn.Endpoint":                func(ctx context.Context) { c.Endpoint(ctx, "PJSIP", "1001") },
		"Conn.DeviceStates":            func(ctx context.Context) { c.DeviceStates(ctx) },
		"Conn.DeviceState":             func(ctx context.Context) { c.DeviceState(ctx, "Stasis:x") },
		"Conn.SetDeviceState":          func(ctx context.Context) { c.SetDeviceState(ctx, "Stasis:x", ari.DeviceBusy) },
		"Conn.DeleteDeviceState":       func(ctx context.Context) { c.DeleteDeviceState(ctx, "Stasis:x") },
		"Conn.Applications":            func(ctx context.Context) { c.Applications(ctx) },
		"Conn.ApplicationData":         func(ctx context.Context) { c.ApplicationData(ctx) },
		"Conn.Subscribe":               func(ctx context.Context) { c.Subscribe(ctx, "endpoint:PJSIP/1001") },
		"Conn.EnsureSubscribed":        func(ctx context.Context) { c.EnsureSubscribed(ctx, "deviceState:Stasis:x") },
		"Conn.Unsubscribe":             func(ctx context.Context) { c.Unsubscribe(ctx, "deviceState:Stasis:x") },
		"Conn.SetEventFilter":          func(ctx context.Context) { c.SetEventFilter(ctx, []string{"StasisStart"}) },
		"Conn.Info":                    func(ctx context.Context) { c.Info(ctx) },
		"Conn.Ping":                    func(ctx context.Context) { c.Ping(ctx) },
		"Conn.GlobalVariable":          func(ctx context.Context) { c.GlobalVariable(ctx, "HOTLINE_APP") },
		"Conn.SetGlobalVariable":       func(ctx context.Context) { c.SetGlobalVariable(ctx, "HOTLINE_CONTRACT", "x") },
		"Conn.Claim":                   func(ctx context.Context) { c.Claim(ctx, "c1") },
		"Conn.UserEvent":               func(ctx context.Context) { c.UserEvent(ctx, "e", []string{"channel:c1"}, vars) },
		"Conn.PutConfig": func(ctx context.Context) {
			c.PutConfig(ctx, "res_pjsip", "auth", "9001", []ari.ConfigField{{Attribute: "password", Value: "x"}})
		},
		"Conn.DeleteConfig": func(ctx context.Context) { c.DeleteConfig(ctx, "res_pjsip", "auth", "9001") },
	}
}

// restMethods lists the methods of *Conn, Channel and Bridge that take a context first: the REST
// operations (Run is the event loop, not REST).
func restMethods() []string {
	ctxType := reflect.TypeFor[context.Context]()
	var names []string
	for prefix, typ := range map[string]reflect.Type{
		"Conn": reflect.TypeFor[*ari.Conn](), "Channel": reflect.TypeFor[ari.Channel](), "Bridge": reflect.TypeFor[ari.Bridge](),
	} {
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			if m.Name != "Run" && m.Type.NumIn() > 1 && m.Type.In(1) == ctxType {
				names = append(names, prefix+"."+m.Name)
			}
		}
	}
	sort.Strings(names)
	return names
}

func TestContractRoutes(t *testing.T) {
	sb := sandbox.Require(t)
	s := loadSpec(t, sb)
	rt := &recorder{}
	c, err := ari.New(ari.Config{URL: sb.ARIURL, Username: "u", Password: "p", Application: "app", HTTPClient: &http.Client{Transport: rt}})
	if err != nil {
		t.Fatal(err)
	}
	ops := operations(c)
	for _, name := range restMethods() {
		if _, ok := ops[name]; !ok {
			t.Errorf("%s is not exercised by the contract test: add it to operations()", name)
		}
	}
	for name, call := range ops {
		rt.mu.Lock()
		from := len(rt.reqs)
		rt.mu.Unlock()
		call(context.Background())
		rt.mu.Lock()
		reqs := append([]recorded(nil), rt.reqs[from:]...)
		rt.mu.Unlock()
		if len(reqs) == 0 {
			t.Errorf("%s sent no request", name)
		}
		for _, r := range reqs {
			route, ok := s.match(r.method, r.path)
			if !ok {
				t.Errorf("%s: %s %s: no such route in Asterisk's ARI", name, r.method, r.path)
				continue
			}
			params := map[string]string{}
			for _, p := range route.op.Parameters {
				params[p.Name] = p.ParamType
			}
			for _, q := range r.query {
				if params[q] != "query" {
					t.Errorf("%s: %s %s (%s): no query parameter %q in Asterisk's ARI", name, r.method, route.path, route.op.Nickname, q)
				}
			}
			for _, b := range r.body {
				// The event filter's body is the "filter" parameter itself (see SetEventFilter).
				if route.path == "/applications/{applicationName}/eventFilter" && params["filter"] == "body" &&
					(b == "allowed" || b == "disallowed") {
					continue
				}
				if params[b] != "body" {
					t.Errorf("%s: %s %s (%s): no body parameter %q in Asterisk's ARI", name, r.method, route.path, route.op.Nickname, b)
				}
			}
		}
	}
	// The event websocket: GET /events?app=...&subscribeAll=...
	ev, ok := s.match(http.MethodGet, "/events")
	if !ok {
		t.Fatal("no GET /events in Asterisk's ARI")
	}
	have := map[string]bool{}
	for _, p := range ev.op.Parameters {
		have[p.Name] = true
	}
	if !have["app"] || !have["subscribeAll"] {
		t.Errorf("GET /events parameters %v: want app and subscribeAll", ev.op.Parameters)
	}
}

func TestContractEvents(t *testing.T) {
	sb := sandbox.Require(t)
	s := loadSpec(t, sb)
	inSpec := map[string]bool{}
	for _, typ := range s.models["Event"].SubTypes {
		inSpec[typ] = true
		t.Run(typ, func(t *testing.T) {
			if _, ok := s.models[typ]; !ok {
				t.Fatalf("event %s has no model", typ)
			}
			sample := s.sample(typ, 0)
			sample["type"] = typ
			data, err := json.Marshal(sample)
			if err != nil {
				t.Fatal(err)
			}
			ev := ari.Decode(data)
			if u, ok := ev.(*ari.Unknown); ok {
				t.Fatalf("decodes untyped: %v\n%s", u.Err, data)
			}
			if ev.GetType() != typ || ev.GetApplication() != "x" {
				t.Errorf("decoded type %q application %q from %s", ev.GetType(), ev.GetApplication(), data)
			}
		})
	}
	for _, typ := range ari.EventTypes() {
		if !inSpec[typ] {
			t.Errorf("hotline decodes event %q, which this Asterisk does not document", typ)
		}
	}
}

// sample builds a JSON value of a spec type with every property filled in.
func (s spec) sample(typ string, depth int) map[string]any {
	out := map[string]any{}
	if depth > 4 {
		return out
	}
	m := s.models[typ]
	for name, p := range m.Properties {
		if len(p.AllowableValues.Values) > 0 {
			out[name] = p.AllowableValues.Values[0]
			continue
		}
		out[name] = s.value(p.Type, depth)
	}
	// Inherited properties: every event has Event's and Message's.
	if typ != "Event" && typ != "Message" && depth == 0 {
		for k, v := range s.sample("Event", depth+1) {
			out[k] = v
		}
		for k, v := range s.sample("Message", depth+1) {
			out[k] = v
		}
	}
	return out
}

func (s spec) value(typ string, depth int) any {
	switch {
	case typ == "string":
		return "x"
	case typ == "Date":
		return "2026-11-23T12:00:00.000+0000"
	case typ == "int" || typ == "long" || typ == "double":
		return 1
	case typ == "boolean":
		return true
	case typ == "object":
		return map[string]any{"k": "v"}
	case strings.HasPrefix(typ, "List[") && strings.HasSuffix(typ, "]"):
		return []any{s.value(typ[5:len(typ)-1], depth+1)}
	}
	if _, ok := s.models[typ]; ok {
		return s.sample(typ, depth+1)
	}
	return "x"
}
