package itsm

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type recordCtxKey struct{}

// The recording context behaves as
// context.WithDeadline(context.WithoutCancel(parent), deadline), whichever of
// its methods is used first.
func TestRecordContextBehavesAsWithDeadline(t *testing.T) {
	t.Parallel()
	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), recordCtxKey{}, "v"))
	cancelParent() // the caller's cancellation never reaches recording writes

	ctx, stop := recordContext(parent)
	dl, ok := ctx.Deadline()
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(recordTimeout), dl, recordTimeout/2)
	assert.Equal(t, "v", ctx.Value(recordCtxKey{}))
	require.NoError(t, ctx.Err())
	select {
	case <-ctx.Done():
		t.Fatal("done before the deadline")
	default:
	}
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	assert.Equal(t, "v", child.Value(recordCtxKey{}))
	stop()
	<-ctx.Done()
	<-child.Done()
	require.ErrorIs(t, ctx.Err(), context.Canceled)
	require.ErrorIs(t, child.Err(), context.Canceled)

	// Stopped before anything asked for Done or Err.
	ctx, stop = recordContext(parent)
	stop()
	<-ctx.Done()
	require.ErrorIs(t, ctx.Err(), context.Canceled)

	// Past its deadline (no timer was made before).
	past := &recordCtx{Context: context.WithoutCancel(parent), deadline: time.Now().Add(-time.Second)}
	defer past.stop()
	<-past.Done()
	require.ErrorIs(t, past.Err(), context.DeadlineExceeded)
	assert.Equal(t, "v", past.Value(recordCtxKey{}))
}
