package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/odpswatch/odpswatch/internal/kafkaclient"
	"github.com/odpswatch/odpswatch/internal/testwait"
)

const (
	kafkaTestTopic      = "odps-events"
	kafkaTestPartitions = 3
	kafkaTestWait       = 20 * time.Second // bound of every wait on the broker
)

var kafkaTestCodes = []string{"ODPS-0130071", "ODPS-0420095", "ODPS-0010000", "ODPS-0123055"}

// kafkaTestEvent is event i: its origin offset is i, so that events can be
// told apart once consumed.
func kafkaTestEvent(i int) Event {
	return Event{
		Time:      time.Date(2026, 11, 27, 10, 1, 0, i*1000, time.UTC),
		Host:      "job-host-1",
		Source:    []string{"sql-jobs", "mr-jobs"}[i%2],
		Origin:    Origin{File: "/var/log/odps/sql-job.log", Offset: int64(i)},
		Code:      kafkaTestCodes[i%len(kafkaTestCodes)],
		Family:    "SQL",
		Module:    "semantic analysis",
		Severity:  1,
		Title:     "Semantic analysis exception",
		General:   "The statement is invalid",
		Context:   "Check the columns & tables <named> in it",
		Line:      fmt.Sprintf("2026-11-27 10:01:00 ERROR FAILED: %s:[1,8] column \"c%d\" cannot be resolved", kafkaTestCodes[i%len(kafkaTestCodes)], i),
		Instance:  fmt.Sprintf("20261127100100%03dgjob", i%1000),
		Project:   "p_sales",
		LogView:   "https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_sales&i=20261127100100000gjob",
		RequestID: "6741C3A2B8F0E1D2C3B4A596",
		RootCause: kafkaTestCodes[i%len(kafkaTestCodes)],
		Failure:   []string{FailureFirst, FailureRepeat}[i%2],
	}
}

func kafkaTestEvents(from, n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = kafkaTestEvent(from + i)
	}
	return evs
}

func newKafkaCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(kafkaTestPartitions, kafkaTestTopic)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// testOptions are the configuration's defaults (config.KafkaSink), on
// addrs and topic.
func testOptions(addrs []string, topic string) KafkaEventsOptions {
	return KafkaEventsOptions{Client: kafkaclient.Settings{Brokers: addrs, ClientID: "odpswatch"}, Topic: topic,
		KeyBy: "code", Compression: "snappy", RequiredAcks: "all", BatchSize: 1000, BatchTimeout: 100 * time.Millisecond,
		BufferEvents: 10000, WriteTimeout: 10 * time.Second, FlushTimeout: 5 * time.Second}
}

// newKafkaSink returns a sink on addrs, with short retry delays, after
// edit has changed its options.
func newKafkaSink(t testing.TB, addrs []string, edit func(*KafkaEventsOptions)) (*KafkaEvents, *KafkaEventsMetrics) {
	t.Helper()
	m, err := NewKafkaEventsMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(addrs, kafkaTestTopic)
	opts.BatchTimeout, opts.Logger, opts.Metrics = 5*time.Millisecond, quiet, m
	if edit != nil {
		edit(&opts)
	}
	k, err := NewKafkaEvents(opts)
	if err != nil {
		t.Fatal(err)
	}
	k.backoffMin, k.backoffMax = 5*time.Millisecond, 100*time.Millisecond
	return k, m
}

// runKafka runs k until the returned stop is called (or the test ends);
// stop returns Run's error.
func runKafka(t testing.TB, k *KafkaEvents) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() { res <- k.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-res:
			case <-time.After(kafkaTestWait):
				err = fmt.Errorf("Run did not return within %s of its context's end", kafkaTestWait)
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitUntil polls cond, with a deadline.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, kafkaTestWait, what, cond)
}

func waitClosed(t testing.TB, what string, ch <-chan struct{}) {
	t.Helper()
	testwait.Receive(t, kafkaTestWait, what, ch)
}

