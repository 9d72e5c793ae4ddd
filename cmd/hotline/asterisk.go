package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/prometheus/client_golang/prometheus"
)

// connectAsterisk connects ARI and AMI and returns how the switchboard acts on calls and the
// events it is told about.
func connectAsterisk(ctx context.Context, cfg config.Config, log *slog.Logger, reg prometheus.Registerer) (switchboard.Telephony, <-chan switchboard.Event, error) {
	return nil, nil, errors.New("serve: the ARI adapter is not wired yet")
}
