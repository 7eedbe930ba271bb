package httpconn

import (
	"fmt"
	"net/http"

	"github.com/itsmsync/itsmsync/itsm"
)

// TransportMiddleware wraps the transport an [Connector] sends through.
// It sees every attempt of every request after authentication was applied
// and before it reaches the network. Providers use it for quirks that live
// below the request templates, such as SysAid's session login (a cookie
// obtained by a login call, renewed when it expires). The returned
// RoundTripper must be safe for concurrent use and must follow the
// http.RoundTripper contract (close the request body, never modify the
// caller's request).
type TransportMiddleware func(base http.RoundTripper) http.RoundTripper

// NewWithMiddleware is [New] with mw wrapped around
// the transport the connector would otherwise use: its own transport (SSRF-safe
// dialing, TLS per cfg.TLS, the proxy), or the host's from [WithTransport] or
// [WithHTTPClient]. The connector's retries, timeouts, redirect checks and
// response caps stay in front of mw; the dial-time network checks stay behind
// it. A nil mw is httpconn.New. cfg is validated first, so a bad config
// is the same *ValidationError httpconn.New returns. No network I/O
// happens here.
func NewWithMiddleware(cfg Config, mw TransportMiddleware, opts ...Option) (*Connector, error) {
	if mw == nil {
		return New(cfg, opts...)
	}
	if cfg.ID == "" {
		cfg.ID = itsm.NewID()
	}
	cc, errs := cfg.compile()
	if len(errs) > 0 {
		return nil, &itsm.ValidationError{Errors: errs}
	}
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	base := o.transport
	if base == nil && o.client != nil {
		base = o.client.Transport
	}
	var own *http.Transport
	if base == nil {
		tr, err := buildTransport(cc.cfg.Network, cc.cfg.TLS, connMaxIdlePerHost)
		if err != nil {
			return nil, fmt.Errorf("itsm: transport: %w", err)
		}
		own, base = tr, tr
	}
	rt := mw(base)
	if rt == nil {
		rt = base
	}
	all := make([]Option, 0, len(opts)+1)
	all = append(all, opts...)
	all = append(all, WithTransport(rt))
	c, err := New(cfg, all...)
	if err != nil {
		if own != nil {
			own.CloseIdleConnections()
		}
		return nil, err
	}
	c.transport = own
	return c, nil
}
