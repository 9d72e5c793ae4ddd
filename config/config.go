// Package config loads hotline's one configuration file (YAML), applies environment overrides and
// validates everything before the daemon starts, so a mistake is reported at start with the key that
// is wrong, not in the middle of a call.
//
// Precedence: built-in defaults < the file < environment variables (HOTLINE_*). Every key, its default
// and its variable are listed in hotline.example.yaml.
//
// Every mistake is reported at once, under its key, and no message shows a secret. Text that YAML
// would read as something else than written (an alias, an anchor, a tag; for a secret also null
// and a " #" comment) is refused with the advice to quote it. Credentials inside ari.url are
// refused (they would be printed with the URL), and so is a metrics endpoint or a workplace
// reachable from the network unless metrics.public or web.public says so (the workplace then only
// with TLS). LoadWith's Host checks the machine for the daemon.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hotline-dev/hotline/informing"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/routing"
	"github.com/hotline-dev/hotline/switchboard"
	"go.yaml.in/yaml/v3"
)

// Config is the daemon's whole configuration.
type Config struct {
	ARI      ARI      `yaml:"ari"`
	AMI      AMI      `yaml:"ami"`
	Journal  Journal  `yaml:"journal"`
	API      API      `yaml:"api"`
	Metrics  Metrics  `yaml:"metrics"`
	Web      Web      `yaml:"web"`
	Log      Log      `yaml:"log"`
	Calls    Calls    `yaml:"calls"`
	Shutdown Shutdown `yaml:"shutdown"`
	Export   Export   `yaml:"export"`
	// Standby: two hotline serve on one journal, one active, one waiting (docs/scaling.md).
	Standby Standby `yaml:"standby"`
	// Informing is the progressive dialler of the informing campaigns (§7.1, docs/campaigns.md).
	Informing Informing `yaml:"informing"`
	// Kamailio: the presence of handsets registered at the Kamailio in front of the nodes.
	Kamailio Kamailio `yaml:"kamailio"`
}

// Kamailio is how hotline reads the location table of the Kamailio its handsets register with
// (docs/scaling.md, "Presence").
type Kamailio struct {
	// RPC is Kamailio's JSON-RPC over HTTP (jsonrpcs + xhttp), e.g. http://127.0.0.1:5071/RPC.
	// "": no presence from Kamailio (a logged-in operator's handset counts as reachable).
	RPC string `yaml:"rpc"`
	// Poll is how often the location table is read.
	Poll time.Duration `yaml:"poll"`
}

// Informing is how hotline dials the informing campaigns' persons.
type Informing struct {
	Dial     string        `yaml:"dial"`      // endpoint the persons are dialled through, {number} replaced; "": no dialling
	Ring     time.Duration `yaml:"ring"`      // how long a person's phone rings
	Hours    string        `yaml:"hours"`     // calling hours, HH:MM-HH:MM, in TimeZone
	TimeZone string        `yaml:"time_zone"` // the fund's time zone (IANA name)
	Attempts int           `yaml:"attempts"`  // dialling attempts per person
	Retry    time.Duration `yaml:"retry"`     // the wait after the first unanswered attempt, doubled after each next
	RetryMax time.Duration `yaml:"retry_max"` // the longest wait
}

// Plan is the schedule the informing section describes (checked by Validate).
func (i Informing) Plan() (informing.Plan, error) {
	loc, err := time.LoadLocation(i.TimeZone)
	if err != nil || i.TimeZone == "" {
		return informing.Plan{}, fmt.Errorf("time zone %q: want an IANA name, e.g. Europe/Moscow", i.TimeZone)
	}
	h, err := informing.ParseHours(i.Hours, loc)
	if err != nil {
		return informing.Plan{}, err
	}
	if i.Attempts < 1 || i.Attempts > 10 {
		return informing.Plan{}, fmt.Errorf("attempts %d: want 1 to 10", i.Attempts)
	}
	if i.Retry < time.Minute || i.RetryMax < i.Retry {
		return informing.Plan{}, fmt.Errorf("retry %s, retry_max %s: want at least 1m, retry_max not below retry", i.Retry, i.RetryMax)
	}
	return informing.Plan{Hours: h, Retry: informing.Retry{Attempts: i.Attempts, First: i.Retry, Max: i.RetryMax}}, nil
}

// ARI is how to reach Asterisk's REST interface.
type ARI struct {
	URL       string `yaml:"url"`       // REST base, e.g. http://127.0.0.1:8088/ari
	Websocket string `yaml:"websocket"` // events; derived from URL when empty
	User      string `yaml:"user"`
	Password  Secret `yaml:"password"`
	App       string `yaml:"app"` // the Stasis application name in extensions.conf
	// Nodes, when set, are several Asterisk nodes (behind Kamailio) one switchboard drives with one
	// queue and one operator pool (docs/scaling.md); URL and Websocket above are then unused. Empty:
	// one Asterisk at URL, as before.
	Nodes []ARINode `yaml:"nodes"`
	// NodeLostAfter is how long a node may be cut off before its calls are ended (0: 3s).
	NodeLostAfter time.Duration `yaml:"node_lost_after"`
}

// ARINode is one Asterisk node's ARI.
type ARINode struct {
	Name      string `yaml:"name"`      // as logs and docs name it, e.g. "a"
	URL       string `yaml:"url"`       // REST base, e.g. http://10.0.0.11:8088/ari
	Websocket string `yaml:"websocket"` // events; derived from URL when empty
	User      string `yaml:"user"`      // "": ari.user
	Password  Secret `yaml:"password"`  // "": ari.password
	// Operators is how this node dials an operator's handset, {extension} replaced, e.g.
	// PJSIP/{extension}@kamailio when the handsets register with Kamailio. "": PJSIP/<extension>,
	// the handsets registered with the node itself (and the node's presence counts).
	Operators string `yaml:"operators"`
	// Softphones is how this node dials an operator whose device is the workplace's browser
	// softphone registered with Kamailio, {extension} replaced, e.g.
	// PJSIP/{extension}@kamailio-webrtc: an endpoint towards Kamailio that offers WebRTC media
	// (DTLS-SRTP, ICE, AVPF). "": softphones are dialled like handsets (operators).
	Softphones string `yaml:"softphones"`
	// AMI is this node's manager interface (MixMonitor recordings, its handsets' presence). Each
	// key left empty takes the ami section's, the address as the node URL's host with ami.addr's
	// port.
	AMI AMI `yaml:"ami"`
}

