// Package kafkaclient is how odpswatch's Kafka clients connect: a Kafka
// source's consumer group and the event sink's writer take the same
// Settings, which the daemon builds once from the configuration's
// config.KafkaClient (checked there: brokers' syntax, client ID, TLS files,
// SASL password), and make their kafka-go dialer and transport from them
// the same way.
package kafkaclient

import (
	"crypto/tls"
	"errors"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Settings are how a client connects to its brokers.
type Settings struct {
	Brokers  []string       // host:port of the bootstrap brokers: at least one
	ClientID string         // sent to the brokers, for their logs and quotas: required
	TLS      *tls.Config    // nil: plaintext
	SASL     sasl.Mechanism // nil: no authentication
}

// Check says what s lacks: a caller that did not build it from the
// configuration (a test, a tool) learns it at once rather than at the
// first connection.
func (s Settings) Check() error {
	var errs []error
	if len(s.Brokers) == 0 {
		errs = append(errs, errors.New("kafka client: Brokers: at least one broker (host:port) is needed"))
	}
	if s.ClientID == "" {
		errs = append(errs, errors.New("kafka client: ClientID: must be set (the configuration's default is odpswatch)"))
	}
	return errors.Join(errs...)
}

// Addr is the brokers' address for kafka-go's clients and writers.
func (s Settings) Addr() net.Addr { return kafka.TCP(s.Brokers...) }

// Dialer makes connections to the brokers, giving up on one after timeout.
func (s Settings) Dialer(timeout time.Duration) *kafka.Dialer {
	return &kafka.Dialer{
		ClientID:      s.ClientID,
		Timeout:       timeout,
		DualStack:     true,
		KeepAlive:     30 * time.Second,
		TLS:           s.TLS,
		SASLMechanism: s.SASL,
	}
}

// Transport carries a client's requests: its dials give up after
// dialTimeout, and the metadata of topics is cached for metadataTTL at
// most (kafka-go does not look again after a failed request, so this is
// how late it sees a new leader).
func (s Settings) Transport(dialTimeout time.Duration, topics []string, metadataTTL time.Duration) *kafka.Transport {
	return &kafka.Transport{
		DialTimeout:    dialTimeout,
		MetadataTopics: topics,
		MetadataTTL:    metadataTTL,
		ClientID:       s.ClientID,
		TLS:            s.TLS,
		SASL:           s.SASL,
	}
}
