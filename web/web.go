// Package web is the workplace: the hotline in the operator's browser (docs/workplace.md). It is
// one more adapter around the same core, beside the control socket: it reads the live state from
// the switchboard's snapshots and change feed (Live) and, as pages that change things land, writes
// through the journal's rules; who the user is comes from Sessions (accounts in the journal).
//
// Everything the server answers is in one route table (Server.Routes): each route says who may
// use it (Access), and one guard enforces that before any handler runs. Around the table: security
// headers on every response, Go's http.CrossOriginProtection on every state change (with
// SameSite=Strict session cookies), and server-rendered html/template pages with htmx (embedded
// from web/static, built from web/ui) for the little that runs in the browser.
package web

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/informing"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/recording"
	"github.com/hotline-dev/hotline/softphone"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Access is who may use a route: a set of groups. The zero Access lets no one in, so a route whose
// Allow was forgotten is closed, not open.
type Access uint8

const (
	Level1        Access = 1 << iota // level-1 operators
	Level2                           // level-2 specialists
	Administrator                    // administrators
	// Public routes need no session (the login page, the static files).
	Public

	// AnyUser is every logged-in user.
	AnyUser = Level1 | Level2 | Administrator
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // a ServeMux pattern with its method: "GET /live"
	Allow   Access
	Title   string // what it is, for people reading the table
	handle  func(w http.ResponseWriter, r *http.Request, u User)
}

// Home is where a user lands after logging in: the personal workplace (the manual's «Личный
// кабинет»: who they are, the softphone block, the electronic journal).
const Home = "/work"

// SessionCookie is the name of the session cookie.
const SessionCookie = "hotline_session"

// Server is the workplace. Its zero value serves pages with no one able to log in (Sessions nil:
// NoAccounts) and no live state (Live nil: the live page says it has none).
type Server struct {
	Sessions Sessions
	Live     Live
	// Journal is the store the pages read and write through (its rules decide what a user may
	// do); nil: the pages that need it answer 503.
	Journal *journal.Store
	// Dialler is the informing campaigns' progressive dialler («Начать информирование»); nil: that
	// button answers 503 (campaigns.go).
	Dialler Dialler
	// InformingPlan is the campaigns' schedule (the configuration's informing section): the
	// card's «Перезвонить позже» waits its first back-off. Zero: informing's defaults.
	InformingPlan informing.Plan
	// Calls acts on live calls and presence (the same requests the handset's codes make); nil:
	// those buttons answer 503.
	Calls Calls
	// Files is the directory of the documents attached to cases (0700, names made by the server);
	// "": beside the journal, <journal path>.files.
	Files string
	// Recordings opens the recorded conversations the case card plays (recording.ARI: fetched
	// from Asterisk); nil: the player answers 503.
	Recordings recording.Store
	Log        *slog.Logger // nil: discard
	// SecureCookie marks the session cookie Secure on plain HTTP too: for a listener behind a
	// reverse proxy that terminates TLS (the cookie is always Secure on a TLS listener).
	SecureCookie bool
	// TrustedProxies are the addresses of reverse proxies in front of the workplace (e.g.
	// 127.0.0.1/32 for nginx on this machine). Only a request that comes from one of them has its
	// X-Forwarded-For read, for the client's address that login throttling counts by; anyone
	// else could forge that header, so by default (empty) it is ignored.
	TrustedProxies []netip.Prefix
	// SessionCheck is how often an event stream checks that its session still exists and still
	// opens its route (logout, expiry, an operator disabled, a role taken away); 0: 5 s.
	SessionCheck time.Duration
	// KeepAlive is how often the event stream sends a comment when nothing changes, so that
	// proxies do not close it as idle; 0: 15 s.
	KeepAlive time.Duration
	// StreamEvery is how often at most an event stream shows changes that are not urgent; 0 or less:
	// streamEvery (a quarter of a second). Tests shorten or lengthen it.
	StreamEvery time.Duration
	// Softphones issues the workplace softphone's credentials (softphone.Provisioner); nil: the
	// operator screen has no softphone (handsets only).
	Softphones Softphones
	// SoftphoneWebSocket is the ws:// or wss:// address of Asterisk's SIP WebSocket the softphone
	// connects to: the one origin besides the workplace's own that the CSP lets pages connect to.
	SoftphoneWebSocket string

	parse  sync.Once // the templates, parsed on first use
	parsed *pages

	colleagues colleagueCache // «Доступность операторов», shared by the open /work pages
	boards     boardCache     // the live board, shared by the open /live pages
}

