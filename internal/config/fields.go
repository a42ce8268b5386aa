package config

import (
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// The types of sources: one that follows files, one that consumes Kafka
// topics.
const (
	typeFile  = "file"
	typeKafka = "kafka"
)

// sourceTypes are the supported source types.
var sourceTypes = []string{typeFile, typeKafka}

// maxPaths bounds the globs of a file source.
const maxPaths = 64

// maxBrokers bounds the brokers of a Kafka client, maxTopics the topics of
// a Kafka source.
const (
	maxBrokers = 32
	maxTopics  = 64
)

func intField[T any](key string, def, lo, hi int, p func(*T) *int) field[T] {
	return field[T]{key, intValue[T]{def, lo, hi, p}}
}

func durationField[T any](key string, def, lo, hi time.Duration, p func(*T) *model.Duration) field[T] {
	return field[T]{key, durationValue[T]{model.Duration(def), model.Duration(lo), model.Duration(hi), p}}
}

// choiceField is one of choices, the first by default.
func choiceField[T any](key string, choices []string, p func(*T) *string) field[T] {
	return field[T]{key, choiceValue[T]{choices, p}}
}

// stringField is any string, "" by default, checked by the caller.
func stringField[T any](key string, p func(*T) *string) field[T] {
	return field[T]{key, stringValue[T]{p: p}}
}

// globsField is a list of at most hi globs (0: any number).
func globsField[T any](key string, hi int, p func(*T) *[]string) field[T] {
	return field[T]{key, listValue[T]{noun: "glob", max: hi, check: globInvalid, p: p}}
}

// textField is a string with a default that check accepts; want says what
// check wants.
func textField[T any](key, def, want string, check func(string) string, p func(*T) *string) field[T] {
	return field[T]{key, stringValue[T]{def: def, want: want, check: check, p: p}}
}

// secretName marks f's value as one never quoted in a message: the name
// of a variable that holds a secret, where the secret itself may be
// written by mistake.
func secretName[T any](f field[T]) field[T] {
	s := f.value.(stringValue[T])
	s.secret = true
	f.value = s
	return f
}

func floatField[T any](key string, def, lo, hi float64, p func(*T) *float64) field[T] {
	return field[T]{key, floatValue[T]{def, lo, hi, p}}
}

// boolField's p may allocate, for a *bool.
func boolField[T any](key string, def bool, p func(*T) *bool) field[T] {
	return field[T]{key, boolValue[T]{def, p}}
}

// urlField is an optional absolute http(s) URL.
func urlField[T any](key string, p func(*T) *string) field[T] {
	return field[T]{key, urlValue[T]{p}}
}

// urlsField is a list of at most hi distinct URLs, each of which check
// accepts.
func urlsField[T any](key string, hi int, check func(string) string, p func(*T) *[]string) field[T] {
	return field[T]{key, listValue[T]{noun: "URL", max: hi, unique: true, sayNone: true, check: check, p: p}}
}

// listField is a list of at most hi distinct nouns, each of which check
// accepts, empty by default.
func listField[T any](key, noun string, hi int, check func(string) string, p func(*T) *[]string) field[T] {
	return field[T]{key, listValue[T]{noun: noun, max: hi, unique: true, sayNone: true, check: check, p: p}}
}

// choicesField is a list of distinct choices, empty by default.
func choicesField[T any](key string, choices []string, p func(*T) *[]string) field[T] {
	return field[T]{key, choicesValue[T]{choices, p}}
}

// sectionField is a mapping decoded with its own table into the U that p
// returns; check, if not nil, then checks the keys together.
func sectionField[T, U any](key string, fields []field[U], p func(*T) *U,
	check func(d *decoder, n *yaml.Node, es entries, path string, u *U)) field[T] {
	return field[T]{key, nestedValue[T]{
		def: func(v *T) { *p(v) = defaults(fields) },
		read: func(d *decoder, n *yaml.Node, path string, v *T) {
			if !d.wantMapping(n, path) {
				return
			}
			es := decodeFields(d, n, "in "+path, path+".", fields, p(v))
			if check != nil {
				check(d, n, es, path, p(v))
			}
		}}}
}

// rulesField is the list of alert rules: one default rule when absent.
func rulesField[T any](key string, p func(*T) *[]AlertRule) field[T] {
	return field[T]{key, nestedValue[T]{
		def:  func(v *T) { *p(v) = []AlertRule{defaultRule()} },
		read: func(d *decoder, n *yaml.Node, path string, v *T) { d.alertRules(n, path, p(v)) }}}
}

var globalFields = []field[Global]{
	durationField("positions_save_interval", 5*time.Second, time.Second, 10*time.Minute,
		func(g *Global) *model.Duration { return &g.PositionsSaveInterval }),
	durationField("shutdown_timeout", 15*time.Second, time.Second, 25*time.Second,
		func(g *Global) *model.Duration { return &g.ShutdownTimeout }),
	intField("workers", 0, 0, 256, func(g *Global) *int { return &g.Workers }),
	intField("queue_batches", 16, 1, 4096, func(g *Global) *int { return &g.QueueBatches }),
	intField("batch_bytes", 1<<20, 4<<10, 16<<20, func(g *Global) *int { return &g.BatchBytes }),
	intField("max_line_bytes", 1<<20, 256, 64<<20, func(g *Global) *int { return &g.MaxLineBytes }),
	intField("attribution_streams", 1024, 16, 65536, func(g *Global) *int { return &g.AttributionStreams }),
	intField("attribution_jobs", 32, 1, 1000, func(g *Global) *int { return &g.AttributionJobs }),
}

// The keys of every source.
var (
	sourceNameField = stringField("name", func(s *Source) *string { return &s.Name })
	sourceTypeField = stringField("type", func(s *Source) *string { return &s.Type })
)

// fileSourceFields are the keys of a file source.
var fileSourceFields = []field[Source]{
	sourceNameField,
	sourceTypeField,
	globsField("paths", maxPaths, func(s *Source) *[]string { return &s.Paths }),
	globsField("exclude", 0, func(s *Source) *[]string { return &s.Exclude }),
	choiceField("start_at", []string{"end", "beginning"}, func(s *Source) *string { return &s.StartAt }),
	choiceField("watch", []string{"auto", "poll"}, func(s *Source) *string { return &s.Watch }),
	durationField("poll_interval", 250*time.Millisecond, 10*time.Millisecond, time.Minute,
		func(s *Source) *model.Duration { return &s.PollInterval }),
	durationField("rescan_interval", 10*time.Second, 100*time.Millisecond, time.Hour,
		func(s *Source) *model.Duration { return &s.RescanInterval }),
	durationField("partial_line_timeout", 5*time.Second, 10*time.Millisecond, time.Hour,
		func(s *Source) *model.Duration { return &s.PartialLineTimeout }),
	intField("max_files", 10000, 1, 100000, func(s *Source) *int { return &s.MaxFiles }),
}

// clientFields are the keys of a KafkaClient, for the table of what holds
// it (a Kafka source, the Kafka sink), which puts them in its own order.
type clientFields[T any] struct{ brokers, clientID, tls, sasl field[T] }

// kafkaClientFields are the keys of the KafkaClient that client returns.
func kafkaClientFields[T any](client func(*T) *KafkaClient) clientFields[T] {
	return clientFields[T]{
		brokers:  listField("brokers", "broker", maxBrokers, brokerProblem, func(v *T) *[]string { return &client(v).Brokers }),
		clientID: textField("client_id", defaultClientID, wantClientID, clientIDProblem, func(v *T) *string { return &client(v).ClientID }),
		tls:      sectionField("tls", kafkaTLSFields, func(v *T) *TLSConfig { return &client(v).TLS }, checkKafkaTLS),
		sasl:     sectionField("sasl", saslFields, func(v *T) *SASLConfig { return &client(v).SASL }, checkSASL),
	}
}

var (
	sourceClient = kafkaClientFields(func(s *Source) *KafkaClient { return &s.KafkaClient })
	sinkClient   = kafkaClientFields(func(k *KafkaSink) *KafkaClient { return &k.KafkaClient })
)

// kafkaSourceFields are the keys of a Kafka source.
var kafkaSourceFields = []field[Source]{
	sourceNameField,
	sourceTypeField,
	sourceClient.brokers,
	listField("topics", "topic", maxTopics, topicProblem, func(s *Source) *[]string { return &s.Topics }),
	textField("group_id", "", wantTopic, optional(topicProblem), func(s *Source) *string { return &s.GroupID }),
	choiceField("start_at", []string{"latest", "earliest"}, func(s *Source) *string { return &s.StartAt }),
	sourceClient.clientID,
	durationField("commit_interval", time.Second, 100*time.Millisecond, time.Minute,
		func(s *Source) *model.Duration { return &s.CommitInterval }),
	durationField("stall_timeout", 30*time.Second, time.Second, 10*time.Minute,
		func(s *Source) *model.Duration { return &s.StallTimeout }),
	durationField("session_timeout", 30*time.Second, 6*time.Second, 30*time.Minute,
		func(s *Source) *model.Duration { return &s.SessionTimeout }),
	intField("max_message_bytes", 1<<20, 1024, 64<<20, func(s *Source) *int { return &s.MaxMessageBytes }),
	intField("max_bytes_in_flight", 64<<20, 1<<20, 4<<30, func(s *Source) *int { return &s.MaxBytesInFlight }),
	sourceClient.tls,
	sourceClient.sasl,
}

// anySourceFields decode a source whose type is not known: the keys of
// every type, with start_at any string.
var anySourceFields = func() []field[Source] {
	var fs []field[Source]
	for _, f := range slices.Concat(fileSourceFields, kafkaSourceFields) {
		if slices.ContainsFunc(fs, func(g field[Source]) bool { return g.key == f.key }) {
			continue
		}
		if f.key == "start_at" {
			f = stringField("start_at", func(s *Source) *string { return &s.StartAt })
		}
		fs = append(fs, f)
	}
	return fs
}()

// sourceFields are the keys of a source of type typ; of any type when typ
// is not a supported type.
func sourceFields(typ string) []field[Source] {
	switch typ {
	case typeFile:
		return fileSourceFields
	case typeKafka:
		return kafkaSourceFields
	}
	return anySourceFields
}

// sinkKeys are the keys of sinks.
var sinkKeys = []string{"prometheus", "kafka"}

var prometheusFields = []field[PrometheusSink]{
	intField("max_unknown_codes", 100, 0, 10000, func(p *PrometheusSink) *int { return &p.MaxUnknownCodes }),
}

var kafkaSinkFields = []field[KafkaSink]{
	sinkClient.brokers,
	textField("topic", "", wantTopic, optional(topicProblem), func(k *KafkaSink) *string { return &k.Topic }),
	choiceField("key_by", []string{"code", "source", "none"}, func(k *KafkaSink) *string { return &k.KeyBy }),
	sinkClient.clientID,
	choiceField("compression", []string{"snappy", "none", "gzip", "lz4", "zstd"},
		func(k *KafkaSink) *string { return &k.Compression }),
	choiceField("required_acks", []string{"all", "one", "none"}, func(k *KafkaSink) *string { return &k.RequiredAcks }),
	intField("batch_size", 1000, 1, 100000, func(k *KafkaSink) *int { return &k.BatchSize }),
	durationField("batch_timeout", 100*time.Millisecond, time.Millisecond, 10*time.Second,
		func(k *KafkaSink) *model.Duration { return &k.BatchTimeout }),
	intField("buffer_events", 10000, 1, 1000000, func(k *KafkaSink) *int { return &k.BufferEvents }),
	boolField("drop_when_full", false, func(k *KafkaSink) *bool { return &k.DropWhenFull }),
	durationField("write_timeout", 10*time.Second, 100*time.Millisecond, 5*time.Minute,
		func(k *KafkaSink) *model.Duration { return &k.WriteTimeout }),
	durationField("flush_timeout", 5*time.Second, 100*time.Millisecond, 20*time.Second,
		func(k *KafkaSink) *model.Duration { return &k.FlushTimeout }),
	sinkClient.tls,
	sinkClient.sasl,
}

// kafkaTLSFields are the keys of a Kafka client's tls: those of tlsFields,
// and enabled, which alone turns TLS on, as there is no URL to say https.
var kafkaTLSFields = slices.Concat([]field[TLSConfig]{
	boolField("enabled", false, func(t *TLSConfig) *bool { return &t.Enabled }),
}, tlsFields)

var saslFields = []field[SASLConfig]{
	choiceField("mechanism", []string{"", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"},
		func(s *SASLConfig) *string { return &s.Mechanism }),
	stringField("username", func(s *SASLConfig) *string { return &s.Username }),
	stringField("password_file", func(s *SASLConfig) *string { return &s.PasswordFile }),
	secretName(textField("password_env", "", wantEnvName, optional(envNameProblem), func(s *SASLConfig) *string { return &s.PasswordEnv })),
}

// defaultRuleName names the rule odpswatch runs when none is configured.
const defaultRuleName = "ODPSSeverity5Spike"

// maxAlertmanagers bounds alerts.alertmanager.urls.
const maxAlertmanagers = 8

// groupByLabels are what a rule may group by, besides the source.
var groupByLabels = []string{"code", "module"}

var alertsFields = []field[Alerts]{
	rulesField("rules", func(a *Alerts) *[]AlertRule { return &a.Rules }),
	durationField("evaluation_interval", 10*time.Second, time.Second, 5*time.Minute,
		func(a *Alerts) *model.Duration { return &a.EvaluationInterval }),
	durationField("resend_interval", time.Minute, 10*time.Second, time.Hour,
		func(a *Alerts) *model.Duration { return &a.ResendInterval }),
	intField("queue_size", 64, 1, 10000, func(a *Alerts) *int { return &a.QueueSize }),
	durationField("timeout", 10*time.Second, 100*time.Millisecond, 5*time.Minute,
		func(a *Alerts) *model.Duration { return &a.Timeout }),
	intField("max_retries", 5, 0, 100, func(a *Alerts) *int { return &a.MaxRetries }),
	urlField("generator_url", func(a *Alerts) *string { return &a.GeneratorURL }),
	boolField("log", true, func(a *Alerts) *bool {
		if a.Log == nil {
			a.Log = new(bool)
		}
		return a.Log
	}),
	sectionField("alertmanager", alertmanagerFields, func(a *Alerts) *AlertmanagerSink { return &a.Alertmanager }, nil),
	sectionField("webhook", webhookFields, func(a *Alerts) *WebhookSink { return &a.Webhook }, checkWebhook),
}

var ruleFields = []field[AlertRule]{
	stringField("name", func(r *AlertRule) *string { return &r.Name }),
	intField("min_severity", 5, 0, 9, func(r *AlertRule) *int { return &r.MinSeverity }),
	choiceField("count", []string{"failures", "prints"}, func(r *AlertRule) *string { return &r.Count }),
	durationField("window", time.Minute, 10*time.Second, time.Hour,
		func(r *AlertRule) *model.Duration { return &r.Window }),
	intField("min_count", 10, 1, 1000000, func(r *AlertRule) *int { return &r.MinCount }),
	floatField("factor", 3, 1, 1000, func(r *AlertRule) *float64 { return &r.Factor }),
	floatField("baseline_weight", 0.1, 0.001, 1, func(r *AlertRule) *float64 { return &r.BaselineWeight }),
	floatField("baseline_floor", 1, 0, 1000000, func(r *AlertRule) *float64 { return &r.BaselineFloor }),
	choicesField("group_by", groupByLabels, func(r *AlertRule) *[]string { return &r.GroupBy }),
	durationField("resolve_after", 5*time.Minute, 10*time.Second, 24*time.Hour,
		func(r *AlertRule) *model.Duration { return &r.ResolveAfter }),
	textField("severity", "critical", wantSeverity, severityProblem,
		func(r *AlertRule) *string { return &r.Severity }),
}

var alertmanagerFields = []field[AlertmanagerSink]{
	urlsField("urls", maxAlertmanagers, alertmanagerURLProblem, func(s *AlertmanagerSink) *[]string { return &s.URLs }),
	sectionField("tls", tlsFields, func(s *AlertmanagerSink) *TLSConfig { return &s.TLS }, checkTLS),
}

var webhookFields = []field[WebhookSink]{
	urlField("url", func(s *WebhookSink) *string { return &s.URL }),
	stringField("hmac_secret_file", func(s *WebhookSink) *string { return &s.HMACSecretFile }),
	sectionField("tls", tlsFields, func(s *WebhookSink) *TLSConfig { return &s.TLS }, checkTLS),
}

var tlsFields = []field[TLSConfig]{
	stringField("ca_file", func(t *TLSConfig) *string { return &t.CAFile }),
	stringField("cert_file", func(t *TLSConfig) *string { return &t.CertFile }),
	stringField("key_file", func(t *TLSConfig) *string { return &t.KeyFile }),
	stringField("server_name", func(t *TLSConfig) *string { return &t.ServerName }),
	boolField("insecure_skip_verify", false, func(t *TLSConfig) *bool { return &t.InsecureSkipVerify }),
}

func defaults[T any](fields []field[T]) T {
	var v T
	for _, f := range fields {
		f.setDefault(&v)
	}
	return v
}

func defaultGlobal() Global { return defaults(globalFields) }

// defaultSource is a file source with every default.
func defaultSource() Source { return defaults(fileSourceFields) }

func defaultSinks() Sinks {
	return Sinks{Prometheus: defaults(prometheusFields), Kafka: defaults(kafkaSinkFields)}
}

func defaultAlerts() Alerts { return defaults(alertsFields) }

// defaultRule is the rule with every default, named defaultRuleName.
func defaultRule() AlertRule {
	r := defaults(ruleFields)
	r.Name = defaultRuleName
	return r
}

func defaultConfig() *Config {
	return &Config{Global: defaultGlobal(), Sinks: defaultSinks(), Alerts: defaultAlerts()}
}

// keys lists the fields' keys, for messages.
func keys[T any](fields []field[T]) []string {
	ks := make([]string, len(fields))
	for i, f := range fields {
		ks[i] = f.key
	}
	return ks
}
