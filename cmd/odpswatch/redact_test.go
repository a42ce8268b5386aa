package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// LogView tokens grant access to a job: planted on the lines of codes, in
// every form real logs carry them (and an Authorization header's
// signature, an STS token in XML), they appear in no output format of
// scan, not even cut in half by a long line's window.
func TestScanNeverPrintsATokens(t *testing.T) {
	const secret = "c2VjcmV0LWxvZ3ZpZXctdG9rZW4tMTIz+/=="
	lv := "https://logview.example.com/logview/?h=https://svc.example.com/api&p=p_beta&i=20261201090240093gb7kq1m5&token=" + secret
	log := strings.Join([]string{
		"2026-12-01 09:02:44 ERROR ODPS-0130013:Authorization exception - no privilege; Log view: " + lv,
		"next=" + url.QueryEscape(lv) + " FAILED: ODPS-0420095: Access Denied",
		`{"ts":1764579764000,"msg":"ODPS-0123031:Partition exception - logview ?p=p_beta\u0026token=` + secret + `\u0026i=1"}`,
		strings.Repeat("x", 700) + " token=" + secret + " ODPS-0130071:[1,8] Semantic analysis exception - " + strings.Repeat("y", 700),
		"ODPS-0130161:[1,8] Parse exception - callback?q=" + url.QueryEscape(`{"token": "`+secret+`"}`),
		"ODPS-0110061: Failed to run ddltask - GET https://svc.example.com/api/token/" + strings.ReplaceAll(secret, "/", "_") + "/check",
		"ODPS-0420095: Access Denied - Authorization Failed [4019]; request headers {'Authorization': 'ODPS LTAI5tExample:" + secret + "'}",
		"ODPS-0010000:System internal error - STS answered <Credentials><SecurityToken>" + secret + "</SecurityToken></Credentials>",
	}, "\n") + "\n"
	for _, format := range []string{"table", "json", "prom"} {
		out, errOut, _ := odpswatch(t, log, "scan", "--format", format)
		all := out + errOut
		for _, leak := range []string{secret, url.QueryEscape(secret), secret[:12], strings.ReplaceAll(secret, "/", "_")[:12]} {
			if strings.Contains(all, leak) {
				t.Errorf("scan --format %s printed the token (%q):\n%s", format, leak, all)
			}
		}
		if format == "json" && !strings.Contains(out, "token=REDACTED") {
			t.Errorf("scan --format json shows no redacted token; the samples were expected to keep the line:\n%s", out)
		}
		if format == "json" {
			var doc struct {
				Jobs []struct{ Instance, LogView string }
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Jobs) == 0 ||
				doc.Jobs[0].Instance != "20261201090240093gb7kq1m5" || !strings.HasPrefix(doc.Jobs[0].LogView, "https://logview.example.com/logview/?") {
				t.Errorf("scan --format json names no job with its LogView (%v): %+v", err, doc.Jobs)
			}
		}
	}
}
