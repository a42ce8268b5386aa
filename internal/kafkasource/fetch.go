package kafkasource

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/odpswatch/odpswatch/internal/pipeline"
)

// fetchPartition reads p until ctx ends, over one connection at a time to
// its leader: a failed connection or fetch is retried on a new one after a
// backoff, and the stall check ends a connection (p.restart) to have it
// made again where reading is.
func (s *Source) fetchPartition(ctx context.Context, p *partition) {
	for failures := 0; ctx.Err() == nil; {
		if failures > 0 && !sleep(ctx, min(s.retryBackoff<<min(failures-1, 16), s.maxRetryBackoff)) {
			return
		}
		rctx, cancel := context.WithCancel(ctx)
		p.mu.Lock()
		next := p.next
		p.restart = cancel
		p.lastProgress = time.Now()
		p.mu.Unlock()
		read, err := s.consume(ctx, rctx, p, next)
		ended := rctx.Err() != nil // the stall check, or the generation's end
		cancel()
		switch {
		case ended:
			failures = 0 // made again at once
		case read:
			failures = 1 // the connection worked: the shortest wait
		default:
			failures++
		}
		if err != nil && !ended {
			s.fetchError(p, err)
		}
	}
}

// retryBackoff and maxRetryBackoff bound the wait before a partition's
// connection is made again after a failure: it doubles from the first to
// the second.
const (
	defaultRetryBackoff    = 100 * time.Millisecond
	defaultMaxRetryBackoff = 5 * time.Second
)

// fetchTimeout is how long a fetch may take beyond the broker's MaxWait,
// and reading its next message, before the connection is given up.
const fetchTimeout = 10 * time.Second

// consume reads p from offset next over a new connection to its leader,
// one fetch (kafka-go's Conn.ReadBatchWith) at a time, and sends the
// messages in batches, until rctx ends (the connection is to be made
// again: what was read is still sent), ctx ends, or a fetch fails. It
// reports whether it read anything, and the error that ended it.
//
// Reading a fetch's messages in this goroutine, rather than through
// kafka-go's Reader, costs no goroutine hand-over, channel send or read
// deadline per message: they were 64 % of the source's CPU (bench/kafka.md).
func (s *Source) consume(ctx, rctx context.Context, p *partition, next int64) (read bool, err error) {
	conn, err := s.dialLeader(rctx, p)
	if err != nil {
		return false, err
	}
	if s.connected != nil {
		s.connected(conn)
	}
	// A read blocked in a long poll ends when rctx does.
	stop := context.AfterFunc(rctx, func() { conn.Close() })
	defer func() {
		stop()
		conn.Close()
	}()
	if next, err = s.seek(conn, p, next); err != nil {
		return false, err
	}
	var cur batch
	for {
		conn.SetReadDeadline(time.Now().Add(s.maxWait + fetchTimeout))
		fetch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: s.fetchBytes, MaxWait: s.maxWait})
		paused, from := cur.paused, next
		for {
			m, err := fetch.ReadMessage()
			if err != nil {
				break
			}
			if !s.hold(ctx, p, &cur, m) || !s.add(ctx, p, &cur, m) {
				fetch.Close()
				return read, nil
			}
			next = m.Offset + 1
			if cur.paused != paused {
				// A send or the budget may have waited on the pipeline:
				// the rest of the fetch gets its own time.
				paused = cur.paused
				conn.SetReadDeadline(time.Now().Add(fetchTimeout))
			}
		}
		err := fetch.Close()
		if next != from {
			read = true
			p.progress()
		}
		// The batch being filled waits for the next fetch while the broker
		// has more at once; else it goes now.
		// An empty fetch (a long poll that found nothing) ends in
		// kafka-go's RequestTimedOut: at the end too.
		atEnd := (err == nil || errors.Is(err, kafka.RequestTimedOut) && next == from) && next >= fetch.HighWaterMark()
		if err != nil || atEnd || rctx.Err() != nil {
			if !s.flush(ctx, p, &cur) {
				return read, nil
			}
		}
		p.readToEnd(atEnd)
		switch {
		case err == nil:
		case rctx.Err() != nil:
			return read, nil
		case errors.Is(err, kafka.OffsetOutOfRange):
			// Deleted under the reader: on from the first offset. Else
			// the broker is not consistent: tried again after a backoff.
			at, err := s.seek(conn, p, next)
			if err != nil {
				return read, err
			}
			if at == next {
				return read, fmt.Errorf("fetch at offset %d of %s: %w", next, p.origin, kafka.OffsetOutOfRange)
			}
			next = at
		case errors.Is(err, kafka.RequestTimedOut):
			// The broker's own timeout: fetch again.
		default:
			return read, err
		}
	}
}

