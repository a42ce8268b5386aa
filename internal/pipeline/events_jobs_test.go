package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/odpswatch/odpswatch/internal/sink"
)

// eventSchema compiles the documented schema of events.
func eventSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile("../../docs/event-v2.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The schema refuses what v2 rules out: the schema test must be able to
// fail.
func TestEventSchemaRefuses(t *testing.T) {
	s := eventSchema(t)
	good := sink.AppendEventJSON(nil, &sink.Event{Time: time.Unix(1800000000, 0).UTC(), Host: "h", Source: "s",
		Origin: sink.Origin{File: "/f"}, Code: "ODPS-0130071", Family: "sql", Module: "parser", Severity: 1,
		Instance: "20261201100000001gq", Failure: sink.FailureFirst})
	check := func(doc []byte) error {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
		if err != nil {
			t.Fatal(err)
		}
		return s.Validate(v)
	}
	if err := check(good); err != nil {
		t.Fatalf("a good event: %v", err)
	}
	for name, bad := range map[string]string{
		"v1":           strings.Replace(string(good), "event/v2", "event/v1", 1),
		"no failure":   strings.Replace(string(good), `,"failure":"first"`, "", 1),
		"odd failure":  strings.Replace(string(good), `"failure":"first"`, `"failure":"yes"`, 1),
		"token":        strings.Replace(string(good), `"logview":""`, `"logview":"https://l/?i=1&token=abc"`, 1),
		"bad code":     strings.Replace(string(good), `"code":"ODPS-0130071"`, `"code":"ODPS-013007"`, 1),
		"extra fields": strings.Replace(string(good), `{"schema"`, `{"x":1,"schema"`, 1),
	} {
		if check([]byte(bad)) == nil {
			t.Errorf("%s: the schema takes %s", name, bad)
		}
	}
}

// A Kafka partition carrying two jobs interleaved, in batches that
// workers take at once: each event names its job and says whether it
// began a failure; the LogView link comes without its token; the
// counters count two failures for three prints; every event validates
// against the documented schema.
func TestEventsNameInterleavedJobs(t *testing.T) {
	const (
		a, b   = "20261201100000001gjoba", "20261201100000002gjobb"
		secret = "c2VjcmV0LWxvZ3ZpZXctdG9rZW4tMTIz"
	)
	c := eventsCluster(t)
	events := runEventSink(t, c)
	p, reg := newPipeline(t, 3, 4)
	p.opts.Events, p.opts.Host = events, "job-host-1"
	p.Start()

	messages := [][]string{{
		"2026-12-01 10:00:00 INFO Instance ID: " + a,
		"2026-12-01 10:00:00 INFO Log view: https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_sales&i=" + a + "&token=" + secret,
		"2026-12-01 10:00:01 INFO Instance ID: " + b + " project=p_ops",
	}, {
		"2026-12-01 10:00:02 ERROR instance " + a + " failed: ODPS-0130071:[1,8] Semantic analysis exception - column c cannot be resolved",
		"2026-12-01 10:00:03 ERROR instance " + b + " failed: ODPS-0420095: Access Denied - no privilege RequestId=6741C3A2B8F0E1D2C3B4A596",
	}, {
		"2026-12-01 10:00:04 WARN retry of instance " + a + ": ODPS-0130071:[1,8] Semantic analysis exception - column c cannot be resolved",
	}}
	done := make(chan struct{}, len(messages))
	offset := int64(100)
	for _, batch := range messages {
		bt := &Batch{Source: "pipeline", Origin: "odps-job-logs/3", Offset: offset, Done: func() { done <- struct{}{} }}
		for _, m := range batch {
			bt.Messages = append(bt.Messages, Message{Start: len(bt.Data), Topic: "odps-job-logs", Partition: 3, Offset: offset})
			bt.Data = append(bt.Data, m+"\n"...)
			offset++
		}
		bt.End = offset
		p.Input() <- bt
	}
	for range messages {
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("a batch was not done")
		}
	}
	p.Close()

	schema := eventSchema(t)
	var got []string
	for _, r := range consume(t, c, "odps-events", 3) {
		if strings.Contains(string(r.Value), secret) {
			t.Errorf("the token left the pipeline: %s", r.Value)
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(r.Value)))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("event %s: %v", r.Value, err)
		}
		var e sink.Event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %s %s %q %q %s %s", e.Origin.Offset, e.Code, e.Instance, e.Project, e.LogView, e.RequestID, e.RootCause, e.Failure))
	}
	slices.Sort(got) // by offset: the batches' events are published as workers finish them
	// The link as attrib.LogView writes it: its parameters re-encoded,
	// without the token.
	logView := "https://logview.example.com/logview/?h=https%3A%2F%2Fsvc.example.com%2Fapi&i=" + a + "&p=p_sales"
	want := []string{
		fmt.Sprintf("103 ODPS-0130071 %s p_sales %q \"\" ODPS-0130071 first", a, logView),
		fmt.Sprintf("104 ODPS-0420095 %s p_ops \"\" \"6741C3A2B8F0E1D2C3B4A596\" ODPS-0420095 first", b),
		fmt.Sprintf("105 ODPS-0130071 %s p_sales %q \"\" ODPS-0130071 repeat", a, logView),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	want2 := `
# HELP odpswatch_failures_total Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.
# TYPE odpswatch_failures_total counter
odpswatch_failures_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="pipeline"} 1
odpswatch_failures_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="pipeline"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want2), "odpswatch_failures_total"); err != nil {
		t.Error(err)
	}
}

func TestMain(m *testing.M) {
	// The schema is read relative to the package's directory.
	if _, err := os.Stat("../../docs/event-v2.schema.json"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
