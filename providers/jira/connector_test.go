package jira_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/jira"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testEmail  = "bot@example.com"
	testSecret = "tok-SUPER-SECRET-42"
)

// deployment is one way to reach the fake Jira.
type deployment struct {
	name    string
	version string // REST API version the fake sees
	opts    func(base string) jira.Options
	auth    itsmtest.Option
}

func deployments() []deployment {
	return []deployment{
		{"cloud", "3", func(base string) jira.Options {
			return jira.Options{BaseURL: base, Deployment: jira.Cloud, ProjectKey: "SEC",
				Auth: jira.APIToken(testEmail, testSecret), Network: httpconn.NetworkConfig{AllowLoopback: true}}
		}, itsmtest.WithBasicAuth(testEmail, testSecret)},
		{"datacenter", "2", func(base string) jira.Options {
			return jira.Options{BaseURL: base, Deployment: jira.DataCenter, ProjectKey: "SEC",
				Auth: jira.PersonalAccessToken(testSecret), Network: httpconn.NetworkConfig{AllowLoopback: true}}
		}, itsmtest.WithBearer(testSecret)},
	}
}

// setup starts a fake Jira and returns it with a connector for d.
func setup(t *testing.T, d deployment, fakeOpts ...itsmtest.Option) (*itsmtest.Server, *jira.Connector, httpconn.Config) {
	t.Helper()
	srv := itsmtest.NewServer(append([]itsmtest.Option{d.auth}, fakeOpts...)...)
	t.Cleanup(srv.Close)
	cfg, err := jira.Preset(d.opts(srv.URL()))
	require.NoError(t, err)
	cfg.ID = "int-" + d.name
	cfg.Retry = httpconn.RetryConfig{MaxAttempts: 1}
	conn, err := jira.NewConnector(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return srv, conn, cfg
}

func syncReq(cfg httpconn.Config, c *itsm.Case) itsm.SyncRequest {
	return itsm.SyncRequest{Case: c, CorrelationKey: itsm.CorrelationKey(cfg.ID, c.ID)}
}

func TestConnectorEndToEnd(t *testing.T) {
	for _, d := range deployments() {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			srv, conn, cfg := setup(t, d)
			c := itsm.Case{ID: "CASE-7", Title: `Phishing "invoice" wave`, Description: "First line\nsecond line\n\nNew paragraph",
				Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
			req := syncReq(cfg, &c)

			// Create: labels carry the correlation key; no transition needed.
			tk, err := conn.Create(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, "10001", tk.ID)
			assert.Equal(t, "SEC-1", tk.Key)
			assert.Equal(t, srv.URL()+"/browse/SEC-1", tk.URL)
			ft, ok := srv.Ticket(tk.ID)
			require.True(t, ok)
			assert.Equal(t, d.version, ft.APIVersion)
			assert.Equal(t, `[SIEM] Phishing "invoice" wave`, ft.Summary)
			assert.True(t, ft.HasLabel(req.CorrelationKey), "labels %v", ft.Labels)
			assert.True(t, ft.HasLabel(jira.DefaultLabel))
			assert.Equal(t, "High", ft.Priority)
			desc, err := jira.ADFToText(ft.Description) // a v2 string or a v3 document
			require.NoError(t, err)
			assert.Equal(t, "First line\nsecond line\n\nNew paragraph", desc)
			if d.version == "3" {
				assert.Equal(t, byte('{'), ft.Description[0], "v3 sends ADF")
			}
			assert.Equal(t, "To Do", ft.Status.Name)
			assert.Zero(t, srv.TransitionCount())

			// Lookup finds it by its label.
			all, err := conn.Find(ctx, req)
			require.NoError(t, err)
			require.Len(t, all, 1)
			found := all[0]
			assert.Equal(t, tk.ID, found.ID)
			assert.Equal(t, tk.Key, found.Key)
			other := itsm.Case{ID: "CASE-8", Title: "other"}
			none, err := conn.Find(ctx, syncReq(cfg, &other))
			require.NoError(t, err)
			assert.Empty(t, none)

			// Update to in progress: fields, then a transition.
			c.Status = itsm.StatusInProgress
			c.Title = "Phishing wave (contained)"
			_, err = conn.Update(ctx, tk, req)
			require.NoError(t, err)
			ft, _ = srv.Ticket(tk.ID)
			assert.Equal(t, "[SIEM] Phishing wave (contained)", ft.Summary)
			assert.Equal(t, "In Progress", ft.Status.Name)
			assert.Equal(t, 1, srv.TransitionCount())

			// The same status again: no transition.
			_, err = conn.Update(ctx, tk, req)
			require.NoError(t, err)
			assert.Equal(t, 1, srv.TransitionCount())

			// Comment.
			cm, err := conn.Comment(ctx, tk, req, itsm.Note{ID: "n1", Text: "Blocked sender.\nPurged mailboxes."})
			require.NoError(t, err)
			assert.NotEmpty(t, cm.ID)
			ft, _ = srv.Ticket(tk.ID)
			require.Len(t, ft.Comments, 1)
			assert.Equal(t, "Blocked sender.\nPurged mailboxes.", ft.Comments[0].Text())

			// The case closes: Done.
			c.Status = itsm.StatusClosed
			_, err = conn.Update(ctx, tk, req)
			require.NoError(t, err)
			ft, _ = srv.Ticket(tk.ID)
			assert.Equal(t, "Done", ft.Status.Name)

			// Get reads it back.
			got, err := conn.Get(ctx, tk)
			require.NoError(t, err)
			assert.Equal(t, "Done", got.Status)
			assert.Equal(t, "done", got.StatusCategory)
			assert.Equal(t, "[SIEM] Phishing wave (contained)", got.Title)

			// Resolved: the map has no "resolved" status; category done is
			// where the ticket already is.
			c.Status = itsm.StatusResolved
			n := srv.TransitionCount()
			_, err = conn.Update(ctx, tk, req)
			require.NoError(t, err)
			assert.Equal(t, n, srv.TransitionCount())

			require.NoError(t, conn.Check(ctx))
			for _, r := range srv.Requests() {
				assert.Contains(t, r.Path, "/rest/api/"+d.version+"/")
			}
		})
	}
}

