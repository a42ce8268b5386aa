package scan

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/odpswatch/odpswatch/internal/scan/scantest"
)

type found struct {
	code, general, context string
}

func scanString(s string) []found {
	buf := []byte(s)
	var out []found
	for _, m := range Scan(nil, buf) {
		out = append(out, found{m.Code.String(), string(m.General.Of(buf)), string(m.Context.Of(buf))})
	}
	return out
}

// Realistic lines of the forms odps-codes.md lists, written for these tests.
var forms = []struct {
	name string
	line string
	want []found
}{
	{"sql row col", "FAILED: ODPS-0130071:[1,8] Semantic analysis exception - column amount cannot be resolved",
		[]found{{"ODPS-0130071", "Semantic analysis exception", "column amount cannot be resolved"}}},
	{"sql row col multi digit", "FAILED: ODPS-0130161:[12,105] Parse exception - invalid token 'FORM'",
		[]found{{"ODPS-0130161", "Parse exception", "invalid token 'FORM'"}}},
	{"colon space", "ODPS-0420095: Access Denied - Authorization Failed [4093], You have no privilege 'odps:CreateInstance' on {acs:odps:*:projects/demo}.",
		[]found{{"ODPS-0420095", "Access Denied", "Authorization Failed [4093], You have no privilege 'odps:CreateInstance' on {acs:odps:*:projects/demo}."}}},
	{"colon no space", "ODPS-0130131:Table not found - table demo.sales cannot be resolved",
		[]found{{"ODPS-0130131", "Table not found", "table demo.sales cannot be resolved"}}},
	{"no general description", "ODPS-0130013:Authorization Failed [4011], You have NO privilege 'odps:Select' on {acs:odps:*:projects/demo/tables/t}",
		[]found{{"ODPS-0130013", "Authorization Failed [4011], You have NO privilege 'odps:Select' on {acs:odps:*:projects/demo/tables/t}", ""}}},
	{"dash without spaces", "ODPS-0110061: Failed to run ddltask-Schema evolution DDL is not supported",
		[]found{{"ODPS-0110061", "Failed to run ddltask-Schema evolution DDL is not supported", ""}}},
	{"nested", "ODPS-0010000:System internal error - SQL Runtime Internal Error: ODPS-0123031:Partition exception - invalid partition value",
		[]found{
			{"ODPS-0010000", "System internal error", "SQL Runtime Internal Error: ODPS-0123031:Partition exception - invalid partition value"},
			{"ODPS-0123031", "Partition exception", "invalid partition value"},
		}},
	{"no colon at end of line", "com.aliyun.odps.OdpsException: ODPS-0740001",
		[]found{{"ODPS-0740001", "", ""}}},
	{"no colon then text", "job failed with ODPS-0123105 after 3 retries",
		[]found{{"ODPS-0123105", "", ""}}},
	{"colon then dash", "ODPS-0010000: - Fuxi job failed: worker lost",
		[]found{{"ODPS-0010000", "", "Fuxi job failed: worker lost"}}},
	{"dash only", "ODPS-0010000 - Fuxi job failed: worker lost",
		[]found{{"ODPS-0010000", "", "Fuxi job failed: worker lost"}}},
	{"cjk before", "然后会报错ODPS-0130161:Parse exception - 缺少右括号",
		[]found{{"ODPS-0130161", "Parse exception", "缺少右括号"}}},
	{"full-width colon", "错误：ODPS-0130131：表不存在 - demo.t1",
		[]found{{"ODPS-0130131", "表不存在", "demo.t1"}}},
	{"full-width brackets", "权限不足（ODPS-0420095）请联系管理员",
		[]found{{"ODPS-0420095", "", ""}}},
	{"several on a line", "ODPS-0130071 ODPS-0130161; ODPS-0420095,ODPS-0123105.",
		[]found{{"ODPS-0130071", "", ""}, {"ODPS-0130161", "", ""}, {"ODPS-0420095", "", ""}, {"ODPS-0123105", "", ""}}},
	{"java caused by", "Caused by: com.aliyun.odps.OdpsException: ODPS-0720021: Column does not exist - column name 'uid' not found in table demo.users",
		[]found{{"ODPS-0720021", "Column does not exist", "column name 'uid' not found in table demo.users"}}},
	{"python sdk", "odps.errors.ODPSError: ODPS-0130013: InstanceId: 20261120020304567gabc12 ",
		[]found{{"ODPS-0130013", "InstanceId: 20261120020304567gabc12", ""}}},
	{"xml cdata", `<Error><Code>NoSuchObject</Code><Message><![CDATA[ODPS-0420111: Not found the project - project demo not found]]></Message></Error>`,
		[]found{{"ODPS-0420111", "Not found the project", "project demo not found"}}},
	{"xml cdata no dash", `<Message><![CDATA[ODPS-0420111: Not found the project]]></Message>`,
		[]found{{"ODPS-0420111", "Not found the project", ""}}},
	{"json string", `{"errorCode":"ODPS-0130071","errorMessage":"ODPS-0130071:[2,5] Semantic analysis exception - column \"x\" cannot be resolved\nat line 2"}`,
		[]found{
			{"ODPS-0130071", "", ""},
			{"ODPS-0130071", "Semantic analysis exception", `column \"x\" cannot be resolved`},
		}},
	{"escaped newline unquoted", `message=ODPS-0123105: Job got killed\nat stage M1`,
		[]found{{"ODPS-0123105", "Job got killed", ""}}},
	{"escaped newline in context", `ODPS-0123105: Job got killed - by user admin\nat stage M1`,
		[]found{{"ODPS-0123105", "Job got killed", "by user admin"}}},
	{"message equals", "Message=ODPS-0420095: Access Denied",
		[]found{{"ODPS-0420095", "Access Denied", ""}}},
	{"backtick", "see `ODPS-0130252:Cartesian product is not allowed`",
		[]found{{"ODPS-0130252", "Cartesian product is not allowed`", ""}}},
	{"end of buffer", "ODPS-0130071", []found{{"ODPS-0130071", "", ""}}},
	{"code then colon at end", "FAILED: ODPS-0130071:", []found{{"ODPS-0130071", "", ""}}},
	{"row col without text", "ODPS-0130161:[1,1]", []found{{"ODPS-0130161", "", ""}}},
	{"bracket that is not row col", "ODPS-0130013:[4011] Authorization Failed",
		[]found{{"ODPS-0130013", "[4011] Authorization Failed", ""}}},
	{"crlf", "ODPS-0130071:Semantic analysis exception - bad column\r",
		[]found{{"ODPS-0130071", "Semantic analysis exception", "bad column"}}},
	{"prefix repeated", "ODPS-ODPS-0130071", []found{{"ODPS-0130071", "", ""}}},
	{"many false anchors", strings.Repeat("HTTP PARTITION PP ", 40) + "ODPS-0130071 P ODPS-0130161",
		[]found{{"ODPS-0130071", "", ""}, {"ODPS-0130161", "", ""}}},
	{"prefix at the very end", "ODPS-ODPS-0130071 ODPS-", []found{{"ODPS-0130071", "", ""}}},
	{"code after underscore word is not", "x_ODPS-0130071 (ODPS-0130071)", []found{{"ODPS-0130071", "", ""}}},
	// The server glues a code to the message before it.
	{"glued to a message", "Semantic analysis exception - column uid cannot be resolvedODPS-0130071:[1,44] Semantic analysis exception - column x",
		[]found{{"ODPS-0130071", "Semantic analysis exception", "column x"}}},
	{"glued twice", "foo:barODPS-0130071:one - a bazODPS-0130161:two",
		[]found{{"ODPS-0130071", "one", "a bazODPS-0130161:two"}, {"ODPS-0130161", "two", ""}}},
}