// dialLeader connects to p's leader, asking each broker in turn where it is.
func (s *Source) dialLeader(ctx context.Context, p *partition) (*kafka.Conn, error) {
	var errs []error
	for _, broker := range s.opts.Client.Brokers {
		conn, err := s.dialer.DialLeader(ctx, "tcp", broker, p.topic, p.id)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", broker, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("cannot reach the leader of %s: %w", p.origin, errors.Join(errs...))
}

// seek places conn at next, a start offset still relative
// (kafka.FirstOffset or LastOffset: the generation could not resolve it)
// or an absolute one, and returns where reading starts. An offset before
// the partition's first (retention deleted what was not read) starts at
// the first, logged and counted; one past its end is an error (tried
// again later).
func (s *Source) seek(conn *kafka.Conn, p *partition, next int64) (int64, error) {
	conn.SetDeadline(time.Now().Add(fetchTimeout))
	first, last, err := conn.ReadOffsets()
	conn.SetDeadline(time.Time{})
	if err != nil {
		return next, err
	}
	switch {
	case next == kafka.FirstOffset || next == kafka.LastOffset:
		abs := first
		if next == kafka.LastOffset {
			abs = last
		}
		p.mu.Lock()
		if p.next < 0 {
			p.next = abs
			p.offsets.Reset(abs)
		}
		p.mu.Unlock()
		next = abs
	case next < first:
		s.m.skipped.WithLabelValues(s.opts.Name).Add(float64(first - next))
		s.log.Warn("Kafka messages deleted before they were read (retention); reading on from the partition's first offset",
			"origin", p.origin, "next_offset", next, "first_offset", first, "skipped", first-next)
		// Reading resumes there (a new connection does not skip them
		// again), and the commit may move there once every batch before
		// is done: an empty batch, done.
		p.mu.Lock()
		p.next = first
		p.offsets.Done(p.offsets.Add(first))
		p.mu.Unlock()
		next = first
	case next > last:
		return next, fmt.Errorf("offset %d is past the end of %s (%d)", next, p.origin, last)
	}
	_, err = conn.Seek(next, kafka.SeekAbsolute|kafka.SeekDontCheck)
	return next, err
}

// batch is a batch being filled, and the size of the one before it: a new
// batch starts at that size, since a partition's batches are alike, rather
// than growing to it from 4 KiB (8 % of the source's CPU at 130-byte
// messages, profiled).
type batch struct {
	b                    *pipeline.Batch
	lastBytes, lastCount int
	held                 int64 // of the source's budget, given back when b is done
	paused               int   // batches sent (or not, ctx ending) and waits on the budget so far
	// The messages and value bytes added since the counters last were.
	messages, bytes int
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
	cur.paused++
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
	cur.messages++
	cur.bytes += len(m.Value)
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
		cur.paused++
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

// flush sends the batch being filled, if any, and counts the messages
// added since the last flush.
func (s *Source) flush(ctx context.Context, p *partition, cur *batch) bool {
	if cur.messages > 0 {
		s.cMessages.Add(float64(cur.messages))
		s.cBytes.Add(float64(cur.bytes))
		cur.messages, cur.bytes = 0, 0
	}
	if cur.b == nil {
		return true
	}
	b, held := cur.b, cur.held
	*cur = batch{lastBytes: len(b.Data), lastCount: len(b.Messages), paused: cur.paused + 1}
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
