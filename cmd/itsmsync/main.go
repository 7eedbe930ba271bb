// Command itsmsync checks and tries out an ITSM integration without writing
// Go: it reads the JSON configuration the SDK stores and validates it,
// renders the requests it would send, probes the connection, imports a
// Kibana webhook connector, and makes signed test deliveries for the
// callback handler.
//
// Usage:
//
//	itsmsync validate <config.json>
//	itsmsync preview <config.json> [--case case.json] [--note text] [--ticket id] [--ticket-key key]
//	itsmsync check <config.json> [--timeout 30s]
//	itsmsync import-kibana <connector.json> [--out config.json]
//	itsmsync sign --scheme <scheme> (--secret s | --secret-file f | $ITSMSYNC_SECRET) [--body file|-] [--id id] [--timestamp unix]
//	itsmsync send <url> --scheme <scheme> ... [--timeout 10s]
//	itsmsync links targets|keep|retire <config.json> (--db dsn | $ITSMSYNC_DB) [--from target | --legacy]
//
// check probes the connection and then says what the config does with an
// unknown outcome: the target its links are bound to, whether a create is
// looked up by its correlation key (lookup) and a comment by its marker
// (comment_lookup) before anything is sent again ("exactly_once" in --json).
//
// links answers "keep or retire?" after an integration was edited to point
// at another ticket space (see itsm.Syncer.KeepLinks and RetireLinks): it
// opens the host's store (a postgres:// URL, or a SQLite file; it never
// migrates it), lists the targets the integration's links point into, and
// keeps (retargets) or retires the links of one.
//
// Every verb accepts --json (one JSON object on standard output, for
// scripts) and --help. Flags may come before or after the arguments.
//
// A config file is one of: an httpconn.Config as JSON (what
// Config.MarshalSecrets writes), a provider preset's options
// ({"preset": "jira"|"servicenow"|"sysaid"|"webhook", "options": {...}}),
// or a generic integration ({"outbound": {...}, "inbound": {...}}, what
// webhook.Integration.MarshalSecrets writes). "-" reads standard input.
//
// Signature schemes of sign and send: jira (X-Hub-Signature), github
// (X-Hub-Signature-256), sysaid (X-Sysaid-Signature), hmac-sha256 (any
// header, prefix, encoding and timestamp header: --header, --prefix,
// --encoding, --timestamp-header), stripe (Stripe-Signature),
// standard-webhooks (webhook-id, webhook-timestamp, webhook-signature with
// a "whsec_" secret) and token (a callback token as
// "Authorization: Bearer <token>", or in --header).
//
// Secrets: a secret is never printed, in any output or error. The one
// exception is what sign and send were asked to produce: a signature (never
// the key it was made with), or, for the token scheme, the token itself,
// which is the credential of the delivery. Prefer --secret-file or
// ITSMSYNC_SECRET to --secret, which other users of the machine can see in
// the process list.
//
// Exit codes:
//
//	0  success: valid, rendered, configured, signed, answered 2xx
//	1  the input was read and found wrong: an invalid configuration (field
//	   errors, malformed JSON, unknown keys), a failing or unverifiable
//	   connection check, a delivery answered with a non-2xx status
//	2  usage error: unknown verb or flag, missing or extra argument, bad flag
//	   value, a URL that is not http(s)
//	3  I/O error: a file could not be read or written, a URL could not be
//	   reached
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes (see the package documentation).
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitIOError = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError is a failure with its exit code; its message is one line.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, a...)}
}

func ioErr(format string, a ...any) error {
	return &exitError{code: exitIOError, msg: fmt.Sprintf(format, a...)}
}

func failed(format string, a ...any) error {
	return &exitError{code: exitFailed, msg: fmt.Sprintf(format, a...)}
}

// errReported is a failure whose details the verb has already printed; only
// its exit code remains.
var errReported = &exitError{code: exitFailed}

// cli is one invocation: its streams and output mode.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	verb           string
	json           bool
	usage          func() // prints the verb's help on standard output
}