func TestConnectorCreateInClosedStatus(t *testing.T) {
	d := deployments()[0]
	ctx := context.Background()
	srv, conn, cfg := setup(t, d)
	c := itsm.Case{ID: "CASE-9", Title: "Already handled", Severity: itsm.SeverityLow, Status: itsm.StatusClosed}
	tk, err := conn.Create(ctx, syncReq(cfg, &c))
	require.NoError(t, err)
	ft, _ := srv.Ticket(tk.ID)
	assert.Equal(t, "Done", ft.Status.Name)
	assert.Equal(t, "Low", ft.Priority)
}

func TestConnectorNoTransition(t *testing.T) {
	for _, d := range deployments() {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			def := itsmtest.DefaultTransitions()
			var audits []itsm.AuditEvent
			var mu sync.Mutex
			srv := itsmtest.NewServer(d.auth, itsmtest.WithTransitions(def[0], def[1])) // no way to Done
			t.Cleanup(srv.Close)
			cfg, err := jira.Preset(d.opts(srv.URL()))
			require.NoError(t, err)
			cfg.ID = "int-x"
			conn, err := jira.NewConnector(cfg, itsm.WithAudit(itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
				mu.Lock()
				audits = append(audits, e)
				mu.Unlock()
			})))
			require.NoError(t, err)

			c := itsm.Case{ID: "CASE-1", Title: "x", Severity: itsm.SeverityMedium, Status: itsm.StatusOpen}
			tk, err := conn.Create(ctx, syncReq(cfg, &c))
			require.NoError(t, err)

			c.Status = itsm.StatusClosed
			_, err = conn.Update(ctx, tk, syncReq(cfg, &c))
			require.Error(t, err)
			require.ErrorIs(t, err, jira.ErrNoTransition)
			var te *jira.TransitionError
			require.True(t, errors.As(err, &te))
			assert.Equal(t, "Done", te.Target)
			assert.Equal(t, "done", te.TargetCategory)
			assert.Equal(t, "To Do", te.Current)
			assert.Equal(t, []string{`"To Do" → "To Do"`, `"In Progress" → "In Progress"`}, te.Available)
			assert.Contains(t, err.Error(), `"Done"`)
			assert.NotContains(t, err.Error(), testSecret)
			assert.True(t, strings.HasPrefix(err.Error(), "jira: update ticket "+tk.ID+": "), err.Error())
			assert.Equal(t, 1, strings.Count(err.Error(), "jira: "), "one package prefix: %s", err)
			ft, _ := srv.Ticket(tk.ID)
			assert.Equal(t, "To Do", ft.Status.Name, "no wrong transition taken")

			// A create in a status the workflow cannot reach: the ticket is
			// returned, the failure audited.
			c2 := itsm.Case{ID: "CASE-2", Title: "y", Severity: itsm.SeverityMedium, Status: itsm.StatusClosed}
			tk2, err := conn.Create(ctx, syncReq(cfg, &c2))
			require.NoError(t, err)
			assert.NotEmpty(t, tk2.ID)
			mu.Lock()
			defer mu.Unlock()
			var transitionAudit *itsm.AuditEvent
			for i := range audits {
				if audits[i].Operation == string(jira.OpTransition) && audits[i].CaseID == "CASE-2" {
					transitionAudit = &audits[i]
				}
			}
			require.NotNil(t, transitionAudit, "the failed transition is audited")
			assert.Equal(t, itsm.OutcomeFailure, transitionAudit.Outcome)
			assert.Contains(t, transitionAudit.Error, "no transition")
			assert.Equal(t, tk2.ID, transitionAudit.TicketID)
		})
	}
}

