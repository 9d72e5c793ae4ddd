package main

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hotline-dev/hotline/termtext"
)

// What hotline writes to a terminal is never obeyed by it (package termtext says why): text
// output escapes what the journal holds (JSON output escapes control characters its own way), and
// error messages quote user input short.

// maxQuoted is how many characters of a user's input an error message quotes.
const maxQuoted = 80

// quote quotes a user's input in an error message: Go syntax (control characters escaped), at
// most maxQuoted characters, then an ellipsis.
func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:maxQuoted])) + "…"
}

// errorText makes an error message safe and short, whoever wrote it (the journal, cobra, the
// configuration): quoted input longer than maxQuoted characters is cut, as is any other word
// longer than twice that (a path or a flag typed whole into the message), and nothing in it is
// obeyed by the terminal.
func errorText(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		if msg[i] == '"' {
			if q, err := strconv.QuotedPrefix(msg[i:]); err == nil {
				if s, err := strconv.Unquote(q); err == nil {
					b.WriteString(quote(s)) // quoted again: not every quoting escapes DEL
				} else {
					b.WriteString(termtext.EscapeLines(q))
				}
				i += len(q)
				continue
			}
		}
		j := i + 1
		for j < len(msg) && msg[j] != ' ' && msg[j] != '\n' && msg[j] != '"' {
			j++
		}
		word := msg[i:j]
		if utf8.RuneCountInString(word) > 2*maxQuoted {
			word = string([]rune(word)[:2*maxQuoted]) + "…"
		}
		b.WriteString(termtext.EscapeLines(word))
		i = j
	}
	return b.String()
}

// lines marks a printf argument that is shown on lines of its own (a script's text): its
// newlines and tabs are kept.
type lines string

// printf writes a line of text output; every string argument is escaped (termtext.Escape), so a
// table never carries what the terminal would obey, whatever the journal holds.
func printf(w io.Writer, format string, args ...any) {
	for i, a := range args {
		if l, ok := a.(lines); ok {
			args[i] = termtext.EscapeLines(string(l))
		} else if v := reflect.ValueOf(a); v.IsValid() && v.Kind() == reflect.String {
			args[i] = termtext.Escape(v.String())
		}
	}
	fmt.Fprintf(w, format, args...)
}
