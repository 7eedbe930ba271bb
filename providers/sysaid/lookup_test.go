package sysaid_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/sysaid"
)

// TestLookupVerifiesDescription: SysAid's search is free text, so it lists
// every record mentioning the key anywhere. The preset's lookup keeps only
// the records whose description holds the key as a word (where the create
// writes "itsmsync: <key>"), oldest first.
func TestLookupVerifiesDescription(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, srv := newFakeSysAid(t, testUser, testPassword)
	c := testConnector(t, srv.URL, sysaid.ConnectorConfig{}, nil)
	cs := sampleCase(itsm.StatusOpen)
	req := itsm.SyncRequest{Case: &cs}
	key := itsm.CorrelationKey("sysaid-test", cs.ID)

	add := func(rec map[string]any) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.nextID++
		f.records[strconv.Itoa(f.nextID)] = rec
	}
	add(map[string]any{"title": "see " + key, "description": "mentions it in the title only"})
	add(map[string]any{"title": "x", "description": "itsmsync: " + key + "00"}) // a longer key
	first, err := c.Create(ctx, req)
	require.NoError(t, err)
	late, err := c.Create(ctx, req)
	require.NoError(t, err)

	found, err := c.Find(ctx, req)
	require.NoError(t, err)
	require.Len(t, found, 2)
	assert.Equal(t, []string{first.ID, late.ID}, []string{found[0].ID, found[1].ID})
}
