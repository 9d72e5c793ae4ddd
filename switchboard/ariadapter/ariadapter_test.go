package ariadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/switchboard"
)

// Translate, on events captured from Asterisk 22 by the ari package's tests.
func TestTranslateCaptured(t *testing.T) {
	tests := []struct {
		file string
		want switchboard.Event
	}{
		{"StasisStart", switchboard.StasisStart{Channel: "b-188487365-8", Name: "Local/*43@hotline-operators-00000018;1",
			CallerNumber: "555", CallerName: "Test", Exten: "*43", Entry: switchboard.Inbound{}, Up: true}},
		{"StasisEnd", switchboard.StasisEnd{Channel: "b-188487365-8", At: time.Date(2026, 11, 23, 12, 42, 50, 190e6, time.UTC)}},
		{"ChannelDestroyed", switchboard.ChannelDestroyed{Channel: "b-188487365-8", Cause: 16, At: time.Date(2026, 11, 23, 12, 42, 51, 620e6, time.UTC)}},
		{"ChannelHangupRequest", switchboard.ChannelHangupRequest{Channel: "chan-748454377-2", Cause: 32, Soft: true,
			At: time.Date(2026, 11, 23, 12, 42, 50, 172e6, time.UTC)}},
		{"PlaybackFinished", switchboard.PlaybackFinished{Playback: "pb-194240687-11"}},
		{"ChannelDtmfReceived", switchboard.DTMF{Channel: "b-188487365-8", Digit: "5"}},
		{"RecordingFinished", switchboard.RecordingFinished{Name: "rec-192377222-10"}},
		{"DeviceStateChanged", nil}, // a Local channel's state: not a handset
		{"BridgeCreated", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "ari", "testdata", "events", tt.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := Translate(ari.Decode(data))
			if tt.want == nil {
				if ok {
					t.Errorf("Translate = %#v, want nothing", got)
				}
				return
			}
			if !ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Translate =\n %#v\nwant\n %#v", got, tt.want)
			}
		})
	}
}

func TestTranslateReachability(t *testing.T) {
	tests := []struct {
		ev   ari.Event
		want switchboard.Event
	}{
		{&ariv6.DeviceStateChanged{DeviceState: ariv6.DeviceStateData{Name: "PJSIP/1001", State: "UNAVAILABLE"}},
			switchboard.DeviceState{Extension: "1001", Reachable: false}},
		{&ariv6.DeviceStateChanged{DeviceState: ariv6.DeviceStateData{Name: "PJSIP/1001", State: "NOT_INUSE"}},
			switchboard.DeviceState{Extension: "1001", Reachable: true}},
		{&ariv6.ContactStatusChange{Endpoint: ariv6.EndpointData{Technology: "PJSIP", Resource: "1002"},
			ContactInfo: ariv6.ContactInfo{ContactStatus: "Removed", Uri: "sip:1002@127.0.0.1:5070"}},
			switchboard.DeviceState{Extension: "1002", Reachable: false, Contact: "sip:1002@127.0.0.1:5070", Gone: true}},
		{&ariv6.ContactStatusChange{Endpoint: ariv6.EndpointData{Technology: "PJSIP", Resource: "1002"},
			ContactInfo: ariv6.ContactInfo{ContactStatus: "Reachable"}}, switchboard.DeviceState{Extension: "1002", Reachable: true}},
		{&ariv6.ApplicationReplaced{}, switchboard.Replaced{}},
		{&ariv6.PlaybackFinished{Playback: ariv6.PlaybackData{ID: "p", State: "failed"}}, switchboard.PlaybackFinished{Playback: "p", Failed: true}},
		{&ari.Disconnected{Err: errors.New("eof")}, switchboard.Disconnected{Err: errors.New("eof")}},
	}
	for _, tt := range tests {
		got, ok := Translate(tt.ev)
		if !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Translate(%T) = %#v, want %#v", tt.ev, got, tt.want)
		}
	}
}

