package oneshot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// indentLikeEncodingJSON is what the indenter must write: encoding/json's
// own indentation.
func indentLikeEncodingJSON(t testing.TB, compact []byte) string {
	var want bytes.Buffer
	if err := json.Indent(&want, compact, "", "  "); err != nil {
		t.Fatalf("json.Indent(%q): %v", compact, err)
	}
	return want.String()
}

func indented(t testing.TB, compact []byte) string {
	var got bytes.Buffer
	w := bufio.NewWriterSize(&got, 16) // small: values cross flushes
	in := indenter{w: w}
	in.write(compact)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return got.String()
}

func TestWriteIndentedIsEncodingJSONs(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[{}],"c":[[],[1]]}`, `"x"`, `17`, `null`, `[true,false,null,-1.5e+10]`,
		`{"s":"a \"quoted\" {word}, [x]: y","t":"\\","u":"\\\"","v":"\u2028\ufffd\n\t\\\\"}`,
		`{"deep":` + strings.Repeat(`[`, 40) + `1` + strings.Repeat(`]`, 40) + `}`,
		"{\"a\":1,\"b\":\"line\"}\n",
	} {
		if got, want := indented(t, []byte(in)), indentLikeEncodingJSON(t, []byte(in)); got != want {
			t.Errorf("indenter.write(%q)\n%s\nwant\n%s", in, got, want)
		}
	}
}

// FuzzWriteIndented: on any JSON value, made compact as the encoder
// writes it, the indenter writes what json.Indent does.
func FuzzWriteIndented(f *testing.F) {
	f.Add(`{"a": [1, {"b": "c\"d"}], "e": {}}`)
	f.Add(`[ [ ], { }, "\\", "\u0022" ]`)
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(in)); err != nil {
			t.Fatal(err)
		}
		if got, want := indented(t, compact.Bytes()), indentLikeEncodingJSON(t, compact.Bytes()); got != want {
			t.Fatalf("indenter.write(%q)\n%s\nwant\n%s", compact.Bytes(), got, want)
		}
	})
}

// The report with its jobs encoded apart is the report encoded whole, as
// encoding/json indents it, whatever its strings hold ("jobs":[] too).
func TestWriteJSONJobsIsTheWholeReport(t *testing.T) {
	tricky := `a "jobs":[] b, {"jobs":[]}`
	doc := JSON{
		Files: []JSONFile{}, Folded: []JSONFolded{}, FailedJobs: 2,
		Codes: []JSONCode{{Code: "ODPS-0130071", Sample: tricky, General: `"jobs":[]`}},
	}
	jobs := []JSONJob{
		{File: "a.log", Instance: "20261201090240093gb7kq1m5", RequestIDs: []string{}, Codes: []JSONJobCode{{Code: "ODPS-0130071", Count: 2}},
			RootCause: &JSONRootCause{Code: "ODPS-0130071", Message: tricky}},
		{File: "b.log", RequestIDs: []string{"r1"}, Codes: []JSONJobCode{}},
	}
	encode := func(doc JSON, indent bool) []byte {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if indent {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, n := range []int{0, 1, 2} {
		whole := doc
		whole.Jobs = jobs[:n]
		want := encode(whole, true)
		apart := doc
		apart.Jobs = []JSONJob{}
		var got bytes.Buffer
		if err := writeJSONJobs(bufio.NewWriterSize(&got, 16), encode(apart, false), jobs[:n]); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%d jobs:\n%s\nwant\n%s", n, got.Bytes(), want)
		}
	}
}