// AMI is how to reach Asterisk's manager interface.
type AMI struct {
	Addr     string `yaml:"addr"` // host:port
	User     string `yaml:"user"`
	Password Secret `yaml:"password"`
}

// Journal is where cases are kept.
type Journal struct {
	// Backend is the engine: sqlite (the default: the file Path) or postgres (the database DSN
	// names; docs/journal.md).
	Backend string `yaml:"backend"`
	Path    string `yaml:"path"`  // the SQLite file
	Spool   string `yaml:"spool"` // the write-ahead spool of the daemon's writes; "" : Path + ".spool"
	// DSN is the PostgreSQL database, postgres://user:password@host:port/db?sslmode=...;
	// HOTLINE_JOURNAL_DSN overrides it. Its password is never printed (DSN.String).
	DSN DSN `yaml:"dsn"`
}

// Journal backends.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// Address is what the journal opens: the SQLite file, or the PostgreSQL DSN (password included:
// pass it to journal.Open, never print it; Display is for messages).
func (j Journal) Address() string {
	if j.Backend == BackendPostgres {
		return j.DSN.Reveal()
	}
	return j.Path
}

// Display is the journal's address fit for messages and logs: a DSN without its password.
func (j Journal) Display() string {
	if j.Backend == BackendPostgres {
		return j.DSN.String()
	}
	return j.Path
}

// DSN is a PostgreSQL address whose password stays out of every message: String, %v, %#v and
// YAML give it with the password replaced by xxxxx.
type DSN string

func (d DSN) String() string { return RedactDSN(string(d)) }

// GoString hides the password from %#v too.
func (d DSN) GoString() string { return strconv.Quote(d.String()) }

// MarshalYAML writes the DSN without its password (a printed configuration).
func (d DSN) MarshalYAML() (any, error) { return d.String(), nil }

// Reveal returns the DSN with its password, for the one place that connects.
func (d DSN) Reveal() string { return string(d) }

// RedactDSN is a PostgreSQL URL with its secrets replaced by xxxxx (journal.RedactDSN).
func RedactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	return journal.RedactDSN(dsn)
}

// SpoolPath is the spool file: Spool, or beside the journal.
func (j Journal) SpoolPath() string {
	if j.Spool != "" {
		return j.Spool
	}
	return j.Path + ".spool"
}

// Standby is the active/standby pair: with Enabled, hotline serve is active only while it holds
// the journal's lease (journal.ServeLease), and waits for it otherwise.
type Standby struct {
	Enabled bool `yaml:"enabled"`
	// LeaseTTL: a lease not renewed for this long is taken by the standby; the takeover time is
	// at most about LeaseTTL + Renew.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// Renew: how often the active daemon renews the lease, and the standby looks at it.
	Renew time.Duration `yaml:"renew"`
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

// Export is what the daemon exports as it goes (docs/reports.md).
type Export struct {
	// QueueLogFile: the daemon appends the queue_log to this file as the events become final, as
	// Asterisk's app_queue writes its own, for an analyser that tails it; "": off. Rotate it with
	// logrotate's copytruncate. The high-water mark is kept beside it (the file's name + ".mark").
	QueueLogFile string `yaml:"queue_log_file"`
	// QueueLogQueue is the queue's name in its lines (`hotline export queue-log --queue`).
	QueueLogQueue string `yaml:"queue_log_queue"`
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
	Listen string `yaml:"listen"` // host:port; empty: off. A loopback address unless Public.
	// Public allows Listen on an address other machines reach (a Prometheus elsewhere). Without
	// it such an address is refused: binding every interface by a copied 0.0.0.0 would open
	// /metrics and /healthz (and the profiler, were it on) to anyone on the network.
	Public bool `yaml:"public"`
	// Pprof adds Go's profiler (/debug/pprof/) on Listen, for finding where hotline spends its CPU
	// (hotline-lab loadgen --profile). Only on a loopback address, Public or not: it exposes the
	// process's insides (memory, goroutine stacks) and lets a caller spend its CPU.
	Pprof bool `yaml:"pprof"`
}

// Web is the workplace: the operators' pages over HTTP (docs/workplace.md).
type Web struct {
	Listen string `yaml:"listen"` // host:port; empty: off. A loopback address unless Public.
	// Public allows Listen on an address other machines reach. Without it such an address is
	// refused (put a reverse proxy with TLS in front, on this machine); with it TLSCert and
	// TLSKey are required, so that passwords and session cookies never cross the network in clear.
	Public bool `yaml:"public"`
	// TLSCert and TLSKey are PEM files (a certificate chain and its private key): with them the
	// workplace speaks HTTPS. Both or neither.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// SecureCookie marks the session cookie Secure on a plain-HTTP listener too: for a workplace
	// behind a reverse proxy that terminates TLS (docs/workplace.md), so the browser never sends
	// the cookie in clear. On a TLS listener it is always Secure.
	SecureCookie bool `yaml:"secure_cookie"`
	// TrustedProxies are the reverse proxies in front of the workplace, as addresses or CIDR
	// prefixes (e.g. 127.0.0.1/32). From them, and only from them, X-Forwarded-For gives the
	// client's address that login throttling counts by. Empty: the header is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Softphone is the address browsers reach Asterisk's SIP WebSocket at (pjsip.conf
	// transport-ws over http.conf), e.g. wss://pbx.example.org:8089/ws; empty: no softphone in
	// the workplace (handsets only). ws:// only on a loopback address: elsewhere SIP passwords
	// and DTLS fingerprints would cross the network in clear, and browsers refuse ws from https.
	Softphone string `yaml:"softphone"`
}

// Proxies returns TrustedProxies parsed (a bare address is a /32 or /128 prefix). Check reports
// a malformed entry; here it is skipped.
func (w Web) Proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range w.TrustedProxies {
		if p, err := parseProxy(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func parseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
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
	ReturningToOwner   bool          `yaml:"returning_to_owner"`   // a caller with an open case is offered to its owner first (no queue priority)
	OwnerWait          time.Duration `yaml:"owner_wait"`           // how long to wait for that owner before anyone may answer
	SkillFallback      time.Duration `yaml:"skill_fallback"`       // a line's topic/language need is dropped after this wait; 0: never
	DelayedAnswerOwner string        `yaml:"delayed_answer_owner"` // who owns a message's or callback's delayed answer: case_owner or administrators
	DelayedAnswerDue   time.Duration `yaml:"delayed_answer_due"`   // a delayed answer is due this long after the call
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
		Journal:  Journal{Backend: BackendSQLite, Path: "/var/lib/hotline/hotline.db"},
		API:      API{Socket: "/run/hotline/hotline.sock"},
		Metrics:  Metrics{Listen: "127.0.0.1:9464"},
		Web:      Web{Listen: "127.0.0.1:8080", TrustedProxies: []string{}},
		Log:      Log{Level: "info", Format: "text"},
		Shutdown: Shutdown{Drain: 0, Waiting: WaitingKeep},
		Export:   Export{QueueLogQueue: "hotline"},
		Standby:  Standby{LeaseTTL: 3 * time.Second, Renew: time.Second},
		Kamailio: Kamailio{Poll: 2 * time.Second},
		Informing: Informing{Ring: 30 * time.Second, Hours: "09:00-20:00", TimeZone: "Europe/Moscow",
			Attempts: informing.DefaultRetry.Attempts, Retry: informing.DefaultRetry.First, RetryMax: informing.DefaultRetry.Max},
		// The core's defaults (switchboard.DefaultConfig) as the file writes them; daemon's
		// TestCallRules holds the two equal. Deriving these from the core would take a second
		// mapping, the reverse of daemon.callRules, and the file's own keys (delayed answers,
		// retention, service level) have no core value to come from.
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
			DelayedAnswerOwner: "case_owner",
			DelayedAnswerDue:   24 * time.Hour,
			SkillFallback:      time.Minute,
			RecordCalls:        true,
			RecordingRetention: 90 * 24 * time.Hour,
			ServiceLevelTarget: 20 * time.Second,
		},
	}
}