// Telephony sends each request as the ARI call Asterisk expects, checked against a fake ARI.
func TestTelephonyRequests(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.Query().Encode())
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/missing/answer") {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "Channel not found"})
			return
		}
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	conn, err := ari.New(ari.Config{URL: srv.URL + "/ari", Username: "hotline", Password: "x", Application: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	tel := Telephony{Conn: conn}
	tests := []struct {
		op   switchboard.Op
		want string
	}{
		{switchboard.Answer{Channel: "c1"}, "POST /ari/channels/c1/answer?"},
		{switchboard.Play{Channel: "c1", Playback: "c1-pb1", Media: []string{"sound:a", "number:3"}, Language: "ru"},
			"POST /ari/channels/c1/play/c1-pb1?lang=ru&media=sound%3Aa&media=number%3A3"},
		{switchboard.StopPlayback{Playback: "c1-pb1"}, "DELETE /ari/playbacks/c1-pb1?"},
		{switchboard.StartMOH{Channel: "c1", Class: "default"}, "POST /ari/channels/c1/moh?mohClass=default"},
		{switchboard.StopMOH{Channel: "c1"}, "DELETE /ari/channels/c1/moh?"},
		{switchboard.Originate{Channel: "c1-op2", Endpoint: "PJSIP/1001", CallerID: "+7900", Timeout: 20 * time.Second,
			Entry: switchboard.Offer{Call: "c1"}, Originator: "c1"},
			"POST /ari/channels/c1-op2?app=hotline&appArgs=offer%2Cc1&callerId=%2B7900&endpoint=PJSIP%2F1001&originator=c1&timeout=20"},
		{switchboard.CreateBridge{Bridge: "c1-bridge"}, "POST /ari/bridges/c1-bridge?name=hotline&type=mixing%2Cdtmf_events"},
		{switchboard.AddToBridge{Bridge: "c1-bridge", Channels: []string{"c1", "c1-op2"}}, "POST /ari/bridges/c1-bridge/addChannel?absorbDTMF=true&channel=c1%2Cc1-op2"},
		// Without a channel recorder the conversation is recorded in its bridge.
		{switchboard.RecordCall{Channel: "c1", Bridge: "c1-bridge", Name: "call-c1", Format: "wav"}, "POST /ari/bridges/c1-bridge/record?format=wav&name=call-c1"},
		{switchboard.RecordChannel{Channel: "c1", Name: "message-c1", Format: "wav", MaxDuration: 2 * time.Minute, TerminateOn: "#"},
			"POST /ari/channels/c1/record?format=wav&maxDurationSeconds=120&name=message-c1&terminateOn=%23"},
		{switchboard.DestroyBridge{Bridge: "c1-bridge"}, "DELETE /ari/bridges/c1-bridge?"},
		{switchboard.Hangup{Channel: "c1", Reason: "normal"}, "DELETE /ari/channels/c1?reason=normal"},
	}
	for _, tt := range tests {
		mu.Lock()
		got = nil
		mu.Unlock()
		if err := tel.Do(context.Background(), tt.op); err != nil {
			t.Errorf("%s: %v", tt.op, err)
			continue
		}
		mu.Lock()
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s sent %v, want %q", tt.op, got, tt.want)
		}
		mu.Unlock()
	}
	err = tel.Do(context.Background(), switchboard.Answer{Channel: "missing"})
	if !errors.Is(err, ari.ErrNotFound) || !strings.Contains(err.Error(), "answer missing") {
		t.Errorf("answering a missing channel: %v, want a wrapped ari.ErrNotFound naming the request", err)
	}
}

// chanRecorder is a ChannelRecorder that notes its requests and answers err.
type chanRecorder struct {
	got []string
	err error
}

func (r *chanRecorder) Record(_ context.Context, channel, name, format string) error {
	r.got = append(r.got, "record "+channel+" "+name+" "+format)
	return r.err
}

