package attrib

import (
	"net/url"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	const id = "20261201090240093gb7kq1m5"
	lv := "https://logview.example.com/logview/?h=https://service.cn-hangzhou.maxcompute.example.com/api&p=p_beta&i=" + id + "&token=ZmFrZQ=="
	cases := []struct {
		name, line                                 string
		instance, project, requestID, time, logURL string
	}{
		{"odpscmd ID", "ID = " + id, id, "", "", "", ""},
		{"PyODPS Instance ID", "2026-11-22 08:30:05,326 INFO odps.models.instance: Instance ID: " + id,
			id, "", "", "2026-11-22 08:30:05,326", ""},
		{"InstanceId", `{"ts":1764579764000,"InstanceId":"` + id + `"}`, id, "", "", "1764579764000", ""},
		{"instance word", "Instance " + id + " failed", id, "", "", "", ""},
		{"instance_id=", "status=Failed instance_id=" + id, id, "", "", "", ""},
		{"LogView", "2026-11-22T08:30:05.326Z INFO   Log view: " + lv, id, "p_beta", "", "2026-11-22T08:30:05.326Z",
			"https://logview.example.com/logview/?h=https%3A%2F%2Fservice.cn-hangzhou.maxcompute.example.com%2Fapi&i=" + id + "&p=p_beta"},
		{"LogView in JSON", `{"msg":"see https://logview.example.com/logview/?p=p_beta\u0026i=` + id + `\u0026token=abc\u0026h=x"}`, id, "p_beta", "", "",
			"https://logview.example.com/logview/?h=x&i=" + id + "&p=p_beta"},
		{"LogView encoded in another URL", "next=" + url.QueryEscape(lv), id, "p_beta", "", "",
			"https://logview.example.com/logview/?h=https%3A%2F%2Fservice.cn-hangzhou.maxcompute.example.com%2Fapi&i=" + id + "&p=p_beta"},
		{"prompt", "odps@ demo_project>select 1;", "", "demo_project", "", "", ""},
		{"ACS resource", "FAILED: ODPS-0420095: Access Denied - no privilege 'odps:Select' on {acs:odps:*:projects/p_beta/tables/ods_users}.",
			"", "p_beta", "", "", ""},
		{"REST path and request ID", "2026-11-21 02:15:05,459 DEBUG POST /api/projects/demo_project/instances HTTP/1.1 -> 403 x-odps-request-id=6741C3A2B8F0E1D2C3B4A596",
			"", "demo_project", "6741C3A2B8F0E1D2C3B4A596", "2026-11-21 02:15:05,459", ""},
		{"error body", "<Error><Code>NoPermission</Code><RequestId>6741C3A2B8F0E1D2C3B4A596</RequestId></Error>", "", "", "6741C3A2B8F0E1D2C3B4A596", "", ""},
		{"syslog", "Nov 21 02:15:05 host odpscmd[7]: RequestId=5F3A-22B1-9C0D-11AA", "", "", "5F3A-22B1-9C0D-11AA", "Nov 21 02:15:05", ""},
		{"in project", "table ods_users not found in project p_gamma", "", "p_gamma", "", "", ""},
		// Look-alikes announce nothing.
		{"Context ID", "Context ID:0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5.", "", "", "", "", ""},
		{"a date is no instance", "ID = 20261123011501102", "", "", "", "", ""},
		{"upper-case tail", "ID = 20261123011501102G7QK", "", "", "", "", ""},
		{"identity", "identity 20261201090240093gb7kq1m5", "", "", "", "", ""},
		{"instances", "instances 20261201090240093gb7kq1m5", "", "", "", "", ""},
		{"too short a project", "odps@ ab>", "", "", "", "", ""},
		{"no logview word", "https://example.com/?p=x&i=" + id, "", "", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := []byte(c.line)
			got := Find(line)
			for _, f := range []struct {
				what string
				span Span
				want string
			}{{"instance", got.Instance, c.instance}, {"project", got.Project, c.project}, {"request ID", got.RequestID, c.requestID}, {"time", got.Time, c.time}} {
				if s := string(f.span.Of(line)); s != f.want {
					t.Errorf("%s = %q, want %q", f.what, s, f.want)
				}
			}
			var link string
			if !got.LogView.Empty() {
				link = LogView(got.LogView.Of(line))
			}
			if link != c.logURL {
				t.Errorf("LogView = %q\n want %q", link, c.logURL)
			}
			if strings.Contains(strings.ToLower(link), "token") {
				t.Errorf("the LogView link keeps its token: %q", link)
			}
		})
	}
}

