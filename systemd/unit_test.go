// Tests of the systemd unit and of scripts/install.sh. They need
// systemd-analyze (Debian's systemd package) but no running systemd: verify
// and security --offline read unit files only. Without systemd-analyze they
// skip, except under CI, where .ci/run must install the package.
package systemd_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	unitFile      = "odpswatch.service"
	installedPath = "/usr/local/bin/odpswatch"
	// maxExposure is the highest `systemd-analyze security` exposure level
	// accepted (0 = fully sandboxed, 10 = not at all). The unit measures 1.1.
	maxExposure = 2.0
	// maxShutdownTimeout is the most the daemon's global.shutdown_timeout may
	// be; TimeoutStopSec= must leave it time to finish before SIGKILL.
	maxShutdownTimeout = 25 * time.Second
)

var tmpRoot string

func TestMain(m *testing.M) {
	var err error
	tmpRoot, err = os.MkdirTemp("", "odpswatch-systemd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// systemdAnalyze returns the path of systemd-analyze, or skips the test
// (fails it under CI).
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("systemd-analyze not found (%v): .ci/run must install the systemd package (apt-get install systemd)", err)
		}
		t.Skipf("systemd-analyze not found (%v): apt-get install systemd to run this test", err)
	}
	return p
}

var (
	binOnce sync.Once
	binPath string
)

// odpswatchBinary builds ./cmd/odpswatch once for the whole test binary, so
// that the unit copy under test names a real executable. verify only checks
// that the Exec*= paths are executable files; if the build fails (the
// command's own tests report why), /bin/true stands in.
func odpswatchBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		out := filepath.Join(tmpRoot, "bin", "odpswatch")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/odpswatch")
		cmd.Dir = ".." // the test runs in systemd/; build from the repository root
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Logf("cannot build ./cmd/odpswatch, using /bin/true in its place: %v\n%s", err, msg)
			binPath = "/bin/true"
			return
		}
		binPath = out
	})
	return binPath
}

