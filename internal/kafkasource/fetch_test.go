package kafkasource

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/pipeline"
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
	// The group had read 2 messages when the broker deleted the first 5.
	c, e, _, all := deletedBeforeRead(t, 5)
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

// Found by review: messages deleted before they were read are skipped
// once. Reading goes on from the first offset on any new connection, the
// commit moves there although no batch was sent, and the partition, with
// nothing left to read, is not taken for stalled.
func TestAllDeletedMessagesAreSkippedOnce(t *testing.T) {
	c, e, p, _ := deletedBeforeRead(t, 10)
	col := newCollector(nil)
	r := e.start(e.options("kafka-a", "g", "logs"), col)
	waitCommitted(t, c, "g", "logs", []int64{10})
	// A new connection, as after a stall: it starts where reading is.
	r.src.mu.Lock()
	for _, part := range r.src.cur.parts {
		part.mu.Lock()
		part.restart()
		part.mu.Unlock()
	}
	r.src.mu.Unlock()
	after := p.produce("logs", 0, "after the restart ODPS-0123105:Job got killed")
	waitFor(t, col, "the message produced after the new connection", func() bool { return hasAll(col.received(), after) })
	r.stop()
	if n := counter(t, e.metrics.skipped.WithLabelValues("kafka-a")); n != 8 {
		t.Errorf("odpswatch_kafka_messages_skipped_total = %v, want 8 (offsets 2 to 9, once)", n)
	}
	if n := strings.Count(e.logs.String(), "deleted before they were read"); n != 1 {
		t.Errorf("the skip is logged %d times, want once", n)
	}
	if n := counter(t, e.metrics.restarts.WithLabelValues("kafka-a")); n != 0 {
		t.Errorf("%v stall restarts of a partition with nothing to read", n)
	}
}

// Found by review: a partition that waits on max_bytes_in_flight in the
// middle of a fetch, longer than a fetch may take, reads the rest of it
// when it goes on: the fetch gets a new deadline after the wait (the wait
// once ended in an i/o timeout, a reconnection and the fetch again).
func TestBudgetWaitIsNotAFetchTimeout(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(1, "logs"))
	e := newEnv(t, c)
	// 24 messages of 6000 random letters, each produced alone: each is a
	// record batch of its own, compressed (kgo's default) but not much,
	// so that kafka-go reads the rest of the fetch from the connection
	// after the wait. The budget holds two.
	rng := rand.New(rand.NewPCG(5, 6))
	p := newProducer(t, c)
	var want []rec
	for i := range 24 {
		b := make([]byte, 6000)
		for j := range b {
			b[j] = byte('a' + rng.IntN(26))
		}
		want = append(want, p.produce("logs", 0, fmt.Sprintf("m%d %s", i, b))...)
	}
	col := newCollector(func(*pipeline.Batch) bool { return true }) // held until released
	opts := e.options("kafka-a", "g", "logs")
	opts.BatchMessages = 2
	opts.MaxBytesInFlight = 2 * 6010
	opts.StallTimeout = time.Minute
	src, err := New(opts, col.in)
	if err != nil {
		t.Fatal(err)
	}
	fast(src)
	var conn atomic.Pointer[kafka.Conn]
	src.connected = func(c *kafka.Conn) { conn.Store(c) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go col.run(ctx)
	done := make(chan struct{})
	go func() {
		src.Run(ctx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, col, "the partition waiting on the budget", func() bool {
		return counter(t, e.metrics.budgetWaits.WithLabelValues("kafka-a")) >= 1 && len(col.heldBatches()) >= 1
	})
	// The pipeline is held up longer than a fetch may take: the deadline
	// the fetch had passes (made to, rather than waited for).
	conn.Load().SetReadDeadline(time.Now())
	col.release(func(*pipeline.Batch) bool { return true })
	waitFor(t, col, "every message", func() bool {
		col.release(func(*pipeline.Batch) bool { return true })
		return hasAll(col.received(), want)
	})
	if n := counter(t, e.metrics.errors.WithLabelValues("kafka-a", "fetch")); n != 0 {
		t.Errorf("%v fetch errors after a wait on the budget; logs:\n%s", n, e.logs.String())
	}

}

// deletedBeforeRead makes a broker whose topic "logs" (one partition)
// held 10 messages, of which group "g" committed 2 before the broker
// deleted those before offset deleted; the environment's logs are shown
// if the test fails.
func deletedBeforeRead(t *testing.T, deleted int64) (*kfake.Cluster, *env, *producer, []rec) {
	t.Helper()
	c := newCluster(t, kfake.SeedTopics(1, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	all := p.produceN("logs", 1, 10, "m")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	commitOffset(ctx, t, c, "g", "logs", 2)
	deleteRecordsBefore(ctx, t, c, "logs", deleted)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", e.logs.String())
		}
	})
	return c, e, p, all
}

// commitOffset commits offset for partition 0 of topic in group, as a
// consumer outside any generation.
func commitOffset(ctx context.Context, t *testing.T, c *kfake.Cluster, group, topic string, offset int64) {
	t.Helper()
	kc := &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...), Timeout: 5 * time.Second}
	resp, err := kc.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: offset}}}})
	if err != nil {
		t.Fatalf("OffsetCommit: %v", err)
	}
	if err := resp.Topics[topic][0].Error; err != nil {
		t.Fatalf("OffsetCommit: %v", err)
	}
	if got := committed(t, c, group, topic, 1); got[0] != offset {
		t.Fatalf("committed %v, want [%d]", got, offset)
	}
}

// deleteRecordsBefore has the broker delete partition 0 of topic before
// offset, as retention does.
func deleteRecordsBefore(ctx context.Context, t *testing.T, c *kfake.Cluster, topic string, offset int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = 0, offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("DeleteRecords: %v", err)
	}
	if code := resp.Topics[0].Partitions[0].ErrorCode; code != 0 {
		t.Fatalf("DeleteRecords: error code %d", code)
	}
}
