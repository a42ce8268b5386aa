package kafkasource

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/odpswatch/odpswatch/internal/kafkaclient"
	"github.com/odpswatch/odpswatch/internal/pipeline"
	"github.com/odpswatch/odpswatch/internal/testwait"
)

// waitTimeout bounds every wait of the tests.
const waitTimeout = 20 * time.Second

// newCluster starts a Kafka-protocol broker (or several) on 127.0.0.1 in the
// test process.
func newCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// rec is a message as produced or as received.
type rec struct {
	topic     string
	partition int
	offset    int64
	value     string
}

func (r rec) key() string { return fmt.Sprintf("%s/%d@%d", r.topic, r.partition, r.offset) }

// producer produces with franz-go, to explicit partitions.
type producer struct {
	t  *testing.T
	cl *kgo.Client
}

func newProducer(t *testing.T, c *kfake.Cluster) *producer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(16<<20), kgo.ProducerLinger(0), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &producer{t: t, cl: cl}
}

// produce writes values to a partition and returns them with their offsets.
func (p *producer) produce(topic string, partition int, values ...string) []rec {
	p.t.Helper()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(partition), Value: []byte(v)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	res := p.cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		p.t.Fatalf("produce: %v", err)
	}
	out := make([]rec, len(res))
	for i, r := range res {
		out[i] = rec{r.Record.Topic, int(r.Record.Partition), r.Record.Offset, string(r.Record.Value)}
	}
	return out
}

// produceN writes n numbered values to each of partitions.
func (p *producer) produceN(topic string, partitions, n int, tag string) []rec {
	p.t.Helper()
	var out []rec
	for part := range partitions {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprintf("%s p%d #%d ODPS-0123105:Job got killed", tag, part, i)
		}
		out = append(out, p.produce(topic, part, vals...)...)
	}
	return out
}

// collector stands in for the pipeline: it records the messages of every
// batch and marks batches done, except those hold picks, which wait for
// release.
type collector struct {
	in      chan *pipeline.Batch
	mu      sync.Mutex
	batches []*pipeline.Batch // copies, in arrival order
	recs    []rec             // every message received, duplicates too
	held    []*pipeline.Batch
	hold    func(*pipeline.Batch) bool
	changed chan struct{}
}

func newCollector(hold func(*pipeline.Batch) bool) *collector {
	return &collector{in: make(chan *pipeline.Batch, 4), hold: hold, changed: make(chan struct{}, 1)}
}

func (c *collector) run(ctx context.Context) {
	for {
		select {
		case b := <-c.in:
			c.take(b)
		case <-ctx.Done():
			return
		}
	}
}

// messages splits a batch into its messages; each value lost the '\n' the
// source added after it.
func messages(b *pipeline.Batch) []rec {
	out := make([]rec, len(b.Messages))
	for i, m := range b.Messages {
		end := len(b.Data)
		if i+1 < len(b.Messages) {
			end = b.Messages[i+1].Start
		}
		v := b.Data[m.Start:end]
		if !b.Cut {
			v = bytes.TrimSuffix(v, []byte("\n"))
		}
		out[i] = rec{m.Topic, m.Partition, m.Offset, string(v)}
	}
	return out
}

func (c *collector) take(b *pipeline.Batch) {
	cp := *b
	cp.Data = bytes.Clone(b.Data)
	cp.Messages = append([]pipeline.Message(nil), b.Messages...)
	held := c.hold != nil && c.hold(b)
	c.mu.Lock()
	c.batches = append(c.batches, &cp)
	c.recs = append(c.recs, messages(&cp)...)
	if held {
		c.held = append(c.held, b)
	}
	c.mu.Unlock()
	if !held {
		b.Done()
	}
	c.poke()
}

func (c *collector) poke() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// release marks done the held batches pick chooses, in the order given.
func (c *collector) release(pick func(*pipeline.Batch) bool) int {
	c.mu.Lock()
	var rel, keep []*pipeline.Batch
	for _, b := range c.held {
		if pick(b) {
			rel = append(rel, b)
		} else {
			keep = append(keep, b)
		}
	}
	c.held = keep
	c.mu.Unlock()
	for _, b := range rel {
		b.Done()
	}
	return len(rel)
}

func (c *collector) heldBatches() []*pipeline.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*pipeline.Batch(nil), c.held...)
}

func (c *collector) received() []rec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]rec(nil), c.recs...)
}

func (c *collector) allBatches() []*pipeline.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*pipeline.Batch(nil), c.batches...)
}

// waitFor waits until cond holds, waking at each batch and every
// testwait.Poll (for conditions that come with no batch), or fails after
// waitTimeout.
func waitFor(t *testing.T, c *collector, what string, cond func() bool) {
	t.Helper()
	var changed chan struct{}
	if c != nil {
		changed = c.changed
	}
	testwait.Until(t, waitTimeout, what, cond, testwait.Wake(changed))
}

// hasAll reports whether got holds every record of want (by position and
// value).
func hasAll(got, want []rec) bool {
	have := make(map[string]string, len(got))
	for _, r := range got {
		have[r.key()] = r.value
	}
	for _, r := range want {
		if v, ok := have[r.key()]; !ok || v != r.value {
			return false
		}
	}
	return true
}

// checkAll fails unless got holds every record of want, with its value.
func checkAll(t *testing.T, got, want []rec) {
	t.Helper()
	have := make(map[string]string, len(got))
	for _, r := range got {
		have[r.key()] = r.value
	}
	for _, r := range want {
		v, ok := have[r.key()]
		if !ok {
			t.Errorf("message %s (%q) never received", r.key(), r.value)
		} else if v != r.value {
			t.Errorf("message %s: got %q, want %q", r.key(), v, r.value)
		}
	}
}

