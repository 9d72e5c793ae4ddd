package amiadapter

import (
	"testing"

	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/staskobzar/goami2"
)

func event(t *testing.T, raw string) ami.Event {
	t.Helper()
	m, err := goami2.Parse(raw + "\r\n")
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return ami.Event{Name: m.Field("Event"), Message: m}
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want switchboard.Event // nil: ignored
	}{
		{"registered handset idle", "Event: DeviceStateChange\r\nDevice: PJSIP/1001\r\nState: NOT_INUSE\r\n", switchboard.DeviceState{Extension: "1001", Reachable: true}},
		{"busy is still reachable", "Event: DeviceStateChange\r\nDevice: PJSIP/1002\r\nState: INUSE\r\n", switchboard.DeviceState{Extension: "1002", Reachable: true}},
		{"unregistered", "Event: DeviceStateChange\r\nDevice: PJSIP/1003\r\nState: UNAVAILABLE\r\n", switchboard.DeviceState{Extension: "1003", Reachable: false}},
		{"unknown says nothing", "Event: DeviceStateChange\r\nDevice: PJSIP/1004\r\nState: UNKNOWN\r\n", nil},
		{"not a PJSIP device", "Event: DeviceStateChange\r\nDevice: Queue:bench_avail\r\nState: NOT_INUSE\r\n", nil},
		{"contact removed", "Event: ContactStatus\r\nURI: sip:1005@127.0.0.1:40000\r\nContactStatus: Removed\r\nAOR: 1005\r\nEndpointName: 1005\r\n", switchboard.DeviceState{Extension: "1005", Reachable: false, Contact: "sip:1005@127.0.0.1:40000", Gone: true}},
		{"contact reachable", "Event: ContactStatus\r\nContactStatus: Reachable\r\nAOR: 1006\r\nEndpointName: 1006\r\n", switchboard.DeviceState{Extension: "1006", Reachable: true}},
		{"contact without endpoint uses the AOR", "Event: ContactStatus\r\nContactStatus: Unreachable\r\nAOR: 1007\r\n", switchboard.DeviceState{Extension: "1007", Reachable: false}},
		{"contact updated says nothing", "Event: ContactStatus\r\nContactStatus: Updated\r\nAOR: 1008\r\nEndpointName: 1008\r\n", nil},
		{"other events", "Event: Newchannel\r\nChannel: PJSIP/1001-00000001\r\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Translate(event(t, tt.raw))
			if tt.want == nil {
				if ok {
					t.Errorf("got %#v, want the event ignored", got)
				}
				return
			}
			if !ok || got != tt.want {
				t.Errorf("got %#v (%v), want %#v", got, ok, tt.want)
			}
		})
	}
}
