package itsm

import (
	"context"
	"sync"
	"time"
)

// recordCtx is the context of the recording writes (see recordContext): the
// values of the caller's context, never canceled with it, and a fixed
// deadline. It behaves as context.WithDeadline(context.WithoutCancel(parent),
// deadline) but makes that context, and its timer, only when a store asks
// for Done, Err or a derived cancelable context: a store that only reads
// the deadline, or none of it (memstore), costs no timer per sync. The
// deadline is the same absolute instant either way, so every write stays
// bounded by recordTimeout.
type recordCtx struct {
	context.Context // context.WithoutCancel(parent)
	deadline        time.Time

	mu     sync.Mutex
	timed  context.Context // context.WithDeadline(Context, deadline), made on first use
	cancel context.CancelFunc
	closed bool // stop was called before the timed context existed
}

// Deadline returns the fixed deadline.
func (c *recordCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// get returns the timed context, making it on first use.
func (c *recordCtx) get() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timed == nil {
		c.timed, c.cancel = context.WithDeadline(c.Context, c.deadline)
		if c.closed {
			c.cancel()
		}
	}
	return c.timed
}

// Done is closed at the deadline or when the context is stopped.
func (c *recordCtx) Done() <-chan struct{} { return c.get().Done() }

// Err is context.DeadlineExceeded after the deadline, context.Canceled
// once stopped, else nil.
func (c *recordCtx) Err() error { return c.get().Err() }

// Value looks key up in the timed context once it exists (so a context
// derived with context.WithCancel finds its cancelable parent and needs no
// goroutine), else in the caller's values.
func (c *recordCtx) Value(key any) any {
	c.mu.Lock()
	timed := c.timed
	c.mu.Unlock()
	if timed != nil {
		return timed.Value(key)
	}
	return c.Context.Value(key)
}

// stop releases the timer, if one was made; later uses see Canceled, as
// after a CancelFunc.
func (c *recordCtx) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.cancel != nil {
		c.cancel()
	}
}
