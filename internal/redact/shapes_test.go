package redact

import (
	"net/url"
	"strings"
	"testing"
)

// Each input holds the token SECRETabc123XYZ (or its tail) after a name
// ending in "token"; none of it may survive.
func TestRedactsEveryShape(t *testing.T) {
	const s = "SECRETabc123XYZ"
	cases := []struct{ name, in, leak string }{
		{"JSON in a JSON string (escaped quotes)", `{"msg":"body={\"token\":\"` + s + `\",\"p\":\"demo\"}"}`, s},
		{"Python dict repr", `params={'token': '` + s + `', 'p': 'demo'}`, s},
		{"single-quoted", `token='` + s + `'`, s},
		{"double-quoted attr", `token="` + s + `"`, s},
		{"colon, header style", `x-odps-token: ` + s, s},
		{"spaces around =", `token = ` + s, s},
		{"\\x3d", `token\x3d` + s, s},
		{"JSON double-escaped \\\\u003d", `token\\u003d` + s, s},
		{"HTML entity &#61;", `token&#61;` + s, s},
		{"HTML entity &#x3D;", `token&#x3D;` + s, s},
		{"encoded three times", `token%25253D` + s, s},
		{"JSON-escaped slash in base64", `{"u":"?token=abcd\/` + s + `"}`, s},
		{"'*' in value", `token=abc*` + s, s},
		{"'!' in value", `token=abc!` + s, s},
		{"other percent-escape in value", `token=abc%20` + s, s},
		{"unicode in value", `token=abcé` + s, s},
		{"fullwidth equals", `token＝` + s, s},
		{"JSON inside a URL", "q=" + url.QueryEscape(`{"token":"`+s+`"}`), s},
		{"JSON inside a URL, encoded twice", "q=" + url.QueryEscape(url.QueryEscape(`{"token": "`+s+`"}`)), s},
		{"Python dict inside a URL", "q=" + url.QueryEscape(`{'token': '`+s+`'}`), s},
		{"encoded colon", "x-odps-token%3A%20" + s, s},
		{"path segment", "https://svc.example.com/api/token/" + s + "/x", s},
		{"path segment ending in token", "https://svc.example.com/api/sts_token/" + s + "?p=1", s},
		{"JSON in HTML, &quot;", `{&quot;token&quot;:&quot;` + s + `&quot;}`, s},
		{"JSON in HTML, &#34;", `{&#34;token&#34;: &#34;` + s + `&#34;}`, s},
		{"quoted in an attribute", `data-token=&quot;` + s + `&quot;`, s},
		{"Python dict in HTML, &#39;", `{&#39;token&#39;: &#39;` + s + `&#39;}`, s},
		// Found by review: the backslash of an escaped quote, encoded in
		// a URL (JSON inside a JSON string inside a URL), and quotes and
		// '=' escaped as \u0022 and \u003d (URL-encoded too).
		{"JSON in a JSON string inside a URL", "q=" + url.QueryEscape(`{\"token\":\"`+s+`\"}`), s},
		{"the same with a space", "q=" + strings.ReplaceAll(url.QueryEscape(`{\"token\": \"`+s+`\"}`), "+", "%20"), s},
		{"JSON string in a URL in JSON", `{"u":"https://lv/?d=` + url.QueryEscape(`{\"token\":\"`+s+`\"}`) + `"}`, s},
		{"quotes as \\u0022", `"token\u0022:\u0022` + s + `\u0022"`, s},
		{"name quoted as \\u0022", `\u0022token\u0022:\u0022` + s + `\u0022`, s},
		{"\\u003d URL-encoded", `token%5Cu003d` + s, s},
		{"quotes as \\u0027", `{\u0027token\u0027: \u0027` + s + `\u0027}`, s},
		// Found by review: a base64 value's '/' escaped in JSON, then
		// the JSON URL-encoded (%5C%2F) ended the value at the backslash.
		{"JSON-escaped slash inside a URL", "q=" + url.QueryEscape(`{"token":"abcd\/`+s+`"}`), s},
		{"\\u002f inside a URL", "q=" + url.QueryEscape(`{"token":"abcd\u002f`+s+`"}`), s},
		{"%5C%2F in a value", `token=abcd%5C%2F` + s, s},
		{"%5C%2F after an encoded =", `token%3Dabcd%5C%2F` + s, s},
		{"JSON in a JSON string in a URL, escaped slash", "q=" + url.QueryEscape(`{\"token\":\"abcd\\\/`+s+`\"}`), s},
		{"raw \\\\\\/ in a value", `{"u":"?token=abcd\\\/` + s + `"}`, s},
		// Found by the same review (they leaked before too).
		{"a bearer token", `x-odps-token: Bearer ` + s, s},
		{"basic credentials", `proxy_token: basic ` + s, s},
		{"Python 2 unicode string", `{'token': u'` + s + `'}`, s},
		{"Python bytes", `{'token': b"` + s + `"}`, s},
		{"JSON-escaped tab after the colon", `{\"token\":\t\"` + s + `\"}`, s},
		{"full-width colon", `token：` + s, s},
		{"ideographic space", `token　=　` + s, s},
		{"Authorization: token", `Authorization: token ` + s, s},
		// Found by the next review: the same header escaped or encoded.
		{"Authorization in a JSON string", `{\"Authorization\":\"token ` + s + `\"}`, s},
		{"Authorization URL-encoded", `Authorization%3A%20token%20` + s, s},
		{"Authorization as a form", `Authorization%3A+token+` + s, s},
		{"authorization= encoded", `authorization%3Dtoken%20` + s, s},
		{"Authorization with \\u003a", `Authorization\u003a token ` + s, s},
		{"authorization header in JSON", `{"authorization": "token ` + s + `"}`, s},
		// Shapes a review listed as not masked (2026-12-06), and the
		// Authorization header without the word token.
		{"XML element", `<token>` + s + `</token>`, s},
		{"XML element with a namespace", `<sts:SecurityToken>` + s + `</sts:SecurityToken>`, s},
		{"XML element, text on its own line", "<AccessToken>\n  " + s + "\n</AccessToken>", s},
		{"XML shown in HTML", `&lt;token&gt;` + s + `&lt;/token&gt;`, s},
		{"a flag", `odpscmd --token ` + s + ` -e "select 1"`, s},
		{"a flag, quoted value", `--access-token "` + s + `"`, s},
		{"a one-dash flag", `tool -token ` + s, s},
		{"Ruby or PHP hash", `{:token => "` + s + `"}`, s},
		{"PHP array", `['token'=>'` + s + `']`, s},
		{"Go assignment", `token := ` + s, s},
		{"Scala map", `Map(token -> ` + s + `)`, s},
		{"Authorization: Bearer", `Authorization: Bearer ` + s, s},
		{"Authorization: Basic", `Authorization: Basic ` + s, s},
		{"MaxCompute's own signature", `Authorization: ODPS LTAI5tEXAMPLE:` + s, s},
		{"Authorization, no scheme", `authorization=` + s + `&p=1`, s},
		{"Proxy-Authorization", `Proxy-Authorization: Basic ` + s, s},
		{"Authorization in a Python dict", `{'Authorization': 'Bearer ` + s + `'}`, s},
		{"Authorization in a JSON string", `{\"authorization\":\"Bearer ` + s + `\"}`, s},
		{"Authorization as a form", `Authorization=Bearer+` + s, s},
		{"Authorization URL-encoded", `Authorization%3A%20Bearer%20` + s, s},
		{"a quote escaped 31 times (JSON five deep)", `{` + strings.Repeat(`\`, 31) + `"token` + strings.Repeat(`\`, 31) + `":` + strings.Repeat(`\`, 31) + `"` + s + strings.Repeat(`\`, 31) + `"}`, s},
	}
	for _, c := range cases {
		if got := String(c.in); strings.Contains(got, c.leak) {
			t.Errorf("%s: String(%q) = %q", c.name, c.in, got)
		}
	}
}

// Shapes the brief listed that are handled.
func TestRedactsTheDocumentedShapes(t *testing.T) {
	const s = "SECRETabc123XYZ"
	for _, in := range []string{
		"Token=" + s, "token%3d" + s, "token%253D" + s, "&amp;token=" + s, `token\u003d` + s,
		`"token" : "` + s + `"`, `"token":"` + s + `=="\n`, "token=" + s, "token=ab%2Bcd%2F" + s + "%3D%3D",
		"?h=x%26token%3D" + s + "%26i%3D1", "token=ab%252B" + s, `token\u003dab\u002b` + s, "TOKEN=" + s,
		"sts_token=" + s, `"SecurityToken":"` + s + `"`,
	} {
		if got := String(in); strings.Contains(got, s) {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
}

// A line of many path segments named token (a megabyte of them, as long
// as a line gets) is read once: every value is masked, and the time is
// linear (reading all that follows each segment took minutes).
func TestManyPathSegments(t *testing.T) {
	in := strings.Repeat("/token/a1", (1<<20)/len("/token/a1"))
	out := String(in)
	if want := strings.Repeat("/token/"+Mask, (1<<20)/len("/token/a1")); out != want {
		t.Errorf("String of %d path segments: %d bytes, not every value masked", (1<<20)/len("/token/a1"), len(out))
	}
}

// Long runs of backslashes, raw or encoded, after a path segment named
// token or a name, are read in linear time (each backslash starts the
// search for an escaped form; a megabyte of them took minutes when the
// whole run was read again at each).
func TestLongBackslashRuns(t *testing.T) {
	for _, run := range []string{`\`, "%5C", "%255C"} {
		n := (1 << 20) / len(run)
		for _, prefix := range []string{"/token/x", "token=x", `"token":"x`} {
			in := prefix + strings.Repeat(run, n)
			if out := String(in); !strings.Contains(out, Mask) {
				t.Errorf("%s then %d× %s: nothing masked", prefix, n, run)
			}
		}
	}
}

