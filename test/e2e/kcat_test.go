package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// needKcat finds kcat (Debian's package kcat). Without it the test is
// skipped, unless CI is set: CI must run it, so there it fails.
func needKcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		msg := "kcat not found on PATH: install Debian's package kcat"
		if os.Getenv("CI") != "" {
			t.Fatalf("%s; CI is set, so .ci/run must install it", msg)
		}
		t.Skip(msg)
	}
	return p
}

// kcatLine is input line i, and the codes odpswatch must find in it: five
// kinds of lines, with one code, two, none, and strings that look like
// codes but are not (six and eight digits).
func kcatLine(i int) (string, []string) {
	switch i % 5 {
	case 0:
		return fmt.Sprintf("2026-11-27 10:00:%02d ERROR job-%d FAILED: ODPS-0420095: Access Denied - no odps:CreateInstance on projects/p%d", i%60, i, i), []string{"ODPS-0420095"}
	case 1:
		return fmt.Sprintf("FAILED: ODPS-0130071:[1,%d] Semantic analysis exception - column c%d cannot be resolved", i%80+1, i), []string{"ODPS-0130071"}
	case 2:
		return fmt.Sprintf("INFO job-%d: ODPS-012345 and ODPS-01234567 are not codes; neither is odps-0420095", i), nil
	case 3:
		return fmt.Sprintf("ERROR ODPS-0110005: Unknown exception from metadata operation - retry %d; then ODPS-9999995: never documented", i), []string{"ODPS-0110005", "ODPS-9999995"}
	}
	return fmt.Sprintf("INFO job-%d finished in %d ms", i, i*7), nil
}

// TestKafkaWithKcat checks odpswatch against an independent Kafka client:
// kcat produces the input lines (uncompressed, gzip and zstd), odpswatch
// consumes them in a group and publishes events, and kcat consumes the
// events, which must be exactly the codes of the lines, classified as the
// catalog says and keyed by code.
func TestKafkaWithKcat(t *testing.T) {
	kcat := needKcat(t)
	b := startKafkaBroker(t, 3)
	dir := t.TempDir()

	const perRun = 1000
	want := map[string]int{}
	messages := 0
	for run, codec := range []string{"none", "gzip", "zstd"} {
		var in bytes.Buffer
		for i := range perRun {
			line, codes := kcatLine(run*perRun + i)
			in.WriteString(line + "\n")
			for _, c := range codes {
				want[c]++
			}
		}
		messages += perRun
		file := filepath.Join(dir, "in-"+codec+".log")
		writeFile(t, file, in.Bytes(), 0o644)
		// -l: each line of the file is a message.
		cmd := exec.Command(kcat, "-P", "-b", b.addr, "-t", inputTopic, "-z", codec, "-l", file)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
		}
	}

	d := b.startMember("pipeline")
	d.waitMetric(float64(messages), "odpswatch_kafka_messages_total", "source", "pipeline")
	total := 0
	for _, n := range want {
		total += n
	}
	d.waitMetric(float64(total), "odpswatch_kafka_events_published_total")
	if err := d.terminate(); err != nil {
		t.Fatalf("odpswatch ended with %v\nstderr:\n%s", err, d.log.text())
	}

	// -e: exit at the end of the topic; -f: the key, a tab, the value.
	cmd := exec.Command(kcat, "-C", "-b", b.addr, "-t", outputTopic, "-o", "beginning", "-e", "-q", "-f", `%k\t%s\n`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}

	type class struct {
		family, module string
		severity       int
		title          string
	}
	catalog := map[string]class{
		"ODPS-0420095": {"api", "worker", 5, "Access Denied"},
		"ODPS-0130071": {"sql", "parser", 1, "Semantic analysis exception"},
		"ODPS-0110005": {"sql", "meta", 5, "Unknown exception from metadata operation"},
		"ODPS-9999995": {"unknown", "unknown", 5, ""},
	}
	// Every event is checked against the documented schema.
	compiler := jsonschema.NewCompiler()
	compiler.AssertFormat()
	schema, err := compiler.Compile("../../docs/event-v2.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, rec := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		key, value, ok := strings.Cut(rec, "\t")
		if !ok {
			t.Fatalf("kcat printed %q: no key and value", rec)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(value))
		if err != nil {
			t.Fatalf("event %q: %v", value, err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("event %s does not validate against docs/event-v2.schema.json: %v", value, err)
		}
		var e kafkaEvent
		if err := json.Unmarshal([]byte(value), &e); err != nil {
			t.Fatalf("event %q: %v", value, err)
		}
		got[e.Code]++
		c, ok := catalog[e.Code]
		switch {
		case !ok:
			t.Errorf("event for %s, in no line: %s", e.Code, value)
		case key != e.Code:
			t.Errorf("event keyed %q, want its code %s", key, e.Code)
		case e.Schema != "odpswatch.event/v2" || e.Source != "pipeline" || e.Origin.Topic != inputTopic:
			t.Errorf("event %s: schema, source or origin wrong", value)
		case e.Family != c.family || e.Module != c.module || e.Severity != c.severity || e.Title != c.title:
			t.Errorf("%s classified %s/%s/%d/%q, want %s/%s/%d/%q", e.Code, e.Family, e.Module, e.Severity, e.Title,
				c.family, c.module, c.severity, c.title)
		case !strings.Contains(e.Line, e.Code):
			t.Errorf("event for %s names the line %q", e.Code, e.Line)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events per code %v, want %v", got, want)
	}
	t.Logf("kcat produced %d messages (none, gzip, zstd); odpswatch published %d events; kcat read them back", messages, len(strings.Split(string(out), "\n"))-1)
}
