package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/sink"
	"github.com/odpswatch/odpswatch/internal/status"
)

// alerting runs the spike detectors and delivers their alerts. It never
// blocks the pipeline: workers only add counts to the detectors, and
// deliveries have queues of their own.
type alerting struct {
	cfg        config.Alerts
	detectors  []*alert.Detector
	amDeliver  []*sink.Delivery // re-sent while firing
	onceDelivs []*sink.Delivery // told of changes only (webhook, log)
	firing     *prometheus.GaugeVec
	now        func() time.Time
	wg         sync.WaitGroup

	// firingNow is what fires, by rule, as of the last evaluation (the
	// status page's).
	mu        sync.Mutex
	firingNow map[string][]*alert.Alert
	// recorder keeps the last hour for the status page.
	recorder *status.Recorder
}

// Firing returns the alerts firing as of the last evaluation.
func (a *alerting) Firing() []*alert.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*alert.Alert
	for _, det := range a.detectors {
		out = append(out, a.firingNow[det.Rule().Name]...)
	}
	return out
}

func newAlerting(cfg config.Alerts, reg prometheus.Registerer, d *Daemon) (*alerting, error) {
	a := &alerting{cfg: cfg, now: time.Now, recorder: d.recorder}
	for _, r := range cfg.Rules {
		rule := alert.Rule{
			Name: r.Name, MinSeverity: r.MinSeverity, Window: time.Duration(r.Window), MinCount: r.MinCount,
			Factor: r.Factor, BaselineWeight: r.BaselineWeight, BaselineFloor: r.BaselineFloor,
			ResolveAfter: time.Duration(r.ResolveAfter), Severity: r.Severity,
			Labels: map[string]string{"instance": d.opts.Host}, CountFailures: r.Count == "failures",
		}
		for _, g := range r.GroupBy {
			rule.ByCode = rule.ByCode || g == "code"
			rule.ByModule = rule.ByModule || g == "module"
		}
		a.detectors = append(a.detectors, alert.NewDetector(rule))
	}
	a.firing = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "odpswatch_alerts_firing", Help: "Alerts of odpswatch's own detector firing now, by rule.",
	}, []string{"rule"})
	if err := reg.Register(a.firing); err != nil {
		return nil, err
	}
	for _, det := range a.detectors {
		a.firing.WithLabelValues(det.Rule().Name)
		dropped := prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "odpswatch_alert_observations_dropped_total",
			Help:        fmt.Sprintf("Codes the built-in detector did not count because their group would have been past its bound of %d groups, by rule.", alert.MaxGroups),
			ConstLabels: prometheus.Labels{"rule": det.Rule().Name},
		}, func() float64 { return float64(det.Dropped()) })
		if err := reg.Register(dropped); err != nil {
			return nil, err
		}
	}
	m, err := sink.NewAlertMetrics(reg)
	if err != nil {
		return nil, err
	}
	opts := sink.DeliveryOptions{QueueSize: cfg.QueueSize, Timeout: time.Duration(cfg.Timeout), MaxRetries: cfg.MaxRetries}
	if len(cfg.Alertmanager.URLs) > 0 {
		client, err := httpClient(cfg.Alertmanager.TLS, time.Duration(cfg.Timeout))
		if err != nil {
			return nil, fmt.Errorf("cannot set up alertmanager TLS: %w", err)
		}
		for i, u := range cfg.Alertmanager.URLs {
			am := sink.NewAlertmanager(fmt.Sprintf("alertmanager-%d", i+1), u, cfg.GeneratorURL, client)
			// Alertmanager resolves an alert itself if it is not sent again
			// before endsAt: well past the next re-send.
			am.ResendEndsAt = 3 * time.Duration(cfg.ResendInterval)
			a.amDeliver = append(a.amDeliver, sink.NewDelivery(am, opts, m, d.log))
		}
	}
	if cfg.Webhook.URL != "" {
		client, err := httpClient(cfg.Webhook.TLS, time.Duration(cfg.Timeout))
		if err != nil {
			return nil, fmt.Errorf("cannot set up webhook TLS: %w", err)
		}
		var secret []byte
		if cfg.Webhook.HMACSecretFile != "" {
			b, err := config.ReadSecretFile(cfg.Webhook.HMACSecretFile)
			if err != nil {
				return nil, fmt.Errorf("cannot read webhook.hmac_secret_file: %w", err)
			}
			secret = []byte(strings.TrimSpace(string(b)))
		}
		a.onceDelivs = append(a.onceDelivs, sink.NewDelivery(sink.NewWebhook(cfg.Webhook.URL, secret, client), opts, m, d.log))
	}
	if d.events != nil {
		// An alert is an event too: with the Kafka event sink on, alerts
		// go to its topic as well.
		a.onceDelivs = append(a.onceDelivs, sink.NewDelivery(sink.NewKafkaAlerts(d.events, d.opts.Host), opts, m, d.log))
	}
	if cfg.LogEnabled() {
		a.onceDelivs = append(a.onceDelivs, sink.NewDelivery(sink.LogSender{Log: d.log}, opts, m, d.log))
	}
	return a, nil
}

func httpClient(t config.TLSConfig, timeout time.Duration) (*http.Client, error) {
	var tc *tls.Config
	if t != (config.TLSConfig{}) {
		var err error
		if tc, err = t.ClientConfig(); err != nil {
			return nil, err
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// observe feeds a counted code to every detector, and to the status
// page's recorder (from pipeline workers).
func (a *alerting) observe(o alert.Observation) {
	now := a.now()
	for _, det := range a.detectors {
		det.Add(now, o)
	}
	if a.recorder != nil {
		a.recorder.Add(now, o)
	}
}

// run evaluates the detectors every evaluation_interval and sends what
// changed to every receiver, and what is firing to Alertmanager every
// resend_interval, until ctx is done.
func (a *alerting) run(ctx context.Context) {
	if len(a.detectors) == 0 {
		return
	}
	for _, dl := range append(append([]*sink.Delivery(nil), a.amDeliver...), a.onceDelivs...) {
		a.wg.Go(func() { dl.Run(ctx) })
	}
	eval := time.NewTicker(time.Duration(a.cfg.EvaluationInterval))
	defer eval.Stop()
	lastResend := a.now()
	for {
		select {
		case <-ctx.Done():
			a.wg.Wait()
			return
		case <-eval.C:
		}
		now := a.now()
		resend := now.Sub(lastResend) >= time.Duration(a.cfg.ResendInterval)
		if resend {
			lastResend = now
		}
		for _, det := range a.detectors {
			changed, firing := det.Tick(now)
			a.firing.WithLabelValues(det.Rule().Name).Set(float64(len(firing)))
			a.mu.Lock()
			if a.firingNow == nil {
				a.firingNow = map[string][]*alert.Alert{}
			}
			a.firingNow[det.Rule().Name] = firing
			a.mu.Unlock()
			toAM := changed
			if resend {
				toAM = append(firing, resolvedOnly(changed)...)
			}
			for _, dl := range a.amDeliver {
				dl.Enqueue(toAM)
			}
			for _, dl := range a.onceDelivs {
				dl.Enqueue(changed)
			}
		}
	}
}

func resolvedOnly(as []*alert.Alert) []*alert.Alert {
	var out []*alert.Alert
	for _, a := range as {
		if a.Resolved {
			out = append(out, a)
		}
	}
	return out
}
