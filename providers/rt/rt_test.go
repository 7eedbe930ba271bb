package rt_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/rt"
	"github.com/itsmsync/itsmsync/statusmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func options(f *fakeRT) rt.Options {
	return rt.Options{
		BaseURL: f.srv.URL,
		Auth:    httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: fakeUser, Password: fakePass},
		Network: httpconn.NetworkConfig{AllowLoopback: true},
	}
}

func connect(t *testing.T, o rt.Options, edit ...func(*httpconn.Config)) *rt.Connector {
	t.Helper()
	cfg, err := rt.Preset(o)
	require.NoError(t, err)
	cfg.ID = "rt-test"
	cfg.Retry.MaxAttempts = 1
	for _, e := range edit {
		e(&cfg)
	}
	c, err := rt.NewConnector(cfg, rt.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func sampleCase() *itsm.Case {
	return &itsm.Case{ID: "CASE-1", Title: "Brute force\non \"vpn\" $HOME \\ 日本 <b>x</b>", Description: "line 1\nline 2 $x \"q\"",
		Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	err := rt.Options{BaseURL: "ftp://x", Queue: " bad", CorrelationField: "a{b}", Auth: httpconn.AuthConfig{Type: httpconn.AuthOAuth2}}.Validate()
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	var fields []string
	for _, e := range ve.Errors {
		fields = append(fields, e.Field)
	}
	assert.ElementsMatch(t, []string{"base_url", "queue", "correlation_field", "auth.type"}, fields)

	// RT under a path, token auth.
	cfg, err := rt.Preset(rt.Options{BaseURL: "https://example.com/rt/", Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: "1-2-abc"}})
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/rt/REST/2.0/ticket", cfg.Create.URL)
	assert.Equal(t, httpconn.AuthAPIKey, cfg.Auth.Type)
	assert.Equal(t, "Authorization", cfg.Auth.HeaderName)
	assert.Equal(t, "token 1-2-abc", cfg.Auth.APIKey)
	assert.Equal(t, "https://example.com/rt/Ticket/Display.html?id=$ticket_id", cfg.ViewURL)
	assert.NotContains(t, fmt.Sprint(cfg), "1-2-abc")
	require.NoError(t, cfg.Validate())

	_, err = rt.Preset(rt.Options{BaseURL: "https://rt.example.com?x=1", Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic}})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "base_url", ve.Errors[0].Field)
}

func TestSubject(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{" a\r\n\tb  c ", "a b c"},
		{"x\x00y", "x y"},
		{strings.Repeat("a", 199) + "€", strings.Repeat("a", 199)},
		{strings.Repeat("é", 150), strings.Repeat("é", 100)},
	}
	for _, tc := range tests {
		got := rt.Subject(tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		assert.LessOrEqual(t, len(got), rt.MaxSubjectBytes)
	}
}

// TestRoundTrip drives every operation against the fake RT and checks what
// RT holds.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	c := connect(t, options(f))
	cs := sampleCase()
	req := itsm.SyncRequest{Case: cs}

	tk, err := c.Create(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, "1", tk.ID)
	assert.Equal(t, f.srv.URL+"/Ticket/Display.html?id=1", tk.URL)
	got := f.ticket(1)
	assert.Equal(t, rt.Subject(cs.Title), got.subject, "what we send is what RT keeps")
	assert.Equal(t, `Brute force on "vpn" $HOME \ 日本 <b>x</b>`, got.subject)
	assert.Equal(t, "new", got.status)
	assert.Equal(t, 100, got.priority)
	assert.Equal(t, []string{itsm.CorrelationKey("rt-test", cs.ID)}, got.cf[rt.DefaultCorrelationField])

	g, err := c.Get(ctx, tk)
	require.NoError(t, err)
	assert.Equal(t, "1", g.ID, "GET answers a number; the id stays text")
	assert.Equal(t, "new", g.Status)
	assert.Equal(t, got.subject, g.Title)

	cs.Status, cs.Severity = itsm.StatusResolved, itsm.SeverityCritical
	_, err = c.Update(ctx, tk, req)
	require.NoError(t, err)
	assert.Equal(t, "resolved", f.ticket(1).status)
	assert.Equal(t, 120, f.ticket(1).priority)
	// Nothing to change: RT answers [] and that is success.
	_, err = c.Update(ctx, tk, req)
	require.NoError(t, err)

	cm, err := c.Comment(ctx, tk, req, itsm.Note{ID: "n1", Text: "first note\nwith $dollar"})
	require.NoError(t, err)
	require.Len(t, f.ticket(1).comments, 1)
	assert.Equal(t, strconv.Itoa(f.ticket(1).comments[0].id), cm.ID, "comment id from Location")
	assert.Equal(t, "comment", f.ticket(1).comments[0].kind)
	assert.Equal(t, "first note\nwith $dollar", f.ticket(1).comments[0].content)
	assert.Equal(t, "text/plain", f.ticket(1).comments[0].contentType)

	all, err := c.Find(ctx, req)
	require.NoError(t, err)
	require.Len(t, all, 1)
	found := all[0]
	assert.Equal(t, "1", found.ID)
	assert.Equal(t, tk.URL, found.URL)

	other, err := c.Find(ctx, itsm.SyncRequest{Case: &itsm.Case{ID: "CASE-2", Title: "x", Severity: itsm.SeverityLow, Status: itsm.StatusOpen}})
	require.NoError(t, err)
	assert.Empty(t, other)
	assert.Equal(t, 1, f.count("queue"), "the setup is checked once")
}

