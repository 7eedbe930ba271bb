package callback_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/itsmsync/itsmsync/callback"
	"github.com/itsmsync/itsmsync/itsm"
	"github.com/itsmsync/itsmsync/itsm/memstore"
	"github.com/itsmsync/itsmsync/statusmap"
)

// TestApplyCommentOncePerID: one comment delivered twice under different
// delivery ids is applied once; a failed application releases the comment
// so the sender's retry applies it; each edit (Comment.Edited) is applied
// once, apart from the creation.
func TestApplyCommentOncePerID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.PutLink(ctx, itsm.Link{IntegrationID: "int-1", CaseID: "case-1", TicketID: "10013", TicketKey: "PRJX-14"}))
	var applied []callback.Comment
	fail := true
	m := statusmap.JiraStatuses()
	sm, err := m.Compile()
	require.NoError(t, err)
	a, err := callback.NewApplier(callback.ApplierConfig{IntegrationID: "int-1", Store: store, StatusMap: sm, Comments: true,
		Updater: callback.CaseUpdaterFunc(func(_ context.Context, c callback.TicketChange) error {
			if fail {
				return errors.New("case store down")
			}
			applied = append(applied, *c.Comment)
			return nil
		})})
	require.NoError(t, err)
	comment := func(edited time.Time) []callback.Event {
		return []callback.Event{{Kind: callback.EventComment, TicketID: "10013",
			Comment: &callback.Comment{ID: "10082", Body: "unik", Edited: edited}}}
	}

	_, err = a.Apply(ctx, "delivery-1", comment(time.Time{}))
	require.ErrorIs(t, err, callback.ErrNotApplied)
	fail = false
	rep, err := a.Apply(ctx, "delivery-2", comment(time.Time{}))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Applied, "the failed application did not keep the comment's claim")
	rep, err = a.Apply(ctx, "delivery-3", comment(time.Time{}))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Duplicate, "the same comment in another delivery")

	edit := time.Date(2019, 6, 4, 0, 53, 33, 0, time.UTC)
	for _, d := range []string{"delivery-4", "delivery-5"} {
		_, err = a.Apply(ctx, d, comment(edit))
		require.NoError(t, err)
	}
	require.Len(t, applied, 2, "the creation and the edit, once each")
	assert.Equal(t, edit, applied[1].Edited)
}
