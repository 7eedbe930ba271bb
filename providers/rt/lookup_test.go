package rt_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/providers/rt"
)

// TestFindReturnsEveryTicket: two tickets carrying the key (a late create)
// are both returned, oldest first (the preset orders by id), and a lookup
// by key alone (no case, as the reconciler's orphan search does) finds
// them too.
func TestFindReturnsEveryTicket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeRT(t).withField(rt.DefaultCorrelationField)
	c := connect(t, options(f))
	cs := sampleCase()
	first, err := c.Create(ctx, itsm.SyncRequest{Case: cs})
	require.NoError(t, err)
	late, err := c.Create(ctx, itsm.SyncRequest{Case: cs})
	require.NoError(t, err)

	found, err := c.Find(ctx, itsm.SyncRequest{Case: cs})
	require.NoError(t, err)
	require.Len(t, found, 2)
	assert.Equal(t, []string{first.ID, late.ID}, []string{found[0].ID, found[1].ID})

	byKey, err := c.Find(ctx, itsm.SyncRequest{CorrelationKey: itsm.CorrelationKey("rt-test", cs.ID)})
	require.NoError(t, err)
	assert.Equal(t, found, byKey)
}
