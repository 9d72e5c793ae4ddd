// Package termtext makes text safe to write to a terminal. What hotline shows comes from people
// and from the network: a case card holds what callers and operators typed, a caller's number
// what a SIP client sent. A control character, an ANSI or OSC escape (clear the screen, retitle
// the window, forge a line) or a right-to-left override written raw would be obeyed by the
// administrator's terminal; escaped, it is shown for what it is.
package termtext

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes s safe to print as one cell of a table or one field of a line: control characters
// (newlines and tabs too, which would forge lines and columns), DEL, C1 controls, bidirectional
// overrides and line separators become \x1b or \u202e, and bytes that are not UTF-8 \xff.
func Escape(s string) string { return escape(s, false) }

// EscapeLines is Escape for text shown on lines of its own (a script, a message): newlines and
// tabs are kept.
func EscapeLines(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	if !needsEscape(s, lines) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case lines && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case !Obeyed(r):
			b.WriteString(s[i : i+n])
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string, lines bool) bool {
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return true
		}
		if Obeyed(r) && !(lines && (r == '\n' || r == '\t')) {
			return true
		}
	}
	return false
}

// Obeyed reports whether a terminal acts on r rather than showing it: C0 and C1 controls, DEL,
// the bidirectional controls and the line and paragraph separators.
func Obeyed(r rune) bool {
	switch {
	case unicode.Is(unicode.Cc, r):
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// Writer writes through to w what is written to it, escaped as EscapeLines does: for output of
// any length bound for a terminal (an export, a CSV or HTML report on standard output). A rune
// cut between two writes is held until its end comes; Flush writes what is held.
type Writer struct {
	w    io.Writer
	held []byte // the start of a rune the next write completes
}

// NewWriter returns a Writer escaping into w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p (with what is held) and writes it; it reports len(p) written when w took it all.
func (t *Writer) Write(p []byte) (int, error) {
	buf := append(t.held, p...)
	cut := len(buf)
	// An incomplete rune at the end, no longer than a rune can be: held for the next write.
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	t.held = append(t.held[:0:0], buf[cut:]...)
	if _, err := io.WriteString(t.w, EscapeLines(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is held (a rune never completed: escaped as the bytes it is).
func (t *Writer) Flush() error {
	if len(t.held) == 0 {
		return nil
	}
	_, err := io.WriteString(t.w, EscapeLines(string(t.held)))
	t.held = nil
	return err
}
