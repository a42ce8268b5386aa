package status

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// MaxFilesOnPage bounds the files the page lists, all sources together
// (the JSON lists up to MaxFilesListed a source).
const MaxFilesOnPage = 200

// WritePage writes doc as the status page: server-rendered HTML, one
// file, no script and no external asset (it works on an air-gapped host),
// readable on a phone. html/template escapes every text.
func WritePage(w io.Writer, doc Document) error {
	return page.Execute(w, &pageData{Document: doc, FilesLeft: MaxFilesOnPage})
}

type pageData struct {
	Document
	FilesLeft int
}

var page = template.Must(template.New("status").Funcs(template.FuncMap{
	"uptime": func(s float64) string { return (time.Duration(s) * time.Second).Round(time.Second).String() },
	"bytes": func(n int64) string {
		switch {
		case n < 0:
			return "?"
		case n < 1<<10:
			return fmt.Sprintf("%d B", n)
		case n < 1<<20:
			return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
		default:
			return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
		}
	},
	"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"take": func(d *pageData) bool {
		if d.FilesLeft == 0 {
			return false
		}
		d.FilesLeft--
		return true
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>odpswatch{{if not .Healthy}} (unhealthy){{end}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72em;padding:.5em 1em;color:#222}
h1{font-size:1.4em;margin:.3em 0}h2{font-size:1.1em;margin:1.2em 0 .3em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}
th,td{text-align:left;padding:.2em .5em;border-bottom:1px solid #eee;vertical-align:top}
td.n{text-align:right;white-space:nowrap}.bad{color:#b00;font-weight:bold}.ok{color:#080}
code{font-size:.95em}.hint{color:#555;font-size:.9em}a{word-break:break-all}
</style></head><body>
<h1>odpswatch <small>{{.Version}}</small></h1>
<p id="health">{{if .Healthy}}<span class="ok">healthy</span>{{else}}<span class="bad">unhealthy</span>{{range .Problems}}: {{.}}{{end}}{{end}},
{{if .Ready}}<span class="ok">ready</span>{{else}}<span class="bad">not ready</span>{{end}};
up {{uptime .UptimeSeconds}} (since {{when .StartedAt}});
{{if .ConfigFile}}config <code>{{.ConfigFile}}</code>{{else}}no config file{{end}}{{with .LastReload}};
last reload {{when .At}} {{if .Successful}}<span class="ok">succeeded</span>{{else}}<span class="bad">failed</span>: {{.Error}}{{end}}{{end}}.</p>
<p>{{range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l}}">{{$l}}</a>{{end}}</p>

<h2>Failing jobs, last hour</h2>
{{if .FailingJobs}}<table id="jobs"><tr><th>UTC</th><th>instance</th><th>project</th><th>code</th><th>LogView</th></tr>
{{range .FailingJobs}}<tr><td class="n">{{clock .At}}</td><td><code>{{or .Instance "none named"}}</code></td><td>{{.Project}}</td><td><code>{{.Code}}</code> {{.Title}}</td><td>{{if .LogView}}<a href="{{.LogView}}">LogView</a>{{end}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Codes, last hour</h2>
{{if .TopCodes}}<table id="codes"><tr><th>code</th><th>sev</th><th>failures</th><th>prints</th><th>what it is, what to do</th></tr>
{{range .TopCodes}}<tr><td><code>{{.Code}}</code></td><td class="n">{{.Severity}}</td><td class="n">{{.Failures}}</td><td class="n">{{.Prints}}</td><td>{{or .Title "undocumented"}} <span class="hint">({{.Family}}/{{.Module}}){{if .Hint}} {{.Hint}}{{end}}</span></td></tr>
{{end}}</table>{{else}}<p>No code counted.</p>{{end}}
{{with .OtherCodes}}{{if .Prints}}<p>Other codes: {{.Prints}} prints, {{.Failures}} failures.</p>{{end}}{{end}}

<h2>Alerts firing</h2>
{{if .AlertsFiring}}<table id="alerts"><tr><th>rule</th><th>since</th><th>summary</th></tr>
{{range .AlertsFiring}}<tr><td>{{.Rule}}</td><td>{{when .StartsAt}}</td><td>{{.Summary}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Sources</h2>
<table id="sources"><tr><th>source</th><th>file or topic</th><th>read to</th><th>behind</th></tr>
{{range .Sources}}{{$s := .}}{{if eq .Type "kafka"}}<tr><td>{{.Name}}</td><td>Kafka {{range $i, $t := .Topics}}{{if $i}}, {{end}}<code>{{$t}}</code>{{end}}</td><td></td><td></td></tr>
{{range .Partitions}}<tr><td>{{$s.Name}}</td><td><code>{{.Topic}}</code> partition {{.Partition}}</td><td></td><td class="n">{{.Lag}} messages</td></tr>
{{end}}{{else}}{{if not .Files}}<tr><td>{{.Name}}</td><td class="bad">no file matches {{range $i, $g := .Globs}}{{if $i}}, {{end}}<code>{{$g}}</code>{{end}}</td><td></td><td></td></tr>
{{end}}{{range .Files}}{{if take $}}<tr><td>{{$s.Name}}</td><td><code>{{.Path}}</code></td><td class="n">{{bytes .Offset}}</td><td class="n">{{bytes .LagBytes}}</td></tr>
{{end}}{{end}}{{if gt .FilesTotal (len .Files)}}<tr><td>{{.Name}}</td><td>… {{.FilesTotal}} files in all</td><td></td><td></td></tr>
{{end}}{{end}}{{range .Problems}}<tr><td>{{$s.Name}}</td><td class="bad" colspan="3">{{.}}</td></tr>
{{end}}{{end}}</table>
<p class="hint">Generated {{when .GeneratedAt}}. The same as JSON: <a href="/api/v1/status">/api/v1/status</a>.</p>
</body></html>
`))