func (r *chanRecorder) Stop(_ context.Context, channel, name string) error {
	r.got = append(r.got, "stop "+channel+" "+name)
	return r.err
}

// A conversation is recorded on the caller's channel by the channel recorder, and in the bridge
// only when the recorder could not even ask Asterisk; a refusal is the request's error.
func TestTelephonyRecordCall(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.Method+" "+r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	conn, err := ari.New(ari.Config{URL: srv.URL + "/ari", Username: "hotline", Password: "x", Application: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	refused := errors.New("ami: MixMonitor: No such channel")
	tests := []struct {
		name     string
		err      error // the recorder's answer
		op       switchboard.Op
		recorder []string
		ari      []string
		wantErr  error
	}{
		{"on the channel", nil, switchboard.RecordCall{Channel: "c1", Bridge: "c1-b", Name: "c1-r1", Format: "wav"},
			[]string{"record c1 c1-r1 wav"}, nil, nil},
		{"recorder unavailable: the bridge", fmt.Errorf("%w: no AMI", ErrRecorderUnavailable),
			switchboard.RecordCall{Channel: "c1", Bridge: "c1-b", Name: "c1-r1", Format: "wav"},
			[]string{"record c1 c1-r1 wav"}, []string{"POST /ari/bridges/c1-b/record"}, nil},
		{"refused: no bridge recording", refused, switchboard.RecordCall{Channel: "c1", Bridge: "c1-b", Name: "c1-r1", Format: "wav"},
			[]string{"record c1 c1-r1 wav"}, nil, refused},
		{"stop", nil, switchboard.StopRecording{Channel: "c1", Name: "c1-r1"}, []string{"stop c1 c1-r1"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			sent = nil
			mu.Unlock()
			rec := &chanRecorder{err: tt.err}
			err := Telephony{Conn: conn, Recorder: rec}.Do(context.Background(), tt.op)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Do = %v, want %v", err, tt.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(rec.got, tt.recorder) || !slices.Equal(sent, tt.ari) {
				t.Errorf("recorder got %q, ARI %q; want %q, %q", rec.got, sent, tt.recorder, tt.ari)
			}
		})
	}
	// Without a recorder, stopping is a no-op: the bridge's recording ends with the bridge.
	if err := (Telephony{Conn: conn}).Do(context.Background(), switchboard.StopRecording{Channel: "c1", Name: "c1-r1"}); err != nil || len(sent) != 0 {
		t.Errorf("stop without a recorder: %v, sent %q", err, sent)
	}
}

type recorder struct {
	mu  sync.Mutex
	evs []switchboard.Event
	got chan struct{}
}

func (r *recorder) Deliver(_ context.Context, ev switchboard.Event) error {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
	r.got <- struct{}{}
	return nil
}

type fakeLister struct {
	filter []string // the last event filter set
	mu     sync.Mutex
	fails  int // Channels fails this many times first
	chans  []string
	// endpointSubs counts the application's subscriptions to endpoint:PJSIP (an earlier
	// hotline's): Asterisk lists the endpoint once however many there are.
	endpointSubs int
	endpoints    []ariv6.EndpointData // what Endpoints lists; nil: 1001 online, 1002 offline, a trunk
	onEndpoints  func()               // called as Endpoints answers (what happens meanwhile)
	listed       int                  // Endpoints calls
}

func (f *fakeLister) Channels(context.Context) ([]ariv6.ChannelData, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return nil, errors.New("connection refused")
	}
	var out []ariv6.ChannelData
	for _, id := range f.chans {
		out = append(out, ariv6.ChannelData{ID: id})
	}
	return out, nil
}

func (f *fakeLister) ApplicationData(context.Context) (*ariv6.ApplicationData, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	app := &ariv6.ApplicationData{Name: "hotline"}
	if f.endpointSubs > 0 {
		app.EndpointIDs = []string{"PJSIP"}
	}
	return app, nil
}

