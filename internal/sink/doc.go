// Package sink delivers what the pipeline found to where operators read
// it, and says when it has: positions and offsets advance only behind what
// a sink accepted.
//
//   - ErrorCounters is the Prometheus side (counters.go):
//     odpswatch_errors_total (every print of a code) and
//     odpswatch_failures_total (the failures the codes stand for, see
//     attrib.Tracker) by code, family, module, severity and source, with
//     the distinct undocumented codes bounded so that a flood of odd codes
//     cannot blow up the series count. Instance IDs and projects are never
//     labels.
//   - KafkaEvents publishes one Event per code to a Kafka topic (kafka*.go,
//     the JSON in event.go): at least once, a batch done only once the
//     broker acknowledged all of its events, with a bounded buffer that
//     blocks (or drops, if configured) when the broker is away.
//   - Delivery sends alerts, with retries and a bound, to an Alertmanager,
//     a signed webhook, the log or the Kafka topic (alerts.go,
//     kafka_alerts.go), all in one JSON form but Alertmanager's own API's.
//
// Nothing a sink sends or logs holds a secret: LogView tokens are taken
// out of every line before it reaches a sink, and credentials are never
// in a payload or a log line.
package sink
