package daemon

import (
	"syscall"

	"github.com/odpswatch/odpswatch/internal/config"
)

// fdReserve is what is kept, beside the files and HTTP connections, for
// everything else that takes a descriptor: the positions file and its
// directory, inotify, Kafka connections, the notify socket, logs.
const fdReserve = 64

// fdBudget compares what cfg may open at once — every file source's
// max_files, HTTP connections and a reserve — with the process's limit
// on open descriptors (Go raises the soft limit to the hard one at
// start), and returns both; need > limit means files past the limit
// would fail to open (counted in odpswatch_file_read_errors_total, while
// process_open_fds and process_max_fds show how close it is).
func fdBudget(cfg *config.Config, httpConns int) (need, limit uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0
	}
	need = fdReserve + uint64(httpConns)
	for _, s := range cfg.Sources {
		if s.Type == "file" {
			need += uint64(s.MaxFiles)
		}
	}
	return need, rl.Cur
}

// warnFDs logs when cfg's sources may need more descriptors than the
// process may open.
func (d *Daemon) warnFDs(cfg *config.Config) {
	conns := d.opts.HTTPMaxConnections
	if conns <= 0 {
		conns = DefaultHTTPMaxConnections
	}
	if need, limit := fdBudget(cfg, conns); limit > 0 && need > limit {
		d.log.Warn("the file sources may need more descriptors than the process may open: lower max_files or raise LimitNOFILE",
			"max_files_total_plus_reserve", need, "limit", limit)
	}
}