func (s *Server) sessions() Sessions {
	if s.Sessions == nil {
		return NoAccounts{}
	}
	return s.Sessions
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Routes is the route table: every path the workplace answers (the tests walk it). Each part of the
// workplace keeps its routes beside its handlers (operator.go, cases.go, specialist.go, admin.go).
func (s *Server) Routes() []Route {
	var all []Route
	for _, part := range [][]Route{s.baseRoutes(), s.operatorRoutes(), s.caseRoutes(), s.cardRoutes(), s.specialistRoutes(), s.reviewRoutes(), s.adminRoutes(), s.directoryRoutes(), s.insuredRoutes(), s.surveyRoutes(), s.adminSurveyRoutes(), s.campaignRoutes(), s.softphoneRoutes()} {
		all = append(all, part...)
	}
	return all
}

func (s *Server) baseRoutes() []Route {
	return []Route{
		{Pattern: "GET /login", Allow: Public, Title: "вход", handle: s.loginPage},
		{Pattern: "POST /login", Allow: Public, Title: "вход: проверка пароля", handle: s.login},
		{Pattern: "GET /static/", Allow: Public, Title: "стили и скрипты", handle: s.static()},
		{Pattern: "POST /logout", Allow: AnyUser, Title: "выход", handle: s.logout},
		{Pattern: "GET /{$}", Allow: AnyUser, Title: "начальная страница", handle: redirectTo(Home)},
		{Pattern: "GET /live", Allow: AnyUser, Title: "Оперативная обстановка", handle: s.livePage},
		{Pattern: "GET /live/events", Allow: AnyUser, Title: "Оперативная обстановка: изменения (SSE)", handle: s.liveEvents},
		{Pattern: "POST /live/listen", Allow: Administrator, Title: "Прослушивание разговора оператора", handle: s.liveListen},
	}
}

// Handler returns the workplace's http.Handler.
func (s *Server) Handler() http.Handler {
	return s.handler(s.Routes())
}

// handler serves routes: the guard around each, then cross-origin protection, then the headers.
func (s *Server) handler(routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Pattern, s.guard(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, "Страница не найдена.")
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log().Warn("web: cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.errorPage(w, r, http.StatusForbidden, "Запрос отклонён: он пришёл с другого сайта.")
	}))
	return securityHeaders(cop.Handler(mux), s.contentSecurityPolicy())
}

// guard enforces the route's Allow before its handler runs.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Allow&Public != 0 {
			rt.handle(w, r, User{})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		u, err := s.user(r)
		switch {
		case errors.Is(err, ErrNoSession):
			clearCookie(w, r, s.SecureCookie)
			if r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/events") {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.errorPage(w, r, http.StatusUnauthorized, "Нужно войти в систему.")
			return
		case err != nil:
			s.log().Error("web: session lookup failed", "path", r.URL.Path, "err", err)
			s.errorPage(w, r, http.StatusServiceUnavailable, "Сервер временно недоступен. Попробуйте позже.")
			return
		}
		if u.Access()&rt.Allow == 0 {
			s.log().Warn("web: refused by role", "login", u.Login, "path", r.URL.Path)
			s.errorPage(w, r, http.StatusForbidden, "Недостаточно прав для этой страницы.")
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			// A logged-in user sending a document: more time than a form needs (readTimeout).
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout))
		}
		// The event streams ask again, while they last, whether the session still lets the user in.
		ctx := context.WithValue(r.Context(), stillAllowedKey{}, func(ctx context.Context) error {
			u2, err := s.sessions().Lookup(ctx, sessionID(r))
			if err != nil {
				return err
			}
			if u2.Access()&rt.Allow == 0 {
				return ErrNoSession // the role was taken away: this route is closed to them now
			}
			return nil
		})
		rt.handle(w, r.WithContext(ctx), u)
	})
}

