// Package config loads hotline's one configuration file (YAML), applies environment overrides and
// validates everything before the daemon starts, so a mistake is reported at start with the key that
// is wrong, not in the middle of a call.
//
// Precedence: built-in defaults < the file < environment variables (HOTLINE_*). Every key, its default
// and its variable are listed in docs/configuration.md and in hotline.example.yaml.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the daemon's whole configuration.
type Config struct {
	ARI      ARI      `yaml:"ari"`
	AMI      AMI      `yaml:"ami"`
	Journal  Journal  `yaml:"journal"`
	API      API      `yaml:"api"`
	Metrics  Metrics  `yaml:"metrics"`
	Log      Log      `yaml:"log"`
	Calls    Calls    `yaml:"calls"`
	Shutdown Shutdown `yaml:"shutdown"`
}

// ARI is how to reach Asterisk's REST interface.
type ARI struct {
	URL       string `yaml:"url"`       // REST base, e.g. http://127.0.0.1:8088/ari
	Websocket string `yaml:"websocket"` // events; derived from URL when empty
	User      string `yaml:"user"`
	Password  Secret `yaml:"password"`
	App       string `yaml:"app"` // the Stasis application name in extensions.conf
}

// AMI is how to reach Asterisk's manager interface.
type AMI struct {
	Addr     string `yaml:"addr"` // host:port
	User     string `yaml:"user"`
	Password Secret `yaml:"password"`
}

// Journal is where cases are kept.
type Journal struct {
	Path  string `yaml:"path"`  // the SQLite file
	Spool string `yaml:"spool"` // the write-ahead spool of the daemon's writes; "" : Path + ".spool"
}

// SpoolPath is the spool file: Spool, or beside the journal.
func (j Journal) SpoolPath() string {
	if j.Spool != "" {
		return j.Spool
	}
	return j.Path + ".spool"
}

// Shutdown is what `hotline serve` does on SIGTERM (systemctl stop or restart).
type Shutdown struct {
	// Drain: for up to this long new calls go back to the dialplan (the step after Stasis()) while
	// waiting callers are still answered and calls in progress finish; 0: stop at once.
	Drain time.Duration `yaml:"drain"`
	// Waiting: callers still waiting when hotline stops either stay (keep: music goes on, the next
	// start queues them again in their order) or go to the dialplan's fallback (fallback).
	Waiting string `yaml:"waiting"`
}

// Waiting callers at shutdown.
const (
	WaitingKeep     = "keep"
	WaitingFallback = "fallback"
)

// API is the daemon's local control interface (`hotline status`, `hotline operator pause`...).
type API struct {
	Socket string `yaml:"socket"` // a unix socket path; only its owner (and root) may connect
}

// Metrics is the Prometheus endpoint and health check.
type Metrics struct {
	Listen string `yaml:"listen"` // host:port; empty: off
	// Pprof adds Go's profiler (/debug/pprof/) on Listen, for finding where hotline spends its CPU
	// (hotline loadgen --profile). Only on a loopback address: it exposes the process's insides.
	Pprof bool `yaml:"pprof"`
}

// Log is the daemon's logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Calls is how calls are handled: the administrator's rules. Durations are Go durations ("20s", "2m").
type Calls struct {
	Language           string        `yaml:"language"`             // prompts' language: ru or en
	Greeting           string        `yaml:"greeting"`             // sound played on answer, e.g. sound:hotline/greeting
	MusicClass         string        `yaml:"music_class"`          // musiconhold.conf class for waiting callers
	AnnounceInterval   time.Duration `yaml:"announce_interval"`    // position/estimated-wait announcements; 0: off
	Strategy           string        `yaml:"strategy"`             // longest-idle, fewest-calls, round-robin
	RingTimeout        time.Duration `yaml:"ring_timeout"`         // how long a handset rings before the next operator
	WrapUp             time.Duration `yaml:"wrap_up"`              // after each call, before the next offer
	MaxWait            time.Duration `yaml:"max_wait"`             // then overflow; 0: never
	MaxQueue           int           `yaml:"max_queue"`            // callers waiting at most; 0: no limit
	Overflow           string        `yaml:"overflow"`             // message or callback
	CallbackDial       string        `yaml:"callback_dial"`        // how hotline dials a caller back, {number} replaced; "": the operator does
	CallbackAttempts   int           `yaml:"callback_attempts"`    // dialling attempts before the callback is left to the operator
	CallbackRetry      time.Duration `yaml:"callback_retry"`       // between attempts
	MissedOffersPause  int           `yaml:"missed_offers_pause"`  // auto-pause after this many unanswered offers in a row; 0: never
	ReturningToOwner   bool          `yaml:"returning_to_owner"`   // a caller with an open case goes to its owner first
	OwnerWait          time.Duration `yaml:"owner_wait"`           // how long to wait for that owner before anyone may answer
	SkillFallback      time.Duration `yaml:"skill_fallback"`       // a line's topic/language need is dropped after this wait; 0: never
	PriorityNumbers    []string      `yaml:"priority_numbers"`     // callers who join the queue ahead
	RecordCalls        bool          `yaml:"record_calls"`         // record every bridged conversation
	RecordingRetention time.Duration `yaml:"recording_retention"`  // delete recordings older than this; 0: keep
	ServiceLevelTarget time.Duration `yaml:"service_level_target"` // answered within this counts as in service level
}

