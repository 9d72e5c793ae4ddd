// Package softphone provisions the workplace's WebRTC softphones on Asterisk and issues their
// short-lived SIP credentials.
//
// An operator's device is one PJSIP endpoint named by their extension, which the call flow dials
// (PJSIP/<extension>) whatever it is. A handset is defined in Asterisk's files
// (pjsip_operators.conf); any other extension gets, when its operator opens the workplace, a WebRTC
// endpoint with its auth and AOR pushed through ARI into Asterisk's in-memory sorcery store
// (asterisk-conf/sorcery.conf): nothing written to disk, no reload, so no call is touched. Each
// issue sets a fresh random password, valid for TTL; when it lapses unrenewed, the password is
// replaced by one nobody knows, so a leaked password stops working and a closed page's softphone
// cannot register again.
//
// With several nodes the softphones register with Kamailio instead (docs/scaling.md): the
// provisioner then also keeps each issued password in Kamailio (Provisioner.Kamailio), deletes it
// there at revocation and removal, and sets them all again when Kamailio restarted (SyncKamailio).
package softphone

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
)

// Asterisk is the part of ARI the provisioner uses (*ari.Conn).
type Asterisk interface {
	PutConfig(ctx context.Context, class, typ, id string, fields []ari.ConfigField) error
	DeleteConfig(ctx context.Context, class, typ, id string) error
}

// Registrar is the Kamailio softphones register with (*kamailio.Client): its hash tables (htable
// in asterisk-conf/kamailio/kamailio.cfg) of the softphones' passwords and of the mark that they
// are all set.
type Registrar interface {
	HTableSet(ctx context.Context, table, key, value string) error
	HTableDelete(ctx context.Context, table, key string) error
	HTableFlush(ctx context.Context, table string) error
	HTableGet(ctx context.Context, table, key string) (value string, found bool, err error)
}

// KamailioTable is the htable of kamailio.cfg holding the softphones' passwords (extension =>
// password), which route[SOFTPHONE_AUTH] checks.
const KamailioTable = "softphones"

// KamailioMarkTable and KamailioMarkKey hold, in Kamailio, this provisioner's mark (a random
// value of its own) once every password is set: a restarted Kamailio has no mark, another run
// of hotline's another value, and either way SyncKamailio sets them all. A mark rather than
// Kamailio's start time (core.uptime): that counts in whole seconds, and the mark tells exactly
// whether this table is the one the passwords were set in.
const (
	KamailioMarkTable = "softphonesync"
	KamailioMarkKey   = "softphones"
)

// DefaultKamailioCheck is how often SyncKamailio runs when Provisioner.KamailioCheck is 0.
const DefaultKamailioCheck = 5 * time.Second

// Credentials are what the page's softphone registers with: kept in the page's memory only.
type Credentials struct {
	WebSocket string    `json:"websocket"` // e.g. wss://pbx.example.org:8089/ws
	URI       string    `json:"uri"`       // sip:9001@pbx.example.org
	User      string    `json:"user"`      // the digest user name: the extension
	Password  string    `json:"password"`
	Expires   time.Time `json:"expires"` // the page asks for new ones before this
}

// DefaultTTL is how long an issued password stays valid when Provisioner.TTL is 0.
const DefaultTTL = 10 * time.Minute

