package kafkasource

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	franzplain "github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/odpswatch/odpswatch/internal/kafkaclient"
	"github.com/odpswatch/odpswatch/internal/offsets"
	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// Messages of several partitions arrive as batches of whole messages, and a
// partition's offset is committed only past batches that are done, in
// order: a batch done before the one ahead of it commits nothing.
func TestBatchesCommittedOnlyWhenDoneInOrder(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(3, "logs"))
	e := newEnv(t, c)
	want := newProducer(t, c).produceN("logs", 3, 6, "m")
	col := newCollector(func(*pipeline.Batch) bool { return true }) // hold every batch
	opts := e.options("kafka-a", "g", "logs")
	opts.BatchMessages = 2
	opts.ShutdownTimeout = time.Second // drains for 400 ms at most
	r := e.start(opts, col)

	waitFor(t, col, "every message", func() bool { return hasAll(col.received(), want) })
	checkAll(t, col.received(), want)
	if n := len(col.received()); n != len(want) {
		t.Errorf("received %d messages, want %d", n, len(want))
	}
	for _, b := range col.allBatches() {
		checkBatch(t, b, "kafka-a", 2)
	}

	// Nothing done: after two commit rounds nothing past the start (0,
	// committed as the group's start position) is committed.
	r.commitRounds(2)
	if got := committed(t, c, "g", "logs", 3); slices.Max(got) > 0 {
		t.Fatalf("committed %v before any batch was done", got)
	}

	// Partition 0: its last batch done first, then the middle ones: the
	// first is still in flight, so nothing moves.
	p0 := heldOf(col, 0)
	if len(p0) < 2 {
		t.Fatalf("partition 0 came in %d batches; want at least 2 with batch_messages=2", len(p0))
	}
	col.release(func(b *pipeline.Batch) bool { return b == p0[len(p0)-1] })
	col.release(func(b *pipeline.Batch) bool { return part(b) == 0 && b != p0[0] })
	r.commitRounds(2)
	if got := committed(t, c, "g", "logs", 3); slices.Max(got) > 0 {
		t.Fatalf("committed %v while partition 0's first batch is not done", got)
	}
	// Its first batch done: partition 0 commits past all of them.
	col.release(func(b *pipeline.Batch) bool { return b == p0[0] })
	waitCommitted(t, c, "g", "logs", []int64{6, 0, 0})
	// Partition 1 in order, partition 2 never.
	col.release(func(b *pipeline.Batch) bool { return part(b) == 1 })
	waitCommitted(t, c, "g", "logs", []int64{6, 6, 0})
	r.stop()
	if got := committed(t, c, "g", "logs", 3); fmt.Sprint(got) != "[6 6 0]" {
		t.Errorf("after shutdown with partition 2 in flight, committed %v, want [6 6 0]", got)
	}
	if n := counter(t, e.metrics.messages.WithLabelValues("kafka-a")); n != 18 {
		t.Errorf("odpswatch_kafka_messages_total = %v, want 18", n)
	}
}

// checkBatch checks the shape of a batch: where it comes from, its offsets,
// and where each message starts in Data.
func checkBatch(t *testing.T, b *pipeline.Batch, source string, maxMessages int) {
	t.Helper()
	if b.Source != source {
		t.Errorf("batch source %q, want %q", b.Source, source)
	}
	if len(b.Messages) == 0 || len(b.Messages) > maxMessages {
		t.Fatalf("batch of %d messages, want 1 to %d", len(b.Messages), maxMessages)
	}
	first, last := b.Messages[0], b.Messages[len(b.Messages)-1]
	if want := fmt.Sprintf("%s/%d", first.Topic, first.Partition); b.Origin != want {
		t.Errorf("batch origin %q, want %q", b.Origin, want)
	}
	if b.Offset != first.Offset || b.End != last.Offset+1 {
		t.Errorf("batch offsets [%d, %d), messages %d..%d", b.Offset, b.End, first.Offset, last.Offset)
	}
	for i, m := range b.Messages {
		if i > 0 && (m.Offset != b.Messages[i-1].Offset+1 || m.Start <= b.Messages[i-1].Start) {
			t.Errorf("message %d of batch: offset %d, start %d after offset %d, start %d", i, m.Offset, m.Start, b.Messages[i-1].Offset, b.Messages[i-1].Start)
		}
		if m.Start > 0 && b.Data[m.Start-1] != '\n' {
			t.Errorf("message at offset %d does not start a line", m.Offset)
		}
	}
	if first.Start != 0 || !bytes.HasSuffix(b.Data, []byte("\n")) {
		t.Errorf("batch data %q: first message at %d, want whole lines", b.Data, first.Start)
	}
}

