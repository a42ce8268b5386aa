package grafana_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/configs/internal/promexpr"
	"github.com/odpswatch/odpswatch/internal/classify"
)

const (
	dashboardFile = "odpswatch.json"
	readme        = "../../docs/daemon.md"
	golden        = "../../internal/daemon/testdata/metrics.golden"
	dsUID         = "${datasource}"
)

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	GridPos    struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	FieldConfig struct {
		Overrides []struct {
			Matcher struct {
				ID      string `json:"id"`
				Options any    `json:"options"`
			} `json:"matcher"`
			Properties []struct {
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Panels []panel `json:"panels"` // a row's collapsed panels
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *datasource     `json:"datasource"`
}

type valueMapping struct {
	Type    string `json:"type"`
	Options map[string]struct {
		Text string `json:"text"`
	} `json:"options"`
}

func load(t *testing.T, path string) (dashboard, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatalf("%s is not valid JSON", path)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d, data
}

// allPanels flattens rows' collapsed panels into the list.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboardUIDs(t *testing.T) {
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards here (%v)", err)
	}
	uids := map[string]string{}
	validUID := regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	for _, f := range files {
		d, _ := load(t, f)
		if !validUID.MatchString(d.UID) {
			t.Errorf("%s: uid %q: want 1 to 40 letters, digits, - or _", f, d.UID)
		}
		if other, ok := uids[d.UID]; ok {
			t.Errorf("%s and %s have the same uid %q", other, f, d.UID)
		}
		uids[d.UID] = f
		if d.Title == "" {
			t.Errorf("%s has no title", f)
		}
		if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
			t.Errorf("%s: schemaVersion %d, want Grafana 10-11's (36-41)", f, d.SchemaVersion)
		}
	}
}

func TestDashboardVariables(t *testing.T) {
	d, _ := load(t, dashboardFile)
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		if _, dup := vars[v.Name]; dup {
			t.Errorf("variable %s is defined twice", v.Name)
		}
		vars[v.Name] = v
	}
	ds, ok := vars["datasource"]
	if !ok || ds.Type != "datasource" || string(ds.Query) != `"prometheus"` {
		t.Errorf("want a variable datasource of type datasource and query prometheus, got %+v", ds)
	}
	for _, name := range []string{"instance", "source"} {
		v, ok := vars[name]
		if !ok || v.Type != "query" {
			t.Errorf("want a query variable %s, got %+v", name, v)
			continue
		}
		if v.Datasource == nil || v.Datasource.UID != dsUID {
			t.Errorf("variable %s: datasource %+v, want uid %s", name, v.Datasource, dsUID)
		}
	}
}

func TestDashboardPanels(t *testing.T) {
	d, _ := load(t, dashboardFile)
	panels := allPanels(d.Panels)
	if len(panels) == 0 {
		t.Fatal("no panels")
	}
	ids := map[int]string{}
	for _, p := range panels {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: id must be a positive integer", name)
		}
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id already used by %q", name, other)
		}
		ids[p.ID] = p.Title
		if strings.TrimSpace(p.Title) == "" {
			t.Errorf("%s has no title", name)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dsUID || p.Datasource.Type != "prometheus" {
			t.Errorf("%s: datasource %+v, want prometheus %s", name, p.Datasource, dsUID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s has no target", name)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: target %s has no expr", name, tg.RefID)
			}
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: target refId %q is empty or repeated", name, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && tg.Datasource.UID != dsUID {
				t.Errorf("%s: target %s has datasource %+v, want %s", name, tg.RefID, tg.Datasource, dsUID)
			}
		}
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v is outside the 24 columns", name, g)
		}
	}
	// No two panels overlap.
	for i, a := range panels {
		for _, b := range panels[i+1:] {
			ga, gb := a.GridPos, b.GridPos
			if ga.X < gb.X+gb.W && gb.X < ga.X+ga.W && ga.Y < gb.Y+gb.H && gb.Y < ga.Y+ga.H {
				t.Errorf("panels %q and %q overlap", a.Title, b.Title)
			}
		}
	}
}

// expressions returns every PromQL expression of the dashboard, by where it
// is, with Grafana's variables replaced by values PromQL accepts.
func expressions(t *testing.T) map[string]string {
	t.Helper()
	d, _ := load(t, dashboardFile)
	out := map[string]string{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			out[fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)] = substitute(tg.Expr)
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: %q is not label_values(SELECTOR, LABEL)", v.Name, v.Definition)
			continue
		}
		out["variable "+v.Name] = substitute(m[1])
	}
	return out
}

