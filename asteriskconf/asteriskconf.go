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

// Value is the last assignment of key ("" and false without one).
func (s *Section) Value(key string) (Var, bool) {
	for i := len(s.Vars) - 1; i >= 0; i-- {
		if s.Vars[i].Key == key {
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
		text, depth := stripComments(raw, comment)
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
			appendTo := strings.HasSuffix(key, "+")
			key = strings.TrimSpace(strings.TrimSuffix(key, "+"))
			value = strings.TrimSpace(strings.TrimPrefix(value, ">")) // "key => value"
			if appendTo {                                             // "key += more": appended to its last value
				for j := len(cur.Vars) - 1; j >= 0; j-- {
					if cur.Vars[j].Key == key {
						value = cur.Vars[j].Value + value
						break
					}
				}
			}
			cur.Vars = append(cur.Vars, Var{Key: key, Value: value, File: path, Line: line})
		}
	}
	if comment > 0 {
		return errorAt(path, commentLine, "a ';--' comment never closed with '--;'")
	}
	return nil
}

// stripComments removes "; …" and ";-- … --;" from a line, depth being the open blocks before it;
// "\;" is a semicolon.
func stripComments(s string, depth int) (string, int) {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case depth > 0:
			if strings.HasPrefix(s[i:], ";--") {
				depth++
				i += 2
			} else if strings.HasPrefix(s[i:], "--;") {
				depth--
				i += 2
			}
		case strings.HasPrefix(s[i:], ";--"):
			depth++
			i += 2
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ';':
			out.WriteByte(';')
			i++
		case s[i] == ';':
			return out.String(), depth
		default:
			out.WriteByte(s[i])
		}
	}
	return out.String(), depth
}

func (p *parser) directive(text, path string, here *Error) error {
	name, arg, _ := strings.Cut(text[1:], " ")
	if i := strings.IndexAny(text[1:], " \t\"<"); i >= 0 {
		name, arg = text[1:1+i], text[1+i:]
	}
	arg = strings.Trim(strings.TrimSpace(arg), `"<>`)
	switch strings.ToLower(name) {
	case "include", "tryinclude":
		if arg == "" {
			here.Msg = "#" + name + " without a file"
			return here
		}
		if !filepath.IsAbs(arg) {
			arg = filepath.Join(p.dir, arg)
		}
		files, err := filepath.Glob(arg)
		if err != nil {
			here.Msg = fmt.Sprintf("#%s %s: %v", name, arg, err)
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
	default:
		// #exec runs a program: what it prints is not read here.
		here.Msg = fmt.Sprintf("#%s not followed (only #include and #tryinclude are)", name)
		return here
	}
}

// section starts "[name]", "[name](!)", "[name](tpl1,tpl2)", "[name](!,tpl)" or "[name](+)".
func (p *parser) section(text string, here *Error) (*Section, error) {
	end := strings.IndexByte(text, ']')
	if end < 0 {
		here.Msg = fmt.Sprintf("no closing ']' in %q", clip(text))
		return nil, here
	}
	s := &Section{Name: strings.TrimSpace(text[1:end]), File: here.File, Line: here.Line}
	if s.Name == "" {
		here.Msg = "a section with no name"
		return nil, here
	}
	rest := strings.TrimSpace(text[end+1:])
	if rest == "" {
		p.cfg.Sections = append(p.cfg.Sections, s)
		return s, nil
	}
	if rest[0] != '(' {
		here.Msg = fmt.Sprintf("%q after [%s]", clip(rest), s.Name)
		return nil, here
	}
	closing := strings.IndexByte(rest, ')')
	if closing < 0 {
		here.Msg = fmt.Sprintf("no closing ')' in %q", clip(text))
		return nil, here
	}
	if tail := strings.TrimSpace(rest[closing+1:]); tail != "" {
		here.Msg = fmt.Sprintf("%q after [%s](…)", clip(tail), s.Name)
		return nil, here
	}
	var addTo bool
	for _, opt := range strings.Split(rest[1:closing], ",") {
		switch opt = strings.TrimSpace(opt); opt {
		case "":
		case "!":
			s.Template = true
		case "+":
			addTo = true
		default:
			// Asterisk copies a template's assignments when it meets the section: a template must be
			// written above its use, so a cycle of templates cannot be written.
			t := p.find(opt)
			if t == nil {
				here.Msg = fmt.Sprintf("[%s] inherits from [%s], which is not defined above it (a template must come first; a cycle of templates is never defined)", s.Name, opt)
				here.Undefined = opt
				return nil, here
			}
			s.Templates = append(s.Templates, opt)
			s.Vars = append(s.Vars, t.Vars...)
		}
	}
	if addTo {
		prev := p.find(s.Name)
		if prev == nil {
			here.Msg = fmt.Sprintf("[%s](+) adds to a section not defined above it", s.Name)
			return nil, here
		}
		prev.Vars = append(prev.Vars, s.Vars...)
		return prev, nil
	}
	p.cfg.Sections = append(p.cfg.Sections, s)
	return s, nil
}

// find is the first section of that name, as Asterisk's category lookup.
func (p *parser) find(name string) *Section {
	for _, s := range p.cfg.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// clip shortens a line quoted in an error: a password may follow.
func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}
