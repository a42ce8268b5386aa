package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/positions"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// faultWait bounds every wait of these tests on the broker or the daemon.
const faultWait = 20 * time.Second

// inputTopic is where the tests produce log lines, explicitly partitioned,
// with their own franz-go client.
type inputTopic struct {
	t     *testing.T
	cl    *kgo.Client
	topic string
}

func newInputTopic(t *testing.T, brokers []string, topic string) *inputTopic {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &inputTopic{t: t, cl: cl, topic: topic}
}

// produce writes values to a partition and returns their offsets.
func (in *inputTopic) produce(partition int, values ...string) []int64 {
	in.t.Helper()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Topic: in.topic, Partition: int32(partition), Value: []byte(v)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), faultWait)
	defer cancel()
	res := in.cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		in.t.Fatalf("producing to %s/%d: %v", in.topic, partition, err)
	}
	offs := make([]int64, len(res))
	for i, r := range res {
		offs[i] = r.Record.Offset
	}
	return offs
}

// origin names where an event's line was read.
type origin struct {
	file      string
	topic     string
	partition int
	offset    int64
}

func (o origin) String() string {
	if o.file != "" {
		return fmt.Sprintf("%s@%d", o.file, o.offset)
	}
	return fmt.Sprintf("%s/%d@%d", o.topic, o.partition, o.offset)
}

// groupOffsets reads a consumer group's committed offsets and the end
// offsets of a topic's partitions, through kafka-go's client as any
// monitoring tool would.
type groupOffsets struct {
	t     *testing.T
	cl    *kafka.Client
	group string
	topic string
	parts int
}

func newGroupOffsets(t *testing.T, brokers []string, group, topic string, parts int) *groupOffsets {
	return &groupOffsets{t: t, cl: &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}, group: group, topic: topic, parts: parts}
}

// committed returns the group's committed offset of each partition (-1:
// none).
func (g *groupOffsets) committed() []int64 {
	g.t.Helper()
	ps := make([]int, g.parts)
	for i := range ps {
		ps[i] = i
	}
	resp, err := g.cl.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: g.group, Topics: map[string][]int{g.topic: ps}})
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	if err != nil {
		g.t.Fatalf("OffsetFetch: %v", err)
	}
	out := slices.Repeat([]int64{-1}, g.parts)
	for _, p := range resp.Topics[g.topic] {
		if p.Error != nil {
			g.t.Fatalf("OffsetFetch %s/%d: %v", g.topic, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

// ends returns the end offset of each partition.
func (g *groupOffsets) ends() []int64 {
	g.t.Helper()
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for i := range g.parts {
		req.Topics[g.topic] = append(req.Topics[g.topic], kafka.LastOffsetOf(i))
	}
	resp, err := g.cl.ListOffsets(context.Background(), req)
	if err != nil {
		g.t.Fatalf("ListOffsets: %v", err)
	}
	out := make([]int64, g.parts)
	for _, p := range resp.Topics[g.topic] {
		if p.Error != nil {
			g.t.Fatalf("ListOffsets %s/%d: %v", g.topic, p.Partition, p.Error)
		}
		out[p.Partition] = p.LastOffset
	}
	return out
}

// filePosition returns the position the daemon holds (and would save) for
// a file of a running file source, or -1.
func filePosition(td *testDaemon, source, path string) int64 {
	td.d.mu.Lock()
	var rs *runningSource
	if r := td.d.sources[source]; r != nil {
		rs = r.running
	}
	td.d.mu.Unlock()
	if rs == nil || rs.file.Load() == nil {
		return -1
	}
	for _, e := range rs.file.Load().Positions() {
		if e.Path == path {
			return e.Offset
		}
	}
	return -1
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// readEvents consumes the events topic from its start until every origin
// of want has come out as an event with its code, and returns how many
// events came from each origin (duplicates count more than once).
func readEvents(t *testing.T, brokers []string, topic string, want map[origin]string) map[origin]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), faultWait)
	defer cancel()
	got := make(map[origin]int)
	missing := func() []string {
		var out []string
		for o := range want {
			if got[o] == 0 {
				out = append(out, o.String())
			}
		}
		slices.Sort(out)
		return out
	}
	for len(missing()) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("no event for %d lines: %v", len(missing()), missing())
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("consuming %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			var e sink.Event
			if err := json.Unmarshal(r.Value, &e); err != nil {
				t.Fatalf("event %q: %v", r.Value, err)
			}
			o := origin{e.Origin.File, e.Origin.Topic, e.Origin.Partition, e.Origin.Offset}
			code, ok := want[o]
			if !ok {
				t.Errorf("event from %v, which holds no code: %s", o, r.Value)
				return
			}
			if e.Code != code {
				t.Errorf("event from %v has code %s, want %s", o, e.Code, code)
			}
			got[o]++
		})
	}
	return got
}

