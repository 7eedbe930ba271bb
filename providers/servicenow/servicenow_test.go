package servicenow_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/servicenow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	testUser     = "itsm.integration"
	testPassword = "s3cr3t-Pa55word!"
)

// fixtureDir holds ServiceNow responses copied from its documentation
// (SOURCES.md there).
var fixtureDir = filepath.Join("testdata", "fixtures")

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	require.NoError(t, err)
	return b
}

func presetConfig(t *testing.T, instance string) httpconn.Config {
	t.Helper()
	cfg, err := servicenow.Preset(servicenow.Options{
		InstanceURL:     instance,
		Auth:            httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: testUser, Password: testPassword},
		CallerID:        "6816f79cc0a8016401c5a33be04be441",
		AssignmentGroup: "Security $OC",
	})
	require.NoError(t, err)
	cfg.ID = "sn-test"
	return cfg
}

func sampleCase(status itsm.Status) itsm.Case {
	c := httpconn.SampleCase
	c.Status = status
	return c
}

func TestPresetValidates(t *testing.T) {
	t.Parallel()
	cfg := presetConfig(t, "https://dev12345.service-now.com")
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "result.sys_id", cfg.TicketIDPath)
	assert.Equal(t, "result.number", cfg.TicketKeyPath)
	assert.Equal(t, "result", cfg.Lookup.ItemsPath)
	assert.Equal(t, "sys_id", cfg.Lookup.TicketIDPath)
	assert.Equal(t, "correlation_id", cfg.Lookup.MatchPath)
	assert.Equal(t, "PATCH", cfg.Update.Method)
	assert.Equal(t, servicenow.Provider, cfg.Provider)
	assert.Equal(t, "https://dev12345.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D$ticket_id", cfg.ViewURL)

	// The redacted JSON form keeps no secret.
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.NotContains(t, string(b), testPassword)
}

func TestPresetOAuth2TokenURL(t *testing.T) {
	t.Parallel()
	cfg, err := servicenow.Preset(servicenow.Options{
		InstanceURL: "https://acme.service-now.com/",
		Table:       "sn_si_incident",
		Auth:        httpconn.AuthConfig{Type: httpconn.AuthOAuth2, OAuth2: &httpconn.OAuth2Config{ClientID: "id", ClientSecret: "sec"}},
	})
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "https://acme.service-now.com/oauth_token.do", cfg.Auth.OAuth2.TokenURL)
	assert.Contains(t, cfg.Create.URL, "/api/now/table/sn_si_incident?")
}

func TestPresetBadOptions(t *testing.T) {
	t.Parallel()
	basic := httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "u", Password: testPassword}
	tests := []struct {
		name   string
		opts   servicenow.Options
		msg    string
		fields []string
	}{
		{"no instance", servicenow.Options{Auth: basic}, "instance_url: is required", []string{"instance_url"}},
		{"plain http", servicenow.Options{InstanceURL: "http://acme.service-now.com", Auth: basic}, "instance_url: must use https", []string{"instance_url"}},
		{"path", servicenow.Options{InstanceURL: "https://acme.service-now.com/api", Auth: basic}, "instance_url: must be the base URL, without path or query", []string{"instance_url"}},
		{"credentials in url", servicenow.Options{InstanceURL: "https://u:" + testPassword + "@acme.service-now.com", Auth: basic}, "instance_url: must not contain credentials", []string{"instance_url"}},
		{"bad table", servicenow.Options{InstanceURL: "https://acme.service-now.com", Table: "incident?x=1", Auth: basic}, "table:", []string{"table"}},
		{"bearer", servicenow.Options{InstanceURL: "https://acme.service-now.com", Auth: httpconn.AuthConfig{Type: httpconn.AuthBearer, Token: testPassword}}, "auth.type:", []string{"auth.type"}},
		{"oauth2 without block", servicenow.Options{InstanceURL: "https://acme.service-now.com", Auth: httpconn.AuthConfig{Type: httpconn.AuthOAuth2}}, "auth.oauth2:", []string{"auth.oauth2"}},
		{"multi-line caller", servicenow.Options{InstanceURL: "https://acme.service-now.com", Auth: basic, CallerID: "a\nb"}, "caller_id:", []string{"caller_id"}},
		{"everything at once", servicenow.Options{Table: "1x", CallerID: "a\nb", Category: "c\rd"}, "instance_url: is required",
			[]string{"instance_url", "table", "auth.type", "caller_id", "category"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := servicenow.Preset(tc.opts)
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.msg)
			assert.NotContains(t, err.Error(), testPassword)
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			var fields []string
			for _, fe := range ve.Errors {
				fields = append(fields, fe.Field)
			}
			assert.Equal(t, tc.fields, fields)
			assert.Equal(t, err, tc.opts.Validate(), "Preset reports what Validate reports")
		})
	}
}

