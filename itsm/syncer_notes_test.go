package itsm_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
)

// TestSyncRefusedNoteDoesNotBlock: a note the ITSM refuses for good is
// recorded as failed and reported, the later notes are posted, later syncs
// do not send it again, and RetryNote lets the next sync post it.
func TestSyncRefusedNoteDoesNotBlock(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"400", &statusErr{op: itsm.OpComment, status: 400}},
		{"413", &statusErr{op: itsm.OpComment, status: 413}},
		{"422", &statusErr{op: itsm.OpComment, status: 422}},
		{"2xx refused by a response rule", &statusErr{op: itsm.OpComment, status: 200, extra: itsm.ErrRefused}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			ctx := context.Background()
			c := testCase("CASE-1")
			ns := notes("a", "b", "c")
			h.conn.script(itsm.OpComment, fault{}, fault{err: tc.err})
			res, err := h.syncer.Sync(ctx, c, ns)
			require.NoError(t, err, "a refused note does not fail the sync")
			assert.Equal(t, []string{"a", "c"}, h.conn.comments(), "the later note is posted")
			assert.Equal(t, 2, res.NotesPosted)
			require.Len(t, res.NotesFailed, 1)
			assert.Equal(t, "n2", res.NotesFailed[0].NoteID)
			assert.Contains(t, res.NotesFailed[0].Reason, "status")
			assert.Equal(t, h.clock.Now(), res.NotesFailed[0].FailedAt)
			assert.False(t, res.NextSyncAt.IsZero(), "the sync succeeded: the cooldown started")
			evs := h.audit.ops("comment")
			require.Len(t, evs, 3)
			assert.Equal(t, itsm.OutcomeFailure, evs[1].Outcome)
			assert.Equal(t, "n2", evs[1].NoteID)

			st, err := h.syncer.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Equal(t, res.NotesFailed, st.FailedNotes)

			// Later syncs do not send it again.
			h.clock.Advance(itsm.DefaultCooldownPeriod)
			calls := h.conn.count(itsm.OpComment)
			res, err = h.syncer.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Equal(t, calls, h.conn.count(itsm.OpComment), "no comment sent")
			assert.Equal(t, 0, res.NotesPosted)
			assert.Equal(t, 2, res.NotesSkipped)
			require.Len(t, res.NotesFailed, 1, "still reported")
			assert.Equal(t, "n2", res.NotesFailed[0].NoteID)

			// A person retries it.
			require.NoError(t, h.syncer.RetryNote(ctx, c.ID, "n2"))
			st, err = h.syncer.State(ctx, c.ID)
			require.NoError(t, err)
			assert.Empty(t, st.FailedNotes)
			h.clock.Advance(itsm.DefaultCooldownPeriod)
			res, err = h.syncer.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Equal(t, 1, res.NotesPosted)
			assert.Empty(t, res.NotesFailed)
			assert.Equal(t, []string{"a", "c", "b"}, h.conn.comments(), "every note once")
			require.ErrorIs(t, h.syncer.RetryNote(ctx, c.ID, "n2"), itsm.ErrNotFound, "a posted note cannot be retried")
		})
	}
}

// TestSyncTransientNoteErrorsStillBlock: statuses that may clear (and no
// answer) keep the old rule: the sync stops, nothing is recorded as failed,
// the next sync posts the note in its place.
func TestSyncTransientNoteErrorsStillBlock(t *testing.T) {
	t.Parallel()
	for _, code := range []int{401, 403, 404, 408, 409, 429, 500, 502, 503} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			ctx := context.Background()
			c := testCase("CASE-1")
			ns := notes("a", "b", "c")
			h.conn.script(itsm.OpComment, fault{}, fault{err: &statusErr{op: itsm.OpComment, status: code}})
			res, err := h.syncer.Sync(ctx, c, ns)
			require.Error(t, err)
			assert.Empty(t, res.NotesFailed)
			assert.Equal(t, []string{"a"}, h.conn.comments(), "later notes never overtake it")
			st, serr := h.syncer.State(ctx, c.ID)
			require.NoError(t, serr)
			assert.Empty(t, st.FailedNotes)
			_, err = h.syncer.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b", "c"}, h.conn.comments())
		})
	}
}

func TestSyncBlankNotesSkipped(t *testing.T) {
	t.Parallel()
	for _, blank := range []string{"", " ", "\n\t ", "\u00a0\u2003", "\r\n"} {
		t.Run(strings.ReplaceAll(blank, "\n", `\n`), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, itsm.SyncerConfig{})
			ctx := context.Background()
			c := testCase("CASE-1")
			ns := notes("first", blank, "third")
			res, err := h.syncer.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Equal(t, []string{"first", "third"}, h.conn.comments())
			assert.Equal(t, []string{"n2"}, res.NotesBlank)
			assert.Equal(t, 1, res.NotesSkipped)
			assert.Equal(t, 2, res.NotesPosted)
			posted, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
			require.NoError(t, err)
			assert.NotContains(t, posted, "n2", "a blank note is not recorded")

			// The note gets a text: the next sync posts it.
			h.clock.Advance(itsm.DefaultCooldownPeriod)
			ns[1].Text = "second"
			res, err = h.syncer.Sync(ctx, c, ns)
			require.NoError(t, err)
			assert.Empty(t, res.NotesBlank)
			assert.Equal(t, 1, res.NotesPosted)
			assert.Equal(t, []string{"first", "third", "second"}, h.conn.comments())
		})
	}
}