// TestKafkaEventsOutputDownHoldsOffsetsAndPositions runs the daemon from a
// Kafka topic and a file to the Kafka event sink, and fails every produce
// request to the events topic (and only to it) for a while. Meanwhile the
// sink's failures are counted, no event is published, and neither the
// group's committed offsets nor the file's position move past the lines
// whose events were not delivered: the input's lag stays. Once the output
// is back, every line with a code comes out as an event (duplicates are
// reported, and bounded by the failed writes), and the committed offsets
// reach the end of every partition and the position the end of the file.
func TestKafkaEventsOutputDownHoldsOffsetsAndPositions(t *testing.T) {
	const parts, group = 3, "odpswatch-faults"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, "logs"), kfake.SeedTopics(1, "odps-events"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()

	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	want := make(map[origin]string) // every line with a code: its code
	appendLine := func(line, code string) {
		if code != "" {
			want[origin{file: jobLog, offset: fileSize(t, jobLog)}] = code
		}
		appendFile(t, jobLog, line+"\n")
	}
	appendFile(t, jobLog, "start\n")
	appendLine("FAILED: ODPS-0130071:[1,8] Semantic analysis exception - before", "ODPS-0130071")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, fmt.Sprintf(`sources:
%s  - name: stream
    type: kafka
    brokers: [%q]
    topics: [logs]
    group_id: %s
    start_at: earliest
    commit_interval: 100ms
sinks:
  kafka:
    brokers: [%q]
    topic: odps-events
    buffer_events: 5
    batch_timeout: 10ms
`, sourceYAML("jobs", jobLog), brokers[0], group, brokers[0]))

	in := newInputTopic(t, brokers, "logs")
	// produce writes n messages to each partition; the first has a code,
	// then every third has none.
	produce := func(tag string, n int) {
		for p := range parts {
			vals := make([]string, n)
			for i := range vals {
				vals[i] = fmt.Sprintf("FAILED: ODPS-0420095: Access Denied - %s p%d #%d", tag, p, i)
				if i%3 == 2 {
					vals[i] = fmt.Sprintf("2026-11-27 job %s p%d #%d ok", tag, p, i)
				}
			}
			for i, off := range in.produce(p, vals...) {
				if i%3 != 2 {
					want[origin{topic: "logs", partition: p, offset: off}] = "ODPS-0420095"
				}
			}
		}
	}
	produce("before", 4)
	offsets := newGroupOffsets(t, brokers, group, "logs", parts)
	const (
		published = `odpswatch_kafka_events_published_total{topic="odps-events"}`
		failures  = `odpswatch_kafka_events_write_failures_total{topic="odps-events"}`
		buffered  = `odpswatch_kafka_events_buffered{topic="odps-events"}`
		fileLag   = `odpswatch_file_lag_bytes{source="jobs"}`
		messages  = `odpswatch_kafka_messages_total{source="stream"}`
		commits   = `odpswatch_kafka_commits_total{source="stream"}`
		fromKafka = `odpswatch_errors_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="stream"}`
		fromFile  = `odpswatch_errors_total{code="ODPS-0130071",family="sql",module="parser",severity="1",source="jobs"}`
	)

	td := startDaemon(t, cfgPath, filepath.Join(dir, "state"))
	// Everything so far is delivered, committed and saved.
	td.waitMetric(published, float64(len(want)))
	before := offsets.ends()
	td.waitFor("the offsets of the first messages committed", func() bool { return slices.Equal(offsets.committed(), before) })
	td.waitFor("the file's position at its end", func() bool { return filePosition(td, "jobs", jobLog) == fileSize(t, jobLog) })
	heldAt := fileSize(t, jobLog)
	deliveredBefore := len(want)

	// The output goes down: the broker fails every produce request to
	// the events topic, and only those (the test goes on producing to
	// "logs").
	down := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "odps-events", Err: kerr.NotEnoughReplicas, Count: -1})
	produce("while down", 6)
	commitsBefore := td.metric(commits)
	appendLine("FAILED: ODPS-0420095: Access Denied - while down 1", "ODPS-0420095")
	appendLine("nothing here", "")
	appendLine("FAILED: ODPS-0420095: Access Denied - while down 2", "ODPS-0420095")
	size := fileSize(t, jobLog)
	ends := offsets.ends()
	t.Logf("committed %v before the output went down; end offsets now %v; file position %d of %d", before, ends, heldAt, size)

	// Down for a while: until the source has handed every message to the
	// pipeline, the sink's buffer holds events, the broker has failed
	// several writes (which the sink retries with a backoff), and the
	// source has had five commit intervals of 100ms to commit since the
	// first failure. All along, nothing is published and neither the
	// offsets nor the position move.
	total := float64(parts * (4 + 6))
	ctx, cancel := context.WithTimeout(context.Background(), faultWait)
	defer cancel()
	if err := down.Wait(ctx, 1); err != nil {
		t.Fatalf("no produce request to the events topic failed: %v", err)
	}
	firstFailure := time.Now()
	deadline := firstFailure.Add(faultWait)
	checks := 0
	for down.Hits() < 4 || time.Since(firstFailure) < 5*100*time.Millisecond ||
		td.metric(messages) < total || td.metric(buffered) <= 0 || td.metric(fileLag) != float64(size-heldAt) {
		if time.Now().After(deadline) {
			t.Fatalf("output down: %d failed produce requests, %v messages read of %v, %v events buffered, file lag %v (want %d)",
				down.Hits(), td.metric(messages), total, td.metric(buffered), td.metric(fileLag), size-heldAt)
		}
		if got := offsets.committed(); !slices.Equal(got, before) {
			t.Fatalf("while no event could be delivered, the group committed %v, past %v", got, before)
		}
		if got := filePosition(td, "jobs", jobLog); got != heldAt {
			t.Fatalf("while no event could be delivered, the file's position moved from %d to %d", heldAt, got)
		}
		if got := td.metric(published); got != float64(deliveredBefore) {
			t.Fatalf("%v events published while the broker refused every write, want %d", got, deliveredBefore)
		}
		checks++
		<-time.After(10 * time.Millisecond) // a bounded wait on the conditions above
	}
	// The last look, after the wait: still held.
	if got := offsets.committed(); !slices.Equal(got, before) {
		t.Fatalf("while no event could be delivered, the group committed %v, past %v", got, before)
	}
	if got := filePosition(td, "jobs", jobLog); got != heldAt {
		t.Fatalf("while no event could be delivered, the file's position moved from %d to %d", heldAt, got)
	}
	if got := td.metric(commits); got != commitsBefore {
		t.Errorf("%v offset commits succeeded while nothing was delivered, want none", got-commitsBefore)
	}
	if got := td.metric(failures); got <= 0 {
		t.Errorf("write failures %v while the broker failed %d produce requests", got, down.Hits())
	}
	// The input's lag (end offset minus committed offset) stays: the
	// messages produced since the output went down.
	committedNow, endsNow := offsets.committed(), offsets.ends()
	for p := range parts {
		if lag, want := endsNow[p]-committedNow[p], ends[p]-before[p]; lag != want || lag <= 0 {
			t.Errorf("partition %d: lag %d while down, want the %d messages produced meanwhile", p, lag, want)
		}
	}
	t.Logf("down: %d failed produce requests, %v event write failures, %d checks of the committed offsets", down.Hits(), td.metric(failures), checks)

	// Back up: every line with a code comes out, once or more.
	down.Remove()
	got := readEvents(t, brokers, "odps-events", want)
	dups := 0
	for o, n := range got {
		if n > 1 {
			dups += n - 1
			t.Logf("%d events from %v", n, o)
		}
	}
	fails := td.metric(failures)
	t.Logf("%d events for %d lines with codes: %d duplicates; %v event write failures", len(want)+dups, len(want), dups, fails)
	if float64(dups) > fails {
		t.Errorf("%d duplicate events, more than the %v failed event writes", dups, fails)
	}
	td.waitFor(fmt.Sprintf("the committed offsets at the end offsets %v", ends), func() bool { return slices.Equal(offsets.committed(), ends) })
	td.waitFor("the file's position at its end", func() bool { return filePosition(td, "jobs", jobLog) == size })
	td.waitMetric(fileLag, 0)
	td.waitMetric(fromKafka, float64(parts*(3+4)))
	td.waitMetric(fromFile, 1)
	td.waitMetric(accessDenied, 2)
	if got := td.metric(published); got < float64(len(want)) {
		t.Errorf("%v events published, fewer than the %d on the topic", got, len(want))
	}
	if err := td.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// jsonLogs holds a daemon's JSON log records for the test to read; it is
