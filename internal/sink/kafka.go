package sink

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// Retry delays after failed writes: the first, doubled at each failure in a
// row up to the last, with jitter.
const (
	kafkaBackoffMin = 100 * time.Millisecond
	kafkaBackoffMax = 5 * time.Second
)

// kafkaFailureLogEvery is how often a sink that keeps failing says so again.
const kafkaFailureLogEvery = 30 * time.Second

// kafkaCloseGrace is how long Run waits for the writer to close once the
// flush is over: Run returns within FlushTimeout and this.
const kafkaCloseGrace = 500 * time.Millisecond

// kafkaMetadataTTL bounds how long kafka-go keeps the topic's metadata: it
// does not look again on a failed produce, so this is how late a new leader
// or a broker back up is seen.
const kafkaMetadataTTL = 3 * time.Second

// KafkaEvents publishes events to a Kafka topic as JSON messages, one per
// event, through kafka-go's Writer. It implements EventPublisher: a batch is
// done once every one of its events has been acknowledged by the broker.
// A failed write is retried, with a growing delay (100ms to 5s), for as
// long as Run runs, so events are not lost while Kafka is down; the buffer
// fills meanwhile and Publish blocks (or drops, with DropWhenFull).
//
// A retried write may have reached the broker before it failed (a timeout
// after the broker appended it): an event is then published twice. Events
// retried are written after those that followed them.
type KafkaEvents struct {
	opts  KafkaEventsOptions
	log   *slog.Logger
	w     *kafka.Writer
	tr    *kafka.Transport
	keyBy string

	published, failures, droppedFull, droppedShutdown prometheus.Counter
	buffered                                          prometheus.Gauge

	// backoffMin and backoffMax bound the delay before retrying a failed
	// write (tests shorten them).
	backoffMin, backoffMax time.Duration

	mu      sync.Mutex
	space   *sync.Cond // signalled when buffer space is freed or the sink closes
	used    int        // events admitted and not done
	started bool       // Run was called
	closed  bool       // Run has returned: Publish admits nothing more
	fresh   []kafka.Message
	retry   []kafka.Message
	// failing counts writes failed in a row; pausedUntil holds every write
	// back after a failure.
	failing      int
	failingSince time.Time
	lastFailLog  time.Time
	pausedUntil  time.Time

	wake        chan struct{} // capacity 1: work queued, buffer emptied
	lastDropLog atomic.Int64  // unix nanoseconds
}

// kafkaBatch is one Publish call's events in flight.
type kafkaBatch struct {
	n    int
	left atomic.Int64
	done func()
}

// NewKafkaEvents checks opts and returns the sink; start it with Run.
// Nothing is dialled before Run.
func NewKafkaEvents(opts KafkaEventsOptions) (*KafkaEvents, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics, _ = NewKafkaEventsMetrics(prometheus.NewRegistry())
	}
	acks := map[string]kafka.RequiredAcks{"all": kafka.RequireAll, "one": kafka.RequireOne, "none": kafka.RequireNone}[opts.RequiredAcks]
	codec := map[string]kafka.Compression{"none": 0, "gzip": kafka.Gzip, "snappy": kafka.Snappy, "lz4": kafka.Lz4, "zstd": kafka.Zstd}[opts.Compression]
	m := opts.Metrics
	k := &KafkaEvents{
		opts:            opts,
		log:             opts.Logger.With("sink", "kafka", "topic", opts.Topic),
		keyBy:           opts.KeyBy,
		published:       m.published.WithLabelValues(opts.Topic),
		failures:        m.failures.WithLabelValues(opts.Topic),
		droppedFull:     m.dropped.WithLabelValues(opts.Topic, KafkaDropBufferFull),
		droppedShutdown: m.dropped.WithLabelValues(opts.Topic, KafkaDropShutdown),
		buffered:        m.buffered.WithLabelValues(opts.Topic),
		backoffMin:      kafkaBackoffMin,
		backoffMax:      kafkaBackoffMax,
		wake:            make(chan struct{}, 1),
	}
	m.capacity.WithLabelValues(opts.Topic).Set(float64(opts.BufferEvents))
	k.space = sync.NewCond(&k.mu)
	k.tr = opts.Client.Transport(opts.WriteTimeout, []string{opts.Topic}, kafkaMetadataTTL)
	k.w = &kafka.Writer{
		Addr:     opts.Client.Addr(),
		Topic:    opts.Topic,
		Balancer: kafka.Murmur2Balancer{}, // the Java client's partitioner: same key, same partition
		// One attempt: retries are ours, unbounded, with the buffer as the
		// back-pressure while they last.
		MaxAttempts:  1,
		BatchSize:    opts.BatchSize,
		BatchTimeout: opts.BatchTimeout,
		ReadTimeout:  opts.WriteTimeout,
		WriteTimeout: opts.WriteTimeout,
		RequiredAcks: acks,
		Async:        true,
		Completion:   k.completion,
		Compression:  codec,
		Transport:    k.tr,
		ErrorLogger: kafka.LoggerFunc(func(format string, args ...any) {
			k.log.Debug(fmt.Sprintf(format, args...))
		}),
	}
	return k, nil
}

