package sandbox

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// AsNodes makes the test's instance (first) and the next one (HOTLINE_NODES_SECOND_INSTANCE to
// choose another) two Asterisk nodes behind a Kamailio on 127.0.0.(100+instance):5060
// (docs/scaling.md): both restarted as nodes, the second locked for the test. When the test ends
// the second is stopped and the first restarted as the one-node sandbox the other tests know.
// It returns the second node and Kamailio's address; starting Kamailio is the caller's.
func AsNodes(tb testing.TB, first Config) (second Config, kamailio string) {
	tb.Helper()
	n, err := strconv.Atoi(first.Instance)
	if err != nil {
		tb.Fatalf("the sandbox instance is unknown (%q): run with HOTLINE_SANDBOX_INSTANCE set", first.Instance)
	}
	instance := os.Getenv("HOTLINE_NODES_SECOND_INSTANCE")
	if instance == "" {
		instance = strconv.Itoa(n + 1)
	}
	kamailio = KamailioAddr(n)
	asNode := []string{"HOTLINE_SANDBOX_KAMAILIO=" + kamailio}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := Run(ctx, first.Instance, asNode, "restart"); err != nil {
		tb.Fatal(err)
	}
	// Down, then up: a second instance left running by another run is installed afresh.
	if err := Run(ctx, instance, nil, "down"); err != nil {
		tb.Fatal(err)
	}
	if err := Run(ctx, instance, asNode, "up"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := Run(ctx, instance, nil, "down"); err != nil {
			tb.Error(err)
		}
		// The instance back as the other tests know it: one Asterisk, no Kamailio.
		if err := Run(ctx, first.Instance, nil, "restart"); err != nil {
			tb.Error(err)
		}
	})
	second, err = LoadInstance(ctx, instance)
	if err != nil {
		tb.Fatal(err)
	}
	if err := second.Lock(); err != nil {
		tb.Fatal(err)
	}
	return second, kamailio
}

// KamailioAddr is the SIP address of the Kamailio in front of the nodes whose first is instance
// n (AsNodes): 127.0.0.(100+n):5060.
func KamailioAddr(n int) string {
	return fmt.Sprintf("127.0.0.%d:5060", 100+n)
}
