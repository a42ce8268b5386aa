package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/odpswatch/odpswatch/internal/sink"
)

func dur(d time.Duration) model.Duration { return model.Duration(d) }

// wantDefaults is the configuration with every default, written out by hand
// from the documented defaults rather than taken from the field tables.
func wantDefaults() Config {
	return Config{
		Global: Global{
			PositionsSaveInterval: dur(5 * time.Second),
			ShutdownTimeout:       dur(15 * time.Second),
			Workers:               0,
			QueueBatches:          16,
			BatchBytes:            1048576,
			MaxLineBytes:          1048576,
			AttributionStreams:    1024,
			AttributionJobs:       32,
		},
		Sinks:  Sinks{Prometheus: PrometheusSink{MaxUnknownCodes: 100}, Kafka: wantDefaultKafkaSink()},
		Alerts: wantDefaultAlerts(),
	}
}

// wantDefaultAlerts is the alerts section with every default, by hand: one
// rule, ODPSSeverity5Spike, logged.
func wantDefaultAlerts() Alerts {
	return Alerts{
		Rules:              []AlertRule{wantDefaultRule("ODPSSeverity5Spike")},
		EvaluationInterval: dur(10 * time.Second),
		ResendInterval:     dur(time.Minute),
		QueueSize:          64,
		Timeout:            dur(10 * time.Second),
		MaxRetries:         5,
		Log:                ptr(true),
	}
}

// wantDefaultRule is a rule with every default, but for its name.
func wantDefaultRule(name string) AlertRule {
	return AlertRule{
		Name:           name,
		MinSeverity:    5,
		Count:          "failures",
		Window:         dur(time.Minute),
		MinCount:       10,
		Factor:         3,
		BaselineWeight: 0.1,
		BaselineFloor:  1,
		ResolveAfter:   dur(5 * time.Minute),
		Severity:       "critical",
	}
}

func ptr[T any](v T) *T { return &v }

// wantDefaultSource is a file source with every default, but for its name,
// type and paths.
func wantDefaultSource(name string, paths ...string) Source {
	return Source{
		Name:               name,
		Type:               "file",
		Paths:              paths,
		StartAt:            "end",
		Watch:              "auto",
		PollInterval:       dur(250 * time.Millisecond),
		RescanInterval:     dur(10 * time.Second),
		PartialLineTimeout: dur(5 * time.Second),
		MaxFiles:           10000,
	}
}

func TestLoadMinimal(t *testing.T) {
	got, err := Load("testdata/good-minimal.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := wantDefaults()
	want.Sources = []Source{wantDefaultSource("jobs", "/var/log/odps/*.log")}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", *got, want)
	}
	roundTrip(t, got)
}

func TestLoadFull(t *testing.T) {
	got, err := Load("testdata/good-full.yml")
	if err != nil {
		t.Fatal(err)
	}
	skip := []string{"*.gz", "/var/log/odps/tmp/**"}
	want := Config{
		Global: Global{
			PositionsSaveInterval: dur(time.Minute),
			ShutdownTimeout:       dur(25 * time.Second),
			Workers:               8,
			QueueBatches:          32,
			BatchBytes:            65536,
			MaxLineBytes:          4096,
			AttributionStreams:    64,
			AttributionJobs:       8,
		},
		Sources: []Source{{
			Name:               "jobs",
			Type:               "file",
			Paths:              []string{"/var/log/odps/**/*.log", "relative/*.log"},
			Exclude:            skip,
			StartAt:            "beginning",
			Watch:              "poll",
			PollInterval:       dur(time.Second),
			RescanInterval:     dur(90 * time.Second),
			PartialLineTimeout: dur(10 * time.Millisecond),
			MaxFiles:           50,
		}, {
			Name:               "pyodps_2.x-console",
			Type:               "file",
			Paths:              []string{"/home/*/pyodps/{logs,log}/*.txt"},
			Exclude:            skip,
			StartAt:            "end",
			Watch:              "auto",
			PollInterval:       dur(10 * time.Millisecond),
			RescanInterval:     dur(time.Hour),
			PartialLineTimeout: dur(time.Hour),
			MaxFiles:           100000,
		}},
		Sinks:  Sinks{Prometheus: PrometheusSink{MaxUnknownCodes: 0}, Kafka: wantDefaultKafkaSink()},
		Alerts: wantDefaultAlerts(),
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", *got, want)
	}
	roundTrip(t, got)
}

// roundTrip checks that String writes c so that Parse reads it back.
func roundTrip(t *testing.T, c *Config) {
	t.Helper()
	again, err := Parse([]byte(c.String()), "printed")
	if err != nil {
		t.Fatalf("cannot parse String's output: %v\n%s", err, c)
	}
	if !reflect.DeepEqual(again, c) {
		t.Errorf("round trip: got\n%+v\nwant\n%+v", *again, *c)
	}
}

