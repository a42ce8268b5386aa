package sink

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/redact"
)

// AlertSender sends alerts to one receiver, once.
type AlertSender interface {
	// Name labels the sender's metrics (e.g. "alertmanager-1", "webhook").
	Name() string
	Send(ctx context.Context, alerts []*alert.Alert) error
}

// ErrPermanent marks a send error that retrying cannot fix (a 4xx answer).
var ErrPermanent = errors.New("permanent failure")

// DeliveryOptions bound an alert delivery.
type DeliveryOptions struct {
	QueueSize    int           // sends waiting; more are dropped and counted (default 64)
	Timeout      time.Duration // per attempt (default 10s)
	MaxRetries   int           // after the first attempt; 0: none (the config's default is 5)
	BackoffBase  time.Duration // first retry delay, doubled each time (default 500ms)
	BackoffLimit time.Duration // longest delay (default 30s)
}

func (o DeliveryOptions) withDefaults() DeliveryOptions {
	if o.QueueSize <= 0 {
		o.QueueSize = 64
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	o.MaxRetries = max(o.MaxRetries, 0)
	if o.BackoffBase <= 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
	if o.BackoffLimit <= 0 {
		o.BackoffLimit = 30 * time.Second
	}
	return o
}

// AlertMetrics count alert deliveries, by sink.
type AlertMetrics struct {
	sent, failed, dropped, retries *prometheus.CounterVec
}

// NewAlertMetrics registers the alert delivery metrics with reg.
func NewAlertMetrics(reg prometheus.Registerer) (*AlertMetrics, error) {
	vec := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"sink"})
	}
	m := &AlertMetrics{
		sent:    vec("odpswatch_alerts_sent_total", "Alert notifications delivered, by sink."),
		failed:  vec("odpswatch_alerts_failed_total", "Alert notifications given up after their retries or a permanent error, by sink."),
		dropped: vec("odpswatch_alerts_dropped_total", "Alert notifications dropped because the sink's queue was full, by sink."),
		retries: vec("odpswatch_alerts_retries_total", "Retried attempts to deliver alert notifications, by sink."),
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.dropped, m.retries} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Delivery sends alerts through one sender from its own goroutine, with a
// bounded queue, a timeout per attempt and bounded retries with backoff:
// Enqueue never blocks, so alerting never slows scanning down.
type Delivery struct {
	sender AlertSender
	opts   DeliveryOptions
	queue  chan []*alert.Alert
	log    *slog.Logger
	m      *AlertMetrics
}

// NewDelivery returns a delivery through sender; run it with Run.
func NewDelivery(sender AlertSender, opts DeliveryOptions, m *AlertMetrics, log *slog.Logger) *Delivery {
	opts = opts.withDefaults()
	for _, c := range []*prometheus.CounterVec{m.sent, m.failed, m.dropped, m.retries} {
		c.WithLabelValues(sender.Name())
	}
	return &Delivery{sender: sender, opts: opts, queue: make(chan []*alert.Alert, opts.QueueSize), log: log, m: m}
}

// Enqueue hands alerts to the delivery, or drops them (counted) if its
// queue is full. The alerts must not be changed afterwards.
func (d *Delivery) Enqueue(alerts []*alert.Alert) bool {
	if len(alerts) == 0 {
		return true
	}
	select {
	case d.queue <- alerts:
		return true
	default:
		d.m.dropped.WithLabelValues(d.sender.Name()).Inc()
		d.log.Warn("alert queue full; dropping a notification", "sink", d.sender.Name(), "queue_size", d.opts.QueueSize)
		return false
	}
}

// Run delivers until ctx is done.
func (d *Delivery) Run(ctx context.Context) {
	for {
		select {
		case alerts := <-d.queue:
			d.deliver(ctx, alerts)
		case <-ctx.Done():
			return
		}
	}
}

func (d *Delivery) deliver(ctx context.Context, alerts []*alert.Alert) {
	name := d.sender.Name()
	delay := d.opts.BackoffBase
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
		err := d.sender.Send(actx, alerts)
		cancel()
		if err == nil {
			d.m.sent.WithLabelValues(name).Inc()
			return
		}
		if errors.Is(err, ErrPermanent) || attempt >= d.opts.MaxRetries || ctx.Err() != nil {
			d.m.failed.WithLabelValues(name).Inc()
			d.log.Error("cannot deliver alerts; giving up", "sink", name, "attempts", attempt+1, "err", err)
			return
		}
		d.m.retries.WithLabelValues(name).Inc()
		// Full jitter keeps retrying senders from beating in step.
		wait := time.Duration(rand.Int64N(int64(delay) + 1))
		d.log.Warn("cannot deliver alerts; retrying", "sink", name, "attempt", attempt+1, "in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			d.m.failed.WithLabelValues(name).Inc()
			return
		}
		delay = min(2*delay, d.opts.BackoffLimit)
	}
}

