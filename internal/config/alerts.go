package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"syscall"
	"unicode"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Alerts configures odpswatch's own spike detector and where its alerts go.
type Alerts struct {
	// Rules say what a spike is. When the key is absent (or empty), there
	// is one default rule, named ODPSSeverity5Spike, with every default of
	// AlertRule, so that detection works with nothing configured; an
	// explicitly empty list (rules: []) turns detection off. Names are
	// unique.
	Rules []AlertRule `yaml:"rules"`
	// EvaluationInterval is how often windows are closed and alerts
	// evaluated. Default 10s; 1s to 5m.
	EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	// ResendInterval is how often firing alerts are sent again. Default
	// 1m; 10s to 1h.
	ResendInterval model.Duration `yaml:"resend_interval"`
	// QueueSize bounds the notifications waiting per receiver; more are
	// dropped and counted. Default 64; 1 to 10000.
	QueueSize int `yaml:"queue_size"`
	// Timeout bounds each delivery attempt. Default 10s; 100ms to 5m.
	Timeout model.Duration `yaml:"timeout"`
	// MaxRetries is how many times a failed delivery is retried; 0 means
	// never. Default 5; 0 to 100.
	MaxRetries int `yaml:"max_retries"`
	// GeneratorURL is the alerts' generatorURL: "" or an absolute http(s)
	// URL.
	GeneratorURL string `yaml:"generator_url"`
	// Log says whether alerts are also logged: default true (see
	// LogEnabled, for an Alerts built by hand).
	Log *bool `yaml:"log"`

	Alertmanager AlertmanagerSink `yaml:"alertmanager"`
	Webhook      WebhookSink      `yaml:"webhook"`
}

// LogEnabled reports whether alerts are also logged: Log, true when nil.
func (a Alerts) LogEnabled() bool { return a.Log == nil || *a.Log }

// AlertRule says what a spike is; see alert.Rule.
type AlertRule struct {
	// Name is the alerts' alertname: letters, digits and '_', starting with
	// a letter or '_'. Required and unique.
	Name string `yaml:"name"`
	// MinSeverity selects the codes counted: those of this severity digit
	// or more. Default 5; 0 to 9.
	MinSeverity int `yaml:"min_severity"`
	// Count is what is counted: "failures" (a code printed again in the
	// same failure counts once) or "prints" (every occurrence). Default
	// "failures".
	Count string `yaml:"count"`
	// Window is the length of a counting window. Default 1m; 10s to 1h.
	Window model.Duration `yaml:"window"`
	// MinCount is the least count in a window that fires. Default 10; 1 to
	// 1000000.
	MinCount int `yaml:"min_count"`
	// Factor is how many times its baseline a window's count must reach to
	// fire. Default 3; 1 to 1000.
	Factor float64 `yaml:"factor"`
	// BaselineWeight is the newest window's weight in the baseline.
	// Default 0.1; 0.001 to 1.
	BaselineWeight float64 `yaml:"baseline_weight"`
	// BaselineFloor is the least baseline. Default 1; 0 to 1000000.
	BaselineFloor float64 `yaml:"baseline_floor"`
	// GroupBy splits groups further than by source: "code", "module",
	// each at most once. Default none.
	GroupBy []string `yaml:"group_by"`
	// ResolveAfter is how long the count must stay below the threshold for
	// a firing alert to resolve. Default 5m; 10s to 24h, and at least
	// Window.
	ResolveAfter model.Duration `yaml:"resolve_after"`
	// Severity is the alerts' severity label: non-empty, without spaces.
	// Default "critical".
	Severity string `yaml:"severity"`
}

// AlertmanagerSink configures the Alertmanagers alerts are sent to.
type AlertmanagerSink struct {
	// URLs are 0 to 8 distinct absolute http(s) base URLs of
	// Alertmanagers, such as http://127.0.0.1:9093, without the API path.
	URLs []string  `yaml:"urls"`
	TLS  TLSConfig `yaml:"tls"`
}

// WebhookSink configures the webhook alerts are posted to.
type WebhookSink struct {
	// URL is "" (no webhook) or an absolute http(s) URL.
	URL string `yaml:"url"`
	// HMACSecretFile is "" or the path of a file holding the secret that
	// signs every body; it requires URL. The file is a non-empty regular
	// file when the configuration is loaded. Only the path is held here.
	HMACSecretFile string    `yaml:"hmac_secret_file"`
	TLS            TLSConfig `yaml:"tls"`
}

// alertRules decodes the list of alert rules n into dst, checking that
// their names are valid and unique and that each resolves no sooner than
// its window ends.
func (d *decoder) alertRules(n *yaml.Node, path string, dst *[]AlertRule) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, "%s: want a list of rules, not %s", path, describe(n))
		return
	}
	var rules []AlertRule
	names := make(uses)
	for i, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			d.errorf(item.Line, "%s[%d]: want a mapping with a name, not %s", path, i, describe(item))
			continue
		}
		label := fmt.Sprintf("%s[%d]", path, i)
		if name, ok := nameOf(item); ok {
			label += fmt.Sprintf(" %q", name)
		}
		r := defaults(ruleFields)
		es := decodeFields(d, item, "in an alert rule", label+": ", ruleFields, &r)
		at := func(key string) int { return es.lineOr(key, item.Line) }
		d.checkName(es, label, "alert rule", r.Name, at("name"), validAlertName, alertNameRule, names)

		if r.ResolveAfter < r.Window && !es.bad("window") && !es.bad("resolve_after") {
			line := at("resolve_after")
			if es.line("resolve_after") == 0 {
				line = at("window")
			}
			d.errorf(line, "%s: resolve_after %s is shorter than window %s: want at least the window",
				label, r.ResolveAfter, r.Window)
		}
		rules = append(rules, r)
	}
	*dst = rules
}