// heldOf returns the held batches of a partition in offset order.
func heldOf(c *collector, partition int) []*pipeline.Batch {
	var out []*pipeline.Batch
	for _, b := range c.heldBatches() {
		if part(b) == partition {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}

// A group resumes exactly past its committed offsets: a new source in the
// same group gets again only what was not done before the previous one
// stopped, and everything produced since.
func TestResumesAfterCommittedOffsets(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(3, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	opts := e.options("kafka-a", "g", "logs")
	opts.ShutdownTimeout = time.Second // drains for 400 ms at most

	first := p.produceN("logs", 3, 10, "first")
	col1 := newCollector(nil)
	r1 := e.start(opts, col1)
	waitFor(t, col1, "the first messages", func() bool { return hasAll(col1.received(), first) })
	waitCommitted(t, c, "g", "logs", []int64{10, 10, 10})
	r1.stop()

	// The second run does not finish partition 1: its batches are still in
	// flight when the source stops, so they stay uncommitted.
	second := p.produceN("logs", 3, 10, "second")
	col2 := newCollector(func(b *pipeline.Batch) bool { return part(b) == 1 })
	r2 := e.start(opts, col2)
	waitFor(t, col2, "the second messages", func() bool { return hasAll(col2.received(), second) })
	if got := col2.received(); len(got) != len(second) {
		t.Errorf("second run received %d messages, want only the %d new ones", len(got), len(second))
	}
	r2.stop()
	if got := committed(t, c, "g", "logs", 3); fmt.Sprint(got) != "[20 10 20]" {
		t.Fatalf("committed %v after the second run, want [20 10 20]", got)
	}
	// Done after the source stopped: commits nothing.
	col2.release(func(*pipeline.Batch) bool { return true })
	if got := committed(t, c, "g", "logs", 3); fmt.Sprint(got) != "[20 10 20]" {
		t.Fatalf("committed %v after late Done, want [20 10 20]", got)
	}

	third := p.produceN("logs", 3, 5, "third")
	col3 := newCollector(nil)
	r3 := e.start(opts, col3)
	var again []rec
	for _, r := range second {
		if r.partition == 1 {
			again = append(again, r)
		}
	}
	want := append(again, third...)
	waitFor(t, col3, "the uncommitted and third messages", func() bool { return hasAll(col3.received(), want) })
	waitCommitted(t, c, "g", "logs", []int64{25, 25, 25})
	got := counts(col3.received())
	wantKeys := make(map[string]int)
	for _, r := range want {
		wantKeys[r.key()] = 1
	}
	if fmt.Sprint(got) != fmt.Sprint(wantKeys) {
		t.Errorf("third run received %v\nwant exactly once each of %v", sortedKeys(got), sortedKeys(wantKeys))
	}
	r3.stop()
}

// Broker errors on fetch, then on commit, for a while: consumption and
// commits resume by themselves once they are lifted, and nothing is lost.
func TestRecoversFromBrokerErrors(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(2, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	want := p.produceN("logs", 2, 5, "before")
	col := newCollector(nil)
	r := e.start(e.options("kafka-a", "g", "logs"), col)
	waitFor(t, col, "the first messages", func() bool { return hasAll(col.received(), want) })
	waitCommitted(t, c, "g", "logs", ends(want, 2))

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// Fetches fail: nothing new arrives while they do.
	fetches := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: "logs", Err: kerr.UnknownServerError, Count: -1})
	during := p.produceN("logs", 2, 5, "during")
	if err := fetches.Wait(ctx, 6); err != nil {
		t.Fatalf("fetch faults: %v", err)
	}
	for _, r := range col.received() {
		if strings.HasPrefix(r.value, "during") {
			t.Fatalf("message %s arrived while every fetch failed", r.key())
		}
	}
	// Commits fail too, then fetches work again.
	commits := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Group: "g", Err: kerr.CoordinatorNotAvailable, Count: -1})
	fetches.Remove()
	want = append(want, during...)
	waitFor(t, col, "the messages produced while fetches failed", func() bool { return hasAll(col.received(), want) })
	if err := commits.Wait(ctx, 3); err != nil {
		t.Fatalf("commit faults: %v", err)
	}
	if got := committed(t, c, "g", "logs", 2); fmt.Sprint(got) != "[5 5]" {
		t.Fatalf("committed %v while commits fail, want [5 5]", got)
	}
	commits.Remove()
	waitCommitted(t, c, "g", "logs", ends(want, 2))
	checkAll(t, col.received(), want)
	if n := counter(t, e.metrics.errors.WithLabelValues("kafka-a", "fetch")); n == 0 {
		t.Error("fetch errors not counted")
	}
	if n := counter(t, e.metrics.commitFailures.WithLabelValues("kafka-a")); n == 0 {
		t.Error("commit failures not counted")
	}
	r.stop()
}

