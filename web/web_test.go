package web

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// concrete is a request path for a route pattern: wildcards filled in.
func concrete(t *testing.T, pattern string) (method, path string) {
	t.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		t.Fatalf("route %q has no method: every route says its method", pattern)
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(path, "x")
	if strings.HasSuffix(path, "/") && path != "/" {
		path += "x"
	}
	return method, path
}

// spied returns the server's route table with every handler replaced by one that counts.
func spied(s *Server) ([]Route, *[]string) {
	var called []string
	rts := s.Routes()
	for i := range rts {
		p := rts[i].Pattern
		rts[i].handle = func(w http.ResponseWriter, r *http.Request, u User) {
			called = append(called, p)
			w.WriteHeader(http.StatusNoContent)
		}
	}
	return rts, &called
}

func TestEveryRouteIsRefusedWithoutASession(t *testing.T) {
	ss := newFakeSessions()
	s := &Server{Sessions: ss, Live: newFakeLive(testSnapshot())}
	rts, called := spied(s)
	h := s.handler(rts)
	real := s.Handler()
	for _, rt := range rts {
		if rt.Allow&Public != 0 {
			continue
		}
		for _, cookie := range []string{"", "forged-or-expired"} {
			method, path := concrete(t, rt.Pattern)
			for name, h := range map[string]http.Handler{"spy": h, "real": real} {
				req := httptest.NewRequest(method, path, nil)
				if cookie != "" {
					req.AddCookie(&http.Cookie{Name: SessionCookie, Value: cookie})
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				switch rec.Code {
				case http.StatusSeeOther:
					if loc := rec.Header().Get("Location"); loc != "/login" {
						t.Errorf("%s %s (%s, cookie %q): redirected to %q, want /login", method, path, name, cookie, loc)
					}
				case http.StatusUnauthorized:
				default:
					t.Errorf("%s %s (%s, cookie %q): status %d, want 303 to /login or 401", method, path, name, cookie, rec.Code)
				}
				if cookie != "" && !strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0") {
					t.Errorf("%s %s: a dead session's cookie is not cleared: %q", method, path, rec.Header().Get("Set-Cookie"))
				}
			}
		}
	}
	if len(*called) > 0 {
		t.Errorf("handlers ran without a session: %v", *called)
	}
}

func TestOnlyTheseRoutesArePublic(t *testing.T) {
	var public []string
	for _, rt := range (&Server{}).Routes() {
		if rt.Allow&Public != 0 {
			public = append(public, rt.Pattern)
		}
		if rt.Allow == 0 {
			t.Errorf("route %q lets no one in: give it an Allow", rt.Pattern)
		}
	}
	want := []string{"GET /login", "POST /login", "GET /static/"}
	slices.Sort(public)
	slices.Sort(want)
	if !slices.Equal(public, want) {
		t.Errorf("public routes %v, want %v (a new public route must be added here on purpose)", public, want)
	}
}

func TestRolesAreCheckedPerRoute(t *testing.T) {
	ss := newFakeSessions()
	s := &Server{Sessions: ss}
	var ran []string
	route := func(pattern string, allow Access) Route {
		return Route{Pattern: pattern, Allow: allow, handle: func(w http.ResponseWriter, r *http.Request, u User) {
			ran = append(ran, pattern+" "+u.Login)
			w.WriteHeader(http.StatusNoContent)
		}}
	}
	h := s.handler([]Route{
		route("GET /l1", Level1), route("GET /l2", Level2), route("GET /admin", Administrator),
		route("GET /any", AnyUser), route("POST /l2-or-admin", Level2|Administrator), route("GET /nobody", 0),
	})
	tests := []struct {
		user User
		path string
		want int
	}{
		{level1, "GET /l1", 204}, {level1, "GET /l2", 403}, {level1, "GET /admin", 403}, {level1, "GET /any", 204},
		{level1, "POST /l2-or-admin", 403}, {level1, "GET /nobody", 403},
		{level2, "GET /l1", 403}, {level2, "GET /l2", 204}, {level2, "GET /admin", 403}, {level2, "GET /any", 204},
		{level2, "POST /l2-or-admin", 204}, {level2, "GET /nobody", 403},
		{admin, "GET /l1", 204}, {admin, "GET /l2", 403}, {admin, "GET /admin", 204}, {admin, "GET /any", 204},
		{admin, "POST /l2-or-admin", 204}, {admin, "GET /nobody", 403},
	}
	for _, tt := range tests {
		method, path, _ := strings.Cut(tt.path, " ")
		req := httptest.NewRequest(method, path, nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(tt.user)})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s as %s: status %d, want %d", tt.path, tt.user.Login, rec.Code, tt.want)
		}
		if rec.Code == 403 && !strings.Contains(rec.Body.String(), "Недостаточно прав") {
			t.Errorf("%s as %s: refusal does not say why: %s", tt.path, tt.user.Login, rec.Body)
		}
	}
	if len(ran) != 9 {
		t.Errorf("handlers ran %d times, want 9: %v", len(ran), ran)
	}

	// The real table: each user reaches a route exactly when its Allow includes them.
	rts, called := spied(s)
	h = s.handler(rts)
	for _, u := range []User{level1, level2, admin} {
		for _, rt := range rts {
			if rt.Allow&Public != 0 {
				continue
			}
			method, path := concrete(t, rt.Pattern)
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(u)})
			before := len(*called)
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got, want := len(*called) > before, u.Access()&rt.Allow != 0; got != want {
				t.Errorf("%s as %s: handler ran %v, want %v", rt.Pattern, u.Login, got, want)
			}
		}
	}
}