// doneOnce returns a done func that closes the returned channel, and fails
// the test if it is called twice.
func doneOnce(t testing.TB) (func(), <-chan struct{}) {
	ch := make(chan struct{})
	var n atomic.Int32
	return func() {
		if n.Add(1) > 1 {
			t.Errorf("done called twice")
			return
		}
		close(ch)
	}, ch
}

// consumeKafka reads the topic from its start until it has at least want
// records and every record up to the partitions' ends.
func consumeKafka(t testing.TB, addrs []string, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), kafkaTestWait)
	defer cancel()
	var recs []*kgo.Record
	total := int64(-1)
	for total < 0 || int64(len(recs)) < total {
		if total < 0 && len(recs) >= want {
			total = endOffsets(t, ctx, cl, topic)
			continue
		}
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d records of %d (total %d): %v", len(recs), want, total, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetching %s/%d: %v", topic, p, err) })
		recs = append(recs, fs.Records()...)
	}
	return recs
}

// endOffsets sums the topic's partitions' end offsets: the records in it.
func endOffsets(t testing.TB, ctx context.Context, cl *kgo.Client, topic string) int64 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range int32(kafkaTestPartitions) {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				t.Fatalf("list offsets %s/%d: %v", topic, rp.Partition, err)
			}
			n += rp.Offset
		}
	}
	return n
}

// decodeRecords checks each record's value is an Event in JSON with the
// schema and no unknown field, and returns the events by origin offset
// with how many times each came.
func decodeRecords(t testing.TB, recs []*kgo.Record) (map[int64]Event, map[int64]int) {
	t.Helper()
	evs, seen := map[int64]Event{}, map[int64]int{}
	for _, r := range recs {
		dec := json.NewDecoder(bytes.NewReader(r.Value))
		dec.DisallowUnknownFields()
		var e Event
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("record %s/%d@%d is not an event: %v: %s", r.Topic, r.Partition, r.Offset, err, r.Value)
		}
		if e.Schema != EventSchema {
			t.Errorf("schema %q, want %q", e.Schema, EventSchema)
		}
		evs[e.Origin.Offset] = e
		seen[e.Origin.Offset]++
	}
	return evs, seen
}

// checkExactly checks the records hold events from to from+n-1, each at
// least once and nothing else, and returns the number of duplicates.
func checkExactly(t testing.TB, recs []*kgo.Record, from, n int) (dups int) {
	t.Helper()
	evs, seen := decodeRecords(t, recs)
	for i := from; i < from+n; i++ {
		if seen[int64(i)] == 0 {
			t.Errorf("event %d missing", i)
			continue
		}
		dups += seen[int64(i)] - 1
		want := kafkaTestEvent(i)
		want.Schema = EventSchema
		if got := evs[int64(i)]; !reflect.DeepEqual(got, want) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct events on the topic, want %d", len(seen), n)
	}
	return dups
}