func TestSyncEditedNoteBlankNotReposted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{EditedNotes: itsm.EditedNotesRepost})
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("a")
	_, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	h.clock.Advance(itsm.DefaultCooldownPeriod)
	ns[0].Text = "   "
	res, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	assert.Equal(t, []string{"n1"}, res.NotesBlank)
	assert.Equal(t, []string{"a"}, h.conn.comments(), "no \"(edited) \" comment for a blank edit")
}

func TestSyncFailedNoteEditedIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("a", "bad")
	h.conn.script(itsm.OpComment, fault{}, fault{err: errStatus400})
	res, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	require.Len(t, res.NotesFailed, 1)

	h.clock.Advance(itsm.DefaultCooldownPeriod)
	ns[1].Text = "good"
	res, err = h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	assert.Empty(t, res.NotesFailed)
	assert.Equal(t, 1, res.NotesPosted)
	assert.Equal(t, 0, res.NotesReposted, "never posted before: not a repost")
	assert.Equal(t, []string{"a", "good"}, h.conn.comments())
	posted, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	assert.False(t, posted["n2"].Failed)
	assert.Empty(t, posted["n2"].Reason)
}

func TestSyncEditedRepostRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{EditedNotes: itsm.EditedNotesRepost})
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("a")
	_, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	before, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
	require.NoError(t, err)

	h.clock.Advance(itsm.DefaultCooldownPeriod)
	ns[0].Text = "a, edited"
	h.conn.script(itsm.OpComment, fault{err: errStatus400})
	res, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	require.Len(t, res.NotesFailed, 1)
	after, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	assert.True(t, after["n1"].Failed)
	assert.Equal(t, before["n1"].CommentID, after["n1"].CommentID, "the first comment's id is kept")

	h.clock.Advance(itsm.DefaultCooldownPeriod)
	res, err = h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	assert.Len(t, res.NotesFailed, 1, "not retried automatically")
	assert.Equal(t, []string{"a"}, h.conn.comments())
}

func TestRetryNoteValidates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	for _, tc := range []struct {
		caseID, noteID string
		fields         []string
	}{
		{"", "n1", []string{"case_id"}},
		{"CASE-1", "", []string{"note_id"}},
		{"", "", []string{"case_id", "note_id"}},
	} {
		err := h.syncer.RetryNote(ctx, tc.caseID, tc.noteID)
		var ve *itsm.ValidationError
		require.ErrorAs(t, err, &ve)
		require.ErrorIs(t, err, itsm.ErrInvalidInput)
		var got []string
		for _, fe := range ve.Errors {
			got = append(got, fe.Field)
		}
		assert.Equal(t, tc.fields, got)
	}
	require.ErrorIs(t, h.syncer.RetryNote(ctx, "CASE-1", "missing"), itsm.ErrNotFound)
}

