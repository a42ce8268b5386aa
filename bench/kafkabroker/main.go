// Command kafkabroker runs a Kafka-protocol broker on 127.0.0.1 loaded with
// log messages, for bench/kafka.sh; `kafkabroker wait` watches odpswatch
// consume them.
//
// kafkabroker [flags] promises:
//
//   - one broker, github.com/twmb/franz-go/pkg/kfake, in this process,
//     listening on 127.0.0.1 only (on -port, or a port the kernel picks);
//     it keeps everything in memory and speaks the real wire protocol,
//     consumer groups and commits included;
//   - one topic (-topic) of -partitions partitions, loaded before it says
//     it is ready with -messages messages of exactly -bytes bytes each,
//     message i on partition i mod -partitions: one in -code-every carries
//     one documented ODPS error code in a real log line, the others are
//     ordinary log lines with no "ODPS-" at all. The same flags always load
//     the same bytes (see messages.go);
//   - once loaded, and the end offsets checked to add up to -messages, one
//     line on stdout, key=value pairs:
//     ready addr=127.0.0.1:PORT topic=T partitions=P messages=N bytes=B code_messages=C load_seconds=S
//   - then it serves until SIGTERM or SIGINT, and exits 0. It exits 1 when
//     the broker cannot start or loading fails, 2 on a bad flag, with a
//     message on stderr.
//
// `kafkabroker wait` is described in wait.go.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// minMessageBytes is the smallest message size: every code line keeps its
// code whole when cut to it.
const minMessageBytes = 100

var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// base is the timestamp of the first message.
var base = time.Date(2026, 11, 20, 10, 1, 2, 0, time.UTC)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		os.Exit(wait(os.Args[2:]))
	}
	os.Exit(serve(os.Args[1:]))
}

type loadOptions struct {
	topic                             string
	partitions, messages, size, every int
	batchBytes                        int
	linger                            time.Duration
}

