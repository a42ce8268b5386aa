package filesource

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the file sources' own metrics, shared by every file source
// and labelled by source.
type Metrics struct {
	watched, lag, polling                  *prometheus.GaugeVec
	rotations, truncations, watchFallbacks *prometheus.CounterVec
	copies                                 *prometheus.CounterVec
	readErrors                             *prometheus.CounterVec
}

// NewMetrics registers the file sources' metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		watched: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "odpswatch_files_watched", Help: "Files followed, by source (at most max_files).",
		}, []string{"source"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "odpswatch_file_lag_bytes", Help: "Bytes written to followed files but not counted yet (size minus position), by source.",
		}, []string{"source"}),
		polling: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "odpswatch_file_polling", Help: "1 when the source polls its files instead of being woken by inotify.",
		}, []string{"source"}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_file_rotations_total", Help: "Files read to their end and let go because their path now leads elsewhere (rotation, deletion, symlink swap).",
		}, []string{"source"}),
		truncations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_file_truncations_total", Help: "Files truncated or rewritten in place, read again from their start.",
		}, []string{"source"}),
		copies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_file_copies_total", Help: "New files recognised as a copy of a file already read (logrotate's copytruncate), read only from where the original was read to.",
		}, []string{"source"}),
		watchFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_file_watch_fallbacks_total", Help: "Times a source gave up inotify for polling (no inotify, watch limit reached, queue overflow).",
		}, []string{"source"}),
		readErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_file_read_errors_total", Help: "Problems following files, by source and reason (open, read, stat, directory, irregular, glob, watch, max_files); each is retried.",
		}, []string{"source", "reason"}),
	}
	for _, c := range []prometheus.Collector{m.watched, m.lag, m.polling, m.rotations, m.truncations, m.copies, m.watchFallbacks, m.readErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
