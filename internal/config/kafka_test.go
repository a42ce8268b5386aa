package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// wantDefaultKafkaSink is the Kafka sink with every default, by hand: off.
func wantDefaultKafkaSink() KafkaSink {
	return KafkaSink{
		KeyBy:        "code",
		KafkaClient:  KafkaClient{ClientID: "odpswatch"},
		Compression:  "snappy",
		RequiredAcks: "all",
		BatchSize:    1000,
		BatchTimeout: dur(100 * time.Millisecond),
		BufferEvents: 10000,
		WriteTimeout: dur(10 * time.Second),
		FlushTimeout: dur(5 * time.Second),
	}
}

// wantDefaultKafkaSource is a Kafka source with every default, but for its
// name, brokers, topics and group; the keys of file sources are zero.
func wantDefaultKafkaSource(name string, brokers, topics []string, group string) Source {
	return Source{
		Name:             name,
		Type:             "kafka",
		KafkaClient:      KafkaClient{Brokers: brokers, ClientID: "odpswatch"},
		Topics:           topics,
		GroupID:          group,
		StartAt:          "latest",
		CommitInterval:   dur(time.Second),
		StallTimeout:     dur(30 * time.Second),
		SessionTimeout:   dur(30 * time.Second),
		MaxMessageBytes:  1048576,
		MaxBytesInFlight: 64 << 20,
	}
}

func TestLoadKafka(t *testing.T) {
	got, err := Load("testdata/good-kafka.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := wantDefaults()
	want.Global.ShutdownTimeout = dur(25 * time.Second)
	want.Sources = []Source{{
		Name: "events",
		Type: "kafka",
		KafkaClient: KafkaClient{
			Brokers:  []string{"kafka-1.example.com:9092", "[::1]:9093", "10.0.0.7:19092"},
			ClientID: "odpswatch@host-1",
			TLS: TLSConfig{Enabled: true, CAFile: "testdata/tls/ca.pem", CertFile: "testdata/tls/client.pem",
				KeyFile: "testdata/tls/client-key.pem", ServerName: "kafka.example.com", InsecureSkipVerify: true},
			SASL: SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "odpswatch", PasswordFile: "testdata/kafka-password"},
		},
		Topics:           []string{"odps-logs", "odps.jobs_2"},
		GroupID:          "odpswatch.events-1",
		StartAt:          "earliest",
		CommitInterval:   dur(250 * time.Millisecond),
		StallTimeout:     dur(2 * time.Minute),
		SessionTimeout:   dur(45 * time.Second),
		MaxMessageBytes:  4096,
		MaxBytesInFlight: 64 << 20,
	}, wantDefaultSource("jobs", "/var/log/odps/*.log")}
	want.Sinks.Kafka = KafkaSink{
		KafkaClient: KafkaClient{
			Brokers:  []string{"kafka-3.example.com:9094"},
			ClientID: "odpswatch-sink",
			TLS:      TLSConfig{Enabled: true},
			SASL:     SASLConfig{Mechanism: "PLAIN", Username: "events", PasswordEnv: "KAFKA_SINK_PASSWORD"},
		},
		Topic:        "odps-events",
		KeyBy:        "source",
		Compression:  "zstd",
		RequiredAcks: "one",
		BatchSize:    500,
		BatchTimeout: dur(time.Second),
		BufferEvents: 200,
		DropWhenFull: true,
		WriteTimeout: dur(30 * time.Second),
		FlushTimeout: dur(20 * time.Second),
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", *got, want)
	}
	if !got.Sinks.Kafka.Enabled() {
		t.Error("the sink with brokers is not enabled")
	}
	roundTrip(t, got)

	// String holds the password's file and variable, never the password.
	s := got.String()
	if strings.Contains(s, "s3cret") || !strings.Contains(s, "testdata/kafka-password") || !strings.Contains(s, "KAFKA_SINK_PASSWORD") {
		t.Errorf("String prints the password, or not where it is:\n%s", s)
	}
	for _, tc := range []TLSConfig{got.Sources[0].TLS, got.Sinks.Kafka.TLS} {
		if _, err := tc.ClientConfig(); err != nil {
			t.Errorf("ClientConfig of %+v: %v", tc, err)
		}
	}
}