// safe to write after the test ends.
type jsonLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *jsonLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// records returns the records whose message is msg.
func (l *jsonLogs) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	data := bytes.Clone(l.b.Bytes())
	l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("log record %q: %v", sc.Bytes(), err)
		}
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

func (l *jsonLogs) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// refusedPort returns a loopback port nothing listens on, and a function
// that frees it (for a broker to listen there). Until then the port is
// bound by a socket that does not listen: a connection is refused, and no
// other process (tests run in parallel) can take the port, which a port
// only closed again could not promise (a listener of another test made
// the join fail with "no data" instead of "connection refused").
func refusedPort(t *testing.T) (int, func()) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	var once sync.Once
	free := func() { once.Do(func() { syscall.Close(fd) }) }
	t.Cleanup(free)
	return sa.(*syscall.SockaddrInet4).Port, free
}

// TestKafkaSourceUnreachableBrokers starts the daemon with a file source and
// a Kafka source whose broker is a loopback port nothing listens on. The
// daemon gets ready and counts the file's codes; every failed attempt to
// join is logged at error level with the brokers, and counted, with a
// growing backoff; once a broker listens there, the Kafka source joins and
// counts its messages, without a restart.
func TestKafkaSourceUnreachableBrokers(t *testing.T) {
	port, freePort := refusedPort(t)
	broker := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "FAILED: ODPS-0420095: Access Denied - 1\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, fmt.Sprintf(`sources:
%s  - name: stream
    type: kafka
    brokers: [%q]
    topics: [logs]
    group_id: odpswatch-unreachable
    start_at: earliest
    commit_interval: 100ms
`, sourceYAML("jobs", jobLog), broker))
	logs := &jsonLogs{}
	td := startDaemonLogging(t, cfgPath, filepath.Join(dir, "state"), logs.logger())
	if code, body := td.get("/-/ready"); code != 200 {
		t.Errorf("/-/ready: %d %q", code, body)
	}

	// The file source counts as if Kafka were there.
	td.waitMetric(accessDenied, 1)
	appendFile(t, jobLog, "FAILED: ODPS-0420095: Access Denied - 2\n")
	td.waitMetric(accessDenied, 2)

	// Failed joins: logged at error level with the brokers and the cause,
	// counted, and spaced by a growing backoff.
	const (
		joinErrors = `odpswatch_kafka_errors_total{op="join",source="stream"}`
		failedJoin = "cannot join the Kafka consumer group; retrying"
		joined     = "joined the Kafka consumer group after failures"
	)
	td.waitFor("three failed joins", func() bool { return td.metric(joinErrors) >= 3 && len(logs.records(t, failedJoin)) >= 3 })
	var last time.Time
	var lastWait time.Duration
	for i, r := range logs.records(t, failedJoin)[:3] {
		if r["level"] != "ERROR" || r["brokers"] != broker || r["source"] != "stream" || r["group"] != "odpswatch-unreachable" ||
			!strings.Contains(fmt.Sprint(r["err"]), "connection refused") || r["attempt"] != float64(i+1) {
			t.Errorf("failed join %d logged as %v", i+1, r)
		}
		at, wait := recordTime(t, r), retryIn(t, r)
		if i > 0 {
			if wait <= lastWait {
				t.Errorf("attempt %d: retry in %v, after %v: the backoff does not grow", i+1, wait, lastWait)
			}
			if gap := at.Sub(last); gap < lastWait-time.Millisecond {
				t.Errorf("attempt %d came %v after the last, which said to retry in %v", i+1, gap, lastWait)
			}
		}
		last, lastWait = at, wait
	}
	if t.Failed() {
		t.FailNow()
	}

	// A broker appears on that address: the source joins, at the latest
	// when the last failure said it would try again, and counts.
	freePort()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(2, "logs"))
	if err != nil {
		t.Fatalf("starting a broker on %s: %v", broker, err)
	}
	defer c.Close()
	up := time.Now()
	in := newInputTopic(t, c.ListenAddrs(), "logs")
	in.produce(0, "FAILED: ODPS-0420095: Access Denied - k0", "ok")
	in.produce(1, "FAILED: ODPS-0420095: Access Denied - k1", "FAILED: ODPS-0420095: Access Denied - k2")
	td.waitMetric(`odpswatch_errors_total{code="ODPS-0420095",family="api",module="worker",severity="5",source="stream"}`, 3)
	td.waitMetric(`odpswatch_kafka_partitions_assigned{source="stream"}`, 2)
	offsets := newGroupOffsets(t, c.ListenAddrs(), "odpswatch-unreachable", "logs", 2)
	td.waitFor("the offsets committed", func() bool { return slices.Equal(offsets.committed(), []int64{2, 2}) })

	joins := logs.records(t, joined)
	if len(joins) != 1 {
		t.Fatalf("%d records of joining after failures, want 1", len(joins))
	}
	joinedAt := recordTime(t, joins[0])
	failed := logs.records(t, failedJoin)
	if n := td.metric(joinErrors); n != float64(len(failed)) {
		t.Errorf("%v failed joins counted, %d logged", n, len(failed))
	}
	// The last attempt that failed before the broker listened (give or
	// take a moment: its failure is logged as it comes) said when the
	// next one would be; that one finds the broker.
	var due time.Time
	var late []string
	for _, r := range failed {
		at := recordTime(t, r)
		if at.Before(up.Add(250 * time.Millisecond)) {
			due = at.Add(retryIn(t, r))
			continue
		}
		late = append(late, fmt.Sprintf("attempt %v %v after the broker listened: %v", r["attempt"], at.Sub(up).Round(time.Millisecond), r["err"]))
	}
	t.Logf("broker listening %v after the first failed join; next attempt due %v later; joined %v later",
		up.Sub(recordTime(t, failed[0])).Round(time.Millisecond), due.Sub(up).Round(time.Millisecond), joinedAt.Sub(up).Round(time.Millisecond))
	// Timing-based, with a wide margin: the join takes milliseconds here,
	// and the bug this guards against (kafka-go's stale retry, see
	// Source.newGroupAfter) made it a whole backoff late, 4 s.
	if slack := 2500 * time.Millisecond; joinedAt.After(due.Add(slack)) {
		t.Errorf("joined %v after the broker listened, %v past the retry the source had announced; failed joins logged meanwhile: %q",
			joinedAt.Sub(up).Round(time.Millisecond), joinedAt.Sub(due).Round(time.Millisecond), late)
	}

	// And the file source still counts.
	appendFile(t, jobLog, "FAILED: ODPS-0420095: Access Denied - 3\n")
	td.waitMetric(accessDenied, 3)
	if err := td.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// recordTime is when a JSON log record was written.
func recordTime(t *testing.T, r map[string]any) time.Time {
	t.Helper()
	s, _ := r["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("log record %v: %v", r, err)
	}
	return at
}

// retryIn is a JSON log record's retry_in (slog writes a duration in
// nanoseconds).
func retryIn(t *testing.T, r map[string]any) time.Duration {
	t.Helper()
	ns, ok := r["retry_in"].(float64)
	if !ok {
		t.Fatalf("log record %v has no retry_in", r)
	}
	return time.Duration(ns)
}

// TestKafkaEventsUnreachableBrokersHoldFilePositions points the event sink
// at a loopback port nothing listens on, with drop_when_full false: the
// file's codes are counted, but its position does not move while their
// events cannot be delivered; once a broker listens there, the events come
// out and the position reaches the end of the file.
func TestKafkaEventsUnreachableBrokersHoldFilePositions(t *testing.T) {
	port, freePort := refusedPort(t)
	broker := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "start\n")
	want := map[origin]string{}
	for i := range 3 {
		want[origin{file: jobLog, offset: fileSize(t, jobLog)}] = "ODPS-0420095"
		appendFile(t, jobLog, fmt.Sprintf("FAILED: ODPS-0420095: Access Denied - %d\n", i))
	}
	size := fileSize(t, jobLog)
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, fmt.Sprintf(`sources:
%ssinks:
  kafka:
    brokers: [%q]
    topic: odps-events
    drop_when_full: false
    batch_timeout: 10ms
    write_timeout: 5s
`, sourceYAML("jobs", jobLog), broker))
	logs := &jsonLogs{}
	td := startDaemonLogging(t, cfgPath, filepath.Join(dir, "state"), logs.logger())

	const failures = `odpswatch_kafka_events_write_failures_total{topic="odps-events"}`
	td.waitMetric(accessDenied, 3)
	td.waitFor("failed writes of events", func() bool { return td.metric(failures) >= 6 })
	td.waitMetric(`odpswatch_file_lag_bytes{source="jobs"}`, float64(size))
	if got := filePosition(td, "jobs", jobLog); got != 0 {
		t.Fatalf("the file's position is %d while none of its events was delivered, want 0", got)
	}
	recs := logs.records(t, "cannot write events to Kafka; retrying")
	if len(recs) == 0 || recs[0]["level"] != "WARN" || !strings.Contains(fmt.Sprint(recs[0]["err"]), broker) {
		t.Errorf("failed writes logged as %v", recs)
	}

	freePort()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(1, "odps-events"))
	if err != nil {
		t.Fatalf("starting a broker on %s: %v", broker, err)
	}
	defer c.Close()
	got := readEvents(t, c.ListenAddrs(), "odps-events", want)
	for o, n := range got {
		if n > 1 {
			t.Errorf("%d events from %v (nothing reached a broker before)", n, o)
		}
	}
	td.waitFor("the file's position at its end", func() bool { return filePosition(td, "jobs", jobLog) == size })
	td.waitMetric(`odpswatch_file_lag_bytes{source="jobs"}`, 0)
	if err := td.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestMemoryOnlyPositionsWarning: without a state directory, the warning
// that a restart reads files again is for configurations with files; a
// Kafka source's positions are its group's offsets, kept by the brokers.
func TestMemoryOnlyPositionsWarning(t *testing.T) {
	const warning = "positions are kept in memory only: a restart reads files again as configured; set --state.dir to keep them"
	dir := t.TempDir()
	unreachable, _ := refusedPort(t)
	kafkaOnly := fmt.Sprintf("sources:\n  - {name: stream, type: kafka, brokers: [\"127.0.0.1:%d\"], topics: [logs], group_id: g}\n", unreachable)
	for _, tc := range []struct {
		name, config string
		warned       bool
	}{
		{"kafka only", kafkaOnly, false},
		{"a file source too", kafkaOnly + sourceYAML("jobs", filepath.Join(dir, "*.log")), true},
	} {
		cfgPath := filepath.Join(dir, tc.name+".yml")
		writeConfig(t, cfgPath, tc.config)
		logs := &jsonLogs{}
		td := startDaemonLogging(t, cfgPath, "", logs.logger())
		if err := td.stop(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := len(logs.records(t, warning)) > 0; got != tc.warned {
			t.Errorf("%s: warned %v, want %v", tc.name, got, tc.warned)
		}
	}
}

// TestReloadWhileEventsAreHeld reloads a changed file source while the
// event sink cannot deliver, so its batches are not done: the reload must
// not wait for them (the daemon's loop answers the watchdog and signals),
// and the restarted source takes over behind them once the output is
// back, counting nothing twice and losing nothing.
func TestReloadWhileEventsAreHeld(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "odps-events"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	down := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "odps-events", Err: kerr.NotEnoughReplicas, Count: -1})

	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	want := map[origin]string{}
	writeLines := func(from, to int) {
		for i := from; i < to; i++ {
			want[origin{file: jobLog, offset: fileSize(t, jobLog)}] = "ODPS-0420095"
			appendFile(t, jobLog, fmt.Sprintf("FAILED: ODPS-0420095: Access Denied - %d\n", i))
		}
	}
	appendFile(t, jobLog, "start\n")
	writeLines(0, 3)
	cfgPath := filepath.Join(dir, "c.yml")
	config := func(rescan string) string {
		return "sources:\n" + strings.Replace(sourceYAML("jobs", jobLog), "rescan_interval: 100ms", "rescan_interval: "+rescan, 1) +
			fmt.Sprintf("sinks:\n  kafka:\n    brokers: [%q]\n    topic: odps-events\n    batch_timeout: 10ms\n    write_timeout: 5s\n", c.ListenAddrs()[0])
	}
	writeConfig(t, cfgPath, config("100ms"))
	td := startDaemon(t, cfgPath, filepath.Join(dir, "state"))
	td.waitMetric(accessDenied, 3)
	ctx, cancel := context.WithTimeout(context.Background(), faultWait)
	defer cancel()
	if err := down.Wait(ctx, 2); err != nil {
		t.Fatalf("the output's faults hit %d times: %v", down.Hits(), err)
	}

	writeConfig(t, cfgPath, config("200ms"))
	if err := td.d.Reload(ctx); err != nil {
		t.Fatalf("reload with the output down: %v (the reload waited for batches the sink holds)", err)
	}
	td.waitNote("WATCHDOG=1") // the loop goes on
	writeLines(3, 5)

	down.Remove()
	got := readEvents(t, c.ListenAddrs(), "odps-events", want)
	for o, n := range got {
		if n > 1 {
			t.Errorf("%d events for %v", n, o)
		}
	}
	td.waitMetric(accessDenied, 5)
	td.waitFor("the file's position at its end", func() bool { return filePosition(td, "jobs", jobLog) == fileSize(t, jobLog) })
	if n := td.metric(accessDenied); n != 5 {
		t.Errorf("%v codes counted, want 5: a line was counted twice", n)
	}
	if err := td.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// stuckSource is a source that ignores its context: a read of a hung
// filesystem, say.
type stuckSource struct{ ready chan struct{} }

func (s stuckSource) Run(context.Context) error { select {} }
func (s stuckSource) Ready() <-chan struct{}    { return s.ready }

// TestStuckSourceStillSavesPositions: a source that does not stop must not
// keep the others' positions from being saved at shutdown.
func TestStuckSourceStillSavesPositions(t *testing.T) {
	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "start\nFAILED: ODPS-0420095: Access Denied - 1\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "global:\n  shutdown_timeout: 2s\nsources:\n"+sourceYAML("jobs", jobLog))
	state := filepath.Join(dir, "state")
	td := startDaemon(t, cfgPath, state)
	td.waitMetric(accessDenied, 1)
	td.waitFor("the file's position at its end", func() bool { return filePosition(td, "jobs", jobLog) == fileSize(t, jobLog) })
	td.d.mu.Lock()
	td.d.record("stuck").running = &runningSource{src: stuckSource{ready: make(chan struct{})}, cancel: func() {}, done: make(chan struct{})}
	td.d.mu.Unlock()

	err := td.stop()
	if err == nil || !strings.Contains(err.Error(), "cannot stop sources") {
		t.Errorf("shutdown with a stuck source: %v, want it to say the sources did not stop", err)
	}
	if got := savedOffset(t, state); got != fileSize(t, jobLog) {
		t.Errorf("saved position %d, want the file's end %d", got, fileSize(t, jobLog))
	}
}

// TestSASLMechanism: the password comes from config's reading of the file
// or the variable, and its errors name where, never the password.
func TestSASLMechanism(t *testing.T) {
	dir := t.TempDir()
	good, empty := filepath.Join(dir, "pw"), filepath.Join(dir, "empty")
	writeConfig(t, good, "s3cret\n")
	writeConfig(t, empty, "\n")
	env := map[string]string{"KAFKA_PW": "s3cret"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		c       config.SASLConfig
		wantErr string
	}{
		{config.SASLConfig{}, ""},
		{config.SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: good}, ""},
		{config.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "u", PasswordEnv: "KAFKA_PW"}, ""},
		{config.SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: empty}, "password_file " + empty + " is empty"},
		{config.SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordEnv: "UNSET_PW"}, "the environment variable it names is not set"},
	} {
		m, err := saslMechanism(tc.c, getenv)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", tc.c, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "s3cret")):
			t.Errorf("%+v: error %v, want one saying %q", tc.c, err, tc.wantErr)
		case tc.wantErr == "" && (m == nil) != (tc.c.Mechanism == ""):
			t.Errorf("%+v: mechanism %v", tc.c, m)
		case m != nil && m.Name() != tc.c.Mechanism:
			t.Errorf("%+v: mechanism %s", tc.c, m.Name())
		}
	}
}

// TestStoppedKafkaSourceSavesNothing: a source whose offsets are its
// group's leaves no entry in the positions file once stopped (by a reload
// that removes it, or the shutdown), as before the daemon kept one record
// per source name (found by review).
func TestStoppedKafkaSourceSavesNothing(t *testing.T) {
	dir := t.TempDir()
	jobLog := filepath.Join(dir, "job.log")
	appendFile(t, jobLog, "start\n")
	cfgPath := filepath.Join(dir, "c.yml")
	writeConfig(t, cfgPath, "sources:\n"+sourceYAML("jobs", jobLog))
	state := filepath.Join(dir, "state")
	td := startDaemon(t, cfgPath, state)
	td.waitNote("READY=1")
	done := make(chan struct{})
	close(done)
	td.d.mu.Lock()
	td.d.record("events").running = &runningSource{src: stuckSource{ready: make(chan struct{})}, cancel: func() {}, done: done}
	td.d.stopSource("events")
	td.d.mu.Unlock()
	if err := td.d.savePositions(); err != nil {
		t.Fatal(err)
	}
	saved, err := positions.NewStore(state).Load()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range saved.Sources {
		names = append(names, s.Name)
	}
	if slices.Contains(names, "events") || !slices.Contains(names, "jobs") {
		t.Errorf("sources saved: %q, want jobs and not events", names)
	}
}
