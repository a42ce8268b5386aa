package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// problem is one thing wrong with a file, at a line when it is known.
type problem struct {
	name string // the file
	line int    // 0: unknown
	msg  string
	err  error // what caused it, if anything
}

func (p *problem) Error() string {
	if p.line > 0 {
		return p.name + ":" + strconv.Itoa(p.line) + ": " + p.msg
	}
	return p.name + ": " + p.msg
}

func (p *problem) Unwrap() error { return p.err }

// decoder walks the yaml.Node tree of one file and collects its problems.
// The tree rather than yaml's own decoding gives every message a line and
// lets every problem be reported, not just the first.
type decoder struct {
	name     string
	problems []*problem
}

func (d *decoder) errorf(line int, format string, args ...any) {
	d.problems = append(d.problems, &problem{name: d.name, line: line, msg: fmt.Sprintf(format, args...)})
}

// err joins the problems in file order; those without a line come last.
func (d *decoder) err() error {
	slices.SortStableFunc(d.problems, func(a, b *problem) int {
		return lineKey(a.line) - lineKey(b.line)
	})
	errs := make([]error, len(d.problems))
	for i, p := range d.problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

func lineKey(line int) int {
	if line <= 0 {
		return int(^uint(0) >> 1)
	}
	return line
}

// parse decodes data into a Config, with defaults where keys are absent.
func (d *decoder) parse(data []byte) *Config {
	c := defaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF): // empty, or only comments
		d.errorf(0, noSources)
		return c
	case err != nil:
		d.syntaxError(err)
		return c
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntaxError(err)
	default:
		d.errorf(next.Line, "only one YAML document is allowed")
	}
	d.root(doc.Content[0], c)
	return c
}

const noSources = `no sources: add at least one under "sources"`

// syntaxError reports yaml's error with yaml's line, if it gave one.
func (d *decoder) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, after
			}
		}
	}
	d.problems = append(d.problems, &problem{name: d.name, line: line, msg: "cannot parse YAML: " + msg, err: err})
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe says what a node is, after "not".
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "an empty value"
	}
	return strconv.Quote(n.Value)
}

// entry is a key of a mapping and its value (aliases resolved); bad says
// its value was reported as wrong.
type entry struct {
	key, value *yaml.Node
	bad        bool
}

// entries are the keys a mapping has, by name.
type entries map[string]entry

// line is the line of key, or else 0.
func (es entries) line(key string) int {
	if e, ok := es[key]; ok {
		return e.key.Line
	}
	return 0
}

// lineOr is the line of key, or fallback (the line of the entry that holds
// it) when the key is not there.
func (es entries) lineOr(key string, fallback int) int {
	if l := es.line(key); l > 0 {
		return l
	}
	return fallback
}

// checkName reports an entry's name that is missing, invalid (valid and
// rule say what is valid) or used before, in names; noun says what the
// entry is ("source", "alert rule") and line is where the name is.
func (d *decoder) checkName(es entries, label, noun, name string, line int, valid func(string) bool, rule string, names uses) {
	// A value of the wrong type was reported already: it is not also
	// missing.
	switch {
	case es.empty("name"):
		d.errorf(line, "%s: name is required", label)
	case name == "":
	case !valid(name):
		d.errorf(line, "%s name %q: %s", noun, name, rule)
	default:
		if times, first := names.add(name, line); first > 0 {
			d.errorf(line, "%s name %q is used %s (first at line %d)", noun, name, times, first)
		}
	}
}

// bad says whether key's value was reported as wrong, so that checks of
// several keys together stay quiet about it.
func (es entries) bad(key string) bool { return es[key].bad }

// empty says whether key is absent, null, an empty string or an empty
// list: missing, when it is required.
func (es entries) empty(key string) bool {
	e, ok := es[key]
	if !ok {
		return true
	}
	switch v := e.value; v.Kind {
	case yaml.ScalarNode:
		return isNull(v) || v.Value == ""
	case yaml.SequenceNode:
		return len(v.Content) == 0
	}
	return false
}

// mapping calls set with each key of the mapping n that is among known and
// its value, and reports keys that are unknown or repeated. Keys whose value
// is empty (null) are left out, so they keep their defaults. where names the
// mapping in messages ("in global"). It returns the keys given, the first of
// each.
func (d *decoder) mapping(n *yaml.Node, where string, known []string, set func(key string, value *yaml.Node)) entries {
	return d.mappingOf(n, where, known, nil, set)
}

