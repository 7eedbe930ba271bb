package callback

import (
	"net/http"
	"strings"
)

// TokenVerifier authenticates a delivery by its callback token. By default
// the token is read from "Authorization: Bearer <token>"; Header names another
// header holding the bare token (a "Bearer " prefix is accepted there too);
// QueryParam, when set, also accepts the token as a query parameter.
//
// A query parameter is discouraged: URLs end up in access logs, proxies and
// browser histories, so the token leaks where headers would not. Use it only
// for an ITSM that cannot send a custom header, and rotate such tokens.
//
// The token must belong to IntegrationID, be neither revoked nor expired;
// a successful verification updates its last-used time (best effort). The
// zero value is unusable: until Tokens and IntegrationID are set, Verify
// fails with a validation error naming them (errors.As:
// *itsm.ValidationError, matching itsm.ErrInvalidConfig). A TokenVerifier
// is safe for concurrent use.
type TokenVerifier struct {
	// Tokens checks the token. Required.
	Tokens *Tokens
	// IntegrationID is the integration the token must be scoped to.
	// Required.
	IntegrationID string
	// Header is the header carrying the token; "" (or "Authorization")
	// means "Authorization: Bearer <token>".
	Header string
	// QueryParam, when set, is a query parameter also accepted (when the
	// header is absent). Discouraged: see the type's documentation.
	QueryParam string
}

// Verify implements [Verifier]. The body is not used.
func (v *TokenVerifier) Verify(r *http.Request, _ []byte) error {
	if v == nil || v.Tokens == nil || v.IntegrationID == "" {
		var p fieldErrors
		if v == nil || v.Tokens == nil {
			p.add("tokens", "is required")
		}
		if v == nil || v.IntegrationID == "" {
			p.add("integration_id", "is required")
		}
		return p.err("token verifier configuration", false)
	}
	if r == nil {
		return ErrMissingToken
	}
	token := v.extract(r)
	_, err := v.Tokens.Verify(r.Context(), v.IntegrationID, token)
	return err
}

func (v *TokenVerifier) header() string {
	if v.Header == "" {
		return "Authorization"
	}
	return v.Header
}

// extract returns the presented token, or "".
func (v *TokenVerifier) extract(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get(v.header()))
	if h != "" {
		if tok, ok := cutBearer(h); ok {
			return tok
		}
		if http.CanonicalHeaderKey(v.header()) == "Authorization" {
			// Another scheme (Basic ...) carries no callback token.
			return ""
		}
		return h
	}
	if v.QueryParam != "" && r.URL != nil {
		return r.URL.Query().Get(v.QueryParam)
	}
	return ""
}

// cutBearer strips a case-insensitive "Bearer " scheme.
func cutBearer(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) > len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) {
		return strings.TrimSpace(h[len(scheme):]), true
	}
	return "", false
}

// Sign adds token to r the way Verify reads it, so a host can test its
// endpoint: "Authorization: Bearer <token>", or the configured Header. It
// never puts the token in the URL (see SignQuery for that).
func (v *TokenVerifier) Sign(r *http.Request, token string) {
	if http.CanonicalHeaderKey(v.header()) == "Authorization" {
		r.Header.Set("Authorization", "Bearer "+token)
		return
	}
	r.Header.Set(v.header(), token)
}

// SignQuery adds token to r's URL as the QueryParam parameter (the
// discouraged form). It does nothing when QueryParam is empty.
func (v *TokenVerifier) SignQuery(r *http.Request, token string) {
	if v.QueryParam == "" || r.URL == nil {
		return
	}
	q := r.URL.Query()
	q.Set(v.QueryParam, token)
	r.URL.RawQuery = q.Encode()
	if r.RequestURI != "" {
		r.RequestURI = r.URL.RequestURI()
	}
}

var _ Verifier = (*TokenVerifier)(nil)
