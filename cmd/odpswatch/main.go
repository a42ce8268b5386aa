// Command odpswatch finds and classifies MaxCompute (ODPS) error codes in
// logs. This package parses flags and wires the internal packages together;
// nothing below it reads flags, globals or the environment.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// version, commit and date are set at build time (make build, make
// release): -ldflags "-X main.version=... -X main.commit=... -X main.date=...",
// date being the commit's, so that two builds of a commit are the same.
var version, commit, date = "", "", ""

// Exit statuses.
const (
	exitOK       = 0
	exitFound    = 1 // scan --fail-on-severity found a code at or above it; check-config found an invalid file
	exitFailure  = 2 // bad usage, unreadable input, any other failure
	usageSummary = `odpswatch finds and classifies MaxCompute (ODPS) error codes in logs.

Usage:
  odpswatch run [flags] [GLOB...]      follow log files, serve Prometheus metrics
  odpswatch check-config FILE...       check configuration files
  odpswatch scan [flags] [FILE...|-]   classify files or standard input at once
  odpswatch explain CODE...            all the format and the catalog say of a code
  odpswatch codes [flags]              list the documented codes
  odpswatch version                    print the version
  odpswatch completion bash|zsh        print a shell's completion script
  odpswatch man                        print the manual page (roff)
  odpswatch help [COMMAND]             help on a command

Run 'odpswatch COMMAND --help' for a command's flags.
`
)

// env is what a command may touch of the process: its arguments and
// standard streams. Tests run commands with their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name, summary string
	run           func(e env, args []string) int
}

func commands() []command {
	return []command{
		{"run", "follow log files and serve Prometheus metrics", runRun},
		{"check-config", "check configuration files", runCheckConfig},
		{"scan", "classify files or standard input at once", runScan},
		{"explain", "all the format and the catalog say of a code", runExplain},
		{"codes", "list the documented codes", runCodes},
		{"version", "print the version", runVersion},
		{"completion", "print the bash or zsh completion script", runCompletion},
		{"man", "print the manual page", runMan},
	}
}

// scanMemoryLimit is the Go runtime's soft memory limit for `scan`, unless
// GOMEMLIMIT sets one: it makes the collector work harder before the heap
// doubles, which keeps scan's peak RSS under 64 MiB even on adversarial
// input (a distinct code every 13 bytes), at no cost on ordinary logs.
const scanMemoryLimit = 40 << 20

func main() {
	if len(os.Args) > 1 && os.Args[1] == "scan" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(scanMemoryLimit)
	}
	os.Exit(run(env{os.Stdin, os.Stdout, os.Stderr, os.Getenv}, os.Args[1:]))
}

func run(e env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usageSummary)
		return exitFailure
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(rest) > 0 && rest[0] != "" {
			return run(e, []string{rest[0], "--help"})
		}
		fmt.Fprint(e.stdout, usageSummary)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(e, rest)
		}
	}
	fmt.Fprintf(e.stderr, "odpswatch: unknown command %q\n\n%s", name, usageSummary)
	return exitFailure
}

// newFlags returns a flag set that writes its usage to e.stderr.
func newFlags(e env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: odpswatch %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags wherever they stand among the arguments,
// as users type them ("scan job.log --format json"); "--" ends the flags.
// It returns the positional arguments, or an error that has been reported
// (errHelp for --help).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// The flag package stops at the first positional argument, or
		// after a "--", which it swallows: tell which from what it took.
		if taken := len(args) - len(rest); taken > 0 && args[taken-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports a parsing error's exit status: 0 for --help.
func usageError(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitFailure
}

func runVersion(e env, args []string) int {
	fs := newFlags(e, "version", "version")
	if _, err := parseInterspersed(fs, args); err != nil {
		return usageError(err)
	}
	fmt.Fprintf(e.stdout, "odpswatch %s\n", versionString())
	return exitOK
}

// versionString is what version prints: the version, then the revision
// and the Go version when the build recorded them.
func versionString() string {
	b := buildInfo()
	parts := []string{b.Version}
	if b.Revision != "" {
		parts = append(parts, "revision "+b.Revision)
	}
	if b.Date != "" {
		parts = append(parts, "built from a commit of "+b.Date)
	}
	if b.GoVersion != "" {
		parts = append(parts, b.GoVersion)
	}
	return strings.Join(parts, ", ")
}
