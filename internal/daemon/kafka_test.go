package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/odpswatch/odpswatch/internal/sink"
	"github.com/odpswatch/odpswatch/internal/status"
)

// TestKafkaSourceToKafkaEvents runs the daemon between two topics of a real
// Kafka-protocol broker on 127.0.0.1: log lines produced to "logs" are
// counted, and each code comes out as an event on "odps-events" naming the
// message it was read from; a file source's codes come out too, with their
// file and offset.
func TestKafkaSourceToKafkaEvents(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "logs"), kfake.SeedTopics(1, "odps-events"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	broker := c.ListenAddrs()[0]

	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "start\nODPS-0130071:[1,8] Semantic analysis exception - col\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, fmt.Sprintf(`sources:
%s  - name: stream
    type: kafka
    brokers: [%q]
    topics: [logs]
    group_id: odpswatch-test
    start_at: earliest
sinks:
  kafka:
    brokers: [%q]
    topic: odps-events
alerts:
  evaluation_interval: 1s
  rules:
    - name: KafkaTestSpike
      count: prints # the lines name no job: by failures they are one a partition
      window: 10s
      min_count: 5
      resolve_after: 10s
`, sourceYAML("jobs", filepath.Join(dir, "*.log")), broker, broker))

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.DefaultProduceTopic("logs"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 30 {
		v := fmt.Sprintf("2026-11-27 job %d ok", i)
		if i%3 == 0 {
			v = fmt.Sprintf("FAILED: ODPS-0420095: Access Denied - job %d", i)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	td := startDaemon(t, cfgPath, filepath.Join(dir, "state"))
	td.waitMetric(`odpswatch_errors_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="stream"}`, 10)
	td.waitMetric(`odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"}`, 1)

	out, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics("odps-events"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var fromKafka, fromFile, alerts int
	for fromKafka+fromFile < 11 || alerts == 0 {
		fs := out.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%d events from Kafka and %d from the file, want 10 and 1; %d alerts, want 1", fromKafka, fromFile, alerts)
		}
		fs.EachRecord(func(r *kgo.Record) {
			var kind struct{ Schema string }
			json.Unmarshal(r.Value, &kind)
			if kind.Schema == sink.AlertSchema {
				// The spike of Access Denied in source stream: an alert is
				// an event too.
				var a sink.KafkaAlert
				if err := json.Unmarshal(r.Value, &a); err != nil {
					t.Fatal(err)
				}
				if a.Labels["alertname"] != "KafkaTestSpike" || a.Labels["source"] != "stream" || a.Status != "firing" || a.Count != 10 {
					t.Errorf("alert %+v", a)
				}
				alerts++
				return
			}
			var e sink.Event
			if err := json.Unmarshal(r.Value, &e); err != nil {
				t.Fatal(err)
			}
			switch e.Source {
			case "stream":
				fromKafka++
				if e.Origin.Topic != "logs" || e.Code != "ODPS-0420095" || e.Severity != 5 || e.Title != "Access Denied" {
					t.Errorf("event %+v", e)
				}
			case "jobs":
				fromFile++
				if e.Origin.File != jobLog || e.Origin.Offset != int64(len("start\n")) || e.Code != "ODPS-0130071" {
					t.Errorf("event %+v", e)
				}
			}
		})
	}
	// The detector's bound is exported per rule (-1: no such series).
	if n := td.metric(`odpswatch_alert_observations_dropped_total{rule="KafkaTestSpike"}`); n != 0 {
		t.Errorf("odpswatch_alert_observations_dropped_total = %v, want 0", n)
	}
	if fromKafka != 10 || fromFile != 1 {
		t.Errorf("%d events from Kafka and %d from the file, want 10 and 1", fromKafka, fromFile)
	}
	// The status page's JSON lists the partitions with their lag (as of
	// the last update: every 15 s).
	var doc status.Document
	td.waitFor("the status to list the 3 partitions", func() bool {
		_, body := td.get("/api/v1/status")
		doc = status.Document{}
		json.Unmarshal([]byte(body), &doc)
		for _, s := range doc.Sources {
			if s.Name == "stream" && len(s.Partitions) == 3 && s.Partitions[0].Topic == "logs" && s.Type == "kafka" {
				return true
			}
		}
		return false
	})
	if err := td.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
