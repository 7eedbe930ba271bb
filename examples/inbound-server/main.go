// Command inbound-server is the receiving end of itsmsync: an HTTP server on
// 127.0.0.1 whose endpoint takes Jira webhooks, checks their signature and
// turns ticket changes into case changes, printing each one it applies.
//
//	go run ./examples/inbound-server           # a short self-demo, then exit
//	go run ./examples/inbound-server -serve    # keep serving until Ctrl-C
//
// # What is wired together
//
//   - callback.Handler, mounted at /webhooks/jira: POST only, body capped,
//     signature checked before anything is parsed, then parse, dedup,
//     ordering, status map and the host's updater;
//   - the Jira pieces: jira.Verifier (X-Hub-Signature: sha256=<hex
//     HMAC-SHA256 of the body>), jira.Parser, and jira.DeliveryIDHeader
//     (X-Atlassian-Webhook-Identifier: reported, but unsigned, so the
//     dedup key is a digest of the signed body);
//   - statusmap.JiraStatuses and statusmap.JiraPriorities: "In Progress" →
//     in_progress, "Done" → closed, "High" → high ...;
//   - memstore, holding the link Jira SEC-1 (issue id 10001) → case
//     CASE-1042, delivery claims and per-ticket ordering state;
//   - a CaseUpdater (type caseBook) standing in for the SIEM's case
//     database.
//
// The case database prints every change it applies, such as:
//
//	case CASE-1042: status open → closed (Jira SEC-1 moved to Done)
//
// and deliveries that change nothing print their audit record (duplicate,
// stale, rejected with the reason), which the sender never sees.
//
// # The demo (default)
//
// A fake Jira (package itsmtest) plays the ITSM: SEC-1 is created, moved to
// In Progress, moved to Done and commented on, and every webhook delivery
// it emits is POSTed over loopback, signed, to the server — in the order a
// real network may deliver them. The demo prints each delivery, the case
// change it caused and the HTTP answer: applied (200), a retry of the same
// delivery (200, duplicate: applied once), a delivery with a bad signature
// (401, nothing changes), the delayed creation event (200, ignored: it only
// echoes the create and is older than the applied status), the signed retry of the rejected one
// (applied), and a comment (a case note). It listens on a free loopback port
// unless -addr says otherwise, and exits 0 when every step behaved.
//
// # Serving (-serve)
//
// With -serve the server stays up on -addr (default 127.0.0.1:8085) until
// SIGINT or SIGTERM, then shuts down gracefully (in-flight deliveries get up
// to 5 s). It prints a ready-to-paste shell snippet that signs a Jira-shaped
// delivery with openssl and sends it with curl:
//
//	SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
//	curl -sS -i http://127.0.0.1:8085/webhooks/jira \
//	  -H 'Content-Type: application/json' \
//	  -H 'X-Atlassian-Webhook-Identifier: curl-1' \
//	  -H "X-Hub-Signature: sha256=$SIG" \
//	  --data-binary "$BODY"
//
// Send it twice: the second is a duplicate. Change one byte of the body
// without re-signing it: 401.
//
// # Flags
//
//	-serve        keep serving until Ctrl-C instead of running the demo
//	-addr ADDR    listen address (default 127.0.0.1:8085 with -serve, a
//	              free 127.0.0.1 port for the demo)
//	-secret S     the Jira webhook secret (default: $JIRA_WEBHOOK_SECRET,
//	              else the demo value "demo-secret-change-me"); a secret
//	              other than the demo value is never printed
//
// # From here to production
//
// Replace memstore with a durable store (the links are written by the sync
// engine when it creates tickets; claims and ordering state must survive a
// restart), caseBook with your case database (ApplyTicketChange must be
// idempotent and return nil only once the change is stored), and put the
// server behind your TLS reverse proxy: Jira Cloud only calls public HTTPS
// URLs. In Jira, add a webhook (Settings → System → WebHooks) with the URL
// https://<your host>/webhooks/jira, the same secret, and the events "issue
// created/updated/deleted" and "comment created".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/statusmap"
)

