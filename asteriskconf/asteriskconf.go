// Package asteriskconf reads Asterisk's configuration files as Asterisk's own parser (main/config.c)
// does: sections, templates and inheritance, #include, comments, and what res_pjsip makes of an
// auth object (PJSIPAuths). It knows Asterisk only, no contact-centre words; it never writes.
package asteriskconf

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Var is one assignment, where it was written (an inherited one keeps its template's place).
type Var struct {
	Key, Value string
	File       string
	Line       int
}

// Section is a category: "[name](options)" and its assignments in order, those inherited from its
// templates first, as Asterisk copies them. A key may appear more than once: the last wins for a
// single-valued option.
type Section struct {
	Name      string
	Template  bool     // "(!)": a template, never an object of its own
	Templates []string // the templates it inherits from, in order
	File      string
	Line      int
	Vars      []Var
}

// Value is the last assignment of key, its case ignored as Asterisk's ast_variable_retrieve
// ignores it ("" and false without one).
func (s *Section) Value(key string) (Var, bool) {
	for i := len(s.Vars) - 1; i >= 0; i-- {
		if strings.EqualFold(s.Vars[i].Key, key) {
			return s.Vars[i], true
		}
	}
	return Var{}, false
}

// Config is a file read with the files it includes, its sections in Asterisk's order.
type Config struct {
	Sections []*Section
	// Parent maps every file read to the file that included it ("" for the first).
	Parent map[string]string
}

// Within tells whether file is root or was included, directly or not, from root.
func (c *Config) Within(file, root string) bool {
	for seen := 0; file != "" && seen <= len(c.Parent); seen++ {
		if file == root {
			return true
		}
		file = c.Parent[file]
	}
	return false
}

// Error is a line Asterisk would refuse (or that hides what it reads), where it is.
type Error struct {
	File string
	Line int
	Msg  string
	// Undefined is the template a section inherits from that is not defined above it.
	Undefined string
}

func errorAt(file string, line int, msg string) *Error {
	return &Error{File: file, Line: line, Msg: msg}
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Load reads path and every file it includes. Relative includes are taken from path's directory, as
// Asterisk takes them from its configuration directory, where the file it starts from is.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	p := &parser{cfg: &Config{Parent: map[string]string{}}, dir: filepath.Dir(abs)}
	if err := p.file(abs, "", nil); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

type parser struct {
	cfg     *Config
	dir     string
	reading []string // the include chain, to refuse a file including itself
}

func (p *parser) file(path, parent string, at *Error) error {
	if slices.Contains(p.reading, path) {
		return errorAt(at.File, at.Line, fmt.Sprintf("#include %s: an include cycle (%s)", path, strings.Join(append(p.reading, path), " → ")))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if at != nil {
			return errorAt(at.File, at.Line, fmt.Sprintf("#include: %v", err))
		}
		return err
	}
	if _, ok := p.cfg.Parent[path]; !ok {
		p.cfg.Parent[path] = parent
	}
	p.reading = append(p.reading, path)
	defer func() { p.reading = p.reading[:len(p.reading)-1] }()

	var cur *Section
	comment, commentLine := 0, 0 // ";--" blocks nest, as in Asterisk
	for n, raw := range strings.Split(string(b), "\n") {
		line := n + 1
		if line == 1 {
			raw = strings.TrimPrefix(raw, "\uFEFF") // a UTF-8 BOM, skipped as Asterisk skips it
		}
		text, depth, err := stripComments(raw, comment)
		if err != "" {
			return errorAt(path, line, err)
		}
		if comment == 0 && depth > 0 {
			commentLine = line
		}
		comment = depth
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		here := &Error{File: path, Line: line}
		switch {
		case text[0] == '#':
			if err := p.directive(text, path, here); err != nil {
				return err
			}
			// A section goes on after an included file, as in Asterisk.
			if len(p.cfg.Sections) > 0 {
				cur = p.cfg.Sections[len(p.cfg.Sections)-1]
			}
		case text[0] == '[':
			s, err := p.section(text, here)
			if err != nil {
				return err
			}
			cur = s
		default:
			if cur == nil {
				return errorAt(path, line, "an assignment before any [section]")
			}
			i := strings.IndexByte(text, '=')
			if i <= 0 {
				// Not quoted: it may be a mistyped password line.
				return errorAt(path, line, fmt.Sprintf("no '=' in this line of section [%s] (want key = value)", cur.Name))
			}
			key, value := text[:i], text[i+1:]
			if strings.HasSuffix(key, "+") { // "key += more"
				key = strings.TrimSpace(strings.TrimSuffix(key, "+"))
				if key == "" {
					return errorAt(path, line, fmt.Sprintf("no option name before '+=' in section [%s]", cur.Name))
				}
				if appendTo(cur, key, value) {
					continue
				}
				// Nothing to append to: a new assignment, its '>' kept (config.c's append branch).
				cur.Vars = append(cur.Vars, Var{Key: key, Value: strings.TrimSpace(value), File: path, Line: line})
				continue
			}
			key = strings.TrimSpace(key)
			value = strings.TrimSpace(strings.TrimPrefix(value, ">")) // "key => value"
			cur.Vars = append(cur.Vars, Var{Key: key, Value: value, File: path, Line: line})
		}
	}
	if comment > 0 {
		return errorAt(path, commentLine, "a ';--' comment never closed with '--;'")
	}
	return nil
}

// appendTo does "key += more" as config.c does: the last assignment of key (its case kept) gets
// more appended as written, blanks included, then the result's ends trimmed; that assignment is
// replaced where it is. False when the section has no such key.
func appendTo(s *Section, key, more string) bool {
	last := -1
	for j := range s.Vars {
		if s.Vars[j].Key == key {
			last = j
		}
	}
	if last < 0 {
		return false
	}
	old := s.Vars[last].Value
	// ast_variable_update replaces the last assignment of that name and value, both case-blind.
	for j := range s.Vars {
		if strings.EqualFold(s.Vars[j].Key, key) && strings.EqualFold(s.Vars[j].Value, old) {
			last = j
		}
	}
	s.Vars[last].Value = strings.TrimSpace(old + more)
	return true
}

// stripComments removes "; …" and ";-- … --;" from a line, depth being the open blocks before it;
// "\;" is a semicolon. A non-empty problem is a line Asterisk misreads. As config.c, it looks at
// each ';' in turn: "--;" ends a block only when its dashes come after what was read last (from).
func stripComments(s string, depth int) (text string, _ int, problem string) {
	var out strings.Builder
	from := 0
	for i := 0; i < len(s); i++ {
		closes := i-2 >= from && s[i-2:i] == "--"
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ';':
			if depth == 0 {
				out.WriteByte(';')
			}
			i++
			from = i
		case s[i] != ';':
			if depth == 0 {
				out.WriteByte(s[i])
			}
		case strings.HasPrefix(s[i:], ";--") && !strings.HasPrefix(s[i:], ";---"):
			// config.c opens a block only when the character after ";--" is not another '-':
			// ";------ heading ------" is a line comment.
			depth++
			i += 2
			from = i + 1
		case closes && depth > 0:
			depth--
			from = i + 1
		case closes:
			// Asterisk takes it for the end of a block that is not open: its count of open blocks
			// goes below zero and it ignores every line after it.
			return "", depth, fmt.Sprintf("'--;' at column %d closes no ';--' comment: Asterisk would ignore every line after it", i-1)
		case depth > 0:
			from = i + 1
		default:
			return out.String(), depth, ""
		}
	}
	return out.String(), depth, ""
}

func (p *parser) directive(text, path string, here *Error) error {
	// As config.c: the name runs to the first blank or control character, the argument is the
	// rest, its ends trimmed, then one pair of "…" or <…> around it removed.
	name, arg := text[1:], ""
	if i := strings.IndexFunc(name, func(r rune) bool { return r <= ' ' }); i >= 0 {
		name, arg = name[:i], strings.TrimSpace(name[i+1:])
	}
	if len(arg) >= 2 && (arg[0] == '"' && arg[len(arg)-1] == '"' || arg[0] == '<' && arg[len(arg)-1] == '>') {
		arg = arg[1 : len(arg)-1]
	}
	switch strings.ToLower(name) {
	case "include", "tryinclude":
		if arg == "" {
			// Asterisk warns and goes on; refused here: an include that reads nothing is a mistake.
			here.Msg = "#" + strings.ToLower(name) + " without a file"
			return here
		}
		if !filepath.IsAbs(arg) {
			arg = filepath.Join(p.dir, arg)
		}
		files, err := filepath.Glob(arg)
		if err != nil {
			here.Msg = fmt.Sprintf("#%s: %v", strings.ToLower(name), err)
			return here
		}
		if len(files) == 0 {
			if strings.EqualFold(name, "tryinclude") {
				return nil
			}
			here.Msg = fmt.Sprintf("#include %s: %v", arg, fs.ErrNotExist)
			return here
		}
		for _, f := range files {
			if err := p.file(f, path, here); err != nil {
				return err
			}
		}
		return nil
	case "exec":
		// #exec runs a program (when asterisk.conf allows it): what it prints is not read here.
		here.Msg = "#exec not followed (only #include and #tryinclude are)"
		return here
	default:
		// Asterisk warns of an unknown directive and goes on without it; refused here, since what
		// was meant (an include, most likely) would silently be missing.
		here.Msg = "an unknown directive (Asterisk skips it; only #include and #tryinclude are read)"
		if l := strings.ToLower(name); strings.HasPrefix(l, "include") || strings.HasPrefix(l, "tryinclude") {
			here.Msg = "a #include or #tryinclude without a blank before its file: Asterisk takes it for an unknown directive and skips it"
		}
		return here
	}
}

// section starts "[name]", "[name](!)", "[name](tpl1,tpl2)", "[name](!,tpl)" or "[name](+)". As
// config.c, the name and each option are taken as written, spaces included. Its messages name a
// column rather than quote the line: a password may follow on it.
func (p *parser) section(text string, here *Error) (*Section, error) {
	end := strings.IndexByte(text, ']')
	if end < 0 {
		here.Msg = "no closing ']' for the section's name"
		return nil, here
	}
	s := &Section{Name: text[1:end], File: here.File, Line: here.Line}
	if strings.TrimSpace(s.Name) == "" {
		here.Msg = "a section with no name"
		return nil, here
	}
	rest := text[end+1:]
	if strings.TrimSpace(rest) == "" {
		p.cfg.Sections = append(p.cfg.Sections, s)
		return s, nil
	}
	if rest[0] != '(' {
		// Asterisk ignores what follows ']' unless it is '(' at once: refused, since an
		// assignment written there would be lost.
		here.Msg = fmt.Sprintf("text after [%s] at column %d (Asterisk would ignore it; options go in '(…)' right after ']', assignments on their own lines)", s.Name, end+2)
		return nil, here
	}
	closing := strings.IndexByte(rest, ')')
	if closing < 0 {
		here.Msg = fmt.Sprintf("no closing ')' after [%s]", s.Name)
		return nil, here
	}
	if tail := strings.TrimSpace(rest[closing+1:]); tail != "" {
		here.Msg = fmt.Sprintf("text after [%s](…) at column %d (Asterisk would ignore it; assignments go on their own lines)", s.Name, end+closing+3)
		return nil, here
	}
	var addTo bool
	col := end + 3 // of the option, from 1
	for i, opt := range strings.Split(rest[1:closing], ",") {
		at := col
		col += len(opt) + 1
		switch {
		case opt == "!":
			s.Template = true
		case opt == "+":
			addTo = true
		case strings.HasPrefix(opt, "+"):
			here.Msg = fmt.Sprintf("[%s]'s option %d (column %d) is a filtered '(+…)', not read here", s.Name, i+1, at)
			return nil, here
		default:
			// Asterisk copies a template's assignments when it meets the section: a template must be
			// written above its use, so a cycle of templates cannot be written. Its name is matched
			// whatever its case, spaces included (Asterisk refuses "(a, b)": there is no " b").
			t := p.find(opt, true)
			if t == nil {
				what := fmt.Sprintf("template %d (column %d)", i+1, at)
				if isName(opt) {
					what = "[" + opt + "]"
				}
				here.Msg = fmt.Sprintf("[%s] inherits from %s, which is not defined above it (its name as written, spaces count; a template must come first; a cycle of templates is never defined)", s.Name, what)
				here.Undefined = opt
				return nil, here
			}
			s.Templates = append(s.Templates, t.Name)
			s.Vars = append(s.Vars, t.Vars...)
		}
	}
	if addTo {
		prev := p.find(s.Name, false)
		if prev == nil {
			here.Msg = fmt.Sprintf("[%s](+) adds to a section not defined above it (Asterisk adds to no template)", s.Name)
			return nil, here
		}
		prev.Template = prev.Template || s.Template
		prev.Vars = append(prev.Vars, s.Vars...)
		return prev, nil
	}
	p.cfg.Sections = append(p.cfg.Sections, s)
	return s, nil
}

// isName tells whether a template's name may be quoted in a message: only letters, digits and
// "-_.@" (never "=" nor a blank), so that it cannot be an assignment's text.
func isName(s string) bool {
	return s != "" && len(s) <= 40 && strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789-_.@") == ""
}

// find is the first section of that name, its case ignored, as Asterisk's category lookup: a
// template or not for inheritance, not a template for "(+)".
func (p *parser) find(name string, templates bool) *Section {
	for _, s := range p.cfg.Sections {
		if strings.EqualFold(s.Name, name) && (templates || !s.Template) {
			return s
		}
	}
	return nil
}