var grafanaVar = regexp.MustCompile(`\$(?:\{[A-Za-z0-9_]+(?::[a-z]+)?\}|__[a-z_]+|[A-Za-z0-9_]+)`)

// substitute replaces Grafana's variables: durations by 5m, the others
// (used in label matchers) by .*.
func substitute(expr string) string {
	return grafanaVar.ReplaceAllStringFunc(expr, func(v string) string {
		switch v {
		case "$__rate_interval", "$__interval", "$__range", "${__rate_interval}", "${__interval}", "${__range}":
			return "5m"
		}
		return ".*"
	})
}

func TestDashboardUsesRealMetrics(t *testing.T) {
	known := knownMetrics(t)
	used := map[string]bool{}
	for where, expr := range expressions(t) {
		for _, m := range promexpr.MetricNames(expr) {
			used[m] = true
			switch {
			case strings.Contains(m, ":"):
				t.Errorf("%s uses the recording rule %s: the dashboard must work without odpswatch's rules", where, m)
			case known[m]:
			default:
				t.Errorf("%s uses %s, which odpswatch does not export (not in %s's metric list nor in %s)", where, m, readme, golden)
			}
		}
	}
	for _, m := range []string{"odpswatch_errors_total", "odpswatch_file_lag_bytes", "odpswatch_scan_seconds_total", "up"} {
		if !used[m] {
			t.Errorf("the dashboard's metric names were not found: %s is missing from %v", m, promexpr.SortedKeys(used))
		}
	}
}

// TestDashboardQueriesParse has promtool parse every query: they are written
// into a rule file as recording rules and checked.
func TestDashboardQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; .ci/run must install Debian's prometheus package")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	exprs := expressions(t)
	wheres := make([]string, 0, len(exprs))
	for w := range exprs {
		wheres = append(wheres, w)
	}
	sort.Strings(wheres)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, w := range wheres {
		q, _ := json.Marshal(exprs[w]) // a JSON string is a YAML string
		fmt.Fprintf(&b, "      # %s\n      - record: dashboard:query_%d\n        expr: %s\n", w, i, q)
	}
	path := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s\n%s", err, out, b.String())
	}
}

// TestTopCodesTitles checks that the top codes table shows the catalog
// title of every documented code of severity 5 and above (what `odpswatch
// codes --min-severity 5` lists), and maps no other code.
func TestTopCodesTitles(t *testing.T) {
	d, _ := load(t, dashboardFile)
	var mappings map[string]string
	for _, p := range allPanels(d.Panels) {
		for _, o := range p.FieldConfig.Overrides {
			if o.Matcher.ID != "byName" || o.Matcher.Options != "code" {
				continue
			}
			for _, prop := range o.Properties {
				if prop.ID != "mappings" {
					continue
				}
				var ms []valueMapping
				if err := json.Unmarshal(prop.Value, &ms); err != nil {
					t.Fatalf("panel %q: mappings of code: %v", p.Title, err)
				}
				mappings = map[string]string{}
				for _, m := range ms {
					for code, r := range m.Options {
						mappings[code] = r.Text
					}
				}
			}
		}
	}
	if mappings == nil {
		t.Fatal("no panel maps the code column to titles")
	}
	want := map[string]bool{}
	for _, e := range classify.Catalog() {
		if e.Code.Severity() < 5 {
			continue
		}
		code := e.Code.String()
		want[code] = true
		text, ok := mappings[code]
		title := e.Title
		if title == "" {
			title = "(no documented title)"
		}
		if wantText := code + " " + title; !ok || text != wantText {
			t.Errorf("code %s: mapped to %q, want %q", code, text, wantText)
		}
	}
	for code := range mappings {
		if !want[code] {
			t.Errorf("code %s is mapped but is not a documented code of severity 5 or above", code)
		}
	}
}

// knownMetrics returns the metric names odpswatch documents (docs/daemon.md's
// Metrics section and the golden exposition).
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	known, err := promexpr.Known(readme, filepath.FromSlash(golden))
	if err != nil {
		t.Fatal(err)
	}
	return known
}