// A path segment named token, in a URL encoded inside another or escaped
// in JSON (found by review: only raw slashes were read).
func TestRedactsEncodedPathSegments(t *testing.T) {
	const s = "SECRETabc123XYZ"
	for _, in := range []string{
		"next=https%3A%2F%2Fsvc.example.com%2Fapi%2Ftoken%2F" + s + "%2Fx",
		"next=https%253A%252F%252Fsvc.example.com%252Fapi%252Ftoken%252F" + s,
		`{"u":"https:\/\/svc.example.com\/api\/token\/` + s + `\/x"}`,
		`{"u":"https:\u002f\u002fsvc.example.com\u002fapi\u002ftoken\u002f` + s + `"}`,
		"next=https%3A%2F%2Fsvc.example.com%2Fapi%2Ftoken%2F" + s + "%3Fp%3D1",
	} {
		got := String(in)
		if strings.Contains(got, s) {
			t.Errorf("String(%q) = %q", in, got)
		}
		if !strings.Contains(got, Mask) {
			t.Errorf("String(%q) masked nothing", in)
		}
	}
	// The segment ends where the path goes on, encoded or not.
	if got := String("u=%2Fapi%2Ftoken%2F" + s + "%2Fjobs%3Fp%3D1"); got != "u=%2Fapi%2Ftoken%2F"+Mask+"%2Fjobs%3Fp%3D1" {
		t.Errorf("the value ran past its segment: %q", got)
	}
}

