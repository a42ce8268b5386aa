package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// defaultClientID is the client ID of odpswatch's Kafka clients.
const defaultClientID = "odpswatch"

// wantTopic is what a Kafka topic name, or a consumer group ID, must be.
const wantTopic = "1 to 249 letters, digits, ., _ or -, but not . or .."

// topicProblem says what is wrong with a topic name or group ID, or "".
// The rules are Kafka's for topics: 1 to 249 of [a-zA-Z0-9._-], and not
// "." or "..".
func topicProblem(s string) string {
	if s == "" || len(s) > 249 || s == "." || s == ".." {
		return "want " + wantTopic
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "want " + wantTopic
		}
	}
	return ""
}

// optional accepts "" besides what check accepts: for a key that is
// required or not depending on others, checked elsewhere.
func optional(check func(string) string) func(string) string {
	return func(s string) string {
		if s == "" {
			return ""
		}
		return check(s)
	}
}

// wantBroker is what a broker's address must be.
const wantBroker = "host:port, such as kafka-1.example.com:9092"

// brokerProblem says what is wrong with the address of a broker, or "".
func brokerProblem(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || port == "" || strings.ContainsFunc(host, func(r rune) bool {
		// Letters, digits, and what IP addresses hold; not a URL's / or @.
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_:%", r))
	}) {
		return "want " + wantBroker
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strings.Trim(port, "0123456789") != "" {
		return "want " + wantBroker + ", with a port of 1 to 65535"
	}
	return ""
}

// wantClientID is what a Kafka client ID must be.
const wantClientID = "printable ASCII characters without spaces"

// clientIDProblem says what is wrong with a client ID, or "".
func clientIDProblem(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "want " + wantClientID
	}
	return ""
}

// wantEnvName is what the name of an environment variable must be.
const wantEnvName = "letters, digits or _, starting with a letter or _"

// envNameProblem says what is wrong with the name of an environment
// variable, or "".
func envNameProblem(s string) string {
	if !validAlertName(s) { // the same rule
		return "want the name of an environment variable: " + wantEnvName
	}
	return ""
}

// checkKafkaSink checks that brokers and topic go together.
func checkKafkaSink(d *decoder, es entries, path string) {
	switch {
	case !es.empty("brokers") && es.empty("topic"):
		d.errorf(es.line("brokers"), "%s: brokers without topic: want topic too", path)
	case es.empty("brokers") && !es.empty("topic") && !es.bad("topic"):
		d.errorf(es.line("topic"), "%s: topic without brokers: want brokers too, or no topic to leave the sink off", path)
	}
}

// checkFlushTimeout checks, when the Kafka sink is on, that its flush ends
// before the shutdown does; global and kafka are the keys given in those
// sections.
func (d *decoder) checkFlushTimeout(c *Config, global, kafka entries) {
	k := c.Sinks.Kafka
	if !k.Enabled() || k.FlushTimeout < c.Global.ShutdownTimeout || kafka.bad("flush_timeout") || global.bad("shutdown_timeout") {
		return
	}
	line := kafka.line("flush_timeout")
	if line == 0 {
		line = global.line("shutdown_timeout")
	}
	d.errorf(line, "sinks.kafka: flush_timeout %s is not shorter than global.shutdown_timeout %s: "+
		"want a shorter flush_timeout or a longer shutdown_timeout", k.FlushTimeout, c.Global.ShutdownTimeout)
}

// checkKafkaTLS checks that TLS is enabled when any of its keys is set, and
// then what checkTLS checks.
func checkKafkaTLS(d *decoder, n *yaml.Node, es entries, path string, t *TLSConfig) {
	if !t.Enabled && !es.bad("enabled") {
		var set []string
		line := 0
		for _, k := range []struct {
			key string
			set bool
		}{
			{"ca_file", t.CAFile != ""},
			{"cert_file", t.CertFile != ""},
			{"key_file", t.KeyFile != ""},
			{"server_name", t.ServerName != ""},
			{"insecure_skip_verify", t.InsecureSkipVerify},
		} {
			if k.set {
				set = append(set, k.key)
				if l := es.line(k.key); line == 0 || l < line {
					line = l
				}
			}
		}
		switch len(set) {
		case 0:
		case 1:
			d.errorf(line, "%s: %s is set but enabled is not: want enabled: true", path, set[0])
		default:
			d.errorf(line, "%s: %s are set but enabled is not: want enabled: true", path, andList(set))
		}
	}
	checkTLS(d, n, es, path, t)
}

