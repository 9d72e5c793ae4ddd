// Package sandbox finds the sandbox Asterisk (asterisk-conf/sandbox) that integration tests run
// against, as net/http/httptest finds a test server: tests call Require and get the addresses and
// credentials of a running, fully booted Asterisk 22.
//
// Settings come from the environment (HOTLINE_ARI_URL, HOTLINE_AMI_ADDR, ...: exactly what
// `asterisk-conf/sandbox env` prints); when HOTLINE_ARI_URL is unset, Load runs `asterisk-conf/sandbox
// env` itself (HOTLINE_SANDBOX_INSTANCE selects the instance).
//
// One test process at a time per instance: Require locks the instance for the life of the process
// (two runs on one Asterisk would answer and restart each other's calls), and a test that fails
// logs what Asterisk wrote to its log meanwhile.
package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Config is how to reach one sandbox Asterisk.
type Config struct {
	ARIURL          string // REST base, e.g. http://127.0.0.1:8088/ari
	ARIWebsocket    string // events, e.g. ws://127.0.0.1:8088/ari/events
	ARIUser         string
	ARIPassword     string
	ARIApp          string // the Stasis application the dialplan hands calls to ("hotline")
	AMIAddr         string // host:port
	AMIUser         string
	AMIPassword     string
	SIPAddr         string // Asterisk's SIP UDP address, host:port
	HandsetPassword string // digest password of every test handset (1001-1060, 2001-2030)
	Root            string // the chroot Asterisk runs in (recordings are under Root/var/spool/asterisk)
	Instance        string // HOTLINE_SANDBOX_INSTANCE, "0" to "9"; "" when the settings came from elsewhere
}

// Load reads the sandbox's settings from the environment or from `asterisk-conf/sandbox env`.
func Load() (Config, error) {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "HOTLINE_") {
			env[k] = v
		}
	}
	if env["HOTLINE_ARI_URL"] == "" {
		script, err := Script()
		if err != nil {
			return Config{}, err
		}
		out, err := exec.Command(script, "env").Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return Config{}, fmt.Errorf("sandbox: %s env: %s (run 'sudo asterisk-conf/sandbox up' first)", script, bytes.TrimSpace(ee.Stderr))
			}
			return Config{}, fmt.Errorf("sandbox: %s env: %w", script, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			line := strings.TrimPrefix(sc.Text(), "export ")
			if k, v, ok := strings.Cut(line, "="); ok {
				env[k] = v
			}
		}
	}
	c := fromEnv(env)
	if c.ARIURL == "" || c.AMIAddr == "" || c.SIPAddr == "" {
		return Config{}, errors.New("sandbox: settings incomplete: need HOTLINE_ARI_URL, HOTLINE_AMI_ADDR and HOTLINE_SIP_ADDR (see 'asterisk-conf/sandbox env')")
	}
	return c, nil
}

// fromEnv reads the settings `asterisk-conf/sandbox env` prints.
func fromEnv(env map[string]string) Config {
	return Config{
		ARIURL: env["HOTLINE_ARI_URL"], ARIWebsocket: env["HOTLINE_ARI_WS"],
		ARIUser: env["HOTLINE_ARI_USER"], ARIPassword: env["HOTLINE_ARI_PASSWORD"], ARIApp: env["HOTLINE_ARI_APP"],
		AMIAddr: env["HOTLINE_AMI_ADDR"], AMIUser: env["HOTLINE_AMI_USER"], AMIPassword: env["HOTLINE_AMI_PASSWORD"],
		SIPAddr: env["HOTLINE_SIP_ADDR"], HandsetPassword: env["HOTLINE_HANDSET_PASSWORD"], Root: env["HOTLINE_SANDBOX_ROOT"],
		Instance: env["HOTLINE_SANDBOX_INSTANCE"],
	}
}

// Script returns the path of asterisk-conf/sandbox, found from the working directory upwards.
func Script() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	for {
		p := filepath.Join(dir, "asterisk-conf", "sandbox")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("sandbox: asterisk-conf/sandbox not found above the working directory")
		}
		dir = parent
	}
}

// Ping checks that ARI answers.
func (c Config) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.ARIURL+"/asterisk/ping", nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.ARIUser, c.ARIPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: ARI at %s: %w (is it up? 'sudo asterisk-conf/sandbox up')", c.ARIURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sandbox: ARI ping at %s: %s", c.ARIURL, resp.Status)
	}
	return nil
}

// Require returns the running sandbox's settings, or fails the test with what to do: an
// integration test that cannot reach Asterisk fails, it never skips. It locks the instance for
// this process (Lock) and, if tb fails, logs the lines Asterisk logged while tb ran (LogOnFailure).
func Require(tb testing.TB) Config {
	tb.Helper()
	c, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Lock(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		tb.Fatal(err)
	}
	c.LogOnFailure(tb)
	return c
}

// CLI runs an Asterisk CLI command in the sandbox (as `asterisk -rx`) and returns its output.
func (c Config) CLI(ctx context.Context, command string) (string, error) {
	if c.Root == "" {
		return "", errors.New("sandbox: HOTLINE_SANDBOX_ROOT unset: cannot reach the Asterisk CLI")
	}
	out, err := exec.CommandContext(ctx, "chroot", c.Root, "/usr/sbin/asterisk", "-rx", command).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("sandbox: asterisk -rx %q: %w: %s", command, err, out)
	}
	return string(out), nil
}

// Restart stops and starts the sandbox's Asterisk (for tests of reconnection). Every client of it
// sees the disconnect; run such tests only where nothing else shares the instance.
func (c Config) Restart(ctx context.Context) error {
	script, err := Script()
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, script, "restart").CombinedOutput()
	if err != nil {
		return fmt.Errorf("sandbox: restart: %w: %s", err, out)
	}
	return nil
}