// stillAllowedKey is the request context's key for a func(ctx) error that reports whether the
// request's session still exists and still opens the route (nil) or not (ErrNoSession or the
// lookup's error): an event stream lasts hours, its session may end meanwhile.
type stillAllowedKey struct{}

// sessionID is the request's session cookie's value ("" without one).
func sessionID(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// user is the user of the request's session cookie, or ErrNoSession.
func (s *Server) user(r *http.Request) (User, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return User{}, ErrNoSession
	}
	return s.sessions().Lookup(r.Context(), c.Value)
}

// securityHeaders sets the headers every response carries. The policy allows scripts and styles
// from this origin only (no inline script or style, no eval), the event stream and forms to this
// origin, and no framing.
func securityHeaders(next http.Handler, csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// ContentSecurityPolicy is the policy of every response.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// contentSecurityPolicy is ContentSecurityPolicy, with the softphone's WebSocket origin (only
// that scheme, host and port) added to connect-src when the softphone is on: the page's script
// talks SIP to Asterisk directly, and nothing else leaves the workplace's origin.
func (s *Server) contentSecurityPolicy() string {
	o := softphoneOrigin(s.SoftphoneWebSocket)
	if s.Softphones == nil || o == "" {
		return ContentSecurityPolicy
	}
	return strings.Replace(ContentSecurityPolicy, "connect-src 'self'", "connect-src 'self' "+o, 1)
}

func redirectTo(path string) func(http.ResponseWriter, *http.Request, User) {
	return func(w http.ResponseWriter, r *http.Request, _ User) {
		http.Redirect(w, r, path, http.StatusSeeOther)
	}
}

func (s *Server) static() func(http.ResponseWriter, *http.Request, User) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree always has it
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return func(w http.ResponseWriter, r *http.Request, _ User) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}
}