func TestKafkaEventsDeliversOnlyAfterTheBrokerAcks(t *testing.T) {
	c := newKafkaCluster(t)
	held, release := make(chan struct{}, 1), make(chan struct{})
	var released atomic.Bool
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !released.Load() {
			select {
			case held <- struct{}{}:
			default:
			}
			c.SleepControl(func() { <-release })
		}
		return nil, nil, false // then the broker handles it
	})
	k, m := newKafkaSink(t, c.ListenAddrs(), nil)
	stop := runKafka(t, k)

	done1, ch1 := doneOnce(t)
	done2, ch2 := doneOnce(t)
	k.Publish(kafkaTestEvents(0, 5), done1)
	k.Publish(kafkaTestEvents(5, 3), done2)
	waitClosed(t, "a produce request to reach the broker", held)
	// The broker holds the produce request the sink sent: nothing may be
	// done yet (a sink that called done on sending would have by now).
	select {
	case <-ch1:
		t.Fatal("batch 1 done before the broker answered")
	case <-ch2:
		t.Fatal("batch 2 done before the broker answered")
	default:
	}
	if got := testutil.ToFloat64(m.published); got != 0 {
		t.Fatalf("published %v before the broker answered", got)
	}
	if got := testutil.ToFloat64(m.buffered); got != 8 {
		t.Fatalf("buffered %v, want 8", got)
	}
	released.Store(true)
	close(release)
	waitClosed(t, "batch 1 done", ch1)
	waitClosed(t, "batch 2 done", ch2)
	waitUntil(t, "buffer empty", func() bool { return testutil.ToFloat64(m.buffered) == 0 })
	if got := testutil.ToFloat64(m.published); got != 8 {
		t.Fatalf("published %v, want 8", got)
	}

	recs := consumeKafka(t, c.ListenAddrs(), kafkaTestTopic, 8)
	if dups := checkExactly(t, recs, 0, 8); dups != 0 {
		t.Errorf("%d duplicates without a failed write", dups)
	}
	for _, r := range recs {
		var e Event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != e.Code {
			t.Errorf("key %q, want the code %q", r.Key, e.Code)
		}
		want := kafkaTestEvent(int(e.Origin.Offset))
		want.Schema = EventSchema
		if b, _ := json.Marshal(want); !bytes.Equal(r.Value, b) {
			t.Errorf("value\n%s\nis not encoding/json's\n%s", r.Value, b)
		}
		if !r.Timestamp.Equal(e.Time.Truncate(time.Millisecond)) { // Kafka keeps milliseconds
			t.Errorf("record time %v, want the event's %v", r.Timestamp, e.Time)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestKafkaEventsCompressionsKeysAndAcks(t *testing.T) {
	cases := []struct{ compression, keyBy, acks string }{
		{"none", "code", "all"},
		{"gzip", "source", "one"},
		{"snappy", "none", "all"},
		{"lz4", "code", "one"},
		{"zstd", "source", "none"},
	}
	var topics []string
	for i := range cases {
		topics = append(topics, fmt.Sprintf("events-%d", i))
	}
	c := newKafkaCluster(t, kfake.SeedTopics(kafkaTestPartitions, topics...))
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.compression, tc.keyBy, tc.acks), func(t *testing.T) {
			k, m := newKafkaSink(t, c.ListenAddrs(), func(o *KafkaEventsOptions) {
				o.Topic, o.Compression, o.KeyBy, o.RequiredAcks = topics[i], tc.compression, tc.keyBy, tc.acks
			})
			stop := runKafka(t, k)
			done, ch := doneOnce(t)
			k.Publish(kafkaTestEvents(0, 20), done)
			waitClosed(t, "done", ch)
			if got := testutil.ToFloat64(m.published); got != 20 {
				t.Fatalf("published %v, want 20", got)
			}
			recs := consumeKafka(t, c.ListenAddrs(), topics[i], 20)
			checkExactly(t, recs, 0, 20)
			for _, r := range recs {
				var e Event
				if err := json.Unmarshal(r.Value, &e); err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"code": e.Code, "source": e.Source, "none": ""}[tc.keyBy]
				if string(r.Key) != want || tc.keyBy == "none" && r.Key != nil {
					t.Fatalf("key %q (nil %v), want %q", r.Key, r.Key == nil, want)
				}
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestKafkaEventsBackPressureWhileOutputDown fails every produce request
// for a while: Publish must block once the buffer is full, and everything
// must arrive once the broker accepts writes again.
func TestKafkaEventsBackPressureWhileOutputDown(t *testing.T) {
	c := newKafkaCluster(t)
	down := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: kafkaTestTopic, Err: kerr.NotEnoughReplicas, Count: -1})
	k, m := newKafkaSink(t, c.ListenAddrs(), func(o *KafkaEventsOptions) { o.BufferEvents, o.BatchSize = 50, 10 })
	runKafka(t, k)

	const batches, per = 12, 10
	returned := make(chan int, batches)
	var dones sync.WaitGroup
	var doneCount atomic.Int32
	dones.Add(batches)
	go func() {
		for i := range batches {
			k.Publish(kafkaTestEvents(i*per, per), func() { doneCount.Add(1); dones.Done() })
			returned <- i
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), kafkaTestWait)
	defer cancel()
	if err := down.Wait(ctx, 3); err != nil {
		t.Fatalf("produce requests failed by the broker: %d: %v", down.Hits(), err)
	}
	waitUntil(t, "the buffer to fill", func() bool { return testutil.ToFloat64(m.buffered) == 50 })
	for want := range 5 {
		select {
		case i := <-returned:
			if i != want {
				t.Fatalf("Publish %d returned, want %d", i, want)
			}
		case <-time.After(kafkaTestWait):
			t.Fatalf("Publish %d has not returned with room in the buffer", want)
		}
	}
	// The sink tries again, and fails, a few more times: the 6th Publish
	// must still be waiting for room.
	stillFull := testutil.ToFloat64(m.failures) + 3*10
	waitUntil(t, "more write failures", func() bool { return testutil.ToFloat64(m.failures) >= stillFull })
	select {
	case <-returned:
		t.Fatal("the 6th Publish returned with the buffer full and the output down")
	default:
	}
	if n := doneCount.Load(); n != 0 {
		t.Fatalf("%d batches done while every write fails", n)
	}
	if got := testutil.ToFloat64(m.failures); got < 10 {
		t.Fatalf("write failures %v, want some", got)
	}

	down.Remove()
	finished := make(chan struct{})
	go func() { dones.Wait(); close(finished) }()
	waitClosed(t, "every batch done after the output came back", finished)
	waitUntil(t, "buffer empty", func() bool { return testutil.ToFloat64(m.buffered) == 0 })
	recs := consumeKafka(t, c.ListenAddrs(), kafkaTestTopic, batches*per)
	dups := checkExactly(t, recs, 0, batches*per)
	failures := testutil.ToFloat64(m.failures)
	t.Logf("%d produce requests failed, %v event write failures, %d duplicates", down.Hits(), failures, dups)
	if float64(dups) > failures {
		t.Errorf("%d duplicates, more than the %v failed event writes", dups, failures)
	}
	if got := testutil.ToFloat64(m.published); got != float64(len(recs)) {
		t.Errorf("published %v, want the %d records on the topic", got, len(recs))
	}
}

// TestKafkaEventsBrokerRestart stops the broker, and starts it again on
// the same port and data directory.
func TestKafkaEventsBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	c1, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(kafkaTestPartitions, kafkaTestTopic), kfake.DataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	addrs := c1.ListenAddrs()
	var port int
	if _, err := fmt.Sscanf(addrs[0][strings.LastIndexByte(addrs[0], ':')+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	k, m := newKafkaSink(t, addrs, func(o *KafkaEventsOptions) {
		o.BufferEvents, o.BatchSize, o.WriteTimeout = 40, 10, 2*time.Second
	})
	runKafka(t, k)

	done, ch := doneOnce(t)
	k.Publish(kafkaTestEvents(0, 20), done)
	waitClosed(t, "the first batch done", ch)
	c1.Close()

	const batches, per = 6, 10
	returned := make(chan int, batches)
	var dones sync.WaitGroup
	dones.Add(batches)
	go func() {
		for i := range batches {
			k.Publish(kafkaTestEvents(20+i*per, per), dones.Done)
			returned <- i
		}
	}()
	waitUntil(t, "the buffer to fill", func() bool { return testutil.ToFloat64(m.buffered) == 40 })
	waitUntil(t, "write failures", func() bool { return testutil.ToFloat64(m.failures) > 0 })
	for want := range 4 {
		select {
		case i := <-returned:
			if i != want {
				t.Fatalf("Publish %d returned, want %d", i, want)
			}
		case <-time.After(kafkaTestWait):
			t.Fatalf("Publish %d has not returned with room in the buffer", want)
		}
	}
	// The sink tries again, and fails, a few more times: the 5th Publish
	// must still be waiting for room.
	stillFull := testutil.ToFloat64(m.failures) + 2*10
	waitUntil(t, "more write failures", func() bool { return testutil.ToFloat64(m.failures) >= stillFull })
	select {
	case <-returned:
		t.Fatal("the 5th Publish returned with the buffer full and the broker down")
	default:
	}

	c2, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.DataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	restarted := time.Now()
	finished := make(chan struct{})
	go func() { dones.Wait(); close(finished) }()
	waitClosed(t, "every batch done after the broker came back", finished)
	t.Logf("every batch done %s after the broker came back", time.Since(restarted).Round(time.Millisecond))
	recs := consumeKafka(t, c2.ListenAddrs(), kafkaTestTopic, 20+batches*per)
	dups := checkExactly(t, recs, 0, 20+batches*per)
	t.Logf("%v event write failures while the broker was down, %d duplicates", testutil.ToFloat64(m.failures), dups)
}

func TestKafkaEventsDropWhenFull(t *testing.T) {
	c := newKafkaCluster(t)
	down := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: kafkaTestTopic, Count: -1})
	k, m := newKafkaSink(t, c.ListenAddrs(), func(o *KafkaEventsOptions) { o.BufferEvents, o.DropWhenFull = 10, true })
	stop := runKafka(t, k)

	done1, ch1 := doneOnce(t)
	k.Publish(kafkaTestEvents(0, 10), done1)
	ctx, cancel := context.WithTimeout(context.Background(), kafkaTestWait)
	defer cancel()
	if err := down.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		done, ch := doneOnce(t)
		k.Publish(kafkaTestEvents(100+4*i, 4), done)
		select {
		case <-ch:
		default:
			t.Fatalf("dropped batch %d not done when Publish returned", i)
		}
	}
	if got := testutil.ToFloat64(m.dropped.WithLabelValues(kafkaTestTopic, KafkaDropBufferFull)); got != 12 {
		t.Fatalf("dropped %v, want 12", got)
	}
	select {
	case <-ch1:
		t.Fatal("the admitted batch done while the output is down")
	default:
	}
	down.Remove()
	waitClosed(t, "the admitted batch done", ch1)
	recs := consumeKafka(t, c.ListenAddrs(), kafkaTestTopic, 10)
	checkExactly(t, recs, 0, 10)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.dropped.WithLabelValues(kafkaTestTopic, KafkaDropShutdown)); got != 0 {
		t.Fatalf("dropped at shutdown %v, want 0", got)
	}
}

