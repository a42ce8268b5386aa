package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needChromium finds Debian's chromium; without it the test is skipped,
// unless CI is set, where it fails.
func needChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found: install Debian's package chromium"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI is set, so .ci/run must install it", msg)
	}
	t.Skip(msg)
	return ""
}

// TestStatusPageInABrowser: a real odpswatch reads a shipped example,
// and headless chromium loads its status page at / as a phone would: the
// failing jobs and the codes of the example are on it, its LogView
// tokens are on neither the page nor /api/v1/status, nor is a password
// planted in the configuration. The screenshot is kept in the test's
// temporary directory (logged), for a look at a failure.
func TestStatusPageInABrowser(t *testing.T) {
	chromium := needChromium(t)
	dir := t.TempDir()
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "pyodps-job.log"))
	if err != nil {
		t.Fatal(err)
	}
	jobLog := filepath.Join(dir, "pyodps-job.log")
	writeFile(t, jobLog, example, 0o644)
	const password = "s3cret-planted-in-the-config"
	cfg := filepath.Join(dir, "odpswatch.yaml")
	writeFile(t, cfg, []byte(fmt.Sprintf(`sources:
  - name: jobs
    type: file
    paths: [%q]
    start_at: beginning
alerts:
  alertmanager:
    urls: ["http://odpswatch:%s@127.0.0.1:9/"]
`, jobLog, password)), 0o644)
	d := startDaemon(t, daemonOptions{config: cfg})
	d.waitReady()
	d.waitMetric(float64(bytes.Count(example, []byte("\n"))), "odpswatch_source_lines_total", "source", "jobs")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	profile := filepath.Join(dir, "chromium-profile")
	browse := func(extra ...string) []byte {
		t.Helper()
		args := append([]string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
			"--no-first-run", "--user-data-dir=" + profile, "--window-size=412,915"}, extra...)
		cmd := exec.CommandContext(ctx, chromium, append(args, d.url+"/")...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
		}
		return out
	}
	dom := string(browse("--dump-dom"))
	for _, want := range []string{
		`<table id="jobs">`, "20261122003005118gkq2z7x3c", // the example's failed instance
		`<table id="codes">`, "ODPS-0130071", "Semantic analysis exception",
		`<table id="sources">`, jobLog, `<span class="ok">healthy</span>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page chromium rendered lacks %q", want)
		}
	}
	shot := filepath.Join(dir, "status.png")
	browse("--screenshot=" + shot)
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("the page as a phone shows it: %s (%d bytes)", shot, len(png))

	resp, err := http.Get(d.url + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The example's LogView tokens (base64 of "fake-…").
	for _, secret := range []string{password, "ZmFrZS1w"} {
		for name, body := range map[string]string{"the page": dom, "/api/v1/status": string(js)} {
			if strings.Contains(body, secret) {
				t.Errorf("%s carries %q", name, secret)
			}
		}
	}
	if !bytes.Contains(example, []byte("token=ZmFrZS1w")) {
		t.Fatal("the example has no LogView token to look for: the leak check checks nothing")
	}
}
