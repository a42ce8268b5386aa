package config

import (
	"fmt"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Decoding the sources section: each source by the table of its type.

func (d *decoder) sources(n *yaml.Node, c *Config) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, "sources: want a list of sources, not %s", describe(n))
		return
	}
	names := make(uses)
	for i, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			d.errorf(item.Line, "sources[%d]: want a mapping with name, type and paths, not %s", i, describe(item))
			continue
		}
		label := sourceLabel(item, i)
		typ, _ := valueOf(item, "type")
		fields := sourceFields(typ)
		s := defaults(fields)
		es := decodeFieldsOf(d, item, "in a source", label+": ", fields, misplacedKey(label, typ), &s)
		at := func(key string) int { return es.lineOr(key, item.Line) }
		d.checkName(es, label, "source", s.Name, at("name"), validName, nameRule, names)

		switch {
		case es.empty("type"):
			d.errorf(at("type"), "%s: type is required: want %s", label, orList(sourceTypes))
		case s.Type == "":
		case !slices.Contains(sourceTypes, s.Type):
			d.errorf(at("type"), "%s: type %q is not supported: want %s", label, s.Type, orList(sourceTypes))
		case s.Type == typeFile:
			if es.empty("paths") {
				d.errorf(at("paths"), "%s: paths: at least one glob is needed for a file source", label)
			}
		case s.Type == typeKafka:
			if es.empty("brokers") {
				d.errorf(at("brokers"), "%s: brokers: at least one broker (host:port) is needed for a kafka source", label)
			}
			if es.empty("topics") {
				d.errorf(at("topics"), "%s: topics: at least one topic is needed for a kafka source", label)
			}
			if es.empty("group_id") {
				d.errorf(at("group_id"), "%s: group_id is required for a kafka source", label)
			}
		}
		c.Sources = append(c.Sources, s)
	}
}

// uses counts the uses of names that must be unique.
type uses map[string]*use

type use struct{ line, count int }

// add counts a use of name at line. When name was used before, it returns
// how many times it is used now ("twice", "3 times") and the line of its
// first use; else "" and 0.
func (u uses) add(name string, line int) (times string, first int) {
	prev := u[name]
	if prev == nil {
		u[name] = &use{line: line, count: 1}
		return "", 0
	}
	prev.count++
	times = "twice"
	if prev.count > 2 {
		times = strconv.Itoa(prev.count) + " times"
	}
	return times, prev.line
}

// misplacedKey says, for a source of type typ named label in messages,
// which keys belong to another type; nil when typ is not a supported type,
// as all keys are then known.
func misplacedKey(label, typ string) func(key string) string {
	if !slices.Contains(sourceTypes, typ) {
		return nil
	}
	return func(key string) string {
		for _, other := range sourceTypes {
			if other != typ && slices.ContainsFunc(sourceFields(other), func(f field[Source]) bool { return f.key == key }) {
				return fmt.Sprintf("%s: %s is a key of %s sources, not of %s sources", label, key, other, typ)
			}
		}
		return ""
	}
}

// sourceLabel names a source in messages: by its name when it has one,
// else by its index.
func sourceLabel(n *yaml.Node, i int) string {
	if name, ok := nameOf(n); ok {
		return fmt.Sprintf("source %q", name)
	}
	return fmt.Sprintf("sources[%d]", i)
}

// nameOf returns the value of the mapping n's name key, if it has a
// non-empty one.
func nameOf(n *yaml.Node) (string, bool) { return valueOf(n, "name") }

// valueOf returns the value of the mapping n's first key named key, if it
// is a non-empty scalar.
func valueOf(n *yaml.Node, key string) (string, bool) {
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := resolve(n.Content[j]), resolve(n.Content[j+1])
		if k.Kind == yaml.ScalarNode && k.Value == key {
			if v.Kind == yaml.ScalarNode && !isNull(v) && v.Value != "" {
				return v.Value, true
			}
			break
		}
	}
	return "", false
}
