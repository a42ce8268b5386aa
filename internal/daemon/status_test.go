package daemon

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/odpswatch/odpswatch/internal/filesource"
	"github.com/odpswatch/odpswatch/internal/status"
)

// /api/v1/status says what this daemon follows and what failed in the
// last hour: the file and its lag, the code with its prints, failures and
// hint, the failing job with its LogView link, and no token.
func TestStatusJSON(t *testing.T) {
	const token = "c2VjcmV0LXN0YXR1cy10b2tlbg"
	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "2026-12-01 10:00:00,001 INFO Instance ID: 20261201100000001gjoba\n"+
		"2026-12-01 10:00:00,002 INFO Log view: https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_sales&i=20261201100000001gjoba&token="+token+"\n"+
		"odps.errors.ODPSError: ODPS-0130071: InstanceId: 20261201100000001gjoba\n"+
		"ODPS-0130071:[1,8] Semantic analysis exception - column c cannot be resolved &token="+token+"\n")
	// A directory the glob matches: a problem of the source.
	if err := os.Mkdir(filepath.Join(dir, "adir.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", filepath.Join(dir, "*.log")))
	td := startDaemon(t, cfgPath, "")
	td.waitMetric(`odpswatch_failures_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"}`, 1)
	td.waitMetric(`odpswatch_file_lag_bytes{source="jobs"}`, 0)

	code, body := td.get("/api/v1/status")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	if strings.Contains(body, token) {
		t.Errorf("the status carries a LogView token:\n%s", body)
	}
	// The documented schema.
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile("../../docs/status-v1.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(v); err != nil {
		t.Errorf("the status does not validate against docs/status-v1.schema.json: %v", err)
	}
	var doc status.Document
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != status.Schema || !doc.Healthy || !doc.Ready || doc.UptimeSeconds <= 0 || doc.Version != "test" {
		t.Errorf("instance: %+v", doc)
	}
	if len(doc.Sources) != 1 || doc.Sources[0].Name != "jobs" || doc.Sources[0].Type != "file" || doc.Sources[0].FilesTotal != 1 ||
		len(doc.Sources[0].Files) != 1 || doc.Sources[0].Files[0].Path != jobLog || doc.Sources[0].Files[0].LagBytes != 0 ||
		doc.Sources[0].Files[0].Size != doc.Sources[0].Files[0].Offset || doc.Sources[0].Files[0].LastRead == nil ||
		len(doc.Sources[0].Problems) != 1 || !strings.Contains(doc.Sources[0].Problems[0], "adir.log") {
		t.Errorf("sources: %+v", doc.Sources)
	}
	if len(doc.TopCodes) != 1 || doc.TopCodes[0].Code != "ODPS-0130071" || doc.TopCodes[0].Prints != 2 || doc.TopCodes[0].Failures != 1 ||
		doc.TopCodes[0].Title != "Semantic analysis exception" || doc.TopCodes[0].Hint == "" {
		t.Errorf("top codes: %+v", doc.TopCodes)
	}
	if len(doc.FailingJobs) != 1 || doc.FailingJobs[0].Instance != "20261201100000001gjoba" || doc.FailingJobs[0].Project != "p_sales" ||
		!strings.Contains(doc.FailingJobs[0].LogView, "i=20261201100000001gjoba") {
		t.Errorf("failing jobs: %+v", doc.FailingJobs)
	}
	if doc.AlertsFiring == nil || doc.LastReload != nil {
		t.Errorf("alerts %v, last reload %v", doc.AlertsFiring, doc.LastReload)
	}
	// The page at / shows the same, without the token.
	code, page := td.get("/")
	if code != http.StatusOK || strings.Contains(page, token) {
		t.Errorf("/: status %d, a token: %v", code, strings.Contains(page, token))
	}
	for _, want := range []string{"healthy", "20261201100000001gjoba", "ODPS-0130071", "Semantic analysis exception", jobLog, "/api/v1/status"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if code, _ := td.post("/api/v1/status"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", code)
	}
}

// TestMostBehind: the files the status page lists are those furthest
// behind their end, the same ones whatever order the source gives them
// in; files not sized yet come last.
func TestMostBehind(t *testing.T) {
	var files []filesource.FileStatus
	for i := range 250 {
		size := int64(1000)
		if i%50 == 7 {
			size = -1
		}
		files = append(files, filesource.FileStatus{Path: fmt.Sprintf("/logs/%03d.log", i), Offset: int64(i * 4), Size: size})
	}
	want := mostBehind(files, 100)
	if len(want) != 100 || want[0].Path != "/logs/000.log" || want[99].Path != "/logs/101.log" {
		t.Fatalf("listed %d, from %s to %s; want 100, from /logs/000.log to /logs/101.log (0 to 101 but the two not sized)", len(want), want[0].Path, want[len(want)-1].Path)
	}
	for _, f := range want {
		if f.Size < 0 {
			t.Errorf("%s, not sized yet, listed before files behind", f.Path)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
		if got := mostBehind(files, 100); !slices.Equal(got, want) {
			t.Fatalf("another order of the same files lists others: %v", got[:3])
		}
	}
	if got := mostBehind(files[:3], 100); len(got) != 3 {
		t.Errorf("3 files: listed %d", len(got))
	}
}
