package pipeline

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/kafkaclient"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// TestBatchDoneOnlyAfterEventsDelivered runs the pipeline with the real
// Kafka event sink against a real Kafka-protocol broker on 127.0.0.1: while
// the broker refuses writes, the batch is counted but not done (its source
// position must not move); once it accepts them, the events arrive with
// their origins, and only then is the batch done.
func TestBatchDoneOnlyAfterEventsDelivered(t *testing.T) {
	c := eventsCluster(t)
	down := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "odps-events", Err: kerr.NotEnoughReplicas, Count: -1})
	events := runEventSink(t, c)

	p, _ := newPipeline(t, 2, 4)
	p.opts.Events, p.opts.Host = events, "job-host-1"
	p.Start()
	var done atomic.Bool
	doneCh := make(chan struct{})
	data := "start\nFAILED: ODPS-0420095: Access Denied - no privilege\nok\nODPS-0130071:[1,8] Semantic analysis exception - col\n"
	p.Input() <- &Batch{Source: "jobs", Origin: "/var/log/odps/job.log", Offset: 1000, Data: []byte(data),
		Done: func() { done.Store(true); close(doneCh) }}

	if err := down.Wait(context.Background(), 2); err != nil {
		t.Fatalf("the broker saw no produce request: %v", err)
	}
	if done.Load() {
		t.Fatal("the batch was done while its events could not be written")
	}
	down.Remove()
	select {
	case <-doneCh:
	case <-time.After(30 * time.Second):
		t.Fatal("the batch was not done after the broker came back")
	}
	p.Close()

	var got []sink.Event
	for _, r := range consume(t, c, "odps-events", 2) {
		var e sink.Event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != e.Code {
			t.Errorf("key %q, want the code %s", r.Key, e.Code)
		}
		got = append(got, e)
	}
	want := map[string]sink.Event{
		"ODPS-0420095": {Schema: sink.EventSchema, Host: "job-host-1", Source: "jobs", Origin: sink.Origin{File: "/var/log/odps/job.log", Offset: 1000 + int64(strings.Index(data, "FAILED"))},
			Code: "ODPS-0420095", Family: "api", Module: "worker", Severity: 5, Title: "Access Denied",
			General: "Access Denied", Context: "no privilege", Line: "FAILED: ODPS-0420095: Access Denied - no privilege",
			RootCause: "ODPS-0420095", Failure: sink.FailureFirst},
		"ODPS-0130071": {Schema: sink.EventSchema, Host: "job-host-1", Source: "jobs", Origin: sink.Origin{File: "/var/log/odps/job.log", Offset: 1000 + int64(strings.Index(data, "ODPS-0130071"))},
			Code: "ODPS-0130071", Family: "sql", Module: "parser", Severity: 1, Title: "Semantic analysis exception",
			General: "Semantic analysis exception", Context: "col", Line: "ODPS-0130071:[1,8] Semantic analysis exception - col",
			// No new log record (no timestamp) and no instance: the same
			// failure, which the second code joins.
			RootCause: "ODPS-0420095", Failure: sink.FailureFirst},
	}
	for _, e := range got {
		w, ok := want[e.Code]
		e.Time = time.Time{}
		if !ok || e != w {
			t.Errorf("event\n got %+v\nwant %+v", e, w)
		}
	}
}

// TestKafkaOrigins: events from a batch of Kafka messages name the message
// that held their line.
func TestKafkaOrigins(t *testing.T) {
	data := []byte("a\nODPS-0130071\nb ODPS-0420095\nODPS-0123105\n")
	b := &Batch{Data: data, Messages: []Message{
		{Start: 0, Topic: "logs", Partition: 3, Offset: 100},
		{Start: 15, Topic: "logs", Partition: 3, Offset: 101},
		{Start: 30, Topic: "logs", Partition: 3, Offset: 102},
	}}
	w := batchWork{p: &Pipeline{}}
	w.matches = w.p.opts.Scanner.Scan(nil, data)
	var offsets []int64
	for _, m := range w.matches {
		offsets = append(offsets, origin(b, m).Offset)
	}
	if len(offsets) != 3 || offsets[0] != 100 || offsets[1] != 101 || offsets[2] != 102 {
		t.Errorf("origins %v, want [100 101 102]", offsets)
	}
}

