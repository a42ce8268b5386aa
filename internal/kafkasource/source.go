// Package kafkasource consumes log lines from Kafka topics as a member of a
// consumer group and hands them, in batches, to the pipeline, committing a
// partition's offset only past messages whose batches have been counted.
//
// What it promises:
//
//   - At least once. A message's offset is committed only once its batch is
//     done (every code in it counted), and in offset order per partition: a
//     batch done before the ones ahead of it waits for them, as in the file
//     source. Commits go out every CommitInterval, at shutdown, and before
//     partitions are given up in a rebalance. Messages can be counted twice
//     (after a crash, or a batch still in flight when its partition went to
//     another member); none is skipped.
//
//   - Commits at rebalance. The source does not use kafka-go's Reader with
//     a GroupID, whose commit loop ends with its generation: with a
//     CommitInterval, messages handed over but not done yet when a rebalance
//     starts are committed later through the next generation (for partitions
//     this member may no longer own, which can rewind another member's
//     progress, #1308), and a failed final commit is only logged (#1259).
//     Instead it drives kafka-go's ConsumerGroup itself, with one plain
//     (group-less) kafka-go Reader per assigned partition. When a generation
//     ends (a rebalance, or shutdown) it stops fetching, waits a bounded time
//     for the batches in flight to be done, commits what is done with that
//     generation's ID and member ID (the broker accepts that while the group
//     prepares the rebalance), and only then lets kafka-go rejoin. A batch
//     done after that commits nothing: its partition's next owner reads it
//     again (a duplicate, never a rewind of someone else's offset, never a
//     loss).
//
//   - Start position. A partition the group has no offset for starts at its
//     first or end offset (StartAt), resolved to an absolute offset when the
//     generation starts and committed at the first commit: a restart, or a
//     recreated reader, resumes there rather than at a later "end".
//
//   - Bounded memory: a partition reader fetches at most 32 messages ahead;
//     batches are at most BatchBytes (or one message of up to
//     MaxMessageBytes), and wait on the pipeline's bounded queue.
//
//   - Bounded shutdown. Run returns within ShutdownTimeout of its context
//     ending, even when kafka-go's Close blocks (#428, #1353): readers and the
//     group are closed in goroutines that are waited for up to that bound.
//
//   - Stalls. A partition reader that has delivered nothing for StallTimeout
//     while its partition's end offset is past the next offset to read (and
//     while the source is not itself waiting on the pipeline) is recreated at
//     that offset (#955, #1133, #387), and counted.
//
//   - Lag per partition assigned to this member, odpswatch_kafka_consumer_lag,
//     from the group's committed offsets (OffsetFetch) and the partitions'
//     end offsets (ListOffsets), every LagInterval: not Reader.Stats().Lag,
//     which is one number (#508, #1163).
//
//   - Bad input never stops it: an empty message adds nothing to scan and is
//     committed like any other; a message longer than MaxMessageBytes is
//     scanned up to its first MaxMessageBytes, in a batch of its own marked
//     Cut, and counted; binary values are scanned like any text.
//
//   - Unreachable brokers: every failed attempt to join the group is logged
//     (at error level, with the brokers and the cause) and counted, and
//     retried with a backoff that doubles from 0.5 s up to 10 s; Ready closes
//     after the first failure; Run only returns when its context ends.
package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/odpswatch/odpswatch/internal/kafkaclient"
	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// Defaults of the options left at zero: only of those the configuration
// does not set (config.Source sets, and checks, every setting a user
// has; the source takes them as given, so that there is one default of
// each, the documented one).
const (
	DefaultBatchMessages   = 1000
	DefaultLagInterval     = 15 * time.Second
	DefaultShutdownTimeout = 5 * time.Second

	// defaultQueueCapacity is how many messages a partition reader fetches
	// ahead of the source (kafka-go's default is 100), whatever their size:
	// with 10 MB messages, 32 of them held 400 MB (issue 17). Four keep
	// the reader busy while the source works.
	defaultQueueCapacity = 4
)