// A reader that stops delivering while its partition has messages — here
// it keeps fetching from a former leader that answers "nothing new", which
// kafka-go never questions — is recreated after stall_timeout, finds the
// new leader, and consumption resumes.
func TestStalledReaderIsRecreated(t *testing.T) {
	c := newCluster(t, kfake.NumBrokers(2), kfake.SeedTopics(1, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	before := p.produceN("logs", 1, 5, "before")
	var restartsAtFirstAfter atomic.Int64
	restartsAtFirstAfter.Store(-1)
	restarts := e.metrics.restarts.WithLabelValues("kafka-a")
	col := newCollector(func(b *pipeline.Batch) bool {
		if bytes.Contains(b.Data, []byte("after")) {
			restartsAtFirstAfter.CompareAndSwap(-1, int64(counter(t, restarts)))
		}
		return false
	})
	opts := e.options("kafka-a", "g", "logs")
	opts.StallTimeout = time.Second
	r := e.start(opts, col)
	waitFor(t, col, "the first messages", func() bool { return hasAll(col.received(), before) })

	stale := c.LeaderFor("logs", 0)
	var staleFetches atomic.Int64
	c.ControlKey(kmsg.Fetch.Int16(), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if c.CurrentNode() != stale {
			return nil, nil, false
		}
		staleFetches.Add(1)
		req := kreq.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition, sp.HighWatermark, sp.LastStableOffset = rp.Partition, rp.FetchOffset, rp.FetchOffset
				sp.RecordBatches = []byte{}
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		// Like a long poll that found nothing, so the reader does not spin:
		// a delay the broker adds to its answer, not a wait of the test.
		// It holds the broker's loop (other requests are served between
		// two stale fetches) rather than going through kfake's
		// SleepControl, whose queue of slept requests is read and written
		// without a lock (a data race the race detector reports under
		// load, in kfake v0.0.0-20260918054303, the newest served).
		<-time.After(10 * time.Millisecond)
		return resp, nil, true
	})
	// Once a fetch has been answered "nothing new", none from before the
	// control is in flight (kafka-go fetches one at a time): move the
	// leader away from under the reader.
	waitFor(t, nil, "a fetch from the former leader", func() bool { return staleFetches.Load() > 0 })
	if err := c.MoveTopicPartition("logs", 0, 1-stale); err != nil {
		t.Fatal(err)
	}
	after := p.produceN("logs", 1, 5, "after")
	waitFor(t, col, "the messages produced after the leader moved", func() bool { return hasAll(col.received(), after) })
	if n := restartsAtFirstAfter.Load(); n < 1 {
		t.Errorf("messages after the stall arrived with %d reader restarts; want the restart first", n)
	}
	if staleFetches.Load() == 0 {
		t.Error("the reader never fetched from the former leader: no stall was simulated")
	}
	waitCommitted(t, c, "g", "logs", []int64{10})
	if got := counts(col.received()); len(got) != 10 {
		t.Errorf("received %d distinct messages, want 10", len(got))
	}
	r.stop()
	if !strings.Contains(e.logs.String(), "Kafka reader stalled") {
		t.Errorf("no stall logged:\n%s", e.logs.String())
	}
}

// Bad input: an empty message (nothing to scan, still committed), binary
// values, a 10 MiB value (cut at max_message_bytes, counted, committed), a
// value of several lines.
func TestBadInput(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(1, "bad"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(16 << 20)}))
	e := newEnv(t, c)
	huge := "ODPS-0110999:Critical! " + strings.Repeat("x", 10<<20)
	binary := "\x00\x01\xff\xfe ODPS-0123105 \xc3\x28\x00"
	values := []string{"", binary, huge, "one ODPS-0121145\ntwo\r\nthree", "ends with a newline\n", "", "last"}
	want := newProducer(t, c).produce("bad", 0, values...)
	col := newCollector(nil)
	opts := e.options("kafka-a", "g", "bad")
	r := e.start(opts, col)
	waitFor(t, col, "every message", func() bool { return len(counts(col.received())) == len(values) })
	waitCommitted(t, c, "g", "bad", []int64{int64(len(values))})

	var cut []*pipeline.Batch
	var data bytes.Buffer // of the whole batches
	for _, b := range col.allBatches() {
		if b.Cut {
			cut = append(cut, b)
		} else {
			data.Write(b.Data)
		}
	}
	if len(cut) != 1 {
		t.Fatalf("%d cut batches, want 1", len(cut))
	}
	b := cut[0]
	if len(b.Messages) != 1 || b.Offset != 2 || b.End != 3 || len(b.Data) != opts.MaxMessageBytes ||
		!bytes.HasPrefix(b.Data, []byte("ODPS-0110999:Critical! xxx")) {
		t.Errorf("cut batch: %d messages, offsets [%d, %d), %d bytes starting %q; want the 10 MiB message alone, cut to %d bytes",
			len(b.Messages), b.Offset, b.End, len(b.Data), b.Data[:min(len(b.Data), 30)], opts.MaxMessageBytes)
	}
	wantData := binary + "\none ODPS-0121145\ntwo\r\nthree\nends with a newline\nlast\n"
	if data.String() != wantData {
		t.Errorf("data of the whole batches:\n%q\nwant\n%q", data.String(), wantData)
	}
	got := map[int64]string{}
	for _, r := range col.received() {
		got[r.offset] = r.value
	}
	for _, w := range want {
		v := w.value
		if w.offset == 2 {
			v = v[:opts.MaxMessageBytes]
		}
		if v == "ends with a newline\n" {
			v = "ends with a newline" // its own '\n' ends it
		}
		if got[w.offset] != v {
			t.Errorf("message %d: got %.40q, want %.40q", w.offset, got[w.offset], v)
		}
	}
	if n := counter(t, e.metrics.cut.WithLabelValues("kafka-a")); n != 1 {
		t.Errorf("odpswatch_kafka_messages_cut_total = %v, want 1", n)
	}
	total := 0
	for _, v := range values {
		total += len(v)
	}
	if n := counter(t, e.metrics.bytes.WithLabelValues("kafka-a")); n != float64(total) {
		t.Errorf("odpswatch_kafka_message_bytes_total = %v, want %d", n, total)
	}
	r.stop()
}

