package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
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

// kind is what a field holds.
type kind int

const (
	kindInt      kind = iota // an integer within [min, max]
	kindDuration             // a duration within [min, max] nanoseconds
	kindChoice               // one of choices; the first is the default
	kindString               // a string that check accepts, or any string, checked by the caller
	kindGlobs                // a list of at most max globs (max 0: no bound)
	kindFloat                // a number within [fmin, fmax]
	kindBool                 // true or false
	kindURL                  // an absolute http(s) URL, or "" for none
	kindURLs                 // a list of at most max distinct absolute http(s) URLs
	kindChoices              // a list of distinct choices
	kindNested               // a mapping or a list of mappings, with tables of its own
	kindList                 // a list of at most max distinct strings, each a noun that check accepts
)

// A field is one key of a mapping that decodes into a T: its kind, its
// bounds and default, and where in a T its value goes. The tables below are
// the single source of the defaults and bounds; the messages, the defaults
// and the test of configs/odpswatch.yaml's comments all read them.
type field[T any] struct {
	key              string
	kind             kind
	def              int64   // kindInt, kindDuration; kindBool: 1 for true
	min, max         int64   // kindInt, kindDuration; kindGlobs, kindURLs, kindList: max only
	fdef, fmin, fmax float64 // kindFloat
	sdef             string  // kindString
	// choices are a kindChoice's values, its default first; a default ""
	// means none is chosen.
	choices []string
	// want says what a kindString value must be, after "want" ("": any
	// string); check returns what is wrong with a value of a kindString,
	// kindURL or kindURLs field, or an item of a kindList, after the quoted
	// value, or "".
	want  string
	check func(string) string
	noun  string // kindList: what an item is ("broker")
	// secret says a kindString's value is never quoted in a message.
	secret bool

	num  func(*T) *int
	dur  func(*T) *model.Duration
	str  func(*T) *string
	list func(*T) *[]string
	flt  func(*T) *float64
	flag func(*T) *bool

	// kindNested: nested gives v its default, decode decodes n into v.
	nested func(v *T)
	decode func(d *decoder, n *yaml.Node, path string, v *T)
}

func intField[T any](key string, def, lo, hi int, p func(*T) *int) field[T] {
	return field[T]{key: key, kind: kindInt, def: int64(def), min: int64(lo), max: int64(hi), num: p}
}

func durationField[T any](key string, def, lo, hi time.Duration, p func(*T) *model.Duration) field[T] {
	return field[T]{key: key, kind: kindDuration, def: int64(def), min: int64(lo), max: int64(hi), dur: p}
}

func choiceField[T any](key string, choices []string, p func(*T) *string) field[T] {
	return field[T]{key: key, kind: kindChoice, choices: choices, str: p}
}

func stringField[T any](key string, p func(*T) *string) field[T] {
	return field[T]{key: key, kind: kindString, str: p}
}

func globsField[T any](key string, hi int, p func(*T) *[]string) field[T] {
	return field[T]{key: key, kind: kindGlobs, max: int64(hi), list: p}
}

// textField is a string with a default that check accepts; want says what
// check wants.
func textField[T any](key, def, want string, check func(string) string, p func(*T) *string) field[T] {
	return field[T]{key: key, kind: kindString, sdef: def, want: want, check: check, str: p}
}

// secretName marks f's value as one never quoted in a message: the name
// of a variable that holds a secret, where the secret itself may be
// written by mistake.
func secretName[T any](f field[T]) field[T] {
	f.secret = true
	return f
}

func floatField[T any](key string, def, lo, hi float64, p func(*T) *float64) field[T] {
	return field[T]{key: key, kind: kindFloat, fdef: def, fmin: lo, fmax: hi, flt: p}
}

// boolField's p may allocate, for a *bool.
func boolField[T any](key string, def bool, p func(*T) *bool) field[T] {
	f := field[T]{key: key, kind: kindBool, flag: p}
	if def {
		f.def = 1
	}
	return f
}

// urlField is an optional absolute http(s) URL.
func urlField[T any](key string, p func(*T) *string) field[T] {
	return field[T]{key: key, kind: kindURL, check: urlProblem, str: p}
}

// urlsField is a list of at most hi distinct URLs, each of which check
// accepts.
func urlsField[T any](key string, hi int, check func(string) string, p func(*T) *[]string) field[T] {
	return field[T]{key: key, kind: kindURLs, max: int64(hi), check: check, list: p}
}

// listField is a list of at most hi distinct nouns, each of which check
// accepts, empty by default.
func listField[T any](key, noun string, hi int, check func(string) string, p func(*T) *[]string) field[T] {
	return field[T]{key: key, kind: kindList, noun: noun, max: int64(hi), check: check, list: p}
}

// choicesField is a list of distinct choices, empty by default.
func choicesField[T any](key string, choices []string, p func(*T) *[]string) field[T] {
	return field[T]{key: key, kind: kindChoices, choices: choices, list: p}
}