// The demo integration: one Jira ticket linked to one case.
const (
	integrationID = "jira-demo"
	caseID        = "CASE-1042"
	ticketID      = "10001" // Jira's numeric issue id
	ticketKey     = "SEC-1"
	webhookPath   = "/webhooks/jira"
	// demoSecret is the default webhook secret: fine on loopback, never in
	// production (the server says so when it serves with it).
	demoSecret = "demo-secret-change-me"
	// secretEnv names the environment variable read for the secret, so a
	// real one need not appear on the command line.
	secretEnv = "JIRA_WEBHOOK_SECRET"

	defaultServeAddr = "127.0.0.1:8085"
	demoAddr         = "127.0.0.1:0"
	// defaultShutdownTimeout bounds the graceful shutdown.
	defaultShutdownTimeout = 5 * time.Second
)

func main() {
	opts, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, opts); err != nil {
		fmt.Fprintln(os.Stderr, "inbound-server:", err)
		stop()
		os.Exit(1)
	}
}

// options is what the command line decides.
type options struct {
	// addr is the listen address ("" means the mode's default).
	addr string
	// secret is the Jira webhook secret ("" means demoSecret).
	secret string
	// serve keeps the server up until ctx ends instead of running the demo.
	serve bool
	// shutdownTimeout bounds the graceful shutdown (0 means
	// defaultShutdownTimeout).
	shutdownTimeout time.Duration
	// ready, when set, is called in serve mode once the server accepts
	// requests, with the endpoint URL (tests use it).
	ready func(endpoint string)
	// cases is the host's case database; nil means a fresh one holding
	// CASE-1042 (tests pass their own to inspect the end state).
	cases *caseBook
}

// parseFlags reads the command line; errors (and -h) are reported on
// stderr by the flag package.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("inbound-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.serve, "serve", false, "keep serving until Ctrl-C instead of running the self-demo")
	fs.StringVar(&o.addr, "addr", "", "listen `address` (default "+defaultServeAddr+" with -serve, a free 127.0.0.1 port for the demo)")
	fs.StringVar(&o.secret, "secret", "", "the Jira webhook `secret` (default $"+secretEnv+", else a demo value)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return options{}, err
	}
	if o.secret == "" {
		o.secret = getenv(secretEnv)
	}
	return o, nil
}

func (o options) withDefaults() options {
	if o.addr == "" {
		o.addr = demoAddr
		if o.serve {
			o.addr = defaultServeAddr
		}
	}
	if o.secret == "" {
		o.secret = demoSecret
	}
	if o.shutdownTimeout <= 0 {
		o.shutdownTimeout = defaultShutdownTimeout
	}
	if o.cases == nil {
		o.cases = newCaseBook()
	}
	return o
}

// run builds the inbound stack, starts the server and either runs the demo
// or serves until ctx ends; either way it shuts the server down gracefully
// before returning.
func run(ctx context.Context, w io.Writer, opts options) error {
	opts = opts.withDefaults()
	out := &syncWriter{w: w}
	opts.cases.setOutput(out)

	handler, err := newHandler(ctx, opts.secret, opts.cases, out)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(webhookPath, handler)

	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler: mux,
		// Bounded everything: a webhook endpoint faces the internet.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	endpoint := "http://" + ln.Addr().String() + webhookPath

	var runErr error
	if opts.serve {
		runErr = serve(ctx, out, opts, endpoint, serveErr)
	} else {
		runErr = demo(ctx, out, endpoint, opts.secret, opts.cases)
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close() // deliveries still running after the grace period are cut
		runErr = errors.Join(runErr, fmt.Errorf("shutdown: %w", err))
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		runErr = errors.Join(runErr, fmt.Errorf("serve: %w", err))
	}
	if opts.serve {
		out.printf("server stopped\n")
	}
	return runErr
}

// newHandler assembles the Jira callback endpoint: the link SEC-1 →
// CASE-1042 in a memory store, Jira's verifier, parser and status maps, and
// cases as the updater.
func newHandler(ctx context.Context, secret string, cases *caseBook, out *syncWriter) (*callback.Handler, error) {
	store := memstore.New()
	// In a real deployment the sync engine writes this link when it creates
	// the ticket for the case.
	if err := store.PutLink(ctx, itsm.Link{
		IntegrationID: integrationID, CaseID: caseID, TicketID: ticketID, TicketKey: ticketKey,
		URL: "https://example.atlassian.net/browse/" + ticketKey,
	}); err != nil {
		return nil, err
	}
	statuses := statusmap.JiraStatuses()
	statusMap, err := statuses.Compile()
	if err != nil {
		return nil, err
	}
	priorities := statusmap.JiraPriorities()
	priorityMap, err := priorities.Compile()
	if err != nil {
		return nil, err
	}
	verifier, err := jira.Verifier(secret)
	if err != nil {
		return nil, err
	}
	return callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: integrationID,
			Store:         store,
			StatusMap:     statusMap,
			PriorityMap:   priorityMap,
			Updater:       cases,
			DeletedStatus: itsm.StatusClosed, // a deleted ticket closes its case
			Comments:      true,              // Jira comments become case notes
			OnUnlinked: func(_ context.Context, t callback.UnlinkedTicket) {
				out.printf("   Jira %s is not linked to any case: acknowledged, nothing to do\n", firstNonEmpty(t.TicketKey, t.TicketID))
			},
		},
		Verifier:         verifier,
		Parser:           jira.Parser{},
		DeliveryIDHeader: jira.DeliveryIDHeader,
	}, itsm.WithAudit(auditPrinter{out}))
}

