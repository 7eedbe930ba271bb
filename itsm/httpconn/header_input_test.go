package httpconn_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/httpconn"
	"github.com/itsmsync/itsmsync/itsm/itsmtest"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHeaderValueInvalidInput: a case value that cannot be sent in a header
// (RFC 9110 section 5.5: no control character but HTAB) is invalid input,
// found at render time: nothing reaches the ITSM, the create is not left
// pending (no outcome unknown, no lookup on the next sync), and the Syncer
// reports invalid input.
func TestHeaderValueInvalidInput(t *testing.T) {
	t.Parallel()
	for _, c := range []byte{0x00, 0x01, 0x08, '\n', 0x0b, 0x0c, '\r', 0x1b, 0x1f, 0x7f} {
		t.Run(fmt.Sprintf("%#02x", c), func(t *testing.T) {
			t.Parallel()
			srv := itsmtest.NewServer(itsmtest.WithBasicAuth("bot@example.com", "pw-Sup3r-s3cret"))
			t.Cleanup(srv.Close)
			cfg := jiraConfig(srv.URL())
			cfg.Headers = map[string]string{"X-Case-Title": "$case_name"}
			conn := newConnector(t, cfg)
			store := memstore.New()
			s, err := itsm.NewSyncer(conn, store, itsm.SyncerConfig{IntegrationID: "int-1", CooldownPeriod: itsm.Off})
			require.NoError(t, err)

			cs := sampleCase()
			cs.Title = "before" + string(c) + "after"
			for range 2 {
				_, err = s.Sync(context.Background(), cs, nil)
				require.ErrorIs(t, err, itsm.ErrInvalidInput)
				assert.NotErrorIs(t, err, itsm.ErrOutcomeUnknown)
				var ve *itsm.ValidationError
				require.ErrorAs(t, err, &ve)
				assert.True(t, ve.Input)
				assert.NotContains(t, err.Error(), "before", "the message does not echo the value")
			}
			assert.Empty(t, srv.Requests(), "nothing was sent, no lookup either")
			_, perr := store.GetPending(context.Background(), "int-1", cs.ID)
			assert.True(t, errors.Is(perr, itsm.ErrNotFound), "no pending create is left: %v", perr)

			// Direct calls refuse it the same way, Preview included.
			_, err = conn.Create(context.Background(), itsm.SyncRequest{Case: &cs})
			require.ErrorIs(t, err, itsm.ErrInvalidInput)
			_, err = conn.Preview(cs, nil, nil)
			require.ErrorIs(t, err, itsm.ErrInvalidInput)
		})
	}
	t.Run("HTAB is allowed", func(t *testing.T) {
		t.Parallel()
		srv := itsmtest.NewServer(itsmtest.WithBasicAuth("bot@example.com", "pw-Sup3r-s3cret"))
		t.Cleanup(srv.Close)
		cfg := jiraConfig(srv.URL())
		cfg.Headers = map[string]string{"X-Case-Title": "$case_name"}
		conn := newConnector(t, cfg)
		cs := sampleCase()
		cs.Title = "tab\there é"
		_, err := conn.Create(context.Background(), itsm.SyncRequest{Case: &cs})
		require.NoError(t, err)
		reqs := srv.Requests()
		require.NotEmpty(t, reqs)
		assert.Equal(t, "tab\there é", reqs[len(reqs)-1].Header.Get("X-Case-Title"))
	})
	var _ = httpconn.SampleCase
}