// Not codes, from odps-codes.md's list.
var nonCodes = []string{
	"see doc copy ODPS-01100101 for details",
	"tracked in ODPS-26819",
	"truncated ODPS-0903 and ODPS-185 and ODPS-013",
	"ODPS_0410077 and odps-0130071 and Odps-0130071",
	"errorODPS-0130071 glued",
	// Glued, but not to a message: identifiers and keys.
	"MyODPS-0130071:x ABCODPS-0130071: abODPS-0130071: my_ODPS-0130071: v1abcODPS-0130071: resolvedODPS-01300712: resolvedODPS-0130071x:",
	"ODPS-0130071a ODPS-0130071_x 1ODPS-0130071 _ODPS-0130071",
	"Authorization Failed [4093], [4009,4019] errCode:252 ErrorCode: 152 [1,8]",
	"ODPS-013007",
	"ODPS -0130071 ODPS- 0130071 ODPS-013 0071",
	"",
}

func TestScanForms(t *testing.T) {
	for _, tc := range forms {
		t.Run(tc.name, func(t *testing.T) {
			got := scanString(tc.line)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Scan(%q)\n got %q\nwant %q", tc.line, got, tc.want)
			}
			checkAgainstReference(t, []byte(tc.line))
		})
	}
}

func TestScanNonCodes(t *testing.T) {
	for _, line := range nonCodes {
		if got := scanString(line); len(got) != 0 {
			t.Errorf("Scan(%q) = %q, want no code", line, got)
		}
		checkAgainstReference(t, []byte(line))
	}
}