// TestKafkaEventsShutdown: Run flushes what is buffered before returning,
// gives up after FlushTimeout, and Publish admits nothing afterwards.
func TestKafkaEventsShutdown(t *testing.T) {
	c := newKafkaCluster(t)

	t.Run("flushes", func(t *testing.T) {
		k, m := newKafkaSink(t, c.ListenAddrs(), func(o *KafkaEventsOptions) { o.BatchTimeout = 50 * time.Millisecond })
		done, ch := doneOnce(t)
		k.Publish(kafkaTestEvents(0, 7), done) // before Run: buffered
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := k.Run(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ch:
		default:
			t.Fatal("Run returned before the batch was done")
		}
		if err := k.Run(context.Background()); err == nil || err.Error() != "kafka events: Run called twice" {
			t.Fatalf("second Run: %v", err)
		}
		late, lateCh := doneOnce(t)
		k.Publish(kafkaTestEvents(7, 2), late)
		select {
		case <-lateCh:
			t.Fatal("done called for events published after Run returned")
		default:
		}
		if got := testutil.ToFloat64(m.dropped.WithLabelValues(kafkaTestTopic, KafkaDropShutdown)); got != 2 {
			t.Fatalf("dropped at shutdown %v, want 2", got)
		}
		checkExactly(t, consumeKafka(t, c.ListenAddrs(), kafkaTestTopic, 7), 0, 7)
	})

	t.Run("gives up", func(t *testing.T) {
		const topic = "shutdown-down"
		c2 := newKafkaCluster(t, kfake.SeedTopics(1, topic))
		c2.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Count: -1})
		k, m := newKafkaSink(t, c2.ListenAddrs(), func(o *KafkaEventsOptions) {
			o.Topic, o.FlushTimeout, o.BufferEvents = topic, 300*time.Millisecond, 5
		})
		stop := runKafka(t, k)
		k.Publish(kafkaTestEvents(0, 3), nil)
		waitUntil(t, "writes to fail", func() bool { return testutil.ToFloat64(m.failures) > 0 })
		const n = 3
		blocked := make(chan struct{})
		go func() { k.Publish(kafkaTestEvents(0, 5), nil); close(blocked) }() // blocks: the buffer has no room for 5
		start := time.Now()
		want := fmt.Sprintf("kafka events: %d events undelivered to topic %s after flushing for 300ms", n, topic)
		if err := stop(); err == nil || err.Error() != want {
			t.Fatalf("Run: %v, want %s", err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Run took %s to give up, FlushTimeout is 300ms", d)
		}
		waitClosed(t, "the blocked Publish to return once Run returned", blocked)
		if got := testutil.ToFloat64(m.dropped.WithLabelValues(topic, KafkaDropShutdown)); got != n+5 {
			t.Fatalf("dropped at shutdown %v, want %v", got, n+5)
		}
	})
}

