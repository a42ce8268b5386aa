package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// needTool finds a program the test needs; without it the test is
// skipped, unless CI is set, where it fails.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found; .ci/run must install Debian's %s", name, pkg)
		}
		t.Skipf("%s not found (Debian's %s)", name, pkg)
	}
	return p
}

// The manual page holds every command and flag, and groff reads it
// without a warning.
func TestManPage(t *testing.T) {
	page, errOut, s := odpswatch(t, "", "man")
	if s != exitOK || errOut != "" {
		t.Fatalf("status %d, stderr %q", s, errOut)
	}
	for _, h := range helps() {
		if !strings.Contains(page, ".SS "+roffText(h.name)+"\n") {
			t.Errorf("no section for %s", h.name)
		}
		for _, f := range h.flags {
			if !strings.Contains(page, ".B \\-\\-"+roffText(f.name)) {
				t.Errorf("%s: flag --%s missing", h.name, f.name)
			}
		}
	}
	if h := helps(); len(h[slices.IndexFunc(h, func(c commandHelp) bool { return c.name == "scan" })].flags) < 5 {
		t.Errorf("scan's flags were not read from its help: %+v", h)
	}
	groff := needTool(t, "groff", "groff-base")
	path := filepath.Join(t.TempDir(), "odpswatch.1")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}

// bash reads the completion script and completes commands, flags and
// flag values with it.
func TestBashCompletion(t *testing.T) {
	script, _, s := odpswatch(t, "", "completion", "bash")
	if s != exitOK {
		t.Fatalf("status %d", s)
	}
	bash := needTool(t, "bash", "bash")
	path := filepath.Join(t.TempDir(), "odpswatch.bash")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	complete := func(words ...string) string {
		t.Helper()
		cmd := exec.Command(bash, "--norc", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _odpswatch; echo "${COMPREPLY[*]}"`, "bash", path)
		cmd.Args = append(cmd.Args, words...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", words, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"odpswatch", "sc"}, "scan"},
		{[]string{"odpswatch", "scan", "--fo"}, "--format"},
		{[]string{"odpswatch", "scan", "--format", "j"}, "json"},
		{[]string{"odpswatch", "run", "--config"}, "--config.file"},
		{[]string{"odpswatch", "completion", "z"}, "zsh"},
		{[]string{"odpswatch", "codes", "--family", "mapr"}, "mapreduce"},
	} {
		if got := complete(c.words...); got != c.want {
			t.Errorf("%q completes to %q, want %q", c.words, got, c.want)
		}
	}
}

// zsh parses the completion script, and every flag with choices is a
// real flag.
func TestZshCompletion(t *testing.T) {
	script, _, s := odpswatch(t, "", "completion", "zsh")
	if s != exitOK || !strings.HasPrefix(script, "#compdef odpswatch\n") {
		t.Fatalf("status %d:\n%s", s, script)
	}
	for k := range flagChoices {
		if !strings.Contains(script, "'--"+k+"=[") {
			t.Errorf("--%s has choices but is no flag of any command", k)
		}
	}
	zsh := needTool(t, "zsh", "zsh")
	path := filepath.Join(t.TempDir(), "_odpswatch")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(zsh, "-n", path).CombinedOutput(); err != nil {
		t.Errorf("zsh -n: %v\n%s", err, out)
	}
	// Loaded by compinit from a directory on fpath, as the package installs it.
	cmd := exec.Command(zsh, "-f", "-c", `fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -d "$1/.zcompdump"; print -r -- ${_comps[odpswatch]}`, "zsh", filepath.Dir(path))
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "_odpswatch" {
		t.Errorf("compinit did not register _odpswatch for odpswatch: %v\n%s", err, out)
	}
}

func TestDocsUsage(t *testing.T) {
	if _, errOut, s := odpswatch(t, "", "completion", "fish"); s != exitFailure || !strings.Contains(errOut, "bash|zsh") {
		t.Errorf("completion fish: status %d, stderr %q", s, errOut)
	}
	if _, _, s := odpswatch(t, "", "man", "extra"); s != exitFailure {
		t.Errorf("man extra: status %d", s)
	}
}
