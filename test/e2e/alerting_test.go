package e2e_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// The odpswatch rule of the alerting test, and the shipped Prometheus rule.
const (
	daemonRule = "ODPSSeverity5Spike"
	promRule   = "OdpswatchSeverity5Spike"
)

// TestAlertingPrometheusAlertmanager runs the whole alerting path on
// 127.0.0.1: odpswatch follows two log files, a real Prometheus scrapes it
// every second and evaluates the shipped configs/prometheus/odpswatch.rules.yml
// (read from the repository, unchanged), a real Alertmanager receives the
// alerts of both Prometheus and odpswatch's own detector, and notifies a
// webhook receiver in the test. A burst of severity-5 codes in source jobs
// must make both alerts fire and reach the webhook; source fresh, whose codes
// were counted before Prometheus first scraped odpswatch, must make neither
// fire.
//
// Time and history. The shipped rules count a new error series whole only if
// it appeared after its source's first scrape (odpswatch:errors:increase5m),
// so that the first scrape of an odpswatch that has been counting for a
// while is not taken for a burst; OdpswatchSeverity5Spike then fires after
// `for: 1m`. Before Prometheus starts, promtool backfills its TSDB with 70
// minutes of one series, odpswatch_source_lines_total{job="odpswatch",
// instance=<the real odpswatch>, source="jobs"}, at 0: the state of a quiet
// source Prometheus has followed for an hour, the usual case of a burst.
// Nothing about errors is backfilled: the error series, their increase and
// the baseline all come from real scrapes of the real burst. Source fresh
// gets no history, and its codes are counted before the first scrape: the
// false positive the guard exists for, which the test checks stays silent
// (its recorded increase stays 0 although its counters hold 20). The test
// takes about 70 seconds.
func TestAlertingPrometheusAlertmanager(t *testing.T) {
	bins := needStack(t)
	began := time.Now()
	t.Cleanup(func() { t.Logf("ran for %v", time.Since(began).Round(time.Second)) })
	// The hard cap of the whole test: every wait below ends by then.
	w := &stackWatch{t: t, deadline: began.Add(7 * time.Minute)}

	rules, err := filepath.Abs(filepath.Join("..", "..", "configs", "prometheus", "odpswatch.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rules); err != nil {
		t.Fatalf("the shipped rules: %v", err)
	}

	// The receiver Alertmanager notifies, and Alertmanager.
	hook := newWebhookReceiver(t)
	amDir := t.TempDir()
	amConfig := filepath.Join(amDir, "alertmanager.yml")
	writeFile(t, amConfig, []byte(`route:
  receiver: test
  group_by: [alertname, source]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: `+hook.srv.URL+`/alerts
        send_resolved: true
`), 0o644)
	am := startService(t, "alertmanager", bins.alertmanager, 60*time.Second, func(addr string) []string {
		return []string{"--config.file=" + amConfig, "--storage.path=" + filepath.Join(amDir, "data"),
			"--web.listen-address=" + addr, "--cluster.listen-address=", "--log.level=debug"}
	})
	w.services = append(w.services, am)

	// odpswatch: sources jobs and fresh, and a rule that a 200-code burst
	// fires within its 10s window and that fresh's 20 codes do not. Its
	// alert must still be firing when Prometheus' fires, a minute or more
	// later: hence resolve_after 10m.
	dir := t.TempDir()
	jobsLog, freshLog := filepath.Join(dir, "jobs.log"), filepath.Join(dir, "fresh.log")
	writeFile(t, jobsLog, nil, 0o644)
	writeFile(t, freshLog, nil, 0o644)
	cfgPath := filepath.Join(dir, "odpswatch.yaml")
	writeFile(t, cfgPath, []byte(fmt.Sprintf(`sources:
  - name: jobs
    type: file
    paths: [%q]
    start_at: beginning
  - name: fresh
    type: file
    paths: [%q]
    start_at: beginning
alerts:
  rules:
    - name: %s
      min_severity: 5
      count: prints
      window: 10s
      min_count: 50
      resolve_after: 10m
  evaluation_interval: 1s
  resend_interval: 10s
  alertmanager:
    urls: [%q]
`, jobsLog, freshLog, daemonRule, am.url())), 0o644)
	d := startDaemon(t, daemonOptions{config: cfgPath})
	w.d = d
	t.Cleanup(func() {
		if t.Failed() {
			d.log.poll()
			t.Logf("--- odpswatch stderr (%s):\n%s", d.log.path, d.log.text())
		}
	})
	d.waitReady()
	instance := strings.TrimPrefix(d.url, "http://")

	// fresh counts its codes before Prometheus ever scrapes odpswatch.
	appendFile(t, freshLog, logLines(10, "INFO SQLTask progress: stage M1_job_0 running, 42/100", 20,
		"FAILED: ODPS-0123105:Job got killed - instance 20261127081542 killed by admin"))
	d.waitMetric(20, "odpswatch_errors_total", "source", "fresh")

	// Prometheus, with the history of source jobs backfilled (see above).
	promDir := t.TempDir()
	dataDir := filepath.Join(promDir, "data")
	mkdir(t, dataDir)
	backfill(t, bins.promtool, dataDir, quietSourceHistory(instance, "jobs", time.Now(), 70*time.Minute))
	promConfig := filepath.Join(promDir, "prometheus.yml")
	writeFile(t, promConfig, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: odpswatch
    static_configs:
      - targets: [%q]
`, rules, am.addr, instance)), 0o644)
	prom := startService(t, "prometheus", bins.prometheus, 90*time.Second, func(addr string) []string {
		return []string{"--config.file=" + promConfig, "--storage.tsdb.path=" + dataDir,
			"--web.listen-address=" + addr}
	})
	w.services = append(w.services, prom)
	t.Cleanup(func() {
		if t.Failed() {
			// Failed scrapes mark every series stale, and reset `for`.
			ps, err := promQuery(prom, `count_over_time(up{job="odpswatch"}[10m]) - sum_over_time(up{job="odpswatch"}[10m])`)
			t.Logf("failed scrapes of odpswatch in the last 10m: %v (err %v)", ps, err)
		}
	})

	// Every look at Prometheus' alerts also checks that nothing fires for
	// fresh, whose counts Prometheus first saw all at once.
	var freshAlerted []promAlert
	lookAtPromAlerts := func() ([]promAlert, error) {
		as, err := promAlerts(prom)
		for _, a := range as {
			if a.Labels["source"] == "fresh" && len(freshAlerted) < 5 {
				freshAlerted = append(freshAlerted, a)
				t.Errorf("Prometheus alert for source fresh (its counts predate its first scrape, a false positive): %+v", a)
			}
		}
		return as, err
	}

	// The first scrapes: fresh's 20 counts are there, and they are history
	// to Prometheus, not a burst: its recorded increase is 0.
	// jobs has the backfilled history, fresh none.
	w.until("Prometheus to scrape fresh's 20 codes", 60*time.Second, func() (bool, string) {
		v, err := promValue(prom, `sum(odpswatch_errors_total{job="odpswatch",source="fresh",severity=~"[5-9]"})`)
		return err == nil && v == 20, fmt.Sprintf("%v (err %v)", v, err)
	})
	w.until("Prometheus to record fresh's increase", 60*time.Second, func() (bool, string) {
		ps, err := promQuery(prom, `odpswatch:errors_severity5plus:increase5m{job="odpswatch",source="fresh"}`)
		return err == nil && len(ps) == 1, fmt.Sprintf("%v (err %v)", ps, err)
	})
	if v, err := promValue(prom, `odpswatch:errors_severity5plus:increase5m{job="odpswatch",source="fresh"}`); err != nil || v != 0 {
		t.Fatalf("fresh's counts, there at the first scrape, were recorded as an increase of %v (err %v), want 0", v, err)
	}
	if v, err := promValue(prom, `odpswatch_source_lines_total{job="odpswatch",source="jobs"} offset 5m`); err != nil || v != 0 {
		t.Fatalf("the backfilled history of jobs is not visible 5 minutes back: %v (err %v)", v, err)
	}
	if ps, err := promQuery(prom, `odpswatch_source_lines_total{job="odpswatch",source="fresh"} offset 5m`); err != nil || len(ps) != 0 {
		t.Fatalf("fresh should have no history: %v (err %v)", ps, err)
	}
	if _, err := lookAtPromAlerts(); err != nil {
		t.Fatal(err)
	}

	// jobs: ordinary lines first, scraped before the burst, so that the
	// burst's series appear in a later scrape.
	appendFile(t, jobsLog, logLines(50, "INFO SQLTask progress: stage M1_job_0 running, 42/100", 0, ""))
	w.until("Prometheus to scrape jobs' 50 ordinary lines", 60*time.Second, func() (bool, string) {
		v, err := promValue(prom, `odpswatch_source_lines_total{job="odpswatch",source="jobs"}`)
		return err == nil && v == 50, fmt.Sprintf("%v (err %v)", v, err)
	})

	// The burst, in one write: 120 Access Denied, 80 Job got killed.
	var burst []byte
	for i := range 200 {
		if i%5 < 3 {
			burst = fmt.Appendf(burst, "2026-11-27 08:16:%02d.000 FAILED: ODPS-0420095: Access Denied - "+
				"Authorization Failed [4019], You have NO privilege 'odps:CreateInstance' on {acs:odps:*:projects/p%d}\n", i%60, i)
		} else {
			burst = fmt.Appendf(burst, "2026-11-27 08:16:%02d.000 ODPS-0123105:Job got killed - instance %d\n", i%60, i)
		}
	}
	appendFile(t, jobsLog, burst)
	burstAt := time.Now()
	d.waitMetric(200, "odpswatch_errors_total", "source", "jobs", "severity", "5")
	d.waitMetric(250, "odpswatch_source_lines_total", "source", "jobs")

	// odpswatch's own alert: the top code's labels and the catalog's hint.
	top, err := scan.ParseCode("ODPS-0420095")
	if err != nil {
		t.Fatal(err)
	}
	topClass := classify.Classify(top)
	if topClass.Entry == nil {
		t.Fatal("ODPS-0420095 is not in the catalog")
	}
	wantDaemon := map[string]string{"alertname": daemonRule, "source": "jobs", "severity": "critical",
		"code": "ODPS-0420095", "module": topClass.Module.Label, "family": topClass.Family.Label}
	var daemonAM amAlert
	w.until("Alertmanager to hold odpswatch's alert, active", 60*time.Second, func() (bool, string) {
		as, err := amAlerts(am)
		for _, a := range as {
			if hasLabels(a.Labels, wantDaemon) && a.Status.State == "active" {
				daemonAM = a
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d alerts %+v (err %v)", len(as), as, err)
	})
	if hint := daemonAM.Annotations["hint"]; !strings.Contains(hint, "ODPS-0420095: "+topClass.Entry.Hint) {
		t.Errorf("odpswatch's alert: hint %q, want the catalog's hint of ODPS-0420095: %q", hint, topClass.Entry.Hint)
	}
	for _, want := range []string{"ODPS-0420095 ×120: Access Denied", "ODPS-0123105 ×80: Job got killed"} {
		if desc := daemonAM.Annotations["description"]; !strings.Contains(desc, want) {
			t.Errorf("odpswatch's alert: description %q, want it to hold %q", desc, want)
		}
	}
	if got := daemonAM.Annotations["count"]; got != "200" {
		t.Errorf("odpswatch's alert: count %q, want 200 (the burst in one window)", got)
	}
	w.until("the webhook to get odpswatch's alert from Alertmanager", 30*time.Second, func() (bool, string) {
		return len(hook.firing(wantDaemon)) > 0, hook.summary()
	})
	d.waitMetricFunc(`odpswatch_alerts_sent_total{sink="alertmanager-1"} >= 1`, func(v float64) bool { return v >= 1 },
		"odpswatch_alerts_sent_total", "sink", "alertmanager-1")
	d.waitMetric(1, "odpswatch_alerts_firing", "rule", daemonRule)
	t.Logf("odpswatch's alert reached the webhook %v after the burst", time.Since(burstAt).Round(time.Second))

	// Prometheus' alert: pending at the first scrape of the burst, firing a
	// minute later (for: 1m), then in Alertmanager and at the webhook.
	wantProm := map[string]string{"alertname": promRule, "job": "odpswatch", "instance": instance,
		"source": "jobs", "severity": "critical"}
	var fired promAlert
	w.until("Prometheus' "+promRule+" to fire for jobs", 3*time.Minute, func() (bool, string) {
		as, err := lookAtPromAlerts()
		for _, a := range as {
			if hasLabels(a.Labels, wantProm) {
				fired = a
				return a.State == "firing", fmt.Sprintf("%s since %v, value %s", a.State, a.ActiveAt, a.Value)
			}
		}
		return false, fmt.Sprintf("not pending yet; alerts %+v (err %v)", as, err)
	})
	t.Logf("%s fired %v after the burst (pending since %v)", promRule, time.Since(burstAt).Round(time.Second),
		fired.ActiveAt.Sub(burstAt).Round(time.Second))
	if len(fired.Labels) != len(wantProm) {
		t.Errorf("%s labels %v, want exactly %v", promRule, fired.Labels, wantProm)
	}
	// It counts failures, as odpswatch counted them: fewer than the 200
	// prints (a project's denials and kills fold into one failure when
	// they follow each other).
	failures, _, err := d.metric("odpswatch_failures_total", "source", "jobs", "severity", "5")
	if err != nil {
		t.Fatal(err)
	}
	byCode := func(code string) float64 {
		v, _, err := d.metric("odpswatch_failures_total", "source", "jobs", "code", code)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v, err := strconv.ParseFloat(fired.Value, 64); err != nil || v != failures || failures >= 200 || failures < 10 {
		t.Errorf("%s value %q, want the burst's severity-5 failures, %v of 200 prints", promRule, fired.Value, failures)
	}
	if want := "spiking on " + instance + ", source jobs"; !strings.Contains(fired.Annotations["summary"], want) {
		t.Errorf("%s summary %q, want it to hold %q", promRule, fired.Annotations["summary"], want)
	}
	// The description's template queries the top codes from Prometheus.
	if want := fmt.Sprintf("(200 prints) were counted in the last 5 minutes in source jobs of %s, over 3 times the rate of the hour before. Top codes: ODPS-0420095 (%v), ODPS-0123105 (%v).",
		instance, byCode("ODPS-0420095"), byCode("ODPS-0123105")); !strings.Contains(fired.Annotations["description"], want) {
		t.Errorf("%s description %q, want it to hold %q", promRule, fired.Annotations["description"], want)
	}

	w.until("Alertmanager to hold both alerts", 60*time.Second, func() (bool, string) {
		as, err := amAlerts(am)
		var gotProm, gotDaemon bool
		for _, a := range as {
			gotProm = gotProm || (hasLabels(a.Labels, wantProm) && a.Status.State == "active")
			gotDaemon = gotDaemon || (hasLabels(a.Labels, wantDaemon) && a.Status.State == "active")
		}
		return gotProm && gotDaemon, fmt.Sprintf("%s %v, %s %v; %d alerts %+v (err %v)",
			promRule, gotProm, daemonRule, gotDaemon, len(as), as, err)
	})
	w.until("the webhook to get Prometheus' alert from Alertmanager", 30*time.Second, func() (bool, string) {
		return len(hook.firing(wantProm)) > 0, hook.summary()
	})
	t.Logf("%s reached the webhook %v after the burst", promRule, time.Since(burstAt).Round(time.Second))

	// Nothing for fresh, from either side, and nothing else went wrong on
	// the way.
	if _, err := lookAtPromAlerts(); err != nil {
		t.Error(err)
	}
	as, err := amAlerts(am)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Labels["source"] == "fresh" {
			t.Errorf("Alertmanager holds an alert for source fresh: %+v", a)
		}
	}
	if got := hook.firing(map[string]string{"source": "fresh"}); len(got) > 0 {
		t.Errorf("the webhook got alerts for source fresh: %v", got)
	}
	if v := d.value("odpswatch_alerts_firing"); v != 1 {
		t.Errorf("odpswatch_alerts_firing: %v over all rules, want 1 (jobs only)", v)
	}
	for _, m := range []string{"odpswatch_alerts_failed_total", "odpswatch_alerts_dropped_total"} {
		if v := d.value(m, "sink", "alertmanager-1"); v != 0 {
			t.Errorf(`%s{sink="alertmanager-1"} = %v, want 0`, m, v)
		}
	}
	d.log.poll()
	logged := false
	for _, r := range d.log.records {
		logged = logged || (r.Msg == "alert" && r.Level == "WARN" && r.Source == "jobs")
	}
	if !logged {
		t.Errorf("odpswatch logged no WARN \"alert\" record for source jobs")
	}
	d.assertHealthy()
}

// logLines is n ordinary lines, then k lines with a code.
func logLines(n int, ordinary string, k int, withCode string) []byte {
	var b []byte
	for i := range n {
		b = fmt.Appendf(b, "2026-11-27 08:15:%02d.000 %s\n", i%60, ordinary)
	}
	for i := range k {
		b = fmt.Appendf(b, "2026-11-27 08:15:%02d.500 %s\n", i%60, withCode)
	}
	return b
}

// quietSourceHistory is an OpenMetrics exposition of
// odpswatch_source_lines_total at 0 for source of the odpswatch at instance,
// as Prometheus would have scraped it (job odpswatch) every 15s over span
// until shortly before now.
func quietSourceHistory(instance, source string, now time.Time, span time.Duration) string {
	var b strings.Builder
	b.WriteString("# HELP odpswatch_source_lines Lines read, by source.\n# TYPE odpswatch_source_lines counter\n")
	end := now.Add(-5 * time.Second).Unix()
	for ts := now.Add(-span).Unix(); ts <= end; ts += 15 {
		fmt.Fprintf(&b, "odpswatch_source_lines_total{job=\"odpswatch\",instance=%q,source=%q} 0 %d\n", instance, source, ts)
	}
	b.WriteString("# EOF\n")
	return b.String()
}