// validAlertName reports whether s matches ^[A-Za-z_][A-Za-z0-9_]*$, what an
// alertname must be.
func validAlertName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return true
}

// alertNameRule says what validAlertName wants.
const alertNameRule = "want letters, digits or _, starting with a letter or _"

// wantSeverity is what a severity label must be.
const wantSeverity = "a non-empty string without spaces"

// severityProblem says what is wrong with a severity label, or "".
func severityProblem(s string) string {
	if s == "" || strings.ContainsFunc(s, unicode.IsSpace) {
		return "want " + wantSeverity
	}
	return ""
}

// wantURL is what a URL must be.
const wantURL = "an absolute http or https URL"

// urlProblem says what is wrong with the URL s, or "".
func urlProblem(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "want " + wantURL + ": " + err.Error()
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
		return "want " + wantURL
	}
	return ""
}

// alertmanagerURLProblem says what is wrong with an Alertmanager's base
// URL, or "": odpswatch adds the API's path itself.
func alertmanagerURLProblem(s string) string {
	if why := urlProblem(s); why != "" {
		return why
	}
	u, _ := url.Parse(s)
	if i := strings.Index(u.Path+"/", "/api/"); i >= 0 {
		base := *u
		base.Path, base.RawPath, base.RawQuery, base.Fragment = u.Path[:i], "", "", ""
		return "want the base URL without the API path (odpswatch adds /api/v2/alerts): " + base.String()
	}
	return ""
}

// checkWebhook checks that a secret comes with a URL, and that the secret
// file can be read and is not empty.
func checkWebhook(d *decoder, _ *yaml.Node, es entries, path string, w *WebhookSink) {
	if es.empty("hmac_secret_file") || es.bad("hmac_secret_file") {
		return
	}
	line := es.line("hmac_secret_file")
	if es.empty("url") {
		d.errorf(line, "%s: hmac_secret_file without url: want url too", path)
		return
	}
	b, err := readFile(w.HMACSecretFile)
	switch {
	case err != nil:
		d.errorf(line, "%s.hmac_secret_file %q: cannot read it: %v", path, w.HMACSecretFile, err)
	case len(bytes.TrimSpace(b)) == 0:
		d.errorf(line, "%s.hmac_secret_file %q: the file is empty", path, w.HMACSecretFile)
	}
}

// checkTLS checks that cert_file and key_file go together, and loads the
// files as ClientConfig does.
func checkTLS(d *decoder, n *yaml.Node, es entries, path string, t *TLSConfig) {
	if es.bad("ca_file") || es.bad("cert_file") || es.bad("key_file") {
		return
	}
	at := func(key string) int { return es.lineOr(key, n.Line) }
	if t.CAFile != "" {
		if _, err := loadCAs(t.CAFile); err != nil {
			d.errorf(at("ca_file"), "%s: %v", path, err)
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		d.errorf(at("cert_file"), "%s: cert_file without key_file: want both or neither", path)
	case t.KeyFile != "" && t.CertFile == "":
		d.errorf(at("key_file"), "%s: key_file without cert_file: want both or neither", path)
	case t.CertFile != "":
		if _, err := loadKeyPair(t.CertFile, t.KeyFile); err != nil {
			d.errorf(at("cert_file"), "%s: %v", path, err)
		}
	}
}

// ClientConfig returns the *tls.Config of a client that t describes,
// loading its CA, certificate and key; its errors name the file at fault.
// With a ca_file, servers are verified against its certificates only.
func (t TLSConfig) ClientConfig() (*tls.Config, error) {
	c := &tls.Config{ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} // the user's choice, documented as for tests
	if t.CAFile != "" {
		pool, err := loadCAs(t.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return nil, fmt.Errorf("cert_file %s without key_file: want both or neither", t.CertFile)
	case t.KeyFile != "" && t.CertFile == "":
		return nil, fmt.Errorf("key_file %s without cert_file: want both or neither", t.KeyFile)
	case t.CertFile != "":
		cert, err := loadKeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// loadCAs reads the PEM certificates of file into a pool.
func loadCAs(file string) (*x509.CertPool, error) {
	b, err := readFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read ca_file %s: %w", file, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ca_file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// loadKeyPair reads a PEM certificate and its key.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := readFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cannot read cert_file %s: %w", certFile, err)
	}
	keyPEM, err := readFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cannot read key_file %s: %w", keyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cert_file %s with key_file %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// errNotRegular is readFile's error for what is not a regular file.
var errNotRegular = errors.New("not a regular file")

// MaxSecretBytes bounds a secret file (a password, an HMAC key).
const MaxSecretBytes = 64 << 10

// readFile reads the regular file at path, of at most MaxSecretBytes.
func readFile(path string) ([]byte, error) { return readLimited(path, MaxSecretBytes) }

// readLimited reads the regular file at path, of at most limit bytes;
// rather than a FIFO or a device, which could block or never end, it
// refuses anything else, and a larger file (or one that grew) is refused
// whole. Its error is only the cause (the callers name the file): it
// still answers errors.Is(err, fs.ErrNotExist).
func readLimited(path string, limit int64) ([]byte, error) {
	b, err := readRegular(path, limit)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return b, err
}

func readRegular(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		return nil, syscall.EISDIR
	case !st.Mode().IsRegular():
		return nil, errNotRegular
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
