package sink

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/odpswatch/odpswatch/internal/alert"
	"github.com/odpswatch/odpswatch/internal/testwait"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A webhook URL's credentials (user information, a token in the query, a
// secret path) and a token the receiver echoes in its answer are in no
// log line of a failing delivery: answered 500 (retried), 403 (given up),
// and a receiver that is gone.
func TestWebhookSecretsNeverLogged(t *testing.T) {
	const (
		password = "pa55-w0rd-SECRET"
		token    = "qtoken-SECRET-123"
		path     = "services/T0/B0/path-SECRET"
	)
	answer := func(status int) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write([]byte(`{"error":"bad","token":"` + token + `"}`))
		}))
	}
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	goneAddr := gone.Addr().String()
	gone.Close()
	for name, base := range map[string]func() (string, func()){
		"500":  func() (string, func()) { s := answer(500); return s.URL, s.Close },
		"403":  func() (string, func()) { s := answer(403); return s.URL, s.Close },
		"gone": func() (string, func()) { return "http://" + goneAddr, func() {} },
	} {
		t.Run(name, func(t *testing.T) {
			u, stop := base()
			defer stop()
			hook := strings.Replace(u, "http://", "http://alerts:"+password+"@", 1) + "/" + path + "?token=" + token
			var logs lockedBuffer
			m := newMetrics(t)
			d := NewDelivery(NewWebhook(hook, []byte("hmac-key"), &http.Client{}), fastOptions(), m, slog.New(slog.NewTextHandler(&logs, nil)))
			run(t, d)
			d.Enqueue([]*alert.Alert{testAlert(false)})
			// The last line the delivery logs: the counter moves just
			// before it is written.
			testwait.Until(t, 20*time.Second, "the failure logged", func() bool {
				return strings.Contains(logs.String(), "cannot deliver alerts; giving up")
			}, testwait.Describe(logs.String))
			waitCounter(t, m.failed.WithLabelValues("webhook"), 1)
			out := logs.String()
			for _, secret := range []string{password, token, "path-SECRET", "hmac-key"} {
				if strings.Contains(out, secret) {
					t.Errorf("the log holds %q:\n%s", secret, out)
				}
			}
		})
	}
}
