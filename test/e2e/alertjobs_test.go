package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAlertNamesTheFailingJobs: seven PyODPS jobs fail with a severity-5
// code, each printing it twice (the exception's header and its message)
// after a LogView link with its token. odpswatch's detector, counting
// failures by default, fires on 7 failures, not 14 prints; the alert
// names five of the jobs with their LogView links, and no token reaches
// the real Alertmanager, its webhook notification, or odpswatch's own
// webhook.
func TestAlertNamesTheFailingJobs(t *testing.T) {
	bins := needStack(t)
	w := &stackWatch{t: t, deadline: time.Now().Add(3 * time.Minute)}
	const secret = "c2VjcmV0LWxvZ3ZpZXctdG9rZW4tOTk5"

	amHook := newWebhookReceiver(t)
	amDir := t.TempDir()
	amConfig := filepath.Join(amDir, "alertmanager.yml")
	writeFile(t, amConfig, []byte(`route:
  receiver: test
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: `+amHook.srv.URL+`/alerts
`), 0o644)
	am := startService(t, "alertmanager", bins.alertmanager, 60*time.Second, func(addr string) []string {
		return []string{"--config.file=" + amConfig, "--storage.path=" + filepath.Join(amDir, "data"),
			"--web.listen-address=" + addr, "--cluster.listen-address="}
	})
	w.services = append(w.services, am)

	// odpswatch's own webhook: the raw bodies.
	var mu sync.Mutex
	var ownHook []string
	own := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		ownHook = append(ownHook, string(body))
		mu.Unlock()
	}))
	defer own.Close()

	dir := t.TempDir()
	jobsLog := filepath.Join(dir, "jobs.log")
	var log []byte
	for i := range 7 {
		id := fmt.Sprintf("2026120110%07dgjob%c", i, 'a'+i)
		log = fmt.Appendf(log, "2026-12-01 10:00:%02d,001 INFO Instance ID: %s\n", i, id)
		log = fmt.Appendf(log, "2026-12-01 10:00:%02d,002 INFO Log view: https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_sales&i=%s&token=%s\n", i, id, secret)
		log = fmt.Appendf(log, "Traceback (most recent call last):\n  File \"job.py\", line 9, in <module>\n")
		log = fmt.Appendf(log, "odps.errors.ODPSError: ODPS-0420095: InstanceId: %s\n", id)
		log = fmt.Appendf(log, "ODPS-0420095: Access Denied - no privilege 'odps:Select' on {acs:odps:*:projects/p_sales/tables/t%d}\n", i)
	}
	writeFile(t, jobsLog, log, 0o644)
	cfgPath := filepath.Join(dir, "odpswatch.yaml")
	writeFile(t, cfgPath, []byte(fmt.Sprintf(`sources:
  - name: jobs
    type: file
    paths: [%q]
    start_at: beginning
alerts:
  rules:
    - name: JobsFailing
      window: 10s
      min_count: 5
      resolve_after: 10m
  evaluation_interval: 1s
  alertmanager:
    urls: [%q]
  webhook:
    url: %q
`, jobsLog, am.url(), own.URL)), 0o644)
	d := startDaemon(t, daemonOptions{config: cfgPath})
	w.d = d
	d.waitReady()
	d.waitMetric(14, "odpswatch_errors_total", "source", "jobs")
	d.waitMetric(7, "odpswatch_failures_total", "source", "jobs")

	var got amAlert
	w.until("Alertmanager to hold odpswatch's alert", 60*time.Second, func() (bool, string) {
		as, err := amAlerts(am)
		for _, a := range as {
			if a.Labels["alertname"] == "JobsFailing" {
				got = a
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d alerts %+v (err %v)", len(as), as, err)
	})
	// The status page's JSON shows it firing, and the failing jobs.
	var st struct {
		AlertsFiring []struct{ Rule, Summary string }     `json:"alerts_firing"`
		FailingJobs  []struct{ Instance, LogView string } `json:"failing_jobs"`
	}
	if err := getJSON(d.url+"/api/v1/status", &st); err != nil {
		t.Fatal(err)
	}
	if len(st.AlertsFiring) != 1 || st.AlertsFiring[0].Rule != "JobsFailing" || len(st.FailingJobs) != 7 {
		t.Errorf("status: alerts %+v, %d failing jobs", st.AlertsFiring, len(st.FailingJobs))
	}
	if c := got.Annotations["count"]; c != "7" {
		t.Errorf("count %q, want 7: the failures, not the 14 prints", c)
	}
	if s := got.Annotations["summary"]; !strings.Contains(s, "7 severity-5+ ODPS failures") {
		t.Errorf("summary %q", s)
	}
	for n := 1; n <= 5; n++ {
		j := got.Annotations[fmt.Sprintf("job_%d", n)]
		if !strings.HasPrefix(j, "instance 2026120110") || !strings.Contains(j, " of project p_sales: https://logview.example.com/logview/?") ||
			!strings.Contains(j, "&i="+strings.Fields(j)[1]) {
			t.Errorf("job_%d %q: want an instance, its project and its LogView link", n, j)
		}
	}
	if j, ok := got.Annotations["job_6"]; ok {
		t.Errorf("job_6 %q: at most five jobs are named", j)
	}
	w.until("Alertmanager's webhook and odpswatch's to get the alert", 30*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(amHook.firing(map[string]string{"alertname": "JobsFailing"})) > 0 && len(ownHook) > 0, amHook.summary()
	})
	amBody, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	amHook.mu.Lock()
	hookBody, _ := json.Marshal(amHook.msgs)
	amHook.mu.Unlock()
	mu.Lock()
	ownBody := strings.Join(ownHook, "\n")
	mu.Unlock()
	for name, body := range map[string]string{"Alertmanager": string(amBody), "Alertmanager's webhook": string(hookBody), "odpswatch's webhook": ownBody} {
		if strings.Contains(body, secret) {
			t.Errorf("%s got the LogView token: %s", name, body)
		}
		if !strings.Contains(body, "logview.example.com") {
			t.Errorf("%s got no LogView link: %s", name, body)
		}
	}
	if strings.Contains(d.log.text(), secret) {
		t.Error("odpswatch logged the token")
	}
}