// An unreachable broker: a clear error, retries with backoff, Ready closes
// anyway, and Run returns promptly when cancelled.
func TestUnreachableBroker(t *testing.T) {
	e := newEnv(t, nil)
	opts := e.options("kafka-a", "g", "logs")
	opts.Client.Brokers = []string{"127.0.0.1:1"}
	col := newCollector(nil)
	r := e.start(opts, col) // waits for Ready
	joins := e.metrics.errors.WithLabelValues("kafka-a", "join")
	waitFor(t, nil, "three failed attempts to join", func() bool { return counter(t, joins) >= 3 })
	if d := r.stop(); d > time.Second {
		t.Errorf("Run took %v to return after cancel", d)
	}
	logs := e.logs.String()
	for _, want := range []string{"cannot join the Kafka consumer group; retrying", "127.0.0.1:1", "connection refused", "attempt=3", "retry_in="} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if len(col.received()) != 0 {
		t.Error("messages from nowhere")
	}
}

// Run returns within ShutdownTimeout even when batches are never done, a
// fetch is in a long poll (MaxWait 10 s here, kafka-go's default), and the
// broker does not answer the group's LeaveGroup, on which kafka-go's Close
// blocks (#428, #1353).
func TestShutdownIsBounded(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(2, "logs"))
	e := newEnv(t, c)
	want := newProducer(t, c).produceN("logs", 2, 3, "m")
	// The broker holds LeaveGroup until Run has returned (it holds the
	// broker's loop meanwhile).
	held := make(chan struct{})
	release := sync.OnceFunc(func() { close(held) })
	t.Cleanup(release)
	c.ControlKey(kmsg.LeaveGroup.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		<-held
		return nil, nil, false
	})
	col := newCollector(func(*pipeline.Batch) bool { return true }) // never done
	opts := e.options("kafka-a", "g", "logs")
	opts.ShutdownTimeout = time.Second
	src, err := New(opts, col.in)
	if err != nil {
		t.Fatal(err)
	}
	fast(src)
	src.maxWait = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	colCtx, colCancel := context.WithCancel(context.Background())
	defer colCancel()
	go col.run(colCtx)
	done := make(chan struct{})
	go func() {
		src.Run(ctx)
		close(done)
	}()
	waitFor(t, col, "every message", func() bool { return hasAll(col.received(), want) })
	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(opts.ShutdownTimeout + time.Second):
		t.Fatalf("Run did not return within %v", opts.ShutdownTimeout+time.Second)
	}
	t.Logf("Run returned %v after cancel", time.Since(start).Round(time.Millisecond))
	release()
	// The bound was needed: kafka-go's Close was still waiting.
	if logs := e.logs.String(); !strings.Contains(logs, "not stopped within the shutdown timeout") {
		t.Errorf("no step overran the shutdown timeout; the test shows nothing:\n%s", logs)
	}
	if got := committed(t, c, "g", "logs", 2); slices.Max(got) > 0 {
		t.Errorf("committed %v with no batch done", got)
	}
}