// Provisioner pushes softphone endpoints and issues their credentials. Its zero value is not
// usable: set Asterisk and WebSocket.
type Provisioner struct {
	Asterisk  Asterisk
	WebSocket string        // the URL browsers reach Asterisk's SIP WebSocket at (ws:// only on loopback)
	TTL       time.Duration // 0: DefaultTTL
	Log       *slog.Logger  // nil: discard
	// Extensions, if set, lists the extensions of the operators in service (the journal's): Run
	// deletes from Asterisk the softphones it pushed for any other (an operator removed from
	// service or given another extension), so none is left registered-to or dialable.
	Extensions func(ctx context.Context) ([]string, error)
	// Kamailio, if set, is the Kamailio the softphones register with: each issued password is set
	// in its table, deleted at revocation and removal, and all set again after it restarted.
	Kamailio Registrar
	// KamailioCheck is how often Run asks Kamailio whether it restarted (0: DefaultKamailioCheck).
	KamailioCheck time.Duration

	mu      sync.Mutex
	expires map[string]time.Time // extension -> when its issued password lapses
	pushed  map[string]bool      // extensions this provisioner pushed objects for, until removed

	// kam serialises the writes to Kamailio with the changes of live, so that a resync never sets
	// a password older than the one an Issue just set. Held over the RPC calls; never with mu.
	kam      sync.Mutex
	live     map[string]string // extension -> its valid password, as Kamailio should hold it
	mark     string            // this provisioner's mark (KamailioMarkTable), random, made once
	kamStale bool              // the last SyncKamailio failed: set them all at the next
	flushed  bool              // the passwords of an earlier run of hotline are gone from Kamailio
}

// ErrHandset is returned for an extension Asterisk's files define as a SIP handset: its device is
// the handset, not a softphone.
var ErrHandset = errors.New("softphone: the extension is a SIP handset defined in Asterisk's configuration")

func (p *Provisioner) ttl() time.Duration {
	if p.TTL <= 0 {
		return DefaultTTL
	}
	return p.TTL
}

func (p *Provisioner) log() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// endpointFields are the WebRTC endpoint's settings: asterisk-conf/pjsip.conf's operator-webrtc
// template, which pushed objects cannot inherit.
func endpointFields(ext string) []ari.ConfigField {
	return []ari.ConfigField{
		{Attribute: "webrtc", Value: "yes"},
		{Attribute: "context", Value: "hotline-operators"},
		{Attribute: "auth", Value: ext},
		{Attribute: "aors", Value: ext},
		{Attribute: "dtls_cert_file", Value: "/etc/asterisk/keys/dtls.pem"},
		{Attribute: "dtls_private_key", Value: "/etc/asterisk/keys/dtls.key"},
		{Attribute: "allow", Value: "!all,opus,ulaw,alaw"},
		{Attribute: "dtmf_mode", Value: "rfc4733"},
		{Attribute: "direct_media", Value: "no"},
		{Attribute: "timers", Value: "yes"},
		{Attribute: "allow_transfer", Value: "yes"},
		{Attribute: "device_state_busy_at", Value: "1"},
		{Attribute: "send_pai", Value: "yes"},
		{Attribute: "trust_id_outbound", Value: "yes"},
		{Attribute: "callerid", Value: fmt.Sprintf("<%s>", ext)},
		// A page closed or a network cut mid-call leaves no one to send BYE, and Asterisk keeps a
		// dead leg (the caller would hear silence for as long as they wait): hang up after 15 s
		// without the browser's media (it sends RTP while muted or holding, too).
		{Attribute: "rtp_timeout", Value: "15"},
		{Attribute: "rtp_timeout_hold", Value: "60"},
	}
}

// aorFields: one softphone per operator (the newest registration, e.g. a reloaded page, replaces
// the old), checked by OPTIONS so that a closed page makes the operator unreachable.
var aorFields = []ari.ConfigField{
	{Attribute: "max_contacts", Value: "1"},
	{Attribute: "remove_existing", Value: "yes"},
	// A crashed browser leaves a contact on a dead WebSocket: the next registration replaces it.
	{Attribute: "remove_unavailable", Value: "yes"},
	{Attribute: "qualify_frequency", Value: "15"},
	{Attribute: "qualify_timeout", Value: "3.0"},
	{Attribute: "default_expiration", Value: "300"},
	{Attribute: "minimum_expiration", Value: "30"},
}

