package sink

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/alert"
)

// TestKafkaAlerts sends a firing and a resolved alert through the event
// sink to a real Kafka-protocol broker and reads them back.
func TestKafkaAlerts(t *testing.T) {
	c := newKafkaCluster(t)
	k, _ := newKafkaSink(t, c.ListenAddrs(), nil)
	runKafka(t, k)
	s := NewKafkaAlerts(k, "job-host-1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Send(ctx, []*alert.Alert{testAlert(false), testAlert(true)}); err != nil {
		t.Fatal(err)
	}
	recs := consumeKafka(t, c.ListenAddrs(), kafkaTestTopic, 2)
	var statuses []string
	for _, r := range recs {
		var a KafkaAlert
		if err := json.Unmarshal(r.Value, &a); err != nil {
			t.Fatal(err)
		}
		if a.Schema != AlertSchema || a.Host != "job-host-1" || a.Labels["code"] != "ODPS-0420095" || a.Count != 32 {
			t.Errorf("alert %+v", a)
		}
		if string(r.Key) != testAlert(false).Fingerprint() {
			t.Errorf("key %q", r.Key)
		}
		statuses = append(statuses, a.Status)
	}
	if len(statuses) != 2 || statuses[0] == statuses[1] {
		t.Errorf("statuses %v, want one firing and one resolved", statuses)
	}
}