func (f *fakeLister) Unsubscribe(_ context.Context, source string) (*ariv6.ApplicationData, error) {
	f.mu.Lock()
	if source == "endpoint:PJSIP" && f.endpointSubs > 0 {
		f.endpointSubs--
	}
	f.mu.Unlock()
	return f.ApplicationData(context.Background())
}

func (f *fakeLister) Application() string { return "hotline" }

func (f *fakeLister) SetEventFilter(_ context.Context, allowed []string) (*ariv6.ApplicationData, error) {
	f.filter = allowed
	return &ariv6.ApplicationData{}, nil
}

func (f *fakeLister) Endpoints(context.Context, string) ([]ariv6.EndpointData, error) {
	f.mu.Lock()
	f.listed++
	f.mu.Unlock()
	if f.onEndpoints != nil {
		f.onEndpoints()
	}
	if f.endpoints != nil {
		return f.endpoints, nil
	}
	return []ariv6.EndpointData{{Technology: "PJSIP", Resource: "1001", State: "online"},
		{Technology: "PJSIP", Resource: "1002", State: "offline"}, {Technology: "PJSIP", Resource: "trunk", State: "unknown"}}, nil
}

// Pump passes events on in order, skips what the switchboard does not use, and follows every
// (re)connection with an inventory of the channels, retried until listing works.
func TestPump(t *testing.T) {
	events := make(chan ari.Event, 8)
	rec := &recorder{got: make(chan struct{}, 16)}
	l := &fakeLister{fails: 1, chans: []string{"c1"}}
	events <- &ari.Connected{}
	events <- &ariv6.BridgeCreated{}
	events <- &ariv6.StasisStart{Channel: ariv6.ChannelData{ID: "c1"}, Args: []string{"inbound"}}
	at := ariv6.DateTime(time.Date(2026, 11, 23, 13, 2, 6, 475e6, time.UTC))
	dtmf := func(d string, at ariv6.DateTime) *ariv6.ChannelDtmfReceived {
		return &ariv6.ChannelDtmfReceived{EventData: ariv6.EventData{Timestamp: at}, Channel: ariv6.ChannelData{ID: "c1"}, Digit: d}
	}
	events <- dtmf("5", at)
	events <- dtmf("5", at) // Asterisk's copy through the bridge
	events <- dtmf("5", ariv6.DateTime(time.Time(at).Add(300*time.Millisecond)))
	done := make(chan error, 1)
	go func() { done <- pump(context.Background(), events, l, rec, nil, true) }()
	for range 7 { // Connected, StasisStart, two DTMF; from their own goroutine the inventory and two handsets
		select {
		case <-rec.got:
		case <-time.After(10 * time.Second):
			t.Fatal("fewer than 7 events delivered")
		}
	}
	close(events)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if _, ok := rec.evs[0].(switchboard.Connected); !ok {
		t.Errorf("first delivered %#v, want Connected", rec.evs[0])
	}
	if !reflect.DeepEqual(l.filter, EventTypes()) {
		t.Errorf("event filter after Connected = %v, want EventTypes()", l.filter)
	}
	var inv *switchboard.Inventory
	var devices []switchboard.DeviceState
	starts, digits := 0, 0
	for _, ev := range rec.evs {
		switch ev := ev.(type) {
		case switchboard.Inventory:
			inv = &ev
		case switchboard.StasisStart:
			starts++
		case switchboard.DTMF:
			digits++
		case switchboard.DeviceState:
			devices = append(devices, ev)
		}
	}
	if inv == nil || !reflect.DeepEqual(inv.Channels, []string{"c1"}) || starts != 1 || digits != 2 || len(rec.evs) != 7 {
		t.Errorf("delivered %#v, want Connected, StasisStart, two digits (the copy dropped), Inventory [c1] and two handsets", rec.evs)
	}
	if want := []switchboard.DeviceState{{Extension: "1001", Reachable: true}, {Extension: "1002", Reachable: false}}; !reflect.DeepEqual(devices, want) {
		t.Errorf("reachability = %+v, want %+v", devices, want)
	}
}

