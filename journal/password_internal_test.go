package journal

import (
	"strings"
	"testing"
)

// cheapHash keeps the tests fast; the format and the checks are the same at any cost.
var cheapHash = HashParams{Memory: 64, Time: 1, Threads: 1}

func TestHashRoundTrip(t *testing.T) {
	const pw = "правильный пароль"
	h1, err := hashPassword(pw, cheapHash)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword(pw, cheapHash)
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h1, pw) {
		t.Fatalf("hash %q", h1)
	}
	p, err := parseHash(h1)
	if err != nil {
		t.Fatal(err)
	}
	if p.params != cheapHash {
		t.Fatalf("params %+v", p.params)
	}
	tests := []struct {
		password string
		ok       bool
	}{
		{pw, true},
		{"правильный парол", false},
		{"Правильный пароль", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := p.verify(tt.password); got != tt.ok {
			t.Errorf("verify(%q) = %v, want %v", tt.password, got, tt.ok)
		}
	}
}

func TestParseHashRefusesGarbage(t *testing.T) {
	good, _ := hashPassword("0123456789", cheapHash)
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"",
		"plain text password",
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Join([]string{"", "argon2id", "v=19", "m=0,t=1,p=1", parts[4], parts[5]}, "$"),
		strings.Join([]string{"", "argon2id", "v=19", "m=99999999,t=1,p=1", parts[4], parts[5]}, "$"),
		strings.Join([]string{"", "argon2id", "v=19", parts[3], "!!", parts[5]}, "$"),
		strings.Join([]string{"", "argon2id", "v=19", parts[3], parts[4], "c2hvcnQ"}, "$"),
	} {
		if _, err := parseHash(bad); err == nil {
			t.Errorf("parseHash(%q) accepted", bad)
		} else if strings.Contains(err.Error(), parts[5]) {
			t.Errorf("the error quotes the hash: %v", err)
		}
	}
}
