package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// secretEnv is the environment variable a secret is read from when neither
// --secret nor --secret-file is given.
const secretEnv = "ITSMSYNC_SECRET"

// Signature schemes (see the package documentation).
const (
	schemeJira             = "jira"
	schemeGitHub           = "github"
	schemeSysAid           = "sysaid"
	schemeHMAC             = "hmac-sha256"
	schemeStripe           = "stripe"
	schemeStandardWebhooks = "standard-webhooks"
	schemeToken            = "token"
)

var schemes = []string{schemeJira, schemeGitHub, schemeSysAid, schemeHMAC, schemeStripe, schemeStandardWebhooks, schemeToken}

// signFlags are the flags of sign and send.
type signFlags struct {
	scheme, secret, secretFile, body, id, contentType string
	timestamp                                         int64
	header, prefix, encoding, timestampHeader         string
}

func addSignFlags(fs *flag.FlagSet) *signFlags {
	sf := &signFlags{}
	fs.StringVar(&sf.scheme, "scheme", "", "signature scheme: "+strings.Join(schemes, ", ")+" (required)")
	fs.StringVar(&sf.secret, "secret", "", "the signing secret (for token: the callback token); visible in the process list, prefer --secret-file or $"+secretEnv)
	fs.StringVar(&sf.secretFile, "secret-file", "", "read the secret from this file (one trailing newline is ignored)")
	fs.StringVar(&sf.body, "body", "", "the delivery body: a file, or - for standard input; default a sample event for the scheme")
	fs.StringVar(&sf.id, "id", "", "delivery id: webhook-id (standard-webhooks), X-Atlassian-Webhook-Identifier (jira) and the sample body's event id; default random")
	fs.Int64Var(&sf.timestamp, "timestamp", 0, "signing time in Unix seconds (stripe, standard-webhooks, hmac-sha256 with --timestamp-header); default now")
	fs.StringVar(&sf.contentType, "content-type", "application/json", "Content-Type of the delivery")
	fs.StringVar(&sf.header, "header", "", "hmac-sha256: the signature header (default X-Signature); token: the token header (default Authorization, as Bearer)")
	fs.StringVar(&sf.prefix, "prefix", "", "hmac-sha256: text before the signature, e.g. sha256=")
	fs.StringVar(&sf.encoding, "encoding", "", "hmac-sha256: hex (default) or base64")
	fs.StringVar(&sf.timestampHeader, "timestamp-header", "", "hmac-sha256: header carrying the Unix time; the MAC is then over \"<timestamp>.<body>\"")
	return sf
}

// delivery is a signed test delivery.
type delivery struct {
	Scheme    string      `json:"scheme"`
	Header    http.Header `json:"-"`
	Body      []byte      `json:"-"`
	ID        string      `json:"id,omitempty"`
	Timestamp int64       `json:"timestamp,omitempty"`
}

// jsonDelivery is a delivery in --json output.
type jsonDelivery struct {
	OK        bool              `json:"ok"`
	Scheme    string            `json:"scheme"`
	Headers   map[string]string `json:"headers"`
	Body      string            `json:"body"`
	ID        string            `json:"id,omitempty"`
	Timestamp int64             `json:"timestamp,omitempty"`
}

func (d delivery) jsonValue() jsonDelivery {
	h := map[string]string{}
	for k := range d.Header {
		h[k] = d.Header.Get(k)
	}
	return jsonDelivery{OK: true, Scheme: d.Scheme, Headers: h, Body: string(d.Body), ID: d.ID, Timestamp: d.Timestamp}
}

// readSecret returns the secret from exactly one of its sources.
func (c *cli) readSecret(fs *flag.FlagSet, sf *signFlags) (string, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["secret"] && set["secret-file"]:
		return "", usageErr("give --secret or --secret-file, not both")
	case set["secret"]:
		if sf.secret == "" {
			return "", usageErr("--secret is empty")
		}
		return sf.secret, nil
	case set["secret-file"]:
		b, err := c.readInput(sf.secretFile)
		if err != nil {
			return "", err
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if s == "" {
			return "", failed("%s: the secret file is empty", displayPath(sf.secretFile))
		}
		return s, nil
	}
	if s := os.Getenv(secretEnv); s != "" {
		return s, nil
	}
	return "", usageErr("a secret is required: --secret, --secret-file or $%s (see itsmsync %s --help)", secretEnv, c.verb)
}

