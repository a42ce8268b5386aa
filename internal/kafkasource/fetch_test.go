package kafkasource

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Messages the broker deleted (retention) after the group's last commit,
// before the source read them, cannot be read: the fetch at the committed
// offset is out of range. Reading goes on from the partition's first
// offset, and the messages skipped are logged and counted.
func TestDeletedMessagesAreSkipped(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(1, "logs"))
	e := newEnv(t, c)
	all := newProducer(t, c).produceN("logs", 1, 10, "m")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	// The group had read 2 messages when the broker deleted the first 5.
	kc := &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...), Timeout: 5 * time.Second}
	resp, err := kc.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "g", GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{"logs": {{Partition: 0, Offset: 2}}}})
	if err != nil {
		t.Fatalf("OffsetCommit: %v", err)
	}
	if err := resp.Topics["logs"][0].Error; err != nil {
		t.Fatalf("OffsetCommit: %v", err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	del := kmsg.NewPtrDeleteRecordsRequest()
	dt := kmsg.NewDeleteRecordsRequestTopic()
	dt.Topic = "logs"
	dp := kmsg.NewDeleteRecordsRequestTopicPartition()
	dp.Partition, dp.Offset = 0, 5
	dt.Partitions = append(dt.Partitions, dp)
	del.Topics = append(del.Topics, dt)
	dresp, err := del.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("DeleteRecords: %v", err)
	}
	if code := dresp.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Fatalf("DeleteRecords: error code %d", code)
	}
	if got := committed(t, c, "g", "logs", 1); got[0] != 2 {
		t.Fatalf("committed %v before the source started, want [2]", got)
	}

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", e.logs.String())
		}
	})
	col := newCollector(nil)
	r := e.start(e.options("kafka-a", "g", "logs"), col)
	waitFor(t, col, "the messages left", func() bool { return hasAll(col.received(), all[5:]) })
	waitCommitted(t, c, "g", "logs", []int64{10})
	r.stop()
	checkAll(t, col.received(), all[5:])
	if n := counter(t, e.metrics.skipped.WithLabelValues("kafka-a")); n != 3 {
		t.Errorf("odpswatch_kafka_messages_skipped_total = %v, want 3 (offsets 2 to 4)", n)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "deleted before they were read") || !strings.Contains(logs, "skipped=3") {
		t.Errorf("the skip is not logged with its count:\n%s", logs)
	}
}