// Issue provisions ext's softphone (idempotently) with a fresh password valid for TTL and returns
// its credentials. An extension defined as a handset is refused with ErrHandset (wrapped in a
// hotline ECONFLICT).
func (p *Provisioner) Issue(ctx context.Context, ext string) (Credentials, error) {
	if !validExtension(ext) {
		return Credentials{}, hotline.Errorf(hotline.EINVALID, "softphone: extension %q is not a SIP user name", ext)
	}
	u, err := url.Parse(p.WebSocket)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Hostname() == "" {
		return Credentials{}, hotline.Errorf(hotline.EUNAVAILABLE, "softphone: the WebSocket address %q is not ws:// or wss://", p.WebSocket)
	}
	password, err := randomPassword()
	if err != nil {
		return Credentials{}, err
	}
	// The auth first: an endpoint never exists with an old or empty password.
	if err := p.push(ctx, "auth", ext, authFields(ext, password)); err != nil {
		return Credentials{}, err
	}
	if err := p.push(ctx, "aor", ext, aorFields); err != nil {
		return Credentials{}, err
	}
	if err := p.push(ctx, "endpoint", ext, endpointFields(ext)); err != nil {
		return Credentials{}, err
	}
	if err := p.setAtKamailio(ctx, ext, password); err != nil {
		return Credentials{}, err
	}
	exp := time.Now().Add(p.ttl())
	p.mu.Lock()
	if p.expires == nil {
		p.expires = map[string]time.Time{}
	}
	p.expires[ext] = exp
	p.markPushed(ext)
	p.mu.Unlock()
	p.log().Info("softphone credentials issued", "extension", ext, "expires", exp)
	return Credentials{WebSocket: p.WebSocket, URI: "sip:" + ext + "@" + u.Hostname(), User: ext, Password: password, Expires: exp}, nil
}

// Revoke replaces ext's password with one nobody knows (on logout, or when it lapses). Calls in
// progress go on: Asterisk checks the password only on the next REGISTER or INVITE.
func (p *Provisioner) Revoke(ctx context.Context, ext string) error {
	password, err := randomPassword()
	if err != nil {
		return err
	}
	if err := p.push(ctx, "auth", ext, authFields(ext, password)); err != nil {
		return err
	}
	if err := p.deleteAtKamailio(ctx, ext); err != nil {
		return err
	}
	p.mu.Lock()
	delete(p.expires, ext)
	p.markPushed(ext)
	p.mu.Unlock()
	p.log().Info("softphone credentials revoked", "extension", ext)
	return nil
}

// IsSoftphone tells whether ext's device is a softphone this provisioner keeps: one it issued
// credentials to or revoked (at start, every operator in service whose extension is no handset),
// and not removed since. With several nodes it chooses the node's WebRTC endpoint towards
// Kamailio for ringing ext (ariadapter.Node.IsSoftphone).
func (p *Provisioner) IsSoftphone(ext string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pushed[ext]
}

// markPushed notes that ext has objects in Asterisk's memory; p.mu held.
func (p *Provisioner) markPushed(ext string) {
	if p.pushed == nil {
		p.pushed = map[string]bool{}
	}
	p.pushed[ext] = true
}

// Remove deletes ext's softphone from Asterisk: the endpoint first (nothing can be dialled or
// register against it any more), then its AOR and auth. Objects Asterisk does not have are not an
// error; a handset's extension (from Asterisk's files) is ErrHandset and left alone. A call in
// progress on the endpoint is not cut by the deletion.
func (p *Provisioner) Remove(ctx context.Context, ext string) error {
	if !validExtension(ext) {
		return hotline.Errorf(hotline.EINVALID, "softphone: extension %q is not a SIP user name", ext)
	}
	for _, typ := range []string{"endpoint", "aor", "auth"} {
		err := p.Asterisk.DeleteConfig(ctx, "res_pjsip", typ, ext)
		var ae *ari.Error
		switch {
		case err == nil, errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound:
		case errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden:
			return hotline.Wrapf(hotline.ECONFLICT, fmt.Errorf("%w: %s: %w", ErrHandset, ext, err), "extension %s is a SIP handset", ext)
		default:
			return hotline.Wrapf(hotline.EUNAVAILABLE, err, "softphone %s: Asterisk refused to delete the %s: %v", ext, typ, err)
		}
	}
	if err := p.deleteAtKamailio(ctx, ext); err != nil {
		return err
	}
	p.mu.Lock()
	delete(p.expires, ext)
	delete(p.pushed, ext)
	p.mu.Unlock()
	p.log().Info("softphone removed from Asterisk", "extension", ext)
	return nil
}