func serve(args []string) int {
	var o loadOptions
	fs := flag.NewFlagSet("kafkabroker", flag.ContinueOnError)
	port := fs.Int("port", 0, "TCP port to listen on, on 127.0.0.1 (0: one the kernel picks; the ready line gives it)")
	fs.StringVar(&o.topic, "topic", "odps-logs", "topic to create and load")
	fs.IntVar(&o.partitions, "partitions", 12, "partitions of the topic, 1 to 1000")
	fs.IntVar(&o.messages, "messages", 5_000_000, "messages to load, 1 to 100000000")
	fs.IntVar(&o.size, "bytes", 130, fmt.Sprintf("bytes of every message, %d to 1048576", minMessageBytes))
	fs.IntVar(&o.every, "code-every", 100, "one message in this many carries a code (100: 1 %), 1 to 1000000")
	fs.IntVar(&o.batchBytes, "batch-bytes", 1_000_000, "most bytes of one produced record batch, 1024 to 16777216 (1000000 is librdkafka's and kgo's default)")
	fs.DurationVar(&o.linger, "linger", 10*time.Millisecond, "how long a partition's batch waits to fill before it is produced, 0 to 10s")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *port < 0 || *port > 65535:
		return usage("-port %d: want 0 to 65535", *port)
	case !topicName.MatchString(o.topic) || o.topic == "." || o.topic == "..":
		return usage("-topic %q: want 1 to 249 letters, digits, ., _ or -, but not . or ..", o.topic)
	case o.partitions < 1 || o.partitions > 1000:
		return usage("-partitions %d: want 1 to 1000", o.partitions)
	case o.messages < 1 || o.messages > 100_000_000:
		return usage("-messages %d: want 1 to 100000000", o.messages)
	case o.size < minMessageBytes || o.size > 1<<20:
		return usage("-bytes %d: want %d to 1048576", o.size, minMessageBytes)
	case int64(o.messages)*int64(o.size) > 8<<30:
		return usage("-messages %d × -bytes %d is more than 8 GiB, which the broker would hold in memory", o.messages, o.size)
	case o.every < 1 || o.every > 1_000_000:
		return usage("-code-every %d: want 1 to 1000000", o.every)
	case o.batchBytes < 1024 || o.batchBytes > 16<<20:
		return usage("-batch-bytes %d: want 1024 to 16777216", o.batchBytes)
	case o.batchBytes < o.size+100:
		return usage("-batch-bytes %d: want room for one message of -bytes %d and its batch header", o.batchBytes, o.size)
	case o.linger < 0 || o.linger > 10*time.Second:
		return usage("-linger %v: want 0 to 10s", o.linger)
	}

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(*port), kfake.SeedTopics(int32(o.partitions), o.topic))
	if err != nil {
		return fail("cannot start the broker: %v", err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	start := time.Now()
	bytes, codes, err := load(ctx, addr, o)
	if err != nil {
		return fail("loading %s: %v", o.topic, err)
	}
	// The producer's garbage goes back to the system: the broker's RSS is
	// then mostly the log it holds.
	debug.FreeOSMemory()
	fmt.Printf("ready addr=%s topic=%s partitions=%d messages=%d bytes=%d code_messages=%d load_seconds=%.3f\n",
		addr, o.topic, o.partitions, o.messages, bytes, codes, time.Since(start).Seconds())
	<-ctx.Done()
	return 0
}

// load produces the messages with kgo and checks the topic's end offsets.
//
// How it produces, and why: no compression, so that what readers are
// measured on is reading and scanning, not decompressing; record batches of
// up to -batch-bytes (1 MB by default, librdkafka's batch.size, which
// Fluent Bit and Vector use) with a short linger, so that batches are full
// as a busy shipper's are; leader acks and no idempotence, the broker being
// in this process. Enough records are buffered to fill a batch on every
// partition at once.
func load(ctx context.Context, addr string, o loadOptions) (bytes int64, codes int, err error) {
	perBatch := o.batchBytes / (o.size + 8)
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(int32(o.batchBytes)),
		kgo.ProducerLinger(o.linger),
		kgo.MaxBufferedRecords(2*o.partitions*perBatch+10_000),
		kgo.RequiredAcks(kgo.LeaderAck()),
		kgo.DisableIdempotentWrite(),
	)
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()

	var (
		mu       sync.Mutex
		firstErr error
	)
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	// Values are cut from slabs: kgo keeps a record's value until its
	// batch is written.
	const slabMessages = 4096
	var slab []byte
	for i := range o.messages {
		if i%slabMessages == 0 {
			slab = make([]byte, 0, slabMessages*o.size)
			if ctx.Err() != nil {
				return 0, 0, ctx.Err()
			}
		}
		n := len(slab)
		slab = message(slab, i, o.size, o.every, base)
		r := &kgo.Record{Topic: o.topic, Partition: int32(i % o.partitions), Value: slab[n:len(slab):len(slab)]}
		cl.Produce(ctx, r, promise)
		bytes += int64(o.size)
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, 0, err
	}
	// Flush has returned every promise, but the lock says so to the race
	// detector and the reader alike.
	mu.Lock()
	prodErr := firstErr
	mu.Unlock()
	if prodErr != nil {
		return 0, 0, prodErr
	}
	ends, err := endOffsets(ctx, cl, o.topic)
	if err != nil {
		return 0, 0, err
	}
	var total int64
	for _, e := range ends {
		total += e
	}
	if len(ends) != o.partitions || total != int64(o.messages) {
		return 0, 0, fmt.Errorf("the topic holds %d messages in %d partitions after loading, want %d in %d",
			total, len(ends), o.messages, o.partitions)
	}
	return bytes, codeMessages(o.messages, o.every), nil
}

// endOffsets returns the end offset (high watermark) of every partition of
// topic.
func endOffsets(ctx context.Context, cl *kgo.Client, topic string) (map[int32]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if len(mresp.Topics) != 1 {
		return nil, fmt.Errorf("metadata: topic %s not in the answer", topic)
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		return nil, fmt.Errorf("metadata: topic %s: %w", topic, err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p.Partition
		rp.Timestamp = -1 // the end
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	out := make(map[int32]int64)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("list offsets: partition %d: %w", p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	return out, nil
}

func usage(format string, a ...any) int {
	fmt.Fprintf(os.Stderr, "kafkabroker: "+format+"\n", a...)
	return 2
}

func fail(format string, a ...any) int {
	fmt.Fprintf(os.Stderr, "kafkabroker: "+format+"\n", a...)
	return 1
}