func TestCorrespond(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	o := options(f)
	o.Correspond = true
	c := connect(t, o)
	req := itsm.SyncRequest{Case: sampleCase()}
	tk, err := c.Create(ctx, req)
	require.NoError(t, err)
	_, err = c.Comment(ctx, tk, req, itsm.Note{ID: "n1", Text: "reply"})
	require.NoError(t, err)
	assert.Equal(t, 1, f.count("correspond"))
	assert.Equal(t, 0, f.count("comment"))
}

// TestTokenAuth: an RT auth token goes out as "Authorization: token <t>";
// a wrong one is a 401 naming the auth admin step.
func TestTokenAuth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	o := options(f)
	o.Auth = httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: f.token}
	_, err := connect(t, o).Create(ctx, itsm.SyncRequest{Case: sampleCase()})
	require.NoError(t, err)

	o.Auth.Token = "wrong-token"
	err = connect(t, o).CheckSetup(ctx)
	var se *rt.SetupError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "auth", se.Field)
	require.ErrorIs(t, err, rt.ErrPermission)
	assert.NotContains(t, err.Error(), "wrong-token")
	assert.Equal(t, 1, f.numTickets())
}

// TestCreateStalled: RT's default lifecycle does not allow "stalled" on
// create; the connector creates the ticket and sets it right after.
func TestCreateStalled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	c := connect(t, options(f))
	cs := sampleCase()
	cs.Status = itsm.StatusOnHold
	_, err := c.Create(ctx, itsm.SyncRequest{Case: cs})
	require.NoError(t, err)
	assert.Equal(t, "stalled", f.ticket(1).status)
	assert.Equal(t, 1, f.count("update"))
}

func TestUpdateRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("invalid status", func(t *testing.T) {
		t.Parallel()
		f := newFakeRT(t).withField(rt.DefaultCorrelationField)
		// A status map sending a status RT's lifecycle does not have.
		c := connect(t, options(f), func(cfg *httpconn.Config) {
			cfg.StatusMap.Entries = append(cfg.StatusMap.Entries[:0:0], statusmap.Entry{ITSM: "bogus", Case: "resolved", Preferred: true},
				statusmap.Entry{ITSM: "new", Case: "open", Preferred: true})
		})
		cs := sampleCase()
		req := itsm.SyncRequest{Case: cs}
		tk, err := c.Create(ctx, req)
		require.NoError(t, err)
		cs.Status, cs.Title = itsm.StatusResolved, "renamed"
		_, err = c.Update(ctx, tk, req)
		var re *rt.RefusalError
		require.ErrorAs(t, err, &re)
		require.ErrorIs(t, err, rt.ErrRefused)
		assert.Equal(t, "Status", re.Field)
		assert.Equal(t, "1", re.TicketID)
		assert.Contains(t, err.Error(), "Status 'bogus' isn't a valid status")
		assert.Equal(t, "new", f.ticket(1).status)
		assert.Equal(t, "renamed", f.ticket(1).subject, "the other fields were changed")
		var sc itsm.StatusCoder
		assert.False(t, errors.As(err, &sc), "a refusal is not a 2xx success for the engine")
	})

	t.Run("empty status from an edited template", func(t *testing.T) {
		t.Parallel()
		f := newFakeRT(t).withField(rt.DefaultCorrelationField)
		c := connect(t, options(f), func(cfg *httpconn.Config) {
			cfg.Update.Payload = `{"Subject": "$rt_subject", "Status": "$itsm_status"}`
			cfg.StatusMap.Entries = cfg.StatusMap.Entries[:1] // only new ↔ open
		})
		cs := sampleCase()
		req := itsm.SyncRequest{Case: cs}
		tk, err := c.Create(ctx, req)
		require.NoError(t, err)
		cs.Status = itsm.StatusClosed
		_, err = c.Update(ctx, tk, req)
		var re *rt.RefusalError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, "Status", re.Field)
		assert.Contains(t, re.Message, "Status '' isn't a valid status for this ticket.")
	})

	t.Run("missing rights", func(t *testing.T) {
		t.Parallel()
		f := newFakeRT(t).withField(rt.DefaultCorrelationField)
		c := connect(t, options(f))
		cs := sampleCase()
		req := itsm.SyncRequest{Case: cs}
		tk, err := c.Create(ctx, req)
		require.NoError(t, err)
		f.mu.Lock()
		f.denyEdit = true
		f.mu.Unlock()
		cs.Status = itsm.StatusResolved
		_, err = c.Update(ctx, tk, req)
		require.ErrorIs(t, err, rt.ErrRefused)
		require.ErrorIs(t, err, rt.ErrPermission)
		assert.Equal(t, "new", f.ticket(1).status)
	})
}

func TestSetupErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		setup   func(*fakeRT, *rt.Options)
		wantErr error
		field   string
		step    string
	}{
		{"unknown queue", func(_ *fakeRT, o *rt.Options) { o.Queue = "Nope" }, rt.ErrQueueNotFound, "queue", "create the queue"},
		{"field missing", func(f *fakeRT, _ *rt.Options) { f.queues["General"].cfs = nil }, rt.ErrFieldMissing, "correlation_field", "custom field"},
		{"no create right", func(f *fakeRT, _ *rt.Options) { f.queues["General"].canCreate = false }, rt.ErrPermission, "queue", "CreateTicket"},
		{"unknown queue and no create right alike", func(f *fakeRT, _ *rt.Options) { f.queues["General"].canCreate = false }, rt.ErrQueueNotFound, "queue", "SeeQueue"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeRT(t).withField(rt.DefaultCorrelationField)
			o := options(f)
			f.mu.Lock()
			tc.setup(f, &o)
			f.mu.Unlock()
			c := connect(t, o)
			_, err := c.Create(ctx, itsm.SyncRequest{Case: sampleCase()})
			var se *rt.SetupError
			require.ErrorAs(t, err, &se)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Equal(t, tc.field, se.Field)
			assert.Contains(t, err.Error(), tc.step)
			assert.Equal(t, 0, f.numTickets(), "nothing was created")
		})
	}

	// Without the check, RT itself refuses an unknown queue with 400.
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	o := options(f)
	o.Queue = "Nope"
	cfg, err := rt.Preset(o)
	require.NoError(t, err)
	cfg.Retry.MaxAttempts = 1
	c, err := rt.NewConnector(cfg, rt.ConnectorConfig{SkipSetupCheck: true})
	require.NoError(t, err)
	_, err = c.Create(ctx, itsm.SyncRequest{Case: sampleCase()})
	require.ErrorIs(t, err, rt.ErrQueueNotFound)
	require.ErrorIs(t, err, rt.ErrPermission)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 403, he.StatusCode)
}

func TestEnsureCorrelationField(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	f := newFakeRT(t)
	c := connect(t, options(f))
	require.NoError(t, rt.EnsureCorrelationField(ctx, c))
	assert.Equal(t, 1, f.count("create cf"))
	require.NoError(t, rt.EnsureCorrelationField(ctx, c), "idempotent")
	assert.Equal(t, 1, f.count("create cf"))
	_, err := c.Create(ctx, itsm.SyncRequest{Case: sampleCase()})
	require.NoError(t, err)
	all, err := c.Find(ctx, itsm.SyncRequest{Case: sampleCase()})
	require.NoError(t, err)
	assert.Len(t, all, 1)

	f2 := newFakeRT(t)
	f2.admin = false
	err = rt.EnsureCorrelationField(ctx, connect(t, options(f2)))
	var se *rt.SetupError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, rt.ErrPermission)
	assert.Contains(t, err.Error(), "AdminCustomField")

	// A field of that name exists but does not apply to the queue: RT
	// allows another one, created for the queue.
	f3 := newFakeRT(t)
	f3.cfs[rt.DefaultCorrelationField] = 9
	require.NoError(t, rt.EnsureCorrelationField(ctx, connect(t, options(f3))))
	assert.Equal(t, []string{rt.DefaultCorrelationField}, f3.queues["General"].cfs)

	f4 := newFakeRT(t)
	f4.cfNoApply = true
	err = rt.EnsureCorrelationField(ctx, connect(t, options(f4)))
	require.ErrorIs(t, err, rt.ErrFieldMissing)
	assert.Contains(t, err.Error(), "apply the custom field to the queue")

	err = rt.EnsureCorrelationField(ctx, connect(t, func() rt.Options { o := options(f3); o.Queue = "Nope"; return o }()))
	require.ErrorIs(t, err, rt.ErrQueueNotFound)
}

