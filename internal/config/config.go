// Package config reads odpswatch's configuration: one strict YAML file.
//
// A *Config that Load, Parse or ForGlobs returns is complete and valid: every
// key absent from the file has its default, every value is within its
// bounds, and every source has a unique name that is a valid label value, a
// supported type and the keys of that type only: valid globs for files;
// brokers, topics and a consumer group for Kafka. Nothing is guessed:
// unknown keys, duplicate keys, values of the wrong type and a second YAML
// document are errors.
//
// When a file is wrong, the error names every problem at once, one per line
// in file order, each as "file:line: what is wrong: what is wanted", so that
// a user fixes them all in one go.
//
// The package reads no flags, no environment and no global state: Load reads
// the one file it is given, and the files it names (the webhook's secret,
// Kafka's password files, TLS certificates and keys), to check them when it
// is loaded rather than when they are first used. An environment variable
// that holds a password is only named: the daemon reads it.
package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/odpswatch/odpswatch/internal/redact"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Config is odpswatch's configuration.
type Config struct {
	Global  Global   `yaml:"global"`
	Sources []Source `yaml:"sources"`
	Sinks   Sinks    `yaml:"sinks"`
	Alerts  Alerts   `yaml:"alerts"`
}

// Global holds the settings of the daemon as a whole.
type Global struct {
	// PositionsSaveInterval is how often the positions of followed files
	// are saved. Default 5s; 1s to 10m.
	PositionsSaveInterval model.Duration `yaml:"positions_save_interval"`
	// ShutdownTimeout bounds a graceful shutdown. Default 15s; 1s to 25s,
	// so that it ends before systemd's TimeoutStopSec of 30s.
	ShutdownTimeout model.Duration `yaml:"shutdown_timeout"`
	// Workers is the number of scanning workers; 0 is one per CPU.
	// Default 0; 0 to 256.
	Workers int `yaml:"workers"`
	// QueueBatches is the number of batches buffered between sources and
	// workers. Default 16; 1 to 4096.
	QueueBatches int `yaml:"queue_batches"`
	// BatchBytes is how many bytes of whole lines a file source hands over
	// at once. Default 1048576; 4096 to 16777216.
	BatchBytes int `yaml:"batch_bytes"`
	// MaxLineBytes is how much of a line is scanned; longer lines are cut
	// and counted. Default 1048576; 256 to 67108864.
	MaxLineBytes int `yaml:"max_line_bytes"`
	// AttributionStreams bounds the origins (files, Kafka partitions)
	// whose jobs are tracked to count failures; past it the one used least
	// recently is forgotten. Default 1024; 16 to 65536.
	AttributionStreams int `yaml:"attribution_streams"`
	// AttributionJobs bounds the job instances each origin's tracker
	// keeps; past it the one named least recently is forgotten. Default
	// 32; 1 to 1000.
	AttributionJobs int `yaml:"attribution_jobs"`
}

// Source is one place log lines come from: files (Type "file") or Kafka
// topics (Type "kafka"). A source takes the keys of its type only; the
// fields of the other type are zero, and String leaves them out.
type Source struct {
	// Name is the source label of its metrics: 1 to 63 letters, digits,
	// '_', '.' or '-', starting with a letter or '_'. Required and unique.
	Name string `yaml:"name"`
	// Type is "file" or "kafka". Required.
	Type string `yaml:"type"`

	// Paths are the globs of the files to follow (type file): 1 to 64,
	// absolute or relative, with doublestar's syntax (`**` included).
	Paths []string `yaml:"paths"`
	// Exclude are globs of files not to follow, matched against a file's
	// base name and its full path (type file).
	Exclude []string `yaml:"exclude"`
	// StartAt is, for type file, where reading starts in files never seen
	// before that exist at start-up: "end" (the default) or "beginning".
	// For type kafka, where a partition the group has no committed offset
	// for starts: "latest" (the default) or "earliest".
	StartAt string `yaml:"start_at"`
	// Watch is how files are watched: "auto" (the default: inotify, with
	// polling where inotify is unavailable) or "poll".
	Watch string `yaml:"watch"`
	// PollInterval is how often files are polled. Default 250ms; 10ms to 1m.
	PollInterval model.Duration `yaml:"poll_interval"`
	// RescanInterval is how often the globs are expanded again. Default
	// 10s; 100ms to 1h.
	RescanInterval model.Duration `yaml:"rescan_interval"`
	// PartialLineTimeout is how long a file must be idle before its last
	// line without a newline is emitted. Default 5s; 10ms to 1h.
	PartialLineTimeout model.Duration `yaml:"partial_line_timeout"`
	// MaxFiles bounds the files followed at once; more are skipped and
	// counted. Default 10000; 1 to 100000.
	MaxFiles int `yaml:"max_files"`

	// KafkaClient is how a source of type kafka connects to its brokers
	// (1 to 32 of them, required).
	KafkaClient `yaml:",inline"`
	// Topics are the topics consumed (type kafka): 1 to 64 distinct valid
	// topic names (see GroupID).
	Topics []string `yaml:"topics"`
	// GroupID is the consumer group whose offsets the source commits (type
	// kafka): 1 to 249 ASCII letters, digits, '.', '_' or '-', but not "."
	// or "..", as a topic name. Required.
	GroupID string `yaml:"group_id"`
	// CommitInterval is how often the offsets of counted messages are
	// committed. Default 1s; 100ms to 1m.
	CommitInterval model.Duration `yaml:"commit_interval"`
	// StallTimeout is how long a partition with lag may deliver nothing
	// before its reader is recreated. Default 30s; 1s to 10m.
	StallTimeout model.Duration `yaml:"stall_timeout"`
	// SessionTimeout is how long the group waits for a member that stopped
	// heartbeating (a crash, a network partition) before giving its
	// partitions to the others; heartbeats go every tenth of it, at most
	// every 3s. Default 30s; 6s to 30m.
	SessionTimeout model.Duration `yaml:"session_timeout"`
	// MaxMessageBytes is how much of a message's value is scanned; longer
	// values are cut and counted. Default 1048576; 1024 to 67108864.
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// MaxBytesInFlight bounds what the source keeps of the messages it
	// fetched until the pipeline is done with them: past it, partitions
	// wait. Default 67108864 (64 MiB); 1048576 to 4294967296.
	MaxBytesInFlight int `yaml:"max_bytes_in_flight"`
}

