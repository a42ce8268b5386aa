package redact

import (
	"net/url"
	"strings"
	"testing"
)

const secret = "ZmFrZS1weS10b2tlbi0zYg=="

func TestRedacts(t *testing.T) {
	lv := "https://logview.example.com/logview/?h=https://svc.example.com/api&p=demo&i=20261122003007604gkq2z7x3d&token=" + secret
	encoded := url.QueryEscape(lv)
	cases := []struct{ name, in, want string }{
		{"plain, last parameter", "Log view: " + lv,
			"Log view: https://logview.example.com/logview/?h=https://svc.example.com/api&p=demo&i=20261122003007604gkq2z7x3d&token=REDACTED"},
		{"plain, then more parameters", "?token=" + secret + "&i=123 done", "?token=REDACTED&i=123 done"},
		{"first parameter", "?token=abc.def-ghi_jkl~x/y+z&p=demo", "?token=REDACTED&p=demo"},
		{"URL-encoded inside another URL", "next=" + encoded, "next=" + strings.Replace(encoded, url.QueryEscape(secret), "REDACTED", 1)},
		{"encoded twice", "u=" + url.QueryEscape(encoded), "u=" + strings.Replace(url.QueryEscape(encoded), url.QueryEscape(url.QueryEscape(secret)), "REDACTED", 1)},
		{"JSON, & escaped", `{"msg":"logview ?p=demo\u0026token=` + secret + `\u0026i=1"}`, `{"msg":"logview ?p=demo\u0026token=REDACTED\u0026i=1"}`},
		{"JSON key", `{"token": "` + secret + `", "p": "demo"}`, `{"token": "REDACTED", "p": "demo"}`},
		{"JSON key ending in token", `{"sts_token":"` + secret + `"}`, `{"sts_token":"REDACTED"}`},
		{"any case", "TOKEN=" + secret + " Token%3D" + url.QueryEscape(secret), "TOKEN=REDACTED Token%3DREDACTED"},
		{"access_token", "access_token=" + secret + "&x=1", "access_token=REDACTED&x=1"},
		{"quoted", `href="?token=` + secret + `">`, `href="?token=REDACTED">`},
		{"two of them", "token=a1 token=b2", "token=REDACTED token=REDACTED"},
		{"escaped equals", `token\u003d` + secret, `token\u003dREDACTED`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := String(c.in); got != c.want {
				t.Errorf("String(%q)\n = %q\nwant %q", c.in, got, c.want)
			}
			if got := string(Bytes([]byte(c.in))); got != c.want {
				t.Errorf("Bytes(%q) = %q", c.in, got)
			}
			if strings.Contains(String(c.in), secret) || strings.Contains(String(c.in), url.QueryEscape(secret)) {
				t.Errorf("the token is still in %q", String(c.in))
			}
		})
	}
}

