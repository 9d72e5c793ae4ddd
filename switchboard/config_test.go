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
