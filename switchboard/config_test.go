package switchboard

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/config"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // part of the error; "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"english", func(c *Config) { c.Language = "en" }, ""},
		{"language", func(c *Config) { c.Language = "de" }, "language"},
		{"greeting", func(c *Config) { c.Greeting = "hello-world" }, "greeting"},
		{"announce too often", func(c *Config) { c.AnnounceInterval = time.Second }, "announce interval"},
		{"announce off", func(c *Config) { c.AnnounceInterval = 0 }, ""},
		{"ring timeout", func(c *Config) { c.RingTimeout = time.Second }, "ring timeout"},
		{"overflow", func(c *Config) { c.Overflow = "drop" }, "overflow"},
		{"max queue", func(c *Config) { c.MaxQueue = -1 }, "max queue"},
		{"empty prompt", func(c *Config) { c.Prompts.LoginOK = nil }, "prompt login ok"},
		{"bad prompt", func(c *Config) { c.Prompts.Paused = []string{"beep"} }, "prompt paused"},
		{"priority number", func(c *Config) { c.PriorityNumbers = []string{" "} }, "priority numbers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestNewRefusesUnknownStrategy(t *testing.T) {
	c := DefaultConfig()
	c.Strategy = "random"
	if _, err := New(c, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "strategy") {
		t.Errorf("New = %v, want a strategy error", err)
	}
}

// The daemon's defaults (DefaultConfig is built from them) make a valid switchboard, and
// every key of the calls section reaches the switchboard.
func TestFromCalls(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("the daemon's defaults: %v", err)
	}
	c := config.Default().Calls
	c.Language, c.Greeting, c.MusicClass, c.Strategy, c.Overflow = "en", "sound:custom", "jazz", "round-robin", "message"
	c.AnnounceInterval, c.RingTimeout, c.WrapUp, c.MaxWait, c.OwnerWait = 41*time.Second, 42*time.Second, 43*time.Second, 44*time.Second, 45*time.Second
	c.MaxQueue, c.MissedOffersPause, c.ReturningToOwner, c.RecordCalls = 46, 47, false, false
	c.PriorityNumbers = []string{"+7999"}
	c.SkillFallback = 48 * time.Second
	c.CallbackDial, c.CallbackAttempts, c.CallbackRetry = "PJSIP/{number}@trunk", 5, 49*time.Second
	got := FromCalls(c)
	want := Config{Language: "en", Greeting: "sound:custom", MusicClass: "jazz", Strategy: "round-robin", Overflow: "message",
		AnnounceInterval: 41 * time.Second, RingTimeout: 42 * time.Second, WrapUp: 43 * time.Second, MaxWait: 44 * time.Second,
		OwnerWait: 45 * time.Second, MaxQueue: 46, MissedOffers: 47, PriorityNumbers: []string{"+7999"},
		SkillFallback: 48 * time.Second, CallbackDial: "PJSIP/{number}@trunk", CallbackAttempts: 5, CallbackRetry: 49 * time.Second}
	d := DefaultConfig()
	want.RecordingFormat, want.MaxMessage, want.DefaultHandleTime, want.Prompts = d.RecordingFormat, d.MaxMessage, d.DefaultHandleTime, d.Prompts
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromCalls =\n %+v\nwant\n %+v", got, want)
	}
}