// The lag gauge is the partition's end offset minus the group's committed
// offset, per partition.
func TestLagPerPartition(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(3, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	var want []rec
	for part, n := range []int{5, 7, 9} {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprintf("p%d #%d", part, i)
		}
		want = append(want, p.produce("logs", part, vals...)...)
	}
	col := newCollector(func(b *pipeline.Batch) bool { return part(b) == 2 })
	r := e.start(e.options("kafka-a", "g", "logs"), col)
	waitFor(t, col, "every message", func() bool { return hasAll(col.received(), want) })

	lagIs := func(expect []int64) func() bool {
		return func() bool {
			got := committed(t, c, "g", "logs", 3)
			end := ends(want, 3)
			for i := range 3 {
				lag := counter(t, e.metrics.lag.WithLabelValues("kafka-a", "logs", strconv.Itoa(i)))
				if got[i] < 0 || lag != float64(end[i]-got[i]) || lag != float64(expect[i]) {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, nil, "lag [0 0 9]", lagIs([]int64{0, 0, 9}))
	col.release(func(*pipeline.Batch) bool { return true })
	waitFor(t, nil, "lag [0 0 0]", lagIs([]int64{0, 0, 0}))
	r.stop()
	// Stopped: the source's series are removed.
	if n := testutilCount(t, e); n != 0 {
		t.Errorf("%d lag series left after Run returned", n)
	}
}

// lagSeries returns the partitions source exports a lag for.
func lagSeries(t *testing.T, e *env, source string) []string {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		if mf.GetName() != "odpswatch_kafka_consumer_lag" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == source {
				out = append(out, labels["topic"]+"/"+labels["partition"])
			}
		}
	}
	return out
}

func testutilCount(t *testing.T, e *env) int {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "odpswatch_kafka_consumer_lag" {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// When a second member joins, the first commits what it has counted before
// giving partitions up — with commit_interval an hour, so that only the
// commit at rebalance can have done it — and no message is counted twice or
// lost across the rebalance.
func TestRebalanceCommitsBeforeGivingUp(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(4, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	first := p.produceN("logs", 4, 5, "first")
	optsA := e.options("kafka-a", "g", "logs")
	optsA.CommitInterval = time.Hour
	// The second messages wait to be done until the first are committed.
	isSecond := func(b *pipeline.Batch) bool { return bytes.Contains(b.Data, []byte("second")) }
	colA := newCollector(isSecond)
	a := e.start(optsA, colA)
	a.waitAssigned(4)
	waitFor(t, colA, "the first messages", func() bool { return hasAll(colA.received(), first) })
	// Caught up: committed at once, not an hour later.
	waitCommitted(t, c, "g", "logs", []int64{5, 5, 5, 5})
	second := p.produceN("logs", 4, 5, "second")
	waitFor(t, colA, "the second messages", func() bool { return hasAll(colA.received(), second) })
	// Caught up again in the same interval: no second commit for it. The
	// release makes the source look whether it caught up, after this
	// count is read (the look awaited may be one begun before the release,
	// and then this passes whatever the rule).
	looked := a.src.idleChecks.Load()
	colA.release(isSecond)
	waitFor(t, nil, "a look at whether the source caught up", func() bool { return a.src.idleChecks.Load() > looked })
	if got := committed(t, c, "g", "logs", 4); fmt.Sprint(got) != "[5 5 5 5]" {
		t.Fatalf("committed %v before any rebalance, with the interval's commit on catching up made: want [5 5 5 5]", got)
	}

	optsB := e.options("kafka-b", "g", "logs")
	optsB.CommitInterval = time.Hour
	colB := newCollector(nil)
	b := e.start(optsB, colB)
	b.waitAssigned(2)
	a.waitAssigned(2)
	if got := committed(t, c, "g", "logs", 4); fmt.Sprint(got) != "[10 10 10 10]" {
		t.Fatalf("committed %v after the rebalance, want [10 10 10 10]", got)
	}
	// Each member exports the lag of its own partitions.
	waitFor(t, nil, "lag series of two partitions per member", func() bool {
		la, lb := lagSeries(t, e, "kafka-a"), lagSeries(t, e, "kafka-b")
		return len(la) == 2 && len(lb) == 2 && !slices.ContainsFunc(la, func(p string) bool { return slices.Contains(lb, p) })
	})
	third := p.produceN("logs", 4, 5, "third")
	all := append(append(first, second...), third...)
	both := func() []rec { return append(colA.received(), colB.received()...) }
	waitFor(t, nil, "every message, by either member", func() bool { return hasAll(both(), all) })
	a.stop()
	b.stop()
	waitCommitted(t, c, "g", "logs", []int64{15, 15, 15, 15})
	for k, n := range counts(both()) {
		if n != 1 {
			t.Errorf("message %s counted %d times", k, n)
		}
	}
	if n := counter(t, e.metrics.rebalances.WithLabelValues("kafka-a")); n < 2 {
		t.Errorf("member a saw %v generations, want at least 2", n)
	}
}

// With start_at latest, a group with no committed offset starts at the end:
// what was there before is skipped, and the start is committed, so that a
// restart does not skip what came in between.
func TestStartAtLatest(t *testing.T) {
	c := newCluster(t, kfake.SeedTopics(1, "logs"))
	e := newEnv(t, c)
	p := newProducer(t, c)
	old := p.produce("logs", 0, "old 1", "old 2")
	opts := e.options("kafka-a", "g", "logs")
	opts.StartAt = "latest"
	col := newCollector(nil)
	r := e.start(opts, col)
	r.waitAssigned(1)
	waitCommitted(t, c, "g", "logs", []int64{2})
	r.stop()
	newer := p.produce("logs", 0, "new 1", "new 2")
	col2 := newCollector(nil)
	r2 := e.start(opts, col2)
	waitFor(t, col2, "the new messages", func() bool { return hasAll(col2.received(), newer) })
	for _, got := range append(col.received(), col2.received()...) {
		for _, o := range old {
			if got.key() == o.key() {
				t.Errorf("old message %s received with start_at latest", o.key())
			}
		}
	}
	r2.stop()
}

// TestOptionsAreValidated: New refuses options a caller left out, naming
// the field; what a user writes (brokers' syntax, topic names, bounds) is
// the configuration's to check. The defaults it fills are only of what the
// configuration does not set.
func TestOptionsAreValidated(t *testing.T) {
	ok := Options{Name: "k", Client: kafkaclient.Settings{Brokers: []string{"127.0.0.1:9092"}, ClientID: "odpswatch"},
		Topics: []string{"logs"}, GroupID: "g", StartAt: "latest", CommitInterval: time.Second, StallTimeout: 30 * time.Second,
		SessionTimeout: 30 * time.Second, BatchBytes: 256 << 10, MaxMessageBytes: 1 << 20, MaxBytesInFlight: 64 << 20}
	out := make(chan *pipeline.Batch)
	if _, err := New(ok, out); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	cases := []struct {
		field  string
		change func(*Options)
	}{
		{"Name", func(o *Options) { o.Name = "" }},
		{"Brokers", func(o *Options) { o.Client.Brokers = nil }},
		{"ClientID", func(o *Options) { o.Client.ClientID = "" }},
		{"Topics", func(o *Options) { o.Topics = nil }},
		{"GroupID", func(o *Options) { o.GroupID = "" }},
		{"StartAt", func(o *Options) { o.StartAt = "" }},
		{"StartAt", func(o *Options) { o.StartAt = "beginning" }},
		{"CommitInterval", func(o *Options) { o.CommitInterval = 0 }},
		{"StallTimeout", func(o *Options) { o.StallTimeout = -time.Millisecond }},
		{"SessionTimeout", func(o *Options) { o.SessionTimeout = 0 }},
		{"BatchBytes", func(o *Options) { o.BatchBytes = 0 }},
		{"MaxMessageBytes", func(o *Options) { o.MaxMessageBytes = -5 }},
		{"MaxBytesInFlight", func(o *Options) { o.MaxBytesInFlight = 0 }},
		{"BatchMessages", func(o *Options) { o.BatchMessages = -1 }},
		{"ShutdownTimeout", func(o *Options) { o.ShutdownTimeout = -time.Nanosecond }},
	}
	for _, tc := range cases {
		o := ok
		tc.change(&o)
		_, err := New(o, out)
		if err == nil || !strings.Contains(err.Error(), tc.field+":") {
			t.Errorf("%s: error %v, want one naming %s", tc.field, err, tc.field)
		}
	}
	s, _ := New(ok, out)
	if s.opts.BatchMessages != DefaultBatchMessages || s.opts.LagInterval != DefaultLagInterval || s.opts.ShutdownTimeout != DefaultShutdownTimeout {
		t.Errorf("defaults not applied: %+v", s.opts)
	}
	if s.session != ok.SessionTimeout || s.heartbeat != ok.SessionTimeout/10 || s.startAt != kafka.LastOffset {
		t.Errorf("group session %v, heartbeat %v, start %d; want %v, a tenth of it, and the last offset", s.session, s.heartbeat, s.startAt, ok.SessionTimeout)
	}
	for _, tc := range []struct{ session, heartbeat, rebalance time.Duration }{
		{6 * time.Second, 600 * time.Millisecond, 30 * time.Second},
		{10 * time.Minute, 3 * time.Second, 10 * time.Minute},
	} {
		o := ok
		o.SessionTimeout = tc.session
		s, err := New(o, out)
		if err != nil {
			t.Errorf("SessionTimeout %v: %v", tc.session, err)
			continue
		}
		if s.session != tc.session || s.heartbeat != tc.heartbeat || s.rebalance != tc.rebalance {
			t.Errorf("SessionTimeout %v: session %v, heartbeat %v, rebalance %v; want heartbeat %v, rebalance %v",
				tc.session, s.session, s.heartbeat, s.rebalance, tc.heartbeat, tc.rebalance)
		}
	}
}

// Done out of order commits in order; a partition given up commits nothing
// more; a batch that could not be sent is forgotten; the generation counts
// what is in flight. (offsets.Tracker's own tests cover the order.)
func TestPartitionTracking(t *testing.T) {
	g := &generation{parts: map[tp]*partition{}, doneCh: make(chan struct{}, 1)}
	p := &partition{tp: tp{"t", 0}, g: g, offsets: offsets.New(10), committed: 10}
	g.parts[p.tp] = p
	// ready is the offset the partition can be committed up to.
	ready := func() int64 {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.offsets.Committed()
	}
	f1, f2, f3 := p.register(12), p.register(15), p.register(20)
	p.done(f2)
	if ready() != 10 {
		t.Fatalf("ready %d after the second batch done, want 10", ready())
	}
	p.done(f1)
	if ready() != 15 {
		t.Fatalf("ready %d after the first two done, want 15", ready())
	}
	p.done(f1) // twice: no effect
	if g.pending.Load() != 1 {
		t.Fatalf("pending %d, want 1", g.pending.Load())
	}
	f4 := p.register(25)
	p.unregister(f4)
	if g.wait(10 * time.Millisecond) {
		t.Fatal("wait reported everything done with a batch in flight")
	}
	if left := g.release(); left != 1 {
		t.Fatalf("release: %d in flight, want 1", left)
	}
	p.done(f3)
	if ready() != 15 {
		t.Fatalf("ready %d after a batch done past release, want 15", ready())
	}
	if !g.wait(10 * time.Millisecond) {
		t.Fatal("wait: batches still pending")
	}
}

// SASL (PLAIN here) reaches every connection: the group's, the readers',
// and the client's that commits and computes the lag.
func TestSASL(t *testing.T) {
	c := newCluster(t, kfake.EnableSASL(), kfake.Superuser("PLAIN", "odpswatch", "secret"), kfake.SeedTopics(2, "logs"))
	e := newEnv(t, c)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.SASL(franzplain.Auth{User: "odpswatch", Pass: "secret"}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	p := &producer{t: t, cl: cl}
	want := p.produceN("logs", 2, 3, "sasl")
	opts := e.options("kafka-a", "g", "logs")
	opts.Client.SASL = plain.Mechanism{Username: "odpswatch", Password: "secret"}
	col := newCollector(nil)
	r := e.start(opts, col)
	waitFor(t, col, "every message", func() bool { return hasAll(col.received(), want) })
	waitFor(t, nil, "lag 0 on both partitions, after commits", func() bool {
		for i := range 2 {
			if counter(t, e.metrics.lag.WithLabelValues("kafka-a", "logs", strconv.Itoa(i))) != 0 ||
				counter(t, e.metrics.commits.WithLabelValues("kafka-a")) == 0 {
				return false
			}
		}
		return testutilCount(t, e) == 2
	})
	r.stop()

	// A wrong password: a clear error, retried.
	opts.Client.SASL = plain.Mechanism{Username: "odpswatch", Password: "wrong"}
	p.produceN("logs", 2, 1, "unseen")
	denied := newCollector(nil)
	r = e.start(opts, denied)
	joins := e.metrics.errors.WithLabelValues("kafka-a", "join")
	waitFor(t, nil, "failed joins", func() bool { return counter(t, joins) >= 2 })
	r.stop()
	if logs := e.logs.String(); !strings.Contains(logs, "SASL Authentication Failed") {
		t.Errorf("no authentication error logged:\n%s", logs)
	}
	if got := denied.received(); len(got) != 0 {
		t.Errorf("%d messages received with a wrong password", len(got))
	}
}
