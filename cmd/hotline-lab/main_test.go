package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && c.Example == "" {
			t.Errorf("%s has no example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}

// Refusals before anything is started: bad input is exit code 2, and the demo without the
// sandbox's settings says how to get them.
func TestRefusals(t *testing.T) {
	t.Setenv("HOTLINE_SIP_ADDR", "")
	t.Setenv("HOTLINE_HANDSET_PASSWORD", "")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"demo", "--operators", "0"}, 2, "--operators must be 1..60"},
		{[]string{"demo", "--calls", "201"}, 2, "--calls must be 1..200"},
		{[]string{"demo"}, 2, "asterisk-conf/sandbox env"},
		{[]string{"demo", "--no-such-flag"}, 2, "unknown flag"},
		{[]string{"loadgen", "--operators", "x"}, 2, "invalid argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), tc.code, tc.want)
			}
		})
	}
}

func TestHotlineBin(t *testing.T) {
	bin := t.TempDir()
	self, beside := filepath.Join(bin, "hotline-lab"), filepath.Join(bin, "hotline")
	onPath := t.TempDir()
	if err := os.WriteFile(filepath.Join(onPath, "hotline"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, given, path string
		self              string // "-": unknown; "": bin/hotline-lab
		besideExists      bool
		want              string // "" : refused
	}{
		{name: "given wins", given: "/opt/hotline", besideExists: true, path: onPath, want: "/opt/hotline"},
		{name: "beside hotline-lab", besideExists: true, path: onPath, want: beside},
		{name: "on PATH", path: onPath, want: filepath.Join(onPath, "hotline")},
		{name: "nowhere", path: t.TempDir()},
		{name: "own path unknown", path: onPath, besideExists: true, self: "-", want: filepath.Join(onPath, "hotline")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			os.Remove(beside)
			if tc.besideExists {
				if err := os.WriteFile(beside, []byte("#!/bin/sh\n"), 0o755); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Remove(beside) })
			}
			self := self
			if tc.self == "-" {
				self = ""
			}
			got, err := hotlineBin(tc.given, self)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "--hotline-bin") {
					t.Errorf("got %q, %v; want a refusal naming --hotline-bin", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSandboxDown(t *testing.T) {
	for _, tc := range []struct{ instance, want string }{
		{"", "sudo make sandbox-down"},
		{"0", "sudo make sandbox-down"},
		{"2", "sudo make sandbox-down HOTLINE_SANDBOX_INSTANCE=2"},
	} {
		if got := sandboxDown(tc.instance); got != tc.want {
			t.Errorf("sandboxDown(%q) = %q, want %q", tc.instance, got, tc.want)
		}
	}
}
