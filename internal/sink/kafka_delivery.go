package sink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/segmentio/kafka-go"
)

// Run delivers events until ctx is done, then for at most FlushTimeout
// more, until everything buffered is acknowledged. It returns an error if
// some events were left undelivered (their batches are not done).
func (k *KafkaEvents) Run(ctx context.Context) error {
	k.mu.Lock()
	if k.started {
		k.mu.Unlock()
		return errors.New("kafka events: Run called twice")
	}
	k.started = true
	k.mu.Unlock()

	k.deliver(ctx, false)

	fctx, cancel := context.WithTimeout(context.Background(), k.opts.FlushTimeout)
	defer cancel()
	start := time.Now()
	k.deliver(fctx, true)

	closed := make(chan struct{})
	go func() {
		k.w.Close() // waits for writes in flight
		k.tr.CloseIdleConnections()
		close(closed)
	}()
	deadline, _ := fctx.Deadline()
	grace := time.NewTimer(max(time.Until(deadline), kafkaCloseGrace))
	defer grace.Stop()
	select {
	case <-closed:
	case <-grace.C:
		k.log.Warn("Kafka writer still busy at the end of the flush; leaving it", "flush_timeout", k.opts.FlushTimeout)
	}

	k.mu.Lock()
	k.closed = true
	left := k.used
	k.space.Broadcast()
	k.mu.Unlock()
	if left > 0 {
		k.droppedShutdown.Add(float64(left))
		k.log.Error("events undelivered at shutdown", "events", left, "flush_timeout", k.opts.FlushTimeout)
		return fmt.Errorf("kafka events: %d events undelivered to topic %s after flushing for %s", left, k.opts.Topic, k.opts.FlushTimeout)
	}
	k.log.Debug("events flushed", "in", time.Since(start))
	return nil
}

// deliver hands queued messages to the writer until ctx is done or, when
// flushing, until nothing is buffered.
func (k *KafkaEvents) deliver(ctx context.Context, flushing bool) {
	var spare []kafka.Message
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		k.mu.Lock()
		for {
			if ctx.Err() != nil || flushing && k.used == 0 {
				k.mu.Unlock()
				return
			}
			pending := len(k.retry) + len(k.fresh)
			wait := time.Until(k.pausedUntil)
			if pending > 0 && wait <= 0 {
				break
			}
			k.mu.Unlock()
			var tc <-chan time.Time
			if pending > 0 {
				timer.Reset(wait)
				tc = timer.C
			}
			select {
			case <-k.wake:
			case <-tc:
			case <-ctx.Done():
			}
			k.mu.Lock()
		}
		var msgs []kafka.Message
		if len(k.retry) == 0 {
			msgs, k.fresh = k.fresh, spare[:0]
		} else {
			msgs = append(spare[:0], k.retry...)
			msgs = append(msgs, k.fresh...)
			clear(k.retry)
			clear(k.fresh)
			k.retry, k.fresh = k.retry[:0], k.fresh[:0]
		}
		k.mu.Unlock()

		wctx, cancel := context.WithTimeout(ctx, k.opts.WriteTimeout)
		err := k.w.WriteMessages(wctx, msgs...) // async: only a metadata look-up can fail here
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				k.requeue(msgs) // cut short by the end of Run's context: the flush retries them
			} else {
				k.failed(msgs, err)
			}
		}
		clear(msgs) // the writer copied them; drop references to their buffers
		spare = msgs
	}
}

// completion is the writer's callback for one partition's batch.
func (k *KafkaEvents) completion(msgs []kafka.Message, err error) {
	if err != nil {
		k.failed(msgs, err)
		return
	}
	k.published.Add(float64(len(msgs)))
	k.mu.Lock()
	if k.failing > 0 {
		k.log.Info("writing events to Kafka again", "failed_writes", k.failing, "after", time.Since(k.failingSince).Round(time.Millisecond))
		k.failing = 0
	}
	k.mu.Unlock()
	for i := range msgs {
		b := msgs[i].WriterData.(*kafkaBatch)
		if b.left.Add(-1) == 0 {
			if b.done != nil {
				b.done()
			}
			k.release(b.n)
		}
	}
}

// failed queues messages whose write failed for a retry, and holds every
// write back for a while.
func (k *KafkaEvents) failed(msgs []kafka.Message, err error) {
	k.failures.Add(float64(len(msgs)))
	now := time.Now()
	k.mu.Lock()
	if !now.Before(k.pausedUntil) { // not a write already held back by a failure
		if k.failing == 0 {
			k.failingSince = now
		}
		k.failing++
		delay := k.backoffMin << min(k.failing-1, 20)
		delay = min(delay, k.backoffMax)
		delay = delay/2 + rand.N(delay/2+1)
		k.pausedUntil = now.Add(delay)
		if k.failing == 1 || now.Sub(k.lastFailLog) >= kafkaFailureLogEvery {
			k.lastFailLog = now
			k.log.Warn("cannot write events to Kafka; retrying", "events", len(msgs), "failed_writes", k.failing,
				"since", k.failingSince.Format(time.RFC3339), "retry_in", delay.Round(time.Millisecond), "err", err)
		}
	}
	k.mu.Unlock()
	k.requeue(msgs)
}

// requeue queues copies of msgs, as the writer's would carry what it set
// on them (kafka-go sets Topic on a failed batch's messages, and a message
// with a Topic is refused by a Writer with one).
func (k *KafkaEvents) requeue(msgs []kafka.Message) {
	k.mu.Lock()
	for _, m := range msgs {
		k.retry = append(k.retry, kafka.Message{Key: m.Key, Value: m.Value, WriterData: m.WriterData, Time: m.Time})
	}
	k.mu.Unlock()
	k.signal()
}
