package kafkasource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// monitor computes the lag every LagInterval and looks for stalled readers
// every quarter of StallTimeout, until ctx ends.
func (s *Source) monitor(ctx context.Context) {
	lagT := time.NewTicker(s.opts.LagInterval)
	defer lagT.Stop()
	stallT := time.NewTicker(max(s.opts.StallTimeout/4, 10*time.Millisecond))
	defer stallT.Stop()
	series := make(map[tp]bool) // lag series exported
	defer func() {
		for k := range series {
			s.m.lag.DeleteLabelValues(s.opts.Name, k.topic, strconv.Itoa(k.id))
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-lagT.C:
			lctx, cancel := context.WithTimeout(ctx, max(min(s.opts.LagInterval, 10*time.Second), time.Second))
			err := s.updateLag(lctx, series)
			cancel()
			if err != nil && ctx.Err() == nil {
				s.m.errors.WithLabelValues(s.opts.Name, "lag").Inc()
				if s.limiter.allow("lag", time.Minute) {
					s.log.Warn("cannot compute the Kafka consumer lag", "err", err)
				}
			}
		case <-stallT.C:
			sctx, cancel := context.WithTimeout(ctx, max(min(s.opts.StallTimeout, 10*time.Second), time.Second))
			s.checkStalls(sctx)
			cancel()
		}
	}
}

// updateLag sets odpswatch_kafka_consumer_lag for every partition assigned
// to this member: the partition's end offset minus the group's committed
// offset (a partition the group has committed nothing for lags by its whole
// content with earliest, not at all with latest). Each member of a group
// exports its own partitions, so that the instance label says who is
// behind. Between generations the last values stay; series of partitions
// given up go at the next update.
func (s *Source) updateLag(ctx context.Context, series map[tp]bool) error {
	s.mu.Lock()
	g := s.cur
	s.mu.Unlock()
	if g == nil {
		return nil
	}
	tps := make([]tp, 0, len(g.parts))
	for k := range g.parts {
		tps = append(tps, k)
	}
	lags := make(map[tp]int64)
	if len(tps) > 0 {
		ends, err := s.listOffsets(ctx, tps, kafka.LastOffset)
		if err != nil {
			return err
		}
		req := &kafka.OffsetFetchRequest{GroupID: s.opts.GroupID, Topics: map[string][]int{}}
		for _, k := range tps {
			req.Topics[k.topic] = append(req.Topics[k.topic], k.id)
		}
		resp, err := s.client.OffsetFetch(ctx, req)
		if err == nil && resp.Error != nil {
			err = resp.Error
		}
		if err != nil {
			return fmt.Errorf("fetching the group's offsets: %w", err)
		}
		var starts map[tp]int64
		for topic, ps := range resp.Topics {
			for _, p := range ps {
				k := tp{topic, p.Partition}
				end, ok := ends[k]
				if p.Error != nil || !ok {
					continue
				}
				c := p.CommittedOffset
				if c < 0 && s.startAt == kafka.LastOffset {
					c = end
				} else if c < 0 {
					if starts == nil {
						if starts, err = s.listOffsets(ctx, tps, kafka.FirstOffset); err != nil {
							return err
						}
					}
					if c, ok = starts[k]; !ok {
						continue
					}
				}
				lags[k] = max(end-c, 0)
			}
		}
	}
	for k, lag := range lags {
		s.m.lag.WithLabelValues(s.opts.Name, k.topic, strconv.Itoa(k.id)).Set(float64(lag))
		series[k] = true
	}
	s.lagMu.Lock()
	s.lags = lags
	s.lagMu.Unlock()
	for k := range series {
		if _, ok := g.parts[k]; !ok {
			s.m.lag.DeleteLabelValues(s.opts.Name, k.topic, strconv.Itoa(k.id))
			delete(series, k)
		}
	}
	return nil
}

