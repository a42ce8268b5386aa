package main

import (
	"strings"
	"testing"
)

// explainRows runs `odpswatch explain CODE` and returns its rows by key.
func explainRows(t *testing.T, code string) map[string]string {
	t.Helper()
	out, errOut, s := odpswatch(t, "", "explain", code)
	if s != exitOK || errOut != "" {
		t.Fatalf("explain %s: status %d, stderr %q", code, s, errOut)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		// Keys are one or two words; tabwriter pads them with at least two spaces.
		if k, v, ok := strings.Cut(line, "  "); ok {
			rows[k] = strings.TrimSpace(v)
		}
	}
	return rows
}

// TestExplainCatalogFromLogs checks explain on the rows real logs showed
// missing or incomplete: each shows what the documentation says beside what
// the message or the digits say.
func TestExplainCatalogFromLogs(t *testing.T) {
	for _, tc := range []struct {
		code string
		want map[string][]string // row: substrings
	}{
		{"ODPS-1830001", map[string][]string{
			"module":     {"3000 resource", "[label resource]"},
			"severity":   {"1 (the trailing digit"},
			"title":      {"Resource not enough"},
			"what to do": {"offline", "quota"},
			"source":     {"log"},
		}},
		{"ODPS-0720231", map[string][]string{
			"title": {"Job input not set"},
			"note":  {"No input table found"},
		}},
		{"ODPS-1800001", map[string][]string{
			"module":   {"0000 generic", "[label generic]", "the documentation's table says not applicable"},
			"severity": {"1 (the trailing digit", "the documentation's table says not applicable"},
		}},
		{"ODPS-0130151", map[string][]string{
			"what to do": {"odps.sql.type.system.odps2", "Too many instance count"},
		}},
	} {
		rows := explainRows(t, tc.code)
		for k, subs := range tc.want {
			for _, sub := range subs {
				if !strings.Contains(rows[k], sub) {
					t.Errorf("explain %s: row %q is %q, want it to contain %q", tc.code, k, rows[k], sub)
				}
			}
		}
	}
}
