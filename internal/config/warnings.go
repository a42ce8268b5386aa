package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/bmatcuk/doublestar/v4"
)

// ReadSecretFile reads a secret file (an HMAC key): a regular file of at
// most MaxSecretBytes.
func ReadSecretFile(path string) ([]byte, error) { return readFile(path) }

// Warnings are what is valid in c but likely a mistake, each a sentence
// naming what it is about: a secret file its group or others can read,
// and a file source whose paths match no file now (it waits for one,
// silently otherwise). check-config prints them; the daemon logs them at
// start and after a reload.
func (c *Config) Warnings() []string {
	var out []string
	secret := func(what, path string) {
		if path == "" {
			return
		}
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			out = append(out, fmt.Sprintf("%s %s can be read by its group or others (mode %v): chmod 600 it", what, path, st.Mode().Perm()))
		}
	}
	for _, s := range c.Sources {
		switch s.Type {
		case "kafka":
			secret(fmt.Sprintf("source %q: sasl.password_file", s.Name), s.SASL.PasswordFile)
		case "file":
			if !matchesAny(s.Paths, s.Exclude) {
				out = append(out, fmt.Sprintf("source %q: its paths match no file now; it follows them once one appears", s.Name))
			}
		}
	}
	secret("sinks.kafka.sasl.password_file", c.Sinks.Kafka.SASL.PasswordFile)
	secret("alerts.webhook.hmac_secret_file", c.Alerts.Webhook.HMACSecretFile)
	return out
}

// matchesAny reports whether a glob of paths matches a file that the
// excludes leave.
func matchesAny(paths, exclude []string) bool {
	for _, p := range paths {
		matches, _ := doublestar.FilepathGlob(p)
	next:
		for _, m := range matches {
			for _, x := range exclude {
				if ok, _ := doublestar.PathMatch(x, m); ok {
					continue next
				}
				if ok, _ := doublestar.PathMatch(x, filepath.Base(m)); ok {
					continue next
				}
			}
			if st, err := os.Stat(m); err == nil && !st.IsDir() {
				return true
			}
		}
	}
	return false
}
