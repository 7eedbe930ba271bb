package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
)

// wrongSecret signs the delivery the server must reject.
const wrongSecret = "not-the-shared-secret"

// demoComment is what the Jira user writes on SEC-1.
const demoComment = "Checked with the user: the login was theirs, from a hotel network. False positive."

// step is one delivery of the demo and what the server must answer.
type step struct {
	title  string
	event  itsmtest.Event
	secret string
	// want is the expected HTTP status and, for 200, the summary.
	want     int
	wantSumm summary
	// explain says what the answer means.
	explain string
}

// summary is the handler's JSON answer to an accepted delivery.
type summary struct {
	Applied   int `json:"applied"`
	Duplicate int `json:"duplicate"`
	Stale     int `json:"stale"`
	Ignored   int `json:"ignored"`
}

// demo plays a short history of SEC-1 in a fake Jira and delivers its
// webhooks to endpoint as a real network might: retried, forged, late. It
// returns an error when the server does not answer a step as expected or
// the case does not end closed with the comment as a note.
func demo(ctx context.Context, out *syncWriter, endpoint, secret string, cases *caseBook) error {
	start := cases.Case(caseID)
	out.printf("itsmsync inbound-server demo\n")
	out.printf("  endpoint: POST %s  (Jira webhooks, X-Hub-Signature: sha256=<hex HMAC-SHA256>)\n", endpoint)
	out.printf("  link:     Jira %s (issue id %s) → case %s, status %s, severity %s\n\n",
		ticketKey, ticketID, caseID, start.Status, start.Severity)

	ev, err := jiraHistory()
	if err != nil {
		return err
	}
	created, inProgress, done, comment := ev[0], ev[1], ev[2], ev[3]
	out.printf("In a fake Jira, %s is created (To Do), moved to In Progress, moved to Done and commented on.\n", ticketKey)
	out.printf("Its webhook deliveries reach the server like this:\n\n")

	steps := []step{
		{
			title: fmt.Sprintf("delivery %s: %s moved to In Progress", inProgress.Identifier, ticketKey),
			event: inProgress, secret: secret, want: http.StatusOK, wantSumm: summary{Applied: 1},
			explain: "applied",
		},
		{
			title: fmt.Sprintf("delivery %s again: Jira retries it (same X-Atlassian-Webhook-Identifier)", inProgress.Identifier),
			event: inProgress, secret: secret, want: http.StatusOK, wantSumm: summary{Duplicate: 1},
			explain: "a duplicate: acknowledged so Jira stops retrying, applied only once",
		},
		{
			title: fmt.Sprintf("delivery %s: %s moved to Done, but signed with the wrong secret", done.Identifier, ticketKey),
			event: done, secret: wrongSecret, want: http.StatusUnauthorized,
			explain: "rejected before the body is even parsed; the case does not change",
		},
		{
			title: fmt.Sprintf("delivery %s, delayed: %s created (To Do) arrives last", created.Identifier, ticketKey),
			event: created, secret: secret, want: http.StatusOK, wantSumm: summary{Ignored: 1},
			explain: "ignored: a linked ticket's creation only echoes the create this SDK made (ApplierConfig.ApplyCreated is off), and it is older than the In Progress already applied",
		},
		{
			title: fmt.Sprintf("delivery %s again, correctly signed this time", done.Identifier),
			event: done, secret: secret, want: http.StatusOK, wantSumm: summary{Applied: 1},
			explain: "applied (a rejected delivery is not remembered as seen)",
		},
		{
			title: fmt.Sprintf("delivery %s: a comment on %s", comment.Identifier, ticketKey),
			event: comment, secret: secret, want: http.StatusOK, wantSumm: summary{Applied: 1},
			explain: "applied as a case note",
		},
	}

	// A client of its own: loopback only, no proxy, bounded.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for i, s := range steps {
		out.printf("%d. %s\n", i+1, s.title)
		code, body, err := deliver(ctx, client, endpoint, s.event, s.secret)
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		out.printf("   → %d %s %s— %s\n", code, http.StatusText(code), body, s.explain)
		if err := s.check(code, body); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}

	end := cases.Case(caseID)
	out.printf("\ncase %s is now %s (severity %s, %d note(s)); it was %s.\n", caseID, end.Status, end.Severity, len(end.Notes), start.Status)
	if end.Status != itsm.StatusClosed || len(end.Notes) != 1 {
		return fmt.Errorf("case %s ended %s with %d note(s), want closed with 1", caseID, end.Status, len(end.Notes))
	}
	return nil
}