// LogView tokens planted on the lines of codes, in the shapes logs print
// them, reach neither the Kafka events (line, general, context) on a real
// broker nor the alerts the real detector builds from its samples; the
// events still say a token was there.
func TestEventsAndAlertSamplesCarryNoToken(t *testing.T) {
	const secret = "c2VjcmV0LWxvZ3ZpZXctdG9rZW4tMTIz"
	c := eventsCluster(t)
	events := runEventSink(t, c)

	p, _ := newPipeline(t, 1, 4)
	// One group for every code, so that the alert carries a sample of
	// each line (the detector keeps three a group).
	det := alert.NewDetector(alert.Rule{Name: "r", Window: time.Minute, MinCount: 1, Factor: 1, BaselineWeight: 0.5, BaselineFloor: 0.1, ByCode: true})
	t0 := time.Unix(1800000000, 0)
	p.opts.Events = events
	p.opts.Observe = func(o alert.Observation) { det.Add(t0, o) }
	p.Start()
	data := "FAILED: ODPS-0420095: Access Denied - see https://logview.example.com/?p=p_beta&token=" + secret + "&i=1\n" +
		`{"msg":"ODPS-0130071:[1,8] Semantic analysis exception - ?p=x\u0026token=` + secret + `\u0026i=2"}` + "\n" +
		`{"level":"error","msg":"FAILED: ODPS-0123031: Partition exception - body={\"token\":\"` + secret + `\"}"}` + "\n" +
		`ERROR ODPS-0130161:[1,8] Parse exception - params {'token': '` + secret + `'}` + "\n"
	done := make(chan struct{})
	p.Input() <- &Batch{Source: "jobs", Origin: "/var/log/odps/job.log", Data: []byte(data), Done: func() { close(done) }}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the batch was not done")
	}
	p.Close()

	var raw []string
	for _, r := range consume(t, c, "odps-events", 4) {
		raw = append(raw, string(r.Value))
	}
	changed, firing := det.Tick(t0.Add(2 * time.Minute))
	all := append(changed, firing...)
	alerts, _ := json.Marshal(all)
	var samples int
	for _, a := range all {
		for k, v := range a.Annotations {
			if strings.HasPrefix(k, "sample_") && strings.Contains(v, "REDACTED") {
				samples++
			}
		}
	}
	if samples != 4 {
		t.Errorf("%d alert samples showing a redacted token, want one for each of the 4 lines: %s", samples, alerts)
	}
	for _, s := range append(raw, string(alerts)) {
		if strings.Contains(s, secret) {
			t.Errorf("a token left the pipeline: %s", s)
		}
	}
	for _, r := range raw {
		var e sink.Event
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.Line, "REDACTED") {
			t.Errorf("event line %q, want the token shown as redacted", e.Line)
		}
	}
}

// consume reads n records of topic from the start, with a deadline.
func consume(t *testing.T, c *kfake.Cluster, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []*kgo.Record
	deadline, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	for len(got) < n {
		fs := cl.PollFetches(deadline)
		if deadline.Err() != nil {
			t.Fatalf("got %d records of %s, want %d", len(got), topic, n)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, r) })
	}
	return got
}

// eventsCluster is a Kafka-protocol broker on loopback with the topic
// odps-events, closed when the test ends.
func eventsCluster(t *testing.T) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "odps-events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// runEventSink runs the real Kafka event sink on c's odps-events until the
// test ends (before c closes: cleanups run last first).
func runEventSink(t *testing.T, c *kfake.Cluster) *sink.KafkaEvents {
	t.Helper()
	events, err := sink.NewKafkaEvents(sink.KafkaEventsOptions{Client: kafkaclient.Settings{Brokers: c.ListenAddrs(), ClientID: "odpswatch"},
		Topic: "odps-events", KeyBy: "code", Compression: "snappy", RequiredAcks: "all", BatchSize: 1000,
		BatchTimeout: 100 * time.Millisecond, BufferEvents: 10000, WriteTimeout: 10 * time.Second, FlushTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- events.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-runDone })
	return events
}