// sectionField is a mapping decoded with its own table into the U that p
// returns; check, if not nil, then checks the keys together.
func sectionField[T, U any](key string, fields []field[U], p func(*T) *U,
	check func(d *decoder, n *yaml.Node, es entries, path string, u *U)) field[T] {
	return field[T]{key: key, kind: kindNested,
		nested: func(v *T) { *p(v) = defaults(fields) },
		decode: func(d *decoder, n *yaml.Node, path string, v *T) {
			if !d.wantMapping(n, path) {
				return
			}
			es := decodeFields(d, n, "in "+path, path+".", fields, p(v))
			if check != nil {
				check(d, n, es, path, p(v))
			}
		}}
}

// rulesField is the list of alert rules: one default rule when absent.
func rulesField[T any](key string, p func(*T) *[]AlertRule) field[T] {
	return field[T]{key: key, kind: kindNested,
		nested: func(v *T) { *p(v) = []AlertRule{defaultRule()} },
		decode: func(d *decoder, n *yaml.Node, path string, v *T) { d.alertRules(n, path, p(v)) }}
}

var globalFields = []field[Global]{
	durationField("positions_save_interval", 5*time.Second, time.Second, 10*time.Minute,
		func(g *Global) *model.Duration { return &g.PositionsSaveInterval }),
	durationField("shutdown_timeout", 15*time.Second, time.Second, 25*time.Second,
		func(g *Global) *model.Duration { return &g.ShutdownTimeout }),
	intField("workers", 0, 0, 256, func(g *Global) *int { return &g.Workers }),
	intField("queue_batches", 64, 1, 4096, func(g *Global) *int { return &g.QueueBatches }),
	intField("batch_bytes", 256<<10, 4<<10, 16<<20, func(g *Global) *int { return &g.BatchBytes }),
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

// setDefault gives v's field f its default, if it has one.
func (f field[T]) setDefault(v *T) {
	switch f.kind {
	case kindInt:
		*f.num(v) = int(f.def)
	case kindDuration:
		*f.dur(v) = model.Duration(f.def)
	case kindChoice:
		*f.str(v) = f.choices[0]
	case kindString:
		*f.str(v) = f.sdef
	case kindFloat:
		*f.flt(v) = f.fdef
	case kindBool:
		*f.flag(v) = f.def == 1
	case kindNested:
		f.nested(v)
	}
}

// defaultText is the default as a user writes it; "" when there is none.
func (f field[T]) defaultText() string {
	switch f.kind {
	case kindInt:
		return strconv.FormatInt(f.def, 10)
	case kindDuration:
		return model.Duration(f.def).String()
	case kindChoice:
		if f.choices[0] == "" {
			return "none"
		}
		return f.choices[0]
	case kindString:
		return f.sdef
	case kindFloat:
		return formatFloat(f.fdef)
	case kindBool:
		return strconv.FormatBool(f.def == 1)
	case kindURL, kindURLs, kindChoices, kindList:
		return "none"
	}
	return ""
}

// allowedText is what the field accepts, as messages say it after "want".
func (f field[T]) allowedText() string {
	switch f.kind {
	case kindInt:
		return fmt.Sprintf("%d to %d", f.min, f.max)
	case kindDuration:
		return fmt.Sprintf("%s to %s", model.Duration(f.min), model.Duration(f.max))
	case kindChoice:
		return orList(slices.DeleteFunc(slices.Clone(f.choices), func(c string) bool { return c == "" }))
	case kindGlobs, kindURLs, kindList:
		if f.max > 0 {
			return fmt.Sprintf("at most %d", f.max)
		}
		return "any number"
	case kindFloat:
		return fmt.Sprintf("%s to %s", formatFloat(f.fmin), formatFloat(f.fmax))
	case kindBool:
		return "true or false"
	case kindURL:
		return wantURL
	case kindChoices:
		return orList(f.choices)
	case kindNested:
		return ""
	}
	if f.want != "" {
		return f.want
	}
	return "a string"
}

// formatFloat writes x as a user would: 3, 0.1, 1000000.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

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

// orList writes "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// validName reports whether s matches ^[a-zA-Z_][a-zA-Z0-9_.-]{0,62}$, what
// a source name must be to be a label value that reads well everywhere.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// nameRule says what validName wants.
const nameRule = "want 1 to 63 letters, digits, _, . or -, starting with a letter or _"

// globProblem says what is wrong with the glob s, or returns "" if nothing
// is. doublestar.ValidatePattern decides; the rest only explains its
// verdict, following the same rules ('/' separates, '\' escapes).
func globProblem(s string) string {
	if s == "" {
		return "empty"
	}
	if doublestar.ValidatePattern(s) {
		return ""
	}
	alts := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i++; i >= len(s) {
				return `\ at the end escapes nothing`
			}
		case '[':
			start := i
			i++
			if i < len(s) && (s[i] == '^' || s[i] == '!') {
				i++
			}
			if i < len(s) && s[i] == ']' {
				return fmt.Sprintf("empty character class %q", s[start:i+1])
			}
			closed := false
			for ; i < len(s) && !closed; i++ {
				if s[i] == '\\' {
					i++
				} else if s[i] == ']' {
					closed = true
				}
			}
			if !closed {
				return "[ without a closing ]"
			}
			i-- // the loop's i++ steps past the ]
		case '{':
			alts++
		case '}':
			if alts == 0 {
				return "} without an opening {"
			}
			alts--
		}
	}
	if alts > 0 {
		return "{ without a closing }"
	}
	return "not a valid pattern"
}
