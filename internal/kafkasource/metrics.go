package kafkasource

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Kafka sources' own metrics, shared by every Kafka source
// and labelled by source.
type Metrics struct {
	messages, bytes, cut    *prometheus.CounterVec
	commits, commitFailures *prometheus.CounterVec
	rebalances, restarts    *prometheus.CounterVec
	skipped                 *prometheus.CounterVec
	errors                  *prometheus.CounterVec
	assigned                *prometheus.GaugeVec
	lag                     *prometheus.GaugeVec
	budgetWaits             *prometheus.CounterVec
	bytesInFlight           *prometheus.Desc

	mu      sync.Mutex
	budgets map[string]*budget // by source, for odpswatch_kafka_bytes_in_flight
}

// opErrors are the operations odpswatch_kafka_errors_total counts failures of.
var opErrors = []string{"join", "fetch", "lag"}

// NewMetrics registers the Kafka sources' metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append([]string{"source"}, labels...))
	}
	m := &Metrics{
		messages: counter("odpswatch_kafka_messages_total",
			"Kafka messages consumed and handed to the pipeline, by source (a message consumed again after a rebalance or restart counts again)."),
		bytes: counter("odpswatch_kafka_message_bytes_total",
			"Bytes of Kafka message values consumed, by source, before any cut at max_message_bytes."),
		cut: counter("odpswatch_kafka_messages_cut_total",
			"Kafka messages longer than max_message_bytes: only their first max_message_bytes were scanned."),
		commits: counter("odpswatch_kafka_commits_total",
			"Offset commits to the consumer group that succeeded, by source."),
		commitFailures: counter("odpswatch_kafka_commit_failures_total",
			"Offset commits to the consumer group that failed, by source; the offsets are committed again at the next attempt."),
		rebalances: counter("odpswatch_kafka_rebalances_total",
			"Consumer group generations joined, by source: the first join and every rebalance after it."),
		restarts: counter("odpswatch_kafka_reader_restarts_total",
			"Partition connections made again because they delivered nothing for stall_timeout while their partition had messages to read."),
		skipped: counter("odpswatch_kafka_messages_skipped_total",
			"Kafka messages deleted by the broker (retention) before this source read them; reading went on from the partition's first offset."),
		errors: counter("odpswatch_kafka_errors_total",
			"Errors talking to Kafka, by source and operation (join, fetch, lag); each is retried.", "op"),
		assigned: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "odpswatch_kafka_partitions_assigned", Help: "Partitions assigned to this member of the consumer group, by source.",
		}, []string{"source"}),
		budgetWaits: counter("odpswatch_kafka_in_flight_waits_total",
			"Times a partition waited because the source held max_bytes_in_flight of messages the pipeline was not done with."),
		bytesInFlight: prometheus.NewDesc("odpswatch_kafka_bytes_in_flight",
			"Bytes of Kafka message values a source holds, fetched and not yet done by the pipeline; at most max_bytes_in_flight (one larger message goes alone).",
			[]string{"source"}, nil),
		budgets: make(map[string]*budget),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "odpswatch_kafka_consumer_lag",
			Help: "Messages past the consumer group's committed offset (end offset minus committed offset) in each partition assigned to this member, by source, topic and partition.",
		}, []string{"source", "topic", "partition"}),
	}
	for _, c := range []prometheus.Collector{m.messages, m.bytes, m.cut, m.commits, m.commitFailures,
		m.rebalances, m.restarts, m.skipped, m.errors, m.assigned, m.lag, m.budgetWaits, inFlightCollector{m}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// addSource creates the source's series at 0, so that rate() and alerts see
// the first increase rather than a series appearing.
func (m *Metrics) addSource(name string) {
	for _, c := range []*prometheus.CounterVec{m.messages, m.bytes, m.cut, m.commits, m.commitFailures, m.rebalances, m.restarts, m.skipped, m.budgetWaits} {
		c.WithLabelValues(name)
	}
	for _, op := range opErrors {
		m.errors.WithLabelValues(name, op)
	}
	m.assigned.WithLabelValues(name)
}

// inFlight makes odpswatch_kafka_bytes_in_flight report b for source.
func (m *Metrics) inFlight(source string, b *budget) {
	m.mu.Lock()
	m.budgets[source] = b
	m.mu.Unlock()
}

// inFlightCollector reads the sources' budgets when scraped.
type inFlightCollector struct{ m *Metrics }

func (c inFlightCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.m.bytesInFlight }

func (c inFlightCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	for source, b := range c.m.budgets {
		ch <- prometheus.MustNewConstMetric(c.m.bytesInFlight, prometheus.GaugeValue, float64(b.inUse()), source)
	}
}