func TestFindAllocatesNothing(t *testing.T) {
	line := []byte("2026-11-22 08:30:05,326 INFO Log view: https://logview.example.com/logview/?h=x&p=p_beta&i=20261201090240093gb7kq1m5&token=abc RequestId=6741C3A2B8F0E1D2C3B4A596")
	if n := testing.AllocsPerRun(100, func() { Find(line) }); n != 0 {
		t.Errorf("Find allocates %v times, want 0", n)
	}
}

// FuzzFind: no panic, every span inside the line, an instance only of an
// instance ID's shape, and a LogView link never with its token.
func FuzzFind(f *testing.F) {
	f.Add("ID = 20261201090240093gb7kq1m5")
	f.Add("see https://logview.x/logview/?p=p_beta\\u0026i=20261201090240093gb7kq1m5\\u0026token=abc")
	f.Add("odps@ demo_project>")
	f.Add("2026-11-21 02:15:05,459 <RequestId>6741C3A2B8F0</RequestId>")
	f.Fuzz(func(t *testing.T, s string) {
		line := []byte(s)
		c := Find(line)
		for _, sp := range []Span{c.Instance, c.Project, c.LogView, c.RequestID, c.Time} {
			if sp.Start < 0 || sp.End > len(line) || sp.Start > sp.End && sp.End != 0 {
				t.Fatalf("span %+v outside a line of %d bytes", sp, len(line))
			}
		}
		if !c.Instance.Empty() && !isInstanceID(c.Instance.Of(line)) {
			t.Fatalf("instance %q has not an instance ID's shape", c.Instance.Of(line))
		}
		if !c.LogView.Empty() {
			u, err := url.Parse(LogView(c.LogView.Of(line)))
			if err == nil {
				for k := range u.Query() {
					if strings.HasSuffix(strings.ToLower(k), "token") {
						t.Fatalf("LogView kept %q: %s", k, u)
					}
				}
			}
		}
	})
}

func BenchmarkFind(b *testing.B) {
	lines := map[string][]byte{
		"plain":   []byte("2026-11-22 08:30:07,410 INFO odps.models.instance: Waiting for instance to finish, 37 of 120 tasks done, rows read 1234567"),
		"logview": []byte("2026-11-22 08:30:05,326 INFO Log view: https://logview.example.com/logview/?h=https://service.example.com/api&p=demo_project&i=20261122003005118gkq2z7x3c&token=ZmFrZS1weS10b2tlbi0z"),
		"error":   []byte("FAILED: ODPS-0420095: Access Denied - Authorization Failed [4019], You have no privilege 'odps:Select' on {acs:odps:*:projects/p_beta/tables/ods_users}. Context ID:0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5."),
	}
	for name, line := range lines {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				Find(line)
			}
		})
	}
}

// The instance a line with codes names as its own: before the code, or
// after it as a field or a LogView link's, not in the message's words
// (the fourth review, and the review of its fix).
func TestLineInstance(t *testing.T) {
	const own, other = "20261121021505123gabc12", "20261121015959000zzzz9999"
	for line, want := range map[string]string{
		"InstanceId: " + own + " ODPS-0110061:Failed - table t1 is locked by instance " + other:                      own,
		"odps.errors.ODPSError: ODPS-0110061: InstanceId: " + own:                                                    own,
		"FAILED: ODPS-0110061:Failed - table t1 is locked by instance " + other:                                      "",
		`{"level":"error","msg":"query failed","error":"ODPS-0130071:[1,8] x","instance_id":"` + own + `"}`:          own,
		`{"error":"ODPS-0130071:[1,8] x, locked by instance_id=` + other + `"}`:                                      "",
		"ERROR task failed: ODPS-0130071:[1,8] x, instance_id=" + own:                                                "",
		"WARN ODPS-0010000:System internal error - retrying 1/3, resubmitted as instance_id=" + other:                "",
		"ERROR ODPS-0110061:Failed - partition ds=20261120 is locked by instance: " + other:                          "",
		`{"errorCode":"ODPS-0110061","errorMessage":"locked by instance: ` + other + `","instanceId":"` + own + `"}`: own,
		"ERROR ODPS-0130071: x see http://logview.example.com/logview/?p=p1&i=" + own + "&token=T":                   own,
		"Instance " + own + " poll: RUNNING":                                                                         own,
	} {
		l := []byte(line)
		if got := string(Find(l).Instance.Of(l)); got != want {
			t.Errorf("Find(%q).Instance = %q, want %q", line, got, want)
		}
	}
}