// A (re)connection leaves the application subscribed to no PJSIP endpoint, however many
// subscriptions an earlier hotline left, and lists the handsets' reachability only when asked
// (ARI alone, no AMI): the subscription sent the application every message of every PJSIP channel
// (docs/benchmark.md).
func TestReachabilityWithoutEndpointSubscription(t *testing.T) {
	for _, listHandsets := range []bool{false, true} {
		for _, left := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("%d left, listing %v", left, listHandsets), func(t *testing.T) {
				l := &fakeLister{endpointSubs: left}
				rec := &recorder{got: make(chan struct{}, 16)}
				events := make(chan ari.Event, 1)
				events <- &ari.Connected{}
				close(events)
				if err := pump(context.Background(), events, l, rec, nil, listHandsets); err != nil {
					t.Fatal(err)
				}
				if l.endpointSubs != 0 {
					t.Errorf("subscriptions to endpoint:PJSIP left: %d, want 0", l.endpointSubs)
				}
				var want, got []switchboard.Event
				if listHandsets {
					want = []switchboard.Event{switchboard.DeviceState{Extension: "1001", Reachable: true},
						switchboard.DeviceState{Extension: "1002", Reachable: false}}
				}
				rec.mu.Lock()
				for _, ev := range rec.evs {
					if _, ok := ev.(switchboard.DeviceState); ok {
						got = append(got, ev)
					}
				}
				rec.mu.Unlock()
				if !reflect.DeepEqual(got, want) {
					t.Errorf("delivered %+v, want %+v", got, want)
				}
			})
		}
	}
}

// lastReachable is the reachability of ext the last DeviceState delivered about it says.
func lastReachable(t *testing.T, rec *recorder, ext string) bool {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := len(rec.evs) - 1; i >= 0; i-- {
		if ev, ok := rec.evs[i].(switchboard.DeviceState); ok && ev.Extension == ext {
			return ev.Reachable
		}
	}
	t.Fatalf("no DeviceState of %s delivered: %+v", ext, rec.evs)
	return false
}

