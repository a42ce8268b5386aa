package attrib

import (
	"net/url"
	"strings"
	"testing"
)

func TestLogViewDropsTheTokenEverywhere(t *testing.T) {
	const s = "SECRETabc123XYZ"
	lv := "https://logview.aliyun.com/logview/?h=http://service.odps.aliyun.com/api&p=demo&i=20261122003007604gkq2z7x3d&token=" + s
	cases := []struct{ name, link string }{
		{"fragment", "https://logview.aliyun.com/logview/?h=x&p=demo#token=" + s},
		{"SPA route in fragment", "https://logview.aliyun.com/logview/#/?h=x&p=demo&token=" + s},
		{"encoded twice", url.QueryEscape(url.QueryEscape(lv))},
		{"JSON \\u003d", `https://logview.aliyun.com/logview/?p=demo\u0026token\u003d` + s},
		{"%3D in an unencoded URL", "https://logview.aliyun.com/logview/?p=demo&token%3D" + s},
		{"link inside another URL's query", "https://sso.example.com/login?next=" + url.QueryEscape(lv)},
		{"path param ;token=", "https://logview.aliyun.com/logview/;token=" + s + "?p=demo"},
		{"userinfo", "https://token:" + s + "@logview.aliyun.com/logview/?p=demo"},
	}
	for _, c := range cases {
		if got := LogView([]byte(c.link)); strings.Contains(got, s) {
			t.Errorf("%s: LogView(%q) = %q", c.name, c.link, got)
		}
		// and through Find, as a caller would use it
		line := []byte("Log view: " + c.link + " done")
		if f := Find(line); !f.LogView.Empty() {
			if got := LogView(f.LogView.Of(line)); strings.Contains(got, s) {
				t.Errorf("%s via Find: %q", c.name, got)
			}
		}
	}
	for _, ok := range []string{lv, strings.Replace(lv, "token=", "TOKEN=", 1), lv + "&token=" + s, lv + "&Token=" + s,
		strings.Replace(lv, "&p=", ";token="+s+"&p=", 1), url.QueryEscape(lv), strings.ReplaceAll(lv, "&", `\u0026`),
		strings.ReplaceAll(lv, "&", "&amp;")} {
		if got := LogView([]byte(ok)); strings.Contains(got, s) {
			t.Errorf("LogView(%q) = %q", ok, got)
		}
	}
}
