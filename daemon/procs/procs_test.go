package procs

import (
	"os"
	"runtime"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int // 0: refused
	}{
		{"1", 1},
		{"2", 2},
		{"1024", 1024},
		{"1025", 1025},
		{"+2", 2},
		{"02", 2},
		{"0", 0},
		{"+0", 0},
		{"-1", 0},
		{"2147483648", 0},
		{"", 0},
		{"2 ", 0},
		{"two", 0},
		{"1.5", 0},
		{"0x2", 0},
		{"99999999999999999999", 0},
	} {
		n, err := Parse(tc.value)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("Parse(%q) = %d, want an error", tc.value, n)
			}
			continue
		}
		if err != nil || n != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.value, n, err, tc.want)
		}
	}
}

// Apply sets one P when GOMAXPROCS is unset, and leaves what the runtime took from a set one.
func TestApply(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })

	t.Run("unset", func(t *testing.T) {
		t.Setenv(Env, "") // restores the value after the test; then unset it for this one
		if err := os.Unsetenv(Env); err != nil {
			t.Fatal(err)
		}
		runtime.GOMAXPROCS(3)
		n, fromEnv, err := Apply()
		if err != nil || n != Default || fromEnv {
			t.Fatalf("Apply() = %d, %v, %v; want %d, false, nil", n, fromEnv, err, Default)
		}
		if got := runtime.GOMAXPROCS(0); got != Default {
			t.Fatalf("GOMAXPROCS after Apply = %d, want %d", got, Default)
		}
	})
	t.Run("set", func(t *testing.T) {
		t.Setenv(Env, "3")
		runtime.GOMAXPROCS(3) // what the runtime did with it at start
		n, fromEnv, err := Apply()
		if err != nil || n != 3 || !fromEnv {
			t.Fatalf("Apply() = %d, %v, %v; want 3, true, nil", n, fromEnv, err)
		}
		if got := runtime.GOMAXPROCS(0); got != 3 {
			t.Fatalf("GOMAXPROCS after Apply = %d, want 3 (left alone)", got)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Setenv(Env, "all")
		runtime.GOMAXPROCS(2)
		if _, _, err := Apply(); err == nil {
			t.Fatal("Apply() with GOMAXPROCS=all: no error")
		}
		if got := runtime.GOMAXPROCS(0); got != 2 {
			t.Fatalf("GOMAXPROCS after a refused value = %d, want 2 (nothing changed)", got)
		}
	})
}