// With AMI's presence (the daemon), a reconnection lists no handset through ARI: the ARI websocket
// blips, GET /endpoints would say 1001 offline, 1001 registers meanwhile and AMI's news of it
// (delivered on AMI's goroutine) reaches the switchboard first; a listing delivered after it
// would leave the operator unreachable until the next change. An earlier hotline's endpoint
// subscription is still dropped.
func TestPumpLeavesReachabilityToAMI(t *testing.T) {
	rec := &recorder{got: make(chan struct{}, 16)}
	l := &fakeLister{endpointSubs: 2, endpoints: []ariv6.EndpointData{{Technology: "PJSIP", Resource: "1001", State: "offline"}}}
	// AMI's ContactStatus Reachable, ahead of what ARI's listing would deliver.
	_ = rec.Deliver(context.Background(), switchboard.DeviceState{Extension: "1001", Reachable: true, Contact: "sip:1001@192.0.2.1"})
	events := make(chan ari.Event, 2)
	events <- &ari.Reconnected{}
	close(events)
	if err := pump(context.Background(), events, l, rec, nil, false); err != nil {
		t.Fatal(err)
	}
	if !lastReachable(t, rec, "1001") {
		t.Errorf("1001 unreachable after the reconnection: ARI's stale listing undid AMI's newer news (%+v)", rec.evs)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.listed != 0 {
		t.Errorf("endpoints listed %d times, want none", l.listed)
	}
	if l.endpointSubs != 0 {
		t.Errorf("subscriptions to endpoint:PJSIP left: %d, want 0", l.endpointSubs)
	}
}

// Without AMI (ARI alone), the listing is made on the pump's goroutine before the connection's
// later events are passed on: a handset registering while GET /endpoints is answered (the listing
// says offline) is reachable once its ContactStatusChange follows.
func TestPumpListingComesBeforeLaterEvents(t *testing.T) {
	rec := &recorder{got: make(chan struct{}, 16)}
	events := make(chan ari.Event, 4)
	l := &fakeLister{endpoints: []ariv6.EndpointData{{Technology: "PJSIP", Resource: "1001", State: "offline"}},
		onEndpoints: func() {
			events <- &ariv6.ContactStatusChange{Endpoint: ariv6.EndpointData{Technology: "PJSIP", Resource: "1001"},
				ContactInfo: ariv6.ContactInfo{Uri: "sip:1001@192.0.2.1", ContactStatus: "Reachable"}}
			close(events)
		}}
	events <- &ari.Connected{}
	if err := pump(context.Background(), events, l, rec, nil, true); err != nil {
		t.Fatal(err)
	}
	if !lastReachable(t, rec, "1001") {
		t.Errorf("1001 unreachable: the listing taken before it registered came after its news (%+v)", rec.evs)
	}
}

// The event filter and Translate must agree: an event type Translate uses that the filter leaves
// out would never arrive; one the filter lets in that Translate always drops costs for nothing.
// Checked on every captured Asterisk 22 event plus a few built here (a type is used when any of
// its examples translates: DeviceStateChanged only for PJSIP devices, say).
func TestEventTypesMatchTranslate(t *testing.T) {
	allowed := map[string]bool{}
	for _, n := range EventTypes() {
		allowed[n] = true
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "ari", "testdata", "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captured events: %v", err)
	}
	inputs := map[string][][]byte{
		"ContactStatusChange": {[]byte(`{"type":"ContactStatusChange","application":"hotline","endpoint":{"technology":"PJSIP","resource":"1001","state":"online","channel_ids":[]},"contact_info":{"uri":"sip:1001@127.0.0.1","contact_status":"Reachable","aor":"1001"}}`)},
		"DeviceStateChanged":  {[]byte(`{"type":"DeviceStateChanged","application":"hotline","device_state":{"name":"PJSIP/1001","state":"NOT_INUSE"}}`)},
		"RecordingFailed":     {[]byte(`{"type":"RecordingFailed","application":"hotline","recording":{"name":"call-1","format":"wav","state":"failed","cause":"disk full"}}`)},
		"ApplicationReplaced": {[]byte(`{"type":"ApplicationReplaced","application":"hotline"}`)},
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		inputs[name] = append(inputs[name], b)
	}
	for name, examples := range inputs {
		used := false
		for _, b := range examples {
			if _, ok := Translate(ari.Decode(b)); ok {
				used = true
			}
		}
		if used && !allowed[name] {
			t.Errorf("Translate uses %s but the event filter leaves it out", name)
		}
		if !used && allowed[name] {
			t.Errorf("the event filter lets %s in but Translate drops every example of it", name)
		}
	}
	for n := range allowed {
		if inputs[n] == nil {
			t.Errorf("%s is in the event filter but no captured or built event checks it", n)
		}
	}
}