func TestConnectorTransitionByCategory(t *testing.T) {
	// A workflow whose done status is called "Closed" (no "Done"), plus an
	// unmapped "Won't Do" that must not be preferred.
	ts := []itsmtest.Transition{
		{ID: "1", Name: "Open", To: itsmtest.StatusDef{ID: "1", Name: "Open", Category: "new"}},
		{ID: "5", Name: "Won't fix", To: itsmtest.StatusDef{ID: "9", Name: "Won't Fix", Category: "done"}},
		{ID: "7", Name: "Close", To: itsmtest.StatusDef{ID: "6", Name: "Closed", Category: "done"}},
		{ID: "8", Name: "Triage", To: itsmtest.StatusDef{ID: "8", Name: "Triage", Category: "indeterminate"}},
	}
	d := deployments()[1]
	ctx := context.Background()
	srv, conn, cfg := setup(t, d, itsmtest.WithTransitions(ts...))
	c := itsm.Case{ID: "CASE-1", Title: "x", Severity: itsm.SeverityMedium, Status: itsm.StatusOpen}
	tk, err := conn.Create(ctx, syncReq(cfg, &c))
	require.NoError(t, err)

	c.Status = itsm.StatusClosed
	_, err = conn.Update(ctx, tk, syncReq(cfg, &c))
	require.NoError(t, err)
	ft, _ := srv.Ticket(tk.ID)
	assert.Equal(t, "Closed", ft.Status.Name, "the done-category status the map knows wins")

	// in_progress maps to "In Progress", absent: the indeterminate one.
	c.Status = itsm.StatusInProgress
	_, err = conn.Update(ctx, tk, syncReq(cfg, &c))
	require.NoError(t, err)
	ft, _ = srv.Ticket(tk.ID)
	assert.Equal(t, "Triage", ft.Status.Name)
}