// TestKafkaString checks that a source is written with the keys of its
// type only, in the order of its table.
func TestKafkaString(t *testing.T) {
	c, err := Parse([]byte("sources:\n- {name: events, type: kafka, brokers: ['k:9092'], topics: [t], group_id: g}\n"), "x.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	const want = `sources:
  - name: events
    type: kafka
    brokers:
      - k:9092
    topics:
      - t
    group_id: g
    start_at: latest
    client_id: odpswatch
    commit_interval: 1s
    stall_timeout: 30s
    session_timeout: 30s
    max_message_bytes: 1048576
    max_bytes_in_flight: 67108864
    tls:
      ca_file: ""
      cert_file: ""
      key_file: ""
      server_name: ""
      insecure_skip_verify: false
    sasl:
      mechanism: ""
      username: ""
      password_file: ""
      password_env: ""
sinks:
`
	if i := strings.Index(s, "sources:\n"); i < 0 || !strings.HasPrefix(s[i:], want) {
		t.Errorf("got\n%s\nwant, from sources: on\n%s", s, want)
	}
	roundTrip(t, c)

	// A source built by hand, of no type, is written as a file source.
	out, err := Source{Name: "x", KafkaClient: KafkaClient{Brokers: []string{"k:1"}}}.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for i, n := range out.(*yaml.Node).Content {
		if i%2 == 0 {
			ks = append(ks, n.Value)
		}
	}
	if want := keys(fileSourceFields); !slices.Equal(ks, want) {
		t.Errorf("a source of no type is written with %v, want %v", ks, want)
	}
}

func TestKafkaDefaults(t *testing.T) {
	const file = "sources: [{name: jobs, type: file, paths: [x]}]\n"
	for _, tc := range []struct {
		name, yaml string
		want       KafkaSink
	}{
		{"absent", file, wantDefaultKafkaSink()},
		{"empty section", file + "sinks:\n  kafka:\n", wantDefaultKafkaSink()},
		{"empty mapping", file + "sinks: {kafka: {}}\n", wantDefaultKafkaSink()},
		{"no brokers, keys at their defaults", file + "sinks:\n  kafka:\n    brokers: []\n    topic: ''\n    tls: {enabled: false, insecure_skip_verify: false}\n    sasl: {mechanism: ''}\n",
			wantDefaultKafkaSink()},
		{"off, with a shutdown shorter than the flush", "global: {shutdown_timeout: 2s}\n" + file, wantDefaultKafkaSink()},
		{"on", file + "sinks:\n  kafka:\n    brokers: ['k:9092']\n    topic: events\n", func() KafkaSink {
			k := wantDefaultKafkaSink()
			k.Brokers, k.Topic = []string{"k:9092"}, "events"
			return k
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "x.yml")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Sinks.Kafka, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", c.Sinks.Kafka, tc.want)
			}
			if c.Sinks.Kafka.Enabled() != (len(tc.want.Brokers) > 0) {
				t.Errorf("Enabled is %v", c.Sinks.Kafka.Enabled())
			}
			roundTrip(t, c)
		})
	}

	c, err := Parse([]byte("sources:\n- name: events\n  type: kafka\n  brokers: ['k:9092']\n  topics: [t]\n  group_id: g\n"+
		"- {name: jobs, type: file, paths: [x]}\n"), "x.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		wantDefaultKafkaSource("events", []string{"k:9092"}, []string{"t"}, "g"),
		wantDefaultSource("jobs", "x"),
	}
	if !reflect.DeepEqual(c.Sources, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c.Sources, want)
	}
	roundTrip(t, c)

	g, err := ForGlobs([]string{"*.log"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g.Sinks.Kafka, wantDefaultKafkaSink()) {
		t.Errorf("ForGlobs: got\n%+v\nwant\n%+v", g.Sinks.Kafka, wantDefaultKafkaSink())
	}
}

func TestParseKafkaBad(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	newlines := filepath.Join(dir, "newlines")
	for name, data := range map[string]string{empty: "", newlines: "\r\n\n"} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const src = "sources:\n- name: events\n  type: kafka\n  brokers: ['k:9092']\n  topics: [t]\n  group_id: g\n"
	const file = "sources: [{name: jobs, type: file, paths: [x]}]\n"
	const sinkOn = file + "sinks:\n  kafka:\n    brokers: ['k:9092']\n    topic: events\n"
	many := strings.Repeat("k:9092, ", 32) + "k:9092"
	for _, tc := range []struct{ name, yaml, want string }{
		{"brokers not a list", "sources:\n- {name: events, type: kafka, brokers: 'k:9092', topics: [t], group_id: g}\n",
			`x.yml:2: source "events": brokers: want a list of brokers, not "k:9092"`},
		{"too many brokers", "sources:\n- {name: events, type: kafka, brokers: [" + many + "], topics: [t], group_id: g}\n",
			`x.yml:2: source "events": brokers: 33 brokers: want at most 32`},
		{"broker item a mapping", src + "  client_id: x\n" + "sinks: {kafka: {brokers: [{k: 9092}], topic: t}}\n",
			`x.yml:8: sinks.kafka.brokers[0]: want a broker, not a mapping`},
		{"all missing, at the entry", "sources:\n- name: events\n  type: kafka\n",
			`x.yml:2: source "events": brokers: at least one broker (host:port) is needed for a kafka source` + "\n" +
				`x.yml:2: source "events": topics: at least one topic is needed for a kafka source` + "\n" +
				`x.yml:2: source "events": group_id is required for a kafka source`},
		{"group_id empty", "sources:\n- {name: events, type: kafka, brokers: ['k:9092'], topics: [t], group_id: ''}\n",
			`x.yml:2: source "events": group_id is required for a kafka source`},
		{"wrong type is not also missing", "sources:\n- {name: events, type: kafka, brokers: {k: 1}, topics: t, group_id: [g]}\n",
			`x.yml:2: source "events": brokers: want a list of brokers, not a mapping` + "\n" +
				`x.yml:2: source "events": topics: want a list of topics, not "t"` + "\n" +
				`x.yml:2: source "events": group_id: want a string, not a list`},
		{"topics given twice", src + "  topics: [u]\n",
			`x.yml:7: duplicate key "topics" in a source (first at line 5)`},
		{"topics . and .. and too long", "sources:\n- {name: events, type: kafka, brokers: ['k:9092'], group_id: g, topics: [., .., " + strings.Repeat("t", 250) + "]}\n",
			`x.yml:2: source "events": topics[0] ".": want 1 to 249 letters, digits, ., _ or -, but not . or ..` + "\n" +
				`x.yml:2: source "events": topics[1] "..": want 1 to 249 letters, digits, ., _ or -, but not . or ..` + "\n" +
				`x.yml:2: source "events": topics[2] "` + strings.Repeat("t", 250) + `": want 1 to 249 letters, digits, ., _ or -, but not . or ..`},
		{"topic twice", "sources:\n- {name: events, type: kafka, brokers: ['k:9092'], group_id: g, topics: [a, b, a]}\n",
			`x.yml:2: source "events": topics[2] "a": already given as topics[0]`},
		{"start_at of a file source", src + "  start_at: beginning\n",
			`x.yml:7: source "events": start_at "beginning": want latest or earliest`},
		{"several file keys", src + "  watch: poll\n  max_files: 3\n",
			`x.yml:7: source "events": watch is a key of file sources, not of kafka sources` + "\n" +
				`x.yml:8: source "events": max_files is a key of file sources, not of kafka sources`},
		{"sasl on a file source", "sources:\n- {name: jobs, type: file, paths: [y], sasl: {}}\n",
			`x.yml:2: source "jobs": sasl is a key of kafka sources, not of file sources`},
		{"no type: the keys of every type are checked", "sources:\n- {name: events, brokers: ['k'], paths: ['[']}\n",
			`x.yml:2: source "events": brokers[0] "k": want host:port, such as kafka-1.example.com:9092` + "\n" +
				`x.yml:2: source "events": paths[0] "[": invalid glob: [ without a closing ]` + "\n" +
				`x.yml:2: source "events": type is required: want file or kafka`},
		{"unsupported type: start_at is not judged", "sources:\n- {name: events, type: syslog, start_at: now, topic: x}\n",
			`x.yml:2: unknown key "topic" in a source (known: name, type, paths, exclude, start_at, watch, poll_interval, rescan_interval, partial_line_timeout, max_files, brokers, topics, group_id, client_id, commit_interval, stall_timeout, session_timeout, max_message_bytes, max_bytes_in_flight, tls, sasl)` + "\n" +
				`x.yml:2: source "events": type "syslog" is not supported: want file or kafka`},
		{"client_id with a space", src + "  client_id: odps watch\n",
			`x.yml:7: source "events": client_id "odps watch": want printable ASCII characters without spaces`},
		{"client_id empty", src + "  client_id: ''\n",
			`x.yml:7: source "events": client_id "": want printable ASCII characters without spaces`},
		{"client_id not ASCII", src + "  client_id: odpswätch\n",
			`x.yml:7: source "events": client_id "odpswätch": want printable ASCII characters without spaces`},
		{"durations and sizes", src + "  commit_interval: 50ms\n  stall_timeout: 11m\n  max_message_bytes: 255\n  session_timeout: 5s\n",
			`x.yml:7: source "events": commit_interval 50ms: want 100ms to 1m` + "\n" +
				`x.yml:8: source "events": stall_timeout 11m: want 1s to 10m` + "\n" +
				`x.yml:9: source "events": max_message_bytes 255: want 1024 to 67108864` + "\n" +
				`x.yml:10: source "events": session_timeout 5s: want 6s to 30m`},
		{"session_timeout too long", src + "  session_timeout: 31m\n",
			`x.yml:7: source "events": session_timeout 31m: want 6s to 30m`},
		{"unknown key in tls", src + "  tls:\n    enable: true\n",
			`x.yml:8: unknown key "enable" in source "events": tls (known: enabled, ca_file, cert_file, key_file, server_name, insecure_skip_verify)`},
		{"tls keys without enabled", src + "  tls:\n    enabled: false\n    server_name: k\n    insecure_skip_verify: true\n",
			`x.yml:9: source "events": tls: server_name and insecure_skip_verify are set but enabled is not: want enabled: true`},
		{"tls enabled not a bool", src + "  tls: {enabled: yes, server_name: k}\n",
			`x.yml:7: source "events": tls.enabled "yes": want true or false`},
		{"tls files checked", src + "  tls:\n    enabled: true\n    cert_file: testdata/tls/client.pem\n    ca_file: testdata/missing.pem\n",
			`x.yml:9: source "events": tls: cert_file without key_file: want both or neither` + "\n" +
				`x.yml:10: source "events": tls: cannot read ca_file testdata/missing.pem: no such file or directory`},
		{"sasl not a mapping", src + "  sasl: PLAIN\n",
			`x.yml:7: source "events": sasl: want a mapping, not "PLAIN"`},
		{"sasl unknown key", src + "  sasl:\n    password: hunter2\n",
			`x.yml:8: unknown key "password" in source "events": sasl (known: mechanism, username, password_file, password_env)`},
		{"sasl passwords without mechanism", src + "  sasl:\n    mechanism: ''\n    password_file: x\n    password_env: P\n",
			`x.yml:9: source "events": sasl: password_file without mechanism: want mechanism too` + "\n" +
				`x.yml:10: source "events": sasl: password_env without mechanism: want mechanism too`},
		{"sasl username and password missing", src + "  sasl: {mechanism: SCRAM-SHA-512}\n",
			`x.yml:7: source "events": sasl: mechanism SCRAM-SHA-512 without username: want username too` + "\n" +
				`x.yml:7: source "events": sasl: mechanism SCRAM-SHA-512 without a password: want password_file or password_env`},
		{"sasl password file empty", src + "  sasl: {mechanism: PLAIN, username: u, password_file: " + empty + "}\n",
			`x.yml:7: source "events": sasl.password_file "` + empty + `": the file is empty`},
		{"sasl password file only line breaks", src + "  sasl: {mechanism: PLAIN, username: u, password_file: " + newlines + "}\n",
			`x.yml:7: source "events": sasl.password_file "` + newlines + `": the file is empty`},
		{"sasl password file a directory", src + "  sasl: {mechanism: PLAIN, username: u, password_file: " + dir + "}\n",
			`x.yml:7: source "events": sasl.password_file "` + dir + `": cannot read it: is a directory`},
		{"sasl env name starts with a digit", src + "  sasl: {mechanism: PLAIN, username: u, password_env: 1PASS}\n",
			`x.yml:7: source "events": sasl.password_env: want the name of an environment variable: letters, digits or _, starting with a letter or _ (the value is not shown: it may be a secret)`},
		{"sasl env name with a $", src + "  sasl: {mechanism: PLAIN, username: u, password_env: $PASS}\n",
			`x.yml:7: source "events": sasl.password_env: want the name of an environment variable: letters, digits or _, starting with a letter or _ (the value is not shown: it may be a secret)`},
		{"sinks.kafka not a mapping", file + "sinks: {kafka: [k]}\n",
			`x.yml:2: sinks.kafka: want a mapping, not a list`},
		{"sink values", sinkOn + "    key_by: host\n    required_acks: 2\n    batch_size: 0\n    batch_timeout: 0s\n    buffer_events: 1000001\n" +
			"    drop_when_full: no\n    write_timeout: 6m\n    flush_timeout: 50ms\n",
			`x.yml:6: sinks.kafka.key_by "host": want code, source or none` + "\n" +
				`x.yml:7: sinks.kafka.required_acks "2": want all, one or none` + "\n" +
				`x.yml:8: sinks.kafka.batch_size 0: want 1 to 100000` + "\n" +
				`x.yml:9: sinks.kafka.batch_timeout 0s: want 1ms to 10s` + "\n" +
				`x.yml:10: sinks.kafka.buffer_events 1000001: want 1 to 1000000` + "\n" +
				`x.yml:11: sinks.kafka.drop_when_full "no": want true or false` + "\n" +
				`x.yml:12: sinks.kafka.write_timeout 6m: want 100ms to 5m` + "\n" +
				`x.yml:13: sinks.kafka.flush_timeout 50ms: want 100ms to 20s`},
		{"sink topic invalid", file + "sinks: {kafka: {brokers: ['k:9092'], topic: 'odps events'}}\n",
			`x.yml:2: sinks.kafka.topic "odps events": want 1 to 249 letters, digits, ., _ or -, but not . or ..`},
		{"sink brokers empty with a topic", file + "sinks:\n  kafka:\n    brokers: []\n    topic: events\n",
			`x.yml:5: sinks.kafka: topic without brokers: want brokers too, or no topic to leave the sink off`},
		{"sink sasl and tls", sinkOn + "    tls: {ca_file: testdata/tls/ca.pem}\n    sasl: {mechanism: PLAIN, username: u, password_file: p, password_env: P}\n",
			`x.yml:6: sinks.kafka.tls: ca_file is set but enabled is not: want enabled: true` + "\n" +
				`x.yml:7: sinks.kafka.sasl: both password_file and password_env: want exactly one` + "\n" +
				`x.yml:7: sinks.kafka.sasl.password_file "p": cannot read it: no such file or directory`},
		{"default flush_timeout against a short shutdown", "global:\n  shutdown_timeout: 5s\n" + sinkOn,
			`x.yml:2: sinks.kafka: flush_timeout 5s is not shorter than global.shutdown_timeout 5s: want a shorter flush_timeout or a longer shutdown_timeout`},
		{"flush_timeout before global", sinkOn + "    flush_timeout: 20s\nglobal: {shutdown_timeout: 15s}\n",
			`x.yml:6: sinks.kafka: flush_timeout 20s is not shorter than global.shutdown_timeout 15s: want a shorter flush_timeout or a longer shutdown_timeout`},
		{"a bad flush_timeout is not also too long", "global: {shutdown_timeout: 2s}\n" + sinkOn + "    flush_timeout: 1m\n",
			`x.yml:7: sinks.kafka.flush_timeout 1m: want 100ms to 20s`},
		{"a bad shutdown_timeout is not also too short", "global: {shutdown_timeout: 0s}\n" + sinkOn,
			`x.yml:1: global.shutdown_timeout 0s: want 1s to 25s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "x.yml")
			wantError(t, c, err, tc.want)
		})
	}
}

