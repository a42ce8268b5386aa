package redact

import (
	"strings"
	"testing"
)

// Found by a second review (2026-12-07): JSON keys and the elements of
// lists after a credential's name are no values, nor is the prose after
// it ("password: NO"). (A pair of strings opened by '(' is: Python prints
// a header so, ('x-token', 'S'), and a pair of column names, ('token',
// 'expires_at'), cannot be told from it.)
func TestKeepsJSONKeysListsAndProse(t *testing.T) {
	for _, in := range []string{
		`{"Code":"InvalidSecurityToken","Message":"The security token you provided is invalid."}`,
		`{"grant_type":"password","username":"alice"}`,
		`{"code":"ODPS-0410001","module":"Web-Authentication","title":"Missing authentication parameters"}`,
		`columns=['id', 'password', 'email']`,
		`odps.df: columns: ["user_id","password","created_at"]`,
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

// Found by a third review (2026-12-07): quoted values whatever their
// first byte, longer than a KiB, ending in an escaped backslash; pairs
// opened by '(' (Python's headers, Scala's configuration entries); a word
// of prose cut by ',' or '&' (password=true,2024!); ODBC's PWD; element
// text with spaces.
func TestRedactsThirdReviewShapes(t *testing.T) {
	const s = "S3CR3T"
	for _, in := range []string{
		`{"password":"&` + s + `"}`, `{"password":";` + s + `"}`, `{"password":"<` + s + `"}`,
		`{"password":"\"` + s + `"}`, `{"password":"\\` + s + `"}`, `{"password":" ` + s + `"}`,
		`{"password":"'` + s + `"}`, `password='&` + s + `'`, `{"password":"\u0026` + s + `"}`,
		`password="` + strings.Repeat("a", 1050) + ` ` + s + `"`,
		`password="` + strings.Repeat("a", 9000) + ` ` + s + `"`,
		`{"secret":"-----BEGIN RSA PRIVATE KEY-----\n` + strings.Repeat("MIIEpAIBAAKCAQEA", 80) + s + `\n-----END RSA PRIVATE KEY-----"}`,
		`[('Content-Type', 'application/json'), ('x-odps-security-token', '` + s + `')]`,
		`dict_items([('token', '` + s + `'), ('user', 'bob')])`, `('password', '` + s + `')`,
		`(spark.hadoop.odps.access.key,` + s + `)`, `Array((spark.hadoop.odps.access.key,` + s + `))`,
		`Driver={MySQL ODBC 8.0};UID=root;PWD=` + s + `;`, `{"pwd":"` + s + `"}`, `passwd=` + s,
		`<password>a ` + s + `</password>`, `x-token=db_pwd"=` + s, `&lt;password&gt;a ` + s + `&lt;/password&gt;`,
		`{"x":"\u003cpassword\u003ea ` + s + `\u003c/password\u003e"}`,
	} {
		out := String(in)
		if strings.Contains(out, s) {
			t.Errorf("leak: String(%.120q)\n = %.200q", in, out)
		}
		if again := String(out); again != out {
			t.Errorf("not idempotent: %.120q -> %.120q", out, again)
		}
	}
	// A word a credential never is, cut by ',', ';' or '&' from what
	// follows, is masked (as far as an unquoted value goes: to the ',').
	for _, in := range []string{"password=true,2024!", "password=Invalid;Pass2024", "password=no&S3CR3T"} {
		if got := String(in); !strings.HasPrefix(got, "password=REDACTED") {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
	for in, want := range map[string]string{
		`{"password":"a\\","user":"bob"}`:                           `{"password":"REDACTED","user":"bob"}`,
		`tunnel: session created, signature=v4, region=cn-hangzhou`: `tunnel: session created, signature=v4, region=cn-hangzhou`,
		`[auth] Signature: mismatch (expected HMAC-SHA256)`:         `[auth] Signature: mismatch (expected HMAC-SHA256)`,
		`INFO  SecretManager - secret: rotated successfully`:        `INFO  SecretManager - secret: rotated successfully`,
		`INFO Authorization: passed for user ALIYUN$etl@aliyun.com`: `INFO Authorization: passed for user ALIYUN$etl@aliyun.com`,
		`DEBUG authorization: ok`:                                   `DEBUG authorization: ok`,
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// Every word, with every case of its first two letters, passes the
// first-two-bytes filter (the third review's check).
func TestFilterKeepsEveryWordInEveryCase(t *testing.T) {
	for _, w := range append(append([]string{}, names...), authNames...) { // callWords: TestPositionalCredentials
		for m := 0; m < 4; m++ {
			b := []byte(w)
			for i := 0; i < 2; i++ {
				if m&(1<<i) != 0 && 'a' <= b[i] && b[i] <= 'z' {
					b[i] -= 'a' - 'A'
				}
			}
			for _, s := range []string{string(b), strings.ToUpper(string(b)), string(b[:2]) + strings.ToUpper(string(b[2:]))} {
				if n, _ := wordAt(s); !mayStartWord(s) || n == 0 || !has(s) || !has([]byte(s)) {
					t.Errorf("filter drops %q", s)
				}
				if got := String(s + "=S3CR3T"); strings.Contains(got, "S3CR3T") {
					t.Errorf("String(%q) = %q", s+"=S3CR3T", got)
				}
			}
		}
	}
}

// Found by the fourth review (2026-12-07, on scan's JSON): a secret key
// by its whole short name (sk=, beside ak=), a configuration key printed
// with a space (odps.access.key S), and credentials known by their place:
// odpscmd's -p and PyODPS's ODPS('ID', 'KEY', ...).
func TestPositionalCredentials(t *testing.T) {
	const s = "S3CR3T"
	for _, in := range []string{
		`command "odpscmd -u LTAI5tQWERTY -p ` + s + ` --project=etl_proj -f job.sql" failed`,
		`odpscmd -u LTAI5tQWERTY -p '` + s + `' -e "select 1;"`, `/opt/odpscmd/bin/odpscmd -u id -p=` + s,
		`ODPSCMD --project=p -u id -p ` + s, `ak=LTAI5tQWERTY sk=` + s, `{"ak":"LTAI","sk":"` + s + `"}`, `SK: ` + s,
		`odps.access.id=LTAI odps.access.key ` + s, `spark.hadoop.odps.access.key  ` + s,
		`o = ODPS('LTAI5tQWERTY', '` + s + `', 'etl_proj', endpoint='http://x')`,
		`odps.ODPS("LTAI", "` + s + `", project="p")`, `ODPS( 'LTAI' ,'` + s + `')`,
		// The review of these rules.
		`odpscmd.bat -u ID -p ` + s, "odpscmd -u ID\t-p " + s, "odpscmd -u ID -p\t" + s, `ODPS(r'ID', r'` + s + `')`,
		`--sk=` + s, `ALIYUN_SK=` + s, `x-sk: ` + s, `odpscmd -u 'ID' -p '` + s + `'`,
		// The third review: a Python argument list, '&' inside a URL.
		`subprocess.CalledProcessError: Command '['odpscmd', '-u', 'LTAI', '-p', '` + s + `', '-e', 'select 1;']' returned non-zero exit status 1.`,
		`Running command: ["odpscmd", "-u", "LTAI", "-p", "` + s + `"]`,
		`odpscmd -u ID --endpoint=http://svc/api?x=1&y=2 -p ` + s,
	} {
		out := String(in)
		if strings.Contains(out, s) {
			t.Errorf("leak: String(%q)\n = %q", in, out)
		}
		if again := String(out); again != out {
			t.Errorf("not idempotent: %q -> %q", out, again)
		}
	}
	for _, in := range []string{
		"task=etl_daily disk=80% risk: low", `{"task":"ods_sync"}`, "odpscmd -u LTAI -e 'select 1;' --project=p",
		"mkdir -p /tmp/x", "odpscmd_home=/opt/tools -p 8080", "ODPS(project='p', endpoint='e')", "ODPS(os.getenv('ID'), key)",
		"odps.access.id LTAI5tEXAMPLE", "password expired for user bob",
		"run odpscmd then mkdir -p /tmp/x", `odpscmd -e "ls tables -p proj"`, "odpscmd -u ID; mkdir -p /tmp/x",
		"Missing config odps.access.key in file", "Setting odps.access.key to a new value", "invalid ak/sk: please check",
		"where ss_item_sk=12345 cannot be resolved", "ss_sold_date_sk = d_date_sk", `{"user_sk": 123456}`, "partition (date_sk='20261121')",
		"odpscmd -u ID -e 'select 1;' & mkdir -p /tmp/x", `['odpscmd', '-u', 'ID', '-e', 'ls -p']`,
	} {
		if got := String(in); got != in {
			t.Errorf("String(%q)\n = %q, want it unchanged", in, got)
		}
	}
}

// Found by FuzzRedactMorePieces: an empty element's name inside a value
// (<access_key>, then a line end and the next '<') ended the value before
// the next '<', which a second pass then masked too: redacting twice must
// change nothing.
func TestAnEmptyElementInAValue(t *testing.T) {
	for _, in := range []string{"Secret:=a=%3Caccess_key%3E\n%3C", "password=a<token>\n<x", "ODPs( 0000", "ODPS('a'"} {
		out := String(in)
		if again := String(out); again != out {
			t.Errorf("String(%q) = %q, then %q", in, out, again)
		}
	}
}

// Left alone before, taken 2026-12-07: a password given to a command's -p
// attached to the flag (odpscmd -pKEY, MySQL's and MariaDB's clients'
// -pS, the form their scripts print with set -x), and a URL's password
// with a '/', '?' or '#' its writer did not encode. With the forms a
// review of the first version found leaking: the -p quoted whole (bash's
// trace of a password with a space or a shell character, Python's and
// JSON's argument lists, CalledProcessError's message), a value holding
// ',' ';' '&' '%' or '<', the family's other clients, a database before
// the options, a JSON string's "\/", a later -p after an empty one. What
// looks the same but is none stays: mysql's -p alone prompts (the word or
// item after it is a database), a URL's port is digits (or a list of
// hosts and ports, or IPv6), and a '/' after it starts the path.
func TestRedactsAttachedFlagsAndRawURLPasswords(t *testing.T) {
	const s = "S3CR3T"
	for _, in := range []string{
		"odpscmd -u LTAI5tEXAMPLE -p" + s + " -e 'select 1;'",
		"odpscmd.bat --project=p -e 'x' -p" + s,
		"mysql -h db -uroot -p" + s + " -e 'select 1'",
		"+ mysqldump -uroot -p'a b " + s + "' ods > ods.sql",
		"mysqladmin -p" + s + " status",
		"jdbc:mysql://root:pa/" + s + "@db.example.com:3306/ods",
		"jdbc:mysql://root:" + s + "?x@db:3306/ods", "redis://:a#" + s + "@cache:6379/0",
		// Found by the review.
		"+ mysql -uroot '-p" + s + "!'", "+ mysqldump -uroot '-ppa;" + s + "' ods", "+ mysql -uroot '-pa " + s + "' ods",
		"+ odpscmd -u LTAI '-p" + s + "!' -e 'x'",
		"['mysql', '-uroot', '-p" + s + "', 'ods']",
		"CalledProcessError: Command '['mysql', '-uroot', '-p" + s + "', '-e', 'x']' returned non-zero exit status 1.",
		`{"args":["mysql","-uroot","-p` + s + `"]}`, `{"msg":"[\"mysql\", \"-p` + s + `\"]"}`,
		`exec.Command("mysql", "-uroot", "-p` + s + `")`, "['odpscmd', '-u', 'ID', '-p" + s + "']",
		`mysql -uroot "-pa ` + s + `"`,
		"+ mysql -pAb," + s, "mysql -pAb%26" + s, "mysql -p<" + s + ">", "mysql -pu'" + s + "'", "mysql -ppa;" + s, "mysql -ppa&" + s,
		"sh -c 'mysql -uroot -p" + s + "'",
		"mysqlimport -uroot -p" + s + " db f.txt", "mysql_upgrade -p" + s, "mariadb -p" + s, "mariadb-dump -uroot -p" + s + " db",
		"mysqlsh --uri x -p" + s, "mysql ods -uroot -p" + s,
		`{"url":"jdbc:mysql://root:pa\/` + s + `@db:3306\/ods"}`,
		"mysql -uroot --password -p, -p" + s, "mysql -uroot -p'' -p" + s,
		`{"msg":"[\"odpscmd\", \"-u\", \"ID\", \"-p\", \"` + s + `\"]"}`,
		// Found by a second review: a secret between the command and its
		// -p, Python 2's and bytes' lists, quotes inside a quoted -p,
		// JSON's escaped '/', mysql's -p=S, a -p's value that is another
		// option before the real one.
		"mysql -h db -uetl --password=" + s + " -pX", "+ mysqlsh mysql://root:" + s + "@db:3306 --sql -pfoo",
		"Run mysql import: token=" + s + " -pv", "docker run --name mysql -e MYSQL_ROOT_PASSWORD=" + s + " -p3306:3306 mysql:8",
		"odpscmd --access-key=" + s + " -p KEY", "mysql it's password='a;" + s + "' -pX",
		"[u'mysql', u'-uroot', u'-p" + s + "', u'ods']", "[b'mysql', b'-uroot', b'-p" + s + "']",
		"[u'odpscmd', u'-u', u'ID', u'-p', u'" + s + "']",
		"+ mysql -uroot '-pab'\\''" + s + "'", `mysql -uroot '-pab'"'"'` + s + `'`,
		`{"args":["mysql","-uroot","-pab\"` + s + `"]}`, `['mysql', '-uroot', '-pab\'` + s + `"x']`,
		`{"cmd":"mysql -uroot -p\"a b ` + s + `\" db"}`,
		`{"url":"jdbc:mysql:\/\/root:` + s + `@db:3306\/ods"}`, `{"url":"jdbc:mysql:\/\/root:pa\/` + s + `@db:3306\/ods"}`,
		"odpscmd -u ID -project=prj -p " + s, "mysql -uroot -p=" + s + " db",
		"jdbc:mysql://root:Xh/" + s + "k8=@db:3306/ods",
		// Found by a third review: a -p alone at the end of a quoted
		// command with the next credential after it, a command inside
		// another's quoted argument, passwords of an option's shape, the
		// last of two -p, a JSON string's tabs, a shell's continued line,
		// a word's quoted or escaped parts.
		"run_cmd(cmd='mysqldump -uroot -p', password='" + s + "')", "Task(cmd='mysql -uroot -p', secret_key='" + s + "', host='db')",
		`level=info msg="run" cmd="mysql -h db -uroot -p" password="a ` + s + `"`, "cmd='mysql -uroot -p' Authorization='Bearer " + s + "'",
		"{'cmd': 'odpscmd -u ID -p', 'token': '" + s + "'}", `mysql -pX,"password":"` + s + `"`,
		"Running mysql job 'mysqldump -uroot -p" + s + " ods' then mkdir -pv /data/out",
		"mysql isn't reachable, retrying: mysql -h db -uroot -p" + s + " -e 'select 1' then mkdir -pv /x",
		`mysql backups: "mysqldump -uroot -p` + s + ` ods > /b/ods.sql", cleanup: find /b -mtime +7 -print`,
		"{'engine': 'mysql', 'cmd': 'mysql -uroot -p" + s + " ods', 'flags': '-pv'}",
		"mysql -uroot -pwelcome=" + s, "mysql -uroot -p-" + s, "odpscmd -u ID -p abc=" + s, "odpscmd -u ID -p -" + s,
		"mysql -uroot -pX -p" + s, `{"cmd":"mysql\t-uroot\t-p` + s + `"}`, "mysql -h db \\\n  -uroot \\\n  -p" + s + " ods",
		"mysql -uroot -pS3C\\ " + s + " db", `mysql -uroot -pS3C"R3T ` + s + `" db`, "mysql -uroot -p'S3C'" + s,
		// Found by a fourth review: odpscmd's reading stopped at a word
		// starting with mysql (a file, a project), mysql's at a host named
		// so; an apostrophe in a -p value took a later name with it.
		"odpscmd -u ID -f mysql_sync.sql -p " + s, "odpscmd -u LTAI --project mysql_ods -p " + s + " -e 'x'",
		"odpscmd --config mysql.ini -u ID -p " + s, "+ mysql -h mysql.prod -uroot -p" + s + " ods",
		"mysqldump -h mysql01.prod.example.com -P 3306 -uroot -p" + s + " ods", "+ mysql -S mysql.sock -uroot -p" + s,
		"INFO exec [mysql, -h, mysql.prod, -uroot, -p" + s + "] exited 1",
		`INFO run cmd="mysql -uroot -pit's ods" env={'MYSQL_PWD': '` + s + `'}`,
		`mysql -uroot -pO'Brien -e "select 1"; curl -H 'Authorization: Bearer ` + s + `' https://api`,
		"odpscmd -u LTAI -p KEY1 -e 'x' -p Authorization: Bearer " + s,
		// Found by a fifth review: a -p value read too far took a later
		// credential's name with it (the passes now find their values in
		// the same text); commands after a JSON string's \n.
		`INFO running: mysql -h db -uroot -pP'@ss -e "select 1" && curl -s -H 'Authorization: Bearer ` + s + `' https://api/x`,
		`INFO running mysql -uroot -pXy"9 ods, headers={"Authorization": "Bearer ` + s + `"}`,
		"mysql -uroot -pX,password: " + s, "mysql -uroot -pX;Authorization: Bearer " + s,
		`{"msg":"odpscmd -u LTAI -pKEY1 -e 'x'\nodpscmd -u LTAI -p ` + s + ` -e 'y'"}`,
		`Running command: ['bash', '-c', 'set -ex\nmysql -h db -uroot -p` + s + ` -e "select 1"']`,
		`{"script":"#!/bin/bash\nset -e\nmysqldump -uroot -p` + s + ` ods > /data/ods.sql\n"}`,
		`{"script":"#!/bin/bash\nset -e\nodpscmd -u LTAI -p ` + s + ` -f a.sql\n"}`,
		// A seventh review: a key with a \n escape in a list's item or
		// after -p (read from a file without strip()).
		"Running command: ['odpscmd', '-u', 'ID', '-p', '\\n" + s + "', '--project', 'prj']",
		"['odpscmd', '-u', 'ID', '-p', '%26" + s + "\\n', '--project', 'prj']",
		"['odpscmd', '-u', 'ID', '-p', 'a&" + s + "\\n', '--project', 'prj']", "['odpscmd', '-u', 'ID', '-p', 'Kx9s\\n" + s + "']",
		"odpscmd -u ID -p '\\n" + s + "' --project p", "odpscmd -u ID -p \\n" + s,
		// An eighth review: a continued line in a JSON string with CRLF,
		// odpscmd's spaced -p value starting with -D.
		`{"script":"odpscmd -u LTAIid \\\r\n  -p ` + s + ` --project=p"}`, "odpscmd -u ID -p -D" + s,
		"['odpscmd','-u','ID','-p','-D" + s + "']",
	} {
		if got := String(in); strings.Contains(got, s) {
			t.Errorf("String(%q)\n = %q", in, got)
		}
	}
	for _, in := range []string{
		"mysql -h db -u root -p ods", "mkdir -p /tmp/x", "mysql.conf -pX", "the mysql -p flag",
		"['mysql', '-uroot', '-p', 'ods']",
		"http://host:8080/path@x", "https://host:8443/a?b=c@d", "http://user:pass/word and no at",
		"ftp://[::1]:21/x@y", "https://medium.com/@user", "https://medium.com:443/@user",
		"jdbc:mysql://h1:3306,h2:3306/ods?user=etl@corp.com", "mongodb://h1:27017,h2:27017/admin?user=etl@corp.com",
		"http://fe80::1/x@y", "mysql -e 'x'&&mkdir -pv /tmp/x",
		// The second review's: another option's value, what closes the
		// value, a line apart.
		"Sync mysql to odps via DataX, params -p\"-Dbizdate=20240101\"", "docker run --name mysql -p3306:3306 -d mysql:8",
		"Checking mysql status, it's up\nrun 'x' then mkdir -pv /data\n", "+ mysql -uroot '-p\n+ echo 'done'\n",
		"https://host:abc/path?email=a@b.com", "mysql://$HOST:$PORT/db?user=etl@corp", "http://2001:db8::1/a@b",
		// The third review's: a lone -p closing a quoted command.
		"run_cmd(cmd='mysqldump -uroot -p', db='ods')", `{"cmd":"mysql -uroot -p","db":"ods"}`,
		// The fifth review's: a lone -p before punctuation, docker's ports.
		"+ mysql -uroot -p; echo done", "Enter: mysql -u root -p: then type the password",
		`{"msg":"exec [mysql, -h, db, -uroot, -p]"}`, "docker run -d --name mysql -p3306:3306/tcp mysql:8",
		"docker run -d --name mysql -p127.0.0.1:3306:3306 mysql:8",
	} {
		if got := String(in); got != in {
			t.Errorf("String(%q)\n = %q, want it unchanged", in, got)
		}
	}
}

// Every command of a long text is read, whatever their number, a value
// longer than a command's window is masked whole, and a word that is a
// value is no command (odpscmd -p odpscmd): redacting again changes
// nothing.
func TestRedactsManyCommands(t *testing.T) {
	const s = "S3CR3T"
	for _, in := range []string{
		strings.Repeat("mysql -uroot -p"+s+" ods; ", 300),
		strings.Repeat("odpscmd -u ID -p "+s+" -e 'x' && ", 300),
		"mysql -uroot -p" + strings.Repeat(s, 2000),
		strings.Repeat("odpscmd -p ", 300) + s,
	} {
		got := String(in)
		if strings.Contains(got, s) {
			t.Errorf("String(%.60q...) leaves %s", in, s)
		}
		if again := String(got); again != got {
			t.Errorf("String(%.60q...) redacted again changes", in)
		}
	}
}

// odpscmd's reading takes its first -p only (the fourth review: the
// lines after a command in a JSON or Python string, another command's -p
// after it, were masked).
func TestRedactsOdpscmdFirstFlagOnly(t *testing.T) {
	for in, want := range map[string]string{
		`Running command: ['/usr/bin/bash', '-c', 'odpscmd -u LTAI -p S\nmkdir -p /data/out\ncp -p a.csv /data/out/']`: `Running command: ['/usr/bin/bash', '-c', 'odpscmd -u LTAI -p REDACTED\nmkdir -p /data/out\ncp -p a.csv /data/out/']`,
		"docker run -e CMD='odpscmd -u ID -p S' -p 8080:80 etl:1":                                                      "docker run -e CMD='odpscmd -u ID -p REDACTED' -p 8080:80 etl:1",
		"jobs=[['odpscmd', '-u', 'ID', '-p', 'S', '-f', 'a.sql'], ['mysql', '-uroot', '-p', 'ods']]":                   "jobs=[['odpscmd', '-u', 'ID', '-p', 'REDACTED', '-f', 'a.sql'], ['mysql', '-uroot', '-p', 'ods']]",
		// A sixth review: an option glued to odpscmd's -p is no key, and
		// the reading goes on to its -p KEY.
		"odpscmd -ppid -p S":                "odpscmd -ppid -p REDACTED",
		"odpscmd -project prj -p S":         "odpscmd -project prj -p REDACTED",
		"odpscmd -u ID -pv -f a.sql -p S":   "odpscmd -u ID -pv -f a.sql -p REDACTED",
		"odpscmd -p1 -p S":                  "odpscmd -p1 -p REDACTED",
		"['odpscmd', '-ppid', '-p', 'S']":   "['odpscmd', '-ppid', '-p', 'REDACTED']",
		"odpscmd -pLTAI5tKEY9x -e 'x' -p S": "odpscmd -pREDACTED -e 'x' -p REDACTED",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// Java prints a command's argument list unquoted (List.toString of a
// ProcessBuilder's command): [odpscmd, -u, ID, -p, S, -e, ...]. The item
// after odpscmd's -p is its key, to the next ", " or the list's end.
func TestRedactsJavaArgumentLists(t *testing.T) {
	for in, want := range map[string]string{
		"Running [odpscmd, -u, LTAI5tID, -p, S3cr3tK3y, -e, select 1;]":                         "Running [odpscmd, -u, LTAI5tID, -p, REDACTED, -e, select 1;]",
		"ProcessBuilder command=[/opt/odpscmd/bin/odpscmd, --project=p, -u, ID, -p, S3cr3tK3y]": "ProcessBuilder command=[/opt/odpscmd/bin/odpscmd, --project=p, -u, ID, -p, REDACTED]",
		"cmd: [odpscmd.sh, -u, ID, -p,S3cr3tK3y, -f, a.sql]":                                    "cmd: [odpscmd.sh, -u, ID, -p,REDACTED, -f, a.sql]",
		// As in the other forms: mysql's -p alone prompts; a -p at the
		// list's end has no value; the item after odpscmd's -p is masked
		// whatever it looks like (a key may start with '-').
		"[mysql, -uroot, -p, ods]": "[mysql, -uroot, -p, ods]",
		"[odpscmd, -u, ID, -p]":    "[odpscmd, -u, ID, -p]",
		"[odpscmd, -p, -e, x]":     "[odpscmd, -p, REDACTED, x]",
		// A review of the first version: the SQL of a -e item is bare, its
		// ';', '||', '&' and apostrophes are in the item, not the
		// command's end or a quoted item; other separators Java's joins
		// print.
		"Running [odpscmd, -e, select count(*) from t;, -u, ID, -p, S3cr3tK3y]":                   "Running [odpscmd, -e, select count(*) from t;, -u, ID, -p, REDACTED]",
		"[odpscmd, --project=p, -e, drop table t; create table t(a int);, -u, ID, -p, S3cr3tK3y]": "[odpscmd, --project=p, -e, drop table t; create table t(a int);, -u, ID, -p, REDACTED]",
		"[odpscmd, -e, select a || b from t where a=1 & b=2, -u, ID, -p, S3cr3tK3y]":              "[odpscmd, -e, select a || b from t where a=1 & b=2, -u, ID, -p, REDACTED]",
		"[odpscmd, -e, it's, -u, ID, -p, S3cr3tK3y, -e, don't]":                                   "[odpscmd, -e, it's, -u, ID, -p, REDACTED, -e, don't]",
		"[odpscmd, -e, select a[1] from t, -u, ID, -p, S3cr3tK3y]":                                "[odpscmd, -e, select a[1] from t, -u, ID, -p, REDACTED]",
		"[odpscmd,\t-u,\tID,\t-p,\tS3cr3tK3y]":                                                    "[odpscmd,\t-u,\tID,\t-p,\tREDACTED]",
		"[odpscmd,-u,ID,-p,S3cr3tK3y]":                                                            "[odpscmd,-u,ID,-p,REDACTED]",
		// The list ends at its bracket: another command's -p after it is
		// its own.
		"steps=[[odpscmd, -f, a.sql], [mysql, -uroot, -p, ods]]":      "steps=[[odpscmd, -f, a.sql], [mysql, -uroot, -p, ods]]",
		"commands: [[odpscmd, -f, a.sql], [mkdir, -p, /tmp/out]]":     "commands: [[odpscmd, -f, a.sql], [mkdir, -p, /tmp/out]]",
		"ran [odpscmd, -f, a.sql] then [ssh, -p, 2222, host]":         "ran [odpscmd, -f, a.sql] then [ssh, -p, 2222, host]",
		"ran [odpscmd, -f, a.sql] then [docker, run, -p, 8080:80, x]": "ran [odpscmd, -f, a.sql] then [docker, run, -p, 8080:80, x]",
		// The key ends where the text around the list goes on.
		"List(odpscmd, -u, ID, -p, S3cr3tK3y) exited 1":                    "List(odpscmd, -u, ID, -p, REDACTED) exited 1",
		`{"cmd":"odpscmd, -u, ID, -p, S3cr3tK3y","token":"abc"}`:           `{"cmd":"odpscmd, -u, ID, -p, REDACTED","token":"REDACTED"}`,
		"cmd='odpscmd, -u, ID, -p, S3cr3tK3y' next":                        "cmd='odpscmd, -u, ID, -p, REDACTED' next",
		"<cmd>odpscmd, -u, ID, -p, S3cr3tK3y</cmd>":                        "<cmd>odpscmd, -u, ID, -p, REDACTED</cmd>",
		"List(odpscmd, -e, select count(*) from t, -u, ID, -p, S3cr3tK3y)": "List(odpscmd, -e, select count(*) from t, -u, ID, -p, REDACTED)",
		// A second review: brackets in a quoted item are the item's; a
		// quoted key; the text around a list without blanks; a
		// placeholder; mysql's attached password without blanks; a list in
		// a JSON string with \t escapes.
		`[odpscmd, -e, select ']', -u, ID, -p, S3cr3tK3y]`:                              "[odpscmd, -e, select ']', -u, ID, -p, REDACTED]",
		`List(odpscmd, -e, select regexp_replace(s, '\\)', ''), -u, ID, -p, S3cr3tK3y)`: `List(odpscmd, -e, select regexp_replace(s, '\\)', ''), -u, ID, -p, REDACTED)`,
		`{"msg":"Running [odpscmd, -e, select \"a]\" from t, -u, ID, -p, S3cr3tK3y]"}`:  `{"msg":"Running [odpscmd, -e, select \"a]\" from t, -u, ID, -p, REDACTED]"}`,
		`[mysql, -uroot, -e, select ']', -pS3cr3t, db]`:                                 "[mysql, -uroot, -e, select ']', -pREDACTED, db]",
		`[odpscmd, -u, ID, -p, "S3cr3tK3y"]`:                                            `[odpscmd, -u, ID, -p, "REDACTED"]`,
		`{"msg":"cmd=[odpscmd, -u, \"ID\", -p, \"S3cr3tK3y\"]"}`:                        `{"msg":"cmd=[odpscmd, -u, \"ID\", -p, \"REDACTED\"]"}`,
		`{"msg":"odpscmd,-u,ID,-p,S3cr3tK3y\nDone"}`:                                    `{"msg":"odpscmd,-u,ID,-p,REDACTED\nDone"}`,
		"odpscmd,-u,ID,-p,S3cr3tK3y&&mysql -uroot -p ods":                               "odpscmd,-u,ID,-p,REDACTED&&mysql -uroot -p ods",
		"[odpscmd,-u,ID,-pS3cr3tK3y,-e,x]":                                              "[odpscmd,-u,ID,-pREDACTED,-e,x]",
		"[odpscmd, -u, ID, -p, <S3cr3tK3y>]":                                            "[odpscmd, -u, ID, -p, REDACTED]",
		"[mysql,-uroot,-pS3cr3t,db]":                                                    "[mysql,-uroot,-pREDACTED,db]",
		"[mysqldump,-uroot,-p,db] then (hadoop, fs, -put, a, b)":                        "[mysqldump,-uroot,-p,db] then (hadoop, fs, -put, a, b)",
		`{"msg":"[odpscmd,\t-u,\tID,\t-p,\tS3cr3tK3y]"}`:                                `{"msg":"[odpscmd,\t-u,\tID,\t-p,\tREDACTED]"}`,
		// A third review: a quoted text inside an item ends no list; an
		// attached value in a list with blanks ends as without a list; a
		// quoted Windows path as the command's item.
		`[mysql, -e, select * from t where x=']', -uroot, -pSEKRETm1]`:                  "[mysql, -e, select * from t where x=']', -uroot, -pREDACTED]",
		`List(mysql, -e, select * from t where x=')', -uroot, -pSEKRETm1)`:              "List(mysql, -e, select * from t where x=')', -uroot, -pREDACTED)",
		`[odpscmd, -e, select * from t where x=']', -u, ID, -p, SEKRETa1B2]`:            "[odpscmd, -e, select * from t where x=']', -u, ID, -p, REDACTED]",
		`[mysql, -uroot, -pSEKRETab,cd, db]`:                                            "[mysql, -uroot, -pREDACTED, db]",
		`[mysql, -uroot, -p"SEKRETab,cd", db]`:                                          "[mysql, -uroot, -pREDACTED, db]",
		`[odpscmd, -u, ID, -pSEKRETab)cd]`:                                              "[odpscmd, -u, ID, -pREDACTED]",
		`[cmd, /c, "C:\Program Files\odpscmd\bin\odpscmd.bat", -u, ID, -p, SEKRETa1B2]`: `[cmd, /c, "C:\Program Files\odpscmd\bin\odpscmd.bat", -u, ID, -p, REDACTED]`,
		"mysql,x -p,db": "mysql,x -p,db", // -p alone in a list joined without blanks (a crash in a draft)
		// A fourth review: a quoted password holding a ',' in a list
		// joined without blanks; a JSON-escaped \t after the commas is a
		// blank; a quoted text holding a ',' before a bracket; an
		// apostrophe and a later quote around a -p are no quoted text.
		`[mysql,-uroot,-p'SEK,RET1',db]`:                         "[mysql,-uroot,-pREDACTED,db]",
		`[mysql,-uroot,-p\"SEK,RET1\",db]`:                       "[mysql,-uroot,-pREDACTED,db]",
		`[mysql,\t-uroot,\t-pSEK,RET1,\tdb]`:                     `[mysql,\t-uroot,\t-pREDACTED\tdb]`,
		`[mysql, -e, select * from t where x='a,b]', -pSEKRET1]`: "[mysql, -e, select * from t where x='a,b]', -pREDACTED]",
		`List(mysql, -e, select f(x='a,b)'), -pSEKRET1)`:         "List(mysql, -e, select f(x='a,b)'), -pREDACTED)",
		`[mysql, it's -p'SEKRET1']`:                              "[mysql, it's -pREDACTED]",
		// Prose after the word is no list.
		"odpscmd -f a.sql failed: missing value for -p, aborting": "odpscmd -f a.sql failed: missing value for -p, aborting",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}
