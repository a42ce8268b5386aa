package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/odpswatch/odpswatch/internal/redact"
)

// A field is one key of a mapping that decodes into a T, and the value it
// holds: how that is read, defaulted and described. The tables (fields.go)
// are the single source of the defaults and bounds; the messages, the
// defaults and the test of configs/odpswatch.yaml's comments all read them.
type field[T any] struct {
	key string
	value[T]
}

// value is one kind of value a key holds (an integer within bounds, a
// duration, one of some choices, a list of globs...), with where in a T it
// goes.
type value[T any] interface {
	// setDefault gives v's field its default (nothing, for a value with
	// none).
	setDefault(v *T)
	// decode reads n, the value of key at path, into v, or says what is
	// wrong with it.
	decode(d *decoder, n *yaml.Node, path, key string, v *T)
	// defaultText is the default as a user writes it ("" for nothing to
	// say), allowedText what the value may be, as messages and the
	// reference say it after "want" and "Allowed:" ("" for nothing to
	// say), and unit how the reference gives its unit ("" for none).
	defaultText() string
	allowedText() string
	unit() string
}

// scalar reports whether n is a scalar, and says what is wrong if not.
func scalar(d *decoder, n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, "%s: want %s, not %s", path, want, describe(n))
		return false
	}
	return true
}

// intValue is an integer within [lo, hi].
type intValue[T any] struct {
	def, lo, hi int
	p           func(*T) *int
}

func (f intValue[T]) setDefault(v *T)     { *f.p(v) = f.def }
func (f intValue[T]) defaultText() string { return strconv.Itoa(f.def) }
func (f intValue[T]) allowedText() string { return fmt.Sprintf("%d to %d", f.lo, f.hi) }
func (f intValue[T]) unit() string        { return "Unit: " }
func (f intValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	if !scalar(d, n, path, "an integer") {
		return
	}
	var x int
	if n.Tag != "!!int" || n.Decode(&x) != nil {
		d.errorf(n.Line, "%s %q: want an integer", path, n.Value)
		return
	}
	if x < f.lo || x > f.hi {
		d.errorf(n.Line, "%s %s: want %s", path, n.Value, f.allowedText())
		return
	}
	*f.p(v) = x
}

// durationValue is a duration within [lo, hi].
type durationValue[T any] struct {
	def, lo, hi model.Duration
	p           func(*T) *model.Duration
}

func (f durationValue[T]) setDefault(v *T)     { *f.p(v) = f.def }
func (f durationValue[T]) defaultText() string { return f.def.String() }
func (f durationValue[T]) allowedText() string { return fmt.Sprintf("%s to %s", f.lo, f.hi) }
func (f durationValue[T]) unit() string        { return "Unit: a duration." }
func (f durationValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	if !scalar(d, n, path, "a duration") {
		return
	}
	x, err := model.ParseDuration(n.Value)
	if err != nil || (n.Tag != "!!str" && n.Tag != "!!int") {
		d.errorf(n.Line, "%s %q: want a duration such as 250ms, 5s or 1m30s", path, n.Value)
		return
	}
	if x < f.lo || x > f.hi {
		d.errorf(n.Line, "%s %s: want %s", path, n.Value, f.allowedText())
		return
	}
	*f.p(v) = x
}

// floatValue is a number within [lo, hi].
type floatValue[T any] struct {
	def, lo, hi float64
	p           func(*T) *float64
}

func (f floatValue[T]) setDefault(v *T)     { *f.p(v) = f.def }
func (f floatValue[T]) defaultText() string { return formatFloat(f.def) }
func (f floatValue[T]) allowedText() string {
	return fmt.Sprintf("%s to %s", formatFloat(f.lo), formatFloat(f.hi))
}
func (f floatValue[T]) unit() string { return "Unit: " }
func (f floatValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	if !scalar(d, n, path, "a number") {
		return
	}
	var x float64
	if n.Tag != "!!float" && n.Tag != "!!int" || n.Decode(&x) != nil || math.IsNaN(x) {
		d.errorf(n.Line, "%s %q: want a number", path, n.Value)
		return
	}
	if x < f.lo || x > f.hi {
		d.errorf(n.Line, "%s %s: want %s", path, n.Value, f.allowedText())
		return
	}
	*f.p(v) = x
}

// boolValue is true or false.
type boolValue[T any] struct {
	def bool
	p   func(*T) *bool
}

func (f boolValue[T]) setDefault(v *T)     { *f.p(v) = f.def }
func (f boolValue[T]) defaultText() string { return strconv.FormatBool(f.def) }
func (f boolValue[T]) allowedText() string { return "true or false" }
func (f boolValue[T]) unit() string        { return "" }
func (f boolValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	if !scalar(d, n, path, "true or false") {
		return
	}
	var b bool
	if n.Tag != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n.Line, "%s %q: want %s", path, n.Value, f.allowedText())
		return
	}
	*f.p(v) = b
}

// choiceValue is one of choices; the first is the default, and a default
// "" means none is chosen.
type choiceValue[T any] struct {
	choices []string
	p       func(*T) *string
}

func (f choiceValue[T]) setDefault(v *T) { *f.p(v) = f.choices[0] }
func (f choiceValue[T]) defaultText() string {
	if f.choices[0] == "" {
		return "none"
	}
	return f.choices[0]
}
func (f choiceValue[T]) allowedText() string {
	return orList(slices.DeleteFunc(slices.Clone(f.choices), func(c string) bool { return c == "" }))
}
func (f choiceValue[T]) unit() string { return "" }
func (f choiceValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	if !scalar(d, n, path, "a string") {
		return
	}
	if !slices.Contains(f.choices, n.Value) {
		d.errorf(n.Line, "%s %q: want %s", path, n.Value, f.allowedText())
		return
	}
	*f.p(v) = n.Value
}

