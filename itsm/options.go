package itsm

import (
	"context"
	"log/slog"
	"time"
)

// Off turns off a duration setting of a config struct that can be turned off
// (a cooldown, a lookup grace, a reconcile interval ...). Across the SDK the
// zero value of a setting means its documented default, and any negative
// value means off; Off reads best.
const Off time.Duration = -1

// Option injects a dependency the host owns into a constructor of the SDK.
// Every constructor takes the same options — [NewSyncer], [NewRegistry],
// httpconn.New and the provider connectors, callback.NewHandler,
// callback.NewApplier, callback.NewReconciler, callback.NewTokens and the
// verifiers — so a clock, a logger and an audit sink are injected one way
// everywhere. Settings of one component are fields of its config struct,
// not options.
type Option func(*Options)

// Options is what a list of [Option] resolves to; see [NewOptions].
// Constructors written outside the SDK (a host's own connector) can take
// ...Option too and read the result from NewOptions.
type Options struct {
	// Clock tells the time (cooldowns, leases, audit times, signature
	// tolerances, Retry-After dates). A Clock that also has a method
	// Sleep(ctx context.Context, d time.Duration) error is used for waits
	// as well (retry backoff), so a fake clock such as itsmtest.Clock makes
	// them instant. Default [SystemClock].
	Clock Clock
	// Logger receives the SDK's log lines, which never carry a secret, a
	// payload or a response body. Default: discard.
	Logger *slog.Logger
	// Audit receives one [AuditEvent] per attempt. Default: none (nil).
	Audit AuditSink
}

// WithClock sets the clock (default [SystemClock]; nil keeps the default).
func WithClock(c Clock) Option { return func(o *Options) { o.Clock = c } }

// WithLogger sets the logger (default: discard; nil keeps the default).
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithAudit sets the audit sink (default: none; nil keeps the default).
func WithAudit(a AuditSink) Option { return func(o *Options) { o.Audit = a } }

// NewOptions applies opts in order (nil options are skipped) and fills the
// defaults: Clock is never nil, Logger is never nil, Audit is nil when no
// sink was given.
func NewOptions(opts ...Option) Options {
	var o Options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Sleep waits for d or until ctx is done (returning ctx's error), through the
// clock's own Sleep when it has one (see [Options.Clock]).
func (o Options) Sleep(ctx context.Context, d time.Duration) error {
	if s, ok := o.Clock.(interface {
		Sleep(ctx context.Context, d time.Duration) error
	}); ok {
		return s.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Record sends e to the audit sink, when there is one.
func (o Options) Record(ctx context.Context, e AuditEvent) {
	if o.Audit != nil {
		o.Audit.Record(ctx, e)
	}
}