// goldenRequest is a PreviewRequest with the body as JSON, for JSONEq.
type goldenRequest struct {
	Op     string          `json:"op"`
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Header http.Header     `json:"header"`
	Body   json.RawMessage `json:"body,omitempty"`
}

func golden(t *testing.T, name string, reqs []httpconn.PreviewRequest) {
	t.Helper()
	out := make([]goldenRequest, 0, len(reqs))
	for _, r := range reqs {
		g := goldenRequest{Op: string(r.Op), Method: r.Method, URL: r.URL, Header: r.Header}
		if r.Body != "" {
			require.True(t, json.Valid([]byte(r.Body)), "%s body is not JSON: %s", r.Op, r.Body)
			g.Body = json.RawMessage(r.Body)
		}
		out = append(out, g)
	}
	got, err := json.MarshalIndent(out, "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.JSONEq(t, string(want), string(got))
}

func TestGoldenPayloads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status itsm.Status
		sev    itsm.Severity
		fields map[string]any
	}{
		{"preview_open.json", itsm.StatusOpen, itsm.SeverityHigh, nil},
		{"preview_on_hold.json", itsm.StatusOnHold, itsm.SeverityLow, nil},
		{"preview_resolved.json", itsm.StatusResolved, itsm.SeverityCritical, map[string]any{"close_notes": "Blocked at the firewall; password reset."}},
		{"preview_closed.json", itsm.StatusClosed, itsm.SeverityMedium, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := servicenow.NewConnector(presetConfig(t, "https://dev12345.service-now.com"), servicenow.ConnectorConfig{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			cs := sampleCase(tc.status)
			cs.Severity = tc.sev
			cs.Fields = tc.fields
			reqs, err := c.Preview(cs, nil, &itsm.Ticket{ID: "c537bae64f411200adf9f8e18110c76e", Key: "INC0010002"})
			require.NoError(t, err)
			golden(t, tc.name, reqs)
		})
	}
}