// serve prints how to send a delivery, then waits for ctx (Ctrl-C) or a
// server failure.
func serve(ctx context.Context, out *syncWriter, opts options, endpoint string, serveErr <-chan error) error {
	out.printf("itsmsync inbound server\n")
	out.printf("  endpoint: POST %s  (Jira webhooks, X-Hub-Signature: sha256=<hex HMAC-SHA256>)\n", endpoint)
	out.printf("  link:     Jira %s (issue id %s) → case %s, status %s\n", ticketKey, ticketID, caseID, opts.cases.Case(caseID).Status)
	if opts.secret == demoSecret {
		out.printf("  secret:   the demo value: pass -secret or set $%s for anything but a demo\n", secretEnv)
	}
	if host, _, err := net.SplitHostPort(opts.addr); err == nil && !isLoopback(host) {
		out.printf("  warning:  listening beyond loopback over plain HTTP: put a TLS reverse proxy in front\n")
	}
	out.printf("\nSend a test delivery (moves %s to Done) from another terminal:\n\n", ticketKey)
	out.printf("%s\n", curlSnippet(endpoint, opts.secret, time.Now()))
	out.printf("Send it again, even under another X-Atlassian-Webhook-Identifier: a duplicate (same signed body), nothing applied.\n")
	out.printf("Change the body without re-signing it: 401.\n\nCtrl-C to stop.\n\n")
	if opts.ready != nil {
		opts.ready(endpoint)
	}
	select {
	case <-ctx.Done():
		out.printf("\nshutting down (in-flight deliveries get up to %s)\n", opts.shutdownTimeout)
		return nil
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// curlSnippet is a shell snippet that signs a Jira "moved to Done" delivery
// for the demo ticket with openssl and POSTs it with curl. A secret other
// than the demo one is not printed.
func curlSnippet(endpoint, secret string, at time.Time) string {
	body := fmt.Sprintf(`{"timestamp":%d,"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_generic",`+
		`"issue":{"id":"%s","key":"%s","fields":{"status":{"name":"Done","statusCategory":{"key":"done"}}}},`+
		`"changelog":{"id":"10100","items":[{"field":"status","fieldtype":"jira","fieldId":"status","fromString":"To Do","toString":"Done"}]}}`,
		at.UnixMilli(), ticketID, ticketKey)
	secretLine := "SECRET=" + shellQuote(secret)
	if secret != demoSecret {
		secretLine = "SECRET='...'   # the secret you gave with -secret or $" + secretEnv
	}
	lines := []string{
		secretLine,
		"BODY=" + shellQuote(body),
		`SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')`,
		"curl -sS -i " + shellQuote(endpoint) + ` \`,
		`  -H 'Content-Type: application/json' \`,
		`  -H 'X-Atlassian-Webhook-Identifier: curl-1' \`,
		`  -H "X-Hub-Signature: sha256=$SIG" \`,
		`  --data-binary "$BODY"`,
	}
	return "  " + strings.Join(lines, "\n  ") + "\n"
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// caseBook stands in for the SIEM's case database: the host side of
// callback.CaseUpdater. It prints every change it applies. Safe for
// concurrent use.
type caseBook struct {
	mu    sync.Mutex
	out   *syncWriter
	cases map[string]*hostCase
}

var _ callback.CaseUpdater = (*caseBook)(nil)

// hostCase is the part of a SIEM case the webhook can change.
type hostCase struct {
	Status   itsm.Status
	Severity itsm.Severity
	Notes    []note
}

// note is a case note taken from a Jira comment.
type note struct {
	CommentID, Author, Text string
}

// newCaseBook returns a book holding CASE-1042, open with medium severity.
func newCaseBook() *caseBook {
	return &caseBook{cases: map[string]*hostCase{
		caseID: {Status: itsm.StatusOpen, Severity: itsm.SeverityMedium},
	}}
}

func (b *caseBook) setOutput(out *syncWriter) {
	b.mu.Lock()
	b.out = out
	b.mu.Unlock()
}

// Case returns a copy of a case (the zero value when there is none).
func (b *caseBook) Case(id string) hostCase {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.cases[id]
	if !ok {
		return hostCase{}
	}
	cp := *c
	cp.Notes = append([]note(nil), c.Notes...)
	return cp
}

// errNoCase is a change for a case the host does not have (deleted on the
// SIEM side): the handler answers 500 and Jira retries, so a real host would
// rather unlink the ticket.
var errNoCase = errors.New("no such case")

// ApplyTicketChange implements callback.CaseUpdater. It is idempotent: a
// change the case already reflects prints "already ..." and changes
// nothing.
func (b *caseBook) ApplyTicketChange(_ context.Context, ch callback.TicketChange) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.cases[ch.CaseID]
	if !ok {
		return fmt.Errorf("case %q: %w", ch.CaseID, errNoCase)
	}
	ticket := "Jira " + firstNonEmpty(ch.TicketKey, ch.TicketID)
	switch {
	case ch.Kind == callback.EventDeleted:
		b.setStatus(c, ch, ticket+" was deleted")
	case ch.Status != "":
		b.setStatus(c, ch, ticket+" moved to "+ch.ITSMStatus)
	}
	if ch.Severity != "" {
		if c.Severity == ch.Severity {
			b.out.printf("   case %s: severity already %s\n", ch.CaseID, ch.Severity)
		} else {
			b.out.printf("   case %s: severity %s → %s (%s priority set to %s)\n", ch.CaseID, c.Severity, ch.Severity, ticket, ch.ITSMPriority)
			c.Severity = ch.Severity
		}
	}
	if ch.Comment != nil {
		n := note{CommentID: ch.Comment.ID, Author: firstNonEmpty(ch.Comment.Author, "someone"), Text: oneLine(ch.Comment.Body, 120)}
		if slices.ContainsFunc(c.Notes, n.same) {
			b.out.printf("   case %s: note already added (%s comment %s)\n", ch.CaseID, ticket, n.CommentID)
		} else {
			c.Notes = append(c.Notes, n)
			b.out.printf("   case %s: note from %s: %q (%s comment)\n", ch.CaseID, n.Author, n.Text, ticket)
		}
	}
	return nil
}

func (b *caseBook) setStatus(c *hostCase, ch callback.TicketChange, why string) {
	if ch.Status == "" {
		b.out.printf("   case %s: %s; status left %s\n", ch.CaseID, why, c.Status)
		return
	}
	if c.Status == ch.Status {
		b.out.printf("   case %s: status already %s (%s)\n", ch.CaseID, c.Status, why)
		return
	}
	b.out.printf("   case %s: status %s → %s (%s)\n", ch.CaseID, c.Status, ch.Status, why)
	c.Status = ch.Status
}

// same reports whether n and o are the same comment: by id when both have
// one, else by author and text.
func (n note) same(o note) bool {
	if n.CommentID != "" && o.CommentID != "" {
		return n.CommentID == o.CommentID
	}
	return n.Author == o.Author && n.Text == o.Text
}

// oneLine flattens s to a single line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// auditPrinter prints the audit records of deliveries that changed nothing
// (duplicate, stale, ignored, rejected, failed): the sender only sees a
// status code, the operator sees why. Applied changes are printed by the
// caseBook. Audit records never hold a secret or a body.
type auditPrinter struct{ out *syncWriter }

func (p auditPrinter) Record(_ context.Context, e itsm.AuditEvent) {
	if e.Outcome == itsm.OutcomeSuccess {
		return
	}
	line := "   audit: " + string(e.Outcome)
	if e.DeliveryID != "" {
		line += " delivery " + e.DeliveryID
	}
	if e.StatusCode != 0 {
		line += fmt.Sprintf(" (%d)", e.StatusCode)
	}
	if e.Reason != "" {
		line += ": " + e.Reason
	}
	if e.Error != "" {
		line += ": " + e.Error
	}
	p.out.printf("%s\n", line)
}

// syncWriter serializes writes: the server's goroutines and the demo print
// to the same output.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) printf(format string, args ...any) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format, args...)
}
