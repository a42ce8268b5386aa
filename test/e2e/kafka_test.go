package e2e_test

// Kafka end to end: odpswatch processes in one consumer group between two
// topics of a real Kafka-protocol broker (kfake, in the test process, on
// 127.0.0.1). Every input message carries one code, so every message must
// come out as exactly one event naming it (topic, partition, offset): the
// events on the output topic are the proof that nothing was lost, and show
// which member read what, and what was read twice.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/testwait"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	inputTopic  = "logs"
	outputTopic = "odps-events"
	groupID     = "odpswatch-e2e"
	// sessionTimeout is the members' session_timeout: how long the group
	// waits for a killed member. 6s is the brokers' default minimum.
	sessionTimeout = "6s"
	commitInterval = "200ms"
)

// kafkaBroker is a kfake cluster of one broker with the input topic of
// partitions partitions and a one-partition output topic.
type kafkaBroker struct {
	t          *testing.T
	c          *kfake.Cluster
	addr       string
	partitions int
}

func startKafkaBroker(t *testing.T, partitions int) *kafkaBroker {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(int32(partitions), inputTopic), kfake.SeedTopics(1, outputTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &kafkaBroker{t: t, c: c, addr: c.ListenAddrs()[0], partitions: partitions}
}

// memberConfig is the configuration of one group member: a Kafka source
// named name (the events say which member read a message by their source)
// and the event sink.
func (b *kafkaBroker) memberConfig(name string) string {
	return fmt.Sprintf(`sources:
  - name: %s
    type: kafka
    brokers: [%q]
    topics: [%s]
    group_id: %s
    start_at: earliest
    commit_interval: %s
    session_timeout: %s
sinks:
  kafka:
    brokers: [%q]
    topic: %s
    batch_timeout: 20ms
`, name, b.addr, inputTopic, groupID, commitInterval, sessionTimeout, b.addr, outputTopic)
}

// startMember starts an odpswatch process in the group.
func (b *kafkaBroker) startMember(name string) *daemon {
	b.t.Helper()
	dir := b.t.TempDir()
	cfg := filepath.Join(dir, "odpswatch.yml")
	writeFile(b.t, cfg, []byte(b.memberConfig(name)), 0o644)
	return startDaemon(b.t, daemonOptions{config: cfg, stateDir: filepath.Join(dir, "state")})
}

func (b *kafkaBroker) client() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(b.addr), Timeout: 10 * time.Second}
}

// committed returns the group's committed offset of each input partition
// (-1: none).
func (b *kafkaBroker) committed() ([]int64, error) {
	ps := make([]int, b.partitions)
	for i := range ps {
		ps[i] = i
	}
	resp, err := b.client().OffsetFetch(context.Background(),
		&kafka.OffsetFetchRequest{GroupID: groupID, Topics: map[string][]int{inputTopic: ps}})
	if err == nil {
		err = resp.Error
	}
	if err != nil {
		return nil, fmt.Errorf("OffsetFetch: %w", err)
	}
	out := slices.Repeat([]int64{-1}, b.partitions)
	for _, p := range resp.Topics[inputTopic] {
		if p.Error != nil {
			return nil, fmt.Errorf("OffsetFetch %s/%d: %w", inputTopic, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out, nil
}

// endOffset returns the end offset of partition 0 of topic.
func (b *kafkaBroker) endOffset(topic string) (int64, error) {
	resp, err := b.client().ListOffsets(context.Background(), &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(0)}},
	})
	if err != nil {
		return 0, err
	}
	ps := resp.Topics[topic]
	if len(ps) == 0 {
		return 0, fmt.Errorf("ListOffsets: no partition 0 of %s", topic)
	}
	if ps[0].Error != nil {
		return 0, ps[0].Error
	}
	return ps[0].LastOffset, nil
}

// producer writes messages to the input topic, one code in each, round
// robin over the partitions, at a bounded pace, and remembers the end
// offset of every partition.
type producer struct {
	b        *kafkaBroker
	cl       *kgo.Client
	produced atomic.Int64
	limit    atomic.Int64 // it stops once it has produced this many
	done     chan struct{}
	err      error

	mu   sync.Mutex
	ends []int64 // the end offset of each partition
}

// kafkaLine is the value of input message seq: 130 bytes or so, like a line
// of a job log, with one documented severity-5 code.
func kafkaLine(seq int) string {
	return fmt.Sprintf("2026-11-27 10:%02d:%02d.%03d ERROR [job-%06d] FAILED: ODPS-0420095: Access Denied - project odps_e2e, message %d",
		seq/60000%60, seq/1000%60, seq%1000, seq/100, seq)
}