func TestString(t *testing.T) {
	c, err := ForGlobs([]string{"/var/log/odps/*.log", "*.txt"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `global:
  positions_save_interval: 5s
  shutdown_timeout: 15s
  workers: 0
  queue_batches: 16
  batch_bytes: 1048576
  max_line_bytes: 1048576
  attribution_streams: 1024
  attribution_jobs: 32
sources:
  - name: files
    type: file
    paths:
      - /var/log/odps/*.log
      - '*.txt'
    exclude: []
    start_at: beginning
    watch: auto
    poll_interval: 250ms
    rescan_interval: 10s
    partial_line_timeout: 5s
    max_files: 10000
sinks:
  prometheus:
    max_unknown_codes: 100
  kafka:
    brokers: []
    topic: ""
    key_by: code
    client_id: odpswatch
    compression: snappy
    required_acks: all
    batch_size: 1000
    batch_timeout: 100ms
    buffer_events: 10000
    drop_when_full: false
    write_timeout: 10s
    flush_timeout: 5s
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
alerts:
  rules:
    - name: ODPSSeverity5Spike
      min_severity: 5
      count: failures
      window: 1m
      min_count: 10
      factor: 3
      baseline_weight: 0.1
      baseline_floor: 1
      group_by: []
      resolve_after: 5m
      severity: critical
  evaluation_interval: 10s
  resend_interval: 1m
  queue_size: 64
  timeout: 10s
  max_retries: 5
  generator_url: ""
  log: true
  alertmanager:
    urls: []
    tls:
      ca_file: ""
      cert_file: ""
      key_file: ""
      server_name: ""
      insecure_skip_verify: false
  webhook:
    url: ""
    hmac_secret_file: ""
    tls:
      ca_file: ""
      cert_file: ""
      key_file: ""
      server_name: ""
      insecure_skip_verify: false
`
	if got := c.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestForGlobs(t *testing.T) {
	got, err := ForGlobs([]string{"/var/log/odps/**/*.log", "job-[0-9].log"})
	if err != nil {
		t.Fatal(err)
	}
	want := wantDefaults()
	s := wantDefaultSource("files", "/var/log/odps/**/*.log", "job-[0-9].log")
	s.StartAt = "beginning"
	want.Sources = []Source{s}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", *got, want)
	}
	roundTrip(t, got)
}

func TestForGlobsErrors(t *testing.T) {
	many := make([]string, 65)
	for i := range many {
		many[i] = fmt.Sprintf("/var/log/%d/*.log", i)
	}
	for _, tc := range []struct {
		name  string
		globs []string
		want  string
	}{
		{"none", nil, "no globs given: want at least one"},
		{"too many", many, "65 globs given: want at most 64"},
		{"invalid", []string{"/var/log/[", "*.log", "{a", ""},
			"invalid glob \"/var/log/[\": [ without a closing ]\n" +
				"invalid glob \"{a\": { without a closing }\n" +
				"invalid glob \"\": empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ForGlobs(tc.globs)
			wantError(t, c, err, tc.want)
		})
	}
}

// badFiles maps each testdata/bad-*.yml, one kind of error each, to its
// exact message.
var badFiles = []struct{ file, want string }{
	{"bad-syntax.yml",
		`testdata/bad-syntax.yml:3: cannot parse YAML: mapping values are not allowed in this context`},
	{"bad-two-documents.yml",
		`testdata/bad-two-documents.yml:5: only one YAML document is allowed`},
	{"bad-empty.yml",
		`testdata/bad-empty.yml: no sources: add at least one under "sources"`},
	{"bad-no-sources.yml",
		`testdata/bad-no-sources.yml: no sources: add at least one under "sources"`},
	{"bad-sources-empty.yml",
		`testdata/bad-sources-empty.yml:3: no sources: add at least one under "sources"`},
	{"bad-top-level-list.yml",
		`testdata/bad-top-level-list.yml:1: want a mapping with global, sources and sinks at the top level, not a list`},
	{"bad-unknown-top-key.yml",
		`testdata/bad-unknown-top-key.yml:1: unknown key "source" at the top level (known: global, sources, sinks, alerts)` + "\n" +
			`testdata/bad-unknown-top-key.yml: no sources: add at least one under "sources"`},
	{"bad-unknown-key.yml",
		`testdata/bad-unknown-key.yml:7: unknown key "pathz" in a source (known: name, type, paths, exclude, start_at, watch, poll_interval, rescan_interval, partial_line_timeout, max_files)`},
	{"bad-duplicate-key.yml",
		`testdata/bad-duplicate-key.yml:4: duplicate key "workers" in global (first at line 2)`},
	{"bad-merge-key.yml",
		`testdata/bad-merge-key.yml:6: merge key "<<" in a source is not supported: write the keys out` + "\n" +
			`testdata/bad-merge-key.yml:6: source "more": type is required: want file or kafka`},
	{"bad-list-for-mapping.yml",
		`testdata/bad-list-for-mapping.yml:2: global: want a mapping, not a list`},
	{"bad-mapping-for-list.yml",
		`testdata/bad-mapping-for-list.yml:2: sources: want a list of sources, not a mapping`},
	{"bad-string-for-list.yml",
		`testdata/bad-string-for-list.yml:4: source "jobs": paths: want a list of globs, not "/var/log/odps/*.log"`},
	{"bad-source-not-mapping.yml",
		`testdata/bad-source-not-mapping.yml:2: sources[0]: want a mapping with name, type and paths, not "/var/log/odps/*.log"`},
	{"bad-not-an-integer.yml",
		`testdata/bad-not-an-integer.yml:2: global.workers "many": want an integer`},
	{"bad-not-a-duration.yml",
		`testdata/bad-not-a-duration.yml:5: source "jobs": poll_interval "1.5s": want a duration such as 250ms, 5s or 1m30s`},
	{"bad-int-range.yml",
		`testdata/bad-int-range.yml:2: global.workers 300: want 0 to 256`},
	{"bad-duration-range.yml",
		`testdata/bad-duration-range.yml:5: source "jobs": poll_interval 5ms: want 10ms to 1m`},
	{"bad-start-at.yml",
		`testdata/bad-start-at.yml:3: source "jobs": start_at "middle": want end or beginning`},
	{"bad-name-missing.yml",
		`testdata/bad-name-missing.yml:5: sources[1]: name is required`},
	{"bad-name-invalid.yml",
		`testdata/bad-name-invalid.yml:2: source name "odps jobs": want 1 to 63 letters, digits, _, . or -, starting with a letter or _`},
	{"bad-name-twice.yml",
		`testdata/bad-name-twice.yml:8: source name "jobs" is used twice (first at line 2)`},
	{"bad-type-missing.yml",
		`testdata/bad-type-missing.yml:2: source "jobs": type is required: want file or kafka`},
	{"bad-type-unsupported.yml",
		`testdata/bad-type-unsupported.yml:3: source "jobs": type "syslog" is not supported: want file or kafka`},
	{"bad-paths-missing.yml",
		`testdata/bad-paths-missing.yml:2: source "jobs": paths: at least one glob is needed for a file source`},
	{"bad-too-many-paths.yml",
		`testdata/bad-too-many-paths.yml:4: source "jobs": paths: 65 globs: want at most 64`},
	{"bad-glob.yml",
		`testdata/bad-glob.yml:6: source "jobs": paths[1] "/var/log/[": invalid glob: [ without a closing ]`},
	{"bad-glob-not-string.yml",
		`testdata/bad-glob-not-string.yml:6: source "jobs": paths[1]: want a glob, not a mapping`},
	{"bad-many.yml", strings.Join([]string{
		`testdata/bad-many.yml:3: global.shutdown_timeout 30s: want 1s to 25s`,
		`testdata/bad-many.yml:4: global.batch_bytes "1k": want an integer`,
		`testdata/bad-many.yml:9: source "jobs": exclude[0] "{a,b": invalid glob: { without a closing }`,
		`testdata/bad-many.yml:10: source "jobs": watch "inotify": want auto or poll`,
		`testdata/bad-many.yml:11: source "jobs": max_files 0: want 1 to 100000`,
		`testdata/bad-many.yml:14: sinks.prometheus.max_unknown_codes 20000: want 0 to 10000`,
		`testdata/bad-many.yml:15: unknown key "alertmanager" in sinks (known: prometheus, kafka)`,
	}, "\n")},
	{"bad-alerts-unknown-key.yml",
		`testdata/bad-alerts-unknown-key.yml:7: unknown key "receivers" in alerts (known: rules, evaluation_interval, resend_interval, queue_size, timeout, max_retries, generator_url, log, alertmanager, webhook)`},
	{"bad-alerts-rule-unknown-key.yml",
		`testdata/bad-alerts-rule-unknown-key.yml:8: unknown key "windows" in an alert rule (known: name, min_severity, count, window, min_count, factor, baseline_weight, baseline_floor, group_by, resolve_after, severity)`},
	{"bad-alerts-rule-name-missing.yml",
		`testdata/bad-alerts-rule-name-missing.yml:8: alerts.rules[1]: name is required`},
	{"bad-alerts-rule-name-invalid.yml",
		`testdata/bad-alerts-rule-name-invalid.yml:7: alert rule name "odps-spike": want letters, digits or _, starting with a letter or _`},
	{"bad-alerts-rule-name-twice.yml",
		`testdata/bad-alerts-rule-name-twice.yml:9: alert rule name "spike" is used twice (first at line 7)`},
	{"bad-alerts-factor-range.yml",
		`testdata/bad-alerts-factor-range.yml:8: alerts.rules[0] "spike": factor 0.5: want 1 to 1000`},
	{"bad-alerts-float-for-int.yml",
		`testdata/bad-alerts-float-for-int.yml:8: alerts.rules[0] "spike": min_count "2.5": want an integer`},
	{"bad-alerts-not-a-number.yml",
		`testdata/bad-alerts-not-a-number.yml:8: alerts.rules[0] "spike": baseline_weight "10%": want a number`},
	{"bad-alerts-group-by.yml",
		`testdata/bad-alerts-group-by.yml:8: alerts.rules[0] "spike": group_by[1] "host": want code or module`},
	{"bad-alerts-group-by-repeat.yml",
		`testdata/bad-alerts-group-by-repeat.yml:10: alerts.rules[0] "spike": group_by[1] "code": already given as group_by[0]`},
	{"bad-alerts-resolve-after.yml",
		`testdata/bad-alerts-resolve-after.yml:9: alerts.rules[0] "spike": resolve_after 1m is shorter than window 5m: want at least the window`},
	{"bad-alerts-url.yml",
		`testdata/bad-alerts-url.yml:7: alerts.webhook.url "hooks.example.com/odps": want an absolute http or https URL`},
	{"bad-alerts-alertmanager-api.yml",
		`testdata/bad-alerts-alertmanager-api.yml:9: alerts.alertmanager.urls[1] "http://am.example.com:9093/api/v2/alerts": want the base URL without the API path (odpswatch adds /api/v2/alerts): http://am.example.com:9093`},
	{"bad-alerts-hmac-without-url.yml",
		`testdata/bad-alerts-hmac-without-url.yml:7: alerts.webhook: hmac_secret_file without url: want url too`},
	{"bad-alerts-secret-missing.yml",
		`testdata/bad-alerts-secret-missing.yml:8: alerts.webhook.hmac_secret_file "testdata/missing-secret": cannot read it: no such file or directory`},
	{"bad-alerts-cert-without-key.yml",
		`testdata/bad-alerts-cert-without-key.yml:10: alerts.alertmanager.tls: cert_file without key_file: want both or neither`},
	{"bad-kafka-brokers-missing.yml",
		`testdata/bad-kafka-brokers-missing.yml:2: source "events": brokers: at least one broker (host:port) is needed for a kafka source`},
	{"bad-kafka-topics-missing.yml",
		`testdata/bad-kafka-topics-missing.yml:5: source "events": topics: at least one topic is needed for a kafka source`},
	{"bad-kafka-group-id-missing.yml",
		`testdata/bad-kafka-group-id-missing.yml:2: source "events": group_id is required for a kafka source`},
	{"bad-kafka-broker-address.yml",
		`testdata/bad-kafka-broker-address.yml:6: source "events": brokers[1] "kafka-2.example.com": want host:port, such as kafka-1.example.com:9092`},
	{"bad-kafka-broker-port.yml",
		`testdata/bad-kafka-broker-port.yml:4: source "events": brokers[0] "kafka-1:90920": want host:port, such as kafka-1.example.com:9092, with a port of 1 to 65535`},
	{"bad-kafka-broker-twice.yml",
		`testdata/bad-kafka-broker-twice.yml:6: source "events": brokers[1] "kafka-1:9092": already given as brokers[0]`},
	{"bad-kafka-topic-name.yml",
		`testdata/bad-kafka-topic-name.yml:5: source "events": topics[1] "odps logs": want 1 to 249 letters, digits, ., _ or -, but not . or ..`},
	{"bad-kafka-group-id.yml",
		`testdata/bad-kafka-group-id.yml:6: source "events": group_id "odps/watch": want 1 to 249 letters, digits, ., _ or -, but not . or ..`},
	{"bad-kafka-file-key.yml",
		`testdata/bad-kafka-file-key.yml:7: source "events": paths is a key of file sources, not of kafka sources`},
	{"bad-kafka-key-on-file.yml",
		`testdata/bad-kafka-key-on-file.yml:5: source "jobs": brokers is a key of kafka sources, not of file sources`},
	{"bad-kafka-start-at.yml",
		`testdata/bad-kafka-start-at.yml:7: source "events": start_at "end": want latest or earliest`},
	{"bad-kafka-unknown-key.yml",
		`testdata/bad-kafka-unknown-key.yml:7: unknown key "partitions" in a source (known: name, type, brokers, topics, group_id, start_at, client_id, commit_interval, stall_timeout, session_timeout, max_message_bytes, max_bytes_in_flight, tls, sasl)`},
	{"bad-kafka-tls-not-enabled.yml",
		`testdata/bad-kafka-tls-not-enabled.yml:8: source "events": tls: ca_file is set but enabled is not: want enabled: true`},
	{"bad-kafka-sasl-mechanism.yml",
		`testdata/bad-kafka-sasl-mechanism.yml:8: source "events": sasl.mechanism "plain": want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
	{"bad-kafka-sasl-no-username.yml",
		`testdata/bad-kafka-sasl-no-username.yml:8: source "events": sasl: mechanism PLAIN without username: want username too`},
	{"bad-kafka-sasl-no-password.yml",
		`testdata/bad-kafka-sasl-no-password.yml:8: source "events": sasl: mechanism SCRAM-SHA-256 without a password: want password_file or password_env`},
	{"bad-kafka-sasl-two-passwords.yml",
		`testdata/bad-kafka-sasl-two-passwords.yml:11: source "events": sasl: both password_file and password_env: want exactly one`},
	{"bad-kafka-sasl-env-name.yml",
		`testdata/bad-kafka-sasl-env-name.yml:10: source "events": sasl.password_env: want the name of an environment variable: letters, digits or _, starting with a letter or _ (the value is not shown: it may be a secret)`},
	{"bad-kafka-sasl-password-missing.yml",
		`testdata/bad-kafka-sasl-password-missing.yml:10: source "events": sasl.password_file "testdata/missing-password": cannot read it: no such file or directory`},
	{"bad-kafka-sasl-without-mechanism.yml",
		`testdata/bad-kafka-sasl-without-mechanism.yml:8: source "events": sasl: username without mechanism: want mechanism too`},
	{"bad-kafka-sink-topic-missing.yml",
		`testdata/bad-kafka-sink-topic-missing.yml:7: sinks.kafka: brokers without topic: want topic too`},
	{"bad-kafka-sink-topic-without-brokers.yml",
		`testdata/bad-kafka-sink-topic-without-brokers.yml:7: sinks.kafka: topic without brokers: want brokers too, or no topic to leave the sink off`},
	{"bad-kafka-sink-compression.yml",
		`testdata/bad-kafka-sink-compression.yml:9: sinks.kafka.compression "brotli": want snappy, none, gzip, lz4 or zstd`},
	{"bad-kafka-sink-unknown-key.yml",
		`testdata/bad-kafka-sink-unknown-key.yml:9: unknown key "acks" in sinks.kafka (known: brokers, topic, key_by, client_id, compression, required_acks, batch_size, batch_timeout, buffer_events, drop_when_full, write_timeout, flush_timeout, tls, sasl)`},
	{"bad-kafka-flush-timeout.yml",
		`testdata/bad-kafka-flush-timeout.yml:11: sinks.kafka: flush_timeout 10s is not shorter than global.shutdown_timeout 10s: want a shorter flush_timeout or a longer shutdown_timeout`},
}

// wantError checks that a load failed with exactly the error want, and
// gave no configuration with it.
func wantError(t *testing.T, c *Config, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error; config:\n%s", c)
	case c != nil:
		t.Errorf("a config came with the error %v", err)
	}
	if err.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", err, want)
	}
}

func TestLoadBad(t *testing.T) {
	for _, tc := range badFiles {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tc.file))
			wantError(t, c, err, tc.want)
		})
	}
}

// TestBadFilesListed keeps badFiles and testdata/bad-*.yml the same set.
func TestBadFilesListed(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	var onDisk, listed []string
	for _, f := range files {
		onDisk = append(onDisk, filepath.Base(f))
	}
	for _, tc := range badFiles {
		listed = append(listed, tc.file)
	}
	slices.Sort(listed)
	if !slices.Equal(onDisk, listed) {
		t.Errorf("testdata has\n%v\nthe table has\n%v", onDisk, listed)
	}
}

func TestParseBad(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"no line on yaml's error", "a: b: c\n",
			`x.yml: cannot parse YAML: mapping values are not allowed in this context`},
		{"document marker only", "---\n",
			`x.yml: no sources: add at least one under "sources"`},
		{"syntax error in a second document", "sources: []\n---\n[\n",
			`x.yml:1: no sources: add at least one under "sources"` + "\n" +
				`x.yml:3: cannot parse YAML: did not find expected node content`},
		{"name used three times", "sources:\n- {name: a, type: file, paths: [x]}\n- {name: a, type: file, paths: [x]}\n- {name: a, type: file, paths: [x]}\n",
			`x.yml:3: source name "a" is used twice (first at line 2)` + "\n" +
				`x.yml:4: source name "a" is used 3 times (first at line 2)`},
		{"wrong type is not also missing", "sources:\n- name: [a]\n  type: {file: 1}\n  paths: [x]\n",
			`x.yml:2: sources[0]: name: want a string, not a list` + "\n" +
				`x.yml:3: sources[0]: type: want a string, not a mapping`},
		{"empty name", "sources:\n- name: ''\n  type: file\n  paths: [x]\n",
			`x.yml:2: sources[0]: name is required`},
		{"paths: empty list", "sources:\n- name: a\n  type: file\n  paths: []\n",
			`x.yml:4: source "a": paths: at least one glob is needed for a file source`},
		{"null is absent", "sources:\n- name: a\n  type: file\n  paths:\n",
			`x.yml:4: source "a": paths: at least one glob is needed for a file source`},
		{"empty glob", "sources:\n- name: a\n  type: file\n  paths: ['']\n",
			`x.yml:4: source "a": paths[0] "": invalid glob: empty`},
		{"list item empty", "sources:\n-\n",
			`x.yml:2: sources[0]: want a mapping with name, type and paths, not an empty value`},
		{"quoted integer", "global: {workers: '4'}\nsources: []\n",
			`x.yml:1: global.workers "4": want an integer` + "\n" +
				`x.yml:2: no sources: add at least one under "sources"`},
		{"duration without unit", "global: {shutdown_timeout: 10}\nsources: []\n",
			`x.yml:1: global.shutdown_timeout "10": want a duration such as 250ms, 5s or 1m30s` + "\n" +
				`x.yml:2: no sources: add at least one under "sources"`},
		{"zero duration", "global: {shutdown_timeout: 0}\nsources: []\n",
			`x.yml:1: global.shutdown_timeout 0: want 1s to 25s` + "\n" +
				`x.yml:2: no sources: add at least one under "sources"`},
		{"sinks.prometheus not a mapping", "sinks: {prometheus: yes}\nsources: []\n",
			`x.yml:1: sinks.prometheus: want a mapping, not "yes"` + "\n" +
				`x.yml:2: no sources: add at least one under "sources"`},
		{"a list for an integer, a mapping for a duration", "global: {workers: [1], shutdown_timeout: {}}\nsources: []\n",
			`x.yml:1: global.workers: want an integer, not a list` + "\n" +
				`x.yml:1: global.shutdown_timeout: want a duration, not a mapping` + "\n" +
				`x.yml:2: no sources: add at least one under "sources"`},
		{"key not a name", "? [a]\n: 1\nsources: []\n",
			`x.yml:1: a key at the top level must be a name, not a list` + "\n" +
				`x.yml:3: no sources: add at least one under "sources"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "x.yml")
			wantError(t, c, err, tc.want)
		})
	}
}

