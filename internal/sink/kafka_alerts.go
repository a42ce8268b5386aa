package sink

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/odpswatch/odpswatch/internal/alert"
)

// AlertSchema names the version of an alert's JSON form on the event topic.
const AlertSchema = "odpswatch.alert/v1"

// KafkaAlerts sends alerts to the Kafka event topic, as records of their own
// schema beside the events: an alert is an event too.
type KafkaAlerts struct {
	events *KafkaEvents
	host   string
}

// NewKafkaAlerts sends alerts through the event sink.
func NewKafkaAlerts(events *KafkaEvents, host string) *KafkaAlerts {
	return &KafkaAlerts{events: events, host: host}
}

// Name implements AlertSender.
func (k *KafkaAlerts) Name() string { return "kafka" }

// KafkaAlert is the JSON of an alert on the event topic: its record, after
// the schema and the host that sent it.
type KafkaAlert struct {
	Schema string `json:"schema"` // AlertSchema
	Host   string `json:"host"`
	AlertRecord
}

// Send implements AlertSender: it returns once the broker acknowledged
// every alert. Its failures are permanent for the delivery, which must not
// publish again what the event sink already retries by itself: an alert
// the sink dropped (full buffer with drop_when_full, or shutdown), or one
// taken but not acknowledged before ctx ended (it may still be, later).
func (k *KafkaAlerts) Send(ctx context.Context, alerts []*alert.Alert) error {
	acked := make(chan struct{}, len(alerts))
	for _, a := range alerts {
		value, err := json.Marshal(KafkaAlert{Schema: AlertSchema, Host: k.host, AlertRecord: recordOf(a)})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrPermanent, err)
		}
		if !k.events.PublishRecord([]byte(a.Fingerprint()), value, func() { acked <- struct{}{} }) {
			return fmt.Errorf("%w: kafka: alert %s dropped by the event sink (buffer full or stopping)", ErrPermanent, a.Fingerprint())
		}
	}
	for range alerts {
		select {
		case <-acked:
		case <-ctx.Done():
			return fmt.Errorf("%w: kafka: alerts queued but not acknowledged in time; the event sink keeps retrying them: %w", ErrPermanent, ctx.Err())
		}
	}
	return nil
}
