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
	// series holds the counters of each code's series in each source,
	// each made when first counted: an update then finds its counter
	// without formatting the code and hashing five label values (the
	// daemon makes one for each code of each batch: 25,000 a GiB of a
	// log with 1 % of lines with codes). Bounded as the series are: the
	// documented codes and the undocumented ones admitted, in each
	// source; a code counted as "other" is not kept.
	series map[seriesKey]*codeSeries
}

// seriesKey names the series of a code in a source.
type seriesKey struct {
	code   scan.Code
	source string
}

// codeSeries are a code's counters in a source, by kind (errorsKind...),
// nil until first counted: a code never counted as a failure has no
// failures series.
type codeSeries [3]prometheus.Counter

// The kinds of a code's counters, in codeSeries.
const (
	errorsKind = iota
	failuresKind
	recoveredKind
)

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
		series:     make(map[seriesKey]*codeSeries),
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
	c := e.counter(errorsKind, source, cl)
	if c == nil {
		e.folded.Add(float64(n))
		c = e.errors.WithLabelValues(OtherCode, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source)
	}
	c.Add(float64(n))
}

// counter returns the counter of kind for cl's code in source, made if
// it is the first count of its series (with cl's labels: a code's
// classification is fixed, the catalog built in); nil when the code is
// counted as "other": undocumented, past the bound.
func (e *ErrorCounters) counter(kind int, source string, cl classify.Class) prometheus.Counter {
	k := seriesKey{code: cl.Code, source: source}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.series[k]
	if s == nil {
		if cl.Entry == nil && !e.admitUnknownLocked(cl.Code) {
			return nil
		}
		s = new(codeSeries)
		e.series[k] = s
	}
	if s[kind] == nil {
		vec := [...]*prometheus.CounterVec{errorsKind: e.errors, failuresKind: e.failures, recoveredKind: e.recovered}[kind]
		s[kind] = vec.WithLabelValues(cl.Code.String(), cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source)
	}
	return s[kind]
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
	c := e.counter(failuresKind, source, cl)
	if c == nil {
		c = e.failures.WithLabelValues(OtherCode, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source)
	}
	c.Add(float64(n))
}

// AddRecovered counts n failures of a classified code seen in source that
// were retried and recovered.
func (e *ErrorCounters) AddRecovered(source string, cl classify.Class, n int) {
	c := e.counter(recoveredKind, source, cl)
	if c == nil {
		c = e.recovered.WithLabelValues(OtherCode, cl.Family.Label, cl.Module.Label, strconv.Itoa(cl.Severity), source)
	}
	c.Add(float64(n))
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

// admitUnknownLocked reports whether the undocumented code c has a
// series of its own, giving it one if there is room; e.mu is held.
func (e *ErrorCounters) admitUnknownLocked(c scan.Code) bool {
	if _, ok := e.unknown[c]; ok {
		return true
	}
	if len(e.unknown) >= e.maxUnknown {
		return false
	}
	e.unknown[c] = struct{}{}
	return true
}