// TestSyntaxErrorWraps checks that a syntax error keeps yaml's error.
func TestSyntaxErrorWraps(t *testing.T) {
	_, err := Parse([]byte("a: [\n"), "x.yml")
	var p *problem
	if !errors.As(err, &p) || p.err == nil || errors.Unwrap(p) != p.err {
		t.Fatalf("%v does not wrap yaml's error", err)
	}
	if want := "yaml: line 1: did not find expected node content"; p.err.Error() != want {
		t.Errorf("wraps %q, want %q", p.err, want)
	}
}

// FuzzParse checks that no input makes Parse panic, and that what it
// accepts String prints back to the same configuration.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range append(files, example) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yml")
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v with error %v", c, err)
		}
		if c != nil {
			roundTrip(t, c)
		}
	})
}

func TestParseNoName(t *testing.T) {
	_, err := Parse(nil, "")
	if want := `config: no sources: add at least one under "sources"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestLoadUnreadable(t *testing.T) {
	_, err := Load("testdata/missing.yml")
	if want := "cannot read config testdata/missing.yml: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
	}
	_, err = Load("testdata")
	if want := "cannot read config testdata: is a directory"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestGlobProblem checks that globProblem agrees with doublestar on every
// pattern of up to 4 bytes from the bytes that matter, and explains each
// pattern it rejects.
func TestGlobProblem(t *testing.T) {
	alphabet := []byte(`[]{}\!^a/*,`)
	var walk func(p []byte)
	walk = func(p []byte) {
		s := string(p)
		why := globProblem(s)
		if valid := doublestar.ValidatePattern(s); (why == "") != valid && s != "" {
			t.Errorf("globProblem(%q) = %q, but ValidatePattern says %v", s, why, valid)
		}
		if why == "not a valid pattern" {
			t.Errorf("globProblem(%q) does not say why", s)
		}
		if len(p) == 4 {
			return
		}
		for _, c := range alphabet {
			walk(append(p, c))
		}
	}
	walk(nil)

	for _, tc := range []struct{ glob, want string }{
		{"/var/log/**/*.log", ""},
		{`/var/log/\[x\].log`, ""},
		{"/var/log/[", "[ without a closing ]"},
		{`/var/log/[a\]`, "[ without a closing ]"},
		{"/var/log/[]a]", `empty character class "[]"`},
		{"/var/log/[!]", `empty character class "[!]"`},
		{"/var/log/{a,b", "{ without a closing }"},
		{"/var/log/a}", "} without an opening {"},
		{`/var/log/a\`, `\ at the end escapes nothing`},
		{"", "empty"},
	} {
		if got := globProblem(tc.glob); got != tc.want {
			t.Errorf("globProblem(%q) = %q, want %q", tc.glob, got, tc.want)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"jobs", true},
		{"_x", true},
		{"pyodps_2.x-console", true},
		{"A" + strings.Repeat("b", 62), true},
		{"A" + strings.Repeat("b", 63), false},
		{"", false},
		{"9jobs", false},
		{".jobs", false},
		{"-jobs", false},
		{"odps jobs", false},
		{"jobs/sql", false},
		{"jöbs", false},
	} {
		if got := validName(tc.name); got != tc.want {
			t.Errorf("validName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestMaxUnknownCodesDefault keeps the default the same as the sink's.
func TestMaxUnknownCodesDefault(t *testing.T) {
	if got := defaultSinks().Prometheus.MaxUnknownCodes; got != sink.DefaultMaxUnknownCodes {
		t.Errorf("default max_unknown_codes is %d, sink.DefaultMaxUnknownCodes %d", got, sink.DefaultMaxUnknownCodes)
	}
}

const example = "../../configs/odpswatch.yaml"

// TestExample loads the annotated reference: every value is the default
// but for the example source's name, paths and exclusions.
func TestExample(t *testing.T) {
	got, err := Load(example)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 1 {
		t.Fatalf("%d sources, want 1", len(got.Sources))
	}
	s := got.Sources[0]
	want := wantDefaults()
	ws := wantDefaultSource(s.Name, s.Paths...)
	ws.Exclude = s.Exclude
	want.Sources = []Source{ws}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", *got, want)
	}
}

// TestExampleComments checks that every key of the reference, and of its
// commented-out Kafka source, has a comment above it, and that the comments
// state the units, defaults and bounds that the code applies.
func TestExampleComments(t *testing.T) {
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	comments := keyComments(t, data, "")
	var wants docWants
	addFields(&wants, "global", globalFields)
	addFields(&wants, "sinks.prometheus", prometheusFields)
	addFields(&wants, "sinks.kafka", kafkaSinkFields)
	addFields(&wants, "sinks.kafka.tls", kafkaTLSFields)
	addFields(&wants, "sinks.kafka.sasl", saslFields)
	wants.sourceFields(fileSourceFields)
	addAlerts(&wants)
	wants.check(t, "", comments)

	block, _ := exampleKafka(t, data)
	comments = keyComments(t, block, "sources")
	wants = nil
	wants.sourceFields(kafkaSourceFields)
	addFields(&wants, "sources.tls", kafkaTLSFields)
	addFields(&wants, "sources.sasl", saslFields)
	wants.check(t, "the commented-out kafka source: ", comments)
}

// keyComments maps the path of each key of the YAML data to the comment
// above it, and reports the keys without one. Paths start with prefix.
func keyComments(t *testing.T, data []byte, prefix string) map[string]string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	comments := make(map[string]string)
	var walk func(n *yaml.Node, path, above string)
	walk = func(n *yaml.Node, path, above string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				c := k.HeadComment
				if i == 0 && c == "" {
					c = above // the first key of a list item: yaml gives the item the comment
				}
				p := strings.TrimPrefix(path+"."+k.Value, ".")
				comments[p] = c
				walk(n.Content[i+1], p, "")
			}
		case yaml.SequenceNode:
			for _, item := range n.Content {
				walk(item, path, item.HeadComment)
			}
		}
	}
	walk(doc.Content[0], prefix, "")
	for p, c := range comments {
		if c == "" {
			t.Errorf("%s has no comment above it", p)
		}
	}
	return comments
}

// exampleKafka finds the reference's commented-out Kafka source: the lines
// from "  # - name:" on that are comments indented by two, and the
// comment lines right above them. It returns that source uncommented (one
// "# " less), with the comment above it, and the whole reference with the
// source uncommented.
func exampleKafka(t *testing.T, data []byte) (block, whole []byte) {
	t.Helper()
	lines := strings.SplitAfter(string(data), "\n")
	comment := func(l string) bool {
		return strings.HasPrefix(l, "  # ") || strings.TrimSpace(l) == "#" && strings.HasPrefix(l, "  #")
	}
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "  # - name:") })
	if start < 0 {
		t.Fatal(`the reference has no commented-out source ("  # - name:")`)
	}
	end := start
	for end < len(lines) && comment(lines[end]) {
		end++
	}
	above := start
	for above > 0 && strings.HasPrefix(lines[above-1], "  # ") {
		above--
	}
	if above == start {
		t.Error("the commented-out source has no comment above it")
	}
	var source []string
	for _, l := range lines[start:end] {
		if rest, ok := strings.CutPrefix(l, "  # "); ok {
			source = append(source, "  "+rest)
		} else {
			source = append(source, "\n")
		}
	}
	block = []byte(strings.Join(slices.Concat(lines[above:start], source), ""))
	whole = []byte(strings.Join(slices.Concat(lines[:start], source, lines[end:]), ""))
	return block, whole
}

// docWant is what the comment above the key at path must say: its unit,
// its default and what it allows ("" for what it need not say).
type docWant struct{ path, unit, def, allowed string }

type docWants []docWant

func (ws *docWants) add(section, key, unit, def, allowed string) {
	*ws = append(*ws, docWant{strings.TrimPrefix(section+"."+key, "."), unit, def, allowed})
}

// sourceFields adds the wants of a source's keys, the required lists
// saying their least length.
func (ws *docWants) sourceFields(fields []field[Source]) {
	for _, f := range fields {
		switch f.key {
		case "name":
			ws.add("sources", f.key, "", "", "")
		case "type":
			ws.add("sources", f.key, "", "", orList(sourceTypes))
		case "paths", "brokers", "topics":
			l := f.value.(listValue[Source])
			ws.add("sources", f.key, "", "", fmt.Sprintf("1 to %d %ss", l.max, l.noun))
		case "exclude":
			ws.add("sources", f.key, "", "none", "")
		default:
			addFields(ws, "sources", []field[Source]{f})
		}
	}
}

// addFields adds the wants of a table's keys.
func addFields[T any](ws *docWants, section string, fields []field[T]) {
	for _, f := range fields {
		ws.add(section, f.key, f.unit(), f.defaultText(), f.allowedText())
	}
}

// check checks the comments against the wants; where says where they are.
func (ws docWants) check(t *testing.T, where string, comments map[string]string) {
	t.Helper()
	for _, w := range ws {
		c, ok := comments[w.path]
		if !ok {
			t.Errorf("%s%s is missing", where, w.path)
			continue
		}
		if w.unit != "" && !strings.Contains(c, w.unit) {
			t.Errorf("%sthe comment of %s does not say %q:\n%s", where, w.path, w.unit, c)
		}
		if w.def != "" && !hasPhrase(c, "Default: "+w.def) {
			t.Errorf("%sthe comment of %s does not say %q:\n%s", where, w.path, "Default: "+w.def, c)
		}
		if w.allowed != "" && !hasPhrase(c, "Allowed: "+w.allowed) {
			t.Errorf("%sthe comment of %s does not say %q:\n%s", where, w.path, "Allowed: "+w.allowed, c)
		}
	}
}

// hasPhrase reports whether s holds phrase, not followed by a letter or
// digit (so "Default: 5s" is not found in "Default: 5s0").
func hasPhrase(s, phrase string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], phrase)
		if j < 0 {
			return false
		}
		end := i + j + len(phrase)
		if end == len(s) || !isWordByte(s[end]) {
			return true
		}
		i = end
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// A configuration that never ends (a device) or is too large is refused
// with what was wrong, not read without end.
func TestLoadRefusesEndlessAndHugeFiles(t *testing.T) {
	if _, err := Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load(/dev/zero): %v, want not a regular file", err)
	}
	huge := filepath.Join(t.TempDir(), "huge.yml")
	if err := os.WriteFile(huge, bytes.Repeat([]byte("#\n"), MaxConfigBytes/2+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(huge); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("larger than %d bytes", MaxConfigBytes)) {
		t.Errorf("Load of %d bytes: %v, want larger than %d bytes", MaxConfigBytes+2, err, MaxConfigBytes)
	}
}
