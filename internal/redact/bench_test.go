package redact

import "testing"

// BenchmarkString redacts lines as samples and events carry them: a
// line with a code and no credential, one with a LogView link, one with
// an Authorization header.
func BenchmarkString(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"plain", "2026-11-22 08:30:07,410 ERROR ODPS-0130071:[1,8] Semantic analysis exception - column x cannot be resolved"},
		{"url", "2026-11-22 08:30:07,410 ERROR ODPS-0130071: see https://help.aliyun.com/document_detail/1.html for column x"},
		{"logview", "2026-11-22 08:30:07 INFO Log view: http://logview.odps.aliyun.com/logview/?h=http://service.cn-hangzhou.maxcompute.aliyun.com/api&p=ds_prod&i=20261120100000030g8mqdze2px&token=XHiX803KOzgywNzbfU+hSQtMfSEZevn/kxHR0j7CDZXsJXE3kWllKLC"},
		{"authorization", `2026-11-22 08:30:07 DEBUG request headers: map[Authorization:[ODPS LTAI5tEXAMPLE:c2lnbmF0dXJl] Content-Type:[application/json] X-Odps-User-Agent:[pyodps]]`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.line)))
			b.ReportAllocs()
			for b.Loop() {
				String(c.line)
			}
		})
	}
}
