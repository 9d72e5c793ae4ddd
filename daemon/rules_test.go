package daemon

import (
	"reflect"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/switchboard"
)

func TestCallRules(t *testing.T) {
	region := hotline.PhoneRegion("RU")
	withRegion := func(c switchboard.Config) switchboard.Config { c.PhoneRegion = region; return c }
	every := config.Default().Calls
	every.Language, every.Greeting, every.MusicClass, every.Strategy, every.Overflow = "en", "sound:custom", "jazz", "round-robin", "message"
	every.AnnounceInterval, every.RingTimeout, every.WrapUp, every.MaxWait, every.OwnerWait = 41*time.Second, 42*time.Second, 43*time.Second, 44*time.Second, 45*time.Second
	every.MaxQueue, every.MissedOffersPause, every.ReturningToOwner, every.RecordCalls = 46, 47, false, false
	every.PriorityNumbers = []string{"+7999"}
	every.SkillFallback = 48 * time.Second
	every.CallbackDial, every.CallbackAttempts, every.CallbackRetry = "PJSIP/{number}@trunk", 5, 49*time.Second
	d := switchboard.DefaultConfig()
	tests := []struct {
		name  string
		calls config.Calls
		want  switchboard.Config
	}{
		// One set of defaults: the file's are the core's, so a daemon with an empty file and a
		// switchboard built from DefaultConfig (tests, demo) follow the same rules.
		{"defaults", config.Default().Calls, withRegion(switchboard.DefaultConfig())},
		// Every key of the calls section reaches the switchboard; what the file does not name
		// keeps the core's defaults.
		{"every key", every, switchboard.Config{Language: "en", Greeting: "sound:custom", MusicClass: "jazz", Strategy: "round-robin", Overflow: "message",
			AnnounceInterval: 41 * time.Second, RingTimeout: 42 * time.Second, WrapUp: 43 * time.Second, MaxWait: 44 * time.Second,
			OwnerWait: 45 * time.Second, MaxQueue: 46, MissedOffers: 47, PriorityNumbers: []string{"+7999"},
			SkillFallback: 48 * time.Second, CallbackDial: "PJSIP/{number}@trunk", CallbackAttempts: 5, CallbackRetry: 49 * time.Second,
			PhoneRegion: region, RecordingFormat: d.RecordingFormat, MaxMessage: d.MaxMessage, DefaultHandleTime: d.DefaultHandleTime, Prompts: d.Prompts}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := callRules(tt.calls, region)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("callRules =\n %+v\nwant\n %+v", got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}