// checkAgainstReference asserts that Scan finds exactly the codes the
// reference regexp finds, at the same offsets, and that each match's spans
// are well-formed.
func checkAgainstReference(t *testing.T, buf []byte) {
	t.Helper()
	want := scantest.Codes(buf)
	got := Scan(nil, buf)
	if len(got) != len(want) {
		t.Fatalf("in %q: Scan found %d codes, the reference %d", truncate(buf), len(got), len(want))
	}
	for i, m := range got {
		if m.Offset != want[i][0] {
			t.Fatalf("in %q: match %d at %d, the reference at %d", truncate(buf), i, m.Offset, want[i][0])
		}
		if s := m.Code.String(); s != string(buf[want[i][0]:want[i][1]]) {
			t.Fatalf("match %d is %s, the reference %s", i, s, buf[want[i][0]:want[i][1]])
		}
		checkSpans(t, buf, m)
	}
}

func checkSpans(t *testing.T, buf []byte, m Match) {
	t.Helper()
	line := m.Line
	if line.Start < 0 || line.Start > m.Offset || line.End < m.Offset+codeLen || line.End > len(buf) {
		t.Fatalf("line %v does not hold the code at %d (buffer of %d)", line, m.Offset, len(buf))
	}
	if bytes.IndexByte(line.Of(buf), '\n') >= 0 {
		t.Fatalf("line %v holds a newline", line)
	}
	if line.Start > 0 && buf[line.Start-1] != '\n' {
		t.Fatalf("line %v does not start after a newline", line)
	}
	if rest := buf[line.End:]; len(rest) > 0 && rest[0] != '\n' && !bytes.HasPrefix(rest, []byte("\r\n")) && !(len(rest) == 1 && rest[0] == '\r') {
		t.Fatalf("line %v does not end at a newline", line)
	}
	codeEnd := m.Offset + codeLen
	for _, d := range []Span{m.General, m.Context} {
		if d.Start < codeEnd || d.End < d.Start || d.End > line.End {
			t.Fatalf("description %v of the code at %d is outside its line %v", d, m.Offset, line)
		}
	}
	if m.General.Len() > DefaultMaxGeneral || m.Context.Len() > DefaultMaxContext {
		t.Fatalf("descriptions longer than their bounds: %d, %d", m.General.Len(), m.Context.Len())
	}
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

func TestScanManyLines(t *testing.T) {
	var buf bytes.Buffer
	for i, tc := range forms {
		fmt.Fprintf(&buf, "2026-11-20 10:00:%02d INFO ordinary line %d\n%s\n", i%60, i, tc.line)
	}
	for _, nc := range nonCodes {
		buf.WriteString(nc + "\n")
	}
	b := buf.Bytes()
	checkAgainstReference(t, b)
	// Each match's line must be one of the lines written above.
	for _, m := range Scan(nil, b) {
		line := string(m.Line.Of(b))
		ok := false
		for _, tc := range forms {
			if strings.TrimSuffix(tc.line, "\r") == line {
				ok = true
			}
		}
		if !ok {
			t.Errorf("match at %d has line %q, which was not written", m.Offset, line)
		}
	}
}

// TestScanCodesOnly: the same matches, codes, offsets and lines, as a full
// scan, with no descriptions.
func TestScanCodesOnly(t *testing.T) {
	var buf bytes.Buffer
	for _, tc := range forms {
		buf.WriteString(tc.line + "\n")
	}
	b := buf.Bytes()
	full := Scan(nil, b)
	codes := Scanner{CodesOnly: true}.Scan(nil, b)
	if len(codes) != len(full) || len(full) == 0 {
		t.Fatalf("%d matches codes only, %d in full", len(codes), len(full))
	}
	described := 0
	for i, m := range codes {
		f := full[i]
		if m.Code != f.Code || m.Offset != f.Offset || m.Line != f.Line {
			t.Errorf("match %d: codes only %+v, in full %+v", i, m, f)
		}
		if m.General.Len() != 0 || m.Context.Len() != 0 || m.GeneralCut || m.ContextCut {
			t.Errorf("match %d has descriptions codes only: %+v", i, m)
		}
		if f.General.Len() > 0 {
			described++
		}
	}
	if described == 0 {
		t.Error("no form has a general description in full: the test shows nothing")
	}
}

// TestScanCutEverywhere cuts a buffer holding codes at every byte: the
// scanner must agree with the reference on every prefix and every suffix,
// so that a code cut by a buffer boundary is never half-found or invented.
func TestScanCutEverywhere(t *testing.T) {
	buf := []byte("x ODPS-0130071:[1,8] Semantic - col\n报错ODPS-0420095: Access Denied\nODPS-0010000:a - b: ODPS-0123031:c\n")
	for k := 0; k <= len(buf); k++ {
		checkAgainstReference(t, buf[:k])
		checkAgainstReference(t, buf[k:])
	}
}

func TestScanBounds(t *testing.T) {
	long := strings.Repeat("x", 5000)
	cjk := strings.Repeat("错", 400) // 3 bytes each: a cut must not split one
	for _, tc := range []struct {
		name                   string
		line                   string
		generalCut, contextCut bool
	}{
		{"long general", "ODPS-0130071:" + long, true, false},
		{"long context", "ODPS-0130071:g - " + long, false, true},
		{"long cjk general", "ODPS-0130071:" + cjk, true, false},
		{"long cjk context", "ODPS-0130071:g - " + cjk, false, true},
		{"general exactly at bound", "ODPS-0130071:" + long[:DefaultMaxGeneral], false, false},
		{"context exactly at bound", "ODPS-0130071:g - " + long[:DefaultMaxContext], false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := []byte(tc.line)
			ms := Scan(nil, buf)
			if len(ms) != 1 {
				t.Fatalf("found %d codes, want 1", len(ms))
			}
			m := ms[0]
			checkSpans(t, buf, m)
			if m.GeneralCut != tc.generalCut || m.ContextCut != tc.contextCut {
				t.Errorf("cut = %v, %v; want %v, %v", m.GeneralCut, m.ContextCut, tc.generalCut, tc.contextCut)
			}
			for _, d := range []Span{m.General, m.Context} {
				if s := d.Of(buf); !utf8Valid(s) {
					t.Errorf("description %q is not valid UTF-8 after the cut", s)
				}
			}
		})
	}
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "\uFFFD") == string(b) }

