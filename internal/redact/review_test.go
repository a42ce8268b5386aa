package redact

import (
	"strings"
	"testing"
)

// Found by a second review (2026-12-07): JSON keys and the elements of
// lists after a credential's name are no values, nor is the prose after
// it ("password: NO").
func TestKeepsJSONKeysListsAndProse(t *testing.T) {
	for _, in := range []string{
		`{"Code":"InvalidSecurityToken","Message":"The security token you provided is invalid."}`,
		`{"grant_type":"password","username":"alice"}`,
		`{"code":"ODPS-0410001","module":"Web-Authentication","title":"Missing authentication parameters"}`,
		`columns=['id', 'password', 'email']`,
		`odps.df: columns: ["user_id","password","created_at"]`,
		`WARN fields ('token', 'expires_at') missing`,
		`KeyError: 'password', 'user'`,
		`["Web-Authentication","Invalid credentials"]`,
		`Access denied for user 'root'@'localhost' (using password: NO)`,
		`ODPS-0420095: Access Denied - Authorization: Failed [4019]`,
		`Web-Authentication: Invalid signature value`,
		`Authentication: failed for user ALIYUN$x`,
		`secret: not set`,
		`java.lang.IllegalArgumentException: secret: must not be null`,
		`schema: id:BIGINT,password:STRING,token:STRING`,
		`password=null`, `{"password":null}`, `pyodps: password: None`,
		`AccessKeyId=LTAI5tEXAMPLE`, "http://host:8080/path", "see https://example.com/a@b",
	} {
		if got := String(in); got != in {
			t.Errorf("String(%q)\n = %q, want it unchanged", in, got)
		}
	}
}

// Leaks the same review found: quoted values with spaces or punctuation,
// name and value dumps, URLs' passwords, access keys, signed URLs, tags
// with attributes in escaped forms.
func TestRedactsSecondReviewShapes(t *testing.T) {
	const s = "S3CR3T"
	for _, in := range []string{
		`{"password":"p@ss,` + s + `"}`, `password="a ` + s + `"`, `password='a;` + s + `'`,
		`{"name":"password","value":"` + s + `"}`,
		`<property><name>fs.oss.accessKeySecret</name><value>` + s + `</value></property>`,
		`\u003cSecurityToken a=\"b\"\u003e` + s, `%3Ctoken%20a%3D%22b%22%3E` + s, `&lt;token a=&quot;b&quot;&gt;` + s,
		"https://user:" + s + "@host/path", "jdbc:mysql://root:" + s + "@10.0.0.1:3306/db",
		"access_key=" + s, "spark.hadoop.odps.access.key=" + s, `"accessKey": "` + s + `"`,
		"jdbc:odps:https://svc/api?project=p&accessId=LTAI&accessKey=" + s,
		"secret_access_key='" + s + "'", "secret_key=" + s, "--access-key " + s,
		"https://b.oss-cn-hangzhou.aliyuncs.com/o?OSSAccessKeyId=LTAI&Expires=1&Signature=" + s,
		"X-Amz-Signature=" + s, `(b'Authorization', b'Bearer ` + s + `')`,
	} {
		if got := String(in); strings.Contains(got, s) {
			t.Errorf("String(%q)\n = %q", in, got)
		}
	}
}
