package itsm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
)

// listITSM is a generic ticket API whose list endpoint ignores the query
// parameters it does not know — most REST list endpoints do, and
// "?correlation_key=" is one — so it lists every ticket, oldest first. A
// create can be scripted to fail with a 500 after storing the ticket, or
// to store it only later (a queue behind the API).
type listITSM struct {
	mu      sync.Mutex
	tickets []map[string]any
	// createFail: answer the next creates with 500; store says whether
	// the ticket is stored at once (true) or held back in late.
	createFail []bool
	late       []map[string]any
	listFail   int // answer the next n lists with 503
	updates    map[string]int
}

func newListITSM(t *testing.T) (*listITSM, *httptest.Server) {
	t.Helper()
	f := &listITSM{updates: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// addTicket stores a ticket made by someone else.
func (f *listITSM) addTicket(fields map[string]any) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.storeLocked(fields)
}

func (f *listITSM) storeLocked(fields map[string]any) string {
	id := strconv.Itoa(100 + len(f.tickets) + 1)
	fields["id"] = id
	f.tickets = append(f.tickets, fields)
	return id
}

// releaseLate stores the creates held back.
func (f *listITSM) releaseLate() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.late {
		f.storeLocked(t)
	}
	f.late = nil
}

func (f *listITSM) withKey(key string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, t := range f.tickets {
		if t["correlation_key"] == key {
			ids = append(ids, t["id"].(string))
		}
	}
	return ids
}

func (f *listITSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/tickets":
		var t map[string]any
		if json.Unmarshal(body, &t) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if len(f.createFail) > 0 {
			store := f.createFail[0]
			f.createFail = f.createFail[1:]
			if store {
				f.storeLocked(t)
			} else {
				f.late = append(f.late, t)
			}
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		id := f.storeLocked(t)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id})
	case r.Method == http.MethodGet && r.URL.Path == "/tickets":
		if f.listFail > 0 {
			f.listFail--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_ = json.NewEncoder(w).Encode(f.tickets) // every query parameter ignored
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/tickets/"):
		for _, t := range f.tickets {
			if t["id"] == strings.TrimPrefix(r.URL.Path, "/tickets/") {
				_ = json.NewEncoder(w).Encode(t)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/tickets/"):
		f.updates[strings.TrimPrefix(r.URL.Path, "/tickets/")]++
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// listConfig is a generic config for the listITSM; payload is the create
// payload.
func listConfig(base, payload string, lookup httpconn.LookupConfig) httpconn.Config {
	return httpconn.Config{
		Name: "generic", ID: "int-lk",
		Create:       httpconn.EndpointConfig{URL: base + "/tickets", Payload: payload},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{URL: base + "/tickets/$ticket_id", Payload: `{"title": "$case_name"}`},
		Lookup:       lookup,
		Network:      httpconn.NetworkConfig{AllowLoopback: true},
		Retry:        httpconn.RetryConfig{MaxAttempts: 1},
	}
}

var verifiedLookup = func(base string) httpconn.LookupConfig {
	return httpconn.LookupConfig{URL: base + "/tickets?correlation_key=$correlation_key", ItemsPath: "@this", TicketIDPath: "id", MatchPath: "correlation_key"}
}

const keyedPayload = `{"title": "$case_name", "correlation_key": "$correlation_key"}`

func lookupSyncer(t *testing.T, conn itsm.Connector, store itsm.SyncStore, clock *itsmtest.Clock, opts ...itsm.Option) *itsm.Syncer {
	t.Helper()
	s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: "int-lk", CooldownPeriod: itsm.Off, LookupGrace: time.Minute},
		append([]itsm.Option{itsm.WithClock(clock)}, opts...)...)
	require.NoError(t, err)
	return s
}

var lookupCase = itsm.Case{ID: "case-1", Title: "Brute force", Severity: itsm.SeverityHigh, Status: itsm.StatusOpen}

// TestValidateRefusesUnprovenLookup: the chaos run's config (a create that
// does not carry the key, a lookup that trusts the first item) is refused,
// as is a lookup without a way to verify.
func TestValidateRefusesUnprovenLookup(t *testing.T) {
	t.Parallel()
	const base = "http://127.0.0.1:1"
	for _, tc := range []struct {
		name    string
		payload string
		lookup  httpconn.LookupConfig
		headers map[string]string
		want    []string
	}{
		{"the chaos run's config", `{"title": "$case_name"}`,
			httpconn.LookupConfig{URL: base + "/tickets?correlation_key=$correlation_key", TicketIDPath: "0.id"},
			nil, []string{"create.payload", "lookup.match_path"}},
		{"no way to verify", keyedPayload,
			httpconn.LookupConfig{URL: base + "/tickets?correlation_key=$correlation_key", ItemsPath: "@this", TicketIDPath: "id"},
			nil, []string{"lookup.match_path"}},
		{"create without the key", `{"title": "$case_name"}`, verifiedLookup(base), nil, []string{"create.payload"}},
		{"key in a header is enough", `{"title": "$case_name"}`, verifiedLookup(base), map[string]string{"X-Ref": "$correlation_key"}, nil},
		{"both ways to verify", keyedPayload, func() httpconn.LookupConfig {
			l := verifiedLookup(base)
			l.GetMatchPath = "correlation_key"
			return l
		}(), nil, []string{"lookup.get_match_path"}},
		{"get_match_path needs a get", keyedPayload, func() httpconn.LookupConfig {
			l := verifiedLookup(base)
			l.MatchPath, l.GetMatchPath = "", "correlation_key"
			return l
		}(), nil, []string{"lookup.get_match_path"}},
		{"no lookup, no rule", `{"title": "$case_name"}`, httpconn.LookupConfig{}, nil, nil},
		{"verified", keyedPayload, verifiedLookup(base), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := listConfig(base, tc.payload, tc.lookup)
			cfg.Headers = tc.headers
			err := cfg.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			var ve *itsm.ValidationError
			require.ErrorAs(t, err, &ve)
			require.ErrorIs(t, err, itsm.ErrInvalidConfig)
			var fields []string
			for _, fe := range ve.Errors {
				fields = append(fields, fe.Field)
			}
			assert.ElementsMatch(t, tc.want, fields)
		})
	}
}

