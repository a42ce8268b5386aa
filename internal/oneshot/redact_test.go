package oneshot

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestScanOutputsCarryNoTokenInAnyShape(t *testing.T) {
	const s = "SECRETabc123XYZ"
	for _, line := range []string{
		`2026-11-22 08:30:07 ERROR ODPS-0420095: Access Denied - request params {'token': '` + s + `', 'p': 'demo'}`,
		`{"level":"error","msg":"ODPS-0420095: Access Denied - body={\"token\":\"` + s + `\"}"}`,
		`ERROR ODPS-0420095: Access Denied - token="` + s + `"`,
		`ERROR ODPS-0420095: Access Denied - see logview ` + strings.Repeat("x", 600) + ` token='` + s + `'`,
	} {
		r := NewReport()
		if err := ScanReader(context.Background(), r, "in.log", strings.NewReader(line+"\n"), Options{}); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		WriteJSON(&out, r, 0)
		WriteTable(&out, r, 0)
		WriteProm(&out, r, 0)
		if strings.Contains(out.String(), s) {
			t.Errorf("scan output leaks the token for %.60q...:\n%s", line, out.String())
		}
	}
}