// Secret is a string that never prints: logs and error messages show "****".
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "****"
}

// GoString hides the value from %#v too.
func (s Secret) GoString() string { return `"****"` }

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// Default returns the configuration used where the file and the environment say nothing.
func Default() Config {
	return Config{
		ARI:      ARI{URL: "http://127.0.0.1:8088/ari", User: "hotline", App: "hotline"},
		AMI:      AMI{Addr: "127.0.0.1:5038", User: "hotline"},
		Journal:  Journal{Path: "/var/lib/hotline/hotline.db"},
		API:      API{Socket: "/run/hotline/hotline.sock"},
		Metrics:  Metrics{Listen: "127.0.0.1:9464"},
		Log:      Log{Level: "info", Format: "text"},
		Shutdown: Shutdown{Drain: 0, Waiting: WaitingKeep},
		Calls: Calls{
			Language:           "ru",
			Greeting:           "sound:hello-world",
			MusicClass:         "default",
			AnnounceInterval:   30 * time.Second,
			Strategy:           "longest-idle",
			RingTimeout:        15 * time.Second,
			WrapUp:             10 * time.Second,
			MaxWait:            2 * time.Minute,
			MaxQueue:           50,
			Overflow:           "callback",
			CallbackAttempts:   3,
			CallbackRetry:      10 * time.Minute,
			MissedOffersPause:  3,
			ReturningToOwner:   true,
			OwnerWait:          30 * time.Second,
			SkillFallback:      time.Minute,
			RecordCalls:        true,
			RecordingRetention: 90 * 24 * time.Hour,
			ServiceLevelTarget: 20 * time.Second,
		},
	}
}

// Load reads the file at path (none if path is ""), applies the environment from getenv (os.Getenv
// if nil) and validates the result.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		if err := c.decode(data); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if err := c.applyEnv(getenv); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}
	if c.ARI.Websocket == "" {
		c.ARI.Websocket = websocketFor(c.ARI.URL)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) decode(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key is an error, not a silently ignored setting
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file: defaults
		}
		return err
	}
	return nil
}

// envVar describes one environment override.
type envVar struct {
	name string
	set  func(c *Config, v string) error
}

func str(p func(c *Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func secret(p func(c *Config) *Secret) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = Secret(v); return nil }
}

func dur(p func(c *Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("not a duration (like 30s or 2m): %q", v)
		}
		*p(c) = d
		return nil
	}
}

func integer(p func(c *Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not a whole number: %q", v)
		}
		*p(c) = n
		return nil
	}
}

func boolean(p func(c *Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("not true or false: %q", v)
		}
		*p(c) = b
		return nil
	}
}

// EnvVars lists every environment variable hotline reads, in documentation order.
func EnvVars() []string {
	vars := envVars()
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = v.name
	}
	return names
}