// Options configure a Kafka source. The daemon fills them from a
// config.Source, which checked them; the fields marked required must be
// set by any other caller too.
type Options struct {
	Name    string               // the source label (required)
	Client  kafkaclient.Settings // how to reach the brokers (required)
	Topics  []string             // required
	GroupID string               // required
	StartAt string               // "earliest" or "latest" (required): where a partition the group has no committed offset for starts

	CommitInterval  time.Duration // how often processed offsets are committed (required)
	BatchMessages   int           // messages per batch at most (default 1000)
	BatchBytes      int           // bytes per batch at most (required); a longer message is a batch of its own
	MaxMessageBytes int           // a value longer than this is cut for scanning and counted (required)
	// MaxBytesInFlight bounds what the source keeps of the messages it
	// fetched until the pipeline is done with them (required): past it,
	// partitions wait.
	MaxBytesInFlight int
	StallTimeout     time.Duration // no message for this long while the partition has lag: its reader is recreated (required)
	SessionTimeout   time.Duration // the group gives a silent member's partitions to the others after this (required); heartbeats go every tenth of it, at most 3s
	LagInterval      time.Duration // how often odpswatch_kafka_consumer_lag is computed (default 15s)
	ShutdownTimeout  time.Duration // Run returns at most this long after its context ends (default 5s)

	Logger  *slog.Logger
	Metrics *Metrics
}

// Source consumes the topics of one Kafka source.
type Source struct {
	opts Options
	out  chan<- *pipeline.Batch
	// lags are the partitions' lag as of the last update (Partitions).
	lagMu     sync.Mutex
	lags      map[tp]int64
	log       *slog.Logger
	m         *Metrics
	dialer    *kafka.Dialer
	transport *kafka.Transport
	client    *kafka.Client
	startAt   int64 // kafka.FirstOffset or kafka.LastOffset

	ready     chan struct{}
	readyOnce sync.Once
	ran       atomic.Bool

	mu  sync.Mutex
	cur *generation // the generation being consumed, for the monitor

	closing sync.WaitGroup // readers closing in the background
	limiter limiter

	// Timings of the group protocol and of fetching; tests shorten them.
	heartbeat, session, rebalance time.Duration
	joinBackoff, maxJoinBackoff   time.Duration
	maxWait, linger               time.Duration
	queueCapacity                 int
	drainTimeout, commitTimeout   time.Duration
	readyTimeout                  time.Duration

	commitRounds atomic.Int64 // commit attempts made, for tests

	budget *budget

	// The source's series of the per-message counters.
	cMessages, cBytes, cCut, cBudgetWaits prometheus.Counter
}

