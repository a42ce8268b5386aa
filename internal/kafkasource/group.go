package kafkasource

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// The consumer group: joining, each generation's partitions and their
// start offsets, and the commits made with the generation's IDs.

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
	// Offsets are committed every CommitInterval, and once more in each
	// interval when the member catches up (every partition read to its
	// end, every batch done): a backlog's offsets are committed as soon as
	// it is counted rather than up to an interval later, and a trickle of
	// messages makes at most two commits an interval.
	tick := time.NewTicker(s.opts.CommitInterval)
	commitNow := func() {
		cctx, cancel := context.WithTimeout(ctx, s.commitTimeout)
		s.commit(cctx, g)
		cancel()
	}
	shutdown, caughtUpCommitted := false, false
loop:
	for {
		select {
		case <-ctx.Done():
			shutdown = true
			break loop
		case <-gctx.Done():
			break loop
		case <-tick.C:
			commitNow()
			caughtUpCommitted = false
		case <-g.idleCh:
			if !caughtUpCommitted && g.caughtUp() && g.committable() {
				commitNow()
				caughtUpCommitted = true
			}
			s.idleChecks.Add(1)
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
