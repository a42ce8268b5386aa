package kafkasource

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// fetchPartition reads p until ctx ends, with one kafka-go Reader at a time:
// the stall check ends a reader (p.restart) to have it recreated where
// reading is.
func (s *Source) fetchPartition(ctx context.Context, p *partition) {
	for ctx.Err() == nil {
		rctx, cancel := context.WithCancel(ctx)
		p.mu.Lock()
		next := p.next
		p.restart = cancel
		p.lastProgress = time.Now()
		p.mu.Unlock()
		r := s.newReader(p, next)
		p.mu.Lock()
		p.reader = r
		p.mu.Unlock()
		s.consume(ctx, rctx, r, p)
		cancel()
		s.closeReader(r)
	}
}

func (s *Source) newReader(p *partition, offset int64) *kafka.Reader {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:         s.opts.Client.Brokers,
		Topic:           p.topic,
		Partition:       p.id,
		Dialer:          s.dialer,
		MinBytes:        1,
		MaxBytes:        max(s.opts.BatchBytes, 1<<20),
		MaxWait:         s.maxWait,
		QueueCapacity:   s.queueCapacity,
		ReadLagInterval: -1, // lag is ours (monitor.go)
		Logger:          s.kafkaLogger(),
		ErrorLogger:     s.kafkaErrorLogger(),
	})
	// Before the first fetch, SetOffset only sets where the reader starts.
	r.SetOffset(offset)
	return r
}

// closeReader closes r in the background: kafka-go's Close waits for the
// fetch in progress (up to MaxWait, or longer: #428, #1353). Run waits for
// it up to its shutdown bound.
func (s *Source) closeReader(r *kafka.Reader) {
	s.closing.Go(func() { r.Close() })
}

// batch is a batch being filled, and the size of the one before it: a new
// batch starts at that size, since a partition's batches are alike, rather
// than growing to it from 4 KiB (8 % of the source's CPU at 130-byte
// messages, profiled).
type batch struct {
	b                    *pipeline.Batch
	lastBytes, lastCount int
	held                 int64 // of the source's budget, given back when b is done
}

// consume reads messages from r and sends them in batches until rctx ends
// (the reader is to be recreated: what was read is still sent) or ctx ends.
func (s *Source) consume(ctx, rctx context.Context, r *kafka.Reader, p *partition) {
	var cur batch
	for {
		m, err := r.FetchMessage(rctx)
		if err != nil {
			if rctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			s.fetchError(p, err)
			continue
		}
		p.progress()
		if !s.hold(ctx, p, &cur, m) || !s.add(ctx, p, &cur, m) {
			return
		}
		// More messages that are already there join the batch; a short
		// linger lets a fetch's messages arrive from kafka-go's queue.
		lctx, cancel := context.WithTimeout(rctx, s.linger)
		for cur.b != nil {
			m, err = r.FetchMessage(lctx)
			if err != nil {
				if lctx.Err() == nil && !errors.Is(err, io.EOF) {
					s.fetchError(p, err)
				}
				break
			}
			if !s.hold(ctx, p, &cur, m) || !s.add(ctx, p, &cur, m) {
				cancel()
				return
			}
		}
		cancel()
		if !s.flush(ctx, p, &cur) {
			return
		}
	}
}

// kept is how many bytes of m a batch keeps.
func (s *Source) kept(m kafka.Message) int64 {
	return int64(min(len(m.Value), s.opts.MaxMessageBytes)) + 1
}

// hold takes what m's batch will keep from the source's budget, waiting
// while it is spent: first the batch being filled is sent, so that what it
// holds can be done and given back. It reports false when ctx ended.
func (s *Source) hold(ctx context.Context, p *partition, cur *batch, m kafka.Message) bool {
	n := s.kept(m)
	if s.budget.tryTake(n) {
		return true
	}
	if !s.flush(ctx, p, cur) {
		return false
	}
	s.cBudgetWaits.Inc()
	// Waiting on the pipeline, as in send: not a stall.
	p.mu.Lock()
	p.sending = true
	p.mu.Unlock()
	ok := s.budget.take(ctx, n)
	p.mu.Lock()
	p.sending = false
	p.lastProgress = time.Now()
	p.mu.Unlock()
	return ok
}