// Text that merely mentions tokens, or holds none, is left alone. (What
// follows "token:" is masked even in prose, "the token: was refused": a
// secret is better masked where none was.)
func TestLeavesTheRestAlone(t *testing.T) {
	for _, in := range []string{
		"", "no secret here", "ODPS-0130071:[1,8] Semantic analysis exception - tokenizer failed near 'x'",
		"token count 17", "token=", "token=&p=1", "mytokens=1", "tokens: 3",
		"FAILED: ODPS-0420095: Access Denied - Authorization Failed [4019]",
		"Authorization failed for user x", "authorization denied", "<tokens>3</tokens>", "non-token words",
		"token->", "tokens -> ids", "x-token", "Authorization: ",
		"ODPS-0420095: Access Denied - Authorization Failed [4002]", "Authorization header is invalid",
		"tokens := tokenize(line)", "-token_score", "secrets: 3", "password policy", "Authentication failed for u",
	} {
		if got := String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestNoAllocationWithoutAToken(t *testing.T) {
	b := []byte("2026-11-22 08:30:07,410 ERROR ODPS-0130071:[1,8] Semantic analysis exception - column x cannot be resolved")
	if n := testing.AllocsPerRun(100, func() { Bytes(b) }); n != 0 {
		t.Errorf("%v allocations for a line without token, want 0", n)
	}
	s := string(b)
	if n := testing.AllocsPerRun(100, func() { String(s) }); n != 0 {
		t.Errorf("%v allocations for a string without token, want 0", n)
	}
	// A URL without a password, a word that is no name: looked at, not
	// copied.
	for _, s := range []string{"ODPS-0130071: see https://help.aliyun.com/document/1.html", "ODPS-0130071: the tokenizer failed"} {
		if n := testing.AllocsPerRun(100, func() { String(s) }); n != 0 {
			t.Errorf("%v allocations for %q, want 0", n, s)
		}
	}
}

// FuzzRedact: a token planted anywhere, in any of its forms, never comes
// out; redacting twice changes nothing more; no panic.
func FuzzRedact(f *testing.F) {
	f.Add("prefix ", " suffix", uint8(0), "Zm9v")
	f.Add(`{"m":"`, `\u0026i=1"}`, uint8(3), "YWJj+/=")
	f.Add("", "", uint8(1), "x")
	f.Fuzz(func(t *testing.T, before, after string, form uint8, tok string) {
		tok = "S" + strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune("+/=-_", r) {
				return r
			}
			return -1
		}, tok) + "E"
		var planted, shown string
		switch form % 14 {
		case 0:
			planted, shown = "?p=x&token="+tok, tok
		case 1:
			planted, shown = "next="+url.QueryEscape("?token="+tok+"&i=1"), url.QueryEscape(tok)
		case 2:
			planted, shown = `?p=x\u0026token=`+tok+`\u0026i=1`, tok
		case 3:
			planted, shown = `"token": "`+tok+`"`, tok
		case 4:
			planted, shown = "q="+url.QueryEscape(`{"token": "`+tok+`"}`), url.QueryEscape(tok)
		case 5:
			// A path segment holds no '/'.
			tok = strings.ReplaceAll(tok, "/", "_")
			planted, shown = "https://svc.example.com/api/token/"+tok+"/x", tok
		case 6:
			// The same, as a parameter of another URL.
			tok = strings.ReplaceAll(tok, "/", "_")
			planted, shown = "next="+url.QueryEscape("https://svc.example.com/api/token/"+tok+"/x"), url.QueryEscape(tok)
		case 7:
			// JSON in a JSON string, inside a URL.
			planted, shown = "q="+url.QueryEscape(`{\"token\":\"`+tok+`\"}`), url.QueryEscape(tok)
		case 8:
			planted, shown = `\u0022token\u0022: \u0022`+tok+`\u0022`, tok
		case 9:
			// JSON's escaped '/' (\/) in a URL (found by review).
			esc := strings.ReplaceAll(tok, "/", `\/`)
			planted, shown = "q="+url.QueryEscape(`{"token":"`+esc+`"}`), url.QueryEscape(esc)
		case 10:
			planted, shown = "<token>"+tok+"</token>", tok
		case 11:
			planted, shown = "--token "+tok, tok
		case 12:
			planted, shown = "Authorization: Bearer "+tok, tok
		case 13:
			planted, shown = `{:token => "`+tok+`"}`, tok
		}
		// What follows the token must end it, as in a real log.
		in := before + " " + planted + " " + after
		out := String(in)
		if strings.Contains(out, shown) && !strings.Contains(before+after, shown) {
			t.Fatalf("token %q still in %q", shown, out)
		}
		if again := String(out); again != out {
			t.Fatalf("redacting twice: %q, then %q", out, again)
		}
	})
}

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://alerts:pa55@hooks.example.com/services/T0/B0/SECRET?token=x": "https://hooks.example.com/…",
		"http://127.0.0.1:9093/api/v2/alerts":                                 "http://127.0.0.1:9093/…",
		"http://127.0.0.1:9093":                                               "http://127.0.0.1:9093",
		"not a url":                                                           "(a URL)",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestURLCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://alerts:pa55@hooks.example.com/odps?team=data&token=x&api_key=y": "https://alerts:REDACTED@hooks.example.com/odps?api_key=REDACTED&team=data&token=REDACTED",
		"https://tok3n@am.example.com/":                                          "https://REDACTED@am.example.com/",
		"https://hooks.example.com/odps?team=data":                               "https://hooks.example.com/odps?team=data",
	} {
		if got := URLCredentials(in); got != want {
			t.Errorf("URLCredentials(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// pieces are what token shapes are made of: names, separators, quotes
// and spaces in their forms, escapes and encodings cut anywhere.
var pieces = []string{"token", "TOKEN", "Token", "=", ":", "%3D", "%253D", "%3A", "%5C", "%255C", `\`, "/", "%2F",
	"%252F", "u002f", "u003d", "u0022", "u0026", "x3d", "%22", "%27", "%26", `"`, "'", " ", "\t", "+", "%20", "%2B",
	"&", "Authorization", "authorization", "Bearer ", "basic ", "ODPS ", "<", ">", "&lt;", "&gt;", "--", "=>", "->", ":=", "u", "b", "x", "S", "\u3000", "\uff1a", "\uff1d",
	"&#61;", "&quot;", "25", "2f", "?", "#", `\n`, `\t`, Mask, "a1", "_", "-", ".", "{", "}", ",", "%", "2", "5",
	"c", "C", "\n", "\xe3"}

// Any sequence of pieces is redacted without a panic, and what comes
// out comes out again unchanged (String and Bytes alike). Written after a
// review found a line ending in "Authorization: token " read past its
// end.
func FuzzRedactPieces(f *testing.F) {
	f.Add([]byte{30, 4, 0, 24})
	f.Add([]byte{0, 20, 24, 9})
	f.Fuzz(func(t *testing.T, sel []byte) { checkLine(t, joinPieces(pieces, sel)) })
}

// joinPieces joins the pieces that sel selects.
func joinPieces(pieces []string, sel []byte) []byte {
	var b []byte
	for _, c := range sel {
		b = append(b, pieces[int(c)%len(pieces)]...)
	}
	return b
}

// checkLine checks what every fuzzer here asks of a line b: what comes
// out of it comes out again unchanged, and the same from String and
// Bytes (and no panic).
func checkLine(t *testing.T, b []byte) {
	t.Helper()
	out := String(string(b))
	if again := String(out); again != out {
		t.Fatalf("%q: %q, then %q", b, out, again)
	}
	if got := string(Bytes(b)); got != out {
		t.Fatalf("%q: Bytes %q, String %q", b, got, out)
	}
}

// FuzzRedactRaw: any line is redacted without a panic, the same twice,
// by Bytes as by String (written by a review of the Authorization and XML
// forms).
func FuzzRedactRaw(f *testing.F) {
	for _, s := range []string{"Authorization: Bearer S", "<token>S</token>", "--token S", "token => S", "&lt;token&gt;S",
		"authorization=token\"=S", "map[Authorization:[Bearer S]]", "Authorization: ODPS id:sig", "x-token: Bearer S",
		"/token/S/x", `{\"token\":\"S\"}`, `Authorization: Digest a="b", response="S"`, "['--token', 'S']",
		`\u003cSecurityToken\u003eS`, "<SecurityToken a=\"x\"><![CDATA[S]]>", "AccessKeySecret=S", "password: S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { checkLine(t, []byte(in)) })
}

// morePieces are the pieces of the names and forms added after pieces (a
// second review's): other names, schemes, tags and their escapes, lists.
var morePieces = []string{"token", "Secret", "PASSWORD", "authentication", "Authorization", "Bearer ", "Digest ", "Unknown ",
	"=", ":", "%3D", "%3A", `\`, "%5C", "/", "%2F", "u003c", "u003e", "%3C", "%3E", "<", ">", "&lt;", "&gt;", "<![CDATA[", "]]>",
	`"`, "'", "%22", `\"`, "&quot;", " ", "\t", "+", "%20", ",", ", ", ";", "[", "]", "(", ")", "{", "}", "b", "u", "x", "S", "a=",
	"Credential=", "response=", "--", "-", "=>", "->", ":=", "\n", `\n`, "&", "\uff1a", "\u3000", Mask, Mask + " ", "ns:", "_", ".",
	"a1", "map[", "&#58;", "?", "access_key", "accessKey", "Signature", "://", "@", "</name>", "<value>", "value", "name", "NO", "null",
	"sk", "odpscmd", " -p ", "ODPS(", "odps.access.key", "task", "mysql", "-p", "#", "root:", "3306", `'\''`, "u'", " mysql -uroot "}

// FuzzRedactMorePieces is FuzzRedactPieces over morePieces.
func FuzzRedactMorePieces(f *testing.F) {
	f.Add([]byte{4, 9, 5, 19})
	f.Add([]byte{77, 9, 74, 75, 21, 70})
	f.Fuzz(func(t *testing.T, sel []byte) { checkLine(t, joinPieces(morePieces, sel)) })
}
