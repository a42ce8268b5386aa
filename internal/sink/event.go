package sink

import "time"

// EventSchema names the version of Event's JSON form. A change that removes
// or retypes a field gets a new version; added fields keep it.
const EventSchema = "odpswatch.event/v1"

// Event is one classified code, as the event sinks publish it.
type Event struct {
	Schema   string    `json:"schema"` // EventSchema
	Time     time.Time `json:"time"`   // when odpswatch counted it
	Host     string    `json:"host"`
	Source   string    `json:"source"`
	Origin   Origin    `json:"origin"`
	Code     string    `json:"code"` // ODPS-MMCCCCX
	Family   string    `json:"family"`
	Module   string    `json:"module"`
	Severity int       `json:"severity"`
	Title    string    `json:"title"` // empty for an undocumented code
	General  string    `json:"general"`
	Context  string    `json:"context"`
	Line     string    `json:"line"` // bounded, cut on a UTF-8 boundary
}

// Origin says where an event's line was read: a file and the offset of the
// line's first byte, or a Kafka topic, partition and message offset.
type Origin struct {
	File      string `json:"file,omitempty"`
	Topic     string `json:"topic,omitempty"`
	Partition int    `json:"partition,omitempty"`
	Offset    int64  `json:"offset"`
}

// Bounds of an event's texts, in bytes.
const (
	MaxEventLine        = 1024
	MaxEventDescription = 512
)

// EventPublisher is a sink that needs delivery: the pipeline calls Publish
// with the events of one batch and the batch is done, so its source's
// position moves past it, only when done has been called.
type EventPublisher interface {
	// Publish takes the events (the sink's to keep) and calls done once
	// every one of them is delivered, or dropped if the sink is configured
	// to drop when full (and counts it). It blocks while the sink's buffer
	// is full and it is not configured to drop: that back-pressure reaches
	// the sources. done may be called from any goroutine.
	Publish(events []Event, done func())
}
