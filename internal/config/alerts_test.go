package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// addAlerts adds the wants of the alerts section's comments in the
// reference: the units, defaults and bounds of every table under alerts.
func addAlerts(ws *docWants) {
	addFields(ws, "alerts", alertsFields)
	addFields(ws, "alerts.rules", ruleFields)
	addFields(ws, "alerts.alertmanager", alertmanagerFields)
	addFields(ws, "alerts.alertmanager.tls", tlsFields)
	addFields(ws, "alerts.webhook", webhookFields)
	addFields(ws, "alerts.webhook.tls", tlsFields)
}

func TestLoadAlerts(t *testing.T) {
	got, err := Load("testdata/good-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := wantDefaults()
	want.Sources = []Source{wantDefaultSource("jobs", "/var/log/odps/*.log")}
	second := wantDefaultRule("_by_module")
	second.Factor = 4
	second.BaselineFloor = 1000
	second.GroupBy = []string{"module"}
	second.ResolveAfter = dur(time.Minute)
	tlsCA := TLSConfig{CAFile: "testdata/tls/ca.pem"}
	want.Alerts = Alerts{
		Rules: []AlertRule{{
			Name:           "ODPSFatalBurst",
			MinSeverity:    7,
			Count:          "prints",
			Window:         dur(30 * time.Second),
			MinCount:       3,
			Factor:         2.5,
			BaselineWeight: 0.5,
			BaselineFloor:  0,
			GroupBy:        []string{"code", "module"},
			ResolveAfter:   dur(10 * time.Minute),
			Severity:       "page",
		}, second},
		EvaluationInterval: dur(5 * time.Second),
		ResendInterval:     dur(2 * time.Minute),
		QueueSize:          10,
		Timeout:            dur(500 * time.Millisecond),
		MaxRetries:         0,
		GeneratorURL:       "https://grafana.example.com/d/odpswatch",
		Log:                ptr(false),
		Alertmanager: AlertmanagerSink{
			URLs: []string{"http://127.0.0.1:9093", "https://am.example.com/alertmanager/"},
			TLS:  TLSConfig{CAFile: tlsCA.CAFile, ServerName: "am.example.com", InsecureSkipVerify: true},
		},
		Webhook: WebhookSink{
			URL:            "https://hooks.example.com/odps?team=data",
			HMACSecretFile: "testdata/hmac-secret",
			TLS: TLSConfig{CAFile: tlsCA.CAFile, CertFile: "testdata/tls/client.pem",
				KeyFile: "testdata/tls/client-key.pem", ServerName: "hooks.example.com"},
		},
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got.Alerts, want.Alerts)
	}
	if got.Alerts.LogEnabled() {
		t.Error("LogEnabled is true with log: false")
	}
	roundTrip(t, got)

	// String holds the secret's path, never the secret.
	secret, err := os.ReadFile("testdata/hmac-secret")
	if err != nil {
		t.Fatal(err)
	}
	if s := got.String(); strings.Contains(s, strings.TrimSpace(string(secret))) || !strings.Contains(s, "testdata/hmac-secret") {
		t.Errorf("String prints the secret, or not its path:\n%s", s)
	}
	for _, tc := range []TLSConfig{got.Alerts.Alertmanager.TLS, got.Alerts.Webhook.TLS} {
		if _, err := tc.ClientConfig(); err != nil {
			t.Errorf("ClientConfig of %+v: %v", tc, err)
		}
	}
}