func TestConnectorResolutionRequired(t *testing.T) {
	// A Data Center "Resolve Issue" screen requires a resolution: the
	// transition carries one of the allowed values.
	var (
		mu   sync.Mutex
		sent []byte
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/api/2/issue/10001", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"id":"10001","key":"SEC-1","fields":{"status":{"name":"Open","statusCategory":{"key":"new"}}}}`))
	})
	mux.HandleFunc("GET /rest/api/2/issue/10001/transitions", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "transitions.fields", r.URL.Query().Get("expand"))
		_, _ = w.Write([]byte(`{"transitions":[{"id":"5","name":"Resolve Issue","to":{"name":"Resolved","statusCategory":{"key":"done"}},
			"fields":{"resolution":{"required":true,"allowedValues":[{"id":"1","name":"Fixed"},{"id":"10000","name":"Done"}]}}}]}`))
	})
	mux.HandleFunc("PUT /rest/api/2/issue/10001", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /rest/api/2/issue/10001/transitions", func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4096)
		n, _ := r.Body.Read(b)
		mu.Lock()
		sent = append([]byte(nil), b[:n]...)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	srv := newLocalServer(t, mux)
	cfg, err := jira.Preset(jira.Options{BaseURL: srv, ProjectKey: "SEC", Auth: jira.PersonalAccessToken("p"),
		Network: httpconn.NetworkConfig{AllowLoopback: true}})
	require.NoError(t, err)
	cfg.ID = "x"
	conn, err := jira.NewConnector(cfg)
	require.NoError(t, err)
	c := itsm.Case{ID: "C", Title: "t", Severity: itsm.SeverityLow, Status: itsm.StatusClosed}
	_, err = conn.Update(context.Background(), itsm.Ticket{ID: "10001", Key: "SEC-1"}, syncReq(cfg, &c))
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	assert.JSONEq(t, `{"transition":{"id":"5"},"fields":{"resolution":{"name":"Done"}}}`, string(sent))
}

func TestConnectorErrorsCarryNoSecret(t *testing.T) {
	for _, d := range deployments() {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			srv, conn, cfg := setup(t, d)
			c := itsm.Case{ID: "CASE-1", Title: "x", Severity: itsm.SeverityMedium, Status: itsm.StatusOpen}
			req := syncReq(cfg, &c)
			tk, err := conn.Create(ctx, req)
			require.NoError(t, err)

			var errs []error
			// Transition request refused.
			srv.Fault(itsmtest.Match{Op: itsmtest.OpTransition}, itsmtest.Status(http.StatusBadRequest))
			c.Status = itsm.StatusClosed
			_, err = conn.Update(ctx, tk, req)
			require.Error(t, err)
			var he *httpconn.HTTPError
			require.True(t, errors.As(err, &he), "%T %v", err, err)
			assert.Equal(t, jira.OpTransition, he.Op)
			errs = append(errs, err)
			// Unknown ticket.
			_, err = conn.Update(ctx, itsm.Ticket{ID: "99999"}, req)
			require.Error(t, err)
			errs = append(errs, err)
			// A priority Jira does not know (a case without severity
			// leaves the priority out instead: TestBlankPriorityLeftOut).
			pcfg := cfg
			pcfg.PriorityMap = statusmap.Map{Entries: []statusmap.Entry{{ITSM: "Urgent", Case: string(itsm.SeverityMedium)}}}
			pconn, err := jira.NewConnector(pcfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = pconn.Close() })
			_, err = pconn.Create(ctx, req)
			require.Error(t, err)
			errs = append(errs, err)
			// Server errors on the status read.
			srv.Fault(itsmtest.Match{Op: itsmtest.OpGet}, itsmtest.Status(http.StatusInternalServerError))
			_, err = conn.Update(ctx, tk, req)
			require.Error(t, err)
			errs = append(errs, err)
			// Bad credentials.
			wrong := d.opts(srv.URL())
			wrong.Auth.Password, wrong.Auth.Token = "wrong-"+testSecret, "wrong-"+testSecret
			wcfg, err := jira.Preset(wrong)
			require.NoError(t, err)
			wconn, err := jira.NewConnector(wcfg)
			require.NoError(t, err)
			_, err = wconn.Create(ctx, req)
			require.Error(t, err)
			errs = append(errs, err, wconn.Check(ctx))

			for _, err := range errs {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), testSecret)
				assert.NotContains(t, err.Error(), "Bearer ")
			}
		})
	}
}

