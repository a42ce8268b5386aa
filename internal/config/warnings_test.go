package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "hmac")
	if err := os.WriteFile(secret, []byte("k3y"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a.log"), []byte("x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.gz"), []byte("x\n"), 0o644)
	yml := `sources:
  - name: found
    type: file
    paths: ["` + dir + `/*.log"]
  - name: nothing
    type: file
    paths: ["` + dir + `/none/*.log"]
  - name: excluded
    type: file
    paths: ["` + dir + `/*.gz"]
    exclude: ["*.gz"]
alerts:
  webhook:
    url: https://hooks.example.com/odps
    hmac_secret_file: "` + secret + `"
`
	c, err := Parse([]byte(yml), "w.yml")
	if err != nil {
		t.Fatal(err)
	}
	got := c.Warnings()
	want := []string{
		`source "nothing": its paths match no file now; it follows them once one appears`,
		`source "excluded": its paths match no file now; it follows them once one appears`,
		"alerts.webhook.hmac_secret_file " + secret + " can be read by its group or others (mode -rw-r--r--): chmod 600 it",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	os.Chmod(secret, 0o600)
	os.WriteFile(filepath.Join(dir, "none.log"), nil, 0o644) // still not under none/
	if got := c.Warnings(); len(got) != 2 {
		t.Errorf("after chmod 600: %q, want the two sources' warnings only", got)
	}
}
