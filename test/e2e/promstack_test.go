package e2e_test

// Helpers for tests that run odpswatch together with a real Prometheus and a
// real Alertmanager (Debian's packages prometheus and
// prometheus-alertmanager): starting them on loopback ports, backfilling
// Prometheus' TSDB with promtool, their HTTP APIs, and a webhook receiver
// standing in for whatever Alertmanager notifies.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/testwait"
)

// stackBinaries are the programs of the Prometheus stack, found on PATH.
type stackBinaries struct {
	prometheus, promtool, alertmanager string
}

// needStack finds Prometheus, promtool and Alertmanager. Without them the
// test is skipped, unless CI is set: CI must run it, so there it fails.
func needStack(t *testing.T) stackBinaries {
	t.Helper()
	var b stackBinaries
	var missing []string
	find := func(dst *string, names ...string) {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				*dst = p
				return
			}
		}
		missing = append(missing, names[0])
	}
	find(&b.prometheus, "prometheus")
	find(&b.promtool, "promtool")
	// Debian names Alertmanager prometheus-alertmanager; upstream's
	// release is plain alertmanager.
	find(&b.alertmanager, "prometheus-alertmanager", "alertmanager")
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not found on PATH: install Debian's packages prometheus (prometheus, promtool) "+
			"and prometheus-alertmanager", strings.Join(missing, ", "))
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI is set, so .ci/run must install them (apt-get install prometheus prometheus-alertmanager)", msg)
		}
		t.Skip(msg)
	}
	return b
}

// stackClient talks to the stack's HTTP APIs: never through a proxy, and
// never for long.
var stackClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}

// service is a Prometheus or Alertmanager process run by a test, with its
// output in a file that is printed when the test fails.
type service struct {
	t       *testing.T
	name    string
	addr    string // host:port it serves HTTP on
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

// startService starts bin with the arguments args returns for a free
// loopback address, and waits until its /-/ready answers 200. The address is
// picked by binding port 0 and closing the socket, so another process may
// take it meanwhile: a start that fails on "address already in use" is
// retried on another port.
func startService(t *testing.T, name, bin string, timeout time.Duration, args func(addr string) []string) *service {
	t.Helper()
	dir := t.TempDir()
	for attempt := 1; ; attempt++ {
		addr := freeLoopbackAddr(t)
		s := &service{t: t, name: name, addr: addr, done: make(chan struct{}),
			logPath: filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, attempt))}
		out, err := os.Create(s.logPath)
		if err != nil {
			t.Fatal(err)
		}
		s.cmd = exec.Command(bin, args(addr)...)
		s.cmd.Stdout, s.cmd.Stderr = out, out
		err = s.cmd.Start()
		out.Close()
		if err != nil {
			t.Fatalf("cannot start %s: %v", name, err)
		}
		go func() {
			s.waitErr = s.cmd.Wait()
			close(s.done)
		}()
		t.Cleanup(s.stop)
		err = s.waitReady(timeout)
		if err == nil {
			return s
		}
		if s.exited() && strings.Contains(s.tail(), "address already in use") && attempt < 3 {
			t.Logf("%s could not listen on %s (taken meanwhile); trying another port", name, addr)
			continue
		}
		t.Fatalf("%s: %v\n%s", name, err, s.describe())
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func (s *service) url() string { return "http://" + s.addr }

func (s *service) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		resp, err := stackClient.Get(s.url() + "/-/ready")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s %q", resp.Status, body)
		} else {
			last = err.Error()
		}
		if s.exited() {
			return fmt.Errorf("exited (%v) before /-/ready answered 200", s.waitErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/-/ready did not answer 200 within %v; last: %s", timeout, last)
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-s.done:
		}
	}
}

func (s *service) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// tail is the end of the process's output.
func (s *service) tail() string {
	data, _ := os.ReadFile(s.logPath)
	const keep = 6000
	if len(data) > keep {
		data = append([]byte("…"), data[len(data)-keep:]...)
	}
	return string(data)
}

func (s *service) describe() string {
	state := "running"
	if s.exited() {
		state = fmt.Sprintf("exited: %v", s.waitErr)
	}
	return fmt.Sprintf("--- %s (pid %d, %s, %s), output %s:\n%s", s.name, s.cmd.Process.Pid, s.addr, state, s.logPath, s.tail())
}

// stop kills the process (by its own pid) if it still runs, reaps it, and
// prints its output if the test failed.
func (s *service) stop() {
	if !s.exited() {
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.done:
	case <-time.After(waitTimeout):
		s.t.Errorf("%s (pid %d) did not exit after SIGKILL", s.name, s.cmd.Process.Pid)
	}
	if s.t.Failed() {
		s.t.Log(s.describe())
	}
}

// getJSON decodes the JSON answer to a GET of u into v.
func getJSON(u string, v any) error {
	resp, err := stackClient.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %.300s", u, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %v in %.300s", u, err, body)
	}
	return nil
}

// promAlert is an alert of Prometheus' /api/v1/alerts.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending or firing
	ActiveAt    time.Time         `json:"activeAt"`
	Value       string            `json:"value"`
}