// Prune removes the softphones this provisioner pushed for extensions not in active (the
// operators in service): an operator removed, or moved to another extension.
func (p *Provisioner) Prune(ctx context.Context, active []string) error {
	keep := make(map[string]bool, len(active))
	for _, ext := range active {
		keep[ext] = true
	}
	p.mu.Lock()
	var gone []string
	for ext := range p.pushed {
		if !keep[ext] {
			gone = append(gone, ext)
		}
	}
	p.mu.Unlock()
	return eachSoftphone(ctx, gone, p.Remove) // pushed extensions are valid ones
}

// RemoveAll removes the softphones of the given extensions, skipping handsets: at start, for the
// operators removed from service, whose endpoints an earlier run may have pushed.
func (p *Provisioner) RemoveAll(ctx context.Context, exts []string) error {
	return eachSoftphone(ctx, exts, p.Remove)
}

// RevokeAll revokes the passwords of the given extensions, skipping handsets: at start, since the
// passwords issued before a restart of hotline are in Asterisk's memory but not in this
// provisioner's, so their lapse would never come.
func (p *Provisioner) RevokeAll(ctx context.Context, exts []string) error {
	return eachSoftphone(ctx, exts, p.Revoke)
}

// eachSoftphone applies do to each valid extension, skipping handsets, and joins the errors.
func eachSoftphone(ctx context.Context, exts []string, do func(context.Context, string) error) error {
	var errs []error
	for _, ext := range exts {
		if !validExtension(ext) {
			continue
		}
		if err := do(ctx, ext); err != nil && !errors.Is(err, ErrHandset) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Expire revokes every password that lapsed by now.
func (p *Provisioner) Expire(ctx context.Context, now time.Time) error {
	p.mu.Lock()
	var lapsed []string
	for ext, exp := range p.expires {
		if !now.Before(exp) {
			lapsed = append(lapsed, ext)
		}
	}
	p.mu.Unlock()
	var errs []error
	for _, ext := range lapsed {
		if err := p.Revoke(ctx, ext); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// setAtKamailio sets ext's password in Kamailio's table (no Kamailio: nothing) and keeps it for
// SyncKamailio. Refused, the issue fails: the page would get a password Kamailio does not take.
func (p *Provisioner) setAtKamailio(ctx context.Context, ext, password string) error {
	if p.Kamailio == nil {
		return nil
	}
	p.kam.Lock()
	defer p.kam.Unlock()
	if err := p.Kamailio.HTableSet(ctx, KamailioTable, ext, password); err != nil {
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "softphone %s: Kamailio did not take the password: %v", ext, err)
	}
	if p.live == nil {
		p.live = map[string]string{}
	}
	p.live[ext] = password
	return nil
}

// deleteAtKamailio deletes ext's password from Kamailio's table (no Kamailio: nothing). It is
// forgotten first, so that no resync sets it again even if the deletion fails (the caller's
// revocation or removal then fails and is retried).
func (p *Provisioner) deleteAtKamailio(ctx context.Context, ext string) error {
	if p.Kamailio == nil {
		return nil
	}
	p.kam.Lock()
	defer p.kam.Unlock()
	delete(p.live, ext)
	if err := p.Kamailio.HTableDelete(ctx, KamailioTable, ext); err != nil {
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "softphone %s: Kamailio did not delete the password: %v", ext, err)
	}
	return nil
}

// SyncKamailio sets every valid password in Kamailio's table again unless Kamailio holds this
// provisioner's mark (KamailioMarkTable): a restarted Kamailio (tables empty) has none. So each
// run it asks one small thing whatever the number of softphones, and passwords cross the wire
// only when needed. It tells whether it set them. The first time it sets them it empties the
// table first: passwords an earlier run of hotline issued (which this one does not know, so would
// never revoke) stop working.
func (p *Provisioner) SyncKamailio(ctx context.Context) (bool, error) {
	if p.Kamailio == nil {
		return false, nil
	}
	p.kam.Lock()
	defer p.kam.Unlock()
	if p.mark == "" {
		m, err := randomPassword()
		if err != nil {
			return false, err
		}
		p.mark = m
	}
	got, found, err := p.Kamailio.HTableGet(ctx, KamailioMarkTable, KamailioMarkKey)
	if err != nil {
		p.kamStale = true
		return false, fmt.Errorf("softphone: asking Kamailio whether it holds the passwords: %w", err)
	}
	if found && got == p.mark && !p.kamStale {
		return false, nil
	}
	if !p.flushed {
		if err := p.Kamailio.HTableFlush(ctx, KamailioTable); err != nil {
			p.kamStale = true
			return false, fmt.Errorf("softphone: emptying Kamailio's table of an earlier run's passwords: %w", err)
		}
		p.flushed = true
	}
	var errs []error
	for ext, password := range p.live {
		if err := p.Kamailio.HTableSet(ctx, KamailioTable, ext, password); err != nil {
			errs = append(errs, fmt.Errorf("softphone %s: %w", ext, err))
		}
	}
	if len(errs) == 0 {
		if err := p.Kamailio.HTableSet(ctx, KamailioMarkTable, KamailioMarkKey, p.mark); err != nil {
			errs = append(errs, fmt.Errorf("the mark: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		p.kamStale = true
		return false, fmt.Errorf("softphone: setting the passwords at Kamailio again: %w", err)
	}
	p.kamStale = false
	return true, nil
}

// syncKamailio runs SyncKamailio every KamailioCheck until ctx ends, logging a failure once
// (not every few seconds while Kamailio is down) and the recovery.
func (p *Provisioner) syncKamailio(ctx context.Context) {
	every := p.KamailioCheck
	if every <= 0 {
		every = DefaultKamailioCheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing, first := false, true
	for {
		set, err := p.SyncKamailio(ctx)
		switch {
		case err != nil && !failing:
			failing = true
			p.log().Error("softphone: Kamailio does not keep the softphones' passwords; set again when it answers", "err", err)
		case err == nil && failing:
			failing = false
			p.log().Info("softphone: Kamailio answers again; softphones' passwords set there")
		case err == nil && set && !first:
			p.log().Info("softphone: Kamailio had lost the softphones' passwords (restarted); set there again")
		}
		if err == nil {
			first = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Run revokes lapsed passwords, and removes the softphones of operators no longer in service
// (Extensions), until ctx ends; with Kamailio, it also sets the passwords there again after a
// restart of Kamailio (SyncKamailio).
func (p *Provisioner) Run(ctx context.Context) {
	if p.Kamailio != nil {
		go p.syncKamailio(ctx)
	}
	t := time.NewTicker(min(p.ttl()/4, 30*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := p.Expire(ctx, now); err != nil {
				p.log().Warn("softphone: revoking lapsed passwords", "err", err)
			}
			if p.Extensions == nil {
				continue
			}
			active, err := p.Extensions(ctx)
			if err == nil {
				err = p.Prune(ctx, active)
			}
			if err != nil {
				p.log().Warn("softphone: removing the softphones of operators out of service", "err", err)
			}
		}
	}
}

func (p *Provisioner) push(ctx context.Context, typ, ext string, fields []ari.ConfigField) error {
	err := p.Asterisk.PutConfig(ctx, "res_pjsip", typ, ext, fields)
	var ae *ari.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden:
		return hotline.Wrapf(hotline.ECONFLICT, fmt.Errorf("%w: %s: %w", ErrHandset, ext, err), "extension %s is a SIP handset", ext)
	default:
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "softphone %s: Asterisk refused the %s: %v", ext, typ, err)
	}
}

func authFields(ext, password string) []ari.ConfigField {
	return []ari.ConfigField{
		{Attribute: "auth_type", Value: "userpass"},
		{Attribute: "username", Value: ext},
		{Attribute: "password", Value: password},
	}
}

func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("softphone: random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validExtension: a SIP user name hotline puts in a URL path and a SIP URI unescaped.
func validExtension(ext string) bool {
	if ext == "" || len(ext) > 40 {
		return false
	}
	for _, r := range ext {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
