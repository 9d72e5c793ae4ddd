package routing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseStrategy(t *testing.T) {
	tests := []struct {
		in   string
		want Strategy
		err  bool
	}{
		{"longest-idle", LongestIdle, false},
		{"fewest-calls", FewestCalls, false},
		{"round-robin", RoundRobin, false},
		{" Fewest_Calls ", 0, true}, // the names as the file writes them, nothing else
		{"ROUND-ROBIN", 0, true},
		{"", 0, true},
		{"random", 0, true},
		{"leastrecent", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseStrategy(tt.in)
		if tt.err {
			if !errors.Is(err, ErrUnknownStrategy) {
				t.Errorf("ParseStrategy(%q) error = %v, want ErrUnknownStrategy", tt.in, err)
			} else if !strings.Contains(err.Error(), "longest-idle, fewest-calls, round-robin") {
				t.Errorf("ParseStrategy(%q) error %q does not list the names", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseStrategy(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
	if s := Strategy(7).String(); s != "Strategy(7)" {
		t.Errorf("String of unknown = %q", s)
	}
}

func TestStrategyText(t *testing.T) {
	var cfg struct{ Strategy Strategy }
	if err := json.Unmarshal([]byte(`{"Strategy":"round-robin"}`), &cfg); err != nil || cfg.Strategy != RoundRobin {
		t.Fatalf("unmarshal = %v, %v", cfg.Strategy, err)
	}
	b, err := json.Marshal(cfg)
	if err != nil || string(b) != `{"Strategy":"round-robin"}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"Strategy":"ring-all"}`), &cfg); !errors.Is(err, ErrUnknownStrategy) {
		t.Fatalf("unmarshal unknown = %v, want ErrUnknownStrategy", err)
	}
	if _, err := json.Marshal(struct{ S Strategy }{Strategy(-1)}); err == nil {
		t.Fatal("marshal of invalid strategy succeeded")
	}
}

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		want  []string // substrings of the error; nil: valid
	}{
		{"zero", Rules{}, nil},
		{"full", Rules{Strategy: RoundRobin, WrapUp: time.Minute, MaxMissed: 3, SkillFallback: time.Minute,
			PreferOwner: true, OwnerWait: 30 * time.Second, MaxWait: 10 * time.Minute, MaxQueueLen: 50, DefaultLanguage: "ru"}, nil},
		{"bad strategy", Rules{Strategy: 9}, []string{"strategy"}},
		{"negatives", Rules{WrapUp: -1, MaxMissed: -1, MaxQueueLen: -2, MaxWait: -time.Second, OwnerWait: -1, SkillFallback: -1},
			[]string{"wrap_up", "max_missed", "max_queue_len", "max_wait", "owner_wait", "skill_fallback"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, missing %q", err, w)
				}
			}
		})
	}
}

func TestOverflow(t *testing.T) {
	admit := []struct {
		max, len int
		want     Overflow
	}{
		{0, 10000, NoOverflow},
		{10, 9, NoOverflow},
		{10, 10, QueueFull},
		{10, 11, QueueFull},
	}
	for _, tt := range admit {
		if got := (Rules{MaxQueueLen: tt.max}).Admit(tt.len); got != tt.want {
			t.Errorf("MaxQueueLen %d: Admit(%d) = %v, want %v", tt.max, tt.len, got, tt.want)
		}
	}
	wait := []struct {
		max, waited time.Duration
		want        Overflow
	}{
		{0, time.Hour, NoOverflow},
		{time.Minute, 59 * time.Second, NoOverflow},
		{time.Minute, time.Minute, WaitTooLong},
		{time.Minute, -time.Minute, NoOverflow}, // joined "in the future": clock skew, not overdue
	}
	for _, tt := range wait {
		if got := (Rules{MaxWait: tt.max}).CheckWait(t0, t0.Add(tt.waited)); got != tt.want {
			t.Errorf("MaxWait %v: CheckWait(after %v) = %v, want %v", tt.max, tt.waited, got, tt.want)
		}
	}
	if QueueFull.String() != "queue_full" || WaitTooLong.String() != "wait_too_long" || NoOverflow.String() != "none" {
		t.Error("Overflow names changed")
	}
}
