package status

import "time"

// Schema names the version of Document's JSON form (docs/status.md).
const Schema = "odpswatch.status/v1"

// Bounds of a Document: what is listed of each kind, at most.
const (
	MaxFilesListed  = 100
	MaxCodesListed  = 20
	MaxAlertsListed = 50
	// MaxProblemsListed bounds the problems listed a source, and
	// MaxPartitionsListed its Kafka partitions.
	MaxProblemsListed   = 20
	MaxPartitionsListed = 100
)

// Document is what /api/v1/status answers: this instance, its sources,
// the codes and failing jobs of the last hour, the alerts firing.
type Document struct {
	Schema        string    `json:"schema"`
	Version       string    `json:"version"`
	Revision      string    `json:"revision"`
	GoVersion     string    `json:"go_version"`
	StartedAt     time.Time `json:"started_at"`
	UptimeSeconds float64   `json:"uptime_seconds"`
	// ConfigFile is "" when odpswatch runs on globs given as arguments.
	ConfigFile string  `json:"config_file"`
	LastReload *Reload `json:"last_reload"` // null until a reload
	Healthy    bool    `json:"healthy"`
	// Problems say why it is not healthy (a source stuck on a file).
	Problems []string `json:"problems"`
	Ready    bool     `json:"ready"`
	Sources  []Source `json:"sources"`
	// TopCodes are the codes of the last hour, most failures first, then
	// most prints; OtherCodes what codes past the recorder's bound added
	// up to.
	TopCodes     []Code    `json:"top_codes"`
	OtherCodes   Count     `json:"other_codes"`
	FailingJobs  []FailJob `json:"failing_jobs"`
	AlertsFiring []Alert   `json:"alerts_firing"`
	Links        []string  `json:"links"`
	GeneratedAt  time.Time `json:"generated_at"`
}

// Reload is the last configuration reload.
type Reload struct {
	At         time.Time `json:"at"`
	Successful bool      `json:"successful"`
	Error      string    `json:"error"`
}

// Source is a configured source.
type Source struct {
	Name string `json:"name"`
	Type string `json:"type"` // file or kafka
	// Files are the files it follows (at most MaxFilesListed, the most
	// behind first), FilesTotal how many it follows.
	Files      []File `json:"files"`
	FilesTotal int    `json:"files_total"`
	// Globs (a file source's) and Topics (a Kafka source's), as
	// configured.
	Globs  []string `json:"globs"`
	Topics []string `json:"topics"`
	// Partitions are a Kafka source's partitions assigned to this member,
	// with their lag as of the last update.
	Partitions []Partition `json:"partitions"`
	// Problems are what a file source cannot follow now ("path: error"),
	// at most MaxProblemsListed.
	Problems []string `json:"problems"`
}

// Partition is a Kafka partition assigned to this member.
type Partition struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Lag       int64  `json:"lag"`
}

// File is a followed file: where it is read to, its size, and the bytes
// written and not counted yet.
type File struct {
	Path     string `json:"path"`
	Offset   int64  `json:"offset"`
	Size     int64  `json:"size"`
	LagBytes int64  `json:"lag_bytes"`
	// LastRead is when bytes were last read from it (null: not since
	// this process started).
	LastRead *time.Time `json:"last_read"`
}

// Code is a code of the last hour.
type Code struct {
	Code     string `json:"code"`
	Title    string `json:"title"`
	Family   string `json:"family"`
	Module   string `json:"module"`
	Severity int    `json:"severity"`
	Prints   int64  `json:"prints"`
	Failures int64  `json:"failures"`
	Hint     string `json:"hint"`
}

// FailJob is a job whose failure began in the last hour.
type FailJob struct {
	Source   string    `json:"source"`
	Instance string    `json:"instance"`
	Project  string    `json:"project"`
	LogView  string    `json:"logview"` // without its token
	Code     string    `json:"code"`
	Title    string    `json:"title"`
	At       time.Time `json:"at"`
}

// Alert is an alert of odpswatch's own detector, firing.
type Alert struct {
	Rule     string            `json:"rule"`
	Labels   map[string]string `json:"labels"`
	Summary  string            `json:"summary"`
	StartsAt time.Time         `json:"starts_at"`
}