// TestKafkaEventsOptions: the sink refuses options a caller left out or
// that it cannot do, naming each; what a user writes (brokers, the topic's
// name, bounds) is the configuration's to check.
func TestKafkaEventsOptions(t *testing.T) {
	valid := func() KafkaEventsOptions { return testOptions([]string{"127.0.0.1:9092"}, "odps.events_v1-x") }
	if _, err := NewKafkaEvents(valid()); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	cases := []struct {
		name string
		edit func(*KafkaEventsOptions)
		want string
	}{
		{"no brokers", func(o *KafkaEventsOptions) { o.Client.Brokers = nil }, "kafka events: kafka client: Brokers: at least one broker (host:port) is needed"},
		{"no client ID", func(o *KafkaEventsOptions) { o.Client.ClientID = "" }, "kafka events: kafka client: ClientID: must be set (the configuration's default is odpswatch)"},
		{"no topic", func(o *KafkaEventsOptions) { o.Topic = "" }, "kafka events: Topic is empty"},
		{"key by", func(o *KafkaEventsOptions) { o.KeyBy = "host" }, `kafka events: KeyBy "host" is not one of code, source or none`},
		{"compression", func(o *KafkaEventsOptions) { o.Compression = "brotli" }, `kafka events: Compression "brotli" is not one of none, gzip, snappy, lz4 or zstd`},
		{"compression case", func(o *KafkaEventsOptions) { o.Compression = "LZ4" }, `kafka events: Compression "LZ4" is not one of none, gzip, snappy, lz4 or zstd`},
		{"acks", func(o *KafkaEventsOptions) { o.RequiredAcks = "-1" }, `kafka events: RequiredAcks "-1" is not one of all, one or none`},
		{"batch size", func(o *KafkaEventsOptions) { o.BatchSize = -1 }, "kafka events: BatchSize must be set, and positive"},
		{"buffer", func(o *KafkaEventsOptions) { o.BufferEvents = 0 }, "kafka events: BufferEvents must be set, and positive"},
		{"batch timeout", func(o *KafkaEventsOptions) { o.BatchTimeout = -time.Millisecond }, "kafka events: BatchTimeout must be set, and positive"},
		{"write timeout", func(o *KafkaEventsOptions) { o.WriteTimeout = 0 }, "kafka events: WriteTimeout must be set, and positive"},
		{"flush timeout", func(o *KafkaEventsOptions) { o.FlushTimeout = -time.Second }, "kafka events: FlushTimeout must be set, and positive"},
		{"several", func(o *KafkaEventsOptions) { o.Client.Brokers, o.Topic, o.KeyBy = nil, "", "x" },
			"kafka events: kafka client: Brokers: at least one broker (host:port) is needed\nkafka events: Topic is empty\n" +
				"kafka events: KeyBy \"x\" is not one of code, source or none"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.edit(&o)
			k, err := NewKafkaEvents(o)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %s", err, tc.want)
			}
			if k != nil {
				t.Fatal("a sink with an error")
			}
		})
	}
}