// Lines that end right after a name, a separator or a scheme, in every
// form, are read without going past their end (found by review:
// "Authorization: token " ending the line panicked, and a worker's panic
// takes the daemon down, on the same line again after a restart).
func TestShortEndings(t *testing.T) {
	ends := []string{"", " ", "\t", `"`, "'", "%20", "+", "　", `\t`, `\n`, `" `, "=", ":", "%3D", "%3d", "%5C", "%5", "%", "\\", `\u00`, `\x3`, "&#61", "%25", "/", "%2F", "%5C%2F", `\u003`, "：", "＝", "\xe3", "Bearer ", "u'", "u"}
	for _, prefix := range []string{"token", "TOKEN", "x-token: ", "Authorization: token", "authorization=token", `{\"Authorization\":\"token`, "Authorization%3A%20token", "/token", "/token/"} {
		for _, end := range ends {
			in := prefix + end
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("String(%q) panicked: %v", in, r)
					}
				}()
				if out := String(in); String(out) != out {
					t.Errorf("String(%q) = %q, and again %q", in, out, String(out))
				}
			}()
		}
	}
}

// Shapes a review of the Authorization and XML forms found leaking
// (2026-12-07): headers as Go and JSON print them, schemes with
// parameters, Python's prefixed strings, lists of arguments and pairs,
// XML escaped by JSON encoders, with attributes or CDATA; and the names
// besides "token" (STS answers carry AccessKeySecret beside SecurityToken).
func TestRedactsReviewedShapes(t *testing.T) {
	const s = "SECRETabc123XYZ"
	for _, in := range []string{
		"map[Authorization:[Bearer " + s + "] Content-Type:[application/json]]",
		`{"Authorization":["Bearer ` + s + `"]}`,
		`{"X-Odps-Security-Token":["` + s + `"]}`,
		"map[X-Odps-Token:[Bearer " + s + "]]",
		"Authorization: ACS3-HMAC-SHA256 Credential=LTAI5tKEY,SignedHeaders=host;x-acs-date,Signature=" + s,
		"Authorization: OSS LTAI5tKEY:" + s,
		"Authorization: OSS4-HMAC-SHA256 Credential=LTAI5tKEY/20250101/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host,Signature=" + s,
		"Authorization: LOG LTAI5tKEY:" + s,
		"Authorization: AWS AKIAKEY:" + s,
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + s,
		`Authorization: Digest username="u", realm="r", nonce="n", uri="/", response="` + s + `"`,
		`{"Authorization":"Digest username=\"u\", response=\"` + s + `\""}`,
		"Authorization: JWT " + s,
		"Authorization: SomeScheme " + s,
		"Authorization: Bearer Bearer " + s,
		"Authorization&#58; Bearer " + s,
		`{b'Authorization': b'Bearer ` + s + `'}`,
		`{u'Authorization': u'Bearer ` + s + `'}`,
		`[(b'Host', b'x'), (b'Authorization', b'Bearer ` + s + `')]`,
		`subprocess.CalledProcessError: Command '['odpscmd', '--token', '` + s + `']' returned non-zero exit status 1.`,
		`[odpscmd, --token, ` + s + `, -e, select 1]`,
		`["odpscmd","--token","` + s + `"]`,
		`{"body":"\u003cSecurityToken\u003e` + s + `\u003c/SecurityToken\u003e"}`,
		`%3CSecurityToken%3E` + s + `%3C%2FSecurityToken%3E`,
		`<wsse:BinarySecurityToken ValueType="x" EncodingType="y">` + s + `</wsse:BinarySecurityToken>`,
		`<SecurityToken><![CDATA[` + s + `]]></SecurityToken>`,
		`{"xml":"<SecurityToken>\n  ` + s + `\n</SecurityToken>"}`,
		`{"xml":"<Token>\r\n` + s + `</Token>"}`,
		"x-token: Token " + s,
		"x-token: ODPS LTAI:" + s,
		`x-token: BEARER\t` + s,
		`<AccessKeySecret>` + s + `</AccessKeySecret>`,
		`{"AccessKeyId":"STS.x","AccessKeySecret":"` + s + `","SecurityToken":"CAIS` + s + `"}`,
		"jdbc:odps:https://svc/api?project=p&accessId=LTAI&password=" + s,
		"client_secret=" + s,
		`"application-authentication": "` + s + `"`,
	} {
		if got := String(in); strings.Contains(got, s) {
			t.Errorf("String(%q)\n = %q", in, got)
		}
	}
}