// startProducer produces up to limit messages, perTick of them every
// tick; stopAt can end it sooner.
func (b *kafkaBroker) startProducer(limit, perTick int, tick time.Duration) *producer {
	b.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr), kgo.DefaultProduceTopic(inputTopic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		b.t.Fatal(err)
	}
	p := &producer{b: b, cl: cl, done: make(chan struct{}), ends: make([]int64, b.partitions)}
	p.limit.Store(int64(limit))
	b.t.Cleanup(cl.Close)
	go p.run(perTick, tick)
	return p
}

// stopAt ends the stream once n messages are produced (or at once, if
// they are), short of the limit it was started with.
func (p *producer) stopAt(n int64) {
	p.limit.Store(min(p.limit.Load(), n))
}

func (p *producer) run(perTick int, every time.Duration) {
	defer close(p.done)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for seq := 0; int64(seq) < p.limit.Load(); {
		n := min(perTick, int(p.limit.Load())-seq)
		recs := make([]*kgo.Record, n)
		for i := range recs {
			recs[i] = &kgo.Record{Partition: int32((seq + i) % p.b.partitions), Value: []byte(kafkaLine(seq + i))}
		}
		if err := p.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			p.err = fmt.Errorf("producing message %d: %w", seq, err)
			return
		}
		p.mu.Lock()
		for _, r := range recs {
			p.ends[r.Partition] = max(p.ends[r.Partition], r.Offset+1)
		}
		p.mu.Unlock()
		seq += n
		p.produced.Store(int64(seq))
		select {
		case <-tick.C:
		case <-ctx.Done():
			p.err = ctx.Err()
			return
		}
	}
}

// wait waits for the producer to finish and returns the end offsets.
func (p *producer) wait(t *testing.T) []int64 {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the producer has not finished within 3m")
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ends)
}

// watchGroup waits on conditions over several processes, failing at once
// if a member that should run exits.
func watchGroup(t *testing.T, what string, live []*daemon, cond func() (bool, string)) {
	t.Helper()
	var state string
	testwait.Until(t, 2*waitTimeout, what, func() bool {
		ok, seen := cond()
		if state = seen; ok {
			return true
		}
		for _, d := range live {
			if d.exited() {
				d.log.poll()
				t.Fatalf("waiting for %s: odpswatch (pid %d) exited: %v; last seen: %s\nstderr:\n%s", what, d.pid(), d.waitErr, state, d.log.text())
			}
		}
		return false
	}, testwait.Every(100*time.Millisecond), testwait.Describe(func() string {
		var logs strings.Builder
		for _, d := range live {
			d.log.poll()
			fmt.Fprintf(&logs, "\n--- odpswatch pid %d:\n%s", d.pid(), d.log.text())
		}
		return "last seen: " + state + logs.String()
	}))
}

// assigned returns how many input partitions each member consumes now.
func assigned(t *testing.T, members map[string]*daemon) map[string]float64 {
	out := map[string]float64{}
	for name, d := range members {
		out[name] = d.value("odpswatch_kafka_partitions_assigned", "source", name)
	}
	return out
}

// waitBalanced waits until the partitions are split evenly among members.
func waitBalanced(t *testing.T, b *kafkaBroker, members map[string]*daemon) {
	t.Helper()
	each := float64(b.partitions / len(members))
	watchGroup(t, fmt.Sprintf("the %d partitions split %v per member", b.partitions, each), slices.Collect(maps.Values(members)), func() (bool, string) {
		got := assigned(t, members)
		for _, n := range got {
			if n != each {
				return false, fmt.Sprint(got)
			}
		}
		return true, ""
	})
}

// waitCommittedTo waits until the group has committed every partition up
// to ends.
func waitCommittedTo(t *testing.T, b *kafkaBroker, live []*daemon, ends []int64) {
	t.Helper()
	watchGroup(t, fmt.Sprintf("the group to commit up to %v", ends), live, func() (bool, string) {
		got, err := b.committed()
		return err == nil && slices.Equal(got, ends), fmt.Sprintf("committed %v (err %v)", got, err)
	})
}

// kafkaEvent is what the tests read of an event: the documented schema
// odpswatch.event/v2, decoded independently of odpswatch's own types.
type kafkaEvent struct {
	Schema   string `json:"schema"`
	Host     string `json:"host"`
	Source   string `json:"source"`
	Code     string `json:"code"`
	Family   string `json:"family"`
	Module   string `json:"module"`
	Severity int    `json:"severity"`
	Title    string `json:"title"`
	Line     string `json:"line"`
	Origin   struct {
		Topic     string `json:"topic"`
		Partition int    `json:"partition"`
		Offset    int64  `json:"offset"`
	} `json:"origin"`
}