func TestScanCustomBounds(t *testing.T) {
	buf := []byte("ODPS-0130071:general text - context text")
	m := Scanner{MaxGeneral: 4, MaxContext: 3}.Scan(nil, buf)[0]
	if g, c := string(m.General.Of(buf)), string(m.Context.Of(buf)); g != "gene" || c != "" || !m.GeneralCut {
		t.Errorf("general %q (cut %v), context %q; want %q (cut), %q", g, m.GeneralCut, c, "gene", "")
	}
	buf = []byte("ODPS-0130071:g - context text")
	m = Scanner{MaxGeneral: 4, MaxContext: 3}.Scan(nil, buf)[0]
	if c := string(m.Context.Of(buf)); c != "con" || !m.ContextCut {
		t.Errorf("context %q (cut %v), want %q (cut)", c, m.ContextCut, "con")
	}
}

func TestScanAppends(t *testing.T) {
	buf := []byte("ODPS-0130071 ODPS-0130161")
	dst := make([]Match, 1, 8)
	got := Scan(dst, buf)
	if len(got) != 3 || got[1].Code != 130071 || got[2].Code != 130161 {
		t.Fatalf("Scan appended %v", got)
	}
}

func TestScanAllocatesNothing(t *testing.T) {
	buf := []byte("2026-11-20 FAILED: ODPS-0010000:System internal error - SQL Runtime Internal Error: ODPS-0123031:Partition exception - x\n")
	dst := make([]Match, 0, 8)
	if n := testing.AllocsPerRun(100, func() { dst = Scan(dst[:0], buf) }); n != 0 {
		t.Errorf("Scan allocated %v times per run, want 0", n)
	}
}