// envVars are named as `asterisk-conf/sandbox env` prints them, so `eval "$(asterisk-conf/sandbox
// env)"` points hotline at the sandbox.
func envVars() []envVar {
	return []envVar{
		{"HOTLINE_ARI_URL", str(func(c *Config) *string { return &c.ARI.URL })},
		{"HOTLINE_ARI_WS", str(func(c *Config) *string { return &c.ARI.Websocket })},
		{"HOTLINE_ARI_USER", str(func(c *Config) *string { return &c.ARI.User })},
		{"HOTLINE_ARI_PASSWORD", secret(func(c *Config) *Secret { return &c.ARI.Password })},
		{"HOTLINE_ARI_APP", str(func(c *Config) *string { return &c.ARI.App })},
		{"HOTLINE_AMI_ADDR", str(func(c *Config) *string { return &c.AMI.Addr })},
		{"HOTLINE_AMI_USER", str(func(c *Config) *string { return &c.AMI.User })},
		{"HOTLINE_AMI_PASSWORD", secret(func(c *Config) *Secret { return &c.AMI.Password })},
		{"HOTLINE_DB", str(func(c *Config) *string { return &c.Journal.Path })},
		{"HOTLINE_SPOOL", str(func(c *Config) *string { return &c.Journal.Spool })},
		{"HOTLINE_API_SOCKET", str(func(c *Config) *string { return &c.API.Socket })},
		{"HOTLINE_METRICS_LISTEN", str(func(c *Config) *string { return &c.Metrics.Listen })},
		{"HOTLINE_METRICS_PPROF", boolean(func(c *Config) *bool { return &c.Metrics.Pprof })},
		{"HOTLINE_LOG_LEVEL", str(func(c *Config) *string { return &c.Log.Level })},
		{"HOTLINE_LOG_FORMAT", str(func(c *Config) *string { return &c.Log.Format })},
		{"HOTLINE_LANGUAGE", str(func(c *Config) *string { return &c.Calls.Language })},
		{"HOTLINE_GREETING", str(func(c *Config) *string { return &c.Calls.Greeting })},
		{"HOTLINE_MUSIC_CLASS", str(func(c *Config) *string { return &c.Calls.MusicClass })},
		{"HOTLINE_ANNOUNCE_INTERVAL", dur(func(c *Config) *time.Duration { return &c.Calls.AnnounceInterval })},
		{"HOTLINE_STRATEGY", str(func(c *Config) *string { return &c.Calls.Strategy })},
		{"HOTLINE_RING_TIMEOUT", dur(func(c *Config) *time.Duration { return &c.Calls.RingTimeout })},
		{"HOTLINE_WRAP_UP", dur(func(c *Config) *time.Duration { return &c.Calls.WrapUp })},
		{"HOTLINE_MAX_WAIT", dur(func(c *Config) *time.Duration { return &c.Calls.MaxWait })},
		{"HOTLINE_MAX_QUEUE", integer(func(c *Config) *int { return &c.Calls.MaxQueue })},
		{"HOTLINE_OVERFLOW", str(func(c *Config) *string { return &c.Calls.Overflow })},
		{"HOTLINE_CALLBACK_DIAL", str(func(c *Config) *string { return &c.Calls.CallbackDial })},
		{"HOTLINE_CALLBACK_ATTEMPTS", integer(func(c *Config) *int { return &c.Calls.CallbackAttempts })},
		{"HOTLINE_CALLBACK_RETRY", dur(func(c *Config) *time.Duration { return &c.Calls.CallbackRetry })},
		{"HOTLINE_MISSED_OFFERS_PAUSE", integer(func(c *Config) *int { return &c.Calls.MissedOffersPause })},
		{"HOTLINE_RETURNING_TO_OWNER", boolean(func(c *Config) *bool { return &c.Calls.ReturningToOwner })},
		{"HOTLINE_OWNER_WAIT", dur(func(c *Config) *time.Duration { return &c.Calls.OwnerWait })},
		{"HOTLINE_SKILL_FALLBACK", dur(func(c *Config) *time.Duration { return &c.Calls.SkillFallback })},
		{"HOTLINE_RECORD_CALLS", boolean(func(c *Config) *bool { return &c.Calls.RecordCalls })},
		{"HOTLINE_RECORDING_RETENTION", dur(func(c *Config) *time.Duration { return &c.Calls.RecordingRetention })},
		{"HOTLINE_SERVICE_LEVEL_TARGET", dur(func(c *Config) *time.Duration { return &c.Calls.ServiceLevelTarget })},
		{"HOTLINE_SHUTDOWN_DRAIN", dur(func(c *Config) *time.Duration { return &c.Shutdown.Drain })},
		{"HOTLINE_SHUTDOWN_WAITING", str(func(c *Config) *string { return &c.Shutdown.Waiting })},
	}
}

