package sink

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/odpswatch/odpswatch/internal/kafkaclient"
	"github.com/prometheus/client_golang/prometheus"
)

// KafkaEventsOptions configure the Kafka event sink. The daemon fills them
// from config.KafkaSink, which checked them (and holds the documented
// defaults); every field but DropWhenFull, Logger and Metrics is required
// of any other caller too.
type KafkaEventsOptions struct {
	Client kafkaclient.Settings // how to reach the brokers
	Topic  string               // the topic must exist (it is not created)
	// KeyBy is the message key: "code" puts every event of a code on one
	// partition, in order; "source" the events of a source; "none" sends
	// no key and spreads events over the partitions.
	KeyBy string
	// Compression is "none", "gzip", "snappy", "lz4" or "zstd".
	Compression string
	// RequiredAcks is "all", "one" or "none". With "none" the broker
	// answers nothing: an event counts as published, and its batch as
	// done, once it is written to the connection.
	RequiredAcks string
	BatchSize    int           // messages per produce request to a partition
	BatchTimeout time.Duration // longest wait for a partition's batch to fill
	// BufferEvents bounds the events held, from Publish until the broker
	// acknowledges them. When it is used up, Publish blocks until
	// acknowledgements make room — back-pressure that stops the sources —
	// unless DropWhenFull is set.
	BufferEvents int
	// DropWhenFull makes Publish drop a batch that does not fit in the
	// buffer: its events are counted as dropped and done is called at once.
	DropWhenFull bool
	WriteTimeout time.Duration // one produce request, or a metadata look-up
	// FlushTimeout bounds the delivery of what is buffered once Run's
	// context is done; Run returns at most half a second later.
	FlushTimeout time.Duration
	Logger       *slog.Logger        // default: discard
	Metrics      *KafkaEventsMetrics // default: unregistered metrics
}

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

// check says what o lacks or holds that the sink cannot do. What a user
// writes is checked by config (brokers, the topic's name, bounds); this
// catches a caller that left something out.
func (o KafkaEventsOptions) check() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("kafka events: "+format, args...))
	}
	if err := o.Client.Check(); err != nil {
		errs = append(errs, fmt.Errorf("kafka events: %w", err))
	}
	if o.Topic == "" {
		bad("Topic is empty")
	}
	oneOf := func(field, v string, allowed ...string) {
		if !slices.Contains(allowed, v) {
			bad("%s %q is not one of %s", field, v, joinOr(allowed))
		}
	}
	oneOf("KeyBy", o.KeyBy, "code", "source", "none")
	oneOf("Compression", o.Compression, "none", "gzip", "snappy", "lz4", "zstd")
	oneOf("RequiredAcks", o.RequiredAcks, "all", "one", "none")
	for _, p := range []struct {
		field string
		set   bool
	}{
		{"BatchSize", o.BatchSize > 0},
		{"BufferEvents", o.BufferEvents > 0},
		{"BatchTimeout", o.BatchTimeout > 0},
		{"WriteTimeout", o.WriteTimeout > 0},
		{"FlushTimeout", o.FlushTimeout > 0},
	} {
		if !p.set {
			bad("%s must be set, and positive", p.field)
		}
	}
	return errors.Join(errs...)
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