// checkSASL checks that a mechanism comes with a username and exactly one
// password, which, in a file, can be read and is not empty; and that
// without a mechanism there is neither.
func checkSASL(d *decoder, n *yaml.Node, es entries, path string, s *SASLConfig) {
	if es.bad("mechanism") {
		return
	}
	at := func(key string) int { return es.lineOr(key, n.Line) }
	if s.Mechanism == "" {
		for _, key := range []string{"username", "password_file", "password_env"} {
			if !es.empty(key) && !es.bad(key) {
				d.errorf(at(key), "%s: %s without mechanism: want mechanism too", path, key)
			}
		}
		return
	}
	if es.empty("username") && !es.bad("username") {
		d.errorf(at("mechanism"), "%s: mechanism %s without username: want username too", path, s.Mechanism)
	}
	file, env := !es.empty("password_file"), !es.empty("password_env")
	switch {
	case file && env:
		d.errorf(max(at("password_file"), at("password_env")),
			"%s: both password_file and password_env: want exactly one", path)
	case !file && !env:
		d.errorf(at("mechanism"), "%s: mechanism %s without a password: want password_file or password_env", path, s.Mechanism)
	}
	if file && !es.bad("password_file") {
		b, err := readFile(s.PasswordFile)
		switch {
		case err != nil:
			d.errorf(at("password_file"), "%s.password_file %q: cannot read it: %v", path, s.PasswordFile, err)
		case len(trimPassword(b)) == 0:
			d.errorf(at("password_file"), "%s.password_file %q: the file is empty", path, s.PasswordFile)
		}
	}
}

// trimPassword is the password that a password file holds: its content
// without the line breaks at its end.
func trimPassword(b []byte) []byte { return bytes.TrimRight(b, "\r\n") }

// Password returns the password s names: the content of PasswordFile
// without the line breaks at its end, or the value of the environment
// variable PasswordEnv as lookupEnv (os.LookupEnv, for the daemon) gives it;
// "" when s names none. Its errors name the file or the variable, never the
// password.
func (s SASLConfig) Password(lookupEnv func(string) (string, bool)) (string, error) {
	switch {
	case s.PasswordFile != "":
		b, err := readFile(s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("cannot read password_file %s: %w", s.PasswordFile, err)
		}
		p := trimPassword(b)
		if len(p) == 0 {
			return "", fmt.Errorf("password_file %s is empty", s.PasswordFile)
		}
		return string(p), nil
	case s.PasswordEnv != "":
		p, ok := lookupEnv(s.PasswordEnv)
		switch {
		// The variable's name is not repeated: a password written there
		// by mistake would be echoed to the log.
		case !ok:
			return "", errors.New("password_env: the environment variable it names is not set")
		case p == "":
			return "", errors.New("password_env: the environment variable it names is empty")
		}
		return p, nil
	}
	return "", nil
}

// MarshalYAML writes the keys of the source's type only, in the order of
// its table, so that Parse reads String's output back.
func (s Source) MarshalYAML() (any, error) {
	type plain Source // without this method
	typ := s.Type
	if typ != typeKafka {
		typ = typeFile
	}
	return inTableOrder(plain(s), sourceFields(typ))
}

// MarshalYAML writes the sink's keys in the order of its table, the
// KafkaClient's among them.
func (k KafkaSink) MarshalYAML() (any, error) {
	type plain KafkaSink // without this method
	return inTableOrder(plain(k), kafkaSinkFields)
}

// inTableOrder encodes v, keeping the keys of fields only, in their order.
func inTableOrder[T, V any](v V, fields []field[T]) (*yaml.Node, error) {
	var all yaml.Node
	if err := all.Encode(v); err != nil {
		return nil, err
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: all.Tag, Style: all.Style}
	for _, f := range fields {
		for i := 0; i+1 < len(all.Content); i += 2 {
			if all.Content[i].Value == f.key {
				out.Content = append(out.Content, all.Content[i], all.Content[i+1])
				break
			}
		}
	}
	return out, nil
}

// andList writes "a", "a and b", "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