func TestAlertsDefaults(t *testing.T) {
	const src = "sources: [{name: jobs, type: file, paths: [x]}]\n"
	for _, tc := range []struct {
		name, yaml string
		want       []AlertRule
	}{
		{"absent", "", []AlertRule{wantDefaultRule("ODPSSeverity5Spike")}},
		{"empty section", "alerts:\n", []AlertRule{wantDefaultRule("ODPSSeverity5Spike")}},
		{"empty mapping", "alerts: {}\n", []AlertRule{wantDefaultRule("ODPSSeverity5Spike")}},
		{"rules null", "alerts:\n  rules:\n", []AlertRule{wantDefaultRule("ODPSSeverity5Spike")}},
		{"rules empty: detection off", "alerts:\n  rules: []\n", nil},
		{"one rule", "alerts:\n  rules:\n    - name: mine\n", []AlertRule{wantDefaultRule("mine")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(src+tc.yaml), "x.yml")
			if err != nil {
				t.Fatal(err)
			}
			want := wantDefaultAlerts()
			want.Rules = tc.want
			if !reflect.DeepEqual(c.Alerts, want) {
				t.Errorf("got\n%+v\nwant\n%+v", c.Alerts, want)
			}
			if !c.Alerts.LogEnabled() {
				t.Error("LogEnabled is false by default")
			}
			roundTrip(t, c)
		})
	}

	c, err := ForGlobs([]string{"*.log"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Alerts, wantDefaultAlerts()) {
		t.Errorf("ForGlobs: got\n%+v\nwant\n%+v", c.Alerts, wantDefaultAlerts())
	}

	// Configs do not share their defaults.
	a, b := defaultAlerts(), defaultAlerts()
	*a.Log = false
	a.Rules[0].Name = "changed"
	if !*b.Log || b.Rules[0].Name != defaultRuleName {
		t.Error("the defaults are shared")
	}
}

func TestLogEnabled(t *testing.T) {
	for _, tc := range []struct {
		log  *bool
		want bool
	}{{nil, true}, {ptr(true), true}, {ptr(false), false}} {
		if got := (Alerts{Log: tc.log}).LogEnabled(); got != tc.want {
			t.Errorf("LogEnabled with Log %v = %v, want %v", tc.log, got, tc.want)
		}
	}
}

