package sink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/odpswatch/odpswatch/internal/scan"
)

// KafkaEventsOptions configure the Kafka event sink. Zero values take the
// defaults said beside each field.
type KafkaEventsOptions struct {
	Brokers []string // host:port of the bootstrap brokers; required
	Topic   string   // required; the topic must exist (it is not created)
	// KeyBy is the message key: "code" (the default) puts every event of a
	// code on one partition, in order; "source" the events of a source;
	// "none" sends no key and spreads events over the partitions.
	KeyBy    string
	ClientID string // default "odpswatch"
	TLS      *tls.Config
	SASL     sasl.Mechanism
	// Compression is "none", "gzip", "snappy" (the default), "lz4" or "zstd".
	Compression string
	// RequiredAcks is "all" (the default), "one" or "none". With "none" the
	// broker answers nothing: an event counts as published, and its batch
	// as done, once it is written to the connection.
	RequiredAcks string
	BatchSize    int           // messages per produce request to a partition (default 1000)
	BatchTimeout time.Duration // longest wait for a partition's batch to fill (default 100ms)
	// BufferEvents bounds the events held, from Publish until the broker
	// acknowledges them (default 10000). When it is used up, Publish blocks
	// until acknowledgements make room — back-pressure that stops the
	// sources — unless DropWhenFull is set.
	BufferEvents int
	// DropWhenFull makes Publish drop a batch that does not fit in the
	// buffer: its events are counted as dropped and done is called at once.
	DropWhenFull bool
	WriteTimeout time.Duration // one produce request, or a metadata look-up (default 10s)
	// FlushTimeout bounds the delivery of what is buffered once Run's
	// context is done (default 5s); Run returns at most half a second
	// later.
	FlushTimeout time.Duration
	Logger       *slog.Logger        // default: discard
	Metrics      *KafkaEventsMetrics // default: unregistered metrics
}

// Defaults of KafkaEventsOptions.
const (
	DefaultKafkaBatchSize    = 1000
	DefaultKafkaBatchTimeout = 100 * time.Millisecond
	DefaultKafkaBufferEvents = 10000
	DefaultKafkaWriteTimeout = 10 * time.Second
	DefaultKafkaFlushTimeout = 5 * time.Second
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

// Reasons of odpswatch_kafka_events_dropped_total.
const (
	KafkaDropBufferFull = "buffer_full" // DropWhenFull: done was called
	KafkaDropShutdown   = "shutdown"    // undelivered when Run returned: done was not called
)

// KafkaEventsMetrics count the Kafka event sink's deliveries, by topic.
type KafkaEventsMetrics struct {
	published, failures, dropped *prometheus.CounterVec
	buffered, capacity           *prometheus.GaugeVec
}

// NewKafkaEventsMetrics registers the Kafka event sink's metrics with reg.
func NewKafkaEventsMetrics(reg prometheus.Registerer) (*KafkaEventsMetrics, error) {
	m := &KafkaEventsMetrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_kafka_events_published_total",
			Help: "Events written to Kafka and acknowledged by the broker, by topic.",
		}, []string{"topic"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_kafka_events_write_failures_total",
			Help: "Events in writes to Kafka that failed, by topic; they are written again, so an event counts once per failed attempt.",
		}, []string{"topic"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_kafka_events_dropped_total",
			Help: `Events not written to Kafka, by topic and reason: "buffer_full" (drop_when_full was set), "shutdown" (still undelivered when the sink stopped; their lines are read again at the next start).`,
		}, []string{"topic", "reason"}),
		buffered: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "odpswatch_kafka_events_buffered",
			Help: "Events held by the Kafka event sink until the broker acknowledges them, by topic.",
		}, []string{"topic"}),
		capacity: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "odpswatch_kafka_events_buffer_capacity",
			Help: "Events the Kafka event sink holds at most before Publish blocks or drops, by topic.",
		}, []string{"topic"}),
	}
	for _, c := range []prometheus.Collector{m.published, m.failures, m.dropped, m.buffered, m.capacity} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

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
	opts, err := opts.withDefaults()
	if err != nil {
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
	k.tr = &kafka.Transport{
		DialTimeout:    opts.WriteTimeout,
		ClientID:       opts.ClientID,
		TLS:            opts.TLS,
		SASL:           opts.SASL,
		MetadataTopics: []string{opts.Topic},
		MetadataTTL:    kafkaMetadataTTL,
	}
	k.w = &kafka.Writer{
		Addr:     kafka.TCP(opts.Brokers...),
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

func (o KafkaEventsOptions) withDefaults() (KafkaEventsOptions, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("kafka events: "+format, args...))
	}
	if len(o.Brokers) == 0 {
		bad("Brokers is empty")
	}
	for i, b := range o.Brokers {
		host, port, err := net.SplitHostPort(b)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			bad("Brokers[%d] %q is not host:port", i, b)
		}
	}
	switch {
	case o.Topic == "":
		bad("Topic is empty")
	case len(o.Topic) > 249:
		bad("Topic is longer than 249 characters")
	case o.Topic == "." || o.Topic == "..":
		bad("Topic %q is not a valid topic name", o.Topic)
	default:
		for _, c := range []byte(o.Topic) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				bad("Topic %q has characters other than ASCII letters, digits, '.', '_' and '-'", o.Topic)
				break
			}
		}
	}
	oneOf := func(field string, v *string, def string, allowed ...string) {
		if *v == "" {
			*v = def
			return
		}
		for _, a := range allowed {
			if *v == a {
				return
			}
		}
		bad("%s %q is not one of %s", field, *v, joinOr(allowed))
	}
	oneOf("KeyBy", &o.KeyBy, "code", "code", "source", "none")
	oneOf("Compression", &o.Compression, "snappy", "none", "gzip", "snappy", "lz4", "zstd")
	oneOf("RequiredAcks", &o.RequiredAcks, "all", "all", "one", "none")
	positive := func(field string, v *int, def int) {
		switch {
		case *v < 0:
			bad("%s %d is negative", field, *v)
		case *v == 0:
			*v = def
		}
	}
	positive("BatchSize", &o.BatchSize, DefaultKafkaBatchSize)
	positive("BufferEvents", &o.BufferEvents, DefaultKafkaBufferEvents)
	duration := func(field string, v *time.Duration, def time.Duration) {
		switch {
		case *v < 0:
			bad("%s %s is negative", field, *v)
		case *v == 0:
			*v = def
		}
	}
	duration("BatchTimeout", &o.BatchTimeout, DefaultKafkaBatchTimeout)
	duration("WriteTimeout", &o.WriteTimeout, DefaultKafkaWriteTimeout)
	duration("FlushTimeout", &o.FlushTimeout, DefaultKafkaFlushTimeout)
	if o.ClientID == "" {
		o.ClientID = "odpswatch"
	}
	return o, errors.Join(errs...)
}