// post sends body to url and checks the answer: 2xx is success, 4xx other
// than 429 is permanent, anything else is worth a retry. Its errors, which
// are logged, name the URL only by scheme and host (its path, query and
// user information can hold the receiver's secret) and redact tokens from
// the receiver's answer.
func post(ctx context.Context, client *http.Client, url string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: cannot post to %s: %w", ErrPermanent, redact.URL(url), urlErrorCause(err))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "odpswatch")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot post to %s: %w", redact.URL(url), urlErrorCause(err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s answered %s: %s", ErrPermanent, redact.URL(url), resp.Status, redact.String(strings.TrimSpace(string(msg))))
	}
	return fmt.Errorf("%s answered %s: %s", redact.URL(url), resp.Status, redact.String(strings.TrimSpace(string(msg))))
}

// urlErrorCause is the cause an HTTP client's *url.Error wraps, without
// the URL it quotes whole.
func urlErrorCause(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Alertmanager sends to one Alertmanager's API v2.
type Alertmanager struct {
	name, url    string
	client       *http.Client
	generatorURL string
	// ResendEndsAt is how far in the future a firing alert's endsAt is set,
	// so that Alertmanager resolves it by itself if odpswatch stops
	// re-sending (the daemon re-sends every resend_interval and sets this
	// to three of them).
	ResendEndsAt time.Duration
}

// NewAlertmanager sends to the Alertmanager at baseURL (e.g.
// http://127.0.0.1:9093).
func NewAlertmanager(name, baseURL, generatorURL string, client *http.Client) *Alertmanager {
	return &Alertmanager{name: name, url: strings.TrimSuffix(baseURL, "/") + "/api/v2/alerts",
		client: client, generatorURL: generatorURL, ResendEndsAt: 5 * time.Minute}
}

// Name implements AlertSender.
func (a *Alertmanager) Name() string { return a.name }

// amAlert is Alertmanager API v2's postable alert.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Send implements AlertSender.
func (a *Alertmanager) Send(ctx context.Context, alerts []*alert.Alert) error {
	now := time.Now()
	out := make([]amAlert, 0, len(alerts))
	for _, al := range alerts {
		ends := al.EndsAt
		if !al.Resolved {
			ends = now.Add(a.ResendEndsAt)
		}
		out = append(out, amAlert{Labels: al.Labels, Annotations: al.Annotations, StartsAt: al.StartsAt, EndsAt: ends, GeneratorURL: a.generatorURL})
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	return post(ctx, a.client, a.url, body, nil)
}

// Webhook posts alerts as JSON to a URL, signed with HMAC-SHA256 when it
// has a secret.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
}

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Odpswatch-Signature"

// NewWebhook posts to url; a non-empty secret signs every body.
func NewWebhook(url string, secret []byte, client *http.Client) *Webhook {
	return &Webhook{url: url, secret: secret, client: client}
}

// Name implements AlertSender.
func (w *Webhook) Name() string { return "webhook" }

// WebhookBody is the documented JSON body of the webhook (version 1).
type WebhookBody struct {
	Version string        `json:"version"`
	Sender  string        `json:"sender"`
	Alerts  []AlertRecord `json:"alerts"`
}

// AlertRecord is odpswatch's JSON form of an alert, in a webhook body and
// (with a schema and host) on the Kafka topic. Alertmanager gets its own
// API's form instead (amAlert).
type AlertRecord struct {
	Status      string            `json:"status"` // firing or resolved
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      *time.Time        `json:"endsAt,omitempty"` // resolved alerts only
	Count       int               `json:"count"`
	Baseline    float64           `json:"baseline"`
}

// recordOf is a's AlertRecord.
func recordOf(a *alert.Alert) AlertRecord {
	r := AlertRecord{Status: "firing", Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.StartsAt, Count: a.Count, Baseline: a.Baseline}
	if a.Resolved {
		ends := a.EndsAt
		r.Status, r.EndsAt = "resolved", &ends
	}
	return r
}

// Send implements AlertSender.
func (w *Webhook) Send(ctx context.Context, alerts []*alert.Alert) error {
	body := WebhookBody{Version: "1", Sender: "odpswatch"}
	for _, a := range alerts {
		body.Alerts = append(body.Alerts, recordOf(a))
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	h := http.Header{}
	if len(w.secret) > 0 {
		h.Set(SignatureHeader, Sign(w.secret, b))
	}
	return post(ctx, w.client, w.url, b, h)
}

// Sign returns the signature header's value for body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// LogSender writes alerts to the log.
type LogSender struct{ Log *slog.Logger }

// Name implements AlertSender.
func (LogSender) Name() string { return "log" }

// Send implements AlertSender.
func (l LogSender) Send(_ context.Context, alerts []*alert.Alert) error {
	for _, a := range alerts {
		level, state := slog.LevelWarn, "firing"
		if a.Resolved {
			level, state = slog.LevelInfo, "resolved"
		}
		attrs := []any{"state", state, "count", a.Count, "baseline", a.Baseline, "starts_at", a.StartsAt}
		for _, k := range []string{"alertname", "source", "code", "module"} {
			attrs = append(attrs, k, a.Labels[k])
		}
		attrs = append(attrs, "summary", a.Annotations["summary"], "hint", a.Annotations["hint"])
		l.Log.Log(context.Background(), level, "alert", attrs...)
	}
	return nil
}
