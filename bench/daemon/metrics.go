package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is a parsed scrape.
type metrics []sample

// parseMetrics reads the Prometheus text exposition format (version 0.0.4,
// what promhttp serves without content negotiation): comments are skipped,
// label values are unescaped, timestamps ignored.
func parseMetrics(r io.Reader) (metrics, error) {
	var out metrics
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		sm, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("/metrics line %d: %v: %q", n, err, line)
		}
		out = append(out, sm)
	}
	return out, s.Err()
}

func parseSample(line string) (sample, error) {
	var sm sample
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return sm, fmt.Errorf("no value")
	}
	sm.name = line[:i]
	rest := line[i:]
	if rest[0] == '{' {
		sm.labels = make(map[string]string)
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, " ,")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
				return sm, fmt.Errorf("bad label")
			}
			key := strings.TrimSpace(rest[:eq])
			rest = rest[eq+2:]
			var val strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) {
					j++
					switch rest[j] {
					case 'n':
						val.WriteByte('\n')
					default:
						val.WriteByte(rest[j])
					}
					continue
				}
				if c == '"' {
					rest = rest[j+1:]
					closed = true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return sm, fmt.Errorf("unterminated label value")
			}
			sm.labels[key] = val.String()
		}
	}
	f := strings.Fields(rest)
	if len(f) < 1 {
		return sm, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return sm, err
	}
	sm.value = v
	return sm, nil
}

// sum adds up the samples named name whose labels include every pair of
// match (key, value, key, value...); found reports whether any matched.
func (m metrics) sum(name string, match ...string) (total float64, found bool) {
outer:
	for _, s := range m {
		if s.name != name {
			continue
		}
		for i := 0; i+1 < len(match); i += 2 {
			if s.labels[match[i]] != match[i+1] {
				continue outer
			}
		}
		total += s.value
		found = true
	}
	return total, found
}

// value is sum without found: an absent series counts as 0, as a counter
// not yet incremented does.
func (m metrics) value(name string, match ...string) float64 {
	v, _ := m.sum(name, match...)
	return v
}

// byLabel returns the samples named name with the given source, summed by
// the value of label key.
func (m metrics) byLabel(name, source, key string) map[string]int64 {
	out := make(map[string]int64)
	for _, s := range m {
		if s.name == name && s.labels["source"] == source {
			out[s.labels[key]] += int64(math.Round(s.value))
		}
	}
	return out
}

// summary is a short view of the odpswatch_ samples, for error messages.
func (m metrics) summary() string {
	if m == nil {
		return "none"
	}
	var parts []string
	for _, s := range m {
		if !strings.HasPrefix(s.name, "odpswatch_source_") && !strings.HasPrefix(s.name, "odpswatch_file") {
			continue
		}
		var ls []string
		for k, v := range s.labels {
			ls = append(ls, k+"="+strconv.Quote(v))
		}
		sort.Strings(ls)
		parts = append(parts, fmt.Sprintf("%s{%s} %g", s.name, strings.Join(ls, ","), s.value))
	}
	if len(parts) == 0 {
		return "no odpswatch_source_ or odpswatch_file series"
	}
	return strings.Join(parts, "; ")
}
