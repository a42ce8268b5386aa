package daemon

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// handler serves /metrics, /-/healthy, /-/ready and /-/reload.
func (d *Daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{
		ErrorLog:            slogAdapter{d},
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	}))
	mux.HandleFunc("/api/v1/status", d.serveStatus)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, r *http.Request) {
		if stuck := d.stuck(time.Now()); len(stuck) > 0 {
			http.Error(w, "odpswatch is unhealthy: "+strings.Join(stuck, "; ")+".", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "odpswatch is healthy.")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-d.ready:
			fmt.Fprintln(w, "odpswatch is ready.")
		default:
			http.Error(w, "odpswatch is not ready: loading positions and starting sources.", http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if !d.opts.EnableLifecycle {
			http.Error(w, "the lifecycle API is not enabled: start odpswatch with --web.enable-lifecycle, or send it SIGHUP.", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "use POST to reload the configuration.", http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
		defer cancel()
		if err := d.Reload(ctx); err != nil {
			http.Error(w, "cannot reload the configuration: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "configuration reloaded.")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		d.servePage(w, r)
	})
	return mux
}

// slogAdapter lets promhttp log through slog.
type slogAdapter struct{ d *Daemon }

func (a slogAdapter) Println(v ...any) { a.d.log.Error(fmt.Sprint(v...)) }