// Sinks says where classified codes go.
type Sinks struct {
	Prometheus PrometheusSink `yaml:"prometheus"`
	Kafka      KafkaSink      `yaml:"kafka"`
}

// PrometheusSink configures the Prometheus counters.
type PrometheusSink struct {
	// MaxUnknownCodes bounds the distinct undocumented codes that get their
	// own series; more are counted as code="other". Default 100; 0 to 10000.
	MaxUnknownCodes int `yaml:"max_unknown_codes"`
}

// KafkaSink configures the Kafka event sink, which publishes every counted
// code as an event (sink.Event, JSON) to a topic. It is off when Brokers is
// empty (the default); every other field has its default even then.
type KafkaSink struct {
	// KafkaClient is how the sink connects to its brokers: none (the sink
	// is off), or 1 to 32.
	KafkaClient `yaml:",inline"`
	// Topic is the topic the events go to: a valid topic name (see
	// Source.GroupID). Required with Brokers, and "" without.
	Topic string `yaml:"topic"`
	// KeyBy is the messages' key: "code" (the default), "source" or
	// "none".
	KeyBy string `yaml:"key_by"`
	// Compression is "snappy" (the default), "none", "gzip", "lz4" or
	// "zstd".
	Compression string `yaml:"compression"`
	// RequiredAcks is "all" (the default), "one" or "none".
	RequiredAcks string `yaml:"required_acks"`
	// BatchSize is the most messages per produce request to a partition.
	// Default 1000; 1 to 100000.
	BatchSize int `yaml:"batch_size"`
	// BatchTimeout is the longest wait for a batch to fill. Default 100ms;
	// 1ms to 10s.
	BatchTimeout model.Duration `yaml:"batch_timeout"`
	// BufferEvents bounds the events held until the brokers acknowledge
	// them. Default 10000; 1 to 1000000.
	BufferEvents int `yaml:"buffer_events"`
	// DropWhenFull says what happens when the buffer is full: false (the
	// default), the sources wait and nothing is lost; true, events are
	// dropped and counted.
	DropWhenFull bool `yaml:"drop_when_full"`
	// WriteTimeout bounds one produce request. Default 10s; 100ms to 5m.
	WriteTimeout model.Duration `yaml:"write_timeout"`
	// FlushTimeout bounds the delivery of what is buffered at shutdown.
	// Default 5s; 100ms to 20s, and shorter than Global.ShutdownTimeout
	// when the sink is on.
	FlushTimeout model.Duration `yaml:"flush_timeout"`
}

// KafkaClient is how a Kafka client of odpswatch connects to its brokers:
// a Kafka source's consumer group and the event sink's writer have the same
// keys, decoded and checked by the same fields (kafkaClientFields).
type KafkaClient struct {
	// Brokers are the host:port of the bootstrap brokers, distinct.
	Brokers []string `yaml:"brokers"`
	// ClientID is the client ID sent to the brokers: printable ASCII
	// without spaces. Default "odpswatch".
	ClientID string `yaml:"client_id"`
	// TLS towards the brokers: used when TLS.Enabled.
	TLS TLSConfig `yaml:"tls"`
	// SASL authentication with the brokers: none when SASL.Mechanism is "".
	SASL SASLConfig `yaml:"sasl"`
}

