package sink

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go/sasl"
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