func TestResolveFieldsOnlyWhenResolving(t *testing.T) {
	t.Parallel()
	c, err := servicenow.NewConnector(presetConfig(t, "https://dev12345.service-now.com"), servicenow.ConnectorConfig{CloseCode: "Resolved by caller"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	for _, st := range itsm.Statuses {
		t.Run(string(st), func(t *testing.T) {
			reqs, err := c.Preview(sampleCase(st), nil, nil)
			require.NoError(t, err)
			var upd httpconn.PreviewRequest
			for _, r := range reqs {
				if r.Op == itsm.OpUpdate {
					upd = r
				}
			}
			require.NotEmpty(t, upd.Body)
			has := gjson.Get(upd.Body, "close_code").Exists()
			assert.Equal(t, st.IsTerminal(), has, "close_code in the %s update", st)
			if has {
				assert.Equal(t, "Resolved by caller", gjson.Get(upd.Body, "close_code").String())
				assert.Contains(t, gjson.Get(upd.Body, "close_notes").String(), httpconn.SampleCase.Title)
			}
		})
	}
}

func TestUpdatePayloadNotAnObject(t *testing.T) {
	t.Parallel()
	cfg := presetConfig(t, "https://dev12345.service-now.com")
	cfg.Update.Payload = `["$case_name"]`
	cfg.Update.OmitEmpty = nil // paths of the preset's object payload
	_, err := servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
	require.ErrorIs(t, err, itsm.ErrInvalidConfig)
	var ve *itsm.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Errors, 1)
	assert.Equal(t, "update.payload", ve.Errors[0].Field)

	// Every problem at once: the config's own and the resolve variant's.
	cfg.Timeouts.Request = -1
	_, err = servicenow.NewConnector(cfg, servicenow.ConnectorConfig{})
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, fe := range ve.Errors {
		fields = append(fields, fe.Field)
	}
	assert.ElementsMatch(t, []string{"timeouts.request", "update.payload"}, fields)
}

// fakeServiceNow is a tiny Table API: incidents keyed by sys_id, built from
// the real fixture bodies.
type fakeServiceNow struct {
	t         *testing.T
	post201   []byte
	patch200  []byte
	rateLimit []byte

	mu            sync.Mutex
	incidents     map[string]map[string]any // sys_id -> fields
	requests      []string
	bodies        []string // request bodies, in order
	limitNext     int      // answer the next n requests with 429
	authFails     int
	order         []string        // sys_ids in creation order
	unknownFields map[string]bool // fields the table does not have (queries on them are dropped)

	// journal is sys_journal_field: one entry per work note.
	journal []map[string]any
	// failAfterApply answers the next n PATCHes with 502 after applying
	// them (the work note journaled, the answer lost).
	failAfterApply int
	// ignoreQuery makes sys_journal_field GETs return every entry, as a
	// list endpoint that ignores its filter would.
	ignoreQuery bool
}

// journalQuery evaluates the encoded query the comment lookup sends:
// conditions joined by "^", each "field=value" or "fieldLIKEvalue" (a
// substring match), as the Table API's sysparm_query documents for
// encoded queries.
func journalQuery(entry map[string]any, q string) bool {
	for _, cond := range strings.Split(q, "^") {
		if field, val, ok := strings.Cut(cond, "="); ok && !strings.Contains(field, "LIKE") {
			if fmt.Sprint(entry[field]) != val {
				return false
			}
			continue
		}
		field, val, ok := strings.Cut(cond, "LIKE")
		if !ok || !strings.Contains(fmt.Sprint(entry[field]), val) {
			return false
		}
	}
	return true
}

func newFake(t *testing.T) (*fakeServiceNow, *httptest.Server) {
	f := &fakeServiceNow{t: t,
		post201:   readFixture(t, "table-post-incident-201.json"),
		patch200:  readFixture(t, "table-patch-incident-200.json"),
		rateLimit: readFixture(t, "error-rate-limit.json"),
		incidents: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeServiceNow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPassword {
		f.authFails++
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`)
		return
	}
	if f.limitNext > 0 {
		f.limitNext--
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write(f.rateLimit)
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.bodies = append(f.bodies, string(body))
	const base = "/api/now/table/incident"
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		var in map[string]any
		if json.Unmarshal(body, &in) == nil {
			var cur map[string]any
			if r.Method == http.MethodPatch {
				cur = f.incidents[strings.TrimPrefix(r.URL.Path, base+"/")]
			}
			if status, msg := snRefusal(in, cur); status != 0 {
				w.WriteHeader(status)
				_, _ = io.WriteString(w, msg)
				return
			}
		}
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		var in map[string]any
		if json.Unmarshal(body, &in) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		// The real response, with what we sent merged in.
		var resp map[string]map[string]any
		require.NoError(f.t, json.Unmarshal(f.post201, &resp))
		rec := resp["result"]
		for k, v := range in {
			rec[k] = v
		}
		if n := len(f.order); n > 0 { // the fixture's ids for the first, then new ones
			rec["sys_id"] = fmt.Sprintf("%s%04d", rec["sys_id"].(string)[:28], n)
			rec["number"] = fmt.Sprintf("INC%07d", 10002+n)
		}
		for field := range f.unknownFields {
			delete(rec, field)
		}
		f.incidents[rec["sys_id"].(string)] = rec
		f.order = append(f.order, rec["sys_id"].(string))
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(resp)
	case r.Method == http.MethodGet && r.URL.Path == base:
		_ = json.NewEncoder(w).Encode(map[string]any{"result": f.list(r.URL.Query())})
	case r.Method == http.MethodGet && r.URL.Path == "/api/now/table/sys_journal_field":
		q := r.URL.Query().Get("sysparm_query")
		out := []map[string]any{}
		for _, e := range f.journal {
			if f.ignoreQuery || journalQuery(e, q) {
				out = append(out, e)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": out})
	case strings.HasPrefix(r.URL.Path, base+"/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/")
		rec, ok := f.incidents[id]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`)
			return
		}
		if r.Method == http.MethodPatch {
			var in map[string]any
			if json.Unmarshal(body, &in) != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if st := fmt.Sprint(in["state"]); (st == "6" || st == "7") && (in["close_code"] == nil || in["close_notes"] == nil) {
				// ServiceNow's data policy for resolved incidents.
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, `{"error":{"message":"Operation Failed","detail":"Data Policy Exception: Resolution code, Resolution notes"},"status":"failure"}`)
				return
			}
			for k, v := range in {
				if k == "work_notes" && strings.TrimSpace(fmt.Sprint(v)) == "" {
					continue // ServiceNow journals no blank work note
				}
				if k == "work_notes" {
					rec["work_notes_list"] = fmt.Sprint(rec["work_notes_list"]) + "|" + fmt.Sprint(v)
					f.journal = append(f.journal, map[string]any{"sys_id": fmt.Sprintf("j%032d", len(f.journal)+1),
						"element_id": id, "element": "work_notes", "name": "incident", "value": fmt.Sprint(v)})
					continue
				}
				rec[k] = v
			}
			if f.failAfterApply > 0 {
				f.failAfterApply--
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			var resp map[string]map[string]any
			require.NoError(f.t, json.Unmarshal(f.patch200, &resp))
			for k, v := range rec {
				resp["result"][k] = v
			}
			_ = json.NewEncoder(w).Encode(resp)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": rec})
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

// snError is ServiceNow's error body.
func snError(message, detail string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"message": message, "detail": detail}, "status": "failure"})
	return string(b)
}

