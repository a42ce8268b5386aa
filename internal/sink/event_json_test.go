package sink

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/odpswatch/odpswatch/internal/scan"
)

func TestAppendEventJSONIsEncodingJSON(t *testing.T) {
	// Every field set, so that a field added to Event and not to
	// AppendEventJSON fails here.
	full := kafkaTestEvent(7)
	full.Schema = "odpswatch.event/v9"
	full.Origin = Origin{File: "/f", Topic: "logs", Partition: 3, Offset: 1 << 40}
	full.Time = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 5*3600+1800))
	checkEventJSON(t, full)
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("field %s of the full event is zero", v.Type().Field(i).Name)
		}
	}
	checkEventJSON(t, Event{}) // omitted origin fields, default schema, zero time

	pieces := []string{"a", "Z", " ", "\x00", "\x01", "\x1f", "\x7f", "\b", "\f", "\n", "\r", "\t", "\"", "\\", "/", "<", ">", "&",
		"é", "世", "😀", "\u2028", "\u2029", "\ufffd", "\xff", "\x80", "\xe4\xb8", "\xed\xa0\x80", "ODPS-0130071"}
	r := rand.New(rand.NewPCG(1, 2))
	str := func(max int) string {
		var sb strings.Builder
		for n := r.IntN(max); sb.Len() < n; {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		return sb.String()
	}
	for range 1000 {
		e := Event{
			Schema: str(3), Time: time.Unix(r.Int64N(1<<36), r.Int64N(1e9)), Host: str(20), Source: str(20),
			Origin: Origin{File: str(30), Topic: str(3), Partition: r.IntN(3), Offset: r.Int64()},
			Code:   str(14), Family: str(10), Module: str(10), Severity: r.IntN(10),
			Title: str(700), General: str(700), Context: str(700), Line: str(1500),
			Instance: str(200), Project: str(200), LogView: str(1500), RequestID: str(200), RootCause: str(14), Failure: str(7),
		}
		checkEventJSON(t, e)
	}
}

// checkEventJSON compares AppendEventJSON with encoding/json on the event
// as the sink bounds it.
func checkEventJSON(t *testing.T, e Event) {
	t.Helper()
	got := AppendEventJSON([]byte("prefix"), &e)
	if !bytes.HasPrefix(got, []byte("prefix")) {
		t.Fatal("prefix lost")
	}
	got = got[len("prefix"):]
	if e.Schema == "" {
		e.Schema = EventSchema
	}
	e.Title, e.General, e.Context = scan.CutUTF8(e.Title, MaxEventDescription), scan.CutUTF8(e.General, MaxEventDescription), scan.CutUTF8(e.Context, MaxEventDescription)
	e.Line, e.LogView = scan.CutUTF8(e.Line, MaxEventLine), scan.CutUTF8(e.LogView, MaxEventLine)
	e.Instance, e.Project, e.RequestID = scan.CutUTF8(e.Instance, MaxEventID), scan.CutUTF8(e.Project, MaxEventID), scan.CutUTF8(e.RequestID, MaxEventID)
	want, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendEventJSON\n%q\nencoding/json\n%q", got, want)
	}
}

func TestEventTextsAreBounded(t *testing.T) {
	e := kafkaTestEvent(1)
	e.Line = strings.Repeat("世", 1000)                // 3000 bytes
	e.Title = strings.Repeat("a", 511) + "é" + "tail" // é straddles byte 512
	e.General = strings.Repeat("b", 600)
	e.Context = strings.Repeat("😀", 200)
	var got Event
	if err := json.Unmarshal(AppendEventJSON(nil, &e), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Line) != 1023 || !utf8.ValidString(got.Line) { // 341 whole runes
		t.Errorf("line of %d bytes, valid %v", len(got.Line), utf8.ValidString(got.Line))
	}
	if got.Title != strings.Repeat("a", 511) {
		t.Errorf("title %q", got.Title)
	}
	if len(got.General) != 512 || len(got.Context) != 512 || !utf8.ValidString(got.Context) {
		t.Errorf("general %d bytes, context %d bytes", len(got.General), len(got.Context))
	}
	if got.Schema != EventSchema {
		t.Errorf("schema %q", got.Schema)
	}

	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"ab世", 3, "ab"},
		{"ab世", 4, "ab"},
		{"ab世", 5, "ab世"},
		{"a\x80\x80\x80\x80\x80", 4, "a\x80\x80\x80"}, // not UTF-8: cut at n
		{"\x80\x80", 1, "\x80"},
	} {
		if got := scan.CutUTF8(tc.s, tc.n); got != tc.want {
			t.Errorf("scan.CutUTF8(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