func TestParseAlertsBad(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	blank := filepath.Join(dir, "blank")
	notPEM := filepath.Join(dir, "not.pem")
	for name, data := range map[string]string{empty: "", blank: " \n", notPEM: "hello\n"} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const src = "sources: [{name: jobs, type: file, paths: [x]}]\n"
	const hook = "alerts:\n  webhook:\n    url: http://h\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"alerts not a mapping", "alerts: [rules]\n",
			`x.yml:2: alerts: want a mapping, not a list`},
		{"rules not a list", "alerts:\n  rules: {name: a}\n",
			`x.yml:3: alerts.rules: want a list of rules, not a mapping`},
		{"rule not a mapping", "alerts:\n  rules: [spike]\n",
			`x.yml:3: alerts.rules[0]: want a mapping with a name, not "spike"`},
		{"name three times", "alerts:\n  rules:\n  - name: a\n  - name: a\n  - name: a\n",
			`x.yml:5: alert rule name "a" is used twice (first at line 4)` + "\n" +
				`x.yml:6: alert rule name "a" is used 3 times (first at line 4)`},
		{"name not a string", "alerts:\n  rules:\n  - name: [a]\n",
			`x.yml:4: alerts.rules[0]: name: want a string, not a list`},
		{"name starts with a digit", "alerts:\n  rules:\n  - name: 5xx\n",
			`x.yml:4: alert rule name "5xx": want letters, digits or _, starting with a letter or _`},
		{"integer factor is a number", "alerts:\n  rules:\n  - {name: a, factor: 2000}\n",
			`x.yml:4: alerts.rules[0] "a": factor 2000: want 1 to 1000`},
		{"quoted number", "alerts:\n  rules:\n  - {name: a, factor: '3'}\n",
			`x.yml:4: alerts.rules[0] "a": factor "3": want a number`},
		{"not a number", "alerts:\n  rules:\n  - {name: a, factor: .nan}\n",
			`x.yml:4: alerts.rules[0] "a": factor ".nan": want a number`},
		{"infinity", "alerts:\n  rules:\n  - {name: a, baseline_floor: .inf}\n",
			`x.yml:4: alerts.rules[0] "a": baseline_floor .inf: want 0 to 1000000`},
		{"a list for a number", "alerts:\n  rules:\n  - {name: a, factor: [1]}\n",
			`x.yml:4: alerts.rules[0] "a": factor: want a number, not a list`},
		{"weight 0", "alerts:\n  rules:\n  - {name: a, baseline_weight: 0}\n",
			`x.yml:4: alerts.rules[0] "a": baseline_weight 0: want 0.001 to 1`},
		{"min_severity", "alerts:\n  rules:\n  - {name: a, min_severity: 10}\n",
			`x.yml:4: alerts.rules[0] "a": min_severity 10: want 0 to 9`},
		{"group_by not a list", "alerts:\n  rules:\n  - {name: a, group_by: code}\n",
			`x.yml:4: alerts.rules[0] "a": group_by: want a list of labels, not "code"`},
		{"group_by item not a string", "alerts:\n  rules:\n  - {name: a, group_by: [{code: 1}]}\n",
			`x.yml:4: alerts.rules[0] "a": group_by[0]: want a label, not a mapping`},
		{"severity with a space", "alerts:\n  rules:\n  - {name: a, severity: very bad}\n",
			`x.yml:4: alerts.rules[0] "a": severity "very bad": want a non-empty string without spaces`},
		{"severity empty", "alerts:\n  rules:\n  - {name: a, severity: ''}\n",
			`x.yml:4: alerts.rules[0] "a": severity "": want a non-empty string without spaces`},
		{"default resolve_after under a long window", "alerts:\n  rules:\n  - name: a\n    window: 10m\n",
			`x.yml:5: alerts.rules[0] "a": resolve_after 5m is shorter than window 10m: want at least the window`},
		{"a bad window is not also too long", "alerts:\n  rules:\n  - name: a\n    window: 2h\n    resolve_after: 1m\n",
			`x.yml:5: alerts.rules[0] "a": window 2h: want 10s to 1h`},
		{"unnamed rule", "alerts:\n  rules:\n  - window: 1h\n",
			`x.yml:4: alerts.rules[0]: name is required` + "\n" +
				`x.yml:4: alerts.rules[0]: resolve_after 5m is shorter than window 1h: want at least the window`},
		{"log not a bool", "alerts:\n  log: yes\n",
			`x.yml:3: alerts.log "yes": want true or false`},
		{"log a list", "alerts:\n  log: [true]\n",
			`x.yml:3: alerts.log: want true or false, not a list`},
		{"durations and integers", "alerts:\n  evaluation_interval: 500ms\n  queue_size: 0\n  max_retries: 101\n  timeout: 10m\n  resend_interval: 1s\n",
			`x.yml:3: alerts.evaluation_interval 500ms: want 1s to 5m` + "\n" +
				`x.yml:4: alerts.queue_size 0: want 1 to 10000` + "\n" +
				`x.yml:5: alerts.max_retries 101: want 0 to 100` + "\n" +
				`x.yml:6: alerts.timeout 10m: want 100ms to 5m` + "\n" +
				`x.yml:7: alerts.resend_interval 1s: want 10s to 1h`},
		{"generator_url scheme", "alerts:\n  generator_url: ftp://grafana/d\n",
			`x.yml:3: alerts.generator_url "ftp://grafana/d": want an absolute http or https URL`},
		{"url without host", "alerts:\n  webhook:\n    url: 'http://:80/x'\n",
			`x.yml:4: alerts.webhook.url "http://:80/x": want an absolute http or https URL`},
		{"url that does not parse", "alerts:\n  webhook:\n    url: 'http://h:port/'\n",
			`x.yml:4: alerts.webhook.url "http://h:port/": want an absolute http or https URL: invalid port ":port" after host`},
		{"url not a string", "alerts:\n  webhook:\n    url: [http://h]\n",
			`x.yml:4: alerts.webhook.url: want a URL, not a list`},
		{"urls not a list", "alerts:\n  alertmanager:\n    urls: http://am:9093\n",
			`x.yml:4: alerts.alertmanager.urls: want a list of URLs, not "http://am:9093"`},
		{"too many urls", "alerts:\n  alertmanager:\n    urls: [http://a1, http://a2, http://a3, http://a4, http://a5, http://a6, http://a7, http://a8, http://a9]\n",
			`x.yml:4: alerts.alertmanager.urls: 9 URLs: want at most 8`},
		{"url repeated", "alerts:\n  alertmanager:\n    urls:\n      - http://am:9093\n      - http://am:9093/\n",
			`x.yml:6: alerts.alertmanager.urls[1] "http://am:9093/": already given as urls[0]`},
		{"alertmanager /api under a prefix", "alerts:\n  alertmanager:\n    urls: ['https://u:p@h/am/api/v1/alerts?x=1']\n",
			`x.yml:4: alerts.alertmanager.urls[0] "https://u:p@h/am/api/v1/alerts?x=1": want the base URL without the API path (odpswatch adds /api/v2/alerts): https://u:p@h/am`},
		{"alertmanager url empty", "alerts:\n  alertmanager:\n    urls: ['']\n",
			`x.yml:4: alerts.alertmanager.urls[0] "": want an absolute http or https URL`},
		{"unknown key in a sink", "alerts:\n  webhook:\n    secret: x\n",
			`x.yml:4: unknown key "secret" in alerts.webhook (known: url, hmac_secret_file, tls)`},
		{"unknown key in tls", "alerts:\n  webhook:\n    tls:\n      insecure: true\n",
			`x.yml:5: unknown key "insecure" in alerts.webhook.tls (known: ca_file, cert_file, key_file, server_name, insecure_skip_verify)`},
		{"tls not a mapping", "alerts:\n  alertmanager:\n    tls: on\n",
			`x.yml:4: alerts.alertmanager.tls: want a mapping, not "on"`},
		{"secret with an empty url", "alerts:\n  webhook:\n    url: ''\n    hmac_secret_file: testdata/hmac-secret\n",
			`x.yml:5: alerts.webhook: hmac_secret_file without url: want url too`},
		{"secret file empty", hook + "    hmac_secret_file: " + empty + "\n",
			`x.yml:5: alerts.webhook.hmac_secret_file "` + empty + `": the file is empty`},
		{"secret file blank", hook + "    hmac_secret_file: " + blank + "\n",
			`x.yml:5: alerts.webhook.hmac_secret_file "` + blank + `": the file is empty`},
		{"secret file a directory", hook + "    hmac_secret_file: " + dir + "\n",
			`x.yml:5: alerts.webhook.hmac_secret_file "` + dir + `": cannot read it: is a directory`},
		{"key without cert", hook + "    tls: {key_file: testdata/tls/client-key.pem}\n",
			`x.yml:5: alerts.webhook.tls: key_file without cert_file: want both or neither`},
		{"ca_file missing", hook + "    tls: {ca_file: testdata/missing.pem}\n",
			`x.yml:5: alerts.webhook.tls: cannot read ca_file testdata/missing.pem: no such file or directory`},
		{"ca_file not PEM", hook + "    tls: {ca_file: " + notPEM + "}\n",
			`x.yml:5: alerts.webhook.tls: ca_file ` + notPEM + ` holds no PEM certificate`},
		{"key of another certificate", hook + "    tls:\n      cert_file: testdata/tls/ca.pem\n      key_file: testdata/tls/client-key.pem\n",
			`x.yml:6: alerts.webhook.tls: cert_file testdata/tls/ca.pem with key_file testdata/tls/client-key.pem: tls: private key does not match public key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(src+tc.yaml), "x.yml")
			wantError(t, c, err, tc.want)
		})
	}
}

func TestValidAlertName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"ODPSSeverity5Spike", true},
		{"_x", true},
		{"a_1", true},
		{"", false},
		{"5xx", false},
		{"odps-spike", false},
		{"odps.spike", false},
		{"odps spike", false},
		{"spïke", false},
	} {
		if got := validAlertName(tc.name); got != tc.want {
			t.Errorf("validAlertName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// pki is a CA and the certificates it signed, written as PEM files.
type pki struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "odpswatch test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if p.ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	p.caKey = key
	p.caFile = p.write(t, "ca.pem", "CERTIFICATE", der)
	return p
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	file := filepath.Join(p.dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// issue signs a certificate for name (a DNS name for a server, a common
// name for a client) and returns it with its key, and their files.
func (p *pki) issue(t *testing.T, name string, server bool) (cert tls.Certificate, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.DNSNames = []string{name}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = p.write(t, name+".pem", "CERTIFICATE", der)
	keyFile = p.write(t, name+"-key.pem", "PRIVATE KEY", keyDER)
	cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certFile, keyFile
}

// TestClientConfig connects to a server that only a client trusting the CA,
// expecting the server's name and showing the CA's client certificate can
// talk to.
func TestClientConfig(t *testing.T) {
	p := newPKI(t)
	serverCert, _, _ := p.issue(t, "alertmanager.test", true)
	_, certFile, keyFile := p.issue(t, "odpswatch", false)
	clients := x509.NewCertPool()
	clients.AddCert(p.ca)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes below
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients}
	srv.StartTLS()
	defer srv.Close()

	get := func(tc TLSConfig) (string, error) {
		cfg, err := tc.ClientConfig()
		if err != nil {
			t.Fatalf("ClientConfig: %v", err)
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
		defer client.CloseIdleConnections()
		resp, err := client.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	full := TLSConfig{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile, ServerName: "alertmanager.test"}
	if got, err := get(full); err != nil || got != "odpswatch" {
		t.Errorf("with the CA, the client certificate and the server name: %q, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		tls  TLSConfig
	}{
		{"without the CA", TLSConfig{CertFile: certFile, KeyFile: keyFile, ServerName: "alertmanager.test"}},
		{"without the server name", TLSConfig{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile}},
		{"without a client certificate", TLSConfig{CAFile: p.caFile, ServerName: "alertmanager.test"}},
	} {
		if _, err := get(tc.tls); err == nil {
			t.Errorf("%s: the request succeeded", tc.name)
		}
	}
	insecure := TLSConfig{CertFile: certFile, KeyFile: keyFile, InsecureSkipVerify: true}
	if got, err := get(insecure); err != nil || got != "odpswatch" {
		t.Errorf("insecure_skip_verify: %q, %v", got, err)
	}

	// The checks at load time accept what ClientConfig accepts.
	yaml := "sources: [{name: jobs, type: file, paths: [x]}]\nalerts:\n  alertmanager:\n    urls: [" + srv.URL + "]\n    tls:\n" +
		"      ca_file: " + p.caFile + "\n      cert_file: " + certFile + "\n      key_file: " + keyFile + "\n      server_name: alertmanager.test\n"
	c, err := Parse([]byte(yaml), "x.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Alerts.Alertmanager.TLS != full {
		t.Errorf("got %+v, want %+v", c.Alerts.Alertmanager.TLS, full)
	}
}

func TestClientConfigZero(t *testing.T) {
	cfg, err := TLSConfig{}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RootCAs != nil || cfg.Certificates != nil || cfg.InsecureSkipVerify || cfg.ServerName != "" {
		t.Errorf("the zero TLSConfig gives %+v", cfg)
	}
}

func TestClientConfigErrors(t *testing.T) {
	p := newPKI(t)
	_, certFile, keyFile := p.issue(t, "odpswatch", false)
	_, _, otherKey := p.issue(t, "other", false)
	garbage := filepath.Join(p.dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not PEM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(p.dir, "missing.pem")
	for _, tc := range []struct {
		name string
		tls  TLSConfig
		want string
	}{
		{"ca_file missing", TLSConfig{CAFile: missing},
			"cannot read ca_file " + missing + ": no such file or directory"},
		{"ca_file a directory", TLSConfig{CAFile: p.dir},
			"cannot read ca_file " + p.dir + ": is a directory"},
		{"ca_file not PEM", TLSConfig{CAFile: garbage},
			"ca_file " + garbage + " holds no PEM certificate"},
		{"ca_file a key", TLSConfig{CAFile: keyFile},
			"ca_file " + keyFile + " holds no PEM certificate"},
		{"cert without key", TLSConfig{CertFile: certFile},
			"cert_file " + certFile + " without key_file: want both or neither"},
		{"key without cert", TLSConfig{KeyFile: keyFile},
			"key_file " + keyFile + " without cert_file: want both or neither"},
		{"cert_file missing", TLSConfig{CertFile: missing, KeyFile: keyFile},
			"cannot read cert_file " + missing + ": no such file or directory"},
		{"key_file missing", TLSConfig{CertFile: certFile, KeyFile: missing},
			"cannot read key_file " + missing + ": no such file or directory"},
		{"key of another certificate", TLSConfig{CertFile: certFile, KeyFile: otherKey},
			"cert_file " + certFile + " with key_file " + otherKey + ": tls: private key does not match public key"},
		{"cert_file not PEM", TLSConfig{CertFile: garbage, KeyFile: keyFile},
			"cert_file " + garbage + " with key_file " + keyFile + ": tls: failed to find any PEM data in certificate input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.tls.ClientConfig()
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if err.Error() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", err, tc.want)
			}
		})
	}
	_, err := TLSConfig{CAFile: missing}.ClientConfig()
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
	}
}

// The printed configuration (check-config --print) masks the credentials
// of the alert receivers' URLs: user information, and query values named
// like one.
func TestPrintMasksURLCredentials(t *testing.T) {
	c, err := Parse([]byte(`sources:
  - name: jobs
    type: file
    paths: ["/var/log/odps/*.log"]
alerts:
  alertmanager:
    urls: ["https://am-user:am-pa55@am.example.com/"]
  webhook:
    url: "https://alerts:hook-pa55@hooks.example.com/odps?team=data&token=hook-t0ken"
`), "creds.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"am-pa55", "hook-pa55", "hook-t0ken"} {
		if strings.Contains(s, secret) {
			t.Errorf("the printed configuration holds %q:\n%s", secret, s)
		}
	}
	if !strings.Contains(s, "team=data") || !strings.Contains(s, "hooks.example.com/odps") {
		t.Errorf("the printed configuration lost what is no credential:\n%s", s)
	}
	if c.Alerts.Webhook.URL != "https://alerts:hook-pa55@hooks.example.com/odps?team=data&token=hook-t0ken" {
		t.Errorf("printing changed the configuration itself: %s", c.Alerts.Webhook.URL)
	}
}

// A password written by mistake where a variable's name goes, and the
// credentials of a URL that does not parse, are in no error message.
func TestErrorsNeverQuoteSecrets(t *testing.T) {
	for name, yml := range map[string]string{
		"password in password_env": `sources:
  - name: events
    type: kafka
    brokers: ["127.0.0.1:9092"]
    topics: [logs]
    group_id: g
    sasl: {mechanism: PLAIN, username: u, password_env: "S3cr3t!pa55"}
`,
		"credentials in a bad URL": `sources:
  - name: jobs
    type: file
    paths: ["/var/log/odps/*.log"]
alerts:
  webhook:
    url: "https://alerts:S3cr3t!pa55@hooks.example.com:port/x?token=S3cr3t!pa55"
`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(yml), "x.yml")
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "S3cr3t") {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}