// add puts m in the batch being filled, sending it first if m does not fit,
// and after if it is full; hold has taken what m keeps of the budget, which
// goes with the batch m is in. It reports false when ctx ended.
func (s *Source) add(ctx context.Context, p *partition, cur *batch, m kafka.Message) bool {
	n := s.kept(m)
	s.cMessages.Inc()
	s.cBytes.Add(float64(len(m.Value)))
	v := m.Value
	if len(v) > s.opts.MaxMessageBytes {
		// A batch of its own, cut, without the '\n' a whole value gets.
		s.cCut.Inc()
		if s.limiter.allow("cut", time.Minute) {
			s.log.Warn("Kafka message longer than max_message_bytes; scanning its first bytes only",
				"origin", p.origin, "offset", m.Offset, "bytes", len(v), "max_message_bytes", s.opts.MaxMessageBytes)
		}
		if !s.flush(ctx, p, cur) {
			s.budget.give(n)
			return false
		}
		data := make([]byte, s.opts.MaxMessageBytes)
		copy(data, v)
		b := &pipeline.Batch{Source: s.opts.Name, Origin: p.origin, Offset: m.Offset, End: m.Offset + 1,
			Data: data, Cut: true, Messages: []pipeline.Message{{Start: 0, Topic: p.topic, Partition: p.id, Offset: m.Offset}}}
		return s.send(ctx, p, b, n)
	}
	need := len(v)
	if need > 0 && v[need-1] != '\n' {
		need++
	}
	if cur.b != nil && len(cur.b.Data)+need > s.opts.BatchBytes {
		if !s.flush(ctx, p, cur) {
			s.budget.give(n)
			return false
		}
	}
	cur.held += n
	if cur.b == nil {
		cur.b = &pipeline.Batch{Source: s.opts.Name, Origin: p.origin, Offset: m.Offset,
			Data:     make([]byte, 0, min(s.opts.BatchBytes, max(need, cur.lastBytes, 4096))),
			Messages: make([]pipeline.Message, 0, min(s.opts.BatchMessages, max(cur.lastCount, 1)))}
	}
	b := cur.b
	b.Messages = append(b.Messages, pipeline.Message{Start: len(b.Data), Topic: p.topic, Partition: p.id, Offset: m.Offset})
	// An empty value adds nothing to scan; its offset is committed with
	// the batch like any other.
	b.Data = append(b.Data, v...)
	if len(v) > 0 && v[len(v)-1] != '\n' {
		b.Data = append(b.Data, '\n')
	}
	b.End = m.Offset + 1
	if len(b.Messages) >= s.opts.BatchMessages || len(b.Data) >= s.opts.BatchBytes {
		return s.flush(ctx, p, cur)
	}
	return true
}

// flush sends the batch being filled, if any.
func (s *Source) flush(ctx context.Context, p *partition, cur *batch) bool {
	if cur.b == nil {
		return true
	}
	b, held := cur.b, cur.held
	*cur = batch{lastBytes: len(b.Data), lastCount: len(b.Messages)}
	return s.send(ctx, p, b, held)
}

// send hands b to the pipeline, registered first so that its Done, which a
// worker may call before Send returns, finds it; held is what b holds of
// the budget, given back when it is done or not sent.
func (s *Source) send(ctx context.Context, p *partition, b *pipeline.Batch, held int64) bool {
	f := p.register(b.End)
	b.Bytes = int64(len(b.Data))
	b.Done = func() {
		p.done(f)
		s.budget.give(held)
	}
	p.mu.Lock()
	p.sending = true
	p.mu.Unlock()
	ok := pipeline.Send(ctx, s.out, b)
	p.mu.Lock()
	p.sending = false
	p.lastProgress = time.Now()
	if ok {
		p.next = b.End
	}
	p.mu.Unlock()
	if !ok {
		p.unregister(f)
		s.budget.give(held)
	}
	return ok
}

func (p *partition) progress() {
	p.mu.Lock()
	p.lastProgress = time.Now()
	p.mu.Unlock()
}

func (s *Source) fetchError(p *partition, err error) {
	s.m.errors.WithLabelValues(s.opts.Name, "fetch").Inc()
	if s.limiter.allow("fetch "+p.origin, 10*time.Second) {
		s.log.Warn("cannot fetch from Kafka; retrying", "origin", p.origin, "err", err)
	}
}
