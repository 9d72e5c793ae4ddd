package daemon

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/routing"
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
		{"every key", every, switchboard.Config{Routing: routing.Rules{DefaultLanguage: "en", Strategy: routing.RoundRobin,
			WrapUp: 43 * time.Second, MaxWait: 44 * time.Second, OwnerWait: 45 * time.Second, MaxQueueLen: 46, MaxMissed: 47,
			SkillFallback: 48 * time.Second}, Greeting: "sound:custom", MusicClass: "jazz", Overflow: "message",
			AnnounceInterval: 41 * time.Second, RingTimeout: 42 * time.Second, PriorityNumbers: []string{"+7999"},
			CallbackDial: "PJSIP/{number}@trunk", CallbackAttempts: 5, CallbackRetry: 49 * time.Second,
			PhoneRegion: region, RecordingFormat: d.RecordingFormat, MaxMessage: d.MaxMessage, DefaultHandleTime: d.DefaultHandleTime, Prompts: d.Prompts}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := callRules(tt.calls, region)
			if err != nil {
				t.Fatalf("callRules: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("callRules =\n %+v\nwant\n %+v", got, tt.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// A strategy config.Validate would refuse is refused, under its key, not read as longest-idle.
func TestCallRulesRefusesUnknownStrategy(t *testing.T) {
	calls := config.Default().Calls
	calls.Strategy = "random"
	if _, err := callRules(calls, ""); err == nil || !strings.Contains(err.Error(), "calls.strategy") {
		t.Errorf("callRules = %v, want a calls.strategy error", err)
	}
}
