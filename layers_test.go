package hotline_test

import (
	"cmp"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// The packages' import rules (issue 20): the domain and routing import nothing of the project's
// I/O, and the call flow does not know the configuration file (daemon maps it onto the rules).
// Read from `go list`, so a new import that breaks a rule fails here, not in review.
func TestImportRules(t *testing.T) {
	const mod = "github.com/hotline-dev/hotline"
	// The project's packages that do I/O or wiring: what the pure core must not reach.
	io := []string{"ami", "ari", "board", "cmd", "config", "control", "daemon", "demo", "integration-tests",
		"journal", "kamailio", "loadgen", "outbox", "report", "switchboard"}
	tests := []struct {
		pkg       string   // relative to the module; "" is the domain
		forbidden []string // packages (and their subpackages) pkg must not depend on, even indirectly
	}{
		{"", io},
		{"routing", io},
		{"informing", io},
		{"switchboard", []string{"config", "daemon", "cmd", "journal", "ari", "ami", "kamailio", "control"}},
	}
	for _, tt := range tests {
		t.Run(cmp.Or(tt.pkg, "domain"), func(t *testing.T) {
			path := strings.TrimSuffix(mod+"/"+tt.pkg, "/")
			out, err := exec.Command("go", "list", "-json", path).Output()
			if err != nil {
				t.Fatalf("go list %s: %v", path, err)
			}
			var p struct{ Deps []string }
			if err := json.Unmarshal(out, &p); err != nil {
				t.Fatalf("go list %s: %v", path, err)
			}
			for _, dep := range p.Deps {
				rel, ok := strings.CutPrefix(dep, mod+"/")
				if !ok {
					continue
				}
				for _, f := range tt.forbidden {
					if rel == f || strings.HasPrefix(rel, f+"/") {
						t.Errorf("%s depends on %s", path, dep)
					}
				}
			}
		})
	}
}
