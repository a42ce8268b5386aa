package attrib

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// The plain links' fast reading gives what net/url's does, on links of
// every shape: plain ones, and ones it must leave to net/url (encoded,
// escaped, other schemes, ports, user info, fragments, path parameters,
// keys and values net/url would encode).
func TestLogViewPlainAsParsed(t *testing.T) {
	// Each list starts with the pieces of plain links (the first good of
	// them); half the links are drawn from those only.
	schemes, goodSchemes := []string{"http://", "https://", "HTTP://", "ftp://", ""}, 2
	hosts, goodHosts := []string{"logview.odps.aliyun.com", "Logview.ODPS.aliyun.com", "host:8080", "a-b.c",
		"host:", "h:abc", "", "[::1]", "u:p@host", "a_b"}, 4
	paths, goodPaths := []string{"/logview/", "", "//a/b/", "/~u/x.html", "/a;b", "/x y", "/%41"}, 4
	params, goodParams := []string{"h=http://service.odps.aliyun.com/api", "h=service-cn", "p=p_beta",
		"i=20261201090240093gb7kq1m5", "token=abc", "Token=x", "x_TOKEN=y", "a=", "a", "k=v=w", "z=1", "b=2", "b=1",
		"q=a?b", "c={x}", "d=a@b", "e=a,b", "g='x'",
		"token=XHiX8+hSQt/kxHR0j7==", "token=a%2Bb", "Token=%zz", "my_token=a+b",
		"=v", "k=a+b", "k=a%20b", "k=\u00e9", "f=a\\u0026b", "token=a#b", "token=a;b"}, 22
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(list []string, good int, plain bool) string {
		if plain {
			return list[rng.IntN(good)]
		}
		return list[rng.IntN(len(list))]
	}
	plain := 0
	for n := range 50000 {
		wantPlain := n%2 == 0
		var b strings.Builder
		b.WriteString(pick(schemes, goodSchemes, wantPlain))
		b.WriteString(pick(hosts, goodHosts, wantPlain))
		b.WriteString(pick(paths, goodPaths, wantPlain))
		if wantPlain || rng.IntN(8) > 0 {
			b.WriteByte('?')
			for i := range 1 + rng.IntN(6) {
				if i > 0 {
					b.WriteString(pick([]string{"&", "&&", ";"}, 2, wantPlain))
				}
				b.WriteString(pick(params, goodParams, wantPlain))
			}
			if !wantPlain && rng.IntN(10) == 0 {
				b.WriteString("#frag")
			}
		}
		link := []byte(b.String())
		got, ok := logViewPlain(link)
		if !ok {
			continue
		}
		plain++
		if want := logViewParsed(link); got != want {
			t.Fatalf("case %d, %q: read as %q, net/url reads %q", n, link, got, want)
		}
	}
	t.Logf("%d of 50000 links read as plain", plain)
	if plain < 20000 {
		t.Errorf("only %d links of 50000 read as plain: the test shows little", plain)
	}
}

func BenchmarkLogView(b *testing.B) {
	link := []byte("http://logview.odps.aliyun.com/logview/?h=http://service.cn-hangzhou.maxcompute.aliyun.com/api&p=p_beta&i=20261201090240093gb7kq1m5&token=XHiX803KOzgywNzbfU+hSQtMfSEZevn/kxHR0j7CDZXs")
	for _, c := range []struct {
		name string
		f    func([]byte) string
	}{{"plain", LogView}, {"net-url", logViewParsed}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(link)))
			for b.Loop() {
				c.f(link)
			}
		})
	}
}

// writeQueryEscaped escapes every byte of a plain query as net/url does.
func TestWriteQueryEscaped(t *testing.T) {
	for c := range 256 {
		if !queryText[c] {
			continue
		}
		var b strings.Builder
		writeQueryEscaped(&b, []byte{byte(c), 'a', byte(c)})
		if want := url.QueryEscape(string([]byte{byte(c), 'a', byte(c)})); b.String() != want {
			t.Errorf("%q: %q, net/url %q", byte(c), b.String(), want)
		}
	}
}
