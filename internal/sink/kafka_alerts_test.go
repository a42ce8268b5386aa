package sink

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

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

// TestKafkaAlertsAreNotSentTwice: an alert the event sink has taken is its
// to retry; a Send that ran out of time fails for good rather than have the
// delivery publish it again. One the sink dropped fails too, not counted
// as sent.
func TestKafkaAlertsAreNotSentTwice(t *testing.T) {
	c := newKafkaCluster(t)
	down := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: kafkaTestTopic, Err: kerr.NotEnoughReplicas, Count: -1})
	k, _ := newKafkaSink(t, c.ListenAddrs(), nil)
	runKafka(t, k)
	s := NewKafkaAlerts(k, "job-host-1")
	ctx, cancel := context.WithCancel(context.Background())
	wctx, wcancel := context.WithTimeout(context.Background(), kafkaTestWait)
	defer wcancel()
	go func() {
		// Let the attempt fail once at the broker, then end Send's time.
		down.Wait(wctx, 1)
		cancel()
	}()
	err := s.Send(ctx, []*alert.Alert{testAlert(false)})
	if !errors.Is(err, ErrPermanent) {
		t.Fatalf("Send with the output down: %v, want a permanent failure", err)
	}
	down.Remove()
	recs := consumeKafka(t, c.ListenAddrs(), kafkaTestTopic, 1)
	if len(recs) != 1 {
		t.Errorf("%d records of the alert, want 1", len(recs))
	}

	full, _ := newKafkaSink(t, c.ListenAddrs(), func(o *KafkaEventsOptions) { o.BufferEvents, o.DropWhenFull = 1, true })
	// Not run: nothing leaves its buffer, so the second alert is dropped.
	err = NewKafkaAlerts(full, "job-host-1").Send(context.Background(), []*alert.Alert{testAlert(false), testAlert(true)})
	if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "dropped") {
		t.Errorf("Send into a full buffer that drops: %v, want a permanent failure saying dropped", err)
	}
}