// check compares an answer with the step's expectation.
func (s step) check(code int, body string) error {
	if code != s.want {
		return fmt.Errorf("server answered %d, want %d", code, s.want)
	}
	if code != http.StatusOK {
		return nil
	}
	var got summary
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		return fmt.Errorf("answer is not the handler's summary: %w", err)
	}
	if got != s.wantSumm {
		return fmt.Errorf("server answered %+v, want %+v", got, s.wantSumm)
	}
	return nil
}

// deliver POSTs ev to url as Jira would, signed with secret, and returns the
// status code and the JSON answer ("" when the answer is not JSON).
func deliver(ctx context.Context, client *http.Client, url string, ev itsmtest.Event, secret string) (int, string, error) {
	req, err := ev.Request(ctx, url, secret)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return 0, "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body) // drain, so the connection is reused
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp.StatusCode, "", nil
	}
	return resp.StatusCode, strings.TrimSpace(string(b)) + " ", nil
}

// jiraHistory plays SEC-1's history in a fake Jira that is never served
// (it only renders the webhook payloads, exactly shaped like Jira Cloud's)
// and returns its four deliveries: created, In Progress, Done, comment.
func jiraHistory() ([]itsmtest.Event, error) {
	clk := &stepClock{now: time.Now().Add(-10 * time.Minute).Truncate(time.Second)}
	var (
		mu     sync.Mutex
		events []itsmtest.Event
	)
	fake := itsmtest.New(
		itsmtest.WithBaseURL("https://example.atlassian.net"),
		itsmtest.WithClock(clk),
		itsmtest.WithEventHook(func(e itsmtest.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		}),
	)
	defer fake.Close()

	// The SIEM's sync engine would create the ticket through Jira's API; here
	// the request goes straight to the fake's handler.
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/rest/api/2/issue", strings.NewReader(
		`{"fields":{"project":{"key":"SEC"},"issuetype":{"name":"Task"},"summary":"[SIEM] Suspicious admin login from 203.0.113.7"}}`)))
	if rec.Code != http.StatusCreated {
		return nil, fmt.Errorf("fake jira: create answered %d", rec.Code)
	}
	t, ok := fake.Ticket(ticketKey)
	if !ok || t.ID != ticketID {
		return nil, fmt.Errorf("fake jira: created %s (id %s), want %s (id %s)", t.Key, t.ID, ticketKey, ticketID)
	}
	for _, change := range []func() error{
		func() error { return fake.SetStatus(ticketKey, "In Progress") },
		func() error { return fake.SetStatus(ticketKey, "Done") },
		func() error { _, err := fake.AddComment(ticketKey, demoComment); return err },
	} {
		clk.advance(2 * time.Minute)
		if err := change(); err != nil {
			return nil, fmt.Errorf("fake jira: %w", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{itsmtest.EventIssueCreated, itsmtest.EventIssueUpdated, itsmtest.EventIssueUpdated, itsmtest.EventCommentCreated}
	if len(events) != len(want) {
		return nil, fmt.Errorf("fake jira: %d webhook deliveries, want %d", len(events), len(want))
	}
	for i, e := range events {
		if e.Name != want[i] {
			return nil, fmt.Errorf("fake jira: delivery %d is %s, want %s", i+1, e.Name, want[i])
		}
	}
	return events, nil
}

// stepClock is the fake Jira's clock: the demo moves it forward between
// changes so every delivery has a distinct timestamp.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