func TestBrokerProblem(t *testing.T) {
	const bad = "want host:port, such as kafka-1.example.com:9092"
	const port = bad + ", with a port of 1 to 65535"
	for _, tc := range []struct{ broker, want string }{
		{"kafka-1.example.com:9092", ""},
		{"k:1", ""},
		{"k_1:65535", ""},
		{"10.0.0.7:9092", ""},
		{"[::1]:9092", ""},
		{"[fe80::1%eth0]:9092", ""},
		{"", bad},
		{"k", bad},
		{"k:", bad},
		{":9092", bad},
		{"::1:9092", bad},
		{"kafka://k:9092", bad},
		{"user@k:9092", bad},
		{"k k:9092", bad},
		{"k/x:9092", bad},
		{"k:0", port},
		{"k:65536", port},
		{"k:+1", port},
		{"k:9092/", port},
		{"k:http", port},
	} {
		if got := brokerProblem(tc.broker); got != tc.want {
			t.Errorf("brokerProblem(%q) = %q, want %q", tc.broker, got, tc.want)
		}
	}
}

func TestTopicProblem(t *testing.T) {
	for _, tc := range []struct {
		topic string
		ok    bool
	}{
		{"odps-logs", true},
		{"a", true},
		{"...", true},
		{"_odps.jobs-2", true},
		{strings.Repeat("t", 249), true},
		{strings.Repeat("t", 250), false},
		{"", false},
		{".", false},
		{"..", false},
		{"odps logs", false},
		{"odps/logs", false},
		{"odps:logs", false},
		{"lögs", false},
	} {
		if got := topicProblem(tc.topic); (got == "") != tc.ok {
			t.Errorf("topicProblem(%q) = %q", tc.topic, got)
		}
	}
}