// stringValue is a string that check accepts (nil: any string, checked by
// the caller), def by default; want says what check wants.
type stringValue[T any] struct {
	def, want string
	check     func(string) string
	// secret says the value is never quoted in a message.
	secret bool
	p      func(*T) *string
}

func (f stringValue[T]) setDefault(v *T)     { *f.p(v) = f.def }
func (f stringValue[T]) defaultText() string { return f.def }
func (f stringValue[T]) allowedText() string { return f.want } // a name or a path: the reference says what it is
func (f stringValue[T]) unit() string        { return "" }
func (f stringValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	if !scalar(d, n, path, "a string") {
		return
	}
	if f.check != nil {
		if why := f.check(n.Value); why != "" {
			if f.secret {
				// A password written where its variable's name goes must
				// not be echoed to a terminal or a log.
				d.errorf(n.Line, "%s: %s (the value is not shown: it may be a secret)", path, why)
			} else {
				d.errorf(n.Line, "%s %q: %s", path, n.Value, why)
			}
			return
		}
	}
	*f.p(v) = n.Value
}

// urlValue is an absolute http(s) URL, or "" for none.
type urlValue[T any] struct{ p func(*T) *string }

func (f urlValue[T]) setDefault(*T)       {}
func (f urlValue[T]) defaultText() string { return "none" }
func (f urlValue[T]) allowedText() string { return wantURL }
func (f urlValue[T]) unit() string        { return "" }
func (f urlValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	if !scalar(d, n, path, "a URL") {
		return
	}
	if n.Value != "" {
		if why := urlProblem(n.Value); why != "" {
			d.errorf(n.Line, "%s %q: %s", path, redact.URLCredentials(n.Value), why)
			return
		}
	}
	*f.p(v) = n.Value
}

// listValue is a list of at most max (0: any number) strings, each a noun
// ("glob") that check accepts; with unique, none twice. It is empty by
// default, which the reference says as none when says.
type listValue[T any] struct {
	noun    string
	max     int
	unique  bool
	sayNone bool
	check   func(string) string
	p       func(*T) *[]string
}

func (f listValue[T]) setDefault(*T) {}
func (f listValue[T]) defaultText() string {
	if f.sayNone {
		return "none"
	}
	return ""
}
func (f listValue[T]) allowedText() string {
	if f.max > 0 {
		return fmt.Sprintf("at most %d", f.max)
	}
	return "any number"
}
func (f listValue[T]) unit() string { return "" }
func (f listValue[T]) decode(d *decoder, n *yaml.Node, path, key string, v *T) {
	d.list(n, path, key, f.noun, f.max, f.allowedText(), f.unique, f.check, f.p(v))
}

// choicesValue is a list of distinct choices, empty by default.
type choicesValue[T any] struct {
	choices []string
	p       func(*T) *[]string
}

func (f choicesValue[T]) setDefault(*T)       {}
func (f choicesValue[T]) defaultText() string { return "none" }
func (f choicesValue[T]) allowedText() string { return orList(f.choices) }
func (f choicesValue[T]) unit() string        { return "" }
func (f choicesValue[T]) decode(d *decoder, n *yaml.Node, path, key string, v *T) {
	d.list(n, path, key, "label", 0, "", true, func(s string) string {
		if !slices.Contains(f.choices, s) {
			return "want " + f.allowedText()
		}
		return ""
	}, f.p(v))
}

// nestedValue is a mapping, or a list of mappings, with tables of its own:
// def gives v its default, read decodes n into v.
type nestedValue[T any] struct {
	def  func(v *T)
	read func(d *decoder, n *yaml.Node, path string, v *T)
}

func (f nestedValue[T]) setDefault(v *T)     { f.def(v) }
func (f nestedValue[T]) defaultText() string { return "" }
func (f nestedValue[T]) allowedText() string { return "" }
func (f nestedValue[T]) unit() string        { return "" }
func (f nestedValue[T]) decode(d *decoder, n *yaml.Node, path, _ string, v *T) {
	f.read(d, n, path, v)
}

// formatFloat writes x as a user would: 3, 0.1, 1000000.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// list decodes a list of at most limit (0: any number) strings, each a
// noun ("glob"), into dst; allowed says the bound. check says what is
// wrong with an item, or "". With unique, an item may not repeat one
// before it (trailing slashes aside); key names the list in that message.
func (d *decoder) list(n *yaml.Node, path, key, noun string, limit int, allowed string, unique bool,
	check func(string) string, dst *[]string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, "%s: want a list of %ss, not %s", path, noun, describe(n))
		return
	}
	if limit > 0 && len(n.Content) > limit {
		d.errorf(n.Line, "%s: %d %ss: want %s", path, len(n.Content), noun, allowed)
		return
	}
	var items []string
	seen := make(map[string]int)
	for i, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			d.errorf(item.Line, "%s[%d]: want a %s, not %s", path, i, noun, describe(item))
			continue
		}
		if why := check(item.Value); why != "" {
			d.errorf(item.Line, "%s[%d] %q: %s", path, i, item.Value, why)
			continue
		}
		if unique {
			same := strings.TrimRight(item.Value, "/")
			if j, ok := seen[same]; ok {
				d.errorf(item.Line, "%s[%d] %q: already given as %s[%d]", path, i, item.Value, key, j)
				continue
			}
			seen[same] = i
		}
		items = append(items, item.Value)
	}
	*dst = items
}

// globInvalid says what is wrong with the glob s, or "".
func globInvalid(s string) string {
	if why := globProblem(s); why != "" {
		return "invalid glob: " + why
	}
	return ""
}