// TestFindProvesKey: TicketSQL compares without case on most databases; a
// ticket whose field holds the key in another case is not ours.
func TestFindProvesKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	c := connect(t, options(f))
	cs := sampleCase()
	key := itsm.CorrelationKey("rt-test", cs.ID)
	f.mu.Lock()
	f.tickets[7] = &fakeTicket{id: 7, queue: "General", subject: "imposter", status: "new", cf: map[string][]string{rt.DefaultCorrelationField: {strings.ToUpper(key)}}}
	f.mu.Unlock()
	none, err := c.Find(ctx, itsm.SyncRequest{Case: cs})
	require.NoError(t, err)
	assert.Empty(t, none)

	tk, err := c.Create(ctx, itsm.SyncRequest{Case: cs})
	require.NoError(t, err)
	all, err := c.Find(ctx, itsm.SyncRequest{Case: cs})
	require.NoError(t, err)
	require.Len(t, all, 1, "the imposter is not returned")
	assert.Equal(t, tk.ID, all[0].ID)
}

// TestOutcomeUnknownRecovered: RT creates the ticket and the answer is
// lost; the engine's lookup finds it and one sync leaves one ticket.
func TestOutcomeUnknownRecovered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	c := connect(t, options(f))
	f.mu.Lock()
	f.dropCreateAnswer = true
	f.mu.Unlock()
	_, err := c.Create(ctx, itsm.SyncRequest{Case: sampleCase()})
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	all, err := c.Find(ctx, itsm.SyncRequest{Case: sampleCase()})
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "1", all[0].ID)
	assert.Equal(t, 1, f.numTickets())
}

// TestConcurrentCreates: the connector is safe for concurrent use (the
// setup check included).
func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	c := connect(t, options(f))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs := sampleCase()
			cs.ID = fmt.Sprintf("CASE-%d", i)
			_, err := c.Create(ctx, itsm.SyncRequest{Case: cs})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 8, f.numTickets())
}

func TestPreviewCreate(t *testing.T) {
	t.Parallel()
	cfg, err := rt.Preset(rt.Options{BaseURL: "https://rt.example.com", Queue: "Sec $ops 'x'",
		Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "u", Password: "p"}})
	require.NoError(t, err)
	cfg.ID = "prev"
	c, err := rt.NewConnector(cfg, rt.ConnectorConfig{})
	require.NoError(t, err)
	cs := *sampleCase()
	cs.Status = itsm.StatusOnHold
	cs.Severity = "low"
	reqs, err := c.Preview(cs, &itsm.Note{Text: "n"}, &itsm.Ticket{ID: "5"})
	require.NoError(t, err)
	byOp := map[itsm.Operation]httpconn.PreviewRequest{}
	for _, r := range reqs {
		byOp[r.Op] = r
	}
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(byOp[itsm.OpCreate].Body), &body))
	assert.Equal(t, "Sec $ops 'x'", body["Queue"])
	assert.Equal(t, rt.Subject(cs.Title), body["Subject"])
	assert.Nil(t, body["Status"], "stalled is not allowed on create: set after")
	assert.Equal(t, "0", body["Priority"])
	assert.Equal(t, map[string]any{rt.DefaultCorrelationField: itsm.CorrelationKey("prev", cs.ID)}, body["CustomFields"])
	assert.Equal(t, "text/plain", body["ContentType"])
	lookup := byOp[itsm.OpLookup].URL
	assert.Contains(t, lookup, "https://rt.example.com/REST/2.0/tickets?query=CF.%7Bitsmsync+correlation%7D+%3D+%27"+itsm.CorrelationKey("prev", cs.ID)+"%27+AND+Queue+%3D+%27Sec+%24ops+%5C%27x%5C%27%27")
	var upd map[string]any
	require.NoError(t, json.Unmarshal([]byte(byOp[itsm.OpUpdate].Body), &upd))
	assert.Equal(t, map[string]any{"Subject": rt.Subject(cs.Title), "Status": "stalled", "Priority": "0"}, upd)
}

// A title that reads like a refusal ("Permission denied ...", "Could not
// ...", typical SIEM case titles) comes back inside RT's success message
// "Subject changed from '...' to '...'": that is a change made, not refused.
func TestUpdateTitleLooksLikeRefusal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, title := range []string{
		"Permission denied for root on db-01",
		"Could not log in to vpn-gw-01",
		"Unable to reach EDR agent",
		"Value isn't a valid UTF-8 string",
	} {
		t.Run(title, func(t *testing.T) {
			t.Parallel()
			f := newFakeRT(t).withField(rt.DefaultCorrelationField)
			c := connect(t, options(f))
			cs := sampleCase()
			req := itsm.SyncRequest{Case: cs}
			tk, err := c.Create(ctx, req)
			require.NoError(t, err)
			cs.Title = title
			_, err = c.Update(ctx, tk, req)
			require.NoError(t, err)
			assert.Equal(t, rt.Subject(title), f.ticket(1).subject)
			cs.Title = "renamed"
			_, err = c.Update(ctx, tk, req)
			require.NoError(t, err, "the old subject is quoted too")
		})
	}
}