// verb is one subcommand.
type verb struct {
	name    string
	summary string
	run     func(c *cli, args []string) error
}

var verbs = []verb{
	{"validate", "report every problem of a config file", runValidate},
	{"preview", "render every request of a config, secrets redacted", runPreview},
	{"check", "probe the connection of a config", runCheck},
	{"import-kibana", "turn a Kibana webhook connector into a config", runImportKibana},
	{"sign", "make a signed test delivery for a callback verifier", runSign},
	{"send", "post a signed test delivery to a handler URL", runSend},
	{"links", "list, keep or retire the links of an edited integration's old target", runLinks},
}

const topUsage = `itsmsync checks and tries out ITSM integration configs.

Usage: itsmsync <verb> [flags] [args]   (itsmsync <verb> --help for its flags)

Verbs:
%s
Every verb accepts --json for one JSON object on standard output.

Exit codes: 0 ok; 1 invalid config, failing check or non-2xx answer;
2 usage error; 3 file or network I/O error.
`

func printTopUsage(w io.Writer) {
	var b strings.Builder
	for _, v := range verbs {
		fmt.Fprintf(&b, "  %-14s %s\n", v.name, v.summary)
	}
	fmt.Fprintf(w, topUsage, b.String())
}

// run executes one command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printTopUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printTopUsage(stdout)
		return exitOK
	}
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, verb: args[0]}
	for _, v := range verbs {
		if v.name == args[0] {
			return c.finish(v.run(c, args[1:]))
		}
	}
	// --json may not have been parsed yet: honour it for scripts anyway.
	for _, a := range args[1:] {
		if a == "--json" || a == "-json" {
			c.json = true
		}
	}
	c.verb = ""
	return c.finish(usageErr("unknown verb %q (want validate, preview, check, import-kibana, sign, send or links)", clipArg(args[0])))
}

// finish prints err as one line on stderr (and, with --json, as a JSON
// object on stdout unless the verb already wrote one) and returns the exit
// code.
func (c *cli) finish(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{code: exitFailed, msg: err.Error()}
	}
	if ee.msg == "" {
		return ee.code
	}
	msg := oneLine(ee.msg)
	prefix := "itsmsync: "
	if c.verb != "" {
		prefix = "itsmsync " + c.verb + ": "
	}
	fmt.Fprintln(c.stderr, prefix+msg)
	if c.json {
		c.writeJSON(map[string]any{"ok": false, "error": msg, "exit_code": ee.code})
	}
	return ee.code
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// clipArg shortens a command-line argument quoted in a message.
func clipArg(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// flags returns the flag set of the current verb, with --json and a usage
// text; parse it with c.parse.
func (c *cli) flags(usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("itsmsync "+c.verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&c.json, "json", false, "write one JSON object on standard output")
	// flag calls Usage on every parse error: keep it silent, and print the
	// help only when asked (see parse).
	fs.Usage = func() {}
	c.usage = func() {
		fmt.Fprintf(c.stdout, "Usage: itsmsync %s %s\n\nFlags:\n", c.verb, usage)
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprintln(c.stdout, "\nExit codes: 0 ok; 1 invalid config, failing check or non-2xx answer; 2 usage error; 3 file or network I/O error.")
	}
	return fs
}

// parse parses args, flags and positional arguments in any order ("--"
// ends the flags), and checks the number of positional arguments.
func (c *cli) parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage()
				return nil, err
			}
			// Parsing stopped at the bad flag: honour a --json given anywhere.
			for _, a := range args {
				if a == "--json" || a == "-json" || a == "--json=true" || a == "-json=true" {
					c.json = true
				}
			}
			return nil, usageErr("%s (see itsmsync %s --help)", oneLine(err.Error()), c.verb)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < minArgs:
		return nil, usageErr("missing argument (see itsmsync %s --help)", c.verb)
	case len(pos) > maxArgs:
		return nil, usageErr("unexpected argument %q (see itsmsync %s --help)", clipArg(pos[maxArgs]), c.verb)
	}
	return pos, nil
}
