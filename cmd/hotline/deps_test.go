package main

import (
	"os/exec"
	"strings"
	"testing"
)

// Only what runs ships: the installed hotline links neither the SIP test phones (sipgo, pion) nor
// the demo, the load generator or the test helpers. They live in cmd/hotline-lab; a new import
// here that pulls one back in fails this test rather than growing the production binary.
func TestShippedBinaryLinksNoTestPhones(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("this test lists the binary's dependencies with the go command: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/emiago/sipgo",
		"github.com/pion/",
		"github.com/hotline-dev/hotline/integration-tests",
		"github.com/hotline-dev/hotline/demo",
		"github.com/hotline-dev/hotline/loadgen",
		"github.com/chromedp/", // the workplace's browser tests drive Chromium with it
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("cmd/hotline links %s (its place is cmd/hotline-lab)", pkg)
			}
		}
	}
}
