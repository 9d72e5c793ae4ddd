package daemon

import (
	"io"
	"log/slog"
	"strings"

	"github.com/hotline-dev/hotline/config"
)

// NewLogger builds the daemon's structured logger from the config. It lives here, not in a
// command, because both `hotline serve` and `hotline-lab demo` run the daemon and must log alike.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.Level))) // validated by config: an unknown level is info
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