// New checks opts and returns a source that sends its batches to out.
func New(opts Options, out chan<- *pipeline.Batch) (*Source, error) {
	if err := validate(&opts); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, fmt.Errorf("kafka source %q: no output channel", opts.Name)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		m, err := NewMetrics(prometheus.NewRegistry())
		if err != nil {
			return nil, err
		}
		opts.Metrics = m
	}
	s := &Source{
		opts:    opts,
		out:     out,
		log:     opts.Logger.With("source", opts.Name),
		m:       opts.Metrics,
		startAt: kafka.FirstOffset,
		ready:   make(chan struct{}),

		// A tenth of the session, as kafka-go's defaults (3 s of 30 s),
		// so that several can be lost before the member is; at most 3 s,
		// since heartbeats are also how a member learns of a rebalance,
		// which it must join within the rebalance timeout.
		heartbeat: min(opts.SessionTimeout/10, 3*time.Second),
		session:   opts.SessionTimeout,
		// Members rejoining a rebalance get at least as long as a silent
		// member does.
		rebalance:      max(30*time.Second, opts.SessionTimeout),
		joinBackoff:    500 * time.Millisecond,
		maxJoinBackoff: 10 * time.Second,
		maxWait:        time.Second,
		queueCapacity:  defaultQueueCapacity,
		linger:         5 * time.Millisecond,
		drainTimeout:   5 * time.Second,
		commitTimeout:  5 * time.Second,
		readyTimeout:   10 * time.Second,
	}
	if opts.StartAt == "latest" {
		s.startAt = kafka.LastOffset
	}
	s.limiter.last = make(map[string]time.Time)
	s.dialer = opts.Client.Dialer(5 * time.Second)
	// Metadata is cached this long at most: after a leader change, lag and
	// stall checks reach the new leader within it.
	s.transport = opts.Client.Transport(5*time.Second, opts.Topics, min(6*time.Second, max(opts.StallTimeout/4, 100*time.Millisecond)))
	s.transport.Dial = s.dialer.DialFunc
	s.client = &kafka.Client{Addr: opts.Client.Addr(), Timeout: 10 * time.Second, Transport: s.transport}
	s.m.addSource(opts.Name)
	s.cMessages = s.m.messages.WithLabelValues(opts.Name)
	s.cBytes = s.m.bytes.WithLabelValues(opts.Name)
	s.cCut = s.m.cut.WithLabelValues(opts.Name)
	s.budget = newBudget(int64(opts.MaxBytesInFlight))
	s.cBudgetWaits = s.m.budgetWaits.WithLabelValues(opts.Name)
	s.m.inFlight(opts.Name, s.budget)
	return s, nil
}