func TestSASLPassword(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	crlf := write("crlf", "pa ss\r\n")
	bare := write("bare", " pass")
	blank := write("blank", "\n")
	missing := filepath.Join(dir, "missing")
	env := map[string]string{"KAFKA_PASSWORD": "from env", "EMPTY": ""}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	for _, tc := range []struct {
		name      string
		sasl      SASLConfig
		want, err string
	}{
		{"none", SASLConfig{}, "", ""},
		{"file, line break cut", SASLConfig{Mechanism: "PLAIN", PasswordFile: crlf}, "pa ss", ""},
		{"file, spaces kept", SASLConfig{Mechanism: "PLAIN", PasswordFile: bare}, " pass", ""},
		{"file blank", SASLConfig{Mechanism: "PLAIN", PasswordFile: blank}, "", "password_file " + blank + " is empty"},
		{"file missing", SASLConfig{Mechanism: "PLAIN", PasswordFile: missing}, "",
			"cannot read password_file " + missing + ": no such file or directory"},
		{"env", SASLConfig{Mechanism: "PLAIN", PasswordEnv: "KAFKA_PASSWORD"}, "from env", ""},
		{"env empty", SASLConfig{Mechanism: "PLAIN", PasswordEnv: "EMPTY"}, "",
			"password_env: the environment variable it names is empty"},
		{"env unset", SASLConfig{Mechanism: "PLAIN", PasswordEnv: "UNSET"}, "",
			"password_env: the environment variable it names is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sasl.Password(lookup)
			if got != tc.want || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
				t.Errorf("got %q, %v; want %q, %s", got, err, tc.want, tc.err)
			}
		})
	}
	_, err := SASLConfig{PasswordFile: missing}.Password(lookup)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
	}

	// What Load accepts, Password reads.
	c, err := Load("testdata/good-kafka.yml")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Sources[0].SASL.Password(lookup); p != "s3cret-kafka" || err != nil {
		t.Errorf("the password of good-kafka.yml's source: %q, %v", p, err)
	}
}

