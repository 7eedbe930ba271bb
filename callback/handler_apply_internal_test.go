package callback

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ctxKey struct{}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestLazyTimeout checks that withLazyTimeout behaves as
// context.WithTimeout, whether Done is called before or after the deadline,
// the cancel or the parent's cancellation.
func TestLazyTimeout(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	t.Run("running", func(t *testing.T) {
		ctx, cancel := withLazyTimeout(parent, time.Hour)
		defer cancel()
		d, ok := ctx.Deadline()
		require.True(t, ok)
		assert.WithinDuration(t, time.Now().Add(time.Hour), d, time.Minute)
		assert.NoError(t, ctx.Err())
		assert.False(t, closed(ctx.Done()))
		assert.NoError(t, ctx.Err())
		assert.Equal(t, "v", ctx.Value(ctxKey{}))
	})
	t.Run("expired before Done", func(t *testing.T) {
		ctx, cancel := withLazyTimeout(parent, -time.Second)
		defer cancel()
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
		assert.True(t, closed(ctx.Done()))
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
		assert.ErrorIs(t, context.Cause(ctx), context.DeadlineExceeded)
	})
	t.Run("canceled before Done", func(t *testing.T) {
		ctx, cancel := withLazyTimeout(parent, time.Hour)
		cancel()
		cancel()
		assert.ErrorIs(t, ctx.Err(), context.Canceled)
		assert.True(t, closed(ctx.Done()))
		assert.ErrorIs(t, ctx.Err(), context.Canceled)
	})
	t.Run("canceled after Done", func(t *testing.T) {
		ctx, cancel := withLazyTimeout(parent, time.Hour)
		done := ctx.Done()
		assert.False(t, closed(done))
		cancel()
		assert.True(t, closed(done))
		assert.ErrorIs(t, ctx.Err(), context.Canceled)
	})
	t.Run("parent canceled", func(t *testing.T) {
		p, pcancel := context.WithCancel(parent)
		ctx, cancel := withLazyTimeout(p, time.Hour)
		defer cancel()
		pcancel()
		assert.ErrorIs(t, ctx.Err(), context.Canceled)
		assert.True(t, closed(ctx.Done()))
		child, ccancel := context.WithCancel(ctx)
		defer ccancel()
		assert.True(t, closed(child.Done()))
	})
	t.Run("parent deadline sooner", func(t *testing.T) {
		p, pcancel := context.WithTimeout(parent, time.Minute)
		defer pcancel()
		pd, _ := p.Deadline()
		ctx, cancel := withLazyTimeout(p, time.Hour)
		defer cancel()
		d, _ := ctx.Deadline()
		assert.Equal(t, pd, d)
	})
}
