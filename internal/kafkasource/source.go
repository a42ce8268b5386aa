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
//     Instead it drives kafka-go's ConsumerGroup itself, and reads each
//     assigned partition over a connection of its own to the partition's
//     leader, a fetch at a time (Conn.ReadBatchWith), in one goroutine: no
//     hand-over per message as in kafka-go's Reader. When a generation ends (a rebalance, or shutdown) it stops fetching, waits a bounded time
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
//     new connection, resumes there rather than at a later "end". Messages
//     the broker deleted (retention) before they were read are skipped,
//     logged and counted (odpswatch_kafka_messages_skipped_total).
//
//   - Bounded memory: a partition reads a fetch's messages as it batches
//     them, and waits (with the one message it holds) while the source
//     holds MaxBytesInFlight; batches are at most BatchBytes (or one message
//     of up to MaxMessageBytes), and wait on the pipeline's bounded queue.
//
//   - Bounded shutdown. Run returns within ShutdownTimeout of its context
//     ending, even when kafka-go's Close blocks (#428, #1353): the group is
//     closed in a goroutine that is waited for up to that bound, and a
//     partition's connection is closed at once (a long poll ends with it).
//
//   - Stalls. A partition that has delivered nothing for StallTimeout while
//     its end offset is past the next offset to read (and while the source
//     is not itself waiting on the pipeline) gets a new connection at that
//     offset, to the leader found again (#955, #1133, #387), and it is
//     counted. A failed connection or fetch is retried with a backoff that
//     doubles from 0.1 s up to 5 s.
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

	"github.com/odpswatch/odpswatch/internal/pipeline"
)

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
	maxWait                       time.Duration
	retryBackoff, maxRetryBackoff time.Duration
	fetchBytes                    int // a fetch's MaxBytes
	// connected, if set, is told of each partition connection made (tests).
	connected                   func(*kafka.Conn)
	drainTimeout, commitTimeout time.Duration
	readyTimeout                time.Duration

	commitRounds atomic.Int64 // commit attempts made, for tests
	idleChecks   atomic.Int64 // times the member looked whether it caught up, for tests

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
		rebalance:       max(30*time.Second, opts.SessionTimeout),
		joinBackoff:     500 * time.Millisecond,
		maxJoinBackoff:  10 * time.Second,
		maxWait:         time.Second,
		retryBackoff:    defaultRetryBackoff,
		maxRetryBackoff: defaultMaxRetryBackoff,
		fetchBytes:      max(opts.BatchBytes, 1<<20),
		drainTimeout:    5 * time.Second,
		commitTimeout:   5 * time.Second,
		readyTimeout:    10 * time.Second,
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
		{"closing failed groups", func() <-chan struct{} { return waitGroupChan(&s.closing) }},
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
