package daemon

import (
	"fmt"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/kafkasource"
	"github.com/odpswatch/odpswatch/internal/sink"
)

// saslMechanism builds a SASL mechanism from the config; the password comes
// from a file or from the environment through getenv (the daemon reads no
// environment itself). Secrets never reach a log or an error.
func saslMechanism(c config.SASLConfig, getenv func(string) string) (sasl.Mechanism, error) {
	if c.Mechanism == "" {
		return nil, nil
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	// getenv cannot tell unset from empty: both are refused as unset.
	password, err := c.Password(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
	if err != nil {
		return nil, fmt.Errorf("sasl: %w", err)
	}
	switch c.Mechanism {
	case "PLAIN":
		return plain.Mechanism{Username: c.Username, Password: password}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, c.Username, password)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, c.Username, password)
	}
	return nil, fmt.Errorf("sasl.mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.Mechanism)
}

// newKafkaSource builds the Kafka source of sc.
func (d *Daemon) newKafkaSource(sc config.Source) (*kafkasource.Source, error) {
	mech, err := saslMechanism(sc.SASL, d.opts.Getenv)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", sc.Name, err)
	}
	opts := kafkasource.Options{
		Name: sc.Name, Brokers: sc.Brokers, Topics: sc.Topics, GroupID: sc.GroupID, StartAt: sc.StartAt,
		ClientID: sc.ClientID, SASL: mech, CommitInterval: time.Duration(sc.CommitInterval),
		StallTimeout: time.Duration(sc.StallTimeout), SessionTimeout: time.Duration(sc.SessionTimeout),
		MaxMessageBytes:  sc.MaxMessageBytes,
		MaxBytesInFlight: sc.MaxBytesInFlight,
		BatchBytes:       d.cfg.Global.BatchBytes, Logger: d.log, Metrics: d.kafkaMet,
		// Within the daemon's own bound, leaving room for the drain.
		ShutdownTimeout: time.Duration(d.cfg.Global.ShutdownTimeout) / 3,
	}
	if sc.TLS != (config.TLSConfig{}) {
		if opts.TLS, err = sc.TLS.ClientConfig(); err != nil {
			return nil, fmt.Errorf("source %q: %w", sc.Name, err)
		}
	}
	return kafkasource.New(opts, d.pipe.Input())
}

// newKafkaEvents builds the event sink, or returns nil when it is off.
func (d *Daemon) newKafkaEvents(c config.KafkaSink) (*sink.KafkaEvents, error) {
	if !c.Enabled() {
		return nil, nil
	}
	mech, err := saslMechanism(c.SASL, d.opts.Getenv)
	if err != nil {
		return nil, fmt.Errorf("sinks.kafka: %w", err)
	}
	m, err := sink.NewKafkaEventsMetrics(d.reg)
	if err != nil {
		return nil, err
	}
	opts := sink.KafkaEventsOptions{
		Brokers: c.Brokers, Topic: c.Topic, KeyBy: c.KeyBy, ClientID: c.ClientID, SASL: mech,
		Compression: c.Compression, RequiredAcks: c.RequiredAcks, BatchSize: c.BatchSize,
		BatchTimeout: time.Duration(c.BatchTimeout), BufferEvents: c.BufferEvents, DropWhenFull: c.DropWhenFull,
		WriteTimeout: time.Duration(c.WriteTimeout), FlushTimeout: time.Duration(c.FlushTimeout),
		Logger: d.log, Metrics: m,
	}
	if c.TLS != (config.TLSConfig{}) {
		if opts.TLS, err = c.TLS.ClientConfig(); err != nil {
			return nil, fmt.Errorf("sinks.kafka: %w", err)
		}
	}
	return sink.NewKafkaEvents(opts)
}