// checkSchemeFlags refuses flags the scheme does not use, so nothing given
// is silently dropped.
func checkSchemeFlags(fs *flag.FlagSet, scheme string) error {
	uses := map[string][]string{
		schemeJira:             {"id"},
		schemeGitHub:           {},
		schemeSysAid:           {},
		schemeHMAC:             {"header", "prefix", "encoding", "timestamp-header", "timestamp"},
		schemeStripe:           {"timestamp"},
		schemeStandardWebhooks: {"id", "timestamp"},
		schemeToken:            {"header"},
	}[scheme]
	var err error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "header", "prefix", "encoding", "timestamp-header", "timestamp", "id":
			if err == nil && !slices.Contains(uses, f.Name) {
				err = usageErr("--%s is not used by the %s scheme", f.Name, scheme)
			}
		}
	})
	if err == nil && scheme == schemeHMAC && !slices.Contains([]string{"", "hex", "base64"}, fs.Lookup("encoding").Value.String()) {
		err = usageErr("--encoding must be hex or base64")
	}
	return err
}

// buildDelivery signs the delivery the flags describe.
func (c *cli) buildDelivery(fs *flag.FlagSet, sf *signFlags) (delivery, error) {
	if sf.scheme == "" {
		return delivery{}, usageErr("--scheme is required: %s (see itsmsync %s --help)", strings.Join(schemes, ", "), c.verb)
	}
	if !slices.Contains(schemes, sf.scheme) {
		return delivery{}, usageErr("unknown --scheme %q (want %s)", clipArg(sf.scheme), strings.Join(schemes, ", "))
	}
	if err := checkSchemeFlags(fs, sf.scheme); err != nil {
		return delivery{}, err
	}
	if sf.timestamp < 0 {
		return delivery{}, usageErr("--timestamp must be Unix seconds")
	}
	if sf.body == "-" && sf.secretFile == "-" {
		return delivery{}, usageErr("--body and --secret-file cannot both read standard input")
	}
	secret, err := c.readSecret(fs, sf)
	if err != nil {
		return delivery{}, err
	}
	at := time.Now()
	if sf.timestamp > 0 {
		at = time.Unix(sf.timestamp, 0)
	}
	id := sf.id
	if id == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = "msg_" + hex.EncodeToString(b[:])
	}
	d := delivery{Scheme: sf.scheme, Header: http.Header{}}
	if sf.body != "" {
		if d.Body, err = c.readInput(sf.body); err != nil {
			return delivery{}, err
		}
	} else {
		d.Body = sampleBody(sf.scheme, id, at)
	}
	d.Header.Set("Content-Type", sf.contentType)

	var hmacCfg *callback.HMACConfig
	switch sf.scheme {
	case schemeJira:
		v, err := jira.Verifier(secret)
		if err != nil {
			return delivery{}, secretErr(err)
		}
		maps.Copy(d.Header, v.Sign(d.Body, at))
		d.Header.Set(jira.DeliveryIDHeader, id)
		d.ID = id
	case schemeSysAid:
		cfg := sysaid.VerifierConfig(secret)
		hmacCfg = &cfg
	case schemeGitHub:
		cfg := callback.GitHubHMAC(secret)
		hmacCfg = &cfg
	case schemeStripe:
		cfg := callback.StripeHMAC(secret)
		hmacCfg = &cfg
		d.Timestamp = at.Unix()
	case schemeHMAC:
		cfg := callback.HMACConfig{Header: sf.header, Algorithm: callback.SHA256, Encoding: callback.Encoding(sf.encoding),
			Prefix: sf.prefix, TimestampHeader: sf.timestampHeader, Secrets: []string{secret}}
		if cfg.Header == "" {
			cfg.Header = "X-Signature"
		}
		hmacCfg = &cfg
		if sf.timestampHeader != "" {
			d.Timestamp = at.Unix()
		} else if sf.timestamp != 0 {
			return delivery{}, usageErr("--timestamp needs --timestamp-header with the hmac-sha256 scheme")
		}
	case schemeStandardWebhooks:
		v, err := callback.NewStandardWebhooksVerifier(callback.StandardWebhooksConfig{Secrets: []string{secret}})
		if err != nil {
			return delivery{}, secretErr(err)
		}
		maps.Copy(d.Header, v.SignHeaders(id, at, d.Body))
		d.ID, d.Timestamp = id, at.Unix()
	case schemeToken:
		if strings.ContainsAny(secret, " \t\r\n") {
			return delivery{}, usageErr("the token must not contain spaces or line breaks")
		}
		r := &http.Request{Header: http.Header{}}
		(&callback.TokenVerifier{Header: sf.header}).Sign(r, secret)
		maps.Copy(d.Header, r.Header)
	}
	if hmacCfg != nil {
		v, err := callback.NewHMACVerifier(*hmacCfg)
		if err != nil {
			return delivery{}, secretErr(err)
		}
		maps.Copy(d.Header, v.Sign(d.Body, at))
	}
	return d, nil
}

