package kafkasource

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// One of two partitions gets messages, the other stays empty: the member is
// caught up once the messages are done, so the catch-up commit goes out
// well within the (1 h) interval. (Found by review: an empty long poll ends
// in kafka-go's RequestTimedOut, which was not taken as the end.)
func TestCatchUpCommitWithAnIdlePartition(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(2, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	msgs := p.produce("logs", 0, "a ODPS-0123105:x", "b", "c", "d", "e")
	opts := e.options("kafka-a", "g", "logs")
	opts.CommitInterval = time.Hour
	col := newCollector(nil)
	a := e.start(opts, col)
	a.waitAssigned(2)
	waitFor(t, col, "the messages", func() bool { return hasAll(col.received(), msgs) })
	waitCommitted(t, c, "g", "logs", []int64{5, 0})
}

// Both partitions get messages; one partition's batch is done after
// several empty long polls of both.
func TestCatchUpCommitAfterASlowBatch(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(2, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	msgs := p.produceN("logs", 2, 5, "m")
	opts := e.options("kafka-a", "g", "logs")
	opts.CommitInterval = time.Hour
	isP1 := func(b *pipeline.Batch) bool { return part(b) == 1 }
	col := newCollector(isP1)
	a := e.start(opts, col)
	a.waitAssigned(2)
	waitFor(t, col, "the messages", func() bool { return hasAll(col.received(), msgs) })
	// The pipeline is slow with partition 1's batch: empty polls go on.
	looked := a.src.idleChecks.Load()
	waitFor(t, nil, "empty polls while a batch is in flight", func() bool { return a.src.idleChecks.Load() >= looked+4 })
	col.release(isP1)
	waitCommitted(t, c, "g", "logs", []int64{5, 5})
}