// validate checks that opts has what the source needs and fills the
// defaults of what the configuration does not set. What a user writes is
// checked by config (brokers, topic names, bounds); this catches a caller
// that left something out.
func validate(o *Options) error {
	name := o.Name
	if name == "" {
		return errors.New("kafka source: Name: must not be empty")
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("kafka source %q: %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	if err := o.Client.Check(); err != nil {
		return fmt.Errorf("kafka source %q: %w", name, err)
	}
	if len(o.Topics) == 0 {
		return bad("Topics", "at least one topic is needed")
	}
	if o.GroupID == "" {
		return bad("GroupID", "must not be empty: offsets are committed to a consumer group")
	}
	if o.StartAt != "earliest" && o.StartAt != "latest" {
		return bad("StartAt", "%q: must be earliest or latest", o.StartAt)
	}
	required := []struct {
		field string
		set   bool
	}{
		{"CommitInterval", o.CommitInterval > 0},
		{"StallTimeout", o.StallTimeout > 0},
		{"SessionTimeout", o.SessionTimeout > 0},
		{"BatchBytes", o.BatchBytes > 0},
		{"MaxMessageBytes", o.MaxMessageBytes > 0},
		{"MaxBytesInFlight", o.MaxBytesInFlight > 0},
	}
	for _, r := range required {
		if !r.set {
			return bad(r.field, "must be set, and positive")
		}
	}
	defaults := []struct {
		field string
		d     *time.Duration
		def   time.Duration
	}{
		{"LagInterval", &o.LagInterval, DefaultLagInterval},
		{"ShutdownTimeout", &o.ShutdownTimeout, DefaultShutdownTimeout},
	}
	for _, d := range defaults {
		switch {
		case *d.d == 0:
			*d.d = d.def
		case *d.d < 0:
			return bad(d.field, "%v is negative (0 means %v)", *d.d, d.def)
		}
	}
	switch {
	case o.BatchMessages == 0:
		o.BatchMessages = DefaultBatchMessages
	case o.BatchMessages < 0:
		return bad("BatchMessages", "%d is negative (0 means %d)", o.BatchMessages, DefaultBatchMessages)
	}
	return nil
}

// Ready is closed once the source has joined its consumer group for the
// first time, or has failed to join once (it keeps trying), or after 10 s
// whichever comes first: a broker that is down must not keep the daemon
// from getting ready.
func (s *Source) Ready() <-chan struct{} { return s.ready }

func (s *Source) markReady() { s.readyOnce.Do(func() { close(s.ready) }) }

// Run consumes until ctx is done, then commits what was counted, leaves the
// group and returns, within ShutdownTimeout. It returns an error only when
// called twice or when kafka-go refuses the group's configuration at the
// start; problems with Kafka are logged, counted and retried.
func (s *Source) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return fmt.Errorf("kafka source %q: Run called twice", s.opts.Name)
	}
	readyTimer := time.AfterFunc(s.readyTimeout, s.markReady)
	defer readyTimer.Stop()
	cgConfig := kafka.ConsumerGroupConfig{
		ID:                    s.opts.GroupID,
		Brokers:               s.opts.Client.Brokers,
		Dialer:                s.dialer,
		Topics:                s.opts.Topics,
		HeartbeatInterval:     s.heartbeat,
		SessionTimeout:        s.session,
		RebalanceTimeout:      s.rebalance,
		JoinGroupBackoff:      s.joinBackoff,
		WatchPartitionChanges: true,
		StartOffset:           s.startAt,
		Logger:                s.kafkaLogger(),
		ErrorLogger:           s.kafkaErrorLogger(),
	}
	cg, err := kafka.NewConsumerGroup(cgConfig)
	if err != nil {
		s.markReady()
		return fmt.Errorf("kafka source %q: %w", s.opts.Name, err)
	}
	var monitor, gens sync.WaitGroup
	monitor.Go(func() { s.monitor(ctx) })

	failures := 0
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, kafka.RebalanceInProgress) {
				// kafka-go rejoins at once; not a failure.
				s.log.Debug("consumer group rebalancing", "group", s.opts.GroupID)
				continue
			}
			failures++
			s.markReady()
			s.m.errors.WithLabelValues(s.opts.Name, "join").Inc()
			wait := min(s.joinBackoff<<min(failures-1, 16), s.maxJoinBackoff)
			s.log.Error("cannot join the Kafka consumer group; retrying", "group", s.opts.GroupID,
				"brokers", strings.Join(s.opts.Client.Brokers, ","), "err", err, "attempt", failures, "retry_in", wait)
			// kafka-go's group tries again as soon as its error is
			// taken (its JoinGroupBackoff runs from the failure), and
			// would hand that attempt's result over only after the
			// wait: stale, and a join that succeeded meanwhile would
			// wait unconsumed. A new group after the wait makes the
			// next attempt then.
			old := cg
			s.closing.Go(func() { old.Close() })
			if cg = s.newGroupAfter(ctx, cgConfig, wait); cg == nil {
				break // ctx ended
			}
			continue
		}
		if failures > 0 {
			s.log.Info("joined the Kafka consumer group after failures", "group", s.opts.GroupID, "failures", failures)
		}
		failures = 0
		s.m.rebalances.WithLabelValues(s.opts.Name).Inc()
		s.log.Info("consumer group generation", "group", s.opts.GroupID, "generation", gen.ID,
			"member", gen.MemberID, "partitions", assignmentString(gen.Assignments))
		gens.Add(1)
		gen.Start(func(gctx context.Context) {
			defer gens.Done()
			s.runGeneration(ctx, gctx, gen)
		})
		s.markReady()
	}

	// Shutdown: the generation's runner (woken by ctx) drains and commits;
	// closing the group ends the generation, then leaves the group. Each
	// wait is bounded: kafka-go's Close can block.
	deadline := time.Now().Add(s.opts.ShutdownTimeout)
	closed := make(chan struct{})
	go func() {
		if cg != nil {
			cg.Close()
		}
		close(closed)
	}()
	// In order: readers are closed by the generation's fetchers, which
	// have stopped once the generation is over.
	steps := []struct {
		what string
		done func() <-chan struct{}
	}{
		{"draining and committing", func() <-chan struct{} { return waitGroupChan(&gens) }},
		{"leaving the consumer group", func() <-chan struct{} { return closed }},
		{"closing the partition readers and failed groups", func() <-chan struct{} { return waitGroupChan(&s.closing) }},
		{"stopping the lag monitor", func() <-chan struct{} { return waitGroupChan(&monitor) }},
	}
	for _, st := range steps {
		if !waitUntil(deadline, st.done()) {
			s.log.Warn("Kafka source not stopped within the shutdown timeout; leaving it behind",
				"step", st.what, "timeout", s.opts.ShutdownTimeout)
			break
		}
	}
	s.transport.CloseIdleConnections()
	s.markReady()
	return nil
}

