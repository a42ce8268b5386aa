package daemon

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/sdnotify"
)

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "odpswatch test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLSAndBasicAuth serves through exporter-toolkit's web config: HTTPS
// only, and /metrics only with the password.
func TestTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	writeConfig(t, webCfg, "tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+
		"\nbasic_auth_users:\n  prometheus: "+string(hash)+"\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	n, _ := sdnotify.New("")
	d, err := New(Options{Config: cfg, Listeners: []net.Listener{l}, WebConfigFile: webCfg, EnableLifecycle: true,
		LoadConfig: func() (*config.Config, error) { return config.Load(cfgPath) },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)), Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	td := &testDaemon{t: t, d: d, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	td.cancel = cancel
	go func() { td.done <- d.Run(ctx) }()
	t.Cleanup(func() { td.stop() })
	select {
	case <-d.Ready():
	case err := <-td.done:
		t.Fatalf("the daemon stopped before it was ready: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not get ready")
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	base := "https://" + l.Addr().String()
	do := func(method, path, user, pass string) int {
		req, _ := http.NewRequest(method, base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	get := func(user, pass string) int { return do("GET", "/metrics", user, pass) }
	if code := get("", ""); code != http.StatusUnauthorized {
		t.Errorf("no password: %d, want 401", code)
	}
	if code := get("prometheus", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}
	if code := get("prometheus", "s3cret"); code != http.StatusOK {
		t.Errorf("right password: %d, want 200", code)
	}
	// The lifecycle API, enabled, is behind the same auth.
	if code := do("POST", "/-/reload", "", ""); code != http.StatusUnauthorized {
		t.Errorf("POST /-/reload without a password: %d, want 401", code)
	}
	if code := do("POST", "/-/reload", "prometheus", "s3cret"); code != http.StatusOK {
		t.Errorf("POST /-/reload with the password: %d, want 200", code)
	}
	// Plain HTTP gets no metrics.
	resp, err := http.Get("http://" + l.Addr().String() + "/metrics")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && strings.Contains(string(b), "odpswatch_") {
			t.Error("metrics served over plain HTTP")
		}
	}
}

func TestBadWebConfigIsRefused(t *testing.T) {
	dir := t.TempDir()
	webCfg := filepath.Join(dir, "web.yml")
	writeConfig(t, webCfg, "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n")
	cfg, _ := config.ForGlobs([]string{filepath.Join(dir, "*.log")})
	n, _ := sdnotify.New("")
	_, err := New(Options{Config: cfg, WebConfigFile: webCfg, Logger: slog.New(slog.DiscardHandler), Notifier: n})
	if err == nil || !strings.Contains(err.Error(), "cannot use web config "+webCfg) {
		t.Errorf("error %v", err)
	}
}