// listOffsets returns the first (kafka.FirstOffset) or end (kafka.LastOffset)
// offsets of partitions; partitions with an error are left out.
func (s *Source) listOffsets(ctx context.Context, tps []tp, which int64) (map[tp]int64, error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, k := range tps {
		r := kafka.LastOffsetOf(k.id)
		if which == kafka.FirstOffset {
			r = kafka.FirstOffsetOf(k.id)
		}
		req.Topics[k.topic] = append(req.Topics[k.topic], r)
	}
	resp, err := s.client.ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make(map[tp]int64)
	var errs []error
	for topic, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				errs = append(errs, fmt.Errorf("%s/%d: %w", topic, p.Partition, p.Error))
				continue
			}
			o := p.LastOffset
			if which == kafka.FirstOffset {
				o = p.FirstOffset
			}
			out[tp{topic, p.Partition}] = o
		}
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// checkStalls recreates the reader of every partition that has delivered
// nothing for StallTimeout, while not waiting on the pipeline, although its
// end offset is past the next offset to read.
func (s *Source) checkStalls(ctx context.Context) {
	s.mu.Lock()
	g := s.cur
	s.mu.Unlock()
	if g == nil {
		return
	}
	silent := func(p *partition, now time.Time) bool {
		return !p.sending && !p.released && p.restart != nil && p.next >= 0 &&
			now.Sub(p.lastProgress) >= s.opts.StallTimeout
	}
	var cands []*partition
	var tps []tp
	now := time.Now()
	for _, p := range g.parts {
		p.mu.Lock()
		if silent(p, now) {
			cands = append(cands, p)
			tps = append(tps, p.tp)
		}
		p.mu.Unlock()
	}
	if len(cands) == 0 {
		return
	}
	ends, err := s.listOffsets(ctx, tps, kafka.LastOffset)
	if err != nil {
		if s.limiter.allow("stall", time.Minute) {
			s.log.Warn("cannot check silent Kafka partitions for lag", "err", err)
		}
		return
	}
	now = time.Now()
	for _, p := range cands {
		end, ok := ends[p.tp]
		if !ok {
			continue
		}
		p.mu.Lock()
		stalled := silent(p, now) && end > p.next
		next, since := p.next, now.Sub(p.lastProgress)
		if stalled {
			p.restart()
			p.lastProgress = now
		}
		p.mu.Unlock()
		if stalled {
			s.m.restarts.WithLabelValues(s.opts.Name).Inc()
			s.log.Warn("Kafka reader stalled: nothing delivered while the partition has messages to read; recreating it",
				"origin", p.origin, "next_offset", next, "end_offset", end, "silent_for", since.Round(time.Millisecond))
		}
	}
}

// limiter lets a message through once per period per key.
type limiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (l *limiter) allow(key string, every time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if t, ok := l.last[key]; ok && now.Sub(t) < every {
		return false
	}
	l.last[key] = now
	return true
}

// kafkaLogger routes kafka-go's chatter to debug, when that is enabled.
func (s *Source) kafkaLogger() kafka.Logger {
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return nil
	}
	return kafka.LoggerFunc(func(format string, args ...any) {
		s.log.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "kafka-go")
	})
}

// kafkaErrorLogger routes kafka-go's error messages to info, each kind at
// most once a minute (it retries by itself; what matters is logged by the
// source as warnings and counted).
func (s *Source) kafkaErrorLogger() kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		if s.log.Enabled(context.Background(), slog.LevelDebug) || s.limiter.allow("kafka-go "+format, time.Minute) {
			s.log.Info(strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "kafka-go")
		}
	})
}

// PartitionLag is a partition assigned to this member and how far the
// group's committed offset is behind its end.
type PartitionLag struct {
	Topic     string
	Partition int
	Lag       int64
}

// Partitions returns the partitions assigned to this member and their lag
// as of the last update (every LagInterval), by topic and partition; for
// the status page. It may be called from any goroutine.
func (s *Source) Partitions() []PartitionLag {
	s.lagMu.Lock()
	defer s.lagMu.Unlock()
	out := make([]PartitionLag, 0, len(s.lags))
	for k, lag := range s.lags {
		out = append(out, PartitionLag{k.topic, k.id, lag})
	}
	slices.SortFunc(out, func(a, b PartitionLag) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}