// TestLookupNeverLinksAnUnrelatedTicket is the chaos run: a create answered
// 500 (and not stored), a list endpoint that ignores the filter and lists an
// unrelated ticket. The lookup proves nothing, so nothing is linked: within
// the grace the sync reports an unknown outcome, after it the case's own
// ticket is created; the unrelated ticket is never updated.
func TestLookupNeverLinksAnUnrelatedTicket(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		lookup func(base string) httpconn.LookupConfig
	}{
		{"match_path in the item", verifiedLookup},
		{"a get per item", func(base string) httpconn.LookupConfig {
			return httpconn.LookupConfig{URL: base + "/tickets?correlation_key=$correlation_key", ItemsPath: "@this", TicketIDPath: "id", GetMatchPath: "correlation_key"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f, srv := newListITSM(t)
			other := f.addTicket(map[string]any{"title": "someone else's", "correlation_key": "itsmsync-0123456789abcdef"})
			f.addTicket(map[string]any{"title": "no key at all"})
			cfg := listConfig(srv.URL, keyedPayload, tc.lookup(srv.URL))
			if tc.lookup(srv.URL).GetMatchPath != "" {
				cfg.Get = httpconn.GetConfig{URL: srv.URL + "/tickets/$ticket_id"}
			}
			conn, err := httpconn.New(cfg)
			require.NoError(t, err)
			clock := itsmtest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
			store := memstore.New()
			s := lookupSyncer(t, conn, store, clock)

			f.createFail = []bool{false} // 500, not stored
			res, err := s.Sync(ctx, lookupCase, nil)
			var ue *itsm.OutcomeUnknownError
			require.ErrorAs(t, err, &ue)
			assert.Empty(t, res.TicketID)

			clock.Advance(10 * time.Second) // within the grace
			res, err = s.Sync(ctx, lookupCase, nil)
			require.ErrorAs(t, err, &ue, "an unrelated ticket is not a match")
			assert.Empty(t, res.TicketID)
			_, err = store.GetLink(ctx, "int-lk", lookupCase.ID)
			require.ErrorIs(t, err, itsm.ErrNotFound, "not linked")
			_, err = store.GetPending(ctx, "int-lk", lookupCase.ID)
			require.NoError(t, err, "the pending create stays")

			clock.Advance(time.Minute) // past the grace: created
			res, err = s.Sync(ctx, lookupCase, nil)
			require.NoError(t, err)
			assert.True(t, res.Created)
			assert.NotEqual(t, other, res.TicketID)
			assert.Equal(t, []string{res.TicketID}, f.withKey(itsm.CorrelationKey("int-lk", lookupCase.ID)))
			assert.Zero(t, f.updates[other], "the unrelated ticket was never written")
		})
	}
}

