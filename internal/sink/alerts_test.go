package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/testwait"
)

func testAlert(resolved bool) *alert.Alert {
	a := &alert.Alert{
		Labels:      map[string]string{"alertname": "ODPSSeverity5Spike", "severity": "critical", "source": "jobs", "code": "ODPS-0420095", "module": "worker"},
		Annotations: map[string]string{"summary": "32 severity-5+ ODPS errors", "hint": "grant the privilege"},
		StartsAt:    time.Date(2026, 11, 27, 10, 1, 0, 0, time.UTC), Count: 32, Baseline: 1.5,
	}
	if resolved {
		a.Resolved, a.EndsAt = true, a.StartsAt.Add(5*time.Minute)
	}
	return a
}

func fastOptions() DeliveryOptions {
	return DeliveryOptions{QueueSize: 4, Timeout: 200 * time.Millisecond, MaxRetries: 2, BackoffBase: time.Millisecond, BackoffLimit: 5 * time.Millisecond}
}

func newMetrics(t *testing.T) *AlertMetrics {
	t.Helper()
	m, err := NewAlertMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func waitCounter(t *testing.T, c prometheus.Collector, want float64) {
	t.Helper()
	testwait.Until(t, 10*time.Second, fmt.Sprintf("the counter to reach %v", want), func() bool { return testutil.ToFloat64(c) == want },
		testwait.Describe(func() string { return fmt.Sprintf("it is %v", testutil.ToFloat64(c)) }))
}

func run(t *testing.T, d *Delivery) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

var quiet = slog.New(slog.DiscardHandler)

func TestAlertmanagerPayload(t *testing.T) {
	var got []map[string]any
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/alerts" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request "+r.URL.Path, 400)
			return
		}
		var body []map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		got = append(got, body...)
		mu.Unlock()
	}))
	defer srv.Close()
	m := newMetrics(t)
	d := NewDelivery(NewAlertmanager("am", srv.URL+"/", "http://host:9781/", srv.Client()), fastOptions(), m, quiet)
	run(t, d)
	d.Enqueue([]*alert.Alert{testAlert(false), testAlert(true)})
	waitCounter(t, m.sent.WithLabelValues("am"), 1)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("received %d alerts", len(got))
	}
	labels := got[0]["labels"].(map[string]any)
	if labels["alertname"] != "ODPSSeverity5Spike" || labels["code"] != "ODPS-0420095" || got[0]["generatorURL"] != "http://host:9781/" {
		t.Errorf("alert %v", got[0])
	}
	ends, _ := time.Parse(time.RFC3339, got[0]["endsAt"].(string))
	if !ends.After(time.Now()) {
		t.Errorf("a firing alert's endsAt %v is not in the future", ends)
	}
	if got[1]["endsAt"] != "2026-11-27T10:06:00Z" {
		t.Errorf("resolved endsAt %v", got[1]["endsAt"])
	}
}

// receiver answers with the statuses given, then 200.
func receiver(statuses ...int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if n <= len(statuses) {
			w.WriteHeader(statuses[n-1])
		}
	}))
	return srv, &calls
}

func TestRetriesAndTheirBound(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		statuses                     []int
		sent, failed, retries, calls float64
	}{
		{"500 then ok", []int{500}, 1, 0, 1, 2},
		{"429 then ok", []int{429, 503}, 1, 0, 2, 3},
		{"always 500: gives up after the retries", []int{500, 500, 500, 500}, 0, 1, 2, 3},
		{"400 is permanent", []int{400}, 0, 1, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := receiver(tc.statuses...)
			defer srv.Close()
			m := newMetrics(t)
			d := NewDelivery(NewAlertmanager("am", srv.URL, "", srv.Client()), fastOptions(), m, quiet)
			run(t, d)
			d.Enqueue([]*alert.Alert{testAlert(false)})
			waitCounter(t, m.sent.WithLabelValues("am"), tc.sent)
			waitCounter(t, m.failed.WithLabelValues("am"), tc.failed)
			waitCounter(t, m.retries.WithLabelValues("am"), tc.retries)
			if float64(calls.Load()) != tc.calls {
				t.Errorf("%d calls, want %v", calls.Load(), tc.calls)
			}
		})
	}
}

// TestSlowAndDownReceiversNeverBlock: a receiver that hangs, and one that is
// gone: Enqueue returns at once, the queue's overflow is dropped and
// counted, and attempts time out and stop at their bound.
func TestSlowAndDownReceiversNeverBlock(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	for name, url := range map[string]string{"slow": slow.URL, "down": downURL} {
		t.Run(name, func(t *testing.T) {
			m := newMetrics(t)
			d := NewDelivery(NewAlertmanager(name, url, "", &http.Client{}), fastOptions(), m, quiet)
			run(t, d)
			start := time.Now()
			accepted := 0
			for range 50 {
				if d.Enqueue([]*alert.Alert{testAlert(false)}) {
					accepted++
				}
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("50 Enqueue calls took %v: they blocked", took)
			}
			dropped := testutil.ToFloat64(m.dropped.WithLabelValues(name))
			if dropped == 0 || int(dropped)+accepted != 50 {
				t.Errorf("accepted %d, dropped %v, want them to add up to 50 with some dropped", accepted, dropped)
			}
			// Everything accepted is eventually given up, after its retries.
			waitCounter(t, m.failed.WithLabelValues(name), float64(accepted))
			if r := testutil.ToFloat64(m.retries.WithLabelValues(name)); r != float64(2*accepted) {
				t.Errorf("%v retries, want %d (2 per notification)", r, 2*accepted)
			}
		})
	}
}

func TestWebhookSignature(t *testing.T) {
	secret := []byte("shared secret")
	var body []byte
	var sig string
	got := make(chan struct{}, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		sig = r.Header.Get(SignatureHeader)
		got <- struct{}{}
	}))
	defer srv.Close()
	m := newMetrics(t)
	d := NewDelivery(NewWebhook(srv.URL+"/hook", secret, srv.Client()), fastOptions(), m, quiet)
	run(t, d)
	d.Enqueue([]*alert.Alert{testAlert(false), testAlert(true)})
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook call")
	}
	if sig != Sign(secret, body) || !strings.HasPrefix(sig, "sha256=") {
		t.Errorf("signature %q does not match the body", sig)
	}
	// Sign itself, against HMAC-SHA256's published example (RFC 4231's
	// vectors use binary keys; this is the one every library quotes).
	if got, want := Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog")),
		"sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	var wb WebhookBody
	if err := json.Unmarshal(body, &wb); err != nil {
		t.Fatal(err)
	}
	if wb.Version != "1" || len(wb.Alerts) != 2 || wb.Alerts[0].Status != "firing" || wb.Alerts[1].Status != "resolved" ||
		wb.Alerts[1].EndsAt == nil || wb.Alerts[0].EndsAt != nil || wb.Alerts[0].Count != 32 {
		t.Errorf("body %s", body)
	}
}

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	s := LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	s.Send(context.Background(), []*alert.Alert{testAlert(false), testAlert(true)})
	out := buf.String()
	for _, want := range []string{"level=WARN msg=alert state=firing", "level=INFO msg=alert state=resolved", "code=ODPS-0420095", `hint="grant the privilege"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
