package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `hotline campaign report`: the header only on a journal without campaigns; a bad --mo and a
// stray argument refused.
func TestCampaignReport(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	reg := filepath.Join(dir, "register.csv")
	if err := os.WriteFile(reg, []byte(harnessRegister), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ok("--as", "admin", "insured", "import", reg)
	out := c.ok("campaign", "report")
	if out != "campaign,mo_code,mo_name,type,period_from,period_to,total,with_phone,informed,reached,refused,wrong_numbers,attempts\n" {
		t.Fatalf("report of no campaigns: %q", out)
	}
	c.fails(2, "--mo", "campaign", "report", "--mo", "<b>")
	c.fails(2, "no arguments", "campaign", "report", "extra")
	if !strings.Contains(c.ok("campaign", "--help"), "report") {
		t.Error("help does not list report")
	}
}
