package termtext

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, cell, lines string }{
		{"Иванова И.И.", "Иванова И.И.", "Иванова И.И."},
		{"\x1b[2J\x1b]0;owned\x07", `\x1b[2J\x1b]0;owned\x07`, `\x1b[2J\x1b]0;owned\x07`},
		{"a\nb\tc\r", `a\x0ab\x09c\x0d`, "a\nb\tc\\x0d"},
		{"\u202eevil\u0085\u009b", `\u202eevil\u0085\u009b`, `\u202eevil\u0085\u009b`},
		{"\xff\xfeok", `\xff\xfeok`, `\xff\xfeok`},
		{"a\x7fb\u2028", `a\x7fb\u2028`, `a\x7fb\u2028`},
		{"\uFFFD is shown", "\uFFFD is shown", "\uFFFD is shown"},
	} {
		if got := Escape(tc.in); got != tc.cell {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.cell)
		}
		if got := EscapeLines(tc.in); got != tc.lines {
			t.Errorf("EscapeLines(%q) = %q, want %q", tc.in, got, tc.lines)
		}
	}
}

// The Writer escapes as EscapeLines does, whichever way the text is cut into writes: a rune, or
// an escape sequence, split between two writes is neither let through nor mangled.
func TestWriterAnyCut(t *testing.T) {
	for _, in := range []string{
		"plain, Иванова\n",
		"\x1b[2J\x1b]0;owned\x07 and\r\nmore",
		"\u202eevil\u0085\u009b\u2028я",
		"\xff\xfeok\xe2\x80", // not UTF-8, and a rune that never ends
		"",
	} {
		want := EscapeLines(in)
		for cut := 0; cut <= len(in); cut++ {
			for _, step := range []int{1, 2, 3, len(in) + 1} {
				var b strings.Builder
				w := NewWriter(&b)
				parts := []string{in[:cut]}
				for rest := in[cut:]; rest != ""; {
					n := min(step, len(rest))
					parts, rest = append(parts, rest[:n]), rest[n:]
				}
				for _, p := range parts {
					if n, err := w.Write([]byte(p)); err != nil || n != len(p) {
						t.Fatalf("Write(%q) = %d, %v", p, n, err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if b.String() != want {
					t.Errorf("%q cut at %d, by %d: wrote %q, want %q", in, cut, step, b.String(), want)
				}
			}
		}
	}
}