// runGeneration consumes the partitions assigned in gen until the generation
// ends (gctx) or the source stops (ctx); then it drains and commits.
func (s *Source) runGeneration(ctx, gctx context.Context, gen *kafka.Generation) {
	g := newGeneration(gen)
	s.resolveStarts(ctx, g)
	s.mu.Lock()
	s.cur = g
	s.mu.Unlock()
	s.m.assigned.WithLabelValues(s.opts.Name).Set(float64(len(g.parts)))

	fctx, stopFetching := context.WithCancel(ctx)
	var fetchers sync.WaitGroup
	for _, p := range g.parts {
		fetchers.Go(func() { s.fetchPartition(fctx, p) })
	}
	tick := time.NewTicker(s.opts.CommitInterval)
	shutdown := false
loop:
	for {
		select {
		case <-ctx.Done():
			shutdown = true
			break loop
		case <-gctx.Done():
			break loop
		case <-tick.C:
			cctx, cancel := context.WithTimeout(ctx, s.commitTimeout)
			s.commit(cctx, g)
			cancel()
		}
	}
	tick.Stop()
	// The monitor leaves a generation that is ending alone.
	s.mu.Lock()
	s.cur = nil
	s.mu.Unlock()
	stopFetching()
	fetchers.Wait()

	// Wait for the batches in flight, within the bound, then commit.
	start := time.Now()
	drain := s.drainTimeout
	if shutdown {
		drain = min(drain, s.opts.ShutdownTimeout*2/5)
	}
	drained := g.wait(drain)
	commitFor := s.commitTimeout
	if shutdown {
		commitFor = min(commitFor, s.opts.ShutdownTimeout*2/5)
	}
	cctx, cancel := context.WithTimeout(context.Background(), commitFor)
	err := s.commit(cctx, g)
	for attempt := 1; err != nil && attempt < 3 && sleep(cctx, 100*time.Millisecond*time.Duration(attempt)); attempt++ {
		err = s.commit(cctx, g)
	}
	cancel()
	left := g.release()
	why := "rebalance"
	if shutdown {
		why = "shutdown"
	}
	lvl := slog.LevelInfo
	if err != nil || !drained {
		lvl = slog.LevelWarn
	}
	s.log.Log(context.Background(), lvl, "partitions given up", "reason", why, "generation", gen.ID,
		"drained", drained, "batches_not_done", left, "final_commit_err", err, "took", time.Since(start).Round(time.Millisecond))

	s.m.assigned.WithLabelValues(s.opts.Name).Set(0)
	if shutdown {
		// Returning ends the generation: wait until the group is being
		// closed (Run does it now), or kafka-go would rejoin.
		select {
		case <-gctx.Done():
		case <-time.After(s.opts.ShutdownTimeout):
		}
	}
}

// newGroupAfter waits d, then makes a consumer group of cfg; it returns
// nil only when ctx ends first. Making one fails only on a configuration
// kafka-go refuses, which this one was not at the start, but should it
// fail the source keeps trying rather than stop unseen.
func (s *Source) newGroupAfter(ctx context.Context, cfg kafka.ConsumerGroupConfig, d time.Duration) *kafka.ConsumerGroup {
	for sleep(ctx, d) {
		cg, err := kafka.NewConsumerGroup(cfg)
		if err == nil {
			return cg
		}
		s.m.errors.WithLabelValues(s.opts.Name, "join").Inc()
		s.log.Error("cannot make a Kafka consumer group; retrying", "group", s.opts.GroupID, "err", err, "retry_in", s.maxJoinBackoff)
		d = s.maxJoinBackoff
	}
	return nil
}