// readEvents reads the output topic from its start to its end offset.
func (b *kafkaBroker) readEvents(t *testing.T) []kafkaEvent {
	t.Helper()
	end, err := b.endOffset(outputTopic)
	if err != nil {
		t.Fatalf("end offset of %s: %v", outputTopic, err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr), kgo.ConsumeTopics(outputTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var out []kafkaEvent
	next := int64(0)
	for next < end {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of the %d events of %s within %v", len(out), end, outputTopic, waitTimeout)
		}
		for _, fe := range fs.Errors() {
			t.Fatalf("fetching %s: %v", outputTopic, fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			next = r.Offset + 1
			var e kafkaEvent
			if err := json.Unmarshal(r.Value, &e); err != nil {
				t.Fatalf("event at offset %d is not JSON: %v: %q", r.Offset, err, r.Value)
			}
			out = append(out, e)
		})
	}
	return out
}

// origin names a message of the input topic.
type origin struct {
	partition int
	offset    int64
}

// tally checks every event against the message it names, and returns who
// read each message: the source of each of its events.
func tally(t *testing.T, events []kafkaEvent) map[origin][]string {
	t.Helper()
	readers := map[origin][]string{}
	bad := 0
	for _, e := range events {
		o := origin{e.Origin.Partition, e.Origin.Offset}
		if e.Schema != "odpswatch.event/v2" || e.Origin.Topic != inputTopic || e.Code != "ODPS-0420095" ||
			e.Family != "api" || e.Severity != 5 || e.Title != "Access Denied" || !strings.Contains(e.Line, "FAILED: ODPS-0420095") {
			if bad++; bad <= 5 {
				t.Errorf("event %+v", e)
			}
			continue
		}
		readers[o] = append(readers[o], e.Source)
	}
	return readers
}

// lostAndTwice checks that every message of every partition below ends was
// read; it returns the messages read more than once.
func lostAndTwice(t *testing.T, readers map[origin][]string, ends []int64) (twice []origin) {
	t.Helper()
	lost := 0
	for p, end := range ends {
		for off := range end {
			o := origin{p, off}
			switch n := len(readers[o]); {
			case n == 0:
				if lost++; lost <= 10 {
					t.Errorf("message %s/%d/%d lost: no event names it", inputTopic, p, off)
				}
			case n > 1:
				twice = append(twice, o)
			}
		}
	}
	var total int64
	for _, e := range ends {
		total += e
	}
	if lost > 0 {
		t.Errorf("%d of %d messages lost", lost, total)
	}
	if extra := len(readers) - int(total) + lost; extra != 0 {
		t.Errorf("%d events name a message that was never produced", extra)
	}
	return twice
}

// TestKafkaGroupKillNine runs three members over twelve partitions; one is
// killed with SIGKILL while messages are produced. Its partitions go to the
// others after the session timeout: every message is read, and the only
// messages read twice are those the killed member had read past the
// group's last commit for it — the uncommitted window.
func TestKafkaGroupKillNine(t *testing.T) {
	b := startKafkaBroker(t, 12)
	members := map[string]*daemon{}
	for _, name := range []string{"member-a", "member-b", "member-c"} {
		members[name] = b.startMember(name)
	}
	waitBalanced(t, b, members)

	const total = 24000
	prod := b.startProducer(total, 200, 50*time.Millisecond) // 4 000 messages/s for 6 s
	victim := members["member-b"]
	survivors := []*daemon{members["member-a"], members["member-c"]}
	watchGroup(t, "a third of the messages produced, and member-b counting", slices.Collect(maps.Values(members)), func() (bool, string) {
		n := victim.value("odpswatch_kafka_messages_total", "source", "member-b")
		return prod.produced.Load() >= total/3 && n > 0, fmt.Sprintf("%d produced, member-b read %v", prod.produced.Load(), n)
	})
	victim.kill()
	// The victim can commit no more: what the group holds for its
	// partitions now is where their next owner starts (a commit the
	// victim sent just before dying can only move it later).
	atKill, err := b.committed()
	if err != nil {
		t.Fatal(err)
	}
	producedAtKill := prod.produced.Load()

	ends := prod.wait(t)
	if producedAtKill >= total {
		t.Fatalf("the producer had finished when member-b was killed: not mid-stream")
	}
	waitCommittedTo(t, b, survivors, ends)
	watchGroup(t, "the survivors to own all partitions", survivors, func() (bool, string) {
		got := assigned(t, map[string]*daemon{"member-a": survivors[0], "member-c": survivors[1]})
		return got["member-a"]+got["member-c"] == 12, fmt.Sprint(got)
	})
	for _, d := range survivors {
		if err := d.terminate(); err != nil {
			t.Errorf("odpswatch (pid %d) ended with %v\nstderr:\n%s", d.pid(), err, d.log.text())
		}
	}

	readers := tally(t, b.readEvents(t))
	twice := lostAndTwice(t, readers, ends)
	// The uncommitted window: per partition, from the offset committed at
	// the kill to the last message member-b got an event out for.
	lastByVictim := map[int]int64{}
	for o, who := range readers {
		if slices.Contains(who, "member-b") && o.offset >= atKill[o.partition] {
			lastByVictim[o.partition] = max(lastByVictim[o.partition], o.offset)
		}
	}
	window := 0
	for p, last := range lastByVictim {
		window += int(last - atKill[p] + 1)
	}
	// Each partition's next owner starts at the offset committed at the
	// kill: every message member-b had read from there on is read again.
	notAgain := 0
	for o, who := range readers {
		if len(who) == 1 && who[0] == "member-b" && o.offset >= atKill[o.partition] {
			if notAgain++; notAgain <= 10 {
				t.Errorf("message %d/%d, past the offset committed at the kill (%d), was read by member-b only: its next owner did not resume at the committed offset",
					o.partition, o.offset, atKill[o.partition])
			}
		}
	}
	outside := 0
	for _, o := range twice {
		who := readers[o]
		if !slices.Contains(who, "member-b") || o.offset < atKill[o.partition] || o.offset > lastByVictim[o.partition] || len(who) > 2 {
			if outside++; outside <= 10 {
				t.Errorf("message %d/%d read by %v, outside member-b's uncommitted window (committed at the kill: %d)",
					o.partition, o.offset, who, atKill[o.partition])
			}
		}
	}
	t.Logf("%d messages (%d produced before the kill); committed at the kill %v; member-b's uncommitted window %d messages over %d partitions; %d read twice",
		total, producedAtKill, atKill, window, len(lastByVictim), len(twice))
}

// TestKafkaGroupMemberAdded adds a third member while messages are
// produced to two: the group rebalances, each member ends with four of the
// twelve partitions, and every message is read. The members that give
// partitions up commit what they counted first, so a message is read
// twice only if a rebalance left batches not done (the log says so).
func TestKafkaGroupMemberAdded(t *testing.T) {
	b := startKafkaBroker(t, 12)
	members := map[string]*daemon{"member-a": b.startMember("member-a"), "member-b": b.startMember("member-b")}
	waitBalanced(t, b, members)

	// The stream goes on (up to 60 s of it) until the group has
	// rebalanced, and 4 000 messages more: member-c joins mid-stream
	// however slowly the machine gets it there.
	prod := b.startProducer(240000, 200, 50*time.Millisecond)
	watchGroup(t, "5 000 messages produced", slices.Collect(maps.Values(members)), func() (bool, string) {
		return prod.produced.Load() >= 5000, fmt.Sprintf("%d produced", prod.produced.Load())
	})
	members["member-c"] = b.startMember("member-c")
	producedAtJoin := prod.produced.Load()
	waitBalanced(t, b, members)
	prod.stopAt(prod.produced.Load() + 4000)
	ends := prod.wait(t)
	var total int64
	for _, e := range ends {
		total += e
	}
	if total <= producedAtJoin {
		t.Fatal("the producer had finished when member-c joined: not mid-stream")
	}
	live := slices.Collect(maps.Values(members))
	waitCommittedTo(t, b, live, ends)
	if n := members["member-c"].value("odpswatch_kafka_messages_total", "source", "member-c"); n == 0 {
		t.Error("member-c read nothing")
	}
	for _, d := range live {
		if err := d.terminate(); err != nil {
			t.Errorf("odpswatch (pid %d) ended with %v\nstderr:\n%s", d.pid(), err, d.log.text())
		}
	}

	readers := tally(t, b.readEvents(t))
	twice := lostAndTwice(t, readers, ends)
	// A member that gives partitions up waits for its batches in flight
	// and commits them; only batches it could not finish within the bound
	// are read again. Each is at most 1 000 messages.
	notDone := 0
	for name, d := range members {
		for _, r := range d.log.records {
			if r.Msg != "partitions given up" || !strings.Contains(r.Raw, `"reason":"rebalance"`) {
				continue
			}
			var rec struct {
				Drained        bool   `json:"drained"`
				BatchesNotDone int    `json:"batches_not_done"`
				FinalCommitErr string `json:"final_commit_err"`
			}
			if err := json.Unmarshal([]byte(r.Raw), &rec); err != nil {
				t.Fatal(err)
			}
			if !rec.Drained || rec.FinalCommitErr != "" {
				t.Logf("%s gave partitions up with %d batches not done (commit error %q)", name, rec.BatchesNotDone, rec.FinalCommitErr)
			}
			notDone += rec.BatchesNotDone
		}
	}
	t.Logf("%d messages (%d produced when member-c joined); %d read twice; %d batches not done at a rebalance",
		total, producedAtJoin, len(twice), notDone)
	if len(twice) > notDone*1000 {
		t.Errorf("%d messages read twice, but the rebalances left %d batches not done", len(twice), notDone)
		for _, o := range twice[:min(len(twice), 10)] {
			t.Errorf("message %d/%d read by %v", o.partition, o.offset, readers[o])
		}
	}
}
