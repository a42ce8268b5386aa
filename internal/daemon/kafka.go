package daemon

import (
	"fmt"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/odpswatch/odpswatch/internal/config"
	"github.com/odpswatch/odpswatch/internal/kafkaclient"
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

// clientSettings are how a Kafka client with the configuration c connects:
// its TLS (files read now) and its SASL mechanism (password read now).
func (d *Daemon) clientSettings(c config.KafkaClient) (kafkaclient.Settings, error) {
	mech, err := saslMechanism(c.SASL, d.opts.Getenv)
	if err != nil {
		return kafkaclient.Settings{}, err
	}
	s := kafkaclient.Settings{Brokers: c.Brokers, ClientID: c.ClientID, SASL: mech}
	if c.TLS != (config.TLSConfig{}) {
		if s.TLS, err = c.TLS.ClientConfig(); err != nil {
			return kafkaclient.Settings{}, err
		}
	}
	return s, nil
}

// kafkaSourceOptions are the options of the Kafka source sc: what the
// configuration says, its defaults included, and nothing else.
func kafkaSourceOptions(sc config.Source, g config.Global, client kafkaclient.Settings) kafkasource.Options {
	return kafkasource.Options{
		Name: sc.Name, Client: client, Topics: sc.Topics, GroupID: sc.GroupID, StartAt: sc.StartAt,
		CommitInterval: time.Duration(sc.CommitInterval), StallTimeout: time.Duration(sc.StallTimeout),
		SessionTimeout: time.Duration(sc.SessionTimeout), MaxMessageBytes: sc.MaxMessageBytes,
		MaxBytesInFlight: sc.MaxBytesInFlight, BatchBytes: g.BatchBytes,
		// Within the daemon's own bound, leaving room for the drain.
		ShutdownTimeout: time.Duration(g.ShutdownTimeout) / 3,
	}
}

// kafkaSinkOptions are the options of the Kafka event sink c.
func kafkaSinkOptions(c config.KafkaSink, client kafkaclient.Settings) sink.KafkaEventsOptions {
	return sink.KafkaEventsOptions{
		Client: client, Topic: c.Topic, KeyBy: c.KeyBy, Compression: c.Compression, RequiredAcks: c.RequiredAcks,
		BatchSize: c.BatchSize, BatchTimeout: time.Duration(c.BatchTimeout), BufferEvents: c.BufferEvents,
		DropWhenFull: c.DropWhenFull, WriteTimeout: time.Duration(c.WriteTimeout), FlushTimeout: time.Duration(c.FlushTimeout),
	}
}

// newKafkaSource builds the Kafka source of sc.
func (d *Daemon) newKafkaSource(sc config.Source) (*kafkasource.Source, error) {
	client, err := d.clientSettings(sc.KafkaClient)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", sc.Name, err)
	}
	opts := kafkaSourceOptions(sc, d.cfg.Global, client)
	opts.Logger, opts.Metrics = d.log, d.kafkaMet
	return kafkasource.New(opts, d.pipe.Input())
}

// newKafkaEvents builds the event sink, or returns nil when it is off.
func (d *Daemon) newKafkaEvents(c config.KafkaSink) (*sink.KafkaEvents, error) {
	if !c.Enabled() {
		return nil, nil
	}
	client, err := d.clientSettings(c.KafkaClient)
	if err != nil {
		return nil, fmt.Errorf("sinks.kafka: %w", err)
	}
	m, err := sink.NewKafkaEventsMetrics(d.reg)
	if err != nil {
		return nil, err
	}
	opts := kafkaSinkOptions(c, client)
	opts.Logger, opts.Metrics = d.log, m
	return sink.NewKafkaEvents(opts)
}
