package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/softphone"
)

// fakeSoftphones issues credentials as the provisioner would, refusing extension 2001 as a handset.
type fakeSoftphones struct {
	mu      sync.Mutex
	issued  []string
	revoked []string
	down    bool
}

func (f *fakeSoftphones) Issue(_ context.Context, ext string) (softphone.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		return softphone.Credentials{}, hotline.Errorf(hotline.EUNAVAILABLE, "asterisk down")
	case ext == "2001":
		return softphone.Credentials{}, hotline.Wrapf(hotline.ECONFLICT, softphone.ErrHandset, "handset")
	}
	f.issued = append(f.issued, ext)
	return softphone.Credentials{WebSocket: "ws://127.0.0.1:8088/ws", URI: "sip:" + ext + "@127.0.0.1", User: ext,
		Password: "p-" + ext, Expires: time.Now().Add(time.Minute)}, nil
}

func (f *fakeSoftphones) Revoke(_ context.Context, ext string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, ext)
	return nil
}

func TestSoftphoneCredentialsRoute(t *testing.T) {
	noExt := admin // the administrator has no extension
	tests := []struct {
		name       string
		user       User
		off, down  bool
		status     int
		password   string
		handset    bool
		errorWords string
	}{
		{name: "an operator with a softphone", user: level1, status: http.StatusOK, password: "p-1001"},
		{name: "a handset's extension", user: level2, status: http.StatusConflict, handset: true, errorWords: "SIP-телефон"},
		{name: "no extension", user: noExt, status: http.StatusConflict, errorWords: "не назначен"},
		{name: "softphone off", user: level1, off: true, status: http.StatusNotFound, errorWords: "не включён"},
		{name: "Asterisk refuses", user: level1, down: true, status: http.StatusServiceUnavailable, errorWords: "недоступен"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ss, _, _ := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
			fs := &fakeSoftphones{down: tt.down}
			if !tt.off {
				s.Softphones, s.SoftphoneWebSocket = fs, "ws://127.0.0.1:8088/ws"
			}
			rec := do(t, s.Handler(), ss, tt.user, "GET", "/work/softphone", nil, nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q: the password must not be cached", cc)
			}
			var got struct {
				Password, Error string
				Handset         bool
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Password != tt.password || got.Handset != tt.handset || !strings.Contains(got.Error, tt.errorWords) {
				t.Errorf("answer %+v", got)
			}
		})
	}
}

// The page carries the softphone's controls and scripts only when it is on and the user has an
// extension, and the CSP lets it connect to that one WebSocket origin and no other.
func TestSoftphoneOnThePage(t *testing.T) {
	noExt := admin // the administrator has no extension
	tests := []struct {
		name     string
		on       bool
		user     User
		controls bool
	}{
		{"on, an operator with an extension", true, level1, true},
		{"on, no extension", true, noExt, false},
		{"off", false, level1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ss, _, _ := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
			if tt.on {
				s.Softphones, s.SoftphoneWebSocket = &fakeSoftphones{}, "wss://pbx.example.org:8089/ws"
			}
			rec := do(t, s.Handler(), ss, tt.user, "GET", "/work", nil, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			body := rec.Body.String()
			for _, want := range []string{`id="webphone"`, `id="webphone-answer"`, `src="/static/softphone.js"`, `src="/static/vendor/jssip.min.js"`} {
				if strings.Contains(body, want) != tt.controls {
					t.Errorf("page has %s: %v, want %v", want, !tt.controls, tt.controls)
				}
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if strings.Contains(csp, "connect-src 'self' wss://pbx.example.org:8089;") != tt.on {
				t.Errorf("CSP %q: the softphone's origin allowed is %v, want %v", csp, !tt.on, tt.on)
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP %q", csp)
			}
		})
	}
}

// Logging out revokes the softphone's password at once.
func TestLogoutRevokesSoftphone(t *testing.T) {
	s, ss, _, _ := opServer(t, opSnapshot(hotline.PresenceAvailable, hotline.PresenceAvailable))
	fs := &fakeSoftphones{}
	s.Softphones, s.SoftphoneWebSocket = fs, "ws://127.0.0.1:8088/ws"
	if rec := do(t, s.Handler(), ss, level1, "POST", "/logout", nil, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", rec.Code)
	}
	if len(fs.revoked) != 1 || fs.revoked[0] != "1001" {
		t.Errorf("revoked %v, want [1001]", fs.revoked)
	}
}

func TestSoftphoneOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"wss://pbx.example.org:8089/ws": "wss://pbx.example.org:8089",
		"ws://127.0.0.1:8088/ws":        "ws://127.0.0.1:8088",
		"https://pbx.example.org/ws":    "",
		"ws://":                         "",
		"":                              "",
	} {
		if got := softphoneOrigin(in); got != want {
			t.Errorf("softphoneOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