func TestConnectorWithSyncer(t *testing.T) {
	for _, d := range deployments() {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			srv, conn, cfg := setup(t, d)
			clock := &fakeClock{now: time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)}
			syncer, err := itsm.NewSyncer(conn, memstore.New(), itsm.SyncerConfig{IntegrationID: cfg.ID}, itsm.WithClock(clock))
			require.NoError(t, err)

			c := itsm.Case{ID: "CASE-42", Title: "Ransomware on fs-01", Description: "Encrypted shares.",
				Severity: itsm.SeverityCritical, Status: itsm.StatusOpen}
			notes := []itsm.Note{{ID: "n1", Text: "Isolated fs-01."}}
			res, err := syncer.Sync(ctx, c, notes)
			require.NoError(t, err)
			assert.True(t, res.Created)
			assert.Equal(t, "SEC-1", res.TicketKey)
			assert.Equal(t, 1, res.NotesPosted)

			clock.advance(11 * time.Minute)
			c.Status = itsm.StatusClosed
			notes = append(notes, itsm.Note{ID: "n2", Text: "Restored from backup."})
			res, err = syncer.Sync(ctx, c, notes)
			require.NoError(t, err)
			assert.True(t, res.Updated)
			assert.Equal(t, 1, res.NotesPosted)

			tickets := srv.Tickets()
			require.Len(t, tickets, 1, "exactly one ticket")
			assert.Equal(t, "Done", tickets[0].Status.Name)
			assert.Equal(t, "Highest", tickets[0].Priority)
			require.Len(t, tickets[0].Comments, 2)
			assert.Equal(t, "Restored from backup.", tickets[0].Comments[1].Text())
			assert.True(t, tickets[0].HasLabel(itsm.CorrelationKey(cfg.ID, c.ID)))
		})
	}
}

func TestNewConnectorNeedsRESTURL(t *testing.T) {
	cfg, err := jira.Preset(jira.Options{BaseURL: "https://x.atlassian.net", ProjectKey: "SEC", Auth: jira.APIToken("a@b.c", "t")})
	require.NoError(t, err)
	cfg.Update.URL = "https://x.atlassian.net/custom/$ticket_id"
	cfg.Get.URL = ""
	cfg.Create.URL = "https://x.atlassian.net/custom"
	_, err = jira.NewConnector(cfg)
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "update.url")

	// Every problem at once: the API root and the config's own.
	cfg.Timeouts.Request = -1
	_, err = jira.NewConnector(cfg)
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	assert.Contains(t, fields, "update.url")
	assert.Contains(t, fields, "timeouts.request")
}

func TestVerifier(t *testing.T) {
	v, err := jira.Verifier("webhook-secret")
	require.NoError(t, err)
	body := []byte(`{"webhookEvent":"jira:issue_updated"}`)
	r, _ := http.NewRequest(http.MethodPost, "/hook", nil)
	r.Header = v.Sign(body, time.Now())
	assert.True(t, strings.HasPrefix(r.Header.Get("X-Hub-Signature"), "sha256="))
	require.NoError(t, v.Verify(r, body))
	require.Error(t, v.Verify(r, append(body, ' ')))
	_, err = jira.Verifier("")
	require.Error(t, err)
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newLocalServer serves h on loopback for the test and returns its URL.
func newLocalServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