// snRefusal is what ServiceNow refuses of a create (cur nil) or an update
// of cur, as the fake enforces it (package doc: which rules are documented
// and which are assumptions):
//   - state 7 (Closed) set by the integration user, or any update of a
//     Closed incident: the itil role may not close, and Closed incidents
//     are read-only (403 ACL Exception);
//   - state 3 (On Hold) without hold_reason: the On Hold data policy;
//   - a blank state, urgency, impact or hold_reason (assumption: ServiceNow
//     stores it, which is not "keep the default");
//   - short_description over 160 or description over 4,000 characters
//     (assumption: ServiceNow cuts silently, losing the case link).
func snRefusal(in, cur map[string]any) (int, string) {
	if cur != nil && fmt.Sprint(cur["state"]) == "7" {
		return http.StatusForbidden, snError("Operation Failed", "ACL Exception Update Failed due to security constraints")
	}
	if st, ok := in["state"]; ok && fmt.Sprint(st) == "7" {
		return http.StatusForbidden, snError("Operation Failed", "ACL Exception Update Failed due to security constraints")
	}
	for _, k := range []string{"state", "urgency", "impact", "hold_reason"} {
		if v, ok := in[k]; ok && strings.TrimSpace(fmt.Sprint(v)) == "" {
			return http.StatusBadRequest, snError("Invalid value", k+": a blank is not a choice")
		}
	}
	if hr, _ := in["hold_reason"].(string); fmt.Sprint(in["state"]) == "3" && strings.TrimSpace(hr) == "" {
		return http.StatusForbidden, snError("Operation Failed", "Data Policy Exception: The following fields are mandatory: On hold reason")
	}
	if s, ok := in["short_description"].(string); ok && len(utf16.Encode([]rune(s))) > servicenow.ShortDescriptionLimit {
		return http.StatusBadRequest, snError("Invalid value", "short_description: longer than 160 characters")
	}
	if s, ok := in["description"].(string); ok && len(utf16.Encode([]rune(s))) > servicenow.DescriptionLimit {
		return http.StatusBadRequest, snError("Invalid value", "description: longer than 4000 characters")
	}
	return 0, ""
}

