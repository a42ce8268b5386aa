package filesource

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/odpswatch/odpswatch/internal/attrib"
)

// progressLines returns odpscmd progress lines, n bytes of them at least.
func progressLines(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "2026-12-01 09:%02d:%02d M1_job_0:%d/0/4[0%%]\tR2_1_job_0:0/0/1[0%%]\n", i/60%60, i%60, i%4)
	}
	return b.String()
}

// A file read from within it has as context the lines of the Window
// before; when those end with progress lines (a job was running when the
// daemon stopped), the lines of the Window before the run's start and the
// run, unless the run is longer than maxRunContext. (A review found the
// run just under the window: the job's announcements fell out.)
func TestContextBackToTheRunsStart(t *testing.T) {
	head := "odps@ p_x>insert overwrite table t select * from s;\nID = 20261201090100001gb7kq1m1\nLog view:\nhttp://logview.example.com/logview/?p=p_x&i=20261201090100001gb7kq1m1&token=dG9rZW4\n"
	filler := strings.Repeat("2026-12-01 09:00:00 INFO other lines of the file\n", 400) // 19 600 bytes
	for _, c := range []struct {
		name, before, run string
		want              func(before, run string) string // the context
	}{
		{"no run", filler + head, "", func(before, run string) string { return tailLines(before, attrib.Window) }},
		{"a short run", filler + head, progressLines(2000), func(before, run string) string { return tailLines(before, attrib.Window) + run }},
		{"a run just under the window", filler + head, progressLines(attrib.Window - 150), func(before, run string) string { return tailLines(before, attrib.Window) + run }},
		{"a long run", filler + head, progressLines(50_000), func(before, run string) string { return tailLines(before, attrib.Window) + run }},
		{"a run from the file's start", head, progressLines(50_000), func(before, run string) string { return before + run }},
		{"a run longer than the bound", filler + head, progressLines(maxRunContext + attrib.Window + 1000), func(before, run string) string { return tailLines(run, attrib.Window) }},
	} {
		data := c.before + c.run
		got, from := contextBefore(bytes.NewReader([]byte(data)), int64(len(data)))
		want := c.want(c.before, c.run)
		if string(got) != want || from != int64(len(data)-len(want)) {
			t.Errorf("%s: context of %d bytes from %d, want %d bytes from %d", c.name, len(got), from, len(want), len(data)-len(want))
		}
	}
}

// tailLines returns the lines of s that start in its last n bytes.
func tailLines(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := len(s) - n
	if s[cut-1] != '\n' {
		cut += strings.IndexByte(s[cut:], '\n') + 1
	}
	return s[cut:]
}