// readUnit returns the unit as shipped.
func readUnit(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unitCopy writes the unit, with the installed binary's path replaced by
// bin, as odpswatch.service (the name matters: security reports it) in a new
// temporary directory, and returns its path.
func unitCopy(t *testing.T, unit, bin string) string {
	t.Helper()
	if n := strings.Count(unit, installedPath); n < 3 {
		t.Fatalf("%s names %s %d times, want at least 3 (ExecStartPre, ExecStart, ExecReload)", unitFile, installedPath, n)
	}
	p := filepath.Join(t.TempDir(), unitFile)
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(unit, installedPath, bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// verify runs systemd-analyze verify on a unit file. No flags are needed:
// the unit has no man: Documentation= (so --man= changes nothing), generators
// are off by default, and verify does not resolve User=/Group=/
// SupplementaryGroups=, so users missing on this machine cause no warning.
// It does check that every Exec*= path is an executable file, hence the copy
// with a real binary.
func verify(t *testing.T, analyze, unitPath string) (stdout, stderr string, err error) {
	t.Helper()
	return run(t, analyze, "verify", unitPath)
}

func TestUnitVerifyPrintsNothing(t *testing.T) {
	analyze := systemdAnalyze(t)
	unit := unitCopy(t, readUnit(t), odpswatchBinary(t))
	stdout, stderr, err := verify(t, analyze, unit)
	if err != nil || stdout != "" || stderr != "" {
		// verify exits 0 on warnings: the output is what counts.
		t.Fatalf("systemd-analyze verify %s: err=%v\nstdout:\n%s\nstderr:\n%s", unit, err, stdout, stderr)
	}
}

// TestUnitVerifyCatchesMistakes makes sure the silence above means something:
// the same verify run complains about an unknown key and a missing binary.
func TestUnitVerifyCatchesMistakes(t *testing.T) {
	analyze := systemdAnalyze(t)
	good := readUnit(t)
	for _, tc := range []struct {
		name, unit, bin, want string
	}{
		{"unknown key", good + "\n[Service]\nWatchdogSecs=30s\n", odpswatchBinary(t), "WatchdogSecs"},
		{"missing binary", good, filepath.Join(t.TempDir(), "no-such-odpswatch"), "no-such-odpswatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, _ := verify(t, analyze, unitCopy(t, tc.unit, tc.bin))
			if !strings.Contains(stdout+stderr, tc.want) {
				t.Fatalf("verify said nothing about %q:\nstdout:\n%s\nstderr:\n%s", tc.want, stdout, stderr)
			}
		})
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for odpswatch\.service: ([0-9]+(?:\.[0-9]+)?) (\S+)`)

func TestUnitSecurityExposure(t *testing.T) {
	analyze := systemdAnalyze(t)
	unit := unitCopy(t, readUnit(t), odpswatchBinary(t))
	stdout, stderr, err := run(t, analyze, "security", "--offline=true", "--no-pager", unit)
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s%s", err, stdout, stderr)
	}
	m := exposureRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no overall exposure level in the output:\n%s%s", stdout, stderr)
	}
	level, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exposure level %.1f %s", level, m[2])
	if level > maxExposure {
		t.Fatalf("exposure level %.1f %s, want <= %.1f; the settings that count:\n%s", level, m[2], maxExposure, exposed(stdout))
	}
}

// exposed returns the lines of security's table that add exposure.
func exposed(table string) string {
	var b strings.Builder
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, "✗") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// serviceSettings parses the [Service] section: key -> values in order.
func serviceSettings(t *testing.T, unit string) map[string][]string {
	t.Helper()
	settings := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(unit))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || l[0] == '#' || l[0] == ';':
		case l[0] == '[':
			section = l
		case section == "[Service]":
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("%s: not key=value: %q", unitFile, l)
			}
			settings[k] = append(settings[k], v)
		}
	}
	return settings
}

// TestUnitContract pins what the daemon and the unit agree on, so that a
// change on one side shows up here. It needs no systemd.
func TestUnitContract(t *testing.T) {
	s := serviceSettings(t, readUnit(t))
	want := map[string]string{
		"Type":                  "notify",
		"NotifyAccess":          "main",
		"ExecStartPre":          installedPath + " check-config /etc/odpswatch/odpswatch.yaml",
		"ExecStart":             installedPath + " run --config.file=/etc/odpswatch/odpswatch.yaml",
		"WatchdogSec":           "30s",
		"Restart":               "on-failure",
		"User":                  "odpswatch",
		"Group":                 "odpswatch",
		"SupplementaryGroups":   "odpslog",
		"StateDirectory":        "odpswatch",
		"CapabilityBoundingSet": "",
		"AmbientCapabilities":   "",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
	}
	for k, v := range want {
		if got := s[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s=%q, want exactly %s=%q", k, got, k, v)
		}
	}
	if r := s["ExecReload"]; len(r) == 0 || r[len(r)-1] != "/bin/kill -HUP $MAINPID" {
		t.Errorf("ExecReload=%q: the last one must be /bin/kill -HUP $MAINPID (the daemon reloads on SIGHUP)", r)
	}
	if stop, err := time.ParseDuration(strings.Join(s["TimeoutStopSec"], "")); err != nil || stop <= maxShutdownTimeout {
		t.Errorf("TimeoutStopSec=%q: want a duration above the daemon's longest shutdown (%v)", s["TimeoutStopSec"], maxShutdownTimeout)
	}
	for _, k := range []string{"IPAddressDeny", "IPAddressAllow", "PrivateNetwork"} {
		if v, ok := s[k]; ok {
			t.Errorf("%s=%q: the daemon must reach Kafka and Alertmanager", k, v)
		}
	}
}

// installScript runs scripts/install.sh with bash and returns its combined
// output.
func installScript(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join("..", "scripts", "install.sh")}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestInstallDryRun(t *testing.T) {
	out, err := installScript(t, "--dry-run")
	if err != nil {
		t.Fatalf("install.sh --dry-run: %v\n%s", err, out)
	}
	for _, re := range []string{
		`/etc/systemd/system/odpswatch\.service`,
		`useradd .*odpswatch|user odpswatch exists`,
		`groupadd --system odpslog|group odpslog exists`,
		`/usr/local/bin/odpswatch`,
		`systemctl daemon-reload`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("install.sh --dry-run output does not match %q:\n%s", re, out)
		}
	}
	if strings.Contains(out, "\n+ ") || strings.HasPrefix(out, "+ ") {
		t.Errorf("install.sh --dry-run ran a command:\n%s", out)
	}

	// Under --destdir, a dry run leaves the directory empty.
	dest := t.TempDir()
	out, err = installScript(t, "--dry-run", "--destdir", dest, "--binary", "/bin/true")
	if err != nil {
		t.Fatalf("install.sh --dry-run --destdir: %v\n%s", err, out)
	}
	if ents, _ := os.ReadDir(dest); len(ents) != 0 {
		t.Errorf("install.sh --dry-run wrote into %s: %v", dest, ents)
	}
}

// TestInstallDestdir installs into a temporary root twice (the second run
// must change nothing and keep an edited config), then uninstalls.
func TestInstallDestdir(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "root")
	bin := filepath.Join(dir, "odpswatch")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "odpswatch.yaml")
	if err := os.WriteFile(conf, []byte("# shipped config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--destdir", dest, "--binary", bin, "--config", conf}

	out, err := installScript(t, args...)
	if err != nil {
		t.Fatalf("first install: %v\n%s", err, out)
	}
	unit, _ := os.ReadFile(unitFile)
	for p, want := range map[string]struct {
		mode    os.FileMode
		content string
	}{
		"usr/local/bin/odpswatch":              {0o755, "#!/bin/sh\nexit 0\n"},
		"etc/systemd/system/odpswatch.service": {0o644, string(unit)},
		"etc/odpswatch/odpswatch.yaml":         {0o640, "# shipped config\n"},
	} {
		full := filepath.Join(dest, p)
		fi, err := os.Stat(full)
		if err != nil {
			t.Errorf("not installed: %v\n%s", err, out)
			continue
		}
		if fi.Mode().Perm() != want.mode {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want.mode)
		}
		if b, _ := os.ReadFile(full); string(b) != want.content {
			t.Errorf("%s: content differs from its source", p)
		}
	}
	if fi, err := os.Stat(filepath.Join(dest, "etc/odpswatch")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("etc/odpswatch: %v, %v; want a 0750 directory", fi, err)
	}

	// The operator edits the config; a second run keeps it and changes nothing.
	installedConf := filepath.Join(dest, "etc/odpswatch/odpswatch.yaml")
	if err := os.WriteFile(installedConf, []byte("# edited by the operator\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	out, err = installScript(t, args...)
	if err != nil {
		t.Fatalf("second install: %v\n%s", err, out)
	}
	if strings.Contains(out, "\n+ ") || strings.HasPrefix(out, "+ ") {
		t.Errorf("second install ran commands; want none:\n%s", out)
	}
	for _, want := range []string{"is up to date", "keeping it"} {
		if !strings.Contains(out, want) {
			t.Errorf("second install does not say %q:\n%s", want, out)
		}
	}
	if b, _ := os.ReadFile(installedConf); string(b) != "# edited by the operator\n" {
		t.Errorf("the second install overwrote the operator's config: %q", b)
	}

	// Without a config to install, the script still installs the rest.
	dest2 := filepath.Join(dir, "root2")
	out, err = installScript(t, "--destdir", dest2, "--binary", bin, "--config", filepath.Join(dir, "absent.yaml"))
	if err != nil || !strings.Contains(out, "warning: no config installed") {
		t.Errorf("install without a config: err=%v, want success with a warning:\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dest2, "etc/systemd/system/odpswatch.service")); err != nil {
		t.Errorf("install without a config: %v", err)
	}

	// Uninstall removes binary and unit, keeps the config; twice is fine.
	for i := 0; i < 2; i++ {
		out, err = installScript(t, "--uninstall", "--destdir", dest)
		if err != nil {
			t.Fatalf("uninstall #%d: %v\n%s", i+1, err, out)
		}
	}
	for _, p := range []string{"usr/local/bin/odpswatch", "etc/systemd/system/odpswatch.service"} {
		if _, err := os.Stat(filepath.Join(dest, p)); !os.IsNotExist(err) {
			t.Errorf("%s still there after --uninstall (%v)", p, err)
		}
	}
	if _, err := os.Stat(installedConf); err != nil {
		t.Errorf("--uninstall removed the config: %v", err)
	}
}