func testConnector(t *testing.T, srv *httptest.Server, mutate func(*httpconn.Config)) *servicenow.Connector {
	t.Helper()
	cfg := presetConfig(t, srv.URL)
	cfg.Network.AllowLoopback = true
	cfg.Retry.WaitMin = httpconn.Duration(time.Millisecond)
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := servicenow.NewConnector(cfg, servicenow.ConnectorConfig{},
		itsm.WithClock(noWait{}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c := testConnector(t, srv, nil)
	ctx := context.Background()
	cs := sampleCase(itsm.StatusOpen)
	req := itsm.SyncRequest{Case: &cs}

	none, err := c.Find(ctx, req)
	require.NoError(t, err)
	assert.Empty(t, none, "no incident before the create")

	f.mu.Lock()
	f.limitNext = 1 // the create is retried after a 429 (the fixture body)
	f.mu.Unlock()
	tk, err := c.Create(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, "c537bae64f411200adf9f8e18110c76e", tk.ID)
	assert.Equal(t, "INC0010002", tk.Key)
	assert.Equal(t, srv.URL+"/nav_to.do?uri=incident.do%3Fsys_id%3Dc537bae64f411200adf9f8e18110c76e", tk.URL)

	f.mu.Lock()
	rec := f.incidents[tk.ID]
	assert.Equal(t, itsm.CorrelationKey("sn-test", cs.ID), rec["correlation_id"])
	assert.Equal(t, "itsmsync", rec["correlation_display"])
	assert.Equal(t, "1", rec["state"])
	assert.Equal(t, "1", rec["urgency"]) // high → priority 2 → urgency 1, impact 2
	assert.Equal(t, "2", rec["impact"])
	assert.Equal(t, "Security $OC", rec["assignment_group"])
	f.mu.Unlock()

	all, err := c.Find(ctx, req)
	require.NoError(t, err)
	require.Len(t, all, 1, "the lookup finds the incident by correlation_id")
	assert.Equal(t, tk.ID, all[0].ID)
	assert.Equal(t, "INC0010002", all[0].Key)

	cm, err := c.Comment(ctx, tk, req, httpconn.SampleNote)
	require.NoError(t, err)
	assert.Empty(t, cm.ID, "work notes have no id")

	cs.Status = itsm.StatusResolved
	_, err = c.Update(ctx, tk, req)
	require.NoError(t, err, "the resolving update carries close_code and close_notes")

	read, err := c.Get(ctx, tk)
	require.NoError(t, err)
	assert.Equal(t, "6", read.Status)
	assert.Equal(t, cs.Title, read.Title)

	require.NoError(t, c.Check(ctx))

	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Equal(t, DefaultCloseCodeForTest, f.incidents[tk.ID]["close_code"])
	assert.Contains(t, fmt.Sprint(f.incidents[tk.ID]["work_notes_list"]), httpconn.SampleNote.Text)
	assert.Equal(t, 2, countPrefix(f.requests, "POST "), "one 429, one create: never a second incident")
}

const DefaultCloseCodeForTest = servicenow.DefaultCloseCode

func countPrefix(list []string, p string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, p) {
			n++
		}
	}
	return n
}

func TestEndToEndErrorsCarryNoSecret(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	c := testConnector(t, srv, func(cfg *httpconn.Config) { cfg.Auth.Password = testPassword + "-wrong" })
	cs := sampleCase(itsm.StatusOpen)
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	require.Error(t, err)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusUnauthorized, he.StatusCode)
	assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown, "a 401 create was certainly not processed")
	assert.NotContains(t, err.Error(), testPassword)
}

func TestRateLimitGiveUp(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c := testConnector(t, srv, nil)
	f.mu.Lock()
	f.limitNext = 100
	f.mu.Unlock()
	cs := sampleCase(itsm.StatusOpen)
	_, err := c.Create(context.Background(), itsm.SyncRequest{Case: &cs})
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusTooManyRequests, he.StatusCode)
	assert.Contains(t, he.Body, "Rate limit exceeded")
	assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown, "a 429 create was not processed")
}

// noWait is the system clock with retry waits skipped.
type noWait struct{ itsm.SystemClock }

func (noWait) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// snKnownFields are the incident fields the fake's encoded queries know.
var snKnownFields = map[string]bool{"sys_id": true, "number": true, "correlation_id": true, "short_description": true, "state": true}

// list answers a Table API list: sysparm_query terms "field=value" joined
// by "^" (ORDERBY terms sort by creation, the fake's insertion order), a
// term on a field the table does not have dropped — the instance runs the
// valid part of an invalid encoded query and may list every record
// (ServiceNow GlideRecord documentation, glide.invalid_query.returns_no_rows
// false by default) —, sysparm_fields choosing the fields returned and
// sysparm_limit bounding the list.
func (f *fakeServiceNow) list(q url.Values) []map[string]any {
	type cond struct{ field, value string }
	var conds []cond
	for _, term := range strings.Split(q.Get("sysparm_query"), "^") {
		field, value, ok := strings.Cut(term, "=")
		if !ok || strings.HasPrefix(term, "ORDERBY") || !snKnownFields[field] || f.unknownFields[field] {
			continue
		}
		conds = append(conds, cond{field, value})
	}
	fields := strings.Split(q.Get("sysparm_fields"), ",")
	limit, err := strconv.Atoi(q.Get("sysparm_limit"))
	if err != nil || limit <= 0 {
		limit = 10000
	}
	out := []map[string]any{}
	for _, id := range f.order {
		rec := f.incidents[id]
		match := true
		for _, c := range conds {
			if fmt.Sprint(rec[c.field]) != c.value {
				match = false
			}
		}
		if !match {
			continue
		}
		row := map[string]any{}
		for _, k := range fields {
			if v, ok := rec[k]; ok {
				row[k] = v
			}
		}
		out = append(out, row)
		if len(out) == limit {
			break
		}
	}
	return out
}
