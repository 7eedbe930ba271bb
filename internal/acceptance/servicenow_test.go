package acceptance

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/providers/servicenow"
)

// snow is a minimal Table API for the incident table.
type snow struct {
	mu        sync.Mutex
	incidents map[string]map[string]any
	patches   []map[string]any
}

const snowSysID = "c537bae64f411200adf9f8e18110c76e"

func (s *snow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if u, p, ok := r.BasicAuth(); !ok || u != "itsmsync" || p != "snow-pw" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	const base = "/api/now/table/incident"
	var in map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		in["sys_id"], in["number"] = snowSysID, "INC0010002"
		s.incidents[snowSysID] = in
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"result": in})
	case r.Method == http.MethodGet && r.URL.Path == base:
		out := []map[string]any{}
		for _, rec := range s.incidents {
			if r.URL.Query().Get("sysparm_query") == "correlation_id="+rec["correlation_id"].(string) {
				out = append(out, map[string]any{"sys_id": rec["sys_id"], "number": rec["number"]})
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": out})
	case strings.HasPrefix(r.URL.Path, base+"/"):
		rec := s.incidents[strings.TrimPrefix(r.URL.Path, base+"/")]
		if rec == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if r.Method == http.MethodPatch {
			s.patches = append(s.patches, in)
			if st := in["state"]; (st == "6" || st == "7") && (in["close_code"] == nil || in["close_notes"] == nil) {
				w.WriteHeader(http.StatusForbidden) // the data policy of resolved incidents
				return
			}
			for k, v := range in {
				rec[k] = v
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"result": rec})
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

// The ServiceNow preset end to end: create an incident, resolve it (the
// close_code quirk), then the Business Rule's callback, authenticated by a
// callback token, moves the case to closed; the same body again is a
// duplicate and an older one is stale.
func TestServiceNowRoundTrip(t *testing.T) {
	ctx := testContext(t)
	fake := &snow{incidents: map[string]map[string]any{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	cfg, err := servicenow.Preset(servicenow.Options{
		InstanceURL: srv.URL,
		Auth:        httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: "itsmsync", Password: "snow-pw"},
	})
	require.NoError(t, err)
	cfg.Network.AllowLoopback = true
	cfg = cfg.Merge(httpconn.Config{})
	require.NoError(t, cfg.Validate())

	// The saved form of the config is what the connector is built from.
	stored, err := cfg.MarshalSecrets()
	require.NoError(t, err)
	var loaded httpconn.Config
	require.NoError(t, json.Unmarshal(stored, &loaded))
	require.Equal(t, cfg, loaded)

	conn, err := servicenow.NewConnector(loaded, servicenow.ConnectorConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	clk := newClock()
	store := memstore.New()
	syncer, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: cfg.ID}, itsm.WithClock(clk))
	require.NoError(t, err)

	c := itsm.Case{ID: "CASE-5", Title: "Phishing \"invoice\" mail", Description: "reported by 3 users", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}
	res, err := syncer.Sync(ctx, c, nil)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, snowSysID, res.TicketID)
	assert.Equal(t, "INC0010002", res.TicketKey)
	assert.Contains(t, res.URL, snowSysID)
	assert.Equal(t, itsm.CorrelationKey(cfg.ID, c.ID), fake.incidents[snowSysID]["correlation_id"])
	assert.Equal(t, c.Title, fake.incidents[snowSysID]["short_description"])

	clk.Add(itsm.DefaultCooldownPeriod + time.Second)
	c.Status = itsm.StatusResolved
	res, err = syncer.Sync(ctx, c, []itsm.Note{{ID: "n1", Text: "mail purged from all mailboxes"}})
	require.NoError(t, err, "resolving sends close_code and close_notes")
	assert.True(t, res.Updated)
	assert.Equal(t, "6", fake.incidents[snowSysID]["state"])
	assert.NotEmpty(t, fake.incidents[snowSysID]["close_code"])
	// The work note ends with the note's marker line, which the comment
	// lookup finds in sys_journal_field.
	assert.Equal(t, "mail purged from all mailboxes\n\n["+itsm.NoteMarker(itsm.CorrelationKey(cfg.ID, c.ID), "n1")+"]", fake.incidents[snowSysID]["work_notes"])

	// Inbound: the Business Rule authenticates with a callback token.
	tokens, err := callback.NewTokens(store, callback.TokensConfig{}, itsm.WithClock(clk))
	require.NoError(t, err)
	issued, err := tokens.Generate(ctx, callback.TokenRequest{IntegrationID: cfg.ID, AppName: "ServiceNow inbound"})
	require.NoError(t, err)
	updater := &cases{}
	h, err := callback.NewHandler(callback.HandlerConfig{
		ApplierConfig: callback.ApplierConfig{
			IntegrationID: cfg.ID, Store: store, StatusMap: &cfg.StatusMap, PriorityMap: &cfg.PriorityMap,
			Updater: updater,
		},
		Verifier: servicenow.Verifier(tokens, cfg.ID),
		Parser:   servicenow.Parser{Table: servicenow.DefaultTable},
	}, itsm.WithClock(clk))
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)

	clk.Add(time.Hour)
	body := func(state string, mod int, at time.Time) string {
		b, err := json.Marshal(map[string]any{
			"sys_id": snowSysID, "number": "INC0010002", "table": "incident", "operation": "update",
			"state": state, "previous_state": "6", "sys_mod_count": mod, "sys_updated_on": at.Format(servicenow.UpdatedOnLayout),
		})
		require.NoError(t, err)
		return string(b)
	}
	closed := body("7", 9, clk.Now())
	code, resp := post(t, ctx, hs.URL, issued.Token, closed)
	require.Equal(t, http.StatusOK, code, resp)
	got := updater.all()
	require.Len(t, got, 1)
	assert.Equal(t, "CASE-5", got[0].CaseID)
	assert.Equal(t, itsm.StatusClosed, got[0].Status)

	code, resp = post(t, ctx, hs.URL, issued.Token, closed)
	assert.Equal(t, http.StatusOK, code, resp)
	assert.Contains(t, resp, `"duplicate":1`)
	code, resp = post(t, ctx, hs.URL, issued.Token, body("2", 8, clk.Now().Add(-time.Minute)))
	assert.Equal(t, http.StatusOK, code, resp)
	assert.Contains(t, resp, `"stale":1`)
	assert.Len(t, updater.all(), 1)

	code, _ = post(t, ctx, hs.URL, "", closed)
	assert.Equal(t, http.StatusUnauthorized, code)
}
