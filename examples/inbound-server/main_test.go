package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/jira"
)

func TestRunDemo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cases := newCaseBook()
	require.NoError(t, run(context.Background(), &out, options{addr: "127.0.0.1:0", cases: cases}))
	got := out.String()

	// The steps, in order.
	want := []string{
		"link:     Jira SEC-1 (issue id 10001) → case CASE-1042, status open, severity medium",
		"1. delivery 2: SEC-1 moved to In Progress",
		"   case CASE-1042: status open → in_progress (Jira SEC-1 moved to In Progress)",
		`   → 200 OK {"applied":1,"duplicate":0,"stale":0,"ignored":0} — applied`,
		"2. delivery 2 again",
		"   audit: duplicate delivery 2",
		`   → 200 OK {"applied":0,"duplicate":1,"stale":0,"ignored":0}`,
		"3. delivery 3: SEC-1 moved to Done, but signed with the wrong secret",
		"   audit: rejected (401): callback: invalid signature",
		"   → 401 Unauthorized — rejected",
		"4. delivery 1, delayed: SEC-1 created (To Do) arrives last",
		"   audit: ignored delivery 1: ticket creation",
		`   → 200 OK {"applied":0,"duplicate":0,"stale":0,"ignored":1}`,
		"5. delivery 3 again, correctly signed",
		"   case CASE-1042: status in_progress → closed (Jira SEC-1 moved to Done)",
		`   → 200 OK {"applied":1,"duplicate":0,"stale":0,"ignored":0}`,
		"6. delivery 4: a comment on SEC-1",
		`   case CASE-1042: note from itsmtest: "` + demoComment + `" (Jira SEC-1 comment)`,
		"case CASE-1042 is now closed (severity medium, 1 note(s)); it was open.",
	}
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if !assert.GreaterOrEqual(t, i, 0, "missing or out of order: %q\n--- output:\n%s", w, got) {
			break
		}
		rest = rest[i+len(w):]
	}
	// The rejected and the ignored deliveries changed nothing: one status line
	// per applied status change.
	assert.Equal(t, 2, strings.Count(got, ": status "), got)

	end := cases.Case(caseID)
	assert.Equal(t, itsm.StatusClosed, end.Status)
	assert.Equal(t, itsm.SeverityMedium, end.Severity)
	require.Len(t, end.Notes, 1)
	assert.Equal(t, demoComment, end.Notes[0].Text)

	assert.NotContains(t, got, demoSecret)
	assert.NotContains(t, got, wrongSecret)
}

func TestRunDemoCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, options{addr: "127.0.0.1:0"})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestRunListenError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	err = run(context.Background(), io.Discard, options{addr: ln.Addr().String(), serve: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listen")
}

// served is a server started by startServe.
type served struct {
	endpoint string
	cases    *caseBook
	stop     func() (string, error) // cancels, waits, returns the output
}

// startServe runs the command in serve mode on a free loopback port.
func startServe(t *testing.T, secret string) served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var out bytes.Buffer
	cases := newCaseBook()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, &out, options{addr: "127.0.0.1:0", secret: secret, serve: true, cases: cases,
			ready: func(endpoint string) { ready <- endpoint }})
	}()
	var endpoint string
	select {
	case endpoint = <-ready:
	case err := <-done:
		t.Fatalf("run ended before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	stopped := false
	stop := func() (string, error) {
		t.Helper()
		require.False(t, stopped)
		stopped = true
		cancel()
		select {
		case err := <-done:
			return out.String(), err // run has returned: out is ours
		case <-time.After(30 * time.Second):
			t.Fatal("server did not stop")
			return "", nil
		}
	}
	t.Cleanup(func() {
		if !stopped {
			_, _ = stop()
		}
	})
	return served{endpoint: endpoint, cases: cases, stop: stop}
}

// post sends body to url with headers and returns the status and body.
func post(t *testing.T, method, url string, body []byte, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, vs := range h {
		req.Header[k] = vs
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// jiraUpdate is a Jira "status changed" delivery for issue id/key.
func jiraUpdate(id, key, status, category string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"timestamp":%d,"webhookEvent":"jira:issue_updated","issue":{"id":%q,"key":%q,`+
		`"fields":{"status":{"name":%q,"statusCategory":{"key":%q}}}},`+
		`"changelog":{"id":"1","items":[{"field":"status","fieldId":"status","toString":%q}]}}`,
		at.UnixMilli(), id, key, status, category, status)
}

// signed returns the headers of a Jira delivery signed with secret, through
// the verifier's own Sign helper.
func signed(t *testing.T, secret, deliveryID string, body []byte) http.Header {
	t.Helper()
	v, err := jira.Verifier(secret)
	require.NoError(t, err)
	h := v.Sign(body, time.Time{})
	h.Set("Content-Type", "application/json")
	h.Set(jira.DeliveryIDHeader, deliveryID)
	return h
}

func TestServe(t *testing.T) {
	t.Parallel()
	const secret = "a-real-secret-from-env"
	s := startServe(t, secret)
	body := jiraUpdate(ticketID, ticketKey, "In Progress", "indeterminate", time.Now())
	code, resp := post(t, http.MethodPost, s.endpoint, body, signed(t, secret, "d-1", body))
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"applied":1,"duplicate":0,"stale":0,"ignored":0}`, resp)
	assert.Equal(t, itsm.StatusInProgress, s.cases.Case(caseID).Status)

	got, err := s.stop()
	require.NoError(t, err)
	for _, want := range []string{
		"endpoint: POST " + s.endpoint,
		"SECRET='...'   # the secret you gave with -secret or $JIRA_WEBHOOK_SECRET",
		`SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')`,
		"case CASE-1042: status open → in_progress (Jira SEC-1 moved to In Progress)",
		"shutting down",
		"server stopped",
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, secret)
	assert.NotContains(t, got, "the demo value", "a real secret is not called the demo value")
}

// TestServeRejects sends what a webhook endpoint must refuse or merely
// acknowledge, and checks the status code and that the case never changed.
func TestServeRejects(t *testing.T) {
	t.Parallel()
	s := startServe(t, "")
	now := time.Now()
	done := jiraUpdate(ticketID, ticketKey, "Done", "done", now)
	unlinked := jiraUpdate("20002", "OPS-9", "Done", "done", now)
	worklog := []byte(`{"timestamp":1,"webhookEvent":"worklog_created","worklog":{"id":"1"}}`)
	tests := []struct {
		name    string
		method  string
		body    []byte
		headers http.Header
		want    int
		summary string
	}{
		{"wrong method", http.MethodGet, nil, nil, http.StatusMethodNotAllowed, ""},
		{"no signature", http.MethodPost, done, http.Header{"Content-Type": {"application/json"}}, http.StatusUnauthorized, ""},
		{"wrong secret", http.MethodPost, done, signed(t, "guessed", "r-1", done), http.StatusUnauthorized, ""},
		{"body changed after signing", http.MethodPost, append(bytes.Clone(done[:len(done)-1]), ' ', '}'), signed(t, demoSecret, "r-2", done), http.StatusUnauthorized, ""},
		{"not json", http.MethodPost, []byte("status=Done"), signed(t, demoSecret, "r-3", []byte("status=Done")), http.StatusBadRequest, ""},
		{"oversize body", http.MethodPost, bytes.Repeat([]byte(" "), callback.DefaultMaxBodyBytes+1), nil, http.StatusRequestEntityTooLarge, ""},
		{"unsupported event", http.MethodPost, worklog, signed(t, demoSecret, "r-4", worklog), http.StatusOK, `{"applied":0,"duplicate":0,"stale":0,"ignored":1}`},
		{"unlinked ticket", http.MethodPost, unlinked, signed(t, demoSecret, "r-5", unlinked), http.StatusOK, `{"applied":0,"duplicate":0,"stale":0,"ignored":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, resp := post(t, tt.method, s.endpoint, tt.body, tt.headers)
			assert.Equal(t, tt.want, code, resp)
			if tt.summary != "" {
				assert.JSONEq(t, tt.summary, resp)
			}
			assert.Equal(t, itsm.StatusOpen, s.cases.Case(caseID).Status, "no state change")
		})
	}
	got, err := s.stop()
	require.NoError(t, err)
	assert.Contains(t, got, "Jira OPS-9 is not linked to any case: acknowledged, nothing to do")
	assert.Contains(t, got, "audit: rejected (401): callback: invalid signature")
	assert.Contains(t, got, "audit: rejected (401): callback: missing signature")
	assert.NotContains(t, got, "→ closed")
}

// TestCurlSnippet runs the printed shell snippet, as a user would, against
// a live server: the openssl signature must verify, and the second send is a
// duplicate.
func TestCurlSnippet(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"sh", "curl", "openssl", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	s := startServe(t, "")
	script := strings.ReplaceAll(curlSnippet(s.endpoint, demoSecret, time.Now()), "\n  ", "\n")
	script = strings.TrimPrefix(script, "  ")
	for _, want := range []string{`"applied":1`, `"duplicate":1`} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		b, err := exec.CommandContext(ctx, "sh", "-c", script).CombinedOutput()
		cancel()
		require.NoError(t, err, string(b))
		assert.Contains(t, string(b), "HTTP/1.1 200 OK")
		assert.Contains(t, string(b), want)
	}
	assert.Equal(t, itsm.StatusClosed, s.cases.Case(caseID).Status)
	got, err := s.stop()
	require.NoError(t, err)
	assert.Contains(t, got, "case CASE-1042: status open → closed (Jira SEC-1 moved to Done)")
	assert.Contains(t, got, "audit: duplicate delivery curl-1")
}

func TestCurlSnippetQuoting(t *testing.T) {
	t.Parallel()
	at := time.UnixMilli(1767225600000)
	s := curlSnippet("http://127.0.0.1:8085/webhooks/jira", demoSecret, at)
	assert.Contains(t, s, "SECRET='demo-secret-change-me'")
	assert.Contains(t, s, `"timestamp":1767225600000`)
	assert.Contains(t, s, `"id":"10001","key":"SEC-1"`)
	assert.NotContains(t, curlSnippet("http://x", "it's-secret", at), "it's-secret")
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantSec  string
		serve    bool
		wantErr  bool
	}{
		{"demo defaults", nil, nil, demoAddr, demoSecret, false, false},
		{"serve defaults", []string{"-serve"}, nil, defaultServeAddr, demoSecret, true, false},
		{"explicit", []string{"-serve", "-addr", "127.0.0.1:9999", "-secret", "s1"}, nil, "127.0.0.1:9999", "s1", true, false},
		{"secret from env", nil, map[string]string{secretEnv: "from-env"}, demoAddr, "from-env", false, false},
		{"flag beats env", []string{"-secret", "s1"}, map[string]string{secretEnv: "from-env"}, demoAddr, "s1", false, false},
		{"unknown flag", []string{"-bogus"}, nil, "", "", false, true},
		{"stray argument", []string{"serve"}, nil, "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			o, err := parseFlags(tt.args, env(tt.env), &stderr)
			if tt.wantErr {
				require.Error(t, err)
				assert.NotEmpty(t, stderr.String())
				return
			}
			require.NoError(t, err)
			o = o.withDefaults()
			assert.Equal(t, tt.wantAddr, o.addr)
			assert.Equal(t, tt.wantSec, o.secret)
			assert.Equal(t, tt.serve, o.serve)
			assert.Equal(t, defaultShutdownTimeout, o.shutdownTimeout)
		})
	}
	var stderr bytes.Buffer
	_, err := parseFlags([]string{"-h"}, env(nil), &stderr)
	require.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, stderr.String(), "-serve")
}

func TestCaseBook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	change := func(mod func(*callback.TicketChange)) callback.TicketChange {
		c := callback.TicketChange{CaseID: caseID, TicketID: ticketID, TicketKey: ticketKey, Kind: callback.EventUpdated}
		mod(&c)
		return c
	}
	tests := []struct {
		name    string
		changes []callback.TicketChange
		want    hostCase
		lines   []string
		wantErr error
	}{
		{
			name: "status applied once, then idempotent",
			changes: []callback.TicketChange{
				change(func(c *callback.TicketChange) { c.Status, c.ITSMStatus = itsm.StatusInProgress, "In Progress" }),
				change(func(c *callback.TicketChange) { c.Status, c.ITSMStatus = itsm.StatusInProgress, "In Progress" }),
			},
			want: hostCase{Status: itsm.StatusInProgress, Severity: itsm.SeverityMedium},
			lines: []string{
				"case CASE-1042: status open → in_progress (Jira SEC-1 moved to In Progress)",
				"case CASE-1042: status already in_progress (Jira SEC-1 moved to In Progress)",
			},
		},
		{
			name: "severity",
			changes: []callback.TicketChange{
				change(func(c *callback.TicketChange) { c.Severity, c.ITSMPriority = itsm.SeverityHigh, "High" }),
			},
			want:  hostCase{Status: itsm.StatusOpen, Severity: itsm.SeverityHigh},
			lines: []string{"case CASE-1042: severity medium → high (Jira SEC-1 priority set to High)"},
		},
		{
			name: "deleted ticket closes",
			changes: []callback.TicketChange{
				change(func(c *callback.TicketChange) { c.Kind, c.Status = callback.EventDeleted, itsm.StatusClosed }),
			},
			want:  hostCase{Status: itsm.StatusClosed, Severity: itsm.SeverityMedium},
			lines: []string{"case CASE-1042: status open → closed (Jira SEC-1 was deleted)"},
		},
		{
			name: "comment added once per comment id",
			changes: []callback.TicketChange{
				change(func(c *callback.TicketChange) {
					c.Kind, c.Comment = callback.EventComment, &callback.Comment{ID: "7", Body: "first\nline", Author: "Ana"}
				}),
				change(func(c *callback.TicketChange) {
					c.Kind, c.Comment = callback.EventComment, &callback.Comment{ID: "7", Body: "first\nline", Author: "Ana"}
				}),
			},
			want: hostCase{Status: itsm.StatusOpen, Severity: itsm.SeverityMedium, Notes: []note{{CommentID: "7", Author: "Ana", Text: "first line"}}},
			lines: []string{
				`case CASE-1042: note from Ana: "first line" (Jira SEC-1 comment)`,
				"case CASE-1042: note already added (Jira SEC-1 comment 7)",
			},
		},
		{
			name:    "unknown case",
			changes: []callback.TicketChange{change(func(c *callback.TicketChange) { c.CaseID, c.Status = "CASE-404", itsm.StatusClosed })},
			want:    hostCase{Status: itsm.StatusOpen, Severity: itsm.SeverityMedium},
			wantErr: errNoCase,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			b := newCaseBook()
			b.setOutput(&syncWriter{w: &out})
			var err error
			for _, c := range tt.changes {
				err = errors.Join(err, b.ApplyTicketChange(ctx, c))
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, b.Case(caseID))
			for _, l := range tt.lines {
				assert.Contains(t, out.String(), l)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a b c", oneLine(" a\n b\t\tc ", 10))
	assert.Equal(t, "héll…", oneLine("héllo world", 4))
}