// counts returns how many times each record was received.
func counts(got []rec) map[string]int {
	n := make(map[string]int)
	for _, r := range got {
		n[r.key()]++
	}
	return n
}

// logBuffer holds the logs for the test to read; it stays safe to write
// after the test ends (a goroutine left behind may still log).
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	t       *testing.T
	cluster *kfake.Cluster
	reg     *prometheus.Registry
	metrics *Metrics
	logs    *logBuffer
}

func newEnv(t *testing.T, c *kfake.Cluster) *env {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, cluster: c, reg: reg, metrics: m, logs: &logBuffer{}}
}

func (e *env) options(name, group string, topics ...string) Options {
	var brokers []string
	if e.cluster != nil {
		brokers = e.cluster.ListenAddrs()
	}
	// The configuration's defaults (config.Source), but for shorter
	// timings and start_at: the tests read what they produced first.
	return Options{
		Name: name, Client: kafkaclient.Settings{Brokers: brokers, ClientID: "odpswatch"}, Topics: topics, GroupID: group,
		StartAt:        "earliest",
		CommitInterval: 50 * time.Millisecond, StallTimeout: 2 * time.Second, LagInterval: 100 * time.Millisecond,
		SessionTimeout: 30 * time.Second, BatchBytes: 1 << 20, MaxMessageBytes: 1 << 20, MaxBytesInFlight: 64 << 20,
		ShutdownTimeout: 3 * time.Second, BatchMessages: 1000,
		Logger:  slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Metrics: e.metrics,
	}
}

// running is a source running with a collector.
type running struct {
	t      *testing.T
	src    *Source
	col    *collector
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// start runs a source with opts, its batches going to col.
func (e *env) start(opts Options, col *collector) *running {
	e.t.Helper()
	src, err := New(opts, col.in)
	if err != nil {
		e.t.Fatal(err)
	}
	fast(src)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: e.t, src: src, col: col, cancel: cancel, done: make(chan struct{})}
	colCtx, colCancel := context.WithCancel(context.Background())
	go col.run(colCtx)
	go func() {
		r.err = src.Run(ctx)
		close(r.done)
	}()
	e.t.Cleanup(func() {
		r.stop()
		colCancel()
	})
	select {
	case <-src.Ready():
	case <-time.After(waitTimeout):
		e.t.Fatal("the source did not get ready")
	}
	return r
}

// fast shortens the group protocol's timings for tests.
func fast(s *Source) {
	s.heartbeat = 100 * time.Millisecond
	s.session = 6 * time.Second
	s.rebalance = 10 * time.Second
	s.joinBackoff = 100 * time.Millisecond
	s.maxJoinBackoff = 400 * time.Millisecond
	s.maxWait = 250 * time.Millisecond
	s.drainTimeout = 2 * time.Second
	s.commitTimeout = 2 * time.Second
}

// stop cancels the source and fails unless Run returns within its bound
// (ShutdownTimeout) and a second of slack.
func (r *running) stop() time.Duration {
	r.t.Helper()
	start := time.Now()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(r.src.opts.ShutdownTimeout + time.Second):
		r.t.Errorf("Run did not return within %v of its context ending", r.src.opts.ShutdownTimeout+time.Second)
	}
	if r.err != nil {
		r.t.Errorf("Run: %v", r.err)
	}
	return time.Since(start)
}

// waitAssigned waits until the source consumes a generation that assigns
// it n partitions.
func (r *running) waitAssigned(n int) {
	r.t.Helper()
	waitFor(r.t, nil, fmt.Sprintf("%d partitions assigned", n), func() bool {
		r.src.mu.Lock()
		defer r.src.mu.Unlock()
		return r.src.cur != nil && len(r.src.cur.parts) == n
	})
}

// commitRounds waits until the source has made n more commit attempts, so
// that what it would commit has been.
func (r *running) commitRounds(n int64) {
	r.t.Helper()
	target := r.src.commitRounds.Load() + n
	waitFor(r.t, nil, "commit rounds", func() bool { return r.src.commitRounds.Load() >= target })
}

// committed asks the broker for the group's committed offsets (-1: none).
func committed(t *testing.T, c *kfake.Cluster, group, topic string, partitions int) []int64 {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...), Timeout: 5 * time.Second}
	ps := make([]int, partitions)
	for i := range ps {
		ps[i] = i
	}
	resp, err := cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ps}})
	if err != nil {
		t.Fatalf("OffsetFetch: %v", err)
	}
	if resp.Error != nil {
		t.Fatalf("OffsetFetch: %v", resp.Error)
	}
	out := make([]int64, partitions)
	for i := range out {
		out[i] = -1
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			t.Fatalf("OffsetFetch %s/%d: %v", topic, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

func waitCommitted(t *testing.T, c *kfake.Cluster, group, topic string, want []int64) {
	t.Helper()
	var got []int64
	waitFor(t, nil, fmt.Sprintf("committed offsets %v", want), func() bool {
		got = committed(t, c, group, topic, len(want))
		return fmt.Sprint(got) == fmt.Sprint(want)
	})
}

// ends returns the end offset of each partition from what was produced.
func ends(recs []rec, partitions int) []int64 {
	out := make([]int64, partitions)
	for _, r := range recs {
		out[r.partition] = max(out[r.partition], r.offset+1)
	}
	return out
}

func counter(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	return testutil.ToFloat64(c)
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func part(b *pipeline.Batch) int {
	i := strings.LastIndexByte(b.Origin, '/')
	n, _ := strconv.Atoi(b.Origin[i+1:])
	return n
}
