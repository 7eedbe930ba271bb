package rt_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/providers/rt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFindComment posts notes through the fake RT — one recorded and then
// answered with a 502 — and finds each by the marker in its Subject among
// the ticket's attachments; a note never posted, another case's note and a
// person's comment are not found, and an unknown ticket is an error.
func TestFindComment(t *testing.T) {
	t.Parallel()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	c := connect(t, options(f))
	require.True(t, c.CanFindComments())
	ctx := context.Background()
	cs := sampleCase()
	req := itsm.SyncRequest{Case: cs}
	tk, err := c.Create(ctx, req)
	require.NoError(t, err)

	ok := itsm.Note{ID: "n-ok", Text: "posted"}
	lost := itsm.Note{ID: "n-502", Text: "recorded, then 502"}
	never := itsm.Note{ID: "n-never", Text: "not posted"}
	posted, err := c.Comment(ctx, tk, req, ok)
	require.NoError(t, err)
	f.mu.Lock()
	f.failCommentAfterApply = 1
	f.mu.Unlock()
	_, err = c.Comment(ctx, tk, req, lost)
	require.ErrorIs(t, err, itsm.ErrOutcomeUnknown)
	other := *cs
	other.ID = "CASE-2"
	_, err = c.Comment(ctx, tk, itsm.SyncRequest{Case: &other}, never) // same note id, another case
	require.NoError(t, err)
	id, _ := strconv.Atoi(tk.ID)
	f.mu.Lock()
	f.nextTxn++
	f.tickets[id].comments = append(f.tickets[id].comments, fakeTxn{id: f.nextTxn, kind: "comment", subject: "Re: " + cs.Title, content: "a person's reply"})
	lostID := strconv.Itoa(f.tickets[id].comments[1].id)
	f.mu.Unlock()

	for _, tc := range []struct {
		n      itsm.Note
		found  bool
		wantID string
	}{{ok, true, posted.ID}, {lost, true, lostID}, {never, false, ""}} {
		cm, found, err := c.FindComment(ctx, tk, req, tc.n)
		require.NoError(t, err, tc.n.ID)
		assert.Equal(t, tc.found, found, tc.n.ID)
		assert.Equal(t, tc.wantID, cm.ID, tc.n.ID)
	}

	_, _, err = c.FindComment(ctx, itsm.Ticket{ID: "999"}, req, ok)
	var he *httpconn.HTTPError
	require.ErrorAs(t, err, &he, "an unknown ticket is RT's 404 on the ticket read")
	assert.Equal(t, http.StatusNotFound, he.StatusCode)
}

func TestFindComment_BadResponses(t *testing.T) {
	t.Parallel()
	cs := sampleCase()
	n := itsm.Note{ID: "n-1", Text: "x"}
	marker := itsm.NoteMarker(itsm.CorrelationKey("rt-test", cs.ID), n.ID)
	tests := []struct {
		name    string
		body    string
		found   bool
		wantErr error
	}{
		{name: "found", body: `{"items":[{"id":"9","Subject":"SIEM note [` + marker + `]","TransactionId":"42"}]}`, found: true},
		{name: "unrelated attachments", body: `{"items":[{"id":"9","Subject":"Re: mail","TransactionId":"41"},{"id":"8","Subject":"SIEM note [` + marker + `x]","TransactionId":"40"}]}`},
		{name: "unreadable body", body: `{"items":[{`, wantErr: itsm.ErrInvalidResponse},
		{name: "no items", body: `{"message":"huh"}`, wantErr: itsm.ErrInvalidResponse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/REST/2.0/ticket/7" {
					_, _ = w.Write([]byte(`{"id":7,"Subject":"x","Status":"open"}`))
					return
				}
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			c := connect(t, rt.Options{BaseURL: srv.URL, Auth: httpconn.AuthConfig{Type: httpconn.AuthBasic, Username: fakeUser, Password: fakePass},
				Network: httpconn.NetworkConfig{AllowLoopback: true}})
			cm, found, err := c.FindComment(context.Background(), itsm.Ticket{ID: "7"}, itsm.SyncRequest{Case: cs}, n)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.NotContains(t, err.Error(), fakePass)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.found, found)
			if tc.found {
				assert.Equal(t, "42", cm.ID)
			}
		})
	}
}

func TestNoNoteMarker(t *testing.T) {
	t.Parallel()
	f := newFakeRT(t)
	o := options(f)
	o.NoNoteMarker = true
	c := connect(t, o)
	assert.False(t, c.CanFindComments())
	cfg, err := rt.Preset(o)
	require.NoError(t, err)
	assert.NotContains(t, cfg.Comment.Payload, "note_marker")
}
