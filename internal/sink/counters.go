package sink

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/odpswatch/odpswatch/internal/classify"
	"github.com/odpswatch/odpswatch/internal/scan"
)

// OtherCode is the code label of undocumented codes beyond the bound.
const OtherCode = "other"

// DefaultMaxUnknownCodes bounds the distinct undocumented codes that get
// their own series.
const DefaultMaxUnknownCodes = 100

// ErrorCounters counts classified codes. It is safe for concurrent use.
type ErrorCounters struct {
	errors    *prometheus.CounterVec
	failures  *prometheus.CounterVec
	recovered *prometheus.CounterVec
	folded    prometheus.Counter

	maxUnknown int
	mu         sync.Mutex
	unknown    map[scan.Code]struct{}
}

// NewErrorCounters registers the counters with reg. maxUnknown bounds the
// distinct undocumented codes with a series of their own; further ones are
// counted with code="other" (0 means DefaultMaxUnknownCodes, a negative
// value folds every undocumented code).
func NewErrorCounters(reg prometheus.Registerer, maxUnknown int) (*ErrorCounters, error) {
	if maxUnknown == 0 {
		maxUnknown = DefaultMaxUnknownCodes
	}
	e := &ErrorCounters{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_errors_total",
			Help: "ODPS error codes found in log lines, by code and its classification.",
		}, []string{"code", "family", "module", "severity", "source"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_failures_total",
			Help: "Failures the ODPS error codes stand for: a code printed again in the same failure (traceback, instance, retry) counts once; by code and its classification.",
		}, []string{"code", "family", "module", "severity", "source"}),
		recovered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "odpswatch_failures_recovered_total",
			Help: "Failures (counted in odpswatch_failures_total) that were retried and recovered: a retry announced, then another instance succeeded; by the failure's code.",
		}, []string{"code", "family", "module", "severity", "source"}),
		folded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "odpswatch_errors_folded_total",
			Help: `Undocumented codes counted as code="other" because max_unknown_codes distinct ones already had a series.`,
		}),
		maxUnknown: max(maxUnknown, 0),
		unknown:    make(map[scan.Code]struct{}),
	}
	for _, c := range []prometheus.Collector{e.errors, e.failures, e.recovered, e.folded} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// SetMaxUnknown changes the bound on undocumented codes with a series of
// their own (a reload). Codes already admitted keep their series.
func (e *ErrorCounters) SetMaxUnknown(maxUnknown int) {
	if maxUnknown == 0 {
		maxUnknown = DefaultMaxUnknownCodes
	}
	e.mu.Lock()
	e.maxUnknown = max(maxUnknown, 0)
	e.mu.Unlock()
}

// Add counts n occurrences of a classified code seen in source.
func (e *ErrorCounters) Add(source string, cl classify.Class, n int) {
	code := cl.Code.String()
	if cl.Entry == nil && !e.admitUnknown(cl.Code) {
		code = OtherCode
		e.folded.Add(float64(n))
	}
	e.errors.WithLabelValues(code, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source).Add(float64(n))
}

// AddFolded counts n occurrences of undocumented codes that were already
// folded upstream (by family, module and severity, cl standing for them) as
// code="other".
func (e *ErrorCounters) AddFolded(source string, cl classify.Class, n int) {
	e.folded.Add(float64(n))
	e.errors.WithLabelValues(OtherCode, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source).Add(float64(n))
}

// AddFailures counts n failures of a classified code seen in source. An
// undocumented code gets a series of its own as in Add; past the bound
// it counts as code="other".
func (e *ErrorCounters) AddFailures(source string, cl classify.Class, n int) {
	code := cl.Code.String()
	if cl.Entry == nil && !e.admitUnknown(cl.Code) {
		code = OtherCode
	}
	e.failures.WithLabelValues(code, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source).Add(float64(n))
}

// AddRecovered counts n failures of a classified code seen in source that
// were retried and recovered.
func (e *ErrorCounters) AddRecovered(source string, cl classify.Class, n int) {
	code := cl.Code.String()
	if cl.Entry == nil && !e.admitUnknown(cl.Code) {
		code = OtherCode
	}
	e.recovered.WithLabelValues(code, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source).Add(float64(n))
}

// AddFoldedFailures counts n failures of undocumented codes folded
// upstream, as AddFolded does their occurrences.
func (e *ErrorCounters) AddFoldedFailures(source string, cl classify.Class, n int) {
	e.failures.WithLabelValues(OtherCode, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source).Add(float64(n))
}

// AddFoldedRecovered counts n recovered failures of undocumented codes
// folded upstream, as AddFoldedFailures does their failures.
func (e *ErrorCounters) AddFoldedRecovered(source string, cl classify.Class, n int) {
	e.recovered.WithLabelValues(OtherCode, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source).Add(float64(n))
}

func (e *ErrorCounters) admitUnknown(c scan.Code) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.unknown[c]; ok {
		return true
	}
	if len(e.unknown) >= e.maxUnknown {
		return false
	}
	e.unknown[c] = struct{}{}
	return true
}