// mappingOf is mapping, but a key not among known that misplaced, if not
// nil, has a message for (a key of another type of source) is reported with
// that message rather than as unknown.
func (d *decoder) mappingOf(n *yaml.Node, where string, known []string, misplaced func(key string) string,
	set func(key string, value *yaml.Node)) entries {
	es := make(entries)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(k.Line, "a key %s must be a name, not %s", where, describe(k))
			continue
		}
		if first, ok := es[k.Value]; ok {
			d.errorf(k.Line, "duplicate key %q %s (first at line %d)", k.Value, where, first.key.Line)
			continue
		}
		es[k.Value] = entry{key: k, value: v}
		switch {
		case k.Value == "<<":
			d.errorf(k.Line, "merge key \"<<\" %s is not supported: write the keys out", where)
		case !slices.Contains(known, k.Value):
			if misplaced != nil {
				if msg := misplaced(k.Value); msg != "" {
					d.errorf(k.Line, "%s", msg)
					continue
				}
			}
			d.errorf(k.Line, "unknown key %q %s (known: %s)", k.Value, where, strings.Join(known, ", "))
		case !isNull(v):
			set(k.Value, v)
		}
	}
	return es
}

// wantMapping reports n if it is not a mapping; what names it ("global").
func (d *decoder) wantMapping(n *yaml.Node, what string) bool {
	if n.Kind == yaml.MappingNode {
		return true
	}
	d.errorf(n.Line, "%s: want a mapping, not %s", what, describe(n))
	return false
}

func (d *decoder) root(n *yaml.Node, c *Config) {
	n = resolve(n)
	if isNull(n) { // "---" alone, or "~"
		d.errorf(0, noSources)
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, "want a mapping with global, sources and sinks at the top level, not %s", describe(n))
		return
	}
	var global, kafka entries // for the checks across sections
	es := d.mapping(n, "at the top level", []string{"global", "sources", "sinks", "alerts"}, func(key string, v *yaml.Node) {
		switch key {
		case "global":
			if d.wantMapping(v, "global") {
				global = decodeFields(d, v, "in global", "global.", globalFields, &c.Global)
			}
		case "sources":
			d.sources(v, c)
		case "sinks":
			if d.wantMapping(v, "sinks") {
				d.mapping(v, "in sinks", sinkKeys, func(key string, v *yaml.Node) {
					switch key {
					case "prometheus":
						if d.wantMapping(v, "sinks.prometheus") {
							decodeFields(d, v, "in sinks.prometheus", "sinks.prometheus.", prometheusFields, &c.Sinks.Prometheus)
						}
					case "kafka":
						if d.wantMapping(v, "sinks.kafka") {
							kafka = decodeFields(d, v, "in sinks.kafka", "sinks.kafka.", kafkaSinkFields, &c.Sinks.Kafka)
							checkKafkaSink(d, kafka, "sinks.kafka")
						}
					}
				})
			}
		case "alerts":
			if d.wantMapping(v, "alerts") {
				decodeFields(d, v, "in alerts", "alerts.", alertsFields, &c.Alerts)
			}
		}
	})
	if es.empty("sources") {
		d.errorf(es.line("sources"), noSources)
	}
	d.checkFlushTimeout(c, global, kafka)
}

// decodeFields decodes the mapping n into v, field by field. where names
// the mapping for key problems ("in global"), prefix the keys for value
// problems ("global."). It returns the keys given.
func decodeFields[T any](d *decoder, n *yaml.Node, where, prefix string, fields []field[T], v *T) entries {
	return decodeFieldsOf(d, n, where, prefix, fields, nil, v)
}

// decodeFieldsOf is decodeFields, with mappingOf's misplaced.
func decodeFieldsOf[T any](d *decoder, n *yaml.Node, where, prefix string, fields []field[T],
	misplaced func(key string) string, v *T) entries {
	var bad []string
	es := d.mappingOf(n, where, keys(fields), misplaced, func(key string, value *yaml.Node) {
		i := slices.IndexFunc(fields, func(f field[T]) bool { return f.key == key })
		before := len(d.problems)
		fields[i].decode(d, value, prefix+key, key, v)
		if len(d.problems) > before {
			bad = append(bad, key)
		}
	})
	for _, key := range bad {
		e := es[key]
		e.bad = true
		es[key] = e
	}
	return es
}
