package daemon

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/config"
)

// documentedDefaults reads, from the reference configuration, the
// "Default: X" that its comments give each key of the section that starts
// at the line holding start: a mapping's header ("global:"), whose keys
// are the lines below it, or a commented-out example's first key, whose
// keys are the commented lines beside it.
func documentedDefaults(t *testing.T, start string) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../../configs/odpswatch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, start) })
	if at < 0 {
		t.Fatalf("no %q in the reference configuration", start)
	}
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	// keyPrefix is what a key line of the section starts with.
	keyPrefix := lines[at][:len(lines[at])-len(strings.TrimLeft(lines[at], " #"))]
	if strings.HasSuffix(strings.TrimSpace(lines[at]), ":") {
		for _, l := range lines[at+1:] {
			if strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#") {
				keyPrefix = l[:indent(l)]
				break
			}
		}
	}
	key := regexp.MustCompile(`^([a-z_]+):`)
	def := regexp.MustCompile(`Default: ([^ ]+?)\.?(?: |$)`)
	out := map[string]string{}
	comment := ""
	for _, l := range lines[at+1:] {
		rest, isKey := strings.CutPrefix(l, keyPrefix)
		switch {
		case isKey && key.MatchString(rest):
			if m := def.FindStringSubmatch(comment); m != nil {
				out[key.FindStringSubmatch(rest)[1]] = m[1]
			}
			comment = ""
		case strings.TrimSpace(l) == "":
		case strings.HasPrefix(strings.TrimSpace(l), "#"):
			comment += " " + strings.TrimLeft(l, " #")
		case indent(l) < len(keyPrefix):
			return out // the section ended
		}
	}
	return out
}

// TestKafkaDefaultsAreTheDocumented: a Kafka source and the event sink
// configured with only what is required get, at run time, the defaults the
// reference configuration documents. (The source and the sink have no
// defaults of their own for them: there is one of each.)
func TestKafkaDefaultsAreTheDocumented(t *testing.T) {
	c, err := config.Parse([]byte(`
sources:
  - name: events
    type: kafka
    brokers: ["127.0.0.1:9092"]
    topics: [logs]
    group_id: g
sinks:
  kafka:
    brokers: ["127.0.0.1:9092"]
    topic: odps-events
`), "x.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The options as the daemon builds them, the clients' settings too.
	d := &Daemon{}
	srcClient, err := d.clientSettings(c.Sources[0].KafkaClient)
	if err != nil {
		t.Fatal(err)
	}
	sinkClient, err := d.clientSettings(c.Sinks.Kafka.KafkaClient)
	if err != nil {
		t.Fatal(err)
	}
	src := kafkaSourceOptions(c.Sources[0], c.Global, srcClient)
	snk := kafkaSinkOptions(c.Sinks.Kafka, sinkClient)

	check := func(section string, docs map[string]string, got map[string]any) {
		t.Helper()
		for k, v := range got {
			d, ok := docs[k]
			if !ok {
				t.Errorf("%s: the reference documents no default for %s", section, k)
				continue
			}
			var want any = d
			switch v.(type) {
			case time.Duration:
				want, err = time.ParseDuration(d)
			case int:
				want, err = strconv.Atoi(d)
			case bool:
				want, err = strconv.ParseBool(d)
			}
			if err != nil {
				t.Fatalf("%s: %s: default %q: %v", section, k, d, err)
			}
			if fmt.Sprint(v) != fmt.Sprint(want) {
				t.Errorf("%s: %s is %v at run time, the reference documents %v", section, k, v, want)
			}
		}
	}
	check("a Kafka source", documentedDefaults(t, "#   type: kafka"), map[string]any{
		"start_at": src.StartAt, "client_id": src.Client.ClientID, "commit_interval": src.CommitInterval,
		"stall_timeout": src.StallTimeout, "session_timeout": src.SessionTimeout,
		"max_message_bytes": src.MaxMessageBytes, "max_bytes_in_flight": src.MaxBytesInFlight,
	})
	check("global", documentedDefaults(t, "global:"), map[string]any{"batch_bytes": src.BatchBytes})
	check("sinks.kafka", documentedDefaults(t, "  kafka:"), map[string]any{
		"key_by": snk.KeyBy, "client_id": snk.Client.ClientID, "compression": snk.Compression,
		"required_acks": snk.RequiredAcks, "batch_size": snk.BatchSize, "batch_timeout": snk.BatchTimeout,
		"buffer_events": snk.BufferEvents, "drop_when_full": snk.DropWhenFull, "write_timeout": snk.WriteTimeout,
		"flush_timeout": snk.FlushTimeout,
	})
}