// TestExampleKafka uncomments the reference's Kafka source: it must load,
// every value its default but for brokers, topics and group_id.
func TestExampleKafka(t *testing.T) {
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	_, whole := exampleKafka(t, data)
	got, err := Parse(whole, "uncommented")
	if err != nil {
		t.Fatalf("%v\n%s", err, whole)
	}
	if len(got.Sources) != 2 {
		t.Fatalf("%d sources, want 2", len(got.Sources))
	}
	s := got.Sources[1]
	if len(s.Brokers) == 0 || len(s.Topics) == 0 || s.GroupID == "" {
		t.Errorf("the example source misses brokers, topics or group_id: %+v", s)
	}
	if want := wantDefaultKafkaSource(s.Name, s.Brokers, s.Topics, s.GroupID); !reflect.DeepEqual(s, want) {
		t.Errorf("got\n%+v\nwant\n%+v", s, want)
	}
}

// TestSidecarExample loads configs/sidecar.yaml, docs/kafka.md's Kafka to
// Kafka deployment: one Kafka source and the event sink, on.
func TestSidecarExample(t *testing.T) {
	got, err := Load("../../configs/sidecar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 1 || got.Sources[0].Type != "kafka" || got.Sources[0].StartAt != "earliest" ||
		time.Duration(got.Sources[0].SessionTimeout) != 10*time.Second {
		t.Errorf("sources %+v, want one Kafka source from the earliest offset, session_timeout 10s", got.Sources)
	}
	if !got.Sinks.Kafka.Enabled() || got.Sinks.Kafka.Topic != "odps-errors" || got.Sinks.Kafka.DropWhenFull {
		t.Errorf("sinks.kafka %+v, want it on, to odps-errors, never dropping", got.Sinks.Kafka)
	}
}
