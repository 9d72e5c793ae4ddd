package switchboard

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string // part of the error; "" for valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"english", func(c *Config) { c.Routing.DefaultLanguage = "en" }, ""},
		{"language", func(c *Config) { c.Routing.DefaultLanguage = "de" }, "language"},
		{"greeting", func(c *Config) { c.Greeting = "hello-world" }, "greeting"},
		{"announce too often", func(c *Config) { c.AnnounceInterval = time.Second }, "announce interval"},
		{"announce off", func(c *Config) { c.AnnounceInterval = 0 }, ""},
		{"ring timeout", func(c *Config) { c.RingTimeout = time.Second }, "ring timeout"},
		{"overflow", func(c *Config) { c.Overflow = "drop" }, "overflow"},
		{"max queue", func(c *Config) { c.Routing.MaxQueueLen = -1 }, "max_queue_len"},
		{"empty prompt", func(c *Config) { c.Prompts.LoginOK = nil }, "prompt login ok"},
		{"bad prompt", func(c *Config) { c.Prompts.Paused = []string{"beep"} }, "prompt paused"},
		{"priority number", func(c *Config) { c.PriorityNumbers = []string{" "} }, "priority numbers"},
		{"priority number not a number", func(c *Config) { c.PriorityNumbers = []string{"boss"} }, "priority numbers"},
		{"priority number as people type it", func(c *Config) { c.PriorityNumbers = []string{"8 (912) 123-45-67"} }, ""},
		{"callback dial without endpoint", func(c *Config) { c.CallbackDial = "{number}" }, "callback dial"},
		// The configuration file's bounds are the core's, whether or not hotline dials callbacks.
		{"no callback attempts", func(c *Config) { c.CallbackAttempts = 0 }, "callback attempts"},
		{"too many callback attempts", func(c *Config) { c.CallbackAttempts = 11 }, "callback attempts"},
		{"callback retry too soon", func(c *Config) { c.CallbackRetry = 29 * time.Second }, "callback retry"},
		{"negative wrap-up", func(c *Config) { c.Routing.WrapUp = -time.Second }, "wrap_up"},
		{"music class", func(c *Config) { c.MusicClass = "" }, "music class"},
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
	c.Routing.Strategy = 9 // not a routing.Strategy
	if _, err := New(c, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "strategy") {
		t.Errorf("New = %v, want a strategy error", err)
	}
}

// The core's defaults make a valid switchboard. (That they are the configuration file's defaults,
// and that every key of the calls section reaches the switchboard, is daemon's TestCallRules.)
func TestDefaultConfigValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
}

func TestFmtDur(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{5 * time.Second, "5s"}, {10 * time.Second, "10s"}, {2 * time.Minute, "2m"}, {90 * time.Second, "1m30s"}, {time.Hour, "1h"}, {20 * time.Minute, "20m"}} {
		if got := fmtDur(tt.d); got != tt.want {
			t.Errorf("fmtDur(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