// joinOr lists values as "a, b or c".
func joinOr(vs []string) string {
	s := ""
	for i, v := range vs {
		switch {
		case i == 0:
		case i == len(vs)-1:
			s += " or "
		default:
			s += ", "
		}
		s += v
	}
	return s
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

// eventSizeHint is about the length of an event's JSON.
func eventSizeHint(e *Event) int {
	return 260 + len(e.Schema) + len(e.Host) + len(e.Source) + len(e.Origin.File) + len(e.Origin.Topic) + len(e.Code) +
		len(e.Family) + len(e.Module) + min(len(e.Title), MaxEventDescription) + min(len(e.General), MaxEventDescription) +
		min(len(e.Context), MaxEventDescription) + min(len(e.Line), MaxEventLine) +
		min(len(e.Instance), MaxEventID) + min(len(e.Project), MaxEventID) + min(len(e.LogView), MaxEventLine) +
		min(len(e.RequestID), MaxEventID) + len(e.RootCause) + len(e.Failure)
}

// AppendEventJSON appends e's JSON form — what encoding/json makes of it,
// byte for byte — with Schema set to EventSchema if empty, Line cut to
// MaxEventLine bytes and Title, General and Context to MaxEventDescription,
// LogView to MaxEventLine, Instance, Project and RequestID to MaxEventID,
// on UTF-8 boundaries. A time outside years 0 to 9999, which encoding/json
// refuses, is written as the zero time.
func AppendEventJSON(b []byte, e *Event) []byte {
	schema := e.Schema
	if schema == "" {
		schema = EventSchema
	}
	b = append(b, `{"schema":`...)
	b = appendJSONString(b, schema)
	b = append(b, `,"time":"`...)
	t := e.Time
	if y := t.Year(); y < 0 || y > 9999 {
		t = time.Time{}
	}
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","host":`...)
	b = appendJSONString(b, e.Host)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, e.Source)
	b = append(b, `,"origin":{`...)
	if e.Origin.File != "" {
		b = append(b, `"file":`...)
		b = appendJSONString(b, e.Origin.File)
		b = append(b, ',')
	}
	if e.Origin.Topic != "" {
		b = append(b, `"topic":`...)
		b = appendJSONString(b, e.Origin.Topic)
		b = append(b, ',')
	}
	if e.Origin.Partition != 0 {
		b = append(b, `"partition":`...)
		b = strconv.AppendInt(b, int64(e.Origin.Partition), 10)
		b = append(b, ',')
	}
	b = append(b, `"offset":`...)
	b = strconv.AppendInt(b, e.Origin.Offset, 10)
	b = append(b, `},"code":`...)
	b = appendJSONString(b, e.Code)
	b = append(b, `,"family":`...)
	b = appendJSONString(b, e.Family)
	b = append(b, `,"module":`...)
	b = appendJSONString(b, e.Module)
	b = append(b, `,"severity":`...)
	b = strconv.AppendInt(b, int64(e.Severity), 10)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Title, MaxEventDescription))
	b = append(b, `,"general":`...)
	b = appendJSONString(b, scan.CutUTF8(e.General, MaxEventDescription))
	b = append(b, `,"context":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Context, MaxEventDescription))
	b = append(b, `,"line":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Line, MaxEventLine))
	b = append(b, `,"instance":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Instance, MaxEventID))
	b = append(b, `,"project":`...)
	b = appendJSONString(b, scan.CutUTF8(e.Project, MaxEventID))
	b = append(b, `,"logview":`...)
	b = appendJSONString(b, scan.CutUTF8(e.LogView, MaxEventLine))
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, scan.CutUTF8(e.RequestID, MaxEventID))
	b = append(b, `,"root_cause":`...)
	b = appendJSONString(b, e.RootCause)
	b = append(b, `,"failure":`...)
	b = appendJSONString(b, e.Failure)
	return append(b, '}')
}

// appendJSONString quotes s as encoding/json does (HTML-safe escaping,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
