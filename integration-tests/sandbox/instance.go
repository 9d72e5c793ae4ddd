package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Several instances in one test (several Asterisk nodes behind Kamailio): a test names the
// instance it brings up or stops, and reads its settings, apart from the environment's one.

// Run runs asterisk-conf/sandbox with args (up, down, restart) on instance, with env added to the
// environment (e.g. HOTLINE_SANDBOX_KAMAILIO=IP:PORT).
func Run(ctx context.Context, instance string, env []string, args ...string) error {
	script, err := Script()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, script, args...)
	cmd.Env = append(instanceEnv(instance), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("sandbox: instance %s: %s: %w: %s", instance, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// instanceEnv is the process's environment without the sandbox settings, naming instance.
func instanceEnv(instance string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "HOTLINE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOTLINE_SANDBOX_INSTANCE="+instance)
}

// LoadInstance reads the settings of instance from `asterisk-conf/sandbox env`.
func LoadInstance(ctx context.Context, instance string) (Config, error) {
	script, err := Script()
	if err != nil {
		return Config{}, err
	}
	cmd := exec.CommandContext(ctx, script, "env")
	cmd.Env = instanceEnv(instance)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Config{}, fmt.Errorf("sandbox: instance %s: env: %s", instance, bytes.TrimSpace(ee.Stderr))
		}
		return Config{}, fmt.Errorf("sandbox: instance %s: env: %w", instance, err)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok {
			env[k] = v
		}
	}
	c := fromEnv(env)
	if c.ARIURL == "" || c.SIPAddr == "" {
		return Config{}, fmt.Errorf("sandbox: instance %s: settings incomplete", instance)
	}
	return c, nil
}
