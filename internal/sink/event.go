package sink

import "time"

// EventSchema names the version of Event's JSON form. A change that removes
// or retypes a field, or changes what one means, gets a new version. v2
// added the job fields (Instance to Failure); the fields of v1 mean what
// they meant. docs/events.md documents it, and docs/event-v2.schema.json
// is its JSON Schema.
const EventSchema = "odpswatch.event/v2"

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

	// The job the code was attributed to (see attrib.Tracker), each empty
	// when the log did not say: its instance ID, project, LogView link
	// (without its token), the request ID last printed with it, and the
	// code that explains its failure so far.
	Instance  string `json:"instance"`
	Project   string `json:"project"`
	LogView   string `json:"logview"`
	RequestID string `json:"request_id"`
	RootCause string `json:"root_cause"`
	// Failure is FailureFirst for the print that began a failure of the
	// code (odpswatch_failures_total counted it), FailureRepeat for a
	// print of one already counted.
	Failure string `json:"failure"`
}

// The values of Event.Failure.
const (
	FailureFirst  = "first"
	FailureRepeat = "repeat"
)

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
	MaxEventLine        = 1024 // also of the LogView link
	MaxEventDescription = 512
	MaxEventID          = 128 // instance, project, request ID
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