func TestForeignChannels(t *testing.T) {
	for _, tt := range []struct {
		name string
		dp   *ariv6.DialplanCEP
		want bool
	}{
		{"in hotline's application", &ariv6.DialplanCEP{AppName: "Stasis", AppData: "hotline,inbound"}, false},
		{"in hotline's, no arguments", &ariv6.DialplanCEP{AppName: "Stasis", AppData: "hotline"}, false},
		{"in another application", &ariv6.DialplanCEP{AppName: "Stasis", AppData: "otherapp,x"}, true},
		{"a prefix of ours is another", &ariv6.DialplanCEP{AppName: "Stasis", AppData: "hotline2"}, true},
		{"in the dialplan", &ariv6.DialplanCEP{AppName: "Dial", AppData: "PJSIP/1001"}, true},
		{"Asterisk does not say", &ariv6.DialplanCEP{}, false},
		{"no dialplan at all", nil, false},
	} {
		if got := foreign(ariv6.ChannelData{ID: "c", Dialplan: tt.dp}, "hotline"); got != tt.want {
			t.Errorf("%s: foreign = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// ApplicationReplaced reaches the switchboard, then ends the pump with ErrReplaced, so the daemon
// stops the connection instead of taking the application back.
func TestPumpEndsWhenReplaced(t *testing.T) {
	events := make(chan ari.Event, 2)
	events <- &ariv6.ApplicationReplaced{}
	close(events)
	rec := &recorder{got: make(chan struct{}, 4)}
	err := pump(context.Background(), events, &fakeLister{}, rec, nil, false)
	if !errors.Is(err, ErrReplaced) || len(rec.evs) != 1 {
		t.Fatalf("pump = %v after %v; want ErrReplaced after delivering Replaced", err, rec.evs)
	}
	if _, ok := rec.evs[0].(switchboard.Replaced); !ok {
		t.Errorf("delivered %T, want switchboard.Replaced", rec.evs[0])
	}
}

// Attach delivers a real connection's events in order on its reader's goroutine, and ends at
// ApplicationReplaced with ErrReplaced, as Pump does; nothing goes on Events.
func TestAttachDeliversInOrderAndEndsWhenReplaced(t *testing.T) {
	msgs := []string{
		`{"type":"StasisStart","application":"app","timestamp":"2026-11-23T12:00:00.000+0000","args":["inbound"],"channel":{"id":"c1","name":"PJSIP/x-1","state":"Up"}}`,
		`{"type":"ChannelVarset","application":"app","timestamp":"2026-11-23T12:00:00.001+0000","variable":"X","value":"1"}`,
		`{"type":"ChannelDtmfReceived","application":"app","timestamp":"2026-11-23T12:00:00.002+0000","digit":"5","duration_ms":100,"channel":{"id":"c1"}}`,
		`{"type":"ChannelDestroyed","application":"app","timestamp":"2026-11-23T12:00:00.003+0000","cause":16,"cause_txt":"Normal","channel":{"id":"c1"}}`,
		`{"type":"ApplicationReplaced","application":"app","timestamp":"2026-11-23T12:00:00.004+0000"}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ari/events" {
			http.NotFound(w, r) // REST (the event filter, the listings): refused, and logged
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for _, m := range msgs {
			if ws.Write(r.Context(), websocket.MessageText, []byte(m)) != nil {
				return
			}
		}
		_, _, _ = ws.Read(r.Context())
	}))
	defer srv.Close()
	conn, err := ari.New(ari.Config{URL: srv.URL + "/ari", Username: "u", Password: "p", Application: "app"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{got: make(chan struct{}, 16)}
	a, err := Attach(conn, rec, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- conn.Run(ctx) }()
	if err := a.Wait(ctx); !errors.Is(err, ErrReplaced) {
		t.Fatalf("Wait: %v, want ErrReplaced", err)
	}
	cancel()
	<-ran
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var kinds []string
	for _, ev := range rec.evs {
		if _, ok := ev.(switchboard.Inventory); ok {
			continue // from the listing's own goroutine, whenever it gets through
		}
		kinds = append(kinds, fmt.Sprintf("%T", ev))
	}
	want := []string{"switchboard.Connected", "switchboard.StasisStart", "switchboard.DTMF", "switchboard.ChannelDestroyed", "switchboard.Replaced"}
	if !slices.Equal(kinds, want) {
		t.Errorf("delivered %v, want %v", kinds, want)
	}
	if st := conn.Stats(); st.Depth != 0 || st.Delivered < 6 {
		t.Errorf("stats %+v: want every event handed over, none on Events", st)
	}
}