// What is left of a header: the scheme where it is a known one, the
// header's other fields.
func TestKeepsWhatIsNoCredential(t *testing.T) {
	for in, want := range map[string]string{
		"Authorization: Bearer S1 Host: x":                           "Authorization: Bearer REDACTED Host: x",
		"map[Authorization:[Bearer S1] Content-Type:[text/plain]]":   "map[Authorization:[Bearer REDACTED] Content-Type:[text/plain]]",
		`{"Authorization":"ODPS id:sig","Host":"svc"}`:               `{"Authorization":"ODPS REDACTED","Host":"svc"}`,
		"Authorization: ACS3-HMAC-SHA256 Credential=a,Signature=b c": "Authorization: ACS3-HMAC-SHA256 REDACTED c",
		"Authorization: Unknown a, b=c d":                            "Authorization: REDACTED d",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q)\n = %q, want %q", in, got, want)
		}
	}
}

// Lines of a quarter of a megabyte, one unit repeated, are redacted (a quadratic
// reading would take minutes), the same twice.
func TestLongLinesOfOneUnit(t *testing.T) {
	for _, u := range []string{"authorization=", "Authorization: ", "authorization: Bearer ", "token ", "<token>", "&lt;token&gt;",
		"--token", "-token ", "-> ", "token->", "<ns:AccessToken>", "--token x-", "authorization%3Dtoken%3D", "token%3A", `"-token"`,
		"<tokentoken>", "Authorization: x, ", "a=\"", "'--token', ", "<SecurityToken a=\"", "Authorization: Digest a=\"b\", "} {
		for _, tail := range []string{"", "S", " S", "=S", ">"} {
			in := strings.Repeat(u, (256<<10)/len(u)) + tail
			out := String(in)
			if again := String(out); again != out {
				t.Errorf("%q×%d+%q: redacting twice changes it", u, (256<<10)/len(u), tail)
			}
		}
	}
}