// Options say what a command needs of the configuration.
type Options struct {
	// Getenv reads the environment overrides; nil: os.Getenv.
	Getenv func(string) string
	// Sections limits the validation to these top-level sections ("ari", "calls"...), for a
	// command that uses only them: `hotline recording get` needs ARI's settings, not the AMI
	// password. The file is still read whole: a syntax error or a misspelt key anywhere is an
	// error. nil: every section.
	Sections []string
	// Host adds the checks of the machine the daemon runs on (CheckHost): `hotline serve`.
	Host bool
}

// Load reads the file at path (none if path is ""), applies the environment from getenv (os.Getenv
// if nil) and validates the result.
func Load(path string, getenv func(string) string) (Config, error) {
	return LoadWith(path, Options{Getenv: getenv})
}

// LoadWith is Load for what o says a command needs. Every mistake is reported at once, each
// under its key (or the file's line): the file's (misspelt keys, values of the wrong type, text
// YAML would read as something else), the environment's, the validation's, and with o.Host the
// machine's. Only a YAML syntax error stops the file's reading; the environment's mistakes are
// reported with it. No message shows a secret.
func LoadWith(path string, o Options) (Config, error) {
	c := Default()
	var ps problems
	fileOK := true
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		var fileProblems problems
		fileOK = c.decode(data, &fileProblems)
		for _, p := range fileProblems {
			if p.key == "" {
				p.msg = path + ": " + p.msg
			}
			ps = append(ps, p)
		}
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	c.applyEnv(getenv, &ps)
	if c.ARI.Websocket == "" {
		c.ARI.Websocket = websocketFor(c.ARI.URL)
	}
	for i := range c.ARI.Nodes {
		n := &c.ARI.Nodes[i]
		if n.Websocket == "" {
			n.Websocket = websocketFor(n.URL)
		}
		if n.User == "" {
			n.User = c.ARI.User
		}
		if n.Password == "" {
			n.Password = c.ARI.Password
		}
		n.AMI = nodeAMI(n.URL, n.AMI, c.AMI)
	}
	if fileOK {
		// A key the file got wrong is reported once, for what the file says.
		var vs problems
		c.validate(&vs)
		if o.Host {
			c.checkHost(&vs)
		}
		for _, p := range vs {
			if !ps.about(p.key) {
				ps = append(ps, p)
			}
		}
	}
	ps = ps.only(o.Sections)
	if err := ps.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// problem is one mistake, under the key it is about ("" for the file as a whole: its message
// names the line).
type problem struct{ key, msg string }

type problems []problem

func (ps *problems) add(key, format string, args ...any) {
	*ps = append(*ps, problem{key: key, msg: fmt.Sprintf(format, args...)})
}

// about reports whether a problem about key is already there.
func (ps problems) about(key string) bool {
	for _, p := range ps {
		if p.key != "" && p.key == key {
			return true
		}
	}
	return false
}

// only keeps the problems of the file as a whole, of the environment, and of keys in sections
// (nil: all).
func (ps problems) only(sections []string) problems {
	if sections == nil {
		return ps
	}
	var out problems
	for _, p := range ps {
		keep := p.key == "" || strings.HasPrefix(p.key, "HOTLINE_")
		for _, sec := range sections {
			keep = keep || strings.HasPrefix(p.key, sec+".")
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		if p.key == "" {
			errs[i] = errors.New(p.msg)
		} else {
			errs[i] = fmt.Errorf("%s: %s", p.key, p.msg)
		}
	}
	return fmt.Errorf("config: %w", errors.Join(errs...))
}

// decode reads the YAML file into c, noting every problem; false when the file could not be read
// through (a syntax error), so that its values are unknown.
func (c *Config) decode(data []byte, ps *problems) bool {
	// First as a tree: text YAML would read as something else is found there, and the secrets'
	// raw text, which no message may show.
	var root yaml.Node
	data, ok := neutraliseUnknownAliases(data, ps)
	if !ok {
		return false
	}
	if err := yaml.Unmarshal(data, &root); err != nil {
		ps.add("", "%s", err)
		return false
	}
	var secrets []string
	if len(root.Content) > 0 {
		lintNode(root.Content[0], reflect.TypeOf(*c), "", ps, &secrets)
	}
	redact := func(msg string) string {
		for _, sv := range secrets {
			msg = strings.ReplaceAll(msg, sv, "****")
		}
		return msg
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key is an error, not a silently ignored setting
	err := dec.Decode(c)
	var te *yaml.TypeError
	switch {
	case err == nil, errors.Is(err, io.EOF): // io.EOF: an empty file: defaults
		return true
	case errors.As(err, &te):
		// Misspelt keys and values of the wrong type: the rest of the file was read.
		for _, e := range te.Errors {
			ps.add("", "%s", redact(e))
		}
		return true
	}
	ps.add("", "%s", redact(err.Error()))
	return false
}

// neutraliseUnknownAliases finds the aliases that refer to no anchor, which stop YAML's parse:
// a password beginning with * is one. Each is noted, without its text (YAML's own error would
// print it), and replaced by a quoted placeholder so that the rest of the file is read and its
// mistakes reported too.
func neutraliseUnknownAliases(data []byte, ps *problems) ([]byte, bool) {
	const unknown = "unknown anchor '"
	for range 100 { // each round removes one alias: bounded by the file's size in practice
		var probe yaml.Node
		err := yaml.Unmarshal(data, &probe)
		if err == nil {
			return data, true
		}
		msg := err.Error()
		i := strings.Index(msg, unknown)
		if i < 0 {
			return data, true // another syntax error: the parse reports it
		}
		name, _, _ := strings.Cut(msg[i+len(unknown):], "' referenced")
		lines := strings.Split(string(data), "\n")
		found := false
		for n, line := range lines {
			if j := strings.Index(line, "*"+name); j >= 0 {
				ps.add("", "line %d: a value beginning with * is a YAML alias, and this one refers to no anchor: quote the value if it is text such as a password (\"*...\"); it is not shown", n+1)
				lines[n] = line[:j] + `"****"` + line[j+1+len(name):]
				found = true
				break
			}
		}
		if !found {
			ps.add("", "an alias (*...) refers to no anchor: quote any value beginning with * (it is not shown)")
			return nil, false
		}
		data = []byte(strings.Join(lines, "\n"))
	}
	return data, true
}

var secretType = reflect.TypeOf(Secret(""))

// lintNode walks the file's tree along the configuration's fields (t), and notes the text values
// YAML reads as something else than written: an alias (*x), an anchor (&x) or a tag (!x, !!binary)
// where text is expected, and for a secret also null (~, null) and an unquoted value followed by
// a comment (a password with " #" in it is cut there). Each is refused with the advice to quote
// it; secrets' raw text is collected so that no message shows it. Keys the configuration does
// not have are left to the decoder, which names them.
func lintNode(n *yaml.Node, t reflect.Type, key string, ps *problems, secrets *[]string) {
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder says what is wrong
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			name := n.Content[i].Value
			for f := range t.NumField() {
				field := t.Field(f)
				if tag, _, _ := strings.Cut(field.Tag.Get("yaml"), ","); tag == name {
					sub := name
					if key != "" {
						sub = key + "." + name
					}
					lintNode(n.Content[i+1], field.Type, sub, ps, secrets)
				}
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, el := range n.Content {
			lintNode(el, t.Elem(), fmt.Sprintf("%s[%d]", key, i), ps, secrets)
		}
	case reflect.String:
		secret := t == secretType
		what := "text"
		if secret {
			what = "a secret"
			if n.Value != "" {
				*secrets = append(*secrets, n.Value)
			}
		}
		quote := "quote it (\"...\" or '...')"
		if secret {
			quote += "; the value is not shown"
		}
		plain := n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
		switch {
		case n.Kind == yaml.AliasNode:
			ps.add(key, "line %d: a YAML alias (*name) where %s is expected: %s", n.Line, what, quote)
		case n.Kind != yaml.ScalarNode:
			// The decoder says what is wrong.
		case n.Anchor != "":
			ps.add(key, "line %d: a YAML anchor (&name) before %s, which YAML drops: %s", n.Line, what, quote)
		case n.Style&yaml.TaggedStyle != 0 && n.Tag != "!!str":
			ps.add(key, "line %d: a YAML tag (!name or !!type) where %s is expected, which YAML reads as something else: %s", n.Line, what, quote)
		case secret && plain && n.Tag == "!!null" && n.Value != "":
			ps.add(key, "line %d: YAML reads this unquoted word as null (empty): %s", n.Line, quote)
		case secret && plain && n.LineComment != "":
			ps.add(key, "line %d: an unquoted secret followed by a comment: YAML cuts it at \" #\"; if that is part of it, or even if not, %s", n.Line, quote)
		}
	}
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

// list is a comma-separated list; empty entries are dropped.
func list(p func(c *Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
		*p(c) = out
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
		{"HOTLINE_JOURNAL_BACKEND", str(func(c *Config) *string { return &c.Journal.Backend })},
		{"HOTLINE_JOURNAL_DSN", func(c *Config, v string) error { c.Journal.DSN = DSN(v); return nil }},
		{"HOTLINE_API_SOCKET", str(func(c *Config) *string { return &c.API.Socket })},
		{"HOTLINE_METRICS_LISTEN", str(func(c *Config) *string { return &c.Metrics.Listen })},
		{"HOTLINE_METRICS_PUBLIC", boolean(func(c *Config) *bool { return &c.Metrics.Public })},
		{"HOTLINE_METRICS_PPROF", boolean(func(c *Config) *bool { return &c.Metrics.Pprof })},
		{"HOTLINE_WEB_LISTEN", str(func(c *Config) *string { return &c.Web.Listen })},
		{"HOTLINE_WEB_PUBLIC", boolean(func(c *Config) *bool { return &c.Web.Public })},
		{"HOTLINE_WEB_TLS_CERT", str(func(c *Config) *string { return &c.Web.TLSCert })},
		{"HOTLINE_WEB_TLS_KEY", str(func(c *Config) *string { return &c.Web.TLSKey })},
		{"HOTLINE_WEB_SECURE_COOKIE", boolean(func(c *Config) *bool { return &c.Web.SecureCookie })},
		{"HOTLINE_WEB_TRUSTED_PROXIES", list(func(c *Config) *[]string { return &c.Web.TrustedProxies })},
		{"HOTLINE_WEB_SOFTPHONE", str(func(c *Config) *string { return &c.Web.Softphone })},
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
		{"HOTLINE_DELAYED_ANSWER_OWNER", str(func(c *Config) *string { return &c.Calls.DelayedAnswerOwner })},
		{"HOTLINE_DELAYED_ANSWER_DUE", dur(func(c *Config) *time.Duration { return &c.Calls.DelayedAnswerDue })},
		{"HOTLINE_SKILL_FALLBACK", dur(func(c *Config) *time.Duration { return &c.Calls.SkillFallback })},
		{"HOTLINE_RECORD_CALLS", boolean(func(c *Config) *bool { return &c.Calls.RecordCalls })},
		{"HOTLINE_RECORDING_RETENTION", dur(func(c *Config) *time.Duration { return &c.Calls.RecordingRetention })},
		{"HOTLINE_SERVICE_LEVEL_TARGET", dur(func(c *Config) *time.Duration { return &c.Calls.ServiceLevelTarget })},
		{"HOTLINE_SHUTDOWN_DRAIN", dur(func(c *Config) *time.Duration { return &c.Shutdown.Drain })},
		{"HOTLINE_SHUTDOWN_WAITING", str(func(c *Config) *string { return &c.Shutdown.Waiting })},
		{"HOTLINE_STANDBY", boolean(func(c *Config) *bool { return &c.Standby.Enabled })},
		{"HOTLINE_STANDBY_LEASE_TTL", dur(func(c *Config) *time.Duration { return &c.Standby.LeaseTTL })},
		{"HOTLINE_STANDBY_RENEW", dur(func(c *Config) *time.Duration { return &c.Standby.Renew })},
		{"HOTLINE_QUEUE_LOG_FILE", str(func(c *Config) *string { return &c.Export.QueueLogFile })},
		{"HOTLINE_QUEUE_LOG_QUEUE", str(func(c *Config) *string { return &c.Export.QueueLogQueue })},
	}
}

func (c *Config) applyEnv(getenv func(string) string, ps *problems) {
	for _, v := range envVars() {
		val, ok := lookup(getenv, v.name)
		if !ok {
			continue
		}
		if err := v.set(c, val); err != nil {
			ps.add(v.name, "%v", err)
		}
	}
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// NodeAMI is node n's AMI settings with the defaults filled in (Load fills them already; this is
// for a configuration built in code).
func (c Config) NodeAMI(n ARINode) AMI { return nodeAMI(n.URL, n.AMI, c.AMI) }

// nodeAMI fills what a node's AMI settings leave empty from the ami section's: the address is the
// node's host (from its ARI URL) with ami.addr's port.
func nodeAMI(restURL string, n, def AMI) AMI {
	if n.Addr == "" {
		n.Addr = def.Addr
		_, port, perr := net.SplitHostPort(def.Addr)
		if u, err := url.Parse(restURL); err == nil && u.Hostname() != "" && perr == nil {
			n.Addr = net.JoinHostPort(u.Hostname(), port)
		}
	}
	if n.User == "" {
		n.User = def.User
	}
	if n.Password == "" {
		n.Password = def.Password
	}
	return n
}

func websocketFor(restURL string) string {
	u, err := url.Parse(restURL)
	if err != nil {
		return ""
	}
	u.User = nil // refused in ari.url: said once, there
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/events"
	return u.String()
}

// Validate checks every key and reports all mistakes at once, each with its key. It looks at the
// values only; CheckHost looks at the machine.
func (c Config) Validate() error {
	var ps problems
	c.validate(&ps)
	return ps.err()
}

func (c Config) validate(ps *problems) {
	bad := ps.add
	if _, err := c.Informing.Plan(); err != nil {
		bad("informing", "%v", err)
	}
	if err := switchboard.CheckCallbackDial(c.Informing.Dial); err != nil {
		bad("informing.dial", "%v", err)
	}
	if c.Informing.Ring < 5*time.Second || c.Informing.Ring > 5*time.Minute {
		bad("informing.ring", "between 5s and 5m: %s", c.Informing.Ring)
	}
	urls := []struct{ key, raw string }{{"ari.url", c.ARI.URL}, {"ari.websocket", c.ARI.Websocket}}
	names := map[string]bool{}
	for i, n := range c.ARI.Nodes {
		key := fmt.Sprintf("ari.nodes[%d]", i)
		urls = append(urls, struct{ key, raw string }{key + ".url", n.URL}, struct{ key, raw string }{key + ".websocket", n.Websocket})
		if n.Name == "" || strings.ContainsAny(n.Name, " ,/") || names[n.Name] {
			bad(key+".name", "a single word, one per node: %q", n.Name)
		}
		names[n.Name] = true
		if n.Operators != "" && !strings.Contains(n.Operators, "{extension}") {
			bad(key+".operators", "must hold {extension}, e.g. PJSIP/{extension}@kamailio: %q", n.Operators)
		}
		if n.Softphones != "" && (n.Operators == "" || !strings.Contains(n.Softphones, "{extension}")) {
			bad(key+".softphones", "must hold {extension}, e.g. PJSIP/{extension}@kamailio-webrtc, beside operators: %q", n.Softphones)
		}
		// Its user and password, when not its own, are the ami section's, checked there.
		if _, _, err := net.SplitHostPort(n.AMI.Addr); err != nil {
			bad(key+".ami.addr", "not host:port: %q", n.AMI.Addr)
		}
		for _, other := range c.ARI.Nodes[:i] {
			if n.AMI.Addr != "" && other.AMI.Addr == n.AMI.Addr {
				bad(key+".ami.addr", "%q is node %s's too: each node has its own AMI", n.AMI.Addr, other.Name)
			}
		}
	}
	if c.ARI.NodeLostAfter < 0 || c.ARI.NodeLostAfter > time.Minute {
		bad("ari.node_lost_after", "between 0 and 1m: %v", c.ARI.NodeLostAfter)
	}
	if c.Kamailio.RPC != "" {
		shown := redactURL(c.Kamailio.RPC)
		u, err := url.Parse(c.Kamailio.RPC)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			bad("kamailio.rpc", "not an http:// or https:// URL with a host, e.g. http://127.0.0.1:5071/RPC: %q", shown)
		case u.User != nil:
			bad("kamailio.rpc", "has a user or password in it (%s): Kamailio's JSON-RPC listener asks none; keep it on loopback or a management network", shown)
		}
		kamailioNodes := false
		for _, n := range c.ARI.Nodes {
			kamailioNodes = kamailioNodes || n.Operators != ""
		}
		if !kamailioNodes {
			bad("kamailio.rpc", "set, but no node of ari.nodes rings its operators through Kamailio (operators: PJSIP/{extension}@kamailio): the handsets' presence comes from Asterisk")
		}
	}
	for i, n := range c.ARI.Nodes {
		if n.Softphones != "" && c.Kamailio.RPC == "" && c.Web.Softphone != "" {
			bad(fmt.Sprintf("ari.nodes[%d].softphones", i), "needs kamailio.rpc: the softphones authenticate at Kamailio with the passwords hotline sets there over its JSON-RPC")
			break
		}
	}
	if c.Kamailio.Poll < 500*time.Millisecond || c.Kamailio.Poll > time.Minute {
		bad("kamailio.poll", "between 500ms and 1m: %v", c.Kamailio.Poll)
	}
	for _, k := range urls {
		key, raw := k.key, k.raw
		kind := key[strings.LastIndexByte(key, '.')+1:]
		shown := redactURL(raw)
		u, err := url.Parse(raw)
		if (err != nil && shown != raw) || (err == nil && u.User != nil) {
			// Credentials in the URL would be printed wherever the URL is (--check, the start's
			// log, every reconnection's): hotline keeps them in keys it never prints.
			bad(key, "has a user or password in it (%s): put them in ari.user and ari.password (HOTLINE_ARI_USER, HOTLINE_ARI_PASSWORD), which are never printed", shown)
			continue
		}
		if err != nil || u.Host == "" {
			bad(key, "not a URL with a host: %q", shown)
			continue
		}
		allowed := map[string]bool{"url": u.Scheme == "http" || u.Scheme == "https", "websocket": u.Scheme == "ws" || u.Scheme == "wss"}
		if !allowed[kind] {
			bad(key, "unexpected scheme %q in %q", u.Scheme, shown)
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
	switch c.Journal.Backend {
	case "", BackendSQLite:
		c.Journal.Backend = BackendSQLite
		if c.Journal.Path == "" {
			bad("journal.path", "empty")
		}
	case BackendPostgres:
		// The DSN's words are never quoted back: they may hold the password.
		switch d := c.Journal.DSN.Reveal(); {
		case d == "":
			bad("journal.dsn", "empty: journal.backend postgres needs a postgres:// URL (or HOTLINE_JOURNAL_DSN)")
		case !journal.IsPostgresDSN(d):
			bad("journal.dsn", "not a postgres:// or postgresql:// URL")
		default:
			if u, err := url.Parse(d); err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
				bad("journal.dsn", "%s: want postgres://user:password@host:port/database", RedactDSN(d))
			}
		}
		if c.Journal.Path == "" && c.Journal.Spool == "" {
			bad("journal.spool", "empty, and no journal.path to put it beside: name the spool file")
		}
	default:
		bad("journal.backend", "sqlite or postgres: %q", c.Journal.Backend)
	}
	if c.Journal.Path != "" {
		c.validateSpool(ps)
	}
	if c.Shutdown.Drain < 0 || c.Shutdown.Drain > time.Hour {
		bad("shutdown.drain", "between 0 and 1h: %v", c.Shutdown.Drain)
	}
	if c.Shutdown.Waiting != WaitingKeep && c.Shutdown.Waiting != WaitingFallback {
		bad("shutdown.waiting", "keep or fallback: %q", c.Shutdown.Waiting)
	}
	if c.Standby.LeaseTTL < time.Second || c.Standby.LeaseTTL > time.Minute {
		bad("standby.lease_ttl", "between 1s and 1m: %v", c.Standby.LeaseTTL)
	}
	// Renewed at least twice per time to live: one slow renewal must not lose the lease.
	if c.Standby.Renew < 100*time.Millisecond || c.Standby.Renew > c.Standby.LeaseTTL/2 {
		bad("standby.renew", "between 100ms and half of standby.lease_ttl (%v): %v", c.Standby.LeaseTTL, c.Standby.Renew)
	}
	if c.Export.QueueLogFile != "" && c.Journal.Path != "" {
		for _, f := range append(journalFiles(c.Journal.Path), spoolFiles(c.Journal.SpoolPath())...) {
			if absPath(c.Export.QueueLogFile) == absPath(f) || absPath(c.Export.QueueLogFile+".mark") == absPath(f) {
				bad("export.queue_log_file", "%q is one of the journal's files (%s): name another file", c.Export.QueueLogFile, f)
				break
			}
		}
	}
	if q := c.Export.QueueLogQueue; q == "" {
		bad("export.queue_log_queue", "empty: give the queue's name, e.g. hotline")
	} else if i := strings.IndexFunc(q, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}); i >= 0 {
		// A | or a newline would forge queue_log lines.
		r, _ := utf8.DecodeRuneInString(q[i:])
		bad("export.queue_log_queue", "%q holds %q: a queue name is letters, digits, - _ and . only", q, r)
	}
	if c.API.Socket == "" {
		bad("api.socket", "empty")
	} else if c.Journal.Path != "" {
		sock := absPath(c.API.Socket)
		for _, f := range append(journalFiles(c.Journal.Path), spoolFiles(c.Journal.SpoolPath())...) {
			if sock == f {
				// The daemon removes a file at the socket's path that no daemon answers on.
				bad("api.socket", "%q is one of the journal's or the spool's files, which the daemon would remove to make its socket", c.API.Socket)
				break
			}
		}
	}
	if c.Metrics.Listen != "" {
		host, _, err := net.SplitHostPort(c.Metrics.Listen)
		switch {
		case err != nil:
			bad("metrics.listen", "not host:port: %q", c.Metrics.Listen)
		case !loopback(host) && !c.Metrics.Public:
			bad("metrics.listen", "%q is reachable from other machines (every interface, or an address or name that is not loopback): /metrics and /healthz would be open to the network; listen on 127.0.0.1:PORT, or set metrics.public: true (HOTLINE_METRICS_PUBLIC) to mean it", c.Metrics.Listen)
		}
	}
	if c.Metrics.Pprof {
		host, _, err := net.SplitHostPort(c.Metrics.Listen)
		if err != nil || !loopback(host) {
			bad("metrics.pprof", "needs metrics.listen on a loopback address (127.0.0.1:PORT), even with metrics.public: %q", c.Metrics.Listen)
		}
	}
	if c.Web.Listen != "" {
		host, _, err := net.SplitHostPort(c.Web.Listen)
		switch {
		case err != nil:
			bad("web.listen", "not host:port: %q", c.Web.Listen)
		case !loopback(host) && !c.Web.Public:
			bad("web.listen", "%q is reachable from other machines (every interface, or an address or name that is not loopback): the workplace's login would be open to the network; listen on 127.0.0.1:PORT behind a reverse proxy with TLS, or set web.public: true (HOTLINE_WEB_PUBLIC) with web.tls_cert and web.tls_key to mean it", c.Web.Listen)
		}
	}
	if c.Web.Softphone != "" {
		u, err := url.Parse(c.Web.Softphone)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "ws" && u.Scheme != "wss"):
			bad("web.softphone", "not a ws:// or wss:// address of Asterisk's SIP WebSocket (like wss://pbx.example.org:8089/ws): %q", c.Web.Softphone)
		case u.Scheme == "ws" && !loopback(u.Hostname()):
			bad("web.softphone", "%q is plain ws to another machine: SIP passwords would cross the network in clear; use wss:// (http.conf tlsenable)", c.Web.Softphone)
		}
	}
	if (c.Web.TLSCert == "") != (c.Web.TLSKey == "") {
		bad("web.tls_cert", "web.tls_cert and web.tls_key go together: set both (HTTPS) or neither")
	}
	for i, px := range c.Web.TrustedProxies {
		if _, err := parseProxy(px); err != nil {
			bad(fmt.Sprintf("web.trusted_proxies[%d]", i), "not an IP address or CIDR prefix (like 127.0.0.1 or 10.0.0.0/8): %q", px)
		}
	}
	if c.Web.Public && c.Web.Listen != "" && (c.Web.TLSCert == "" || c.Web.TLSKey == "") {
		bad("web.public", "needs web.tls_cert and web.tls_key: a workplace open to the network would carry passwords and session cookies in clear")
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "one of debug, info, warn, error: %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "text or json: %q", c.Log.Format)
	}
	// The call rules' bounds are the core's (switchboard and routing check them with the same
	// functions in their Validate): here each verdict is only reported under its key.
	k := c.Calls
	core := func(key string, err error) {
		if err != nil {
			bad(key, "%v", err)
		}
	}
	core("calls.language", switchboard.CheckLanguage(k.Language))
	core("calls.greeting", switchboard.CheckMedia(k.Greeting))
	core("calls.music_class", switchboard.CheckMusicClass(k.MusicClass))
	_, err := routing.ParseStrategy(k.Strategy)
	core("calls.strategy", err)
	core("calls.announce_interval", switchboard.CheckAnnounceInterval(k.AnnounceInterval))
	core("calls.wrap_up", routing.CheckNotNegative(k.WrapUp))
	core("calls.max_wait", routing.CheckNotNegative(k.MaxWait))
	core("calls.owner_wait", routing.CheckNotNegative(k.OwnerWait))
	core("calls.skill_fallback", routing.CheckNotNegative(k.SkillFallback))
	// The file's own keys, which the daemon applies itself (retention, reports, delayed answers).
	if k.RecordingRetention < 0 {
		bad("calls.recording_retention", "must not be negative: %s", k.RecordingRetention)
	}
	core("calls.ring_timeout", switchboard.CheckRingTimeout(k.RingTimeout))
	if k.ServiceLevelTarget <= 0 {
		bad("calls.service_level_target", "must be positive: %s", k.ServiceLevelTarget)
	}
	core("calls.max_queue", routing.CheckNotNegative(k.MaxQueue))
	core("calls.missed_offers_pause", routing.CheckNotNegative(k.MissedOffersPause))
	if k.DelayedAnswerOwner != "case_owner" && k.DelayedAnswerOwner != "administrators" {
		bad("calls.delayed_answer_owner", "case_owner or administrators: %q", k.DelayedAnswerOwner)
	}
	if k.DelayedAnswerDue < time.Hour || k.DelayedAnswerDue > 90*24*time.Hour {
		bad("calls.delayed_answer_due", "between 1h and 2160h (90 days): %s", k.DelayedAnswerDue)
	}
	core("calls.overflow", switchboard.CheckOverflow(k.Overflow))
	core("calls.callback_dial", switchboard.CheckCallbackDial(k.CallbackDial))
	core("calls.callback_attempts", switchboard.CheckCallbackAttempts(k.CallbackAttempts))
	core("calls.callback_retry", switchboard.CheckCallbackRetry(k.CallbackRetry))
	for i, n := range k.PriorityNumbers {
		core(fmt.Sprintf("calls.priority_numbers[%d]", i), switchboard.CheckPriorityNumber(n))
	}
}

// loopback reports whether host (of host:port) is a loopback address or localhost. A name other
// than localhost is not looked up: what it resolves to may change.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL is raw with any user-info (user:password@) replaced by ****, parsable or not.
func redactURL(raw string) string {
	rest, scheme := raw, ""
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	return scheme + "****@" + rest[at+1:]
}

// absPath is p made absolute and clean, so that two spellings of one path compare equal
// (CheckHost also resolves symbolic links).
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// journalFiles are the journal's file and SQLite's beside it, absolute.
func journalFiles(path string) []string {
	p := absPath(path)
	return []string{p, p + "-wal", p + "-shm", p + "-journal"}
}

// spoolFiles are the spool's file and the ones it keeps beside it (its lock, and a rotation's
// temporary file, which it deletes at start), absolute.
func spoolFiles(path string) []string {
	p := absPath(path)
	return []string{p, p + ".lock", p + ".tmp"}
}

// validateSpool refuses a spool that is, or would touch, one of the journal's files: at its start
// the daemon takes a spool file it cannot read for a damaged spool and moves it aside, and it
// deletes the spool's temporary file.
func (c Config) validateSpool(ps *problems) {
	sp := c.Journal.SpoolPath()
	if strings.HasSuffix(sp, "/") || filepath.Base(absPath(sp)) == "/" {
		ps.add("journal.spool", "%q names a directory: the spool is a file (empty: %s.spool, beside the journal)", sp, c.Journal.Path)
		return
	}
	for _, s := range spoolFiles(sp) {
		for i, j := range journalFiles(c.Journal.Path) {
			if s == j {
				which := "the journal itself"
				if i > 0 {
					which = "the journal's SQLite file " + filepath.Base(j)
				}
				ps.add("journal.spool", "%q is, or sits on, %s (journal.path %q): the daemon would take the journal for a damaged spool and move it aside; leave journal.spool empty (%s.spool) or name another file",
					sp, which, c.Journal.Path, c.Journal.Path)
				return
			}
		}
	}
}

// CheckHost checks what the daemon needs of the machine before it starts, as the account running
// the check: the journal's and the spool's directories exist and can be written, neither file is
// a directory, the spool is not the journal through a link, and the socket's place is free for a
// socket. (The socket's directory need not exist: the daemon creates it.)
func (c Config) CheckHost() error {
	var ps problems
	c.checkHost(&ps)
	return ps.err()
}

func (c Config) checkHost(ps *problems) {
	fileIn := func(key, path, what string) {
		if path == "" {
			return
		}
		dir := filepath.Dir(absPath(path))
		switch st, err := os.Stat(dir); {
		case errors.Is(err, fs.ErrNotExist):
			ps.add(key, "the directory %s does not exist: create it for %s (owned by the daemon's account; systemd's StateDirectory= does)", dir, what)
			return
		case err != nil:
			ps.add(key, "cannot look at the directory %s: %v", dir, err)
			return
		case !st.IsDir():
			ps.add(key, "%s is not a directory", dir)
			return
		}
		if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
			ps.add(key, "the directory %s cannot be written by this account (uid %d): %v", dir, os.Getuid(), err)
		}
		if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
			ps.add(key, "%s is not a file (%s)", path, kind(st.Mode()))
		}
	}
	fileIn("journal.path", c.Journal.Path, "the journal")
	fileIn("journal.spool", c.Journal.SpoolPath(), "the spool")
	fileIn("export.queue_log_file", c.Export.QueueLogFile, "the queue_log")
	if c.Journal.Path != "" && !ps.about("journal.spool") {
		// The same file under another name: a link, or a linked directory.
		if sameFile(c.Journal.SpoolPath(), c.Journal.Path) {
			ps.add("journal.spool", "%q is the journal (journal.path %q) under another name: the daemon would take the journal for a damaged spool and move it aside; leave journal.spool empty or name another file",
				c.Journal.SpoolPath(), c.Journal.Path)
		}
	}
	if c.API.Socket != "" {
		if st, err := os.Lstat(c.API.Socket); err == nil {
			if st.Mode().Type() != fs.ModeSocket {
				ps.add("api.socket", "%s exists and is not a socket (%s): the daemon would replace it", c.API.Socket, kind(st.Mode()))
			}
		} else {
			// The daemon creates the missing directories: the nearest existing one must be one.
			for dir := filepath.Dir(absPath(c.API.Socket)); ; dir = filepath.Dir(dir) {
				st, err := os.Stat(dir)
				if err == nil {
					if !st.IsDir() {
						ps.add("api.socket", "%s is not a directory: the socket cannot be made under it", dir)
					}
					break
				}
				if dir == filepath.Dir(dir) {
					break
				}
			}
		}
	}
}

// sameFile reports whether a and b are one file: the same existing file, or the same name once
// the symbolic links of their directories are resolved.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return resolved(a) == resolved(b)
}

func resolved(p string) string {
	p = absPath(p)
	if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(dir, filepath.Base(p))
	}
	return p
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m.Type() == fs.ModeSocket:
		return "a socket"
	case m.Type() == fs.ModeSymlink:
		return "a symbolic link"
	case m.IsRegular():
		return "a file"
	}
	return "a special file"
}
