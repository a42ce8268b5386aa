package attrib

import "bytes"

// Which instance a line names as its own, and the line that ends a
// statement (odpscmd's OK).

// instanceWords announce an instance ID: "ID = <id>" (odpscmd),
// "Instance ID: <id>", "InstanceId: <id>", "instance_id=<id>",
// "instance <id>" (PyODPS). They are matched case-insensitively, as words
// of their own ("identity", "instances" announce nothing), and what
// follows them up to the ID may only be spaces, ':', '=' and quotes.
var instanceWords = []string{"instance id", "instanceid", "instance_id", "instance", "id"}

// lastInstance returns the last instance ID that line announces: after
// one of instanceWords, or as the i= of a LogView link (see announced).
// It is the one LookBack finds, read the same way: backwards, for the
// run of digits an ID starts with.
func lastInstance(line []byte) Span {
	for p := len(line) - 1; p >= 0; {
		id, ok := idBefore(line, 0, &p)
		if !ok {
			return Span{}
		}
		if announced(line, 0, id) {
			return id
		}
	}
	return Span{}
}

// isOK reports whether line is odpscmd's "OK" (see Clues.Done): alone,
// or as the whole message of a log line that wraps odpscmd's output
// (Airflow's "... INFO - OK", DataWorks' "... INFO OK").
func isOK(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte("\r"))
	return string(line) == "OK" || bytes.HasSuffix(line, []byte(" INFO - OK")) || bytes.HasSuffix(line, []byte(" INFO OK"))
}

// lineInstance returns the instance line names as its own. On a line
// with codes that is the last one announced before its first code
// (InstanceId: X ODPS-...), else the first after it that is a LogView
// link's, announced right after a code (PyODPS's header: ODPS-...:
// InstanceId: X) or a JSON field of the record ("instanceId":"X" outside
// the code's string): an instance the message names in its words (a
// table locked by instance Y, resubmitted as instance_id=Y) is another
// job's, and the code's is looked for before the line. On a line
// without codes, the last one announced.
func lineInstance(line []byte) Span {
	first := firstCode(line)
	if first < 0 {
		return lastInstance(line)
	}
	var after Span
	for p := len(line) - 1; p >= 0; {
		id, ok := idBefore(line, 0, &p)
		if !ok {
			break
		}
		switch {
		case !announced(line, 0, id):
		case id.Start < first:
			return id
		case isLogViewID(line, 0, id) || rightAfterCode(line, id) || asField(line, id) && !sameJSONString(line, first, id.Start):
			after = id
		}
	}
	return after
}

// firstCode returns where the first "ODPS-" and seven digits start in
// line, or -1.
func firstCode(line []byte) int {
	for at := 0; ; {
		k := bytes.Index(line[at:], []byte("ODPS-"))
		if k < 0 {
			return -1
		}
		at += k
		if at+12 <= len(line) && digits(line[at+5:at+12]) {
			return at
		}
		at++
	}
}

// rightAfterCode reports whether the announcement of id (an announced
// ID) follows a code with only ':' and spaces between.
func rightAfterCode(line []byte, id Span) bool {
	j := id.Start
	for j > 0 && (line[j-1] == ' ' || line[j-1] == ':' || line[j-1] == '=' || line[j-1] == '"' || line[j-1] == '\'') {
		j--
	}
	for _, w := range instanceWords {
		if i := j - len(w); i >= 0 && hasPrefixFold(line[i:], w) {
			for i > 0 && (line[i-1] == ' ' || line[i-1] == ':') {
				i--
			}
			return i >= 12 && string(line[i-12:i-7]) == "ODPS-" && digits(line[i-7:i])
		}
	}
	return false
}

// asField reports whether id (an announced ID) is the value of a JSON
// key of the record ({"instanceId":"X"} , "instance_id": "X"): the
// instance word is a key of its own, its quote after '{' or ','. A word
// of prose with ':' or '=' after it (locked by instance: Y, resubmitted
// as instance_id=Y) is none.
func asField(line []byte, id Span) bool {
	j := id.Start
	for j > 0 && (line[j-1] == ' ' || line[j-1] == '"' || line[j-1] == ':') {
		j--
	}
	for _, w := range instanceWords {
		i := j - len(w)
		if i < 1 || !hasPrefixFold(line[i:], w) || line[i-1] != '"' || string(line[j:j+2]) != `":` {
			continue
		}
		k := i - 1
		for k > 0 && line[k-1] == ' ' {
			k--
		}
		return k > 0 && (line[k-1] == '{' || line[k-1] == ',')
	}
	return false
}

// isInstanceID reports whether s has an instance ID's shape: at least 14
// digits (the time it was created, to the millisecond) then lower-case
// letters and digits, at least one letter among them, 40 bytes at most.
func isInstanceID(s []byte) bool {
	if len(s) < 15 || len(s) > 40 {
		return false
	}
	d := 0
	for d < len(s) && '0' <= s[d] && s[d] <= '9' {
		d++
	}
	if d < 14 || d == len(s) {
		return false
	}
	letter := false
	for _, c := range s[d:] {
		switch {
		case 'a' <= c && c <= 'z':
			letter = true
		case '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return letter
}