// Limits of the login form.
const (
	maxLogin    = hotline.MaxShortLen      // the journal's bound on a login
	maxPassword = hotline.MaxPasswordBytes // the journal's bound on a password
	maxForm     = 4 << 10
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, _ User) {
	if _, err := s.user(r); err == nil {
		http.Redirect(w, r, Home, http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "login", pageData{Title: "Вход"})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ User) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "login", pageData{Title: "Вход", Error: "Форма не прочитана: слишком длинная или повреждённая."})
		return
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	password := r.PostForm.Get("password")
	data := pageData{Title: "Вход", Login: login}
	switch {
	case login == "" || password == "":
		data.Error = "Введите логин и пароль."
		s.render(w, r, http.StatusUnprocessableEntity, "login", data)
		return
	case utf8.RuneCountInString(login) > maxLogin || len(password) > maxPassword || !utf8.ValidString(login):
		data.Login = ""
		data.Error = "Неверный логин или пароль."
		s.render(w, r, http.StatusUnauthorized, "login", data)
		return
	}
	sess, err := s.sessions().Login(r.Context(), Credentials{Login: login, Password: password, Addr: s.clientAddr(r)})
	if err != nil {
		status, msg := http.StatusInternalServerError, "Вход сейчас невозможен. Попробуйте позже."
		switch {
		case errors.Is(err, ErrBadCredentials):
			status, msg = http.StatusUnauthorized, "Неверный логин или пароль."
		case errors.Is(err, ErrThrottled):
			status, msg = http.StatusTooManyRequests, "Слишком много неудачных попыток входа. Попробуйте позже."
		case errors.Is(err, ErrNoAccounts):
			status, msg = http.StatusServiceUnavailable, "Вход в рабочее место пока невозможен: учётные записи ещё не заведены."
		default:
			s.log().Error("web: login failed", "login", login, "err", err)
		}
		s.log().Info("web: login refused", "login", login, "addr", s.clientAddr(r), "status", status)
		data.Error = msg
		s.render(w, r, status, "login", data)
		return
	}
	// A session the browser still held ends: one browser, one session.
	if old, err := r.Cookie(SessionCookie); err == nil && old.Value != "" && old.Value != sess.ID {
		if err := s.sessions().Logout(r.Context(), old.Value); err != nil {
			s.log().Warn("web: ending the previous session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: sess.ID, Path: "/", Expires: sess.Expires,
		HttpOnly: true, Secure: r.TLS != nil || s.SecureCookie, SameSite: http.SameSiteStrictMode,
	})
	s.log().Info("web: logged in", "login", sess.User.Login, "addr", s.clientAddr(r))
	http.Redirect(w, r, Home, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, u User) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.sessions().Logout(r.Context(), c.Value); err != nil {
			s.log().Error("web: logout", "login", u.Login, "err", err)
			s.errorPage(w, r, http.StatusServiceUnavailable, "Выход не выполнен: сервер временно недоступен. Попробуйте ещё раз.")
			return
		}
	}
	clearCookie(w, r, s.SecureCookie)
	if s.Softphones != nil && u.Extension != "" {
		// The softphone's password dies with the session (it would lapse by itself soon anyway).
		if err := s.Softphones.Revoke(r.Context(), u.Extension); err != nil && !errors.Is(err, softphone.ErrHandset) {
			s.log().Warn("web: logout: revoking the softphone's password", "login", u.Login, "err", err)
		}
	}
	s.log().Info("web: logged out", "login", u.Login)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func clearCookie(w http.ResponseWriter, r *http.Request, secure bool) {
	if _, err := r.Cookie(SessionCookie); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil || secure, SameSite: http.SameSiteStrictMode})
}

// clientAddr is the client's IP address: as the listener saw it, or, for a request from a trusted
// proxy, the nearest address in X-Forwarded-For that is not itself a trusted proxy (the proxies
// append; entries left of the first untrusted one could have been written by the client).
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.TrustedProxies) == 0 || !s.trusted(host) {
		return host
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for h := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			return host // a malformed entry: the proxy's own address is all that is known
		}
		if !s.trusted(a.String()) {
			return a.Unmap().String()
		}
	}
	return host
}

// trusted reports whether addr is one of TrustedProxies.
func (s *Server) trusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Serve serves h on ln until ctx ends, with HTTPS when tlsConfig is set (its certificates; HTTP/2
// too); then it closes the listener and the connections (an event stream ends with them).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConfig *tls.Config, log *slog.Logger) error {
	return serve(ctx, ln, h, tlsConfig, log, readTimeout)
}

// readTimeout bounds reading a request, body included: a client trickling a form in is cut off.
// It does not bound a response: an event stream lasts as long as the page is open (net/http
// lifts the read deadline once the request is read; TestEventStreamsOutliveTheReadTimeout...
// holds it). A document upload gets longer (uploadReadTimeout).
const readTimeout = 30 * time.Second

// uploadReadTimeout is how long a document upload may take to arrive (10 MiB at 1 Mbit/s is ~85 s).
const uploadReadTimeout = 5 * time.Minute

func serve(ctx context.Context, ln net.Listener, h http.Handler, tlsConfig *tls.Config, log *slog.Logger, readTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       readTimeout,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: the event stream is long; each of its writes has its own deadline.
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	var err error
	if tlsConfig != nil {
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