func TestStateChangesAcrossOriginsAreRefused(t *testing.T) {
	ss := newFakeSessions()
	s := &Server{Sessions: ss, Live: newFakeLive(testSnapshot())}
	rts, called := spied(s)
	h := s.handler(rts)
	changes := 0
	for _, rt := range rts {
		method, path := concrete(t, rt.Pattern)
		if method == http.MethodGet || method == http.MethodHead {
			continue
		}
		changes++
		for _, hdr := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site"},
			{"Origin": "https://evil.example"},
		} {
			req := httptest.NewRequest(method, "http://hotline.example"+path, strings.NewReader("login=admin&password=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(admin)})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s %s with %v: status %d, want 403", method, path, hdr, rec.Code)
			}
		}
	}
	if changes == 0 {
		t.Fatal("the table has no state-changing route to check")
	}
	if len(*called) > 0 {
		t.Errorf("handlers ran for cross-origin requests: %v", *called)
	}

	// The real logout, cross-site: the session lives on.
	id := ss.start(level1)
	req := httptest.NewRequest("POST", "http://hotline.example/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	if _, err := ss.Lookup(t.Context(), id); err != nil {
		t.Errorf("a cross-site logout ended the session: %v", err)
	}
	// And same-origin, it ends.
	req = httptest.NewRequest("POST", "http://hotline.example/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("logout: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if _, err := ss.Lookup(t.Context(), id); err == nil {
		t.Error("logout left the session alive")
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ss := newFakeSessions()
	s := &Server{Sessions: ss, Live: newFakeLive(testSnapshot())}
	h := s.Handler()
	id := ss.start(level1)
	for _, tt := range []struct {
		method, path string
		session      bool
	}{
		{"GET", "/login", false}, {"GET", "/live", false}, {"GET", "/live", true}, {"GET", "/nowhere", true},
		{"GET", "/static/app.css", false}, {"GET", "/static/vendor/htmx.min.js", false}, {"POST", "/logout", false},
		{"POST", "/login", false},
	} {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.session {
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		hd := rec.Header()
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s %s: CSP %q lacks %q", tt.method, tt.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s %s: CSP allows inline or eval: %q", tt.method, tt.path, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if got := hd.Get(k); got != want {
				t.Errorf("%s %s: %s = %q, want %q", tt.method, tt.path, k, got, want)
			}
		}
	}
	// No page carries an inline script or style, which the policy would block anyway.
	req := httptest.NewRequest("GET", "/live", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if m := regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|style=|\son[a-z]+=`).FindString(rec.Body.String()); m != "" {
		t.Errorf("the live page has inline script or style: %q", m)
	}
}

func TestLoginAndLogout(t *testing.T) {
	form := func(login, password string) io.Reader {
		return strings.NewReader(url.Values{"login": {login}, "password": {password}}.Encode())
	}
	post := func(h http.Handler, body io.Reader, tlsOn bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/login", body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tlsOn {
			req.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	ss := newFakeSessions()
	h := (&Server{Sessions: ss}).Handler()
	for _, tlsOn := range []bool{false, true} {
		rec := post(h, form("ivanova", "пароль-ivanova"), tlsOn)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != Home {
			t.Fatalf("login: %d to %q: %s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		c := rec.Result().Cookies()[0]
		if c.Name != SessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tlsOn || c.Path != "/" {
			t.Errorf("session cookie (TLS %v): %+v", tlsOn, c)
		}
		if u, err := ss.Lookup(t.Context(), c.Value); err != nil || u.Login != "ivanova" {
			t.Errorf("the cookie's session: %v, %v", u, err)
		}
	}
	tests := []struct {
		name     string
		s        *Server
		body     io.Reader
		status   int
		says     string
		noCookie bool
	}{
		{"wrong password", &Server{Sessions: ss}, form("ivanova", "нет"), 401, "Неверный логин или пароль", true},
		{"unknown login", &Server{Sessions: ss}, form("nobody", "x"), 401, "Неверный логин или пароль", true},
		{"empty", &Server{Sessions: ss}, form("", ""), 422, "Введите логин и пароль", true},
		{"too long", &Server{Sessions: ss}, form(strings.Repeat("я", 65), "x"), 401, "Неверный логин или пароль", true},
		{"huge form", &Server{Sessions: ss}, form("a", strings.Repeat("x", 5000)), 400, "слишком длинная", true},
		{"throttled", &Server{Sessions: &fakeSessions{fail: ErrThrottled}}, form("a", "b"), 429, "Слишком много", true},
		{"no accounts (the daemon today)", &Server{}, form("admin", "admin"), 503, "учётные записи ещё не заведены", true},
	}
	for _, tt := range tests {
		rec := post(tt.s.Handler(), tt.body, false)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.says) {
			t.Errorf("%s: status %d, want %d saying %q: %s", tt.name, rec.Code, tt.status, tt.says, rec.Body)
		}
		if tt.noCookie && len(rec.Result().Cookies()) > 0 {
			t.Errorf("%s: a cookie was set", tt.name)
		}
	}
	// The login is kept in the form, escaped.
	rec := post(h, form(`<script>alert(1)</script>`, "x"), false)
	if strings.Contains(rec.Body.String(), "<script>alert") {
		t.Errorf("the login is echoed unescaped: %s", rec.Body)
	}
}

func TestLivePageShowsTheSnapshot(t *testing.T) {
	ss := newFakeSessions()
	snap := testSnapshot()
	snap.Operators[0].Name = `<b>Иванова</b>`
	h := (&Server{Sessions: ss, Live: newFakeLive(snap)}).Handler()
	req := httptest.NewRequest("GET", "/live", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(level1)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	for _, want := range []string{"Оперативная обстановка", "79001112233", "Свободен", "Разговаривает", `sse-connect="/live/events"`, "&lt;b&gt;Иванова", "Выход"} {
		if !strings.Contains(body, want) {
			t.Errorf("the live page lacks %q", want)
		}
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	// No live state: the page says so.
	h = (&Server{Sessions: ss}).Handler()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "недоступны") {
		t.Errorf("without live state: %d %s", rec.Code, rec.Body)
	}
}

type sse struct{ event, data string }

// readEvents reads server-sent events from r to ch until EOF; then closes ch.
func readEvents(r io.Reader, ch chan<- sse) {
	defer close(ch)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var ev sse
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.event != "" || data != nil {
				ev.data = strings.Join(data, "\n")
				ch <- ev
			}
			ev, data = sse{}, nil
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		case line == "data:":
			data = append(data, "")
		}
	}
}

func TestLiveEventsDeliverChangesAndResync(t *testing.T) {
	ss := newFakeSessions()
	live := newFakeLive(testSnapshot())
	srv := httptest.NewServer((&Server{Sessions: ss, Live: live}).Handler())
	defer srv.Close()
	id := ss.start(level1)
	open := func() (chan sse, func()) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/live/events", nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
			t.Fatalf("events: %d %q", resp.StatusCode, ct)
		}
		ch := make(chan sse, 16)
		go readEvents(resp.Body, ch)
		return ch, func() { resp.Body.Close() }
	}
	next := func(ch chan sse) (sse, bool) {
		t.Helper()
		select {
		case ev, ok := <-ch:
			return ev, ok
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
			return sse{}, false
		}
	}

	ch, done := open()
	defer done()
	if ev, _ := next(ch); ev.event != "board" || !strings.Contains(ev.data, "79001112233") {
		t.Fatalf("first event: %+v", ev)
	}
	// A step of two changes: one board, after the last.
	at := testSnapshot().At
	c := queueWith(at, "+79001112233", "+79004445566")
	c.More = true
	live.Push(c)
	live.Push(switchboard.Change{Kind: switchboard.ServiceChanged, Service: &switchboard.Service{Connected: false}})
	ev, _ := next(ch)
	if ev.event != "board" || !strings.Contains(ev.data, "79004445566") || !strings.Contains(ev.data, "Нет связи с Asterisk") {
		t.Fatalf("after the step: %+v", ev)
	}
	if strings.Count(ev.data, `data-seq="9"`) != 1 {
		t.Errorf("the board after the step is not at seq 9: %s", ev.data)
	}
	// The reader lags: the stream says resync and ends.
	live.Lag()
	if ev, _ := next(ch); ev.event != "resync" || ev.data != "lagged" {
		t.Fatalf("after lag: %+v", ev)
	}
	if ev, ok := next(ch); ok {
		t.Fatalf("the stream goes on after resync: %+v", ev)
	}

	// Reconnected: a new snapshot first; a change that does not follow is a gap.
	ch2, done2 := open()
	defer done2()
	if ev, _ := next(ch2); ev.event != "board" || !strings.Contains(ev.data, "79004445566") {
		t.Fatalf("after reconnecting: %+v", ev)
	}
	live.PushRaw(switchboard.Change{Seq: 1000, Kind: switchboard.QueueChanged})
	if ev, _ := next(ch2); ev.event != "resync" || ev.data != "gap" {
		t.Fatalf("after a gap: %+v", ev)
	}
	if _, ok := next(ch2); ok {
		t.Fatal("the stream goes on after a gap")
	}
}

func TestSSEEvent(t *testing.T) {
	for _, tt := range []struct{ event, data, want string }{
		{"board", "a", "event: board\ndata: a\n\n"},
		{"board", "a\nb\r\nc\n", "event: board\ndata: a\ndata: b\ndata: c\n\n"},
		{"resync", "", "event: resync\ndata:\n\n"},
	} {
		if got := sseEvent(tt.event, tt.data); got != tt.want {
			t.Errorf("sseEvent(%q, %q) = %q, want %q", tt.event, tt.data, got, tt.want)
		}
	}
}

// The embedded vendor files are exactly what web/ui/build.mjs wrote (its MANIFEST): no hand edits,
// nothing extra. (make web-check compares them with a fresh build from the lockfile.)
func TestVendorFilesMatchTheManifest(t *testing.T) {
	m, err := fs.ReadFile(staticFS, "static/vendor/MANIFEST")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{"MANIFEST": true}
	for line := range strings.Lines(string(m)) {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) != 3 {
			t.Fatalf("MANIFEST line %q", line)
		}
		b, err := fs.ReadFile(staticFS, "static/vendor/"+f[0])
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f[2] {
			t.Errorf("%s differs from what build.mjs wrote from %s: run make web", f[0], f[1])
		}
		listed[f[0]] = true
	}
	entries, err := fs.ReadDir(staticFS, "static/vendor")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			t.Errorf("static/vendor/%s is not in the MANIFEST: vendor files come from make web only", e.Name())
		}
	}
}

func TestClientAddrTrustsOnlyTheConfiguredProxies(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies configured: the header is ignored", nil, "127.0.0.1:5000", []string{"203.0.113.7"}, "127.0.0.1"},
		{"from a trusted proxy: the client it saw", proxies, "127.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"from an untrusted address: the header is forged", proxies, "198.51.100.2:5000", []string{"203.0.113.7"}, "198.51.100.2"},
		{"a client's own X-Forwarded-For entry is skipped", proxies, "127.0.0.1:5000", []string{"1.2.3.4, 203.0.113.7"}, "203.0.113.7"},
		{"a chain of trusted proxies", proxies, "127.0.0.1:5000", []string{"203.0.113.7, 10.1.2.3"}, "203.0.113.7"},
		{"several header lines", proxies, "127.0.0.1:5000", []string{"203.0.113.7", "10.1.2.3"}, "203.0.113.7"},
		{"malformed entry: the proxy's address", proxies, "127.0.0.1:5000", []string{"<script>"}, "127.0.0.1"},
		{"only proxies: the proxy's address", proxies, "127.0.0.1:5000", []string{"10.9.9.9"}, "127.0.0.1"},
		{"no header from a proxy", proxies, "127.0.0.1:5000", nil, "127.0.0.1"},
		{"IPv4-mapped IPv6 client", proxies, "127.0.0.1:5000", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Server{TrustedProxies: c.trusted}
			r := httptest.NewRequest("POST", "/login", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddr(r); got != c.want {
				t.Errorf("clientAddr = %q, want %q", got, c.want)
			}
		})
	}
}

func TestSecureCookieBehindAProxy(t *testing.T) {
	ss := newFakeSessions()
	h := (&Server{Sessions: ss, SecureCookie: true}).Handler()
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"login": {"ivanova"}, "password": {"пароль-ivanova"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", rec.Code)
	}
	if c := rec.Result().Cookies()[0]; !c.Secure {
		t.Errorf("with SecureCookie the cookie must be Secure on plain HTTP: %+v", c)
	}
}

// An event stream outlives the server's read timeout (the connection's background read must not
// cancel it), and ends, with a resync saying why, once its session no longer lets the user in:
// logged out, or a role taken away.
func TestEventStreamsOutliveTheReadTimeoutButNotTheirSession(t *testing.T) {
	open := func(t *testing.T, s *Server, ss *fakeSessions, u User, path string) (id string, events <-chan sse) {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_ = serve(t.Context(), ln, s.Handler(), nil, slog.New(slog.DiscardHandler), 300*time.Millisecond)
		}()
		id = ss.start(u)
		req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+ln.Addr().String()+path, nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("open %s: %v %v", path, resp, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		ch := make(chan sse, 64)
		go readEvents(resp.Body, ch)
		return id, ch
	}
	t.Run("outlives the read timeout", func(t *testing.T) {
		ss := newFakeSessions()
		live := newFakeLive(testSnapshot())
		s := &Server{Sessions: ss, Live: live, KeepAlive: 50 * time.Millisecond}
		_, events := open(t, s, ss, level1, "/live/events")
		<-events                // the board
		time.Sleep(time.Second) // three read timeouts
		live.Push(queueWith(testSnapshot().At, "+79009998877"))
		select {
		case ev, ok := <-events:
			if !ok || ev.event != "board" || !strings.Contains(ev.data, "79009998877") {
				t.Fatalf("after the read timeout: %v %+v", ok, ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the stream gave nothing after the read timeout")
		}
	})
	for _, c := range []struct {
		name string
		u    User
		path string
		end  func(ss *fakeSessions, id string)
	}{
		{"logged out", level1, "/live/events", func(ss *fakeSessions, id string) { _ = ss.Logout(context.Background(), id) }},
		{"no longer an administrator", admin, "/admin/review/events", func(ss *fakeSessions, id string) {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			demoted := admin
			demoted.Role = hotline.RoleOperator
			ss.live[id] = demoted
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ss := newFakeSessions()
			s := &Server{Sessions: ss, Live: newFakeLive(testSnapshot()), Journal: testJournal(t), SessionCheck: 50 * time.Millisecond}
			id, events := open(t, s, ss, c.u, c.path)
			<-events
			c.end(ss, id)
			deadline := time.After(5 * time.Second)
			for {
				select {
				case ev, ok := <-events:
					if !ok {
						t.Fatal("the stream ended without saying why")
					}
					if ev.event == "resync" {
						if ev.data != "session" {
							t.Errorf("resync %q, want session", ev.data)
						}
						if _, ok := <-events; ok {
							t.Error("the stream goes on after its resync")
						}
						return
					}
				case <-deadline:
					t.Fatal("the stream goes on after its session no longer allows it")
				}
			}
		})
	}
}

// The review queue's counter lives in the journal: its stream serves without the switchboard.
func TestReviewCounterStreamsWithoutLiveState(t *testing.T) {
	ss := newFakeSessions()
	srv := httptest.NewServer((&Server{Sessions: ss, Journal: testJournal(t)}).Handler())
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/admin/review/events", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(admin)})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("without live state: %d", resp.StatusCode)
	}
	ch := make(chan sse, 8)
	go readEvents(resp.Body, ch)
	select {
	case ev := <-ch:
		if ev.event != "count" || ev.data != "0" {
			t.Errorf("first event: %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no counter")
	}
	// Pages that show the switchboard still say they cannot.
	req2, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/live/events", nil)
	req2.AddCookie(&http.Cookie{Name: SessionCookie, Value: ss.start(admin)})
	resp2, err := srv.Client().Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the live board's stream without live state: %d", resp2.StatusCode)
	}
}
