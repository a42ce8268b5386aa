package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/odpswatch/odpswatch/internal/classify"
)

// The manual page and the shell completions are made from the commands'
// own help (what `odpswatch COMMAND --help` prints), so that they never
// say other than the binary does: `odpswatch man` and `odpswatch
// completion bash|zsh` print them, and the packages ship their output.

// commandHelp is what a command's --help says.
type commandHelp struct {
	name, summary string
	usage         string // after "Usage: odpswatch "
	text          string // the paragraphs between the usage and the flags
	flags         []flagHelp
}

type flagHelp struct {
	name, arg, usage string // arg: the value's type, "" for a boolean
}

// flagChoices are the values of flags that take one of a few; a test
// checks each is a real flag.
var flagChoices = map[string][]string{
	"format":   {"table", "json", "prom"},
	"progress": {"auto", "always", "never"},
	"fail-on":  {"failure", "severity:5", "severity:9"},
	"family":   familyLabels(),
}

func familyLabels() []string {
	var out []string
	for _, f := range classify.Families() {
		out = append(out, f.Label)
	}
	return out
}

// helps runs every command with --help and reads what it prints.
func helps() []commandHelp {
	var out []commandHelp
	for _, c := range commands() {
		if c.name == "completion" || c.name == "man" {
			out = append(out, commandHelp{name: c.name, summary: c.summary, usage: docsUsage[c.name], text: docsText[c.name]})
			continue
		}
		var buf bytes.Buffer
		c.run(env{stdin: strings.NewReader(""), stdout: &buf, stderr: &buf, getenv: func(string) string { return "" }}, []string{"--help"})
		out = append(out, parseHelp(c.name, c.summary, buf.String()))
	}
	return out
}

// parseHelp reads the output of flag.FlagSet's usage as newFlags writes
// it: "Usage: odpswatch USAGE", the text, "Flags:", then PrintDefaults'
// "  -name type" lines, each followed by its indented usage.
func parseHelp(name, summary, help string) commandHelp {
	h := commandHelp{name: name, summary: summary}
	head, flags, _ := strings.Cut(help, "\nFlags:\n")
	first, text, _ := strings.Cut(head, "\n")
	h.usage = strings.TrimPrefix(first, "Usage: odpswatch ")
	h.text = strings.TrimSpace(text)
	for _, line := range strings.Split(flags, "\n") {
		switch {
		case strings.HasPrefix(line, "  -"):
			f := strings.Fields(strings.TrimPrefix(line, "  -"))
			fh := flagHelp{name: f[0]}
			if len(f) > 1 {
				fh.arg = f[1]
			}
			if i := strings.Index(line, "\t"); i >= 0 { // a short usage on the same line
				fh.usage = strings.TrimSpace(line[i:])
			}
			h.flags = append(h.flags, fh)
		case strings.HasPrefix(line, "    \t") && len(h.flags) > 0:
			fh := &h.flags[len(h.flags)-1]
			fh.usage = strings.TrimSpace(fh.usage + " " + strings.TrimSpace(line))
		}
	}
	return h
}

var docsUsage = map[string]string{"completion": "completion bash|zsh", "man": "man"}

var docsText = map[string]string{
	"completion": "Prints the completion script of the shell: source it, or install it where the shell reads completions (the packages do).",
	"man":        "Prints this manual page, in roff.",
}

func runCompletion(e env, args []string) int {
	if len(args) != 1 || (args[0] != "bash" && args[0] != "zsh") {
		fmt.Fprint(e.stderr, "Usage: odpswatch completion bash|zsh\n")
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			return exitOK
		}
		return exitFailure
	}
	if args[0] == "bash" {
		writeBashCompletion(e.stdout, helps())
	} else {
		writeZshCompletion(e.stdout, helps())
	}
	return exitOK
}

func runMan(e env, args []string) int {
	if len(args) > 0 {
		fmt.Fprint(e.stderr, "Usage: odpswatch man\n")
		if args[0] == "-h" || args[0] == "--help" {
			return exitOK
		}
		return exitFailure
	}
	writeMan(e.stdout, helps())
	return exitOK
}

func writeBashCompletion(w io.Writer, hs []commandHelp) {
	var names []string
	for _, h := range hs {
		names = append(names, h.name)
	}
	fmt.Fprintf(w, `# bash completion for odpswatch, made by "odpswatch completion bash".
_odpswatch() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return
	fi
	local flags=
	case ${COMP_WORDS[1]} in
`, strings.Join(append(names, "help"), " "))
	for _, h := range hs {
		var fl []string
		for _, f := range h.flags {
			fl = append(fl, "--"+f.name)
		}
		switch h.name {
		case "help":
		case "completion":
			fmt.Fprintf(w, "\t%s) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")); return ;;\n", h.name)
		default:
			fmt.Fprintf(w, "\t%s) flags=%q ;;\n", h.name, strings.Join(fl, " "))
		}
	}
	fmt.Fprint(w, "\thelp) COMPREPLY=($(compgen -W \""+strings.Join(names, " ")+"\" -- \"$cur\")); return ;;\n\tesac\n\tcase $prev in\n")
	for _, k := range slices.Sorted(maps.Keys(flagChoices)) {
		fmt.Fprintf(w, "\t--%s|-%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", k, k, strings.Join(flagChoices[k], " "))
	}
	fmt.Fprint(w, `	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -o bashdefault -F _odpswatch odpswatch
`)
}

