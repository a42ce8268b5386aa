package kafkasource

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// Issue 17: 10 MB messages with the pipeline held up reached 407 MB. With
// 8 MiB messages, a backlog of 12 of them (96 MiB) and a pipeline that
// takes batches but is not done with them, the source keeps at most
// MaxBytesInFlight of them and reads no further ahead than the message it
// waits with, whatever the backlog; once the pipeline goes on, every
// message is counted and committed.
//
// The backlog is half as large again as the bound, which a source that
// read the backlog ahead (the kafka-go Reader's queue of 32 messages held
// all of it) goes past, and no larger: under the race detector each MiB
// copied costs, and 24 messages took 10 s of the wait's 20 on a loaded
// machine.
func TestLargeMessagesMemoryIsBounded(t *testing.T) {
	const size, n = 8 << 20, 12
	c := newCluster(t, kfake.SeedTopics(1, "big"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(16 << 20)}))
	e := newEnv(t, c)
	value := bytes.Repeat([]byte("x"), size)
	copy(value, "ODPS-0123105:Job got killed ")
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(16<<20), kgo.ProducerLinger(0), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "big", Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	value = nil

	out := make(chan *pipeline.Batch, 1)
	opts := e.options("kafka-a", "g", "big")
	opts.MaxMessageBytes = 16 << 20 // kept whole
	opts.MaxBytesInFlight = 16 << 20
	src, err := New(opts, out)
	if err != nil {
		t.Fatal(err)
	}
	fast(src)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// The held-up pipeline: it takes batches and is not done with them
	// until release is closed.
	var (
		mu       sync.Mutex
		held     []*pipeline.Batch
		received int
	)
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			select {
			case b := <-out:
				mu.Lock()
				received += len(b.Messages)
				select {
				case <-release:
					mu.Unlock()
					b.Done()
					continue
				default:
				}
				held = append(held, b)
				mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()

	// Held up: the partition waits on the budget, in the middle of a
	// fetch.
	waitFor(t, nil, "the partition waiting on the budget", func() bool {
		if counter(t, e.metrics.budgetWaits.WithLabelValues("kafka-a")) < 1 {
			return false
		}
		src.mu.Lock()
		defer src.mu.Unlock()
		if src.cur == nil {
			return false
		}
		for _, p := range src.cur.parts {
			p.mu.Lock()
			waiting := p.sending
			p.mu.Unlock()
			if !waiting {
				return false
			}
		}
		return true
	})
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// What the source keeps, the message it holds waiting, and the
	// fetch's buffers (one message); with 24 MiB of slack for a batch's
	// buffer, which grows past the message it holds, and the runtime. (The
	// kafka-go Reader's queue of 32 messages once held the whole backlog.)
	bound := int64(opts.MaxBytesInFlight) + 3*size + 24<<20
	t.Logf("heap grew by %d MiB with a backlog of %d MiB; bound %d MiB", grew>>20, n*size>>20, bound>>20)
	if grew > bound {
		t.Errorf("the heap grew by %d MiB, more than the bound of %d MiB (a backlog of %d MiB)", grew>>20, bound>>20, n*size>>20)
	}
	if inFlight := src.budget.inUse(); inFlight > int64(opts.MaxBytesInFlight) {
		t.Errorf("%d bytes in flight, more than max_bytes_in_flight %d", inFlight, opts.MaxBytesInFlight)
	}
	mu.Lock()
	if received >= n/2 {
		t.Errorf("%d messages handed to a held-up pipeline", received)
	}
	// The pipeline goes on: every message is counted and committed.
	close(release)
	for _, b := range held {
		b.Done()
	}
	mu.Unlock()
	waitCommitted(t, c, "g", "big", []int64{n})
	mu.Lock()
	if received < n {
		t.Errorf("%d messages received, want %d", received, n)
	}
	mu.Unlock()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
