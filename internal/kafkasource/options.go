package kafkasource

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/odpswatch/odpswatch/internal/kafkaclient"
)

// Defaults of the options left at zero: only of those the configuration
// does not set (config.Source sets, and checks, every setting a user
// has; the source takes them as given, so that there is one default of
// each, the documented one).
const (
	DefaultBatchMessages   = 1000
	DefaultLagInterval     = 15 * time.Second
	DefaultShutdownTimeout = 5 * time.Second
)

// Options configure a Kafka source. The daemon fills them from a
// config.Source, which checked them; the fields marked required must be
// set by any other caller too.
type Options struct {
	Name    string               // the source label (required)
	Client  kafkaclient.Settings // how to reach the brokers (required)
	Topics  []string             // required
	GroupID string               // required
	StartAt string               // "earliest" or "latest" (required): where a partition the group has no committed offset for starts

	CommitInterval  time.Duration // how often processed offsets are committed (required)
	BatchMessages   int           // messages per batch at most (default 1000)
	BatchBytes      int           // bytes per batch at most (required); a longer message is a batch of its own
	MaxMessageBytes int           // a value longer than this is cut for scanning and counted (required)
	// MaxBytesInFlight bounds what the source keeps of the messages it
	// fetched until the pipeline is done with them (required): past it,
	// partitions wait.
	MaxBytesInFlight int
	StallTimeout     time.Duration // no message for this long while the partition has lag: its reader is recreated (required)
	SessionTimeout   time.Duration // the group gives a silent member's partitions to the others after this (required); heartbeats go every tenth of it, at most 3s
	LagInterval      time.Duration // how often odpswatch_kafka_consumer_lag is computed (default 15s)
	ShutdownTimeout  time.Duration // Run returns at most this long after its context ends (default 5s)

	Logger  *slog.Logger
	Metrics *Metrics
}

// validate checks that opts has what the source needs and fills the
// defaults of what the configuration does not set. What a user writes is
// checked by config (brokers, topic names, bounds); this catches a caller
// that left something out.
func validate(o *Options) error {
	name := o.Name
	if name == "" {
		return errors.New("kafka source: Name: must not be empty")
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("kafka source %q: %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	if err := o.Client.Check(); err != nil {
		return fmt.Errorf("kafka source %q: %w", name, err)
	}
	if len(o.Topics) == 0 {
		return bad("Topics", "at least one topic is needed")
	}
	if o.GroupID == "" {
		return bad("GroupID", "must not be empty: offsets are committed to a consumer group")
	}
	if o.StartAt != "earliest" && o.StartAt != "latest" {
		return bad("StartAt", "%q: must be earliest or latest", o.StartAt)
	}
	required := []struct {
		field string
		set   bool
	}{
		{"CommitInterval", o.CommitInterval > 0},
		{"StallTimeout", o.StallTimeout > 0},
		{"SessionTimeout", o.SessionTimeout > 0},
		{"BatchBytes", o.BatchBytes > 0},
		{"MaxMessageBytes", o.MaxMessageBytes > 0},
		{"MaxBytesInFlight", o.MaxBytesInFlight > 0},
	}
	for _, r := range required {
		if !r.set {
			return bad(r.field, "must be set, and positive")
		}
	}
	defaults := []struct {
		field string
		d     *time.Duration
		def   time.Duration
	}{
		{"LagInterval", &o.LagInterval, DefaultLagInterval},
		{"ShutdownTimeout", &o.ShutdownTimeout, DefaultShutdownTimeout},
	}
	for _, d := range defaults {
		switch {
		case *d.d == 0:
			*d.d = d.def
		case *d.d < 0:
			return bad(d.field, "%v is negative (0 means %v)", *d.d, d.def)
		}
	}
	switch {
	case o.BatchMessages == 0:
		o.BatchMessages = DefaultBatchMessages
	case o.BatchMessages < 0:
		return bad("BatchMessages", "%d is negative (0 means %d)", o.BatchMessages, DefaultBatchMessages)
	}
	return nil
}