// TestScanExamples checks the scanner against the reference on the shipped
// example logs, which mix codes, non-codes and ordinary lines.
func TestScanExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.log")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example logs in examples/")
	}
	for _, f := range files {
		buf, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, buf)
	}
}

func TestScanHugeBounds(t *testing.T) {
	buf := []byte("ODPS-0130071:general - context")
	m := Scanner{MaxGeneral: math.MaxInt, MaxContext: math.MaxInt}.Scan(nil, buf)
	if g, c := string(m[0].General.Of(buf)), string(m[0].Context.Of(buf)); g != "general" || c != "context" {
		t.Errorf("general %q context %q", g, c)
	}
}

// FuzzScanBounds checks the descriptions under small custom bounds: inside
// the line, after the code, in order, within the bounds, cut on UTF-8
// boundaries.
func FuzzScanBounds(f *testing.F) {
	f.Add([]byte("\"ODPS-0130071:a \\\" - b\\n\"\n<![CDATA[ODPS-0420111:x - y]]>"), 3, 2)
	f.Add([]byte("ODPS-0130071:[1,2] 错错错 - 错错"), 1, 1)
	f.Fuzz(func(t *testing.T, buf []byte, g, c int) {
		g, c = 1+int(uint(g)%16), 1+int(uint(c)%16)
		for _, m := range (Scanner{MaxGeneral: g, MaxContext: c}).Scan(nil, buf) {
			codeEnd := m.Offset + codeLen
			for _, d := range []Span{m.General, m.Context} {
				if d.Start < codeEnd || d.End < d.Start || d.End > m.Line.End {
					t.Fatalf("span %v outside line %v", d, m.Line)
				}
			}
			if m.General.Len() > g || m.Context.Len() > c {
				t.Fatalf("too long: %d > %d or %d > %d", m.General.Len(), g, m.Context.Len(), c)
			}
			if m.Context.Len() > 0 && m.General.End > m.Context.Start {
				t.Fatalf("general %v overlaps context %v", m.General, m.Context)
			}
			if utf8.Valid(m.Line.Of(buf)) && (!utf8.Valid(m.General.Of(buf)) || !utf8.Valid(m.Context.Of(buf))) {
				t.Fatalf("cut inside a UTF-8 sequence: %q %q", m.General.Of(buf), m.Context.Of(buf))
			}
		}
	})
}

func FuzzScan(f *testing.F) {
	for _, tc := range forms {
		f.Add([]byte(tc.line))
	}
	for _, nc := range nonCodes {
		f.Add([]byte(nc))
	}
	f.Add([]byte("\"ODPS-0130071:a \\\" - b\\n\"\n<![CDATA[ODPS-0420111:x - y]]>"))
	f.Fuzz(func(t *testing.T, buf []byte) {
		checkAgainstReference(t, buf)
	})
}