// TestLateCreateLeavesAnOrphan: the first create is stored by the ITSM
// only after the lookup grace, when a second create was sent (and answered
// 500 although stored). The next lookup finds both: the oldest is linked,
// the other is an orphan, reported, audited and stored, once.
func TestLateCreateLeavesAnOrphan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, srv := newListITSM(t)
	conn, err := httpconn.New(listConfig(srv.URL, keyedPayload, verifiedLookup(srv.URL)))
	require.NoError(t, err)
	clock := itsmtest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	store := memstore.New()
	var mu sync.Mutex
	var events []itsm.AuditEvent
	audit := itsm.AuditFunc(func(_ context.Context, e itsm.AuditEvent) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})
	s := lookupSyncer(t, conn, store, clock, itsm.WithAudit(audit))
	key := itsm.CorrelationKey("int-lk", lookupCase.ID)

	f.createFail = []bool{false, true} // held back; then stored but 500
	_, err = s.Sync(ctx, lookupCase, nil)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	clock.Advance(2 * time.Minute)
	_, err = s.Sync(ctx, lookupCase, nil) // nothing found after the grace: creates again
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	f.releaseLate() // the ITSM stores the first create now
	ids := f.withKey(key)
	require.Len(t, ids, 2)

	res, err := s.Sync(ctx, lookupCase, nil)
	require.NoError(t, err)
	assert.True(t, res.Recovered)
	assert.Equal(t, ids[0], res.TicketID, "the first ticket the ITSM lists is linked")
	require.Len(t, res.Orphans, 1)
	o := res.Orphans[0]
	assert.Equal(t, itsm.Orphan{IntegrationID: "int-lk", CaseID: lookupCase.ID, CorrelationKey: key, TicketID: ids[1],
		FoundAt: clock.Now(), LinkedTicketID: ids[0]}, o)
	stored, err := store.Orphans(ctx, "int-lk", lookupCase.ID)
	require.NoError(t, err)
	assert.Equal(t, []itsm.Orphan{o}, stored)
	st, err := s.State(ctx, lookupCase.ID)
	require.NoError(t, err)
	assert.Equal(t, []itsm.Orphan{o}, st.Orphans)
	mu.Lock()
	var orphanEvents []itsm.AuditEvent
	for _, e := range events {
		if e.Reason == "orphan" {
			orphanEvents = append(orphanEvents, e)
		}
	}
	mu.Unlock()
	require.Len(t, orphanEvents, 1)
	assert.Equal(t, ids[1], orphanEvents[0].TicketID)
	assert.Equal(t, itsm.OutcomeSkipped, orphanEvents[0].Outcome)

	// Recording again is idempotent (the store keeps one record).
	clock.Advance(time.Minute)
	require.NoError(t, store.RecordOrphan(ctx, itsm.Orphan{IntegrationID: "int-lk", CaseID: lookupCase.ID, TicketID: ids[1], FoundAt: clock.Now()}))
	stored, err = store.Orphans(ctx, "int-lk", lookupCase.ID)
	require.NoError(t, err)
	assert.Equal(t, []itsm.Orphan{o}, stored)

	// A person dismisses it.
	require.ErrorIs(t, s.DismissOrphan(ctx, lookupCase.ID, "nope"), itsm.ErrNotFound)
	require.NoError(t, s.DismissOrphan(ctx, lookupCase.ID, ids[1]))
	st, err = s.State(ctx, lookupCase.ID)
	require.NoError(t, err)
	assert.Empty(t, st.Orphans)

	// The next sync updates the linked ticket and leaves the orphan alone.
	res, err = s.Sync(ctx, lookupCase, nil)
	require.NoError(t, err)
	assert.True(t, res.Updated)
	assert.Empty(t, res.Orphans)
	assert.Zero(t, f.updates[ids[1]], "the orphan is never written")
}

// orphanlessStore hides the store's OrphanStore.
type orphanlessStore struct{ itsm.SyncStore }

