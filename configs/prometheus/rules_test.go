package prometheus_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/odpswatch/odpswatch/configs/internal/promexpr"
)

const (
	rulesFile     = "odpswatch.rules.yml"
	rulesTestFile = "odpswatch.rules.test.yml"
	readme        = "../../docs/daemon.md"
	golden        = "../../internal/daemon/testdata/metrics.golden"
)

// The alerts' severity label routes them; see the header of the rules file.
var alertSeverities = []string{"critical", "warning"}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type unitTestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name           string `yaml:"name"`
		PromQLExprTest []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; .ci/run must install Debian's prometheus package")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	return p
}

// runPromtool runs promtool and fails the test unless it succeeds, says
// SUCCESS and warns of nothing.
func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, text)
	}
	if !strings.Contains(text, "SUCCESS") {
		t.Errorf("promtool %s did not say SUCCESS:\n%s", strings.Join(args, " "), text)
	}
	lower := strings.ToLower(text)
	for _, bad := range []string{"warn", "fail", "error"} {
		if strings.Contains(lower, bad) {
			t.Errorf("promtool %s printed %q:\n%s", strings.Join(args, " "), bad, text)
		}
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	runPromtool(t, "check", "rules", "--lint=all", "--lint-fatal", rulesFile)
}

func TestPromtoolTestRules(t *testing.T) {
	runPromtool(t, "test", "rules", rulesTestFile)
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s has no rules", rulesFile)
	}
	return rules
}

// TestRulesUseRealMetrics checks that every metric the rules read, in their
// expressions and in the queries of their annotations, is one odpswatch
// exports (docs/daemon.md's list or the golden exposition), a recording rule of
// this file, or one of the documented exceptions above.
func TestRulesUseRealMetrics(t *testing.T) {
	known := knownMetrics(t)
	rules := loadRules(t)
	recorded := map[string]bool{}
	for _, r := range rules {
		if r.Record != "" {
			recorded[r.Record] = true
		}
	}
	used := map[string]bool{}
	for _, r := range rules {
		name := r.Record + r.Alert
		names := promexpr.MetricNames(r.Expr)
		for _, a := range r.Annotations {
			names = append(names, annotationMetricNames(a)...)
		}
		for _, m := range names {
			used[m] = true
			switch {
			case strings.Contains(m, ":"):
				if !recorded[m] {
					t.Errorf("%s uses %s, which no rule of %s records", name, m, rulesFile)
				}
			case known[m]:
			default:
				t.Errorf("%s uses %s, which odpswatch does not export (not in %s's metric list nor in %s)", name, m, readme, golden)
			}
		}
	}
	// A parser that finds nothing would pass everything.
	for _, m := range []string{"odpswatch_errors_total", "odpswatch_file_lag_bytes", "up", "odpswatch:errors:increase5m"} {
		if !used[m] {
			t.Errorf("the rules' metric names were not found: %s is missing from %v", m, promexpr.SortedKeys(used))
		}
	}
}

// TestAlertsAreComplete checks what the alerts promise their receivers:
// a routing severity, a summary, a description and a runbook hint.
func TestAlertsAreComplete(t *testing.T) {
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			continue
		}
		if !slices.Contains(alertSeverities, r.Labels["severity"]) {
			t.Errorf("%s: severity label %q, want one of %v", r.Alert, r.Labels["severity"], alertSeverities)
		}
		for _, a := range []string{"summary", "description", "runbook"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s has no %s annotation", r.Alert, a)
			}
		}
		if !strings.Contains(r.Annotations["description"], "$value") && !strings.Contains(r.Annotations["summary"], "$value") {
			t.Errorf("%s: neither summary nor description says its $value", r.Alert)
		}
	}
}

// TestEveryRuleIsUnitTested checks that odpswatch.rules.test.yml has, for
// every alert, a case where it fires and one where it does not, and tests
// every recording rule's output.
func TestEveryRuleIsUnitTested(t *testing.T) {
	data, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	var f unitTestFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", rulesTestFile, err)
	}
	if !slices.Contains(f.RuleFiles, rulesFile) {
		t.Errorf("%s does not load %s: rule_files is %v", rulesTestFile, rulesFile, f.RuleFiles)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	var exprs []string
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
		for _, e := range tc.PromQLExprTest {
			exprs = append(exprs, e.Expr)
		}
	}
	for _, r := range loadRules(t) {
		if r.Alert != "" {
			if !fires[r.Alert] {
				t.Errorf("%s: no case in %s where it fires", r.Alert, rulesTestFile)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no case in %s where it does not fire", r.Alert, rulesTestFile)
			}
		}
		if r.Record != "" && !slices.ContainsFunc(exprs, func(e string) bool { return slices.Contains(promexpr.MetricNames(e), r.Record) }) {
			t.Errorf("recording rule %s: no promql_expr_test in %s reads it", r.Record, rulesTestFile)
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

var annotationMetric = regexp.MustCompile(`\bodpswatch[_:][A-Za-z0-9_:]*`)

// annotationMetricNames returns the odpswatch names an annotation's text or
// template queries mention.
func annotationMetricNames(text string) []string {
	return annotationMetric.FindAllString(text, -1)
}