// TestSyncRefusedNoteOverHTTP drives the HTTP connector: a comment the ITSM
// refuses with 400, and one it refuses with 200 and an error body (a
// response rule), between normal notes and a blank one: both refusals are
// recorded, every other note is posted once, the blank one is skipped.
func TestSyncRefusedNoteOverHTTP(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/tickets":
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"id":"42"}`)
		case r.Method == http.MethodPut:
			w.WriteHeader(204)
		case r.Method == http.MethodPost && r.URL.Path == "/api/tickets/42/comments":
			var in struct{ Body string }
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &in)
			switch {
			case strings.TrimSpace(in.Body) == "":
				w.WriteHeader(400)
				_, _ = io.WriteString(w, `{"errorMessages":["Comment body can not be empty!"]}`)
				return
			case strings.Contains(in.Body, "too long"):
				w.WriteHeader(400)
				_, _ = io.WriteString(w, `{"errorMessages":["Comment is too long"]}`)
				return
			case strings.Contains(in.Body, "locked"):
				_, _ = io.WriteString(w, `{"success":false,"error":"Ticket is locked"}`)
				return
			}
			mu.Lock()
			bodies = append(bodies, in.Body)
			mu.Unlock()
			w.Header().Set("Location", "/api/tickets/42/comments/c"+string(rune('0'+len(bodies))))
			w.WriteHeader(201)
			_, _ = io.WriteString(w, `{"success":true}`)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	conn, err := httpconn.New(httpconn.Config{
		Name: "generic", ID: testIntegration,
		Create:       httpconn.EndpointConfig{URL: srv.URL + "/api/tickets", Payload: `{"title":"$case_name"}`},
		TicketIDPath: "id",
		Update:       httpconn.EndpointConfig{URL: srv.URL + "/api/tickets/$ticket_id", Payload: `{"title":"$case_name"}`},
		Comment: httpconn.CommentConfig{URL: srv.URL + "/api/tickets/$ticket_id/comments", Payload: `{"body":"$note_text"}`,
			SuccessPath: "success", ErrorPath: "error"},
		Network: httpconn.NetworkConfig{AllowLoopback: true},
		Retry:   httpconn.RetryConfig{MaxAttempts: 3, WaitMin: httpconn.Duration(time.Millisecond), WaitMax: httpconn.Duration(time.Millisecond)},
	}, itsm.WithClock(noWait{}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	h := newHarness(t, itsm.SyncerConfig{})
	s := h.newSyncer(conn, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("one", "this is too long", " \n ", "ticket locked", "five")
	res, err := s.Sync(ctx, c, ns)
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "five"}, bodies)
	assert.Equal(t, []string{"n3"}, res.NotesBlank)
	require.Len(t, res.NotesFailed, 2)
	assert.Equal(t, "n2", res.NotesFailed[0].NoteID)
	assert.Contains(t, res.NotesFailed[0].Reason, "status 400")
	assert.Contains(t, res.NotesFailed[0].Reason, "Comment is too long")
	assert.Equal(t, "n4", res.NotesFailed[1].NoteID)
	assert.Contains(t, res.NotesFailed[1].Reason, "Ticket is locked")
	posted, err := h.store.PostedNotes(ctx, testIntegration, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "c1", posted["n1"].CommentID, "the comment id from the Location header")

	h.clock.Advance(itsm.DefaultCooldownPeriod)
	res, err = s.Sync(ctx, c, ns)
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "five"}, bodies, "nothing posted twice, refusals not resent")
	assert.Len(t, res.NotesFailed, 2)
}

// TestSyncCreateRefusedByRule: a create refused in a 2xx body (a response
// rule) is a certain failure: the pending create is deleted and the next
// sync creates the ticket, never a lookup or a needs-attention state.
func TestSyncCreateRefusedByRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	s := h.newSyncer(connOnly{h.conn}, itsm.SyncerConfig{}) // no Finder: an unknown outcome would need a person
	ctx := context.Background()
	c := testCase("CASE-1")
	h.conn.script(itsm.OpCreate, fault{err: &statusErr{op: itsm.OpCreate, status: 200, extra: itsm.ErrRefused}})
	_, err := s.Sync(ctx, c, nil)
	require.ErrorIs(t, err, itsm.ErrRefused)
	assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown)
	st, err := s.State(ctx, c.ID)
	require.NoError(t, err)
	assert.Nil(t, st.Pending, "a refused create leaves no pending create")
	assert.Equal(t, itsm.PhaseIdle, st.Phase)
	res, err := s.Sync(ctx, c, nil)
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, 1, h.conn.ticketCount())
}

// A posted note whose edit the ITSM refused, then edited back to the text
// already on the ticket: the original comment is there, so nothing is posted
// again (it was not a note "never posted").
func TestSyncEditedRepostRefusedThenReverted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{EditedNotes: itsm.EditedNotesRepost})
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("a")
	_, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)

	h.clock.Advance(itsm.DefaultCooldownPeriod)
	ns[0].Text = "a, edited"
	h.conn.script(itsm.OpComment, fault{err: errStatus400})
	res, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	require.Len(t, res.NotesFailed, 1)

	h.clock.Advance(itsm.DefaultCooldownPeriod)
	ns[0].Text = "a"
	_, err = h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, h.conn.comments(), "the original text is not posted a second time")
}

// TestSyncNoteInvalidInputDoesNotBlock: a connector that refuses a note
// before sending it (an *itsm.ValidationError with Input, wrapping
// itsm.ErrInvalidInput: Jira's and ServiceNow's blank-note checks count
// control characters as blank, the engine does not) refuses it for good:
// it is recorded as failed and the later notes are posted.
func TestSyncNoteInvalidInputDoesNotBlock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, itsm.SyncerConfig{})
	ctx := context.Background()
	c := testCase("CASE-1")
	ns := notes("a", "\x00\x07", "c")
	invalid := &itsm.ValidationError{Component: "jira", Subject: "note", Input: true,
		Errors: []itsm.FieldError{{Field: "text", Message: "is blank"}}}
	h.conn.script(itsm.OpComment, fault{}, fault{err: invalid})
	res, err := h.syncer.Sync(ctx, c, ns)
	require.NoError(t, err, "a note refused before sending does not fail the sync")
	assert.Equal(t, []string{"a", "c"}, h.conn.comments())
	require.Len(t, res.NotesFailed, 1)
	assert.Equal(t, "n2", res.NotesFailed[0].NoteID)
}