func (c *Config) applyEnv(getenv func(string) string) error {
	var errs []error
	for _, v := range envVars() {
		val, ok := lookup(getenv, v.name)
		if !ok {
			continue
		}
		if err := v.set(c, val); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	return errors.Join(errs...)
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

func websocketFor(restURL string) string {
	u, err := url.Parse(restURL)
	if err != nil {
		return ""
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/events"
	return u.String()
}

// Validate checks every key and reports all mistakes at once, each with its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	// Mistakes are listed in the documentation's order, the same every run (slices, not maps).
	for _, k := range []struct{ key, raw, scheme, secure string }{
		{"ari.url", c.ARI.URL, "http", "https"}, {"ari.websocket", c.ARI.Websocket, "ws", "wss"},
	} {
		u, err := url.Parse(k.raw)
		if err != nil || u.Host == "" {
			bad(k.key, "not a URL with a host: %q", k.raw)
			continue
		}
		if u.Scheme != k.scheme && u.Scheme != k.secure {
			bad(k.key, "unexpected scheme %q in %q", u.Scheme, k.raw)
		}
	}
	if c.ARI.User == "" {
		bad("ari.user", "empty")
	}
	if c.ARI.Password == "" {
		bad("ari.password", "empty (set it in the file or HOTLINE_ARI_PASSWORD)")
	}
	if c.ARI.App == "" || strings.ContainsAny(c.ARI.App, " ,/") {
		bad("ari.app", "must be a single word, as in Stasis(...) in extensions.conf: %q", c.ARI.App)
	}
	if _, _, err := net.SplitHostPort(c.AMI.Addr); err != nil {
		bad("ami.addr", "not host:port: %q", c.AMI.Addr)
	}
	if c.AMI.User == "" {
		bad("ami.user", "empty")
	}
	if c.AMI.Password == "" {
		bad("ami.password", "empty (set it in the file or HOTLINE_AMI_PASSWORD)")
	}
	if c.Journal.Path == "" {
		bad("journal.path", "empty")
	}
	if c.Journal.SpoolPath() == c.Journal.Path {
		bad("journal.spool", "must not be the journal itself: %q", c.Journal.Spool)
	}
	if c.Shutdown.Drain < 0 || c.Shutdown.Drain > time.Hour {
		bad("shutdown.drain", "between 0 and 1h: %v", c.Shutdown.Drain)
	}
	if c.Shutdown.Waiting != WaitingKeep && c.Shutdown.Waiting != WaitingFallback {
		bad("shutdown.waiting", "keep or fallback: %q", c.Shutdown.Waiting)
	}
	if c.API.Socket == "" {
		bad("api.socket", "empty")
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			bad("metrics.listen", "not host:port: %q", c.Metrics.Listen)
		}
	}
	if c.Metrics.Pprof {
		host, _, err := net.SplitHostPort(c.Metrics.Listen)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			bad("metrics.pprof", "needs metrics.listen on a loopback address (127.0.0.1:PORT): %q", c.Metrics.Listen)
		}
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "one of debug, info, warn, error: %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "text or json: %q", c.Log.Format)
	}
	k := c.Calls
	if k.Language != "ru" && k.Language != "en" {
		bad("calls.language", "ru or en: %q", k.Language)
	}
	if !strings.Contains(k.Greeting, ":") {
		bad("calls.greeting", "a media URI such as sound:hotline/greeting or recording:name: %q", k.Greeting)
	}
	if k.MusicClass == "" {
		bad("calls.music_class", "empty")
	}
	switch k.Strategy {
	case "longest-idle", "fewest-calls", "round-robin":
	default:
		bad("calls.strategy", "one of longest-idle, fewest-calls, round-robin: %q", k.Strategy)
	}
	for _, d := range []struct {
		key string
		d   time.Duration
	}{
		{"calls.announce_interval", k.AnnounceInterval}, {"calls.wrap_up", k.WrapUp}, {"calls.max_wait", k.MaxWait},
		{"calls.owner_wait", k.OwnerWait}, {"calls.skill_fallback", k.SkillFallback},
		{"calls.recording_retention", k.RecordingRetention},
	} {
		if d.d < 0 {
			bad(d.key, "negative: %s", d.d)
		}
	}
	if k.AnnounceInterval > 0 && k.AnnounceInterval < 5*time.Second {
		bad("calls.announce_interval", "at least 5s (or 0 for none), so callers hear music between announcements: %s", k.AnnounceInterval)
	}
	if k.RingTimeout < 5*time.Second || k.RingTimeout > 2*time.Minute {
		bad("calls.ring_timeout", "between 5s and 2m: %s", k.RingTimeout)
	}
	if k.ServiceLevelTarget <= 0 {
		bad("calls.service_level_target", "must be positive: %s", k.ServiceLevelTarget)
	}
	if k.MaxQueue < 0 {
		bad("calls.max_queue", "negative: %d", k.MaxQueue)
	}
	if k.MissedOffersPause < 0 {
		bad("calls.missed_offers_pause", "negative: %d", k.MissedOffersPause)
	}
	if k.Overflow != "message" && k.Overflow != "callback" {
		bad("calls.overflow", "message or callback: %q", k.Overflow)
	}
	if k.CallbackDial != "" && (!strings.Contains(k.CallbackDial, "{number}") || !strings.Contains(k.CallbackDial, "/")) {
		bad("calls.callback_dial", "an Asterisk endpoint with {number} for the caller's number, e.g. PJSIP/{number}@trunk: %q", k.CallbackDial)
	}
	if k.CallbackAttempts < 1 || k.CallbackAttempts > 10 {
		bad("calls.callback_attempts", "between 1 and 10: %d", k.CallbackAttempts)
	}
	if k.CallbackRetry < 30*time.Second {
		bad("calls.callback_retry", "at least 30s: %s", k.CallbackRetry)
	}
	for i, n := range k.PriorityNumbers {
		if !phoneNumber(n) {
			bad(fmt.Sprintf("calls.priority_numbers[%d]", i), "not a phone number (digits, optional leading +): %q", n)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

func phoneNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