// Publish implements EventPublisher. It encodes the events and queues them
// for Run; it blocks while the buffer is full, unless DropWhenFull is set.
// Once Run has returned, it admits nothing (done is not called, and the
// events are counted as dropped for shutdown).
func (k *KafkaEvents) Publish(events []Event, done func()) {
	n := len(events)
	if n == 0 {
		if done != nil {
			done()
		}
		return
	}
	b, ok := k.admit(n, done)
	if !ok {
		return
	}
	k.queue(k.encode(events, b))
}

// PublishRecord queues one ready-made message (an alert) on the topic, with
// the same buffer, delivery and done as Publish.
//
// It reports whether the record was taken: false when it was dropped (a
// full buffer with drop_when_full, or shutdown). A record taken is retried
// by the sink until the broker acknowledges it or the sink stops.
func (k *KafkaEvents) PublishRecord(key, value []byte, done func()) bool {
	b, ok := k.admit(1, done)
	if !ok {
		return false
	}
	k.queue([]kafka.Message{{Key: key, Value: value, WriterData: b, Time: time.Now()}})
	return true
}

// admit takes room for n messages, or drops them (counted; done called
// when dropped for a full buffer).
func (k *KafkaEvents) admit(n int, done func()) (*kafkaBatch, bool) {
	switch k.acquire(n) {
	case admitFull:
		k.droppedFull.Add(float64(n))
		if now := time.Now().UnixNano(); now-k.lastDropLog.Load() >= int64(10*time.Second) {
			k.lastDropLog.Store(now)
			k.log.Warn("event buffer full; dropping events", "events", n, "buffer_events", k.opts.BufferEvents)
		}
		if done != nil {
			done()
		}
		return nil, false
	case admitClosed:
		k.droppedShutdown.Add(float64(n))
		return nil, false
	}
	b := &kafkaBatch{n: n, done: done}
	b.left.Store(int64(n))
	return b, true
}

func (k *KafkaEvents) queue(msgs []kafka.Message) {
	k.mu.Lock()
	k.fresh = append(k.fresh, msgs...)
	k.mu.Unlock()
	k.signal()
}

type admission int

const (
	admitted admission = iota
	admitFull
	admitClosed
)

// acquire takes room for n events in the buffer. A batch larger than the
// whole buffer is admitted when the buffer is empty.
func (k *KafkaEvents) acquire(n int) admission {
	k.mu.Lock()
	defer k.mu.Unlock()
	for !k.closed && k.used > 0 && k.used+n > k.opts.BufferEvents {
		if k.opts.DropWhenFull {
			return admitFull
		}
		k.space.Wait()
	}
	if k.closed {
		return admitClosed
	}
	k.used += n
	k.buffered.Set(float64(k.used))
	return admitted
}

func (k *KafkaEvents) release(n int) {
	k.mu.Lock()
	k.used -= n
	k.buffered.Set(float64(k.used))
	empty := k.used == 0
	k.space.Broadcast()
	k.mu.Unlock()
	if empty {
		k.signal()
	}
}

func (k *KafkaEvents) signal() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// encode turns events into messages whose keys and values share one
// buffer. A message's slices keep whichever array the buffer had when it
// was encoded, so growing the buffer never moves them.
func (k *KafkaEvents) encode(events []Event, b *kafkaBatch) []kafka.Message {
	size := 0
	for i := range events {
		size += eventSizeHint(&events[i])
	}
	buf := make([]byte, 0, size)
	msgs := make([]kafka.Message, len(events))
	now := time.Now()
	for i := range events {
		e := &events[i]
		m := &msgs[i]
		var key string
		switch k.keyBy {
		case "code":
			key = e.Code
		case "source":
			key = e.Source
		}
		if k.keyBy != "none" {
			start := len(buf)
			buf = append(buf, key...)
			m.Key = buf[start:len(buf):len(buf)]
		}
		start := len(buf)
		buf = AppendEventJSON(buf, e)
		m.Value = buf[start:len(buf):len(buf)]
		m.WriterData = b
		m.Time = e.Time
		if m.Time.IsZero() {
			m.Time = now
		}
	}
	return msgs
}
