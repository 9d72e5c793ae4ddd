package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/web"
)

// startWeb serves the workplace srv (docs/workplace.md) on c.Listen until ctx ends. What can fail at start fails the daemon's start: the certificate or key
// unreadable, the address taken.
//
// Logins and sessions are the journal's accounts (webSessions): nobody can log in until an
// administrator has set a password (`hotline admin init`, `hotline operator passwd`).
func startWeb(ctx context.Context, c config.Web, srv *web.Server, log *slog.Logger) error {
	var tlsConfig *tls.Config
	scheme := "http"
	if c.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return fmt.Errorf("web.tls_cert, web.tls_key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	srv.SecureCookie = c.SecureCookie
	srv.TrustedProxies = c.Proxies()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("web.listen: %w", err)
	}
	go func() {
		if err := web.Serve(ctx, ln, srv.Handler(), tlsConfig, log); err != nil {
			log.Error("workplace stopped", "addr", c.Listen, "err", err)
		}
	}()
	log.Info("workplace serving", "url", scheme+"://"+ln.Addr().String()+"/")
	return nil
}