func writeZshCompletion(w io.Writer, hs []commandHelp) {
	fmt.Fprint(w, "#compdef odpswatch\n# zsh completion for odpswatch, made by \"odpswatch completion zsh\".\n\n_odpswatch() {\n\tlocal -a commands\n\tcommands=(\n")
	for _, h := range hs {
		fmt.Fprintf(w, "\t\t%s\n", zshQuote(h.name+":"+h.summary))
	}
	fmt.Fprint(w, "\t)\n\tif (( CURRENT == 2 )); then\n\t\t_describe 'command' commands\n\t\treturn\n\tfi\n\tcase $words[2] in\n")
	for _, h := range hs {
		switch h.name {
		case "help":
			continue
		case "completion":
			fmt.Fprintf(w, "\t%s) _values 'shell' bash zsh ;;\n", h.name)
			continue
		}
		fmt.Fprintf(w, "\t%s) _arguments -S \\\n", h.name)
		for _, f := range h.flags {
			spec := "--" + f.name
			if f.arg != "" {
				spec += "=[" + zshBracket(f.usage) + "]:" + f.arg
				if c, ok := flagChoices[f.name]; ok {
					spec += ":(" + strings.Join(c, " ") + ")"
				} else {
					spec += ": "
				}
			} else {
				spec += "[" + zshBracket(f.usage) + "]"
			}
			fmt.Fprintf(w, "\t\t%s \\\n", zshQuote(spec))
		}
		fmt.Fprint(w, "\t\t'*:file:_files' ;;\n")
	}
	fmt.Fprint(w, "\tesac\n}\n\n_odpswatch \"$@\"\n")
}

// zshQuote single-quotes s for zsh.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// zshBracket makes s fit between _arguments' brackets.
func zshBracket(s string) string {
	r := strings.NewReplacer("[", "(", "]", ")", ":", " -", "\\", "/")
	return r.Replace(s)
}

// writeMan writes odpswatch(1), dated by the commit the binary was built
// from, so that two builds of a commit make the same page.
func writeMan(w io.Writer, hs []commandHelp) {
	b := buildInfo()
	day := "2026-12-06"
	if len(b.Date) >= 10 {
		day = b.Date[:10]
	}
	fmt.Fprintf(w, ".TH ODPSWATCH 1 %s %s \"User Commands\"\n", roffQuote(day), roffQuote("odpswatch "+b.Version))
	fmt.Fprint(w, ".SH NAME\nodpswatch \\- find and classify MaxCompute (ODPS) error codes in logs\n.SH SYNOPSIS\n")
	for _, h := range hs {
		fmt.Fprintf(w, ".B odpswatch\n%s\n.br\n", roffText(h.usage))
	}
	fmt.Fprint(w, `.SH DESCRIPTION
odpswatch finds the error codes of MaxCompute (ODPS-MMCCCCX, seven digits) in job logs,
classifies each (family, module, severity, the catalog's entry with what to do), names the
jobs that failed, and counts failures apart from prints.
.B odpswatch run
follows log files and Kafka topics as a daemon and serves Prometheus metrics;
.B odpswatch scan
reads a log at once and reports its codes and failed jobs.
Flags are written with one dash or two.
.SH COMMANDS
`)
	for _, h := range hs {
		fmt.Fprintf(w, ".SS %s\n", roffText(h.name))
		fmt.Fprintf(w, ".B odpswatch\n%s\n.PP\n", roffText(h.usage))
		text := h.text
		if text == "" {
			text = h.summary
		}
		for i, p := range strings.Split(text, "\n\n") {
			if i > 0 {
				fmt.Fprint(w, ".PP\n")
			}
			fmt.Fprintf(w, "%s\n", roffText(strings.Join(strings.Fields(p), " ")))
		}
		for _, f := range h.flags {
			fmt.Fprintf(w, ".TP\n.B \\-\\-%s", roffText(f.name))
			if f.arg != "" {
				fmt.Fprintf(w, " \\fI%s\\fR", roffText(f.arg))
			}
			fmt.Fprintf(w, "\n%s\n", roffText(f.usage))
		}
	}
	fmt.Fprint(w, `.SH FILES
.TP
.I /etc/odpswatch/odpswatch.yaml
the configuration of the daemon (odpswatch check-config checks it)
.TP
.I /var/lib/odpswatch
the daemon's state: the positions of the files it follows
.TP
.I /usr/share/odpswatch
Prometheus rules and a Grafana dashboard
.SH EXIT STATUS
0 on success; 1 when scan --fail-on finds what it is set to, or check-config finds an invalid
file; 2 on bad usage or any other failure.
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1)
`)
}

// roffText escapes a line of text for roff: backslashes, and a line
// starting with a control character.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func roffQuote(s string) string { return `"` + strings.ReplaceAll(roffText(s), `"`, `""`) + `"` }