// promAlerts returns the alerts, pending and firing, of a Prometheus.
func promAlerts(prom *service) ([]promAlert, error) {
	var r struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := getJSON(prom.url()+"/api/v1/alerts", &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("/api/v1/alerts: status %q", r.Status)
	}
	return r.Data.Alerts, nil
}

// promPoint is one series of an instant query's answer.
type promPoint struct {
	Metric map[string]string
	Value  float64
}

// promQuery runs an instant query at the current time.
func promQuery(prom *service, query string) ([]promPoint, error) {
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(prom.url()+"/api/v1/query?query="+url.QueryEscape(query), &r); err != nil {
		return nil, err
	}
	if r.Status != "success" || r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: status %q, result type %q: %s", query, r.Status, r.Data.ResultType, r.Error)
	}
	var out []promPoint
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v: %v", query, s.Value[1], err)
		}
		out = append(out, promPoint{Metric: s.Metric, Value: v})
	}
	return out, nil
}

// amAlert is an alert of Alertmanager's GET /api/v2/alerts.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"` // active, suppressed or unprocessed
	} `json:"status"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
}

// amAlerts returns the alerts an Alertmanager holds, resolved ones left out.
func amAlerts(am *service) ([]amAlert, error) {
	var as []amAlert
	err := getJSON(am.url()+"/api/v2/alerts", &as)
	return as, err
}

// webhookMessage is the body Alertmanager's webhook_configs post (version 4).
type webhookMessage struct {
	Version  string `json:"version"`
	Status   string `json:"status"`
	Receiver string `json:"receiver"`
	Alerts   []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    time.Time         `json:"startsAt"`
	} `json:"alerts"`
}

// webhookReceiver records what Alertmanager posts to it.
type webhookReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []webhookMessage
	errs []string
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	w := &webhookReceiver{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var m webhookMessage
		err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&m)
		w.mu.Lock()
		if err != nil || r.Method != http.MethodPost {
			w.errs = append(w.errs, fmt.Sprintf("%s %s: %v", r.Method, r.URL, err))
		} else {
			w.msgs = append(w.msgs, m)
		}
		w.mu.Unlock()
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// firing returns the firing alerts received whose labels include want.
func (w *webhookReceiver) firing(want map[string]string) []map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]string
	for _, m := range w.msgs {
		for _, a := range m.Alerts {
			if a.Status == "firing" && hasLabels(a.Labels, want) {
				out = append(out, a.Labels)
			}
		}
	}
	return out
}

func (w *webhookReceiver) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d messages", len(w.msgs))
	for _, m := range w.msgs {
		for _, a := range m.Alerts {
			fmt.Fprintf(&b, "; %s %v", a.Status, a.Labels)
		}
	}
	if len(w.errs) > 0 {
		fmt.Fprintf(&b, "; bad requests: %v", w.errs)
	}
	return b.String()
}

// hasLabels reports whether labels holds every label of want.
func hasLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// backfill writes blocks holding the samples of openMetrics (an OpenMetrics
// exposition with timestamps, "# EOF" included) into a Prometheus data
// directory that no Prometheus has open yet, with promtool.
func backfill(t *testing.T, promtool, dataDir, openMetrics string) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "backfill.om")
	writeFile(t, in, []byte(openMetrics), 0o644)
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", in, dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	blocks, err := filepath.Glob(filepath.Join(dataDir, "01*"))
	if err != nil || len(blocks) == 0 {
		t.Fatalf("promtool wrote no block into %s (%v):\n%s", dataDir, err, out)
	}
}

// stackWatch polls conditions on the processes of a test, each wait bounded
// by its own timeout and all by the test's hard deadline, and fails at once
// if a process exits.
type stackWatch struct {
	t        *testing.T
	deadline time.Time
	d        *daemon
	services []*service
}

// until polls cond every 250ms until it holds, within timeout and the
// watch's own deadline. cond returns what it saw, for
// the failure message.
func (w *stackWatch) until(what string, timeout time.Duration, cond func() (bool, string)) {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	if deadline.After(w.deadline) {
		deadline = w.deadline
	}
	var state string
	testwait.Until(w.t, max(time.Until(deadline), 0), what, func() bool {
		ok, seen := cond()
		if state = seen; ok {
			return true
		}
		if err := w.exited(); err != nil {
			w.t.Fatalf("waiting for %s: %v; last seen: %s", what, err, state)
		}
		return false
	}, testwait.Every(250*time.Millisecond), testwait.Describe(func() string { return "last seen: " + state }))
}

func (w *stackWatch) exited() error {
	if w.d != nil && w.d.exited() {
		return fmt.Errorf("odpswatch exited: %v", w.d.waitErr)
	}
	for _, s := range w.services {
		if s.exited() {
			return fmt.Errorf("%s exited: %v", s.name, s.waitErr)
		}
	}
	return nil
}

var errNoSeries = errors.New("no series")

// promValue returns the value of a query that must give one series.
func promValue(prom *service, query string) (float64, error) {
	ps, err := promQuery(prom, query)
	switch {
	case err != nil:
		return 0, err
	case len(ps) == 0:
		return 0, errNoSeries
	case len(ps) > 1:
		return 0, fmt.Errorf("%d series: %v", len(ps), ps)
	}
	return ps[0].Value, nil
}
