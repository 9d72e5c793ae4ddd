package termtext

import "testing"

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