// secretErr reports a verifier configuration the flags made invalid (its
// messages name fields, never secret values) as a usage error.
func secretErr(err error) error {
	return usageErr("%s", joinProblems(fieldErrors(err)))
}

// sampleBody is the default body of a delivery: a ticket update as Jira
// sends it for the jira scheme, and in the generic webhook preset's shape
// (webhook.Inbound) otherwise.
func sampleBody(scheme, id string, at time.Time) []byte {
	var v any
	if scheme == schemeJira {
		v = map[string]any{
			"timestamp":             at.UnixMilli(),
			"webhookEvent":          "jira:issue_updated",
			"issue_event_type_name": "issue_generic",
			"issue": map[string]any{"id": "10042", "key": "SEC-42", "fields": map[string]any{
				"summary": "Brute force on vpn-gw-01",
				"status":  map[string]any{"name": "Done", "statusCategory": map[string]any{"key": "done"}},
			}},
			"changelog": map[string]any{"id": "1", "items": []any{map[string]any{
				"field": "status", "fieldtype": "jira", "fieldId": "status", "fromString": "To Do", "toString": "Done",
			}}},
		}
	} else {
		v = map[string]any{
			"event_id":    id,
			"event":       "ticket.updated",
			"occurred_at": at.UTC().Format(time.RFC3339),
			"ticket": map[string]any{"id": "10042", "key": "SEC-42", "status": "resolved",
				"status_category": "done", "priority": "high"},
		}
	}
	b, _ := json.Marshal(v)
	return b
}

// printDelivery writes d as an HTTP message: headers sorted by name, a
// blank line, the body.
func (c *cli) printDelivery(d delivery) {
	for _, k := range slices.Sorted(maps.Keys(d.Header)) {
		for _, v := range d.Header[k] {
			fmt.Fprintf(c.stdout, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(c.stdout)
	c.stdout.Write(d.Body)
	if len(d.Body) > 0 && d.Body[len(d.Body)-1] != '\n' {
		fmt.Fprintln(c.stdout)
	}
}

func runSign(c *cli, args []string) error {
	fs := c.flags("--scheme <scheme> (--secret s | --secret-file f | $" + secretEnv + ") [--body file|-] [--id id] [--timestamp unix] [scheme flags]")
	sf := addSignFlags(fs)
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	d, err := c.buildDelivery(fs, sf)
	if err != nil {
		return err
	}
	if c.json {
		c.writeJSON(d.jsonValue())
		return nil
	}
	c.printDelivery(d)
	return nil
}
