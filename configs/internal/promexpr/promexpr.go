// Package promexpr serves the tests of the shipped Prometheus rules and
// Grafana dashboard: it reads, roughly, which metrics a PromQL expression
// uses, and which metrics odpswatch documents, so that both stay wired to
// real metric names.
package promexpr

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
)

// alwaysThere are metrics odpswatch does not define itself but that are
// there wherever it is scraped: Prometheus' own up, and client_golang's
// process collector (docs/daemon.md: "and the Go and process collectors").
var alwaysThere = []string{"up", "process_cpu_seconds_total", "process_start_time_seconds"}

// Known returns the metric names a query of odpswatch may use: the
// backquoted odpswatch_* names of docs/daemon.md's "### Metrics" section, the
// families (# TYPE lines) of the golden exposition, and those every scrape
// of it has (up, the process collector's).
func Known(readme, golden string) (map[string]bool, error) {
	known := map[string]bool{}
	text, err := os.ReadFile(readme)
	if err != nil {
		return nil, err
	}
	section := string(text)
	start := strings.Index(section, "\n### Metrics\n")
	if start < 0 {
		return nil, fmt.Errorf("%s has no \"### Metrics\" section", readme)
	}
	section = section[start+1:]
	if end := strings.Index(section[4:], "\n#"); end >= 0 {
		section = section[:end+4]
	}
	for _, m := range regexp.MustCompile("`(odpswatch_[a-z0-9_]+)").FindAllStringSubmatch(section, -1) {
		known[m[1]] = true
	}
	if len(known) < 20 {
		return nil, fmt.Errorf("found only %d metric names in %s's Metrics section: %v", len(known), readme, SortedKeys(known))
	}
	g, err := os.Open(golden)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	sc := bufio.NewScanner(g)
	n := 0
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			known[f[2]] = true
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("no # TYPE line in %s", golden)
	}
	for _, m := range alwaysThere {
		known[m] = true
	}
	return known, nil
}

var (
	stringLit  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	braces     = regexp.MustCompile(`\{[^{}]*\}`)
	brackets   = regexp.MustCompile(`\[[^\[\]]*\]`)
	grouping   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	identifier = regexp.MustCompile(`[A-Za-z0-9_:.]+`)
	nameRE     = regexp.MustCompile(`^[A-Za-z_:][A-Za-z0-9_:]*$`)
	keywords   = map[string]bool{
		"and": true, "or": true, "unless": true, "by": true, "without": true, "on": true,
		"ignoring": true, "group_left": true, "group_right": true, "offset": true, "bool": true,
		"inf": true, "nan": true, "Inf": true, "NaN": true, "atan2": true,
	}
)

// MetricNames returns, roughly, the metric names a PromQL expression reads:
// the identifiers left once strings, label matchers, ranges and grouping
// labels are gone, that are neither keywords nor called as functions.
func MetricNames(expr string) []string {
	s := stringLit.ReplaceAllString(expr, `""`)
	s = braces.ReplaceAllString(s, "{}")
	s = brackets.ReplaceAllString(s, "[]")
	s = grouping.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range identifier.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		// Numbers and durations (5m, 1e9, 0.5) start with a digit or a dot.
		if !nameRE.MatchString(word) || keywords[word] {
			continue
		}
		if rest := strings.TrimLeft(s[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") {
			continue // a function or an aggregation
		}
		names = append(names, word)
	}
	return names
}

// SortedKeys returns m's keys in order, for messages.
func SortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}