// resolveStarts turns the start offsets kafka-go gives for partitions the
// group has no offset for (FirstOffset or LastOffset) into absolute offsets,
// so that a recreated reader never starts "at the end" again past messages
// it has not read, and so that the start position can be committed. A
// partition left unresolved (the request failed) keeps its relative offset.
func (s *Source) resolveStarts(ctx context.Context, g *generation) {
	want := map[int64][]*partition{}
	for _, p := range g.parts {
		if p.next < 0 {
			want[p.next] = append(want[p.next], p)
		}
	}
	for which, ps := range want {
		tps := make([]tp, len(ps))
		for i, p := range ps {
			tps[i] = p.tp
		}
		lctx, cancel := context.WithTimeout(ctx, s.commitTimeout)
		offs, err := s.listOffsets(lctx, tps, which)
		cancel()
		if err != nil {
			s.log.Warn("cannot resolve start offsets; the readers resolve them", "err", err)
		}
		for _, p := range ps {
			if o, ok := offs[p.tp]; ok && o >= 0 {
				p.next = o
				p.mu.Lock()
				p.offsets.Reset(o)
				p.mu.Unlock()
			}
		}
	}
}

// commit commits, for each partition of g, the offset past its last batch
// done in order, if it moved. It uses the generation's ID and member ID
// through the client, which finds the coordinator by itself and honours ctx.
func (s *Source) commit(ctx context.Context, g *generation) error {
	defer s.commitRounds.Add(1)
	topics := make(map[string][]kafka.OffsetCommit)
	var parts []*partition
	var readyAt []int64
	for _, p := range g.parts {
		p.mu.Lock()
		if ready := p.offsets.Committed(); ready >= 0 && ready > p.committed {
			topics[p.topic] = append(topics[p.topic], kafka.OffsetCommit{Partition: p.id, Offset: ready})
			parts = append(parts, p)
			readyAt = append(readyAt, ready)
		}
		p.mu.Unlock()
	}
	if len(parts) == 0 {
		return nil
	}
	resp, err := s.client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{
		GroupID: g.groupID, GenerationID: int(g.id), MemberID: g.memberID, Topics: topics,
	})
	failed := map[tp]error{}
	if err == nil {
		for topic, ps := range resp.Topics {
			for _, pr := range ps {
				if pr.Error != nil {
					failed[tp{topic, pr.Partition}] = pr.Error
					err = fmt.Errorf("partition %s/%d: %w", topic, pr.Partition, pr.Error)
				}
			}
		}
	}
	for i, p := range parts {
		if resp == nil || failed[p.tp] != nil {
			continue
		}
		p.mu.Lock()
		p.committed = max(p.committed, readyAt[i])
		p.mu.Unlock()
	}
	if err != nil {
		s.m.commitFailures.WithLabelValues(s.opts.Name).Inc()
		if s.limiter.allow("commit", 10*time.Second) {
			s.log.Warn("cannot commit offsets; retrying at the next commit", "group", g.groupID, "generation", g.id, "err", err)
		}
		return err
	}
	s.m.commits.WithLabelValues(s.opts.Name).Inc()
	return nil
}

func assignmentString(a map[string][]kafka.PartitionAssignment) string {
	var b strings.Builder
	for topic, ps := range a {
		for _, p := range ps {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s/%d@%d", topic, p.ID, p.Offset)
		}
	}
	return b.String()
}

// sleep waits d, or less if ctx ends; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func waitGroupChan(wg *sync.WaitGroup) <-chan struct{} {
	c := make(chan struct{})
	go func() {
		wg.Wait()
		close(c)
	}()
	return c
}

// waitUntil waits for c until deadline; it reports whether c was closed.
func waitUntil(deadline time.Time, c <-chan struct{}) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-c:
		return true
	case <-t.C:
		return false
	}
}