// TestOrphansWithoutOrphanStore: a store without OrphanStore still gets the
// orphans in the Result.
func TestOrphansWithoutOrphanStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, srv := newListITSM(t)
	conn, err := httpconn.New(listConfig(srv.URL, keyedPayload, verifiedLookup(srv.URL)))
	require.NoError(t, err)
	clock := itsmtest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	s := lookupSyncer(t, conn, orphanlessStore{memstore.New()}, clock)
	f.createFail = []bool{true}
	_, err = s.Sync(ctx, lookupCase, nil)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	key := itsm.CorrelationKey("int-lk", lookupCase.ID)
	f.addTicket(map[string]any{"title": "a copy", "correlation_key": key})
	res, err := s.Sync(ctx, lookupCase, nil)
	require.NoError(t, err)
	require.Len(t, res.Orphans, 1)
	assert.Equal(t, f.withKey(key)[1], res.Orphans[0].TicketID)
	st, err := s.State(ctx, lookupCase.ID)
	require.NoError(t, err)
	assert.Empty(t, st.Orphans)
	require.ErrorIs(t, s.DismissOrphan(ctx, lookupCase.ID, res.Orphans[0].TicketID), itsm.ErrNotConfigured)
}

// TestLookupKeepsFailing: each failed lookup counts in the pending
// create's Attempts; past MaxLookupFailures the sync needs a person, with
// the way out in the message. A lookup that works again recovers.
func TestLookupKeepsFailing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, srv := newListITSM(t)
	conn, err := httpconn.New(listConfig(srv.URL, keyedPayload, verifiedLookup(srv.URL)))
	require.NoError(t, err)
	clock := itsmtest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	store := memstore.New()
	s := lookupSyncer(t, conn, store, clock)
	f.createFail = []bool{true}
	_, err = s.Sync(ctx, lookupCase, nil)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)

	f.mu.Lock()
	f.listFail = 100
	f.mu.Unlock()
	for i := 1; i <= itsm.MaxLookupFailures; i++ {
		_, err = s.Sync(ctx, lookupCase, nil)
		require.Error(t, err)
		p, perr := store.GetPending(ctx, "int-lk", lookupCase.ID)
		require.NoError(t, perr)
		assert.Equal(t, 1+i, p.Attempts, "one create and %d failed lookups", i)
		assert.Contains(t, p.LastError, "lookup: ")
		if i < itsm.MaxLookupFailures {
			require.NotErrorIs(t, err, itsm.ErrNeedsAttention, "failure %d", i)
			continue
		}
		var ne *itsm.NeedsAttentionError
		require.ErrorAs(t, err, &ne, "failure %d", i)
		assert.True(t, ne.LookupFailed)
		assert.Contains(t, err.Error(), "Syncer.Resolve")
		assert.Contains(t, err.Error(), "Syncer.ClearPending")
		assert.Contains(t, err.Error(), itsm.CorrelationKey("int-lk", lookupCase.ID))
		st, serr := s.State(ctx, lookupCase.ID)
		require.NoError(t, serr)
		assert.Equal(t, itsm.PhaseNeedsAttention, st.Phase)
	}
	assert.Len(t, f.withKey(itsm.CorrelationKey("int-lk", lookupCase.ID)), 1, "never a second create")

	f.mu.Lock()
	f.listFail = 0
	f.mu.Unlock()
	res, err := s.Sync(ctx, lookupCase, nil)
	require.NoError(t, err, "the lookup works again")
	assert.True(t, res.Recovered)
	assert.False(t, errors.Is(err, itsm.ErrNeedsAttention))
}

// TestCanceledLookupNotCounted: a sync whose caller gave up does not count
// as a failed lookup.
func TestCanceledLookupNotCounted(t *testing.T) {
	t.Parallel()
	f, srv := newListITSM(t)
	conn, err := httpconn.New(listConfig(srv.URL, keyedPayload, verifiedLookup(srv.URL)))
	require.NoError(t, err)
	clock := itsmtest.NewClock(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	store := memstore.New()
	s := lookupSyncer(t, conn, store, clock)
	f.createFail = []bool{true}
	_, err = s.Sync(context.Background(), lookupCase, nil)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Sync(ctx, lookupCase, nil)
	require.ErrorIs(t, err, context.Canceled)
	p, err := store.GetPending(context.Background(), "int-lk", lookupCase.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, p.Attempts)
}
