package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/termtext"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Input checks: every text flag and argument is checked before a command opens anything, and
// each refusal names the flag or the argument. The journal checks the same limits again; these
// say which flag was wrong.

// maxSearchLen bounds a search text: a keyword or two, not a document.
const maxSearchLen = 100

// maxScriptFile bounds a script's text read with --file: hotline.MaxScriptLen characters of up
// to 4 bytes each.
const maxScriptFile = 4 * hotline.MaxScriptLen

// maxConfigSize bounds a configuration file (--config): hotline.example.yaml, every key
// explained, is 5 KB.
const maxConfigSize = 256 << 10

// textLimit is how long a flag's value may be, in characters, and whether it may hold several
// lines. Flags not listed hold codes, numbers, logins, dates or names of things: a short line.
func textLimit(flag string) (max int, lines bool) {
	switch flag {
	case "description":
		return hotline.MaxDescriptionLen, true
	case "comment", "reason":
		return hotline.MaxCommentLen, true
	case "text":
		return hotline.MaxScriptLen, true
	case "name", "title", "org":
		return hotline.MaxNameLen, false
	case "address":
		return hotline.MaxAddressLen, false
	case "keywords", "topics", "languages", "recommend", "status", "systems":
		return hotline.MaxCommentLen, false
	case "db", "config", "file", "doc-file", "out", "socket", "journal", "log", "json", "profile", "hotline-bin":
		return hotline.MaxPathLen, false
	}
	return hotline.MaxShortLen, false
}

// argLimit is textLimit for a positional argument, by its name in the command's Use line.
func argLimit(name string) int {
	switch name {
	case "TEXT":
		return maxSearchLen
	case "DEST", "FILE", "NEWFILE":
		return hotline.MaxPathLen
	}
	return hotline.MaxShortLen
}

// checkInput checks every flag given and every argument of cmd.
func checkInput(cmd *cobra.Command, args []string) error {
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err == nil && f.Value.Type() == "string" {
			max, lines := textLimit(f.Name)
			err = checkText("--"+f.Name, f.Value.String(), max, lines)
		}
	})
	if err != nil {
		return err
	}
	names := argNames(cmd)
	for i, v := range args {
		name := fmt.Sprintf("argument %d", i+1)
		if i < len(names) {
			name = names[i]
		}
		if err := checkText(name, v, argLimit(name), false); err != nil {
			return err
		}
	}
	return nil
}

// argNames are the positional arguments' names in cmd's Use line ("show REF" → REF).
func argNames(cmd *cobra.Command) []string {
	var out []string
	for _, tok := range strings.Fields(cmd.Use)[1:] {
		if strings.HasPrefix(tok, "-") || strings.HasPrefix(tok, "[") {
			break
		}
		out = append(out, tok)
	}
	return out
}

// checkText refuses text that is not UTF-8, holds a control character (a newline or a tab only
// where lines is set) or is longer than max characters; what names the flag or argument.
func checkText(what, v string, max int, lines bool) error {
	if !utf8.ValidString(v) {
		return hotline.Errorf(hotline.EINVALID, "%s is not valid UTF-8 text: %s", what, quote(v))
	}
	for i, r := range []rune(v) {
		if termtext.Obeyed(r) && !(lines && (r == '\n' || r == '\t' || r == '\r')) {
			return hotline.Errorf(hotline.EINVALID, "%s holds a control character (%s, character %d): %s", what, termtext.Escape(string(r)), i+1, quote(v))
		}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return hotline.Errorf(hotline.EINVALID, "%s is too long: %d characters, at most %d", what, n, max)
	}
	return nil
}

// required refuses the first of names whose value in given is empty or blank.
func required(given map[string]string, names ...string) error {
	for _, n := range names {
		if strings.TrimSpace(given[n]) == "" {
			return hotline.Errorf(hotline.EINVALID, "--%s is required (see --help)", n)
		}
	}
	return nil
}

// forFlag names flag in the message of a domain error its value caused, unless the message
// names it already.
func forFlag(flag string, err error) error {
	switch hotline.ErrorCode(err) {
	case "", hotline.EINTERNAL, hotline.EUNAVAILABLE:
		return err
	}
	msg := hotline.ErrorMessage(err)
	if strings.Contains(msg, flag) {
		return err
	}
	return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.ErrorCode(err), "%s: %s", flag, msg), err)
}

// readFile reads a file given by flag, at most max bytes: a regular file only (not /dev/zero,
// a FIFO or a directory, which could be read forever or never), its size checked first.
func readFile(flag, path string, max int64) ([]byte, error) {
	// O_NONBLOCK: opening a named pipe would wait for a writer; a regular file ignores it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, hotline.Wrapf(hotline.EINVALID, err, "cannot read %s %s: %v", flag, path, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, hotline.Wrapf(hotline.EINVALID, err, "cannot read %s %s: %v", flag, path, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return nil, hotline.Errorf(hotline.EINVALID, "%s %s is not a regular file (%s)", flag, path, fileKind(st.Mode()))
	}
	if st.Size() > max {
		return nil, hotline.Errorf(hotline.EINVALID, "%s %s is too large: %d bytes, at most %d", flag, path, st.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1)) // the file may grow while it is read
	if err != nil {
		return nil, hotline.Wrapf(hotline.EINVALID, err, "cannot read %s %s: %v", flag, path, unwrapPath(err))
	}
	if int64(len(b)) > max {
		return nil, hotline.Errorf(hotline.EINVALID, "%s %s is too large: more than %d bytes", flag, path, max)
	}
	return b, nil
}

// checkFile is readFile's checks without the reading, for a file another package reads (the
// configuration).
func checkFile(flag, path string, max int64) error {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return hotline.Wrapf(hotline.EINVALID, err, "cannot read %s %s: %v", flag, path, unwrapPath(err))
	case !st.Mode().IsRegular():
		return hotline.Errorf(hotline.EINVALID, "%s %s is not a regular file (%s)", flag, path, fileKind(st.Mode()))
	case st.Size() > max:
		return hotline.Errorf(hotline.EINVALID, "%s %s is too large: %d bytes, at most %d", flag, path, st.Size(), max)
	}
	return nil
}

// unwrapPath drops the path from an *fs.PathError: the message names it already.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a regular file"
}
