package servicenow_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
)

// TestLookupVerifiesCorrelationID: the preset's lookup lists incidents by
// correlation_id, oldest first, and keeps those whose correlation_id is the
// key. When the table has no correlation_id field the instance drops the
// query term and lists every incident (ServiceNow GlideRecord
// documentation): the lookup then finds nothing rather than linking the
// first incident listed.
func TestLookupVerifiesCorrelationID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mine, theirs := sampleCase(itsm.StatusOpen), sampleCase(itsm.StatusOpen)
	theirs.ID = "CASE-OTHER"

	t.Run("duplicates oldest first", func(t *testing.T) {
		t.Parallel()
		_, srv := newFake(t)
		c := testConnector(t, srv, nil)
		first, err := c.Create(ctx, itsm.SyncRequest{Case: &mine})
		require.NoError(t, err)
		_, err = c.Create(ctx, itsm.SyncRequest{Case: &theirs})
		require.NoError(t, err)
		late, err := c.Create(ctx, itsm.SyncRequest{Case: &mine})
		require.NoError(t, err)
		found, err := c.Find(ctx, itsm.SyncRequest{Case: &mine})
		require.NoError(t, err)
		require.Len(t, found, 2)
		assert.Equal(t, []string{first.ID, late.ID}, []string{found[0].ID, found[1].ID})
		assert.Equal(t, first.Key, found[0].Key)
	})
	t.Run("query term dropped", func(t *testing.T) {
		t.Parallel()
		f, srv := newFake(t)
		f.mu.Lock()
		f.unknownFields = map[string]bool{"correlation_id": true}
		f.mu.Unlock()
		c := testConnector(t, srv, nil)
		_, err := c.Create(ctx, itsm.SyncRequest{Case: &theirs})
		require.NoError(t, err)
		_, err = c.Create(ctx, itsm.SyncRequest{Case: &mine})
		require.NoError(t, err)
		found, err := c.Find(ctx, itsm.SyncRequest{Case: &mine})
		require.NoError(t, err)
		assert.Empty(t, found, "every incident is listed, none proves the key")
	})
}