// Enabled reports whether the Kafka event sink is on: whether it has
// brokers.
func (k KafkaSink) Enabled() bool { return len(k.Brokers) > 0 }

// SASLConfig configures the SASL authentication of a Kafka client. It holds
// where the password is, never the password: see Password.
type SASLConfig struct {
	// Mechanism is "" (no SASL, the default), "PLAIN", "SCRAM-SHA-256" or
	// "SCRAM-SHA-512".
	Mechanism string `yaml:"mechanism"`
	// Username is required with a mechanism, and "" without.
	Username string `yaml:"username"`
	// PasswordFile is the path of a file holding the password; it is a
	// regular file, not empty, when the configuration is loaded. With a
	// mechanism, exactly one of PasswordFile and PasswordEnv is set;
	// without, neither.
	PasswordFile string `yaml:"password_file"`
	// PasswordEnv is the name of the environment variable that holds the
	// password: letters, digits or '_', starting with a letter or '_'.
	// The configuration does not read it.
	PasswordEnv string `yaml:"password_env"`
}

// TLSConfig configures the TLS of a client. Its files are readable and
// valid when the configuration is loaded; ClientConfig reads them again.
type TLSConfig struct {
	// Enabled turns TLS on, for Kafka only (whose brokers have no URL to
	// say https): a Kafka tls section with any other key set has it true,
	// so that its TLSConfig is the zero value exactly when TLS is off. The
	// alerts' TLS has no such key: their https URLs turn it on.
	Enabled bool `yaml:"enabled,omitempty"`
	// CAFile holds the PEM certificates that verify servers, instead of
	// the system's; "" uses the system's.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile hold the client's PEM certificate and key, for
	// servers that want one; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the server's certificate is verified against,
	// instead of the URL's host.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify turns off the verification of the server's
	// certificate.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// MaxConfigBytes bounds a configuration file.
const MaxConfigBytes = 4 << 20

// Load reads and validates the file at path: a regular file of at most
// MaxConfigBytes.
func Load(path string) (*Config, error) {
	data, err := readLimited(path, MaxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("cannot read config %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes and validates YAML; name is used in messages (the file's
// path; "config" when empty). It reads the files the YAML names (the
// webhook's secret, Kafka's password files, TLS certificates and keys) to
// check them. The error, if any, joins one error per problem, in file
// order.
func Parse(data []byte, name string) (*Config, error) {
	if name == "" {
		name = "config"
	}
	d := &decoder{name: name}
	c := d.parse(data)
	if err := d.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// ForGlobs is the configuration of `odpswatch run GLOB...` without a config
// file: defaults everywhere (alerts included: the default rule, logged) and
// one file source named "files" with the globs as paths and start_at
// "beginning".
func ForGlobs(globs []string) (*Config, error) {
	var errs []error
	switch {
	case len(globs) == 0:
		errs = append(errs, errors.New("no globs given: want at least one"))
	case len(globs) > maxPaths:
		errs = append(errs, fmt.Errorf("%d globs given: want at most %d", len(globs), maxPaths))
	}
	for _, g := range globs {
		if why := globProblem(g); why != "" {
			errs = append(errs, fmt.Errorf("invalid glob %q: %s", g, why))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := defaultSource()
	s.Name = "files"
	s.Type = typeFile
	s.Paths = slices.Clone(globs)
	s.StartAt = "beginning"
	c := defaultConfig()
	c.Sources = []Source{s}
	return c, nil
}

// String returns the effective configuration as YAML, every default
// written out (but a Kafka tls section's enabled: false), a source with the
// keys of its type only. Parse reads it back to an equal Config (but for
// the credentials below). It holds the
// paths of secrets and the names of their environment variables, never
// secrets: the user information and query values of the alert receivers'
// URLs are masked.
func (c *Config) String() string {
	shown := *c
	shown.Alerts.Webhook.URL = maskURL(c.Alerts.Webhook.URL)
	shown.Alerts.Alertmanager.URLs = nil
	for _, u := range c.Alerts.Alertmanager.URLs {
		shown.Alerts.Alertmanager.URLs = append(shown.Alerts.Alertmanager.URLs, maskURL(u))
	}
	if shown.Alerts.Alertmanager.URLs == nil {
		shown.Alerts.Alertmanager.URLs = c.Alerts.Alertmanager.URLs
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&shown); err != nil {
		return fmt.Sprintf("# cannot encode the configuration: %v\n", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Sprintf("# cannot encode the configuration: %v\n", err)
	}
	return b.String()
}

// maskURL is redact.URLCredentials, "" for "".
func maskURL(u string) string {
	if u == "" {
		return ""
	}
	return redact.URLCredentials(u)
}
